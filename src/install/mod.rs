//! Installing a Go release: lock, stream into a staging directory, verify,
//! make durable, and publish with one rename.
//!
//! Invariants: `versions/<v>` exists only complete, verified and fsynced;
//! a failure or a kill at any point leaves the previous state as it was
//! (leftovers in `tmp/` are removed by the next run); the download cache
//! only ever holds archives whose sha256 matched.
//!
//! The folder owns everything that writes under `versions/`: the streaming
//! pipeline, safe extraction, locks, the inventory of installed trees,
//! `gov import`, and gov's own self-update. Uses `core`, `net`, `settings`
//! and `entry::shim` (every install writes its shims).

pub mod cache;
pub mod fetch;
pub mod import;
pub mod migrate;

pub mod pipeline;
pub mod plan;
pub mod proxy;
pub mod release_sig;
pub mod safe_copy;
pub mod self_update;
pub mod source;
pub mod uninstall;
pub mod unpack;

pub use plan::{parse_archive_name, system_copy};
pub use source::{
    DEFAULT_MIRROR, ResolvedSource, Source, mirrors, release_unreachable, resolve_source,
};
pub use uninstall::{check_uninstall, uninstall};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::report::human_bytes;
use crate::core::version::{GoVersion, VersionRequest};
use crate::core::{installed, lock};
use crate::entry::{entrypoints, shim};

/// Where the archive comes from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A version to resolve against the release index.
    Remote(VersionRequest),
    /// A local archive (air-gapped hosts).
    File {
        path: PathBuf,
        sha256: Option<String>,
        no_verify: bool,
    },
}

#[derive(Debug, Clone)]
pub struct InstallOptions {
    pub origin: Origin,
    pub arch: String,
    pub force: bool,
    /// Ignored for `Origin::File`.
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Installed,
    Reinstalled,
    AlreadyInstalled,
}

