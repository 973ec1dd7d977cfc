//! A server on a free loopback port and small HTTP/WebSocket clients for the tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Starts a server on 127.0.0.1 with `config` adjusted by `f`.
pub async fn start(f: impl FnOnce(&mut unrest_web::Config)) -> SocketAddr {
    let scenario = unrest_scenario::Scenario::load("epstein-run2", &[]).unwrap();
    let mut config = unrest_web::Config::new(unrest_scenario::AnyScenario::Lattice(scenario));
    f(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(unrest_web::serve(listener, config));
    addr
}

/// One HTTP/1.1 request over a fresh connection; returns (status, body).
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    http_with(addr, method, path, &[("Host", &addr.to_string())], body).await
}

/// The same with the given headers (`Host` among them, or not).
pub async fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\n{extra}Connection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // A server may answer (413) before reading a large body and close: ignore write errors.
    let _ = s.write_all(body).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The JSON of a response body (chunked bodies are not used by the server for JSON).
pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

pub async fn new_session(addr: SocketAddr, body: &str) -> String {
    let (status, b) = http(addr, "POST", "/api/sessions", body.as_bytes()).await;
    assert_eq!(status, 201, "{b}");
    json(&b)["id"].as_str().unwrap().to_string()
}

pub async fn connect(addr: SocketAddr, id: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/sessions/{id}/ws"))
        .await
        .unwrap();
    ws
}

pub async fn send(ws: &mut Ws, msg: &str) {
    ws.send(Message::Text(msg.into())).await.unwrap();
}

/// Reads messages until a JSON one satisfies `pred` (binary frames are counted
/// into `frames`); panics after `secs` seconds.
pub async fn until(ws: &mut Ws, secs: u64, frames: &mut usize, mut pred: impl FnMut(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("timed out waiting for a message")
            .expect("socket closed")
            .expect("socket error");
        match msg {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if pred(&v) {
                    return v;
                }
            }
            Message::Binary(b) => {
                assert!(b.len() >= 28, "frame too short");
                let cols = u32::from_le_bytes(b[20..24].try_into().unwrap()) as usize;
                let rows = u32::from_le_bytes(b[24..28].try_into().unwrap()) as usize;
                assert_eq!(b.len(), 28 + cols * rows, "frame length");
                *frames += 1;
            }
            _ => {}
        }
    }
}

/// The last step in a `state` message.
pub fn step_of(v: &Value) -> u64 {
    v["step"].as_u64().unwrap_or(0)
}

/// Resident memory of this process in KiB (Linux).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}
