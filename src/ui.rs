//! What gov says to people: status lines and warnings on stderr (stdout is
//! for data), a progress bar only on a terminal, one summary line otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub quiet: bool,
    tty: bool,
}

impl Ui {
    pub fn new(quiet: bool) -> Ui {
        Ui {
            quiet,
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// A progress line; suppressed by --quiet.
    pub fn status(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// Warnings are shown even with --quiet: they ask for attention.
    pub fn warn(&self, msg: &str) {
        eprintln!("warning: {msg}");
    }

    /// A byte progress bar for a download of `total` bytes (if known).
    /// Hidden when quiet or when stderr is not a terminal.
    pub fn progress(&self, total: Option<u64>, label: &str) -> ProgressBar {
        if self.quiet || !self.tty {
            return ProgressBar::hidden();
        }
        let bar = match total {
            Some(t) => {
                ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr_with_hz(10))
            }
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10)),
        };
        let style = ProgressStyle::with_template(
            // wide_bar takes what the terminal has left: one line, any width.
            "{msg} [{wide_bar}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}

/// "66.6 MiB"
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// With GOV_TRACE set, prints how long a phase took (for diagnosing slow
/// installs on odd disks or links).
pub fn trace(phase: &str, since: std::time::Instant) {
    if std::env::var_os("GOV_TRACE").is_some() {
        eprintln!("trace: {phase}: {:.3} s", since.elapsed().as_secs_f64());
    }
}
