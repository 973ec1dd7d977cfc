//! Sessions: one simulation per browser tab, each stepped on its own thread.
//!
//! A session's thread owns its [`LiveModel`] and takes [`Command`]s from a
//! channel; after every change it publishes the new state into [`Published`]
//! (counts history, fired events, the latest frame) and bumps a
//! `tokio::sync::watch` version. WebSocket tasks wait on that version and send
//! what their tab has not seen, so a slow tab skips frames but never misses a
//! step of the chart, and the async runtime never runs a model step.
//!
//! The [`Registry`] bounds the number of sessions and drops those that have
//! had no connected tab for the idle timeout.
//!
//! Every per-session list is bounded: at most [`MAX_QUEUED`] commands wait
//! (a command past that is refused, the tab told), at most [`MAX_EVENTS`]
//! fired events are kept for the chart (older ones dropped), at most
//! [`MAX_FIRES_PER_STEP`] policy events fire in one step, and 16 notices.
//! A deleted or reaped session's thread stops after the command at hand,
//! whatever is still queued.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use unrest_scenario::AnyScenario;

use crate::sim::{build, model_row, Control, FiredEvent, History, LiveModel, ModelInfo, PolicyEvent, Row};

/// What a tab asks of its simulation (already validated).
#[derive(Debug)]
pub enum Command {
    Play,
    Pause,
    Step,
    /// Steps per second while playing; `None`: as fast as the model runs.
    Speed(Option<f64>),
    Reset(Option<u64>),
    Set(Control, f64),
    Fire(PolicyEvent),
    Load(Box<AnyScenario>),
    /// Draw this region's lattice (country scenarios).
    Region(usize),
    /// Stop a lattice run at this step.
    StopAt(u64),
    /// Read the agent on a site of the drawn lattice; the answer goes to the
    /// asking tab only (the WebSocket task fills in the channel).
    Inspect {
        x: u32,
        y: u32,
        reply: Option<tokio::sync::oneshot::Sender<Result<serde_json::Value, String>>>,
    },
}

/// The state a session publishes for its tabs.
#[derive(Default)]
pub struct Published {
    /// Bumped on every load or reset: tabs start their chart afresh.
    pub generation: u64,
    pub info: Option<ModelInfo>,
    pub history: History,
    pub events: Vec<FiredEvent>,
    /// Events dropped from the front of `events` (the oldest beyond
    /// [`MAX_EVENTS`]) in this generation: `events[i]` is event number
    /// `events_dropped + i`.
    pub events_dropped: usize,
    /// `LiveModel::controls` and `policy`, as JSON values.
    pub controls: serde_json::Value,
    pub policy: serde_json::Value,
    /// `LiveModel::regions` (empty for a lattice).
    pub regions: serde_json::Value,
    /// The latest frame, already encoded.
    pub frame: axum::body::Bytes,
    pub playing: bool,
    pub speed: Option<f64>,
    /// Messages for the tabs (a refused event, a failed load), with a serial
    /// number so each tab shows each once.
    pub notices: Vec<(u64, String)>,
}

/// Most commands that wait for a session's thread; one more is refused.
pub const MAX_QUEUED: usize = 64;

/// Most fired events a session keeps for its chart (the oldest go first).
pub const MAX_EVENTS: usize = 1_000;

/// Most policy events (`fire`) one step may take; more wait for a step.
pub const MAX_FIRES_PER_STEP: usize = 20;

/// Why a command did not reach the session's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// [`MAX_QUEUED`] commands are already waiting.
    Busy,
    /// The session has ended (deleted, dropped when idle, or its thread gone).
    Gone,
}

impl SendError {
    pub fn message(self) -> String {
        match self {
            SendError::Busy => {
                format!("the simulation is busy: {MAX_QUEUED} commands are already waiting; this one was dropped")
            }
            SendError::Gone => "the session has ended".into(),
        }
    }
}

/// Flags the server sets and the session's thread reads between commands.
#[derive(Default)]
struct Flags {
    /// Deleted or reaped: stop now, leave queued commands undone.
    stop: AtomicBool,
    /// The last tab went away: pause (nobody watches).
    pause: AtomicBool,
}

