//! Threads through `pthread_create`, for the workers and the shutdown thread:
//! `std::thread::spawn` brings ~40 KB into the bootstrap (thread names and handles, spawn
//! hooks, output capture, `RUST_MIN_STACK` parsing), and a thread that runs until the
//! process ends needs none of it. std's thread-locals, locks and panic hook work the same
//! in these threads.

use std::ffi::{c_int, c_void};

/// std's default stack size; musl's own default is 128 KiB, too little for a handler.
const STACK: usize = 2 * 1024 * 1024;

type Job = Box<dyn FnOnce() + Send>;

/// Starts a detached thread running `f`.
pub(crate) fn spawn(f: Job) -> std::io::Result<()> {
    extern "C" fn start(arg: *mut c_void) -> *mut c_void {
        // SAFETY: `arg` is the Box<Job> leaked by `spawn` for this thread alone.
        let job = unsafe { Box::from_raw(arg.cast::<Job>()) };
        // Unwinding must not cross this extern "C" frame: a panic (already reported to
        // Lambda by the hook) ends the process, as it does on the main thread in Lambda
        // builds (panic = abort).
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
            std::process::abort();
        }
        std::ptr::null_mut()
    }
    let arg = Box::into_raw(Box::new(f)).cast::<c_void>();
    let mut attr = PthreadAttr([0; 8]);
    let mut id: PthreadT = 0;
    // SAFETY: `attr` is at least as large and as aligned as pthread_attr_t on linux-musl
    // and linux-gnu (56 bytes, 8-aligned), initialised before use and destroyed after.
    // `start` has the signature pthread_create expects and takes ownership of `arg`; when
    // pthread_create fails no thread ran, and the Box is reclaimed here.
    let rc = unsafe {
        let mut rc = pthread_attr_init(&mut attr);
        if rc == 0 {
            rc = pthread_attr_setstacksize(&mut attr, STACK);
            if rc == 0 {
                rc = pthread_create(&mut id, &attr, start, arg);
            }
            pthread_attr_destroy(&mut attr);
        }
        if rc == 0 {
            pthread_detach(id);
        } else {
            drop(Box::from_raw(arg.cast::<Job>()));
        }
        rc
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(rc))
    }
}

/// `pthread_attr_t`: 56 bytes on 64-bit glibc and musl; 64 here.
#[repr(C)]
struct PthreadAttr([u64; 8]);
/// `pthread_t`: `unsigned long` in glibc, a pointer in musl; 64 bits either way.
type PthreadT = u64;

extern "C" {
    fn pthread_attr_init(attr: *mut PthreadAttr) -> c_int;
    fn pthread_attr_setstacksize(attr: *mut PthreadAttr, size: usize) -> c_int;
    fn pthread_attr_destroy(attr: *mut PthreadAttr) -> c_int;
    fn pthread_create(
        thread: *mut PthreadT,
        attr: *const PthreadAttr,
        start: extern "C" fn(*mut c_void) -> *mut c_void,
        arg: *mut c_void,
    ) -> c_int;
    fn pthread_detach(thread: PthreadT) -> c_int;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn runs_the_job_with_a_big_enough_stack() {
        let (tx, rx) = mpsc::channel();
        spawn(Box::new(move || {
            // 256 KiB on the stack (a few copies of it in debug builds): more than musl's
            // default thread stack holds.
            let big = std::hint::black_box([7u8; 256 * 1024]);
            let _ = tx.send(big.iter().map(|&b| u64::from(b)).sum::<u64>());
        }))
        .unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(7 * 256 * 1024));
    }
}
