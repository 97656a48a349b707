//! Quoting values for the shells and files gov writes code into.

/// Quotes a string for POSIX sh (single quotes, with `'` escaped).
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Quotes a string for fish, whose single quotes know two escapes (`\\`
/// and `\'`): POSIX quoting of a value ending in a backslash would let fish
/// read on past the closing quote.
pub fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

/// Quotes a value for systemd's environment.d files: double quotes (inside
/// which `\\` and `"` are escaped), and `$` doubled, since systemd expands
/// `$VAR` after removing quotes. Plain paths stay unquoted.
pub fn environment_d_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_string();
    }
    format!(
        "\"{}\"",
        s.replace('\\', r"\\")
            .replace('"', "\\\"")
            .replace('$', "$$")
    )
}

/// Quoting for the shells `gov env --shell` and `gov init` speak.
pub fn for_shell(shell: &str, s: &str) -> String {
    match shell {
        "fish" => fish_quote(s),
        _ => sh_quote(s),
    }
}

/// Text from outside (a file's content, a path in a checkout) made safe to
/// print: control characters, bidirectional overrides and other invisible
/// characters escaped, so nothing printed can move the cursor, recolour the
/// terminal or disguise itself; cut to a few hundred characters.
pub fn shown(s: &str) -> String {
    excerpt(s, 256)
}

/// Like [`shown`], cut to at most `max` characters as printed, escapes
/// counted as printed (so a run of control characters cannot make it ten
/// times longer), never inside an escape; a cut is marked with `…`.
pub fn excerpt(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        let escaped = c.is_control() || is_invisible(c);
        let w = if escaped {
            c.escape_default().count()
        } else {
            1
        };
        if width + w > max {
            out.push('…');
            break;
        }
        width += w;
        if escaped {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Control characters (newline, carriage return, escape, NUL...) have no
/// place in a path gov writes into a script or a configuration file.
pub fn check_no_control(what: &str, value: &str) -> crate::core::error::Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(crate::core::error::Error::invalid(format!(
            "{what} `{}` contains the control character {}",
            shown(value),
            c.escape_default()
        ))
        .with_advice("choose a path without newlines or other control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fish_and_environment_d() {
        assert_eq!(fish_quote(r"a\"), r"'a\\'");
        assert_eq!(fish_quote("it's"), r"'it\'s'");
        assert_eq!(environment_d_quote("/usr/local/bin"), "/usr/local/bin");
        assert_eq!(
            environment_d_quote(r#"/a "b"\$HOME"#),
            r#""/a \"b\"\\$$HOME""#
        );
    }

    #[test]
    fn shown_escapes_and_cuts() {
        assert_eq!(shown("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(shown("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(shown("é"), "é");
        // Escapes count as printed: forty backspaces are not 240 characters.
        let cut = excerpt(&"\u{8}".repeat(40), 20);
        assert_eq!(cut, format!("{}…", "\\u{8}".repeat(4)));
        assert_eq!(excerpt("ab\ncd", 3), "ab…");
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("/a b"), "'/a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }
}
