use plotters::prelude::*;
use unrest_core::Counts;

/// A vertical line on the time axis (a scheduled change, a fired event).
#[derive(Debug, Clone)]
pub struct PlotMarker {
    pub step: u64,
    pub label: String,
}

/// The counts over time as an SVG line chart with title, axis labels and a
/// legend. SVG needs no fonts at build or run time and scales in any viewer.
pub fn plot_timeseries_svg(title: &str, series: &[Counts], markers: &[PlotMarker]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max_step = series.last().map_or(1, |c| c.step.max(1));
        let show_dead = series.iter().any(|c| c.dead > 0);
        let max_y = series
            .iter()
            .map(|c| {
                c.quiet
                    .max(c.active)
                    .max(c.jailed)
                    .max(if show_dead { c.dead } else { 0 })
            })
            .max()
            .unwrap_or(1)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0u64..max_step, 0u32..(max_y + max_y / 20 + 1))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("citizens")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        let lines: Vec<(&str, RGBColor, fn(&Counts) -> u32)> = {
            let mut v: Vec<(&str, RGBColor, fn(&Counts) -> u32)> = vec![
                ("quiet", RGBColor(70, 130, 180), |c| c.quiet),
                ("active", RGBColor(214, 39, 40), |c| c.active),
                ("jailed", RGBColor(40, 40, 40), |c| c.jailed),
            ];
            if show_dead {
                v.push(("dead", RGBColor(148, 103, 189), |c| c.dead));
            }
            v
        };
        for (name, color, f) in lines {
            chart
                .draw_series(LineSeries::new(thinned(series, f), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        for m in markers {
            let grey = RGBColor(120, 120, 120);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(m.step, 0), (m.step, max_y)],
                    grey.stroke_width(1),
                )))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(Text::new(
                    m.label.clone(),
                    (m.step, max_y),
                    ("sans-serif", 12).into_font(),
                )))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// One panel of an interval chart: a title and, per row, a label with a
/// value and its interval (`value`, `lo`, `hi`).
pub struct IntervalPanel {
    pub title: String,
    pub rows: Vec<(String, f64, f64, f64)>,
}

