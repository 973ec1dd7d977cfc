//! # unrest-web
//!
//! `unrest serve`: a live view of a simulation in the browser, as NetLogo's
//! view or Mesa's Solara page, served by the binary itself (the page is
//! embedded; nothing is fetched from the network).
//!
//! * [`sim`]: the watched model ([`sim::LiveModel`]; [`sim::LatticeSim`] for
//!   lattice scenarios), how sliders and policy buttons act on it, and how the
//!   lattice is drawn (downsampled beyond 250 cells per side).
//! * [`session`]: one simulation per browser tab, each stepped on its own
//!   thread; a bounded number of them, idle ones dropped.
//! * [`api`]: HTTP endpoints and the WebSocket protocol (`docs/web.md`).
//!
//! Safe by default: loopback only unless told otherwise, bodies and messages
//! size-limited, only embedded assets served, and bad requests answered
//! with errors rather than crashes.

pub mod api;
mod assets;
pub mod country;
pub mod session;
pub mod sim;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use unrest_scenario::AnyScenario;

pub use api::router;
pub use session::Registry;

/// Server settings; [`Config::new`] gives the defaults.
#[derive(Clone)]
pub struct Config {
    /// The scenario a new tab starts with (a lattice or a country).
    pub default_scenario: AnyScenario,
    /// Simulations run at once; one more gets HTTP 503.
    pub max_sessions: usize,
    /// A session with no tab attached for this long is dropped.
    pub idle_timeout: Duration,
    /// Largest request body (scenario uploads), in bytes.
    pub max_body: usize,
    /// Largest lattice (in sites) a session may run.
    pub max_sites: usize,
    /// When the server listens on loopback only, WebSockets from pages of
    /// other origins are refused, so a web site open in the same browser
    /// cannot drive the simulations.
    pub loopback: bool,
}

impl Config {
    pub fn new(default_scenario: AnyScenario) -> Self {
        Config {
            default_scenario,
            max_sessions: 16,
            idle_timeout: Duration::from_secs(120),
            max_body: 256 * 1024,
            max_sites: 4_000_000,
            loopback: true,
        }
    }

    /// Whether a WebSocket with this `Origin` header may connect: without one
    /// (not a browser) always; from a browser, when loopback-only, only from
    /// a loopback origin.
    pub fn origin_allowed(&self, origin: Option<&str>) -> bool {
        let Some(origin) = origin else { return true };
        if !self.loopback {
            return true;
        }
        let host = origin.split("://").nth(1).unwrap_or("").trim_end_matches('/');
        let host = match host.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(""),
            None => host.split(':').next().unwrap_or(""),
        };
        host == "localhost" || host == "::1" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// Serves on `listener` until the process ends, dropping idle sessions in
/// the background.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let registry = Arc::new(Registry::new(config.max_sessions, config.idle_timeout));
    let reaper = Arc::clone(&registry);
    let every = (config.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(15));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            reaper.reap_idle();
        }
    });
    let app = Arc::new(api::App { registry, config });
    axum::serve(listener, router(app)).await
}

/// Binds `addr`, calls `ready` with the bound address (port 0 picks a free
/// one), and serves until the process ends.
pub fn run(addr: SocketAddr, mut config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    config.loopback = addr.ip().is_loopback();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server runtime: {e}"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        ready(bound);
        serve(listener, config)
            .await
            .map_err(|e| format!("server stopped: {e}"))
    })
}
