//! Can this host get Go? Release downloads (the index, then the first
//! mirror holding the newest release's archive), the module proxy
//! (`golang.org/toolchain/@v/list` through GOPROXY as installs read it), and
//! the checksum database (found as cmd/go finds it: GOSUMDB's URL, the
//! proxy's `/sumdb/<name>/supported`, else directly), whose signed tree
//! head must verify with GOSUMDB's key. Ends in one summary check with id
//! `toolchains` ("release", "proxy only" or "neither", and why).

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RANGE};

use crate::app::App;
use crate::core::arch;
use crate::core::version::VersionRequest;
use crate::doctor::{Check, Status};
use crate::install::proxy::{self, Http};
use crate::net::http;
use crate::net::index::{self, Freshness, IndexSource};
use crate::trust::note;

const SECTION: &str = "toolchains";

fn check(id: &str, status: Status, finding: String, since: Instant) -> Check {
    let mut c = Check::new(SECTION, id, status, finding);
    c.ms = Some(since.elapsed().as_millis() as u64);
    c
}

/// Why release downloads fail, with the HTTP status every mirror answered
/// when they agree (404 on each: the archive is missing there).
struct NoRelease {
    why: String,
    status: Option<u16>,
}

impl From<String> for NoRelease {
    fn from(why: String) -> NoRelease {
        NoRelease { why, status: None }
    }
}

/// Release downloads: Ok(what worked) or Err(why not).
fn release(app: &App, net: &Http) -> Result<String, NoRelease> {
    let client = net.client.clone();
    let idx =
        index::load(&app.layout, &|| Ok(client.clone()), Freshness::Revalidate).map_err(|e| {
            let cause = e.causes().into_iter().next().unwrap_or_default();
            format!("{} {cause}", e.message().lines().next().unwrap_or(""))
        })?;
    if let IndexSource::Stale { why, .. } = &idx.source {
        return Err(format!(
            "the release index {} is unreachable ({why})",
            index::index_url()
        )
        .into());
    }
    let latest = idx
        .resolve(&VersionRequest::Latest, arch::host())
        .map_err(|e| e.message().to_string())?;
    let mirrors = crate::install::mirrors().map_err(|e| e.message().to_string())?;
    let mut tried = Vec::new();
    let mut statuses = Vec::new();
    for m in &mirrors {
        let url = format!("{m}/{}", latest.file.filename);
        if url.starts_with("file:") {
            let found = reqwest::Url::parse(&url)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .is_some_and(|p| p.is_file());
            if found {
                return Ok(format!("release index and {url} are reachable"));
            }
            tried.push(format!("{url}: no such file"));
            continue;
        }
        let mut headers = HeaderMap::new();
        if let Ok(v) = "bytes=0-0".parse() {
            headers.insert(RANGE, v);
        }
        match http::get_or_failure(&net.client, &url, &headers, &net.policy) {
            Ok(_) => {
                return Ok(format!(
                    "release index {} and mirror {m} are reachable",
                    index::index_url()
                ));
            }
            Err(f) => {
                statuses.push(f.status());
                tried.push(format!("{url}: {}", f.why));
            }
        }
    }
    let status = statuses.first().copied().flatten();
    Err(NoRelease {
        why: format!(
            "the release index answers but no mirror serves {}: {}",
            latest.file.filename,
            tried.join("; ")
        ),
        status: status.filter(|s| statuses.iter().all(|t| *t == Some(*s))),
    })
}

