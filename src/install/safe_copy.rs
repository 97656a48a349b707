//! Reading a directory tree that another account may be changing while gov
//! reads it (`gov import` of a user's `~/sdk/go` as root). Every entry is
//! opened relative to its parent's descriptor without following a link, and
//! what was opened must be what the listing saw (type, device, inode): a
//! directory swapped for a link to `/root/.ssh` between the two steps is
//! refused, never read. Paths are only used in messages.

use std::ffi::{CString, OsStr, OsString};
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// An entry's type, as a listing or an open descriptor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    /// FIFOs, sockets, devices: no place in a Go tree.
    Special,
}

impl Kind {
    fn of_mode(mode: u32) -> Kind {
        match mode & libc::S_IFMT {
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFREG => Kind::File,
            libc::S_IFLNK => Kind::Symlink,
            _ => Kind::Special,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Dir => "a directory",
            Kind::File => "a file",
            Kind::Symlink => "a symlink",
            Kind::Special => "a special file (FIFO, socket or device)",
        }
    }
}

/// What the listing saw of one entry (`fstatat` without following links).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub kind: Kind,
    pub dev: u64,
    pub ino: u64,
    /// Owner and mode, for the ownership rules root trusts a tree by.
    pub uid: u32,
    pub mode: u32,
}

/// An entry that is no longer what was listed: someone changed the tree.
pub fn changed(path: &Path, listed: Kind, found: &str) -> io::Error {
    io::Error::other(format!(
        "{} changed while it was read: listed as {}, then found {found}",
        path.display(),
        listed.describe()
    ))
}

