//! The built-in scenarios, compiled into the binary from `scenarios/*.toml`.

/// (name, one-line summary, file text).
pub const BUILTINS: &[(&str, &str, &str)] = &[
    (
        "epstein-run1",
        "Paper Run 1: local vision 1.7, no movement, L 0.89 — deception and local outbursts",
        include_str!("../scenarios/epstein-run1.toml"),
    ),
    (
        "epstein-run2",
        "Paper Run 2: vision 7, movement, L 0.82, J_max 30 — punctuated equilibrium",
        include_str!("../scenarios/epstein-run2.toml"),
    ),
    (
        "epstein-run3",
        "Paper Run 3: legitimacy 0.9 lowered 1% per step (salami tactics), J_max inf",
        include_str!("../scenarios/epstein-run3.toml"),
    ),
    (
        "epstein-run4",
        "Paper Run 4: legitimacy 0.9 -> 0.7 in one jump at t = 77, J_max inf",
        include_str!("../scenarios/epstein-run4.toml"),
    ),
    (
        "epstein-run5",
        "Paper Run 5: L 0.8, cops reduced step by step from 0.074 — tipping",
        include_str!("../scenarios/epstein-run5.toml"),
    ),
    (
        "epstein-run6",
        "Paper Run 6 (Model II): two groups, L 0.9, no cops — peaceful coexistence",
        include_str!("../scenarios/epstein-run6.toml"),
    ),
    (
        "epstein-run7",
        "Paper Run 7 (Model II): two groups, L 0.8, no cops — ethnic cleansing to genocide",
        include_str!("../scenarios/epstein-run7.toml"),
    ),
    (
        "epstein-run8",
        "Paper Run 8 (Model II): two groups, L 0.8, cops 0.04 from the start",
        include_str!("../scenarios/epstein-run8.toml"),
    ),
    (
        "epstein-safe-havens",
        "Paper Fig. 14 (Model II): Run 7 with peacekeepers arriving at t = 50",
        include_str!("../scenarios/epstein-safe-havens.toml"),
    ),
    (
        "netlogo-rebellion",
        "NetLogo Rebellion's rules and defaults (floor C/A, disk vision, self counted twice)",
        include_str!("../scenarios/netlogo-rebellion.toml"),
    ),
    (
        "mesa-default",
        "Mesa 3.5.1 epstein_civil_violence example: its rules and defaults",
        include_str!("../scenarios/mesa-default.toml"),
    ),
];

/// The built-in country scenarios (`kind = "country"`): (name, summary, text).
pub const COUNTRY_BUILTINS: &[(&str, &str, &str)] = &[
    (
        "kazakhstan-2022",
        "Country: January 2022 in Kazakhstan — LPG shock, spread, emergency, lethal force, CSTO",
        include_str!("../scenarios/kazakhstan-2022.toml"),
    ),
    (
        "belarus-2020",
        "Country: Belarus 2020 — disputed election, blackout, torture, weekly marches, loyal forces",
        include_str!("../scenarios/belarus-2020.toml"),
    ),
    (
        "euromaidan-2014",
        "Country: Euromaidan 2013-14 — dispersal backlash, repressive laws, killings, police defect",
        include_str!("../scenarios/euromaidan-2014.toml"),
    ),
];

/// The text of a built-in country scenario.
pub fn country_builtin(name: &str) -> Option<&'static str> {
    COUNTRY_BUILTINS.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}

/// The text of a built-in scenario.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}

/// Names of all built-in scenarios.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTINS.iter().map(|(n, _, _)| *n).collect()
}
