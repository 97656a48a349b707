//! Explicit modes for everything gov creates, and the ownership rules for
//! state that gov runs code from.
//!
//! Modes are set on the open descriptor (fchmod), never left to the umask:
//! under `umask 000` a world-writable `versions/<v>/bin` would let any
//! account swap the `go` that root runs next. As root, gov also refuses
//! state that another account owns or can write, the way ssh refuses a
//! loose `~/.ssh`.

use std::fs::{File, Metadata, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::layout::Layout;

/// Directories: readable by every account (a system layer is shared).
pub const DIR: u32 = 0o755;
/// Plain files.
pub const FILE: u32 = 0o644;
/// Executables and scripts.
pub const EXEC: u32 = 0o755;
/// The locks folder: no other account may open a lock file (a reader could
/// `flock` it and stall gov).
pub const PRIVATE_DIR: u32 = 0o700;
pub const PRIVATE_FILE: u32 = 0o600;

fn fchmod(f: &File, mode: u32, path: &Path) -> Result<()> {
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .context(|| format!("setting the mode of {}", path.display()))
}

/// Creates the single directory `dir` (its parent must exist) with exactly
/// `mode`. Fails if it exists.
pub fn make_dir(dir: &Path, mode: u32) -> Result<()> {
    std::fs::DirBuilder::new()
        .mode(mode)
        .create(dir)
        .context(|| format!("creating {}", dir.display()))?;
    set_dir_mode(dir, mode)
}

/// Sets a directory's mode through a descriptor opened without following
/// a symlink, so a link swapped in cannot redirect the chmod.
pub fn set_dir_mode(dir: &Path, mode: u32) -> Result<()> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(dir)
        .context(|| format!("opening {}", dir.display()))?;
    fchmod(&f, mode, dir)
}

/// Creates `dir` and its missing parents. Every directory this call
/// creates gets an exact mode: `mode` for `dir`, [`DIR`] for parents.
/// Existing directories are left as they are.
pub fn create_dir_all(dir: &Path, mode: u32) -> Result<()> {
    // A path the kernel would refuse is refused before any work that grows
    // with its depth.
    if dir.as_os_str().len() >= libc::PATH_MAX as usize {
        return Err(std::io::Error::from_raw_os_error(libc::ENAMETOOLONG)).context(|| {
            format!(
                "creating {}",
                crate::core::quote::shown(&dir.to_string_lossy())
            )
        });
    }
    // Up to the first folder that exists, then down again: a loop, so a
    // deep path costs no stack.
    let mut missing = Vec::new();
    let mut cur = dir;
    while !std::fs::metadata(cur).is_ok_and(|m| m.is_dir()) {
        missing.push(cur);
        match cur.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) => cur = parent,
            None => break,
        }
    }
    for (i, d) in missing.iter().enumerate().rev() {
        let m = if i == 0 { mode } else { DIR };
        match std::fs::DirBuilder::new().mode(m).create(d) {
            Ok(()) => set_dir_mode(d, m)?,
            // Another process made it first: theirs stands.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => return Err(e).context(|| format!("creating {}", d.display())),
        }
    }
    Ok(())
}

/// Creates a new file (never an existing one, never through a symlink)
/// with exactly `mode`.
pub fn create_file(path: &Path, mode: u32) -> Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .context(|| format!("creating {}", path.display()))?;
    fchmod(&f, mode, path)?;
    Ok(f)
}

/// Opens (creating if needed) a lock file only this account can open,
/// tightening one left readable by an older gov.
pub fn open_private(path: &Path) -> Result<File> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(PRIVATE_FILE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .context(|| format!("opening the lock file {}", path.display()))?;
    let m = f
        .metadata()
        .context(|| format!("inspecting {}", path.display()))?;
    if m.uid() == euid() && m.mode() & 0o777 != PRIVATE_FILE {
        fchmod(&f, PRIVATE_FILE, path)?;
    }
    Ok(f)
}

