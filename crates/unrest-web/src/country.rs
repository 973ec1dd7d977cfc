//! A country scenario being watched: regions of lattices (`unrest-country`).
//! The page shows each region's active share as a heat map and one region's
//! lattice at a time; the policy buttons fire the country model's own events
//! in every region.

use std::collections::VecDeque;

use unrest_core::{Counts, StepLimit};
use unrest_country::spec::Action;
use unrest_country::{Country, Targets};
use unrest_scenario::CountryScenario;

use crate::sim::{
    block_size, draw_world, Control, ControlValues, FiredEvent, Frame, LiveModel, ModelInfo, PolicyEvent, PolicyState,
    RegionView,
};

/// Foreign personnel a "foreign troops in" press sends (real people, scaled
/// by the country's own `scale`): the size of the CSTO contingent sent to
/// Kazakhstan in January 2022, about 2,500.
const FOREIGN_CONTINGENT: f64 = 2500.0;

pub struct CountrySim {
    scenario: CountryScenario,
    seed: u64,
    country: Country,
    region: usize,
    policy: PolicyState,
    /// How many of the country's fired events have been passed on.
    seen_fired: usize,
    /// The regions' boundaries (`crate::geo`), and why none is drawn.
    map: (Option<crate::geo::Map>, Option<String>),
}

impl CountrySim {
    pub fn new(scenario: CountryScenario, seed: Option<u64>) -> Result<Self, String> {
        let seed = seed.unwrap_or(scenario.seed);
        let country = Country::new(scenario.spec.clone(), scenario.lattice.clone(), seed).map_err(|e| e.to_string())?;
        // Start on the capital's lattice, where the regime's fate is decided.
        let region = scenario.spec.regions.iter().position(|r| r.capital).unwrap_or(0);
        let map = crate::geo::for_scenario(&scenario);
        Ok(CountrySim {
            map,
            scenario,
            seed,
            country,
            region,
            policy: PolicyState::default(),
            seen_fired: 0,
        })
    }

    fn action(&self, event: PolicyEvent) -> Action {
        match event {
            PolicyEvent::StateOfEmergency => Action::Emergency {
                police_factor: 1.5,
                jail_factor: 2.0,
                k_factor: 1.5,
                arrest_factor: 1.0,
            },
            PolicyEvent::LiftEmergency => Action::EmergencyEnd,
            PolicyEvent::InternetShutdown => Action::InternetShutdown { remaining: 0.2 },
            PolicyEvent::InternetRestored => Action::InternetRestore,
            PolicyEvent::LethalForce => Action::LethalForce { lethality: 0.5 },
            PolicyEvent::EndLethalForce => Action::LethalForceEnd,
            PolicyEvent::Concession => Action::Concession {
                bump: 0.05,
                half_life_days: 7.0,
                credible: false,
            },
            PolicyEvent::ForeignTroopsIn => Action::ForeignTroopsIn {
                troops: FOREIGN_CONTINGENT,
            },
            PolicyEvent::ForeignTroopsOut => Action::ForeignTroopsOut { troops: None },
        }
    }
}

