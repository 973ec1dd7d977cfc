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
//! * [`geo`]: a country's map, its regions' boundaries (the built-ins'
//!   shipped in `geo/`, Natural Earth admin-1, public domain).
//!
//! Safe by default: loopback only unless told otherwise, bodies and messages
//! size-limited, only embedded assets served, and bad requests answered
//! with errors rather than crashes.

pub mod api;
mod assets;
pub mod country;
pub mod geo;
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
    /// When the server listens on loopback only, it answers only requests
    /// addressed to a loopback name (the `Host` header: no DNS rebinding), and
    /// refuses WebSockets and POST/DELETE requests from pages of any other
    /// origin, so a web site open in the same browser can neither drive nor
    /// fill its simulations.
    pub loopback: bool,
    /// The port the server listens on (set by [`serve`]); a loopback `Host`
    /// or `Origin` must name it.
    pub port: Option<u16>,
    /// A connection must send a request's whole header within this time,
    /// and an idle keep-alive connection its next request: slow or silent
    /// clients (slowloris) are closed rather than held open. A WebSocket,
    /// once upgraded, is not bound by it.
    pub header_timeout: Duration,
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
            port: None,
            header_timeout: HEADER_TIMEOUT,
        }
    }

    /// Whether a request with this `Host` header may be answered: always
    /// when not loopback-only or without one (not a browser); else only
    /// when it names a loopback address or `localhost`, on this server's port.
    pub fn host_allowed(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return true };
        !self.loopback || self.loopback_authority(host)
    }

    /// Whether a WebSocket or a POST/DELETE with this `Origin` header may go
    /// on: without one (not a browser) always; when loopback-only, only from
    /// this very server's page, `http://` and the request's own `Host`.
    pub fn origin_allowed(&self, origin: Option<&str>, host: Option<&str>) -> bool {
        let Some(origin) = origin else { return true };
        if !self.loopback {
            return true;
        }
        let Some(authority) = origin.strip_prefix("http://") else {
            return false;
        };
        let same_host = host.is_some_and(|h| h.eq_ignore_ascii_case(authority));
        same_host && self.loopback_authority(authority)
    }

    /// `localhost`, `[::1]` or a 127.x.x.x address, with this server's port
    /// (when known; no port means 80).
    fn loopback_authority(&self, authority: &str) -> bool {
        let split = || -> Option<(&str, Option<&str>)> {
            Some(match authority.strip_prefix('[') {
                Some(rest) => {
                    let (ip, tail) = rest.split_once(']')?;
                    (
                        ip,
                        if tail.is_empty() {
                            None
                        } else {
                            Some(tail.strip_prefix(':')?)
                        },
                    )
                }
                None => match authority.split_once(':') {
                    Some((name, port)) => (name, Some(port)),
                    None => (authority, None),
                },
            })
        };
        let Some((name, port)) = split() else { return false };
        let port = match port {
            None => 80,
            Some(p) => match p.parse::<u16>() {
                Ok(p) => p,
                Err(_) => return false,
            },
        };
        if self.port.is_some_and(|mine| mine != port) {
            return false;
        }
        name.eq_ignore_ascii_case("localhost")
            || name.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
            || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// Default [`Config::header_timeout`].
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves on `listener` until the process ends, dropping idle sessions in
/// the background. Each connection is served by hyper's HTTP/1 with a header
/// read timeout ([`Config::header_timeout`]), which `axum::serve` does not set.
pub async fn serve(listener: tokio::net::TcpListener, mut config: Config) -> std::io::Result<()> {
    config.port = Some(listener.local_addr()?.port());
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
    let header_timeout = config.header_timeout;
    let app = Arc::new(api::App { registry, config });
    let router = router(app);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait, then accept again.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = http
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            let _ = conn.await;
        });
    }
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
