//! Country scenarios (`kind = "country"`): the schema of `unrest_country::spec`
//! read from TOML, with errors that name file, line, column and the allowed
//! values. See `docs/scenarios.md` for every key.

use crate::{Location, Preset, ScenarioError};
use unrest_core::Params;
use unrest_country::spec::{Action, CountrySpec, Metric};

/// A country scenario with its lattice conventions resolved.
#[derive(Debug, Clone)]
pub struct CountryScenario {
    pub spec: CountrySpec,
    /// Rule conventions shared by every region's lattice (preset + `[lattice]`).
    pub lattice: Params,
    pub seed: u64,
    /// The shared model the scenario names (`model = "script"`), if any.
    pub model: Option<String>,
    /// Where the scenario departs from its model: `section.key` values it sets
    /// although the model sets them, and inputs set by hand where a rule would
    /// set them (`constituencies[0].legitimacy` instead of `approval`).
    pub overrides: Vec<String>,
    /// The GeoJSON file of the scenario's own region boundaries for the live
    /// view's map (`geometry = "regions.geojson"`), as the file writes it: a
    /// path relative to the scenario file. Parsing never reads it; `unrest
    /// serve` does, into [`CountryScenario::geometry_json`].
    pub geometry: Option<String>,
    /// That file's text, once a caller allowed to read files has read it
    /// (`unrest serve` for the scenario it starts with); never set by parsing.
    pub geometry_json: Option<std::sync::Arc<str>>,
}

/// Lattice keys a country sets per region itself.
const REGION_SET: [&str; 5] = ["width", "height", "citizen_density", "cop_density", "max_jail_term"];

/// Keys every `[[events]]` entry may have besides its kind's own.
const EVENT_COMMON: [&str; 6] = ["at", "kind", "regions", "constituencies", "source", "note"];
/// Keys every `[[policy]]` entry may have besides its kind's own.
const POLICY_COMMON: [&str; 9] = [
    "when",
    "region",
    "above",
    "once",
    "after",
    "kind",
    "regions",
    "constituencies",
    "note",
];

/// Whether a scenario text declares `kind = "country"` (without a full parse).
pub fn is_country_text(text: &str) -> bool {
    match toml::from_str::<toml::Table>(text) {
        Ok(t) => t.get("kind").and_then(|k| k.as_str()) == Some("country"),
        Err(_) => text.lines().any(|l| {
            let l = l.trim().replace(' ', "");
            l == "kind=\"country\""
        }),
    }
}

impl CountryScenario {
    /// Parses and validates a country scenario; `--set` overrides take dotted
    /// keys (`seed`, `scale`, `loyalty.defection_threshold`, `lattice.citizen_vision`,
    /// `rules.legitimacy_span`). The named model is merged in first, then the
    /// overrides, then the input rules turn observables into inputs.
    pub fn parse_with(text: &str, origin: &str, overrides: &[(String, String)]) -> Result<Self, ScenarioError> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| ScenarioError::from_toml(&e, text, origin))?;
        check_actions(&table, text, origin)?;
        // The live view's map only: not part of the country model's spec.
        let geometry = match table.remove("geometry") {
            None => None,
            Some(toml::Value::String(path)) if !path.trim().is_empty() => Some(path),
            Some(_) => {
                return Err(ScenarioError::at(
                    locate_path(text, "geometry").with_origin(origin),
                    "geometry is the path of a GeoJSON file of the regions' boundaries, as a non-empty string \
                     (geometry = \"regions.geojson\", relative to this file)",
                ))
            }
        };
        let merged = crate::model::merge_model(&mut table, text, origin)?;
        let base = table.clone();
        apply_overrides(&mut table, overrides)?;
        match finish(table, text, origin, merged.clone()) {
            Ok(scenario) => Ok(CountryScenario { geometry, ..scenario }),
            Err(e) if overrides.is_empty() => Err(e),
            Err(e) => Err(blame_override(base, text, origin, &merged, overrides, e)),
        }
    }

    /// A short hash of everything that determines a run except the seed.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut spec = self.spec.clone();
        spec.seed = 0;
        let canon = serde_json::json!({ "spec": spec, "lattice": self.lattice });
        Sha256::digest(canon.to_string().as_bytes())
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Applies `--set` overrides to the (model-merged) table, in order.
fn apply_overrides(table: &mut toml::Table, overrides: &[(String, String)]) -> Result<(), ScenarioError> {
    for (key, raw) in overrides {
        match key.as_str() {
            "events.drop" => drop_events(table, key, raw)?,
            "events.add" => add_event(table, key, raw)?,
            _ => set_dotted(table, key, raw)?,
        }
    }
    Ok(())
}

