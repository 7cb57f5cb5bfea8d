//! How the demo build shows its phases. On a terminal, a bar on standard error: the current
//! phase as a step of six (`demo 3/6`, as its log line counts it), its name and how long it has run, ticking steadily so that the long dataset
//! phase visibly moves; each phase's log line is printed above the bar (the bar steps aside
//! while it is written), so the log does not garble it. Elsewhere (a file, a pipe, a service
//! manager), the phase lines in the log only (`demo 3/6: datasets and their disclosure
//! history`), as the log format has them. With no log at all (a library caller, the tests),
//! neither: the bar shows where the phase lines would.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The phases of one build.
pub(super) struct Phases {
    bar: Option<ProgressBar>,
}

impl Phases {
    /// A bar when standard error is a terminal and phase lines are logged; otherwise none.
    pub(super) fn new(total: u64) -> Self {
        let shown = std::io::stderr().is_terminal() && tracing::enabled!(tracing::Level::INFO);
        Self {
            bar: shown.then(|| bar(total)),
        }
    }

    /// Starts phase `step` (from 1) named `name`; `log` writes its log line.
    pub(super) fn start(&self, step: u64, name: &str, log: impl FnOnce()) {
        match &self.bar {
            Some(bar) => {
                bar.suspend(log);
                bar.reset_elapsed();
                bar.set_position(step);
                bar.set_message(name.to_string());
                // Ticking starts with the first phase, so no empty bar shows before it.
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            None => log(),
        }
    }
}

impl Drop for Phases {
    /// The bar leaves the terminal when the build ends, built or failed.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} demo {pos}/{len} [{bar:24}] {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}
