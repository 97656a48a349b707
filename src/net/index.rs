//! The release index (go.dev/dl/?mode=json&include=all format): fetching
//! with a cache revalidated by ETag / Last-Modified behind a TTL, and queries
//! (resolve a request, list releases, find a file's checksum).

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::layout::Layout;
use crate::core::version::{GoVersion, VersionRequest};
use crate::net::cache::{self, Validators};
use crate::net::error::NetKind;
use crate::net::http;

pub use crate::core::registry::DEFAULT_INDEX_URL;

/// The largest release index gov reads. go.dev's full index (every release
/// since 1.2, every platform) is a few MiB; a body far beyond that is not a
/// release index, and reading it would only cost memory.
pub const MAX_INDEX_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Release {
    pub version: String,
    #[serde(default)]
    pub stable: bool,
    #[serde(default)]
    pub files: Vec<ReleaseFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseFile {
    pub filename: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub arch: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub sha256: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub kind: String,
}

/// Where the index in hand came from, for messages.
#[derive(Debug, Clone)]
pub enum IndexSource {
    /// Fetched (or revalidated) just now.
    Fresh,
    /// Served from the cache within its TTL.
    Cache { age: Duration },
    /// The network failed; the cached copy was used.
    Stale { age: Duration, why: String },
    /// A local file:// index.
    File,
}

/// A parsed index: releases newest first, each with its parsed version.
#[derive(Debug, Clone)]
pub struct Index {
    releases: Vec<(GoVersion, Release)>,
    pub source: IndexSource,
    pub url: String,
}

/// A release file picked for this host.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub version: GoVersion,
    pub stable: bool,
    pub file: ReleaseFile,
}

/// Reads a whole index body, refusing one larger than [`MAX_INDEX_BYTES`]
/// before and while reading it.
pub fn read_body(mut resp: reqwest::blocking::Response, url: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let too_big = || {
        Error::new(
            ErrorKind::Network,
            format!(
                "the release index at {url} is larger than {} MiB: that is not a release index",
                MAX_INDEX_BYTES >> 20
            ),
        )
        .with_advice("check GOV_INDEX_URL: it must serve the format of https://go.dev/dl/?mode=json&include=all")
    };
    if resp.content_length().is_some_and(|n| n > MAX_INDEX_BYTES) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    (&mut resp)
        .take(MAX_INDEX_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!(
                    "the release index download from {} failed: {}",
                    http::host_of(url),
                    http::read_failure(&e)
                ),
            )
            .with_source(e)
        })?;
    if body.len() as u64 > MAX_INDEX_BYTES {
        return Err(too_big());
    }
    Ok(body)
}

/// The whole upstream index, every platform and kind, fetched now (no
/// cache): what `gov mirror sync` selects from.
pub fn fetch_full(client: &reqwest::blocking::Client, url: &str) -> Result<Vec<Release>> {
    let parsed = http::check_url(url, "release index (GOV_INDEX_URL)")?;
    let bytes = if parsed.scheme() == "file" {
        let path = parsed.to_file_path().map_err(|_| {
            Error::invalid(format!("GOV_INDEX_URL `{url}` is not a usable file URL"))
        })?;
        let len = std::fs::metadata(&path)
            .context(|| format!("reading the release index {}", path.display()))?
            .len();
        if len > MAX_INDEX_BYTES {
            return Err(Error::new(
                ErrorKind::Network,
                format!(
                    "the release index {} is larger than {} MiB",
                    path.display(),
                    MAX_INDEX_BYTES >> 20
                ),
            ));
        }
        std::fs::read(&path).context(|| format!("reading the release index {}", path.display()))?
    } else {
        let resp = http::get_or_failure(
            client,
            url,
            &HeaderMap::new(),
            &http::RetryPolicy::from_env(),
        )
        .map_err(|f| unreachable_index(url, &f).with_advice(f.advice()))?;
        read_body(resp, url)?
    };
    parse_releases(&bytes, url)
}

pub fn index_url() -> String {
    crate::core::config::get("GOV_INDEX_URL")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_INDEX_URL.to_string())
}

fn ttl() -> Duration {
    crate::core::config::seconds("GOV_INDEX_TTL")
}

/// Human age: "42 s", "5 min", "3 h", "2 days".
pub fn describe_age(age: Duration) -> String {
    let s = age.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86400),
    }
}

/// Cache file names are keyed by the index URL, so switching GOV_INDEX_URL
/// never serves another index's releases: the releases, and their
/// validators beside them.
fn cache_paths(layout: &Layout, url: &str) -> (PathBuf, PathBuf) {
    let dir = layout.index_cache_dir();
    (
        cache::path_for(&dir, url, ".json"),
        cache::path_for(&dir, url, ".meta.json"),
    )
}

