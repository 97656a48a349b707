//! `gov cache clean`: what the download and index caches can give back.
//! Cached archives are complete (they are renamed in only after their hash
//! matched), so removing them only costs a future download; the index copy
//! of the current GOV_INDEX_URL is kept, copies of other URLs are stale.

use std::path::{Path, PathBuf};

use crate::core::error::{IoContext, Result};
use crate::core::layout::Layout;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub archives: usize,
    pub index_copies: usize,
    pub bytes: u64,
}

fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(rd) => Ok(rd.flatten().map(|e| e.path()).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).context(|| format!("reading {}", dir.display())),
    }
}

/// Removes one regular file (never follows or removes anything else) and
/// returns its size.
fn remove_file(p: &Path) -> Result<Option<u64>> {
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        return Ok(None);
    };
    if !meta.is_file() && !meta.file_type().is_symlink() {
        return Ok(None);
    }
    let size = if meta.is_file() { meta.len() } else { 0 };
    match std::fs::remove_file(p) {
        Ok(()) => Ok(Some(size)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).context(|| format!("removing {}", p.display())),
    }
}

/// Removes cached archives and index copies of other index URLs. With
/// `dry_run`, only counts them.
pub fn clean(layout: &Layout, dry_run: bool) -> Result<Cleaned> {
    let mut out = Cleaned::default();
    let mut take = |p: &Path, archive: bool| -> Result<()> {
        let size = if dry_run {
            std::fs::symlink_metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len())
        } else {
            remove_file(p)?
        };
        if let Some(size) = size {
            out.bytes += size;
            if archive {
                out.archives += 1;
            } else {
                out.index_copies += 1;
            }
        }
        Ok(())
    };
    for p in entries(&layout.downloads_dir())? {
        take(&p, true)?;
    }
    let (data, meta) = crate::net::index::current_cache_files(layout);
    for p in entries(&layout.index_cache_dir())? {
        if p != data && p != meta {
            take(&p, false)?;
        }
    }
    Ok(out)
}
