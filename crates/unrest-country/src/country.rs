//! The country: regions stepped in parallel, with the mechanisms of
//! [`crate::mechanisms`] applied between steps.

use chrono::{Datelike, Timelike};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;
use unrest_core::{seeds, ConstituencyTraits, DynamicParam, Params, StepLimit, World};

use crate::calendar::{parse_datetime, Calendar};
use crate::mechanisms as m;
use crate::spec::{Action, CountrySpec, Metric};

/// A country that cannot be built: the message names the key.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryError {
    /// Dotted path of the offending key, e.g. `regions[2].population`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for CountryError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for CountryError {}

fn err(path: impl Into<String>, message: impl Into<String>) -> CountryError {
    CountryError {
        path: path.into(),
        message: message.into(),
    }
}

/// Which regions and constituencies an action applies to (empty = all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    pub regions: Vec<String>,
    pub constituencies: Vec<String>,
}

/// One region's row of `regions.csv`. Agent counts, except `killed` and
/// `detained`: people at 1:1, so far (lethal arrests count people within agents).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    pub step: u64,
    pub region: usize,
    pub quiet: u32,
    pub active: u32,
    pub jailed: u32,
    pub killed: u64,
    pub detained: u64,
    pub police: u32,
    pub foreign: u32,
    /// Domestic officers who have defected so far (agents).
    pub defected: u32,
    /// Police arrest willingness this step, in [0, 1].
    pub willingness: f64,
    /// Mean perceived legitimacy of the region's citizens.
    pub legitimacy: f64,
}

/// The country after a step. Citizens, quiet, active, jailed, police,
/// foreign and defected are agents (× scale for people); killed, detained and
/// convicted are people at 1:1, so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NationalRow {
    pub step: u64,
    pub citizens: u64,
    pub quiet: u64,
    pub active: u64,
    pub jailed: u64,
    pub killed: u64,
    pub detained: u64,
    pub convicted: u64,
    pub police: u64,
    pub foreign: u64,
    /// Domestic officers who have defected so far.
    pub defected: u64,
    /// Police arrest willingness, averaged over regions by their domestic police.
    pub willingness: f64,
    pub mean_legitimacy: f64,
    /// The same for the capital region alone.
    pub capital: CapitalRow,
}

/// The capital's part of a [`NationalRow`] (units as there).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CapitalRow {
    pub citizens: u64,
    pub active: u64,
    pub jailed: u64,
    pub killed: u64,
    pub detained: u64,
    pub police: u64,
    pub foreign: u64,
    pub defected: u64,
    pub willingness: f64,
    pub legitimacy: f64,
}

/// An event as it fired (`events.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct FiredEvent {
    pub step: u64,
    pub kind: &'static str,
    /// Target regions, `all` if every region.
    pub regions: String,
    /// Target constituencies, `all` if every one.
    pub constituencies: String,
    /// `timeline`, `policy N` or `api`.
    pub origin: String,
    pub note: String,
    /// The action with its parameters as the mechanisms received them
    /// (after the input rules).
    pub action: Action,
}

/// A hardship shock under way: the multiplier moves linearly from `from` to
/// `to` over `steps` steps starting at `start_step`.
struct Ramp {
    region: usize,
    constituency: usize,
    start_step: u64,
    steps: u64,
    from: f64,
    to: f64,
}

struct Region {
    name: String,
    population: u64,
    citizens: u64,
    world: World,
    rng: Pcg64Mcg,
    initial_police: u32,
    hardship_scale: Vec<f64>,
    shocks: Vec<f64>,
    /// The standing sham-election shock per constituency (`mechanisms::fraud_increment`).
    fraud: Vec<f64>,
    backlash: f64,
    /// Perceived (news-lagged) active share of this region.
    news_regional: f64,
    /// Protest-days so far, partly forgotten (`mechanisms::fatigue_stock`).
    fatigue: f64,
    internet: f64,
    lethality: f64,
    torture: bool,
    emergency_added: u32,
    crackdown: Option<(u64, u32)>,
    brutality: f64,
    willingness: f64,
    /// The highest loyalty pressure so far: only a rise above it defects officers.
    peak_pressure: f64,
    /// Arrests per officer: × `emergency_arrests` under an emergency, × `mass_detention` under such an order.
    emergency_arrests: f64,
    mass_detention: f64,
    defected: u32,
    /// Population shares of the constituencies here (the region's own `shares`), normalised.
    shares: Vec<f64>,
    /// People detained, killed and convicted so far (1:1).
    detained: u64,
    killed: u64,
    convicted: u64,
    last: unrest_core::Counts,
}

/// A country of regions, each its own lattice with its own police, driven by
/// the calendar's events and the policy rules.
///
/// Use [`Country::step`] (or [`Country::run`]) to advance, [`Country::fire`]
/// to act on it from outside (a web UI), [`Country::world`] to look at a region's lattice.
pub struct Country {
    spec: CountrySpec,
    cal: Calendar,
    last_step: u64,
    regions: Vec<Region>,
    capital: usize,
    cons_base: Vec<(f64, f64)>,
    concessions: Vec<(u64, f64, f64, bool)>,
    ramps: Vec<Ramp>,
    timeline: Vec<(u64, usize)>,
    next_event: usize,
    policy: Vec<(Option<u64>, bool)>,
    step: u64,
    base_k: f64,
    base_jail_steps: f64,
    focal: Option<u32>,
    news_national: f64,
    collapsed_at: Option<u64>,
    /// The capital's loyal force (officers still serving plus foreign forces) when it collapsed.
    capacity_at_collapse: f64,
    legitimacy_start: f64,
    rows: Vec<RegionRow>,
    national: Vec<NationalRow>,
    fired: Vec<FiredEvent>,
}

fn weekday_index(s: &str) -> Option<u32> {
    let l = s.trim().to_ascii_lowercase();
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .position(|d| l.starts_with(d))
        .map(|i| i as u32)
}

