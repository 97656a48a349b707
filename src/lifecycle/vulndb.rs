//! The Go vulnerability database client (go.dev/security/vulndb/api): a
//! tree of static files, `index/db.json` (when the database last changed),
//! `index/modules.json` (which entry ids concern which module, each with
//! its `modified` time) and `ID/<id>.json`, each also as `.json.gz`.
//!
//! gov reads only the entries of `stdlib` and `toolchain`. Per database URL
//! it keeps one cache file under `$GOV_HOME/cache/vulndb/`: within
//! GOV_VULNDB_TTL it is used as is; after that `index/db.json` is asked for
//! with ETag / Last-Modified, and only when the database changed is the
//! modules index read and the entries whose `modified` moved fetched again.
//! Offline, or when the database answers with something malformed, the
//! cached copy is used and its age reported; nothing malformed is cached.
//!
//! Where: GOV_VULNDB (gov's config), else GOVULNDB (as govulncheck reads
//! it), else https://vuln.go.dev; a comma-separated list of http, https or
//! file URLs whose entries are merged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::core::config::now_secs;
use crate::core::error::{Error, Result};
use crate::core::layout::Layout;
use crate::lifecycle::osv::{self, Entry, Listed};
use crate::net::cache::{self, Validators};
use crate::net::http::{self, RetryPolicy};

pub use crate::core::registry::DEFAULT_VULNDB;

/// Largest `index/db.json` accepted (it holds one timestamp).
const MAX_DB: u64 = 64 * 1024;
/// Largest `index/modules.json` accepted, uncompressed (vuln.go.dev's is
/// about 1 MiB).
const MAX_MODULES: u64 = 64 * 1024 * 1024;
/// Largest single entry accepted, uncompressed (real ones are a few KiB).
const MAX_ENTRY: u64 = 2 * 1024 * 1024;
/// Entries fetched at once on a first fill.
const WORKERS: usize = 8;

/// The database URLs in effect and the setting that named them.
pub fn sources() -> Result<(Vec<String>, &'static str)> {
    let (raw, from) = match crate::core::config::get("GOV_VULNDB") {
        Some(v) => (v, "GOV_VULNDB"),
        None => match crate::core::env::Env::process().non_empty("GOVULNDB") {
            Some(v) => (v, "GOVULNDB"),
            None => (DEFAULT_VULNDB.to_string(), "default"),
        },
    };
    let list: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if list.is_empty() {
        return Err(
            Error::invalid(format!("{from} names no database URL")).with_advice(format!(
                "set it to a URL such as {DEFAULT_VULNDB}, or unset it"
            )),
        );
    }
    for url in &list {
        http::check_url(url, &format!("vulnerability database ({from})"))?;
    }
    Ok((list, from))
}

fn ttl() -> Duration {
    crate::core::config::seconds("GOV_VULNDB_TTL")
}

/// How one database answered this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Fetched or revalidated just now.
    Fresh,
    /// The cached copy, within its TTL.
    Cached,
    /// The cached copy, because the database could not be read (or served
    /// something malformed).
    Stale,
    /// Nothing: no cached copy and no answer.
    Unavailable,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SourceStatus {
    pub url: String,
    pub state: State,
    /// Seconds since the data in hand was last checked against the database.
    pub age_seconds: Option<u64>,
    /// The database's own last modification (`index/db.json`).
    pub modified: Option<String>,
    /// Entries of stdlib and toolchain in hand.
    pub entries: usize,
    /// Why the database could not be used, if it could not.
    pub error: Option<String>,
}

impl SourceStatus {
    pub fn available(&self) -> bool {
        self.state != State::Unavailable
    }
}

/// The merged entries of every database, and how each one answered.
#[derive(Debug, Clone)]
pub struct VulnDb {
    pub entries: Vec<Entry>,
    pub sources: Vec<SourceStatus>,
}

