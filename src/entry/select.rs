//! Which Go version applies here, and why. Order:
//! `GOV_VERSION` > nearest `.go-version` upward > nearest go.work / go.mod
//! `toolchain` line (unless `GOV_GOMOD=0`) > the account's own global
//! selection > the system layer's. The version is then found in the
//! account's layer first, then the system layer.
//!
//! This runs on every `go` call through the entry points, so it does only
//! what selection needs: a few stats per directory level and small reads.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::fsutil;
use crate::core::installed;
use crate::core::layers::{Layer, Layers};
use crate::core::layout::Layout;
use crate::core::quote::{excerpt, shown};
use crate::core::safe_read;
use crate::core::version::{GoVersion, VersionRequest};

pub const VERSION_FILE: &str = ".go-version";

/// What made a version the selected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Env,
    VersionFile(PathBuf),
    Toolchain(PathBuf),
    Global(PathBuf),
    /// The system layer's global selection (below the account's own).
    SystemGlobal(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => f.write_str("set by GOV_VERSION"),
            Source::VersionFile(p) => write!(f, "set by {}", shown(&p.to_string_lossy())),
            Source::Toolchain(p) => write!(
                f,
                "set by the toolchain line of {}",
                shown(&p.to_string_lossy())
            ),
            Source::Global(p) => write!(
                f,
                "set by the global selection {}",
                shown(&p.to_string_lossy())
            ),
            Source::SystemGlobal(p) => write!(
                f,
                "set by the system-wide global selection {}",
                shown(&p.to_string_lossy())
            ),
        }
    }
}

/// A selection before it is matched with what is installed.
#[derive(Debug, Clone)]
pub struct Selection {
    pub request: VersionRequest,
    /// The text as written, for messages.
    pub raw: String,
    pub source: Source,
}

fn env_nonempty(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The first meaningful line of a `.go-version` file (goenv's format: one
/// version, `1.22.5`, `go1.22.5` or `1.22`; blank lines and `#` comments
/// ignored).
pub fn parse_version_file(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The version named by a go.mod / go.work `toolchain` line
/// (`toolchain go1.22.5`; `toolchain default` names none).
pub fn parse_toolchain_line(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("toolchain") else {
            continue;
        };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let name = rest.trim();
        let v = name.strip_prefix("go")?;
        // Custom toolchains are named go1.22.5-suffix; the suffix does
        // not change which release it is.
        let v = v.split(['-', '+']).next().unwrap_or(v);
        return GoVersion::parse(v).map(|v| v.to_string());
    }
    None
}

/// Selection files come from checkouts and parent directories: read only
/// small regular files, without blocking (see `core::safe_read`). Absent is
/// `None`; unreadable is a permission error, never "nothing selected".
fn read_small(path: &Path, max: u64) -> Result<Option<String>> {
    safe_read::read_text(path, max)
}

/// The same for the files met walking up from the working directory, where
/// a directory this account may not search (`sudo -u svc go version` run
/// in /root) hides nothing it could have used: skipped, as Go does. A file
/// that exists but cannot be read is still an error.
fn read_on_walk(path: &Path, max: u64) -> Result<Option<String>> {
    match read_small(path, max) {
        Err(_) if std::fs::symlink_metadata(path).is_err() => Ok(None),
        other => other,
    }
}

/// Finds the selection for `cwd`. `None` when nothing selects a version.
pub fn select(layers: &Layers, cwd: &Path) -> Result<Option<Selection>> {
    if let Some(v) = env_nonempty("GOV_VERSION") {
        let raw = v.to_string_lossy().trim().to_string();
        let request = VersionRequest::parse(&raw).map_err(|e| {
            e.with_advice("GOV_VERSION must name a Go version, like 1.22.5 or 1.22")
        })?;
        return Ok(Some(Selection {
            request,
            raw,
            source: Source::Env,
        }));
    }

    let use_gomod = std::env::var_os("GOV_GOMOD").is_none_or(|v| v != "0");
    // GOWORK=off disables workspaces; GOWORK=<file> names one.
    let gowork_env = env_nonempty("GOWORK");
    let use_gowork = gowork_env.is_none();
    let mut gowork: Option<PathBuf> = gowork_env
        .filter(|v| v != "off")
        .map(PathBuf::from)
        .filter(|_| use_gomod);
    let mut gomod: Option<PathBuf> = None;
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        let vf = d.join(VERSION_FILE);
        if let Some(text) = read_on_walk(&vf, safe_read::MAX_VERSION_FILE)?
            && let Some(line) = parse_version_file(&text)
        {
            let request = VersionRequest::parse(line).map_err(|e| {
                Error::invalid(format!(
                    "{} says `{}`, which is not a Go version",
                    shown(&vf.to_string_lossy()),
                    excerpt(line, 64)
                ))
                .with_source(e)
                .with_advice(
                    "write one version in it, like 1.22.5 (or run `gov local <version>` there)",
                )
            })?;
            return Ok(Some(Selection {
                request,
                raw: line.to_string(),
                source: Source::VersionFile(vf),
            }));
        }
        if use_gomod {
            if gowork.is_none() && use_gowork {
                let w = d.join("go.work");
                if w.is_file() {
                    gowork = Some(w);
                }
            }
            if gomod.is_none() {
                let m = d.join("go.mod");
                if m.is_file() {
                    gomod = Some(m);
                }
            }
        }
        dir = d.parent();
    }

    // In workspace mode (the nearest go.work) Go takes the toolchain line
    // from go.work only; otherwise from the nearest go.mod.
    let module_file = gowork.or(gomod);
    let module_text = match &module_file {
        Some(path) => read_on_walk(path, safe_read::MAX_MODULE_FILE)?,
        None => None,
    };
    if let (Some(path), Some(text)) = (module_file, module_text)
        && let Some(v) = parse_toolchain_line(&text)
        && let Ok(request) = VersionRequest::parse(&v)
    {
        return Ok(Some(Selection {
            request,
            raw: format!("go{v}"),
            source: Source::Toolchain(path),
        }));
    }

    layered_global(layers)
}

/// The account's own global selection, else the system layer's.
pub fn layered_global(layers: &Layers) -> Result<Option<Selection>> {
    for (_, layout) in layers.search() {
        if let Some(sel) = global(layout)? {
            return Ok(Some(sel));
        }
    }
    Ok(None)
}

/// The global selection of one layer, if one was made there.
pub fn global(layout: &Layout) -> Result<Option<Selection>> {
    let path = layout.global_file();
    let Some(text) = read_small(&path, safe_read::MAX_VERSION_FILE)? else {
        return Ok(None);
    };
    let Some(line) = parse_version_file(&text) else {
        return Ok(None);
    };
    let request = VersionRequest::parse(line).map_err(|e| {
        Error::new(ErrorKind::State, format!("{} is corrupt", path.display()))
            .with_source(e)
            .with_advice("run `gov global <version>` to set it again")
    })?;
    let source = if layout.is_system() {
        Source::SystemGlobal(path)
    } else {
        Source::Global(path)
    };
    Ok(Some(Selection {
        request,
        raw: line.to_string(),
        source,
    }))
}

/// Makes `version` the global selection in one atomic step.
pub fn set_global(layout: &Layout, version: &GoVersion) -> Result<()> {
    fsutil::create_dir_all(layout.home())?;
    fsutil::write_atomic(&layout.global_file(), format!("{version}\n").as_bytes())
}

/// Removes the layer's global selection; true when there was one.
pub fn unset_global(layout: &Layout) -> Result<bool> {
    let path = layout.global_file();
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(format!("removing {}", path.display()), e)),
    }
}