impl Country {
    /// Builds every region's lattice from the spec. `lattice` holds the rule
    /// conventions shared by all regions (size and densities are set here).
    pub fn new(spec: CountrySpec, lattice: Params, seed: u64) -> Result<Country, CountryError> {
        validate(&spec)?;
        let cal = Calendar {
            start: parse_datetime(&spec.calendar.start).map_err(|e| err("calendar.start", e))?,
            step_hours: spec.calendar.step_hours,
        };
        let end = parse_datetime(&spec.calendar.end).map_err(|e| err("calendar.end", e))?;
        let last_step = cal.step_of(end);
        let step_days = cal.step_hours / 24.0;
        let jail_steps = (spec.detention.max_jail_days / step_days).round();
        let ncons = spec.constituencies.len();
        let all_shares = region_shares(&spec);
        let mut regions = Vec::with_capacity(spec.regions.len());
        let built: Vec<Result<Region, CountryError>> = spec
            .regions
            .par_iter()
            .enumerate()
            .map(|(ri, r)| {
                let (w, h, n) = m::region_lattice(r.population, spec.scale, r.density);
                let per_100k = r.police_per_100k.unwrap_or(spec.police.per_100k);
                let cops = m::region_police(r.population, per_100k, spec.police.deployable_share, spec.scale);
                let sites = f64::from(w) * f64::from(h);
                let p = Params {
                    width: w,
                    height: h,
                    citizen_density: n as f64 / sites,
                    cop_density: (f64::from(cops) / sites).min(1.0 - n as f64 / sites),
                    max_jail_term: StepLimit::Finite(jail_steps as u32),
                    ..lattice.clone()
                };
                let region_seed = seeds::derive(seed, ri as u64);
                let mut world = World::new(p, vec![], region_seed)
                    .map_err(|e| err(format!("regions[{ri}]"), format!("{}: {e}", r.name)))?;
                let mut rng = Pcg64Mcg::seed_from_u64(seeds::derive(region_seed, 1));
                // Constituencies: shares (regional overrides), then hardship and risk draws.
                let shares = all_shares[ri].clone();
                let mut cum = Vec::with_capacity(ncons);
                let mut acc = 0.0;
                for s in &shares {
                    acc += s;
                    cum.push(acc);
                }
                for i in world.citizen_indices() {
                    let u: f64 = rng.random();
                    let c = cum.iter().position(|&x| u < x).unwrap_or(ncons - 1);
                    let cs = &spec.constituencies[c];
                    let hd = m::hardship_draw(
                        cs.hardship.min,
                        cs.hardship.max,
                        rng.random::<f64>(),
                        spec.rules.hardship_shape,
                    );
                    let rk = cs.risk_aversion.min + (cs.risk_aversion.max - cs.risk_aversion.min) * rng.random::<f64>();
                    world.assign_citizen(i, c as u8, hd as f32, rk as f32);
                }
                world.set_arrest_rate(spec.police.arrests_per_day * spec.calendar.step_hours / 24.0);
                world.set_people_per_agent(spec.scale.round().min(f64::from(u32::MAX)) as u32);
                let initial_police = world.domestic_cops();
                let last = world.counts();
                Ok(Region {
                    name: r.name.clone(),
                    population: r.population,
                    citizens: n,
                    world,
                    rng,
                    initial_police,
                    hardship_scale: vec![1.0; ncons],
                    shocks: vec![0.0; ncons],
                    fraud: vec![0.0; ncons],
                    backlash: 0.0,
                    news_regional: 0.0,
                    fatigue: 0.0,
                    internet: 1.0,
                    lethality: 0.0,
                    torture: false,
                    emergency_added: 0,
                    crackdown: None,
                    brutality: 0.0,
                    willingness: 1.0,
                    peak_pressure: 0.0,
                    emergency_arrests: 1.0,
                    mass_detention: 1.0,
                    defected: 0,
                    shares,
                    detained: 0,
                    killed: 0,
                    convicted: 0,
                    last,
                })
            })
            .collect();
        for r in built {
            regions.push(r?);
        }
        let capital = spec.regions.iter().position(|r| r.capital).unwrap_or(0);
        let mut timeline = Vec::new();
        for (i, e) in spec.events.iter().enumerate() {
            let d = parse_datetime(&e.at).map_err(|m| err(format!("events[{i}].at"), m))?;
            timeline.push((cal.step_of(d).max(1), i));
        }
        timeline.sort();
        let mut policy = Vec::new();
        for (i, p) in spec.policy.iter().enumerate() {
            let after = match &p.after {
                Some(a) => Some(cal.step_of(parse_datetime(a).map_err(|m| err(format!("policy[{i}].after"), m))?)),
                None => None,
            };
            policy.push((after, false));
        }
        let cons_base = spec
            .constituencies
            .iter()
            .map(|c| (c.legitimacy, c.threshold))
            .collect();
        let focal = spec.information.focal_weekday.as_deref().and_then(weekday_index);
        let mut country = Country {
            base_k: lattice.k,
            base_jail_steps: jail_steps,
            cal,
            last_step,
            regions,
            capital,
            cons_base,
            concessions: Vec::new(),
            ramps: Vec::new(),
            timeline,
            next_event: 0,
            policy,
            step: 0,
            focal,
            news_national: 0.0,
            collapsed_at: None,
            capacity_at_collapse: 0.0,
            legitimacy_start: 0.0,
            rows: Vec::new(),
            national: Vec::new(),
            fired: Vec::new(),
            spec,
        };
        country.update_traits();
        country.legitimacy_start = country.mean_legitimacy();
        country.record();
        Ok(country)
    }

    // ----- accessors --------------------------------------------------------------

    pub fn spec(&self) -> &CountrySpec {
        &self.spec
    }
    pub fn calendar(&self) -> &Calendar {
        &self.cal
    }
    /// The step at the calendar's end date.
    pub fn last_step(&self) -> u64 {
        self.last_step
    }
    pub fn step_index(&self) -> u64 {
        self.step
    }
    pub fn region_names(&self) -> Vec<&str> {
        self.regions.iter().map(|r| r.name.as_str()).collect()
    }
    /// The lattice of region `i` (for views).
    pub fn world(&self, region: usize) -> Option<&World> {
        self.regions.get(region).map(|r| &r.world)
    }
    /// Per-region rows recorded so far (one per region per step, step 0 included).
    pub fn region_rows(&self) -> &[RegionRow] {
        &self.rows
    }
    /// National rows recorded so far.
    pub fn national(&self) -> &[NationalRow] {
        &self.national
    }
    /// The national row with the most active citizens (the earliest on a tie),
    /// or an empty row before the first step.
    pub fn national_peak(&self) -> NationalRow {
        self.national
            .iter()
            .max_by_key(|n| (n.active, std::cmp::Reverse(n.step)))
            .copied()
            .unwrap_or_default()
    }
    /// Runs `spec` to its end on `seeds` seeds (`seeds::derive(base_seed, i)`),
    /// in parallel, and measures each finished run with `measure(seed, run)`.
    /// The one ensemble runner (`validate`, `compare`): results come back in
    /// seed order, whatever the thread count.
    pub fn run_seeds<T: Send>(
        spec: &CountrySpec,
        lattice: &unrest_core::Params,
        base_seed: u64,
        seeds: u64,
        measure: impl Fn(u64, &Country) -> T + Sync,
    ) -> Result<Vec<T>, CountryError> {
        let setups = vec![(spec, lattice); seeds as usize];
        Country::run_setups(&setups, base_seed, measure)
    }

