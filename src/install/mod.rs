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
pub mod import;
pub mod migrate;

pub mod pipeline;
pub mod proxy;
pub mod release_sig;
pub mod safe_copy;
pub mod self_update;
pub mod unpack;

use std::fs::File;
use std::io::Read;
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
use crate::net::http::{self, MirroredBody, RetryPolicy};
use crate::net::index::Freshness;

pub const DEFAULT_MIRROR: &str = "https://dl.google.com/go";

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
}

/// What is known about the archive before fetching it.
struct Plan {
    version: GoVersion,
    arch: String,
    filename: String,
    sha256: Option<String>,
    size: Option<u64>,
    local: Option<PathBuf>,
}

/// The mirrors from GOV_MIRROR (comma-separated, tried in order).
pub fn mirrors() -> Result<Vec<String>> {
    let raw = crate::core::config::get("GOV_MIRROR").unwrap_or_default();
    let list: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let list = if list.is_empty() {
        vec![DEFAULT_MIRROR.to_string()]
    } else {
        list
    };
    for m in &list {
        http::check_url(m, "mirror (GOV_MIRROR)")?;
    }
    Ok(list)
}

fn valid_sha256(s: &str) -> Result<String> {
    let s = s.trim().to_ascii_lowercase();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(Error::invalid(format!(
            "`{s}` is not a sha256 digest (64 hex digits)"
        )))
    }
}

/// `go1.22.5.linux-amd64.tar.gz` -> (`1.22.5`, `amd64`).
pub fn parse_archive_name(name: &str) -> Option<(GoVersion, String)> {
    let stem = name.strip_prefix("go")?.strip_suffix(".tar.gz")?;
    let (ver, arch) = stem.rsplit_once(".linux-")?;
    Some((GoVersion::parse(ver)?, arch.to_string()))
}

fn plan(app: &App, opts: &InstallOptions) -> Result<(Plan, Option<String>)> {
    match &opts.origin {
        Origin::Remote(req) => {
            let (_, resolved) = app.resolve(req, &opts.arch)?;
            let note = match req {
                VersionRequest::Exact(_) => None,
                _ => Some(format!("resolved {req} to {}", resolved.version)),
            };
            Ok((
                Plan {
                    version: resolved.version,
                    arch: opts.arch.clone(),
                    filename: resolved.file.filename,
                    sha256: Some(valid_sha256(&resolved.file.sha256).map_err(|_| {
                        Error::new(
                            ErrorKind::State,
                            "the release index lists no valid sha256 for this archive",
                        )
                    })?),
                    size: (resolved.file.size > 0).then_some(resolved.file.size),
                    local: None,
                },
                note,
            ))
        }
        Origin::File {
            path,
            sha256,
            no_verify,
        } => {
            let filename = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some((version, file_arch)) = parse_archive_name(&filename) else {
                return Err(Error::invalid(format!(
                    "cannot tell the Go version from the file name `{filename}`"
                ))
                .with_advice("keep the release's own name, like go1.22.5.linux-amd64.tar.gz"));
            };
            if !path.is_file() {
                return Err(Error::invalid(format!("{} is not a file", path.display())));
            }
            let expected = match (sha256, no_verify) {
                (Some(s), _) => Some(valid_sha256(s)?),
                (None, true) => {
                    app.ui.warn(&format!(
                        "installing {filename} WITHOUT checksum verification (--no-verify)"
                    ));
                    None
                }
                (None, false) => {
                    let idx = app.index(Freshness::Normal).map_err(|e| {
                        Error::new(
                            ErrorKind::Network,
                            format!("cannot verify {filename}: the release index is unreachable and not cached"),
                        )
                        .with_source(e)
                        .with_advice("pass the digest published on go.dev/dl with --sha256 HEX, or accept the risk with --no-verify")
                    })?;
                    match idx.file_named(&filename) {
                        Some((_, f)) => Some(valid_sha256(&f.sha256)?),
                        None => {
                            return Err(Error::new(
                                ErrorKind::NotFound,
                                format!("{filename} is not listed in the release index, so it cannot be verified"),
                            )
                            .with_advice("pass its digest with --sha256 HEX, or accept the risk with --no-verify"));
                        }
                    }
                }
            };
            let size = std::fs::metadata(path).ok().map(|m| m.len());
            Ok((
                Plan {
                    version,
                    arch: file_arch,
                    filename,
                    sha256: expected,
                    size,
                    local: Some(path.clone()),
                },
                None,
            ))
        }
    }
}

