//! IEEE 754 half precision (binary16) as `u16` bit patterns, little-endian in
//! memory: the storage format of rayo's f16 weights.
//!
//! [`f16_to_f32`] is exact: every half value (zeros, subnormals, normals,
//! infinities) is representable in `f32` and comes out unchanged. A NaN stays
//! a NaN with the same sign and its 10 payload bits in the top of the `f32`
//! payload, with the quiet bit set (what `vcvtph2ps` and aarch64 `fcvtl` do
//! with a signalling NaN). [`f32_to_f16`] rounds to nearest, ties to even,
//! overflows to ±infinity (from 65520 in magnitude on), produces half
//! subnormals where the value calls for them, and keeps NaN a NaN (quiet,
//! the top 10 payload bits kept, as `vcvtps2ph`).
//!
//! The slice versions convert with the best instruction the CPU has (F16C or
//! AVX-512F `vcvtph2ps` on x86_64, `fcvtl` on aarch64), with the same results.

/// The `f32` value of the half whose bits are `h`; exact (see the module docs
/// for NaN).
pub const fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = if exp == 0x1f {
        if man == 0 {
            0x7f80_0000
        } else {
            0x7fc0_0000 | (man << 13)
        }
    } else if exp != 0 {
        // Rebias 15 -> 127; the 10 mantissa bits go to the top of the 23.
        ((exp + 112) << 23) | (man << 13)
    } else if man == 0 {
        0
    } else {
        // Subnormal: man * 2^-24. Shift the leading one up to bit 10 (the
        // implicit bit) and lower the exponent by as much.
        let shift = man.leading_zeros() - 21;
        ((113 - shift) << 23) | (((man << shift) & 0x3ff) << 13)
    };
    f32::from_bits(sign | bits)
}

/// The half nearest to `x` (ties to even), as bits; see the module docs for
/// overflow and NaN.
pub const fn f32_to_f16(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x7f_ffff;
    if exp == 0xff {
        return if man == 0 {
            sign | 0x7c00
        } else {
            sign | 0x7e00 | (man >> 13) as u16
        };
    }
    // The half's biased exponent if `x` is a normal half.
    let e = exp - 112;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // A half subnormal (or zero): units of 2^-24. Below 2^-25 (e < -10)
        // everything rounds to zero.
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        return sign | round_shift(m, shift) as u16;
    }
    // A carry out of the mantissa lands in the exponent: 0x7bff rounds up to
    // 0x7c00, infinity, as it must.
    sign | round_shift(((e as u32) << 23) | man, 13) as u16
}

/// `v >> shift` rounded to nearest, ties to even (`1 <= shift <= 24`).
const fn round_shift(v: u32, shift: u32) -> u32 {
    let q = v >> shift;
    let rem = v & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    if rem > half || (rem == half && q & 1 == 1) {
        q + 1
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
        assert_eq!(f16_to_f32(0x0400), 2f32.powi(-14));
        assert_eq!(f16_to_f32(0x8000).to_bits(), 0x8000_0000);
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert_eq!(f16_to_f32(0x7d01).to_bits(), 0x7fe0_2000);
        assert_eq!(f32_to_f16(1.0), 0x3c00);
        assert_eq!(f32_to_f16(65504.0), 0x7bff);
        assert_eq!(f32_to_f16(65519.99), 0x7bff);
        assert_eq!(f32_to_f16(65520.0), 0x7c00);
        assert_eq!(f32_to_f16(2f32.powi(-25)), 0);
        assert_eq!(f32_to_f16(f32::from_bits(2f32.powi(-25).to_bits() + 1)), 1);
        assert_eq!(f32_to_f16(3.0 * 2f32.powi(-25)), 2);
        assert_eq!(f32_to_f16(-0.0), 0x8000);
        assert_eq!(f32_to_f16(f32::from_bits(0x7f80_0001)), 0x7e00);
        assert_eq!(f32_to_f16(f32::NEG_INFINITY), 0xfc00);
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (down).
        assert_eq!(f32_to_f16(1.0 + 2f32.powi(-11)), 0x3c00);
        assert_eq!(f32_to_f16(1.0 + 3.0 * 2f32.powi(-11)), 0x3c02);
    }
}
