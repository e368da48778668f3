//! Threads already waiting in `accept`, so a new connection's first bytes are read by a
//! thread that exists: spawning a thread per connection put 50 µs to 1 ms (on a loaded
//! 2-vCPU box) between a bootstrap's first `GET /next` and the instant we record for it,
//! which is the cold-start figure.
//!
//! The thread that accepts a connection serves it to the end, then goes back to waiting
//! (or exits when enough others are waiting). A spawner thread keeps `MIN_IDLE` waiting,
//! refilling a little late so the spawn does not compete with the connection just taken.
use crate::server::{serve_accepted, Service};
use crate::state::Shared;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const MIN_IDLE: usize = 2;
const MAX_IDLE: usize = 4;
const REFILL_DELAY: Duration = Duration::from_millis(20);
/// How long `start` waits for the first threads to reach `accept`.
const READY_LIMIT: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Counts {
    /// Threads in (or about to enter) `accept`.
    idle: usize,
    /// Threads spawned that have not reached `accept` yet.
    starting: usize,
}

pub(crate) struct Pool {
    listener: TcpListener,
    addr: SocketAddr,
    service: Service,
    counts: Mutex<Counts>,
    cv: Condvar,
    spawner: Mutex<Option<JoinHandle<()>>>,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, g: MutexGuard<'a, Counts>, d: Duration) -> MutexGuard<'a, Counts> {
        match self.cv.wait_timeout(g, d) {
            Ok((g, _)) => g,
            Err(e) => e.into_inner().0,
        }
    }

    /// Ends the spawner and every thread waiting in `accept` (the emulator is stopping).
    pub(crate) fn stop(&self) {
        // Taking the lock orders this after the spawner's check of the stop flag, so the
        // wake-up cannot fall between its check and its wait.
        drop(self.lock());
        self.cv.notify_all();
        let spawner = self
            .spawner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(h) = spawner {
            let _ = h.join();
        }
        // Each connection wakes one thread in `accept`; it sees the stop flag and exits.
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut c = self.lock();
        while c.idle + c.starting > 0 && Instant::now() < deadline {
            let n = c.idle.max(1);
            drop(c);
            for _ in 0..n {
                let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(100));
            }
            c = self.lock();
            c = self.wait(c, Duration::from_millis(20));
        }
    }
}

/// Starts serving `listener`; returns once the first threads wait in `accept`.
pub(crate) fn start(
    shared: &Arc<Shared>,
    listener: TcpListener,
    service: Service,
) -> std::io::Result<SocketAddr> {
    let addr = listener.local_addr()?;
    let pool = Arc::new(Pool {
        listener,
        addr,
        service,
        counts: Mutex::new(Counts::default()),
        cv: Condvar::new(),
        spawner: Mutex::new(None),
    });
    shared.add_pool(Arc::clone(&pool));
    for _ in 0..MIN_IDLE {
        pool.lock().starting += 1;
        spawn_worker(shared, &pool)?;
    }
    let (sh, p) = (Arc::clone(shared), Arc::clone(&pool));
    let spawner = thread::Builder::new()
        .name(format!("emulator-spawner-{}", addr.port()))
        .spawn(move || spawner_loop(&sh, &p))?;
    *pool.spawner.lock().unwrap_or_else(|e| e.into_inner()) = Some(spawner);
    let deadline = Instant::now() + READY_LIMIT;
    let mut c = pool.lock();
    while c.idle < MIN_IDLE && Instant::now() < deadline {
        c = pool.wait(c, Duration::from_millis(10));
    }
    Ok(addr)
}

/// Spawns one worker; the caller has counted it in `starting`.
fn spawn_worker(shared: &Arc<Shared>, pool: &Arc<Pool>) -> std::io::Result<()> {
    let (sh, p) = (Arc::clone(shared), Arc::clone(pool));
    shared.thread_started();
    let spawned = thread::Builder::new()
        .name(format!("emulator-{}", pool.addr.port()))
        .spawn(move || {
            worker(&sh, &p);
            // Release the listener before reporting the exit: Drop promises it is closed.
            drop(p);
            sh.thread_exited();
        });
    if let Err(e) = spawned {
        shared.thread_exited();
        pool.lock().starting -= 1;
        return Err(e);
    }
    Ok(())
}

fn worker(shared: &Shared, pool: &Pool) {
    {
        let mut c = pool.lock();
        c.starting = c.starting.saturating_sub(1);
        c.idle += 1;
    }
    pool.cv.notify_all();
    loop {
        let accepted = pool.listener.accept();
        {
            let mut c = pool.lock();
            c.idle = c.idle.saturating_sub(1);
        }
        pool.cv.notify_all();
        if shared.stopping() {
            return;
        }
        match accepted {
            Ok((stream, _)) => serve_accepted(shared, stream, pool.service),
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
        if shared.stopping() {
            return;
        }
        let mut c = pool.lock();
        if c.idle + c.starting >= MAX_IDLE {
            return;
        }
        c.idle += 1;
    }
}

fn spawner_loop(shared: &Arc<Shared>, pool: &Arc<Pool>) {
    let mut c = pool.lock();
    let mut refill_at: Option<Instant> = None;
    loop {
        if shared.stopping() {
            return;
        }
        if c.idle + c.starting >= MIN_IDLE {
            refill_at = None;
            c = pool.wait(c, Duration::from_millis(500));
            continue;
        }
        // With someone still in `accept`, refill late; with no one, at once.
        let due = *refill_at.get_or_insert_with(|| Instant::now() + REFILL_DELAY);
        let now = Instant::now();
        if c.idle > 0 && now < due {
            c = pool.wait(c, due - now);
            continue;
        }
        refill_at = None;
        c.starting += 1;
        drop(c);
        if spawn_worker(shared, pool).is_err() {
            thread::sleep(Duration::from_millis(10));
        }
        c = pool.lock();
    }
}
