//! What is installed in each layer (the account's own, then the system
//! layer), and the cleanup of what interrupted runs left behind in `tmp/`.

use std::path::{Path, PathBuf};

use crate::core::error::{IoContext, Result};
use crate::core::fsutil;
use crate::core::layers::{Layer, Layers};
use crate::core::layout::Layout;
use crate::core::lock;
use crate::core::version::{GoVersion, VersionRequest};

/// What an installed tree was proven by, each by a different party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proof {
    /// The archive's sha256 equals the release index's.
    Sha256,
    /// The tree's `h1:` equals the checksum database's record of the
    /// release's toolchain module, proven in its public log.
    Log,
    /// The archive carries a valid OpenPGP signature by a trusted key.
    Signature,
}

impl Proof {
    pub const ALL: [Proof; 3] = [Proof::Sha256, Proof::Log, Proof::Signature];

    /// The name in `--json` answers, GOV_REQUIRE and the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Proof::Sha256 => "sha256",
            Proof::Log => "log",
            Proof::Signature => "signature",
        }
    }

    pub fn parse(name: &str) -> Option<Proof> {
        Proof::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// The largest proofs record read back (a real one is under 200 bytes).
const MAX_RECORD: u64 = 16 * 1024;

/// One proof an installed tree passed, and when (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proven {
    pub proof: String,
    pub at: u64,
}

/// The record kept beside each tree an install verified.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct ProofRecord {
    proofs: Vec<Proven>,
    /// The `h1:` the checksum database recorded, when `log` passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log_h1: Option<String>,
}

/// Where the records live: `proofs/` beside `versions/` (which holds only
/// GOROOTs), on the same filesystem as the trees.
pub fn records_dir(layout: &Layout) -> PathBuf {
    records_dir_beside(&layout.versions_dir())
}

fn records_dir_beside(versions: &Path) -> PathBuf {
    versions.parent().map_or_else(
        || versions.join("..").join("proofs"),
        |home| home.join("proofs"),
    )
}

/// The proofs record of `version`.
pub fn proofs_file(layout: &Layout, version: &str) -> PathBuf {
    records_file_in(&layout.versions_dir(), version)
}

fn records_file_in(versions: &Path, version: &str) -> PathBuf {
    records_dir_beside(versions).join(format!("{version}.json"))
}

/// The manifest of `version`'s files, recorded at install (`gov verify`).
pub fn manifest_file(layout: &Layout, version: &str) -> PathBuf {
    records_dir(layout).join(format!("{version}.manifest.json"))
}

fn read_record(path: &Path) -> Option<ProofRecord> {
    let text = crate::core::safe_read::read_text(path, MAX_RECORD).ok()??;
    serde_json::from_str(&text).ok()
}

/// What `version`'s tree was proven by, in the order of [`Proof::ALL`];
/// empty for trees without a record (imported, installed by an older gov)
/// or with one that cannot be read.
pub fn proofs(layout: &Layout, version: &str) -> Vec<Proven> {
    proofs_at(&proofs_file(layout, version))
}

/// The log's `h1:` recorded for `version`, when the log proved it.
pub fn recorded_log_h1(layout: &Layout, version: &str) -> Option<String> {
    read_record(&proofs_file(layout, version))?.log_h1
}

fn proofs_at(path: &Path) -> Vec<Proven> {
    let mut proven: Vec<Proven> = read_record(path)
        .map(|r| r.proofs)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| Proof::parse(&p.proof).is_some())
        .collect();
    proven.sort_by_key(|p| Proof::parse(&p.proof));
    proven.dedup_by(|a, b| a.proof == b.proof);
    proven
}

impl Installed {
    /// What this tree was proven by (see [`proofs`]).
    pub fn proofs(&self) -> Vec<Proven> {
        let versions = self.goroot.parent().unwrap_or(&self.goroot);
        proofs_at(&records_file_in(versions, self.version.as_str()))
    }

    /// The names of [`Installed::proofs`].
    pub fn proof_names(&self) -> Vec<String> {
        self.proofs().into_iter().map(|p| p.proof).collect()
    }
}

