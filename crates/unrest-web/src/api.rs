//! HTTP endpoints and the WebSocket protocol (see `docs/web.md`).
//!
//! Every request is answered: bad JSON, unknown sessions, oversized bodies
//! and invalid scenarios get a JSON error `{"error": {"message": ...}}` with a
//! 4xx status, a full server a 503. Nothing a request names is ever opened as
//! a file: scenarios come from the built-ins, the server's own default, or the
//! uploaded text itself.

// Handlers return a ready `Response` as their error; it is built once per request.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use unrest_scenario::{AnyScenario, CountryScenario, Scenario, ScenarioError};

use crate::assets;
use crate::session::{Command, CreateError, Registry, Session};
use crate::sim::{estimated_sites, Cell, Control, PolicyEvent};
use crate::Config;

/// Shared state of all handlers.
pub struct App {
    pub registry: Arc<Registry>,
    pub config: Config,
}

type AppState = State<Arc<App>>;

/// The server's routes.
pub fn router(app: Arc<App>) -> Router {
    let max_body = app.config.max_body;
    Router::new()
        .route("/", get(assets::index))
        .route("/assets/{name}", get(assets::asset))
        .route("/api/scenarios", get(scenarios))
        .route("/api/status", get(status))
        .route("/api/sessions", post(create_session))
        .route("/api/sessions/{id}", axum::routing::delete(delete_session))
        .route("/api/sessions/{id}/scenario", post(upload_scenario))
        .route("/api/sessions/{id}/ws", get(websocket))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such page or endpoint") })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), guard))
        .with_state(app)
}

/// Refuses, before any handler runs, a request for another host name (DNS
/// rebinding) and a POST or DELETE from another site's page (see
/// [`Config::host_allowed`] and [`Config::origin_allowed`]).
async fn guard(State(app): AppState, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).map(|v| v.to_str().unwrap_or("\u{0}"));
    if !app.config.host_allowed(host) {
        return error(
            StatusCode::FORBIDDEN,
            "this server answers only requests for its loopback address (Host header refused)",
        );
    }
    let writes = !matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("\u{0}"));
    if writes && !app.config.origin_allowed(origin, host) {
        return error(StatusCode::FORBIDDEN, "request from another site's page refused");
    }
    let resp = next.run(req).await;
    // The body limit's own answer is plain text: errors are JSON.
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than this server accepts ({} bytes)",
                app.config.max_body
            ),
        );
    }
    resp
}

/// A JSON error response.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": { "message": message.into() } }))).into_response()
}