fn sat(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl LiveModel for CountrySim {
    fn info(&self) -> ModelInfo {
        let names: Vec<String> = self.country.region_names().iter().map(|s| s.to_string()).collect();
        let (w, h) = self
            .country
            .world(self.region)
            .map_or((0, 0), |w| (w.params().width, w.params().height));
        let block = block_size(w.max(1), h.max(1));
        ModelInfo {
            kind: "country",
            name: self.scenario.spec.name.clone(),
            description: self.scenario.spec.description.clone(),
            width: w,
            height: h,
            steps: self.country.last_step(),
            seed: self.seed,
            sampling: if block == 1 {
                format!("region {}, every site drawn", names.get(self.region).map_or("?", |s| s))
            } else {
                format!(
                    "region {}, downsampled: one cell per {block}×{block} sites (most salient state)",
                    names.get(self.region).map_or("?", |s| s)
                )
            },
            regions: names,
            region: Some(self.region),
            calendar: Some(crate::sim::CalendarInfo {
                start: self.country.calendar().start.format("%Y-%m-%dT%H:%M:%S").to_string(),
                step_hours: self.country.calendar().step_hours,
            }),
            people_per_agent: self.country.spec().scale,
            groups: 1,
            map: self.map.0.clone(),
            map_note: self.map.1.clone(),
        }
    }

    fn reset(&mut self, seed: Option<u64>) -> Result<(), String> {
        let region = self.region;
        *self = CountrySim::new(self.scenario.clone(), seed)?;
        self.region = region;
        Ok(())
    }

    fn step(&mut self) -> Option<Counts> {
        if self.country.step_index() >= self.country.last_step() {
            return None;
        }
        self.country.step();
        Some(self.counts())
    }

    fn killed(&self) -> u64 {
        self.counts().dead.into()
    }

    fn detained(&self) -> u64 {
        let n = self.country.national().last().copied().unwrap_or_default();
        (n.detained as f64 / self.country.spec().scale).round() as u64
    }

    fn counts(&self) -> Counts {
        let n = self.country.national().last().copied().unwrap_or_default();
        Counts {
            step: self.country.step_index(),
            quiet: sat(n.quiet),
            active: sat(n.active),
            jailed: sat(n.jailed),
            // Killed people, in agents like the other counts.
            dead: sat((n.killed as f64 / self.country.spec().scale).round() as u64),
            cops: sat(n.police + n.foreign),
            ..Counts::default()
        }
    }

    fn regions(&self) -> Vec<RegionView> {
        let names = self.country.region_names();
        let rows = self.country.region_rows();
        let last = &rows[rows.len().saturating_sub(names.len())..];
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let (active, free) = match last.iter().find(|r| r.region == i) {
                    Some(r) => (r.active, r.quiet + r.active),
                    None => self.country.world(i).map_or((0, 0), |w| {
                        let c = w.counts();
                        (c.active, c.quiet + c.active)
                    }),
                };
                RegionView {
                    name: name.to_string(),
                    active,
                    free,
                    share: if free == 0 {
                        0.0
                    } else {
                        f64::from(active) / f64::from(free)
                    },
                }
            })
            .collect()
    }

    fn select_region(&mut self, region: usize) -> Result<(), String> {
        if self.country.world(region).is_none() {
            return Err(format!(
                "no region {region}: this country has {}",
                self.country.region_names().len()
            ));
        }
        self.region = region;
        Ok(())
    }

    fn sites(&self) -> usize {
        (0..self.country.region_names().len())
            .filter_map(|i| self.country.world(i))
            .map(|w| w.params().sites())
            .sum()
    }

    fn controls(&self) -> ControlValues {
        let p = self
            .country
            .world(self.region)
            .map(|w| (w.params().clone(), w.domestic_cops()));
        let (cop_density, vision, k, jail) = match &p {
            Some((p, cops)) => (
                f64::from(*cops) / p.sites().max(1) as f64,
                p.citizen_vision,
                p.k,
                p.max_jail_term,
            ),
            None => (0.0, 0.0, 0.0, StepLimit::Unbounded),
        };
        ControlValues {
            legitimacy: self.country.mean_legitimacy(),
            cop_density,
            risk_aversion_scale: 1.0,
            vision,
            citizen_vision: vision,
            k,
            max_jail_term: match jail {
                StepLimit::Finite(j) if j < u32::MAX - 1 => Some(j),
                _ => None,
            },
        }
    }

    fn policy(&self) -> PolicyState {
        let foreign = (0..self.country.region_names().len())
            .filter_map(|i| self.country.world(i))
            .map(|w| w.foreign_cops())
            .sum();
        PolicyState {
            foreign_troops: foreign,
            ..self.policy.clone()
        }
    }

    /// Only legitimacy acts on a country (as a legitimacy shock of the
    /// difference); the other sliders belong to one lattice's rules, which the
    /// country model sets per region itself.
    fn set(&mut self, control: Control, value: f64) -> Result<(), String> {
        let v = control.check(value)?;
        match control {
            Control::Legitimacy => {
                let delta = v - self.country.mean_legitimacy();
                self.country.fire(&Action::LegitimacyShock { delta }, &Targets::default())
            }
            _ => Err(format!(
                "{control:?} is set per region by the country model; in a country scenario only legitimacy and the policy events act"
            )),
        }
    }

    fn fire(&mut self, event: PolicyEvent) -> Result<FiredEvent, String> {
        let action = self.action(event);
        let flag = match event {
            PolicyEvent::StateOfEmergency | PolicyEvent::LiftEmergency => Some(&mut self.policy.emergency),
            PolicyEvent::InternetShutdown | PolicyEvent::InternetRestored => Some(&mut self.policy.internet_shutdown),
            PolicyEvent::LethalForce | PolicyEvent::EndLethalForce => Some(&mut self.policy.lethal_force),
            _ => None,
        };
        let turn_on = matches!(
            event,
            PolicyEvent::StateOfEmergency | PolicyEvent::InternetShutdown | PolicyEvent::LethalForce
        );
        if let Some(f) = &flag {
            if **f == turn_on {
                return Err(if turn_on { "already in force" } else { "not in force" }.into());
            }
        }
        self.country.fire(&action, &Targets::default())?;
        if let Some(f) = flag {
            *f = turn_on;
        }
        // Marked by the session already: not again by `take_events`.
        self.seen_fired = self.country.fired().len();
        Ok(FiredEvent::from_page(self.country.step_index(), event))
    }

    fn take_events(&mut self) -> Vec<FiredEvent> {
        let fired = self.country.fired();
        let new = fired.get(self.seen_fired..).unwrap_or_default();
        let out = new
            .iter()
            .filter(|e| e.origin != "api")
            .map(|e| {
                // A dated event's source is in the scenario file, not in the
                // fired record: found by its kind and note.
                let source = (e.origin == "timeline")
                    .then(|| {
                        self.scenario
                            .spec
                            .events
                            .iter()
                            .find(|s| s.note == e.note && s.action.kind() == e.kind)
                            .map(|s| s.source.clone())
                    })
                    .flatten()
                    .filter(|s| !s.is_empty());
                FiredEvent {
                    step: e.step,
                    event: e.kind.to_string(),
                    label: format!("{} ({})", e.kind.replace('_', " "), e.origin),
                    note: Some(e.note.clone()).filter(|n| !n.is_empty()),
                    source,
                    regions: Some(e.regions.clone()).filter(|r| !r.is_empty()),
                }
            })
            .collect();
        self.seen_fired = fired.len();
        out
    }

    fn frame(&self) -> Frame {
        match self.country.world(self.region) {
            Some(w) => draw_world(w, &VecDeque::new()),
            None => crate::sim::encode_cells(0, 1, 1, |_| crate::sim::Cell::Empty),
        }
    }

    fn inspect(&self, x: u32, y: u32) -> Result<serde_json::Value, String> {
        let w = self.country.world(self.region).ok_or("this region has no lattice")?;
        crate::sim::inspect_world(w, x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim() -> CountrySim {
        let name = unrest_scenario::COUNTRY_BUILTINS[0].0;
        let sc = CountryScenario::parse_with(unrest_scenario::country_builtin(name).unwrap(), name, &[]).unwrap();
        CountrySim::new(sc, Some(3)).unwrap()
    }

    #[test]
    fn regions_are_listed_and_selectable() {
        let mut s = sim();
        let n = s.info().regions.len();
        assert!(n > 1);
        assert_eq!(s.regions().len(), n);
        s.step().unwrap();
        s.select_region(n - 1).unwrap();
        assert!(s.select_region(n).is_err());
        let f = s.frame();
        assert_eq!(f.cells.len() as u32, f.cols * f.rows);
        assert!(s.info().sampling.contains(&s.info().regions[n - 1]));
    }

    #[test]
    fn the_scenarios_own_events_are_passed_on_once() {
        let mut s = sim();
        let mut marked = Vec::new();
        while s.step().is_some() {
            marked.extend(s.take_events());
        }
        assert_eq!(
            marked.len(),
            s.country.fired().iter().filter(|e| e.origin != "api").count()
        );
        assert!(!marked.is_empty(), "the built-in's calendar fires events");
        assert!(s.take_events().is_empty());
    }

    #[test]
    fn buttons_fire_the_country_events() {
        let mut s = sim();
        s.fire(PolicyEvent::InternetShutdown).unwrap();
        assert!(s.fire(PolicyEvent::InternetShutdown).is_err());
        s.fire(PolicyEvent::ForeignTroopsIn).unwrap();
        assert!(s.policy().foreign_troops > 0);
        s.step().unwrap();
        s.fire(PolicyEvent::ForeignTroopsOut).unwrap();
        assert_eq!(s.policy().foreign_troops, 0);
        assert!(s.set(Control::Vision, 3.0).is_err());
        let before = s.controls().legitimacy;
        s.set(Control::Legitimacy, before - 0.2).unwrap();
        s.step().unwrap();
        let after = s.controls().legitimacy;
        assert!(after < before - 0.1, "legitimacy {before} -> {after}");
    }
}
