//! A lattice scenario file (Models I/II): parsing and validation never panic,
//! and the error, printed, never panics either (it once did past column 65,535).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = unrest_scenario::text_of(data.to_vec(), "fuzz.toml", "scenario file") else {
        return;
    };
    if let Err(e) = unrest_scenario::Scenario::parse(&text, "fuzz.toml") {
        let _ = e.to_string();
    }
});
