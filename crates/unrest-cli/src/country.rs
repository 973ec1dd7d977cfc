//! `unrest run` for country scenarios: runs one seed and writes
//! `timeseries.csv` (national), `regions.csv`, `events.csv`, `summary.json`
//! and `timeseries.svg` (national activity with events marked, regions as a heat strip).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;
use unrest_country::Country;
use unrest_output::Staged;
use unrest_scenario::{AnyScenario, CountryScenario};

/// Whether `name_or_path` names a country scenario (built-in or file).
pub fn is_country(name_or_path: &str) -> bool {
    if unrest_scenario::country_builtin(name_or_path).is_some() {
        return true;
    }
    unrest_scenario::read_input(Path::new(name_or_path), "scenario file")
        .map(|t| unrest_scenario::country::is_country_text(&t))
        .unwrap_or(false)
}

/// Loads a country scenario with `--set` overrides and an optional seed.
///
/// The seed is applied after parsing, not as a TOML override: TOML integers are
/// signed 64-bit, and half of all seeds (those `validate` and `sweep` derive,
/// among them) are above `i64::MAX`.
pub fn load(name: &str, sets: &[(String, String)], seed: Option<u64>) -> Result<CountryScenario, String> {
    let mut seed = seed;
    let mut rest = Vec::with_capacity(sets.len());
    for (k, v) in sets {
        if k == "seed" {
            let s = v
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("--set seed={v}: a seed is a whole number from 0 to {}", u64::MAX))?;
            seed = seed.or(Some(s));
        } else {
            rest.push((k.clone(), v.clone()));
        }
    }
    match unrest_scenario::load_any(name, &rest).map_err(|e| e.to_string())? {
        AnyScenario::Country(mut c) => {
            if let Some(s) = seed {
                c.seed = s;
                c.spec.seed = s;
            }
            Ok(*c)
        }
        AnyScenario::Lattice(_) => Err(format!("{name} is not a country scenario")),
    }
}

pub fn run(args: crate::run::RunArgs) -> Result<(), String> {
    if args.steps.is_some() {
        return Err("--steps does not apply to a country scenario: its calendar sets the length (--set calendar.end=YYYY-MM-DD)".into());
    }
    let sets = crate::run::parse_sets(&args.set)?;
    let sc = load(&args.scenario, &sets, args.seed)?;
    let started = Instant::now();
    let mut c = Country::new(sc.spec.clone(), sc.lattice.clone(), sc.seed).map_err(|e| e.to_string())?;
    // `Country::run`, one step at a time, with a progress bar (1:1 runs are long).
    let bar = crate::run::progress_bar(c.last_step().saturating_sub(c.step_index()));
    while c.step_index() < c.last_step() {
        c.step();
        bar.inc(1);
    }
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let (outcome, at) = c.outcome();
    let nat = c.national();
    let scale = sc.spec.scale;
    let peak = c.national_peak();
    let last = nat.last().copied().unwrap_or_default();
    let cal = *c.calendar();
    println!(
        "scenario   {} (hash {}), seed {}, scale 1:{}",
        sc.spec.name,
        sc.hash(),
        sc.seed,
        scale
    );
    println!(
        "steps      {} ({} to {}) in {:.2} s",
        c.step_index(),
        cal.label(0),
        cal.label(c.step_index()),
        wall
    );
    println!(
        "regions    {}, citizens {} (agents)",
        c.region_names().len(),
        last.citizens
    );
    println!(
        "peak       {} active ({:.3}% of citizens; ≈{:.0} people at 1:1) on {}",
        peak.active,
        100.0 * peak.active as f64 / last.citizens.max(1) as f64,
        peak.active as f64 * scale,
        cal.label(peak.step)
    );
    println!(
        "repression detained {} (≈{:.0} at 1:1), convicted {} (≈{:.0}), killed {} (≈{:.0})",
        last.detained,
        last.detained as f64 * scale,
        last.convicted,
        last.convicted as f64 * scale,
        last.killed,
        last.killed as f64 * scale
    );
    println!("events     {} fired", c.fired().len());
    println!("outcome    {} on {}", outcome.as_str(), cal.label(at));
    if let Some(dir) = &args.out {
        write_outputs(&c, &sc, wall, dir)?;
    }
    Ok(())
}