/// Records what a freshly published tree was proven by (now). Called under
/// the version's lock, after the rename; nothing is written for none.
pub fn record_proofs(
    layout: &Layout,
    version: &str,
    passed: &[Proof],
    log_h1: Option<&str>,
) -> Result<()> {
    if passed.is_empty() {
        return Ok(());
    }
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let record = ProofRecord {
        proofs: passed
            .iter()
            .map(|p| Proven {
                proof: p.as_str().to_string(),
                at,
            })
            .collect(),
        log_h1: log_h1.map(str::to_string),
    };
    let text = serde_json::to_vec_pretty(&record).map_err(|e| {
        crate::core::error::Error::new(
            crate::core::error::ErrorKind::Io,
            format!("cannot write the proofs record: {e}"),
        )
    })?;
    fsutil::create_dir_all(&records_dir(layout))?;
    fsutil::write_atomic(&proofs_file(layout, version), &text)
}

/// Forgets `version`'s record: before its tree is replaced or removed, so
/// a record never speaks for a tree it was not written for.
pub fn forget_proofs(layout: &Layout, version: &str) -> Result<()> {
    for path in [proofs_file(layout, version), manifest_file(layout, version)] {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context(|| format!("removing {}", path.display())),
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Installed {
    pub version: GoVersion,
    pub goroot: PathBuf,
    /// The layer it is installed in.
    pub layer: Layer,
}

/// The lock that guards one version's directory, shims and staging files.
pub fn version_lock(layout: &Layout, version: &str) -> PathBuf {
    layout.lock_file(&format!("version-{version}"))
}

/// Installed versions, newest first. Only directories named like a Go
/// version count: staging happens elsewhere, so every one is complete.
pub fn list(layout: &Layout) -> Result<Vec<Installed>> {
    let dir = layout.versions_dir();
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.kind() == std::io::ErrorKind::NotADirectory =>
        {
            return Ok(Vec::new());
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(fsutil::permission_denied(&dir, e));
        }
        Err(e) => return Err(e).context(|| format!("reading {}", dir.display())),
    };
    let layer = Layer::of(layout);
    let mut out: Vec<Installed> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let version = GoVersion::parse(&name)?;
            e.file_type().ok()?.is_dir().then(|| Installed {
                version,
                goroot: e.path(),
                layer,
            })
        })
        .collect();
    out.sort_by(|a, b| b.version.cmp(&a.version));
    Ok(out)
}

/// The installed version a request means: exact match, or the newest
/// installed of a family (`1.22` -> newest 1.22.x installed).
pub fn find(layout: &Layout, req: &VersionRequest) -> Result<Option<Installed>> {
    let all = list(layout)?;
    let picked = req.pick(all.iter().map(|i| &i.version)).cloned();
    Ok(picked.and_then(|v| all.into_iter().find(|i| i.version == v)))
}

/// Installed versions of every layer, nearest layer first, each layer's
/// newest first.
pub fn list_all(layers: &Layers) -> Result<Vec<Installed>> {
    let mut out = Vec::new();
    for (_, layout) in layers.search() {
        out.extend(list(layout)?);
    }
    Ok(out)
}

/// The installed version a request means across the layers: an exact
/// version from the nearest layer that has it; a family's newest release
/// in any layer (the nearest layer's copy when both have it).
pub fn find_in(layers: &Layers, req: &VersionRequest) -> Result<Option<Installed>> {
    let all = list_all(layers)?;
    let picked = req.pick(all.iter().map(|i| &i.version)).cloned();
    // `all` is nearest layer first, so the first match is the nearest copy.
    Ok(picked.and_then(|v| all.into_iter().find(|i| i.version == v)))
}

pub fn is_installed(layout: &Layout, version: &str) -> bool {
    layout.version_dir(version).join("bin").is_dir()
}

/// Names of staging, download and trash entries in `tmp/` start with the
/// version they belong to, so the version lock tells whether they are live.
pub fn tmp_name(version: &str, what: &str) -> String {
    format!("{version}.{what}-{}", fsutil::unique_suffix())
}

fn owner_version(name: &str) -> Option<&str> {
    // Versions contain dots: split before the `.what-` tag.
    let tags = [".stage-", ".trash-", ".download-", ".shims-"];
    tags.iter()
        .find_map(|t| name.find(t).map(|i| &name[..i]))
        .filter(|v| GoVersion::parse(v).is_some())
}

