//! A sweep spec: parsing and expanding it into a plan never panic (the plan is
//! bounded by `MAX_RUNS`), nor does printing the error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = unrest_scenario::text_of(data.to_vec(), "spec.toml", "sweep spec") else {
        return;
    };
    match unrest_sweep::SweepSpec::parse(&text, "spec.toml") {
        Ok(spec) => {
            if let Err(e) = spec.plan() {
                let _ = e.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
