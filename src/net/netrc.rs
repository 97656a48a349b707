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

/// The machine names a URL's credentials may sit under, best first: with an
/// explicit port `host:port` (what Go 1.24+ matches), then the bare host
/// (what earlier Go and curl match); without a port, the host alone.
pub fn machine_names(url: &url::Url) -> Vec<String> {
    let Some(host) = url.host_str() else {
        return Vec::new();
    };
    match url.port() {
        Some(port) => vec![format!("{host}:{port}"), host.to_string()],
        None => vec![host.to_string()],
    }
}

/// The entry for `url` among `entries`: the first machine name that has
/// one, else `default`.
pub fn find(entries: &[(Option<String>, Credentials)], url: &url::Url) -> Option<Credentials> {
    let named = machine_names(url).into_iter().find_map(|name| {
        entries
            .iter()
            .find(|(m, _)| m.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(&name)))
    });
    named
        .or_else(|| entries.iter().find(|(m, _)| m.is_none()))
        .map(|(_, c)| c.clone())
        .filter(|c| !c.login.is_empty())
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
    pub machines: Vec<String>,
    /// A bare-host entry with other credentials, kept: it may serve
    /// another service on that host (Go 1.23 and earlier use it).
    pub kept: Option<String>,
}

/// Writes `creds` for `url` into the netrc file gov and Go read (mode
/// 0600, atomically; a symlink is refused).
pub fn save_login(url: &url::Url, creds: &Credentials) -> Result<Saved> {
    let path = netrc_path().ok_or_else(|| {
        Error::new(ErrorKind::State, "there is no home directory for ~/.netrc")
            .with_advice("set NETRC to the file to write")
    })?;
    // A link could make gov rewrite a file elsewhere (another account's,
    // or one every account reads): refused before anything is read.
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::invalid(format!(
            "{} is a symlink; gov does not write credentials through a link",
            path.display()
        ))
        .with_advice("point NETRC at the file itself, or replace the link with the file"));
    }
    refuse_other_accounts_dir(&path)?;
    let before = crate::core::safe_read::read_no_follow(&path, MAX_NETRC)?;
    let text = before
        .map(|b| crate::core::safe_read::decode(&path, b))
        .transpose()?
        .unwrap_or_default();
    let mut machines = machine_names(url);
    let entries = parse(&text);
    let mut kept = None;
    if let [_, host] = machines.as_slice()
        && entries
            .iter()
            .any(|(m, c)| m.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(host)) && c != creds)
    {
        kept = machines.pop();
    }
    let after = with_login(&text, &machines, creds)?;
    crate::core::fsutil::write_atomic_mode(&path, after.as_bytes(), 0o600)?;
    Ok(Saved {
        path,
        machines,
        kept,
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
    fn a_port_picks_host_port_first_and_falls_back_to_the_host() {
        let e = parse(
            "machine proxy.corp.example login old password host-only\nmachine proxy.corp.example:8443 login ci password with-port\n",
        );
        let url = |u: &str| url::Url::parse(u).unwrap_or_else(|e| panic!("{e}"));
        let pw = |u: &str| find(&e, &url(u)).map(|c| c.password);
        assert_eq!(
            pw("https://proxy.corp.example:8443/m").as_deref(),
            Some("with-port")
        );
        assert_eq!(
            pw("https://proxy.corp.example:9000/m").as_deref(),
            Some("host-only")
        );
        assert_eq!(
            pw("https://proxy.corp.example/m").as_deref(),
            Some("host-only")
        );
        // The default port is no port, as Go's URL parser would not drop it
        // but the entry for the bare host still serves.
        assert_eq!(
            pw("https://proxy.corp.example:443/m").as_deref(),
            Some("host-only")
        );
        assert_eq!(pw("https://other.example:8443/m"), None);
        let only_port = parse("machine proxy.corp.example:8443 login ci password p\n");
        assert_eq!(find(&only_port, &url("https://proxy.corp.example/m")), None);
    }
}
