//! The Runtime API as a raw TCP client sees it: status codes, headers, keep-alive, chunked
//! bodies, prefix mode, limits, malformed input and shutdown.
mod common;

use common::{error_path, response_path, Client, NEXT, WAIT};
use rayo_emulator::{Config, EmuError, Emulator, Invocation, OutcomeKind, MAX_RESPONSE_BYTES};
use std::io::Write;
use std::time::{Duration, Instant};

fn start() -> Emulator {
    Emulator::start(Config::default()).expect("start the emulator")
}

#[test]
fn next_carries_every_header_and_response_round_trips() {
    let emu = start();
    let mut inv = emu.invocation(b"{\"x\":1}".to_vec());
    inv.client_context = Some("{\"custom\":{\"k\":\"v\"}}".into());
    inv.cognito_identity = Some("{\"cognitoIdentityId\":\"id-1\"}".into());
    inv.tenant_id = Some("tenant-7".into());
    let expected = inv.clone();
    let id = emu.enqueue(inv);
    assert_eq!(id, expected.request_id);

    let mut c = Client::connect(emu.addr());
    let next = c.get(NEXT);
    assert_eq!(next.status, 200);
    assert_eq!(next.body, b"{\"x\":1}");
    assert_eq!(
        next.header("Lambda-Runtime-Aws-Request-Id"),
        Some(id.as_str())
    );
    assert_eq!(
        next.header("Lambda-Runtime-Deadline-Ms"),
        Some(expected.deadline_ms.to_string().as_str())
    );
    assert_eq!(
        next.header("Lambda-Runtime-Invoked-Function-Arn"),
        Some("arn:aws:lambda:us-east-1:123456789012:function:rayo-function")
    );
    assert_eq!(
        next.header("Lambda-Runtime-Trace-Id"),
        expected.trace_id.as_deref()
    );
    assert!(next
        .header("Lambda-Runtime-Trace-Id")
        .is_some_and(|t| t.starts_with("Root=1-") && t.contains(";Parent=")));
    assert_eq!(
        next.header("Lambda-Runtime-Client-Context"),
        Some("{\"custom\":{\"k\":\"v\"}}")
    );
    assert_eq!(
        next.header("Lambda-Runtime-Cognito-Identity"),
        Some("{\"cognitoIdentityId\":\"id-1\"}")
    );
    assert_eq!(
        next.header("Lambda-Runtime-Aws-Tenant-Id"),
        Some("tenant-7")
    );
    assert_eq!(next.header("Content-Type"), Some("application/json"));
    assert_eq!(next.header("Content-Length"), Some("7"));

    let posted = c.post(&response_path(&id), "", b"{\"ok\":true}");
    assert_eq!(posted.status, 202);
    assert_eq!(posted.text(), "{\"status\":\"OK\"}");

    let out = emu.wait(&id, WAIT).expect("outcome");
    assert_eq!(out.request_id, id);
    assert_eq!(out.kind, OutcomeKind::Response);
    assert_eq!(out.body, b"{\"ok\":true}");
    assert!(out.sent_at <= out.received_at);

    let arrived = emu.wait_next(WAIT).expect("the GET /next was recorded");
    assert!(
        arrived <= out.sent_at,
        "arrival is taken before the answer is written"
    );
    let stats = emu.stats();
    assert_eq!(
        (stats.connections, stats.next_requests, stats.responses),
        (1, 1, 1)
    );
}

#[test]
fn optional_headers_are_absent_when_unset() {
    let emu = start();
    let mut inv = emu.invocation(b"{}".to_vec());
    inv.trace_id = None;
    emu.enqueue(inv);
    let mut c = Client::connect(emu.addr());
    let next = c.get(NEXT);
    for name in [
        "Lambda-Runtime-Trace-Id",
        "Lambda-Runtime-Client-Context",
        "Lambda-Runtime-Cognito-Identity",
        "Lambda-Runtime-Aws-Tenant-Id",
    ] {
        assert_eq!(next.header(name), None, "{name}");
    }
}

