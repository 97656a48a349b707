//! gov's own download path, stage by stage: the release index (GOV_INDEX_URL)
//! and every mirror in GOV_MIRROR (DNS, TCP, the proxy's CONNECT and TLS,
//! then HTTP), ending with a HEAD of the archive of the version selected
//! here on each mirror (a one-byte ranged GET where HEAD is not answered),
//! so a mirror with the wrong path or a missing file shows before an
//! install needs it, with advice that fits the HTTP status.
//!
//! Each endpoint is probed once per run ([`ReleasePath`]): the `download.*`
//! checks show every stage, and `toolchains.release` reads the same
//! answers (the index it parsed, the archive on each mirror).

use std::time::{Duration, Instant};

use super::network::{Stage, fail, http_client, ok, transport_stages};
use super::{Check, Section, Status};
use crate::core::error::Error;
use crate::core::layout::Layout;
use crate::net::index::{Index, IndexSource, parse_releases};

const NET: Section = Section::Network;

/// The archive doctor asks the mirrors for: the version selected here (or
/// the newest stable release), with its size from the cached index.
fn probe_archive(layout: &Layout) -> Option<(String, Option<u64>)> {
    let arch = crate::core::arch::host();
    let idx = crate::net::index::load_cached_only(layout);
    let layers = crate::core::layers::Layers::with_own(Some(layout.clone()));
    let selected = std::env::current_dir()
        .ok()
        .and_then(|cwd| crate::entry::select::select(&layers, &cwd).ok().flatten())
        .and_then(|s| crate::entry::select::resolve_installed(&layers, &s).ok())
        .map(|i| i.version);
    let version = selected.or_else(|| idx.as_ref().and_then(|i| i.latest().cloned()))?;
    let name = format!("{}.linux-{arch}.tar.gz", version.go_name());
    let size = idx
        .as_ref()
        .and_then(|i| i.file_named(&name).map(|(_, f)| f.size))
        .filter(|s| *s > 0);
    Some((name, size))
}

/// Advice that fits an HTTP status from a mirror or the index (`what`
/// names the file asked for).
pub(super) fn status_advice(status: u16, what: &str) -> String {
    match status {
        404 | 410 => format!(
            "the server has no {what}: if it is a gov mirror, sync it there (`gov mirror sync <dir>`, with the version in --versions); \
             otherwise check the path: GOV_MIRROR is the folder that holds go1.x.y.linux-*.tar.gz, GOV_INDEX_URL the index itself"
        ),
        401 | 407 => "the server wants credentials: put them in ~/.netrc (machine <host> login <user> password <secret>)".into(),
        403 => "the server refuses: credentials (~/.netrc) if it wants them; else the file's permissions on the server (its workers must be able to read the mirror directory and its files)".into(),
        429 => "rate limited: try again later, or list another mirror in GOV_MIRROR".into(),
        s if s >= 500 => "a server error on that side (see its error log): try again later; gov tries the next GOV_MIRROR entry".into(),
        _ => "an unexpected answer: is this URL a Go release mirror?".into(),
    }
}

/// The archive's size as a HEAD or a ranged GET answer gives it.
fn answered_size(resp: &reqwest::blocking::Response) -> Option<u64> {
    let header = |name| resp.headers().get(name).and_then(|v| v.to_str().ok());
    if resp.status() == reqwest::StatusCode::PARTIAL_CONTENT {
        // `bytes 0-0/<total>`
        return header(reqwest::header::CONTENT_RANGE)
            .and_then(|r| r.rsplit_once('/'))
            .and_then(|(_, total)| total.trim().parse().ok());
    }
    // The header itself: for HEAD, reqwest's content_length() is the
    // (empty) body's.
    header(reqwest::header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok())
}

fn send(
    client: &reqwest::blocking::Client,
    url: &str,
    method: reqwest::Method,
) -> reqwest::Result<reqwest::blocking::Response> {
    let mut req = client.request(method.clone(), url);
    if method == reqwest::Method::GET {
        req = req.header(reqwest::header::RANGE, "bytes=0-0");
    }
    if let Some(c) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| crate::net::netrc::lookup(&u))
    {
        req = req.basic_auth(c.login, Some(c.password));
    }
    req.send()
}

