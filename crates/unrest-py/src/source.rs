//! Where a scenario comes from (a built-in name or a path, or TOML text) and
//! loading it as `unrest run` and `unrest check` do.

use crate::scenario_error;
use pyo3::prelude::*;
use unrest_cli::country;
use unrest_scenario::{CountryScenario, Scenario};

/// A scenario as the Python caller gave it.
#[derive(Debug, Clone)]
pub enum Source {
    /// A built-in name or a file path: loaded exactly as the CLI loads it.
    Named(String),
    /// The text of a scenario file; `origin` names it in error messages.
    Text { text: String, origin: String },
}

impl Source {
    /// `scenario` is TOML text when `is_text`, else a name or a path.
    pub fn new(scenario: &str, is_text: bool, origin: Option<&str>) -> Source {
        if is_text {
            Source::Text {
                text: scenario.to_string(),
                origin: origin.unwrap_or("<string>").to_string(),
            }
        } else {
            Source::Named(scenario.to_string())
        }
    }

    pub fn is_country(&self) -> bool {
        match self {
            Source::Named(name) => country::is_country(name),
            Source::Text { text, .. } => unrest_scenario::country::is_country_text(text),
        }
    }
}

/// A loaded scenario of either kind.
pub enum Loaded {
    Lattice(Scenario),
    Country(Box<CountryScenario>),
}

/// Loads `src` with the `set` overrides and an optional seed, as `unrest run`
/// does: a country scenario through `unrest_cli::country::load`, a lattice
/// scenario with the seed (and steps) as overrides.
pub fn load(src: &Source, sets: &[(String, String)], seed: Option<u64>, steps: Option<u64>) -> Result<Loaded, String> {
    if src.is_country() {
        if steps.is_some() {
            return Err(
                "steps does not apply to a country scenario: its calendar sets the length \
                        (set={\"calendar.end\": \"YYYY-MM-DD\"})"
                    .into(),
            );
        }
        return load_country(src, sets, seed).map(|c| Loaded::Country(Box::new(c)));
    }
    let mut sets = sets.to_vec();
    if let Some(seed) = seed {
        sets.push(("seed".into(), seed.to_string()));
    }
    if let Some(steps) = steps {
        sets.push(("steps".into(), steps.to_string()));
    }
    let s = match src {
        Source::Named(name) => Scenario::load(name, &sets),
        Source::Text { text, origin } => Scenario::parse_with(text, origin, &sets),
    };
    s.map(Loaded::Lattice).map_err(|e| e.to_string())
}

/// Loads a country scenario (an error if `src` is a lattice scenario).
pub fn load_country(src: &Source, sets: &[(String, String)], seed: Option<u64>) -> Result<CountryScenario, String> {
    match src {
        Source::Named(name) => country::load(name, sets, seed),
        Source::Text { text, origin } => {
            if !unrest_scenario::country::is_country_text(text) {
                return Err(format!("{origin} is not a country scenario (no kind = \"country\")"));
            }
            country::load_text(text, origin, sets, seed)
        }
    }
}

/// `unrest check`: loads without running. Returns JSON: name, kind, hash,
/// steps (lattice) or scale (country), and `report`, the text the CLI prints.
#[pyfunction]
#[pyo3(signature = (scenario, is_text, origin, sets))]
pub fn check(scenario: &str, is_text: bool, origin: Option<&str>, sets: Vec<(String, String)>) -> PyResult<String> {
    let src = Source::new(scenario, is_text, origin);
    let out = match load(&src, &sets, None, None).map_err(scenario_error)? {
        Loaded::Lattice(s) => {
            unrest_core::World::new(s.params.clone(), s.schedule.clone(), s.seed)
                .map_err(|e| scenario_error(e.to_string()))?;
            serde_json::json!({
                "name": s.name,
                "kind": "lattice",
                "hash": s.hash(),
                "steps": s.steps,
                "seed": s.seed,
                "report": format!("{}: ok ({} steps, hash {})\n", s.name, s.steps, s.hash()),
            })
        }
        Loaded::Country(c) => serde_json::json!({
            "name": c.spec.name,
            "kind": "country",
            "hash": c.hash(),
            "scale": c.spec.scale,
            "seed": c.seed,
            "model": c.model,
            "overrides": c.overrides,
            "report": country::check_report(&c),
        }),
    };
    Ok(out.to_string())
}
