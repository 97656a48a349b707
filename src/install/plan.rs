//! What an install would do, before anything is fetched: the request
//! resolved to one archive (name, digest, size), whether the version is
//! installed already (reinstall only with --force), and the dry run's
//! answer built from the same plan.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::installed;
use crate::core::version::{GoVersion, VersionRequest};
use crate::install::{Action, InstallOptions, Origin, Report};
use crate::net::index::Freshness;

/// What is known about the archive before fetching it.
pub(crate) struct Plan {
    pub version: GoVersion,
    pub arch: String,
    pub filename: String,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    /// A local archive (`--file`) instead of the mirrors.
    pub local: Option<PathBuf>,
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

/// The archive an install fetches, and a line for the user when a request
/// like `1.22` or `latest` was resolved.
pub(crate) fn plan(app: &App, opts: &InstallOptions) -> Result<(Plan, Option<String>)> {
    match &opts.origin {
        Origin::Remote(req) => plan_release(app, req, &opts.arch),
        Origin::File {
            path,
            sha256,
            no_verify,
        } => Ok((plan_file(app, path, sha256.as_deref(), *no_verify)?, None)),
    }
}

fn plan_release(app: &App, req: &VersionRequest, arch: &str) -> Result<(Plan, Option<String>)> {
    let (_, resolved) = app.resolve(req, arch)?;
    let note = match req {
        VersionRequest::Exact(_) => None,
        _ => Some(format!("resolved {req} to {}", resolved.version)),
    };
    let sha256 = valid_sha256(&resolved.file.sha256).map_err(|_| {
        Error::new(
            ErrorKind::State,
            "the release index lists no valid sha256 for this archive",
        )
    })?;
    let plan = Plan {
        version: resolved.version,
        arch: arch.to_string(),
        filename: resolved.file.filename,
        sha256: Some(sha256),
        size: (resolved.file.size > 0).then_some(resolved.file.size),
        local: None,
    };
    Ok((plan, note))
}

fn plan_file(
    app: &App,
    path: &std::path::Path,
    sha256: Option<&str>,
    no_verify: bool,
) -> Result<Plan> {
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
        (None, false) => Some(digest_from_index(app, &filename)?),
    };
    Ok(Plan {
        version,
        arch: file_arch,
        size: std::fs::metadata(path).ok().map(|m| m.len()),
        filename,
        sha256: expected,
        local: Some(path.to_path_buf()),
    })
}

/// A local archive's digest, from the release index that lists it.
fn digest_from_index(app: &App, filename: &str) -> Result<String> {
    let idx = app.index(Freshness::Normal).map_err(|e| {
        Error::new(
            ErrorKind::Network,
            format!("cannot verify {filename}: the release index is unreachable and not cached"),
        )
        .with_source(e)
        .with_advice("pass the digest published on go.dev/dl with --sha256 HEX, or accept the risk with --no-verify")
    })?;
    match idx.file_named(filename) {
        Some((_, f)) => valid_sha256(&f.sha256),
        None => Err(Error::new(
            ErrorKind::NotFound,
            format!("{filename} is not listed in the release index, so it cannot be verified"),
        )
        .with_advice("pass its digest with --sha256 HEX, or accept the risk with --no-verify")),
    }
}

/// The dry run of a release install: the plan, and what it would change.
pub(crate) fn preview_release(app: &App, opts: &InstallOptions) -> Result<Report> {
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
        proofs: plan
            .sha256
            .iter()
            .map(|_| installed::Proof::Sha256)
            .collect(),
        version: plan.version,
        elapsed: started.elapsed(),
        in_system_layer: false,
    })
}

/// A version for this host that the system layer already holds (and this
/// account's layer does not): every account uses that copy, so a second
/// download is only made with --force. An exact version is answered
/// without any network or lock; `1.22` or `latest` is resolved first, as
/// the install would (a failure there is left to the install to report).
/// Answers the install as done there (`in_system_layer`).
pub fn system_copy(app: &App, opts: &InstallOptions) -> Option<Report> {
    let Origin::Remote(req) = &opts.origin else {
        return None;
    };
    let layers = app.layers();
    let system = layers.system();
    if opts.force || system.home() == app.layout.home() || opts.arch != arch::host() {
        return None;
    }
    let version = match req {
        VersionRequest::Exact(v) => v.clone(),
        // The index is read only when the system layer could hold it.
        _ => {
            let held = installed::list(system).unwrap_or_default();
            if !held.iter().any(|i| req.matches(&i.version)) {
                return None;
            }
            app.resolve(req, &opts.arch).ok()?.1.version
        }
    };
    let v = version.as_str();
    if installed::is_installed(&app.layout, v) || !installed::is_installed(system, v) {
        return None;
    }
    Some(Report {
        goroot: system.version_dir(v),
        version,
        action: Action::AlreadyInstalled,
        downloaded: 0,
        from_cache: false,
        verified: false,
        verification: String::new(),
        proofs: Vec::new(),
        elapsed: Duration::ZERO,
        in_system_layer: true,
    })
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