/// A session as the server holds it.
pub struct Session {
    pub id: String,
    commands: Mutex<mpsc::SyncSender<Command>>,
    flags: Arc<Flags>,
    pub published: Arc<Mutex<Published>>,
    pub version: tokio::sync::watch::Receiver<u64>,
    clients: AtomicUsize,
    last_seen: Mutex<Instant>,
}

impl Session {
    /// Queues a command for the session's thread, unless [`MAX_QUEUED`]
    /// already wait or the session has ended.
    pub fn send(&self, cmd: Command) -> Result<(), SendError> {
        self.touch();
        if self.flags.stop.load(Ordering::SeqCst) {
            return Err(SendError::Gone);
        }
        let tx = self.commands.lock().map_err(|_| SendError::Gone)?;
        tx.try_send(cmd).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => SendError::Busy,
            mpsc::TrySendError::Disconnected(_) => SendError::Gone,
        })
    }

    /// Ends the session's work at once: its thread stops after the command
    /// at hand, leaving what is queued undone.
    fn stop(&self) {
        self.flags.stop.store(true, Ordering::SeqCst);
        // Wake a thread waiting for a command (if the queue has room).
        if let Ok(tx) = self.commands.lock() {
            let _ = tx.try_send(Command::Pause);
        }
    }

    pub fn touch(&self) {
        if let Ok(mut t) = self.last_seen.lock() {
            *t = Instant::now();
        }
    }

    /// A tab connected.
    pub fn attach(&self) {
        self.clients.fetch_add(1, Ordering::SeqCst);
        self.touch();
    }

    /// A tab went away; with no tab left the simulation pauses (nobody watches).
    pub fn detach(&self) {
        if self.clients.fetch_sub(1, Ordering::SeqCst) == 1 {
            // A flag, not a queued command: it must not be lost to a full queue.
            self.flags.pause.store(true, Ordering::SeqCst);
            let _ = self.send(Command::Pause);
        }
        self.touch();
    }

    fn idle_for(&self) -> Duration {
        if self.clients.load(Ordering::SeqCst) > 0 {
            return Duration::ZERO;
        }
        self.last_seen.lock().map(|t| t.elapsed()).unwrap_or(Duration::MAX)
    }
}

/// Why a session could not be created.
#[derive(Debug, PartialEq)]
pub enum CreateError {
    /// The server runs as many simulations as it allows.
    Full(usize),
    /// The model could not be built (or the thread not started).
    Failed(String),
}

/// All sessions of a server.
pub struct Registry {
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    pub max_sessions: usize,
    pub idle_timeout: Duration,
}

impl Registry {
    pub fn new(max_sessions: usize, idle_timeout: Duration) -> Self {
        Registry {
            sessions: Mutex::new(HashMap::new()),
            max_sessions,
            idle_timeout,
        }
    }

