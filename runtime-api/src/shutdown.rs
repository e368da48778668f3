//! Graceful shutdown. Lambda sends SIGTERM before it stops an environment only when an
//! extension is registered; otherwise the process just gets SIGKILL. So, on request
//! ([`Runtime::on_shutdown`](crate::Runtime::on_shutdown)), rayo registers an internal extension that subscribes to no
//! events, and waits for SIGTERM in a thread of its own: the hooks run there, then the
//! process exits. Lambda gives the runtime about 500 ms for this (300 ms when only external
//! extensions are registered) before SIGKILL.
//!
//! No signal handler is installed: SIGTERM is blocked in the calling thread (and so in every
//! thread it spawns later, the workers included) and taken synchronously with `sigwait`,
//! so the hooks run as ordinary code, free to allocate, lock and do I/O.
//!
//! Nothing of this is linked into a binary that never calls `on_shutdown`.

use std::ffi::c_int;
use std::io::Write as _;
use std::sync::Mutex;

use crate::client::Client;
use crate::context::check_request_id;
use crate::endpoint::Endpoint;
use crate::Error;

/// The internal extension's name, as Lambda lists it.
pub const SHUTDOWN_EXTENSION_NAME: &str = "rayo-shutdown";

const REGISTER: &str = "/2020-01-01/extension/register";
const EVENT_NEXT: &str = "/2020-01-01/extension/event/next";

pub(crate) type Hook = Box<dyn FnOnce() + Send>;

/// The hooks to run, in registration order; `None` until the extension is registered.
static HOOKS: Mutex<Option<Vec<Hook>>> = Mutex::new(None);

/// Adds `hook`; the first call registers the extension and starts the thread that waits
/// for SIGTERM ([`Runtime::on_shutdown`](crate::Runtime::on_shutdown)).
pub(crate) fn add_hook(endpoint: &Endpoint, hook: Hook) -> Result<(), Error> {
    let mut hooks = HOOKS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(list) = hooks.as_mut() {
        list.push(hook);
        return Ok(());
    }
    let old = block_sigterm()?;
    match register(endpoint) {
        Ok((extension, id)) => {
            *hooks = Some(vec![hook]);
            drop(hooks);
            crate::thread::spawn(Box::new(move || wait_then_shut_down(extension, &id))).map_err(
                |source| Error::Io {
                    during: "starting the shutdown thread",
                    source,
                },
            )
        }
        Err(e) => {
            // Without the extension Lambda sends no SIGTERM: leave things as they were.
            set_mask(&old);
            Err(e)
        }
    }
}

/// Registers the extension; returns the client (its connection is reused for `event/next`)
/// and the extension's identifier.
fn register(endpoint: &Endpoint) -> Result<(Client, String), Error> {
    const DURING: &str = "POST /extension/register";
    let mut client = Client::with_timeout(endpoint.clone(), std::time::Duration::from_secs(5));
    let resp = client.call(
        DURING,
        "POST",
        &[REGISTER],
        &[("Lambda-Extension-Name", SHUTDOWN_EXTENSION_NAME.as_bytes())],
        b"{\"events\":[]}",
    )?;
    if resp.status != 200 {
        return Err(Error::Status {
            during: DURING,
            status: resp.status,
            body: String::from_utf8_lossy(&resp.body).into_owned(),
        });
    }
    let id = match resp.header("Lambda-Extension-Identifier") {
        Some(v) => String::from_utf8_lossy(v).into_owned(),
        None => {
            return Err(Error::Http {
                during: DURING,
                detail: "no Lambda-Extension-Identifier header in the answer".into(),
            })
        }
    };
    // It goes back in a header: accept only a plain token.
    if let Err(reason) = check_request_id(&id) {
        return Err(Error::Http {
            during: DURING,
            detail: format!("Lambda-Extension-Identifier {id:?} is {reason}"),
        });
    }
    Ok((client, id))
}

/// The shutdown thread: tells Lambda the extension is ready (`event/next`, never answered
/// since it subscribes to nothing; off the main thread, so the runtime's own first `/next`
/// does not wait for it), then waits for SIGTERM.
fn wait_then_shut_down(mut extension: Client, id: &str) {
    // The request's connection must stay open for the life of the process: `extension`
    // lives until the exit below.
    if let Err(e) = extension.send_only(
        "GET /extension/event/next",
        &[EVENT_NEXT],
        &[("Lambda-Extension-Identifier", id.as_bytes())],
    ) {
        // Lambda will see an extension that never became ready and fail the init.
        let _ = writeln!(
            std::io::stderr(),
            "rayo: the shutdown extension could not tell Lambda it is ready: {e}"
        );
    }
    let set = sigterm_set();
    loop {
        let mut sig: c_int = 0;
        // SAFETY: `set` is an initialised signal set and `sig` a valid place to write; SIGTERM
        // is blocked in this thread (inherited from the thread that spawned it), as sigwait
        // requires.
        let rc = unsafe { sigwait(&set, &mut sig) };
        if rc == 0 && sig == SIGTERM {
            break;
        }
    }
    let hooks = HOOKS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .unwrap_or_default();
    for hook in hooks {
        // A panicking hook must not stop the others, nor the exit (builds that unwind).
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook));
    }
    drop(extension);
    // Flushes stdout, then exits: Lambda would SIGKILL a process that lingers.
    std::process::exit(0)
}

// What the shutdown thread needs from the C library std already links (musl on Lambda,
// glibc on a developer's machine), declared here rather than through the libc crate.

/// `sigset_t`: 1024 bits in glibc and in musl (`unsigned long[128 / sizeof(long)]`).
#[repr(C)]
struct SigSet([u64; 16]);

// Linux's values, the same on x86_64 and aarch64.
const SIG_BLOCK: c_int = 0;
const SIG_SETMASK: c_int = 2;
const SIGTERM: c_int = 15;

extern "C" {
    fn sigemptyset(set: *mut SigSet) -> c_int;
    fn sigaddset(set: *mut SigSet, signum: c_int) -> c_int;
    fn pthread_sigmask(how: c_int, set: *const SigSet, old: *mut SigSet) -> c_int;
    fn sigwait(set: *const SigSet, sig: *mut c_int) -> c_int;
}

fn sigterm_set() -> SigSet {
    let mut set = SigSet([0; 16]);
    // SAFETY: `set` is a writable sigset_t-sized buffer; with a valid signal number these
    // cannot fail.
    unsafe {
        sigemptyset(&mut set);
        sigaddset(&mut set, SIGTERM);
    }
    set
}

/// Blocks SIGTERM in the calling thread; returns the mask it had.
fn block_sigterm() -> Result<SigSet, Error> {
    let set = sigterm_set();
    let mut old = SigSet([0; 16]);
    // SAFETY: both pointers are to sigset_t-sized buffers that live across the call.
    let rc = unsafe { pthread_sigmask(SIG_BLOCK, &set, &mut old) };
    if rc != 0 {
        return Err(Error::Io {
            during: "blocking SIGTERM for the shutdown thread",
            source: std::io::Error::from_raw_os_error(rc),
        });
    }
    Ok(old)
}

fn set_mask(mask: &SigSet) {
    // SAFETY: `mask` came from pthread_sigmask; a null old-mask pointer is allowed.
    unsafe {
        pthread_sigmask(SIG_SETMASK, mask, std::ptr::null_mut());
    }
}
