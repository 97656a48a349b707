//! Getting a planned release archive into a staging directory: from a
//! local file, the download cache, a `file://` mirror or the HTTP mirrors
//! in order, streamed through [`pipeline`] (hashing, size limit, safe
//! extraction) and checked against the plan's digest.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::{fsutil, installed};
use crate::install::pipeline;
use crate::install::plan::Plan;
use crate::install::unpack::{FileDigests, Stats};
use crate::net::http::{MirrorUrls, MirroredBody, RetryPolicy};

pub(crate) struct Fetched {
    pub downloaded: u64,
    pub from_cache: bool,
    /// The verified download, still in tmp/, to move into the cache.
    pub download: Option<PathBuf>,
    /// Where the bytes came from (a URL, a path, "the download cache").
    pub from: String,
    /// Every extracted file's digest.
    pub digests: FileDigests,
}

impl Fetched {
    fn local(from_cache: bool, from: String, stats: Stats) -> Fetched {
        Fetched {
            downloaded: 0,
            from_cache,
            download: None,
            from,
            digests: stats.digests,
        }
    }
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

/// Streams a file on disk into `stage` (made fresh by the caller); the
/// outcome is for [`check`].
fn unpack_file(
    app: &App,
    plan: &Plan,
    stage: &Path,
    path: &Path,
    max: u64,
) -> Result<pipeline::Outcome> {
    let file = File::open(path).context(|| format!("opening {}", path.display()))?;
    let reader: Box<dyn Read + Send> = Box::new(file);
    let bar = app.ui.progress(plan.size, &plan.version.go_name());
    let out = pipeline::run(reader, None, bar.clone(), max, stage)?;
    bar.finish();
    Ok(out)
}

/// Streams the archive into `stage` and checks it, from a local file, the
/// download cache, or the mirrors.
pub(crate) fn fetch_into(app: &App, plan: &Plan, stage: &Path) -> Result<Fetched> {
    if let Some(path) = &plan.local {
        fresh_stage(stage)?;
        let out = unpack_file(app, plan, stage, path, file_len(path))?;
        let from = path.display().to_string();
        let stats = check(plan, out, &from)?;
        return Ok(Fetched::local(false, from, stats));
    }
    if let Some(f) = from_cache(app, plan, stage)? {
        return Ok(f);
    }
    let urls: Vec<String> = crate::install::mirrors()?
        .iter()
        .map(|m| format!("{m}/{}", plan.filename))
        .collect();
    fresh_stage(stage)?;
    let urls = MirrorUrls::sort(urls, &plan.filename)?;
    if let Some((path, url)) = &urls.local {
        let max = plan.size.unwrap_or_else(|| file_len(path));
        let stats = check(plan, unpack_file(app, plan, stage, path, max)?, url)?;
        return Ok(Fetched::local(false, url.clone(), stats));
    }
    from_http_mirrors(app, plan, stage, &urls.remote)
}

/// The download cache's copy, if there is one and it is intact; a corrupt
/// one is removed (and downloaded again).
fn from_cache(app: &App, plan: &Plan, stage: &Path) -> Result<Option<Fetched>> {
    let Some(sha) = &plan.sha256 else {
        return Ok(None);
    };
    let cached = app.layout.cached_archive(sha);
    if !cached.is_file() {
        return Ok(None);
    }
    fresh_stage(stage)?;
    let max = plan.size.unwrap_or(u64::MAX);
    let out = unpack_file(app, plan, stage, &cached, max)?;
    let from = "the download cache";
    match check(plan, out, from) {
        Ok(stats) => Ok(Some(Fetched::local(true, from.to_string(), stats))),
        Err(e) if e.kind() == ErrorKind::Checksum => {
            app.ui
                .warn("the cached archive is corrupt; downloading it again");
            let _ = std::fs::remove_file(&cached);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The HTTP mirrors in order. A mirror that answers 200 with the wrong
/// bytes (a login page, a stale or tampered file) is passed over for the
/// next one; every failure is reported if none serves the right file.
fn from_http_mirrors(app: &App, plan: &Plan, stage: &Path, urls: &[String]) -> Result<Fetched> {
    let client = app.client()?;
    let mut failures: Vec<String> = Vec::new();
    let mut next = 0;
    while next < urls.len() {
        let body = match MirroredBody::open_reporting(
            &client,
            urls[next..].to_vec(),
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
        next = urls
            .iter()
            .position(|u| *u == served_by)
            .map_or(urls.len(), |i| i + 1);
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
    let stats = match check(plan, out, &source_url) {
        Ok(stats) => stats,
        Err(e) => {
            let _ = std::fs::remove_file(&download);
            return Err(e);
        }
    };
    Ok(Fetched {
        downloaded,
        from_cache: false,
        download: Some(download),
        from: source_url,
        digests: stats.digests,
    })
}

/// The checksum first (a mismatch explains any archive error), then the
/// extraction's own result.
fn check(plan: &Plan, out: pipeline::Outcome, from: &str) -> Result<Stats> {
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
    out.extracted
}