    /// Runs `setups[i]` (a spec and its lattice parameters) with seed
    /// `seeds::derive(base_seed, i)`, in parallel, results in that order: runs
    /// whose parameters differ, as when each run draws its own parameter set
    /// from a posterior. Thread count never changes the result.
    pub fn run_setups<T: Send>(
        setups: &[(&CountrySpec, &unrest_core::Params)],
        base_seed: u64,
        measure: impl Fn(u64, &Country) -> T + Sync,
    ) -> Result<Vec<T>, CountryError> {
        let runs = Country::run_setups_until(setups, base_seed, || false, measure)?;
        Ok(runs.expect("never stopped"))
    }

    /// [`Country::run_setups`] that a caller can stop: `stop` is asked
    /// between the steps of every run, and once it says yes every run stops
    /// at its next step and the result is `Ok(None)`. The same seeds and
    /// runs, so the same numbers when not stopped. (The Python package stops
    /// a long `validate` or `compare` on Ctrl-C this way; the model does no
    /// I/O, so the flag is the caller's.)
    pub fn run_setups_until<T: Send>(
        setups: &[(&CountrySpec, &unrest_core::Params)],
        base_seed: u64,
        stop: impl Fn() -> bool + Sync,
        measure: impl Fn(u64, &Country) -> T + Sync,
    ) -> Result<Option<Vec<T>>, CountryError> {
        use rayon::prelude::*;
        setups
            .par_iter()
            .enumerate()
            .map(|(i, (spec, lattice))| {
                let seed = unrest_core::seeds::derive(base_seed, i as u64);
                // Asked before building too: once stopped, the runs still
                // queued must not each build their lattices first.
                if stop() {
                    return Ok(None);
                }
                let mut c = Country::new((*spec).clone(), (*lattice).clone(), seed)?;
                while c.step < c.last_step {
                    if stop() {
                        return Ok(None);
                    }
                    c.step();
                }
                Ok(Some(measure(seed, &c)))
            })
            .collect::<Result<Vec<Option<T>>, CountryError>>()
            .map(|v| v.into_iter().collect())
    }
    /// Events fired so far.
    pub fn fired(&self) -> &[FiredEvent] {
        &self.fired
    }
    /// Step at which the capital's loyal force fell below the collapse share.
    pub fn collapsed_at(&self) -> Option<u64> {
        self.collapsed_at
    }
    /// The outcome as things stand, with its step.
    pub fn outcome(&self) -> (m::Outcome, u64) {
        let r = self.outcome_reason();
        (r.outcome, r.step)
    }

    /// The outcome with its step and the condition that decided it.
    pub fn outcome_reason(&self) -> m::OutcomeReason {
        let active: Vec<u32> = self
            .national
            .iter()
            .map(|n| n.active.min(u64::from(u32::MAX)) as u32)
            .collect();
        let ended = m::protest_ended(&active, self.spec.outcome.ended_share).map(|i| self.national[i].step);
        let peak = self.national_peak();
        let o = &self.spec.outcome;
        m::classify_outcome(
            &m::OutcomeInputs {
                collapsed_at: self.collapsed_at,
                capacity_at_collapse: (self.capacity_at_collapse, self.regions[self.capital].initial_police),
                ended_at: ended,
                peak_share: peak.active as f64 / peak.citizens.max(1) as f64,
                legitimacy_start: self.legitimacy_start,
                legitimacy_end: self.mean_legitimacy(),
                last_step: self.step,
            },
            o.min_peak_share,
            o.concession_margin,
            self.spec.loyalty.collapse_share,
        )
    }

    /// Mean perceived legitimacy over all citizens (population-weighted).
    pub fn mean_legitimacy(&self) -> f64 {
        let total: f64 = self.regions.iter().map(|r| r.citizens as f64).sum();
        self.regions
            .iter()
            .map(|r| r.citizens as f64 * region_mean_legitimacy(r))
            .sum::<f64>()
            / total.max(1.0)
    }

    fn step_days(&self) -> f64 {
        self.cal.step_hours / 24.0
    }

    // ----- the step -------------------------------------------------------------------

    /// Runs to the calendar's end.
    pub fn run(&mut self) {
        while self.step < self.last_step {
            self.step();
        }
    }

    /// One step: events and policy rules fire, the mechanisms set each
    /// region's traits, every region's lattice steps (in parallel), then
    /// repression is counted and fed back.
    pub fn step(&mut self) {
        let t = self.step + 1;
        self.fire_timeline(t);
        self.fire_policies(t);
        self.end_crackdowns(t);
        self.update_traits();
        self.apply_loyalty();
        self.regions.par_iter_mut().for_each(|r| {
            r.last = r.world.step();
        });
        self.step = t;
        self.count_repression();
        self.check_collapse();
        self.record();
    }

    fn fire_timeline(&mut self, t: u64) {
        while self.next_event < self.timeline.len() && self.timeline[self.next_event].0 <= t {
            let i = self.timeline[self.next_event].1;
            self.next_event += 1;
            let e = self.spec.events[i].clone();
            let targets = Targets {
                regions: e.regions.clone(),
                constituencies: e.constituencies.clone(),
            };
            self.apply(&e.action, &targets, "timeline".into(), e.note.clone());
        }
    }

    fn fire_policies(&mut self, t: u64) {
        for i in 0..self.spec.policy.len() {
            let (after, done) = self.policy[i];
            let p = &self.spec.policy[i];
            if (done && p.once) || after.is_some_and(|a| t < a) {
                continue;
            }
            if self.metric(p.when, &p.region) > p.above {
                let p = p.clone();
                self.policy[i].1 = true;
                let targets = Targets {
                    regions: p.regions.clone(),
                    constituencies: p.constituencies.clone(),
                };
                self.apply(&p.action, &targets, format!("policy {}", i + 1), p.note.clone());
            }
        }
    }

    /// The value of a watched metric now (after the last step).
    pub fn metric(&self, metric: Metric, region: &str) -> f64 {
        let sel: Vec<&Region> = match region {
            "national" => self.regions.iter().collect(),
            "capital" => vec![&self.regions[self.capital]],
            name => self.regions.iter().filter(|r| r.name == name).collect(),
        };
        match metric {
            Metric::ActiveShare => {
                let a: f64 = sel.iter().map(|r| f64::from(r.last.active)).sum();
                let n: f64 = sel.iter().map(|r| r.citizens as f64).sum();
                a / n.max(1.0)
            }
            Metric::RegionsActive => sel
                .iter()
                .filter(|r| f64::from(r.last.active) > 0.001 * r.citizens as f64)
                .count() as f64,
            Metric::Killed => sel.iter().map(|r| r.killed as f64).sum::<f64>(),
            Metric::Detained => sel.iter().map(|r| r.detained as f64).sum::<f64>(),
        }
    }

