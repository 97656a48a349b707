//! `~/.netrc` credentials (or `$NETRC`) for private mirrors and index
//! copies, as curl and Go use them: `machine <host> login <user> password
//! <secret>`, with `default` as a fallback entry.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

/// Parses netrc text into (machine or None for `default`, credentials).
pub fn parse(text: &str) -> Vec<(Option<String>, Credentials)> {
    let mut out = Vec::new();
    let mut tokens = text.split_whitespace();
    let mut current: Option<(Option<String>, Credentials)> = None;
    while let Some(tok) = tokens.next() {
        match tok {
            "machine" | "default" => {
                if let Some(c) = current.take() {
                    out.push(c);
                }
                let host = if tok == "machine" {
                    tokens.next().map(str::to_string)
                } else {
                    None
                };
                current = Some((
                    host,
                    Credentials {
                        login: String::new(),
                        password: String::new(),
                    },
                ));
            }
            "login" | "password" | "account" => {
                let value = tokens.next().unwrap_or_default().to_string();
                if let Some((_, c)) = current.as_mut() {
                    match tok {
                        "login" => c.login = value,
                        "password" => c.password = value,
                        _ => {}
                    }
                }
            }
            "macdef" => {
                // Macro bodies run to a blank line; credentials never
                // follow inside them, so the rest of the entry is skipped.
                if let Some(c) = current.take() {
                    out.push(c);
                }
                let _ = tokens.next();
            }
            _ => {}
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

fn netrc_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NETRC").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    dirs::home_dir().map(|h| h.join(".netrc"))
}

/// Credentials for `host` from the user's netrc file, if any.
pub fn lookup(host: &str) -> Option<Credentials> {
    let text = std::fs::read_to_string(netrc_path()?).ok()?;
    let entries = parse(&text);
    entries
        .iter()
        .find(|(m, _)| m.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(host)))
        .or_else(|| entries.iter().find(|(m, _)| m.is_none()))
        .map(|(_, c)| c.clone())
        .filter(|c| !c.login.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_machines_and_default() {
        let e = parse(
            "machine goproxy.corp.example login ci password s3cret\n\ndefault login anon password x\n",
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].0.as_deref(), Some("goproxy.corp.example"));
        assert_eq!(e[0].1.password, "s3cret");
        assert_eq!(e[1].0, None);
        assert_eq!(e[1].1.login, "anon");
    }
}
