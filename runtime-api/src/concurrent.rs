//! Lambda Managed Instances: several invocations in flight in one process. Lambda says how
//! many in `AWS_LAMBDA_MAX_CONCURRENCY`; rayo answers with that many blocking worker
//! threads, each with its own keep-alive connection polling `GET /next`. No async runtime:
//! a worker blocked in a handler is just a thread blocked, and the kernel schedules them.

use std::sync::{Arc, Condvar, Mutex};

use crate::client::Client;
use crate::endpoint::Endpoint;
use crate::handler::SharedHandler;
use crate::runtime::{serve, Buffered, Shared};
use crate::{Config, Error};

/// The variable Lambda Managed Instances set to the number of concurrent invocations an
/// execution environment receives.
pub const MAX_CONCURRENCY_VAR: &str = "AWS_LAMBDA_MAX_CONCURRENCY";
/// More workers than this is a mistake, not a configuration: refuse it rather than spawn
/// thousands of threads.
const MAX_WORKERS: usize = 4096;

/// `AWS_LAMBDA_MAX_CONCURRENCY` as a worker count: 1 when unset or empty.
pub fn max_concurrency() -> Result<usize, Error> {
    match std::env::var(MAX_CONCURRENCY_VAR) {
        Ok(v) => parse_max_concurrency(&v),
        Err(std::env::VarError::NotPresent) => Ok(1),
        Err(std::env::VarError::NotUnicode(v)) => Err(Error::Env {
            var: MAX_CONCURRENCY_VAR,
            value: Some(v.to_string_lossy().into_owned()),
            reason: "not valid UTF-8",
        }),
    }
}

fn parse_max_concurrency(value: &str) -> Result<usize, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(1);
    }
    match v.parse::<usize>() {
        Ok(n) if (1..=MAX_WORKERS).contains(&n) => Ok(n),
        _ => Err(Error::Env {
            var: MAX_CONCURRENCY_VAR,
            value: Some(value.to_string()),
            reason: "expected a whole number of concurrent invocations from 1 to 4096",
        }),
    }
}

/// Starts `workers` threads, each serving with its own connection; returns the first error
/// that stopped one of them.
pub(crate) fn serve_with_workers<H: SharedHandler>(
    endpoint: &Endpoint,
    config: &Arc<Config>,
    handler: H,
    workers: usize,
) -> Result<(), Error> {
    let handler = Arc::new(handler);
    let first_error: Arc<(Mutex<Option<Error>>, Condvar)> = Arc::default();
    for _ in 0..workers {
        let work = Box::new(Worker {
            client: Client::new(endpoint.clone()),
            config: Arc::clone(config),
            handler: Arc::clone(&handler),
            first_error: Arc::clone(&first_error),
        });
        crate::thread::spawn(Box::new(move || work.run())).map_err(|source| Error::Io {
            during: "starting a worker thread",
            source,
        })?;
    }
    // Every worker loops until an error; the first one is the answer.
    let (slot, cv) = &*first_error;
    let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        if let Some(e) = g.take() {
            return Err(e);
        }
        g = cv.wait(g).unwrap_or_else(|p| p.into_inner());
    }
}

struct Worker<H> {
    client: Client,
    config: Arc<Config>,
    handler: Arc<H>,
    first_error: Arc<(Mutex<Option<Error>>, Condvar)>,
}

impl<H: SharedHandler> Worker<H> {
    fn run(mut self) {
        let handler = Buffered(Shared(&*self.handler));
        let e = serve(&mut self.client, &self.config, handler, false);
        let (slot, cv) = &*self.first_error;
        let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
        g.get_or_insert(e);
        cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_concurrency_values() {
        assert_eq!(parse_max_concurrency("").unwrap(), 1);
        assert_eq!(parse_max_concurrency("1").unwrap(), 1);
        assert_eq!(parse_max_concurrency(" 32 ").unwrap(), 32);
        assert_eq!(parse_max_concurrency("4096").unwrap(), 4096);
        for bad in ["0", "-1", "4097", "four", "1.5", "99999999999999999999999"] {
            let e = parse_max_concurrency(bad).unwrap_err().to_string();
            assert!(
                e.contains("AWS_LAMBDA_MAX_CONCURRENCY") && e.contains(bad),
                "{bad}: {e}"
            );
        }
    }
}