/// The installed version a selection resolves to (the account's layer
/// first, then the system layer), or an error naming the version, who
/// asked for it and how to install it.
pub fn resolve_installed(layers: &Layers, sel: &Selection) -> Result<installed::Installed> {
    if let VersionRequest::Exact(v) = &sel.request {
        // Fast path for the common case: one stat per layer, no listing.
        for (layer, layout) in layers.search() {
            let dir = layout.version_dir(v.as_str());
            if dir.join("bin").is_dir() {
                return Ok(installed::Installed {
                    version: v.clone(),
                    goroot: dir,
                    layer,
                });
            }
        }
    }
    if let Some(found) = installed::find_in(layers, &sel.request)? {
        return Ok(found);
    }
    Err(not_installed(sel))
}

/// The layer a selection's source belongs to, when it is a global one.
pub fn global_layer(source: &Source) -> Option<Layer> {
    match source {
        Source::Global(_) => Some(Layer::User),
        Source::SystemGlobal(_) => Some(Layer::System),
        _ => None,
    }
}

pub fn not_installed(sel: &Selection) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "Go {} is selected ({}) but not installed",
            sel.raw, sel.source
        ),
    )
    .with_advice(format!(
        "run `gov install {}`, or set GOV_AUTO_INSTALL=1 to install selected versions on first use",
        sel.request
    ))
}

/// No selection at all.
pub fn nothing_selected() -> Error {
    Error::new(ErrorKind::NotFound, "no Go version is selected")
        .with_advice("choose one with `gov global <version>` (after `gov install <version>`), or write a .go-version file")
}

/// The GOROOT a `go` started in the working directory would use, if any
/// (for showing which `$GOROOT/go.env` applies).
pub fn current_goroot(layers: &Layers) -> Option<std::path::PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let sel = select(layers, &cwd).ok().flatten()?;
    resolve_installed(layers, &sel).ok().map(|i| i.goroot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_lines() {
        let m = "module x\n\ngo 1.21\n\ntoolchain go1.22.5 // pinned\n";
        assert_eq!(parse_toolchain_line(m).as_deref(), Some("1.22.5"));
        assert_eq!(parse_toolchain_line("go 1.21\n").as_deref(), None);
        assert_eq!(parse_toolchain_line("toolchain default\n").as_deref(), None);
        assert_eq!(
            parse_toolchain_line("toolchain go1.23rc1\n").as_deref(),
            Some("1.23rc1")
        );
        assert_eq!(
            parse_toolchain_line("toolchain go1.22.5-custom\n").as_deref(),
            Some("1.22.5")
        );
        assert_eq!(parse_toolchain_line("toolchainx go1.2\n").as_deref(), None);
    }

    #[test]
    fn version_files() {
        assert_eq!(parse_version_file("\n# pinned\n 1.22.5 \n"), Some("1.22.5"));
        assert_eq!(parse_version_file("\n\n"), None);
    }
}
