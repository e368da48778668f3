//! Several `/next` long-polls at once (Lambda Managed Instances): each invocation goes to
//! exactly one waiting connection, and several are in flight together.
mod common;

use common::{response_path, Client, WAIT};
use rayo_emulator::{Config, Emulator, OutcomeKind};
use std::collections::HashSet;
use std::thread;

#[test]
fn four_connections_hold_four_invocations_at_once() {
    let emu = Emulator::start(Config::default()).expect("start");
    let addr = emu.addr();
    // Four pollers, each on its own keep-alive connection, all waiting before any event.
    let pollers: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(move || {
                let mut c = Client::connect(addr);
                let r = c.get("/2018-06-01/runtime/invocation/next");
                assert_eq!(r.status, 200);
                let id = r
                    .header("lambda-runtime-aws-request-id")
                    .unwrap()
                    .to_string();
                (c, id, r.body)
            })
        })
        .collect();
    for _ in 0..4 {
        emu.wait_next(WAIT).expect("four GET /next arrive");
    }
    let ids: Vec<String> = (0..4)
        .map(|i| emu.enqueue(emu.invocation(format!("[{i}]").into_bytes())))
        .collect();
    // Every poller got an event while none has answered yet: four in flight.
    let mut got: Vec<(Client, String, Vec<u8>)> =
        pollers.into_iter().map(|p| p.join().unwrap()).collect();
    let handed: HashSet<&String> = got.iter().map(|(_, id, _)| id).collect();
    assert_eq!(handed, ids.iter().collect::<HashSet<_>>());
    // Answered in reverse order, each on its own connection.
    for (c, id, body) in got.iter_mut().rev() {
        let mut answer = b"done ".to_vec();
        answer.extend_from_slice(body);
        assert_eq!(c.post(&response_path(id), "", &answer).status, 202);
    }
    for (i, id) in ids.iter().enumerate() {
        let out = emu.wait(id, WAIT).expect("outcome");
        assert_eq!(out.kind, OutcomeKind::Response);
        assert_eq!(out.body, format!("done [{i}]").into_bytes());
    }
    let stats = emu.stats();
    assert_eq!((stats.connections, stats.next_requests), (4, 4));
}
