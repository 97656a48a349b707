//! Safe extraction of a Go release tarball (already gunzipped) into a
//! staging directory. Only regular files, directories and symlinks that stay
//! inside the tree are accepted; `..`, absolute paths, anything outside
//! `go/`, hard links, devices and fifos are refused; setuid/setgid bits are
//! dropped. Symlinks are created last, and no entry may pass through one,
//! so an archive cannot write through a link it planted.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;

/// Upper bounds that stop a decompression bomb long before the disk fills.
/// A Go release is ~250 MB in ~15 000 entries, unpacked from ~70 MB: about
/// 3.5 bytes per archive byte and one entry per 4 KiB of archive.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_entries: u64,
}

/// Ceilings whatever the archive's size: several times any real release.
const CEILING_BYTES: u64 = 2 << 30;
const CEILING_ENTRIES: u64 = 200_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: CEILING_BYTES,
            max_entries: CEILING_ENTRIES,
        }
    }
}

impl Limits {
    /// Bounds for an archive of `archive_bytes` (when known): ten times a
    /// real release's ratios plus some slack for tiny archives, so a 3 MB
    /// answer from a hostile mirror can never write gigabytes before the
    /// checksum verdict.
    pub fn for_archive(archive_bytes: Option<u64>) -> Limits {
        match archive_bytes {
            None => Limits::default(),
            Some(n) => Limits {
                max_bytes: n
                    .saturating_mul(10)
                    .saturating_add(64 << 20)
                    .min(CEILING_BYTES),
                max_entries: (n / 400).saturating_add(5_000).min(CEILING_ENTRIES),
            },
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub bytes: u64,
    /// Every regular file's digest, computed as it was written (the
    /// proofs and the install's manifest read these, never the files).
    pub digests: FileDigests,
}

/// One extracted regular file: its size and the sha256 of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    pub sha256: [u8; 32],
    /// The modification time given to the file (the archive's), in
    /// seconds since the epoch.
    pub mtime: Option<u64>,
}

/// Digests by tree-relative path (`bin/go`), in byte order; a repeated
/// entry keeps the last one, as the tree does.
pub type FileDigests = std::collections::BTreeMap<String, FileDigest>;

fn refuse(entry: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::BadArchive,
        format!("refusing archive entry `{entry}`: {why}"),
    )
    .with_advice("this is not a genuine Go release archive; nothing was installed")
}

/// Maps an archive path (`go/bin/go`) to a path relative to the tree root
/// (`bin/go`); `None` for the root itself. Refuses everything else.
fn tree_path(raw: &[u8]) -> Result<Option<PathBuf>> {
    let shown = String::from_utf8_lossy(raw).into_owned();
    let text = std::str::from_utf8(raw).map_err(|_| refuse(&shown, "the name is not UTF-8"))?;
    if text.starts_with('/') {
        return Err(refuse(&shown, "absolute path"));
    }
    let mut parts = text.split('/').filter(|c| !c.is_empty() && *c != ".");
    if parts.next() != Some("go") {
        return Err(refuse(&shown, "outside the archive's go/ folder"));
    }
    let mut rel = PathBuf::new();
    for part in parts {
        if part == ".." {
            return Err(refuse(&shown, "`..` in the path"));
        }
        rel.push(part);
    }
    Ok(if rel.as_os_str().is_empty() {
        None
    } else {
        Some(rel)
    })
}