/// What [`install`] would do, without taking locks or writing anything
/// (the index is read but not cached): the resolved version and whether it
/// would be installed, reinstalled or left as it is.
pub fn preview(app: &App, opts: &InstallOptions) -> Result<Report> {
    app.set_read_only();
    let Origin::Remote(req) = &opts.origin else {
        return preview_release(app, opts);
    };
    match opts.source {
        Source::Release => preview_release(app, opts),
        Source::Proxy => proxy::preview(app, req, &opts.arch, opts.force),
        Source::Auto => match preview_release(app, opts) {
            Err(e) if release_unreachable(&e) => {
                app.ui.warn(&format!(
                    "release downloads are unreachable ({}); Go {req} would come from the module proxy",
                    e.message().lines().next().unwrap_or("")
                ));
                proxy::preview(app, req, &opts.arch, opts.force)
                    .map_err(|pe| fallback_failed(e, pe))
            }
            r => r,
        },
    }
}

fn preview_release(app: &App, opts: &InstallOptions) -> Result<Report> {
    let started = Instant::now();
    let (plan, note) = plan(app, opts)?;
    if let Some(n) = &note {
        app.ui.status(n);
    }
    let exists = installed::is_installed(&app.layout, plan.version.as_str());
    Ok(Report {
        goroot: app.layout.version_dir(plan.version.as_str()),
        action: Action::planned(exists, opts.force),
        downloaded: 0,
        from_cache: plan
            .sha256
            .as_deref()
            .is_some_and(|sha| !exists && app.layout.cached_archive(sha).is_file()),
        verified: plan.sha256.is_some(),
        verification: if plan.sha256.is_some() {
            "sha256 verified".into()
        } else {
            "not verified".into()
        },
        version: plan.version,
        elapsed: started.elapsed(),
    })
}

/// Where toolchains come from (`--source`, GOV_SOURCE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The release index and archive mirrors (go.dev, GOV_MIRROR).
    Release,
    /// The module proxy Go would use, verified by the checksum database.
    Proxy,
    /// Release sources first; the module proxy when they are unreachable.
    #[default]
    Auto,
}

impl Source {
    pub fn parse(text: &str) -> Result<Source> {
        match text.trim().to_ascii_lowercase().as_str() {
            "release" => Ok(Source::Release),
            "proxy" => Ok(Source::Proxy),
            "auto" | "" => Ok(Source::Auto),
            other => Err(Error::invalid(format!(
                "unknown toolchain source `{}`",
                crate::core::quote::excerpt(other, 40)
            ))
            .with_advice("use release, proxy or auto (GOV_SOURCE or --source)")),
        }
    }

    /// The source installs use: see [`resolve_source`].
    pub fn from_flag_or_config(flag: Option<&str>) -> Result<Source> {
        resolve_source(flag).map(|r| r.source)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Release => "release",
            Source::Proxy => "proxy",
            Source::Auto => "auto",
        }
    }
}

/// The source installs use, and why (`gov doctor`, `gov config show`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResolvedSource {
    pub source: Source,
    /// What decided: `--source`, `GOV_SOURCE`, `GOV_MIRROR`,
    /// `GOV_INDEX_URL`, `GOV_PRESET` or `default`.
    pub decided_by: &'static str,
    /// `environment`, the config file's path, or none.
    pub origin: Option<String>,
    /// The whole answer for people.
    pub reason: String,
}

impl serde::Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

const AUTO_ORDER: &str = "the module proxy only if release downloads are unreachable";