#[test]
fn keep_alive_serves_many_invocations_on_one_connection() {
    let emu = start();
    let mut c = Client::connect(emu.addr());
    for i in 0..50 {
        let id = emu.enqueue(Invocation::new(format!("{{\"i\":{i}}}").into_bytes()));
        let next = c.get(NEXT);
        assert_eq!(
            next.header("Lambda-Runtime-Aws-Request-Id"),
            Some(id.as_str())
        );
        assert_eq!(
            next.header("Connection"),
            None,
            "HTTP/1.1 keeps the connection"
        );
        assert_eq!(c.post(&response_path(&id), "", &next.body).status, 202);
        let out = emu.wait(&id, WAIT).expect("outcome");
        assert_eq!(out.body, format!("{{\"i\":{i}}}").into_bytes());
    }
    let stats = emu.stats();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.next_requests, 50);
    assert_eq!(stats.responses, 50);
}

#[test]
fn long_poll_blocks_until_an_invocation_is_queued() {
    let emu = start();
    let addr = emu.addr();
    let poller = std::thread::spawn(move || {
        let mut c = Client::connect(addr);
        c.get(NEXT)
    });
    // Only once the emulator has seen the GET do we queue the event.
    emu.wait_next(WAIT).expect("GET /next arrives");
    assert!(!poller.is_finished(), "/next answered with nothing queued");
    let id = emu.enqueue(Invocation::new(b"late".to_vec()));
    let next = poller.join().expect("poller thread");
    assert_eq!(next.status, 200);
    assert_eq!(
        next.header("Lambda-Runtime-Aws-Request-Id"),
        Some(id.as_str())
    );
}

#[test]
fn unknown_id_is_400_and_a_second_answer_is_403() {
    let emu = start();
    let mut c = Client::connect(emu.addr());
    let unknown = c.post(&response_path("no-such-id"), "", b"{}");
    assert_eq!(unknown.status, 400);
    assert!(unknown.text().contains("no-such-id"), "{}", unknown.text());

    // Queued but not handed out yet: still unknown to the runtime.
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    assert_eq!(c.post(&response_path(&id), "", b"{}").status, 400);

    c.get(NEXT);
    assert_eq!(c.post(&response_path(&id), "", b"first").status, 202);
    assert_eq!(c.post(&response_path(&id), "", b"second").status, 403);
    assert_eq!(c.post(&error_path(&id), "", b"third").status, 403);
    let out = emu.wait(&id, WAIT).expect("outcome");
    assert_eq!(out.body, b"first");
    assert_eq!(emu.stats().responses, 1);
}

#[test]
fn error_post_records_the_error_type() {
    let emu = start();
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    c.get(NEXT);
    let body = br#"{"errorMessage":"boom","errorType":"Handler.Boom","stackTrace":[]}"#;
    let r = c.post(
        &error_path(&id),
        "Lambda-Runtime-Function-Error-Type: Handler.Boom\r\n",
        body,
    );
    assert_eq!(r.status, 202);
    let out = emu.wait(&id, WAIT).expect("outcome");
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("Handler.Boom".into())
        }
    );
    assert_eq!(out.body, body);
    assert_eq!(emu.stats().errors, 1);
}

#[test]
fn init_error_is_accepted_and_recorded() {
    let emu = start();
    let mut c = Client::connect(emu.addr());
    let r = c.post(
        "/2018-06-01/runtime/init/error",
        "Lambda-Runtime-Function-Error-Type: Runtime.InitError\r\n",
        b"{\"errorMessage\":\"no config\"}",
    );
    assert_eq!(r.status, 202);
    let e = emu.wait_init_error(WAIT).expect("init error");
    assert_eq!(e.error_type.as_deref(), Some("Runtime.InitError"));
    assert_eq!(e.body, b"{\"errorMessage\":\"no config\"}");
    assert_eq!(emu.stats().init_errors, 1);
}

#[test]
fn oversized_response_is_413_and_becomes_a_function_error() {
    let emu = start();
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    c.get(NEXT);
    let big = vec![b'a'; MAX_RESPONSE_BYTES + 1];
    let r = c.post(&response_path(&id), "", &big);
    assert_eq!(r.status, 413);
    let out = emu.wait(&id, WAIT).expect("outcome");
    assert_eq!(
        out.kind,
        OutcomeKind::Error {
            error_type: Some("Function.ResponseSizeTooLarge".into())
        }
    );
    // The body was drained, so the connection is still good for the next invocation.
    let id2 = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let next = c.get(NEXT);
    assert_eq!(
        next.header("Lambda-Runtime-Aws-Request-Id"),
        Some(id2.as_str())
    );
    // Exactly at the limit is fine.
    let exact = vec![b'b'; MAX_RESPONSE_BYTES];
    assert_eq!(c.post(&response_path(&id2), "", &exact).status, 202);
    assert_eq!(
        emu.wait(&id2, WAIT).expect("outcome").body.len(),
        MAX_RESPONSE_BYTES
    );
    assert_eq!(emu.stats().connections, 1);
}

