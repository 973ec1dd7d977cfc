//! `unrest bench`: speed and memory, measured in one run, with ratios to Mesa.
//!
//! Each case runs in a child process (`unrest bench-case`) so that its peak
//! resident memory is its own. Mesa is timed on the same parameters in the same
//! run when a Mesa virtual environment is present, because a ratio between
//! numbers measured on different days on a shared machine means little.

use clap::Args;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use unrest_core::World;
use unrest_scenario::Scenario;

#[derive(Args)]
pub struct BenchArgs {
    /// Fewer steps and no 10M-agent case (about a minute instead of several).
    #[arg(long)]
    pub quick: bool,
    /// Write the table as CSV here.
    #[arg(long, default_value = "bench.csv")]
    pub out: PathBuf,
    /// Python virtual environment with mesa==3.5.1 (default: $MESA_VENV, else ../.venv-mesa).
    #[arg(long)]
    pub mesa_venv: Option<PathBuf>,
    /// Path to mesa_cv.py (default: validation/mesa/mesa_cv.py).
    #[arg(long)]
    pub mesa_script: Option<PathBuf>,
    /// Skip Mesa even if it is available.
    #[arg(long)]
    pub no_mesa: bool,
    /// Also draw the scaling cases (step time and peak memory against agents,
    /// log-log) as an SVG here.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Skip the kazakhstan-2022 case at scale 1:1 (19.6M agents, ~1 GiB).
    #[arg(long)]
    pub no_country: bool,
}

/// One case, run in a child process.
#[derive(Args, Debug, Clone)]
pub struct CaseArgs {
    pub scenario: String,
    #[arg(long)]
    pub steps: u64,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Time the skeleton of the scenario's rules (shuffle and Rule M only;
    /// see `skeleton.rs`) instead of the scenario itself.
    #[arg(long)]
    pub skeleton: bool,
}

/// What a case reports (one JSON line on stdout).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    pub agents: u64,
    pub sites: u64,
    pub steps: u64,
    pub setup_seconds: f64,
    pub step_seconds: f64,
    pub peak_rss_bytes: u64,
    /// Bytes of agent and lattice state one step reads or writes at least once.
    pub state_bytes: u64,
    /// CPU time (user + system, all threads) spent in the steps: ÷ `step_seconds`
    /// is the number of cores kept busy.
    #[serde(default)]
    pub step_cpu_seconds: f64,
}

/// Bytes of state a step touches at least once: per agent state 1, site 4,
/// hardship 4, risk 4, term 4, group 1, order 4; per site occupant 4, window
/// counts 2 + 2.
fn state_bytes(agents: u64, sites: u64) -> u64 {
    agents * 22 + sites * 8
}

/// CPU time of this process so far (user + system, all threads), from
/// /proc/self/stat (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at state (3rd).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |k: usize| f.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after ')'.
    (ticks(11) + ticks(12)) / clock_ticks_per_second()
}

/// `getconf CLK_TCK`: 100 on every Linux this runs on; asked once in case not.
fn clock_ticks_per_second() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Runs one case in this process and prints its result as JSON.
pub fn case(args: CaseArgs) -> Result<(), String> {
    let sets = crate::run::parse_sets(&args.set)?;
    if crate::country::is_country(&args.scenario) {
        return country_case(&args, &sets);
    }
    let s = Scenario::load(&args.scenario, &sets).map_err(|e| e.to_string())?;
    if args.skeleton {
        return skeleton_case(&s.params, &args);
    }
    let t0 = Instant::now();
    let mut w = World::new(s.params.clone(), s.schedule.clone(), args.seed).map_err(|e| e.to_string())?;
    let setup = t0.elapsed().as_secs_f64();
    let c0 = w.counts();
    let agents = u64::from(c0.quiet + c0.active + c0.jailed + c0.cops);
    let (t1, cpu1) = (Instant::now(), cpu_seconds());
    for _ in 0..args.steps {
        w.step();
    }
    report(agents, s.params.sites() as u64, args.steps, setup, t1, cpu1)
}