/// Keeps only what gov can use (Linux archives), which keeps the cache
/// small and a warm parse fast.
fn slim(releases: Vec<Release>) -> Vec<Release> {
    releases
        .into_iter()
        .map(|mut r| {
            r.files.retain(|f| f.os == "linux" && f.kind == "archive");
            r
        })
        .collect()
}

pub fn parse_releases(bytes: &[u8], url: &str) -> Result<Vec<Release>> {
    serde_json::from_slice::<Vec<Release>>(bytes).map_err(|e| {
        Error::new(
            ErrorKind::Network,
            format!("the release index at {url} is not in go.dev's JSON format"),
        )
        .with_source(e)
        .with_advice(
            "GOV_INDEX_URL must serve the format of https://go.dev/dl/?mode=json&include=all",
        )
    })
}

fn read_cache(data: &Path, meta: &Path, url: &str) -> Option<(Vec<Release>, Validators)> {
    let meta: Validators = cache::read(meta).filter(|m: &Validators| m.is_of(url))?;
    Some((cache::read(data)?, meta))
}

fn write_cache(
    data: &Path,
    meta_path: &Path,
    releases: &[Release],
    meta: &Validators,
) -> Result<()> {
    cache::write(data, &releases, "the index cache")?;
    cache::write(meta_path, meta, "the index cache")
}

/// How hard to try for a current index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Use the cache within its TTL.
    Normal,
    /// Revalidate with the server even within the TTL (a version was not
    /// found in the cached copy).
    Revalidate,
}

/// Loads the index: the cache within its TTL, else a conditional request,
/// else (network down) the cache however old, saying so.
pub fn load(
    layout: &Layout,
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    freshness: Freshness,
) -> Result<Index> {
    load_with(layout, client, freshness, true)
}

/// [`load`], optionally without writing the cache (a dry run must leave
/// GOV_HOME exactly as it was).
pub fn load_with(
    layout: &Layout,
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    freshness: Freshness,
    store: bool,
) -> Result<Index> {
    let url = index_url();
    let parsed = http::check_url(&url, "release index (GOV_INDEX_URL)")?;
    if parsed.scheme() == "file" {
        let path = parsed.to_file_path().map_err(|_| {
            Error::invalid(format!("GOV_INDEX_URL `{url}` is not a usable file URL"))
        })?;
        let bytes = std::fs::read(&path)
            .context(|| format!("reading the release index {}", path.display()))?;
        let releases = slim(parse_releases(&bytes, &url)?);
        return Ok(Index::new(releases, IndexSource::File, url));
    }

    let (data_path, meta_path) = cache_paths(layout, &url);
    let cached = read_cache(&data_path, &meta_path, &url);
    if let Some((releases, meta)) = &cached
        && freshness == Freshness::Normal
        && meta.is_fresh(ttl())
    {
        let source = IndexSource::Cache { age: meta.age() };
        return Ok(Index::new(releases.clone(), source, url));
    }
    let headers = cached
        .as_ref()
        .map(|(_, meta)| meta.conditional_headers())
        .unwrap_or_default();
    let fetched = match client() {
        Ok(c) => http::get_or_failure(&c, &url, &headers, &http::RetryPolicy::from_env())
            .map_err(|f| (unreachable_index(&url, &f), f.advice())),
        Err(e) => Err((e, NetKind::Other.advice(false))),
    };
    let resp = match fetched {
        Ok(r) => r,
        Err((e, advice)) => return stale_or_fail(e, advice, cached, url),
    };
    if resp.status() == StatusCode::NOT_MODIFIED
        && let Some((releases, mut meta)) = cached
    {
        meta.revalidated(resp.headers());
        // A failed timestamp update only costs a revalidation next time.
        if store {
            let _ = write_cache(&data_path, &meta_path, &releases, &meta);
        }
        return Ok(Index::new(releases, IndexSource::Fresh, url));
    }
    let meta = Validators::of_response(&url, resp.headers());
    let body = match read_body(resp, &url) {
        Ok(b) => b,
        Err(e) => return stale_or_fail(e, NetKind::Other.advice(false), cached, url),
    };
    let releases = slim(parse_releases(&body, &url)?);
    if store {
        write_cache(&data_path, &meta_path, &releases, &meta)?;
    }
    Ok(Index::new(releases, IndexSource::Fresh, url))
}

fn unreachable_index(url: &str, f: &http::Failure) -> Error {
    Error::new(
        ErrorKind::Network,
        format!(
            "cannot fetch the release index from {}: {}",
            http::host_of(url),
            f.why
        ),
    )
}