#[test]
fn absurd_content_length_is_413_and_closes() {
    let emu = start();
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    c.get(NEXT);
    c.send(
        format!(
            "POST {} HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\nabc",
            response_path(&id)
        )
        .as_bytes(),
    );
    let r = c.read_response().expect("413");
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Connection"), Some("close"));
    assert!(c.is_closed());
}

#[test]
fn chunked_request_bodies_are_joined() {
    let emu = start();
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    c.get(NEXT);
    c.send(
        format!(
            "POST {} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
             5\r\nhello\r\n1;ext=1\r\n,\r\nA\r\n world....\r\n0\r\nTrailer: x\r\n\r\n",
            response_path(&id)
        )
        .as_bytes(),
    );
    assert_eq!(c.read_response().expect("answer").status, 202);
    assert_eq!(
        emu.wait(&id, WAIT).expect("outcome").body,
        b"hello, world...."
    );
    // And the connection is still in step for the next request.
    assert_eq!(c.post(&response_path(&id), "", b"x").status, 403);
}

#[test]
fn chunked_body_over_the_limit_is_413() {
    let emu = start();
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    c.get(NEXT);
    c.send(
        format!(
            "POST {} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            response_path(&id)
        )
        .as_bytes(),
    );
    let chunk = vec![b'z'; 1 << 20];
    for _ in 0..7 {
        c.send(format!("{:x}\r\n", chunk.len()).as_bytes());
        c.send(&chunk);
        c.send(b"\r\n");
    }
    c.send(b"0\r\n\r\n");
    assert_eq!(c.read_response().expect("answer").status, 413);
    assert!(matches!(
        emu.wait(&id, WAIT).expect("outcome").kind,
        OutcomeKind::Error { .. }
    ));
}

#[test]
fn malformed_requests_get_400_and_a_closed_connection() {
    let emu = start();
    let cases: [&[u8]; 8] = [
        b"GARBAGE\r\n\r\n",
        b"GET /x HTTP/2.0\r\n\r\n",
        b"GET /x HTTP/1.1\r\nNo colon here\r\n\r\n",
        b"GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"GET /x HTTP/1.1\nHost: bare-lf\n\n\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ];
    for raw in cases {
        let mut c = Client::connect(emu.addr());
        c.send(raw);
        let r = c
            .read_response()
            .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(raw)));
        assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(raw));
        assert!(r.text().contains("bad request"), "{}", r.text());
        assert!(c.is_closed(), "{:?}", String::from_utf8_lossy(raw));
    }
    assert_eq!(emu.stats().malformed_requests, cases.len());
    // The emulator still works afterwards.
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    assert_eq!(
        c.get(NEXT).header("Lambda-Runtime-Aws-Request-Id"),
        Some(id.as_str())
    );
}

#[test]
fn oversized_request_head_is_refused() {
    let emu = start();
    let mut c = Client::connect(emu.addr());
    let mut raw = b"GET /x HTTP/1.1\r\n".to_vec();
    for i in 0..5000 {
        raw.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "v".repeat(20)).as_bytes());
    }
    // The server may answer and close before reading it all; a failed write is fine.
    let _ = c.writer.write_all(&raw);
    let r = c.read_response().expect("an answer");
    assert_eq!(r.status, 400);
}

#[test]
fn unknown_paths_and_methods() {
    let emu = start();
    let mut c = Client::connect(emu.addr());
    assert_eq!(c.get("/2018-06-01/runtime/nothing").status, 404);
    assert_eq!(c.post(NEXT, "", b"").status, 405);
    assert_eq!(c.get(&response_path("abc")).status, 405);
    // The connection survives those.
    assert_eq!(c.get("/").status, 404);
    assert_eq!(emu.stats().connections, 1);
}

