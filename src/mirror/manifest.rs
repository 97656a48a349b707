//! The mirror's manifest, `.gov-mirror.json`: every file sync wrote, with
//! its sha256 and how it looked on disk (size, mtime, ctime, inode) right
//! after. A re-sync trusts a file whose stat still matches without reading
//! it, which keeps a sync with nothing new well under a second however big
//! the mirror; a file whose stat changed is re-hashed. `gov mirror verify`
//! never trusts the manifest: it re-hashes everything.
//!
//! It also remembers the last selection, `--url` and `--dist`, so a scheduled
//! `gov mirror sync <dir>` repeats what the operator chose.
//!
//! Whoever can write the mirror folder can write the manifest: it is read
//! bounded and without following links, used only when it and its folder
//! are the caller's own, and every name in it is checked as upstream names
//! are before sync stats, hashes or prunes anything by it.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::quote::shown;
use crate::core::{fsutil, perms, safe_read};
use crate::install::parse_archive_name;
use crate::mirror::toolchains::ModuleEntry;
use crate::mirror::{artifacts, select};
use crate::net::index::ReleaseFile;

pub const FILE: &str = ".gov-mirror.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub selection: Option<StoredSelection>,
    /// `--dist`, when gov's artifacts come from a local scripts/dist output.
    #[serde(default)]
    pub dist: Option<PathBuf>,
    /// By file name.
    #[serde(default)]
    pub files: BTreeMap<String, Entry>,
    /// `--modules off`: the release layout only.
    #[serde(default)]
    pub without_modules: bool,
    /// The toolchain module versions published, by module version.
    #[serde(default)]
    pub modules: BTreeMap<String, ModuleEntry>,
    /// The checksum database's verifier key the snapshot was proven with
    /// (`gov mirror verify` checks it offline against it).
    #[serde(default)]
    pub sumdb_key: Option<String>,
}

/// The selection flags of the last sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSelection {
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub lines: Option<usize>,
    #[serde(default)]
    pub arches: Vec<String>,
}

/// A Go archive's place in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// `go1.22.5`
    pub version: String,
    pub stable: bool,
    /// The upstream index's entry, as published.
    pub file: ReleaseFile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub sha256: String,
    #[serde(flatten)]
    pub stat: Stat,
    /// Set for Go archives; gov's own artifacts have none.
    #[serde(default)]
    pub release: Option<Held>,
}

/// What a write leaves behind. ctime cannot be set back by a user, so a
/// file rewritten in place and `touch`ed to its old mtime still differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
}

