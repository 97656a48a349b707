//! Filesystem primitives for crash safety: atomic file replacement, durable
//! renames, a tree made durable file by file as it is written
//! ([`TreeSync`]), and atomic exchange of two paths.
//!
//! Modes are explicit, never left to the umask: gov's state is shared
//! (the system layer is read by every account), so what gov creates is
//! readable by all and writable by its owner only, whether root runs
//! under umask 077 or 000. Directories are [`DIR_MODE`], files
//! [`FILE_MODE`] or [`EXEC_MODE`].

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::core::error::{Error, IoContext, Result};

/// Directories gov creates.
pub const DIR_MODE: u32 = 0o755;
/// Files gov creates.
pub const FILE_MODE: u32 = 0o644;
/// Executables gov creates (shims).
pub const EXEC_MODE: u32 = 0o755;

/// Creates `dir` and its missing parents, each new one with exactly
/// [`DIR_MODE`]; directories that already exist keep their mode.
/// (Set on the descriptor, never left to the umask: see `perms`.)
pub fn create_dir_all(dir: &Path) -> Result<()> {
    crate::core::perms::create_dir_all(dir, DIR_MODE)
}

/// Creates one directory with exactly `mode`; one that appeared meanwhile
/// (another gov) is fine and left as it is.
pub fn create_dir_mode(dir: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::create_dir(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
            .context(|| format!("setting the mode of {}", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e).context(|| format!("creating {}", dir.display())),
    }
}

/// Creates (or truncates) a file for writing with exactly `mode`.
pub fn create_file_mode(path: &Path, mode: u32) -> Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .context(|| format!("creating {}", path.display()))?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .context(|| format!("setting the mode of {}", path.display()))?;
    Ok(f)
}

/// The error for a file or directory this account may not read: a
/// permission problem, with advice naming who can fix it.
pub fn permission_denied(path: &Path, cause: std::io::Error) -> Error {
    // Only the advice depends on it, and the callers hold a path, not a
    // layout: the system layer is the process's.
    let env = crate::core::env::Env::process();
    let system = path.starts_with(crate::core::layout::system_home(&env));
    let advice = if system {
        "the system layer must be readable by every account: as root, run `gov doctor` and          `chmod -R a+rX` the path (gov itself writes it readable by all)"
    } else {
        "check the owner and mode of the path (`ls -ld`), or run as the account that owns it"
    };
    Error::new(
        crate::core::error::ErrorKind::Permission,
        format!("permission denied reading {}", path.display()),
    )
    .with_source(cause)
    .with_advice(advice)
}

/// A small file's text; `None` when it does not exist (also when a parent
/// is not a directory). Unreadable is an error, never "absent".
pub fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.kind() == std::io::ErrorKind::NotADirectory =>
        {
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(permission_denied(path, e))
        }
        Err(e) => Err(e).context(|| format!("reading {}", path.display())),
    }
}

/// A name unique to this process and call, for temporary siblings.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{n}-{nanos:x}", std::process::id())
}

/// Makes a directory's entries (new names, renames) durable.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    let f = std::fs::File::open(dir).context(|| format!("opening {}", dir.display()))?;
    f.sync_all()
        .context(|| format!("syncing {}", dir.display()))
}

/// Replaces `path` with `bytes` atomically and durably: a reader sees the
/// old content or the new, never a mix, even across a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, FILE_MODE)
}

pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let tmp = write_beside(path, bytes, mode)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let result = std::fs::rename(&tmp, path)
        .context(|| format!("replacing {}", path.display()))
        .and_then(|()| fsync_dir(dir));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to a new temporary file beside `path` (same directory,
/// so a rename over `path` is atomic) with exactly `mode`, synced to disk.
/// The caller renames it into place, or removes it.
pub fn write_beside(path: &Path, bytes: &[u8], mode: u32) -> Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", unique_suffix()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)
            .context(|| format!("writing {}", tmp.display()))?;
        // The mode given to open is filtered by the umask; make it exact.
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
            .context(|| format!("setting the mode of {}", tmp.display()))?;
        f.sync_all()
            .context(|| format!("syncing {}", tmp.display()))
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn cpath(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::invalid(format!("path {} contains a NUL byte", p.display())))
}

/// Swaps two existing paths in one step (renameat2 RENAME_EXCHANGE), so a
/// reinstall replaces a version without a moment where it is missing.
/// Called through syscall() so the binary needs no glibc 2.28 symbol.
pub fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let ca = cpath(a).map_err(|e| std::io::Error::other(e.to_string()))?;
    let cb = cpath(b).map_err(|e| std::io::Error::other(e.to_string()))?;
    // SAFETY: both pointers are valid NUL-terminated strings for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Flushes every dirty page and inode of the filesystem holding `dir`: one
