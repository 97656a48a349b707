//! What makes a mirror directory servable: every account may read it.
//!
//! A web server's workers run as an unprivileged account (`www-data`,
//! `nobody`), so the mirror root and everything sync publishes must be
//! readable and traversable by every account, whatever the umask of the
//! account that syncs. Sync's own lock lives in a private folder of its own
//! (`.gov-mirror.locks/`), never in the docroot itself, so taking it never
//! changes the docroot's mode; that folder is a dot name (not served) and
//! private (not readable by the server's workers either).

use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::core::error::{IoContext, Result};
use crate::core::lock::{self, LockGuard};
use crate::core::perms;

/// The folder of sync's lock, inside the mirror directory.
pub const LOCKS: &str = ".gov-mirror.locks";
/// Where an older gov kept the lock: in the docroot, which it made 0700.
const OLD_LOCK: &str = ".gov-mirror.lock";

/// Every account may read and search it (what a web server's workers need).
const READABLE: u32 = 0o055;

/// Takes the mirror's sync lock, and removes the lock file an older gov
/// left in the docroot (such a gov does not see this lock either way).
pub fn lock(dir: &Path, waiting: impl FnOnce(&str)) -> Result<LockGuard> {
    let guard = lock::acquire(
        &dir.join(LOCKS).join("sync.lock"),
        "to finish syncing this mirror",
        waiting,
    )?;
    let old = dir.join(OLD_LOCK);
    if std::fs::symlink_metadata(&old).is_ok_and(|m| m.is_file()) {
        let _ = std::fs::remove_file(&old);
    }
    Ok(guard)
}

/// Makes the mirror root readable by every account if this account owns
/// it and it is not (an older gov made it 0700; `mkdir` under umask 077
/// does too). Returns the mode it had, when it changed it.
pub fn open_root(dir: &Path) -> Result<Option<u32>> {
    let Ok(m) = std::fs::symlink_metadata(dir) else {
        return Ok(None);
    };
    let mode = m.mode() & 0o7777;
    if !m.is_dir() || m.uid() != perms::euid() || mode & READABLE == READABLE {
        return Ok(None);
    }
    perms::set_dir_mode(dir, mode | READABLE)?;
    Ok(Some(mode))
}

/// Published files (`names`, relative to `dir`) this account owns that are
/// not exactly [`perms::FILE`] get it; files already right are not touched
/// (a chmod would move their ctime).
pub fn open_files<'a>(dir: &Path, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
    for name in names {
        let path = dir.join(name);
        let Ok(m) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if m.is_file() && m.uid() == perms::euid() && m.mode() & 0o7777 != perms::FILE {
            // Through a descriptor opened without following a link.
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&path)
                .and_then(|f| f.set_permissions(std::fs::Permissions::from_mode(perms::FILE)))
                .context(|| format!("making {} readable by every account", path.display()))?;
        }
    }
    Ok(())
}

/// The nearest folder at or above `dir` that neither its group nor other
/// accounts can search (a web server's workers cannot reach the mirror
/// through it), with its mode.
pub fn closed_ancestor(dir: &Path) -> Option<(PathBuf, u32)> {
    let dir = std::fs::canonicalize(dir).ok()?;
    dir.ancestors().find_map(|a| {
        let mode = std::fs::metadata(a).ok()?.mode() & 0o7777;
        (mode & 0o011 == 0).then(|| (a.to_path_buf(), mode))
    })
}