/// Checks that a symlink at `link` (tree-relative) pointing to `target`
/// resolves inside the tree, by walking the components lexically.
fn symlink_stays_inside(link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: i64 = link.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Resolves the symlink at `link` to `target` the way the kernel will once
/// every planned link exists, following links through links (`a/b -> ..`
/// then `c -> a/b/..`), and tells whether it stays inside the tree. A
/// lexical check of each link alone misses such chains.
fn resolves_inside(link: &Path, target: &Path, links: &HashMap<PathBuf, PathBuf>) -> bool {
    let parts = |p: &Path| -> Option<Vec<OsString>> {
        p.components()
            .map(|c| match c {
                Component::Normal(n) => Some(n.to_owned()),
                Component::ParentDir => Some(OsString::from("..")),
                Component::CurDir => Some(OsString::from(".")),
                Component::RootDir | Component::Prefix(_) => None,
            })
            .collect()
    };
    let mut cur: Vec<OsString> = link.parent().and_then(parts).unwrap_or_default();
    let Some(start) = parts(target) else {
        return false;
    };
    let mut queue: VecDeque<OsString> = start.into();
    let mut budget = 64;
    while let Some(c) = queue.pop_front() {
        if c == "." {
            continue;
        }
        if c == ".." {
            if cur.pop().is_none() {
                return false;
            }
            continue;
        }
        cur.push(c);
        let here: PathBuf = cur.iter().collect();
        if let Some(t) = links.get(&here) {
            budget -= 1;
            let Some(more) = parts(t).filter(|_| budget > 0) else {
                return false;
            };
            cur.pop();
            for m in more.into_iter().rev() {
                queue.push_front(m);
            }
        }
    }
    true
}

/// Normalised file mode, as in Go's own archives: 0755 for anything
/// executable, 0644 otherwise; always owner-writable and
/// world-readable, never setuid, setgid, sticky or group/world-writable.
fn file_mode(mode: u32) -> u32 {
    if mode & 0o111 != 0 { 0o755 } else { 0o644 }
}

/// Extracts `tar_stream` into `dest` (an existing empty directory that
/// becomes the GOROOT).
pub fn unpack(tar_stream: impl Read, dest: &Path, limits: Limits) -> Result<Stats> {
    let mut archive = tar::Archive::new(tar_stream);
    let mut stats = Stats::default();
    let mut made_dirs: HashSet<PathBuf> = HashSet::new();
    let mut links: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut link_paths: HashSet<PathBuf> = HashSet::new();
    let mut entries_seen: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    // Each file is made durable while the next ones are unpacked.
    let sync = fsutil::TreeSync::new(dest);

    let entries = archive.entries().map_err(bad_stream)?;
    for entry in entries {
        let mut entry = entry.map_err(bad_stream)?;
        entries_seen += 1;
        if entries_seen > limits.max_entries {
            return Err(refuse("…", "too many entries for a Go release"));
        }
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let kind = entry.header().entry_type();
        let Some(rel) = tree_path(&raw)? else {
            if kind.is_dir() {
                continue;
            }
            return Err(refuse(&shown, "the archive root must be a directory"));
        };
        // No entry may go through a symlink the archive created.
        for anc in rel.ancestors().skip(1) {
            if link_paths.contains(anc) {
                return Err(refuse(&shown, "the path goes through a symlink"));
            }
        }
        let out = dest.join(&rel);
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.size();
                stats.bytes += size;
                if stats.bytes > limits.max_bytes {
                    return Err(refuse(
                        &shown,
                        "the archive unpacks to more than the size limit",
                    ));
                }
                if link_paths.contains(&rel) {
                    return Err(refuse(&shown, "replaces a symlink"));
                }
                ensure_parent(dest, &rel, &mut made_dirs)?;
                let mode = file_mode(entry.header().mode().unwrap_or(0o644));
                let mtime = entry.header().mtime().ok();
                let sha256 = write_file(&mut entry, &out, mode, mtime, &mut buf, &shown, &sync)?;
                // tree_path accepted only UTF-8 names.
                let key = rel.to_string_lossy().into_owned();
                stats.digests.insert(
                    key,
                    FileDigest {
                        size,
                        sha256,
                        mtime,
                    },
                );
                stats.files += 1;
            }
            tar::EntryType::Directory => {
                if link_paths.contains(&rel) {
                    return Err(refuse(&shown, "replaces a symlink"));
                }
                make_dir(dest, &rel, &shown, &mut made_dirs)?;
                stats.dirs += 1;
            }
            tar::EntryType::Symlink => {
                let target = symlink_target(&entry, &rel, &shown)?;
                link_paths.insert(rel.clone());
                links.push((rel, target));
                stats.symlinks += 1;
            }
            tar::EntryType::Link => return Err(refuse(&shown, "hard links are not allowed")),
            tar::EntryType::Char | tar::EntryType::Block => {
                return Err(refuse(&shown, "device files are not allowed"));
            }
            tar::EntryType::Fifo => return Err(refuse(&shown, "fifos are not allowed")),
            tar::EntryType::XGlobalHeader => {}
            other => {
                return Err(refuse(
                    &shown,
                    &format!("entry type {:?} is not allowed", other),
                ));
            }
        }
    }

    create_links(dest, links, &link_paths, &mut made_dirs)?;
    // Make directories exactly 0755 whatever the umask or the archive said.
    for d in &made_dirs {
        let _ = std::fs::set_permissions(dest.join(d), std::fs::Permissions::from_mode(0o755));
    }
    sync.finish(dest)?;
    Ok(stats)
}

