//! The f32 decoder against the standard library's correctly rounded `str::parse::<f32>` on
//! millions of random and edge-case strings. Any difference in bits fails.

use rayo_bootstrap::compute::{decode_f32_array, parse_number};

/// splitmix64: a small deterministic generator, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Checks one string; returns false (after printing) on a mismatch.
fn check(s: &str) -> bool {
    let want: f32 = match s.parse() {
        Ok(v) => v,
        Err(_) => return true, // not a number for std either; the grammar tests cover these
    };
    // In an array with room after it, an element takes the decoder's short-number path
    // (when it fits); alone, the general one. Both must give std's bits.
    let padded = format!("[{s},{s} ,\n{s}                 ]");
    let in_array = decode_f32_array(padded.as_bytes());
    match &in_array {
        Ok(v) if v.len() == 3 && v.iter().all(|x| x.to_bits() == want.to_bits()) => {}
        Err(e) if want.is_infinite() && e.error_type() == "InvalidRequest" => {}
        other => {
            eprintln!(
                "[{s}, ...]: got {other:?}, std says {want:e} ({:#x})",
                want.to_bits()
            );
            return false;
        }
    }
    match parse_number(s.as_bytes()) {
        Ok(got) if got.to_bits() == want.to_bits() => true,
        Err(e) if want.is_infinite() && e.error_type() == "InvalidRequest" => true,
        other => {
            eprintln!(
                "{s}: got {other:?}, std says {want:e} ({:#x})",
                want.to_bits()
            );
            false
        }
    }
}

fn run(name: &str, n: usize, mut gen: impl FnMut(&mut Rng) -> String, seed: u64) {
    let mut rng = Rng(seed);
    let mut failures = 0;
    for _ in 0..n {
        let s = gen(&mut rng);
        if !check(&s) {
            failures += 1;
            assert!(failures < 20, "{name}: too many mismatches");
        }
    }
    assert_eq!(
        failures, 0,
        "{name}: {failures} of {n} strings decoded differently from std"
    );
}

fn random_finite_f32(rng: &mut Rng) -> f32 {
    loop {
        let v = f32::from_bits(rng.next() as u32);
        if v.is_finite() {
            return v;
        }
    }
}

#[test]
fn random_f32_values_in_every_format() {
    run(
        "formats",
        1_000_000,
        |rng| {
            let v = random_finite_f32(rng);
            match rng.below(5) {
                0 => format!("{v}"),
                1 => format!("{v:e}"),
                2 => format!("{v:.*e}", rng.below(12) as usize),
                3 => format!("{:e}", v as f64),
                _ => format!("{v:.*}", rng.below(50) as usize),
            }
        },
        1,
    );
}

#[test]
fn short_decimals_as_clients_print_them() {
    // The common case: up to 15 characters, no exponent, every digit/point layout.
    run(
        "short",
        800_000,
        |rng| {
            let ndigits = 1 + rng.below(14) as usize;
            let point = rng.below(ndigits as u64) as usize; // digits before the point (>= 1)
            let mut s = String::new();
            if rng.below(2) == 0 {
                s.push('-');
            }
            for i in 0..ndigits {
                let d = if i == 0 && point > 0 {
                    1 + rng.below(9)
                } else {
                    rng.below(10)
                };
                s.push(char::from(b'0' + d as u8));
                if i == point && i + 1 < ndigits {
                    s.push('.');
                }
            }
            s
        },
        5,
    );
}

#[test]
fn halfway_points_and_their_neighbours() {
    // The exact midpoint between two adjacent f32s is an f64; its exact decimal expansion
    // must round to even, and one unit more or less in a far digit must round away from it.
    run(
        "halfway",
        600_000,
        |rng| {
            let v = random_finite_f32(rng).abs();
            let next = f32::from_bits(v.to_bits() + 1);
            if !next.is_finite() {
                return format!("{v}");
            }
            let mid = (v as f64 + next as f64) / 2.0;
            let exact = format!("{mid:.70e}");
            let (mantissa, exp) = exact.split_once('e').unwrap_or((&exact, "0"));
            let mantissa = mantissa.trim_end_matches('0');
            match rng.below(3) {
                0 => format!("{mantissa}e{exp}"),
                1 => format!("{mantissa}00001e{exp}"),
                _ => {
                    // Just below: cut after a random number of digits (truncation rounds down).
                    let keep = 3 + rng.below(mantissa.len().max(4) as u64 - 2) as usize;
                    format!("{}e{exp}", &mantissa[..keep.min(mantissa.len())])
                }
            }
        },
        2,
    );
}

