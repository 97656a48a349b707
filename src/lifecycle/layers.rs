//! The state layers the lifecycle commands look at, and the one place they
//! read "what is installed" and "what the global files select" from: the
//! account's own layer (GOV_HOME, `user`, where upgrade and prune write)
//! and the system layer below it (GOV_SYSTEM_HOME, `system`, read-only for
//! everyone but root). For root, by default, they are one layer, `system`.

use std::path::{Path, PathBuf};

use crate::app::App;
use crate::core::error::Result;
use crate::core::installed;
use crate::core::layout::Layout;
use crate::core::version::{GoVersion, VersionRequest};
use crate::entry::select::{self, Selection, Source};

/// One state layer (core's one layer model): commands that change state
/// (upgrade, prune) act on writable layers.
pub use crate::core::layers::LayerView as Layer;

/// The layers, nearest first. Only the caller's own layer is writable.
pub fn layers(app: &App) -> Vec<Layer> {
    app.layers().views()
}

/// Rewrites the env shims of every version installed in `layout` (after
/// its profile changed).
pub fn refresh_shims(layout: &Layout) -> Result<()> {
    for inst in installed::list(layout)? {
        crate::entry::shim::write(layout, inst.version.as_str())?;
    }
    Ok(())
}

/// An installed version and the layer holding it.
#[derive(Debug, Clone)]
pub struct InstalledIn {
    pub version: GoVersion,
    pub goroot: PathBuf,
    pub layer: &'static str,
}

/// Every installed version of every layer, nearest layer first, newest
/// first within a layer.
pub fn installed(layers: &[Layer]) -> Result<Vec<InstalledIn>> {
    let mut out = Vec::new();
    for l in layers {
        for i in installed::list(&l.layout)? {
            out.push(InstalledIn {
                version: i.version,
                goroot: i.goroot,
                layer: l.name(),
            });
        }
    }
    Ok(out)
}

/// What selects a version, for `selected_by`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct SelectedBy {
    /// `global`, `version-file`, `toolchain` or `env`.
    pub kind: &'static str,
    /// For `global`: the layer whose global file it is.
    pub layer: Option<&'static str>,
    /// The file that selects it (none for `env`).
    pub path: Option<PathBuf>,
}

/// A selection and the installed version it resolves to (if any).
#[derive(Debug, Clone)]
pub struct Selected {
    pub by: SelectedBy,
    pub selection: Selection,
    pub resolved: Option<GoVersion>,
}

/// The installed version a request means among `all`.
pub fn resolve(req: &VersionRequest, all: &[InstalledIn]) -> Option<GoVersion> {
    req.pick(all.iter().map(|i| &i.version)).cloned()
}

fn by_of(sel: &Selection, layer: Option<&'static str>) -> SelectedBy {
    let (kind, path) = match &sel.source {
        Source::Env => ("env", None),
        Source::VersionFile(p) => ("version-file", Some(p.clone())),
        Source::Toolchain(p) => ("toolchain", Some(p.clone())),
        Source::Global(p) | Source::SystemGlobal(p) => ("global", Some(p.clone())),
        // A module's go line raised the selection to a newer installed version.
        Source::GoLine(p) => ("go-line", Some(p.clone())),
    };
    SelectedBy { kind, layer, path }
}

/// The global selection of every layer. A corrupt global file is reported
/// as an error: nothing should be pruned on a guess.
pub fn globals(layers: &[Layer], all: &[InstalledIn]) -> Result<Vec<Selected>> {
    let mut out = Vec::new();
    for l in layers {
        if let Some(sel) = select::global(&l.layout)? {
            out.push(Selected {
                by: by_of(&sel, Some(l.name())),
                resolved: resolve(&sel.request, all),
                selection: sel,
            });
        }
    }
    Ok(out)
}

/// What selects a version in `cwd` when that is not a global file
/// (GOV_VERSION, a `.go-version` above, a go.mod `toolchain` line).
pub fn here(app: &App, cwd: &Path, all: &[InstalledIn]) -> Option<Selected> {
    let sel = select::select(&app.layers(), cwd).ok().flatten()?;
    if matches!(sel.source, Source::Global(_) | Source::SystemGlobal(_)) {
        return None;
    }
    Some(Selected {
        by: by_of(&sel, None),
        resolved: resolve(&sel.request, all),
        selection: sel,
    })
}

/// A `.go-version` file found under a directory.
#[derive(Debug, Clone)]
pub struct Pin {
    pub path: PathBuf,
    pub raw: String,
    pub request: VersionRequest,
    pub resolved: Option<GoVersion>,
}

/// Folders a project tree walk never enters: VCS data, dependency trees
/// and build output hold no project pins of their own.
const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn", "node_modules", "vendor", "target"];
/// Bounds of the walk, so a `gov prune` in `/` still ends.
const MAX_DEPTH: usize = 12;
const MAX_DIRS: usize = 50_000;

/// Every `.go-version` under `root` (bounded walk; symlinks not followed),
/// sorted by path. Unreadable or unparsable files are skipped here; `gov
/// doctor` and the entry point report those.
pub fn pins_under(root: &Path, all: &[InstalledIn]) -> Vec<Pin> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut seen = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        seen += 1;
        if seen > MAX_DIRS {
            break;
        }
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name();
            if ft.is_dir() {
                let skip = name.to_str().is_none_or(|n| SKIP_DIRS.contains(&n));
                if !skip && depth < MAX_DEPTH {
                    stack.push((e.path(), depth + 1));
                }
            } else if ft.is_file()
                && name == select::VERSION_FILE
                && let Some(pin) = read_pin(&e.path(), all)
            {
                out.push(pin);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn read_pin(path: &Path, all: &[InstalledIn]) -> Option<Pin> {
    let text = crate::core::safe_read::read_text(path, crate::core::safe_read::MAX_VERSION_FILE)
        .ok()??;
    let raw = select::parse_version_file(&text)?.to_string();
    let request = VersionRequest::parse(&raw).ok()?;
    Some(Pin {
        path: path.to_path_buf(),
        resolved: resolve(&request, all),
        raw,
        request,
    })
}
