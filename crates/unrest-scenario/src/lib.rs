//! # unrest-scenario
//!
//! A scenario is a TOML file: a name, a rule preset, the number of steps, a
//! default seed, a `[params]` table that overrides the preset's parameters, and
//! `[[schedule]]` entries that change parameters during the run. See
//! `docs/scenarios.md` for every key.
//!
//! Errors name the file, line and column, and — for a value of the wrong kind —
//! the allowed values, because scenario files are written by hand.

mod builtin;
pub mod country;
mod error;
mod input;
pub mod model;

pub use builtin::{builtin, builtin_names, country_builtin, BUILTINS, COUNTRY_BUILTINS};
pub use country::CountryScenario;
pub use error::{Location, ScenarioError};
pub use input::{read_input, text_of, MAX_INPUT_BYTES};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unrest_core::{Params, ScheduledChange};

/// The rule conventions a scenario starts from before its `[params]` apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// The paper's conventions ([`Params::epstein`]).
    #[default]
    Epstein,
    /// Mesa 3.5.1's example ([`Params::mesa`]).
    Mesa,
    /// NetLogo's Rebellion ([`Params::netlogo`]).
    Netlogo,
}

impl Preset {
    pub fn params(self) -> Params {
        match self {
            Preset::Epstein => Params::epstein(),
            Preset::Mesa => Params::mesa(),
            Preset::Netlogo => Params::netlogo(),
        }
    }
}

/// A scenario with every parameter resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub preset: Preset,
    pub steps: u64,
    pub seed: u64,
    pub params: Params,
    pub schedule: Vec<ScheduledChange>,
}

/// The file as written; `params` stays raw so each key can be checked and
/// located on its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    preset: Preset,
    #[serde(default = "default_steps")]
    steps: u64,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    schedule: Vec<ScheduledChange>,
}

fn default_steps() -> u64 {
    500
}

fn default_seed() -> u64 {
    1
}

/// Most steps a lattice run may ask for. `unrest run` keeps one row of counts
/// per step in memory, and its CSV, until the run ends: about 100 bytes a
/// step, so 1 GB at this cap (docs/limits.md). Refused at `check`, not found
/// out by an allocation failure hours into a run.
pub const MAX_STEPS: u64 = 10_000_000;

/// Bytes of memory `unrest run` needs per step (counts row and CSV line), for
/// the message that refuses a step count.
pub const BYTES_PER_STEP: u64 = 100;

/// Keys `--set` accepts besides the parameters.
pub const TOP_LEVEL_KEYS: [&str; 2] = ["steps", "seed"];