/// A scenario error with its place, for the page to show "line L, column C".
fn scenario_error(e: &ScenarioError) -> Response {
    let l = &e.location;
    let body = json!({ "error": {
        "message": e.message,
        "origin": l.origin,
        "line": l.line,
        "column": l.column,
        "snippet": l.snippet,
        "text": e.to_string(),
    }});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

async fn scenarios(State(app): AppState) -> Json<Value> {
    let lattices = unrest_scenario::BUILTINS
        .iter()
        .map(|(name, summary, _)| json!({ "name": name, "summary": summary, "kind": "lattice" }));
    let countries = unrest_scenario::COUNTRY_BUILTINS
        .iter()
        .map(|(name, summary, _)| json!({ "name": name, "summary": summary, "kind": "country" }));
    let builtins: Vec<Value> = lattices.chain(countries).collect();
    Json(json!({ "default": scenario_name(&app.config.default_scenario), "builtins": builtins }))
}

fn scenario_name(s: &AnyScenario) -> &str {
    match s {
        AnyScenario::Lattice(s) => &s.name,
        AnyScenario::Country(c) => &c.spec.name,
    }
}

async fn status(State(app): AppState) -> Json<Value> {
    Json(json!({
        "sessions": app.registry.len(),
        "max_sessions": app.registry.max_sessions,
        "idle_timeout_seconds": app.registry.idle_timeout.as_secs(),
        "max_body_bytes": app.config.max_body,
        "max_sites": app.config.max_sites,
    }))
}

/// Finds a scenario by name among the server's default and the built-ins,
/// never on disk.
fn named_scenario(app: &App, name: &str) -> Result<AnyScenario, Response> {
    if name == scenario_name(&app.config.default_scenario) {
        return Ok(app.config.default_scenario.clone());
    }
    let origin = format!("<built-in {name}>");
    if let Some(text) = unrest_scenario::builtin(name) {
        return Scenario::parse(text, &origin)
            .map(AnyScenario::Lattice)
            .map_err(|e| scenario_error(&e));
    }
    if let Some(text) = unrest_scenario::country_builtin(name) {
        return CountryScenario::parse_with(text, &origin, &[])
            .map(|c| AnyScenario::Country(Box::new(c)))
            .map_err(|e| scenario_error(&e));
    }
    let mut names = unrest_scenario::builtin_names();
    names.extend(unrest_scenario::COUNTRY_BUILTINS.iter().map(|(n, _, _)| *n));
    Err(error(
        StatusCode::NOT_FOUND,
        format!("unknown scenario {name:?}; built-ins: {}", names.join(", ")),
    ))
}

/// Refuses scenarios too large for a live view on this server.
fn check_size(app: &App, s: &AnyScenario) -> Result<(), Response> {
    let sites = estimated_sites(s);
    // NaN (a degenerate spec) is refused too.
    if sites.is_nan() || sites > app.config.max_sites as f64 {
        let what = match s {
            AnyScenario::Lattice(s) => format!("a {}×{} lattice has {sites} sites", s.params.width, s.params.height),
            AnyScenario::Country(c) => format!("{}'s regions need about {sites:.0} sites", c.spec.name),
        };
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{what}; this server shows at most {} (unrest serve --max-sites)",
                app.config.max_sites
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CreateRequest {
    scenario: Option<String>,
    seed: Option<u64>,
}

async fn create_session(State(app): AppState, body: Bytes) -> Response {
    let req: CreateRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CreateRequest::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("bad session request: {e}")),
        }
    };
    let scenario = match &req.scenario {
        Some(name) => match named_scenario(&app, name) {
            Ok(s) => s,
            Err(r) => return r,
        },
        None => app.config.default_scenario.clone(),
    };
    if let Err(r) = check_size(&app, &scenario) {
        return r;
    }
    let registry = Arc::clone(&app.registry);
    // Building a large world takes a moment: off the async workers.
    let created = tokio::task::spawn_blocking(move || registry.create(scenario, req.seed)).await;
    match created {
        Ok(Ok(s)) => (
            StatusCode::CREATED,
            Json(json!({ "id": s.id, "websocket": format!("/api/sessions/{}/ws", s.id) })),
        )
            .into_response(),
        Ok(Err(CreateError::Full(n))) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("this server already runs {n} simulations, its limit; close a tab or try again later"),
        ),
        Ok(Err(CreateError::Failed(msg))) => error(StatusCode::INTERNAL_SERVER_ERROR, msg),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("session start failed: {e}")),
    }
}

async fn delete_session(State(app): AppState, Path(id): Path<String>) -> Response {
    if app.registry.remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no such session")
    }
}

fn session(app: &App, id: &str) -> Result<Arc<Session>, Response> {
    app.registry.get(id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "no such session (it may have been dropped after being idle)",
        )
    })
}

#[derive(Deserialize)]
struct UploadQuery {
    /// The uploaded file's name, used only to label errors.
    name: Option<String>,
}

/// Loads an uploaded TOML scenario (the request body) into a session.
async fn upload_scenario(
    State(app): AppState,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    let session = match session(&app, &id) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return error(StatusCode::BAD_REQUEST, "the scenario file is not UTF-8 text");
    };
    let origin: String = q
        .name
        .as_deref()
        .unwrap_or("upload.toml")
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let parsed = if unrest_scenario::country::is_country_text(text) {
        CountryScenario::parse_with(text, &origin, &[]).map(|c| AnyScenario::Country(Box::new(c)))
    } else {
        Scenario::parse(text, &origin).map(AnyScenario::Lattice)
    };
    let scenario = match parsed {
        Ok(s) => s,
        Err(e) => return scenario_error(&e),
    };
    if let Err(r) = check_size(&app, &scenario) {
        return r;
    }
    let summary = match &scenario {
        AnyScenario::Lattice(s) => json!({ "kind": "lattice", "name": s.name, "width": s.params.width,
            "height": s.params.height, "steps": s.steps }),
        AnyScenario::Country(c) => json!({ "kind": "country", "name": c.spec.name, "regions": c.spec.regions.len() }),
    };
    match session.send(Command::Load(Box::new(scenario))) {
        Ok(()) => {}
        Err(e @ crate::session::SendError::Busy) => return error(StatusCode::SERVICE_UNAVAILABLE, e.message()),
        Err(e) => return error(StatusCode::GONE, e.message()),
    }
    Json(json!({ "ok": true, "scenario": summary })).into_response()
}