/// Makes sure the locks folder exists with [`PRIVATE_DIR`], tightening
/// one this account owns that an older gov left open.
pub fn private_dir(dir: &Path) -> Result<()> {
    create_dir_all(dir, PRIVATE_DIR)?;
    if let Ok(m) = std::fs::symlink_metadata(dir)
        && m.is_dir()
        && m.uid() == euid()
        && m.mode() & 0o777 != PRIVATE_DIR
    {
        set_dir_mode(dir, PRIVATE_DIR)?;
    }
    Ok(())
}

fn egid() -> u32 {
    // SAFETY: getegid has no preconditions and cannot fail.
    unsafe { libc::getegid() }
}

pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// While it lives, the whole process acts on the file system as another
/// account: effective uid and gid, and that gid as its only group. What it
/// creates is the account's, and it can open only what the account could,
/// so a link the account planted leads nowhere the account cannot write.
/// The real and saved ids stay root's, so the account can neither signal
/// nor trace the process meanwhile. Dropping it restores root.
pub struct ActingAs {
    egid: libc::gid_t,
    groups: Vec<libc::gid_t>,
}

/// Starts acting as `uid`/`gid` (root only).
pub fn act_as(uid: u32, gid: u32) -> Result<ActingAs> {
    let failed = |what: &str| {
        Error::new(
            ErrorKind::Permission,
            format!("cannot act as account {uid} (group {gid}): {what} failed"),
        )
        .with_source(std::io::Error::last_os_error())
        .with_advice("run the command as that account instead")
    };
    // SAFETY: getgroups with a zero size only counts.
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    let mut groups = vec![0 as libc::gid_t; n.max(0) as usize];
    // SAFETY: the buffer holds `n` entries.
    let n = unsafe { libc::getgroups(n, groups.as_mut_ptr()) };
    if n < 0 {
        return Err(failed("getgroups"));
    }
    groups.truncate(n as usize);
    let saved = ActingAs {
        egid: egid(),
        groups,
    };
    // SAFETY: plain system calls on ids; glibc applies them to every thread.
    if unsafe { libc::setgroups(1, &gid) } != 0 {
        return Err(failed("setgroups"));
    }
    // From here on, `saved` puts back whatever was changed if a step fails.
    // SAFETY: as above.
    if unsafe { libc::setegid(gid) } != 0 {
        return Err(failed("setegid"));
    }
    // SAFETY: as above.
    if unsafe { libc::seteuid(uid) } != 0 {
        return Err(failed("seteuid"));
    }
    Ok(saved)
}

impl Drop for ActingAs {
    fn drop(&mut self) {
        // SAFETY: the saved uid is root's, so these cannot be refused.
        let restored = unsafe {
            libc::seteuid(0) == 0
                && libc::setegid(self.egid) == 0
                && libc::setgroups(self.groups.len(), self.groups.as_ptr()) == 0
        };
        if !restored {
            // Going on under the wrong identity is worse than stopping.
            std::process::abort();
        }
    }
}

/// Why `meta` (of a path gov would trust) is unsafe for account `uid`, if
/// it is: owned by an account other than `uid` and root, or writable by
/// group or others. A root-owned sticky directory (`/tmp`) is acceptable
/// as an ancestor: others cannot rename or remove what root made in it.
pub fn loose(meta: &Metadata, uid: u32, ancestor: bool) -> Option<String> {
    let owner = meta.uid();
    if owner != uid && owner != 0 {
        return Some(format!(
            "it is owned by uid {owner}, not by uid {uid} or root"
        ));
    }
    let mode = meta.mode() & 0o7777;
    let sticky_root_dir = ancestor && meta.is_dir() && owner == 0 && mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky_root_dir && !meta.file_type().is_symlink() {
        let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
            (true, true) => "its group and every account",
            (true, false) => "its group",
            _ => "every account",
        };
        return Some(format!("it is writable by {who} (mode {mode:04o})"));
    }
    None
}

