//! The weight file's checksum: fast enough to verify the whole 45 MB file at init (see
//! README, "What the checksum covers"), position-sensitive, and simple enough to specify in
//! a few lines so another tool can compute it.
//!
//! The input is read as little-endian u32 words in 32-byte blocks (the last block padded with
//! zeros). Eight lanes keep two wrapping u64 sums each, Fletcher-style: `a[j] += word[j]`,
//! `b[j] += a[j]`. So a change to any one word changes `a`, and moving data changes `b`. The
//! byte length and the sixteen sums are then folded through the SplitMix64 finaliser into one
//! u64. It detects corruption (bit rot, zeroed or truncated pages, a wrong file); it is not a
//! cryptographic hash, and is not meant to resist someone forging a file.

/// SplitMix64's finaliser: every input bit affects every output bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Distinguishes this checksum from a plain hash of the same sums.
const SEED: u64 = 0x7261_796f_2d77_7431; // "rayo-wt1"

#[inline(always)]
fn block(a: &mut [u64; 8], b: &mut [u64; 8], bytes: &[u8; 32]) {
    for j in 0..8 {
        let w = u32::from_le_bytes([
            bytes[4 * j],
            bytes[4 * j + 1],
            bytes[4 * j + 2],
            bytes[4 * j + 3],
        ]);
        a[j] = a[j].wrapping_add(u64::from(w));
        b[j] = b[j].wrapping_add(a[j]);
    }
}

/// The checksum of `bytes`.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut a = [0u64; 8];
    let mut b = [0u64; 8];
    let (blocks, rest) = bytes.as_chunks::<32>();
    for blk in blocks {
        block(&mut a, &mut b, blk);
    }
    if !rest.is_empty() {
        let mut last = [0u8; 32];
        last[..rest.len()].copy_from_slice(rest);
        block(&mut a, &mut b, &last);
    }
    let mut h = mix(SEED ^ bytes.len() as u64);
    for j in 0..8 {
        h = mix(h ^ a[j]);
        h = mix(h ^ b[j]);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, word by word, with no blocking: the fast loop must agree with it.
    fn plain(bytes: &[u8]) -> u64 {
        let mut a = [0u64; 8];
        let mut b = [0u64; 8];
        let words = bytes.len().div_ceil(32) * 8;
        for i in 0..words {
            let mut w = [0u8; 4];
            for (k, byte) in w.iter_mut().enumerate() {
                *byte = bytes.get(4 * i + k).copied().unwrap_or(0);
            }
            let lane = i % 8;
            a[lane] = a[lane].wrapping_add(u64::from(u32::from_le_bytes(w)));
            if lane == 7 {
                for j in 0..8 {
                    b[j] = b[j].wrapping_add(a[j]);
                }
            }
        }
        let mut h = mix(SEED ^ bytes.len() as u64);
        for j in 0..8 {
            h = mix(h ^ a[j]);
            h = mix(h ^ b[j]);
        }
        h
    }

    fn data(n: usize) -> Vec<u8> {
        let mut x = 0x1234_5678_9abc_def0u64;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_at_every_length_around_a_block() {
        let d = data(300);
        for n in 0..300 {
            assert_eq!(checksum(&d[..n]), plain(&d[..n]), "length {n}");
        }
    }

    #[test]
    fn detects_every_single_bit_flip_and_moves() {
        let d = data(1000);
        let base = checksum(&d);
        for i in 0..d.len() {
            for bit in 0..8 {
                let mut e = d.clone();
                e[i] ^= 1 << bit;
                assert_ne!(checksum(&e), base, "flip of bit {bit} in byte {i}");
            }
        }
        // Swapping two 32-byte blocks keeps every lane's sum `a`: `b` must catch it.
        let mut e = d.clone();
        e[..32].copy_from_slice(&d[64..96]);
        e[64..96].copy_from_slice(&d[..32]);
        assert_ne!(checksum(&e), base);
        // Trailing zeros are not the same file (the length is mixed in).
        let mut e = d.clone();
        e.push(0);
        assert_ne!(checksum(&e), base);
        assert_ne!(checksum(&[]), checksum(&[0]));
    }
}
