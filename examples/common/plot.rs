//! `--plot FILE`: the learning curves of a run's `History`, as SVG or PNG by the file's
//! extension (needs the `plot` feature: `cargo run --release --features plot --example ...`).

use std::path::Path;

use staticnet::train::callbacks::History;

/// Writes `history`'s curves to `path`, if one was given.
pub fn save(history: &History, path: Option<&Path>) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    #[cfg(feature = "plot")]
    {
        history.save_plot(path).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("learning curves written to {}", path.display());
        Ok(())
    }
    #[cfg(not(feature = "plot"))]
    {
        let _ = history;
        Err(format!("--plot {}: the example was built without plots; add `--features plot`", path.display()))
    }
}
