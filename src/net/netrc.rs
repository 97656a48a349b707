//! `~/.netrc` credentials (or `$NETRC`) for private mirrors and index
//! copies, as curl and Go use them: `machine <host> login <user> password
//! <secret>`, with `default` as a fallback entry.

use std::path::PathBuf;

use crate::core::env::Env;
use crate::core::error::{Error, ErrorKind, Result};

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

/// `$NETRC`, else `~/.netrc`: the file gov and Go both read.
pub fn netrc_path() -> Option<PathBuf> {
    let env = Env::process();
    if let Some(p) = env.path("NETRC") {
        return Some(p);
    }
    env.home().or_else(dirs::home_dir).map(|h| h.join(".netrc"))
}

/// The one machine name cmd/go matches for `url`: the URL's host with its
/// port when the URL names one (`host:port`), else the host alone. Every
/// Go release compares the whole `req.URL.Host` (before 1.24 in
/// `auth.AddCredentials`, since then as the first element of the
/// credential prefix), so a bare-host entry does not serve a URL with a
/// port, and gov sends nothing Go would not.
pub fn machine_name(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// The entry for `url` among `entries`, matched as cmd/go matches it: the
/// machine named exactly (see [`machine_name`]). A `default` entry is
/// ignored, as cmd/go ignores it: it would hand one login to every host.
pub fn find(entries: &[(Option<String>, Credentials)], url: &url::Url) -> Option<Credentials> {
    let name = machine_name(url)?;
    entries
        .iter()
        .find(|(m, c)| {
            m.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(&name))
                && !c.login.is_empty()
                && !c.password.is_empty()
        })
        .map(|(_, c)| c.clone())
}

/// Credentials for `url` from the user's netrc file, if any.
pub fn lookup(url: &url::Url) -> Option<Credentials> {
    let text = std::fs::read_to_string(netrc_path()?).ok()?;
    find(&parse(&text), url)
}

/// Largest netrc file `gov proxy login` rewrites.
const MAX_NETRC: u64 = 1 << 20;

/// The URL `gov proxy login` stores credentials for, checked: no spaces or
/// control characters (a newline would forge a second entry), no
/// credentials of its own, https (plain http only to loopback: the secret
/// would travel in the clear).
pub fn login_url(raw: &str) -> Result<url::Url> {
    let shown = crate::core::quote::shown(raw);
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(format!(
            "the URL `{shown}` contains a space or control character"
        ))
        .with_advice("give the proxy's URL alone, e.g. https://goproxy.corp.example"));
    }
    let url = url::Url::parse(raw)
        .map_err(|e| Error::invalid(format!("`{shown}` is not a URL")).with_source(e))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid("the URL carries credentials of its own")
            .with_advice("give the URL without user:secret@; the login goes in --user, the secret on standard input"));
    }
    let plain_ok = url.scheme() == "http" && crate::net::http::is_loopback(&url);
    if url.scheme() != "https" && !plain_ok {
        return Err(Error::invalid(format!(
            "refusing credentials for `{shown}`: only https (or plain http to this machine) keeps the secret off the wire"
        ))
        .with_advice("use the proxy's https URL"));
    }
    if url.host_str().is_none() {
        return Err(Error::invalid(format!("the URL `{shown}` names no host")));
    }
    Ok(url)
}

/// A login or secret netrc can hold: netrc has no quoting, so a space
/// would split it and a newline would start another entry.
pub fn check_token(what: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(format!("the {what} is empty")));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(format!(
            "the {what} contains a space or control character, which a netrc file cannot hold"
        ))
        .with_advice("netrc has no quoting: use a token without spaces"));
    }
    Ok(())
}

/// `text` with the entries for `machines` replaced by `creds`, the rest
/// kept (a `default` entry stays last). A file with macros is left alone:
/// rewriting it could break them.
pub fn with_login(text: &str, machines: &[String], creds: &Credentials) -> Result<String> {
    if text.split_whitespace().any(|t| t == "macdef") {
        return Err(Error::new(
            ErrorKind::State,
            "the netrc file defines macros (macdef), which gov does not rewrite",
        )
        .with_advice("add the entry by hand: machine <host> login <user> password <secret>"));
    }
    let mut kept: Vec<(Option<String>, Credentials)> = parse(text)
        .into_iter()
        .filter(|(m, _)| {
            !m.as_deref()
                .is_some_and(|m| machines.iter().any(|x| x.eq_ignore_ascii_case(m)))
        })
        .collect();
    let default_at = kept
        .iter()
        .position(|(m, _)| m.is_none())
        .unwrap_or(kept.len());
    for (i, m) in machines.iter().enumerate() {
        kept.insert(default_at + i, (Some(m.clone()), creds.clone()));
    }
    let mut out = String::new();
    for (m, c) in kept {
        match m {
            Some(m) => out.push_str(&format!("machine {m}")),
            None => out.push_str("default"),
        }
        out.push_str(&format!(" login {} password {}\n", c.login, c.password));
    }
    Ok(out)
}

