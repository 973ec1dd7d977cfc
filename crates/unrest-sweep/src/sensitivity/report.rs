//! From an analysis's runs to its outputs, and from its indices to a CSV
//! table, a Markdown table and an SVG bar figure.

use super::OutputIndices;
use crate::table;
use crate::Value;
use arrow_array::RecordBatch;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How one output is made from a point's runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Reduce {
    /// The share of runs whose `metric` equals the value (e.g. outcome = collapsed).
    Share(String),
    /// The mean of the metric.
    Mean,
    /// The mean of log10(max(1, metric × factor)): e.g. a peak in agents
    /// times the scale gives log10 people at 1:1, no protest counting as 0.
    Log10(f64),
}

/// An output of the analysis: a name, what it is, and how it is made.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub about: String,
    pub metric: String,
    pub reduce: Reduce,
}

impl Output {
    /// Parses `--output`: `METRIC=VALUE` (share of runs), `log10:METRIC`
    /// (mean of log10 max(1, metric)) or `METRIC` (mean).
    pub fn parse(s: &str) -> Result<Output, String> {
        let s = s.trim();
        let (name, metric, reduce, about) = if let Some((m, v)) = s.split_once('=') {
            let (m, v) = (m.trim(), v.trim());
            let name = format!("{m}={v}");
            (
                name,
                m,
                Reduce::Share(v.to_string()),
                format!("share of runs with {m} = {v}"),
            )
        } else if let Some(m) = s.strip_prefix("log10:") {
            let m = m.trim();
            (
                format!("log10_{m}"),
                m,
                Reduce::Log10(1.0),
                format!("mean of log10 max(1, {m})"),
            )
        } else {
            (s.to_string(), s, Reduce::Mean, format!("mean of {s}"))
        };
        if metric.is_empty() || name.ends_with('=') {
            return Err(format!(
                "--output {s:?}: expected METRIC, log10:METRIC or METRIC=VALUE (e.g. outcome=collapsed)"
            ));
        }
        Ok(Output {
            name,
            about,
            metric: metric.to_string(),
            reduce,
        })
    }

    fn value(&self, v: &Value) -> Result<f64, String> {
        match (&self.reduce, v) {
            (Reduce::Share(want), v) => Ok(f64::from(u8::from(v.to_string() == *want))),
            (_, Value::Null) => Err(format!("`{}` is empty", self.metric)),
            (Reduce::Mean, v) => v.as_f64().ok_or_else(|| format!("`{}` is not a number", self.metric)),
            (Reduce::Log10(times), v) => {
                let x = v.as_f64().ok_or_else(|| format!("`{}` is not a number", self.metric))?;
                Ok((x * times).max(1.0).log10())
            }
        }
    }
}

/// Each output's value at each point (`y[output][point]`): over the runs of
/// a point, the mean of what [`Output`] makes of each run.
pub fn by_point(batch: &RecordBatch, points: usize, outputs: &[Output]) -> Result<Vec<Vec<f64>>, String> {
    let point_of = table::column_values(batch, "point")?;
    let run_of = table::column_values(batch, "run")?;
    let mut y = Vec::with_capacity(outputs.len());
    for o in outputs {
        let column = table::column_values(batch, &o.metric).map_err(|e| format!("--output {}: {e}", o.name))?;
        let (mut sum, mut count) = (vec![0.0; points], vec![0u32; points]);
        for ((p, r), v) in point_of.iter().zip(&run_of).zip(&column) {
            let p = p.as_f64().map_or(usize::MAX, |p| p as usize);
            if p >= points {
                return Err(format!("run {r} has point {p}; the design has {points}"));
            }
            sum[p] += o.value(v).map_err(|e| format!("--output {}: run {r}: {e}", o.name))?;
            count[p] += 1;
        }
        if let Some(p) = count.iter().position(|&c| c == 0) {
            return Err(format!("point {p} of the design has no runs"));
        }
        y.push(sum.iter().zip(&count).map(|(s, &c)| s / f64::from(c)).collect());
    }
    Ok(y)
}