    /// Fires an action now, as a dated event would (for interactive use).
    pub fn fire(&mut self, action: &Action, targets: &Targets) -> Result<(), String> {
        action.validate()?;
        for r in &targets.regions {
            if !self.regions.iter().any(|x| &x.name == r) && r != "capital" {
                return Err(format!("unknown region {r:?}"));
            }
        }
        self.apply(action, targets, "api".into(), String::new());
        Ok(())
    }

    fn target_regions(&self, t: &Targets) -> Vec<usize> {
        if t.regions.is_empty() {
            return (0..self.regions.len()).collect();
        }
        (0..self.regions.len())
            .filter(|&i| {
                t.regions
                    .iter()
                    .any(|n| *n == self.regions[i].name || (n == "capital" && i == self.capital))
            })
            .collect()
    }

    fn target_constituencies(&self, t: &Targets) -> Vec<usize> {
        if t.constituencies.is_empty() {
            return (0..self.cons_base.len()).collect();
        }
        (0..self.cons_base.len())
            .filter(|&c| t.constituencies.contains(&self.spec.constituencies[c].name))
            .collect()
    }

    /// Starts a linear ramp of the hardship multiplier of every targeted
    /// (region, constituency) from its current value to `to(current)` over
    /// `ramp_hours` (at least one step), beginning at step `t`.
    fn ramp_hardship(&mut self, rs: &[usize], cs: &[usize], t: u64, ramp_hours: f64, to: impl Fn(f64) -> f64) {
        let steps = (ramp_hours / self.cal.step_hours).round().max(1.0) as u64;
        for &r in rs {
            for &c in cs {
                let from = self.regions[r].hardship_scale[c];
                self.ramps.push(Ramp {
                    region: r,
                    constituency: c,
                    start_step: t,
                    steps,
                    from,
                    to: to(from),
                });
            }
        }
    }

