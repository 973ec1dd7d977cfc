//! Country scenario files: the built-ins parse and run, errors point at the
//! place and list what is allowed, and no input makes the parser panic.

use proptest::prelude::*;
use unrest_country::Country;
use unrest_scenario::{country_builtin, load_any, AnyScenario, CountryScenario, COUNTRY_BUILTINS};

fn parse(text: &str) -> Result<CountryScenario, String> {
    CountryScenario::parse_with(text, "test.toml", &[]).map_err(|e| e.to_string())
}

const SMALL: &str = r#"
kind = "country"
name = "small"
scale = 2000
[calendar]
start = "2020-01-01"
end = "2020-01-04"
step_hours = 12
[[regions]]
name = "A"
population = 400000
capital = true
[[regions]]
name = "B"
population = 200000
[[constituencies]]
name = "all"
share = 1.0
legitimacy = 0.85
[[events]]
at = "2020-01-02"
kind = "hardship_shock"
factor = 1.5
"#;

#[test]
fn the_built_in_episodes_parse_and_run_a_few_steps() {
    assert_eq!(COUNTRY_BUILTINS.len(), 3);
    for (name, _, _) in COUNTRY_BUILTINS {
        let AnyScenario::Country(sc) = load_any(name, &[("scale".into(), "20000".into())]).unwrap() else {
            panic!("{name} is a country scenario")
        };
        assert_eq!(&sc.spec.name, name);
        assert!(!sc.spec.criteria.is_empty(), "{name} carries its criteria");
        let mut c = Country::new(sc.spec.clone(), sc.lattice.clone(), sc.seed).unwrap();
        for _ in 0..4 {
            c.step();
        }
        assert!(
            country_builtin(name).unwrap().contains("source"),
            "{name} cites sources"
        );
    }
    assert_eq!(
        load_any("kazakhstan-2022", &[]).map(|s| matches!(s, AnyScenario::Country(_))),
        Ok(true)
    );
    assert!(matches!(load_any("epstein-run1", &[]), Ok(AnyScenario::Lattice(_))));
}

#[test]
fn kazakhstan_has_its_twenty_units() {
    let AnyScenario::Country(sc) = load_any("kazakhstan-2022", &[]).unwrap() else {
        panic!()
    };
    assert_eq!(sc.spec.regions.len(), 20);
    let total: u64 = sc.spec.regions.iter().map(|r| r.population).sum();
    assert!((19_000_000..19_400_000).contains(&total), "{total}");
    assert_eq!(sc.spec.regions.iter().filter(|r| r.capital).count(), 1);
}

#[test]
fn an_unknown_event_kind_names_the_place_and_the_allowed_kinds() {
    let text = SMALL.replace("kind = \"hardship_shock\"", "kind = \"coup\"");
    let e = parse(&text).unwrap_err();
    assert!(e.starts_with("test.toml:22:"), "{e}");
    assert!(e.contains("unknown event kind `coup`"), "{e}");
    assert!(
        e.contains("internet_shutdown") && e.contains("foreign_troops_in"),
        "{e}"
    );
}

#[test]
fn bad_values_and_keys_are_located() {
    let e = parse(&SMALL.replace("population = 200000", "population = 0")).unwrap_err();
    assert!(e.starts_with("test.toml:15:") && e.contains("out of range"), "{e}");
    let e = parse(&SMALL.replace("factor = 1.5", "factor = 1.5\nlethality = 0.2")).unwrap_err();
    assert!(
        e.contains("unknown key `lethality` for kind `hardship_shock`") && e.contains("ramp_hours"),
        "{e}"
    );
    let e = parse(&SMALL.replace("end = \"2020-01-04\"", "end = \"2020-13-04\"")).unwrap_err();
    assert!(e.starts_with("test.toml:7:") && e.contains("not a date"), "{e}");
    let e = parse(&format!("{SMALL}\n[lattice]\nwidth = 10\n")).unwrap_err();
    assert!(e.contains("set per region"), "{e}");
    let e = parse(&format!("{SMALL}\n[lattice]\nneighbourhood = \"hexagon\"\n")).unwrap_err();
    assert!(e.contains("neighbourhood"), "{e}");
    let e = parse(&SMALL.replace(
        "[[events]]\nat = \"2020-01-02\"\n",
        "[[events]]\nat = \"2020-01-02\"\nregions = [\"Atlantis\"]\n",
    ))
    .unwrap_err();
    assert!(e.contains("unknown region \"Atlantis\""), "{e}");
    assert!(parse(SMALL).is_ok());
}

