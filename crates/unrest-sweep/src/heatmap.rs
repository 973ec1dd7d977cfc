//! A heat map of one metric over two varied parameters: per cell, the mean of
//! a numeric metric over the runs (replicates) there, or the share of runs in
//! which a metric equals a value (`outcome=collapsed`).
//!
//! Parameters with few distinct values (a grid) get one cell per value;
//! continuous ones (Latin hypercube, Sobol) are cut into equal-width bins.

use crate::table::column_values;
use crate::Value;
use arrow_array::RecordBatch;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Distinct values up to which a parameter is shown value by value.
const MAX_CATEGORIES: usize = 16;
/// Bins for a continuous parameter.
const BINS: usize = 10;

/// What to plot.
#[derive(Debug, Clone)]
pub struct HeatmapRequest {
    pub x: String,
    pub y: String,
    /// `name` (mean of a numeric metric) or `name=value` (share of runs).
    pub metric: String,
    pub title: Option<String>,
}

/// One axis: its cell labels and each run's cell.
struct Axis {
    labels: Vec<String>,
    cell: Vec<Option<usize>>,
}

fn axis(name: &str, values: &[Value]) -> Result<Axis, String> {
    let numeric: Option<Vec<f64>> = values.iter().map(Value::as_f64).collect();
    let mut distinct: Vec<Value> = Vec::new();
    for v in values {
        if !distinct.contains(v) {
            distinct.push(v.clone());
            if distinct.len() > MAX_CATEGORIES {
                break;
            }
        }
    }
    match numeric {
        Some(xs) if distinct.len() > MAX_CATEGORIES => {
            let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let w = (hi - lo) / BINS as f64;
            let labels = (0..BINS)
                .map(|b| format!("{}", sig(lo + w * (b as f64 + 0.5))))
                .collect();
            let cell = xs
                .iter()
                .map(|x| Some((((x - lo) / w).floor() as usize).min(BINS - 1)))
                .collect();
            Ok(Axis { labels, cell })
        }
        Some(_) => {
            distinct.sort_by(|a, b| a.as_f64().unwrap_or(0.0).total_cmp(&b.as_f64().unwrap_or(0.0)));
            Ok(Axis {
                labels: distinct.iter().map(|v| v.to_string()).collect(),
                cell: values.iter().map(|v| distinct.iter().position(|d| d == v)).collect(),
            })
        }
        None if distinct.len() <= MAX_CATEGORIES * 4 => {
            distinct.sort_by_key(|v| v.to_string());
            Ok(Axis {
                labels: distinct.iter().map(|v| v.to_string()).collect(),
                cell: values.iter().map(|v| distinct.iter().position(|d| d == v)).collect(),
            })
        }
        None => Err(format!("`{name}` has too many distinct non-numeric values for an axis")),
    }
}

/// Four significant digits, for bin labels.
fn sig(x: f64) -> f64 {
    format!("{x:.3e}").parse().unwrap_or(x)
}

/// x labels, y labels, the grid of cell values (row = y, column = x;
/// `None` = no runs) and the label of the quantity.
pub type Cells = (Vec<String>, Vec<String>, Vec<Vec<Option<f64>>>, String);

/// Averages (or shares) the runs in each cell of the x × y grid.
pub fn cells(batch: &RecordBatch, req: &HeatmapRequest) -> Result<Cells, String> {
    let xa = axis(&req.x, &column_values(batch, &req.x)?)?;
    let ya = axis(&req.y, &column_values(batch, &req.y)?)?;
    let (name, wanted) = match req.metric.split_once('=') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (req.metric.trim(), None),
    };
    let metric = column_values(batch, name)?;
    let per_run: Vec<Option<f64>> = match wanted {
        Some(w) => metric
            .iter()
            .map(|v| match v {
                Value::Null => None,
                v => Some(if v.to_string() == w { 1.0 } else { 0.0 }),
            })
            .collect(),
        None => {
            if metric.iter().any(|v| matches!(v, Value::Str(_))) {
                return Err(format!(
                    "`{name}` is not numeric; plot the share of one value instead, e.g. --metric {name}=collapsed"
                ));
            }
            metric.iter().map(Value::as_f64).collect()
        }
    };
    let (nx, ny) = (xa.labels.len(), ya.labels.len());
    let mut sum = vec![vec![0.0; nx]; ny];
    let mut n = vec![vec![0u64; nx]; ny];
    for (i, v) in per_run.iter().enumerate() {
        if let (Some(cx), Some(cy), Some(v)) = (xa.cell[i], ya.cell[i], *v) {
            sum[cy][cx] += v;
            n[cy][cx] += 1;
        }
    }
    let grid = (0..ny)
        .map(|y| {
            (0..nx)
                .map(|x| (n[y][x] > 0).then(|| sum[y][x] / n[y][x] as f64))
                .collect()
        })
        .collect();
    let label = match wanted {
        Some(w) => format!("share of runs with {name} = {w}"),
        None => format!("mean {name}"),
    };
    Ok((xa.labels, ya.labels, grid, label))
}