    fn apply(&mut self, action: &Action, targets: &Targets, origin: String, note: String) {
        let rs = self.target_regions(targets);
        let cs = self.target_constituencies(targets);
        let t = self.step + 1;
        let jail_base = self.base_jail_steps;
        let base_k = self.base_k;
        let base_rate = self.spec.police.arrests_per_day * self.cal.step_hours / 24.0;
        let scale = self.spec.scale;
        match *action {
            Action::HardshipShock { factor, ramp_hours } => {
                self.ramp_hardship(&rs, &cs, t, ramp_hours, |from| from * factor);
            }
            Action::HardshipReversal { ramp_hours } => {
                self.ramps
                    .retain(|ramp| !(rs.contains(&ramp.region) && cs.contains(&ramp.constituency)));
                self.ramp_hardship(&rs, &cs, t, ramp_hours, |_| 1.0);
            }
            Action::LegitimacyShock { delta } => {
                for &r in &rs {
                    for &c in &cs {
                        self.regions[r].shocks[c] += delta;
                    }
                }
            }
            Action::ShamElection { delta } => {
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    for &c in &cs {
                        let add = m::fraud_increment(reg.fraud[c], delta);
                        reg.fraud[c] += add;
                        reg.shocks[c] += add;
                    }
                }
            }
            Action::Concession {
                bump,
                half_life_days,
                credible,
            } => self.concessions.push((t, bump, half_life_days, credible)),
            Action::Emergency {
                police_factor,
                jail_factor,
                k_factor,
                arrest_factor,
            } => {
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    if reg.emergency_added == 0 {
                        let extra = (f64::from(reg.initial_police) * (police_factor - 1.0)).round().max(0.0) as u32;
                        reg.emergency_added = reg.world.add_cops(extra, false);
                    }
                    reg.world
                        .set_param(DynamicParam::MaxJailTerm, (jail_base * jail_factor).round());
                    reg.world.set_param(DynamicParam::K, base_k * k_factor);
                    reg.emergency_arrests = arrest_factor;
                    reg.world
                        .set_arrest_rate(base_rate * reg.emergency_arrests * reg.mass_detention);
                }
            }
            Action::MassDetention { factor } => {
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    reg.mass_detention = factor;
                    reg.world
                        .set_arrest_rate(base_rate * reg.emergency_arrests * reg.mass_detention);
                }
            }
            Action::MassDetentionEnd => {
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    reg.mass_detention = 1.0;
                    reg.world.set_arrest_rate(base_rate * reg.emergency_arrests);
                }
            }
            Action::EmergencyEnd => {
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    reg.world.remove_cops(reg.emergency_added, false);
                    reg.emergency_added = 0;
                    reg.world.set_param(DynamicParam::MaxJailTerm, jail_base);
                    reg.world.set_param(DynamicParam::K, base_k);
                    reg.emergency_arrests = 1.0;
                    reg.world.set_arrest_rate(base_rate * reg.mass_detention);
                }
            }
            Action::LethalForce { lethality } => {
                for &r in &rs {
                    self.regions[r].lethality = lethality;
                    self.regions[r].world.set_lethality(lethality);
                }
            }
            Action::LethalForceEnd => {
                for &r in &rs {
                    self.regions[r].lethality = 0.0;
                    self.regions[r].world.set_lethality(0.0);
                }
            }
            Action::Torture | Action::TortureEnd => {
                let on = matches!(action, Action::Torture);
                for &r in &rs {
                    self.regions[r].torture = on;
                }
            }
            Action::InternetShutdown { remaining } => {
                for &r in &rs {
                    self.regions[r].internet = remaining;
                }
            }
            Action::InternetRestore => {
                for &r in &rs {
                    self.regions[r].internet = 1.0;
                }
            }
            Action::ForeignTroopsIn { troops } => {
                let pop: f64 = rs.iter().map(|&r| self.regions[r].population as f64).sum();
                let street = troops * self.spec.foreign.street_share / scale;
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    let n = (street * reg.population as f64 / pop.max(1.0)).round() as u32;
                    reg.world.add_cops(n, true);
                }
            }
            Action::ForeignTroopsOut { troops } => {
                let pop: f64 = rs.iter().map(|&r| self.regions[r].population as f64).sum();
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    let n = match troops {
                        Some(tr) => {
                            (tr * self.spec.foreign.street_share / scale * reg.population as f64 / pop.max(1.0)).round()
                                as u32
                        }
                        None => reg.world.foreign_cops(),
                    };
                    reg.world.remove_cops(n, true);
                }
            }
            Action::Crackdown {
                police_factor,
                hours,
                brutality,
            } => {
                let until = t + (hours / self.cal.step_hours).ceil().max(1.0) as u64;
                for &r in &rs {
                    let reg = &mut self.regions[r];
                    let extra = (f64::from(reg.initial_police) * (police_factor - 1.0)).round().max(0.0) as u32;
                    let added = reg.world.add_cops(extra, false);
                    let prev = reg.crackdown.map_or(0, |c| c.1);
                    reg.crackdown = Some((until, prev + added));
                    reg.brutality += brutality;
                }
            }
        }
        let regions = if targets.regions.is_empty() {
            "all".to_string()
        } else {
            targets.regions.join(";")
        };
        let constituencies = if targets.constituencies.is_empty() {
            "all".to_string()
        } else {
            targets.constituencies.join(";")
        };
        self.fired.push(FiredEvent {
            step: t,
            kind: action.kind(),
            regions,
            constituencies,
            origin,
            note,
            action: action.clone(),
        });
    }

    fn end_crackdowns(&mut self, t: u64) {
        for reg in &mut self.regions {
            if let Some((until, added)) = reg.crackdown {
                if t >= until {
                    reg.world.remove_cops(added, false);
                    reg.crackdown = None;
                }
            }
        }
    }

    /// Sets every region's constituency traits and information coupling from
    /// the mechanisms (legitimacy, contagion, focal days, deterrence).
    fn update_traits(&mut self) {
        let t = self.step + 1;
        for ramp in &self.ramps {
            let f = ((t + 1).saturating_sub(ramp.start_step) as f64 / ramp.steps as f64).min(1.0);
            self.regions[ramp.region].hardship_scale[ramp.constituency] = ramp.from + (ramp.to - ramp.from) * f;
        }
        self.ramps.retain(|r| t + 1 < r.start_step + r.steps);
        let info = &self.spec.information;
        let (hours, half) = (self.cal.step_hours, info.news_half_life_hours);
        self.news_national = m::news_lag(
            self.news_national,
            self.metric(Metric::ActiveShare, "national"),
            hours,
            half,
        );
        for reg in &mut self.regions {
            let own = f64::from(reg.last.active) / reg.citizens.max(1) as f64;
            reg.news_regional = m::news_lag(reg.news_regional, own, hours, half);
            reg.fatigue = m::fatigue_stock(reg.fatigue, own, hours / 24.0, info.fatigue_half_life_days);
        }
        let national_share = self.news_national;
        let date = self.cal.date_of(t);
        let focal_on = match &info.focal_from {
            Some(d) => parse_datetime(d).map(|d| date >= d).unwrap_or(false),
            None => true,
        };
        let focal = if !focal_on {
            0.0
        } else {
            m::focal_day_drop(
                date.weekday().num_days_from_monday(),
                f64::from(date.hour()),
                self.focal,
                info.focal_threshold_drop,
                info.focal_hours,
            )
        };
        let conc: f64 = self
            .concessions
            .iter()
            .map(|&(at, b, h, cr)| m::concession_effect(b, (t - at) as f64 * self.step_days(), h, cr))
            .sum();
        let det = &self.spec.deterrence;
        for r in 0..self.regions.len() {
            let reg = &self.regions[r];
            let own = reg.news_regional;
            let perceived = if info.enabled {
                m::perceived_activity(
                    reg.internet,
                    info.offline_share,
                    own,
                    national_share,
                    info.regional_weight,
                    info.national_weight,
                )
            } else {
                0.0
            };
            let s_r = if det.enabled {
                m::deterrence_risk_scale(reg.lethality, reg.torture, det.lethal_fear, det.torture_fear)
            } else {
                1.0
            };
            let ambient = if det.enabled {
                m::ambient_risk(reg.lethality, det.ambient_fear)
            } else {
                0.0
            };
            let backlash = if self.spec.legitimacy.backlash {
                reg.backlash
            } else {
                0.0
            };
            let tiring = info.fatigue * reg.fatigue;
            let away = m::provincial_rise(self.spec.regions[r].capital, info.provincial_threshold);
            let traits: Vec<ConstituencyTraits> = (0..self.cons_base.len())
                .map(|c| {
                    let (l0, t0) = self.cons_base[c];
                    ConstituencyTraits {
                        hardship_scale: reg.hardship_scale[c],
                        legitimacy: m::perceived_legitimacy(l0, reg.shocks[c], conc, backlash),
                        threshold: m::contagion_threshold(t0, perceived, info.contagion, info.max_threshold_drop)
                            - focal
                            + tiring
                            + away,
                        risk_scale: s_r,
                        ambient_risk: ambient,
                    }
                })
                .collect();
            let unseen = m::unseen_actives(perceived, info.safety_in_numbers);
            let reg = &mut self.regions[r];
            reg.world.set_constituencies(traits);
            reg.world.set_unseen_actives(unseen);
        }
    }

    /// Police willingness and defections from the pressure on them
    /// (`mechanisms::loyalty_pressure`): overwhelm, their constituencies'
    /// disaffection, orders to fire, loyal foreign forces beside them.
    fn apply_loyalty(&mut self) {
        let l = self.spec.loyalty.clone();
        let span = self.spec.rules.legitimacy_span;
        let weights = m::LoyaltyWeights {
            firing_shock: l.firing_shock,
            foreign_steadying: l.foreign_steadying,
        };
        let fallen = self.collapsed_at.is_some();
        let capital = self.capital;
        // The provinces' spare police, only when the capital can draw on them.
        let spare: f64 = if l.reinforcement > 0.0 {
            (self.regions.iter().enumerate())
                .filter(|&(i, _)| i != capital)
                .map(|(_, s)| {
                    let cops = s.world.domestic_cops();
                    m::spare_police(cops, m::overwhelm(s.last.active, f64::from(cops), l.crowd_per_officer))
                })
                .sum()
        } else {
            0.0
        };
        for (i, reg) in self.regions.iter_mut().enumerate() {
            if !l.enabled {
                reg.willingness = 1.0;
                continue;
            }
            if fallen {
                // The regime has fallen: its police no longer act for it.
                reg.willingness = 0.0;
                reg.world.set_arrest_willingness(0.0);
                continue;
            }
            let cops = reg.world.domestic_cops();
            let facing = if i == capital {
                m::reinforced_police(cops, spare, l.reinforcement)
            } else {
                f64::from(cops)
            };
            let o = m::overwhelm(reg.last.active, facing, l.crowd_per_officer);
            let g = m::police_disaffection(region_mean_legitimacy(reg), span);
            let f = f64::from(reg.world.foreign_cops()) / f64::from(reg.initial_police.max(1));
            let pressure = m::loyalty_pressure(o, g, reg.lethality, f, &weights);
            reg.willingness = m::arrest_willingness(pressure, l.wavering);
            reg.world.set_arrest_willingness(reg.willingness);
            let d = m::defection_share(pressure, reg.peak_pressure, l.defection_threshold);
            reg.peak_pressure = reg.peak_pressure.max(pressure);
            if d > 0.0 {
                let n = reg.world.domestic_cops();
                let defect = (0..n).filter(|_| reg.rng.random::<f64>() < d).count() as u32;
                reg.defected += reg.world.remove_cops(defect, false);
            }
        }
    }

    /// Counts this step's detentions, deaths and convictions (in people: an
    /// arrest detains the `scale` people an agent stands for, less those a
    /// lethal arrest killed) and feeds the visible repression into each
    /// region's backlash stock.
    fn count_repression(&mut self) {
        let scale = self.spec.scale;
        let lg = self.spec.legitimacy.clone();
        let conviction = self.spec.detention.conviction_rate;
        let step_days = self.step_days();
        let total_pop: f64 = self.regions.iter().map(|r| r.population as f64).sum();
        let mut step_killed = Vec::with_capacity(self.regions.len());
        let mut step_detained = Vec::with_capacity(self.regions.len());
        for reg in &mut self.regions {
            let killed = reg.world.take_people_killed();
            // Agents arrested alive or killed in a lethal arrest, as people, less the dead.
            let confronted = (f64::from(reg.last.arrests) + f64::from(reg.last.kills)) * scale;
            let detained = (confronted - killed as f64).max(0.0).round() as u64;
            step_killed.push(killed);
            step_detained.push(detained);
        }
        let nat_k: f64 = step_killed.iter().sum::<u64>() as f64;
        let nat_d: f64 = step_detained.iter().sum::<u64>() as f64;
        let nat_tortured: f64 = self
            .regions
            .iter()
            .zip(&step_detained)
            .filter(|(r, _)| r.torture)
            .map(|(_, &d)| d as f64)
            .sum();
        let per_100k_nat = 1e5 / total_pop.max(1.0);
        for (i, reg) in self.regions.iter_mut().enumerate() {
            let (killed, detained) = (step_killed[i], step_detained[i]);
            reg.detained += detained;
            reg.killed += killed;
            reg.convicted += binomial_people(&mut reg.rng, detained, conviction);
            let per_100k = 1e5 / reg.population.max(1) as f64;
            let seen = lg.media_reach * reg.internet;
            let k = killed as f64 * per_100k + seen * nat_k * per_100k_nat;
            let d = detained as f64 * per_100k + seen * nat_d * per_100k_nat;
            let tortured =
                if reg.torture { detained as f64 * per_100k } else { 0.0 } + seen * nat_tortured * per_100k_nat;
            reg.backlash = m::backlash(
                reg.backlash,
                step_days,
                lg.backlash_half_life_days,
                k,
                d,
                false,
                reg.brutality,
                (
                    lg.killed_weight,
                    lg.detained_weight,
                    lg.torture_weight,
                    lg.brutality_weight,
                ),
            ) + lg.torture_weight * tortured;
            reg.brutality = 0.0;
        }
    }

    fn check_collapse(&mut self) {
        if self.collapsed_at.is_some() || !self.spec.loyalty.enabled {
            return;
        }
        let cap = &self.regions[self.capital];
        if m::regime_collapses(
            cap.world.domestic_cops(),
            cap.world.foreign_cops(),
            cap.initial_police,
            self.spec.loyalty.collapse_share,
        ) {
            self.collapsed_at = Some(self.step);
            self.capacity_at_collapse = f64::from(cap.world.domestic_cops()) + f64::from(cap.world.foreign_cops());
        }
    }

    fn record(&mut self) {
        let mut n = NationalRow {
            step: self.step,
            ..Default::default()
        };
        let mut willing = 0.0;
        for (i, r) in self.regions.iter().enumerate() {
            let c = r.world.counts();
            let legitimacy = region_mean_legitimacy(r);
            let police = r.world.domestic_cops();
            self.rows.push(RegionRow {
                step: self.step,
                region: i,
                quiet: c.quiet,
                active: c.active,
                jailed: c.jailed,
                killed: r.killed,
                detained: r.detained,
                police,
                foreign: r.world.foreign_cops(),
                defected: r.defected,
                willingness: r.willingness,
                legitimacy,
            });
            n.citizens += r.citizens;
            n.quiet += u64::from(c.quiet);
            n.active += u64::from(c.active);
            n.jailed += u64::from(c.jailed);
            n.killed += r.killed;
            n.detained += r.detained;
            n.convicted += r.convicted;
            n.police += u64::from(police);
            n.foreign += u64::from(r.world.foreign_cops());
            n.defected += u64::from(r.defected);
            willing += r.willingness * f64::from(police);
            if i == self.capital {
                n.capital = CapitalRow {
                    citizens: r.citizens,
                    active: u64::from(c.active),
                    jailed: u64::from(c.jailed),
                    killed: r.killed,
                    detained: r.detained,
                    police: u64::from(police),
                    foreign: u64::from(r.world.foreign_cops()),
                    defected: u64::from(r.defected),
                    willingness: r.willingness,
                    legitimacy,
                };
            }
        }
        n.willingness = if n.police > 0 { willing / n.police as f64 } else { 1.0 };
        n.mean_legitimacy = self.mean_legitimacy();
        self.national.push(n);
    }
}