/// An explicit choice beats an implied one: `--source`, else GOV_SOURCE
/// as a user set it (environment or any layer's config), else a release
/// source set explicitly (GOV_MIRROR or GOV_INDEX_URL: auto, which tries
/// it first), else the default a preset implies (`gov proxy use cn`),
/// else auto.
pub fn resolve_source(flag: Option<&str>) -> Result<ResolvedSource> {
    use crate::core::config::{self, Origin};
    use crate::settings::proxy::implied_by_preset;
    let resolved = |source, decided_by, origin: Option<&Origin>, reason: String| ResolvedSource {
        source,
        decided_by,
        origin: origin.map(|o| match o {
            Origin::Environment => "environment".to_string(),
            Origin::File { path, .. } => path.display().to_string(),
        }),
        reason,
    };
    if let Some(f) = flag {
        return Ok(resolved(
            Source::parse(f)?,
            "--source",
            None,
            format!("--source {f}"),
        ));
    }
    // A layer's GOV_SOURCE that an older preset wrote is the preset's.
    let preset_of = |o: &Origin| match o {
        Origin::File { path, .. } => implied_by_preset(path, &config::file_values(path)),
        Origin::Environment => None,
    };
    let values = config::lookup_all("GOV_SOURCE");
    if let Some((v, o)) = values
        .iter()
        .find(|(_, o)| preset_of(o).is_none_or(|p| !p.legacy))
    {
        let source = Source::parse(v)?;
        let reason = format!("GOV_SOURCE={} set in {o}", source.as_str());
        return Ok(resolved(source, "GOV_SOURCE", Some(o), reason));
    }
    let files = config::files();
    let implied = files.iter().find_map(|(path, _)| {
        implied_by_preset(path, &config::file_values(path)).map(|i| (i, path))
    });
    for key in ["GOV_MIRROR", "GOV_INDEX_URL"] {
        if let Some((_, o)) = config::lookup(key) {
            let beaten = implied
                .as_ref()
                .map(|(i, _)| format!(", not the {} that preset {} implies", i.source, i.preset))
                .unwrap_or_default();
            let reason = format!("{key} set in {o}{beaten}");
            return Ok(resolved(Source::Auto, key, Some(&o), reason));
        }
    }
    if let Some((i, path)) = implied {
        let source = Source::parse(i.source)?;
        let origin = Origin::File {
            path: path.clone(),
            system: false,
        };
        let how = if i.legacy {
            format!(
                "GOV_SOURCE={} written by an older `gov proxy use {}` in {origin}",
                i.source, i.preset
            )
        } else {
            format!("GOV_PRESET={} in {origin}", i.preset)
        };
        let reason = format!(
            "implied by preset {} ({how}); no release source is set",
            i.preset
        );
        return Ok(resolved(source, "GOV_PRESET", Some(&origin), reason));
    }
    Ok(resolved(
        Source::Auto,
        "default",
        None,
        "the default".into(),
    ))
}

impl ResolvedSource {
    /// Where installs go, then why: `proxy: implied by preset cn (...)`.
    pub fn describe(&self) -> String {
        match self.source {
            Source::Auto => format!("release ({AUTO_ORDER}): {}", self.reason),
            s => format!("{}: {}", s.as_str(), self.reason),
        }
    }
}

/// Would the module proxy help after this release-source failure? Only
/// when the release sources could not be reached (DNS, connect, TLS,
/// timeout, HTTP 403/5xx, all of them `Network`); a checksum mismatch or a
/// bad archive is an attack or corruption and stops, and an unknown
/// version stays unknown.
pub fn release_unreachable(e: &Error) -> bool {
    e.kind() == ErrorKind::Network
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
                    .map_err(|pe| fallback_failed(e, pe))
            }
            r => r,
        },
    }
}

/// Both sources failed: the release error first (it is the preferred
/// source, and its advice is about this host's network), the proxy's after
/// it. A forged or corrupt proxy answer keeps its own kind.
fn fallback_failed(release: Error, proxy: Error) -> Error {
    let kind = match proxy.kind() {
        ErrorKind::Network | ErrorKind::NotFound | ErrorKind::InvalidInput => release.kind(),
        k => k,
    };
    let advice = match (release.advice(), proxy.advice()) {
        (Some(a), Some(b)) => Some(format!("{a}; for the module proxy: {b}")),
        (a, b) => a.or(b).map(str::to_string),
    };
    let msg = format!(
        "{}\n  and the module proxy fallback failed too: {}",
        release.message(),
        proxy.message()
    );
    let err = Error::new(kind, msg).with_source(proxy);
    match advice {
        Some(a) => err.with_advice(a),
        None => err,
    }
}

