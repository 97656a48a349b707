//! gov's own settings: the `GOV_*` keys that say where releases come from
//! and how gov behaves (index URL, mirrors, timeouts, ...). A value comes
//! from the process environment when set and non-empty, else from the
//! `config` file of the state layers, nearest first: the account's own
//! (`$GOV_HOME/config`), then the system layer's
//! (`$GOV_SYSTEM_HOME/config`). `gov config` shows and changes them.
//! The files use go env's format: `KEY=VALUE` lines, `#` comments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::core::layout::Layout;

/// What values a key takes, for validation by `gov config set`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One URL.
    Url,
    /// Comma-separated URLs.
    UrlList,
    /// A whole number (seconds, counts).
    Number,
    /// One of a fixed set of words.
    Word(&'static [&'static str]),
}

/// A setting gov knows, with its default and a line of help.
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// The built-in value, as `gov config show` prints it.
    pub default: &'static str,
    pub help: &'static str,
}

/// Every key a config file may hold.
pub const KEYS: &[Key] = &[
    Key {
        name: "GOV_INDEX_URL",
        kind: Kind::Url,
        default: "https://go.dev/dl/?mode=json&include=all",
        help: "release index (go.dev/dl JSON format; https, http or file URL)",
    },
    Key {
        name: "GOV_MIRROR",
        kind: Kind::UrlList,
        default: "https://dl.google.com/go",
        help: "archive base URLs, comma-separated, tried in order",
    },
    Key {
        name: "GOV_INDEX_TTL",
        kind: Kind::Number,
        default: "3600",
        help: "seconds a cached release index is used before revalidation",
    },
    Key {
        name: "GOV_LOCK_TIMEOUT",
        kind: Kind::Number,
        default: "3600",
        help: "seconds to wait for another gov's lock",
    },
    Key {
        name: "GOV_RELEASE_BASE",
        kind: Kind::Url,
        default: "https://github.com/gov-dev/gov/releases/latest/download",
        help: "where gov's own release artifacts live (install.sh, self-update)",
    },
    Key {
        name: "GOV_ALLOW_HTTP",
        kind: Kind::Word(&["0", "1"]),
        default: "0",
        help: "1 allows plain http to hosts other than loopback (intranet mirrors)",
    },
    Key {
        name: "GOV_DOCTOR_TIMEOUT",
        kind: Kind::Number,
        default: "5",
        help: "seconds per network stage in gov doctor and gov proxy check",
    },
    Key {
        name: "GOV_HTTP_RETRIES",
        kind: Kind::Number,
        default: "3",
        help: "retries of transient failures (connection errors, 5xx, 429) per mirror",
    },
    Key {
        name: "GOV_HTTP_BACKOFF_MS",
        kind: Kind::Number,
        default: "500",
        help: "first retry delay in milliseconds; doubles each time",
    },
    Key {
        name: "GOV_HTTP_CONNECT_TIMEOUT",
        kind: Kind::Number,
        default: "15",
        help: "seconds to connect",
    },
    Key {
        name: "GOV_HTTP_READ_TIMEOUT",
        kind: Kind::Number,
        default: "60",
        help: "seconds without data before a transfer counts as stalled",
    },
    Key {
        name: "GOV_HTTP_DEADLINE",
        kind: Kind::Number,
        default: "120",
        help: "seconds a whole document (index, checksum database, vulnerability data) may take, retries included; a download's body gets this plus its size at 16 KiB/s",
    },
    Key {
        name: "GOV_SOURCE",
        kind: Kind::Word(&["release", "proxy", "auto"]),
        default: "auto",
        help: "where toolchains come from: release archives, the module proxy (GOPROXY, verified by GOSUMDB), or auto (release, then the proxy when unreachable)",
    },
    Key {
        name: "GOV_VULNDB",
        kind: Kind::UrlList,
        default: "https://vuln.go.dev",
        help: "Go vulnerability database URL(s), comma-separated (https, http or file); else GOVULNDB",
    },
    Key {
        name: "GOV_VULNDB_TTL",
        kind: Kind::Number,
        default: "3600",
        help: "seconds cached vulnerability data is used before revalidation",
    },
];

pub fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment,
    /// A layer's config file (`system` tells which layer).
    File {
        path: PathBuf,
        system: bool,
    },
}

/// The config file of a layer rooted at `home` (as `Layout::config_file`).
pub fn file_of(home: &Path) -> PathBuf {
    home.join("config")
}

