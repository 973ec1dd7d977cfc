//! `unrest run` for country scenarios: runs one seed and writes
//! `timeseries.csv` (national), `regions.csv`, `events.csv`, `summary.json`
//! and `timeseries.svg` (national activity with events marked and the record
//! of the scenario's criteria overlaid, regions as a heat strip).

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

/// The national row at which the capital had the most active citizens (the earliest on a tie).
fn capital_peak(c: &Country) -> unrest_country::NationalRow {
    c.national()
        .iter()
        .max_by_key(|n| (n.capital.active, std::cmp::Reverse(n.step)))
        .copied()
        .unwrap_or_default()
}

/// `unrest check` on a country scenario: what will run, and what looks wrong.
pub fn check_report(sc: &CountryScenario) -> String {
    use unrest_country::mechanisms::{region_lattice, region_police};
    let spec = &sc.spec;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: ok (country scenario, scale 1:{}, hash {})",
        spec.name,
        spec.scale,
        sc.hash()
    );
    match &sc.model {
        Some(m) => {
            let _ = writeln!(out, "model      {m}{}", overrides_note(&sc.overrides));
        }
        None => {
            let _ = writeln!(out, "model      none: every mechanism value is the scenario's own");
        }
    }
    let mut agents = 0u64;
    let _ = writeln!(
        out,
        "{:<24} {:>12} {:>10} {:>8}",
        "region", "population", "agents", "police"
    );
    for r in &spec.regions {
        let (_, _, n) = region_lattice(r.population, spec.scale, r.density);
        let cops = region_police(
            r.population,
            r.police_per_100k.unwrap_or(spec.police.per_100k),
            spec.police.deployable_share,
            spec.scale,
        );
        agents += n + u64::from(cops);
        let _ = writeln!(
            out,
            "{:<24} {:>12} {:>10} {:>8}{}",
            r.name,
            r.population,
            n,
            cops,
            if r.capital { "  capital" } else { "" }
        );
    }
    let steps = match (
        unrest_country::parse_datetime(&spec.calendar.start),
        unrest_country::parse_datetime(&spec.calendar.end),
    ) {
        (Ok(a), Ok(b)) => ((b - a).num_minutes() as f64 / 60.0 / spec.calendar.step_hours).round() as u64,
        _ => 0,
    };
    // docs/performance.md: 60-90 ns per agent-update on the tiled order, two cores.
    let seconds = agents as f64 * steps as f64 * 80e-9 / 2.0;
    let _ = writeln!(
        out,
        "steps      {steps} of {} h, {} to {}; about {seconds:.1} s to run on 2 cores",
        spec.calendar.step_hours, spec.calendar.start, spec.calendar.end
    );
    let _ = writeln!(out, "events     {}", spec.events.len());
    let mut events: Vec<&unrest_country::spec::EventSpec> = spec.events.iter().collect();
    events.sort_by(|a, b| a.at.cmp(&b.at));
    for e in events {
        let regions = if e.regions.is_empty() {
            "all".to_string()
        } else {
            e.regions.join(", ")
        };
        let _ = writeln!(out, "  {:<17} {:<20} {regions}", e.at, e.action.kind());
    }
    for w in unrest_country::warnings(spec) {
        let _ = writeln!(out, "warning: {}: {}", w.path, w.message);
    }
    out
}