impl VulnDb {
    /// True when every database gave data (of any age).
    pub fn available(&self) -> bool {
        self.sources.iter().all(SourceStatus::available)
    }
}

/// Whether the network may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Cached copies only, however old (doctor --offline, completions).
    CachedOnly,
}

/// One database's cache file: the revalidating cache's validators (of
/// `index/db.json`) beside what was read.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheFile {
    #[serde(flatten)]
    validators: Validators,
    db_modified: String,
    entries: Vec<Entry>,
}

fn cache_path(layout: &Layout, url: &str) -> PathBuf {
    cache::path_for(&layout.vulndb_cache_dir(), url, ".json")
}

fn read_cache(path: &Path, url: &str) -> Option<CacheFile> {
    cache::read(path).filter(|c: &CacheFile| c.validators.is_of(url))
}

/// Loads every configured database. Never fails for a database that is
/// down or broken (that is reported in its status); fails only for a
/// setting that names no usable URL.
pub fn load(layout: &Layout, client: &dyn Fn() -> Result<Client>, mode: Mode) -> Result<VulnDb> {
    let (urls, _) = sources()?;
    let mut merged: Vec<Entry> = Vec::new();
    let mut statuses = Vec::new();
    for url in urls {
        let (entries, status) = load_one(layout, client, &url, mode);
        for e in entries {
            match merged.iter_mut().find(|m| m.id == e.id) {
                Some(m) if osv::newer(&e.modified, &m.modified) => *m = e,
                Some(_) => {}
                None => merged.push(e),
            }
        }
        statuses.push(status);
    }
    merged.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(VulnDb {
        entries: merged,
        sources: statuses,
    })
}

fn status(url: &str, state: State, c: Option<&CacheFile>, error: Option<String>) -> SourceStatus {
    let now = now_secs();
    SourceStatus {
        url: url.to_string(),
        state,
        age_seconds: c.map(|c| now.saturating_sub(c.validators.checked_at)),
        modified: c.map(|c| c.db_modified.clone()),
        entries: c.map_or(0, |c| c.entries.len()),
        error,
    }
}

fn load_one(
    layout: &Layout,
    client: &dyn Fn() -> Result<Client>,
    url: &str,
    mode: Mode,
) -> (Vec<Entry>, SourceStatus) {
    let path = cache_path(layout, url);
    let cached = read_cache(&path, url);
    let is_file = url.starts_with("file:");
    if let Some(c) = &cached {
        // A local database is cheap to revalidate (one small file), so
        // it is checked every time.
        if mode == Mode::CachedOnly || (!is_file && c.validators.is_fresh(ttl())) {
            let s = status(url, State::Cached, Some(c), None);
            return (cached.map(|c| c.entries).unwrap_or_default(), s);
        }
    }
    if mode == Mode::CachedOnly {
        let why = "not cached yet (run `gov outdated` while online)".to_string();
        return (Vec::new(), status(url, State::Unavailable, None, Some(why)));
    }
    let fetched = open(url, client).and_then(|src| refresh(src.as_ref(), cached.as_ref(), url));
    match fetched {
        Ok(fresh) => {
            // A cache that cannot be written costs a refetch next time only.
            let _ = cache::write(&path, &fresh, "the vulnerability cache");
            let s = status(url, State::Fresh, Some(&fresh), None);
            (fresh.entries, s)
        }
        Err(why) => match cached {
            Some(c) => {
                let s = status(url, State::Stale, Some(&c), Some(why));
                (c.entries, s)
            }
            None => (Vec::new(), status(url, State::Unavailable, None, Some(why))),
        },
    }
}

/// What `index/db.json` said, with the answer's headers (validators and
/// max-age; none from a directory).
enum DbAnswer {
    NotModified(HeaderMap),
    Body { bytes: Vec<u8>, headers: HeaderMap },
}