#[test]
fn http10_and_connection_close_end_the_connection() {
    let emu = start();
    let mut c = Client::connect(emu.addr());
    c.send(b"GET /nope HTTP/1.0\r\n\r\n");
    assert_eq!(
        c.read_response().expect("answer").header("Connection"),
        Some("close")
    );
    assert!(c.is_closed());
    let mut c = Client::connect(emu.addr());
    c.send(b"GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(c.read_response().expect("answer").status, 404);
    assert!(c.is_closed());
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let emu = start();
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    c.get(NEXT);
    let path = response_path(&id);
    let one = |body: &str| format!("POST {path} HTTP/1.1\r\nContent-Length: 2\r\n\r\n{body}");
    c.send(format!("{}{}", one("ok"), one("no")).as_bytes());
    assert_eq!(c.read_response().expect("first").status, 202);
    assert_eq!(c.read_response().expect("second").status, 403);
    assert_eq!(emu.wait(&id, WAIT).expect("outcome").body, b"ok");
}

#[test]
fn prefix_mode() {
    let emu = Emulator::start(Config {
        url_prefix: Some("/custom/prefix/".into()),
        ..Config::default()
    })
    .expect("start");
    let api = emu.runtime_api();
    assert_eq!(
        api,
        format!("http://127.0.0.1:{}/custom/prefix", emu.addr().port())
    );
    assert!(emu
        .lambda_env()
        .contains(&("AWS_LAMBDA_RUNTIME_API".to_string(), api)));
    let id = emu.enqueue(Invocation::new(b"{\"p\":1}".to_vec()));
    let mut c = Client::connect(emu.addr());
    assert_eq!(
        c.get(NEXT).status,
        404,
        "bare paths are not served in prefix mode"
    );
    let next = c.get(&format!("/custom/prefix{NEXT}"));
    assert_eq!(next.body, b"{\"p\":1}");
    let r = c.post(
        &format!("/custom/prefix{}", response_path(&id)),
        "",
        b"done",
    );
    assert_eq!(r.status, 202);
    assert_eq!(emu.wait(&id, WAIT).expect("outcome").body, b"done");
    assert_eq!(c.get(&format!("/custom/prefixx{NEXT}")).status, 404);
}

#[test]
fn plain_runtime_api_is_host_port() {
    let emu = start();
    assert_eq!(
        emu.runtime_api(),
        format!("127.0.0.1:{}", emu.addr().port())
    );
}

#[test]
fn waits_are_bounded() {
    let emu = start();
    let t = Instant::now();
    assert!(matches!(
        emu.wait_next(Duration::from_millis(50)),
        Err(EmuError::Timeout(_))
    ));
    assert!(matches!(
        emu.wait("nope", Duration::from_millis(50)),
        Err(EmuError::Timeout(_))
    ));
    assert!(matches!(
        emu.wait_init_error(Duration::from_millis(50)),
        Err(EmuError::Timeout(_))
    ));
    let e = emu
        .invoke(b"{}".to_vec(), Duration::from_millis(50))
        .unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(3));
    // The timed-out invoke was withdrawn: a runtime arriving later does not get it.
    let mut c = Client::connect(emu.addr());
    let id = emu.enqueue(Invocation::new(b"fresh".to_vec()));
    assert_eq!(
        c.get(NEXT).header("Lambda-Runtime-Aws-Request-Id"),
        Some(id.as_str())
    );
}

