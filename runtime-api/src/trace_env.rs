//! `_X_AMZN_TRACE_ID`, set for each invocation without leaking memory.
//!
//! glibc's `setenv` (behind `std::env::set_var`) never frees a value it replaces: it cannot
//! know whether someone still holds the old pointer, so a fresh trace id per invocation
//! leaked on glibc builds (docs/measurements/runtime.md). On glibc the variable is therefore
//! `putenv`'d from one of two buffers the runtime owns: each invocation fills the buffer that
//! is not in the environment and swaps it in, so a pointer read during the previous
//! invocation stays valid until the next one. musl's `setenv` frees what it replaces, so the Lambda (musl) build
//! keeps plain `set_var` and its size.

const NAME: &str = "_X_AMZN_TRACE_ID";
/// `NAME=value\0` up to this size goes through the buffers (X-Ray headers are ~100 bytes);
/// a longer one falls back to `set_var`.
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
const CAP: usize = 512;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use super::{CAP, NAME};
    use std::sync::Mutex;

    extern "C" {
        fn putenv(string: *mut std::ffi::c_char) -> std::ffi::c_int;
    }

    struct Slots {
        bufs: [*mut u8; 2],
        /// The buffer to fill next (the other one may be in the environment).
        next: usize,
    }

    // SAFETY: the pointers are to buffers leaked for the life of the process, and only ever
    // written under SLOTS' lock.
    unsafe impl Send for Slots {}

    static SLOTS: Mutex<Option<Slots>> = Mutex::new(None);

    fn leaked_buffer() -> *mut u8 {
        Box::leak(vec![0u8; CAP].into_boxed_slice()).as_mut_ptr()
    }

    pub(super) fn set(id: Option<&str>) {
        let mut guard = SLOTS.lock().unwrap_or_else(|e| e.into_inner());
        let slots = guard.get_or_insert_with(|| Slots {
            bufs: [leaked_buffer(), leaked_buffer()],
            next: 0,
        });
        let Some(id) = id else {
            std::env::remove_var(NAME);
            return;
        };
        let len = NAME.len() + 1 + id.len() + 1;
        // Asked of the environment, not remembered: a handler may have removed it.
        if std::env::var_os(NAME).is_none() || len > CAP || id.contains('\0') {
            // Adding a variable may reallocate the environment array: leave that to std,
            // which holds its environment lock. Happens once, and after an invocation
            // without a trace id (Lambda always sends one).
            std::env::set_var(NAME, id);
            return;
        }
        let buf = slots.bufs[slots.next];
        slots.next ^= 1;
        // SAFETY: `buf` points to CAP bytes leaked for the life of the process and written
        // only here, under the lock; `len <= CAP`. It is not the buffer the environment
        // points to now (slots alternate, and the other one, or a std-owned value, is in the
        // environment), so no reader of the current value sees this write. `putenv` then
        // replaces the existing entry's pointer (the variable is present, so glibc swaps it
        // in place, without reallocating the array) and keeps the buffer, which is never
        // freed.
        unsafe {
            let out = std::slice::from_raw_parts_mut(buf, CAP);
            out[..NAME.len()].copy_from_slice(NAME.as_bytes());
            out[NAME.len()] = b'=';
            out[NAME.len() + 1..len - 1].copy_from_slice(id.as_bytes());
            out[len - 1] = 0;
            if putenv(buf.cast()) != 0 {
                std::env::set_var(NAME, id);
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub(super) fn set(id: Option<&str>) {
        match id {
            Some(id) => std::env::set_var(super::NAME, id),
            None => std::env::remove_var(super::NAME),
        }
    }
}

/// X-Ray and the AWS SDKs read the trace id from `_X_AMZN_TRACE_ID` during the invocation.
pub(crate) fn set(id: Option<&str>) {
    imp::set(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss_kib() -> Option<u64> {
        let s = std::fs::read_to_string("/proc/self/status").ok()?;
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Set in the child process that measures memory alone (see below).
    const ALONE: &str = "RAYO_TRACE_ENV_TEST_ALONE";
    const TEST: &str = "trace_env::tests::values_are_seen_and_replacing_them_does_not_grow_memory";

    // One test: the environment is process-wide, and nothing else in this crate's unit tests
    // reads this variable. RSS is process-wide too, and the other tests running beside this
    // one allocate megabytes (HTTP bodies, thread stacks), so on glibc the whole test reruns
    // in a child process that runs nothing else, and the memory check is made there.
    #[test]
    fn values_are_seen_and_replacing_them_does_not_grow_memory() {
        if cfg!(target_env = "gnu") && std::env::var_os(ALONE).is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([TEST, "--exact", "--test-threads=1", "--nocapture"])
                .env(ALONE, "1")
                .output()
                .expect("the test binary reruns itself");
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "alone, the test failed:\n{text}");
            // The child ran this test (not zero tests, which also succeeds) and measured.
            assert!(
                text.contains("1 passed"),
                "the child did not run the test:\n{text}"
            );
            assert!(
                text.contains("memory check: RSS"),
                "no memory check ran:\n{text}"
            );
            return;
        }
        let get = || std::env::var(NAME).ok();
        set(Some("Root=1-a"));
        assert_eq!(get().as_deref(), Some("Root=1-a"));
        set(Some("Root=1-b;Parent=c;Sampled=1"));
        assert_eq!(get().as_deref(), Some("Root=1-b;Parent=c;Sampled=1"));
        set(Some("x"));
        assert_eq!(get().as_deref(), Some("x"));
        set(None);
        assert_eq!(get(), None);
        set(Some("back"));
        assert_eq!(get().as_deref(), Some("back"));
        let long = "L".repeat(CAP);
        set(Some(&long));
        assert_eq!(get().as_deref(), Some(long.as_str()));
        set(Some("short again"));
        assert_eq!(get().as_deref(), Some("short again"));
        // Removed behind the runtime's back (a handler may): set again all the same.
        std::env::remove_var(NAME);
        set(Some("after removal"));
        assert_eq!(get().as_deref(), Some("after removal"));
        set(Some("and replaced"));
        assert_eq!(get().as_deref(), Some("and replaced"));

        // 200,000 distinct ids: with set_var that leaks ~25 MB on glibc (musl frees).
        let before = rss_kib();
        for i in 0..200_000u32 {
            let id = format!("Root=1-5759e988-bd862e3fe1be46a9{i:08x};Parent=53995c3f42cd8ad8");
            set(Some(&id));
        }
        assert!(get().is_some_and(|v| v.ends_with("0030d3f;Parent=53995c3f42cd8ad8")));
        match (before, rss_kib()) {
            // The buffers exist on glibc; elsewhere (musl, possibly under qemu, whose own
            // RSS is what /proc shows) only the values are checked.
            (Some(b), Some(a)) if cfg!(target_env = "gnu") => {
                assert!(a < b + 4096, "RSS grew from {b} to {a} KiB");
                eprintln!("memory check: RSS {b} -> {a} KiB over 200,000 ids");
            }
            _ => eprintln!("not a glibc build with /proc: the memory check did not run"),
        }
    }
}
