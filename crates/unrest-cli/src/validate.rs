//! `unrest validate`: runs a country scenario over many seeds in parallel and
//! prints each of its criteria with the share of runs that met it.

use clap::Args;
use unrest_country::criteria::{predictive, Predictive, Unit};

#[derive(Args)]
pub struct ValidateArgs {
    /// Built-in country scenario (kazakhstan-2022, belarus-2020, euromaidan-2014) or a file.
    pub scenario: String,
    /// Number of seeds (runs).
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    /// Base seed; run i uses seeds::derive(base, i) (default: the scenario's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Share of runs each criterion must reach.
    #[arg(long, default_value_t = 0.8)]
    pub required: f64,
    /// Override a key: --set loyalty.defection_threshold=0.3 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print each run's outcome and measurements.
    #[arg(long)]
    pub verbose: bool,
    /// Draw each run's fitted parameters from this posterior (posterior.csv
    /// of `unrest calibrate --plan`): the shares then carry the parameters'
    /// uncertainty as well as the seeds'.
    #[arg(long, value_name = "POSTERIOR.csv")]
    pub posterior: Option<std::path::PathBuf>,
    /// Print one JSON object (criteria with the share of runs meeting each,
    /// and the outcomes) instead of the table: for fitting scripts.
    #[arg(long)]
    pub json: bool,
    /// Also print the predictive check: for each criterion with a number
    /// (sizes, tolls, dates), the runs' median and 90% interval and whether
    /// the record lies inside it (with --posterior, a posterior predictive check).
    #[arg(long)]
    pub ppc: bool,
}

/// Returns Err (non-zero exit) if any criterion falls short.
pub fn validate(args: ValidateArgs) -> Result<(), String> {
    if args.seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    if !(0.0..=1.0).contains(&args.required) {
        return Err(format!("--required {} must be between 0 and 1", args.required));
    }
    let sets = crate::run::parse_sets(&args.set)?;
    let post = args
        .posterior
        .as_deref()
        .map(crate::posterior::Posterior::read)
        .transpose()?;
    let load = |s: &[(String, String)], seed: Option<u64>| crate::country::load(&args.scenario, s, seed);
    let v = run_validation(&load, &sets, args.seed, post.as_ref(), args.seeds, None)?;
    let (sc, runs, overrides, wall) = (&v.scenarios[0], &v.runs, &v.overrides, v.wall_seconds);
    if args.json {
        println!("{}", json_report(&v, args.seeds));
        return Ok(());
    }
    if args.verbose {
        for (seed, verdicts, outcome) in runs {
            let m: Vec<String> = verdicts
                .iter()
                .map(|v| format!("{}{}", if v.met { "" } else { "✗ " }, v.measured))
                .collect();
            println!("seed {seed:>20}  {outcome:<28} {}", m.join(" | "));
        }
    }
    println!(
        "{}: {} seeds at scale 1:{} in {:.1} s (criteria from the scenario file; reference: data/episodes/cases.yaml)",
        sc.spec.name, args.seeds, sc.spec.scale, wall
    );
    match &sc.model {
        Some(m) => println!("model {m}{}", crate::country::overrides_note(overrides)),
        None => println!("no shared model: every mechanism value is the scenario's own"),
    }
    if let Some(p) = &post {
        println!(
            "fitted parameters drawn from {} ({} particles over {} runs; {} keys)",
            p.path,
            v.scenarios.len(),
            args.seeds,
            p.keys.len()
        );
    }
    println!("{:<64} {:>7}  {}", "criterion", "met", "");
    let mut short = 0;
    for (k, c) in sc.spec.criteria.iter().enumerate() {
        let met = runs.iter().filter(|r| r.1[k].met).count();
        let share = met as f64 / runs.len() as f64;
        let ok = share + 1e-12 >= args.required;
        short += usize::from(!ok);
        println!(
            "{:<64} {:>6.0}%  {}",
            c.label(),
            100.0 * share,
            if ok { "ok" } else { "FALLS SHORT" }
        );
    }
    if args.ppc {
        print_predictive(sc, runs);
    }
    if short > 0 {
        Err(format!(
            "{short} criteria met in fewer than {:.0}% of runs",
            100.0 * args.required
        ))
    } else {
        Ok(())
    }
}

/// A validation's runs: the scenarios (one, or one per posterior particle
/// drawn), each run's verdicts, the overrides to report, and the wall time.
pub struct Validation {
    pub scenarios: Vec<unrest_scenario::CountryScenario>,
    pub runs: Vec<(u64, Vec<unrest_country::Verdict>, String)>,
    pub overrides: Vec<String>,
    /// `{"file", "particles_drawn"}` when the runs drew from a posterior.
    pub posterior: Option<serde_json::Value>,
    pub wall_seconds: f64,
}