/// Issue 15, item 6: an error that only an override causes names the flag,
/// not the built-in file's line holding the value the override replaced.
#[test]
fn errors_caused_by_set_on_a_built_in_name_the_flag() {
    let kz = |k: &str, v: &str| {
        load_any("kazakhstan-2022", &[(k.into(), v.into())])
            .unwrap_err()
            .to_string()
    };
    let e = kz("detention.conviction_rate", "inf");
    assert!(
        e.starts_with("--set detention.conviction_rate=inf: inf is out of range"),
        "{e}"
    );
    assert!(!e.contains("[detention]") && !e.contains(" | "), "{e}");
    let e = kz("calendar.end", "2020-01-01");
    assert!(
        e.starts_with("--set calendar.end=2020-01-01: must be after calendar.start"),
        "{e}"
    );
    let e = kz("scale", "4294967295");
    assert!(
        e.starts_with("--set scale=4294967295: 4294967295 is out of range"),
        "{e}"
    );
    let e = kz("detention.conviction_rate", "\"NaN\"");
    assert!(
        e.starts_with("--set detention.conviction_rate=\"NaN\": invalid type: string \"NaN\""),
        "{e}"
    );
    let e = kz("constituencies.1.approval", "2");
    assert!(
        e.starts_with("--set constituencies.1.approval=2: `approval` is a share"),
        "{e}"
    );
    // The first of several overrides that breaks the scenario is the one named.
    let sets: Vec<(String, String)> = [("scale", "200"), ("loyalty.wavering", "-1"), ("scale", "0")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let e = load_any("belarus-2020", &sets).unwrap_err().to_string();
    assert!(e.starts_with("--set loyalty.wavering=-1: -1 is out of range"), "{e}");
    // A fault of the file itself stays located in the file, overrides or not.
    let bad = SMALL.replace("population = 200000", "population = 0");
    let e = CountryScenario::parse_with(&bad, "test.toml", &[("scale".into(), "1000".into())])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("test.toml:15:") && e.contains("out of range"), "{e}");
    // With the file broken too, an override's own fault is still the flag's.
    let e = CountryScenario::parse_with(&bad, "test.toml", &[("scale".into(), "0".into())])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("--set scale=0: 0 is out of range"), "{e}");
}

/// Issue 15, item 6: errors about a list of tables point at the table.
#[test]
fn too_many_constituencies_and_a_second_capital_are_located() {
    let extra: String = (0..200)
        .map(|i| format!("\n[[constituencies]]\nname = \"c{i}\"\nshare = 0.0\nlegitimacy = 0.5\n"))
        .collect();
    let text = format!("{SMALL}{extra}");
    let e = parse(&text).unwrap_err();
    // SMALL has one constituency, so the 201st entry is the 200th added.
    let line = text.lines().position(|l| l == "name = \"c199\"").unwrap(); // 0-based: the header's line
    assert!(
        e.starts_with(&format!(
            "test.toml:{line}:1: a country needs 1 to 200 [[constituencies]] entries"
        )),
        "{e}"
    );
    let e = parse(&SMALL.replace("population = 200000", "population = 200000\ncapital = true")).unwrap_err();
    assert!(
        e.starts_with("test.toml:16:") && e.contains("at most one region may be the capital"),
        "{e}"
    );
}