/// A directory entry (once per path): 0755, its parents made when the
/// archive has no entries for them; a file in its place is refused.
fn make_dir(dest: &Path, rel: &Path, shown: &str, made_dirs: &mut HashSet<PathBuf>) -> Result<()> {
    if !made_dirs.insert(rel.to_path_buf()) {
        return Ok(());
    }
    let out = dest.join(rel);
    match std::fs::DirBuilder::new().mode(0o755).create(&out) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if !out.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                return Err(refuse(shown, "a directory replaces a file"));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ensure_parent(dest, rel, made_dirs)?;
            std::fs::create_dir(&out).context(|| format!("creating {}", out.display()))
        }
        Err(e) => Err(e).context(|| format!("creating {}", out.display())),
    }
}

/// A symlink entry's target, refused when empty or when it leaves the
/// tree by itself (through other links is checked once all are known).
fn symlink_target(entry: &tar::Entry<impl Read>, rel: &Path, shown: &str) -> Result<PathBuf> {
    let target = entry
        .link_name_bytes()
        .map(|b| b.into_owned())
        .unwrap_or_default();
    if target.is_empty() {
        return Err(refuse(shown, "symlink without a target"));
    }
    let target = PathBuf::from(std::ffi::OsStr::from_bytes_compat(&target));
    if !symlink_stays_inside(rel, &target) {
        return Err(refuse(
            shown,
            &format!("symlink to {} leaves the tree", target.display()),
        ));
    }
    Ok(target)
}

/// The symlinks, created last: each must stay inside the tree through the
/// other links too, and none may go through or replace another entry.
fn create_links(
    dest: &Path,
    links: Vec<(PathBuf, PathBuf)>,
    link_paths: &HashSet<PathBuf>,
    made_dirs: &mut HashSet<PathBuf>,
) -> Result<()> {
    let planned: HashMap<PathBuf, PathBuf> = links.iter().cloned().collect();
    for (rel, target) in links {
        if !resolves_inside(&rel, &target, &planned) {
            return Err(refuse(
                &rel.display().to_string(),
                &format!(
                    "symlink to {} leaves the tree through other links",
                    target.display()
                ),
            ));
        }
        for anc in rel.ancestors().skip(1) {
            if link_paths.contains(anc) {
                return Err(refuse(
                    &rel.display().to_string(),
                    "the path goes through a symlink",
                ));
            }
        }
        ensure_parent(dest, &rel, made_dirs)?;
        let out = dest.join(&rel);
        if out.symlink_metadata().is_ok() {
            return Err(refuse(
                &rel.display().to_string(),
                "a symlink replaces another entry",
            ));
        }
        std::os::unix::fs::symlink(&target, &out)
            .context(|| format!("creating the symlink {}", out.display()))?;
    }
    Ok(())
}

/// Converts raw bytes to an OsStr path component (Unix: any bytes).
trait FromBytesCompat {
    fn from_bytes_compat(b: &[u8]) -> &std::ffi::OsStr;
}
impl FromBytesCompat for std::ffi::OsStr {
    fn from_bytes_compat(b: &[u8]) -> &std::ffi::OsStr {
        std::os::unix::ffi::OsStrExt::from_bytes(b)
    }
}

fn bad_stream(e: std::io::Error) -> Error {
    // Errors from below (network, checksum) surface here as io errors too;
    // the installer reports the upstream cause when there is one.
    Error::new(
        ErrorKind::BadArchive,
        "the archive is not a valid gzip-compressed tar file",
    )
    .with_source(e)
    .with_advice("the download may be corrupt or not a Go release; nothing was installed")
}

fn ensure_parent(dest: &Path, rel: &Path, made: &mut HashSet<PathBuf>) -> Result<()> {
    let Some(parent) = rel.parent() else {
        return Ok(());
    };
    if parent.as_os_str().is_empty() || made.contains(parent) {
        return Ok(());
    }
    let full = dest.join(parent);
    match full.symlink_metadata() {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(refuse(
                &rel.display().to_string(),
                "its parent directory is a file",
            ));
        }
        Err(_) => fsutil::create_dir_all(&full)?,
    }
    for anc in parent.ancestors() {
        if anc.as_os_str().is_empty() {
            break;
        }
        made.insert(anc.to_path_buf());
    }
    Ok(())
}