fn write_outputs(c: &Country, sc: &CountryScenario, wall: f64, dir: &Path) -> Result<(), String> {
    let cal = *c.calendar();
    let names = c.region_names();
    let mut ts = String::from("step,date,quiet,active,jailed,killed,detained,convicted,police,foreign,legitimacy\n");
    for n in c.national() {
        let _ = writeln!(
            ts,
            "{},{},{},{},{},{},{},{},{},{},{:.4}",
            n.step,
            cal.label(n.step),
            n.quiet,
            n.active,
            n.jailed,
            n.killed,
            n.detained,
            n.convicted,
            n.police,
            n.foreign,
            n.mean_legitimacy
        );
    }
    let mut rc = String::from("step,date,region,quiet,active,jailed,killed,police,foreign\n");
    for r in c.region_rows() {
        let _ = writeln!(
            rc,
            "{},{},{},{},{},{},{},{},{}",
            r.step,
            cal.label(r.step),
            csv_field(names[r.region]),
            r.quiet,
            r.active,
            r.jailed,
            r.killed,
            r.police,
            r.foreign
        );
    }
    let mut ev = String::from("step,date,kind,regions,origin,note\n");
    for e in c.fired() {
        let _ = writeln!(
            ev,
            "{},{},{},{},{},{}",
            e.step,
            cal.label(e.step),
            e.kind,
            csv_field(&e.regions),
            csv_field(&e.origin),
            csv_field(&e.note)
        );
    }
    let (outcome, at) = c.outcome();
    let last = c.national().last().copied().unwrap_or_default();
    let peak = c.national().iter().map(|n| n.active).max().unwrap_or(0);
    let summary = serde_json::json!({
        "scenario": sc.spec.name,
        "scenario_hash": sc.hash(),
        "seed": sc.seed,
        "version": env!("CARGO_PKG_VERSION"),
        "scale": sc.spec.scale,
        "steps": c.step_index(),
        "start": cal.label(0),
        "end": cal.label(c.step_index()),
        "citizens": last.citizens,
        "peak_active": peak,
        "detained": last.detained,
        "convicted": last.convicted,
        "killed": last.killed,
        "detained_1to1": last.detained as f64 * sc.spec.scale,
        "killed_1to1": last.killed as f64 * sc.spec.scale,
        "outcome": outcome.as_str(),
        "outcome_date": cal.label(at),
        "wall_seconds": wall,
    });
    let mut staged = Staged::default();
    staged.add("timeseries.csv", ts.into_bytes());
    staged.add("regions.csv", rc.into_bytes());
    staged.add("events.csv", ev.into_bytes());
    staged.add("summary.json", format!("{summary:#}\n").into_bytes());
    staged.add("timeseries.svg", plot_svg(c, &sc.spec.name, sc.seed).into_bytes());
    let written = staged
        .commit(dir)
        .map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
    for p in written {
        println!("wrote {}", p.display());
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// National active share over time with events as vertical lines, and below
/// it one heat-strip row per region (colour = the region's active share).
fn plot_svg(c: &Country, name: &str, seed: u64) -> String {
    let cal = *c.calendar();
    let nat = c.national();
    let names = c.region_names();
    let nreg = names.len();
    let steps = nat.len().max(2) as f64;
    let (left, right, top, chart_h, row_h) = (150.0, 20.0, 40.0, 220.0, 14.0);
    let width = 1000.0;
    let plot_w = width - left - right;
    let strip_top = top + chart_h + 50.0;
    let height = strip_top + row_h * nreg as f64 + 40.0;
    let x = |s: u64| left + plot_w * s as f64 / (steps - 1.0);
    let max_active = nat.iter().map(|n| n.active).max().unwrap_or(1).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = write!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = write!(
        svg,
        r#"<text x="{}" y="22" font-size="16" text-anchor="middle">{} (seed {seed}): active citizens, events, regions</text>"#,
        width / 2.0,
        xml(name)
    );
    // Axes and national active line.
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="black"/>"#,
        top + chart_h,
        left + plot_w,
        top + chart_h,
        top + chart_h
    );
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text><text x="{}" y="{}" text-anchor="end">0</text>"#,
        left - 4.0,
        top + 4.0,
        max_active,
        left - 4.0,
        top + chart_h
    );
    let _ = write!(
        svg,
        r#"<text x="20" y="{}" transform="rotate(-90 20 {})" text-anchor="middle">active (agents)</text>"#,
        top + chart_h / 2.0,
        top + chart_h / 2.0
    );
    let mut path = String::new();
    for n in nat {
        let y = top + chart_h - chart_h * n.active as f64 / max_active;
        let _ = write!(
            path,
            "{}{:.1},{:.1} ",
            if path.is_empty() { "M" } else { "L" },
            x(n.step),
            y
        );
    }
    let _ = write!(
        svg,
        r#"<path d="{path}" fill="none" stroke="rgb(214,39,40)" stroke-width="2"/>"#
    );
    // Date ticks: about 8.
    let every = (nat.len() / 8).max(1);
    for n in nat.iter().step_by(every) {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x(n.step),
            top + chart_h + 14.0,
            &cal.label(n.step)[..10]
        );
    }
    // Events.
    for (k, e) in c.fired().iter().enumerate() {
        let ex = x(e.step);
        let _ = write!(
            svg,
            r#"<line x1="{ex:.1}" y1="{top}" x2="{ex:.1}" y2="{}" stroke="grey" stroke-dasharray="3,3"/>"#,
            strip_top + row_h * nreg as f64
        );
        let ty = top + 10.0 + 11.0 * (k % 8) as f64;
        // Labels near the right edge hang to the left of their line.
        let (tx, anchor) = if ex > width - right - 110.0 {
            (ex - 2.0, "end")
        } else {
            (ex + 2.0, "start")
        };
        let _ = write!(
            svg,
            r#"<text x="{tx:.1}" y="{ty:.1}" fill="rgb(80,80,80)" font-size="9" text-anchor="{anchor}">{}</text>"#,
            xml(e.kind)
        );
    }
    // Heat strip: one row per region, colour by active share (relative to the largest share seen).
    let rows = c.region_rows();
    let cit: Vec<f64> = (0..nreg)
        .map(|r| {
            let x = &rows[r];
            f64::from(x.quiet + x.active + x.jailed + x.killed).max(1.0)
        })
        .collect();
    let max_share = rows
        .iter()
        .map(|r| f64::from(r.active) / cit[r.region])
        .fold(0.0, f64::max)
        .max(1e-9);
    let cell_w = plot_w / steps + 0.5;
    let _ = write!(
        svg,
        r#"<text x="{left}" y="{}">regions: active share (white 0 → dark red {:.2}%)</text>"#,
        strip_top - 6.0,
        100.0 * max_share
    );
    for (i, n) in names.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{:.1}" text-anchor="end" font-size="10">{}</text>"#,
            left - 4.0,
            strip_top + row_h * (i as f64 + 0.75),
            xml(n)
        );
    }
    for r in rows.iter().filter(|r| r.active > 0) {
        let v = (f64::from(r.active) / cit[r.region] / max_share).sqrt().min(1.0);
        let (cr, cg, cb) = (255.0 - 95.0 * v, 255.0 * (1.0 - v), 255.0 * (1.0 - v));
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{cell_w:.2}" height="{row_h}" fill="rgb({:.0},{:.0},{:.0})"/>"#,
            x(r.step),
            strip_top + row_h * r.region as f64,
            cr,
            cg,
            cb
        );
    }
    svg.push_str("</svg>\n");
    svg
}
