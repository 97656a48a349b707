//! `gov verify`: installed trees checked against the manifest recorded when
//! they were installed (every regular file's size, mtime and sha256, taken
//! from the extraction itself) and, where the log proved the install,
//! against the checksum database's `h1:` recorded with it. The quick mode
//! compares sizes and mtimes only (what doctor can afford); the full mode
//! hashes every file.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::installed::{self, Installed};
use crate::core::layout::Layout;
use crate::core::{fsutil, safe_read};
use crate::install::log_proof;
use crate::install::unpack::{FileDigest, FileDigests};
use crate::trust::distpack::ModuleLayout;

/// A manifest is read back up to this size (a release has ~15 000 files).
const MAX_MANIFEST: u64 = 64 << 20;

/// One file as recorded: `[sha256 hex, size, mtime or null]`.
type Entry = (String, u64, Option<u64>);

#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    files: BTreeMap<String, Entry>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Records the manifest of a freshly published tree.
pub(crate) fn record(layout: &Layout, version: &str, digests: &FileDigests) -> Result<()> {
    let files = digests
        .iter()
        .map(|(p, d)| (p.clone(), (hex(&d.sha256), d.size, d.mtime)))
        .collect();
    let bytes = serde_json::to_vec(&Manifest { files })
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write the manifest: {e}")))?;
    fsutil::create_dir_all(&installed::records_dir(layout))?;
    fsutil::write_atomic(&installed::manifest_file(layout, version), &bytes)
}

fn read_manifest(layout: &Layout, version: &str) -> Result<Option<Manifest>> {
    let path = installed::manifest_file(layout, version);
    let Some(text) = safe_read::read_text(&path, MAX_MANIFEST)? else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::new(
            ErrorKind::State,
            format!("{} is not a manifest gov wrote: {e}", path.display()),
        )
        .with_advice("reinstall the version (`gov install --force <version>`) to record it again")
    })
}

/// What verifying one tree found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeReport {
    pub version: String,
    /// No manifest was recorded (imported, or installed by an older gov).
    pub unrecorded: bool,
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// The tree's `h1:` against the log's recorded one: None when not
    /// compared (quick mode, no log record).
    pub log_matches: Option<bool>,
}

impl TreeReport {
    pub fn intact(&self) -> bool {
        self.changed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.log_matches != Some(false)
    }
}

/// Every regular file under `root`, relative, with its metadata. Links
/// and folders are not in manifests.
fn walk(root: &Path) -> Result<BTreeMap<String, std::fs::Metadata>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).context(|| format!("reading {}", dir.display()))? {
            let entry = entry.context(|| format!("reading {}", dir.display()))?;
            let meta = entry
                .path()
                .symlink_metadata()
                .context(|| format!("inspecting {}", entry.path().display()))?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file()
                && let Ok(rel) = entry.path().strip_prefix(root)
            {
                out.insert(rel.to_string_lossy().into_owned(), meta);
            }
        }
    }
    Ok(out)
}

fn sha256_of(path: &Path) -> Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path).context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f
            .read(&mut buf)
            .context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Verifies one installed tree; `full` hashes every file.
pub fn verify_tree(layout: &Layout, tree: &Installed, full: bool) -> Result<TreeReport> {
    let version = tree.version.as_str().to_string();
    let mut report = TreeReport {
        version: version.clone(),
        ..TreeReport::default()
    };
    let Some(manifest) = read_manifest(layout, &version)? else {
        report.unrecorded = true;
        return Ok(report);
    };
    let found = walk(&tree.goroot)?;
    let mut digests = FileDigests::new();
    for (rel, (sha, size, mtime)) in &manifest.files {
        let Some(meta) = found.get(rel) else {
            report.removed.push(rel.clone());
            continue;
        };
        let same_stat = meta.len() == *size && mtime.is_none_or(|m| meta.mtime() == m as i64);
        if !full {
            if !same_stat {
                report.changed.push(rel.clone());
            }
            continue;
        }
        let actual = sha256_of(&tree.goroot.join(rel))?;
        if meta.len() != *size || hex(&actual) != *sha {
            report.changed.push(rel.clone());
        }
        let d = FileDigest {
            size: meta.len(),
            sha256: actual,
            mtime: None,
        };
        digests.insert(rel.clone(), d);
    }
    report.added = found
        .keys()
        .filter(|k| !manifest.files.contains_key(*k))
        .cloned()
        .collect();
    if full
        && let Some(log_h1) = installed::recorded_log_h1(layout, &version)
        && let Some(module) = ModuleLayout::new(&tree.version, crate::core::arch::host())
    {
        // Added files count too: the module would hold them.
        for rel in &report.added {
            let p = tree.goroot.join(rel);
            let d = FileDigest {
                size: 0,
                sha256: sha256_of(&p)?,
                mtime: None,
            };
            digests.insert(rel.clone(), d);
        }
        report.log_matches = Some(log_proof::tree_hash(module, &digests)? == log_h1);
    }
    Ok(report)
}
