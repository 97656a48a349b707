//! gov's own settings: the `GOV_*` keys that say where releases come from
//! and how gov behaves (index URL, mirrors, timeouts, ...). A value comes
//! from the process environment when set and non-empty, else from the
//! `config` file of the state layers, nearest first (`$GOV_HOME/config`).
//! The files use go env's format: `KEY=VALUE` lines, `#` comments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::core::layout::Layout;

/// A setting gov knows, with a line of help for `gov config`.
pub struct Key {
    pub name: &'static str,
    pub help: &'static str,
}

/// Every key a config file may hold.
pub const KEYS: &[Key] = &[
    Key {
        name: "GOV_INDEX_URL",
        help: "release index (go.dev/dl JSON format; https, http or file URL)",
    },
    Key {
        name: "GOV_MIRROR",
        help: "archive base URLs, comma-separated, tried in order",
    },
    Key {
        name: "GOV_INDEX_TTL",
        help: "seconds a cached release index is used before revalidation",
    },
    Key {
        name: "GOV_LOCK_TIMEOUT",
        help: "seconds to wait for another gov's lock",
    },
    Key {
        name: "GOV_RELEASE_BASE",
        help: "where gov's own release artifacts live (self-update)",
    },
    Key {
        name: "GOV_DOCTOR_TIMEOUT",
        help: "seconds per network stage in gov doctor",
    },
];

pub fn is_key(name: &str) -> bool {
    KEYS.iter().any(|k| k.name == name)
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment,
    File(PathBuf),
}

/// The config file of a layer rooted at `home`.
pub fn file_of(home: &Path) -> PathBuf {
    home.join("config")
}

/// Parses a config file's text; unknown lines are ignored here (and
/// reported by `gov config` / doctor).
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

type Loaded = Vec<(PathBuf, BTreeMap<String, String>)>;

/// The layers' files, nearest first, read once per process.
fn loaded() -> &'static Loaded {
    static FILES: OnceLock<Loaded> = OnceLock::new();
    FILES.get_or_init(|| {
        files()
            .into_iter()
            .map(|p| {
                let map = std::fs::read_to_string(&p)
                    .map(|t| parse(&t))
                    .unwrap_or_default();
                (p, map)
            })
            .collect()
    })
}

/// The config files that apply to this process, nearest first.
pub fn files() -> Vec<PathBuf> {
    match Layout::from_env() {
        Ok(l) => vec![file_of(l.home())],
        Err(_) => Vec::new(),
    }
}

/// The value of `key` and where it came from.
pub fn lookup(key: &str) -> Option<(String, Origin)> {
    if let Ok(v) = std::env::var(key)
        && !v.trim().is_empty()
    {
        return Some((v, Origin::Environment));
    }
    loaded().iter().find_map(|(path, map)| {
        map.get(key)
            .filter(|v| !v.is_empty())
            .map(|v| (v.clone(), Origin::File(path.clone())))
    })
}

/// The value of `key`, from the environment or a config file.
pub fn get(key: &str) -> Option<String> {
    lookup(key).map(|(v, _)| v)
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
}