/// Reads one database's files. `get` takes an endpoint without extension
/// (`index/modules`, `ID/GO-2024-2887`).
trait Fetch: Sync {
    fn db(&self, cached: Option<&CacheFile>) -> std::result::Result<DbAnswer, String>;
    fn get(&self, endpoint: &str, limit: u64) -> std::result::Result<Vec<u8>, String>;
}

fn open(
    url: &str,
    client: &dyn Fn() -> Result<Client>,
) -> std::result::Result<Box<dyn Fetch>, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    if parsed.scheme() == "file" {
        let dir = parsed
            .to_file_path()
            .map_err(|_| format!("`{url}` is not a usable file URL"))?;
        if !dir.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
        return Ok(Box::new(FileSource { dir }));
    }
    let client = client().map_err(|e| e.to_string())?;
    Ok(Box::new(HttpSource {
        client,
        base: url.to_string(),
        policy: RetryPolicy::from_env(),
    }))
}

/// Reads at most `limit` bytes, refusing a longer body outright.
fn gunzip(bytes: &[u8], limit: u64, what: &str) -> std::result::Result<Vec<u8>, String> {
    http::read_capped(flate2::read::GzDecoder::new(bytes), limit, what)
        .map_err(|e| format!("{e} (as gzip)"))
}

struct HttpSource {
    client: Client,
    base: String,
    policy: RetryPolicy,
}

impl HttpSource {
    fn fetch(
        &self,
        file: &str,
        headers: &HeaderMap,
        limit: u64,
    ) -> std::result::Result<reqwest::blocking::Response, http::Failure> {
        let url = format!("{}/{file}", self.base);
        let resp = http::get_or_failure(&self.client, &url, headers, &self.policy)?;
        match resp.content_length() {
            Some(n) if n > limit => Err(http::Failure::other(format!(
                "{file} is larger than {} (refused)",
                crate::core::report::human_bytes(limit)
            ))),
            _ => Ok(resp),
        }
    }
}

impl Fetch for HttpSource {
    fn db(&self, cached: Option<&CacheFile>) -> std::result::Result<DbAnswer, String> {
        let headers = cached
            .map(|c| c.validators.conditional_headers())
            .unwrap_or_default();
        let resp = self
            .fetch("index/db.json", &headers, MAX_DB)
            .map_err(|f| format!("index/db.json: {}", f.why))?;
        let headers = resp.headers().clone();
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(DbAnswer::NotModified(headers));
        }
        let bytes = http::read_capped(resp, MAX_DB, "index/db.json")?;
        Ok(DbAnswer::Body { bytes, headers })
    }

    /// The `.json.gz` form first (what govulncheck reads, a tenth of the
    /// bytes), the plain `.json` when a server has only that.
    fn get(&self, endpoint: &str, limit: u64) -> std::result::Result<Vec<u8>, String> {
        let gz = format!("{endpoint}.json.gz");
        match self.fetch(&gz, &HeaderMap::new(), limit) {
            Ok(resp) => {
                let raw = http::read_capped(resp, limit, &gz)?;
                gunzip(&raw, limit, &gz)
            }
            Err(f) if f.is_not_found() => {
                let plain = format!("{endpoint}.json");
                let resp = self
                    .fetch(&plain, &HeaderMap::new(), limit)
                    .map_err(|f| format!("{plain}: {}", f.why))?;
                http::read_capped(resp, limit, &plain)
            }
            Err(f) => Err(format!("{gz}: {}", f.why)),
        }
    }
}

struct FileSource {
    dir: PathBuf,
}

impl FileSource {
    fn read(&self, rel: &str, limit: u64) -> std::io::Result<std::result::Result<Vec<u8>, String>> {
        let f = std::fs::File::open(self.dir.join(rel))?;
        Ok(http::read_capped(f, limit, rel))
    }
}

impl Fetch for FileSource {
    fn db(&self, _cached: Option<&CacheFile>) -> std::result::Result<DbAnswer, String> {
        let bytes = self.get("index/db", MAX_DB)?;
        Ok(DbAnswer::Body {
            bytes,
            headers: HeaderMap::new(),
        })
    }