/// People convicted of `detained`: Binomial(detained, rate), exact for small
/// counts and by the normal approximation above (`unrest_core::draw::binomial`).
fn binomial_people(rng: &mut Pcg64Mcg, detained: u64, rate: f64) -> u64 {
    let n = u32::try_from(detained).unwrap_or(u32::MAX);
    u64::from(unrest_core::draw::binomial(rng, n, rate))
}

/// The inputs of rule C3 (`rules::regional_shares`) from a scenario: region
/// populations, national shares, each region's own shares where given.
fn share_inputs(spec: &CountrySpec) -> (Vec<f64>, Vec<f64>, Vec<Vec<Option<f64>>>) {
    let pops = spec.regions.iter().map(|r| r.population as f64).collect();
    let national = spec.constituencies.iter().map(|c| c.share).collect();
    let explicit = spec
        .regions
        .iter()
        .map(|r| {
            spec.constituencies
                .iter()
                .map(|c| r.shares.get(&c.name).copied())
                .collect()
        })
        .collect();
    (pops, national, explicit)
}

/// Every region's constituency shares by rule C3 (`rules::regional_shares`).
pub(crate) fn region_shares(spec: &CountrySpec) -> Vec<Vec<f64>> {
    let (pops, national, explicit) = share_inputs(spec);
    crate::rules::regional_shares(&pops, &national, &explicit)
}