/// A path found unsafe, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loose {
    pub path: PathBuf,
    pub why: String,
}

/// Checks `path` and every directory above it (ssh's rule for `~/.ssh`).
/// Missing paths are fine: gov creates them with its own modes.
pub fn check_chain(path: &Path, uid: u32) -> Option<Loose> {
    let mut ancestors: Vec<&Path> = path.ancestors().skip(1).collect();
    ancestors.reverse();
    for a in ancestors {
        if let Ok(m) = std::fs::metadata(a)
            && let Some(why) = loose(&m, uid, true)
        {
            return Some(Loose {
                path: a.to_path_buf(),
                why,
            });
        }
    }
    check_one(path, uid)
}

/// Checks one path (the link itself when it is a symlink, and what it
/// points to).
pub fn check_one(path: &Path, uid: u32) -> Option<Loose> {
    let found = |why| {
        Some(Loose {
            path: path.to_path_buf(),
            why,
        })
    };
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            if let Some(why) = loose(&m, uid, false) {
                return found(why);
            }
            match std::fs::metadata(path) {
                Ok(t) => loose(&t, uid, false).and_then(found),
                Err(_) => None,
            }
        }
        Ok(m) => loose(&m, uid, false).and_then(found),
        Err(_) => None,
    }
}

/// The error root gets for state it must not trust.
pub fn refuse(l: &Loose) -> Error {
    Error::new(
        ErrorKind::State,
        format!(
            "refusing to run as root from {}: {}",
            l.path.display(),
            l.why
        ),
    )
    .with_advice(format!(
        "another account could change what root runs; fix it with `chown root: {p}` and `chmod go-w {p}`, \
         or point GOV_HOME at state only root can write",
        p = l.path.display()
    ))
}

