//! JSON number -> f32, correctly rounded, in one pass over the bytes.
//!
//! The digits are read straight into a `u64` significand and a decimal exponent, then turned
//! into an f32 by the first of three paths that applies:
//! 1. Clinger's fast path, widened, in f64: for a significand below 2^63 and |exponent| <=
//!    22, one f64 multiplication by 10^q gives a value within 3 f64 ulps of the exact one;
//!    rounding that to f32 is correct unless it lies within 8 ulps of a point halfway
//!    between two f32s (checked; about 17 inputs in 2^29, then path 2 decides).
//! 2. Eisel-Lemire: multiply by a 128-bit approximation of 5^q and round; it proves its own
//!    result correct or says it cannot decide (about one input in 2^38).
//! 3. An exact big-integer comparison (`slow_path`) for that rare undecided case and for
//!    more than 19 significant digits.
//!
//! Parsing straight to f32 matters: parsing to f64 and casting rounds twice and is wrong for
//! inputs close to halfway between two f32 values.

use super::pow5::{MAX_Q, MIN_Q, POW5};

/// [`parse_f32`] as a call, for the callers off the hot path (scalars, skipping, tests):
/// the inlined copy is kept for the array loop alone, to save code size.
#[inline(never)]
pub(crate) fn parse_f32_outlined(s: &[u8]) -> Result<(f32, usize), NumError> {
    parse_f32(s)
}

/// Why a JSON number could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Not a JSON number at all (or a malformed one, such as `01`, `1.`, `.5`, `1e`).
    Syntax,
    /// A well-formed number whose magnitude rounds to infinity in f32 (|x| >= ~3.4028236e38).
    Overflow,
}

/// 10^0..=10^22: every one exact in f64 (5^22 < 2^53).
const F64_EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 10^q for q in -22..=22 at index q + 22: exact for q >= 0, correctly rounded for q < 0
/// (IEEE division of exact values is).
const F64_POW10: [f64; 45] = {
    let mut t = [0.0; 45];
    let mut k = 0;
    while k <= 22 {
        t[22 + k] = F64_EXACT_POW10[k];
        t[22 - k] = 1.0 / F64_EXACT_POW10[k];
        k += 1;
    }
    t
};

/// Parses the JSON number that starts at `s[0]`; returns the value and the bytes it used.
/// Stops at the first byte that cannot continue the number, as JSON's grammar says.
#[inline(always)]
pub(crate) fn parse_f32(s: &[u8]) -> Result<(f32, usize), NumError> {
    parse_f32_at(s, 0)
}

/// [`parse_f32`] of the number at `s[start..]`, returning the index just past it. Indices into
/// the whole input rather than a re-sliced tail: the array loop needs no slice arithmetic.
/// Always inlined: it is the decoder's inner loop, and a call costs a fifth of its time.
#[inline(always)]
pub(crate) fn parse_f32_at(s: &[u8], start: usize) -> Result<(f32, usize), NumError> {
    let neg = s.get(start) == Some(&b'-');
    let int_start = start + neg as usize;
    let (mut w, mut i, mut next) = match s.get(int_start) {
        // A leading zero is the whole integer part: `01` is `0` then a stray `1`.
        Some(b'0') => (0, int_start + 1, s.get(int_start + 1).copied().unwrap_or(0)),
        // One digit at a time: integer parts are short, and a second copy of the eight-byte
        // loop would cost code size in every inlined copy of this function.
        Some(b'1'..=b'9') => {
            let mut i = int_start;
            let mut w = 0u64;
            loop {
                match s.get(i) {
                    Some(&b @ b'0'..=b'9') => {
                        w = w.wrapping_mul(10).wrapping_add((b - b'0') as u64)
                    }
                    Some(&b) => break (w, i, b),
                    None => break (w, i, 0),
                }
                i += 1;
            }
        }
        _ => return Err(NumError::Syntax),
    };
    let mut ndigits = i - int_start;
    let mut q: i64 = 0;
    if next == b'.' {
        let frac_start = i + 1;
        (w, i, next) = digit_run(s, frac_start, w);
        if i == frac_start {
            return Err(NumError::Syntax);
        }
        q = frac_start as i64 - i as i64;
        ndigits += i - frac_start;
    }
    if next | 0x20 == b'e' {
        let (e, end) = exponent(s, i + 1)?;
        q += e;
        i = end;
    }
    let v = if ndigits > 19 && significant_digits(s, int_start, i) > 19 {
        None
    } else {
        decimal_to_f32(w, q)
    };
    match v {
        Some(v) if v.is_infinite() => Err(NumError::Overflow),
        // The sign as a bit, not a branch: it is a coin toss in typical data.
        Some(v) => Ok((f32::from_bits(v.to_bits() | (neg as u32) << 31), i)),
        None => slow_path(s.get(start..i).unwrap_or(&[])).map(|v| (v, i)),
    }
}

