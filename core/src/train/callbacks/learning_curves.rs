//! Learning curves of a [`History`] as an SVG or PNG picture (feature `plot`, with
//! `plotters`; PNG encoded by `png`).
//!
//! One panel per metric (`loss` first, then the others in logging order; `lr` is left
//! out), each with the training curve and, when logged, the validation curve (`val_*`)
//! against the epoch counted from 1. The epoch set by [`History::set_best_epoch`] (the
//! one early stopping restored) is marked with a vertical line in every panel. The legend
//! sits top right for a value that falls (losses), bottom right for one that rises
//! (accuracy, R²).
//!
//! Text in a PNG needs a font: plotters' `ab_glyph` engine with DejaVu Sans cut down to
//! ASCII (10 KB, Bitstream Vera licence, `core/fonts/`), compiled in and registered as
//! `sans-serif`, so that a plot needs no system fonts.

use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::history::History;
use crate::io::write_atomic;

/// Training and validation colours.
const TRAIN: RGBColor = RGBColor(31, 119, 180);
const VALIDATION: RGBColor = RGBColor(255, 127, 14);
const BEST: RGBColor = RGBColor(44, 160, 44);

/// The font of every label: DejaVu Sans, printable ASCII only (see `core/fonts/LICENSE`).
static FONT: &[u8] = include_bytes!("../../../fonts/DejaVuSans-ascii.ttf");

/// Registers the font the learning curves are drawn with (DejaVu Sans, printable ASCII)
/// as plotters' `sans-serif`, once per program. The history's plots call it; a program
/// that draws its own plotters charts in the same build calls it first, since plotters'
/// `ab_glyph` text engine (enabled by the `plot` feature) knows no font until one is
/// registered.
pub fn register_plot_font() -> Result<(), String> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err("the plot's built-in font does not load".to_string()) }
}

/// The picture formats [`History::save_plot`] writes, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Svg,
    Png,
}

impl Format {
    fn of(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "svg" => Some(Format::Svg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }
}

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
        let mut svg = String::new();
        self.draw(SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area())?;
        Ok(svg)
    }

    /// The learning curves as a PNG file's bytes (8-bit RGB), `width` × `height` pixels.
    pub fn plot_png(&self, width: u32, height: u32) -> Result<Vec<u8>, String> {
        let mut rgb = std::vec![0u8; width as usize * height as usize * 3];
        self.draw(BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area())?;
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        Ok(bytes)
    }

    /// Draws the panels on `root`.
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        register_plot_font()?;
        let names = self.plotted();
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
            // The legend where the curves end up away from: low for a value that rises.
            let rises = super::MonitorMode::Auto.resolve(name) == super::MonitorMode::Max;
            let corner = if rises { SeriesLabelPosition::LowerRight } else { SeriesLabelPosition::UpperRight };
            chart
                .configure_series_labels()
                .position(corner)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())
    }

    /// Writes the learning curves (one 450 × 400 panel per metric) to `path`, atomically:
    /// SVG for a `.svg` file, PNG for a `.png` file; another extension is an
    /// [`InvalidInput`](std::io::ErrorKind::InvalidInput) error and writes nothing.
    pub fn save_plot(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        let (width, height) = (450 * self.plotted().len().max(1) as u32, 400);
        let bytes = match Format::of(path) {
            Some(Format::Svg) => self.plot_svg(width, height).map(String::into_bytes),
            Some(Format::Png) => self.plot_png(width, height),
            None => {
                let what = std::format!("{}: a plot is written as .svg or .png", path.display());
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, what));
            }
        };
        write_atomic(path, &bytes.map_err(std::io::Error::other)?)
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

    #[test]
    fn save_plot_writes_svg_or_png_by_extension_atomically() {
        let mut history = History::new();
        for (epoch, (loss, val)) in [(0.9, 1.0), (0.6, 0.7), (0.4, 0.8)].into_iter().enumerate() {
            let mut logs = Logs::new();
            logs.set("loss", loss).unwrap();
            logs.set_validation("loss", val).unwrap();
            history.record(epoch, logs, Duration::from_millis(5));
        }
        history.set_best_epoch(Some(1));
        let dir = std::env::temp_dir().join(std::format!("staticnet-png-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        history.save_plot(dir.join("curves.svg")).unwrap();
        history.save_plot(dir.join("curves.PNG")).unwrap();
        assert!(std::fs::read_to_string(dir.join("curves.svg")).unwrap().starts_with("<svg"));
        let png_bytes = std::fs::read(dir.join("curves.PNG")).unwrap();
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n", "the PNG signature");
        let mut reader = png::Decoder::new(std::io::Cursor::new(&png_bytes)).read_info().unwrap();
        let mut pixels = std::vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((frame.width, frame.height), (450, 400), "one panel");
        let pixels = &pixels[..frame.buffer_size()];
        let colour = |c: RGBColor| pixels.chunks(3).filter(|p| p == &[c.0, c.1, c.2]).count();
        assert!(pixels.chunks(3).any(|p| p == [255, 255, 255]), "a white background");
        assert!(
            colour(TRAIN) > 100 && colour(VALIDATION) > 100 && colour(BEST) > 50,
            "the curves and the best epoch are drawn"
        );
        // Text is drawn with the built-in font: the caption `loss`, centred above the
        // chart (rows 0..35, where nothing else is drawn), has dark pixels.
        let caption = (0..35).flat_map(|y| (150..300).map(move |x| (y * 450 + x) * 3));
        let dark = caption.filter(|&i| pixels[i..i + 3].iter().all(|&v| v < 100)).count();
        assert!(dark > 30, "the caption drawn: {dark} dark pixels");
        // Unwritable targets: an error, nothing written, no temporary file left.
        std::fs::create_dir(dir.join("taken.png")).unwrap();
        assert!(history.save_plot(dir.join("taken.png")).is_err(), "a directory is in the way");
        assert!(history.save_plot(dir.join("missing").join("curves.png")).is_err(), "no such directory");
        let err = history.save_plot(dir.join("curves.jpg")).unwrap_err();
        assert_eq!(
            err.to_string(),
            std::format!("{}: a plot is written as .svg or .png", dir.join("curves.jpg").display())
        );
        let mut names: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["curves.PNG", "curves.svg", "taken.png"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