/// Removes leftovers of interrupted runs for every version whose lock is
/// free. `held` names a version whose lock the caller already holds.
pub fn cleanup_leftovers(layout: &Layout, held: Option<&str>) -> Result<usize> {
    let tmp = layout.tmp_dir();
    let rd = match std::fs::read_dir(&tmp) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).context(|| format!("reading {}", tmp.display())),
    };
    let mut removed = 0;
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(version) = owner_version(&name) else {
            continue;
        };
        let path = entry.path();
        if Some(version) == held {
            fsutil::remove_tree(&path)?;
            removed += 1;
            continue;
        }
        if let Some(_guard) = lock::try_acquire(&version_lock(layout, version))? {
            fsutil::remove_tree(&path)?;
            removed += 1;
        }
    }
    removed += remove_orphan_shims(layout, held)?;
    Ok(removed)
}

/// Shims of versions that are not installed (an older gov killed between
/// removing a tree and its shims left them) point at nothing: removed.
fn remove_orphan_shims(layout: &Layout, held: Option<&str>) -> Result<usize> {
    let Ok(rd) = std::fs::read_dir(layout.shims_dir()) else {
        return Ok(0);
    };
    let mut removed = 0;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if GoVersion::parse(&name).is_none() || is_installed(layout, &name) {
            continue;
        }
        let guard = if Some(name.as_str()) == held {
            None
        } else {
            match lock::try_acquire(&version_lock(layout, &name))? {
                Some(g) => Some(g),
                None => continue,
            }
        };
        // Checked again under the lock: an install may have just finished.
        if !is_installed(layout, &name) {
            fsutil::remove_tree(&e.path())?;
            removed += 1;
        }
        drop(guard);
    }
    Ok(removed)
}

/// Processes running a program from `goroot` or working inside it (a build
/// under way), from /proc: (pid, command name).
pub fn processes_using(goroot: &Path) -> Vec<(u32, String)> {
    let Ok(root) = goroot.canonicalize() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let uses = ["exe", "cwd"]
            .iter()
            .any(|l| std::fs::read_link(e.path().join(l)).is_ok_and(|t| t.starts_with(&root)));
        if uses {
            let name = std::fs::read_to_string(e.path().join("comm")).unwrap_or_default();
            found.push((pid, name.trim().to_string()));
        }
    }
    found
}

/// Leftovers of interrupted runs that no running gov owns (for doctor;
/// nothing is removed).
pub fn leftovers(layout: &Layout) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(layout.tmp_dir()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(version) = owner_version(&name)
            && let Ok(Some(_guard)) = lock::try_acquire(&version_lock(layout, version))
        {
            out.push(name);
        }
    }
    out.sort();
    out
}

/// Does `goroot` look like a Go tree? (`bin/go` and `VERSION` present.)
pub fn looks_like_goroot(goroot: &Path) -> bool {
    goroot.join("bin").join("go").is_file() && goroot.join("VERSION").is_file()
}

/// The first line of `$GOROOT/VERSION` (`go1.22.5`), read as any small
/// file from a tree another account may control: bounded, not through a
/// link, never blocking on a FIFO. The line may hold anything: escape it
/// (`quote::shown`) before printing it.
pub fn read_version_file(goroot: &Path) -> Option<String> {
    let bytes = crate::core::safe_read::read_no_follow(&goroot.join("VERSION"), MAX_VERSION_FILE)
        .ok()??;
    version_line(&bytes)
}

/// A real VERSION file is two short lines.
pub const MAX_VERSION_FILE: u64 = 4 << 10;

/// The first line of a VERSION file's bytes, trimmed.
pub fn version_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.lines().next().map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn leftover_names() {
        let n = super::tmp_name("1.22.5", "stage");
        assert_eq!(super::owner_version(&n), Some("1.22.5"));
        assert_eq!(super::owner_version("1.21rc1.trash-1-2-3"), Some("1.21rc1"));
        assert_eq!(super::owner_version("random"), None);
        assert_eq!(super::owner_version("x.y.stage-1"), None);
    }
}
