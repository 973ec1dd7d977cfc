//! `--set KEY=VALUE` overrides on a built-in scenario of either kind: the
//! first byte picks the scenario, each further line is one `KEY=VALUE`
//! (`unrest_scenario::fuzz_set_case`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((name, sets)) = unrest_scenario::fuzz_set_case(data) else { return };
    if let Err(e) = unrest_scenario::load_any(name, &sets) {
        let _ = e.to_string();
    }
});
