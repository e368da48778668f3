//! Request ids, trace ids and clock helpers. Ids need to be unique and look like Lambda's,
//! not to be unpredictable: a splitmix64 stream over a per-process seed and a counter.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);
static SEED: OnceLock<u64> = OnceLock::new();

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fresh pseudo-random u64. splitmix64 is a bijection, so distinct counter values give
/// distinct outputs within a process.
pub(crate) fn next_u64() -> u64 {
    let seed = *SEED.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        splitmix64(nanos ^ (u64::from(std::process::id()) << 32))
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    splitmix64(seed ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

/// A UUID v4 string such as `3f1c2a8e-5b7d-4e2f-9a1b-0c6d8e4f2a71`.
pub(crate) fn uuid_v4() -> String {
    let hi = next_u64();
    let lo = next_u64();
    // Version 4 in the high nibble of byte 6; RFC 4122 variant in byte 8.
    let hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// An X-Ray trace header as Lambda sends it in `Lambda-Runtime-Trace-Id`.
pub(crate) fn trace_id() -> String {
    let secs = epoch_ms() / 1000;
    format!(
        "Root=1-{:08x}-{:08x}{:016x};Parent={:016x};Sampled=0",
        secs as u32,
        next_u64() as u32,
        next_u64(),
        next_u64()
    )
}

pub(crate) fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `YYYY/MM/DD` (UTC) for log stream names.
pub(crate) fn utc_date(epoch_ms: u64) -> String {
    let (year, month, day) = rayo_wire::date::civil_from_days((epoch_ms / 86_400_000) as i64);
    format!("{year:04}/{month:02}/{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_are_v4_shaped_and_unique() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = uuid_v4();
            assert_eq!(id.len(), 36, "{id}");
            let b = id.as_bytes();
            assert_eq!(
                (b[8], b[13], b[18], b[23]),
                (b'-', b'-', b'-', b'-'),
                "{id}"
            );
            assert_eq!(b[14], b'4', "version nibble in {id}");
            assert!(
                matches!(b[19], b'8' | b'9' | b'a' | b'b'),
                "variant in {id}"
            );
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn trace_id_shape() {
        let t = trace_id();
        let rest = t.strip_prefix("Root=1-").expect("prefix");
        let (root, rest) = rest.split_once(";Parent=").expect("parent");
        assert_eq!(root.len(), 8 + 1 + 24, "{t}");
        let (parent, sampled) = rest.split_once(';').expect("sampled");
        assert_eq!(parent.len(), 16, "{t}");
        assert_eq!(sampled, "Sampled=0");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(utc_date(0), "1970/01/01");
        assert_eq!(utc_date(951_782_400_000), "2000/02/29");
        assert_eq!(utc_date(1_795_996_800_000), "2026/11/30");
    }
}