/// A message from the page. Unknown commands or fields are refused.
#[derive(Debug, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ClientMsg {
    Play,
    Pause,
    Step,
    Speed {
        steps_per_second: Option<f64>,
    },
    Reset {
        seed: Option<u64>,
    },
    Set {
        param: Control,
        value: f64,
    },
    Fire {
        event: PolicyEvent,
    },
    Load {
        scenario: String,
    },
    /// Draw region `index`'s lattice (country scenarios).
    Region {
        index: usize,
    },
    /// Stop a lattice run at `step` (1 to [`MAX_STOP_STEP`]).
    StopAt {
        step: u64,
    },
    /// Read the agent on site (`x`, `y`) of the drawn lattice.
    Inspect {
        x: u32,
        y: u32,
    },
}

/// Latest step a page may ask a lattice run to stop at.
pub const MAX_STOP_STEP: u64 = 1_000_000_000;

/// Largest WebSocket message accepted from a page; commands are tiny and
/// scenario files go through the upload endpoint.
pub const MAX_WS_MESSAGE: usize = 16 * 1024;
/// Shortest interval between two updates sent to one tab: the session's
/// frame interval, so the two never beat against each other and drop steps
/// at 25 steps per second.
const SEND_INTERVAL: Duration = crate::session::FRAME_INTERVAL;

async fn websocket(State(app): AppState, Path(id): Path<String>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let session = match session(&app, &id) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let header_text = |h| {
        headers
            .get(h)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap_or("\u{0}"))
    };
    if !app
        .config
        .origin_allowed(header_text(header::ORIGIN), header_text(header::HOST))
    {
        return error(StatusCode::FORBIDDEN, "WebSocket from another site refused");
    }
    ws.max_message_size(MAX_WS_MESSAGE)
        .max_frame_size(MAX_WS_MESSAGE)
        .on_upgrade(move |socket| async move {
            session.attach();
            serve_socket(socket, &app, &session).await;
            session.detach();
        })
}

/// Turns a page message into a command, or says what is wrong with it.
fn parse_command(app: &App, text: &str) -> Result<Command, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("bad message: {e}"))?;
    // serde ignores extra fields of a tagged enum's variants: refuse them here.
    if let Some(obj) = value.as_object() {
        let allowed: &[&str] = match obj.get("cmd").and_then(Value::as_str) {
            Some("speed") => &["steps_per_second"],
            Some("reset") => &["seed"],
            Some("set") => &["param", "value"],
            Some("fire") => &["event"],
            Some("load") => &["scenario"],
            Some("region") => &["index"],
            Some("inspect") => &["x", "y"],
            Some("stop_at") => &["step"],
            _ => &[],
        };
        if let Some(k) = obj.keys().find(|k| *k != "cmd" && !allowed.contains(&k.as_str())) {
            return Err(format!("bad message: unknown field {k:?}"));
        }
    }
    let msg: ClientMsg = serde_json::from_value(value).map_err(|e| format!("bad message: {e}"))?;
    Ok(match msg {
        ClientMsg::Play => Command::Play,
        ClientMsg::Pause => Command::Pause,
        ClientMsg::Step => Command::Step,
        ClientMsg::Speed { steps_per_second } => match steps_per_second {
            None => Command::Speed(None),
            Some(s) if s.is_finite() && s > 0.0 && s <= 1000.0 => Command::Speed(Some(s)),
            Some(s) => {
                return Err(format!(
                    "speed must be between 0 and 1000 steps per second (or null for as fast as possible), not {s}"
                ))
            }
        },
        ClientMsg::Reset { seed } => Command::Reset(seed),
        ClientMsg::Set { param, value } => Command::Set(param, param.check(value)?),
        ClientMsg::Fire { event } => Command::Fire(event),
        ClientMsg::Load { scenario } => {
            let s = named_scenario(app, &scenario).map_err(|_| format!("unknown scenario {scenario:?}"))?;
            if check_size(app, &s).is_err() {
                return Err(format!("{scenario} is too large for this server"));
            }
            Command::Load(Box::new(s))
        }
        ClientMsg::Region { index } => Command::Region(index),
        ClientMsg::Inspect { x, y } => Command::Inspect { x, y, reply: None },
        ClientMsg::StopAt { step } if (1..=MAX_STOP_STEP).contains(&step) => Command::StopAt(step),
        ClientMsg::StopAt { step } => {
            return Err(format!(
                "the stop step must be between 1 and {MAX_STOP_STEP}, not {step}"
            ))
        }
    })
}

