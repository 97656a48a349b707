//! The one shape of a revalidating cache of a document fetched over HTTP
//! (the release index, the vulnerability database): a file per URL, keyed
//! by a digest of the URL so a changed setting never serves another
//! source's data; the validators the server gave (ETag, Last-Modified,
//! `Cache-Control: max-age`); used as is within its TTL, then asked for
//! with a conditional request; written by atomic rename.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{
    CACHE_CONTROL, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::core::config::now_secs;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::fsutil;

/// However short a server's `Cache-Control: max-age`, a cached copy is
/// used this long, so a burst of gov commands costs one revalidation.
const MIN_SERVER_TTL: u64 = 30;

/// What a cached copy was checked with, and when. Stored flattened into
/// each cache file (its field names are the files' format).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Validators {
    /// The source's URL, credentials redacted (the cache is world-readable).
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Unix seconds of the last successful fetch or revalidation.
    pub checked_at: u64,
    /// The server's `Cache-Control: max-age` (0 for `no-cache`), which
    /// shortens the configured TTL for this URL.
    #[serde(default)]
    pub max_age: Option<u64>,
}

impl Validators {
    /// The validators of a full answer from `url`, checked now.
    pub fn of_response(url: &str, headers: &HeaderMap) -> Validators {
        Validators {
            url: crate::core::quote::redact_credentials(url).into_owned(),
            etag: header(headers, ETAG),
            last_modified: header(headers, LAST_MODIFIED),
            checked_at: now_secs(),
            max_age: cache_max_age(headers),
        }
    }

    /// Whether this copy is of `url` (a cache file of another source that
    /// happens to share the key is not used).
    pub fn is_of(&self, url: &str) -> bool {
        self.url == crate::core::quote::redact_credentials(url)
    }

    /// Time since the copy was last checked with the server.
    pub fn age(&self) -> Duration {
        Duration::from_secs(now_secs().saturating_sub(self.checked_at))
    }

    /// How long this copy is used without asking the server: the
    /// configured TTL, shortened to the server's max-age (never below
    /// 30 s).
    pub fn ttl(&self, configured: Duration) -> Duration {
        match self.max_age {
            Some(n) => configured.min(Duration::from_secs(n.max(MIN_SERVER_TTL))),
            None => configured,
        }
    }

    /// Within its TTL: used without asking the server.
    pub fn is_fresh(&self, configured: Duration) -> bool {
        self.age() < self.ttl(configured)
    }

    /// `If-None-Match` / `If-Modified-Since` for a revalidation.
    pub fn conditional_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(tag) = self.etag.as_deref().and_then(|t| t.parse().ok()) {
            headers.insert(IF_NONE_MATCH, tag);
        }
        if let Some(lm) = self.last_modified.as_deref().and_then(|t| t.parse().ok()) {
            headers.insert(IF_MODIFIED_SINCE, lm);
        }
        headers
    }

    /// The server answered 304: the copy is current as of now.
    pub fn revalidated(&mut self, headers: &HeaderMap) {
        self.checked_at = now_secs();
        if let Some(n) = cache_max_age(headers) {
            self.max_age = Some(n);
        }
    }
}

fn header(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `max-age=N` (or 0 for `no-cache` / `no-store`) from a Cache-Control
/// header; `None` when the server says nothing about freshness.
pub fn cache_max_age(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CACHE_CONTROL)?.to_str().ok()?;
    let mut max_age = None;
    for d in value.split(',').map(|d| d.trim().to_ascii_lowercase()) {
        if d == "no-cache" || d == "no-store" {
            return Some(0);
        }
        if let Some(n) = d.strip_prefix("max-age=") {
            max_age = n.trim_matches('"').parse().ok().or(max_age);
        }
    }
    max_age
}

/// The cache file of `url` in `dir`: `<first 8 bytes of sha256(url)>`
/// then `suffix` (`.json`, `.meta.json`).
pub fn path_for(dir: &Path, url: &str, suffix: &str) -> PathBuf {
    let digest = Sha256::digest(url.as_bytes());
    let key: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{key}{suffix}"))
}

/// A cache file, if it is there and parses (anything else is a miss).
pub fn read<T: DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Writes a cache file by atomic rename, creating its folder; `what`
/// names the cache in an error.
pub fn write<T: Serialize>(path: &Path, value: &T, what: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fsutil::create_dir_all(dir)?;
    }
    let body = serde_json::to_vec(value)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot encode {what}")).with_source(e))?;
    fsutil::write_atomic(path, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cache_control(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CACHE_CONTROL, v.parse().unwrap_or_else(|_| panic!("{v}")));
        h
    }

    #[test]
    fn server_max_age_shortens_the_ttl_but_not_below_the_floor() {
        let hour = Duration::from_secs(3600);
        let v = |h: &HeaderMap| Validators::of_response("https://example.com/i", h);
        assert_eq!(v(&HeaderMap::new()).ttl(hour), hour);
        let short = v(&with_cache_control("public, max-age=300"));
        assert_eq!(short.ttl(hour), Duration::from_secs(300));
        let none = v(&with_cache_control("no-cache"));
        assert_eq!(none.ttl(hour), Duration::from_secs(MIN_SERVER_TTL));
        let long = v(&with_cache_control("max-age=86400"));
        assert_eq!(long.ttl(hour), hour);
        let max_age = |h: &str| cache_max_age(&with_cache_control(h));
        assert_eq!(max_age("public, max-age=60, must-revalidate"), Some(60));
        assert_eq!(max_age("private, max-age=\"90\""), Some(90));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("public"), None);
        assert_eq!(cache_max_age(&HeaderMap::new()), None);
    }

    #[test]
    fn conditional_headers_carry_both_validators_and_urls_are_redacted() {
        let v = Validators {
            url: String::new(),
            etag: Some("\"abc\"".into()),
            last_modified: Some("Tue, 01 Dec 2026 10:00:00 GMT".into()),
            checked_at: 0,
            max_age: None,
        };
        let h = v.conditional_headers();
        assert_eq!(
            h.get(IF_NONE_MATCH).map(|v| v.as_bytes()),
            Some(&b"\"abc\""[..])
        );
        assert!(h.get(IF_MODIFIED_SINCE).is_some());
        let secret = Validators::of_response("https://u:secret@example.com/i", &HeaderMap::new());
        assert!(!secret.url.contains("secret"), "{}", secret.url);
        assert!(secret.is_of("https://u:secret@example.com/i"));
        assert!(!secret.is_of("https://example.com/other"));
    }
}