/// Issue 15, item 2: a calendar whose per-step series would not fit in memory
/// is refused before anything runs, naming the key and the memory.
#[test]
fn a_calendar_of_millions_of_steps_is_refused_with_its_memory() {
    let long = SMALL
        .replace("end = \"2020-01-04\"", "end = \"2999-01-01\"")
        .replace("step_hours = 12", "step_hours = 1");
    let e = parse(&long).unwrap_err();
    assert!(
        e.starts_with("test.toml:7:7: the calendar from 2020-01-01 to 2999-01-01"),
        "{e}"
    );
    assert!(
        e.contains("steps, too many") && e.contains("1100 bytes for 2 regions") && e.contains("GB here"),
        "{e}"
    );
    let e = CountryScenario::parse_with(SMALL, "t", &[("calendar.step_hours".into(), "0.01".into())]);
    assert!(e.is_ok(), "7,200 steps are fine: {e:?}");
    let e = CountryScenario::parse_with(
        SMALL,
        "t",
        &[
            ("calendar.end".into(), "2040-01-01".into()),
            ("calendar.step_hours".into(), "0.01".into()),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("--set calendar.step_hours=0.01: the calendar from 2020-01-01 to 2040-01-01 in steps of 0.01 hours has 17532000 steps"),
        "{e}"
    );
    assert!(e.contains(", 19.3 GB here)"), "{e}");
    // Under the step cap but over the memory cap: many regions.
    let regions: String = (0..200)
        .map(|i| format!("\n[[regions]]\nname = \"r{i}\"\npopulation = 200000\n"))
        .collect();
    let wide = format!(
        "{}{regions}",
        SMALL
            .replace("end = \"2020-01-04\"", "end = \"2020-12-01\"")
            .replace("step_hours = 12", "step_hours = 0.1")
    );
    let e = parse(&wide).err().expect("202 regions × 80,400 steps are refused");
    assert!(
        e.contains("80400 steps, too many") && e.contains("31100 bytes for 202 regions, 2.5 GB here"),
        "{e}"
    );
}

#[test]
fn dotted_overrides_reach_nested_tables() {
    let sc = CountryScenario::parse_with(SMALL, "t", &[("loyalty.defection_threshold".into(), "0.7".into())]).unwrap();
    assert_eq!(sc.spec.loyalty.defection_threshold, 0.7);
    assert!(CountryScenario::parse_with(SMALL, "t", &[("loyalty.defection_threshold".into(), "-1".into())]).is_err());
}

#[test]
fn dotted_overrides_reach_constituencies_regions_and_events() {
    let set = |k: &str, v: &str| CountryScenario::parse_with(SMALL, "t", &[(k.into(), v.into())]);
    assert_eq!(
        set("constituencies.all.legitimacy", "0.7").unwrap().spec.constituencies[0].legitimacy,
        0.7
    );
    assert_eq!(
        set("regions.B.population", "300000").unwrap().spec.regions[1].population,
        300_000
    );
    assert_eq!(
        set("regions.2.population", "300000").unwrap().spec.regions[1].population,
        300_000
    );
    assert_eq!(
        set("events.1.at", "2020-01-03").unwrap().spec.events[0].at,
        "2020-01-03"
    );
    // Wrong names say which exist, in the scenario's words.
    let e = set("constituencies.workers.share", "0.5").unwrap_err().to_string();
    assert!(
        e.contains("no `workers` in `constituencies`") && e.contains("all"),
        "{e}"
    );
    let e = set("events.9.at", "2020-01-03").unwrap_err().to_string();
    assert!(e.contains("positions 1 to 1"), "{e}");
    let e = set("regions.B", "1").unwrap_err().to_string();
    assert!(e.contains("`regions` is a list"), "{e}");
    assert!(!e.contains("Value") && !e.contains("toml::"), "no Rust type names: {e}");
}

#[test]
fn variants_drop_and_add_dated_inputs() {
    let set = |k: &str, v: &str| CountryScenario::parse_with(SMALL, "t", &[(k.into(), v.into())]);
    assert!(set("events.drop", "hardship_shock").unwrap().spec.events.is_empty());
    assert!(set("events.drop", "hardship_shock@2020-01-02")
        .unwrap()
        .spec
        .events
        .is_empty());
    let e = set("events.drop", "hardship_shock@2020-01-03").unwrap_err().to_string();
    assert!(
        e.contains("no `hardship_shock` event at 2020-01-03") && e.contains("--set events.drop"),
        "{e}"
    );
    let e = set("events.drop", "foreign_troops_in").unwrap_err().to_string();
    assert!(e.contains("kinds: hardship_shock"), "{e}");
    let added = set(
        "events.add",
        r#"{at = "2020-01-03", kind = "emergency", regions = ["A"]}"#,
    )
    .unwrap();
    assert_eq!(added.spec.events.len(), 2);
    assert_eq!(added.spec.events[1].at, "2020-01-03");
    assert!(set("events.add", "{kind = \"emergency\"}")
        .unwrap_err()
        .to_string()
        .contains("needs `at`"));
    assert!(set("events.add", "emergency").is_err());
    let two = set(
        "events.add",
        r#"[{at = "2020-01-03", kind = "emergency"}, {at = "2020-01-04", kind = "emergency_end"}]"#,
    )
    .unwrap();
    assert_eq!(two.spec.events.len(), 3, "a list adds each");
    let quoted = set("events.add", r#"'{at = "2020-01-03", kind = "emergency"}'"#).unwrap();
    assert_eq!(quoted.spec.events.len(), 2, "a sweep's quoted string is unwrapped");
    assert!(set("events.add", "[]").is_err() && set("events.add", "[1]").is_err());
    assert!(
        set("events.add", r#"{at = "2020-01-03", kind = "party"}"#).is_err(),
        "unknown kinds are refused"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic the parser.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = parse(&text);
    }

    /// Mutated valid files: never a panic, and every accepted one runs.
    #[test]
    fn mutated_scenarios_parse_or_fail_cleanly_and_accepted_ones_run(
        pop in 0u64..3_000_000,
        scale in -10.0f64..5000.0,
        legit in -0.5f64..1.5,
        factor in -1.0f64..10.0,
        hours in -5.0f64..48.0,
        kind in prop::sample::select(vec!["hardship_shock", "emergency", "lethal_force", "internet_shutdown", "foreign_troops_in", "bogus"]),
    ) {
        let text = SMALL
            .replace("population = 400000", &format!("population = {pop}"))
            .replace("scale = 2000", &format!("scale = {scale:.3}"))
            .replace("legitimacy = 0.85", &format!("legitimacy = {legit:.3}"))
            .replace("step_hours = 12", &format!("step_hours = {hours:.3}"))
            .replace("kind = \"hardship_shock\"\nfactor = 1.5", &match kind {
                "hardship_shock" => format!("kind = \"hardship_shock\"\nfactor = {factor:.3}"),
                "lethal_force" => format!("kind = \"lethal_force\"\nlethality = {factor:.3}"),
                "foreign_troops_in" => format!("kind = \"foreign_troops_in\"\ntroops = {:.1}", factor * 1000.0),
                k => format!("kind = \"{k}\""),
            });
        if let Ok(sc) = parse(&text) {
            let mut c = Country::new(sc.spec, sc.lattice, 1).unwrap();
            for _ in 0..3 {
                c.step();
            }
        }
    }
}

/// The criteria machinery on every episode, fast: two seeds at a coarse scale,
/// each criterion judged with a measurement. (The criteria themselves hold at
/// the default scale; see `episodes_meet_their_criteria_over_20_seeds`.)
#[test]
fn every_episode_is_judged_on_each_of_its_criteria() {
    for (name, _, _) in COUNTRY_BUILTINS {
        let AnyScenario::Country(sc) = load_any(name, &[]).unwrap() else {
            panic!()
        };
        let mut spec = sc.spec.clone();
        spec.scale *= 8.0;
        let runs = unrest_country::validate_seeds(&spec, &sc.lattice, 1, 2).unwrap();
        assert_eq!(runs.len(), 2);
        for (_, verdicts, outcome) in &runs {
            assert_eq!(verdicts.len(), spec.criteria.len(), "{name}");
            for (v, c) in verdicts.iter().zip(&spec.criteria) {
                assert_eq!(v.label, c.label());
                assert!(!v.measured.is_empty());
            }
            let word = outcome.split(' ').next().unwrap();
            assert!(unrest_country::Outcome::NAMES.contains(&word), "{outcome}");
        }
    }
}

/// The full validation of issue 3: each criterion in at least 80% of 20 seeds
/// at the default scale. Slow (about a minute per episode in release):
/// `cargo test --release -p unrest-scenario --test country -- --ignored`,
/// or `unrest validate NAME --seeds 20`.
#[test]
#[ignore]
fn episodes_meet_their_criteria_over_20_seeds() {
    for (name, _, _) in COUNTRY_BUILTINS {
        let AnyScenario::Country(sc) = load_any(name, &[]).unwrap() else {
            panic!()
        };
        let runs = unrest_country::validate_seeds(&sc.spec, &sc.lattice, sc.seed, 20).unwrap();
        for (k, c) in sc.spec.criteria.iter().enumerate() {
            let met = runs.iter().filter(|r| r.1[k].met).count();
            assert!(met >= 16, "{name}: {} met in {met} of 20 runs", c.label());
        }
    }
}

#[test]
fn a_geometry_file_is_named_for_the_live_view_only() {
    let none = parse(SMALL).unwrap();
    assert_eq!(none.geometry, None, "the key is optional");
    let with = parse(&SMALL.replacen("scale = 2000", "scale = 2000\ngeometry = \"regions.geojson\"", 1)).unwrap();
    assert_eq!(with.geometry.as_deref(), Some("regions.geojson"));
    assert!(with.geometry_json.is_none(), "parsing never reads the file");
    // Not part of the model: the same spec and hash as without it.
    assert_eq!(with.spec, none.spec);
    assert_eq!(with.hash(), none.hash());
    for bad in ["geometry = 3", "geometry = \"\"", "geometry = [\"a\"]"] {
        let e = parse(&SMALL.replacen("scale = 2000", &format!("scale = 2000\n{bad}"), 1)).unwrap_err();
        assert!(
            e.contains("geometry is the path of a GeoJSON file") && e.contains("test.toml:5:"),
            "{bad}: {e}"
        );
    }
    // The built-ins do not name one (their maps ship with the live view).
    for (name, _, _) in COUNTRY_BUILTINS {
        assert!(
            parse(country_builtin(name).unwrap()).unwrap().geometry.is_none(),
            "{name}"
        );
    }
}