/// Appends the run of digits at `s[i..]` to `w` (wrapping past 19 digits: those inputs are
/// recomputed by the slow path); returns it, the index just past the run and the byte there
/// (0 at the end of the input), which the caller tests for `.` or `e` without a reload.
///
/// Eight bytes per step: count the leading digits, shift them to the top of the word,
/// convert all eight at once. A run of exactly eight (the most common f32 fraction) ends
/// with a one-byte look rather than another step. Only the last few bytes of the input,
/// where no eight-byte load fits, go one at a time.
#[inline(always)]
fn digit_run(s: &[u8], mut i: usize, mut w: u64) -> (u64, usize, u8) {
    while let Some(chunk) = s
        .get(i..i.wrapping_add(8))
        .and_then(<[u8]>::first_chunk::<8>)
    {
        let v = u64::from_le_bytes(*chunk);
        let n = leading_digits(v);
        w = w
            .wrapping_mul(POW10_U64[n as usize])
            .wrapping_add(run_value(v, n));
        if n < 8 {
            return (w, i + n as usize, (v >> (8 * n)) as u8);
        }
        // A constant step, not `i += n`: the next load's address then waits on no arithmetic
        // of this one's bytes, so long runs (17-digit fractions) load ahead.
        i += 8;
        match s.get(i) {
            Some(b'0'..=b'9') => {}
            Some(&b) => return (w, i, b),
            None => return (w, i, 0),
        }
    }
    while let Some(&b) = s.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return (w, i, b);
        }
        w = w.wrapping_mul(10).wrapping_add(d as u64);
        i += 1;
    }
    (w, i, 0)
}

/// The value of the first `n` (1..=8) digits of the eight bytes `v`. The first byte is the
/// lowest: shifting left drops the bytes after the run and puts '0' - 0x30 = 0 in front of it.
/// Subtraction borrows only move up from non-digit bytes, which are the ones dropped. For
/// n = 0 (only possible right after `.`, which is then a syntax error) the value is garbage
/// but harmless: the caller discards it.
#[inline(always)]
fn run_value(v: u64, n: u32) -> u64 {
    eight_values(
        v.wrapping_sub(0x3030_3030_3030_3030)
            .wrapping_shl(64 - 8 * n),
    )
}

/// The signed decimal exponent after `e`/`E` at `s[i..]`, and the index past it. Out of line:
/// few array elements have one.
#[inline(never)]
fn exponent(s: &[u8], mut i: usize) -> Result<(i64, usize), NumError> {
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let start = i;
    let mut exp: i64 = 0;
    while let Some(&d) = s.get(i) {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // Saturate: any exponent this large already means zero or infinity.
        if exp < 100_000_000 {
            exp = exp * 10 + d as i64;
        }
        i += 1;
    }
    if i == start {
        return Err(NumError::Syntax);
    }
    Ok((if neg { -exp } else { exp }, i))
}