/// The network failed: the cached copy however old, saying so, else the
/// error with what to do (`advice` for the failure itself).
fn stale_or_fail(
    err: Error,
    advice: &str,
    cached: Option<(Vec<Release>, Validators)>,
    url: String,
) -> Result<Index> {
    match cached {
        Some((releases, meta)) => {
            let source = IndexSource::Stale {
                age: meta.age(),
                why: err.to_string(),
            };
            Ok(Index::new(releases, source, url))
        }
        None => {
            let advice = format!(
                "{}; or point GOV_INDEX_URL at a reachable copy \
                 (e.g. https://golang.google.cn/dl/?mode=json&include=all); for an offline host use `gov install --file`",
                advice
            );
            Err(err.with_advice(advice))
        }
    }
}

/// The cache files of the current GOV_INDEX_URL (data, meta): what
/// `gov cache clean` keeps.
pub fn current_cache_files(layout: &Layout) -> (PathBuf, PathBuf) {
    cache_paths(layout, &index_url())
}

/// The index without any network access, for shell completion: the cached
/// copy for the current GOV_INDEX_URL however old, or the file itself for a
/// file:// URL. `None` when there is nothing local to read.
pub fn load_cached_only(layout: &Layout) -> Option<Index> {
    let url = index_url();
    let parsed = url::Url::parse(&url).ok()?;
    if parsed.scheme() == "file" {
        let bytes = std::fs::read(parsed.to_file_path().ok()?).ok()?;
        let releases = slim(parse_releases(&bytes, &url).ok()?);
        return Some(Index::new(releases, IndexSource::File, url));
    }
    let (data_path, meta_path) = cache_paths(layout, &url);
    let (releases, meta) = read_cache(&data_path, &meta_path, &url)?;
    let source = IndexSource::Cache { age: meta.age() };
    Some(Index::new(releases, source, url))
}

impl Index {
    pub fn new(releases: Vec<Release>, source: IndexSource, url: String) -> Index {
        let mut releases: Vec<(GoVersion, Release)> = releases
            .into_iter()
            .filter_map(|r| GoVersion::parse_lenient(&r.version).map(|v| (v, r)))
            .collect();
        releases.sort_by(|a, b| b.0.cmp(&a.0));
        Index {
            releases,
            source,
            url,
        }
    }

    /// Releases newest first.
    pub fn releases(&self) -> impl Iterator<Item = (&GoVersion, &Release)> {
        self.releases.iter().map(|(v, r)| (v, r))
    }

    /// The newest stable release.
    pub fn latest(&self) -> Option<&GoVersion> {
        self.releases.iter().find(|(_, r)| r.stable).map(|(v, _)| v)
    }

    /// The `major.minor` families Go still supports: the two newest with a
    /// stable release. Older ones are what go.dev calls archived.
    pub fn supported_families(&self) -> Vec<(String, String)> {
        let mut fams: Vec<(String, String)> = Vec::new();
        for (v, r) in &self.releases {
            if r.stable && !fams.contains(&v.family()) {
                fams.push(v.family());
                if fams.len() == 2 {
                    break;
                }
            }
        }
        fams
    }

    /// The archive for `arch` of `version`, if the index lists one.
    pub fn file_for(&self, version: &GoVersion, arch: &str) -> Option<(&Release, &ReleaseFile)> {
        self.releases
            .iter()
            .find(|(v, _)| v == version)
            .and_then(|(_, r)| {
                r.files
                    .iter()
                    .find(|f| f.os == "linux" && f.arch == arch && f.kind == "archive")
                    .map(|f| (r, f))
            })
    }

    /// Looks a file up by its name (for `install --file`).
    pub fn file_named(&self, filename: &str) -> Option<(&GoVersion, &ReleaseFile)> {
        self.releases.iter().find_map(|(v, r)| {
            r.files
                .iter()
                .find(|f| f.filename == filename)
                .map(|f| (v, f))
        })
    }

    /// Resolves a request to a release file for `arch`, with helpful errors.
    pub fn resolve(&self, req: &VersionRequest, arch: &str) -> Result<Resolved> {
        let picked = match req {
            VersionRequest::Exact(_) => req.pick(self.releases.iter().map(|(v, _)| v)),
            _ => {
                // Stable releases only; the prerelease filter of `pick` is
                // not enough because the index marks stability itself.
                req.pick(
                    self.releases
                        .iter()
                        .filter(|(_, r)| r.stable)
                        .map(|(v, _)| v),
                )
            }
        };
        let Some(version) = picked.cloned() else {
            return Err(self.not_found(req));
        };
        match self.file_for(&version, arch) {
            Some((release, file)) => Ok(Resolved {
                stable: release.stable,
                version: version.clone(),
                file: file.clone(),
            }),
            None => {
                let arches: Vec<&str> = self
                    .releases
                    .iter()
                    .find(|(v, _)| *v == version)
                    .map(|(_, r)| r.files.iter().map(|f| f.arch.as_str()).collect())
                    .unwrap_or_default();
                Err(Error::new(
                    ErrorKind::NotFound,
                    format!("Go {version} has no Linux archive for {arch}"),
                )
                .with_advice(if arches.is_empty() {
                    "the index lists no Linux archives for it".to_string()
                } else {
                    format!("it is published for: {}", arches.join(", "))
                }))
            }
        }
    }