impl Stat {
    pub fn of(path: &Path) -> Option<Stat> {
        let m = std::fs::symlink_metadata(path).ok()?;
        if !m.is_file() {
            return None;
        }
        Some(Stat {
            size: m.len(),
            mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
            ctime_ns: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
            ino: m.ino(),
        })
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// A real manifest holds a few hundred bytes per file; this is thousands
/// of archives.
pub const MAX_BYTES: u64 = 16 << 20;

/// A name the manifest may hold: exactly what sync itself writes (a Go
/// release archive or gov's own artifact under its release name), checked
/// as upstream names are. Nothing with a path, a dot in front or another
/// shape, so a manifest can never name `../../etc/x` for a prune.
pub fn valid_name(name: &str) -> bool {
    select::safe_name(name)
        && (parse_archive_name(name).is_some()
            || (name.starts_with("gov-") && name.ends_with(".tar.gz")))
}

fn valid_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why an entry of the manifest is unusable, if it is.
fn entry_problem(name: &str, e: &Entry) -> Option<String> {
    if !valid_name(name) {
        return Some(format!("names `{}`, not a file sync writes", shown(name)));
    }
    if !valid_sha256(&e.sha256) {
        return Some(format!("gives {name} no valid sha256"));
    }
    match &e.release {
        Some(h) if h.file.filename != name => {
            Some(format!("lists `{}` under {name}", shown(&h.file.filename)))
        }
        Some(h) => select::check_entry(&h.version, &h.file)
            .err()
            .map(|why| shown(&why)),
        None if parse_archive_name(name).is_some() => {
            Some(format!("gives the Go archive {name} no release"))
        }
        None => None,
    }
}

/// Parses a manifest's bytes: a pure function (fuzzed), never trusting what
/// it reads. Entries whose names or fields are not what sync writes are
/// left out, a `url` that could not be stamped into install.sh too; each
/// is described in the second value. Damaged JSON gives an empty manifest
/// (every file present is hashed again), never an error.
pub fn parse(bytes: &[u8]) -> (Manifest, Vec<String>) {
    let mut m: Manifest = match serde_json::from_slice(bytes) {
        Ok(m) => m,
        Err(e) => {
            return (
                Manifest::default(),
                vec![format!(
                    "is damaged ({}); every file present is hashed again",
                    shown(&e.to_string())
                )],
            );
        }
    };
    let mut dropped = Vec::new();
    m.files.retain(|name, e| match entry_problem(name, e) {
        Some(why) => {
            dropped.push(format!("{why}; that entry is ignored"));
            false
        }
        None => true,
    });
    m.modules.retain(|modver, e| {
        let ok = modver.starts_with("v0.0.1-go")
            && select::safe_name(modver)
            && valid_sha256(&e.archive_sha256)
            && valid_name(&e.archive);
        if !ok {
            dropped.push(format!(
                "names the module version `{}` wrongly; that entry is ignored",
                shown(modver)
            ));
        }
        ok
    });
    if let Some(u) = m.url.take() {
        match artifacts::check_stamp_url(&u) {
            Ok(u) => m.url = Some(u),
            Err(e) => dropped.push(format!("{}; the URL is ignored", shown(e.message()))),
        }
    }
    (m, dropped)
}

/// Is this file (or folder) the caller's own: owned by it or root, and
/// writable by nobody else?
fn callers_own(meta: &std::fs::Metadata) -> bool {
    perms::loose(meta, perms::euid(), false).is_none()
}

/// The manifest, or an empty one when there is none. Read as any file in a
/// folder others may write: bounded, never through a link, never blocking.
/// Only a manifest that, with its folder, is the caller's own is used at all
/// (it decides what is hashed, where gov's artifacts come from and what
/// install.sh points at). A damaged or refused manifest costs a re-hash of
/// what is present, never a wrong answer: `warn` hears about it.
pub fn read(dir: &Path, warn: &dyn Fn(&str)) -> Manifest {
    let p = path(dir);
    let shown_p = shown(&p.to_string_lossy());
    let dir_meta = std::fs::symlink_metadata(dir).ok();
    if perms::euid() == 0
        && let Some(l) = perms::check_one(dir, 0)
    {
        warn(&format!(
            "the mirror folder {}: {}; another account could change what hosts install from it (`chown root:` and `chmod go-w` it)",
            shown(&l.path.to_string_lossy()),
            l.why
        ));
    }
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&p)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Manifest::default(),
        Err(e) => {
            warn(&format!(
                "{shown_p} cannot be opened ({e}; a link is never followed); every file present is hashed again"
            ));
            return Manifest::default();
        }
    };
    let bytes = match safe_read::read_open(&file, &p, MAX_BYTES) {
        Ok(b) => b,
        Err(e) => {
            warn(&format!(
                "{}; every file present is hashed again",
                e.message()
            ));
            return Manifest::default();
        }
    };
    let own = file.metadata().is_ok_and(|m| callers_own(&m))
        && dir_meta.as_ref().is_some_and(callers_own);
    if !own {
        warn(&format!(
            "{shown_p} or its folder is another account's or writable by others: it is ignored, and every file present is hashed again"
        ));
        return Manifest::default();
    }
    let (m, dropped) = parse(&bytes);
    for why in dropped {
        warn(&format!("{shown_p} {why}"));
    }
    m
}

/// Writes the manifest if it changed.
pub fn write(dir: &Path, m: &Manifest) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(m)
        .map_err(|e| Error::new(ErrorKind::Io, "cannot encode the manifest").with_source(e))?;
    bytes.push(b'\n');
    let p = path(dir);
    // Unchanged and the caller's own: left alone (a link, or another
    // account's file, is replaced by the rename).
    let same = safe_read::read_no_follow(&p, MAX_BYTES).is_ok_and(|old| old == Some(bytes.clone()));
    if same && std::fs::symlink_metadata(&p).is_ok_and(|m| callers_own(&m)) {
        return Ok(());
    }
    fsutil::write_atomic(&p, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_what_sync_writes_are_left_out() {
        let entry = |name: &str| {
            format!(
                r#""{name}": {{"sha256": "{}", "size": 1, "mtime_ns": 0, "ctime_ns": 0, "ino": 1}}"#,
                "ab".repeat(32)
            )
        };
        let names = [
            "gov-x86_64-unknown-linux-gnu.tar.gz",
            "../../etc/x",
            "/etc/passwd",
            ".gov-mirror.json",
            "sub/gov-x.tar.gz",
            "index.json",
        ];
        let files: Vec<String> = names.iter().map(|n| entry(n)).collect();
        let text = format!(
            r#"{{"url": "https://m.example/go\"; rm -rf /", "dist": "/x", "files": {{{}}}}}"#,
            files.join(",")
        );
        let (m, dropped) = parse(text.as_bytes());
        let kept: Vec<&str> = m.files.keys().map(String::as_str).collect();
        assert_eq!(kept, ["gov-x86_64-unknown-linux-gnu.tar.gz"]);
        assert_eq!(dropped.len(), names.len(), "{dropped:?}");
        assert_eq!(m.url, None);
        // A Go archive's entry must carry its release, under its own name.
        let (m, _) = parse(
            format!(
                "{{\"files\": {{{}}}}}",
                entry("go1.22.5.linux-amd64.tar.gz")
            )
            .as_bytes(),
        );
        assert!(m.files.is_empty());
        let (m, dropped) = parse(b"{\"files\": 7}");
        assert!(m.files.is_empty() && dropped[0].contains("damaged"));
    }
}