/// ", overriding k1, k2" for the summary line, or "" when the scenario keeps its model's values.
pub fn overrides_note(overrides: &[String]) -> String {
    if overrides.is_empty() {
        String::new()
    } else {
        format!(" (this scenario overrides {})", overrides.join(", "))
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
    let cap = peak.capital;
    println!(
        "peak       {} active ({:.3}% of citizens; ≈{:.0} people at 1:1) on {}",
        peak.active,
        100.0 * peak.active as f64 / last.citizens.max(1) as f64,
        peak.active as f64 * scale,
        cal.label(peak.step)
    );
    let cap_peak = capital_peak(&c);
    println!(
        "capital    peak {} active (≈{:.0} people, {:.2}%) on {}; police {} of {} left, willingness {:.2}",
        cap_peak.capital.active,
        cap_peak.capital.active as f64 * scale,
        100.0 * cap_peak.capital.active as f64 / cap.citizens.max(1) as f64,
        cal.label(cap_peak.step),
        last.capital.police,
        last.capital.police + last.capital.defected,
        last.capital.willingness
    );
    println!(
        "repression detained {} people, convicted {}, killed {} (people at 1:1); {} officers defected",
        last.detained, last.convicted, last.killed, last.defected
    );
    println!("events     {} fired", c.fired().len());
    let why = c.outcome_reason();
    println!("outcome    {} on {}: {}", outcome.as_str(), cal.label(at), why.reason);
    if let Some(m) = &sc.model {
        println!("model      {m}{}", overrides_note(&sc.overrides));
    }
    if let Some(dir) = &args.out {
        write_outputs(&c, &sc, wall, dir)?;
    }
    Ok(())
}

fn write_outputs(c: &Country, sc: &CountryScenario, wall: f64, dir: &Path) -> Result<(), String> {
    let cal = *c.calendar();
    let names = c.region_names();
    let mut ts = String::from(TIMESERIES_HEADER);
    ts.push('\n');
    for n in c.national() {
        let k = &n.capital;
        let _ = writeln!(
            ts,
            "{},{},{},{},{},{},{},{},{},{},{},{:.4},{:.4},{},{},{},{},{},{},{},{:.4},{:.4}",
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
            n.defected,
            n.willingness,
            n.mean_legitimacy,
            k.active,
            k.jailed,
            k.killed,
            k.detained,
            k.police,
            k.foreign,
            k.defected,
            k.willingness,
            k.legitimacy
        );
    }
    let mut rc = String::from(
        "step,date,region,quiet,active,jailed,killed,detained,police,foreign,defected,willingness,legitimacy\n",
    );
    for r in c.region_rows() {
        let _ = writeln!(
            rc,
            "{},{},{},{},{},{},{},{},{},{},{},{:.4},{:.4}",
            r.step,
            cal.label(r.step),
            csv_field(names[r.region]),
            r.quiet,
            r.active,
            r.jailed,
            r.killed,
            r.detained,
            r.police,
            r.foreign,
            r.defected,
            r.willingness,
            r.legitimacy
        );
    }
    let mut ev = String::from("step,date,kind,regions,constituencies,origin,note,params\n");
    for e in c.fired() {
        let _ = writeln!(
            ev,
            "{},{},{},{},{},{},{},{}",
            e.step,
            cal.label(e.step),
            e.kind,
            csv_field(&e.regions),
            csv_field(&e.constituencies),
            csv_field(&e.origin),
            csv_field(&e.note),
            csv_field(&action_params(&e.action))
        );
    }
    let why = c.outcome_reason();
    let last = c.national().last().copied().unwrap_or_default();
    let peak = c.national_peak();
    let cap_peak = capital_peak(c);
    let scale = sc.spec.scale;
    let active: Vec<u32> = c
        .national()
        .iter()
        .map(|n| n.active.min(u64::from(u32::MAX)) as u32)
        .collect();
    let onset = c
        .national()
        .iter()
        .find(|n| n.active as f64 >= 0.1 * peak.active as f64 && peak.active > 0);
    let ended = unrest_country::mechanisms::protest_ended(&active, sc.spec.outcome.ended_share);
    let summary = serde_json::json!({
        "scenario": sc.spec.name,
        "scenario_hash": sc.hash(),
        "model": sc.model,
        "overrides": sc.overrides,
        "seed": sc.seed,
        "version": env!("CARGO_PKG_VERSION"),
        "scale": scale,
        "steps": c.step_index(),
        "start": cal.label(0),
        "end": cal.label(c.step_index()),
        "citizens": last.citizens,
        "peak_active": peak.active,
        "peak_people": peak.active as f64 * scale,
        "peak_share": peak.active as f64 / last.citizens.max(1) as f64,
        "peak_date": cal.label(peak.step),
        "capital_peak_people": cap_peak.capital.active as f64 * scale,
        "capital_peak_share": cap_peak.capital.active as f64 / last.capital.citizens.max(1) as f64,
        "capital_peak_date": cal.label(cap_peak.step),
        "onset_date": onset.map(|n| cal.label(n.step)),
        "protest_end_date": ended.map(|i| cal.label(c.national()[i].step)),
        "detained": last.detained,
        "convicted": last.convicted,
        "killed": last.killed,
        "defected": last.defected,
        "outcome": why.outcome.as_str(),
        "outcome_navco": why.outcome.navco(),
        "outcome_date": cal.label(why.step),
        "outcome_reason": why.reason,
        "wall_seconds": wall,
    });
    let mut staged = Staged::default();
    staged.add("timeseries.csv", ts.into_bytes());
    staged.add("regions.csv", rc.into_bytes());
    staged.add("events.csv", ev.into_bytes());
    staged.add("summary.json", format!("{summary:#}\n").into_bytes());
    staged.add("timeseries.svg", plot_svg(c, &sc.spec.name, sc.seed).into_bytes());
    crate::run::write_staged(staged, dir)?;
    Ok(())
}

/// The country columns of `timeseries.csv` (README and docs/scenarios.md
/// describe each): agents for counts of citizens and police, people at 1:1 for
/// killed, detained and convicted; `capital_*` are the capital region's.
pub const TIMESERIES_HEADER: &str = "step,date,quiet,active,jailed,killed,detained,convicted,police,foreign,defected,\
willingness,legitimacy,capital_active,capital_jailed,capital_killed,capital_detained,capital_police,\
capital_foreign,capital_defected,capital_willingness,capital_legitimacy";

/// An action's parameters as `key=value` pairs joined by `;` (events.csv).
fn action_params(a: &unrest_country::Action) -> String {
    match serde_json::to_value(a) {
        Ok(serde_json::Value::Object(m)) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "kind")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";"),
        _ => String::new(),
    }
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

