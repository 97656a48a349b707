//! gov's own download path, stage by stage: the release index (GOV_INDEX_URL)
//! and every mirror in GOV_MIRROR (DNS, TCP, the proxy's CONNECT and TLS,
//! then HTTP), ending with a HEAD of the archive of the version selected
//! here on each mirror, so a mirror with the wrong path or a missing file
//! shows before an install needs it.

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

fn http_stage(url: &str, timeout: Duration, head: bool, want_size: Option<u64>) -> Stage {
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => return fail("http", e, "internal error setting up HTTP", None),
    };
    let t = Instant::now();
    let mut req = if head {
        client.head(url)
    } else {
        client.get(url)
    };
    if let Some(c) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().and_then(crate::net::netrc::lookup))
    {
        req = req.basic_auth(c.login, Some(c.password));
    }
    let what = if head { "HEAD" } else { "GET" };
    match req.send() {
        Err(e) => {
            let why = crate::net::explain::explain(&e, url);
            fail(
                "http",
                format!("{what} {url}: {why}"),
                crate::net::http::advice_for(&why),
                Some(t),
            )
        }
        Ok(resp) if resp.status().is_success() => {
            // The header itself: for HEAD, reqwest's content_length() is the
            // (empty) body's.
            let len = resp
                .headers()
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            match (head, want_size, len) {
                (true, Some(want), Some(got)) if got != want => fail(
                    "http",
                    format!("HEAD {url}: {got} bytes, the index says {want}"),
                    "the mirror serves another file under this name: do not use it until it is fixed",
                    Some(t),
                ),
                (true, _, _) => ok(
                    "http",
                    format!(
                        "HEAD {url}: {}{}",
                        resp.status(),
                        len.map(|l| format!(", {l} bytes")).unwrap_or_default()
                    ),
                    t,
                ),
                (false, _, _) => {
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
            }
        }
        Ok(resp) => {
            let status = resp.status();
            let why = crate::net::explain::explain_status(status, url);
            fail(
                "http",
                format!("{what} {url}: {why}"),
                crate::net::http::advice_for(&why),
                Some(t),
            )
        }
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
