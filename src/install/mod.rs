//! Installing a Go release: lock, stream into a staging directory, verify,
//! make durable, and publish with one rename.
//!
//! Invariants: `versions/<v>` exists only complete, verified and fsynced;
//! a failure or a kill at any point leaves the previous state as it was
//! (leftovers in `tmp/` are removed by the next run); the download cache
//! only ever holds archives whose sha256 matched.
//!
//! An install runs through: `source` (which source a request uses:
//! release archives or the module proxy, and `auto`'s fallback), `plan`
//! (the request resolved to one archive, the reinstall decision, the dry
//! run, the system layer's copy), `fetch` (the archive from a local file,
//! the download cache or the mirrors into the stage, through `pipeline`
//! and `unpack`), and `transaction` (the version lock, staging, the checks
//! on the staged tree, publication by rename, the entry points), which
//! `proxy` and `import` share. `uninstall` removes a version. The reports
//! are data; the CLI words them.
//!
//! The folder owns everything that writes under `versions/`, plus `gov
//! import` and gov's own self-update. Uses `core`, `net`, `settings`, `trust`
//! and `entry::shim` (every install writes its shims).

pub mod cache;
pub mod fetch;
pub mod import;
pub mod log_proof;
pub mod migrate;

pub mod pipeline;
pub mod plan;
pub mod proxy;
pub mod release_sig;
pub mod require;
pub mod safe_copy;
pub mod self_update;
pub mod source;
pub mod transaction;
pub mod uninstall;
pub mod unpack;
pub mod verify;

pub use plan::{parse_archive_name, system_copy};
pub use source::{
    DEFAULT_MIRROR, ResolvedSource, Source, mirrors, release_unreachable, resolve_source,
};
pub use uninstall::{check_uninstall, uninstall};

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::app::App;
use crate::core::error::Result;
pub use crate::core::installed::Proof;
use crate::core::version::{GoVersion, VersionRequest};

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
    /// The proofs the installed tree passed (empty when nothing was
    /// fetched).
    pub proofs: Vec<Proof>,
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

/// Installs a version. Safe to run concurrently with itself. The report is
/// data; `cli::install::summary` words it.
pub fn install(app: &App, opts: &InstallOptions) -> Result<Report> {
    let Origin::Remote(req) = &opts.origin else {
        return install_release(app, opts);
    };
    // Before any source is tried: an account that cannot have a layer gets
    // that explained, not a network error from whichever source ran last.
    if opts.source != Source::Release {
        transaction::ensure_layer_writable(&app.layout)?;
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
    transaction::ensure_layer_writable(&app.layout)?;
    let (plan, note) = plan::plan(app, opts)?;
    if let Some(n) = &note {
        app.ui.status(n);
    }
    let lookup = log_proof::prepare(app, &plan);
    // The lookup runs while the archive streams; it is joined once the
    // tree is extracted, before anything is published.
    let (action, staged) = std::thread::scope(|scope| {
        let mut pending = Some(match lookup {
            Ok(req) => Pending::Running(scope.spawn(move || req.run())),
            Err(none) => Pending::Done(log_proof::Answer::NoProof(none)),
        });
        transaction::publish_with(app, &plan.version, &plan.arch, opts.force, &mut |stage| {
            let fetched = fetch::fetch_into(app, &plan, stage)?;
            let proven = pending
                .take()
                .map_or_else(|| Ok(log_proof::not_asked()), Pending::wait)
                .and_then(|answer| {
                    let log = log_proof::check(&plan, &fetched.digests, &answer, &fetched.from)?;
                    Ok((answer, log))
                });
            let (answer, log) = match proven {
                Ok(p) => p,
                Err(e) => {
                    if let Some(tmp) = &fetched.download {
                        let _ = std::fs::remove_file(tmp);
                    }
                    return Err(e);
                }
            };
            let (proofs, missing) = tally(app, &plan, &answer, log);
            Ok(transaction::Staged {
                downloaded: fetched.downloaded,
                from_cache: fetched.from_cache,
                keep: match (fetched.download, &plan.sha256) {
                    (Some(tmp), Some(sha)) => Some((tmp, app.layout.cached_archive(sha))),
                    (Some(tmp), None) => Some((tmp.clone(), tmp)),
                    _ => None,
                },
                proofs,
                missing,
                log_h1: match (&answer, log) {
                    (log_proof::Answer::Record { zip_hash, .. }, true) => Some(zip_hash.clone()),
                    _ => None,
                },
                digests: Some(fetched.digests),
            })
        })
    })?;
    let proofs = staged
        .as_ref()
        .map(|s| s.proofs.clone())
        .unwrap_or_default();
    Ok(Report {
        goroot: app.layout.version_dir(plan.version.as_str()),
        version: plan.version,
        downloaded: staged.as_ref().map_or(0, |s| s.downloaded),
        from_cache: staged.as_ref().is_some_and(|s| s.from_cache),
        verified: !proofs.is_empty(),
        verification: verification(&proofs),
        proofs,
        action,
        elapsed: started.elapsed(),
        in_system_layer: false,
    })
}

/// The proofs a release install passed, and why each other one is
/// missing (a note for the log's, which users should know about).
fn tally(
    app: &App,
    plan: &plan::Plan,
    answer: &log_proof::Answer,
    log: bool,
) -> (Vec<Proof>, Vec<(Proof, String)>) {
    let mut proofs = Vec::new();
    let mut missing = vec![(
        Proof::Signature,
        "this gov does not check archive signatures".to_string(),
    )];
    match &plan.sha256 {
        Some(_) => proofs.push(Proof::Sha256),
        None => missing.push((
            Proof::Sha256,
            "the archive was given without a checksum (--no-verify)".to_string(),
        )),
    }
    if log {
        proofs.push(Proof::Log);
    } else if let log_proof::Answer::NoProof(none) = answer {
        app.ui.status(&format!(
            "no log proof for Go {}: {}",
            plan.version, none.why
        ));
        missing.push((Proof::Log, none.why.clone()));
    }
    (proofs, missing)
}

/// The log lookup of one install: running, or answered without a thread.
enum Pending<'scope> {
    Running(std::thread::ScopedJoinHandle<'scope, Result<log_proof::Answer>>),
    Done(log_proof::Answer),
}

impl Pending<'_> {
    fn wait(self) -> Result<log_proof::Answer> {
        match self {
            Pending::Done(a) => Ok(a),
            Pending::Running(h) => h.join().map_err(|_| {
                crate::core::error::Error::new(
                    crate::core::error::ErrorKind::Io,
                    "the checksum-database lookup crashed",
                )
            })?,
        }
    }
}

/// The summary's words for what proved an install: "sha256 and log verified".
pub fn verification(proofs: &[Proof]) -> String {
    let names: Vec<&str> = proofs.iter().map(|p| p.as_str()).collect();
    match names.as_slice() {
        [] => "not verified".to_string(),
        [one] => format!("{one} verified"),
        [rest @ .., last] => format!("{} and {last} verified", rest.join(", ")),
    }
}