/// The record's facts as the scenario's `[[criteria]]` state them, for the
/// plot: crowd-size bands (national or capital, over their date window when
/// a peak-date criterion gives one), date windows (peak, outcome, quiet by)
/// and the tolls' ranges. Drawn from the criteria so that the plot shows
/// exactly what `unrest validate` checks.
struct Record {
    sizes: Vec<SizeBand>,
    windows: Vec<(u64, u64, String)>,
    tolls: Vec<(&'static str, f64, f64)>,
}

struct SizeBand {
    min: f64,
    max: f64,
    capital: bool,
    from: u64,
    to: u64,
}

impl Record {
    fn of(c: &Country) -> Record {
        use unrest_country::spec::CriterionSpec as K;
        let cal = c.calendar();
        let last = c.national().len().saturating_sub(1) as u64;
        let at = |d: &str| {
            unrest_country::parse_datetime(d)
                .map(|d| cal.step_of(d).min(last))
                .unwrap_or(0)
        };
        let is_capital = |r: &Option<String>| r.as_deref() == Some("capital");
        let mut rec = Record {
            sizes: vec![],
            windows: vec![],
            tolls: vec![],
        };
        let criteria = &c.spec().criteria;
        for k in criteria {
            match k {
                K::PeakSize { min, max, region, .. } => {
                    let window = criteria.iter().find_map(|w| match w {
                        K::PeakBetween {
                            from, to, region: r, ..
                        } if is_capital(r) == is_capital(region) => Some((at(from), at(to))),
                        _ => None,
                    });
                    let (from, to) = window.unwrap_or((0, last));
                    rec.sizes.push(SizeBand {
                        min: *min,
                        max: *max,
                        capital: is_capital(region),
                        from,
                        to,
                    });
                }
                K::PeakBetween { from, to, region, .. } => rec.windows.push((
                    at(from),
                    at(to),
                    format!(
                        "record: {} peak",
                        if is_capital(region) { "capital" } else { "national" }
                    ),
                )),
                K::Outcome {
                    outcome,
                    from: Some(f),
                    to: Some(t),
                    ..
                } => rec.windows.push((at(f), at(t), format!("record: {outcome}"))),
                K::QuietBy { by, .. } => rec.windows.push((at(by), at(by), "record: quiet by".into())),
                K::KilledBetween { min, max, .. } => rec.tolls.push(("killed", *min, *max)),
                K::DetainedBetween { min, max, .. } => rec.tolls.push(("detained", *min, *max)),
                _ => {}
            }
        }
        rec
    }

    /// ` (record 119–476)` for a toll the criteria bound, else nothing.
    fn toll(&self, what: &str) -> String {
        self.tolls
            .iter()
            .find(|t| t.0 == what)
            .map(|t| format!(" (record {:.0}–{:.0})", t.1, t.2))
            .unwrap_or_default()
    }

