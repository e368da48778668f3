//! State shared by the API, the accept loops and the connection threads: one mutex, one
//! condition variable notified on every change (the emulator serves a handful of
//! connections; simplicity beats lock granularity here).
use crate::pool::Pool;
use crate::{Config, EmuError, Fault, InitError, Invocation, Outcome, Stats};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long `Drop` waits for connection threads to notice the shutdown.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

#[derive(Default)]
pub(crate) struct State {
    pub queue: VecDeque<Invocation>,
    /// Handed out by `/next`, not answered yet: when the `/next` answer was written.
    pub pending: HashMap<String, Instant>,
    /// Answered (response or error): a second post gets 403.
    pub answered: RecentIds,
    pub outcomes: Outcomes,
    /// Streamed responses in progress, by request id (for the invoke endpoint).
    pub live: HashMap<String, crate::stream::Live>,
    /// Arrival instants of `GET /next` requests not yet returned by `wait_next`.
    pub next_arrivals: VecDeque<Instant>,
    pub init_errors: VecDeque<InitError>,
    pub faults: Vec<Fault>,
    pub stats: Stats,
    /// Clones of live connections, shut down on `Drop` to wake blocked reads.
    pub conns: HashMap<u64, TcpStream>,
    /// Worker threads alive (waiting in `accept` or serving a connection).
    pub live_threads: usize,
    /// One per listening port; stopped on `Drop`.
    pub pools: Vec<Arc<Pool>>,
    /// Registered with the Extensions API.
    pub extensions: crate::extension::Extensions,
}

/// How many answered request ids are remembered (for the 403 on a second answer), and how
/// many outcomes nobody has waited for yet are kept. Without a bound both grew by one entry per
/// invocation for the emulator's whole life (found while writing the load test); an id
/// older than this is simply unknown (400 instead of 403).
pub(crate) const REMEMBERED: usize = 65_536;

/// The most recent `REMEMBERED` answered request ids.
#[derive(Default)]
pub(crate) struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    pub(crate) fn insert(&mut self, id: String) -> bool {
        if !self.set.insert(id.clone()) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.set.len()
    }
}

/// Outcomes by request id, until waited for; at most `REMEMBERED` of them (oldest dropped).
#[derive(Default)]
pub(crate) struct Outcomes {
    map: HashMap<String, Outcome>,
    order: VecDeque<String>,
    /// `Emulator::outcomes` receivers: each gets a copy of every outcome as it arrives.
    taps: Vec<std::sync::mpsc::Sender<Outcome>>,
}

impl Outcomes {
    pub(crate) fn insert(&mut self, id: String, outcome: Outcome) -> Option<Outcome> {
        // A dropped receiver closes its tap.
        self.taps.retain(|tap| tap.send(outcome.clone()).is_ok());
        self.order.push_back(id.clone());
        let old = self.map.insert(id, outcome);
        // `order` may name outcomes already taken (then the remove is a no-op); an outcome
        // still unclaimed after REMEMBERED later ones is dropped.
        if self.order.len() > REMEMBERED {
            if let Some(oldest) = self.order.pop_front() {
                self.map.remove(&oldest);
            }
        }
        old
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<Outcome> {
        self.map.remove(id)
    }

    pub(crate) fn tap(&mut self) -> std::sync::mpsc::Receiver<Outcome> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.taps.push(tx);
        rx
    }

    /// Peeks without taking.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn get(&self, id: &str) -> Option<&Outcome> {
        self.map.get(id)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

pub(crate) struct Shared {
    pub config: Config,
    state: Mutex<State>,
    pub cond: Condvar,
    stopping: AtomicBool,
    next_conn_id: AtomicU64,
}

impl Shared {
    pub(crate) fn new(config: Config) -> Shared {
        Shared {
            config,
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
            stopping: AtomicBool::new(false),
            next_conn_id: AtomicU64::new(0),
        }
    }

    /// The URL prefix without surrounding slashes, if any.
    pub(crate) fn prefix(&self) -> Option<&str> {
        self.config
            .url_prefix
            .as_deref()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
    }

