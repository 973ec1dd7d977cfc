//! Scenario files: every built-in parses and runs; errors name line, column and allowed values.

use unrest_core::World;
use unrest_scenario::{builtin_names, Scenario, BUILTINS};

fn err(text: &str) -> String {
    Scenario::parse(text, "test.toml")
        .expect_err("should be rejected")
        .to_string()
}

#[test]
fn every_builtin_parses_and_runs_a_few_steps() {
    for name in builtin_names() {
        let s = Scenario::load(name, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.name, name, "file name and `name` key agree");
        let mut w = World::new(s.params.clone(), s.schedule.clone(), s.seed).unwrap();
        for _ in 0..3 {
            w.step();
        }
        w.check_invariants().unwrap();
    }
    assert!(BUILTINS.len() >= 11);
}

#[test]
fn paper_runs_have_table_2_inputs() {
    let r1 = Scenario::load("epstein-run1", &[]).unwrap().params;
    assert_eq!(
        (r1.citizen_vision, r1.legitimacy, r1.cop_density, r1.movement),
        (1.7, 0.89, 0.04, false)
    );
    let r2 = Scenario::load("epstein-run2", &[]).unwrap().params;
    assert_eq!(
        (r2.citizen_vision, r2.legitimacy, r2.cop_density, r2.movement),
        (7.0, 0.82, 0.04, true)
    );
    assert_eq!(r2.max_jail_term, unrest_core::StepLimit::Finite(30));
    for (run, l, c) in [
        ("epstein-run6", 0.9, 0.0),
        ("epstein-run7", 0.8, 0.0),
        ("epstein-run8", 0.8, 0.04),
    ] {
        let p = Scenario::load(run, &[]).unwrap().params;
        assert_eq!(
            (p.citizen_vision, p.legitimacy, p.cop_density, p.ethnic_violence),
            (1.7, l, c, true),
            "{run}"
        );
    }
    for p in [r1, r2] {
        assert_eq!((p.width, p.height, p.torus, p.citizen_density), (40, 40, true, 0.7));
    }
}

#[test]
fn out_of_range_value_is_located() {
    let e = err("name = \"x\"\n[params]\nlegitimacy = 1.5\n");
    assert!(e.starts_with("test.toml:3:14:"), "{e}");
    assert!(e.contains("between 0 and 1"), "{e}");
}

#[test]
fn negative_density_is_rejected_with_its_place() {
    let e = err("name = \"x\"\n\n[params]\ncitizen_density = -0.3\n");
    assert!(e.starts_with("test.toml:4:19:"), "{e}");
}

#[test]
fn unknown_variant_lists_the_allowed_values() {
    let e = err("name = \"x\"\n[params]\nneighbourhood = \"hex\"\n");
    assert!(e.starts_with("test.toml:3:17:"), "{e}");
    for allowed in ["cross", "von-neumann", "moore", "disk"] {
        assert!(e.contains(allowed), "{e}");
    }
}

#[test]
fn unknown_key_is_named_with_the_known_ones() {
    let e = err("name = \"x\"\n[params]\nlegitimacyy = 0.5\n");
    assert!(
        e.starts_with("test.toml:3:1:") && e.contains("legitimacyy") && e.contains("legitimacy,"),
        "{e}"
    );
    let e = err("name = \"x\"\nstepz = 5\n");
    assert!(e.starts_with("test.toml:2:1:") && e.contains("stepz"), "{e}");
}

#[test]
fn syntax_errors_and_wrong_types_are_located() {
    let e = err("name = \"x\"\n[params\n");
    assert!(e.starts_with("test.toml:2:"), "{e}");
    let e = err("name = \"x\"\n[params]\nwidth = \"wide\"\n");
    assert!(e.starts_with("test.toml:3:9:") && e.contains("width"), "{e}");
    let e = err("name = \"x\"\n[params]\nmax_jail_term = \"forever\"\n");
    assert!(e.contains("inf"), "{e}");
}

