//! `unrest validate`: runs a country scenario over many seeds in parallel and
//! prints each of its criteria with the share of runs that met it.

use clap::Args;

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
    /// Print one JSON object (criteria with the share of runs meeting each,
    /// and the outcomes) instead of the table: for fitting scripts.
    #[arg(long)]
    pub json: bool,
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
    let sc = crate::country::load(&args.scenario, &sets, args.seed)?;
    if sc.spec.criteria.is_empty() {
        return Err(format!("{} has no [[criteria]] to validate against", sc.spec.name));
    }
    let started = std::time::Instant::now();
    let runs = unrest_country::validate_seeds(&sc.spec, &sc.lattice, sc.seed, args.seeds).map_err(|e| e.to_string())?;
    let wall = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", json_report(&sc, &runs, args.seeds, wall));
        return Ok(());
    }
    if args.verbose {
        for (seed, verdicts, outcome) in &runs {
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
        Some(m) => println!("model {m}{}", crate::country::overrides_note(&sc.overrides)),
        None => println!("no shared model: every mechanism value is the scenario's own"),
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
    if short > 0 {
        Err(format!(
            "{short} criteria met in fewer than {:.0}% of runs",
            100.0 * args.required
        ))
    } else {
        Ok(())
    }
}

/// What `validate --json` prints: each criterion with the share of runs that
/// met it, its measurements and misses, the mean distance and the outcomes.
pub fn json_report(
    sc: &unrest_scenario::CountryScenario,
    runs: &[(u64, Vec<unrest_country::Verdict>, String)],
    seeds: u64,
    wall: f64,
) -> serde_json::Value {
    let shares: Vec<serde_json::Value> = sc
        .spec
        .criteria
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let met = runs.iter().filter(|r| r.1[k].met).count();
            serde_json::json!({
                "label": c.label(),
                "share": met as f64 / runs.len() as f64,
                "measured": runs.iter().map(|r| r.1[k].measured.clone()).collect::<Vec<_>>(),
                "miss": runs.iter().map(|r| r.1[k].miss).collect::<Vec<_>>(),
            })
        })
        .collect();
    let outcomes: Vec<&str> = runs.iter().map(|r| r.2.as_str()).collect();
    serde_json::json!({
        "scenario": sc.spec.name,
        "model": sc.model,
        "overrides": sc.overrides,
        "seeds": seeds,
        "scale": sc.spec.scale,
        "wall_seconds": wall,
        "criteria": shares,
        // The mean over runs of unrest_country::distance: 0 when every
        // criterion is met in every run (the calibration's distance).
        "distance": runs.iter().map(|r| unrest_country::distance(&r.1)).sum::<f64>() / runs.len() as f64,
        "outcomes": outcomes,
    })
}