/// Runs the toolchain checks with per-request `timeout`.
pub fn checks(app: &App, timeout: Duration) -> Vec<Check> {
    let mut out = Vec::new();
    let net = match Http::probe(timeout) {
        Ok(n) => n,
        Err(e) => {
            out.push(Check::new(
                SECTION,
                "toolchains",
                Status::Problem,
                e.message().to_string(),
            ));
            return out;
        }
    };

    let t = Instant::now();
    let release = release(app, &net);
    out.push(match &release {
        Ok(what) => check("toolchains.release", Status::Ok, what.clone(), t),
        Err(e) => check(
            "toolchains.release",
            Status::Warning,
            format!("release downloads unavailable: {}", e.why),
            t,
        )
        .advice(match e.status {
            Some(s) => super::download::status_advice(s, "archive of the newest release"),
            None => "set GOV_MIRROR (and GOV_INDEX_URL) to reachable mirrors, or install from the module proxy (GOV_SOURCE=proxy)".into(),
        }),
    });

    let t = Instant::now();
    let settings = proxy::resolve_settings(app);
    let proxy_ok = match &settings {
        Err(e) => {
            out.push(
                check(
                    "toolchains.proxy",
                    Status::Warning,
                    format!("no proxy installs: {}", e.message()),
                    t,
                )
                .advice(e.advice().unwrap_or("fix GOPROXY / GOSUMDB").to_string()),
            );
            false
        }
        Ok(ps) => match proxy::list_versions_with(&net, ps, arch::host()) {
            Ok((versions, base)) if !versions.is_empty() => {
                let newest = versions.last().map(|v| v.to_string()).unwrap_or_default();
                out.push(check(
                    "toolchains.proxy",
                    Status::Ok,
                    format!(
                        "module proxy {base} lists {} toolchains for linux-{} (newest {newest})",
                        versions.len(),
                        proxy::goarch(arch::host())
                    ),
                    t,
                ));
                true
            }
            Ok((_, base)) => {
                out.push(
                    check(
                        "toolchains.proxy",
                        Status::Warning,
                        format!(
                            "module proxy {base} lists no golang.org/toolchain versions for linux-{}",
                            proxy::goarch(arch::host())
                        ),
                        t,
                    )
                    .advice("this proxy does not mirror toolchains; list one that does first in GOPROXY (proxy.golang.org, goproxy.cn)"),
                );
                false
            }
            Err(e) => {
                out.push(
                    check(
                        "toolchains.proxy",
                        Status::Warning,
                        format!(
                            "no proxy installs: {}",
                            e.message().lines().collect::<Vec<_>>().join(" ")
                        ),
                        t,
                    )
                    .advice(e.advice().unwrap_or("check GOPROXY").to_string()),
                );
                false
            }
        },
    };

    let t = Instant::now();
    let sumdb_ok = match &settings {
        Err(_) => false,
        Ok(ps) => {
            let name = ps.verifier.name().to_string();
            let how = if ps.sumdb_url.is_some() {
                "at the URL GOSUMDB names"
            } else {
                "through the module proxy"
            };
            let verdict = proxy::sumdb_base(&net, ps).and_then(|base| {
                let via = if ps.sumdb_url.is_none() && base == format!("https://{name}") {
                    "directly"
                } else {
                    how
                };
                let fetch = proxy::HttpFetch {
                    net: &net,
                    base: base.clone(),
                };
                let body = crate::trust::client::Fetch::get(&fetch, "latest")
                    .map_err(crate::core::error::Error::from)?;
                let n = note::open(&body, &ps.verifier)
                    .and_then(|n| note::parse_tree(&n.text))
                    .map_err(crate::core::error::Error::from)?;
                Ok(format!(
                    "checksum database {name} reachable {via} ({base}); signed tree head verified, {} records",
                    n.n
                ))
            });
            match verdict {
                Ok(f) => {
                    out.push(check("toolchains.sumdb", Status::Ok, f, t));
                    true
                }
                Err(e) => {
                    out.push(
                        check(
                            "toolchains.sumdb",
                            Status::Warning,
                            format!("checksum database {name} not usable: {}", e.message()),
                            t,
                        )
                        .advice("proxy installs need it: GOSUMDB=sum.golang.google.cn where sum.golang.org is blocked, or a proxy serving /sumdb/ (`gov proxy use cn`)"),
                    );
                    false
                }
            }
        }
    };

    let summary = match (&release, proxy_ok && sumdb_ok) {
        (Ok(_), true) => Check::new(
            SECTION,
            "toolchains",
            Status::Ok,
            "Go installs work from release downloads, and from the module proxy as a fallback",
        ),
        (Ok(_), false) => Check::new(
            SECTION,
            "toolchains",
            Status::Ok,
            "Go installs work from release downloads (the module proxy fallback does not)",
        ),
        (Err(NoRelease { why, .. }), true) => Check::new(
            SECTION,
            "toolchains",
            Status::Warning,
            format!("Go installs work only through the module proxy (release downloads: {why})"),
        )
        .advice("`gov install` falls back by itself (auto); GOV_SOURCE=proxy skips the failing release attempt"),
        (Err(NoRelease { why, .. }), false) => Check::new(
            SECTION,
            "toolchains",
            Status::Problem,
            format!("Go cannot be installed on this host: release downloads fail ({why}) and the module proxy path fails too"),
        )
        .advice("behind a firewall in China: `gov proxy use cn` (goproxy.cn + sum.golang.google.cn); elsewhere set HTTPS_PROXY, or install with `gov install --file`"),
    };
    out.push(summary);
    out
}
