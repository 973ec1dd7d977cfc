//! A country scenario file: parsing and validation never panic, nor does
//! printing the error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = unrest_scenario::text_of(data.to_vec(), "fuzz.toml", "scenario file") else {
        return;
    };
    if let Err(e) = unrest_scenario::CountryScenario::parse_with(&text, "fuzz.toml", &[]) {
        let _ = e.to_string();
    }
});