fn install_release(app: &App, opts: &InstallOptions) -> Result<Report> {
    let started = Instant::now();
    ensure_layer_writable(&app.layout)?;
    let (plan, note) = plan(app, opts)?;
    if let Some(n) = &note {
        app.ui.status(n);
    }
    let verified = plan.sha256.is_some();
    let (action, staged) =
        publish_with(app, &plan.version, &plan.arch, opts.force, &mut |stage| {
            let fetched = fetch_into(app, &plan, stage)?;
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

struct Fetched {
    downloaded: u64,
    from_cache: bool,
    /// The verified download, still in tmp/, to move into the cache.
    download: Option<PathBuf>,
}

fn fresh_stage(stage: &Path) -> Result<()> {
    fsutil::remove_tree(stage)?;
    // The staged tree's root becomes versions/<v>: exact mode, not umask.
    crate::core::perms::make_dir(stage, crate::core::perms::DIR)
}

/// A local archive's size, which bounds what it may unpack to.
fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(u64::MAX, |m| m.len())
}

fn open_file(path: &Path) -> Result<Box<dyn Read + Send>> {
    let f = File::open(path).context(|| format!("opening {}", path.display()))?;
    Ok(Box::new(f))
}

/// Streams the archive into `stage` and checks it, from the download cache,
/// a local file, or the mirrors.
fn fetch_into(app: &App, plan: &Plan, stage: &Path) -> Result<Fetched> {
    let layout = &app.layout;
    let max = plan.size.unwrap_or(u64::MAX);

    if let Some(path) = &plan.local {
        fresh_stage(stage)?;
        let bar = app.ui.progress(plan.size, &plan.version.go_name());
        let out = pipeline::run(open_file(path)?, None, bar.clone(), file_len(path), stage)?;
        bar.finish();
        check(plan, out, &path.display().to_string())?;
        return Ok(Fetched {
            downloaded: 0,
            from_cache: false,
            download: None,
        });
    }

    if let Some(sha) = &plan.sha256 {
        let cached = layout.cached_archive(sha);
        if cached.is_file() {
            fresh_stage(stage)?;
            let bar = app.ui.progress(plan.size, &plan.version.go_name());
            let out = pipeline::run(open_file(&cached)?, None, bar.clone(), max, stage)?;
            bar.finish();
            match check(plan, out, "the download cache") {
                Ok(()) => {
                    return Ok(Fetched {
                        downloaded: 0,
                        from_cache: true,
                        download: None,
                    });
                }
                Err(e) if e.kind() == ErrorKind::Checksum => {
                    app.ui
                        .warn("the cached archive is corrupt; downloading it again");
                    let _ = std::fs::remove_file(&cached);
                }
                Err(e) => return Err(e),
            }
        }
    }

    let urls: Vec<String> = mirrors()?
        .iter()
        .map(|m| format!("{m}/{}", plan.filename))
        .collect();
    fresh_stage(stage)?;

    // file:// mirrors are plain paths; use the first that has the file.
    for url in urls.iter().filter(|u| u.starts_with("file:")) {
        let path = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.to_file_path().ok());
        if let Some(path) = path.filter(|p| p.is_file()) {
            let bar = app.ui.progress(plan.size, &plan.version.go_name());
            let max = plan.size.unwrap_or_else(|| file_len(&path));
            let out = pipeline::run(open_file(&path)?, None, bar.clone(), max, stage)?;
            bar.finish();
            check(plan, out, url)?;
            return Ok(Fetched {
                downloaded: 0,
                from_cache: false,
                download: None,
            });
        }
    }
    let http_urls: Vec<String> = urls
        .into_iter()
        .filter(|u| !u.starts_with("file:"))
        .collect();
    if http_urls.is_empty() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "{} is on none of the file:// mirrors in GOV_MIRROR",
                plan.filename
            ),
        ));
    }
    // A mirror that answers 200 with the wrong bytes (a login page, a stale
    // or tampered file) is passed over for the next one; every failure is
    // reported if none serves the right file.
    let client = app.client()?;
    let mut failures: Vec<String> = Vec::new();
    let mut next = 0;
    while next < http_urls.len() {
        let body = match MirroredBody::open_reporting(
            &client,
            http_urls[next..].to_vec(),
            RetryPolicy::from_env(),
            &|line| app.ui.warn(line),
        ) {
            Ok(b) => b,
            Err(e) if failures.is_empty() => return Err(e),
            Err(e) => {
                failures.push(e.to_string());
                break;
            }
        };
        let served_by = body.url().to_string();
        next = http_urls
            .iter()
            .position(|u| *u == served_by)
            .map_or(http_urls.len(), |i| i + 1);
        match fetch_from(app, plan, stage, body) {
            Ok(f) => return Ok(f),
            Err(e) if matches!(e.kind(), ErrorKind::Checksum | ErrorKind::BadArchive) => {
                app.ui
                    .warn(&format!("{served_by}: {e}; trying the next mirror"));
                failures.push(format!("{served_by}: {e}"));
                fresh_stage(stage)?;
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(
        ErrorKind::Checksum,
        format!(
            "no mirror served the right {}:\n    {}",
            plan.filename,
            failures.join("\n    ")
        ),
    )
    .with_advice(
        "nothing was installed; the mirrors in GOV_MIRROR serve different or tampered files \
         (an HTML login page, a stale copy): fix them or point GOV_MIRROR at https://dl.google.com/go",
    ))
}

/// One mirror's answer, streamed into `stage` and checked.
fn fetch_from(app: &App, plan: &Plan, stage: &Path, body: MirroredBody) -> Result<Fetched> {
    let layout = &app.layout;
    if let (Some(announced), Some(size)) = (body.content_length(), plan.size)
        && announced != size
    {
        return Err(Error::new(
            ErrorKind::Checksum,
            format!(
                "{} serves {announced} bytes for {}, but the release index says {size}",
                body.url(),
                plan.filename
            ),
        )
        .with_advice("the mirror serves a different file; try another mirror (GOV_MIRROR)"));
    }
    let max = plan.size.or(body.content_length()).unwrap_or(u64::MAX);
    let source_url = body.url().to_string();
    let download = layout
        .tmp_dir()
        .join(installed::tmp_name(plan.version.as_str(), "download"));
    let _ = std::fs::remove_file(&download);
    let tee = crate::core::perms::create_file(&download, crate::core::perms::FILE)?;
    let bar = app
        .ui
        .progress(plan.size.or(body.content_length()), &plan.version.go_name());
    let run = pipeline::run(Box::new(body), Some(tee), bar.clone(), max, stage);
    bar.finish();
    let out = match run {
        Ok(o) => o,
        Err(e) => {
            let _ = std::fs::remove_file(&download);
            return Err(e);
        }
    };
    let downloaded = out.bytes;
    if let Err(e) = check(plan, out, &source_url) {
        let _ = std::fs::remove_file(&download);
        return Err(e);
    }
    Ok(Fetched {
        downloaded,
        from_cache: false,
        download: Some(download),
    })
}

/// The checksum first (a mismatch explains any archive error), then the
/// extraction's own result.
fn check(plan: &Plan, out: pipeline::Outcome, from: &str) -> Result<()> {
    if let Some(expected) = &plan.sha256
        && &out.sha256 != expected
    {
        return Err(Error::new(
                ErrorKind::Checksum,
                format!(
                    "checksum mismatch for {} from {from}: expected sha256 {expected}, got {}",
                    plan.filename, out.sha256
                ),
            )
            .with_advice(
                "nothing was installed and the bytes were discarded; retry, or use another mirror (GOV_MIRROR); \
                 a persistent mismatch means the mirror serves tampered or different files",
            ));
    }
    out.extracted.map(|_| ())
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

/// Removes an installed version: it disappears with one rename, then its
/// files are deleted from tmp/.
pub fn uninstall(app: &App, req: &VersionRequest) -> Result<GoVersion> {
    refuse_ambiguous(&app.layout, req)?;
    // The global check and the removal happen under the state lock, so a
    // racing `gov global` cannot select the version being removed.
    let _state = lock::acquire(&app.layout.state_lock(), "to change the selection", |m| {
        app.ui.status(m)
    })?;
    let version = check_uninstall(app, req)?;
    remove(app, &version)?;
    Ok(version)
}

/// One rule: removal names an exact version. `latest` and `1.22` both mean
/// "whatever is newest", which is never what a removal should guess.
fn refuse_ambiguous(layout: &crate::core::layout::Layout, req: &VersionRequest) -> Result<()> {
    if matches!(req, VersionRequest::Exact(_)) {
        return Ok(());
    }
    let hint = installed::find(layout, req)?
        .map(|f| format!("did you mean `gov uninstall {}`?", f.version))
        .unwrap_or_else(|| "see `gov list` for the installed versions".into());
    Err(Error::invalid(format!(
        "`{req}` is ambiguous for uninstall: name the exact version"
    ))
    .with_advice(hint))
}

/// The exact installed version an uninstall of `req` would remove, or the
/// reason it would be refused (ambiguous, not installed, the global one).
/// Reads only, takes no lock: this is also the dry run.
pub fn check_uninstall(app: &App, req: &VersionRequest) -> Result<GoVersion> {
    let layout = &app.layout;
    refuse_ambiguous(layout, req)?;
    let Some(found) = installed::find(layout, req)? else {
        let have: Vec<String> = installed::list(layout)?
            .iter()
            .map(|i| i.version.to_string())
            .collect();
        if !layout.is_system()
            && let Some(sys) = installed::find(&crate::core::layout::Layout::system(), req)?
        {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "Go {} is installed in the system layer, not in yours",
                    sys.version
                ),
            )
            .with_advice(format!(
                "the system layer belongs to root: `sudo gov uninstall --system {}`",
                sys.version
            )));
        }
        return Err(
            Error::new(ErrorKind::NotFound, format!("Go {req} is not installed")).with_advice(
                if have.is_empty() {
                    "no versions are installed".to_string()
                } else {
                    format!("installed: {}", have.join(", "))
                },
            ),
        );
    };
    if let Some(global) = crate::entry::select::global(layout)?
        && global.request.matches(&found.version)
    {
        let others: Vec<String> = installed::list(layout)?
            .into_iter()
            .filter(|i| i.version != found.version)
            .map(|i| i.version.to_string())
            .collect();
        return Err(Error::new(
                ErrorKind::State,
                format!("Go {} is the global version; removing it would break `go`", found.version),
            )
            .with_advice(match others.first() {
                Some(o) => format!("switch first, e.g. `gov global {o}`, then uninstall"),
                None => "install and select another version first (`gov install latest && gov global latest`)".into(),
            }));
    }
    Ok(found.version)
}

