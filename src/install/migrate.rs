//! Moving from another manager: `gov import` of a directory of Go trees
//! (goenv's root or its `versions/`, golang.org/dl's `~/sdk`, g's
//! `~/.g/versions`), each imported as `install::import` does one tree, plus
//! goenv's global when gov has none.

use std::path::{Path, PathBuf};

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::installed;
use crate::core::version::GoVersion;
use crate::install::import;

/// A directory holds at most this many entries worth looking at; a
/// collection bigger than that is not a version manager's.
const MAX_ENTRIES: usize = 500;

#[derive(Debug, Default)]
pub struct Migrated {
    pub imported: Vec<(GoVersion, PathBuf)>,
    /// Trees whose version gov already has.
    pub skipped: Vec<(String, PathBuf)>,
    /// Entries that could not be imported, with why.
    pub failed: Vec<(PathBuf, String)>,
    /// goenv's global, to become gov's (gov has none); the caller sets it
    /// with the entry points, as `gov global` does.
    pub global: Option<GoVersion>,
    /// goenv's global, when gov kept its own.
    pub global_kept: Option<String>,
}

/// Is `dir` a collection of trees (rather than one GOROOT)?
pub fn is_collection(dir: &Path) -> bool {
    !installed::looks_like_goroot(dir) && dir.is_dir()
}

/// The GOROOTs directly in `dir` (or in `dir/versions`), real directories
/// only: a link in a collection may point anywhere, so it is reported,
/// not followed. A child holding `go/` (some tools nest it) counts too.
/// Paths with the reason they were passed over.
type Passed = Vec<(PathBuf, String)>;

fn trees(dir: &Path) -> Result<(Vec<PathBuf>, Passed)> {
    let versions = dir.join("versions");
    let scan = if versions.is_dir() && !versions.is_symlink() {
        versions
    } else {
        dir.to_path_buf()
    };
    let rd = std::fs::read_dir(&scan).context(|| format!("reading {}", scan.display()))?;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for entry in rd.flatten().take(MAX_ENTRIES) {
        let p = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_symlink() {
            if installed::looks_like_goroot(&p) {
                skipped.push((p, "a link; import its target by name if you want it".into()));
            }
            continue;
        }
        if !ft.is_dir() {
            continue;
        }
        if installed::looks_like_goroot(&p) {
            out.push(p);
        } else if installed::looks_like_goroot(&p.join("go")) && !p.join("go").is_symlink() {
            out.push(p.join("go"));
        }
    }
    out.sort();
    Ok((out, skipped))
}

/// goenv's global: `$root/version`, first meaningful line.
fn goenv_global(dir: &Path) -> Option<String> {
    let path = dir.join("version");
    let text = crate::core::safe_read::read_text(&path, crate::core::safe_read::MAX_VERSION_FILE)
        .ok()??;
    crate::entry::select::parse_version_file(&text).map(str::to_string)
}

pub fn import_collection(app: &App, dir: &Path, force: bool) -> Result<Migrated> {
    let (found, skipped_links) = trees(dir)?;
    let mut m = Migrated {
        failed: skipped_links,
        ..Migrated::default()
    };
    if found.is_empty() {
        return Err(Error::invalid(format!(
            "{} holds no Go trees (directories with bin/go and VERSION)",
            dir.display()
        ))
        .with_advice(
            "name a Go tree (/usr/local/go) or a manager's folder: ~/.goenv, ~/sdk, ~/.g/versions",
        ));
    }
    for tree in found {
        let version = installed::read_version_file(&tree).unwrap_or_default();
        let v = version.trim_start_matches("go").to_string();
        if !force && GoVersion::parse(&v).is_some() && installed::is_installed(&app.layout, &v) {
            m.skipped.push((v, tree));
            continue;
        }
        match import::import(app, &tree, force) {
            Ok(v) => m.imported.push((v, tree)),
            Err(e) => m.failed.push((tree, e.message().to_string())),
        }
    }
    if let Some(g) = goenv_global(dir).filter(|g| g != "system") {
        let have_global = crate::entry::select::global(&app.layout)?.is_some();
        let version = GoVersion::parse(g.trim_start_matches("go"));
        match version {
            Some(v) if !have_global && installed::is_installed(&app.layout, v.as_str()) => {
                m.global = Some(v);
            }
            _ => m.global_kept = Some(g),
        }
    }
    if m.imported.is_empty() && m.skipped.is_empty() {
        let (p, why) = m.failed.first().cloned().unwrap_or_default();
        return Err(Error::new(
            ErrorKind::State,
            format!("nothing in {} could be imported", dir.display()),
        )
        .with_advice(format!("{}: {why}", p.display())));
    }
    Ok(m)
}
