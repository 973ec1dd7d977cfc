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
            // toml_edit refuses an integer past 2^63 - 1 that toml reads into
            // a u64; the error at another key was printed without its line.
            "steps-past-i64.toml" => assert!(e.starts_with("fuzz.toml:4:14: bad value for `cop_vision`"), "{e}"),
            // The parser's "recursion limit" carries no position of its own.
            "dotted-key-100-deep.toml" => assert!(e.starts_with("fuzz.toml:2:1: recursion limit"), "{e}"),
            "table-header-100-deep.toml" => assert!(e.starts_with("fuzz.toml:4:1: recursion limit"), "{e}"),
            _ => {}
        }
    }
}

#[test]
fn country_regressions_never_panic() {
    for (name, bytes) in inputs("country") {
        let text = String::from_utf8(bytes).unwrap();
        let e = CountryScenario::parse_with(&text, "fuzz.toml", &[])
            .err()
            .unwrap_or_else(|| panic!("{name} is refused"))
            .to_string();
        match name.as_str() {
            "constituencies-201.toml" => {
                // The 201st entry's header, 1-based.
                let (at, _) = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| *l == "[[constituencies]]")
                    .nth(200)
                    .unwrap();
                let line = at + 1;
                assert!(
                    e.starts_with(&format!(
                        "fuzz.toml:{line}:1: a country needs 1 to 200 [[constituencies]] entries"
                    )),
                    "{e}"
                );
            }
            "calendar-7985-years.toml" => assert!(
                e.starts_with("fuzz.toml:22:7: the calendar from 2013-11-15 to 9999-02-28 in steps of 12 hours")
                    && e.contains("1700 bytes for 6 regions"),
                "{e}"
            ),
            _ => assert!(!e.is_empty()),
        }
    }
}

#[test]
fn set_regressions_are_refused_naming_the_flag_where_it_is_ours() {
    for (name, bytes) in inputs("set") {
        let e = set(&bytes).expect_err(&name);
        // Errors an override causes name the flag, never the built-in's line.
        let expected = match name.as_str() {
            "steps-2pow31.bin" => "--set steps=2147483647: steps = 2147483647 is too many",
            "country-inf.bin" => "--set detention.conviction_rate=inf: inf is out of range",
            "country-calendar-end-before-start.bin" => "--set calendar.end=2010-01-01: must be after calendar.start",
            "country-nan-string.bin" => "--set detention.conviction_rate=\"NaN\": invalid type: string \"NaN\"",
            "country-scale-2pow32.bin" => "--set scale=4294967295: 4294967295 is out of range",
            _ => "",
        };
        assert!(e.starts_with(expected), "{name}: {e}");
    }
}