const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// How many of the eight bytes of `v`, from the lowest (the first in memory), are ASCII
/// digits before the first non-digit (SWAR: a byte outside '0'..='9' sets its top bit either
/// when 0x46 is added or when 0x30 is subtracted; carries and borrows only travel upwards, so
/// the first flagged byte is exact).
#[inline(always)]
fn leading_digits(v: u64) -> u32 {
    let flags = (v.wrapping_add(0x4646_4646_4646_4646) | v.wrapping_sub(0x3030_3030_3030_3030))
        & 0x8080_8080_8080_8080;
    flags.trailing_zeros() / 8
}

/// The decimal value of eight digit values 0..=9, one per byte, the first in the lowest byte:
/// pairs, then quads, then the whole, each step one multiply-add per lane.
#[inline(always)]
fn eight_values(v: u64) -> u64 {
    // Each 16-bit lane: 10 * first + second. Wrapping: `run_value` of an empty run (a
    // syntax error, its value discarded) passes bytes that are not digit values.
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let lanes = 0x0000_00FF_0000_00FF;
    // Combine lanes 0/1 and 2/3 with their weights 10^6, 10^4, 10^2, 1.
    let hi = (v & lanes).wrapping_mul(0x000F_4240_0000_0064);
    let lo = ((v >> 16) & lanes).wrapping_mul(0x0000_2710_0000_0001);
    (hi.wrapping_add(lo)) >> 32
}

/// Digits that count for precision: all digits minus the leading zeros (also those after `.`).
#[cold]
fn significant_digits(s: &[u8], from: usize, to: usize) -> usize {
    let mut n = 0usize;
    let mut leading = true;
    for &b in s.get(from..to).unwrap_or(&[]) {
        match b {
            b'0' if leading => {}
            b'.' => {}
            b'0'..=b'9' => {
                leading = false;
                n += 1;
            }
            _ => break,
        }
    }
    n
}

/// Significant digits the exact path keeps; the rest only count as "nonzero or not". An f32
/// halfway point has at most 25 significant bits, so at most ~112 significant decimal
/// digits: when more digits differ from it, the first 200 already do.
const SLOW_MAX_DIGITS: usize = 200;

/// The correctly rounded value of the validated JSON number `token`, for the inputs the
/// fast paths leave (more than 19 significant digits, or the rare undecided Eisel-Lemire case).
///
/// An f64 estimate from the first 19 digits gives a candidate f32 at most one step from the
/// answer; exact big-integer comparisons with the halfway points on either side of it decide.
/// (Written here rather than calling `str::parse::<f32>`, whose tables cost ~15 KB.)
#[cold]
#[inline(never)]
fn slow_path(token: &[u8]) -> Result<f32, NumError> {
    let neg = token.first() == Some(&b'-');
    // value = 0.d1 d2 ... dn * 10^(point + exp), digits without leading zeros.
    let mut digits: Vec<u8> = Vec::new();
    let mut sticky = false;
    let mut point: i64 = 0;
    let mut after_point = false;
    let mut rest = token.iter();
    for &b in rest.by_ref() {
        match b {
            b'0'..=b'9' => {
                if digits.is_empty() && b == b'0' {
                    point -= after_point as i64;
                    continue;
                }
                if digits.len() < SLOW_MAX_DIGITS {
                    digits.push(b - b'0');
                } else {
                    sticky |= b != b'0';
                }
                point += !after_point as i64;
            }
            b'.' => after_point = true,
            b'e' | b'E' => break,
            _ => {}
        }
    }
    let mut exp: i64 = 0;
    let mut exp_neg = false;
    for &b in rest {
        match b {
            b'-' => exp_neg = true,
            b'0'..=b'9' if exp < 100_000_000 => exp = exp * 10 + (b - b'0') as i64,
            _ => {}
        }
    }
    let exp = if exp_neg { -exp } else { exp };
    let sign = |v: f32| if neg { -v } else { v };
    let mag = point + exp;
    if digits.is_empty() || mag <= -46 {
        return Ok(sign(0.0)); // below 1e-46, under half the smallest subnormal
    }
    if mag > 39 {
        return Err(NumError::Overflow); // at least 1e39
    }
    // The candidate: the first 19 digits in f64 (relative error ~1e-15, far below an f32
    // step), rounded to f32.
    let head = digits.len().min(19);
    let w = digits[..head].iter().fold(0u64, |w, &d| w * 10 + d as u64);
    let estimate = w as f64 * 10f64.powi((mag - head as i64) as i32);
    let c = (estimate as f32).min(f32::MAX);
    // Compare the decimal with the halfway point above `x`.
    let d = Big::from_digits(&digits);
    let e10 = mag - digits.len() as i64;
    let vs_half_above = |x: f32| {
        let (m, e2) = mantissa_exponent(x);
        compare(&d, e10, 2 * m + 1, e2 - 1, sticky)
    };
    use core::cmp::Ordering::*;
    let step =
        |x: f32, up: bool| f32::from_bits(if up { x.to_bits() + 1 } else { x.to_bits() - 1 });
    let even = |a: f32, b: f32| if a.to_bits() & 1 == 0 { a } else { b };
    let v = match vs_half_above(c) {
        Greater if c == f32::MAX => return Err(NumError::Overflow),
        Greater => step(c, true),
        Equal if c == f32::MAX => return Err(NumError::Overflow), // ties to even: infinity
        Equal => even(c, step(c, true)),
        Less if c == 0.0 => 0.0,
        Less => {
            let below = step(c, false);
            match vs_half_above(below) {
                Greater => c,
                Equal => even(below, c),
                Less => below,
            }
        }
    };
    Ok(sign(v))
}

