//! Load test on loopback: many tabs at once, each playing as fast as the model
//! runs, firing events and moving sliders. No request may fail, every tab must
//! keep receiving frames, memory must stay bounded, and every session must be
//! dropped once its tab is gone.
//!
//! The default run is short (12 tabs, 3 s) so that it fits CI; a longer one:
//! `UNREST_LOAD_TABS=16 UNREST_LOAD_SECS=30 cargo test -p unrest-web --test load -- --nocapture`

mod common;

use std::time::{Duration, Instant};

use common::*;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One tab: its own session, played flat out for `secs`, poked now and then.
async fn tab(addr: std::net::SocketAddr, k: u64, secs: u64) -> (u64, usize) {
    let scenario = ["epstein-run2", "epstein-run1", "netlogo-rebellion"][(k % 3) as usize];
    let id = new_session(addr, &format!(r#"{{"scenario": "{scenario}", "seed": {k}}}"#)).await;
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    until(&mut ws, 10, &mut frames, |v| v["type"] == "scenario").await;
    send(&mut ws, r#"{"cmd": "speed", "steps_per_second": null}"#).await;
    send(&mut ws, r#"{"cmd": "play"}"#).await;
    let end = Instant::now() + Duration::from_secs(secs);
    let events = [
        "state_of_emergency",
        "internet_shutdown",
        "foreign_troops_in",
        "concession",
    ];
    let mut i = 0;
    let mut last = 0;
    let mut before = 0; // steps of the runs that reached their end
    while Instant::now() < end {
        let st = until(&mut ws, 10, &mut frames, |v| v["type"] == "state").await;
        last = last.max(step_of(&st));
        let ended = st["notices"]
            .as_array()
            .is_some_and(|n| n.iter().any(|m| m.as_str().unwrap_or("").contains("last step")));
        if ended {
            // A lattice run stops at its `steps`: start it again.
            before += last;
            last = 0;
            send(&mut ws, r#"{"cmd": "reset", "seed": null}"#).await;
            send(&mut ws, r#"{"cmd": "play"}"#).await;
        }
        i += 1;
        if i % 10 == 0 {
            let e = events[(i / 10) % events.len()];
            send(&mut ws, &format!(r#"{{"cmd": "fire", "event": "{e}"}}"#)).await;
            let l = 0.5 + 0.04 * ((i / 10) % 10) as f64;
            send(
                &mut ws,
                &format!(r#"{{"cmd": "set", "param": "legitimacy", "value": {l}}}"#),
            )
            .await;
        }
    }
    send(&mut ws, r#"{"cmd": "pause"}"#).await;
    ws.close(None).await.unwrap();
    (before + last, frames)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tabs_at_once_no_errors_memory_bounded() {
    let tabs = env("UNREST_LOAD_TABS", 12).min(16);
    let secs = env("UNREST_LOAD_SECS", 3).min(120);
    let addr = start(|c| {
        c.max_sessions = 16;
        c.idle_timeout = Duration::from_millis(500);
    })
    .await;
    let rss_before = rss_kib();
    let t0 = Instant::now();
    let handles: Vec<_> = (0..tabs).map(|k| tokio::spawn(tab(addr, k, secs))).collect();
    let mut steps = 0;
    let mut frames = 0;
    for h in handles {
        let (s, f) = h.await.expect("a tab failed");
        assert!(s > 0 && f > 0, "a tab saw no progress");
        steps += s;
        frames += f;
    }
    let wall = t0.elapsed().as_secs_f64();
    let rss_peak = rss_kib();
    // While the tabs ran, plain requests were still answered.
    assert_eq!(http(addr, "GET", "/api/status", b"").await.0, 200);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let (_, b) = http(addr, "GET", "/api/status", b"").await;
    assert_eq!(json(&b)["sessions"], 0, "every session was dropped after its tab left");
    let grown_mib = rss_peak.saturating_sub(rss_before) / 1024;
    println!(
        "load: {tabs} tabs for {secs} s: {steps} steps, {frames} frames in {wall:.1} s ({:.0} steps/s, {:.0} frames/s); RSS {} -> {} MiB",
        steps as f64 / wall,
        frames as f64 / wall,
        rss_before / 1024,
        rss_peak / 1024
    );
    assert!(grown_mib < 256, "memory grew by {grown_mib} MiB");
}

/// A 1000×1000 lattice stays usable: frames are downsampled to 250×250 cells
/// and keep coming while it plays. Takes ~10 s:
/// `cargo test -p unrest-web --test load -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn a_million_site_lattice_streams_downsampled_frames() {
    let addr = start(|_| {}).await;
    let id = new_session(addr, "").await;
    let toml = "name = \"big\"\n[params]\nwidth = 1000\nheight = 1000\nlegitimacy = 0.7\nratio_rule = \"floor\"\n";
    let (s, b) = http(addr, "POST", &format!("/api/sessions/{id}/scenario"), toml.as_bytes()).await;
    assert_eq!(s, 200, "{b}");
    let mut ws = connect(addr, &id).await;
    let mut frames = 0;
    until(&mut ws, 30, &mut frames, |v| {
        v["type"] == "scenario" && v["info"]["width"] == 1000
    })
    .await;
    send(&mut ws, r#"{"cmd": "speed", "steps_per_second": null}"#).await;
    send(&mut ws, r#"{"cmd": "play"}"#).await;
    let t0 = Instant::now();
    let start_frames = frames;
    let mut last = 0;
    while t0.elapsed() < Duration::from_secs(8) {
        let st = until(&mut ws, 30, &mut frames, |v| v["type"] == "state").await;
        last = step_of(&st);
    }
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "1000×1000: {last} steps in {wall:.1} s ({:.1} steps/s), {:.1} frames/s",
        last as f64 / wall,
        (frames - start_frames) as f64 / wall
    );
    assert!(last >= 3);
}