/// Mean perceived legitimacy of a region's citizens: constituencies weighted by
/// the region's own population shares (rule C3, `region_shares`), not the
/// national ones.
fn region_mean_legitimacy(r: &Region) -> f64 {
    let traits = r.world.constituencies();
    traits.iter().zip(&r.shares).map(|(t, s)| t.legitimacy * s).sum()
}

/// What `unrest check` warns about (not errors: the scenario runs): events
/// outside the calendar, constituency shares that do not sum to 1 (they are
/// normalised), regions with fewer than 10 police agents (loyalty and collapse
/// are then decided by a handful of agents). Each names the key.
pub fn warnings(spec: &CountrySpec) -> Vec<CountryError> {
    let mut out = Vec::new();
    let (Ok(start), Ok(end)) = (parse_datetime(&spec.calendar.start), parse_datetime(&spec.calendar.end)) else {
        return out;
    };
    for (i, e) in spec.events.iter().enumerate() {
        if let Ok(d) = parse_datetime(&e.at) {
            if d < start || d > end {
                out.push(err(
                    format!("events[{i}].at"),
                    format!(
                        "{} ({}) is outside the calendar {} to {}: it never fires",
                        e.at,
                        e.action.kind(),
                        spec.calendar.start,
                        spec.calendar.end
                    ),
                ));
            }
        }
    }
    let total: f64 = spec.constituencies.iter().map(|c| c.share).sum();
    if (total - 1.0).abs() > 1e-6 {
        out.push(err(
            "constituencies",
            format!("national shares sum to {total:.4}, not 1 (they are normalised)"),
        ));
    }
    let (pops, national, explicit) = share_inputs(spec);
    for (c, implied) in crate::rules::shares_exceeding_national(&pops, &national, &explicit) {
        out.push(err(
            format!("constituencies[{c}].share"),
            format!(
                "{}: the regions' own shares already hold {implied:.4} of the country, more than its national share {:.4}: none elsewhere",
                spec.constituencies[c].name, spec.constituencies[c].share
            ),
        ));
    }
    for (i, r) in spec.regions.iter().enumerate() {
        if !r.shares.is_empty() {
            let named: f64 = r.shares.values().sum();
            let all_named = spec.constituencies.iter().all(|c| r.shares.contains_key(&c.name));
            if named > 1.0 + 1e-6 || (all_named && (named - 1.0).abs() > 1e-6) {
                out.push(err(
                    format!("regions[{i}].shares"),
                    format!("{}: shares sum to {named:.4}, not 1 (they are normalised)", r.name),
                ));
            }
        }
        let per_100k = r.police_per_100k.unwrap_or(spec.police.per_100k);
        let cops = m::region_police(r.population, per_100k, spec.police.deployable_share, spec.scale);
        if cops < 10 {
            out.push(err(
                format!("regions[{i}]"),
                format!(
                    "{}: {cops} police agents at 1:{}; loyalty and collapse rest on so few (lower the scale)",
                    r.name, spec.scale
                ),
            ));
        }
    }
    out
}