#[test]
fn up_to_19_digits_next_to_halfway_points() {
    // The f64 fast path also takes 17-19 digit inputs (as Python prints f32s widened to f64),
    // where converting the digits to f64 already rounds: it must hand every input within a
    // few f64 ulps of an f32 halfway point to the exact code. These strings are the
    // midpoint rounded to 17, 18 or 19 digits, then moved a few units of the last digit,
    // with decimal exponents that keep them on that fast path (10^-22..10^22 scaling).
    run(
        "near-halfway",
        600_000,
        |rng| {
            let v = loop {
                let v = random_finite_f32(rng).abs();
                if (1e-4..3e38).contains(&v) {
                    break v;
                }
            };
            let next = f32::from_bits(v.to_bits() + 1);
            let mid = (v as f64 + next as f64) / 2.0;
            let digits = 17 + rng.below(3) as usize;
            let text = format!("{mid:.*e}", digits - 1);
            let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
            let m: u64 = mantissa.replace('.', "").parse().unwrap_or(0);
            let exp: i64 = exp.parse().unwrap_or(0);
            let m = (m as i64 + rng.below(11) as i64 - 5) as u64;
            format!("{m}e{}", exp - (digits as i64 - 1))
        },
        6,
    );
}

#[test]
fn random_digit_strings_long_mantissas_and_exponents() {
    run(
        "digits",
        1_500_000,
        |rng| {
            let ndigits = 1 + rng.below(28) as usize;
            let mut s = String::new();
            if rng.below(2) == 0 {
                s.push('-');
            }
            let point = rng.below(ndigits as u64 + 1) as usize;
            let mut int_part = String::new();
            let mut frac = String::new();
            for i in 0..ndigits {
                let d = char::from(b'0' + rng.below(10) as u8);
                if i < point {
                    int_part.push(d)
                } else {
                    frac.push(d)
                }
            }
            let int_part = int_part.trim_start_matches('0');
            s.push_str(if int_part.is_empty() { "0" } else { int_part });
            if !frac.is_empty() {
                s.push('.');
                s.push_str(&frac);
            }
            if rng.below(3) > 0 {
                let e = rng.below(110) as i64 - 60;
                s.push_str(&format!("e{e}"));
            }
            s
        },
        3,
    );
}

#[test]
fn subnormals_and_range_edges() {
    run(
        "subnormal",
        300_000,
        |rng| {
            let bits = rng.below(0x0100_0000) as u32; // subnormals and the smallest normals
            let v = f32::from_bits(bits);
            match rng.below(3) {
                0 => format!("{v:e}"),
                1 => format!("{:.20e}", v as f64),
                _ => format!(
                    "{:e}",
                    v as f64 * (1.0 + (rng.below(1000) as f64 - 500.0) * 1e-9)
                ),
            }
        },
        4,
    );
    for s in [
        "0",
        "-0",
        "0.0",
        "0e0",
        "0e-999",
        "-0.000e+5",
        "1e-45",
        "7e-46",
        "7.1e-46",
        "1.4e-45",
        "1.1754942e-38",
        "1.17549435e-38",
        "3.4028235e38",
        "3.40282347e+38",
        "3.4028236e38",
        "1e38",
        "1e39",
        "123456789",
        "1234567890123456789",
        "12345678901234567890",
        "0.000000000000000000000000000000000000000000001",
        "9.999999e37",
        "16777216",
        "16777217",
        "16777218",
        "16777219",
        "33554435",
        "1.5e10",
        "1e10",
        "1e11",
        "4294967296",
        "0.1",
        "0.2",
        "0.3",
        "2.5e-5",
        "1E5",
        "1e+05",
    ] {
        assert!(check(s), "{s}");
    }
    // Signed zero survives.
    assert_eq!(
        parse_number(b"-0").map(f32::to_bits),
        Ok((-0.0f32).to_bits())
    );
}

#[test]
fn json_grammar_is_enforced() {
    for s in [
        "+1", ".5", "1.", "01", "1e", "--1", "NaN", "inf", "Infinity", "0x10", "1_0", " 1", "1 ",
        "",
    ] {
        assert!(
            parse_number(s.as_bytes()).is_err(),
            "{s:?} must be rejected"
        );
    }
}