/// journal commit for a whole extracted tree instead of one fsync per file.
pub fn sync_filesystem(dir: &Path) -> Result<()> {
    let f = std::fs::File::open(dir).context(|| format!("opening {}", dir.display()))?;
    // SAFETY: the fd is valid for the duration of the call.
    let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
            .context(|| format!("syncing the filesystem of {}", dir.display()))
    }
}

/// Starts writeback of a freshly written file without waiting for it, so
/// a later fsync (or `sync_filesystem`) finds the data already on its way.
pub fn start_writeback(f: &std::fs::File) {
    // SAFETY: the fd is valid; the call only schedules I/O. Errors are
    // harmless: the final syncfs covers the file anyway.
    unsafe {
        libc::sync_file_range(f.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Removes a tree if present. Directories without write permission (some
/// Go module caches are read-only) are made writable first.
pub fn remove_tree(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).context(|| format!("inspecting {}", path.display())),
        Ok(m) if !m.is_dir() => {
            return std::fs::remove_file(path).context(|| format!("removing {}", path.display()));
        }
        Ok(_) => {}
    }
    if std::fs::remove_dir_all(path).is_ok() {
        return Ok(());
    }
    make_writable(path);
    std::fs::remove_dir_all(path).context(|| format!("removing {}", path.display()))
}

fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = std::fs::symlink_metadata(dir)
        && m.is_dir()
    {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                make_writable(&e.path());
            }
        }
    }
}

/// Files handed to the sync thread but not yet synced, at most: each holds
/// a descriptor, and the default limit is 1024.
const SYNC_IN_FLIGHT: usize = 256;

/// How a tree's files are made durable.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// ext4 with its journal, and XFS, log every metadata change in one
    /// journal, in order, and a commit flushes the disk's cache first: once
    /// each file's data is written (`sync_file_range`, which waits for that
    /// file's pages only and flushes nothing), one fsync of an inode changed
    /// after all of them commits every file's metadata with a single cache
    /// flush. (An fsync per file would flush the cache once per file: about
    /// 2 ms each on a busy virtual disk, 20 s for a Go tree.)
    OneJournal,
    /// Anything else (an ext4 made without a journal, overlayfs, btrfs...):
    /// no single fsync vouches for the other files, and one per file costs
    /// a cache flush each, so the filesystem is synced whole (`syncfs`).
    WholeFilesystem,
}

impl Durability {
    fn of(dir: &Path) -> Durability {
        const EXT4: i64 = 0xEF53;
        const XFS: i64 = 0x5846_5342;
        let Ok(c) = cpath(dir) else {
            return Durability::WholeFilesystem;
        };
        let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
        // SAFETY: `c` is NUL-terminated; `st` is valid for one statfs.
        if unsafe { libc::statfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
            return Durability::WholeFilesystem;
        }
        // SAFETY: statfs filled `st` when it returned 0.
        let st = unsafe { st.assume_init() };
        // f_type's width varies by architecture.
        #[allow(clippy::unnecessary_cast)]
        let fs = st.f_type as i64;
        if fs == XFS || (fs == EXT4 && ext4_has_journal(dir)) {
            Durability::OneJournal
        } else {
            Durability::WholeFilesystem
        }
    }

    fn sync_file(self, f: &std::fs::File) -> std::io::Result<()> {
        if self == Durability::WholeFilesystem {
            // Its writeback has started; `finish`'s syncfs waits for it.
            return Ok(());
        }
        let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
            | libc::SYNC_FILE_RANGE_WRITE
            | libc::SYNC_FILE_RANGE_WAIT_AFTER;
        // SAFETY: the fd is valid for the duration of the call.
        let rc = unsafe { libc::sync_file_range(f.as_raw_fd(), 0, 0, flags) };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }
}