/// The names of all parameters, in declaration order (what `[params]` and `--set` accept).
pub fn param_names() -> Vec<String> {
    match toml::Value::try_from(Params::epstein()) {
        Ok(toml::Value::Table(t)) => t.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Scenario {
    /// Parses and validates a scenario file's text. `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        Self::parse_with(text, origin, &[])
    }

    /// Parses, then applies `--set key=value` overrides, then validates.
    pub fn parse_with(text: &str, origin: &str, overrides: &[(String, String)]) -> Result<Scenario, ScenarioError> {
        let file: ScenarioFile = toml::from_str(text).map_err(|e| ScenarioError::from_toml(&e, text, origin))?;
        let locate = |path: &[&str], key_only: bool| Location::of_key(text, path, key_only);
        let mut table = match toml::Value::try_from(file.preset.params()) {
            Ok(toml::Value::Table(t)) => t,
            _ => unreachable!("Params always serialises to a table"),
        };
        let mut resolved = Resolved {
            steps: file.steps,
            seed: file.seed,
            params: file.preset.params(),
        };
        for (key, value) in &file.params {
            let at = || locate(&["params", key], false).with_origin(origin);
            resolved.apply(&mut table, key, value.clone(), at, || {
                locate(&["params", key], true).with_origin(origin)
            })?;
        }
        for (key, raw) in overrides {
            let at = || Location::set_flag(key, raw);
            let value = parse_override_value(raw);
            match key.as_str() {
                "steps" | "seed" => {
                    // Parsed as u64 directly: TOML integers stop at 2^63 − 1, but a
                    // sweep's derived run seeds use all 64 bits and must replay.
                    let n = raw.trim().parse::<u64>().map_err(|_| {
                        ScenarioError::at(
                            at(),
                            format!("{key} must be a whole number from 0 to {}, not {raw:?}", u64::MAX),
                        )
                    })?;
                    if key == "steps" {
                        resolved.steps = n;
                    } else {
                        resolved.seed = n;
                    }
                }
                _ => resolved.apply(&mut table, key, value, at, at)?,
            }
        }
        if resolved.steps > MAX_STEPS {
            let loc = match overrides.iter().rev().find(|(k, _)| k == "steps") {
                Some((k, v)) => Location::set_flag(k, v),
                None => locate(&["steps"], false).with_origin(origin),
            };
            return Err(ScenarioError::at(loc, steps_error(resolved.steps)));
        }
        if let Err(errs) = resolved.params.validate() {
            let e = &errs[0];
            let from_set = overrides.iter().rev().find(|(k, _)| *k == e.name);
            let loc = match from_set {
                Some((k, v)) => Location::set_flag(k, v),
                None => locate(&["params", &e.name], false).with_origin(origin),
            };
            return Err(ScenarioError::at(loc, e.message.clone()));
        }
        for (i, change) in file.schedule.iter().enumerate() {
            if let Err(msg) = change.validate() {
                let loc = Location::of_array_item(text, "schedule", i).with_origin(origin);
                return Err(ScenarioError::at(loc, format!("schedule entry {}: {msg}", i + 1)));
            }
        }
        Ok(Scenario {
            name: file.name,
            description: file.description,
            preset: file.preset,
            steps: resolved.steps,
            seed: resolved.seed,
            params: resolved.params,
            schedule: file.schedule,
        })
    }

    /// Loads a built-in scenario by name, or else a file by path.
    pub fn load(name_or_path: &str, overrides: &[(String, String)]) -> Result<Scenario, ScenarioError> {
        if let Some(text) = builtin(name_or_path) {
            return Self::parse_with(text, &format!("<built-in {name_or_path}>"), overrides);
        }
        let path = std::path::Path::new(name_or_path);
        let looks_like_path = name_or_path.ends_with(".toml") || name_or_path.contains('/') || path.exists();
        if !looks_like_path {
            return Err(ScenarioError::plain(format!(
                "unknown scenario {name_or_path:?}: not a built-in ({}) and not a file",
                builtin_names().join(", ")
            )));
        }
        let text = read_input(path, "scenario file")?;
        Self::parse_with(&text, name_or_path, overrides)
    }

    /// A short hash of everything that determines the run except the seed:
    /// parameters, schedule and steps (SHA-256 of their canonical JSON).
    pub fn hash(&self) -> String {
        let canon = serde_json::json!({ "params": self.params, "schedule": self.schedule, "steps": self.steps });
        let digest = Sha256::digest(canon.to_string().as_bytes());
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

struct Resolved {
    steps: u64,
    seed: u64,
    params: Params,
}

impl Resolved {
    /// Sets one parameter in the table and re-reads the whole parameter set, so a
    /// value of the wrong kind is reported at the key that brought it.
    fn apply(
        &mut self,
        table: &mut toml::Table,
        key: &str,
        value: toml::Value,
        value_at: impl Fn() -> Location,
        key_at: impl Fn() -> Location,
    ) -> Result<(), ScenarioError> {
        if !table.contains_key(key) {
            let mut names = param_names();
            names.extend(TOP_LEVEL_KEYS.iter().map(|s| s.to_string()));
            return Err(ScenarioError::at(
                key_at(),
                format!("unknown parameter `{key}`; known parameters: {}", names.join(", ")),
            ));
        }
        let old = table.insert(key.to_string(), value);
        match toml::Value::Table(table.clone()).try_into::<Params>() {
            Ok(p) => {
                self.params = p;
                Ok(())
            }
            Err(e) => {
                if let Some(old) = old {
                    table.insert(key.to_string(), old);
                }
                Err(ScenarioError::at(
                    value_at(),
                    format!("bad value for `{key}`: {}", first_line(&e.to_string())),
                ))
            }
        }
    }
}

/// The message refusing `steps`: the cap and the memory the run would take.
pub fn steps_error(steps: u64) -> String {
    let gb = steps as f64 * BYTES_PER_STEP as f64 / 1e9;
    format!(
        "steps = {steps} is too many: a run keeps about {BYTES_PER_STEP} bytes per step in memory ({gb:.1} GB here); at most {MAX_STEPS} steps"
    )
}

fn first_line(s: &str) -> String {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

/// A `--set` value: a TOML value if it parses as one (`0.7`, `true`, `"inf"`),
/// else the bare word as a string (`moore`, `inf`).
pub(crate) fn parse_override_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// Either kind of scenario: one lattice (Models I/II) or a country (`kind = "country"`).
#[derive(Debug, Clone)]
pub enum AnyScenario {
    Lattice(Scenario),
    Country(Box<CountryScenario>),
}

/// Loads a built-in or a file of either kind, dispatching on `kind = "country"`.
pub fn load_any(name_or_path: &str, overrides: &[(String, String)]) -> Result<AnyScenario, ScenarioError> {
    if let Some(text) = country_builtin(name_or_path) {
        let origin = format!("<built-in {name_or_path}>");
        return CountryScenario::parse_with(text, &origin, overrides).map(|c| AnyScenario::Country(Box::new(c)));
    }
    if builtin(name_or_path).is_none() {
        let path = std::path::Path::new(name_or_path);
        if path.exists() {
            let text = read_input(path, "scenario file")?;
            if country::is_country_text(&text) {
                return CountryScenario::parse_with(&text, name_or_path, overrides)
                    .map(|c| AnyScenario::Country(Box::new(c)));
            }
        }
    }
    Scenario::load(name_or_path, overrides)
        .map(AnyScenario::Lattice)
        .map_err(|e| {
            // Either kind is accepted here: name the country built-ins too.
            if e.to_string().contains("not a built-in (") {
                let countries: Vec<&str> = COUNTRY_BUILTINS.iter().map(|b| b.0).collect();
                ScenarioError::plain(format!(
                    "unknown scenario {name_or_path:?}: not a built-in (lattices: {}; countries: {}) and not a file",
                    builtin_names().join(", "),
                    countries.join(", ")
                ))
            } else {
                e
            }
        })
}

/// How the `set` fuzz target (fuzz/) and its regression test read one input:
/// the first byte picks a built-in scenario of either kind, each further line
/// is one `KEY=VALUE` override. One home, so a saved crash replays exactly.
pub fn fuzz_set_case(data: &[u8]) -> Option<(&'static str, Vec<(String, String)>)> {
    let (&pick, rest) = data.split_first()?;
    let names: Vec<&'static str> = BUILTINS.iter().chain(COUNTRY_BUILTINS).map(|b| b.0).collect();
    let sets = String::from_utf8_lossy(rest)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some((names[pick as usize % names.len()], sets))
}