fn remove(app: &App, found: &GoVersion) -> Result<()> {
    let layout = &app.layout;
    let version = found.as_str().to_string();
    let _guard = lock::acquire(
        &installed::version_lock(layout, &version),
        &format!("to finish with Go {version}"),
        |m| app.ui.status(m),
    )?;
    let goroot = layout.version_dir(&version);
    for (pid, what) in installed::processes_using(&goroot) {
        app.ui.warn(&format!(
            "Go {version} is in use by process {pid} ({what}); it keeps running from the removed files until it exits"
        ));
    }
    fsutil::create_dir_all(&layout.tmp_dir())?;
    let trash = layout
        .tmp_dir()
        .join(installed::tmp_name(&version, "trash"));
    let shim_trash = layout
        .tmp_dir()
        .join(installed::tmp_name(&version, "shims"));
    // Shims go first, then the tree, each in one rename into tmp/: a kill at
    // any point leaves either an installed version (whose shims the next
    // install or `gov doctor` restores) or nothing, never shims without a
    // tree; what is in tmp/ is removed by the next run. The entry point
    // goes before both, so cmd/go never finds one without its tree.
    entrypoints::remove_version(layout, found)?;
    let shims = layout.shim_dir(&version);
    if shims.exists() {
        std::fs::rename(&shims, &shim_trash).context(|| format!("removing {}", shims.display()))?;
        fsutil::fsync_dir(&layout.shims_dir())?;
    }
    std::fs::rename(&goroot, &trash).context(|| format!("removing {}", goroot.display()))?;
    fsutil::fsync_dir(&layout.versions_dir())?;
    fsutil::remove_tree(&shim_trash)?;
    fsutil::remove_tree(&trash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names() {
        let (v, a) = parse_archive_name("go1.22.5.linux-amd64.tar.gz").unwrap_or_else(|| panic!());
        assert_eq!((v.as_str(), a.as_str()), ("1.22.5", "amd64"));
        let (v, a) =
            parse_archive_name("go1.21rc2.linux-armv6l.tar.gz").unwrap_or_else(|| panic!());
        assert_eq!((v.as_str(), a.as_str()), ("1.21rc2", "armv6l"));
        assert!(parse_archive_name("go1.22.5.darwin-amd64.tar.gz").is_none());
        assert!(parse_archive_name("foo.tar.gz").is_none());
    }
}