/// Makes a tree being written durable while it is written, waiting only
/// for its own data: each finished file is handed over (`file`), its
/// writeback starts at once, and a thread waits for the files' data in
/// batches while the writer goes on. `finish` then commits the metadata
/// (see [`Durability`]). Unlike `syncfs`, which writes back every dirty
/// page of the filesystem, this never waits for another process's writes
/// (a build writing gigabytes beside an install).
pub struct TreeSync {
    durability: Durability,
    queue: Option<std::sync::mpsc::SyncSender<std::fs::File>>,
    worker: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl TreeSync {
    /// For a tree being written under `root` (which exists).
    pub fn new(root: &Path) -> TreeSync {
        let durability = Durability::of(root);
        let (queue, files) = std::sync::mpsc::sync_channel::<std::fs::File>(SYNC_IN_FLIGHT / 2);
        let worker = std::thread::Builder::new()
            .name("tree-sync".into())
            .spawn(move || sync_batches(&files, durability));
        match worker {
            Ok(w) => TreeSync {
                durability,
                queue: Some(queue),
                worker: Some(w),
            },
            // No thread: `file` syncs on the caller's thread instead.
            Err(_) => TreeSync {
                durability,
                queue: None,
                worker: None,
            },
        }
    }

    /// Takes a file whose content is written: starts its writeback and
    /// queues it (blocking while the queue is full, so a slow disk slows
    /// the writer instead of piling up descriptors).
    pub fn file(&self, f: std::fs::File) -> std::io::Result<()> {
        start_writeback(&f);
        match &self.queue {
            Some(q) => match q.send(f) {
                Ok(()) => Ok(()),
                // The worker stopped on an error; `finish` reports it.
                Err(std::sync::mpsc::SendError(f)) => self.durability.sync_file(&f),
            },
            None => self.durability.sync_file(&f),
        }
    }

    /// Waits until the data of every file handed over is written, then
    /// makes every file's and folder's metadata under `root`, the tree's
    /// top folder, durable: `root` is changed last and synced last (or the
    /// filesystem whole, see [`Durability`]).
    pub fn finish(mut self, root: &Path) -> Result<()> {
        self.queue.take();
        if let Some(w) = self.worker.take() {
            let synced = w
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the sync thread panicked")));
            synced.context(|| "syncing the unpacked files".to_string())?;
        }
        if self.durability == Durability::WholeFilesystem {
            return sync_filesystem(root);
        }
        // Setting the root's mode again changes its inode now (its ctime),
        // so on one journal its fsync commits every change made before.
        use std::os::unix::fs::PermissionsExt;
        let f = std::fs::File::open(root).context(|| format!("opening {}", root.display()))?;
        let mode = f
            .metadata()
            .context(|| format!("inspecting {}", root.display()))?
            .permissions()
            .mode();
        f.set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))
            .context(|| format!("setting the mode of {}", root.display()))?;
        f.sync_all()
            .context(|| format!("syncing {}", root.display()))
    }
}

impl Drop for TreeSync {
    fn drop(&mut self) {
        // Dropped without `finish` (the writer failed): stop the thread.
        self.queue.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// The sync thread: takes whatever is queued (up to the queue's size, at
/// least one file) and waits for each in order.
/// Whether installs under `dir` wait for their own data only (a journaled
/// filesystem, see [`Durability`]) rather than syncing the filesystem whole.
pub fn syncs_own_data_only(dir: &Path) -> bool {
    Durability::of(dir) == Durability::OneJournal
}

/// Whether the ext4 holding `dir` has a journal: its `journal_task` in
/// sysfs names the jbd2 thread, or `<none>` without one. Unknown is no.
fn ext4_has_journal(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return false;
    };
    let dev = meta.dev();
    let link = format!("/sys/dev/block/{}:{}", libc::major(dev), libc::minor(dev));
    let Ok(device) = std::fs::read_link(link) else {
        return false;
    };
    let Some(name) = device.file_name() else {
        return false;
    };
    let task = Path::new("/sys/fs/ext4").join(name).join("journal_task");
    std::fs::read_to_string(task).is_ok_and(|t| names_a_journal_thread(&t))
}

fn names_a_journal_thread(journal_task: &str) -> bool {
    let t = journal_task.trim();
    !t.is_empty() && t != "<none>"
}

fn sync_batches(
    files: &std::sync::mpsc::Receiver<std::fs::File>,
    durability: Durability,
) -> std::io::Result<()> {
    let mut batch = Vec::with_capacity(SYNC_IN_FLIGHT / 2);
    while let Ok(first) = files.recv() {
        batch.push(first);
        while batch.len() < SYNC_IN_FLIGHT / 2 {
            match files.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        for f in batch.drain(..) {
            durability.sync_file(&f)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_is_named_by_its_thread_and_none_is_no_journal() {
        assert!(names_a_journal_thread("jbd2/vda-8\n"));
        assert!(!names_a_journal_thread("<none>\n"));
        assert!(!names_a_journal_thread(""));
    }

    #[test]
    fn a_tree_sync_finishes_on_any_filesystem() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sync = TreeSync::new(dir.path());
        let f = dir.path().join("a");
        std::fs::write(&f, b"x").unwrap_or_else(|e| panic!("{e}"));
        let file = std::fs::File::open(&f).unwrap_or_else(|e| panic!("{e}"));
        sync.file(file).unwrap_or_else(|e| panic!("{e}"));
        sync.finish(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    }
}