/// The archive on one mirror: HEAD, or a one-byte ranged GET where the
/// server does not answer HEAD (405, 501: some servers and object stores).
fn archive_stage(url: &str, timeout: Duration, want_size: Option<u64>) -> Stage {
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => return fail("http", e, "internal error setting up HTTP", None),
    };
    let t = Instant::now();
    let mut what = "HEAD";
    let mut sent = send(&client, url, reqwest::Method::HEAD);
    if let Ok(r) = &sent
        && matches!(r.status().as_u16(), 405 | 501)
    {
        what = "GET (range)";
        sent = send(&client, url, reqwest::Method::GET);
    }
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            let why = crate::net::explain::explain(&e, url);
            let advice = crate::net::http::advice_for_error(&e, url);
            return fail("http", format!("{what} {url}: {why}"), advice, Some(t));
        }
    };
    let status = resp.status();
    if !status.is_success() {
        let file = url.rsplit('/').next().unwrap_or(url);
        let why = crate::net::explain::explain_status(status, url);
        let mut stage = fail(
            "http",
            format!("{what} {url}: {why}"),
            status_advice(status.as_u16(), file),
            Some(t),
        );
        stage.http_status = Some(status.as_u16());
        return stage;
    }
    let len = answered_size(&resp);
    match (want_size, len) {
        (Some(want), Some(got)) if got != want => fail(
            "http",
            format!("{what} {url}: {got} bytes, the index says {want}"),
            "the mirror serves another file under this name: do not use it until it is fixed",
            Some(t),
        ),
        _ => ok(
            "http",
            format!(
                "{what} {url}: {status}{}",
                len.map(|l| format!(", {l} bytes")).unwrap_or_default()
            ),
            t,
        ),
    }
}

/// The release index: a GET whose answer must be go.dev's JSON list; the
/// body read, for the checks that need the releases.
fn index_stage(url: &str, timeout: Duration) -> (Stage, Option<Vec<u8>>) {
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => {
            return (
                fail("http", e, "internal error setting up HTTP", None),
                None,
            );
        }
    };
    let t = Instant::now();
    let mut req = client.get(url);
    if let Some(c) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| crate::net::netrc::lookup(&u))
    {
        req = req.basic_auth(c.login, Some(c.password));
    }
    let resp = match req.send() {
        Ok(resp) => resp,
        Err(e) => {
            let why = crate::net::explain::explain(&e, url);
            let advice = crate::net::http::advice_for_error(&e, url);
            return (
                fail("http", format!("GET {url}: {why}"), advice, Some(t)),
                None,
            );
        }
    };
    let status = resp.status();
    if !status.is_success() {
        let why = crate::net::explain::explain_status(status, url);
        let advice = status_advice(status.as_u16(), "release index");
        let mut stage = fail("http", format!("GET {url}: {why}"), advice, Some(t));
        stage.http_status = Some(status.as_u16());
        return (stage, None);
    }
    let body = match crate::net::index::read_body(resp, url) {
        Ok(b) => b,
        Err(e) => {
            let advice = e.advice().unwrap_or("check GOV_INDEX_URL").to_string();
            return (
                fail("http", format!("GET {url}: 200, but {e}"), advice, Some(t)),
                None,
            );
        }
    };
    let n = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len));
    let stage = match n {
        Some(n) => ok("http", format!("GET {url}: 200, {n} releases"), t),
        None => fail(
            "http",
            format!("GET {url}: 200, but not a release index (JSON list)"),
            "GOV_INDEX_URL must serve go.dev's ?mode=json&include=all format (a captive portal or a web page?)",
            Some(t),
        ),
    };
    (stage, Some(body))
}

/// A `file://` URL: the file must be there (`read` also returns it).
fn file_stage(u: &url::Url, read: bool) -> (Stage, Option<Vec<u8>>) {
    let t = Instant::now();
    let path = u.to_file_path().unwrap_or_default();
    if !path.is_file() {
        let finding = format!("{} does not exist", path.display());
        return (fail("file", finding, "fix the file:// URL", Some(t)), None);
    }
    let body = if read {
        std::fs::read(&path).ok()
    } else {
        None
    };
    (
        ok("file", format!("{} is readable", path.display()), t),
        body,
    )
}

/// What a URL asks for: the index (a GET, read whole) or an archive (HEAD,
/// compared with the index's size).
#[derive(Debug, Clone, Copy)]
enum Asked {
    Index,
    Archive { size: Option<u64> },
}

/// The whole chain for one URL, and the body when the index was read.
fn probe(url: &str, timeout: Duration, asked: Asked) -> (Vec<Stage>, Option<Vec<u8>>) {
    let Ok(u) = url::Url::parse(url) else {
        let stage = fail(
            "url",
            format!("`{url}` is not a URL"),
            "fix it with `gov config set`",
            None,
        );
        return (vec![stage], None);
    };
    if u.scheme() == "file" {
        let (stage, body) = file_stage(&u, matches!(asked, Asked::Index));
        return (vec![stage], body);
    }
    let (mut stages, go_on) = transport_stages(&u, timeout);
    if !go_on {
        return (stages, None);
    }
    let (last, body) = match asked {
        Asked::Index => index_stage(url, timeout),
        Asked::Archive { size } => (archive_stage(url, timeout, size), None),
    };
    stages.push(last);
    (stages, body)
}

