//! OS file locks (flock via std's `File::lock`) around state changes. The
//! kernel drops the lock when its holder dies, so a killed gov never leaves
//! a lock that blocks; no pid files.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::perms;

/// Held until dropped (closing the file releases the lock).
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

/// Lock files are 0600, in a folder of locks that is 0700: an account that
/// could open one could `flock` it and stall gov. Only a folder that holds
/// nothing but locks is made private; a lock placed beside other files
/// (a docroot a web server reads) never changes that folder's mode.
fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        if holds_only_locks(dir) {
            perms::private_dir(dir)?;
        } else {
            perms::create_dir_all(dir, perms::PRIVATE_DIR)?;
        }
    }
    perms::open_private(path)
}

/// Whether `dir` is missing, empty, or holds only `*.lock` files.
fn holds_only_locks(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return true;
    };
    entries.flatten().all(|e| {
        e.file_name().to_string_lossy().ends_with(".lock")
            && e.file_type().is_ok_and(|t| t.is_file())
    })
}

fn timeout() -> Duration {
    crate::core::config::seconds("GOV_LOCK_TIMEOUT")
}

/// One non-blocking attempt: Ok(true) when the lock is ours.
fn try_once(file: &File, path: &Path) -> Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).context(|| format!("locking {}", path.display()))
        }
    }
}

/// Takes the lock at `path`, waiting for another gov process if needed.
/// `waiting` is called once, before the first wait, to tell the user.
pub fn acquire(path: &Path, what: &str, waiting: impl FnOnce(&str)) -> Result<LockGuard> {
    let file = open(path)?;
    let guard = |file| LockGuard { _file: file };
    if try_once(&file, path)? {
        return Ok(guard(file));
    }
    waiting(&format!(
        "waiting for another gov process {what} (lock {})",
        path.display()
    ));
    let limit = timeout();
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if try_once(&file, path)? {
            return Ok(guard(file));
        }
        if start.elapsed() >= limit {
            return Err(Error::new(
                ErrorKind::State,
                format!(
                    "gave up after {} s waiting for another gov process {what}",
                    limit.as_secs()
                ),
            )
            .with_advice(format!(
                "find it with `fuser {}` (or `ps aux | grep gov`); raise GOV_LOCK_TIMEOUT (seconds) to wait longer",
                path.display()
            )));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Takes the lock only if it is free right now.
pub fn try_acquire(path: &Path) -> Result<Option<LockGuard>> {
    let file = open(path)?;
    Ok(try_once(&file, path)?.then(|| LockGuard { _file: file }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).map_or(0, |m| m.permissions().mode() & 0o7777)
    }

    #[test]
    fn a_lock_beside_other_files_leaves_their_folder_as_it_is() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let shared = dir.path().join("docroot");
        std::fs::create_dir(&shared).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(shared.join("index.json"), "[]").unwrap_or_else(|e| panic!("{e}"));
        let held = acquire(&shared.join("x.lock"), "", |_| {}).map(|_| ());
        held.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&shared), 0o755);
        assert_eq!(mode(&shared.join("x.lock")), 0o600);

        // A folder of locks (new, or left open by an older gov) is private.
        let locks = dir.path().join("locks");
        acquire(&locks.join("a.lock"), "", |_| {}).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&locks), 0o700);
        std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        acquire(&locks.join("b.lock"), "", |_| {}).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&locks), 0o700);
    }
}
