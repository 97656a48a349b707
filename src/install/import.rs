//! `gov import`: adopt an existing Go tree (`/usr/local/go`, a goenv
//! version, `~/sdk/go1.22.5`) as an installed version by copying it, so
//! moving to gov costs no download. Same guarantees as an install: staged,
//! checked with its own `go version`, synced, published by one rename.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::installed;
use crate::core::perms::{self, Loose};
use crate::core::quote::shown;
use crate::core::version::GoVersion;
use crate::install::safe_copy::{Dir, Kind, Listed};

/// Far deeper than any Go tree (about 15 levels): a bound on the descriptors
/// held and on the recursion, against a tree made deep on purpose.
const MAX_DEPTH: usize = 64;
/// Go trees hold about 15,000 entries.
const MAX_ENTRIES: usize = 500_000;

fn walk_error(path: &Path, e: io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot copy {}", shown(&path.to_string_lossy())),
    )
    .with_source(e)
    .with_advice(
        "if another account can change this tree, import a copy only root (or you) can write",
    )
}

fn shown_path(p: &Path) -> String {
    shown(&p.to_string_lossy())
}

/// Copies a GOROOT opened as [`Dir`] into a staging directory, keeping
/// modes (0755 or 0644) and the symlinks that stay inside the tree. As
/// root, every entry must be one root may trust (`perms::loose`), unless
/// `force`, which only records the first that is not.
struct Copier {
    as_root: bool,
    force: bool,
    /// The first entry another account owns or can write (with `force`).
    foreign: Option<Loose>,
    /// Symlinks made in the stage, checked once the whole tree is there:
    /// (where it was in the source, where it is in the stage).
    links: Vec<(PathBuf, PathBuf)>,
    entries: usize,
    files: u64,
}

impl Copier {
    /// As root: refuses (or, forced, records) an entry another account
    /// controls, and refuses what its owner kept from other accounts (a
    /// hard link to a private file must not become world-readable).
    fn judge(
        &mut self,
        path: &Path,
        listed: &Listed,
        meta: Option<&std::fs::Metadata>,
    ) -> Result<()> {
        if !self.as_root {
            return Ok(());
        }
        let why = match meta {
            Some(m) => perms::loose(m, 0, false),
            None if listed.uid != 0 => {
                Some(format!("it is owned by uid {}, not by root", listed.uid))
            }
            None => None,
        };
        if let Some(why) = why {
            let l = Loose {
                path: path.to_path_buf(),
                why,
            };
            if !self.force {
                return Err(refuse_foreign(&l));
            }
            self.foreign.get_or_insert(l);
        }
        let readable = match listed.kind {
            Kind::Dir => listed.mode & 0o005 == 0o005,
            Kind::File => listed.mode & 0o004 != 0,
            _ => true,
        };
        if !readable {
            return Err(Error::invalid(format!(
                "{} is not readable by every account (mode {:04o}); the files of a Go release are",
                shown_path(path),
                listed.mode
            ))
            .with_advice("gov does not make readable to all what its owner kept private; import a clean copy, or `gov install` the version"));
        }
        Ok(())
    }