/// The rest of the parse once the overrides are in: the input rules, the
/// typed read, the lattice conventions, the calendar's memory and the values.
fn finish(
    mut table: toml::Table,
    text: &str,
    origin: &str,
    merged: crate::model::Merged,
) -> Result<CountryScenario, ScenarioError> {
    let by_hand = crate::model::apply_rules(&mut table, text, origin)?;
    let spec: CountrySpec = toml::Value::Table(table.clone())
        .try_into()
        .map_err(|e: toml::de::Error| {
            // The same complaint about the scenario's own text can be located there.
            toml::from_str::<CountrySpec>(text)
                .err()
                .filter(|own| own.message() == e.message())
                .map(|own| ScenarioError::from_toml(&own, text, origin))
                .unwrap_or_else(|| ScenarioError::at(Location::default().with_origin(origin), e.message()))
        })?;
    let at_path = |path: &str| locate_path(text, path).with_origin(origin);
    let preset = match spec.preset.as_str() {
        "epstein" => Preset::Epstein,
        "mesa" => Preset::Mesa,
        "netlogo" => Preset::Netlogo,
        other => {
            return Err(ScenarioError::at(
                at_path("preset"),
                format!("unknown preset {other:?}; allowed: epstein, mesa, netlogo"),
            ))
        }
    };
    let lattice = resolve_lattice(preset, &table, text, origin)?;
    check_calendar_memory(&spec).map_err(|(path, m)| ScenarioError::at(at_path(path), m))?;
    unrest_country::validate(&spec)
        .map_err(|e| ScenarioError::at(at_path(&precise_path(&spec, &e.path)), e.message))?;
    let seed = spec.seed;
    let mut all_overrides = merged.overrides;
    if merged.model.is_some() {
        all_overrides.extend(by_hand);
    }
    Ok(CountryScenario {
        spec,
        lattice,
        seed,
        model: merged.model,
        overrides: all_overrides,
        geometry: None,
        geometry_json: None,
    })
}

/// A scenario that fails only with its `--set` overrides is blamed on the
/// first override that makes it fail, named as the flag: the file's line
/// holds the value the override replaced, so pointing there misleads. A
/// failure the file has without any override stays located in the file.
fn blame_override(
    base: toml::Table,
    text: &str,
    origin: &str,
    merged: &crate::model::Merged,
    overrides: &[(String, String)],
    full: ScenarioError,
) -> ScenarioError {
    let fails_with = |n: usize| {
        let mut t = base.clone();
        apply_overrides(&mut t, &overrides[..n]).and_then(|()| finish(t, text, origin, merged.clone()).map(|_| ()))
    };
    let own = fails_with(0).err();
    let is_own = |e: &ScenarioError| own.as_ref().is_some_and(|o| o.message == e.message);
    if is_own(&full) {
        return full;
    }
    for n in 1..=overrides.len() {
        match fails_with(n) {
            Ok(()) => {}
            Err(e) if is_own(&e) => {}
            Err(e) if e.location.origin.starts_with("--set ") => return e,
            Err(e) => {
                let (key, raw) = &overrides[n - 1];
                return ScenarioError::at(Location::set_flag(key, raw), e.message);
            }
        }
    }
    full
}

/// Where an error of [`unrest_country::validate`] is best shown: a count of
/// `[[constituencies]]` past the cap at the first entry too many, a second
/// capital at its `capital` key; other paths as they are.
fn precise_path(spec: &CountrySpec, path: &str) -> String {
    match path {
        "constituencies" if spec.constituencies.len() > MAX_CONSTITUENCIES => {
            format!("constituencies[{MAX_CONSTITUENCIES}]")
        }
        "regions" => match spec.regions.iter().enumerate().filter(|(_, r)| r.capital).nth(1) {
            Some((i, _)) => format!("regions[{i}].capital"),
            None => path.to_string(),
        },
        _ => path.to_string(),
    }
}

/// Most `[[constituencies]]` a country may have (`unrest_country::validate`).
const MAX_CONSTITUENCIES: usize = 200;

/// Most steps a country's calendar may have (`unrest_country::validate`).
pub const MAX_CALENDAR_STEPS: f64 = 1e6;