    fn draw(&self, svg: &mut String, x: &dyn Fn(u64) -> f64, y: &dyn Fn(f64) -> f64, top: f64, chart_h: f64) {
        for (from, to, label) in &self.windows {
            let (x0, x1) = (x(*from), x(*to).max(x(*from) + 2.0));
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{top}" width="{:.1}" height="{chart_h}" fill="rgb(44,160,44)" fill-opacity="0.12"><title>{}</title></rect><text x="{:.1}" y="{:.1}" fill="rgb(30,110,30)" font-size="9" transform="rotate(-90 {:.1} {:.1})">{}</text>"#,
                x1 - x0,
                xml(label),
                x0 + 9.0,
                top + chart_h - 4.0,
                x0 + 9.0,
                top + chart_h - 4.0,
                xml(label)
            );
        }
        for b in &self.sizes {
            let (x0, x1) = (x(b.from), x(b.to).max(x(b.from) + 4.0));
            let (y0, y1) = (y(b.max), y(b.min));
            let label = format!(
                "record: {} peak {:.0}–{:.0}",
                if b.capital { "capital" } else { "national" },
                b.min,
                b.max
            );
            let _ = write!(
                svg,
                r#"<rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="rgb(214,39,40)" fill-opacity="{}" stroke="rgb(214,39,40)" stroke-dasharray="{}"><title>{}</title></rect><text x="{:.1}" y="{:.1}" font-size="9" fill="rgb(150,20,20)">{}</text>"#,
                x1 - x0,
                (y1 - y0).max(2.0),
                if b.capital { "0.08" } else { "0.2" },
                if b.capital { "4,2" } else { "none" },
                xml(&label),
                x1 + 3.0,
                y0 + 9.0,
                xml(&label)
            );
        }
    }
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
    let scale = c.spec().scale;
    let (panel_top, panel_h) = (top + chart_h + 40.0, 110.0);
    let strip_top = panel_top + panel_h + 50.0;
    let height = strip_top + row_h * nreg as f64 + 40.0;
    let x = |s: u64| left + plot_w * s as f64 / (steps - 1.0);
    let record = Record::of(c);
    // The axis holds the model's peak and the record's upper bound.
    let max_active = (nat.iter().map(|n| n.active).max().unwrap_or(1).max(1) as f64)
        .max(record.sizes.iter().map(|b| b.max / scale).fold(0.0, f64::max));
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
        r#"<text x="{}" y="{}" text-anchor="end">{:.0}</text><text x="{}" y="{}" text-anchor="end">0</text>"#,
        left - 4.0,
        top + 4.0,
        max_active * scale,
        left - 4.0,
        top + chart_h
    );
    let _ = write!(
        svg,
        r#"<text x="20" y="{}" transform="rotate(-90 20 {})" text-anchor="middle">active, people at 1:1 (red: nation, dashed: capital; shaded: the record)</text>"#,
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
    let line = |f: &dyn Fn(&unrest_country::NationalRow) -> f64, y0: f64, h: f64| {
        let mut d = String::new();
        for n in nat {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if d.is_empty() { "M" } else { "L" },
                x(n.step),
                y0 + h - h * f(n).clamp(0.0, 1.0)
            );
        }
        d
    };
    let capital = line(&|n| n.capital.active as f64 / max_active, top, chart_h);
    let _ = write!(
        svg,
        r#"<path d="{capital}" fill="none" stroke="rgb(214,39,40)" stroke-width="1.5" stroke-dasharray="5,3"/>"#
    );
    record.draw(
        &mut svg,
        &x,
        &|people: f64| top + chart_h - chart_h * (people / scale / max_active).min(1.0),
        top,
        chart_h,
    );
    // The outcome, with its date and reason.
    let why = c.outcome_reason();
    let ox = x(why.step);
    let _ = write!(
        svg,
        r#"<line x1="{ox:.1}" y1="{top}" x2="{ox:.1}" y2="{}" stroke="black" stroke-width="2"/><text x="{:.1}" y="{}" text-anchor="{}" font-weight="bold">{}</text>"#,
        panel_top + panel_h,
        if ox > width - right - 160.0 { ox - 4.0 } else { ox + 4.0 },
        top + chart_h - 6.0,
        if ox > width - right - 160.0 { "end" } else { "start" },
        xml(&format!("{} {}", why.outcome.as_str(), &cal.label(why.step)[..10]))
    );
    // Panel: legitimacy, the capital's police willingness and strength, 0-1.
    let initial_police = nat.first().map_or(1, |n| n.capital.police.max(1)) as f64;
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/><line x1="{left}" y1="{panel_top}" x2="{left}" y2="{}" stroke="black"/><text x="{}" y="{}" text-anchor="end">1</text><text x="{}" y="{}" text-anchor="end">0</text>"#,
        panel_top + panel_h,
        left + plot_w,
        panel_top + panel_h,
        panel_top + panel_h,
        left - 4.0,
        panel_top + 4.0,
        left - 4.0,
        panel_top + panel_h
    );
    let last = nat.last().copied().unwrap_or_default();
    let _ = write!(
        svg,
        r#"<text x="{left}" y="{}">mean legitimacy (blue), capital police willingness (orange) and strength (green, share of the start); killed {}{} and detained {}{} (people at 1:1)</text>"#,
        panel_top - 6.0,
        last.killed,
        record.toll("killed"),
        last.detained,
        record.toll("detained")
    );
    for (f, colour) in [
        (
            &(|n: &unrest_country::NationalRow| n.mean_legitimacy) as &dyn Fn(&unrest_country::NationalRow) -> f64,
            "rgb(31,119,180)",
        ),
        (
            &|n: &unrest_country::NationalRow| n.capital.willingness,
            "rgb(255,127,14)",
        ),
        (
            &|n: &unrest_country::NationalRow| n.capital.police as f64 / initial_police,
            "rgb(44,160,44)",
        ),
    ] {
        let d = line(f, panel_top, panel_h);
        let _ = write!(
            svg,
            r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#
        );
    }
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
            f64::from(x.quiet + x.active + x.jailed).max(1.0)
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
