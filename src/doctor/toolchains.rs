//! Can this host get Go? Release downloads (the index, then the first
//! mirror holding the newest release's archive, as the `download.*`
//! probes found them), the module proxy
//! (`golang.org/toolchain/@v/list` through GOPROXY as installs read it), and
//! the checksum database (found as cmd/go finds it: GOSUMDB's URL, the
//! proxy's `/sumdb/<name>/supported`, else directly), whose signed tree
//! head must verify with GOSUMDB's key. Ends in one summary check with id
//! `toolchains` ("release", "proxy only" or "neither", and why).

use std::time::{Duration, Instant};

use crate::app::App;
use crate::core::arch;
use crate::core::error::Result;
use crate::core::version::VersionRequest;
use crate::doctor::download::ReleasePath;
use crate::doctor::{Check, Section, Status};
use crate::install::Source;
use crate::install::proxy::{self, Http};
use crate::trust::error::ErrorKind as TrustKind;
use crate::trust::note;

const SECTION: Section = Section::Toolchains;

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

/// Release downloads, read from the probe of the download path: Ok(what
/// worked) or Err(why not). The first mirror (in GOV_MIRROR's order) that
/// serves the newest release's archive makes them work.
fn release(path: &ReleasePath) -> Result<String, NoRelease> {
    let idx = path.index()?;
    let latest = idx
        .resolve(&VersionRequest::Latest, arch::host())
        .map_err(|e| e.message().to_string())?;
    let mirrors = path.mirrors().map_err(|e| e.message().to_string())?;
    let file = &latest.file.filename;
    let mut tried = Vec::new();
    let mut statuses = Vec::new();
    for m in mirrors {
        let stage = path.archive_on(m, file);
        if stage.status == Status::Ok {
            let url = format!("{m}/{file}");
            return Ok(if url.starts_with("file:") {
                format!("release index and {url} are reachable")
            } else {
                format!(
                    "release index {} and mirror {m} are reachable",
                    path.index_url()
                )
            });
        }
        statuses.push(stage.http_status);
        tried.push(stage.finding);
    }
    let status = statuses.first().copied().flatten();
    Err(NoRelease {
        why: format!(
            "the release index answers but no mirror serves {file}: {}",
            tried.join("; ")
        ),
        status: status.filter(|s| statuses.iter().all(|t| *t == Some(*s))),
    })
}

/// Runs the toolchain checks with per-request `timeout`; release downloads
/// are read from `path`, the download path doctor probed once.
pub fn checks(app: &App, path: &ReleasePath, timeout: Duration) -> Vec<Check> {
    let net = match Http::probe(timeout) {
        Ok(n) => n,
        Err(e) => {
            let why = e.message().to_string();
            return vec![Check::new(SECTION, "toolchains", Status::Problem, why)];
        }
    };
    let release = release(path);
    let mut out = vec![release_check(&release, path)];
    let settings = proxy::resolve_settings(app);
    let proxy = proxy_check(&net, &settings);
    let sumdb = match &settings {
        Ok(ps) => Some(sumdb_check(&net, ps)),
        Err(_) => None,
    };
    let proxy_works =
        proxy.status == Status::Ok && sumdb.as_ref().is_some_and(|c| c.status == Status::Ok);
    out.push(proxy);
    out.extend(sumdb);
    // Judged by the source `gov install` will really use.
    out.push(match crate::install::resolve_source(None) {
        Ok(r) if r.source != Source::Auto => {
            only_source_summary(r.source, &r.reason, &release, proxy_works)
        }
        _ => summary(&release, proxy_works),
    });
    out
}

/// The summary when GOV_SOURCE (or the config) names one source: installs
/// use that one alone, whatever the other could do.
fn only_source_summary(
    source: Source,
    reason: &str,
    release: &Result<String, NoRelease>,
    proxy_works: bool,
) -> Check {
    let other_works = match source {
        Source::Proxy => release.is_ok(),
        _ => proxy_works,
    };
    let works = match source {
        Source::Proxy => proxy_works,
        _ => release.is_ok(),
    };
    let (name, other) = match source {
        Source::Proxy => ("the module proxy", "release downloads"),
        _ => ("release downloads", "the module proxy"),
    };
    if works {
        return Check::new(
            SECTION,
            "toolchains",
            Status::Ok,
            format!("Go installs work from {name} ({reason})"),
        );
    }
    let c = Check::new(
        SECTION,
        "toolchains",
        Status::Problem,
        format!("`gov install` uses only {name} ({reason}), and they fail here"),
    );
    if other_works {
        c.advice(format!(
            "{other} work: set GOV_SOURCE=auto (or unset it, `gov config unset GOV_SOURCE`) to use them"
        ))
    } else {
        c.advice("fix the source named above (see toolchains.release / toolchains.proxy), or install with `gov install --file`")
    }
}

