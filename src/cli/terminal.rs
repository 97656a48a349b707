//! The terminal side of [`Reporter`]: status lines and warnings on stderr
//! (stdout is for data), a progress bar only on a terminal, one summary line
//! otherwise. The only place gov draws.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::core::report::{NoProgress, Progress, Reporter};

#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub quiet: bool,
    tty: bool,
    trace: bool,
}

impl Terminal {
    pub fn new(quiet: bool) -> Terminal {
        Terminal {
            quiet,
            tty: std::io::stderr().is_terminal(),
            // GOV_TRACE: phase timings, for diagnosing slow installs on odd
            // disks or links.
            trace: std::env::var_os("GOV_TRACE").is_some(),
        }
    }

    pub fn shared(quiet: bool) -> Arc<dyn Reporter> {
        Arc::new(Terminal::new(quiet))
    }
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Reporter for Terminal {
    fn status(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    fn warn(&self, msg: &str) {
        eprintln!("warning: {msg}");
    }

    /// Hidden when quiet or when stderr is not a terminal.
    fn progress(&self, total: Option<u64>, label: &str) -> Arc<dyn Progress> {
        if self.quiet || !self.tty {
            return Arc::new(NoProgress);
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(10));
        let style = ProgressStyle::with_template(
            // wide_bar takes what the terminal has left: one line, any width.
            "{msg} [{wide_bar}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Arc::new(Bar(bar))
    }

    fn trace(&self, phase: &str, elapsed: Duration) {
        if self.trace {
            eprintln!("trace: {phase}: {:.3} s", elapsed.as_secs_f64());
        }
    }
}
