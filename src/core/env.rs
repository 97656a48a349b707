//! The process environment as the library reads it: one value, built once
//! by the caller (`main`, `App`) and passed down, so a command can run
//! in-process with an environment of its own (tests, orchestrators).
//!
//! `Env::process()` reads the real environment lazily, variable by
//! variable: it costs nothing to build, which keeps the `go` entry path
//! lean. `Env::from_pairs` is a fixed map and never looks at the process.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `None`: the live process environment.
    fixed: Option<Arc<BTreeMap<OsString, OsString>>>,
}

impl Env {
    /// The process environment, read on each lookup.
    pub fn process() -> Env {
        Env { fixed: None }
    }

    /// A given environment (nothing else is visible through it).
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Env
    where
        K: Into<OsString>,
        V: Into<OsString>,
    {
        let map = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Env {
            fixed: Some(Arc::new(map)),
        }
    }

    /// An environment with no variables: every setting at its default.
    pub fn empty() -> Env {
        Env::from_pairs(std::iter::empty::<(OsString, OsString)>())
    }

    /// The raw value of `key`, set or not (empty counts as set).
    pub fn var_os(&self, key: impl AsRef<OsStr>) -> Option<OsString> {
        match &self.fixed {
            None => std::env::var_os(key),
            Some(map) => map.get(key.as_ref()).cloned(),
        }
    }

    /// The value of `key` when it is set and valid UTF-8.
    pub fn var(&self, key: impl AsRef<OsStr>) -> Option<String> {
        self.var_os(key).and_then(|v| v.into_string().ok())
    }

    /// The value of `key` when it is set and not blank: an exported empty
    /// variable means "not set" to gov, as it does to cmd/go.
    pub fn non_empty(&self, key: impl AsRef<OsStr>) -> Option<String> {
        self.var(key).filter(|v| !v.trim().is_empty())
    }

    /// `key` as a path when set and non-empty.
    pub fn path(&self, key: impl AsRef<OsStr>) -> Option<PathBuf> {
        self.var_os(key)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    /// Whether `key` is set to a non-empty value (any bytes).
    pub fn is_set(&self, key: impl AsRef<OsStr>) -> bool {
        self.var_os(key).is_some_and(|v| !v.is_empty())
    }

    /// `$HOME`, when set and non-empty.
    pub fn home(&self) -> Option<PathBuf> {
        self.path("HOME")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_env_sees_only_its_pairs() {
        let env = Env::from_pairs([("GOV_MIRROR", "https://m/go"), ("EMPTY", " ")]);
        assert_eq!(env.var("GOV_MIRROR").as_deref(), Some("https://m/go"));
        assert_eq!(env.var("EMPTY").as_deref(), Some(" "));
        assert_eq!(env.non_empty("EMPTY"), None);
        assert!(!env.is_set("PATH"), "the process PATH is not visible");
        assert_eq!(env.home(), None);
    }
}