/// x = m * 2^e exactly, for finite x >= 0.
fn mantissa_exponent(x: f32) -> (u64, i64) {
    let bits = x.to_bits();
    let field = (bits >> 23) & 0xFF;
    let frac = (bits & 0x7F_FFFF) as u64;
    if field == 0 {
        (frac, -149)
    } else {
        (frac | 1 << 23, field as i64 - 150)
    }
}

/// Compares d * 10^e10 (+ something smaller than one unit of d if `sticky`) with h * 2^e2.
fn compare(d: &Big, e10: i64, h: u64, e2: i64, sticky: bool) -> core::cmp::Ordering {
    let mut left = d.clone();
    let mut right = Big::from_u64(h);
    // Make both sides integers: 10^e10 = 5^e10 * 2^e10.
    if e10 >= 0 {
        left.mul_pow5(e10 as u32);
    } else {
        right.mul_pow5((-e10) as u32);
    }
    let twos = e2 - e10; // left * 2^e10 vs right * 2^e2, scaled by 2^-min(e10, e2)
    if twos >= 0 {
        right.shl(twos as u32);
    } else {
        left.shl((-twos) as u32);
    }
    match left.cmp(&right) {
        core::cmp::Ordering::Equal if sticky => core::cmp::Ordering::Greater,
        other => other,
    }
}

