//! Changing what selects a version: the global file of a layer (`gov
//! global`, `gov use`) and a directory's `.go-version` (`gov local`). The
//! CLI renders what these return.

use std::path::{Path, PathBuf};

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::version::{GoVersion, VersionRequest};
use crate::core::{fsutil, installed, lock};
use crate::entry::entrypoints;
use crate::entry::select::{self, Selection, VERSION_FILE};

/// What `gov global --unset` did.
#[derive(Debug)]
pub struct GlobalUnset {
    /// Whether this layer had a global to remove.
    pub removed: bool,
    /// What selects now, across the layers.
    pub now: Option<Selection>,
}

/// Removes the global selection of the App's layer, under its state lock.
pub fn unset_global(app: &App) -> Result<GlobalUnset> {
    let layout = &app.layout;
    let _guard = lock::acquire(&layout.state_lock(), "to change the selection", |m| {
        app.ui.status(m)
    })?;
    let removed = select::unset_global(layout)?;
    let now = select::layered_global(&app.layers())?;
    Ok(GlobalUnset { removed, now })
}

/// What `gov global <version>` did (or, in a dry run, would do).
#[derive(Debug)]
pub struct GlobalSet {
    pub requested: VersionRequest,
    /// The installed version it resolved to.
    pub version: GoVersion,
    /// The global before, as written.
    pub before: Option<String>,
    /// The global already named this version.
    pub same: bool,
    /// Entry points that were (would be) linked.
    pub links: Vec<PathBuf>,
    /// Files in the way that were moved aside: (from, to).
    pub moved_aside: Vec<(PathBuf, PathBuf)>,
}

impl GlobalSet {
    pub fn changed(&self) -> bool {
        !self.same || !self.links.is_empty()
    }
}

/// Makes the installed version `req` names the App's layer's global, and
/// links the entry points. Whether it is installed is decided under the
/// state lock, which `gov uninstall` holds while it removes a version: the
/// global never ends up naming a version that is gone. The system global
/// may name only a version of the system layer (what every account can
/// run); an account's own may name either layer's.
pub fn set_global(
    app: &App,
    req: &VersionRequest,
    force: bool,
    dry_run: bool,
) -> Result<GlobalSet> {
    let layout = &app.layout;
    let _guard = if dry_run {
        None
    } else {
        Some(lock::acquire(
            &layout.state_lock(),
            "to change the selection",
            |m| app.ui.status(m),
        )?)
    };
    let found = if layout.is_system() {
        installed::find(layout, req)?
    } else {
        installed::find_in(&app.layers(), req)?
    };
    let Some(found) = found else {
        let advice = if layout.is_system() {
            format!("install it into the system layer first: `gov install {req}` as root")
        } else {
            format!("install it first: `gov install {req}`")
        };
        return Err(
            Error::new(ErrorKind::NotFound, format!("Go {req} is not installed"))
                .with_advice(advice),
        );
    };
    let before = select::global(layout)?;
    let same = before
        .as_ref()
        .is_some_and(|s| s.request == VersionRequest::Exact(found.version.clone()));
    let mut set = GlobalSet {
        requested: req.clone(),
        links: entrypoints::pending(layout, force)?,
        version: found.version,
        before: before.map(|s| s.raw),
        same,
        moved_aside: Vec::new(),
    };
    if dry_run {
        return Ok(set);
    }
    set.moved_aside = entrypoints::ensure(layout, force)?;
    if !same {
        select::set_global(layout, &set.version)?;
    }
    Ok(set)
}

/// Writes `dir/.go-version` naming `req` (goenv's format), atomically.
/// Returns the file and whether the version is installed in some layer.
pub fn set_local(app: &App, dir: &Path, req: &VersionRequest) -> Result<(PathBuf, bool)> {
    let file = dir.join(VERSION_FILE);
    fsutil::write_atomic(&file, format!("{req}\n").as_bytes())?;
    let installed = installed::find_in(&app.layers(), req)?.is_some();
    Ok((file, installed))
}

/// Removes `dir/.go-version`; an error when there is none.
pub fn unset_local(dir: &Path) -> Result<PathBuf> {
    let file = dir.join(VERSION_FILE);
    match std::fs::remove_file(&file) {
        Ok(()) => Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::new(
            ErrorKind::NotFound,
            format!("there is no {}", file.display()),
        )),
        Err(e) => Err(e).context(|| format!("removing {}", file.display())),
    }
}

/// The nearest `.go-version` at or above `dir` that names a version: the
/// line and the file.
pub fn nearest_local(dir: &Path) -> Result<Option<(String, PathBuf)>> {
    for d in dir.ancestors() {
        let f = d.join(VERSION_FILE);
        if let Some(text) =
            crate::core::safe_read::read_text(&f, crate::core::safe_read::MAX_VERSION_FILE)?
            && let Some(line) = select::parse_version_file(&text)
        {
            return Ok(Some((line.to_string(), f)));
        }
    }
    Ok(None)
}
