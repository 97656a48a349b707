//! The render context of one run: what the terminal at hand can show and
//! what the flags asked for, read once at the start (streams, NO_COLOR,
//! the locale, `--quiet`, GOV_TRACE) and passed to whatever writes, so no
//! printer looks at the environment on its own.

use std::io::IsTerminal;

use crate::core::env::Env;
use crate::core::style::{Style, colour_allowed, utf8_locale};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// How data and reports look on stdout.
    pub stdout: Style,
    /// How status lines, warnings and errors look on stderr.
    pub stderr: Style,
    /// stderr is a terminal: progress bars rather than progress lines.
    pub stderr_tty: bool,
    /// `--quiet`: only warnings and errors.
    pub quiet: bool,
    /// GOV_TRACE: phase timings on stderr.
    pub trace: bool,
}

impl Output {
    /// The context for this process's streams and environment.
    pub fn detect(quiet: bool, env: &Env) -> Output {
        let colour = colour_allowed(env);
        let unicode = utf8_locale(env);
        let style = |tty: bool| Style {
            colour: tty && colour,
            unicode,
        };
        let stderr_tty = std::io::stderr().is_terminal();
        Output {
            stdout: style(std::io::stdout().is_terminal()),
            stderr: style(stderr_tty),
            stderr_tty,
            quiet,
            trace: env.var_os("GOV_TRACE").is_some(),
        }
    }
}
