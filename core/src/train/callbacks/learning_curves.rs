//! Learning curves of a [`History`] as an SVG picture (feature `plot`, with `plotters`).
//!
//! One panel per metric (`loss` first, then the others in logging order; `lr` is left
//! out), each with the training curve and, when logged, the validation curve (`val_*`)
//! against the epoch counted from 1. The epoch set by [`History::set_best_epoch`] (the
//! one early stopping restored) is marked with a vertical line in every panel.
//!
//! Only SVG: plotters' bitmap backend draws text only with a font engine (`ttf`, which
//! loads the system's fonts through fontconfig, or `ab_glyph` with a font file shipped in
//! the crate), which is more than a plot of a few lines is worth here; any SVG converter
//! (`rsvg-convert -o curves.png curves.svg`) makes a PNG.

use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use plotters::prelude::*;

use super::history::History;
use crate::io::write_atomic;

/// Training and validation colours.
const TRAIN: RGBColor = RGBColor(31, 119, 180);
const VALIDATION: RGBColor = RGBColor(255, 127, 14);
const BEST: RGBColor = RGBColor(44, 160, 44);

impl History {
    /// The metrics a plot shows: training names, `loss` first, without `lr`.
    fn plotted(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for logs in self.logs() {
            for (key, _) in logs.iter() {
                if key.name != "lr" && !names.contains(&key.name) {
                    names.push(key.name);
                }
            }
        }
        names.sort_by_key(|&n| n != "loss");
        names
    }

    /// The learning curves as an SVG document, `width` × `height` pixels.
    pub fn plot_svg(&self, width: u32, height: u32) -> Result<String, String> {
        let names = self.plotted();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let panels = root.split_evenly((1, names.len().max(1)));
            let last = self.len().max(2) as f64;
            for (panel, name) in panels.iter().zip(&names) {
                let val_name = std::format!("val_{name}");
                let train: Vec<(f64, f64)> = self.series(name);
                let val: Vec<(f64, f64)> = self.series(&val_name);
                let values = train.iter().chain(&val).map(|p| p.1);
                let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
                let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
                let pad = ((hi - lo) * 0.08).max(1e-6);
                let mut chart = ChartBuilder::on(panel)
                    .caption(*name, ("sans-serif", 20))
                    .margin(10)
                    .x_label_area_size(35)
                    .y_label_area_size(55)
                    .build_cartesian_2d(1.0..last, lo - pad..hi + pad)
                    .map_err(|e| e.to_string())?;
                chart.configure_mesh().x_desc("epoch").draw().map_err(|e| e.to_string())?;
                for (series, label, color) in [(train, *name, TRAIN), (val, val_name.as_str(), VALIDATION)] {
                    if series.is_empty() {
                        continue;
                    }
                    chart
                        .draw_series(LineSeries::new(series, color.stroke_width(2)))
                        .map_err(|e| e.to_string())?
                        .label(label.to_string())
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
                }
                if let Some(best) = self.best_epoch() {
                    let x = best as f64 + 1.0;
                    chart
                        .draw_series(LineSeries::new([(x, lo - pad), (x, hi + pad)], BEST.stroke_width(1)))
                        .map_err(|e| e.to_string())?
                        .label(std::format!("best epoch {}", best + 1))
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], BEST.stroke_width(1)));
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(svg)
    }

    /// Writes [`History::plot_svg`] (one 450 × 400 panel per metric) to `path`, atomically.
    pub fn save_plot(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let width = 450 * self.plotted().len().max(1) as u32;
        let svg = self.plot_svg(width, 400).map_err(std::io::Error::other)?;
        write_atomic(path, svg.as_bytes())
    }

    /// `(epoch from 1, value)` of every epoch that logged `name` with a finite value.
    fn series(&self, name: &str) -> Vec<(f64, f64)> {
        self.epochs()
            .zip(self.get(name))
            .filter_map(|(epoch, v)| v.filter(|v| v.is_finite()).map(|v| (epoch as f64 + 1.0, v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::callbacks::Logs;
    use std::time::Duration;

    #[test]
    fn one_panel_per_metric_with_validation_curves_and_the_best_epoch() {
        let mut history = History::new();
        for (epoch, (loss, val, acc)) in [(0.9, 1.0, 0.5), (0.6, 0.7, 0.7), (0.4, 0.8, 0.8)].into_iter().enumerate() {
            let mut logs = Logs::new();
            logs.set("accuracy", acc).unwrap();
            logs.set("loss", loss).unwrap();
            logs.set_validation("loss", val).unwrap();
            logs.set("lr", 0.1).unwrap();
            history.record(epoch, logs, Duration::from_millis(5));
        }
        assert_eq!(history.plotted(), ["loss", "accuracy"]);
        history.set_best_epoch(Some(1));
        let svg = history.plot_svg(900, 400).unwrap();
        let texts: Vec<&str> = svg.split("</text>").filter_map(|t| t.rsplit('>').next()).map(str::trim).collect();
        for text in ["loss", "accuracy", "val_loss", "best epoch 2", "epoch"] {
            assert!(texts.contains(&text), "{text} in the plot: {texts:?}");
        }
        assert!(!texts.contains(&"lr") && !texts.contains(&"val_accuracy"));
        // Each curve and its legend entry: training in both panels, validation in the loss
        // panel, the best-epoch line in both.
        let strokes = |c: RGBColor| svg.matches(&std::format!("stroke=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2)).count();
        assert_eq!((strokes(TRAIN), strokes(VALIDATION), strokes(BEST)), (4, 2, 4));
        let dir = std::env::temp_dir().join(std::format!("staticnet-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        history.save_plot(dir.join("curves.svg")).unwrap();
        assert!(std::fs::read_to_string(dir.join("curves.svg")).unwrap().starts_with("<svg"));
    }
}
