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

/// Text with the password of every `scheme://user:password@host` in it
/// replaced by `xxxxx`, as Go's `url.URL.Redacted` does (`user:xxxxx@`):
/// a GOPROXY or GOV_MIRROR that carries a token must not show it in an
/// error, a report or a JSON answer. Every output sink passes through here.
pub fn redact_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((head, authority, tail)) = next_authority(rest) {
        out.push_str(head);
        match authority.rfind('@').map(|i| authority.split_at(i)) {
            Some((userinfo, host)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or_default();
                out.push_str(user);
                out.push_str(":xxxxx");
                out.push_str(host);
            }
            _ => out.push_str(authority),
        }
        rest = tail;
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Does `text` hold a URL with userinfo (`user@` or `user:password@`)?
/// A user name alone is often a token, so files holding either are kept
/// private.
pub fn holds_userinfo(text: &str) -> bool {
    let mut rest = text;
    while let Some((_, authority, tail)) = next_authority(rest) {
        if authority.contains('@') {
            return true;
        }
        rest = tail;
    }
    false
}

/// Splits `text` at the next URL authority: what comes before it (up to
/// and with `://`), the authority, and the rest. The authority ends where a
/// path, query, fragment, space, quote or the next URL begins; its userinfo
/// ends at its last `@`, as URL parsers read it.
fn next_authority(text: &str) -> Option<(&str, &str, &str)> {
    let at = text.find("://")? + 3;
    let (head, tail) = text.split_at(at);
    let end = tail
        .find(|c: char| "/?#\\\"'<>`".contains(c) || c.is_whitespace() || c.is_control())
        .unwrap_or(tail.len());
    // In a list (`https://a,https://b`), the next URL's scheme is not part
    // of this authority.
    let end = match tail.find("://") {
        Some(next) if next < end => tail[..next]
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || "+.-".contains(c))
            .len(),
        _ => end,
    };
    Some((head, &tail[..end], &tail[end..]))
}

/// [`redact_credentials`] over every string of a JSON document, keys too.
pub fn redact_json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact_credentials(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (redact_credentials(k).into_owned(), redact_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_as_go_does() {
        let cases = [
            ("https://u:tok@h.example/x", "https://u:xxxxx@h.example/x"),
            (
                "GOPROXY=https://u:p,q@a,https://v:w@b|direct",
                "GOPROXY=https://u:xxxxx@a,https://v:xxxxx@b|direct",
            ),
            (
                "`https://u:p@h:8443`: refused",
                "`https://u:xxxxx@h:8443`: refused",
            ),
            ("\"https://u:p@h\"", "\"https://u:xxxxx@h\""),
            ("https://u:p@q@h/", "https://u:xxxxx@h/"),
            // Go keeps a user name without a password.
            ("https://user@h/x", "https://user@h/x"),
            (
                "mail me@example.com, see https://h/a@b",
                "mail me@example.com, see https://h/a@b",
            ),
            ("file:///srv/a@b", "file:///srv/a@b"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_credentials(input), want, "{input}");
        }
        assert!(holds_userinfo("GOPROXY=https://tok@h,direct"));
        assert!(!holds_userinfo("GOPROXY=https://h/a@b,direct"));
        let doc = serde_json::json!({"GOPROXY": ["https://u:p@h"], "https://u:p@k": 1});
        let text = redact_json(&doc).to_string();
        assert!(!text.contains(":p@"), "{text}");
    }

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