/// Root (e.g. `sudo` keeping HOME) writing into another account's
/// directory would leave that account a netrc it cannot read: refused.
fn refuse_other_accounts_dir(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    if crate::core::perms::euid() != 0 {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    match std::fs::metadata(dir) {
        Ok(m) if m.uid() != 0 => Err(Error::invalid(format!(
            "{} belongs to another account (uid {}): a netrc written there by root would lock it out of its own credentials",
            dir.display(),
            m.uid()
        ))
        .with_advice("run `gov proxy login` as that account, or as root with HOME set to root's (`sudo -H`)")),
        _ => Ok(()),
    }
}

/// Where `gov proxy login` wrote, for the user.
pub struct Saved {
    pub path: PathBuf,
    pub machine: String,
    /// The mode the file had when others could read it (now 0600).
    pub was_readable_by_others: Option<u32>,
}

/// Writes `creds` for `url` into the netrc file gov and Go read (mode
/// 0600, atomically; a symlink is refused). A file others could read is
/// rewritten 0600 too, and the caller told.
pub fn save_login(url: &url::Url, creds: &Credentials) -> Result<Saved> {
    use std::os::unix::fs::PermissionsExt;
    let path = netrc_path().ok_or_else(|| {
        Error::new(ErrorKind::State, "there is no home directory for ~/.netrc")
            .with_advice("set NETRC to the file to write")
    })?;
    // A link could make gov rewrite a file elsewhere (another account's,
    // or one every account reads): refused before anything is read.
    let meta = std::fs::symlink_metadata(&path).ok();
    if meta.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
        return Err(Error::invalid(format!(
            "{} is a symlink; gov does not write credentials through a link",
            path.display()
        ))
        .with_advice("point NETRC at the file itself, or replace the link with the file"));
    }
    refuse_other_accounts_dir(&path)?;
    let machine = machine_name(url)
        .ok_or_else(|| Error::invalid(format!("the URL `{url}` names no host")))?;
    let before = crate::core::safe_read::read_no_follow(&path, MAX_NETRC)?;
    let text = before
        .map(|b| crate::core::safe_read::decode(&path, b))
        .transpose()?
        .unwrap_or_default();
    let after = with_login(&text, std::slice::from_ref(&machine), creds)?;
    crate::core::fsutil::write_atomic_mode(&path, after.as_bytes(), 0o600)?;
    let was_readable_by_others = meta
        .map(|m| m.permissions().mode() & 0o777)
        .filter(|mode| mode & 0o077 != 0);
    Ok(Saved {
        path,
        machine,
        was_readable_by_others,
    })
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

    #[test]
    fn the_machine_is_matched_as_go_matches_it() {
        let e = parse(
            "machine proxy.corp.example login old password host-only\nmachine proxy.corp.example:8443 login ci password with-port\ndefault login anon password everyone\n",
        );
        let url = |u: &str| url::Url::parse(u).unwrap_or_else(|e| panic!("{e}"));
        let pw = |u: &str| find(&e, &url(u)).map(|c| c.password);
        assert_eq!(
            pw("https://proxy.corp.example:8443/m").as_deref(),
            Some("with-port")
        );
        // Go compares host:port whole: the bare host's entry does not
        // serve another port, and `default` serves nothing.
        assert_eq!(pw("https://proxy.corp.example:9000/m"), None);
        assert_eq!(
            pw("https://proxy.corp.example/m").as_deref(),
            Some("host-only")
        );
        assert_eq!(pw("https://other.example/m"), None);
        // An entry missing its password is no entry, as for Go.
        let half = parse("machine a.example login ci\n");
        assert_eq!(find(&half, &url("https://a.example/")), None);
        assert_eq!(
            machine_name(&url("https://[::1]:8443/x")).as_deref(),
            Some("[::1]:8443")
        );
    }
}