    /// Locks the state. A poisoned lock (a panicking thread) still holds consistent data
    /// for our purposes, so keep going rather than cascade the panic.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits on the condition variable for at most `d`.
    pub(crate) fn wait_for<'a>(
        &self,
        guard: MutexGuard<'a, State>,
        d: Duration,
    ) -> MutexGuard<'a, State> {
        match self.cond.wait_timeout(guard, d) {
            Ok((g, _)) => g,
            Err(e) => e.into_inner().0,
        }
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Waits until `ready` yields a value, the deadline passes or the emulator stops.
    fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &'static str,
        mut ready: impl FnMut(&mut State) -> Option<T>,
    ) -> Result<T, EmuError> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(v) = ready(&mut st) {
                return Ok(v);
            }
            if self.stopping() {
                return Err(EmuError::Stopped);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(EmuError::Timeout(what));
            }
            st = self.wait_for(st, deadline - now);
        }
    }

    pub(crate) fn enqueue(&self, inv: Invocation) -> String {
        let id = inv.request_id.clone();
        self.lock().queue.push_back(inv);
        self.cond.notify_all();
        id
    }

    /// Removes a queued invocation nobody has taken yet.
    pub(crate) fn withdraw(&self, id: &str) {
        self.lock().queue.retain(|inv| inv.request_id != id);
    }

    pub(crate) fn wait_outcome(&self, id: &str, timeout: Duration) -> Result<Outcome, EmuError> {
        self.wait_until(timeout, "the invocation's response or error", |st| {
            st.outcomes.remove(id)
        })
    }

    pub(crate) fn wait_next(&self, timeout: Duration) -> Result<Instant, EmuError> {
        self.wait_until(timeout, "a GET /next request", |st| {
            st.next_arrivals.pop_front()
        })
    }

    pub(crate) fn wait_init_error(&self, timeout: Duration) -> Result<InitError, EmuError> {
        self.wait_until(timeout, "a POST /runtime/init/error", |st| {
            st.init_errors.pop_front()
        })
    }

    pub(crate) fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
        // A `/next` already long-polling may be the one this fault applies to.
        self.cond.notify_all();
    }

    pub(crate) fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Registers a connection (a clone of its stream) for shutdown; returns its id, or
    /// `None` when the emulator is stopping.
    pub(crate) fn register_conn(&self, stream: &TcpStream) -> Option<u64> {
        let clone = stream.try_clone().ok()?;
        let id = self.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let mut st = self.lock();
        if self.stopping() {
            return None;
        }
        st.conns.insert(id, clone);
        Some(id)
    }

    pub(crate) fn unregister_conn(&self, id: u64) {
        self.lock().conns.remove(&id);
    }

    pub(crate) fn thread_started(&self) {
        self.lock().live_threads += 1;
    }

    pub(crate) fn thread_exited(&self) {
        let mut st = self.lock();
        st.live_threads = st.live_threads.saturating_sub(1);
        drop(st);
        self.cond.notify_all();
    }

    pub(crate) fn add_pool(&self, pool: Arc<Pool>) {
        self.lock().pools.push(pool);
    }

    /// Stops everything: wakes waiters, shuts every connection down, ends every accept
    /// pool, and waits (bounded) for the worker threads to exit.
    pub(crate) fn shutdown(&self) {
        self.stopping.store(true, Ordering::Release);
        let pools = {
            let mut st = self.lock();
            for conn in st.conns.values() {
                let _ = conn.shutdown(Shutdown::Both);
            }
            std::mem::take(&mut st.pools)
        };
        self.cond.notify_all();
        for pool in pools {
            pool.stop();
        }
        // Connections accepted while we were shutting the others down.
        let st = self.lock();
        for conn in st.conns.values() {
            let _ = conn.shutdown(Shutdown::Both);
        }
        let _ = self.wait_idle(st);
    }

    fn wait_idle(&self, st: MutexGuard<'_, State>) -> bool {
        let deadline = Instant::now() + DRAIN_LIMIT;
        let mut st = st;
        while st.live_threads > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st = self.wait_for(st, deadline - now);
        }
        true
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::*;
    use crate::OutcomeKind;

    fn outcome(id: &str) -> Outcome {
        Outcome {
            request_id: id.to_string(),
            kind: OutcomeKind::Response,
            body: Vec::new(),
            sent_at: Instant::now(),
            received_at: Instant::now(),
            stream: None,
        }
    }

    #[test]
    fn answered_ids_stay_bounded_and_recent_ones_are_kept() {
        let mut ids = RecentIds::default();
        for i in 0..REMEMBERED + 10 {
            assert!(ids.insert(format!("id-{i}")));
        }
        assert_eq!(ids.len(), REMEMBERED);
        assert!(!ids.contains("id-0"), "the oldest is forgotten");
        assert!(ids.contains(&format!("id-{}", REMEMBERED + 9)));
        assert!(
            !ids.insert(format!("id-{}", REMEMBERED + 9)),
            "a repeat is not new"
        );
    }

    #[test]
    fn unclaimed_outcomes_stay_bounded_and_claimed_ones_cost_nothing() {
        let mut out = Outcomes::default();
        out.insert("kept".into(), outcome("kept"));
        for i in 0..REMEMBERED - 1 {
            let id = format!("id-{i}");
            out.insert(id.clone(), outcome(&id));
            assert!(out.remove(&id).is_some(), "waited for at once");
        }
        assert!(out.get("kept").is_some(), "within the bound: still there");
        for i in 0..REMEMBERED + 5 {
            out.insert(format!("late-{i}"), outcome("late"));
        }
        assert_eq!(out.len(), REMEMBERED);
        assert!(
            out.get("kept").is_none(),
            "the oldest unclaimed one is dropped"
        );
        assert!(out.remove(&format!("late-{}", REMEMBERED + 4)).is_some());
    }
}