    /// The plain `.json` first (what govulncheck reads from a directory),
    /// else the `.json.gz`.
    fn get(&self, endpoint: &str, limit: u64) -> std::result::Result<Vec<u8>, String> {
        let plain = format!("{endpoint}.json");
        match self.read(&plain, limit) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let gz = format!("{endpoint}.json.gz");
                match self.read(&gz, limit) {
                    Ok(r) => gunzip(&r?, limit, &gz),
                    Err(e) => Err(format!("{}: {e}", self.dir.join(&plain).display())),
                }
            }
            Err(e) => Err(format!("{}: {e}", self.dir.join(&plain).display())),
        }
    }
}

/// Brings a cache up to date: unchanged when the database did not move,
/// else the entries listed now, fetching only new or modified ones.
fn refresh(
    src: &dyn Fetch,
    cached: Option<&CacheFile>,
    url: &str,
) -> std::result::Result<CacheFile, String> {
    let (bytes, headers) = match src.db(cached)? {
        DbAnswer::NotModified(headers) => match cached {
            Some(c) => {
                let mut same = c.clone();
                same.validators.revalidated(&headers);
                return Ok(same);
            }
            None => return Err("index/db.json: 304 Not Modified without a cached copy".into()),
        },
        DbAnswer::Body { bytes, headers } => (bytes, headers),
    };
    let validators = Validators::of_response(url, &headers);
    let db_modified = osv::parse_db(&bytes).map_err(|e| format!("index/db.json: {e}"))?;
    if let Some(c) = cached
        && c.db_modified == db_modified
    {
        return Ok(CacheFile {
            validators,
            ..c.clone()
        });
    }
    let modules = src.get("index/modules", MAX_MODULES)?;
    let listed = osv::parse_modules(&modules).map_err(|e| format!("index/modules.json: {e}"))?;
    // By id, so that thousands of entries cost linear time.
    let old: std::collections::HashMap<&str, &Entry> = cached
        .map(|c| c.entries.iter().map(|e| (e.id.as_str(), e)).collect())
        .unwrap_or_default();
    let need: Vec<&Listed> = listed
        .iter()
        .filter(|l| {
            old.get(l.id.as_str())
                .is_none_or(|e| e.modified != l.modified)
        })
        .collect();
    let mut fetched: std::collections::HashMap<String, Entry> = fetch_entries(src, &need)?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    let mut entries = Vec::with_capacity(listed.len());
    for l in &listed {
        if let Some(e) = fetched.remove(&l.id) {
            entries.push(e);
        } else if let Some(e) = old.get(l.id.as_str()) {
            entries.push((*e).clone());
        }
    }
    Ok(CacheFile {
        validators,
        db_modified,
        entries,
    })
}

fn fetch_entries(src: &dyn Fetch, need: &[&Listed]) -> std::result::Result<Vec<Entry>, String> {
    let one = |l: &Listed| -> std::result::Result<Entry, String> {
        let endpoint = format!("ID/{}", l.id);
        let bytes = src.get(&endpoint, MAX_ENTRY)?;
        osv::parse_entry(&bytes, &l.id).map_err(|e| format!("{endpoint}.json: {e}"))
    };
    if need.len() <= 1 {
        return need.iter().map(|l| one(l)).collect();
    }
    let workers = WORKERS.min(need.len());
    let results: Vec<std::result::Result<Vec<Entry>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let one = &one;
                s.spawn(move || {
                    need.iter()
                        .skip(w)
                        .step_by(workers)
                        .map(|l| one(l))
                        .collect::<std::result::Result<Vec<Entry>, String>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a fetch thread panicked".into()))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(need.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// Human age, as the release index says it.
pub fn describe_age(secs: u64) -> String {
    crate::net::index::describe_age(Duration::from_secs(secs))
}
