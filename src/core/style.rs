//! How gov's text output looks on the terminal at hand: colour only on a
//! terminal and never with NO_COLOR (https://no-color.org), and ASCII marks
//! when the locale is not UTF-8 (`LC_ALL=C`, a bare cron or systemd env).

/// The locale's character set, as the C library would pick it: the first
/// non-empty of LC_ALL, LC_CTYPE, LANG; none at all is the C locale.
pub fn utf8_locale(env: &Env) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| env.var(k).filter(|v| !v.is_empty()))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

/// NO_COLOR set to anything non-empty turns colour off.
pub fn colour_allowed(env: &Env) -> bool {
    env.var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

use crate::core::env::Env;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub colour: bool,
    pub unicode: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
}

impl Style {
    /// For a stream that is (`tty`) or is not a terminal, in `env`.
    pub fn detect(tty: bool, env: &Env) -> Style {
        Style {
            colour: tty && colour_allowed(env),
            unicode: utf8_locale(env),
        }
    }

    pub const PLAIN: Style = Style {
        colour: false,
        unicode: false,
    };

    /// `text` in the tone's colour, when colour is on.
    pub fn paint(&self, tone: Tone, text: &str) -> String {
        if !self.colour {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "31",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// A check mark: ✓ / ✗ in UTF-8, `+` / `x` otherwise.
    pub fn ok_mark(&self) -> &'static str {
        if self.unicode { "✓" } else { "+" }
    }
    pub fn fail_mark(&self) -> &'static str {
        if self.unicode { "✗" } else { "x" }
    }
    pub fn ellipsis(&self) -> &'static str {
        if self.unicode { "…" } else { "..." }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_and_marks() {
        let s = Style {
            colour: true,
            unicode: false,
        };
        assert_eq!(s.paint(Tone::Bad, "x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Style::PLAIN.paint(Tone::Bad, "x"), "x");
        assert_eq!(s.ok_mark(), "+");
    }
}