impl Action {
    /// What an install would do, given whether the version is there.
    pub fn planned(exists: bool, force: bool) -> Action {
        match (exists, force) {
            (false, _) => Action::Installed,
            (true, true) => Action::Reinstalled,
            (true, false) => Action::AlreadyInstalled,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub version: GoVersion,
    pub goroot: PathBuf,
    pub action: Action,
    /// Bytes that came over the network (0 when served from the cache).
    pub downloaded: u64,
    pub from_cache: bool,
    pub verified: bool,
    /// How it was verified, for the summary ("sha256 verified").
    pub verification: String,
    pub elapsed: Duration,
    /// The version is the system layer's copy, which this account uses
    /// ([`plan::system_copy`]); nothing was fetched.
    pub in_system_layer: bool,
}

/// What [`install`] would do, without taking locks or writing anything
/// (the index is read but not cached): the resolved version and whether it
/// would be installed, reinstalled or left as it is.
pub fn preview(app: &App, opts: &InstallOptions) -> Result<Report> {
    app.set_read_only();
    let Origin::Remote(req) = &opts.origin else {
        return plan::preview_release(app, opts);
    };
    match opts.source {
        Source::Release => plan::preview_release(app, opts),
        Source::Proxy => proxy::preview(app, req, &opts.arch, opts.force),
        Source::Auto => match plan::preview_release(app, opts) {
            Err(e) if release_unreachable(&e) => {
                app.ui.warn(&format!(
                    "release downloads are unreachable ({}); Go {req} would come from the module proxy",
                    e.message().lines().next().unwrap_or("")
                ));
                proxy::preview(app, req, &opts.arch, opts.force)
                    .map_err(|pe| source::fallback_failed(e, pe))
            }
            r => r,
        },
    }
}

/// Installs a version. Safe to run concurrently with itself.
pub fn install(app: &App, opts: &InstallOptions) -> Result<Report> {
    let Origin::Remote(req) = &opts.origin else {
        return install_release(app, opts);
    };
    // Before any source is tried: an account that cannot have a layer gets
    // that explained, not a network error from whichever source ran last.
    if opts.source != Source::Release {
        ensure_layer_writable(&app.layout)?;
    }
    match opts.source {
        Source::Release => install_release(app, opts),
        Source::Proxy => proxy::install(app, req, &opts.arch, opts.force),
        Source::Auto => match install_release(app, opts) {
            Err(e) if release_unreachable(&e) => {
                let cause = e.causes().into_iter().next();
                app.ui.warn(&format!(
                    "release downloads are unreachable ({}{}); installing Go {req} from the module proxy instead",
                    e.message().lines().next().unwrap_or(""),
                    cause.map(|c| format!(": {c}")).unwrap_or_default()
                ));
                proxy::install(app, req, &opts.arch, opts.force)
                    .map_err(|pe| source::fallback_failed(e, pe))
            }
            r => r,
        },
    }
}

fn install_release(app: &App, opts: &InstallOptions) -> Result<Report> {
    let started = Instant::now();
    ensure_layer_writable(&app.layout)?;
    let (plan, note) = plan::plan(app, opts)?;
    if let Some(n) = &note {
        app.ui.status(n);
    }
    let verified = plan.sha256.is_some();
    let (action, staged) =
        publish_with(app, &plan.version, &plan.arch, opts.force, &mut |stage| {
            let fetched = fetch::fetch_into(app, &plan, stage)?;
            Ok(Staged {
                downloaded: fetched.downloaded,
                from_cache: fetched.from_cache,
                keep: match (fetched.download, &plan.sha256) {
                    (Some(tmp), Some(sha)) => Some((tmp, app.layout.cached_archive(sha))),
                    (Some(tmp), None) => Some((tmp.clone(), tmp)),
                    _ => None,
                },
            })
        })?;
    Ok(Report {
        goroot: app.layout.version_dir(plan.version.as_str()),
        version: plan.version,
        downloaded: staged.as_ref().map_or(0, |s| s.downloaded),
        from_cache: staged.as_ref().is_some_and(|s| s.from_cache),
        verified: verified && staged.is_some(),
        verification: "sha256 verified".into(),
        action,
        elapsed: started.elapsed(),
        in_system_layer: false,
    })
}

/// What a source left in the staging directory, and for the caller.
pub(crate) struct Staged {
    pub downloaded: u64,
    pub from_cache: bool,
    /// A verified download in tmp/ and where to keep it once the tree is
    /// published (the same path twice: remove it).
    pub keep: Option<(PathBuf, PathBuf)>,
}

/// The part every source shares: the version lock, leftovers of killed
/// runs removed, `fill` streaming into a fresh staging directory, then
/// [`finish`] (VERSION and `go version` checks, sync, one rename) and the
/// shims. `None` when the version was installed already (and not forced).
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

    let _guard = lock::acquire(
        &installed::version_lock(layout, &version_s),
        &format!("to finish with Go {version_s}"),
        |m| app.ui.status(m),
    )?;
    installed::cleanup_leftovers(layout, Some(&version_s))?;

    let exists = installed::is_installed(layout, &version_s);
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
    let staged = match result {
        Ok(f) => f,
        Err(e) => {
            let _ = fsutil::remove_tree(&stage);
            return Err(e);
        }
    };
    let published = finish(app, version, arch, &stage, &goroot, exists);
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
    write_entry_points(app, version)?;
    let action = if exists {
        Action::Reinstalled
    } else {
        Action::Installed
    };
    Ok((action, Some(staged)))
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
fn ensure_layer_writable(layout: &crate::core::layout::Layout) -> Result<()> {
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
                std::env::var("HOME").unwrap_or_else(|_| "unset".into())
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
    let t = Instant::now();
    fsutil::sync_filesystem(stage)?;
    app.ui.trace("sync", t.elapsed());
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

/// One line for the end of an install.
pub fn summary(r: &Report) -> String {
    let where_ = r.goroot.display();
    let secs = r.elapsed.as_secs_f64();
    match r.action {
        Action::AlreadyInstalled => {
            format!(
                "Go {} is already installed in {where_} (--force reinstalls)",
                r.version
            )
        }
        _ => {
            let verb = if r.action == Action::Reinstalled {
                "Reinstalled"
            } else {
                "Installed"
            };
            let source = if r.from_cache {
                "from the download cache".to_string()
            } else if r.downloaded > 0 {
                format!("{} downloaded", human_bytes(r.downloaded))
            } else {
                "from a local archive".to_string()
            };
            let check = if r.verified {
                r.verification.as_str()
            } else {
                "NOT verified"
            };
            format!(
                "{verb} Go {} in {where_} ({source}, {check}, {secs:.1} s)",
                r.version
            )
        }
    }
}
