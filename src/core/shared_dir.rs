//! A folder several accounts write, such as a build cache on a shared
//! build server: owned by one group, group-writable, and setgid on every
//! directory so what any member creates stays in the group. Links are
//! never followed: a link planted inside is regrouped itself, not what it
//! points at.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::core::error::{Error, ErrorKind, IoContext, Result};

/// What [`share`] changed.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    pub dir: PathBuf,
    pub group: String,
    pub gid: u32,
    /// Directories and files regrouped or given group write.
    pub changed: u64,
}

/// A group by name or number. Names are read from /etc/group: gov is
/// linked statically, where the C library's NSS lookups cannot load.
pub fn group_id(group: &str) -> Result<u32> {
    if let Ok(n) = group.parse::<u32>() {
        return Ok(n);
    }
    let text = crate::core::safe_read::read_text(Path::new("/etc/group"), 4 << 20)
        .ok()
        .flatten()
        .unwrap_or_default();
    gid_in(&text, group).ok_or_else(|| {
        Error::invalid(format!(
            "no group named `{}` in /etc/group",
            crate::core::quote::shown(group)
        ))
        .with_advice("create it first (`groupadd builders`; `usermod -aG builders <account>`), or give its number")
    })
}

/// The gid of `name` in /etc/group's `name:password:gid:members` lines.
fn gid_in(etc_group: &str, name: &str) -> Option<u32> {
    etc_group.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name)
            .then(|| fields.nth(1)?.trim().parse().ok())
            .flatten()
    })
}

fn lchown_group(path: &Path, gid: u32) -> Result<()> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::invalid(format!("{} holds a NUL byte", path.display())))?;
    // SAFETY: a valid NUL-terminated path; -1 keeps the owner.
    let r = unsafe { libc::lchown(c.as_ptr(), u32::MAX, gid) };
    if r != 0 {
        return Err(Error::io(
            format!("changing the group of {}", path.display()),
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// The mode a member of the group needs: directories setgid and rwx for
/// the group, files rw for it (x where the owner has x).
fn shared_mode(mode: u32, is_dir: bool) -> u32 {
    let mode = mode & 0o7777;
    if is_dir {
        mode | 0o2070
    } else {
        mode | 0o060 | ((mode & 0o100) >> 3)
    }
}

/// Makes `dir` (created when missing) and everything in it belong to
/// `group`, group-writable, directories setgid.
pub fn share(dir: &Path, group: &str) -> Result<Shared> {
    if !dir.is_absolute() || dir.parent().is_none() {
        return Err(Error::invalid(format!(
            "`{}`: name the shared folder by an absolute path below /",
            dir.display()
        )));
    }
    let gid = group_id(group)?;
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(Error::new(
                ErrorKind::State,
                format!(
                    "{} is a symbolic link; refusing to follow it",
                    dir.display()
                ),
            )
            .with_advice("name the folder it points to, after checking it is the right one"));
        }
        Ok(m) if !m.is_dir() => {
            return Err(Error::new(
                ErrorKind::State,
                format!("{} exists and is not a folder", dir.display()),
            ));
        }
        Ok(_) => {}
        Err(_) => crate::core::perms::create_dir_all(dir, 0o2775)?,
    }
    let mut shared = Shared {
        dir: dir.to_path_buf(),
        group: group.to_string(),
        gid,
        changed: 0,
    };
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).context(|| format!("reading {}", p.display()))?;
        let kind = meta.file_type();
        let mut touched = false;
        if meta.gid() != gid {
            lchown_group(&p, gid)?;
            touched = true;
        }
        if !kind.is_symlink() {
            let want = shared_mode(meta.mode(), kind.is_dir());
            if want != meta.mode() & 0o7777 {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(want))
                    .context(|| format!("setting the mode of {}", p.display()))?;
                touched = true;
            }
        }
        shared.changed += u64::from(touched);
        if kind.is_dir() {
            let entries = std::fs::read_dir(&p).context(|| format!("listing {}", p.display()))?;
            stack.extend(entries.flatten().map(|e| e.path()));
        }
    }
    Ok(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_for_a_group() {
        assert_eq!(shared_mode(0o755, true), 0o2775);
        assert_eq!(shared_mode(0o700, true), 0o2770);
        assert_eq!(shared_mode(0o644, false), 0o664);
        assert_eq!(shared_mode(0o755, false), 0o775);
        assert_eq!(shared_mode(0o444, false), 0o464);
    }

    #[test]
    fn unknown_groups_and_relative_paths_are_refused() {
        assert!(group_id("no-such-group-here-xyz").is_err());
        let etc = "root:x:0:\n# note\nbuilders:x:1500:alice,bob\nbad\n";
        assert_eq!(gid_in(etc, "builders"), Some(1500));
        assert_eq!(gid_in(etc, "bad"), None);
        assert_eq!(gid_in(etc, "alice"), None);
        assert_eq!(group_id("0").ok(), Some(0));
        assert!(share(Path::new("relative/dir"), "0").is_err());
        assert!(share(Path::new("/"), "0").is_err());
    }
}