/// Parses a config file's text; unknown lines are ignored here (and
/// reported by `gov config show`).
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

/// The config files that apply to this process, nearest first, each with
/// whether it is the system layer's. For root (whose layer is the system
/// layer by default) there is one.
pub fn files() -> Vec<(PathBuf, bool)> {
    let system = file_of(&crate::core::layout::system_home());
    let mut out = Vec::new();
    if let Ok(l) = Layout::from_env()
        && l.config_file() != system
    {
        out.push((l.config_file(), false));
    }
    out.push((system, true));
    out
}

type Loaded = Vec<(PathBuf, bool, BTreeMap<String, String>)>;

/// The layers' files, nearest first, read once per process.
fn loaded() -> &'static Loaded {
    static FILES: OnceLock<Loaded> = OnceLock::new();
    FILES.get_or_init(|| {
        files()
            .into_iter()
            .map(|(p, system)| {
                let map = std::fs::read_to_string(&p)
                    .map(|t| parse(&t))
                    .unwrap_or_default();
                (p, system, map)
            })
            .collect()
    })
}

/// The value of `key` and where it came from.
pub fn lookup(key: &str) -> Option<(String, Origin)> {
    if let Ok(v) = std::env::var(key)
        && !v.trim().is_empty()
    {
        return Some((v, Origin::Environment));
    }
    loaded().iter().find_map(|(path, system, map)| {
        map.get(key).filter(|v| !v.is_empty()).map(|v| {
            (
                v.clone(),
                Origin::File {
                    path: path.clone(),
                    system: *system,
                },
            )
        })
    })
}

/// The value of `key`, from the environment or a config file.
pub fn get(key: &str) -> Option<String> {
    lookup(key).map(|(v, _)| v)
}

/// A duration in seconds from `key` (a cache's TTL), else `default_secs`.
pub fn seconds(key: &str, default_secs: u64) -> std::time::Duration {
    let secs = get(key)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default_secs);
    std::time::Duration::from_secs(secs)
}

/// Seconds since the epoch, as cache metadata records them (0 if the clock
/// is before 1970).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes a layer's settings file (its `config` or its proxy profile) in
/// one atomic step. A URL with credentials in it keeps the file private
/// (0600). The system layer, which every account reads, refuses them: each
/// account keeps its own secrets in its `~/.netrc`, which gov and Go read.
pub fn write_settings_file(
    layout: &Layout,
    path: &Path,
    text: &str,
) -> crate::core::error::Result<()> {
    use crate::core::fsutil;
    let private = crate::core::quote::holds_userinfo(text);
    if private && layout.is_system() {
        return Err(crate::core::error::Error::invalid(format!(
            "refusing credentials in a URL in {}: the system layer's settings are read by every account",
            path.display()
        ))
        .with_advice(
            "give the URL without `user:password@` and put the credentials in ~/.netrc of each account that needs them \
             (machine <host> login <user> password <secret>, mode 0600); gov and Go both read it",
        ));
    }
    fsutil::create_dir_all(layout.home())?;
    let mode = if private { 0o600 } else { fsutil::FILE_MODE };
    fsutil::write_atomic_mode(path, text.as_bytes(), mode)
}

/// Renders a config file: a header, then the keys sorted.
pub fn render(values: &BTreeMap<String, String>) -> String {
    let mut s =
        String::from("# gov's settings for this layer; change with `gov config set KEY=VALUE`\n");
    for (k, v) in values.iter().filter(|(k, _)| !k.is_empty()) {
        s.push_str(&format!("{k}={v}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_skips_comments_and_blank_lines() {
        let m = parse("# c\n\nGOV_MIRROR = https://m/go\nGOV_INDEX_URL=file:///x\n");
        assert_eq!(
            m.get("GOV_MIRROR").map(String::as_str),
            Some("https://m/go")
        );
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn render_round_trips() {
        let mut m = BTreeMap::new();
        m.insert(
            "GOV_MIRROR".to_string(),
            "https://a/go,https://b/go".to_string(),
        );
        assert_eq!(parse(&render(&m)), m);
    }

    #[test]
    fn keys_are_unique_and_documented() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(k.name.starts_with("GOV_") && !k.help.is_empty());
            assert!(KEYS[i + 1..].iter().all(|o| o.name != k.name), "{}", k.name);
        }
    }
}