fn cstring(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn open_at(dir: RawFd, name: &OsStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    let c = cstring(name)?;
    // SAFETY: `c` is a valid NUL-terminated string; the result is checked.
    let fd = unsafe { libc::openat(dir, c.as_ptr(), flags | libc::O_CLOEXEC | libc::O_NOCTTY) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// An open directory of the tree, with its path for messages.
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// Opens the absolute `path` one component at a time from `/`, following
    /// no link on the way (a canonical path has none; one swapped in later
    /// is refused).
    pub fn open(path: &Path) -> io::Result<Dir> {
        let mut fd = open_at(
            libc::AT_FDCWD,
            OsStr::new("/"),
            libc::O_RDONLY | libc::O_DIRECTORY,
        )?;
        for c in path.components() {
            match c {
                Component::RootDir => {}
                Component::Normal(name) => {
                    fd = open_at(
                        fd.as_raw_fd(),
                        name,
                        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                    )?;
                }
                _ => return Err(io::Error::from(io::ErrorKind::InvalidInput)),
            }
        }
        Ok(Dir {
            fd,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This directory's own metadata (fstat).
    pub fn metadata(&self) -> io::Result<Metadata> {
        self.as_file()?.metadata()
    }

    fn as_file(&self) -> io::Result<File> {
        Ok(File::from(self.fd.try_clone()?))
    }

    /// The names in this directory (without `.` and `..`).
    pub fn names(&self) -> io::Result<Vec<OsString>> {
        let dup = self.fd.try_clone()?;
        // SAFETY: fdopendir takes ownership of a valid descriptor on success.
        let dirp = unsafe { libc::fdopendir(dup.as_raw_fd()) };
        if dirp.is_null() {
            return Err(io::Error::last_os_error());
        }
        std::mem::forget(dup);
        let mut names = Vec::new();
        loop {
            // SAFETY: `dirp` is a valid open stream until closedir below.
            let ent = unsafe { libc::readdir(dirp) };
            if ent.is_null() {
                break;
            }
            // SAFETY: readdir returned a valid entry whose d_name is NUL-terminated.
            let name = unsafe { std::ffi::CStr::from_ptr((*ent).d_name.as_ptr()) };
            let bytes = name.to_bytes();
            if bytes != b"." && bytes != b".." {
                names.push(OsStr::from_bytes(bytes).to_os_string());
            }
        }
        // SAFETY: closes the stream (and the duplicated descriptor) once.
        unsafe { libc::closedir(dirp) };
        names.sort();
        Ok(names)
    }

    /// What `name` is, without following a link.
    pub fn list(&self, name: &OsStr) -> io::Result<Listed> {
        let c = cstring(name)?;
        // SAFETY: a zeroed stat is a valid out-parameter.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: valid descriptor, NUL-terminated name, valid out-pointer.
        let rc = unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Listed {
            kind: Kind::of_mode(st.st_mode),
            dev: st.st_dev,
            ino: st.st_ino,
            uid: st.st_uid,
            mode: st.st_mode & 0o7777,
        })
    }

    /// Opens `name` as `listed` said it was; anything else (a link, another
    /// inode, another type) is an error naming the change.
    fn open_listed(&self, name: &OsStr, listed: &Listed, flags: libc::c_int) -> io::Result<File> {
        let path = self.path.join(name);
        let fd = match open_at(self.fd.as_raw_fd(), name, flags | libc::O_NOFOLLOW) {
            Ok(fd) => fd,
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENOTDIR)) => {
                return Err(changed(&path, listed.kind, "something else (a link?)"));
            }
            Err(e) => return Err(e),
        };
        let file = File::from(fd);
        let m = file.metadata()?;
        let kind = Kind::of_mode(m.mode());
        if kind != listed.kind || m.dev() != listed.dev || m.ino() != listed.ino {
            return Err(changed(&path, listed.kind, kind.describe()));
        }
        Ok(file)
    }

    /// The subdirectory `name`, which the listing saw as a directory.
    pub fn child(&self, name: &OsStr, listed: &Listed) -> io::Result<Dir> {
        let f = self.open_listed(name, listed, libc::O_RDONLY | libc::O_DIRECTORY)?;
        Ok(Dir {
            fd: OwnedFd::from(f),
            path: self.path.join(name),
        })
    }

    /// The regular file `name`, opened for reading without blocking (a FIFO
    /// swapped in cannot stall the reader).
    pub fn file(&self, name: &OsStr, listed: &Listed) -> io::Result<File> {
        self.open_listed(name, listed, libc::O_RDONLY | libc::O_NONBLOCK)
    }

    /// The target of the symlink `name` (fails if it is no longer a link).
    pub fn read_link(&self, name: &OsStr) -> io::Result<PathBuf> {
        let c = cstring(name)?;
        let mut buf = vec![0u8; libc::PATH_MAX as usize];
        // SAFETY: valid descriptor and name; `buf` has the length passed.
        let n = unsafe {
            libc::readlinkat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        buf.truncate(n as usize);
        Ok(PathBuf::from(OsString::from_vec(buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_directory_swapped_for_a_link_after_listing_is_not_followed() {
        let t = tmp();
        let root = t.path().join("tree");
        let secret = t.path().join("secret");
        std::fs::create_dir_all(root.join("sub")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(&secret).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(secret.join("id_ed25519"), "KEY").unwrap_or_else(|e| panic!("{e}"));
        let dir = Dir::open(&root).unwrap_or_else(|e| panic!("{e}"));
        let listed = dir
            .list(OsStr::new("sub"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(listed.kind, Kind::Dir);
        // The swap, between the listing and the open.
        std::fs::remove_dir(root.join("sub")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&secret, root.join("sub")).unwrap_or_else(|e| panic!("{e}"));
        let err = dir
            .child(OsStr::new("sub"), &listed)
            .err()
            .unwrap_or_else(|| panic!("the link was followed"));
        assert!(
            err.to_string().contains("changed while it was read"),
            "{err}"
        );
        // A file replaced by another (a hard link to a secret) is caught too.
        std::fs::write(root.join("f"), "x").unwrap_or_else(|e| panic!("{e}"));
        let listed = dir.list(OsStr::new("f")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(root.join("f")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::hard_link(secret.join("id_ed25519"), root.join("f"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(dir.file(OsStr::new("f"), &listed).is_err());
    }

    #[test]
    fn opening_the_root_follows_no_link() {
        let t = tmp();
        std::fs::create_dir(t.path().join("real")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("real", t.path().join("link")).unwrap_or_else(|e| panic!("{e}"));
        assert!(Dir::open(&t.path().join("real")).is_ok());
        assert!(Dir::open(&t.path().join("link")).is_err());
        assert!(Dir::open(&t.path().join("link/../real")).is_err());
    }
}
