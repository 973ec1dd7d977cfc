//! One model for every episode: the shared mechanism values a country
//! scenario names with `model = "script"`, and the input rules that turn an
//! episode's observables into model inputs.
//!
//! An episode file holds inputs only (regions, populations, police strength,
//! constituencies with their cited approval, the calendar, the regime's dated
//! actions described by what was observed). The mechanism sections come from
//! the model file, key by key: a key the episode sets itself overrides the
//! model's and is listed in [`Merged::overrides`], which `unrest check` and
//! `unrest validate` print, so a reader sees at once where an episode departs
//! from the shared model.

use crate::{Location, ScenarioError};
use unrest_country::rules::{Extent, Force, RulesSpec};

/// Built-in models, compiled in from `models/*.toml`: (name, summary, text).
pub const MODELS: &[(&str, &str, &str)] = &[(
    "script",
    "the protest–crackdown script: shared mechanism values, fitted jointly to the training episodes",
    include_str!("../models/script.toml"),
)];

/// The sections a model file may hold: every mechanism of the country layer.
pub const MODEL_SECTIONS: [&str; 10] = [
    "lattice",
    "police",
    "information",
    "legitimacy",
    "deterrence",
    "loyalty",
    "detention",
    "foreign",
    "outcome",
    "rules",
];

/// A scenario table with its model merged in.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    /// The model's name or path, if the scenario names one.
    pub model: Option<String>,
    /// `section.key` the scenario sets although the model sets it too, and
    /// values set by hand that a rule would otherwise set.
    pub overrides: Vec<String>,
}

/// The text of a model: a built-in name, or a path (relative to the scenario
/// file's folder when the scenario is a file).
fn model_text(name: &str, origin: &str) -> Result<(String, String), String> {
    if let Some((_, _, t)) = MODELS.iter().find(|(n, _, _)| *n == name) {
        return Ok((t.to_string(), format!("<built-in model {name}>")));
    }
    let mut path = std::path::PathBuf::from(name);
    if path.is_relative() && !origin.starts_with('<') {
        if let Some(dir) = std::path::Path::new(origin).parent() {
            path = dir.join(name);
        }
    }
    let known: Vec<&str> = MODELS.iter().map(|m| m.0).collect();
    crate::read_input(&path, "model file")
        .map(|t| (t, path.display().to_string()))
        .map_err(|e| format!("model {name:?}: {e}; built-in models: {}", known.join(", ")))
}

