//! The `go` and `gofmt` entry points in GOV_BIN_DIR: symlinks to the gov
//! binary, which recognises them by argv[0] and runs the selected version.
//! They are created on first use and only ever replaced atomically (a new
//! link beside the old one, renamed over it), so they never vanish; a
//! foreign `go` found there is never clobbered silently.
//!
//! Each installed version also gets `go<version>` (`go1.22.10`): the name
//! cmd/go looks up in PATH before it downloads a toolchain (golang.org/dl's
//! names), so a `go` that is not gov's switches to gov's tree. Install,
//! uninstall, prune and import keep them in step; one that is not gov's is
//! left alone.

use std::path::{Path, PathBuf};

use crate::core::env::Env;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::layout::Layout;
use crate::core::version::GoVersion;
use crate::entry::shim::TOOLS;

/// What is at an entry point's path.
#[derive(Debug, PartialEq, Eq)]
pub enum Existing {
    Missing,
    /// A link to a gov binary (this one, or an older install of gov).
    Ours(PathBuf),
    /// Anything else: a hand-installed Go, a distro package's link...
    Foreign(String),
}

/// The gov binary the entry points should run.
pub fn gov_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context(|| "finding the gov binary".to_string())?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

pub fn inspect(path: &Path) -> Existing {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Existing::Missing;
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).unwrap_or_default();
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.as_deref() == Some("gov") {
            return Existing::Ours(target);
        }
        return Existing::Foreign(format!("a symlink to {}", target.display()));
    }
    if meta.is_dir() {
        return Existing::Foreign("a directory".into());
    }
    Existing::Foreign("a regular file (a hand-installed Go, or a copy?)".into())
}

/// Points `path` at `target` atomically.
fn replace_link(target: &Path, path: &Path) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.gov-new-{}", fsutil::unique_suffix()));
    std::os::unix::fs::symlink(target, &tmp).context(|| format!("creating {}", tmp.display()))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).context(|| format!("replacing {}", path.display()));
    }
    Ok(())
}

/// A free name to move a foreign file aside to.
fn aside_name(path: &Path) -> PathBuf {
    let base = format!("{}.before-gov", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        n += 1;
        candidate = PathBuf::from(format!("{base}.{n}"));
    }
    candidate
}

/// The entry points [`ensure`] would create or replace, without touching
/// anything; the same refusal as `ensure` for foreign files without force.
pub fn pending(layout: &Layout, force: bool) -> Result<Vec<PathBuf>> {
    refuse_foreign(layout, force)?;
    let gov = gov_binary()?;
    Ok(TOOLS
        .iter()
        .map(|tool| layout.bin_dir().join(tool))
        .filter(|path| !matches!(inspect(path), Existing::Ours(t) if t == gov))
        .collect())
}

/// Makes sure `go` and `gofmt` in GOV_BIN_DIR run gov. Returns what was
/// moved aside (with --force), for the user to read.
pub fn ensure(layout: &Layout, force: bool) -> Result<Vec<(PathBuf, PathBuf)>> {
    let bin = layout.bin_dir();
    fsutil::create_dir_all(bin)?;
    let gov = gov_binary()?;
    let foreign = refuse_foreign(layout, force)?;
    let mut moved = Vec::new();
    for (path, _) in foreign {
        let aside = aside_name(&path);
        std::fs::rename(&path, &aside).context(|| format!("moving {} aside", path.display()))?;
        moved.push((path, aside));
    }
    for tool in TOOLS {
        let path = bin.join(tool);
        match inspect(&path) {
            Existing::Ours(t) if t == gov => {}
            _ => replace_link(&gov, &path)?,
        }
    }
    Ok(moved)
}

/// The foreign files at the entry points' paths; an error unless `force`
/// (check everything before changing anything).
fn refuse_foreign(layout: &Layout, force: bool) -> Result<Vec<(PathBuf, String)>> {
    let bin = layout.bin_dir();
    let mut foreign = Vec::new();
    for tool in TOOLS {
        let path = bin.join(tool);
        if let Existing::Foreign(what) = inspect(&path) {
            foreign.push((path, what));
        }
    }
    if !foreign.is_empty() && !force {
        let list: Vec<String> = foreign
            .iter()
            .map(|(p, what)| format!("{} is {what}", p.display()))
            .collect();
        return Err(Error::new(
            ErrorKind::State,
            format!("gov's entry points would replace files it does not own: {}", list.join("; ")),
        )
        .with_advice(format!(
            "remove or move them yourself, run again with --force to have gov move them aside (to <name>.before-gov), \
             or use another GOV_BIN_DIR (now {})",
            bin.display()
        )));
    }
    Ok(foreign)
}

/// Is `dir` on PATH?
pub fn on_path(env: &Env, dir: &Path) -> bool {
    env.var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d == dir))
}

/// The version a `go<version>` entry point's name stands for: only Go's own
/// spelling of a version (`go1.22.10`, `go1.21.0`, `go1.22rc1`), as cmd/go
/// looks it up.
pub fn version_of_entry_name(name: &str) -> Option<GoVersion> {
    let v = GoVersion::parse(name.strip_prefix("go")?)?;
    (v.go_name() == name).then_some(v)
}

/// Gives `version` its `go<version>` entry point in the layer's bin dir.
/// A file there that is not gov's is kept: the answer is then a warning to
/// show, for the version stays hidden from cmd/go's PATH lookup.
pub fn add_version(layout: &Layout, version: &GoVersion) -> Result<Option<String>> {
    let bin = layout.bin_dir();
    let path = bin.join(version.go_name());
    let gov = gov_binary()?;
    match inspect(&path) {
        Existing::Ours(t) if t == gov => Ok(None),
        Existing::Foreign(what) => Ok(Some(format!(
            "{} is {what}, not gov's: left as it is, so a `go` that switches toolchains \
             (GOTOOLCHAIN=path or auto) runs it instead of gov's Go {}; remove it and run \
             `gov install {}` again to have gov's there",
            path.display(),
            version.as_str(),
            version.as_str()
        ))),
        _ => {
            fsutil::create_dir_all(bin)?;
            replace_link(&gov, &path)?;
            Ok(None)
        }
    }
}

/// Removes `version`'s `go<version>` entry point, if it is gov's.
pub fn remove_version(layout: &Layout, version: &GoVersion) -> Result<()> {
    let path = layout.bin_dir().join(version.go_name());
    if let Existing::Ours(_) = inspect(&path) {
        std::fs::remove_file(&path).context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_entry_names_are_gos_spelling() {
        for name in ["go1.22.10", "go1.21.0", "go1.22rc1", "go1.20"] {
            let v = version_of_entry_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(v.go_name(), name);
        }
        for name in [
            "go",
            "gofmt",
            "gov",
            "go1.22.10x",
            "go01.22.1",
            "1.22.10",
            "go1.22.10.exe",
            "go-1.22",
        ] {
            assert!(version_of_entry_name(name).is_none(), "{name}");
        }
    }
}