    fn copy_dir(&mut self, src: &Dir, dst: &Path, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::invalid(format!(
                "{} is nested deeper than {MAX_DEPTH} directories; no Go tree is",
                shown_path(src.path())
            )));
        }
        let names = src.names().map_err(|e| walk_error(src.path(), e))?;
        for name in names {
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(Error::invalid(format!(
                    "the tree holds more than {MAX_ENTRIES} entries; no Go tree does"
                )));
            }
            self.copy_entry(src, &name, &dst.join(&name), depth)?;
        }
        Ok(())
    }

    fn copy_entry(&mut self, src: &Dir, name: &OsStr, to: &Path, depth: usize) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let from = src.path().join(name);
        let listed = src.list(name).map_err(|e| walk_error(&from, e))?;
        match listed.kind {
            Kind::Symlink => {
                self.judge(&from, &listed, None)?;
                let target = src.read_link(name).map_err(|e| walk_error(&from, e))?;
                std::os::unix::fs::symlink(&target, to)
                    .context(|| format!("creating {}", to.display()))?;
                self.links.push((from, to.to_path_buf()));
            }
            Kind::Dir => {
                let child = src.child(name, &listed).map_err(|e| walk_error(&from, e))?;
                let meta = child.metadata().map_err(|e| walk_error(&from, e))?;
                self.judge(&from, &listed, Some(&meta))?;
                perms::make_dir(to, perms::DIR)?;
                self.copy_dir(&child, to, depth + 1)?;
                std::fs::set_permissions(to, std::fs::Permissions::from_mode(perms::DIR))
                    .context(|| format!("setting the mode of {}", to.display()))?;
            }
            Kind::File => {
                let mut file = src.file(name, &listed).map_err(|e| walk_error(&from, e))?;
                let meta = file.metadata().map_err(|e| walk_error(&from, e))?;
                self.judge(&from, &listed, Some(&meta))?;
                let mode = if listed.mode & 0o111 != 0 {
                    perms::EXEC
                } else {
                    perms::FILE
                };
                let mut out = perms::create_file(to, mode)?;
                io::copy(&mut file, &mut out).map_err(|e| walk_error(&from, e))?;
                self.files += 1;
            }
            Kind::Special => {
                return Err(Error::invalid(format!(
                    "{} is {}; a Go tree holds none",
                    shown_path(&from),
                    Kind::Special.describe()
                ))
                .with_advice("remove it, or import a clean copy (or `gov install` the version)"));
            }
        }
        Ok(())
    }

    /// The tree's policy on links, judged in the stage (which only gov
    /// writes, so nothing can change under the check): relative, and
    /// resolving inside the tree, directly or through other links.
    fn check_links(&self, stage: &Path) -> Result<()> {
        let stage = stage
            .canonicalize()
            .context(|| format!("finding {}", stage.display()))?;
        for (from, to) in &self.links {
            let target = std::fs::read_link(to).context(|| format!("reading {}", to.display()))?;
            let inside = !target.is_absolute()
                && std::fs::canonicalize(to).is_ok_and(|t| t.starts_with(&stage));
            if !inside {
                return Err(Error::invalid(format!(
                    "{} is a symlink to {}, outside the Go tree",
                    shown_path(from),
                    shown_path(&target)
                ))
                .with_advice(
                    "a genuine Go tree has no such link; remove it, or import a clean copy (or `gov install` the version)",
                ));
            }
        }
        Ok(())
    }
}

/// The error for a tree root must not take from another account.
fn refuse_foreign(l: &Loose) -> Error {
    Error::new(
        ErrorKind::State,
        format!(
            "refusing to import as root from {}: {}",
            shown_path(&l.path),
            l.why
        ),
    )
    .with_advice(
        "another account could change the tree while it is copied, and would choose what root runs later; \
         install the version instead (`gov install <version>`), or pass --force if you trust that account",
    )
}

/// The version a tree's VERSION file names, read through the open tree
/// (bounded, never through a link) and escaped wherever it is shown.
fn version_of(tree: &Dir) -> Result<GoVersion> {
    let name = OsStr::new("VERSION");
    let path = tree.path().join(name);
    let listed = tree.list(name).map_err(|e| walk_error(&path, e))?;
    let file = tree.file(name, &listed).map_err(|e| walk_error(&path, e))?;
    let bytes = crate::core::safe_read::read_open(&file, &path, installed::MAX_VERSION_FILE)?;
    let line = installed::version_line(&bytes).unwrap_or_default();
    line.strip_prefix("go")
        .and_then(GoVersion::parse)
        .ok_or_else(|| {
            Error::invalid(format!(
                "{} says `{}`, not a Go release version",
                shown_path(&path),
                shown(&line)
            ))
        })
}

