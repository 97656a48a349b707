//! gov's own download path, stage by stage: the release index (GOV_INDEX_URL)
//! and every mirror in GOV_MIRROR (DNS, TCP, the proxy's CONNECT and TLS,
//! then HTTP), ending with a HEAD of the archive of the version selected
//! here on each mirror (a one-byte ranged GET where HEAD is not answered),
//! so a mirror with the wrong path or a missing file shows before an
//! install needs it, with advice that fits the HTTP status.

use std::time::{Duration, Instant};

use super::network::{Stage, fail, http_client, ok, transport_stages};
use super::{Check, Status};
use crate::core::layout::Layout;

const NET: &str = "network";

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
        return fail(
            "http",
            format!("{what} {url}: {why}"),
            status_advice(status.as_u16(), file),
            Some(t),
        );
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

/// The release index: a GET whose answer must be go.dev's JSON list.
fn index_stage(url: &str, timeout: Duration) -> Stage {
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => return fail("http", e, "internal error setting up HTTP", None),
    };
    let t = Instant::now();
    let mut req = client.get(url);
    if let Some(c) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| crate::net::netrc::lookup(&u))
    {
        req = req.basic_auth(c.login, Some(c.password));
    }
    match req.send() {
        Err(e) => {
            let why = crate::net::explain::explain(&e, url);
            fail(
                "http",
                format!("GET {url}: {why}"),
                crate::net::http::advice_for_error(&e, url),
                Some(t),
            )
        }
        Ok(resp) if resp.status().is_success() => {
            let body = resp.text().unwrap_or_default();
            let n = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.as_array().map(Vec::len));
            match n {
                Some(n) => ok("http", format!("GET {url}: 200, {n} releases"), t),
                None => fail(
                    "http",
                    format!("GET {url}: 200, but not a release index (JSON list)"),
                    "GOV_INDEX_URL must serve go.dev's ?mode=json&include=all format (a captive portal or a web page?)",
                    Some(t),
                ),
            }
        }
        Ok(resp) => {
            let status = resp.status();
            let why = crate::net::explain::explain_status(status, url);
            fail(
                "http",
                format!("GET {url}: {why}"),
                status_advice(status.as_u16(), "release index"),
                Some(t),
            )
        }
    }
}

fn http_stage(url: &str, timeout: Duration, head: bool, want_size: Option<u64>) -> Stage {
    if head {
        archive_stage(url, timeout, want_size)
    } else {
        index_stage(url, timeout)
    }
}

fn probe(url: &str, timeout: Duration, head: bool, want_size: Option<u64>) -> Vec<Stage> {
    let Ok(u) = url::Url::parse(url) else {
        return vec![fail(
            "url",
            format!("`{url}` is not a URL"),
            "fix it with `gov config set`",
            None,
        )];
    };
    if u.scheme() == "file" {
        let t = Instant::now();
        let path = u.to_file_path().unwrap_or_default();
        return vec![if path.is_file() {
            ok("file", format!("{} is readable", path.display()), t)
        } else {
            fail(
                "file",
                format!("{} does not exist", path.display()),
                "fix the file:// URL",
                Some(t),
            )
        }];
    }
    let (mut stages, go_on) = transport_stages(&u, timeout);
    if go_on {
        stages.push(http_stage(url, timeout, head, want_size));
    }
    stages
}

/// The checks, probed concurrently: the index, then each mirror in order.
pub fn checks(layout: &Layout, timeout: Duration) -> Vec<Check> {
    let index = crate::net::index::index_url();
    let mut jobs: Vec<(String, String, String, bool, Option<u64>)> = vec![(
        "download.index".into(),
        format!("release index {index}"),
        index.clone(),
        false,
        None,
    )];
    let archive = probe_archive(layout);
    match crate::install::mirrors() {
        Ok(mirrors) => {
            for m in mirrors {
                let (url, size) = match &archive {
                    Some((name, size)) => (format!("{m}/{name}"), *size),
                    None => (format!("{m}/"), None),
                };
                jobs.push((
                    "download.mirror".into(),
                    format!("mirror {m}"),
                    url,
                    true,
                    size,
                ));
            }
        }
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
    }
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|(id, target, url, head, size)| {
            std::thread::spawn(move || (id, target, probe(&url, timeout, head, size)))
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        let Ok((id, target, stages)) = h.join() else {
            continue;
        };
        for s in stages {
            out.push(Check {
                section: NET,
                id: format!("{id}.{}", s.name),
                target: Some(target.clone()),
                stage: Some(s.name),
                status: s.status,
                finding: s.finding,
                advice: s.advice,
                ms: s.ms,
            });
        }
    }
    out
}
