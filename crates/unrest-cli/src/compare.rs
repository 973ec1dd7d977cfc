//! `unrest compare`: what would have happened otherwise. A country scenario
//! and its variants, each a list of `--set`-style edits (parameters, inputs,
//! `events.drop=KIND[@DATE]`, `events.add={...}`), run over the same seeds;
//! the statistics are `unrest_country::compare`'s, this file only parses,
//! prints and writes them.

use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use unrest_country::compare::{self, Estimate, VariantResult};
use unrest_country::Outcome;
use unrest_output::{plot_intervals_svg, IntervalPanel, Staged};

#[derive(Args)]
pub struct CompareArgs {
    /// Built-in country scenario or a file.
    pub scenario: String,
    /// A variant: "LABEL: KEY=VALUE; KEY=VALUE" (repeatable). Keys are those of
    /// --set, plus events.drop=KIND or KIND@DATE and events.add={at = "...", kind = "...", ...}.
    #[arg(long = "variant", value_name = "LABEL: EDITS")]
    pub variants: Vec<String>,
    /// Seeds per variant (the same seeds for every variant).
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    /// Base seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// An edit applied to the baseline and every variant (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Draw each run's fitted parameters from this posterior (posterior.csv of
    /// `unrest calibrate --plan`); run i of every variant gets the same draw
    /// and seed, so the intervals carry the parameters' uncertainty too.
    #[arg(long, value_name = "POSTERIOR.csv")]
    pub posterior: Option<PathBuf>,
    /// Write compare.csv, runs.csv and compare.svg into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Splits "LABEL: k=v; k=v" into its label and edits.
pub fn parse_variant(raw: &str) -> Result<(String, Vec<(String, String)>), String> {
    let (label, edits) = raw
        .split_once(':')
        .ok_or_else(|| format!("--variant {raw:?}: write it as \"LABEL: KEY=VALUE; KEY=VALUE\""))?;
    let label = label.trim();
    if label.is_empty() {
        return Err(format!("--variant {raw:?}: the label before ':' is empty"));
    }
    let parts: Vec<String> = edits
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if parts.is_empty() {
        return Err(format!("--variant {raw:?}: no edits after the label"));
    }
    let edits = crate::run::parse_sets(&parts).map_err(|e| format!("--variant {label:?}: {e}"))?;
    Ok((label.to_string(), edits))
}

pub fn compare(args: CompareArgs) -> Result<(), String> {
    if args.seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    if args.variants.is_empty() {
        return Err("name at least one --variant to compare with the scenario as it is".into());
    }
    let base_sets = crate::run::parse_sets(&args.set)?;
    let mut plan = vec![("as recorded".to_string(), Vec::new())];
    for v in &args.variants {
        plan.push(parse_variant(v)?);
    }
    let post = args
        .posterior
        .as_deref()
        .map(crate::posterior::Posterior::read)
        .transpose()?;
    let load = |s: &[(String, String)], seed: Option<u64>| crate::country::load(&args.scenario, s, seed);
    let (name, results) = run_plan(&load, &base_sets, &plan, args.seed, args.seeds, post.as_ref(), None)?;
    print!(
        "{}",
        report(&name, args.seeds, post.as_ref().map(|p| p.path.as_str()), &results)
    );
    if let Some(dir) = &args.out {
        let mut staged = Staged::default();
        staged.add("compare.csv", compare_csv(&results).into_bytes());
        staged.add("runs.csv", runs_csv(&results).into_bytes());
        staged.add("compare.svg", figure(&name, args.seeds, &results)?.into_bytes());
        crate::run::write_staged(staged, dir)?;
    }
    Ok(())
}

/// Runs the baseline and each variant of `plan` (label, edits) over the same
/// seeds (and posterior draws, with a posterior) and summarises them; `load`
/// loads the scenario with the given edits and seed. Returns the scenario's
/// name and the per-variant results.
pub fn run_plan(
    load: &crate::posterior::Loader<'_>,
    base_sets: &[(String, String)],
    plan: &[(String, Vec<(String, String)>)],
    seed: Option<u64>,
    seeds: u64,
    post: Option<&crate::posterior::Posterior>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<(String, Vec<VariantResult>), String> {
    let mut runs = Vec::new();
    let mut seed = seed;
    let mut name = String::new();
    for (label, edits) in plan {
        let sets: Vec<(String, String)> = base_sets.iter().chain(edits).cloned().collect();
        // Every variant on the baseline's seeds (and draws), whatever its own edits say.
        let (scs, which, base) = crate::posterior::scenarios_with(load, &sets, seed, post, seeds).map_err(|e| {
            if edits.is_empty() {
                e
            } else {
                format!("variant {label:?}: {e}")
            }
        })?;
        seed.get_or_insert(base);
        name = scs[0].spec.name.clone();
        let setups: Vec<_> = which.iter().map(|&i| (&scs[i].spec, &scs[i].lattice)).collect();
        let r = crate::cancel::variant_setups(&setups, base, cancel)?;
        runs.push((label.clone(), r));
    }
    Ok((name, compare::summarise(runs)))
}

/// Where `collapsed` sits in the per-outcome lists (`Outcome::NAMES` order).
fn collapsed_index() -> usize {
    Outcome::NAMES
        .iter()
        .position(|o| *o == Outcome::Collapsed.as_str())
        .unwrap_or(0)
}

fn people(x: f64) -> String {
    let x = x + 0.0; // no "-0"
    if !x.is_finite() {
        "-".into()
    } else if x.abs() >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x.abs() >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

fn with_interval(e: &Estimate, f: fn(f64) -> String) -> String {
    format!("{} [{}, {}]", f(e.value), f(e.lo), f(e.hi))
}

fn share(x: f64) -> String {
    format!("{x:.2}")
}

/// The printed table: per variant the outcome probabilities, then the tolls;
/// then each variant's differences from the baseline.
fn report(name: &str, seeds: u64, posterior: Option<&str>, results: &[VariantResult]) -> String {
    let mut s = String::new();
    let over = if posterior.is_some() {
        "runs (seeds and posterior draws)"
    } else {
        "seeds"
    };
    let _ = writeln!(
        s,
        "{name}: {seeds} seeds per variant, the same seeds for each; 95% intervals over {over}"
    );
    let _ = match posterior {
        None => writeln!(
            s,
            "(Wilson for probabilities, mean ± 1.96 SE otherwise; the model's parameters are a point estimate)"
        ),
        Some(p) => writeln!(
            s,
            "(Wilson for probabilities, mean ± 1.96 SE otherwise; each run's fitted parameters drawn from {p}, the same draw for run i of every variant)"
        ),
    };
    for r in results {
        let _ = writeln!(s, "\n{}", r.label);
        let outcomes: Vec<String> = Outcome::NAMES
            .iter()
            .zip(&r.outcome_shares)
            .filter(|(_, e)| e.value > 0.0)
            .map(|(o, e)| format!("{o} {}", with_interval(e, share)))
            .collect();
        let _ = writeln!(s, "  outcome   {}", outcomes.join("; "));
        let _ = writeln!(s, "  peak      {} people at once", with_interval(&r.peak, people));
        let _ = writeln!(s, "  killed    {}", with_interval(&r.killed, people));
        let _ = writeln!(s, "  detained  {}", with_interval(&r.detained, people));
        if let Some(d) = &r.versus_baseline {
            let collapsed = collapsed_index();
            let _ = writeln!(
                s,
                "  vs as recorded: P(collapsed) {:+.2} [{:+.2}, {:+.2}], peak {} [{}, {}], killed {} [{}, {}], detained {} [{}, {}]",
                d.outcome_shares[collapsed].value,
                d.outcome_shares[collapsed].lo,
                d.outcome_shares[collapsed].hi,
                people(d.peak.value),
                people(d.peak.lo),
                people(d.peak.hi),
                people(d.killed.value),
                people(d.killed.lo),
                people(d.killed.hi),
                people(d.detained.value),
                people(d.detained.lo),
                people(d.detained.hi),
            );
        }
    }
    s
}

/// compare.csv: one row per variant and measure — the estimate, its interval,
/// and the paired difference from the baseline with its interval (empty for
/// the baseline).
pub fn compare_csv(results: &[VariantResult]) -> String {
    let mut s = String::from("variant,measure,value,lo,hi,diff,diff_lo,diff_hi\n");
    for r in results {
        let rows = r.rows();
        for (m, e, diff) in rows {
            let _ = write!(s, "{},{m},{},{},{}", csv_field(&r.label), e.value, e.lo, e.hi);
            match diff {
                Some(x) => {
                    let _ = writeln!(s, ",{},{},{}", x.value, x.lo, x.hi);
                }
                None => s.push_str(",,,\n"),
            }
        }
    }
    s
}

/// runs.csv: every run of every variant.
pub fn runs_csv(results: &[VariantResult]) -> String {
    let mut s = String::from("variant,seed,outcome,outcome_date,peak_people,killed,detained\n");
    for r in results {
        for x in &r.runs {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{}",
                csv_field(&r.label),
                x.seed,
                x.outcome.as_str(),
                x.outcome_at,
                x.peak_people,
                x.killed,
                x.detained
            );
        }
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn figure(name: &str, seeds: u64, results: &[VariantResult]) -> Result<String, String> {
    let collapsed = collapsed_index();
    let panel = |title: &str, f: &dyn Fn(&VariantResult) -> Estimate| IntervalPanel {
        title: title.to_string(),
        rows: results
            .iter()
            .map(|r| {
                let e = f(r);
                (r.label.clone(), e.value, e.lo, e.hi)
            })
            .collect(),
    };
    plot_intervals_svg(
        &format!("{name}: what if ({seeds} seeds each, 95% intervals)"),
        &[
            panel("P(collapsed)", &|r| r.outcome_shares[collapsed]),
            panel("peak crowd (people)", &|r| r.peak),
            panel("killed", &|r| r.killed),
            panel("detained", &|r| r.detained),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_parsed_or_refused_with_the_reason() {
        let (label, edits) =
            parse_variant("without the CSTO: events.drop=foreign_troops_in; loyalty.wavering=2").unwrap();
        assert_eq!(label, "without the CSTO");
        assert_eq!(edits[0], ("events.drop".to_string(), "foreign_troops_in".to_string()));
        assert_eq!(edits.len(), 2);
        assert!(parse_variant("no colon here").unwrap_err().contains("LABEL: KEY=VALUE"));
        assert!(parse_variant(": a=b").unwrap_err().contains("label"));
        assert!(parse_variant("x:").unwrap_err().contains("no edits"));
    }
}