/// The skeleton of a scenario's rules (see `skeleton.rs`), timed like a case.
fn skeleton_case(params: &unrest_core::Params, args: &CaseArgs) -> Result<(), String> {
    let t0 = Instant::now();
    let mut s = crate::skeleton::Skeleton::new(params, args.seed)?;
    let setup = t0.elapsed().as_secs_f64();
    let (t1, cpu1) = (Instant::now(), cpu_seconds());
    for _ in 0..args.steps {
        s.step();
    }
    report(s.agents() as u64, params.sites() as u64, args.steps, setup, t1, cpu1)
}

/// Prints a case's result as one JSON line: the steps' wall and CPU time since
/// `t1`/`cpu1`, and this process's peak memory.
fn report(agents: u64, sites: u64, steps: u64, setup_seconds: f64, t1: Instant, cpu1: f64) -> Result<(), String> {
    let r = CaseResult {
        agents,
        sites,
        steps,
        setup_seconds,
        step_seconds: t1.elapsed().as_secs_f64(),
        peak_rss_bytes: peak_rss(),
        state_bytes: state_bytes(agents, sites),
        step_cpu_seconds: cpu_seconds() - cpu1,
    };
    println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    Ok(())
}

/// A country scenario: its regions' lattices built and stepped as `unrest run`
/// does (in parallel with rayon), for `--steps` steps of its calendar.
fn country_case(args: &CaseArgs, sets: &[(String, String)]) -> Result<(), String> {
    let sc = crate::country::load(&args.scenario, sets, Some(args.seed))?;
    let t0 = Instant::now();
    let mut c =
        unrest_country::Country::new(sc.spec.clone(), sc.lattice.clone(), sc.seed).map_err(|e| e.to_string())?;
    let setup = t0.elapsed().as_secs_f64();
    let (mut agents, mut sites) = (0u64, 0u64);
    for w in (0..c.region_names().len()).filter_map(|i| c.world(i)) {
        let k = w.counts();
        agents += u64::from(k.quiet + k.active + k.jailed + k.cops);
        sites += w.params().sites() as u64;
    }
    let steps = args.steps.min(c.last_step());
    let (t1, cpu1) = (Instant::now(), cpu_seconds());
    for _ in 0..steps {
        c.step();
    }
    report(agents, sites, steps, setup, t1, cpu1)
}

/// Peak resident set size of this process (Linux: VmHWM), 0 where unknown.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

struct Row {
    case: String,
    agents: u64,
    steps: u64,
    steps_per_s: f64,
    updates_per_s: f64,
    peak_rss_mib: f64,
    /// CPU time ÷ wall time while stepping.
    cores_used: f64,
    /// Wall time of a step ÷ the time to stream its state once at the measured bandwidth.
    floor_ratio: Option<f64>,
    mesa_updates_per_s: Option<f64>,
    note: String,
}

fn run_case(scenario: &str, steps: u64, sets: &[&str]) -> Result<CaseResult, String> {
    run_case_as(scenario, steps, sets, false)
}