fn write_file(
    entry: &mut impl Read,
    out: &Path,
    mode: u32,
    mtime: Option<u64>,
    buf: &mut [u8],
    shown: &str,
    sync: &fsutil::TreeSync,
) -> Result<[u8; 32]> {
    let open = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(mode)
            .open(out)
    };
    let mut f = match open() {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // A repeated entry: the later one wins, as with tar(1).
            let m = out
                .symlink_metadata()
                .context(|| format!("inspecting {}", out.display()))?;
            if !m.is_file() {
                return Err(refuse(shown, "a file replaces a directory or link"));
            }
            std::fs::remove_file(out).context(|| format!("replacing {}", out.display()))?;
            open().context(|| format!("creating {}", out.display()))?
        }
        Err(e) => return Err(e).context(|| format!("creating {}", out.display())),
    };
    let mut hasher = Sha256::new();
    loop {
        let n = match entry.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(bad_stream(e)),
        };
        hasher.update(&buf[..n]);
        f.write_all(&buf[..n])
            .context(|| format!("writing {}", out.display()))?;
    }
    // open() applied the umask; make the mode exact.
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .context(|| format!("setting the mode of {}", out.display()))?;
    if let Some(secs) = mtime {
        // Timestamps are cosmetic for Go (it hashes content); ignore failure.
        let _ = f.set_modified(UNIX_EPOCH + Duration::from_secs(secs));
    }
    sync.file(f)
        .context(|| format!("syncing {}", out.display()))?;
    Ok(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            tree_path(b"go/bin/go").ok().flatten(),
            Some(PathBuf::from("bin/go"))
        );
        assert_eq!(
            tree_path(b"./go/bin/").ok().flatten(),
            Some(PathBuf::from("bin"))
        );
        assert!(tree_path(b"go/").ok().is_some_and(|p| p.is_none()));
        assert!(tree_path(b"/go/bin/go").is_err());
        assert!(tree_path(b"go/../etc/passwd").is_err());
        assert!(tree_path(b"other/x").is_err());
        assert!(tree_path(b"gox/x").is_err());
    }

    #[test]
    fn symlinks() {
        assert!(symlink_stays_inside(
            Path::new("misc/link"),
            Path::new("../VERSION")
        ));
        assert!(!symlink_stays_inside(
            Path::new("misc/link"),
            Path::new("../../etc")
        ));
        assert!(!symlink_stays_inside(Path::new("link"), Path::new("../x")));
        assert!(!symlink_stays_inside(
            Path::new("link"),
            Path::new("/etc/passwd")
        ));
        assert!(symlink_stays_inside(
            Path::new("a/b/c"),
            Path::new("../../x/../y")
        ));
    }

    #[test]
    fn symlink_chains() {
        let links: HashMap<PathBuf, PathBuf> = [
            (PathBuf::from("a/b"), PathBuf::from("..")),
            (PathBuf::from("c"), PathBuf::from("a/b/..")),
            (PathBuf::from("misc/link"), PathBuf::from("../VERSION")),
            (PathBuf::from("loop1"), PathBuf::from("loop2")),
            (PathBuf::from("loop2"), PathBuf::from("loop1")),
        ]
        .into_iter()
        .collect();
        let ok = |l: &str| resolves_inside(Path::new(l), &links[Path::new(l)], &links);
        assert!(ok("a/b"));
        assert!(ok("misc/link"));
        // Each is lexically inside; through a/b it is the tree's parent.
        assert!(symlink_stays_inside(Path::new("c"), Path::new("a/b/..")));
        assert!(!ok("c"));
        assert!(!ok("loop1"));
    }

    #[test]
    fn entry_limits_follow_the_archive_size() {
        let real = Limits::for_archive(Some(70 << 20));
        assert!(real.max_bytes >= 600 << 20 && real.max_entries >= 50_000);
        let small = Limits::for_archive(Some(3 << 20));
        assert!(small.max_bytes < 128 << 20, "{}", small.max_bytes);
        assert!(small.max_entries < 20_000);
    }

    #[test]
    fn modes() {
        assert_eq!(file_mode(0o4755), 0o755);
        assert_eq!(file_mode(0o2644), 0o644);
        assert_eq!(file_mode(0o666), 0o644);
        assert_eq!(file_mode(0o700), 0o755);
        assert_eq!(file_mode(0o600), 0o644);
    }
}
