//! Replays every input in `fuzz/regressions/{lattice,country,set}/` (crashes
//! and wrong answers the fuzzers and the December 2026 robustness test found)
//! the way the fuzz targets feed them, so each stays fixed on a stable
//! toolchain with plain `cargo test`; then checks what each of them must say.

use std::path::PathBuf;
use unrest_scenario::{fuzz_set_case, load_any, text_of, CountryScenario, Scenario};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no inputs in {}", dir.display());
    v
}

/// The error of a lattice input, as printed (printing once panicked).
fn lattice(bytes: &[u8]) -> Result<(), String> {
    let text = text_of(bytes.to_vec(), "fuzz.toml", "scenario file").map_err(|e| e.to_string())?;
    Scenario::parse(&text, "fuzz.toml")
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn set(bytes: &[u8]) -> Result<(), String> {
    let (name, sets) = fuzz_set_case(bytes).expect("a set input starts with the scenario byte");
    load_any(name, &sets).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn lattice_regressions_are_refused_with_a_located_error() {
    for (name, bytes) in inputs("lattice") {
        let e = lattice(&bytes).expect_err(&name);
        assert!(e.starts_with("fuzz.toml:"), "{name}: {e}");
        match name.as_str() {
            "column-past-65535.toml" => assert!(e.starts_with("fuzz.toml:3:70014: bad value for `legitimacy`"), "{e}"),
            "steps-2pow31.toml" => assert!(
                e.starts_with("fuzz.toml:2:9: steps = 2147483647 is too many") && e.contains("214.7 GB"),
                "{e}"
            ),
            "sites-2pow31.toml" => assert!(e.contains("at most 268435456 sites"), "{e}"),
            _ => {}
        }
    }
}

#[test]
fn country_regressions_never_panic() {
    for (name, bytes) in inputs("country") {
        let text = String::from_utf8(bytes).unwrap();
        let e = CountryScenario::parse_with(&text, "fuzz.toml", &[]).expect_err(&name);
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn set_regressions_are_refused_naming_the_flag_where_it_is_ours() {
    for (name, bytes) in inputs("set") {
        let e = set(&bytes).expect_err(&name);
        if name == "steps-2pow31.bin" {
            assert!(
                e.starts_with("--set steps=2147483647: steps = 2147483647 is too many"),
                "{e}"
            );
        }
    }
}