/// A non-negative big integer, 32-bit limbs, least significant first. Only what the exact
/// path needs: built from digits, multiplied by powers of 5 and 2, compared.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        Big(vec![v as u32, (v >> 32) as u32])
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut b = Big(vec![0]);
        for chunk in digits.chunks(9) {
            let (scale, add) = chunk
                .iter()
                .fold((1u32, 0u32), |(s, a), &d| (s * 10, a * 10 + d as u32));
            b.mul_add(scale, add);
        }
        b
    }

    fn mul_add(&mut self, m: u32, add: u32) {
        let mut carry = add as u64;
        for limb in self.0.iter_mut() {
            let p = *limb as u64 * m as u64 + carry;
            *limb = p as u32;
            carry = p >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut e: u32) {
        while e > 0 {
            let k = e.min(13); // 5^13 < 2^32
            self.mul_add(5u32.pow(k), 0);
            e -= k;
        }
    }

    fn shl(&mut self, bits: u32) {
        let (words, bits) = ((bits / 32) as usize, bits % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in self.0.iter_mut() {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        if words > 0 {
            self.0.splice(0..0, core::iter::repeat_n(0, words));
        }
    }

    fn cmp(&self, other: &Big) -> core::cmp::Ordering {
        let trim = |v: &[u32]| v.len() - v.iter().rev().take_while(|&&l| l == 0).count();
        let (a, b) = (&self.0[..trim(&self.0)], &other.0[..trim(&other.0)]);
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
}

/// |w * 10^q| as the nearest f32 (ties to even), or `None` when this fast code cannot prove
/// which of two neighbours is nearest. An infinite result means overflow.
#[inline]
pub(crate) fn decimal_to_f32(w: u64, q: i64) -> Option<f32> {
    // (Below 2^63, so that the conversion is a single signed one.)
    if (-22..=22).contains(&q) && w < 1 << 63 {
        // Clinger's fast path in f64, widened to any 19-digit w and to a multiplication
        // for negative q too (a division is 13+ cycles of latency per number): w rounds to
        // f64 once (only above 2^53), 10^q once (only for q < 0) and the product once, so
        // d is within 3 f64 ulps of the exact value (relative error under 3.01 * 2^-53).
        // Rounding d to f32 is then correct unless an f32 rounding boundary, a halfway
        // point between two f32s, lies within those ulps. Here 1e-22 <= value < 9.3e40,
        // where every halfway point has the 29 bits f32 drops equal to 1000...0 (at
        // f32::MAX's too, so overflow to infinity is decided the same way): d further than
        // 8 ulps from such a point rounds like the exact value. The rest (about 17 in
        // 2^29, and exact ties) go to Eisel-Lemire.
        let d = w as i64 as f64 * F64_POW10[(q + 22) as usize];
        // Outside halfway +- 8 ulps, with one unsigned comparison.
        if (d.to_bits() & ((1 << 29) - 1)).wrapping_sub((1 << 28) - 8) > 16 {
            return Some(d as f32);
        }
    }
    // Checked after the fast path, which covers zero and most inputs on its own.
    if w == 0 || q < MIN_Q as i64 {
        return Some(0.0);
    }
    if q > MAX_Q as i64 {
        return Some(f32::INFINITY);
    }
    eisel_lemire(w, q as i32).map(f32::from_bits)
}

const MANTISSA_BITS: u32 = 23;
/// Biased exponent of an f32 whose exponent field is all ones (infinity).
const INFINITE_POWER: i32 = 0xFF;
/// The algorithm's bias for f32 (the exponent of the smallest normal, minus one, biased).
const MINIMUM_EXPONENT: i32 = -127;

fn mul_64x64(a: u64, b: u64) -> (u64, u64) {
    let p = (a as u128) * (b as u128);
    (p as u64, (p >> 64) as u64)
}

/// floor(log2(10^q)) + 63, exact for |q| < 350 (the constant is log2(10) * 2^16).
fn power_of_two(q: i32) -> i32 {
    (q.wrapping_mul(152_170 + 65_536) >> 16) + 63
}

/// Eisel-Lemire for f32 (Lemire, "Number Parsing at a Gigabyte per Second", 2021): returns the
/// f32 bit pattern of w * 10^q (w > 0, q in [MIN_Q, MAX_Q]), or None if undecided.
fn eisel_lemire(w: u64, q: i32) -> Option<u32> {
    let lz = w.leading_zeros() as i32;
    let w = w << lz;
    let (hi5, lo5) = POW5[(q - MIN_Q) as usize];
    // 23 explicit bits + hidden bit + rounding bit + a possible leading zero.
    let precision_mask = u64::MAX >> (MANTISSA_BITS + 3);
    let (mut lo, mut hi) = mul_64x64(w, hi5);
    if hi & precision_mask == precision_mask {
        // The truncated bits could carry into the ones we keep: refine with the low word.
        let (_, carry) = mul_64x64(w, lo5);
        lo = lo.wrapping_add(carry);
        if carry > lo {
            hi = hi.wrapping_add(1);
        }
    }
    if lo == u64::MAX && !(-27..=55).contains(&q) {
        // Still possibly off by one in the last place, and 5^q is not exact: undecided.
        return None;
    }
    let upper_bit = (hi >> 63) as i32;
    let shift = upper_bit + 64 - MANTISSA_BITS as i32 - 3;
    let mut mantissa = hi >> shift;
    let mut power2 = power_of_two(q) + upper_bit - lz - MINIMUM_EXPONENT;
    if power2 <= 0 {
        // Subnormal (or zero): shift into place, then round half up; a halfway subnormal
        // cannot come from a decimal of <= 19 digits within this exponent range.
        if -power2 + 1 >= 64 {
            return Some(0);
        }
        mantissa >>= -power2 + 1;
        mantissa += mantissa & 1;
        mantissa >>= 1;
        // Rounding up into the smallest normal sets the exponent field to 1.
        let e = (mantissa >= 1 << MANTISSA_BITS) as u32;
        return Some((mantissa as u32) | (e << MANTISSA_BITS));
    }
    // An exact tie (possible only when 5^q fits in 64 bits, q in [-17, 10] for f32) must round
    // to even: clear the rounding bit so the increment below does not round up.
    if lo <= 1 && (-17..=10).contains(&q) && mantissa & 3 == 1 && (mantissa << shift) == hi {
        mantissa &= !1;
    }
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if mantissa >= 2 << MANTISSA_BITS {
        mantissa = 1 << MANTISSA_BITS;
        power2 += 1;
    }
    mantissa &= !(1 << MANTISSA_BITS);
    if power2 >= INFINITE_POWER {
        return Some(f32::INFINITY.to_bits());
    }
    Some((mantissa as u32) | ((power2 as u32) << MANTISSA_BITS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<f32, NumError> {
        let (v, n) = parse_f32(s.as_bytes())?;
        assert_eq!(n, s.len(), "consumed {n} of {s:?}");
        Ok(v)
    }

    fn same(s: &str) {
        let want: f32 = s.parse().unwrap();
        match p(s) {
            Ok(got) => assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{s}: got {got:e}, want {want:e}"
            ),
            Err(NumError::Overflow) => assert!(want.is_infinite(), "{s}: overflow, std {want}"),
            Err(e) => panic!("{s}: {e:?}"),
        }
    }

    #[test]
    fn pow5_table_matches_big_integer_reference() {
        // For q >= 0, 5^q normalised to 128 bits and truncated; u128 holds 5^q up to q = 55.
        for q in 0..=MAX_Q {
            let mut v = 5u128.pow(q as u32);
            v <<= v.leading_zeros();
            let (hi, lo) = POW5[(q - MIN_Q) as usize];
            assert_eq!(((hi as u128) << 64) | lo as u128, v, "5^{q}");
        }
        // For q < 0 the entry is 2^b / 5^-q rounded up, so its top word times 5^-q lies just
        // below a power of two, within one multiple of 5^-q (5^27 < 2^63 keeps this in u128).
        for q in -27..0 {
            let (hi, _) = POW5[(q - MIN_Q) as usize];
            let p5 = 5u128.pow((-q) as u32);
            let below = (hi as u128) * p5;
            assert!(below.next_power_of_two() < below + p5, "5^{q}");
        }
    }

    #[test]
    fn f64_power_table_is_correctly_rounded() {
        for q in -22i32..=22 {
            let want: f64 = format!("1e{q}").parse().unwrap();
            assert_eq!(
                F64_POW10[(q + 22) as usize].to_bits(),
                want.to_bits(),
                "1e{q}"
            );
        }
    }

    #[test]
    fn simple_values() {
        assert_eq!(p("0"), Ok(0.0));
        assert_eq!(p("-0").map(f32::to_bits), Ok((-0.0f32).to_bits()));
        assert_eq!(p("12.5"), Ok(12.5));
        assert_eq!(p("-1e3"), Ok(-1000.0));
        assert_eq!(p("1E+2"), Ok(100.0));
        assert_eq!(p("0.1"), Ok(0.1));
        assert_eq!(p("3.4028235e38"), Ok(f32::MAX));
        assert_eq!(p("1e-46"), Ok(0.0));
        assert_eq!(p("1e-99999999999999"), Ok(0.0));
        assert_eq!(p("1.401298464324817e-45"), Ok(f32::from_bits(1)));
    }

    #[test]
    fn stops_at_end_of_number() {
        assert_eq!(parse_f32(b"1.5,2"), Ok((1.5, 3)));
        assert_eq!(parse_f32(b"-7]"), Ok((-7.0, 2)));
        assert_eq!(parse_f32(b"0 "), Ok((0.0, 1)));
        // `01` is `0` followed by `1`: the caller sees the stray digit and rejects it.
        assert_eq!(parse_f32(b"01"), Ok((0.0, 1)));
    }

    #[test]
    fn rejects_non_json_numbers() {
        for s in [
            "",
            "-",
            "+1",
            ".5",
            "1.",
            "1e",
            "1e+",
            "-.5",
            "inf",
            "NaN",
            "Infinity",
            "--1",
            "-e1",
            "x",
            "\"1\"",
            " 1",
            // No digit after the point with eight more bytes to read: the empty-run case of
            // the eight-byte step (its discarded value must not overflow in debug builds).
            "1.xxxxxxxxxx",
            "0.e5555555555",
            "-1.]]]]]]]]]]",
            "2.\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}",
        ] {
            assert_eq!(parse_f32(s.as_bytes()), Err(NumError::Syntax), "{s:?}");
        }
    }

    #[test]
    fn overflow_is_an_error() {
        for s in [
            "3.4028236e38",
            "1e39",
            "-1e39",
            "1e99999999999",
            "340282356779733661637539395458142568448",
        ] {
            assert_eq!(parse_f32(s.as_bytes()), Err(NumError::Overflow), "{s}");
        }
        // Just below the rounding boundary to infinity still rounds to f32::MAX.
        same("3.4028235677973366e38");
        same("340282356779733661637539395458142568447");
    }

    #[test]
    fn halfway_and_subnormal_edges() {
        for s in [
            // 1 + 2^-24 is exactly halfway between 1 and the next f32: ties to even (1.0).
            "1.000000059604644775390625",
            "1.0000000596046447753906250000001",
            "1.0000000596046447753906249999999",
            // 2^24 + 1: halfway, ties to even.
            "16777217",
            "16777219",
            "16777217.000000000000000001",
            // Halfway between the two smallest subnormals and friends.
            "2.1019476964872256063855943749348e-45",
            "7.006492321624085e-46",
            "7.006492321624086e-46",
            "1.1754942e-38",
            "1.17549435e-38",
            "1.1754943508222875e-38",
            "0.000000000000000000000000000000000000011754943508222875",
            "123456789012345678901234567890",
            "0.30000001192092896",
            "9007199254740993",
            "4.7019774032891500318749461488889827112746622270883500860350068251e-38",
        ] {
            same(s);
        }
    }

    #[test]
    fn fast_paths_decide_almost_everything_and_agree_with_std() {
        // The integration tests compare whole parses with std; this one makes sure the fast
        // paths really decide (a fast path that always gave up would pass those via std).
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut undecided, n) = (0, 300_000);
        for i in 0..n {
            let digits = 1 + (next() % 19) as u32;
            let w = next() % 10u64.pow(digits);
            let q = (next() % 104) as i64 - 65;
            let text = format!("{w}e{q}");
            let want: f32 = text.parse().unwrap();
            match decimal_to_f32(w, q) {
                Some(got) => assert_eq!(got.to_bits(), want.to_bits(), "{text} (case {i})"),
                None => undecided += 1,
            }
        }
        assert!(undecided * 10_000 < n, "{undecided} of {n} undecided");
    }

    #[test]
    fn swar_digit_runs() {
        for text in ["00000000", "12345678", "99999999", "10000001", "83496094"] {
            let v = u64::from_le_bytes(*text.as_bytes().first_chunk::<8>().unwrap());
            assert_eq!(leading_digits(v), 8, "{text}");
            assert_eq!(
                eight_values(v - 0x3030_3030_3030_3030),
                text.parse::<u64>().unwrap()
            );
        }
        for (text, n) in [
            ("1234567/", 7),
            ("1234567:", 7),
            ("a2345678", 0),
            ("12,45678", 2),
            ("9]}\0\0\0\0\0", 1),
            ("~2345678", 0),
        ] {
            let v = u64::from_le_bytes(*text.as_bytes().first_chunk::<8>().unwrap());
            assert_eq!(leading_digits(v), n, "{text}");
        }
        // Every fraction length across the 8-byte steps, followed by each kind of terminator.
        let digits = "1234567890123456789012";
        for len in 1..digits.len() {
            for tail in [",1", "]", "}", " ", "e-3,", ""] {
                let text = format!("0.{}{tail}", &digits[..len]);
                let exp = if tail.starts_with('e') { "e-3" } else { "" };
                let number = format!("0.{}{exp}", &digits[..len]);
                let (v, used) = parse_f32(text.as_bytes()).unwrap();
                assert_eq!(used, number.len(), "{text}");
                assert_eq!(
                    v.to_bits(),
                    number.parse::<f32>().unwrap().to_bits(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn exact_path_matches_std_everywhere() {
        // The exact path is normally reached only by long or undecided inputs; drive it
        // directly over every kind of input so its every branch is checked against std.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<String> = vec![
            "0".into(),
            "-0.0".into(),
            "1".into(),
            "16777217".into(),
            "3.4028235e38".into(),
            "3.4028235677973366e38".into(),
            "3.4028236e38".into(),
            "1e-46".into(),
            "7.006492321624085354618647916449580656401309709382578858785341419448955413e-46".into(),
            "7.006492321624085354618647916449580656401309709382578858785341419448955414e-46".into(),
            "1.401298464324817e-45".into(),
            "1.1754943508222875e-38".into(),
        ];
        // Exactly halfway (ties to even), then a nonzero digit far past the kept 200 digits.
        let half = "1.000000059604644775390625";
        texts.push(half.to_string());
        texts.push(format!("{half}{}1", "0".repeat(400)));
        texts.push(format!("{}{half}{}", "0".repeat(300), "0".repeat(300)));
        texts.push(format!("1{}e-300", "0".repeat(300)));
        for i in 0..60_000 {
            let bits = next() as u32 & 0x7FFF_FFFF;
            let v = f32::from_bits(bits);
            if !v.is_finite() {
                continue;
            }
            let t = match i % 4 {
                0 => format!("{v:e}"),
                1 => format!("{:.40e}", v as f64),
                2 => {
                    let up = f32::from_bits(bits + 1);
                    format!("{:.60e}", (v as f64 + up as f64) / 2.0)
                }
                _ => format!(
                    "{}{}e{}",
                    next() % 1000,
                    "0".repeat((next() % 30) as usize),
                    (next() % 90) as i64 - 70
                ),
            };
            texts.push(t);
        }
        for t in &texts {
            let want: f32 = t.parse().unwrap();
            let got = slow_path(t.as_bytes());
            match got {
                Ok(g) => assert_eq!(g.to_bits(), want.to_bits(), "{t}: {g:e} vs {want:e}"),
                Err(NumError::Overflow) => assert!(want.is_infinite(), "{t}"),
                Err(e) => panic!("{t}: {e:?}"),
            }
        }
    }
}
