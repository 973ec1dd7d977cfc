//! `--set KEY=VALUE` overrides on a built-in scenario of either kind: the
//! first byte picks the scenario, each further line is one `KEY=VALUE`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let names: Vec<&str> = unrest_scenario::BUILTINS
        .iter()
        .map(|b| b.0)
        .chain(unrest_scenario::COUNTRY_BUILTINS.iter().map(|b| b.0))
        .collect();
    let name = names[pick as usize % names.len()];
    let text = String::from_utf8_lossy(rest);
    let sets: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if let Err(e) = unrest_scenario::load_any(name, &sets) {
        let _ = e.to_string();
    }
});
