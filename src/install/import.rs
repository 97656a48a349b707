//! `gov import`: adopt an existing Go tree (`/usr/local/go`, a goenv
//! version, `~/sdk/go1.22.5`) as an installed version by copying it, so
//! moving to gov costs no download. Same guarantees as an install: staged,
//! checked with its own `go version`, synced, published by one rename.

use std::path::Path;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::installed;
use crate::core::lock;
use crate::core::version::GoVersion;
use crate::entry::shim;

/// Copies `src` (a GOROOT) into the staging dir `dst`, keeping modes and
/// the symlinks that resolve inside `root` (the canonical tree); an
/// absolute link, or one that leads out (directly or through other links),
/// is refused rather than copied into gov's state.
fn copy_tree(root: &Path, src: &Path, dst: &Path) -> Result<u64> {
    use std::os::unix::fs::PermissionsExt;
    let mut files = 0;
    let rd = std::fs::read_dir(src).context(|| format!("reading {}", src.display()))?;
    for entry in rd {
        let entry = entry.context(|| format!("reading {}", src.display()))?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let ft = entry
            .file_type()
            .context(|| format!("inspecting {}", from.display()))?;
        if ft.is_symlink() {
            let target =
                std::fs::read_link(&from).context(|| format!("reading {}", from.display()))?;
            let inside = !target.is_absolute()
                && std::fs::canonicalize(&from).is_ok_and(|t| t.starts_with(root));
            if !inside {
                return Err(Error::invalid(format!(
                    "{} is a symlink to {}, outside the Go tree",
                    from.display(),
                    target.display()
                ))
                .with_advice(
                    "a genuine Go tree has no such link; remove it, or import a clean copy (or `gov install` the version)",
                ));
            }
            std::os::unix::fs::symlink(&target, &to)
                .context(|| format!("creating {}", to.display()))?;
        } else if ft.is_dir() {
            crate::core::perms::make_dir(&to, crate::core::perms::DIR)?;
            files += copy_tree(root, &from, &to)?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))
                .context(|| format!("setting the mode of {}", to.display()))?;
        } else if ft.is_file() {
            std::fs::copy(&from, &to).context(|| format!("copying {}", from.display()))?;
            let mode = entry
                .metadata()
                .map(|m| m.permissions().mode())
                .unwrap_or(0o644);
            let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode))
                .context(|| format!("setting the mode of {}", to.display()))?;
            files += 1;
        }
        // Sockets, fifos and devices have no place in a GOROOT: skipped.
    }
    Ok(files)
}

/// Imports the Go tree at `src`. Returns its version.
pub fn import(app: &App, src: &Path, force: bool) -> Result<GoVersion> {
    let src = src
        .canonicalize()
        .context(|| format!("finding {}", src.display()))?;
    if !installed::looks_like_goroot(&src) {
        return Err(Error::invalid(format!(
            "{} is not a Go tree (no bin/go and VERSION)",
            src.display()
        ))
        .with_advice("name the directory that holds bin/ and VERSION, e.g. /usr/local/go"));
    }
    let line = installed::read_version_file(&src).unwrap_or_default();
    let version = line
        .strip_prefix("go")
        .and_then(GoVersion::parse)
        .ok_or_else(|| {
            Error::invalid(format!(
                "{}/VERSION says `{line}`, not a Go release version",
                src.display()
            ))
        })?;
    let layout = &app.layout;
    let v = version.as_str().to_string();
    let goroot = layout.version_dir(&v);
    if src == goroot {
        return Err(Error::invalid(format!(
            "{} is already gov's",
            src.display()
        )));
    }
    let _guard = lock::acquire(
        &installed::version_lock(layout, &v),
        &format!("to finish with Go {v}"),
        |m| app.ui.status(m),
    )?;
    installed::cleanup_leftovers(layout, Some(&v))?;
    let exists = installed::is_installed(layout, &v);
    if exists && !force {
        return Err(
            Error::new(ErrorKind::State, format!("Go {v} is already installed"))
                .with_advice("pass --force to replace it with the imported tree"),
        );
    }
    fsutil::create_dir_all(&layout.tmp_dir())?;
    fsutil::create_dir_all(&layout.versions_dir())?;
    let stage = layout.tmp_dir().join(installed::tmp_name(&v, "stage"));
    let result = (|| {
        crate::core::perms::make_dir(&stage, crate::core::perms::DIR)?;
        copy_tree(&src, &src, &stage)?;
        crate::install::check_go_version(&stage, &version.go_name())?;
        fsutil::sync_filesystem(&stage)?;
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
    shim::write(layout, &v)?;
    Ok(version)
}
