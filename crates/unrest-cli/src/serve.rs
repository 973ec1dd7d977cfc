//! `unrest serve`: the live view in the browser (crate `unrest-web`).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// Scenario a new tab starts with: a built-in name or a TOML file, lattice
    /// or country (others can be picked or uploaded on the page).
    #[arg(default_value = "epstein-run2")]
    pub scenario: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. The default serves this machine only; another
    /// address lets anyone who can reach it run simulations here.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Simulations run at once (one per tab); more get HTTP 503.
    #[arg(long, default_value_t = 16)]
    pub max_sessions: usize,
    /// Seconds after which a simulation with no tab open is dropped.
    #[arg(long, default_value_t = 120)]
    pub idle_timeout: u64,
    /// Largest lattice, in sites, that a tab may run.
    #[arg(long, default_value_t = 4_000_000)]
    pub max_sites: usize,
}

pub fn serve(args: ServeArgs) -> Result<(), String> {
    let mut scenario = unrest_scenario::load_any(&args.scenario, &[]).map_err(|e| e.to_string())?;
    read_geometry(&args.scenario, &mut scenario)?;
    if args.max_sessions == 0 {
        return Err("--max-sessions must be at least 1".into());
    }
    let sites = unrest_web::sim::estimated_sites(&scenario);
    if sites.is_nan() || sites > args.max_sites as f64 {
        return Err(format!(
            "{} needs about {sites:.0} lattice sites, more than --max-sites {}",
            args.scenario, args.max_sites
        ));
    }
    let mut config = unrest_web::Config::new(scenario);
    config.max_sessions = args.max_sessions;
    config.idle_timeout = Duration::from_secs(args.idle_timeout.max(1));
    config.max_sites = args.max_sites;
    let name = args.scenario.clone();
    let addr = SocketAddr::new(args.bind, args.port);
    unrest_web::run(addr, config, |bound| {
        if !bound.ip().is_loopback() {
            eprintln!("warning: listening on {bound}: anyone who can reach this address can run simulations here");
        }
        let host = match bound {
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
            SocketAddr::V4(a) => a.ip().to_string(),
        };
        println!(
            "unrest serve: http://{host}:{}/  (scenario {name}; Ctrl-C stops)",
            bound.port()
        );
        let _ = std::io::stdout().flush();
    })
}

/// Reads the GeoJSON file a country scenario file names (`geometry = "…"`,
/// relative to the scenario's folder) for the live view's map, and checks it
/// against the scenario's regions: a bad file stops `serve` with its reason.
fn read_geometry(name_or_path: &str, scenario: &mut unrest_scenario::AnyScenario) -> Result<(), String> {
    let unrest_scenario::AnyScenario::Country(c) = scenario else {
        return Ok(());
    };
    let Some(geometry) = c.geometry.clone() else {
        return Ok(());
    };
    let dir = std::path::Path::new(name_or_path)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let path = dir.join(&geometry);
    let meta = std::fs::metadata(&path).map_err(|e| format!("{name_or_path}: geometry {}: {e}", path.display()))?;
    if meta.len() > unrest_web::geo::MAX_BYTES as u64 {
        return Err(format!(
            "{name_or_path}: geometry {}: {} bytes, more than {} (simplify it)",
            path.display(),
            meta.len(),
            unrest_web::geo::MAX_BYTES
        ));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("{name_or_path}: geometry {}: {e}", path.display()))?;
    let regions: Vec<&str> = c.spec.regions.iter().map(|r| r.name.as_str()).collect();
    unrest_web::geo::check(&text, &regions).map_err(|e| format!("{name_or_path}: geometry {}: {e}", path.display()))?;
    c.geometry_json = Some(text.into());
    Ok(())
}
