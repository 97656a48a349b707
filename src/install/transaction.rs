//! The transaction every source shares: the version lock, leftovers of
//! killed runs removed, a fresh staging directory under `tmp/`, the checks
//! on the staged tree (go/VERSION, `go version`), a sync, publication by
//! one rename (or one atomic exchange on --force), then the entry points.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::version::GoVersion;
use crate::core::{installed, lock};
use crate::entry::{entrypoints, shim};
use crate::install::Action;

/// What a source left in the staging directory, and for the caller.
pub(crate) struct Staged {
    pub downloaded: u64,
    pub from_cache: bool,
    /// A verified download in tmp/ and where to keep it once the tree is
    /// published (the same path twice: remove it).
    pub keep: Option<(PathBuf, PathBuf)>,
    /// The proofs the staged tree passed.
    pub proofs: Vec<crate::core::installed::Proof>,
    /// Why each proof it did not pass is missing (for GOV_REQUIRE).
    pub missing: Vec<(crate::core::installed::Proof, String)>,
    /// The log's `h1:` the tree matched, kept with the record.
    pub log_h1: Option<String>,
    /// Every file's digest, recorded as the tree's manifest (`gov verify`).
    pub digests: Option<crate::install::unpack::FileDigests>,
}

/// The part every source shares: the version lock, leftovers of killed
/// runs removed, `fill` streaming into a fresh staging directory and
/// making it durable (`fsutil::TreeSync`), then [`finish`] (VERSION and
/// `go version` checks, one rename) and the shims. `None` when the version was installed already (and not forced).
pub(crate) fn publish_with(
    app: &App,
    version: &GoVersion,
    arch: &str,
    force: bool,
    fill: &mut dyn FnMut(&Path) -> Result<Staged>,
) -> Result<(Action, Option<Staged>)> {
    let version_s = version.as_str().to_string();
    let layout = &app.layout;
    let goroot = layout.version_dir(&version_s);

    let required = crate::install::require::required()?;
    let (_guard, exists) = begin(app, &version_s)?;
    if exists && !force {
        write_entry_points(app, version)?;
        return Ok((Action::AlreadyInstalled, None));
    }

    for d in [
        layout.versions_dir(),
        layout.tmp_dir(),
        layout.downloads_dir(),
    ] {
        fsutil::create_dir_all(&d)?;
    }
    let stage = layout
        .tmp_dir()
        .join(installed::tmp_name(&version_s, "stage"));
    let t = Instant::now();
    let result = fill(&stage);
    app.ui.trace("download and unpack", t.elapsed());
    let staged = match result.and_then(|f| {
        let passed = crate::install::require::check(&version_s, &required, &f.proofs, &f.missing);
        if let (Err(_), Some((tmp, _))) = (&passed, &f.keep) {
            let _ = std::fs::remove_file(tmp);
        }
        passed.map(|()| f)
    }) {
        Ok(f) => f,
        Err(e) => {
            let _ = fsutil::remove_tree(&stage);
            return Err(e);
        }
    };
    // The old tree's record goes first: a kill after this leaves a tree
    // without a record (no proofs claimed), never a record that lies.
    let published = installed::forget_proofs(layout, &version_s)
        .and_then(|()| finish(app, version, arch, &stage, &goroot, exists));
    if let Err(e) = published {
        let _ = fsutil::remove_tree(&stage);
        if let Some((tmp, _)) = &staged.keep {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    // The download verified: keep it so a reinstall costs no download.
    if let Some((tmp, dest)) = &staged.keep
        && (tmp == dest || std::fs::rename(tmp, dest).is_err())
    {
        let _ = std::fs::remove_file(tmp);
    }
    let recorded =
        installed::record_proofs(layout, &version_s, &staged.proofs, staged.log_h1.as_deref())
            .and_then(|()| match &staged.digests {
                Some(d) => crate::install::verify::record(layout, &version_s, d),
                None => Ok(()),
            });
    if let Err(e) = recorded {
        app.ui.warn(&format!(
            "Go {version_s} is installed, but which proofs it passed could not be recorded: {e}"
        ));
    }
    write_entry_points(app, version)?;
    let action = if exists {
        Action::Reinstalled
    } else {
        Action::Installed
    };
    Ok((action, Some(staged)))
}

/// Holds the lock of one version: whatever writes or removes
/// `versions/<v>` does so under it.
pub(crate) fn lock_version(app: &App, version: &str) -> Result<lock::LockGuard> {
    lock::acquire(
        &installed::version_lock(&app.layout, version),
        &format!("to finish with Go {version}"),
        |m| app.ui.status(m),
    )
}

/// How every write of `versions/<v>` begins: its lock, the leftovers of
/// killed runs removed; and whether the version is installed.
pub(crate) fn begin(app: &App, version: &str) -> Result<(lock::LockGuard, bool)> {
    let guard = lock_version(app, version)?;
    installed::cleanup_leftovers(&app.layout, Some(version))?;
    Ok((guard, installed::is_installed(&app.layout, version)))
}

/// What runs an installed version: its env shims, and its `go<version>`
/// entry point in the layer's bin dir for cmd/go's PATH lookup. The tree is
/// installed either way, so trouble with the entry point is a warning.
pub(crate) fn write_entry_points(app: &App, version: &GoVersion) -> Result<()> {
    shim::write(&app.layout, version.as_str())?;
    match entrypoints::add_version(&app.layout, version) {
        Ok(None) => {}
        Ok(Some(warning)) => app.ui.warn(&warning),
        Err(e) => app.ui.warn(&format!(
            "Go {} is installed, but its entry point {} could not be written: {}; \
             a `go` that switches toolchains will not find it until `gov install {}` succeeds",
            version.as_str(),
            version.go_name(),
            e.message(),
            version.as_str()
        )),
    }
    Ok(())
}

/// Creates the layer's home, explaining an account that cannot have one
/// (`nobody`, a service without a home, a read-only home).
pub(crate) fn ensure_layer_writable(layout: &crate::core::layout::Layout) -> Result<()> {
    let home = layout.home();
    let probe = fsutil::create_dir_all(home).and_then(|()| {
        let f = home.join(format!(".write-test-{}", fsutil::unique_suffix()));
        fsutil::create_file_mode(&f, fsutil::FILE_MODE)?;
        let _ = std::fs::remove_file(&f);
        Ok(())
    });
    probe.map_err(|e| {
        let advice = if layout.is_system() {
            "the system layer belongs to root: run it as root (`sudo gov install ...`)".to_string()
        } else {
            format!(
                "set GOV_HOME to a directory this account owns, or have root install it for every account: `sudo gov install --system <version>` (HOME is {})",
                crate::core::env::Env::process()
                    .var("HOME")
                    .unwrap_or_else(|| "unset".into())
            )
        };
        Error::new(
            ErrorKind::Permission,
            format!("cannot write gov's layer at {}", home.display()),
        )
        .with_source(e)
        .with_advice(advice)
    })
}

/// Checks the unpacked tree is the version it claims, makes it durable, and
/// publishes it with one rename (or one atomic exchange on --force).
fn finish(
    app: &App,
    version: &GoVersion,
    arch: &str,
    stage: &Path,
    goroot: &Path,
    replace: bool,
) -> Result<()> {
    let want = version.go_name();
    let found = installed::read_version_file(stage);
    if found.as_deref() != Some(want.as_str()) {
        return Err(Error::new(
            ErrorKind::BadArchive,
            format!(
                "the archive's go/VERSION says {}, expected {want}",
                found
                    .as_deref()
                    .map_or("nothing".to_string(), crate::core::quote::shown)
            ),
        )
        .with_advice("this archive is not the release it is named after; nothing was installed"));
    }
    let t = Instant::now();
    if arch::runs_on_host(arch) {
        check_go_version(stage, &want)?;
    } else {
        app.ui.status(&format!(
            "not running the {} toolchain on this {} host; checked go/VERSION only",
            arch,
            arch::host()
        ));
    }
    app.ui.trace("version check", t.elapsed());
    // Every source made the tree durable as it wrote it (`fsutil::TreeSync`:
    // its own files and folders only, never the whole filesystem's dirty
    // pages), so only the rename below remains.
    let versions = app.layout.versions_dir();
    if replace {
        fsutil::exchange(stage, goroot).context(|| format!("replacing {}", goroot.display()))?;
        // `stage` now holds the old tree.
        let trash = app
            .layout
            .tmp_dir()
            .join(installed::tmp_name(version.as_str(), "trash"));
        std::fs::rename(stage, &trash).context(|| format!("moving aside {}", stage.display()))?;
        fsutil::fsync_dir(&versions)?;
        fsutil::remove_tree(&trash)?;
    } else {
        std::fs::rename(stage, goroot).context(|| format!("publishing {}", goroot.display()))?;
        fsutil::fsync_dir(&versions)?;
    }
    Ok(())
}

/// Runs the unpacked `bin/go version`, isolated from the user's settings
/// (no toolchain switching, no go.env file).
pub(crate) fn check_go_version(goroot: &Path, want: &str) -> Result<()> {
    let go = goroot.join("bin").join("go");
    let out = Command::new(&go)
        .arg("version")
        .current_dir(goroot)
        .env_remove("GOROOT")
        .env_remove("GOFLAGS")
        .env("GOTOOLCHAIN", "local")
        .env("GOENV", "off")
        .output()
        .context(|| format!("running {} version", go.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ok = out.status.success() && stdout.split_whitespace().nth(2).is_some_and(|v| v == want);
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::BadArchive,
            format!(
                "the unpacked toolchain does not run as {want}: `go version` said {:?}{}",
                stdout.trim(),
                if out.status.success() {
                    String::new()
                } else {
                    format!(" ({})", out.status)
                }
            ),
        )
        .with_advice("nothing was installed; the archive may be for another platform"))
    }
}
