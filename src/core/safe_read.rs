//! Reading small files that anyone may have put in a checkout or a parent
//! directory (`.go-version`, `.tool-versions`, mise.toml, go.mod, go.work):
//! one rule for all of them, applied first (an entry planted in a shared
//! folder is absent), then regular files only, opened
//! without blocking, bounded in size, decoded strictly. A FIFO must not hang
//! every `go` below it, `/dev/zero` or a sparse 2 GB file must not fill
//! memory, and a link to `/proc/self/environ` must not end up in a CI log.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::core::error::{Error, Result};
use crate::core::quote::shown;

/// `.go-version` and the global selection hold one line.
pub const MAX_VERSION_FILE: u64 = 4 << 10;
/// go.mod / go.work of real projects stay far below this.
pub const MAX_MODULE_FILE: u64 = 1 << 20;

fn refuse(path: &Path, why: &str) -> Error {
    Error::invalid(format!("{} {why}", shown(&path.to_string_lossy())))
}

fn open_nofollow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
}

/// A symlinked selection file is followed only to a file of the same name
/// (a monorepo's shared `.go-version`) or to one in the link's own folder
/// (`.tool-versions -> versions.txt`), never to `/etc/shadow` or
/// `/proc/self/environ`.
fn follow_link(path: &Path) -> Result<Option<PathBuf>> {
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        // A dangling link selects nothing, as a missing file.
        Err(_) => return Ok(None),
    };
    let same_name = target.file_name() == path.file_name();
    let same_folder = path
        .parent()
        .and_then(|d| std::fs::canonicalize(d).ok())
        .is_some_and(|d| target.parent() == Some(d.as_path()));
    if !same_name && !same_folder {
        return Err(refuse(
            path,
            &format!(
                "is a link to {}, outside its own folder and not another {}",
                shown(&target.to_string_lossy()),
                shown(&path.file_name().unwrap_or_default().to_string_lossy())
            ),
        )
        .with_advice(
            "replace the link with the file itself, or link to a file of the same name or beside it",
        ));
    }
    Ok(Some(target))
}

/// Reads `path` if it is a small regular file. `Ok(None)` when it does not
/// exist, or when it was planted: whatever it is (a file, a FIFO, a folder,
/// a link), an entry another account owns in a folder every account can
/// write (`/tmp`) was not put there by this user, and is judged before
/// anything else. A link is judged where it lies, then where it leads.
pub fn read_text(path: &Path, max: u64) -> Result<Option<String>> {
    let (file, meta) = match open_nofollow(path) {
        Ok(f) => {
            let meta = inspect(path, &f)?;
            if planted(path, meta.uid()) {
                return Ok(None);
            }
            (f, meta)
        }
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            let link_planted =
                std::fs::symlink_metadata(path).is_ok_and(|m| planted(path, m.uid()));
            if link_planted {
                return Ok(None);
            }
            let Some(target) = follow_link(path)? else {
                return Ok(None);
            };
            let Ok(f) = open_nofollow(&target) else {
                return Ok(None);
            };
            let meta = inspect(path, &f)?;
            if planted(&target, meta.uid()) {
                return Ok(None);
            }
            (f, meta)
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(crate::core::fsutil::permission_denied(path, e));
        }
        // Anything else unopenable selects nothing.
        Err(_) => return Ok(None),
    };
    let ft = meta.file_type();
    if ft.is_dir() {
        return Ok(None);
    }
    if !ft.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let what = if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_char_device() || ft.is_block_device() {
            "a device"
        } else if ft.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        return Err(refuse(path, &format!("is {what}, not a regular file"))
            .with_advice("remove it, or replace it with a plain file naming one Go version"));
    }
    if meta.len() > max {
        return Err(too_big(path, max));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The size can change after fstat (or lie, as in /proc): read one byte
    // more than allowed to notice.
    (&file)
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(path, "cannot be read").with_source(e))?;
    if bytes.len() as u64 > max {
        return Err(too_big(path, max));
    }
    decode(path, bytes).map(Some)
}

fn inspect(path: &Path, f: &File) -> Result<std::fs::Metadata> {
    f.metadata()
        .map_err(|e| refuse(path, "cannot be inspected").with_source(e))
}

