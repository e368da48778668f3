//! IEEE 754 half precision (binary16) <-> f32, in safe integer arithmetic. f16 -> f32 is
//! exact for all 65,536 bit patterns; f32 -> f16 rounds to nearest, ties to even (the
//! converter's). The kernels will convert with F16C / FCVT; these are the reference.

/// 2^112: moves an f16 exponent field, shifted into an f32's, to the right bias.
const RESCALE: f32 = f32::from_bits(0x7780_0000);

/// The f32 that the f16 bit pattern `h` represents (exactly; NaN payloads kept).
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let h = u32::from(h);
    let sign = (h & 0x8000) << 16;
    let magnitude = h & 0x7fff;
    let bits = if magnitude >= 0x7c00 {
        // Infinity or NaN: the all-ones exponent, the mantissa kept.
        0x7f80_0000 | ((magnitude & 0x3ff) << 13)
    } else {
        // Normal and subnormal alike: as an f32 these bits are the value times 2^-112, and
        // the product is exact (a subnormal f16 becomes a normal f32).
        (f32::from_bits(magnitude << 13) * RESCALE).to_bits()
    };
    f32::from_bits(bits | sign)
}

/// Converts a slice; `out.len()` must equal `h.len()` (the caller sizes it).
#[inline]
pub fn f16_to_f32_slice(h: &[u16], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(h) {
        *o = f16_to_f32(v);
    }
}

/// The f16 nearest to `x` (ties to even); values beyond the f16 range become infinity, NaN
/// stays NaN (quiet).
pub fn f32_to_f16(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let man = bits & 0x7f_ffff;
    if exp == 0xff {
        let nan = if man != 0 {
            0x200 | (man >> 13) as u16
        } else {
            0
        };
        return sign | 0x7c00 | nan;
    }
    // The value is (1.man) * 2^(exp - 127) for normal f32s; f16's exponent bias is 15.
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00; // overflow: infinity
    }
    // Significand with the implicit bit (f32 subnormals are far below f16's range: 0).
    let full = if exp == 0 { 0 } else { man | 0x80_0000 };
    // Shift that leaves 10 mantissa bits (normal) or fewer (f16 subnormal).
    let shift = if e >= 1 { 13 } else { 13 + (1 - e) };
    if shift > 24 {
        return sign; // below half the smallest subnormal: signed zero
    }
    let shift = shift as u32;
    let kept = full >> shift;
    let rest = full & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    let round_up = rest > half || (rest == half && (kept & 1) == 1);
    let kept = kept + u32::from(round_up);
    // For normal results `kept` holds the implicit bit at 2^10; adding the exponent field
    // above it makes a carry out of the mantissa bump the exponent, as rounding should.
    let out = if e >= 1 {
        ((e as u32 - 1) << 10) + kept
    } else {
        kept // subnormal (a carry into 2^10 is the smallest normal: also right)
    };
    sign | out as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of an f16 pattern from its definition, in f64.
    fn value(h: u16) -> f64 {
        let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
        let e = i32::from((h >> 10) & 0x1f);
        let m = f64::from(h & 0x3ff);
        match e {
            0 => sign * m * 2f64.powi(-24),
            31 if m == 0.0 => sign * f64::INFINITY,
            31 => f64::NAN,
            _ => sign * (1.0 + m / 1024.0) * 2f64.powi(e - 15),
        }
    }

    #[test]
    fn f16_to_f32_is_exact_for_every_pattern() {
        for h in 0..=u16::MAX {
            let got = f16_to_f32(h);
            let want = value(h);
            if want.is_nan() {
                assert!(got.is_nan(), "{h:#06x}");
                // Payload and sign kept.
                assert_eq!(
                    got.to_bits() >> 13 & 0x3ff,
                    u32::from(h & 0x3ff),
                    "{h:#06x}"
                );
                assert_eq!(got.is_sign_negative(), h & 0x8000 != 0);
            } else {
                assert_eq!(f64::from(got), want, "{h:#06x}");
                assert_eq!(got.is_sign_negative(), h & 0x8000 != 0, "{h:#06x}");
            }
        }
    }

    #[test]
    fn f32_to_f16_round_trips_every_f16() {
        for h in 0..=u16::MAX {
            let x = f16_to_f32(h);
            if x.is_nan() {
                let back = f32_to_f16(x);
                assert!(back & 0x7c00 == 0x7c00 && back & 0x3ff != 0, "{h:#06x}");
            } else {
                assert_eq!(f32_to_f16(x), h, "{h:#06x}");
            }
        }
    }

    #[test]
    fn f32_to_f16_rounds_to_nearest_even() {
        // Every f32 between consecutive positive f16s at a few scales, plus random bits.
        let mut x = 0x9e37_79b9u32;
        let check = |v: f32| {
            let h = f32_to_f16(v);
            let got = value(h);
            let v64 = f64::from(v);
            if !got.is_finite() {
                // Overflow: v must round beyond the largest f16 (65504), i.e. >= 65520.
                assert!(v64.abs() >= 65520.0, "{v} -> {h:#06x}");
                return;
            }
            // No other f16 is nearer; on a tie the chosen one is even.
            for n in [h.wrapping_sub(1), h.wrapping_add(1)] {
                let other = value(n);
                if other.is_nan() || (n & 0x7fff) > 0x7c00 || (n ^ h) & 0x8000 != 0 {
                    continue;
                }
                let (dg, dn) = ((got - v64).abs(), (other - v64).abs());
                assert!(
                    dg < dn || (dg == dn && h & 1 == 0),
                    "{v} -> {h:#06x}, {n:#06x} nearer"
                );
            }
        };
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = f32::from_bits(x);
            if v.is_finite() {
                check(v);
                // The same mantissa at f16-relevant scales.
                check(f32::from_bits((x & 0x807f_ffff) | ((100 + x % 60) << 23)));
            }
        }
        // Exact ties: halfway between 1.0 and the next f16 (1 + 2^-10) -> even (1.0).
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00);
        assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
        assert_eq!(f32_to_f16(65504.0), 0x7bff);
        assert_eq!(f32_to_f16(65520.0), 0x7c00);
        assert_eq!(f32_to_f16(-0.0), 0x8000);
        assert_eq!(f32_to_f16(2f32.powi(-25)), 0); // a tie with zero: even
        assert_eq!(f32_to_f16(2f32.powi(-25) * 1.5), 1);
    }
}