/// One mirror's probe: the archive URL asked for and each stage's outcome.
struct MirrorProbe {
    base: String,
    url: String,
    stages: Vec<Stage>,
}

/// gov's release download path, each endpoint probed once: the index,
/// then the same archive on every mirror.
pub struct ReleasePath {
    index_url: String,
    index_stages: Vec<Stage>,
    index_body: Option<Vec<u8>>,
    /// GOV_MIRROR's entries, or why they cannot be used.
    mirrors: Result<Vec<String>, Error>,
    probed: Vec<MirrorProbe>,
    timeout: Duration,
    /// How long the probes took (concurrently).
    pub elapsed: Duration,
}

/// Probes the index and, concurrently, the archive on each mirror.
pub fn probe_release_path(layout: &Layout, timeout: Duration) -> ReleasePath {
    let t = Instant::now();
    let index_url = crate::net::index::index_url();
    let archive = probe_archive(layout);
    let mirrors = crate::install::mirrors();
    let index = {
        let url = index_url.clone();
        std::thread::spawn(move || probe(&url, timeout, Asked::Index))
    };
    let jobs: Vec<_> = mirrors
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let (url, size) = match &archive {
                Some((name, size)) => (format!("{m}/{name}"), *size),
                None => (format!("{m}/"), None),
            };
            let base = m.clone();
            std::thread::spawn(move || {
                let (stages, _) = probe(&url, timeout, Asked::Archive { size });
                MirrorProbe { base, url, stages }
            })
        })
        .collect();
    let (index_stages, index_body) = index.join().unwrap_or_else(|_| (vec![crashed()], None));
    let probed = jobs.into_iter().filter_map(|h| h.join().ok()).collect();
    ReleasePath {
        index_url,
        index_stages,
        index_body,
        mirrors,
        probed,
        timeout,
        elapsed: t.elapsed(),
    }
}

fn crashed() -> Stage {
    fail("probe", "the check crashed", "report this as a bug", None)
}

impl ReleasePath {
    pub fn index_url(&self) -> &str {
        &self.index_url
    }

    /// The index as the probe read it, or why there is none.
    pub fn index(&self) -> Result<Index, String> {
        if let Some(failed) = self.index_stages.iter().find(|s| s.status != Status::Ok) {
            return Err(format!(
                "the release index {} is unreachable ({})",
                self.index_url, failed.finding
            ));
        }
        let body = self.index_body.as_deref().unwrap_or_default();
        let releases = parse_releases(body, &self.index_url).map_err(|e| e.to_string())?;
        Ok(Index::new(
            releases,
            IndexSource::Fresh,
            self.index_url.clone(),
        ))
    }

    /// GOV_MIRROR's entries, in the order installs try them.
    pub fn mirrors(&self) -> Result<&[String], &Error> {
        self.mirrors.as_deref()
    }

    /// The outcome of `file` on `mirror` (the last stage of its chain).
    /// The archive probed on every mirror is reused; another file is
    /// asked for over HTTP only, the transport to that mirror having been
    /// probed already.
    pub fn archive_on(&self, mirror: &str, file: &str) -> Stage {
        let url = format!("{mirror}/{file}");
        let probed = self
            .probed
            .iter()
            .find(|p| p.base == mirror && p.url == url)
            .and_then(|p| p.stages.last().cloned());
        if let Some(stage) = probed {
            return stage;
        }
        match url::Url::parse(&url) {
            Ok(u) if u.scheme() == "file" => file_stage(&u, false).0,
            _ => archive_stage(&url, self.timeout, None),
        }
    }
}

/// The checks: the index, then each mirror in order, every stage.
pub fn checks(path: &ReleasePath) -> Vec<Check> {
    let mirrors = match &path.mirrors {
        Ok(m) => m,
        Err(e) => {
            return vec![
                Check::new(
                    NET,
                    "download.mirror",
                    Status::Problem,
                    e.message().to_string(),
                )
                .advice(e.advice().unwrap_or("fix GOV_MIRROR").to_string()),
            ];
        }
    };
    let mut out = stage_checks(
        "download.index",
        &format!("release index {}", path.index_url),
        &path.index_stages,
    );
    for m in mirrors {
        if let Some(p) = path.probed.iter().find(|p| &p.base == m) {
            out.extend(stage_checks(
                "download.mirror",
                &format!("mirror {m}"),
                &p.stages,
            ));
        }
    }
    out
}

fn stage_checks(id: &str, target: &str, stages: &[Stage]) -> Vec<Check> {
    stages
        .iter()
        .map(|s| Check {
            section: NET,
            id: format!("{id}.{}", s.name),
            target: Some(target.to_string()),
            stage: Some(s.name),
            status: s.status,
            finding: s.finding.clone(),
            advice: s.advice.clone(),
            ms: s.ms,
        })
        .collect()
}