#[test]
fn drop_ends_a_pending_long_poll_promptly() {
    let emu = start();
    let addr = emu.addr();
    let poller = std::thread::spawn(move || {
        let mut c = Client::connect(addr);
        c.send(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
        let t = Instant::now();
        let r = c.read_response();
        (r.is_err(), t.elapsed())
    });
    emu.wait_next(WAIT).expect("the long-poll arrived");
    let t = Instant::now();
    drop(emu);
    let dropped_in = t.elapsed();
    let (no_answer, _) = poller.join().expect("poller");
    assert!(
        no_answer,
        "the long-poll saw the connection close, not an answer"
    );
    assert!(
        dropped_in < Duration::from_secs(1),
        "drop took {dropped_in:?}"
    );
    // Nothing listens any more.
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn invocation_new_fills_every_field() {
    let a = Invocation::new(b"e".to_vec());
    let b = Invocation::new(b"e".to_vec());
    assert_ne!(a.request_id, b.request_id);
    assert_eq!(
        a.function_arn,
        "arn:aws:lambda:us-east-1:123456789012:function:rayo-function"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    assert!(
        a.deadline_ms > now && a.deadline_ms <= now + 3_000,
        "{}",
        a.deadline_ms
    );
    assert!(a.trace_id.is_some());
    let custom = Config {
        function_name: "f2".into(),
        region: "eu-west-3".into(),
        timeout: Duration::from_secs(60),
        ..Config::default()
    };
    let c = Invocation::for_config(vec![], &custom);
    assert_eq!(
        c.function_arn,
        "arn:aws:lambda:eu-west-3:123456789012:function:f2"
    );
    assert!(c.deadline_ms >= now + 59_000);
}

/// Random bytes on many connections: every one is answered or closed, none hangs, and the
/// emulator keeps serving.
#[test]
fn random_garbage_connections_never_wedge_the_server() {
    let emu = start();
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces: [&[u8]; 8] = [
        b"GET ",
        b"POST ",
        b"/2018-06-01/runtime/invocation/next",
        b" HTTP/1.1\r\n",
        b"Content-Length: 5\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"\r\n",
        b"\xff\x00zz",
    ];
    for _ in 0..100 {
        let mut raw = Vec::new();
        for _ in 0..(rnd() % 8) {
            if rnd() % 3 == 0 {
                raw.push(rnd() as u8);
            } else {
                raw.extend_from_slice(pieces[(rnd() % 8) as usize]);
            }
        }
        let mut c = Client::connect(emu.addr());
        let _ = c.writer.write_all(&raw);
        let _ = c.writer.shutdown(std::net::Shutdown::Write);
        // A long-poll /next may legitimately wait; everything else must end.
        let parked = raw.starts_with(format!("GET {NEXT} HTTP/1.1\r\n\r\n").as_bytes());
        if !parked {
            let t = Instant::now();
            assert!(c.is_closed(), "{:?}", String::from_utf8_lossy(&raw));
            assert!(t.elapsed() < WAIT);
        }
    }
    let id = emu.enqueue(Invocation::new(b"{}".to_vec()));
    let mut c = Client::connect(emu.addr());
    let next = c.get(NEXT);
    assert_eq!(
        next.header("Lambda-Runtime-Aws-Request-Id"),
        Some(id.as_str())
    );
}

/// More simultaneous long-polls than the accept pool keeps waiting: every one is served,
/// and Drop still ends them all.
#[test]
fn many_concurrent_long_polls_are_all_served() {
    let emu = start();
    let addr = emu.addr();
    let pollers: Vec<_> = (0..12)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Client::connect(addr);
                c.get(NEXT)
                    .header("Lambda-Runtime-Aws-Request-Id")
                    .map(str::to_string)
            })
        })
        .collect();
    for _ in 0..12 {
        emu.wait_next(WAIT).expect("every long-poll arrives");
    }
    let mut ids: Vec<String> = (0..12)
        .map(|i| emu.enqueue(Invocation::new(format!("{i}").into_bytes())))
        .collect();
    let mut got: Vec<String> = pollers
        .into_iter()
        .map(|p| p.join().expect("poller").expect("a request id"))
        .collect();
    ids.sort();
    got.sort();
    assert_eq!(got, ids);
    assert_eq!(emu.stats().connections, 12);
    // Idle connections (nothing sent yet) are ended by Drop too.
    let parked: Vec<_> = (0..6)
        .map(|_| std::thread::spawn(move || Client::connect(addr).read_response().is_err()))
        .collect();
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    drop(emu);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        t.elapsed()
    );
    for p in parked {
        assert!(p.join().expect("parked client"));
    }
}

#[test]
fn the_emulator_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Emulator>();
    let emu = start();
    let addr = emu.addr();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = Client::connect(addr);
            let next = c.get(NEXT);
            let id = next
                .header("Lambda-Runtime-Aws-Request-Id")
                .expect("id")
                .to_string();
            assert_eq!(
                c.post(&response_path(&id), "", b"from a thread").status,
                202
            );
        });
        let out = emu.invoke(b"{}".to_vec(), WAIT).expect("outcome");
        assert_eq!(out.body, b"from a thread");
    });
}