/// [`run_case`], or the skeleton of the scenario's rules.
fn run_case_as(scenario: &str, steps: u64, sets: &[&str], skeleton: bool) -> Result<CaseResult, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["bench-case", scenario, "--steps", &steps.to_string()]);
    if skeleton {
        cmd.arg("--skeleton");
    }
    for s in sets {
        cmd.args(["--set", s]);
    }
    let out = cmd.output().map_err(|e| format!("cannot start bench case: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "bench case {scenario} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(line.trim()).map_err(|e| format!("bad bench case output {line:?}: {e}"))
}

/// Finds Mesa's venv and the peer script; `Err` says how to set them up.
fn mesa_setup(args: &BenchArgs) -> Result<(PathBuf, PathBuf), String> {
    let venv = args
        .mesa_venv
        .clone()
        .or_else(|| std::env::var_os("MESA_VENV").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../.venv-mesa"));
    let script = args
        .mesa_script
        .clone()
        .unwrap_or_else(|| PathBuf::from("validation/mesa/mesa_cv.py"));
    let python = venv.join("bin/python");
    if !python.exists() || !script.exists() {
        return Err(format!(
            "no Mesa to compare with ({} or {} missing). To make one:\n  \
             PY=$(ls -d ~/.pyenv/versions/3.12*/bin/python3 | head -n 1)\n  \
             \"$PY\" -m venv ../.venv-mesa && ../.venv-mesa/bin/pip install mesa==3.5.1 networkx",
            python.display(),
            script.display()
        ));
    }
    Ok((python, script))
}

/// Mesa's agent-updates per second on the given mesa_cv.py arguments.
fn mesa_rate(python: &Path, script: &Path, steps: u64, extra: &[&str]) -> Result<f64, String> {
    let out = Command::new(python)
        .arg(script)
        .args(["--steps", &steps.to_string(), "--lean", "--quiet-log", "--seed", "1"])
        .args(extra)
        .output()
        .map_err(|e| format!("cannot run Mesa: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("agent_updates_per_s="))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            format!(
                "Mesa printed no SUMMARY line: {}{}",
                text,
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// Streaming memory bandwidth in bytes/s: the best of a few passes summing a
/// buffer far larger than the caches.
fn streaming_bandwidth() -> f64 {
    let n = 64 << 20; // 512 MiB of u64
    let buf: Vec<u64> = (0..n as u64).collect();
    let mut best = f64::MAX;
    let mut sink = 0u64;
    for _ in 0..3 {
        let t = Instant::now();
        sink = sink.wrapping_add(buf.iter().fold(0u64, |a, &x| a.wrapping_add(x)));
        best = best.min(t.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    (n * 8) as f64 / best
}

pub fn bench(args: BenchArgs) -> Result<(), String> {
    let mesa = if args.no_mesa {
        Err("skipped (--no-mesa)".to_string())
    } else {
        mesa_setup(&args)
    };
    if let Err(msg) = &mesa {
        eprintln!("note: {msg}");
    }
    let q = args.quick;
    let mut rows = Vec::new();

    // The classic 40×40 worlds, each against Mesa on the same parameters.
    let mesa_steps = if q { 100 } else { 300 };
    let classic: [(&str, &str, Vec<&str>, Vec<&str>); 3] = [
        ("mesa-default", "Mesa's defaults, Mesa's rules", vec![], vec![]),
        (
            "mesa-default",
            "Run-2-like (cops 0.04, L 0.82, J 30), Mesa's rules",
            vec!["cop_density=0.04", "legitimacy=0.82", "max_jail_term=30"],
            vec!["--cop-density", "0.04", "--legitimacy", "0.82", "--max-jail-term", "30"],
        ),
        (
            "epstein-run1",
            "paper Run 1 (no movement, vision 1.7)",
            vec![],
            vec![
                "--citizen-vision",
                "1",
                "--cop-vision",
                "1",
                "--no-movement",
                "--legitimacy",
                "0.89",
                "--max-jail-term",
                "15",
                "--cop-density",
                "0.04",
            ],
        ),
    ];
    let steps = if q { 2_000 } else { 20_000 };
    let mut mesa_default_rate = None;
    for (scenario, note, sets, mesa_args) in classic {
        let r = run_case(scenario, steps, &sets)?;
        let mesa_rate = match &mesa {
            Ok((py, script)) => match mesa_rate(py, script, mesa_steps, &mesa_args) {
                Ok(v) => Some(v),
                Err(e) => {
                    eprintln!("note: {e}");
                    None
                }
            },
            Err(_) => None,
        };
        let note = if scenario == "epstein-run1" {
            format!("{note}; Mesa: von Neumann radius 1 (its vision is whole)")
        } else {
            note.to_string()
        };
        if sets.is_empty() && scenario == "mesa-default" {
            mesa_default_rate = mesa_rate;
        }
        rows.push(row(format!("{scenario} 40x40"), &r, mesa_rate, note));
    }

    // What bounds the ratio: the part of Mesa's rules no engine can skip.
    let r = run_case_as("mesa-default", steps, &[], true)?;
    rows.push(row(
        "skeleton 40x40".into(),
        &r,
        mesa_default_rate,
        "shuffle + Rule M only, every agent moving (no Rule A, counts, arrests): a bound on any engine; vs Mesa's defaults"
            .into(),
    ));

    // Model II (births, deaths of old age, two groups): a long run must not
    // slow down or grow as the dead accumulate (newborns reuse dead slots).
    // The same run to a tenth of the steps and to all of them, so the ratio of
    // their per-step times is measured in one run.
    let long = if q { 2_000 } else { 20_000 };
    let short = run_case("epstein-run7", long / 10, &[])?;
    let full = run_case("epstein-run7", long, &[])?;
    let per = |r: &CaseResult| r.step_seconds / r.steps.max(1) as f64;
    rows.push(row(
        format!("epstein-run7 Model II {}", human(short.steps)),
        &short,
        None,
        "births and deaths of old age, 40x40".into(),
    ));
    rows.push(row(
        format!("epstein-run7 Model II {}", human(full.steps)),
        &full,
        None,
        format!(
            "per step {:.2}x the first {} steps' (about 1: the dead do not slow a long run); peak RSS {:.2}x",
            per(&full) / per(&short).max(f64::MIN_POSITIVE),
            human(short.steps),
            full.peak_rss_bytes as f64 / short.peak_rss_bytes.max(1) as f64
        ),
    ));

    // Scaling: one lattice, Run 2's inputs, growing side, under the paper's
    // random sequential activation and under tiled activation.
    let bw = streaming_bandwidth();
    let sizes: &[(u64, u64)] = if q {
        &[(10_000, 50), (100_000, 20), (1_000_000, 5)]
    } else {
        &[(10_000, 200), (100_000, 50), (1_000_000, 10), (10_000_000, 3)]
    };
    let mut scaling = Vec::new();
    for activation in ["random-sequential", "tiled"] {
        for &(agents, steps) in sizes {
            let side = ((agents as f64 / 0.74).sqrt()).round() as u64;
            let (w, h, a) = (
                format!("width={side}"),
                format!("height={side}"),
                format!("activation={activation}"),
            );
            let r = run_case("epstein-run2", steps, &[&w, &h, &a])?;
            let mut x = row(
                format!("scaling {} {activation}", human(agents)),
                &r,
                None,
                format!("{side}x{side}"),
            );
            with_floor(&mut x, &r, bw);
            scaling.push((activation, r.agents, r.step_seconds / r.steps as f64, x.peak_rss_mib));
            rows.push(x);
        }
    }

    // A whole country, one agent per person: regions stepped in parallel.
    if !args.no_country {
        // The whole calendar (quiet week, uprising, crackdown): the steps of
        // the uprising, with hundreds of thousands of actives moving, cost
        // more than the quiet ones. `--quick` times the quiet week only.
        let steps = if q { 12 } else { u64::MAX };
        let r = run_case("kazakhstan-2022", steps, &["scale=1"])?;
        let note = format!(
            "scale 1:1, 20 regions in parallel, tiled, {}; setup {:.1} s",
            if q { "first 12 steps (quiet)" } else { "whole calendar" },
            r.setup_seconds
        );
        let mut x = row("kazakhstan-2022 1:1".into(), &r, None, note);
        with_floor(&mut x, &r, bw);
        rows.push(x);
    }

    print_table(&rows, bw);
    write_csv(&args.out, &rows)?;
    println!("wrote {}", args.out.display());
    if let Some(path) = &args.plot {
        plot_scaling(path, &scaling)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Adds the memory-bandwidth-floor ratio to a row and to its note.
fn with_floor(x: &mut Row, r: &CaseResult, bw: f64) {
    let floor = r.state_bytes as f64 / bw;
    let per_step = r.step_seconds / r.steps.max(1) as f64;
    x.floor_ratio = Some(per_step / floor);
    x.note = format!(
        "{}; {:.0}x the memory-bandwidth floor ({:.2} ms/step)",
        x.note,
        per_step / floor,
        floor * 1e3
    );
}

/// Step time and peak memory against agents, log-log, one line per activation.
fn plot_scaling(path: &Path, pts: &[(&str, u64, f64, f64)]) -> Result<(), String> {
    use plotters::prelude::*;
    let e = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let (left, right) = root.split_horizontally(450);
        let amin = pts.iter().map(|p| p.1).min().unwrap_or(1).max(1) as f64 / 2.0;
        let amax = pts.iter().map(|p| p.1).max().unwrap_or(10) as f64 * 2.0;
        let panels: [(
            &DrawingArea<SVGBackend, plotters::coord::Shift>,
            &str,
            fn(&(&str, u64, f64, f64)) -> f64,
        ); 2] = [
            (&left, "seconds per step", |p| p.2),
            (&right, "peak RSS (MiB)", |p| p.3),
        ];
        for (area, label, value) in panels {
            let ys: Vec<f64> = pts.iter().map(value).filter(|v| *v > 0.0).collect();
            let ymin = ys.iter().copied().fold(f64::MAX, f64::min) / 2.0;
            let ymax = ys.iter().copied().fold(0.0, f64::max) * 2.0;
            let mut chart = ChartBuilder::on(area)
                .caption(label, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d((amin..amax).log_scale(), (ymin.max(1e-9)..ymax.max(1e-8)).log_scale())
                .map_err(|x| e(&x))?;
            chart
                .configure_mesh()
                .x_desc("agents")
                .y_desc(label)
                .x_label_formatter(&|x| human(x.round() as u64))
                .draw()
                .map_err(|x| e(&x))?;
            for (activation, colour) in [("random-sequential", RED), ("tiled", BLUE)] {
                let line: Vec<(f64, f64)> = pts
                    .iter()
                    .filter(|p| p.0 == activation)
                    .map(|p| (p.1 as f64, value(p)))
                    .collect();
                chart
                    .draw_series(LineSeries::new(line.clone(), colour.stroke_width(2)))
                    .map_err(|x| e(&x))?
                    .label(activation)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
                chart
                    .draw_series(line.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                    .map_err(|x| e(&x))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .border_style(BLACK)
                .background_style(WHITE)
                .draw()
                .map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    unrest_output::write_file(path, svg.into_bytes())
}

fn row(case: String, r: &CaseResult, mesa: Option<f64>, note: String) -> Row {
    let sps = r.steps as f64 / r.step_seconds.max(1e-12);
    Row {
        case,
        agents: r.agents,
        steps: r.steps,
        steps_per_s: sps,
        updates_per_s: sps * r.agents as f64,
        peak_rss_mib: r.peak_rss_bytes as f64 / (1 << 20) as f64,
        cores_used: r.step_cpu_seconds / r.step_seconds.max(1e-12),
        floor_ratio: None,
        mesa_updates_per_s: mesa,
        note,
    }
}

fn human(n: u64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn print_table(rows: &[Row], bw: f64) {
    println!(
        "{:<30} {:>10} {:>7} {:>10} {:>16} {:>9} {:>6} {:>8}  note",
        "case", "agents", "steps", "steps/s", "agent-updates/s", "RSS MiB", "cores", "vs Mesa"
    );
    for r in rows {
        let ratio = r
            .mesa_updates_per_s
            .map_or("-".to_string(), |m| format!("{:.0}x", r.updates_per_s / m));
        println!(
            "{:<30} {:>10} {:>7} {:>10.2} {:>16.3e} {:>9.1} {:>6.2} {:>8}  {}",
            r.case, r.agents, r.steps, r.steps_per_s, r.updates_per_s, r.peak_rss_mib, r.cores_used, ratio, r.note
        );
    }
    println!("streaming memory bandwidth: {:.1} GB/s", bw / 1e9);
}

fn write_csv(path: &Path, rows: &[Row]) -> Result<(), String> {
    let mut s = String::from(
        "case,agents,steps,steps_per_s,agent_updates_per_s,peak_rss_mib,cores_used,bandwidth_floor_ratio,mesa_agent_updates_per_s,ratio_to_mesa,note\n",
    );
    for r in rows {
        let (m, ratio) = match r.mesa_updates_per_s {
            Some(m) => (format!("{m:.0}"), format!("{:.1}", r.updates_per_s / m)),
            None => (String::new(), String::new()),
        };
        let floor = r.floor_ratio.map_or(String::new(), |f| format!("{f:.1}"));
        s.push_str(&format!(
            "{},{},{},{:.3},{:.0},{:.1},{:.2},{},{},{},\"{}\"\n",
            r.case,
            r.agents,
            r.steps,
            r.steps_per_s,
            r.updates_per_s,
            r.peak_rss_mib,
            r.cores_used,
            floor,
            m,
            ratio,
            r.note.replace('"', "'")
        ));
    }
    unrest_output::write_file(path, s.into_bytes())
}
