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

/// Lock files live in a 0700 folder and are 0600 themselves: an account
/// that could open one could `flock` it and stall gov.
fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        perms::private_dir(dir)?;
    }
    perms::open_private(path)
}

fn timeout() -> Duration {
    let secs = crate::core::config::get("GOV_LOCK_TIMEOUT")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(3600);
    Duration::from_secs(secs)
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