/// Whether selection should look at `path` as a go.mod or go.work: it
/// exists, was not planted (see [`read_text`]) and is, or links to, a
/// regular file. One `lstat` when absent, as a plain existence test.
pub fn is_candidate_file(path: &Path) -> bool {
    match lstat(path) {
        Some(st) if planted(path, st.st_uid) => false,
        Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFLNK => path.is_file(),
        Some(st) => st.st_mode & libc::S_IFMT == libc::S_IFREG,
        None => false,
    }
}

/// Whether anything (a link included, dangling or not) is at `path` that
/// this account can see. Most names the entry point probes are absent, and
/// a failed `lstat` costs the kernel well under half of a failed `open`
/// (which sets up and tears down a file first), so [`read_text`] is called
/// only for what this finds.
pub fn present(path: &Path) -> bool {
    lstat(path).is_some()
}

/// `lstat(2)` through the C library: one system call (the standard
/// library's `symlink_metadata` first probes for `statx`). `None` when the
/// name does not exist or cannot be looked up.
fn lstat(path: &Path) -> Option<libc::stat> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `c` is NUL-terminated and outlives the call; `st` is valid
    // for writes of one `stat`.
    let rc = unsafe { libc::lstat(c.as_ptr(), st.as_mut_ptr()) };
    // SAFETY: lstat filled `st` when it returned 0.
    (rc == 0).then(|| unsafe { st.assume_init() })
}

fn too_big(path: &Path, max: u64) -> Error {
    refuse(path, &format!("is larger than {} KiB", max >> 10))
        .with_advice("a selection file names one version; remove or fix this one")
}

/// UTF-8 only (with or without a byte-order mark, as Windows editors write).
pub fn decode(path: &Path, mut bytes: Vec<u8>) -> Result<String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|_| {
        refuse(path, "is not UTF-8 text")
            .with_advice("write the version as plain text, like 1.22.5")
    })
}

/// An entry in a world-writable folder (`/tmp`, `/var/tmp`, `/dev/shm`)
/// that another account owns, or any entry in such a folder without the
/// sticky bit (anyone could have replaced it). `owner` owns the entry
/// itself (a link, not its target).
fn planted(path: &Path, owner: u32) -> bool {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return false;
    };
    let Ok(d) = std::fs::metadata(dir) else {
        return false;
    };
    if d.mode() & 0o002 == 0 {
        return false;
    }
    let sticky = d.mode() & 0o1000 != 0;
    !sticky || (owner != crate::core::perms::euid() && owner != 0)
}

/// Reads at most `max` bytes of an already opened file: a regular file
/// only (a FIFO, device or directory is refused, never waited on), larger
/// than `max` refused. Shared by every reader of small files from places
/// another account may control: the VERSION of a tree being imported, a
/// mirror's manifest.
pub fn read_open(file: &File, path: &Path, max: u64) -> Result<Vec<u8>> {
    let meta = file
        .metadata()
        .map_err(|e| refuse(path, "cannot be inspected").with_source(e))?;
    if !meta.file_type().is_file() {
        return Err(refuse(path, "is not a regular file"));
    }
    if meta.len() > max {
        return Err(refuse(path, &format!("is larger than {max} bytes")));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(path, "cannot be read").with_source(e))?;
    if bytes.len() as u64 > max {
        return Err(refuse(path, &format!("is larger than {max} bytes")));
    }
    Ok(bytes)
}

/// [`read_open`] of `path`, opened without following a link (a link is
/// refused) and without blocking. `Ok(None)` when it does not exist.
pub fn read_no_follow(path: &Path, max: u64) -> Result<Option<Vec<u8>>> {
    match open_nofollow(path) {
        Ok(f) => read_open(&f, path, max).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(refuse(path, "is a symlink")
            .with_advice("gov writes this file itself; remove the link")),
        Err(e) => Err(refuse(path, "cannot be opened").with_source(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_invalid_utf8() {
        let p = Path::new(".go-version");
        assert_eq!(
            decode(p, b"\xEF\xBB\xBF1.22.5\n".to_vec()).ok().as_deref(),
            Some("1.22.5\n")
        );
        assert!(decode(p, b"1.22\xFF".to_vec()).is_err());
    }
}