/// The heat map as SVG (viridis colours, a colour bar, values in the cells
/// when they fit).
pub fn heatmap_svg(batch: &RecordBatch, req: &HeatmapRequest) -> Result<String, String> {
    let (xl, yl, grid, label) = cells(batch, req)?;
    let values: Vec<f64> = grid.iter().flatten().flatten().copied().collect();
    if values.is_empty() {
        return Err(format!("no run has a value of `{}`", req.metric));
    }
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if req.metric.contains('=') {
        // A share: the scale is always 0 to 1, so maps can be compared.
        (lo, hi) = (0.0, 1.0);
    } else if hi <= lo {
        // One value everywhere: centre it on the scale.
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let colour = |v: f64| {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        ViridisRGB.get_color(t as f32)
    };
    let (nx, ny) = (xl.len() as i32, yl.len() as i32);
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 640)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        let (main, bar) = root.split_horizontally(790);
        let title = req
            .title
            .clone()
            .unwrap_or_else(|| format!("{label} by {} and {}", req.x, req.y));
        let mut chart = ChartBuilder::on(&main)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            // A segmented a..b range has b − a + 1 segments: one per cell.
            .build_cartesian_2d((0..nx - 1).into_segmented(), (0..ny - 1).into_segmented())
            .map_err(|x| e(&x))?;
        let fmt = |labels: &[String], v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(req.x.as_str())
            .y_desc(req.y.as_str())
            .x_labels(xl.len())
            .y_labels(yl.len())
            .x_label_formatter(&|v| fmt(&xl, v))
            .y_label_formatter(&|v| fmt(&yl, v))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|x| e(&x))?;
        let show_text = nx <= 12 && ny <= 12;
        for (y, row) in grid.iter().enumerate() {
            for (x, v) in row.iter().enumerate() {
                let (x, y) = (x as i32, y as i32);
                let corners = [
                    (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                ];
                let fill = v.map_or(RGBColor(220, 220, 220), colour);
                chart
                    .draw_series(std::iter::once(Rectangle::new(corners, fill.filled())))
                    .map_err(|x| e(&x))?;
                if show_text {
                    let text = v.map_or("n/a".to_string(), |v| format!("{}", sig3(v)));
                    let ink = if v.is_some_and(|v| hi > lo && (v - lo) / (hi - lo) > 0.6) {
                        BLACK
                    } else {
                        WHITE
                    };
                    let ink = if v.is_none() { BLACK } else { ink };
                    chart
                        .draw_series(std::iter::once(Text::new(
                            text,
                            (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                            ("sans-serif", 12)
                                .into_font()
                                .color(&ink)
                                .pos(Pos::new(HPos::Center, VPos::Center)),
                        )))
                        .map_err(|x| e(&x))?;
                }
            }
        }
        // Colour bar: the scale from the lowest to the highest cell value.
        let span = hi - lo;
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(44)
            .margin_bottom(62)
            .margin_right(8)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..1.0, lo..lo + span)
            .map_err(|x| e(&x))?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|x| e(&x))?;
        let steps = 100;
        cb.draw_series((0..steps).map(|i| {
            let a = lo + span * i as f64 / steps as f64;
            let b = lo + span * (i + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], colour(a).filled())
        }))
        .map_err(|x| e(&x))?;
        root.present().map_err(|x| e(&x))?;
    }
    Ok(svg)
}

/// Three significant digits, for cell labels.
fn sig3(x: f64) -> f64 {
    format!("{x:.2e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{runs_batch, runs_schema, RunRow};
    use crate::{spec::RunId, Kind};

    #[test]
    fn cells_average_replicates_and_count_shares() {
        let schema = runs_schema(
            &[("l".into(), Kind::F64), ("c".into(), Kind::I64)],
            &[("peak".into(), Kind::I64), ("outcome".into(), Kind::Str)],
        );
        let mut rows = Vec::new();
        for (i, (l, c, peak, out)) in [
            (0.7, 1, 10, "collapsed"),
            (0.7, 1, 20, "survived"),
            (0.9, 1, 4, "survived"),
            (0.7, 2, 6, "collapsed"),
        ]
        .into_iter()
        .enumerate()
        {
            rows.push(RunRow {
                id: RunId {
                    index: i as u64,
                    point: 0,
                    replicate: 0,
                    seed: 0,
                },
                params: vec![Value::F64(l), Value::I64(c)],
                metrics: vec![Value::I64(peak), Value::Str(out.into())],
            });
        }
        let batch = runs_batch(&schema, &rows).unwrap();
        let req = |m: &str| HeatmapRequest {
            x: "l".into(),
            y: "c".into(),
            metric: m.into(),
            title: None,
        };
        let (xl, yl, grid, _) = cells(&batch, &req("peak")).unwrap();
        assert_eq!(
            (xl, yl),
            (vec!["0.7".to_string(), "0.9".into()], vec!["1".to_string(), "2".into()])
        );
        assert_eq!(grid, vec![vec![Some(15.0), Some(4.0)], vec![Some(6.0), None]]);
        let (_, _, share, label) = cells(&batch, &req("outcome=collapsed")).unwrap();
        assert_eq!(share, vec![vec![Some(0.5), Some(0.0)], vec![Some(1.0), None]]);
        assert_eq!(label, "share of runs with outcome = collapsed");
        assert!(cells(&batch, &req("outcome"))
            .unwrap_err()
            .contains("--metric outcome=collapsed"));
        let svg = heatmap_svg(&batch, &req("peak")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("mean peak by l and c"));
    }
}
