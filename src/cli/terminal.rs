//! The terminal side of [`Reporter`]: status lines and warnings on stderr
//! (stdout is for data), a progress bar only on a terminal, one summary line
//! otherwise. The only place gov draws.

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::core::quote::redact_credentials;
use crate::core::report::{NoProgress, Progress, Reporter, human_bytes};
use crate::core::style::Tone;

use super::render::Output;

/// Draws on stderr as the run's render context says (`--quiet`, colour,
/// a terminal or a log, GOV_TRACE for diagnosing slow installs).
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    out: Output,
}

impl Terminal {
    pub fn new(out: Output) -> Terminal {
        Terminal { out }
    }

    /// A terminal reporter for this process's streams: for entry points
    /// that run outside the CLI (GOV_AUTO_INSTALL from a `go` call).
    pub fn shared(quiet: bool) -> Arc<dyn Reporter> {
        let env = crate::core::env::Env::process();
        Arc::new(Terminal::new(Output::detect(quiet, &env)))
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

/// Progress for logs (CI, `| tee`): a line at each tenth of a known
/// total, or every 32 MiB of an unknown one. No redraws, no escapes.
struct Lines {
    label: String,
    total: Option<u64>,
    done: AtomicU64,
    /// The next tenth (1..=10) or 32 MiB step to report.
    next: AtomicU64,
}

const UNKNOWN_STEP: u64 = 32 << 20;

impl Progress for Lines {
    fn advance(&self, bytes: u64) {
        let done = self.done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let step = self.next.load(Ordering::Relaxed);
        let (reached, line) = match self.total {
            Some(total) if total > 0 => {
                let tenths = (done.saturating_mul(10) / total).min(10);
                (
                    tenths,
                    format!(
                        "{}: {}% ({} of {})",
                        self.label,
                        tenths * 10,
                        human_bytes(done),
                        human_bytes(total)
                    ),
                )
            }
            _ => (
                done / UNKNOWN_STEP,
                format!("{}: {}", self.label, human_bytes(done)),
            ),
        };
        if reached >= step
            && self
                .next
                .compare_exchange(step, reached + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            eprintln!("{line}");
        }
    }
    fn finish(&self) {}
}

impl Reporter for Terminal {
    fn status(&self, msg: &str) {
        if !self.out.quiet {
            eprintln!("{}", redact_credentials(msg));
        }
    }

    fn warn(&self, msg: &str) {
        let prefix = self.out.stderr.paint(Tone::Warn, "warning:");
        eprintln!("{prefix} {}", redact_credentials(msg));
    }

    /// A bar on a terminal; a line per tenth otherwise; nothing when quiet.
    fn progress(&self, total: Option<u64>, label: &str) -> Arc<dyn Progress> {
        if self.out.quiet {
            return Arc::new(NoProgress);
        }
        if !self.out.stderr_tty {
            return Arc::new(Lines {
                label: label.to_string(),
                total,
                done: AtomicU64::new(0),
                next: AtomicU64::new(1),
            });
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
        if self.out.trace {
            eprintln!("trace: {phase}: {:.3} s", elapsed.as_secs_f64());
        }
    }
}