/// Runs a country scenario (loaded by `load`) over `seeds` seeds, each run
/// with its posterior draw when there is a posterior, and judges every run.
/// Setting `cancel` stops it between steps ([`crate::cancel::INTERRUPTED`]).
pub fn run_validation(
    load: &crate::posterior::Loader<'_>,
    sets: &[(String, String)],
    seed: Option<u64>,
    post: Option<&crate::posterior::Posterior>,
    seeds: u64,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Validation, String> {
    let (scs, which, base) = crate::posterior::scenarios_with(load, sets, seed, post, seeds)?;
    let sc = &scs[0];
    if sc.spec.criteria.is_empty() {
        return Err(format!("{} has no [[criteria]] to validate against", sc.spec.name));
    }
    let started = std::time::Instant::now();
    let setups: Vec<_> = which.iter().map(|&i| (&scs[i].spec, &scs[i].lattice)).collect();
    let runs = crate::cancel::validate_setups(&setups, base, cancel)?;
    let overrides = crate::posterior::user_overrides(sc, post);
    let wall_seconds = started.elapsed().as_secs_f64();
    let posterior = post.map(|p| serde_json::json!({"file": p.path, "particles_drawn": scs.len()}));
    Ok(Validation {
        scenarios: scs,
        runs,
        overrides,
        posterior,
        wall_seconds,
    })
}

/// What `validate --json` prints: each criterion with the share of runs that
/// met it, its measurements and misses, the mean distance and the outcomes.
pub fn json_report(v: &Validation, seeds: u64) -> serde_json::Value {
    let (sc, runs) = (&v.scenarios[0], &v.runs);
    let shares: Vec<serde_json::Value> = sc
        .spec
        .criteria
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let met = runs.iter().filter(|r| r.1[k].met).count();
            let p = predictive_of(runs, k);
            serde_json::json!({
                "label": c.label(),
                "share": met as f64 / runs.len() as f64,
                "predictive": p.map(|p| serde_json::json!({
                    "unit": match p.unit { Unit::People => "people", Unit::Step => "step" },
                    "record": p.record, "q05": p.q05, "median": p.median, "q95": p.q95, "inside": p.inside,
                })),
                "measured": runs.iter().map(|r| r.1[k].measured.clone()).collect::<Vec<_>>(),
                "miss": runs.iter().map(|r| r.1[k].miss).collect::<Vec<_>>(),
            })
        })
        .collect();
    let outcomes: Vec<&str> = runs.iter().map(|r| r.2.as_str()).collect();
    serde_json::json!({
        "scenario": sc.spec.name,
        "model": sc.model,
        "overrides": v.overrides,
        "posterior": v.posterior,
        "seeds": seeds,
        "scale": sc.spec.scale,
        "wall_seconds": v.wall_seconds,
        "criteria": shares,
        // The mean over runs of unrest_country::distance: 0 when every
        // criterion is met in every run (the calibration's distance).
        "distance": runs.iter().map(|r| unrest_country::distance(&r.1)).sum::<f64>() / runs.len() as f64,
        "outcomes": outcomes,
    })
}

/// Criterion `k`'s predictive check over the runs.
fn predictive_of(runs: &[(u64, Vec<unrest_country::Verdict>, String)], k: usize) -> Option<Predictive> {
    let q: Vec<_> = runs.iter().map(|r| r.1[k].quantity).collect();
    predictive(&q)
}

/// The predictive check as a table: people at 1:1, dates as the calendar's labels.
fn print_predictive(sc: &unrest_scenario::CountryScenario, runs: &[(u64, Vec<unrest_country::Verdict>, String)]) {
    let cal = unrest_country::Calendar {
        start: unrest_country::parse_datetime(&sc.spec.calendar.start).unwrap_or_default(),
        step_hours: sc.spec.calendar.step_hours,
    };
    let show = |unit: Unit, x: f64| match unit {
        Unit::People => format!("{x:.0}"),
        Unit::Step => cal.label(x.round().max(0.0) as u64),
    };
    println!();
    println!(
        "predictive check ({} runs): median and 90% interval of each number, and the record",
        runs.len()
    );
    println!(
        "{:<52} {:>16} {:>16} {:>35}  record inside",
        "criterion", "record", "median", "90% interval"
    );
    for (k, c) in sc.spec.criteria.iter().enumerate() {
        let Some(p) = predictive_of(runs, k) else { continue };
        println!(
            "{:<52} {:>16} {:>16} {:>35}  {}",
            c.label(),
            show(p.unit, p.record),
            show(p.unit, p.median),
            format!("{} – {}", show(p.unit, p.q05), show(p.unit, p.q95)),
            if p.inside { "yes" } else { "NO" }
        );
    }
}