    fn not_found(&self, req: &VersionRequest) -> Error {
        let newest = self
            .latest()
            .map(|v| format!("the newest stable release is {v}"))
            .unwrap_or_else(|| "the index lists no stable release".to_string());
        let near = self.near_matches(req);
        let mut advice = newest;
        if !near.is_empty() {
            advice.push_str(&format!("; did you mean {}?", near.join(", ")));
        }
        advice.push_str("; `gov list-remote --all` lists every release");
        let what = match req {
            VersionRequest::Family { .. } => format!("no stable Go {req}.x release in the index"),
            _ => format!("Go {req} is not in the release index"),
        };
        Error::new(ErrorKind::NotFound, what).with_advice(advice)
    }

    /// Up to three versions close to what was asked: same family first,
    /// else the nearest families.
    fn near_matches(&self, req: &VersionRequest) -> Vec<String> {
        let target = match req {
            VersionRequest::Exact(v) => v.clone(),
            VersionRequest::Family { major, minor } => {
                match GoVersion::parse(&format!("{major}.{minor}")) {
                    Some(v) => v,
                    None => return Vec::new(),
                }
            }
            VersionRequest::Latest => return Vec::new(),
        };
        let fam = target.family();
        let mut same: Vec<&GoVersion> = self
            .releases
            .iter()
            .filter(|(v, _)| v.family() == fam)
            .map(|(v, _)| v)
            .collect();
        same.truncate(3);
        if !same.is_empty() {
            return same.iter().map(|v| v.to_string()).collect();
        }
        let t = target.minor_number();
        let mut others: Vec<&GoVersion> = self
            .releases
            .iter()
            .filter(|(_, r)| r.stable)
            .map(|(v, _)| v)
            .collect();
        others.sort_by_key(|v| {
            (
                v.minor_number().abs_diff(t),
                std::cmp::Reverse((*v).clone()),
            )
        });
        let mut out: Vec<String> = Vec::new();
        for v in others {
            // One suggestion per family: its newest release.
            let fam_newest = self
                .releases
                .iter()
                .filter(|(x, r)| x.family() == v.family() && r.stable)
                .map(|(x, _)| x)
                .max();
            if let Some(n) = fam_newest {
                let s = n.to_string();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            if out.len() == 3 {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(v: &str, stable: bool) -> Release {
        Release {
            version: format!("go{v}"),
            stable,
            files: vec![ReleaseFile {
                filename: format!("go{v}.linux-amd64.tar.gz"),
                os: "linux".into(),
                arch: "amd64".into(),
                version: format!("go{v}"),
                sha256: "00".repeat(32),
                size: 1,
                kind: "archive".into(),
            }],
        }
    }

    fn index() -> Index {
        Index::new(
            vec![
                rel("1.23rc1", false),
                rel("1.22.10", true),
                rel("1.22.2", true),
                rel("1.21.13", true),
                rel("1.20", true),
            ],
            IndexSource::File,
            "file:///x".into(),
        )
    }

    fn req(s: &str) -> VersionRequest {
        VersionRequest::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn resolves() {
        let i = index();
        let r = |s: &str| {
            i.resolve(&req(s), "amd64")
                .map(|r| r.version.to_string())
                .ok()
        };
        assert_eq!(r("latest").as_deref(), Some("1.22.10"));
        assert_eq!(r("1.22").as_deref(), Some("1.22.10"));
        assert_eq!(r("1.23rc1").as_deref(), Some("1.23rc1"));
        assert_eq!(r("1.20.0").as_deref(), Some("1.20"));
        assert_eq!(r("1.23"), None);
        assert_eq!(
            i.supported_families(),
            vec![("1".into(), "22".into()), ("1".into(), "21".into())]
        );
    }

    #[test]
    fn not_found_suggests() {
        let i = index();
        let e = i.resolve(&req("1.22.99"), "amd64").expect_err("missing");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let advice = e.advice().unwrap_or_default();
        assert!(advice.contains("1.22.10"), "{advice}");
        let e = i.resolve(&req("1.22.10"), "riscv64").expect_err("no arch");
        assert!(e.advice().unwrap_or_default().contains("amd64"));
    }
}