/// Dot-and-whisker panels side by side, one row per variant (`unrest
/// compare`): each panel has its own axis, starting at zero, so that a toll
/// and a probability can be read together.
pub fn plot_intervals_svg(title: &str, panels: &[IntervalPanel]) -> Result<String, String> {
    let rows = panels.first().map_or(0, |p| p.rows.len()).max(1);
    let (width, height) = (360 * panels.len().max(1) as u32 + 200, 90 + 36 * rows as u32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (head, body) = root.split_vertically(36);
        head.draw(&Text::new(title.to_string(), (12, 8), ("sans-serif", 20).into_font()))
            .map_err(|e| e.to_string())?;
        let (labels, charts) = body.split_horizontally(200);
        let areas = charts.split_evenly((1, panels.len().max(1)));
        for (panel, area) in panels.iter().zip(&areas) {
            let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
            let top = panel
                .rows
                .iter()
                .map(|r| finite(r.3).max(finite(r.1)))
                .fold(0.0, f64::max);
            let top = if top > 0.0 { top * 1.08 } else { 1.0 };
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, ("sans-serif", 14))
                .margin(8)
                .x_label_area_size(24)
                .build_cartesian_2d(0.0..top, -0.5..(rows as f64 - 0.5))
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .disable_y_axis()
                .x_labels(4)
                .x_label_formatter(&|v| axis_number(*v))
                .label_style(("sans-serif", 11))
                .draw()
                .map_err(|e| e.to_string())?;
            for (k, (_, v, lo, hi)) in panel.rows.iter().enumerate() {
                let y = (rows - 1 - k) as f64;
                let (lo, hi) = (finite(*lo).max(0.0), finite(*hi).min(top));
                let colour = if k == 0 {
                    RGBColor(40, 40, 40)
                } else {
                    RGBColor(214, 39, 40)
                };
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(lo, y), (hi, y)],
                        colour.stroke_width(2),
                    )))
                    .map_err(|e| e.to_string())?;
                chart
                    .draw_series(std::iter::once(Circle::new((finite(*v), y), 4, colour.filled())))
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some(first) = panels.first() {
            let plot_h = body.dim_in_pixel().1 as f64 - 8.0 - 14.0 - 8.0 - 24.0;
            for (k, (label, ..)) in first.rows.iter().enumerate() {
                let y = 8.0 + 14.0 + 8.0 + plot_h * (k as f64 + 0.5) / rows as f64;
                let text: String = label.chars().take(28).collect();
                labels
                    .draw(&Text::new(text, (8, y as i32 - 6), ("sans-serif", 12).into_font()))
                    .map_err(|e| e.to_string())?;
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// One axis of a pair plot: a short name and the range its unit position
/// `[0, 1]` spans (shown as text), log-scaled or not.
#[derive(Debug, Clone)]
pub struct PairAxis {
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

/// Border colour of a pair plot's panels (tests count them by it).
pub const PAIR_PANEL_STROKE: RGBColor = RGBColor(150, 150, 150);

/// A weighted population as a pair plot (small multiples, one panel per
/// pair): below the diagonal a scatter of each pair, a dot's area ∝ its
/// weight; on the diagonal the weighted marginal (12 bins); above it the
/// weighted correlation. `points[k]` is member k's position in the unit
/// cube (one coordinate per axis: log axes already on their log scale);
/// members of weight 0 are left out. Panels are 84 pixels square whatever
/// the dimension, so 18 parameters give a figure of about 1,700 pixels.
pub fn plot_pairs_svg(title: &str, axes: &[PairAxis], points: &[Vec<f64>], weights: &[f64]) -> Result<String, String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let d = axes.len().max(1);
    let (cell, pad, left, top, bottom) = (84i32, 5i32, 160i32, 40i32, 150i32);
    let side = cell * d as i32;
    let (width, height) = ((left + side + 12) as u32, (top + side + bottom) as u32);
    let live: Vec<(&Vec<f64>, f64)> = points
        .iter()
        .zip(weights)
        .filter(|(p, &w)| w > 0.0 && w.is_finite() && p.len() >= axes.len())
        .map(|(p, &w)| (p, w))
        .collect();
    let wmax = live.iter().map(|x| x.1).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let wsum: f64 = live.iter().map(|x| x.1).sum::<f64>().max(f64::MIN_POSITIVE);
    let mean = |k: usize| live.iter().map(|(p, w)| w * p[k]).sum::<f64>() / wsum;
    let means: Vec<f64> = (0..axes.len()).map(mean).collect();
    let cov = |a: usize, b: usize| {
        live.iter()
            .map(|(p, w)| w * (p[a] - means[a]) * (p[b] - means[b]))
            .sum::<f64>()
            / wsum
    };
    let blue = RGBColor(70, 130, 180);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        root.draw(&Text::new(title.to_string(), (12, 10), ("sans-serif", 18).into_font()))
            .map_err(|x| e(&x))?;
        let inner = cell - 2 * pad;
        let at = |r: usize, c: usize, u: f64, v: f64| -> (i32, i32) {
            let (x0, y0) = (left + c as i32 * cell + pad, top + r as i32 * cell + pad);
            (
                x0 + (u.clamp(0.0, 1.0) * inner as f64).round() as i32,
                y0 + inner - (v.clamp(0.0, 1.0) * inner as f64).round() as i32,
            )
        };
        for r in 0..axes.len() {
            for c in 0..axes.len() {
                let (x0, y0) = (left + c as i32 * cell, top + r as i32 * cell);
                root.draw(&Rectangle::new(
                    [(x0 + 1, y0 + 1), (x0 + cell - 1, y0 + cell - 1)],
                    PAIR_PANEL_STROKE.stroke_width(1),
                ))
                .map_err(|x| e(&x))?;
                if r == c {
                    let bins = 12usize;
                    let mut mass = vec![0.0f64; bins];
                    for (p, w) in &live {
                        mass[((p[c] * bins as f64) as usize).min(bins - 1)] += w;
                    }
                    let top_mass = mass.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
                    for (b, &m) in mass.iter().enumerate() {
                        if m > 0.0 {
                            let a = at(r, c, b as f64 / bins as f64, 0.85 * m / top_mass);
                            let z = at(r, c, (b + 1) as f64 / bins as f64, 0.0);
                            root.draw(&Rectangle::new([a, z], blue.filled())).map_err(|x| e(&x))?;
                        }
                    }
                } else if r > c {
                    for (p, w) in &live {
                        let radius = (1.0 + 3.0 * (w / wmax).sqrt()).round() as i32;
                        root.draw(&Circle::new(at(r, c, p[c], p[r]), radius, blue.mix(0.55).filled()))
                            .map_err(|x| e(&x))?;
                    }
                } else {
                    let rho = cov(r, c) / (cov(r, r) * cov(c, c)).sqrt();
                    let colour = if rho.is_finite() && rho < 0.0 {
                        RGBColor(40, 90, 200)
                    } else {
                        RGBColor(200, 60, 40)
                    };
                    let size = if rho.is_finite() { 11.0 + 9.0 * rho.abs() } else { 11.0 };
                    let text = if rho.is_finite() {
                        format!("{rho:+.2}")
                    } else {
                        "–".into()
                    };
                    root.draw(&Text::new(
                        text,
                        (x0 + cell / 2 - 18, y0 + cell / 2 - size as i32 / 2),
                        ("sans-serif", size).into_font().color(&colour),
                    ))
                    .map_err(|x| e(&x))?;
                }
            }
        }
        let small = ("sans-serif", 13).into_font();
        for (k, a) in axes.iter().enumerate() {
            let name: String = a.name.chars().take(24).collect();
            let range = format!(
                "{}–{}{}",
                short_number(a.min),
                short_number(a.max),
                if a.log { " log" } else { "" }
            );
            // Rows: the name and range at the left; columns: rotated below.
            let y = top + k as i32 * cell + cell / 2;
            root.draw(&Text::new(name.clone(), (4, y - 12), small.clone()))
                .map_err(|x| e(&x))?;
            root.draw(&Text::new(
                range.clone(),
                (4, y + 2),
                small.clone().color(&RGBColor(110, 110, 110)),
            ))
            .map_err(|x| e(&x))?;
            let x = left + k as i32 * cell + cell / 2;
            let rotated = small.clone().transform(FontTransform::Rotate90);
            root.draw(&Text::new(name, (x + 2, top + side + 6), rotated.clone()))
                .map_err(|x| e(&x))?;
            root.draw(&Text::new(
                range,
                (x - 12, top + side + 6),
                rotated.color(&RGBColor(110, 110, 110)),
            ))
            .map_err(|x| e(&x))?;
        }
        root.present().map_err(|x| e(&x))?;
    }
    Ok(svg)
}

/// A range end as short text: three significant digits.
fn short_number(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() {
        format!("{x}")
    } else if (0.01..1000.0).contains(&a) {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{x:.1e}")
    }
}

/// An axis number: probabilities with two decimals, counts in k and M.
fn axis_number(v: f64) -> String {
    match v.abs() {
        a if a >= 1e6 => format!("{:.1}M", v / 1e6),
        a if a >= 1e4 => format!("{:.0}k", v / 1e3),
        a if a >= 10.0 => format!("{v:.0}"),
        _ => format!("{v:.2}"),
    }
}

/// Most points drawn per line. The chart is 960 pixels wide, so more only
/// makes the file bigger: a 10-million-step run would otherwise write a
/// 300 MB SVG. Runs up to this length are drawn point for point.
const MAX_PLOT_POINTS: usize = 20_000;

/// The line's points, or for a longer series the lowest and the highest
/// point of each of `MAX_PLOT_POINTS / 2` buckets, in step order, so every
/// spike still shows.
fn thinned(series: &[Counts], f: fn(&Counts) -> u32) -> Vec<(u64, u32)> {
    if series.len() <= MAX_PLOT_POINTS {
        return series.iter().map(|c| (c.step, f(c))).collect();
    }
    let bucket = series.len().div_ceil(MAX_PLOT_POINTS / 2);
    let mut out = Vec::with_capacity(MAX_PLOT_POINTS);
    for chunk in series.chunks(bucket) {
        let lo = chunk.iter().min_by_key(|c| f(c)).unwrap_or(&chunk[0]);
        let hi = chunk.iter().max_by_key(|c| f(c)).unwrap_or(&chunk[0]);
        let (a, b) = if lo.step <= hi.step { (lo, hi) } else { (hi, lo) };
        out.push((a.step, f(a)));
        if b.step != a.step {
            out.push((b.step, f(b)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: u64) -> Vec<Counts> {
        (0..n)
            .map(|step| Counts {
                step,
                active: if step == n / 3 { 1_000 } else { (step % 7) as u32 },
                ..Counts::default()
            })
            .collect()
    }

    #[test]
    fn a_long_series_is_thinned_but_keeps_its_spike_in_step_order() {
        let s = series(1_000_000);
        let pts = thinned(&s, |c| c.active);
        assert!(pts.len() <= MAX_PLOT_POINTS, "{}", pts.len());
        assert!(pts.contains(&(1_000_000 / 3, 1_000)));
        assert!(pts.windows(2).all(|w| w[0].0 < w[1].0), "in step order");
        assert_eq!(pts.first().map(|p| p.0), Some(0));
    }

    #[test]
    fn a_pair_plot_has_a_panel_per_pair_and_names_every_axis() {
        let axes: Vec<PairAxis> = (0..18)
            .map(|k| PairAxis {
                name: format!("param_{k}"),
                min: 0.5,
                max: 40.0,
                log: k % 2 == 0,
            })
            .collect();
        let points: Vec<Vec<f64>> = (0..32)
            .map(|i| (0..18).map(|k| ((i * 7 + k * 3) % 32) as f64 / 31.0).collect())
            .collect();
        let mut weights = vec![1.0 / 30.0; 32];
        weights[0] = 0.0;
        weights[1] = 0.0;
        let svg = plot_pairs_svg("pairs", &axes, &points, &weights).unwrap();
        assert!(svg.starts_with("<svg"));
        let stroke = format!(
            "#{:02X}{:02X}{:02X}",
            PAIR_PANEL_STROKE.0, PAIR_PANEL_STROKE.1, PAIR_PANEL_STROKE.2
        );
        assert_eq!(svg.matches(&stroke).count(), 18 * 18, "one panel per pair");
        assert_eq!(
            svg.matches("<circle").count(),
            30 * 18 * 17 / 2,
            "a dot per living member per lower panel"
        );
        for k in 0..18 {
            assert!(svg.contains(&format!("\nparam_{k}\n")), "param_{k} named");
        }
        assert!(svg.contains("\n0.5–40 log\n"));
    }

    #[test]
    fn a_short_series_is_drawn_point_for_point() {
        let s = series(5_000);
        assert_eq!(thinned(&s, |c| c.active).len(), 5_000);
    }
}
