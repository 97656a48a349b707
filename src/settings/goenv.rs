//! Go's own configuration layers, as gov must respect them: the process
//! environment (a non-empty value wins), then the user's `go env -w` file
//! (`$GOENV`, else `$XDG_CONFIG_HOME/go/env`, else `~/.config/go/env`), then
//! `$GOROOT/go.env`, then built-in defaults.
//!
//! gov's toolchain policy lives here too: the tools it starts run with
//! `GOTOOLCHAIN=local` unless the user chose a GOTOOLCHAIN in the
//! environment or with `go env -w`. With Go's default (`auto`), a go.mod
//! asking for a newer Go would make `go` download and run another toolchain
//! behind the selection; gov honours go.mod's `toolchain` line itself.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::core::env::Env;

/// The user's `go env -w` file, or None when GOENV=off or no home is known.
pub fn user_env_file() -> Option<PathBuf> {
    user_env_file_in(&Env::process())
}

/// [`user_env_file`] under the environment `env`.
pub fn user_env_file_in(env: &Env) -> Option<PathBuf> {
    if let Some(v) = env.path("GOENV") {
        return (v.as_os_str() != "off").then_some(v);
    }
    if let Some(x) = env.path("XDG_CONFIG_HOME") {
        return Some(x.join("go").join("env"));
    }
    env.home().map(|h| h.join(".config").join("go").join("env"))
}

/// Parses a go env file (`KEY=VALUE` lines, as cmd/go writes them).
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if !line.starts_with(|c: char| c.is_ascii_uppercase()) {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

pub fn read_env_file(path: &Path) -> BTreeMap<String, String> {
    // Every `go` call reads up to three of these, usually absent: one stat
    // says so for half the kernel's price of a failed open.
    if !crate::core::safe_read::present(path) {
        return BTreeMap::new();
    }
    std::fs::read_to_string(path)
        .map(|t| parse_env_file(&t))
        .unwrap_or_default()
}

/// Is `key` set by the user in the environment (non-empty) or in their
/// `go env -w` file? Such settings are never overridden by gov.
pub struct UserSettings {
    env: Env,
    file: Option<BTreeMap<String, String>>,
}

impl UserSettings {
    /// The process environment's and its `go env -w` file's.
    pub fn load() -> UserSettings {
        UserSettings::of(Env::process())
    }

    pub fn of(env: Env) -> UserSettings {
        UserSettings { env, file: None }
    }

    fn file(&mut self) -> &BTreeMap<String, String> {
        let env = &self.env;
        self.file.get_or_insert_with(|| {
            user_env_file_in(env)
                .map(|p| read_env_file(&p))
                .unwrap_or_default()
        })
    }

    pub fn has(&mut self, key: &str) -> bool {
        self.env.is_set(key) || self.file().contains_key(key)
    }
}

/// `go env -w` / `go env -u`: the user is editing their own layer, so gov
/// adds none of its settings (Go would warn that they conflict).
pub fn is_env_write(args: &[OsString]) -> bool {
    args.first().is_some_and(|a| a == "env") && args.get(1).is_some_and(|a| a == "-w" || a == "-u")
}

/// The variables gov sets for a tool of the Go tree at `goroot`: GOROOT,
/// then each setting of gov's profile the user has not set in the
/// environment or with `go env -w`, then the GOTOOLCHAIN policy.
pub fn tool_env(
    goroot: &Path,
    profile: &BTreeMap<String, String>,
    args: &[OsString],
) -> Vec<(OsString, OsString)> {
    let mut user = UserSettings::load();
    let mut env = vec![(OsString::from("GOROOT"), goroot.as_os_str().to_owned())];
    if !is_env_write(args) {
        for (k, v) in profile {
            if !user.has(k) {
                env.push((k.into(), v.into()));
            }
        }
    }
    // Under `go env -w GOTOOLCHAIN=...` an exported GOTOOLCHAIN would make
    // Go warn that the environment overrides what the user is writing.
    if !is_env_write(args) && !user.has("GOTOOLCHAIN") && !profile.contains_key("GOTOOLCHAIN") {
        env.push(("GOTOOLCHAIN".into(), "local".into()));
    }
    env
}

#[cfg(test)]
mod tests {
    #[test]
    fn env_file() {
        let m = super::parse_env_file(
            "GOPROXY=https://goproxy.cn,direct\n# x\n\nGOTOOLCHAIN=auto\nlower=1\n",
        );
        assert_eq!(
            m.get("GOPROXY").map(String::as_str),
            Some("https://goproxy.cn,direct")
        );
        assert_eq!(m.get("GOTOOLCHAIN").map(String::as_str), Some("auto"));
        assert!(!m.contains_key("lower"));
    }
}