/// Memory a country run keeps per step until it ends (the national and
/// capital row, the time-series CSV line and the plot's points), and per
/// step and region (the region row and its `regions.csv` line), in bytes.
/// Measured: Belarus (7 regions) and Kazakhstan (20) over 44,000 to 93,000
/// steps took 1,590 and 3,150 bytes a step more; these round that up.
pub const COUNTRY_BYTES_PER_STEP: f64 = 800.0;
pub const COUNTRY_BYTES_PER_REGION_STEP: f64 = 150.0;

/// Most memory a country's per-step series may take: 2 GB.
pub const MAX_COUNTRY_SERIES_BYTES: f64 = 2e9;

/// The calendar's step count and the memory its series would take, refused
/// past [`MAX_CALENDAR_STEPS`] or [`MAX_COUNTRY_SERIES_BYTES`] with both named
/// (the key to blame, the message). Dates or a step length that do not parse
/// are left to `unrest_country::validate`, which names them.
fn check_calendar_memory(spec: &CountrySpec) -> Result<(), (&'static str, String)> {
    let cal = &spec.calendar;
    let (Ok(start), Ok(end)) = (
        unrest_country::calendar::parse_datetime(&cal.start),
        unrest_country::calendar::parse_datetime(&cal.end),
    ) else {
        return Ok(());
    };
    if !(cal.step_hours.is_finite() && cal.step_hours >= 0.01) || end <= start {
        return Ok(());
    }
    let steps = (end - start).num_minutes() as f64 / 60.0 / cal.step_hours;
    let regions = spec.regions.len().max(1) as f64;
    let per_step = COUNTRY_BYTES_PER_STEP + COUNTRY_BYTES_PER_REGION_STEP * regions;
    let bytes = steps * per_step;
    if steps <= MAX_CALENDAR_STEPS && bytes <= MAX_COUNTRY_SERIES_BYTES {
        return Ok(());
    }
    Err((
        "calendar.end",
        format!(
            "the calendar from {} to {} in steps of {} hours has {steps:.0} steps, too many: a country run keeps about \
             {COUNTRY_BYTES_PER_STEP:.0} + {COUNTRY_BYTES_PER_REGION_STEP:.0} × regions bytes per step in memory \
             ({per_step:.0} bytes for {regions:.0} regions, {:.1} GB here); at most {MAX_CALENDAR_STEPS:.0} steps and \
             {:.0} GB (raise calendar.step_hours or bring calendar.end closer)",
            cal.start.trim(),
            cal.end.trim(),
            cal.step_hours,
            bytes / 1e9,
            MAX_COUNTRY_SERIES_BYTES / 1e9,
        ),
    ))
}