fn release_check(release: &Result<String, NoRelease>, path: &ReleasePath) -> Check {
    let t = Instant::now();
    let c = match release {
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
    };
    // The probes ran before; their time counts too.
    Check {
        ms: c.ms.map(|ms| ms + path.elapsed.as_millis() as u64),
        ..c
    }
}

/// `golang.org/toolchain/@v/list` through GOPROXY, as installs read it.
fn proxy_check(net: &Http, settings: &Result<proxy::ProxySettings>) -> Check {
    const ID: &str = "toolchains.proxy";
    let t = Instant::now();
    let ps = match settings {
        Ok(ps) => ps,
        Err(e) => {
            return check(
                ID,
                Status::Warning,
                format!("no proxy installs: {}", e.message()),
                t,
            )
            .advice(e.advice().unwrap_or("fix GOPROXY / GOSUMDB").to_string());
        }
    };
    let goarch = proxy::goarch(arch::host());
    match proxy::list_versions_with(net, ps, arch::host()) {
        Ok((versions, base)) if !versions.is_empty() => {
            let newest = versions.last().map(|v| v.to_string()).unwrap_or_default();
            let finding = format!(
                "module proxy {base} lists {} toolchains for linux-{goarch} (newest {newest})",
                versions.len(),
            );
            check(ID, Status::Ok, finding, t)
        }
        Ok((_, base)) => check(
            ID,
            Status::Warning,
            format!("module proxy {base} lists no golang.org/toolchain versions for linux-{goarch}"),
            t,
        )
        .advice("this proxy does not mirror toolchains; list one that does first in GOPROXY (proxy.golang.org, goproxy.cn)"),
        Err(e) => check(
            ID,
            Status::Warning,
            format!(
                "no proxy installs: {}",
                e.message().lines().collect::<Vec<_>>().join(" ")
            ),
            t,
        )
        .advice(e.advice().unwrap_or("check GOPROXY").to_string()),
    }
}

/// The checksum database, found as cmd/go finds it; its signed tree head
/// must verify with GOSUMDB's key.
fn sumdb_check(net: &Http, ps: &proxy::ProxySettings) -> Check {
    let t = Instant::now();
    let name = ps.verifier.name().to_string();
    let how = if ps.sumdb_url.is_some() {
        "at the URL GOSUMDB names"
    } else {
        "through the module proxy"
    };
    let mut key_refused = false;
    let verdict = proxy::sumdb_base(net, ps).and_then(|base| {
        let via = if ps.sumdb_url.is_none() && base == format!("https://{name}") {
            "directly"
        } else {
            how
        };
        let fetch = proxy::HttpFetch {
            net,
            base: base.clone(),
        };
        let body = crate::trust::client::Fetch::get(&fetch, "latest")
            .map_err(crate::core::error::Error::from)?;
        let n = note::open(&body, &ps.verifier)
            .and_then(|n| note::parse_tree(&n.text))
            .map_err(|e| {
                key_refused = matches!(e.kind(), TrustKind::Missing | TrustKind::Forged);
                crate::core::error::Error::from(e)
            })?;
        Ok(format!(
            "checksum database {name} reachable {via} ({base}); signed tree head verified, {} records",
            n.n
        ))
    });
    match verdict {
        Ok(f) => check("toolchains.sumdb", Status::Ok, f, t),
        Err(e) => check(
            "toolchains.sumdb",
            Status::Warning,
            format!("checksum database {name} not usable: {}", e.message()),
            t,
        )
        .advice(if key_refused {
            "its tree head does not verify with the key GOSUMDB names: check that key (`<name>+<hash>+<key>`, as the database's operator publishes it) and that the URL serves that database; if it is right, something in between alters the answers"
        } else {
            "proxy installs need it: GOSUMDB=sum.golang.google.cn where sum.golang.org is blocked, or a proxy serving /sumdb/ (`gov proxy use cn`)"
        }),
    }
}

/// Where Go can come from on this host: release downloads, the module
/// proxy only, or neither.
fn summary(release: &Result<String, NoRelease>, proxy_works: bool) -> Check {
    match (release, proxy_works) {
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
    }
}