/// Imports the Go tree at `src`. Returns its version.
///
/// As root, a tree that another account owns or can write is refused
/// unless `force`; a forced one is copied all the same way, but its `go` is
/// not run (the copy's `go version` is the check for every other tree: it
/// runs from gov's own staging directory, as what root already trusted).
pub fn import(app: &App, src: &Path, force: bool) -> Result<GoVersion> {
    let src = src
        .canonicalize()
        .context(|| format!("finding {}", src.display()))?;
    if !installed::looks_like_goroot(&src) {
        return Err(Error::invalid(format!(
            "{} is not a Go tree (no bin/go and VERSION)",
            shown_path(&src)
        ))
        .with_advice("name the directory that holds bin/ and VERSION, e.g. /usr/local/go"));
    }
    let as_root = perms::euid() == 0;
    let above = if as_root {
        perms::check_chain(&src, 0)
    } else {
        None
    };
    if let Some(l) = &above
        && !force
    {
        return Err(refuse_foreign(l));
    }
    let tree = Dir::open(&src).map_err(|e| walk_error(&src, e))?;
    let version = version_of(&tree)?;
    let layout = &app.layout;
    let v = version.as_str().to_string();
    let goroot = layout.version_dir(&v);
    if src == goroot {
        return Err(Error::invalid(format!(
            "{} is already gov's",
            shown_path(&src)
        )));
    }
    let (_guard, exists) = crate::install::transaction::begin(app, &v)?;
    if exists && !force {
        return Err(
            Error::new(ErrorKind::State, format!("Go {v} is already installed"))
                .with_advice("pass --force to replace it with the imported tree"),
        );
    }
    fsutil::create_dir_all(&layout.tmp_dir())?;
    fsutil::create_dir_all(&layout.versions_dir())?;
    let stage = layout.tmp_dir().join(installed::tmp_name(&v, "stage"));
    let mut copier = Copier {
        as_root,
        force,
        foreign: above,
        links: Vec::new(),
        entries: 0,
        files: 0,
    };
    let result = (|| {
        perms::make_dir(&stage, perms::DIR)?;
        copier.copy_dir(&tree, &stage, 0)?;
        copier.check_links(&stage)?;
        check_copy(app, &stage, &version, copier.foreign.as_ref())?;
        fsutil::sync_filesystem(&stage)?;
        // An imported tree carries no proofs of its own.
        installed::forget_proofs(layout, version.as_str())?;
        if exists {
            fsutil::exchange(&stage, &goroot)
                .context(|| format!("replacing {}", goroot.display()))?;
        } else {
            std::fs::rename(&stage, &goroot)
                .context(|| format!("publishing {}", goroot.display()))?;
        }
        fsutil::fsync_dir(&layout.versions_dir())
    })();
    // On success after an exchange, `stage` holds the old tree.
    let _ = fsutil::remove_tree(&stage);
    result?;
    crate::install::transaction::write_entry_points(app, &version)?;
    Ok(version)
}

/// The copy must say what the source said (it may have changed meanwhile),
/// and run as that version, unless it came from an account root does not
/// trust: then nothing of it runs now.
fn check_copy(app: &App, stage: &Path, version: &GoVersion, foreign: Option<&Loose>) -> Result<()> {
    let want = version.go_name();
    let found = installed::read_version_file(stage);
    if found.as_deref() != Some(want.as_str()) {
        return Err(Error::new(
            ErrorKind::State,
            format!(
                "the tree's VERSION changed while it was copied (now {})",
                found.as_deref().map_or("unreadable".to_string(), shown)
            ),
        )
        .with_advice("import a tree nobody is changing"));
    }
    match foreign {
        None => crate::install::transaction::check_go_version(stage, &want),
        Some(l) => {
            app.ui.warn(&format!(
                "importing (--force) a tree another account controls ({}: {}); its go was not run, only VERSION was read",
                shown_path(&l.path),
                l.why
            ));
            Ok(())
        }
    }
}
