//! `--posterior FILE` for `validate` and `compare`: each run draws its
//! mechanism values from a calibration's posterior (the `posterior.csv` that
//! `unrest calibrate --plan` writes), so what the runs say carries the
//! uncertainty of the fitted parameters as well as the seeds'.
//!
//! Run i gets seed `seeds::derive(base, i)` and the particle
//! `unrest_sweep::smc::posterior_draws(weights, runs, base)[i]`; in `compare`
//! every variant gets the same pairs, so its differences stay paired.

use std::path::Path;
use unrest_scenario::CountryScenario;

/// A weighted population of parameter sets, keyed by their `--set` keys.
pub struct Posterior {
    pub path: String,
    pub keys: Vec<String>,
    pub weights: Vec<f64>,
    pub values: Vec<Vec<f64>>,
}

/// Columns of posterior.csv that are not parameters.
fn is_bookkeeping(column: &str) -> bool {
    matches!(column, "particle" | "weight" | "distance") || column.starts_with("distance_")
}

impl Posterior {
    /// Reads posterior.csv: a header with `weight` and the parameters' keys,
    /// then one particle a line. Errors name the file and line.
    pub fn read(path: &Path) -> Result<Posterior, String> {
        let name = path.display().to_string();
        let text = unrest_scenario::read_input(path, "posterior table").map_err(|e| e.to_string())?;
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines
            .next()
            .ok_or_else(|| format!("{name}: empty; expected posterior.csv of `unrest calibrate --plan`"))?;
        let cols: Vec<&str> = header.split(',').map(str::trim).collect();
        let weight = cols.iter().position(|c| *c == "weight").ok_or_else(|| {
            format!("{name}:1: no `weight` column; expected posterior.csv of `unrest calibrate --plan`")
        })?;
        let params: Vec<usize> = (0..cols.len()).filter(|&j| !is_bookkeeping(cols[j])).collect();
        if params.is_empty() {
            return Err(format!(
                "{name}:1: no parameter columns (keys such as loyalty.crowd_per_officer)"
            ));
        }
        let mut post = Posterior {
            path: name.clone(),
            keys: params.iter().map(|&j| cols[j].to_string()).collect(),
            weights: Vec::new(),
            values: Vec::new(),
        };
        for (i, line) in lines {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            if cells.len() != cols.len() {
                return Err(format!(
                    "{name}:{}: {} fields, the header has {}",
                    i + 1,
                    cells.len(),
                    cols.len()
                ));
            }
            let num = |j: usize| {
                cells[j].parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
                    format!(
                        "{name}:{}: `{}` = {:?} is not a finite number",
                        i + 1,
                        cols[j],
                        cells[j]
                    )
                })
            };
            post.weights.push(num(weight)?);
            post.values
                .push(params.iter().map(|&j| num(j)).collect::<Result<_, _>>()?);
        }
        if post.values.is_empty() {
            return Err(format!("{name}: no particles"));
        }
        Ok(post)
    }

    /// Particle `i` as `--set` edits (values printed so they read back exactly).
    pub fn sets(&self, i: usize) -> Vec<(String, String)> {
        self.keys
            .iter()
            .cloned()
            .zip(self.values[i].iter().map(|v| format!("{v:?}")))
            .collect()
    }
}

/// A country scenario loaded with these overrides and seed (by name, or from
/// a scenario's text for the Python package).
pub type Loader<'a> = dyn Fn(&[(String, String)], Option<u64>) -> Result<CountryScenario, String> + 'a;

/// The scenario of every run, loaded by `load`: with no posterior, one
/// scenario for all; with one, the scenario under each drawn particle's values
/// (the user's own edits applied after them, so they win). Returns the
/// distinct scenarios, which of them each run uses, and the base seed.
pub fn scenarios_with(
    load: &Loader<'_>,
    sets: &[(String, String)],
    seed: Option<u64>,
    posterior: Option<&Posterior>,
    runs: u64,
) -> Result<(Vec<CountryScenario>, Vec<usize>, u64), String> {
    let first = load(sets, seed)?;
    let base = first.seed;
    let Some(post) = posterior else {
        return Ok((vec![first], vec![0; runs as usize], base));
    };
    let draws = unrest_sweep::smc::posterior_draws(&post.weights, runs as usize, base)
        .ok_or_else(|| format!("{}: no particle has a positive weight", post.path))?;
    // The draws come sorted, so each particle's runs are consecutive: load
    // a particle's scenario at its first run.
    let (mut out, mut which, mut last) = (Vec::new(), Vec::with_capacity(draws.len()), None);
    for &p in &draws {
        if last != Some(p) {
            let edits: Vec<(String, String)> = post.sets(p).into_iter().chain(sets.iter().cloned()).collect();
            out.push(load(&edits, Some(base)).map_err(|e| format!("{} particle {p}: {e}", post.path))?);
            last = Some(p);
        }
        which.push(out.len() - 1);
    }
    Ok((out, which, base))
}

/// The overrides a user should hear about: the scenario's own, less the keys
/// the posterior sets (those are the point).
pub fn user_overrides(sc: &CountryScenario, posterior: Option<&Posterior>) -> Vec<String> {
    sc.overrides
        .iter()
        .filter(|o| posterior.is_none_or(|p| !p.keys.iter().any(|k| o.starts_with(k.as_str()))))
        .cloned()
        .collect()
}