#[test]
fn bad_schedule_entries_are_rejected() {
    let e = err("name = \"x\"\n[[schedule]]\nstep = 5\nparam = \"legitimacy\"\nvalue = 2.0\n");
    assert!(e.starts_with("test.toml:2:") || e.starts_with("test.toml:3:"), "{e}");
    let e = err("name = \"x\"\n[[schedule]]\nstep = 5\nparam = \"hardship\"\nvalue = 0.5\n");
    assert!(e.contains("legitimacy") && e.contains("cop_density"), "{e}");
}

#[test]
fn overrides_apply_and_bad_overrides_name_the_flag() {
    let set = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let s = Scenario::load("epstein-run2", &set("legitimacy", "0.7")).unwrap();
    assert_eq!(s.params.legitimacy, 0.7);
    let s = Scenario::load("epstein-run2", &set("neighbourhood", "moore")).unwrap();
    assert_eq!(s.params.neighbourhood, unrest_core::Neighbourhood::Moore);
    let s = Scenario::load("epstein-run2", &set("max_jail_term", "inf")).unwrap();
    assert_eq!(s.params.max_jail_term, unrest_core::StepLimit::Unbounded);
    let e = Scenario::load("epstein-run2", &set("legitimacy", "abc"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("--set legitimacy=abc:"), "{e}");
    let e = Scenario::load("epstein-run2", &set("nope", "1"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown parameter `nope`"), "{e}");
    let big = Scenario::load("epstein-run2", &set("seed", "18446744073709551615")).unwrap();
    assert_eq!(big.seed, u64::MAX, "sweep run seeds use all 64 bits");
    let e = Scenario::load("epstein-run2", &set("seed", "-1"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("--set seed=-1:"), "{e}");
    let e = Scenario::load("epstein-run2", &set("cop_density", "-1"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("--set cop_density=-1:"), "{e}");
}

#[test]
fn hash_depends_on_parameters_not_on_seed() {
    let a = Scenario::load("epstein-run2", &[]).unwrap();
    let b = Scenario::load("epstein-run2", &[("seed".into(), "9".into())]).unwrap();
    let c = Scenario::load("epstein-run2", &[("legitimacy".into(), "0.7".into())]).unwrap();
    assert_eq!(a.hash(), b.hash());
    assert_ne!(a.hash(), c.hash());
    assert_eq!(a.hash().len(), 16);
}

#[test]
fn unknown_scenario_name_lists_builtins() {
    let e = Scenario::load("epstein-run99", &[]).unwrap_err().to_string();
    assert!(e.contains("epstein-run2") && e.contains("mesa-default"), "{e}");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// No input makes the parser panic; whatever it accepts runs.
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            if let Ok(s) = Scenario::parse(&text, "fuzz.toml") {
                let mut w = World::new(s.params, s.schedule, 1).unwrap();
                w.step();
            }
        }

        #[test]
        fn mutated_builtins_never_panic(idx in 0usize..11, cut in 0usize..2000, insert in "[\\[\\]=\"a-z0-9. \n-]{0,12}") {
            let base = BUILTINS[idx % BUILTINS.len()].2;
            let cut = cut.min(base.len());
            let cut = (0..=cut).rev().find(|&i| base.is_char_boundary(i)).unwrap_or(0);
            let text = format!("{}{}{}", &base[..cut], insert, &base[cut..]);
            if let Ok(s) = Scenario::parse(&text, "fuzz.toml") {
                if s.params.sites() <= 10_000 {
                    let mut w = World::new(s.params, s.schedule, 1).unwrap();
                    w.step();
                }
            }
        }
    }
}

#[test]
fn an_unknown_name_lists_the_built_ins_of_both_kinds() {
    // `load_any` (unrest serve, unrest run) takes either kind: its error names both.
    let e = unrest_scenario::load_any("nonexistent", &[]).unwrap_err().to_string();
    assert!(e.contains("epstein-run2") && e.contains("kazakhstan-2022"), "{e}");
    assert!(e.contains("belarus-2020") && e.contains("euromaidan-2014"), "{e}");
}
