//! # unrest-country
//!
//! The protest–crackdown script on top of Epstein's civil violence model: a
//! country of regions, each its own lattice (`unrest_core::World`) sized from
//! its real population times a scale, with its own police; citizens in
//! constituencies; a calendar; hardship shocks; information coupling between
//! regions; the regime's repertoire as dated events and reactive policy rules;
//! foreign security forces; security-force loyalty; and an outcome for each run.
//!
//! * [`spec`]: the schema a country scenario file is parsed into
//!   (`unrest-scenario` reads the TOML; `docs/scenarios.md` documents every key).
//! * [`mechanisms`]: one pure function per mechanism, each with its equation.
//! * [`Country`]: builds the regions, steps them in parallel with rayon (each
//!   region has its own random streams from `unrest_core::seeds::derive(seed,
//!   region)`, so the thread count never changes the result), fires events and
//!   policies, and records `regions.csv` rows, national rows and fired events.
//! * [`criteria`]: judges a finished run against the episode's criteria.
//! * [`compare`]: what if — variants of a scenario over the same seeds, with
//!   outcome probabilities, tolls and their paired differences.
//!
//! ## Interactive use
//!
//! A UI drives a country step by step: [`Country::step`] advances one step,
//! [`Country::fire`] applies an [`Action`] now (state of emergency, internet
//! shutdown, lethal force, concession, foreign troops in or out, …) to the
//! regions named in [`Targets`] (empty = all), and [`Country::world`] gives a
//! region's lattice for drawing (`World::site_view`).
//!
//! ```
//! use unrest_country::{Action, Country, Targets};
//! # let spec = unrest_country::example_spec();
//! let mut c = Country::new(spec, unrest_core::Params::epstein(), 1).unwrap();
//! c.step();
//! c.fire(&Action::InternetShutdown { remaining: 0.0 }, &Targets::default()).unwrap();
//! c.step();
//! assert_eq!(c.fired().len(), 1);
//! let lattice = c.world(0).unwrap();
//! assert_eq!(lattice.counts().quiet + lattice.counts().active + lattice.counts().jailed, 900);
//! ```

pub mod calendar;
pub mod compare;
mod country;
pub mod criteria;
pub mod mechanisms;
pub mod rules;
pub mod spec;

pub use calendar::{parse_datetime, Calendar};
pub use country::{validate, warnings, CapitalRow, Country, CountryError, FiredEvent, NationalRow, RegionRow, Targets};
pub use criteria::{distance, judge, validate_seeds, validate_setups, Verdict, MISS_CAP};
pub use mechanisms::{Outcome, OutcomeReason};
pub use spec::{Action, CountrySpec, CriterionSpec, Metric};

/// A small two-region country for examples and tests (not a built-in scenario).
pub fn example_spec() -> CountrySpec {
    use spec::*;
    CountrySpec {
        kind: "country".into(),
        name: "example".into(),
        description: String::new(),
        seed: 1,
        scale: 1000.0,
        preset: "epstein".into(),
        lattice: Default::default(),
        calendar: CalendarSpec {
            start: "2020-01-01".into(),
            end: "2020-01-08".into(),
            step_hours: 6.0,
        },
        regions: vec![
            RegionSpec {
                name: "Capital".into(),
                population: 900_000,
                capital: true,
                police_per_100k: None,
                density: 0.7,
                shares: Default::default(),
                source: String::new(),
            },
            RegionSpec {
                name: "Province".into(),
                population: 600_000,
                capital: false,
                police_per_100k: None,
                density: 0.7,
                shares: Default::default(),
                source: String::new(),
            },
        ],
        constituencies: vec![ConstituencySpec {
            name: "everyone".into(),
            share: 1.0,
            hardship: Uniform::default(),
            risk_aversion: Uniform::default(),
            legitimacy: 0.9,
            threshold: 0.1,
        }],
        police: Default::default(),
        information: Default::default(),
        legitimacy: Default::default(),
        deterrence: Default::default(),
        loyalty: Default::default(),
        detention: Default::default(),
        foreign: Default::default(),
        outcome: Default::default(),
        rules: Default::default(),
        events: vec![],
        policy: vec![],
        criteria: vec![],
    }
}