    pub fn len(&self) -> usize {
        self.sessions.lock().map(|s| s.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.sessions.lock().ok()?.get(id).cloned()
    }

    /// Deletes a session; its thread stops at once (see [`Session::stop`]).
    pub fn remove(&self, id: &str) -> bool {
        let removed = self.sessions.lock().ok().and_then(|mut s| s.remove(id));
        match removed {
            Some(s) => {
                s.stop();
                true
            }
            None => false,
        }
    }

    /// Starts a session on `scenario`. The model is built on the session's
    /// own thread; a model that fails to build ends the session with an error.
    pub fn create(&self, scenario: AnyScenario, seed: Option<u64>) -> Result<Arc<Session>, CreateError> {
        let mut sessions = self
            .sessions
            .lock()
            .map_err(|_| CreateError::Failed("registry poisoned".into()))?;
        if sessions.len() >= self.max_sessions {
            return Err(CreateError::Full(self.max_sessions));
        }
        let id = new_session_id();
        let (tx, rx) = mpsc::sync_channel(MAX_QUEUED);
        let flags = Arc::new(Flags::default());
        let thread_flags = Arc::clone(&flags);
        let (vtx, vrx) = tokio::sync::watch::channel(0u64);
        let published = Arc::new(Mutex::new(Published::default()));
        let model = build(scenario, seed).map_err(CreateError::Failed)?;
        let thread_pub = Arc::clone(&published);
        std::thread::Builder::new()
            // Linux keeps 15 bytes of a thread's name: "session-" and 7 of the id.
            .name(format!("session-{}", &id[..7]))
            .spawn(move || run_session(model, rx, thread_pub, vtx, thread_flags))
            .map_err(|e| CreateError::Failed(format!("cannot start the simulation thread: {e}")))?;
        let session = Arc::new(Session {
            id: id.clone(),
            commands: Mutex::new(tx),
            flags,
            published,
            version: vrx,
            clients: AtomicUsize::new(0),
            last_seen: Mutex::new(Instant::now()),
        });
        sessions.insert(id, Arc::clone(&session));
        Ok(session)
    }

    /// Drops sessions with no tab attached for longer than the idle timeout;
    /// their threads end when the last handle to their channel goes.
    pub fn reap_idle(&self) -> usize {
        let Ok(mut sessions) = self.sessions.lock() else {
            return 0;
        };
        let before = sessions.len();
        sessions.retain(|_, s| {
            let keep = s.idle_for() <= self.idle_timeout;
            if !keep {
                s.stop();
            }
            keep
        });
        before - sessions.len()
    }
}

/// 128 bits from the standard library's randomly keyed SipHash: session ids
/// keep tabs apart; they are not credentials (the server is loopback-only by
/// default).
fn new_session_id() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut words = [0u64; 2];
    for (k, w) in words.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(n);
        h.write_u128(now);
        h.write_usize(k);
        *w = h.finish();
    }
    format!("{:016x}{:016x}", words[0], words[1])
}

/// Frames are encoded at most this often while playing fast (about 33 per
/// second). It is shorter than the step period of 25 steps per second, so
/// that at that speed and below every step gets its frame.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(30);

/// A slider move, as the chart marks it.
fn slider_event(step: u64, control: Control, value: f64) -> FiredEvent {
    let name = serde_json::to_value(control)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    FiredEvent {
        step,
        event: "set".into(),
        label: format!("{name} → {} (slider)", (value * 1000.0).round() / 1000.0),
        ..FiredEvent::default()
    }
}