/// Replaces the file at `path` atomically with `bytes`, through a symlink
/// if `path` is one (the link stays, its target changes), keeping the
/// target's mode and owner: a 0600 ~/.profile stays 0600, and root editing
/// a user's file leaves it the user's.
pub fn replace_keeping(path: &Path, bytes: &[u8]) -> Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)
            .context(|| format!("following the link {}", path.display()))?,
        _ => path.to_path_buf(),
    };
    let old = std::fs::metadata(&target).ok();
    let mode = old.as_ref().map_or(FILE, |m| m.mode() & 0o7777);
    let tmp = crate::core::fsutil::write_beside(&target, bytes, mode)?;
    let result = (|| {
        if let Some(m) = &old
            && (m.uid() != euid() || m.gid() != egid())
        {
            std::os::unix::fs::lchown(&tmp, Some(m.uid()), Some(m.gid()))
                .context(|| format!("keeping the owner of {}", target.display()))?;
            // chown clears setuid/setgid bits; put the mode back.
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
                .context(|| format!("setting the mode of {}", tmp.display()))?;
        }
        std::fs::rename(&tmp, &target).context(|| format!("replacing {}", target.display()))?;
        crate::core::fsutil::fsync_dir(target.parent().unwrap_or(Path::new(".")))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// What root trusts in a layout: GOV_HOME and the folders above it, every
/// entry directly in it (versions/, shims/, locks/, the profile, the global
/// selection, gov's config...), and GOV_BIN_DIR with the folders above it.
pub fn state_findings(layout: &Layout, uid: u32) -> Vec<Loose> {
    let home = layout.home();
    let mut found: Vec<Loose> = check_chain(home, uid).into_iter().collect();
    if let Ok(rd) = std::fs::read_dir(home) {
        let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        names.sort();
        found.extend(names.iter().filter_map(|p| check_one(p, uid)));
    }
    found.extend(check_chain(layout.bin_dir(), uid));
    found
}

/// As root, refuses a layout whose state another account could change.
/// Other accounts are not refused (their state is theirs; doctor reports).
pub fn guard_state(layout: &Layout) -> Result<()> {
    if euid() != 0 {
        return Ok(());
    }
    match state_findings(layout, 0).first() {
        Some(l) => Err(refuse(l)),
        None => Ok(()),
    }
}

/// The entries gov keeps directly in a layer's home (`core::layout`, and
/// the module profile `env`).
pub const HOME_ENTRIES: &[&str] = &[
    "versions", "shims", "cache", "tmp", "locks", "sumdb", "config", "global", "env",
];

/// As root, refuses layers another account could change before running a
/// toolchain from them: the same rules as [`guard_state`], at the cost a
/// `go` call can pay. Each folder above any home or bin dir is checked
/// once (they share most ancestors), then each home, the entries gov keeps
/// in it by name (no listing: an entry gov does not know is never read,
/// and only root can add one to a home that passes), and each bin dir.
pub fn guard_layers(layouts: &[&Layout]) -> Result<()> {
    if euid() != 0 {
        return Ok(());
    }
    let mut seen: Vec<&Path> = Vec::new();
    for layout in layouts {
        for top in [layout.home(), layout.bin_dir()] {
            let mut above: Vec<&Path> = top.ancestors().skip(1).collect();
            above.reverse();
            for a in above {
                if seen.contains(&a) {
                    continue;
                }
                seen.push(a);
                if let Ok(m) = std::fs::metadata(a)
                    && let Some(why) = loose(&m, 0, true)
                {
                    return Err(refuse(&Loose {
                        path: a.to_path_buf(),
                        why,
                    }));
                }
            }
        }
    }
    for layout in layouts {
        let home = layout.home();
        let entries = HOME_ENTRIES.iter().map(|e| home.join(e));
        let paths = std::iter::once(home.to_path_buf())
            .chain(entries)
            .chain([layout.bin_dir().to_path_buf()]);
        for p in paths {
            if let Some(l) = check_one(&p, 0) {
                return Err(refuse(&l));
            }
        }
    }
    Ok(())
}

/// As root, refuses a version tree (the folder, bin/ and the tool) that
/// another account could change, before executing from it.
pub fn guard_tree(goroot: &Path, exe: &Path) -> Result<()> {
    if euid() != 0 {
        return Ok(());
    }
    let bin = goroot.join("bin");
    for p in [goroot, bin.as_path(), exe] {
        if let Some(l) = check_one(p, 0) {
            return Err(refuse(&l));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_ignore_the_umask() {
        // SAFETY: umask only changes this process's file creation mask.
        let old = unsafe { libc::umask(0) };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let deep = dir.path().join("a/b/locks");
        let made = create_dir_all(&deep, PRIVATE_DIR);
        let f = create_file(&dir.path().join("a/f"), FILE).map(|_| ());
        // SAFETY: restores the mask read above.
        unsafe { libc::umask(old) };
        made.unwrap_or_else(|e| panic!("{e}"));
        f.unwrap_or_else(|e| panic!("{e}"));
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p)).map_or(0, |m| m.permissions().mode() & 0o7777)
        };
        assert_eq!(mode("a"), 0o755);
        assert_eq!(mode("a/b"), 0o755);
        assert_eq!(mode("a/b/locks"), 0o700);
        assert_eq!(mode("a/f"), 0o644);
    }

    /// A path far deeper than the system allows fails with an error, on a
    /// small stack, at once.
    #[test]
    fn deep_paths_fail_without_recursion() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let deep = dir.path().join("a/".repeat(40_000));
        let within = dir.path().join("b/".repeat(100));
        let made = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || (create_dir_all(&deep, DIR), create_dir_all(&within, DIR)))
            .unwrap_or_else(|e| panic!("{e}"))
            .join()
            .unwrap_or_else(|_| panic!("create_dir_all panicked"));
        let err = made.0.expect_err("a 80,000-byte path");
        assert!(err.to_string().contains("creating"), "{err}");
        assert!(err.to_string().len() < 1_000, "{err}");
        made.1.unwrap_or_else(|e| panic!("{e}"));
        assert!(dir.path().join("b/".repeat(100)).is_dir());
    }
}
