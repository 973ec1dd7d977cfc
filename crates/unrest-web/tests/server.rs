//! The server answers every request, bad ones with an error, and never crashes;
//! a tab's WebSocket streams the simulation and applies its commands.

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_embedded_assets_are_served() {
    let addr = start(|_| {}).await;
    let (s, page) = http(addr, "GET", "/", b"").await;
    assert_eq!(s, 200);
    assert!(page.contains("<canvas id=\"lattice\""));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page loads nothing from elsewhere"
    );
    assert_eq!(http(addr, "GET", "/assets/app.js", b"").await.0, 200);
    assert_eq!(http(addr, "GET", "/assets/style.css", b"").await.0, 200);
    for path in [
        "/assets/../../../../etc/passwd",
        "/assets/..%2F..%2FCargo.toml",
        "/assets/%2Fetc%2Fpasswd",
        "/etc/passwd",
        "/assets/lib.rs",
        "/Cargo.toml",
    ] {
        let (s, body) = http(addr, "GET", path, b"").await;
        assert!(s == 404 || s == 400, "{path}: {s}");
        assert!(
            !body.contains("root:") && !body.contains("[package]"),
            "{path} leaked a file"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_errors_not_crashes() {
    let addr = start(|_| {}).await;
    let (s, b) = http(addr, "POST", "/api/sessions", b"{not json").await;
    assert_eq!(s, 400, "{b}");
    assert!(json(&b)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("bad session request"));
    let (s, _) = http(addr, "POST", "/api/sessions", br#"{"scenario": "nope"}"#).await;
    assert_eq!(s, 404);
    // A path is a name like any other: never opened.
    let (s, _) = http(addr, "POST", "/api/sessions", br#"{"scenario": "/etc/passwd"}"#).await;
    assert_eq!(s, 404);
    let (s, _) = http(addr, "POST", "/api/sessions", br#"{"seed": "x"}"#).await;
    assert_eq!(s, 400);
    let (s, _) = http(addr, "POST", "/api/sessions/ffff/scenario", b"name = \"x\"").await;
    assert_eq!(s, 404);

    let id = new_session(addr, "").await;
    let up = format!("/api/sessions/{id}/scenario?name=broken.toml");
    let (s, b) = http(addr, "POST", &up, b"name = \"broken\"\n[params]\nlegitimacy = 1.7\n").await;
    assert_eq!(s, 422, "{b}");
    let e = &json(&b)["error"];
    assert_eq!((e["line"].as_u64(), e["column"].as_u64()), (Some(3), Some(14)), "{e}");
    assert_eq!(e["origin"], "broken.toml");
    let (s, b) = http(addr, "POST", &up, b"name = \"broken\"\nsteps = [1,\n").await;
    assert_eq!(s, 422, "{b}");
    assert!(json(&b)["error"]["line"].as_u64().is_some());
    let (s, _) = http(addr, "POST", &up, &[0xff, 0xfe, 0x00]).await;
    assert_eq!(s, 400);
    let big = vec![b'#'; 300 * 1024];
    let (s, b) = http(addr, "POST", &up, &big).await;
    assert_eq!(s, 413);
    assert!(json(&b)["error"]["message"].as_str().unwrap().contains("larger"), "{b}");
    let huge = b"name = \"huge\"\n[params]\nwidth = 5000\nheight = 5000\n";
    let (s, b) = http(addr, "POST", &up, huge).await;
    assert_eq!(s, 422, "{b}");
    assert!(b.contains("at most"));
    let (s, b) = http(addr, "POST", &up, b"name = \"ok\"\n[params]\nwidth = 30\nheight = 20\n").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(json(&b)["scenario"]["width"], 30);
    let (s, _) = http(addr, "GET", "/api/status", b"").await;
    assert_eq!(s, 200, "still serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_bounded_and_idle_ones_dropped() {
    let addr = start(|c| {
        c.max_sessions = 2;
        c.idle_timeout = Duration::from_millis(300);
    })
    .await;
    let a = new_session(addr, "").await;
    let _b = new_session(addr, r#"{"scenario": "epstein-run1", "seed": 3}"#).await;
    let (s, b) = http(addr, "POST", "/api/sessions", b"").await;
    assert_eq!(s, 503);
    assert!(json(&b)["error"]["message"].as_str().unwrap().contains("limit"));
    assert_eq!(http(addr, "DELETE", &format!("/api/sessions/{a}"), b"").await.0, 204);
    let c = new_session(addr, "").await;
    // A tab keeps its session alive; without one it is dropped.
    let mut ws = connect(addr, &c).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, b) = http(addr, "GET", "/api/status", b"").await;
    assert_eq!(json(&b)["sessions"], 1, "only the watched session is left");
    ws.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, b) = http(addr, "GET", "/api/status", b"").await;
    assert_eq!(json(&b)["sessions"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_plays_fires_events_and_survives_bad_messages() {
    let addr = start(|_| {}).await;
    let id = new_session(addr, "").await;
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    let hello = until(&mut ws, 5, &mut frames, |v| v["type"] == "scenario").await;
    assert_eq!(hello["info"]["name"], "epstein-run2");
    assert_eq!(hello["info"]["width"], 40);
    send(&mut ws, r#"{"cmd": "speed", "steps_per_second": 50}"#).await;
    send(&mut ws, r#"{"cmd": "play"}"#).await;
    let st = until(&mut ws, 10, &mut frames, |v| v["type"] == "state" && step_of(v) >= 5).await;
    assert_eq!(st["playing"], true);
    assert!(frames >= 1);

    send(&mut ws, r#"{"cmd": "fire", "event": "internet_shutdown"}"#).await;
    let st = until(&mut ws, 5, &mut frames, |v| {
        v["type"] == "state" && v["events"].as_array().is_some_and(|e| !e.is_empty())
    })
    .await;
    assert_eq!(st["events"][0]["event"], "internet_shutdown");
    let fired_at = st["events"][0]["step"].as_u64().unwrap();
    assert!(fired_at >= 5);
    let st = until(&mut ws, 5, &mut frames, |v| {
        v["type"] == "state" && step_of(v) > fired_at
    })
    .await;
    assert_eq!(st["controls"]["citizen_vision"], 3.5);
    assert_eq!(st["policy"]["internet_shutdown"], true);

    for bad in [
        "hello",
        r#"{"cmd": "dance"}"#,
        r#"{"cmd": "set", "param": "legitimacy", "value": 7}"#,
        r#"{"cmd": "set", "param": "gravity", "value": 1}"#,
        r#"{"cmd": "speed", "steps_per_second": -1}"#,
        r#"{"cmd": "load", "scenario": "../../etc/passwd"}"#,
        r#"{"cmd": "reset", "seed": -4}"#,
        r#"{"cmd": "play", "extra": 1}"#,
        r#"{"cmd": "speed", "steps_per_second": 5, "extra": 1}"#,
    ] {
        send(&mut ws, bad).await;
        let e = until(&mut ws, 5, &mut frames, |v| v["type"] == "error").await;
        assert!(!e["message"].as_str().unwrap().is_empty(), "{bad}");
    }
    // A huge value is named briefly, not with its 309 digits.
    send(&mut ws, r#"{"cmd": "set", "param": "vision", "value": 1e308}"#).await;
    let e = until(&mut ws, 5, &mut frames, |v| v["type"] == "error").await;
    let m = e["message"].as_str().unwrap();
    assert!(m.contains("1e308") && m.len() < 100, "{m}");
    ws.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    until(&mut ws, 5, &mut frames, |v| v["type"] == "error").await;
    // Refused by the model's state, not the parser: reported as a notice.
    send(&mut ws, r#"{"cmd": "fire", "event": "foreign_troops_out"}"#).await;
    until(&mut ws, 5, &mut frames, |v| {
        v["notices"]
            .as_array()
            .is_some_and(|n| n.iter().any(|m| m.as_str().unwrap().contains("foreign")))
    })
    .await;

    send(&mut ws, r#"{"cmd": "pause"}"#).await;
    until(&mut ws, 5, &mut frames, |v| {
        v["type"] == "state" && v["playing"] == false
    })
    .await;
    send(&mut ws, r#"{"cmd": "reset", "seed": 11}"#).await;
    let hello = until(&mut ws, 5, &mut frames, |v| v["type"] == "scenario").await;
    assert_eq!(hello["info"]["seed"], 11);
    let st = until(&mut ws, 5, &mut frames, |v| v["type"] == "state").await;
    assert_eq!(step_of(&st), 0);
    send(&mut ws, r#"{"cmd": "step"}"#).await;
    until(&mut ws, 5, &mut frames, |v| v["type"] == "state" && step_of(v) == 1).await;
    send(&mut ws, r#"{"cmd": "load", "scenario": "epstein-run1"}"#).await;
    let hello = until(&mut ws, 5, &mut frames, |v| v["type"] == "scenario").await;
    assert_eq!(hello["info"]["name"], "epstein-run1");
    // An oversized message closes the socket, not the server.
    let _ = ws.send(Message::Text("x".repeat(100_000).into())).await;
    assert_eq!(http(addr, "GET", "/api/status", b"").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websockets_from_other_sites_are_refused_on_loopback() {
    let addr = start(|_| {}).await;
    let id = new_session(addr, "").await;
    let mut req = format!("ws://{addr}/api/sessions/{id}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    let mut req = format!("ws://{addr}/api/sessions/{id}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("Origin", format!("http://{addr}").parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_ok());
    // Only this server's own origin: not another port, another loopback
    // address, https, or a look-alike host.
    let port = addr.port();
    for origin in [
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        "http://localhost:3000".to_string(),
        format!("http://127.0.0.2:{port}"),
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}.evil.example"),
        "null".to_string(),
    ] {
        let mut req = format!("ws://{addr}/api/sessions/{id}/ws")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert("Origin", origin.parse().unwrap());
        assert!(
            tokio_tungstenite::connect_async(req).await.is_err(),
            "{origin} accepted"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_host_names_and_cross_site_posts_are_refused_on_loopback() {
    let addr = start(|_| {}).await;
    let port = addr.port();
    let me = addr.to_string();
    // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
    let evil = format!("evil.example:{port}");
    let (s, b) = http_with(addr, "POST", "/api/sessions", &[("Host", &evil)], b"").await;
    assert_eq!(s, 403, "{b}");
    assert!(json(&b)["error"]["message"].as_str().unwrap().contains("Host"));
    assert_eq!(http_with(addr, "GET", "/", &[("Host", &evil)], b"").await.0, 403);
    assert_eq!(
        http_with(addr, "GET", "/api/status", &[("Host", "127.0.0.1:1")], b"")
            .await
            .0,
        403
    );
    // Loopback names on this port are fine.
    for host in [me.clone(), format!("localhost:{port}"), format!("[::1]:{port}")] {
        assert_eq!(
            http_with(addr, "GET", "/api/status", &[("Host", &host)], b"").await.0,
            200,
            "{host}"
        );
    }
    // A simple (text/plain) POST from another site's page cannot fill the slots.
    let (s, b) = http_with(
        addr,
        "POST",
        "/api/sessions",
        &[
            ("Host", &me),
            ("Origin", "http://evil.example"),
            ("Content-Type", "text/plain"),
        ],
        b"",
    )
    .await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = http_with(
        addr,
        "POST",
        "/api/sessions",
        &[
            ("Host", &me),
            ("Origin", &format!("http://localhost:{}", port.wrapping_add(1))),
        ],
        b"",
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(json(&http(addr, "GET", "/api/status", b"").await.1)["sessions"], 0);
    // The page's own POST works.
    let (s, b) = http_with(
        addr,
        "POST",
        "/api/sessions",
        &[("Host", &me), ("Origin", &format!("http://{me}"))],
        b"",
    )
    .await;
    assert_eq!(s, 201, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_country_shows_its_regions_and_opens_one() {
    let addr = start(|_| {}).await;
    let (_, b) = http(addr, "GET", "/api/scenarios", b"").await;
    let list = json(&b);
    let country = list["builtins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "country")
        .expect("a country built-in is listed")["name"]
        .as_str()
        .unwrap()
        .to_string();
    let id = new_session(addr, &format!(r#"{{"scenario": "{country}"}}"#)).await;
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    let hello = until(&mut ws, 10, &mut frames, |v| v["type"] == "scenario").await;
    assert_eq!(hello["info"]["kind"], "country");
    let n = hello["info"]["regions"].as_array().unwrap().len();
    assert!(n > 1);
    send(&mut ws, r#"{"cmd": "step"}"#).await;
    let st = until(&mut ws, 10, &mut frames, |v| v["type"] == "state" && step_of(v) == 1).await;
    assert_eq!(st["regions"].as_array().unwrap().len(), n);
    send(&mut ws, &format!(r#"{{"cmd": "region", "index": {}}}"#, n - 1)).await;
    until(&mut ws, 10, &mut frames, |v| {
        v["type"] == "state" && v["view"]["region"] == n - 1
    })
    .await;
    send(&mut ws, &format!(r#"{{"cmd": "region", "index": {n}}}"#)).await;
    until(&mut ws, 10, &mut frames, |v| {
        v["notices"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x.as_str().unwrap().contains("no region")))
    })
    .await;
    send(&mut ws, r#"{"cmd": "fire", "event": "internet_shutdown"}"#).await;
    let st = until(&mut ws, 10, &mut frames, |v| {
        v["type"] == "state" && v["events"].as_array().is_some_and(|e| !e.is_empty())
    })
    .await;
    assert_eq!(st["events"][0]["event"], "internet_shutdown");
    assert_eq!(st["policy"]["internet_shutdown"], true);
}

/// Threads of this process whose name starts with `prefix` (Linux).
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.flatten()
                .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with(prefix)))
                .count()
        })
        .unwrap_or(0)
}

/// Issue 15, item 5: commands queue up to a bound (one more is refused with
/// an error, not held), and a deleted session's thread stops at once rather
/// than working through its queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_queue_is_bounded_and_a_deleted_session_stops_at_once() {
    let addr = start(|c| c.max_sessions = 1).await;
    let id = new_session(addr, "").await;
    // A lattice slow enough per step that the queue fills.
    let up = format!("/api/sessions/{id}/scenario?name=big.toml");
    let (s, b) = http(
        addr,
        "POST",
        &up,
        b"name = \"big\"\n[params]\nwidth = 1500\nheight = 1500\n",
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    until(&mut ws, 30, &mut frames, |v| {
        v["type"] == "scenario" && v["info"]["name"] == "big"
    })
    .await;
    for _ in 0..(unrest_web::session::MAX_QUEUED + 40) {
        send(&mut ws, r#"{"cmd": "step"}"#).await;
    }
    let e = until(&mut ws, 30, &mut frames, |v| v["type"] == "error").await;
    assert!(e["message"].as_str().unwrap().contains("the simulation is busy"), "{e}");
    // This session's thread (other tests run sessions of their own meanwhile).
    let name = format!("session-{}", &id[..7]);
    assert_eq!(threads_named(&name), 1);
    assert_eq!(http(addr, "DELETE", &format!("/api/sessions/{id}"), b"").await.0, 204);
    // At most the step at hand finishes; dozens stay undone.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while threads_named(&name) > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the deleted session's thread still runs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, b) = http(addr, "GET", "/api/status", b"").await;
    assert_eq!(json(&b)["sessions"], 0);
    new_session(addr, "").await;
}

/// Issue 15, item 5: a client that never finishes its request's header, or
/// keeps an idle connection, is closed after the header timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_idle_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = start(|c| c.header_timeout = Duration::from_millis(500)).await;
    let closed_within = |mut s: tokio::net::TcpStream, secs: u64| async move {
        let mut buf = Vec::new();
        tokio::time::timeout(Duration::from_secs(secs), s.read_to_end(&mut buf))
            .await
            .is_ok()
    };
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a").await.unwrap();
    assert!(closed_within(slow, 5).await, "a half-sent header is not held open");
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET /api/status HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    idle.write_all(req.as_bytes()).await.unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    assert!(closed_within(idle, 5).await, "an idle keep-alive connection is closed");
    // A WebSocket, once open, is not bound by the header timeout.
    let id = new_session(addr, "").await;
    let mut ws = connect(addr, &id).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    send(&mut ws, r#"{"cmd": "step"}"#).await;
    let mut frames = 0;
    until(&mut ws, 5, &mut frames, |v| v["type"] == "state" && step_of(v) == 1).await;
}

/// Issue 15, item 5: policy events per step and the events a session keeps
/// are bounded (200,000 `concession`s once grew memory without end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fired_events_are_bounded_per_step_and_in_all() {
    use unrest_web::session::{MAX_EVENTS, MAX_FIRES_PER_STEP};
    let addr = start(|_| {}).await;
    let id = new_session(addr, r#"{"scenario": "belarus-2020"}"#).await;
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    until(&mut ws, 60, &mut frames, |v| v["type"] == "scenario").await;
    for _ in 0..MAX_FIRES_PER_STEP + 3 {
        send(&mut ws, r#"{"cmd": "fire", "event": "concession"}"#).await;
    }
    until(&mut ws, 10, &mut frames, |v| {
        v["notices"].as_array().is_some_and(|n| {
            n.iter().any(|m| {
                m.as_str()
                    .unwrap()
                    .contains("policy events have fired this step already")
            })
        })
    })
    .await;
    // Enough steps of fires to pass the bound on kept events.
    let steps = MAX_EVENTS / MAX_FIRES_PER_STEP + 5;
    for step in 1..=steps as u64 {
        send(&mut ws, r#"{"cmd": "step"}"#).await;
        for _ in 0..MAX_FIRES_PER_STEP {
            send(&mut ws, r#"{"cmd": "fire", "event": "concession"}"#).await;
        }
        until(&mut ws, 30, &mut frames, |v| v["type"] == "state" && step_of(v) == step).await;
    }
    send(&mut ws, r#"{"cmd": "step"}"#).await;
    until(&mut ws, 30, &mut frames, |v| {
        v["type"] == "state" && step_of(v) == steps as u64 + 1
    })
    .await;
    // A new tab gets the kept events: the newest, at most MAX_EVENTS.
    let mut fresh = connect(addr, &id).await;
    let st = until(&mut fresh, 30, &mut frames, |v| v["type"] == "state").await;
    let events = st["events"].as_array().unwrap();
    assert_eq!(events.len(), MAX_EVENTS, "{}", events.len());
    assert!(
        events.last().unwrap()["step"].as_u64().unwrap() + 1 >= steps as u64,
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_is_inspected_and_model_two_groups_are_drawn_apart() {
    let addr = start(|_| {}).await;
    let id = new_session(addr, r#"{"scenario": "epstein-run7"}"#).await;
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    let hello = until(&mut ws, 10, &mut frames, |v| v["type"] == "scenario").await;
    assert_eq!(hello["info"]["groups"], 2, "Model II with two groups says so");
    let codes: Vec<u64> = hello["legend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_u64().unwrap())
        .collect();
    assert!(codes.contains(&7) && codes.contains(&8), "{codes:?}");
    // The frame holds both groups' quiet citizens.
    let frame = loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), futures_util::StreamExt::next(&mut ws))
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Binary(b) = msg {
            break b;
        }
    };
    let cells = &frame[28..];
    assert!(cells.contains(&1) && cells.contains(&7), "groups A (1) and B (7) drawn");
    let w = u32::from_le_bytes(frame[8..12].try_into().unwrap()) as usize;
    // Every site answers: a citizen with its traits, a cop, or empty.
    let (mut citizens, mut empty) = (0, 0);
    for (i, &c) in cells.iter().enumerate().take(60) {
        let (x, y) = (i % w, i / w);
        send(&mut ws, &format!(r#"{{"cmd": "inspect", "x": {x}, "y": {y}}}"#)).await;
        let v = until(&mut ws, 5, &mut frames, |v| v["type"] == "inspect").await;
        let site = &v["site"];
        assert_eq!(
            (site["x"].as_u64(), site["y"].as_u64()),
            (Some(x as u64), Some(y as u64))
        );
        match c {
            0 | 6 => {
                assert!(site["agent"].is_null(), "{site}");
                empty += 1;
            }
            1 | 2 | 7 | 8 => {
                let a = &site["agent"];
                assert_eq!(a["kind"], "citizen", "{site}");
                assert_eq!(a["group"], if c >= 7 { "B" } else { "A" }, "{site}");
                let g = a["grievance"].as_f64().unwrap();
                let h = a["hardship"].as_f64().unwrap();
                let l = a["legitimacy"].as_f64().unwrap();
                assert!((g - h * (1.0 - l)).abs() < 1e-9, "G = H(1 - L): {site}");
                citizens += 1;
            }
            3 => assert_eq!(site["agent"]["state"], "jailed", "{site}"),
            4 => assert_eq!(site["agent"]["kind"], "police", "{site}"),
            _ => assert_eq!(site["agent"]["kind"], "foreign forces", "{site}"),
        }
    }
    assert!(citizens > 0 && empty > 0);
    // A site off the lattice is an error, not a panic; unknown fields are refused.
    for bad in [
        r#"{"cmd": "inspect", "x": 100000, "y": 0}"#,
        r#"{"cmd": "inspect", "x": -1, "y": 0}"#,
        r#"{"cmd": "inspect", "x": 1}"#,
        r#"{"cmd": "inspect", "x": 1, "y": 1, "z": 1}"#,
    ] {
        send(&mut ws, bad).await;
        let e = until(&mut ws, 5, &mut frames, |v| v["type"] == "error").await;
        assert!(!e["message"].as_str().unwrap().is_empty(), "{bad}");
    }
    // A close frame is echoed (a clean close, not 1006).
    ws.send(Message::Close(None)).await.unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match futures_util::StreamExt::next(&mut ws).await {
                Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
                _ => return false,
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(echoed, "the server answers a close frame with one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_country_event_carries_its_note_and_source() {
    let addr = start(|_| {}).await;
    let id = new_session(addr, r#"{"scenario": "kazakhstan-2022"}"#).await;
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    until(&mut ws, 10, &mut frames, |v| v["type"] == "scenario").await;
    send(&mut ws, r#"{"cmd": "speed", "steps_per_second": null}"#).await;
    send(&mut ws, r#"{"cmd": "play"}"#).await;
    let st = until(&mut ws, 60, &mut frames, |v| {
        v["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["label"].as_str().unwrap().contains("timeline")))
    })
    .await;
    let e = st["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["label"].as_str().unwrap().contains("timeline"))
        .unwrap();
    assert!(!e["note"].as_str().unwrap_or("").is_empty(), "{e}");
    assert!(e["source"].as_str().unwrap_or("").contains("cases.yaml"), "{e}");
    assert!(e["regions"].is_string(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lattice_run_stops_where_the_page_says() {
    let addr = start(|_| {}).await;
    let id = new_session(addr, "").await;
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    until(&mut ws, 5, &mut frames, |v| v["type"] == "scenario").await;
    for bad in [
        r#"{"cmd": "stop_at", "step": 0}"#,
        r#"{"cmd": "stop_at", "step": -3}"#,
        r#"{"cmd": "stop_at", "step": 1e12}"#,
        r#"{"cmd": "stop_at"}"#,
        r#"{"cmd": "stop_at", "step": 5, "at": 1}"#,
    ] {
        send(&mut ws, bad).await;
        let e = until(&mut ws, 5, &mut frames, |v| v["type"] == "error").await;
        assert!(!e["message"].as_str().unwrap().is_empty(), "{bad}");
    }
    send(&mut ws, r#"{"cmd": "stop_at", "step": 7}"#).await;
    send(&mut ws, r#"{"cmd": "speed", "steps_per_second": null}"#).await;
    send(&mut ws, r#"{"cmd": "play"}"#).await;
    let st = until(&mut ws, 10, &mut frames, |v| {
        v["notices"]
            .as_array()
            .is_some_and(|n| n.iter().any(|m| m.as_str().unwrap().contains("last step (7")))
    })
    .await;
    assert_eq!(step_of(&st), 7);
    assert_eq!(st["playing"], false);
    // Reset keeps the stop (it is the page's, like the speed).
    send(&mut ws, r#"{"cmd": "reset", "seed": null}"#).await;
    let hello = until(&mut ws, 5, &mut frames, |v| v["type"] == "scenario").await;
    assert_eq!(hello["info"]["steps"], 7);
    // A country's run ends with its calendar: refused with a notice.
    send(&mut ws, r#"{"cmd": "load", "scenario": "belarus-2020"}"#).await;
    until(&mut ws, 10, &mut frames, |v| v["type"] == "scenario").await;
    send(&mut ws, r#"{"cmd": "stop_at", "step": 3}"#).await;
    until(&mut ws, 10, &mut frames, |v| {
        v["notices"]
            .as_array()
            .is_some_and(|n| n.iter().any(|m| m.as_str().unwrap().contains("calendar")))
    })
    .await;
}