/// The session thread: applies commands, steps while playing, publishes.
fn run_session(
    mut model: Box<dyn LiveModel>,
    rx: mpsc::Receiver<Command>,
    published: Arc<Mutex<Published>>,
    version: tokio::sync::watch::Sender<u64>,
    flags: Arc<Flags>,
) {
    let mut playing = false;
    // Policy events fired since the last step (bounded by MAX_FIRES_PER_STEP).
    let mut fires_this_step = 0usize;
    let mut speed: Option<f64> = Some(10.0);
    let mut next_step = Instant::now();
    let mut last_frame = Instant::now() - FRAME_INTERVAL;
    let mut serial = 0u64;
    let mut fresh = true; // a new model: publish everything
    let mut notices: Vec<String> = Vec::new();
    let mut new_counts: Vec<Row> = Vec::new();
    let mut new_events: Vec<FiredEvent> = Vec::new();
    // Slider moves since the last step, one per control, marked when the
    // next step runs with them (a drag sends many values).
    let mut moved: Vec<(Control, f64)> = Vec::new();
    let slider_events = |moved: &mut Vec<(Control, f64)>, step: u64, out: &mut Vec<FiredEvent>| {
        for (c, v) in moved.drain(..) {
            out.push(slider_event(step, c, v));
        }
    };
    loop {
        if flags.stop.load(Ordering::SeqCst) {
            return;
        }
        if flags.pause.swap(false, Ordering::SeqCst) && playing {
            playing = false;
        }
        let wait = if fresh {
            Duration::ZERO
        } else if playing {
            next_step.saturating_duration_since(Instant::now())
        } else {
            Duration::from_secs(3600)
        };
        let mut changed = fresh;
        match rx.recv_timeout(wait) {
            Ok(_) if flags.stop.load(Ordering::SeqCst) => return,
            Ok(cmd) => {
                changed = true;
                match cmd {
                    Command::Play => {
                        playing = true;
                        next_step = Instant::now();
                    }
                    Command::Pause => playing = false,
                    Command::Step => {
                        playing = false;
                        fires_this_step = 0;
                        slider_events(&mut moved, model.counts().step, &mut new_events);
                        match model.step() {
                            Some(c) => new_counts.push(model_row(model.as_ref(), &c)),
                            None => notices.push(model.end_notice()),
                        }
                        new_events.extend(model.take_events());
                    }
                    Command::Region(r) => {
                        if let Err(e) = model.select_region(r) {
                            notices.push(e);
                        }
                    }
                    Command::Speed(s) => speed = s,
                    Command::StopAt(n) => {
                        if let Err(e) = model.set_last_step(n) {
                            notices.push(e);
                        }
                    }
                    Command::Inspect { x, y, reply } => {
                        if let Some(tx) = reply {
                            let _ = tx.send(model.inspect(x, y));
                        }
                        // Nothing changed: no update for the tabs.
                        changed = fresh;
                    }
                    Command::Reset(seed) => {
                        match model.reset(seed) {
                            Ok(()) => {
                                fresh = true;
                                moved.clear();
                            }
                            Err(e) => notices.push(e),
                        }
                        playing = false;
                    }
                    Command::Load(scenario) => match build(*scenario, None) {
                        Ok(m) => {
                            model = m;
                            playing = false;
                            fresh = true;
                            moved.clear();
                        }
                        Err(e) => notices.push(format!("cannot load the scenario: {e}")),
                    },
                    Command::Set(control, value) => match model.set(control, value) {
                        Ok(()) => {
                            moved.retain(|(c, _)| *c != control);
                            moved.push((control, value));
                        }
                        Err(e) => notices.push(e),
                    },
                    Command::Fire(event) if fires_this_step >= MAX_FIRES_PER_STEP => notices.push(format!(
                        "{}: {MAX_FIRES_PER_STEP} policy events have fired this step already; step the simulation first",
                        event.label()
                    )),
                    Command::Fire(event) => match model.fire(event) {
                        Ok(fired) => {
                            fires_this_step += 1;
                            new_events.push(fired);
                        }
                        Err(e) => notices.push(format!("{}: {e}", event.label())),
                    },
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        if playing && Instant::now() >= next_step {
            fires_this_step = 0;
            slider_events(&mut moved, model.counts().step, &mut new_events);
            match model.step() {
                Some(c) => new_counts.push(model_row(model.as_ref(), &c)),
                None => {
                    playing = false;
                    notices.push(model.end_notice());
                }
            }
            new_events.extend(model.take_events());
            changed = true;
            let period = speed.map_or(Duration::ZERO, |s| Duration::from_secs_f64(1.0 / s));
            next_step += period;
            // Never try to catch up more than one step after a slow one.
            next_step = next_step.max(Instant::now() - period);
        }
        let frame_due = !playing || fresh || last_frame.elapsed() >= FRAME_INTERVAL;
        let worth_sending = frame_due || !new_events.is_empty() || !notices.is_empty();
        if !changed || !worth_sending {
            continue;
        }
        let frame = model.frame().to_bytes();
        last_frame = Instant::now();
        let Ok(mut p) = published.lock() else { return };
        if fresh {
            p.generation += 1;
            p.info = Some(model.info());
            p.history.clear();
            p.events.clear();
            p.events_dropped = 0;
            p.history.push(model_row(model.as_ref(), &model.counts()));
            new_counts.clear();
            fresh = false;
        }
        for c in new_counts.drain(..) {
            p.history.push(c);
        }
        p.events.append(&mut new_events);
        let over = p.events.len().saturating_sub(MAX_EVENTS);
        if over > 0 {
            p.events.drain(..over);
            p.events_dropped += over;
        }
        for n in notices.drain(..) {
            serial += 1;
            p.notices.push((serial, n));
        }
        let keep = p.notices.len().saturating_sub(16);
        p.notices.drain(..keep);
        p.info = Some(model.info());
        p.regions = serde_json::to_value(model.regions()).unwrap_or_default();
        p.controls = serde_json::to_value(model.controls()).unwrap_or_default();
        p.policy = serde_json::to_value(model.policy()).unwrap_or_default();
        p.frame = frame.into();
        p.playing = playing;
        p.speed = speed;
        drop(p);
        version.send_modify(|v| *v += 1);
    }
}
