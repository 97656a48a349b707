//! The mirror's manifest, `.gov-mirror.json`: every file sync wrote, with
//! its sha256 and how it looked on disk (size, mtime, ctime, inode) right
//! after. A re-sync trusts a file whose stat still matches without reading
//! it, which keeps a sync with nothing new well under a second however big
//! the mirror; a file whose stat changed is re-hashed. `gov mirror verify`
//! never trusts the manifest: it re-hashes everything.
//!
//! It also remembers the last selection, `--url` and `--dist`, so a scheduled
//! `gov mirror sync <dir>` repeats what the operator chose.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::fsutil;
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

/// The manifest, or an empty one when there is none. A damaged manifest
/// costs a re-hash of what is present, never a wrong answer: the warning
/// callback hears about it.
pub fn read(dir: &Path, warn: &dyn Fn(&str)) -> Manifest {
    let p = path(dir);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            warn(&format!(
                "{} is damaged ({e}); every file present is hashed again",
                p.display()
            ));
            Manifest::default()
        }),
        Err(_) => Manifest::default(),
    }
}

/// Writes the manifest if it changed.
pub fn write(dir: &Path, m: &Manifest) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(m)
        .map_err(|e| Error::new(ErrorKind::Io, "cannot encode the manifest").with_source(e))?;
    bytes.push(b'\n');
    let p = path(dir);
    if std::fs::read(&p).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    fsutil::write_atomic(&p, &bytes)
}