/// Every `[[events]]` and `[[policy]]` entry has a known kind and only its keys.
fn check_actions(table: &toml::Table, text: &str, origin: &str) -> Result<(), ScenarioError> {
    for (array, common) in [("events", &EVENT_COMMON[..]), ("policy", &POLICY_COMMON[..])] {
        let Some(items) = table.get(array).and_then(|v| v.as_array()) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let here = || Location::of_array_item(text, array, i).with_origin(origin);
            let Some(t) = item.as_table() else { continue };
            let Some(kind) = t.get("kind").and_then(|k| k.as_str()) else {
                return Err(ScenarioError::at(
                    here(),
                    format!(
                        "{array} entry {} has no `kind`; allowed kinds: {}",
                        i + 1,
                        Action::KINDS.join(", ")
                    ),
                ));
            };
            let Some(own) = Action::keys_of(kind) else {
                let loc = locate_path(text, &format!("{array}[{i}].kind")).with_origin(origin);
                return Err(ScenarioError::at(
                    loc,
                    format!(
                        "unknown event kind `{kind}`; allowed kinds: {}",
                        Action::KINDS.join(", ")
                    ),
                ));
            };
            if array == "policy" {
                if let Some(w) = t.get("when").and_then(|w| w.as_str()) {
                    if !Metric::NAMES.contains(&w) {
                        let loc = locate_path(text, &format!("policy[{i}].when")).with_origin(origin);
                        return Err(ScenarioError::at(
                            loc,
                            format!("unknown metric `{w}`; allowed: {}", Metric::NAMES.join(", ")),
                        ));
                    }
                }
            }
            let rule_keys = crate::model::rule_keys_of(kind);
            for key in t.keys() {
                if !common.contains(&key.as_str()) && !own.contains(&key.as_str()) && !rule_keys.contains(&key.as_str())
                {
                    let loc = locate_key(text, array, i, key).with_origin(origin);
                    let mut allowed: Vec<&str> = common.to_vec();
                    allowed.extend(own);
                    allowed.extend(rule_keys);
                    return Err(ScenarioError::at(
                        loc,
                        format!("unknown key `{key}` for kind `{kind}`; allowed: {}", allowed.join(", ")),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The preset's parameters with `[lattice]` applied, each key checked.
fn resolve_lattice(preset: Preset, table: &toml::Table, text: &str, origin: &str) -> Result<Params, ScenarioError> {
    let mut params = preset.params();
    let Some(lat) = table.get("lattice").and_then(|l| l.as_table()) else {
        return Ok(params);
    };
    let mut current = match toml::Value::try_from(&params) {
        Ok(toml::Value::Table(t)) => t,
        _ => return Ok(params),
    };
    for (key, value) in lat {
        let at = |key_only: bool| Location::of_key(text, &["lattice", key], key_only).with_origin(origin);
        if REGION_SET.contains(&key.as_str()) {
            return Err(ScenarioError::at(
                at(true),
                format!("`{key}` is set per region from population, scale and [police]/[detention]; remove it from [lattice]"),
            ));
        }
        if !current.contains_key(key) {
            return Err(ScenarioError::at(
                at(true),
                format!(
                    "unknown lattice parameter `{key}`; known: {}",
                    crate::param_names()
                        .into_iter()
                        .filter(|n| !REGION_SET.contains(&n.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let old = current.insert(key.clone(), value.clone());
        match toml::Value::Table(current.clone()).try_into::<Params>() {
            Ok(p) => params = p,
            Err(e) => {
                if let Some(o) = old {
                    current.insert(key.clone(), o);
                }
                let msg = e.to_string();
                let first = msg
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
                    .to_string();
                return Err(ScenarioError::at(at(false), format!("bad value for `{key}`: {first}")));
            }
        }
    }
    if let Err(errs) = params.validate() {
        let e = &errs[0];
        return Err(ScenarioError::at(
            Location::of_key(text, &["lattice", &e.name], false).with_origin(origin),
            e.message.clone(),
        ));
    }
    Ok(params)
}

/// `--set a.b=v`: sets a value in a (sub)table. A list of tables is entered
/// by an element's `name` (`constituencies.opposition.approval`,
/// `regions.Kyiv.population`) or by its position counting from 1
/// (`events.3.hours`), so sweeps and calibrations can vary the inputs too.
fn set_dotted(table: &mut toml::Table, key: &str, raw: &str) -> Result<(), ScenarioError> {
    let value = crate::parse_override_value(raw);
    let parts: Vec<&str> = key.split('.').collect();
    let fail = |msg: String| ScenarioError::at(Location::set_flag(key, raw), msg);
    let mut t = table;
    let mut i = 0;
    while i + 1 < parts.len() {
        let p = parts[i];
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Array(items) = entry {
            let Some(which) = parts.get(i + 1).filter(|_| i + 2 < parts.len()) else {
                return Err(fail(format!(
                    "`{p}` is a list: name an element, as in `{p}.NAME.key` or `{p}.1.key`"
                )));
            };
            let names: Vec<String> = items
                .iter()
                .filter_map(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string))
                .collect();
            let pos = match which.parse::<usize>() {
                Ok(n) if n >= 1 && n <= items.len() => Some(n - 1),
                Ok(_) => None,
                Err(_) => names.iter().position(|n| n == which),
            };
            let Some(pos) = pos else {
                let known = if names.is_empty() {
                    format!("positions 1 to {}", items.len())
                } else {
                    names.join(", ")
                };
                return Err(fail(format!("no `{which}` in `{p}` (there are: {known})")));
            };
            t = items[pos]
                .as_table_mut()
                .ok_or_else(|| fail(format!("`{p}.{which}` is not a table, cannot set `{key}`")))?;
            i += 2;
            continue;
        }
        t = entry
            .as_table_mut()
            .ok_or_else(|| fail(format!("`{p}` is not a table, cannot set `{key}`")))?;
        i += 1;
    }
    t.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}

/// `--set events.drop=KIND` (or `KIND@DATE`, matching the events whose `at`
/// starts with DATE): removes dated inputs, for what-if variants ("without
/// the CSTO deployment"). Dropping nothing is an error: a misspelt variant
/// must not silently equal the baseline.
fn drop_events(table: &mut toml::Table, key: &str, raw: &str) -> Result<(), ScenarioError> {
    let raw = raw.trim().trim_matches('"');
    let (kind, at) = raw.split_once('@').unwrap_or((raw, ""));
    let fail = |msg: String| ScenarioError::at(Location::set_flag(key, raw), msg);
    let Some(toml::Value::Array(events)) = table.get_mut("events") else {
        return Err(fail("the scenario has no [[events]] to drop".into()));
    };
    let field = |e: &toml::Value, f: &str| e.get(f).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let before = events.len();
    let kinds: std::collections::BTreeSet<String> = events.iter().map(|e| field(e, "kind")).collect();
    events.retain(|e| !(field(e, "kind") == kind && field(e, "at").starts_with(at)));
    if events.len() == before {
        let when = if at.is_empty() {
            String::new()
        } else {
            format!(" at {at}")
        };
        let kinds: Vec<String> = kinds.into_iter().collect();
        return Err(fail(format!(
            "no `{kind}` event{when} to drop (the scenario's event kinds: {})",
            kinds.join(", ")
        )));
    }
    Ok(())
}

/// `--set 'events.add={at = "2020-08-10", kind = "lethal_force", regions =
/// ["Minsk"], force = "live_fire"}'`: adds a dated input, written as in the
/// file; it goes through the model's input rules like the file's own events.
/// A list of such tables, `[{...}, {...}]`, adds each (one key in a sweep's
/// `[set]` can then add several).
fn add_event(table: &mut toml::Table, key: &str, raw: &str) -> Result<(), ScenarioError> {
    let fail = |msg: String| ScenarioError::at(Location::set_flag(key, raw), msg);
    let shape = "an event is an inline table, {at = \"...\", kind = \"...\", ...}, or a list of them";
    let parsed: toml::Table =
        toml::from_str(&format!("event = {raw}")).map_err(|e| fail(format!("{shape}: {}", e.message())))?;
    let mut value = parsed.get("event").cloned();
    // A sweep's `[set]` passes strings quoted, as TOML: unwrap one level.
    if let Some(toml::Value::String(inner)) = &value {
        let again: toml::Table =
            toml::from_str(&format!("event = {inner}")).map_err(|e| fail(format!("{shape}: {}", e.message())))?;
        value = again.get("event").cloned();
    }
    let added: Vec<toml::Table> = match value {
        Some(toml::Value::Table(event)) => vec![event],
        Some(toml::Value::Array(list)) if !list.is_empty() => list
            .into_iter()
            .map(|v| match v {
                toml::Value::Table(t) => Ok(t),
                _ => Err(fail(shape.into())),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(fail(shape.into())),
    };
    for event in &added {
        for needed in ["at", "kind"] {
            if !event.contains_key(needed) {
                return Err(fail(format!("the added event needs `{needed}`")));
            }
        }
    }
    match table.entry("events").or_insert_with(|| toml::Value::Array(Vec::new())) {
        toml::Value::Array(events) => events.extend(added.into_iter().map(toml::Value::Table)),
        _ => return Err(fail("`events` is not a list of events".into())),
    }
    Ok(())
}

/// The location of a dotted path like `regions[2].population` or `calendar.end`.
pub fn locate_path(text: &str, path: &str) -> Location {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return Location::default();
    };
    let mut item: &toml_edit::Item = doc.as_item();
    let mut best: Option<std::ops::Range<usize>> = None;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some(next) = item.get(name) else { break };
        item = next;
        if let Some(s) = item_span(item) {
            best = Some(s);
        }
        if let Some(i) = index {
            let Some(next) = item.get(i) else { break };
            item = next;
            if let Some(s) = item_span(item) {
                best = Some(s);
            }
        }
    }
    best.map(|r| Location::of_offset(text, r.start)).unwrap_or_default()
}

fn item_span(item: &toml_edit::Item) -> Option<std::ops::Range<usize>> {
    match item {
        toml_edit::Item::Value(v) => v.span(),
        toml_edit::Item::Table(t) => t.span(),
        toml_edit::Item::ArrayOfTables(a) => a.get(0).and_then(|t| t.span()),
        _ => None,
    }
}

fn locate_key(text: &str, array: &str, index: usize, key: &str) -> Location {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return Location::default();
    };
    let span = doc
        .get(array)
        .and_then(|a| a.as_array_of_tables())
        .and_then(|a| a.get(index))
        .and_then(|t| t.key(key).and_then(|k| k.span()));
    match span {
        Some(r) => Location::of_offset(text, r.start),
        None => Location::of_array_item(text, array, index),
    }
}