/// Merges the named model's sections under the scenario's own keys and
/// removes `model` from the table.
pub fn merge_model(table: &mut toml::Table, text: &str, origin: &str) -> Result<Merged, ScenarioError> {
    let Some(name) = table.remove("model") else {
        return Ok(Merged::default());
    };
    let at_model = || crate::country::locate_path(text, "model").with_origin(origin);
    let Some(name) = name.as_str().map(str::to_string) else {
        return Err(ScenarioError::at(
            at_model(),
            "`model` is the name or path of a model file",
        ));
    };
    let (mtext, morigin) = model_text(&name, origin).map_err(|m| ScenarioError::at(at_model(), m))?;
    let model: toml::Table = toml::from_str(&mtext).map_err(|e| ScenarioError::from_toml(&e, &mtext, &morigin))?;
    let mut merged = Merged {
        model: Some(name),
        overrides: Vec::new(),
    };
    for (section, value) in model {
        let Some(mtable) = value.as_table() else {
            return Err(ScenarioError::at(
                Location::of_key(&mtext, &[&section], true).with_origin(&morigin),
                format!("a model holds only tables; `{section}` is not one"),
            ));
        };
        if !MODEL_SECTIONS.contains(&section.as_str()) {
            return Err(ScenarioError::at(
                Location::of_key(&mtext, &[&section], true).with_origin(&morigin),
                format!(
                    "`[{section}]` is not a mechanism section; a model may hold: {}",
                    MODEL_SECTIONS.join(", ")
                ),
            ));
        }
        let entry = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(own) = entry.as_table_mut() else {
            return Err(ScenarioError::at(
                crate::country::locate_path(text, &section).with_origin(origin),
                format!("`{section}` must be a table"),
            ));
        };
        for (k, v) in mtable {
            if own.contains_key(k) {
                merged.overrides.push(format!("{section}.{k}"));
            } else {
                own.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(merged)
}

/// The rules in force: the merged `[rules]` table over the defaults.
fn rules_of(table: &toml::Table) -> Result<RulesSpec, ScenarioError> {
    match table.get("rules") {
        None => Ok(RulesSpec::default()),
        Some(v) => v
            .clone()
            .try_into::<RulesSpec>()
            .map_err(|e| ScenarioError::plain(format!("[rules]: {}", e.message()))),
    }
}

/// Keys an event or policy entry may use in place of a model input, by kind.
pub fn rule_keys_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "hardship_shock" => &["price_rise_percent"],
        "lethal_force" => &["force"],
        "internet_shutdown" => &["extent"],
        _ => &[],
    }
}

/// Applies the input rules to the merged table: constituencies' `approval`
/// becomes `legitimacy`, and every event's and policy's observables
/// (`force`, `extent`, `price_rise_percent`) and unset sizes become the
/// numbers the mechanisms use. Returns the values set by hand where a rule
/// would have set them (listed as overrides when a model is named).
pub fn apply_rules(table: &mut toml::Table, text: &str, origin: &str) -> Result<Vec<String>, ScenarioError> {
    let rules = rules_of(table)?;
    let mut by_hand = Vec::new();
    if let Some(cs) = table.get_mut("constituencies").and_then(|v| v.as_array_mut()) {
        for (i, c) in cs.iter_mut().enumerate() {
            let Some(c) = c.as_table_mut() else { continue };
            let here = |key: &str| {
                crate::country::locate_path(text, &format!("constituencies[{i}].{key}")).with_origin(origin)
            };
            match (c.remove("approval"), c.contains_key("legitimacy")) {
                (Some(_), true) => {
                    return Err(ScenarioError::at(
                        here("approval"),
                        "give `approval` (the rule sets legitimacy from it) or `legitimacy`, not both",
                    ))
                }
                (Some(a), false) => {
                    let a = number(&a)
                        .filter(|a| (0.0..=1.0).contains(a))
                        .ok_or_else(|| ScenarioError::at(here("approval"), "`approval` is a share between 0 and 1"))?;
                    c.insert(
                        "legitimacy".into(),
                        toml::Value::Float(rules.legitimacy_from_approval(a)),
                    );
                }
                (None, true) => by_hand.push(format!("constituencies[{i}].legitimacy")),
                (None, false) => {}
            }
            if c.contains_key("threshold") {
                by_hand.push(format!("constituencies[{i}].threshold"));
            } else {
                c.insert("threshold".into(), toml::Value::Float(rules.threshold));
            }
        }
    }
    for array in ["events", "policy"] {
        let Some(items) = table.get_mut(array).and_then(|v| v.as_array_mut()) else {
            continue;
        };
        for (i, item) in items.iter_mut().enumerate() {
            let Some(t) = item.as_table_mut() else { continue };
            let path = format!("{array}[{i}]");
            resolve_action(t, &rules, &path, text, origin, &mut by_hand)?;
        }
    }
    Ok(by_hand)
}

fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// Fills one event's or policy's model inputs from its observables and the rules.
fn resolve_action(
    t: &mut toml::Table,
    rules: &RulesSpec,
    path: &str,
    text: &str,
    origin: &str,
    by_hand: &mut Vec<String>,
) -> Result<(), ScenarioError> {
    let kind = t.get("kind").and_then(|k| k.as_str()).unwrap_or("").to_string();
    let here = |key: &str| crate::country::locate_path(text, &format!("{path}.{key}")).with_origin(origin);
    // An observable in place of a model input: (observable, input, value).
    let observed: Option<(&str, &str, f64)> = match kind.as_str() {
        "hardship_shock" => match t.remove("price_rise_percent") {
            Some(v) => {
                let p = number(&v)
                    .filter(|p| p.is_finite() && *p > -100.0 && *p <= 10_000.0)
                    .ok_or_else(|| ScenarioError::at(here("price_rise_percent"), "a percent rise above -100"))?;
                Some((
                    "price_rise_percent",
                    "factor",
                    RulesSpec::hardship_factor_from_price_rise(p),
                ))
            }
            None => None,
        },
        "lethal_force" => match t.remove("force") {
            Some(v) => {
                let f = v.as_str().and_then(Force::parse).ok_or_else(|| {
                    ScenarioError::at(
                        here("force"),
                        format!("unknown force {v}; allowed: {}", Force::NAMES.join(", ")),
                    )
                })?;
                Some(("force", "lethality", rules.lethality_of(f)))
            }
            None => None,
        },
        "internet_shutdown" => match t.remove("extent") {
            Some(v) => {
                let e = v.as_str().and_then(Extent::parse).ok_or_else(|| {
                    ScenarioError::at(
                        here("extent"),
                        format!("unknown extent {v}; allowed: {}", Extent::NAMES.join(", ")),
                    )
                })?;
                Some(("extent", "remaining", rules.remaining_after(e)))
            }
            None => None,
        },
        _ => None,
    };
    if let Some((obs, input, value)) = observed {
        if t.contains_key(input) {
            return Err(ScenarioError::at(
                here(input),
                format!("give `{obs}` (the rule sets `{input}` from it) or `{input}`, not both"),
            ));
        }
        t.insert(input.into(), toml::Value::Float(value));
    }
    // Sizes a rule sets when the file does not.
    let defaults: &[(&str, f64)] = match kind.as_str() {
        "sham_election" | "legitimacy_shock" => &[("delta", rules.fraud_shock)],
        "concession" => &[
            ("bump", rules.concession_bump),
            ("half_life_days", rules.concession_half_life_days),
        ],
        "emergency" => &[
            ("police_factor", rules.emergency_police_factor),
            ("jail_factor", rules.emergency_jail_factor),
            ("k_factor", rules.emergency_k_factor),
        ],
        "mass_detention" => &[("factor", rules.mass_detention_factor)],
        "crackdown" => &[
            ("police_factor", rules.crackdown_police_factor),
            ("hours", rules.crackdown_hours),
        ],
        _ => &[],
    };
    for (key, value) in defaults {
        // A crackdown's duration is observed (how long the assault lasted), not a size.
        let observed_duration = kind == "crackdown" && *key == "hours";
        if t.contains_key(*key) {
            if observed_duration {
                continue;
            }
            by_hand.push(format!("{path}.{key}"));
        } else {
            t.insert((*key).into(), toml::Value::Float(*value));
        }
    }
    if observed.is_none() {
        for input in ["lethality", "remaining", "factor"] {
            if t.contains_key(input) && rule_keys_of(&kind).len() == 1 && kind != "mass_detention" {
                by_hand.push(format!("{path}.{input}"));
            }
        }
    }
    Ok(())
}