/// Checks the spec's values; errors name the key by its dotted path.
pub fn validate(spec: &CountrySpec) -> Result<(), CountryError> {
    let range = |path: String, v: f64, lo: f64, hi: f64| {
        if v.is_finite() && v >= lo && v <= hi {
            Ok(())
        } else {
            Err(err(path, format!("{v} is out of range: must be between {lo} and {hi}")))
        }
    };
    if spec.kind != "country" {
        return Err(err(
            "kind",
            format!("{:?} is not a country scenario kind: expected \"country\"", spec.kind),
        ));
    }
    range("scale".into(), spec.scale, 1.0, 1e9)?;
    range(
        "calendar.step_hours".into(),
        spec.calendar.step_hours,
        0.01,
        24.0 * 365.0,
    )?;
    let start = parse_datetime(&spec.calendar.start).map_err(|e| err("calendar.start", e))?;
    let end = parse_datetime(&spec.calendar.end).map_err(|e| err("calendar.end", e))?;
    if end <= start {
        return Err(err("calendar.end", "must be after calendar.start"));
    }
    let steps = (end - start).num_minutes() as f64 / 60.0 / spec.calendar.step_hours;
    if steps > 1e6 {
        return Err(err(
            "calendar.end",
            format!("{steps:.0} steps is too many (at most 1,000,000)"),
        ));
    }
    if spec.regions.is_empty() {
        return Err(err("regions", "a country needs at least one [[regions]] entry"));
    }
    if spec.regions.iter().filter(|r| r.capital).count() > 1 {
        return Err(err("regions", "at most one region may be the capital"));
    }
    let mut agents = 0.0;
    for (i, r) in spec.regions.iter().enumerate() {
        if r.population == 0 || r.population > 2_000_000_000 {
            return Err(err(
                format!("regions[{i}].population"),
                format!("{} is out of range: 1 to 2e9 people", r.population),
            ));
        }
        range(format!("regions[{i}].density"), r.density, 0.01, 0.95)?;
        if let Some(p) = r.police_per_100k {
            range(format!("regions[{i}].police_per_100k"), p, 0.0, 10_000.0)?;
        }
        for (name, s) in &r.shares {
            if !spec.constituencies.iter().any(|c| &c.name == name) {
                return Err(err(
                    format!("regions[{i}].shares.{name}"),
                    format!("unknown constituency {name:?}"),
                ));
            }
            range(format!("regions[{i}].shares.{name}"), *s, 0.0, 1.0)?;
        }
        if spec.regions[..i].iter().any(|o| o.name == r.name) {
            return Err(err(
                format!("regions[{i}].name"),
                format!("duplicate region name {:?}", r.name),
            ));
        }
        agents += r.population as f64 / spec.scale / r.density;
    }
    if agents > 2e8 {
        return Err(err(
            "scale",
            format!("{agents:.0} lattice sites in all is too many; raise the scale"),
        ));
    }
    if spec.constituencies.is_empty() || spec.constituencies.len() > 200 {
        return Err(err(
            "constituencies",
            "a country needs 1 to 200 [[constituencies]] entries",
        ));
    }
    for (i, c) in spec.constituencies.iter().enumerate() {
        range(format!("constituencies[{i}].share"), c.share, 0.0, 1.0)?;
        range(format!("constituencies[{i}].legitimacy"), c.legitimacy, 0.0, 1.0)?;
        range(format!("constituencies[{i}].threshold"), c.threshold, -1.0, 1.0)?;
        for (k, u) in [("hardship", c.hardship), ("risk_aversion", c.risk_aversion)] {
            range(format!("constituencies[{i}].{k}.min"), u.min, 0.0, 1.0)?;
            range(format!("constituencies[{i}].{k}.max"), u.max, u.min, 1.0)?;
        }
    }
    for (i, total) in region_shares(spec)
        .iter()
        .map(|row| row.iter().sum::<f64>())
        .enumerate()
    {
        if total <= 0.0 {
            return Err(err(
                format!("regions[{i}].shares"),
                "constituency shares sum to 0 in this region",
            ));
        }
    }
    range("police.per_100k".into(), spec.police.per_100k, 0.0, 10_000.0)?;
    range("police.deployable_share".into(), spec.police.deployable_share, 0.0, 1.0)?;
    range("police.arrests_per_day".into(), spec.police.arrests_per_day, 0.0, 1e4)?;
    let inf = &spec.information;
    for (k, v) in [
        ("regional_weight", inf.regional_weight),
        ("national_weight", inf.national_weight),
        ("safety_in_numbers", inf.safety_in_numbers),
        ("contagion", inf.contagion),
    ] {
        range(format!("information.{k}"), v, 0.0, 1e6)?;
    }
    range("information.offline_share".into(), inf.offline_share, 0.0, 1.0)?;
    range(
        "information.news_half_life_hours".into(),
        inf.news_half_life_hours,
        0.0,
        1e5,
    )?;
    range(
        "information.max_threshold_drop".into(),
        inf.max_threshold_drop,
        0.0,
        1.0,
    )?;
    range(
        "information.focal_threshold_drop".into(),
        inf.focal_threshold_drop,
        0.0,
        1.0,
    )?;
    range("information.focal_hours".into(), inf.focal_hours, 0.0, 24.0)?;
    range("information.fatigue".into(), inf.fatigue, 0.0, 100.0)?;
    range(
        "information.provincial_threshold".into(),
        inf.provincial_threshold,
        -1.0,
        1.0,
    )?;
    range(
        "information.fatigue_half_life_days".into(),
        inf.fatigue_half_life_days,
        0.0,
        1e6,
    )?;
    range("rules.hardship_shape".into(), spec.rules.hardship_shape, 0.05, 100.0)?;
    if let Some(d) = &inf.focal_from {
        parse_datetime(d).map_err(|m| err("information.focal_from", m))?;
    }
    if let Some(d) = &inf.focal_weekday {
        if weekday_index(d).is_none() {
            return Err(err(
                "information.focal_weekday",
                format!("{d:?} is not a weekday: mon, tue, wed, thu, fri, sat, sun"),
            ));
        }
    }
    let lg = &spec.legitimacy;
    for (k, v) in [
        ("killed_weight", lg.killed_weight),
        ("detained_weight", lg.detained_weight),
        ("torture_weight", lg.torture_weight),
        ("brutality_weight", lg.brutality_weight),
    ] {
        range(format!("legitimacy.{k}"), v, 0.0, 100.0)?;
    }
    range("legitimacy.media_reach".into(), lg.media_reach, 0.0, 1.0)?;
    range(
        "legitimacy.backlash_half_life_days".into(),
        lg.backlash_half_life_days,
        0.001,
        1e6,
    )?;
    range(
        "deterrence.lethal_fear".into(),
        spec.deterrence.lethal_fear,
        0.0,
        1000.0,
    )?;
    range(
        "deterrence.torture_fear".into(),
        spec.deterrence.torture_fear,
        0.0,
        1000.0,
    )?;
    range(
        "deterrence.ambient_fear".into(),
        spec.deterrence.ambient_fear,
        0.0,
        1000.0,
    )?;
    let ly = &spec.loyalty;
    range("loyalty.crowd_per_officer".into(), ly.crowd_per_officer, 0.001, 1e6)?;
    range("loyalty.firing_shock".into(), ly.firing_shock, 0.0, 1e6)?;
    range("loyalty.reinforcement".into(), ly.reinforcement, 0.0, 1.0)?;
    range("loyalty.foreign_steadying".into(), ly.foreign_steadying, 0.0, 1e6)?;
    range("loyalty.wavering".into(), ly.wavering, 0.0, 1e6)?;
    range("loyalty.defection_threshold".into(), ly.defection_threshold, 0.0, 1e6)?;
    range("loyalty.collapse_share".into(), ly.collapse_share, 0.0, 1.0)?;
    range(
        "detention.max_jail_days".into(),
        spec.detention.max_jail_days,
        0.0,
        36_500.0,
    )?;
    range(
        "detention.conviction_rate".into(),
        spec.detention.conviction_rate,
        0.0,
        1.0,
    )?;
    range("foreign.street_share".into(), spec.foreign.street_share, 0.0, 1.0)?;
    range("outcome.ended_share".into(), spec.outcome.ended_share, 0.0, 1.0)?;
    range("outcome.min_peak_share".into(), spec.outcome.min_peak_share, 0.0, 1.0)?;
    spec.rules.validate().map_err(|(k, m)| err(k, m))?;
    range(
        "outcome.concession_margin".into(),
        spec.outcome.concession_margin,
        -1.0,
        1.0,
    )?;
    let known_region = |n: &String| n == "capital" || spec.regions.iter().any(|r| &r.name == n);
    let known_cons = |n: &String| spec.constituencies.iter().any(|c| &c.name == n);
    for (i, e) in spec.events.iter().enumerate() {
        parse_datetime(&e.at).map_err(|m| err(format!("events[{i}].at"), m))?;
        e.action.validate().map_err(|m| err(format!("events[{i}]"), m))?;
        if let Some(r) = e.regions.iter().find(|r| !known_region(r)) {
            return Err(err(format!("events[{i}].regions"), format!("unknown region {r:?}")));
        }
        if let Some(c) = e.constituencies.iter().find(|c| !known_cons(c)) {
            return Err(err(
                format!("events[{i}].constituencies"),
                format!("unknown constituency {c:?}"),
            ));
        }
    }
    for (i, p) in spec.policy.iter().enumerate() {
        p.action.validate().map_err(|m| err(format!("policy[{i}]"), m))?;
        if p.region != "national" && !known_region(&p.region) {
            return Err(err(
                format!("policy[{i}].region"),
                format!(
                    "unknown region {:?}: a region name, \"capital\" or \"national\"",
                    p.region
                ),
            ));
        }
        if !p.above.is_finite() {
            return Err(err(format!("policy[{i}].above"), "must be a finite number"));
        }
        if let Some(a) = &p.after {
            parse_datetime(a).map_err(|m| err(format!("policy[{i}].after"), m))?;
        }
        if let Some(r) = p.regions.iter().find(|r| !known_region(r)) {
            return Err(err(format!("policy[{i}].regions"), format!("unknown region {r:?}")));
        }
        if let Some(c) = p.constituencies.iter().find(|c| !known_cons(c)) {
            return Err(err(
                format!("policy[{i}].constituencies"),
                format!("unknown constituency {c:?}"),
            ));
        }
    }
    crate::criteria::validate(spec)?;
    Ok(())
}