/// What the tables and the figure say about the runs.
#[derive(Debug, Clone)]
pub struct Context {
    pub scenario: String,
    /// Seeds per point.
    pub seeds: u32,
    /// What each output is, by name.
    pub about: Vec<(String, String)>,
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// One line per output and factor: the indices and their intervals.
pub fn csv(results: &[OutputIndices]) -> String {
    let mut s = String::from("output,parameter,S1,S1_low,S1_high,ST,ST_low,ST_high,n,resamples,level\n");
    for r in results {
        for f in &r.factors {
            let cells = [f.s1, f.s1_low, f.s1_high, f.st, f.st_low, f.st_high].map(number);
            s.push_str(&format!(
                "{},{},{},{},{},{}\n",
                r.output,
                f.key,
                cells.join(","),
                r.n,
                r.resamples_used,
                r.bootstrap.level
            ));
        }
    }
    s
}

fn two(x: f64) -> String {
    if x.is_finite() {
        // No "-0.00".
        let t = format!("{x:.2}");
        if t == "-0.00" {
            "0.00".into()
        } else {
            t
        }
    } else {
        "–".into()
    }
}

/// A Markdown section per output: a line on the design, then the table.
pub fn markdown(results: &[OutputIndices], ctx: &Context) -> String {
    let mut s = String::new();
    for r in results {
        let about = ctx
            .about
            .iter()
            .find(|(n, _)| *n == r.output)
            .map_or("", |(_, a)| a.as_str());
        let k = r.factors.len();
        s.push_str(&format!("### {}: {about}\n\n", r.output));
        s.push_str(&format!(
            "{}: N = {} base rows, {} points × {} seeds = {} runs; mean {:.3}, variance {:.4}. ",
            ctx.scenario,
            r.n,
            r.n * (k + 2),
            ctx.seeds,
            r.n * (k + 2) * ctx.seeds as usize,
            r.mean,
            r.variance
        ));
        if !r.has_variance() {
            s.push_str("The output did not vary over the design: no indices.\n\n");
            continue;
        }
        s.push_str(&format!(
            "Intervals: {:.0}% bootstrap percentiles over {} resamples of the base rows.\n\n",
            100.0 * r.bootstrap.level,
            r.resamples_used
        ));
        s.push_str("| parameter | S1 | S1 interval | ST | ST interval |\n|---|---:|---|---:|---|\n");
        for f in &r.factors {
            s.push_str(&format!(
                "| `{}` | {} | [{}, {}] | {} | [{}, {}] |\n",
                f.key,
                two(f.s1),
                two(f.s1_low),
                two(f.s1_high),
                two(f.st),
                two(f.st_low),
                two(f.st_high)
            ));
        }
        s.push('\n');
    }
    s
}

const S1_COLOUR: RGBColor = RGBColor(70, 130, 180);
const ST_COLOUR: RGBColor = RGBColor(230, 140, 40);
const LABELS_WIDTH: u32 = 250;
const PANEL_WIDTH: u32 = 400;

/// The x range of every panel: [0, 1] widened to the estimates and
/// intervals, within [−1, 2] (an interval beyond is cut at the edge).
fn x_range(results: &[OutputIndices]) -> (f64, f64) {
    let all = results
        .iter()
        .flat_map(|r| &r.factors)
        .flat_map(|f| [f.s1, f.s1_low, f.s1_high, f.st, f.st_low, f.st_high])
        .filter(|x| x.is_finite());
    let (lo, hi) = all.fold((0.0f64, 1.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
    ((lo - 0.05).max(-1.0), (hi + 0.05).min(2.0))
}

/// Horizontal bars, one panel per output: S1 and ST of each factor with
/// their intervals as whiskers; factor names on the left, first on top.
pub fn svg(results: &[OutputIndices], ctx: &Context) -> Result<String, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let keys: Vec<&str> = results
        .first()
        .map(|r| r.factors.iter().map(|f| f.key.as_str()).collect())
        .unwrap_or_default();
    let k = keys.len().max(1);
    let (w, h) = (
        LABELS_WIDTH + PANEL_WIDTH * results.len().max(1) as u32,
        110 + 26 * k as u32,
    );
    let (x0, x1) = x_range(results);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let cut = results
            .iter()
            .flat_map(|r| &r.factors)
            .flat_map(|f| [f.s1_low, f.s1_high, f.st_low, f.st_high])
            .any(|x| x.is_finite() && !(x0..=x1).contains(&x));
        let title = format!(
            "Sobol' indices, {}: first order S1 (blue), total ST (orange), {:.0}% bootstrap intervals{}",
            ctx.scenario,
            100.0 * results.first().map_or(0.95, |r| r.bootstrap.level),
            if cut { " (cut at the axis ends)" } else { "" }
        );
        let body = root.titled(&title, ("sans-serif", 15)).map_err(|x| e(&x))?;
        let (labels, panels) = body.split_horizontally(LABELS_WIDTH);
        let panels = panels.split_evenly((1, results.len().max(1)));
        let mut label_at: Vec<(i32, i32)> = Vec::new();
        for (r, area) in results.iter().zip(&panels) {
            let caption = if r.has_variance() {
                r.output.clone()
            } else {
                format!("{} (no variance: no indices)", r.output)
            };
            let mut chart = ChartBuilder::on(area)
                .margin(8)
                .caption(caption, ("sans-serif", 14))
                .x_label_area_size(30)
                .build_cartesian_2d(x0..x1, 0.0..k as f64)
                .map_err(|x| e(&x))?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_max_light_lines(1)
                .y_labels(0)
                .x_desc("index")
                .label_style(("sans-serif", 11))
                .draw()
                .map_err(|x| e(&x))?;
            draw_bars(&mut chart, r, k, x0, x1).map_err(|x| e(&x))?;
            if label_at.is_empty() {
                label_at = (0..keys.len())
                    .map(|i| chart.backend_coord(&(x0, k as f64 - i as f64 - 0.5)))
                    .collect();
            }
        }
        let (lx, _) = labels.get_base_pixel();
        let style = ("sans-serif", 12)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (key, (_, y)) in keys.iter().zip(&label_at) {
            root.draw(&Text::new(
                key.to_string(),
                (lx + LABELS_WIDTH as i32 - 6, *y),
                style.clone(),
            ))
            .map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(out)
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One panel's bars and whiskers (factor i's row is k − i − 1 from the bottom).
fn draw_bars(
    chart: &mut Chart<'_, '_>,
    r: &OutputIndices,
    k: usize,
    x0: f64,
    x1: f64,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let clip = |x: f64| x.clamp(x0, x1);
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (0.0, k as f64)],
        BLACK.mix(0.6),
    )))?;
    if !r.has_variance() {
        return Ok(());
    }
    for (i, f) in r.factors.iter().enumerate() {
        let base = (k - i - 1) as f64;
        for (v, lo, hi, y, colour) in [
            (f.s1, f.s1_low, f.s1_high, base + 0.55, S1_COLOUR),
            (f.st, f.st_low, f.st_high, base + 0.12, ST_COLOUR),
        ] {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y), (clip(v), y + 0.33)],
                colour.mix(0.85).filled(),
            )))?;
            if lo.is_finite() && hi.is_finite() {
                let mid = y + 0.165;
                let lines = [
                    vec![(clip(lo), mid), (clip(hi), mid)],
                    vec![(clip(lo), mid - 0.1), (clip(lo), mid + 0.1)],
                    vec![(clip(hi), mid - 0.1), (clip(hi), mid + 0.1)],
                ];
                chart.draw_series(lines.into_iter().map(|l| PathElement::new(l, BLACK.stroke_width(1))))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{indices, Bootstrap};
    use super::*;

    #[test]
    fn outputs_parse_to_shares_means_and_logs() {
        let o = Output::parse("outcome=collapsed").unwrap();
        assert_eq!((o.name.as_str(), o.metric.as_str()), ("outcome=collapsed", "outcome"));
        assert_eq!(o.value(&Value::Str("collapsed".into())).unwrap(), 1.0);
        assert_eq!(o.value(&Value::Str("suppressed".into())).unwrap(), 0.0);
        let o = Output::parse("log10:peak_active").unwrap();
        assert_eq!(o.name, "log10_peak_active");
        assert_eq!(o.value(&Value::I64(1000)).unwrap(), 3.0);
        assert_eq!(o.value(&Value::I64(0)).unwrap(), 0.0);
        let o = Output::parse("mean_active").unwrap();
        assert_eq!(o.reduce, Reduce::Mean);
        assert!(o.value(&Value::Null).unwrap_err().contains("`mean_active` is empty"));
        for bad in ["", "x=", "=y", "log10:"] {
            assert!(Output::parse(bad).unwrap_err().contains("expected METRIC"), "{bad}");
        }
    }

    #[test]
    fn tables_and_figure_name_every_factor() {
        let f: Vec<_> = ["a.first", "b.second"]
            .iter()
            .map(|k| super::super::Factor::new(k, 0.0, 1.0, false).unwrap())
            .collect();
        let y: Vec<f64> = super::super::design(&f, 64, 1)
            .unwrap()
            .iter()
            .map(|x| x[0] + 0.3 * x[1])
            .collect();
        let boot = Bootstrap {
            replicates: 50,
            level: 0.9,
            seed: 1,
        };
        let keys: Vec<String> = f.iter().map(|f| f.key.clone()).collect();
        let r = vec![
            indices("y", &y, &keys, &boot).unwrap(),
            indices("flat", &vec![0.0; y.len()], &keys, &boot).unwrap(),
        ];
        let ctx = Context {
            scenario: "test".into(),
            seeds: 2,
            about: vec![("y".into(), "a sum".into())],
        };
        let c = csv(&r);
        assert!(c.starts_with("output,parameter,S1,"), "{c}");
        assert_eq!(c.lines().count(), 5);
        assert!(c.contains("\nflat,a.first,,,,,,,64,0,0.9\n"), "{c}");
        let m = markdown(&r, &ctx);
        assert!(m.contains("### y: a sum") && m.contains("| `b.second` |"), "{m}");
        assert!(m.contains("N = 64 base rows, 256 points × 2 seeds = 512 runs"), "{m}");
        assert!(m.contains("did not vary over the design: no indices"), "{m}");
        let s = svg(&r, &ctx).unwrap();
        assert!(
            s.starts_with("<svg") && s.contains("a.first") && s.contains("no variance"),
            "{}",
            &s[..200]
        );
    }
}