/// Where a tab is in the session's published state.
#[derive(Default)]
struct Cursor {
    generation: u64,
    last_step: Option<u64>,
    events: usize,
    notice: u64,
}

async fn serve_socket(mut socket: WebSocket, app: &App, session: &Session) {
    let mut version = session.version.clone();
    let mut cursor = Cursor::default();
    version.mark_changed();
    let mut last_sent = tokio::time::Instant::now() - SEND_INTERVAL;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let reply = match incoming {
                    None | Some(Err(_)) => return,
                    // The library queues the close frame's echo and writes it
                    // on the next read: read once more so it goes out.
                    Some(Ok(Message::Close(_))) => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), socket.recv()).await;
                        return;
                    }
                    Some(Ok(Message::Text(text))) => match parse_command(app, text.as_str()) {
                        Ok(Command::Inspect { x, y, .. }) => {
                            let (tx, rx) = tokio::sync::oneshot::channel();
                            match session.send(Command::Inspect { x, y, reply: Some(tx) }) {
                                Ok(()) => match tokio::time::timeout(Duration::from_secs(5), rx).await {
                                    Ok(Ok(Ok(v))) => {
                                        let msg = json!({ "type": "inspect", "site": v }).to_string();
                                        if socket.send(Message::Text(msg.into())).await.is_err() {
                                            return;
                                        }
                                        None
                                    }
                                    Ok(Ok(Err(e))) => Some(e),
                                    _ => Some("the simulation did not answer in time".to_string()),
                                },
                                Err(e @ crate::session::SendError::Busy) => Some(e.message()),
                                Err(crate::session::SendError::Gone) => return,
                            }
                        }
                        Ok(cmd) => match session.send(cmd) {
                            Ok(()) => None,
                            Err(e @ crate::session::SendError::Busy) => Some(e.message()),
                            Err(crate::session::SendError::Gone) => return,
                        },
                        Err(e) => Some(e),
                    },
                    Some(Ok(Message::Binary(_))) => Some("binary messages are not understood; send JSON text".to_string()),
                    Some(Ok(_)) => None, // ping/pong are answered by the library
                };
                if let Some(e) = reply {
                    let msg = json!({ "type": "error", "message": e }).to_string();
                    if socket.send(Message::Text(msg.into())).await.is_err() {
                        return;
                    }
                }
            }
            changed = version.changed() => {
                if changed.is_err() {
                    return; // the session thread ended
                }
                tokio::time::sleep_until(last_sent + SEND_INTERVAL).await;
                last_sent = tokio::time::Instant::now();
                let messages = updates(session, &mut cursor);
                for m in messages {
                    if socket.send(m).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// The messages that bring a tab from `cursor` to the published state: a
/// `scenario` message after a load or reset, a `state` message with the new
/// counts, events and notices, then the frame as a binary message.
fn updates(session: &Session, cursor: &mut Cursor) -> Vec<Message> {
    let Ok(p) = session.published.lock() else {
        return Vec::new();
    };
    let Some(info) = &p.info else { return Vec::new() };
    let mut out = Vec::with_capacity(3);
    if p.generation != cursor.generation {
        *cursor = Cursor {
            generation: p.generation,
            notice: cursor.notice,
            ..Cursor::default()
        };
        let legend: Vec<Value> = Cell::ALL
            .iter()
            .map(|c| json!({ "code": *c as u8, "state": c }))
            .collect();
        let m = json!({
            "type": "scenario",
            "session": session.id,
            "generation": p.generation,
            "info": info,
            "legend": legend,
            "count_fields": ["step", "quiet", "active", "jailed", "dead", "cops", "arrests", "kills", "killed", "legitimacy", "detained"],
        });
        out.push(Message::Text(m.to_string().into()));
    }
    let counts: Vec<&crate::sim::Row> = p.history.since(cursor.last_step).collect();
    cursor.last_step = p.history.last_step().or(cursor.last_step);
    // `cursor.events` counts every event of the generation, the dropped ones too.
    let first = cursor.events.saturating_sub(p.events_dropped);
    let events = p.events.get(first..).unwrap_or_default();
    cursor.events = p.events_dropped + p.events.len();
    let notices: Vec<&String> = p
        .notices
        .iter()
        .filter(|(n, _)| *n > cursor.notice)
        .map(|(_, m)| m)
        .collect();
    cursor.notice = p.notices.last().map_or(cursor.notice, |(n, _)| *n);
    let m = json!({
        "type": "state",
        "generation": p.generation,
        "step": cursor.last_step,
        "playing": p.playing,
        "steps_per_second": p.speed,
        "view": { "region": info.region, "sampling": info.sampling, "width": info.width, "height": info.height },
        "regions": p.regions,
        "controls": p.controls,
        "policy": p.policy,
        "counts": counts,
        "events": events,
        "notices": notices,
    });
    out.push(Message::Text(m.to_string().into()));
    out.push(Message::Binary(p.frame.clone()));
    out
}

#[cfg(test)]
mod tests {
    //! The WebSocket message decoder (issue 15: fuzzed inputs), as a property
    //! test: a libFuzzer target would build tokio and axum with coverage
    //! instrumentation on every CI run.
    use super::*;
    use proptest::prelude::*;

    fn app() -> App {
        let scenario = unrest_scenario::Scenario::load("epstein-run2", &[]).unwrap();
        App {
            registry: Arc::new(Registry::new(1, std::time::Duration::from_secs(60))),
            config: Config::new(AnyScenario::Lattice(scenario)),
        }
    }

    const CMDS: [&str; 13] = [
        "play", "pause", "step", "speed", "reset", "set", "fire", "load", "region", "stop_at", "dance", "", "PLAY",
    ];
    const FIELDS: [&str; 10] = [
        "step",
        "steps_per_second",
        "seed",
        "param",
        "value",
        "event",
        "scenario",
        "index",
        "x",
        "cmd",
    ];

    fn json_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_string()),
            Just("1e308".to_string()),
            Just("-1".to_string()),
            Just("18446744073709551616".to_string()),
            Just("\"legitimacy\"".to_string()),
            Just("\"concession\"".to_string()),
            Just("\"kazakhstan-2022\"".to_string()),
            Just("\"../../etc/passwd\"".to_string()),
            Just("[[[[[]]]]]".to_string()),
            Just("{\"a\": {}}".to_string()),
            any::<f64>().prop_map(|x| format!("{x:?}")),
            any::<i64>().prop_map(|n| n.to_string()),
            "\\PC{0,20}".prop_map(|s| serde_json::Value::String(s).to_string()),
        ]
    }

    fn message() -> impl Strategy<Value = String> {
        let fields = proptest::collection::vec((proptest::sample::select(&FIELDS[..]), json_value()), 0..4);
        (proptest::sample::select(&CMDS[..]), fields).prop_map(|(cmd, fields)| {
            let mut parts = vec![format!("\"cmd\": \"{cmd}\"")];
            parts.extend(fields.iter().map(|(k, v)| format!("\"{k}\": {v}")));
            format!("{{{}}}", parts.join(", "))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn any_text_is_decoded_or_refused_without_a_panic(text in "\\PC{0,300}") {
            let app = app();
            if let Err(e) = parse_command(&app, &text) {
                prop_assert!(!e.is_empty());
            }
        }

        #[test]
        fn messages_with_known_and_unknown_parts_are_decoded_or_refused(text in message()) {
            let app = app();
            match parse_command(&app, &text) {
                // Only the known commands decode, and never with a field of another.
                Ok(cmd) => prop_assert!(!text.contains("\"x\"") && !text.contains("dance"), "{text} -> {cmd:?}"),
                Err(e) => prop_assert!(e.len() < 2000, "{text}: a short message, not {} bytes", e.len()),
            }
        }
    }
}
