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
                .draw_series(LineSeries::new(
                    series.iter().map(|c| (c.step, f(c))),
                    color.stroke_width(2),
                ))
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
