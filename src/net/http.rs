//! HTTP for gov's downloads: one blocking client, URL policy (https, or http
//! only to loopback unless the user opts in), retries with backoff for
//! transient failures, failover across mirrors, and bodies that resume with a
//! Range request when a connection drops mid-transfer.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, RANGE};

use crate::core::error::{Error, ErrorKind, Result};
use crate::net::error::{NetKind, advice_for_all, classify, classify_io};

/// Retry and timeout knobs, tunable by environment for slow links and tests.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Extra attempts after the first, per mirror, for transient failures.
    pub retries: u32,
    /// Delay before the first retry; doubles each time, capped at 30 s.
    pub backoff: Duration,
    /// The most one GET may take, its retries included: for a document
    /// (an index, a checksum-database tile, a vulnerability record) its
    /// whole body too. A streamed download's body has its own deadline,
    /// which grows with its size ([`MirroredBody`]).
    pub deadline: Duration,
}

/// A streamed download must average at least this many bytes a second
/// after its first `deadline`: a server trickling one byte a second fails
/// in minutes instead of holding gov (and its lock) for days, and a slow
/// but real link (16 KiB/s is a bad GPRS line) still finishes.
pub const MIN_BODY_RATE: u64 = 16 << 10;

/// A number from the environment or gov's config files, else its default.
fn env_u64(name: &str) -> u64 {
    crate::core::config::Settings::process().number(name)
}

impl RetryPolicy {
    pub fn from_env() -> RetryPolicy {
        RetryPolicy {
            retries: env_u64("GOV_HTTP_RETRIES").min(100) as u32,
            backoff: Duration::from_millis(env_u64("GOV_HTTP_BACKOFF_MS")),
            deadline: Duration::from_secs(env_u64("GOV_HTTP_DEADLINE").max(1)),
        }
    }

    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.min(16);
        (self.backoff * factor).min(Duration::from_secs(30))
    }
}

/// The user agent every request carries.
pub fn user_agent() -> String {
    format!("gov/{}", env!("CARGO_PKG_VERSION"))
}

/// Builds the client. Honours HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY
/// (loopback never proxied) and both the bundled and the system's trusted
/// roots.
pub fn build_client() -> Result<Client> {
    let connect = env_u64("GOV_HTTP_CONNECT_TIMEOUT");
    let read = env_u64("GOV_HTTP_READ_TIMEOUT");
    let mut builder = Client::builder();
    for cert in profile_roots() {
        builder = builder.add_root_certificate(cert);
    }
    with_env_proxies(builder)
        .user_agent(user_agent())
        .connect_timeout(Duration::from_secs(connect))
        // In the blocking client this bounds each read of a body, not the
        // whole transfer: a slow but live download is never cut off.
        .timeout(Duration::from_secs(read))
        .redirect(redirect_policy())
        .build()
        .map_err(|e| Error::new(ErrorKind::Network, "cannot set up the HTTP client").with_source(e))
}

/// The roots of the bundle `gov trust` keeps (the nearest layer profile's
/// SSL_CERT_FILE), so gov trusts what the `go` it runs trusts. An
/// SSL_CERT_FILE in the environment is read by the system roots already,
/// and wins, as it does for Go.
fn profile_roots() -> Vec<reqwest::Certificate> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let env = crate::core::env::Env::process();
    if env.var_os("SSL_CERT_FILE").is_some_and(|v| !v.is_empty()) {
        return Vec::new();
    }
    let bundle = profile_value(&env, "SSL_CERT_FILE");
    let Some(bytes) = bundle.and_then(|b| std::fs::read(b).ok()) else {
        return Vec::new();
    };
    CertificateDer::pem_slice_iter(&bytes)
        .flatten()
        .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
        .collect()
}

/// `key` from the nearest layer profile that holds it: the settings gov
/// hands to every `go`, which gov's own requests follow too.
fn profile_value(env: &crate::core::env::Env, key: &str) -> Option<String> {
    let layers = crate::core::layers::Layers::from_env(env);
    layers.search().find_map(|(_, layout)| {
        let profile = layout
            .home()
            .join(crate::core::registry::Store::Profile.file_name());
        crate::core::config::read_layer_file(&profile)
            .ok()?
            .remove(key)
            .filter(|v| !v.trim().is_empty())
    })
}

/// The first of `names` (spellings of one proxy variable) set in the
/// environment, else the first name's value in the layer profiles (`gov
/// proxy set HTTPS_PROXY=...`), as for the `go` gov runs. Doctor's probes
/// read proxies through this too, so they judge the route gov takes.
pub fn proxy_variable(env: &crate::core::env::Env, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| env.var(n))
        .filter(|v| !v.trim().is_empty())
        .or_else(|| names.first().and_then(|n| profile_value(env, n)))
}

/// Loopback destinations that bypass every proxy, as Go's net/http does (an
/// SSH tunnel to a module proxy on 127.0.0.1 works behind a company proxy).
const LOOPBACK_NO_PROXY: &str = "localhost,127.0.0.0/8,::1";

/// The proxy variables as reqwest's system-proxy support reads them (either
/// case, ALL_PROXY as the fallback, nothing at all under CGI, where
/// HTTP_PROXY may come from a request header), with loopback added to
/// NO_PROXY.
pub(crate) fn with_env_proxies(
    builder: reqwest::blocking::ClientBuilder,
) -> reqwest::blocking::ClientBuilder {
    let builder = builder.no_proxy();
    let env = crate::core::env::Env::process();
    if env.var_os("REQUEST_METHOD").is_some() {
        return builder;
    }
    let first = |names: &[&str]| proxy_variable(&env, names);
    let all = first(&["ALL_PROXY", "all_proxy"]);
    let http = first(&["HTTP_PROXY", "http_proxy"]).or_else(|| all.clone());
    let https = first(&["HTTPS_PROXY", "https_proxy"]).or(all);
    let mut bypass = first(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    bypass.push(',');
    bypass.push_str(LOOPBACK_NO_PROXY);
    let no = reqwest::NoProxy::from_string(&bypass);
    let mut builder = builder;
    // An unparsable value is ignored, as reqwest's own reading does.
    if let Some(p) = http.and_then(|u| reqwest::Proxy::http(u).ok()) {
        builder = builder.proxy(p.no_proxy(no.clone()));
    }
    if let Some(p) = https.and_then(|u| reqwest::Proxy::https(u).ok()) {
        builder = builder.proxy(p.no_proxy(no));
    }
    builder
}

/// Refuses schemes gov does not speak, and plain http to anything but
/// loopback unless GOV_ALLOW_HTTP=1: an archive's checksum protects its
/// bytes, but the release index that carries the checksums must not be
/// served over an unauthenticated channel.
pub fn check_url(url: &str, what: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::invalid(format!("{what} `{url}` is not a valid URL")).with_source(e))?;
    match parsed.scheme() {
        "https" | "file" => Ok(parsed),
        "http" => {
            if is_loopback(&parsed) || allow_http() {
                Ok(parsed)
            } else {
                Err(Error::invalid(format!(
                    "refusing plain http for {what} `{url}`: anyone on the path could alter it"
                ))
                .with_advice(
                    "use an https URL; if this host can only be reached over http (an intranet mirror), set GOV_ALLOW_HTTP=1",
                ))
            }
        }
        other => Err(Error::invalid(format!(
            "{what} `{url}` uses the unsupported scheme `{other}`"
        ))
        .with_advice("use an https:// (or file://) URL")),
    }
}

/// [`check_url`] for content the checksum database verifies (toolchain
/// zips from GOPROXY, the database's signed answers): plain http to an
/// intranet host is allowed without GOV_ALLOW_HTTP, as cmd/go allows it,
/// since a byte altered on the way fails verification.
pub fn check_verified_url(url: &str, what: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::invalid(format!("{what} `{url}` is not a valid URL")).with_source(e))?;
    match parsed.scheme() {
        "http" => Ok(parsed),
        _ => check_url(url, what),
    }
}

/// Whether `url` is plain http to a host other than this machine.
pub fn is_plain_remote(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| u.scheme() == "http" && !is_loopback(&u))
}

/// The URL policy applied to every redirect hop, not only the first URL:
/// an https index (the checksums) or a self-update that redirects to plain
/// http on a remote host is refused, as is any scheme but http(s).
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("more than 10 redirects");
        }
        let url = attempt.url().as_str().to_string();
        if !matches!(attempt.url().scheme(), "http" | "https") {
            return attempt.error(format!("refusing a redirect to {url}"));
        }
        match check_url(&url, "the redirect target") {
            Ok(_) => attempt.follow(),
            Err(e) => attempt.error(e.to_string()),
        }
    })
}

/// Plain http only to this machine: the one place credentials may travel
/// unencrypted.
pub fn is_loopback(u: &reqwest::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// ~/.netrc credentials for `url`: only over https, or to loopback (never
/// over plain http to a remote host, even with GOV_ALLOW_HTTP=1), and not
/// when the URL carries its own.
pub fn netrc_for(url: &str) -> Option<crate::net::netrc::Credentials> {
    let u = reqwest::Url::parse(url).ok()?;
    if !u.username().is_empty() || !(u.scheme() == "https" || is_loopback(&u)) {
        return None;
    }
    crate::net::netrc::lookup(&u)
}

/// Reads at most `limit` bytes of a body (an HTTP answer, a cached file, a
/// decompressing reader); more is an error, not a longer wait: a hostile
/// server cannot make gov hold gigabytes in memory. The bytes are counted
/// as they arrive, so a Content-Length that lies changes nothing: one byte
/// past the cap is the refusal, whatever the header said.
pub fn read_capped(
    body: impl Read,
    limit: u64,
    what: &str,
) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    body.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("reading {what}: {}", read_failure(&e)))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "{what} is larger than {}, far more than a genuine one (refused)",
            cap_in_words(limit)
        ));
    }
    Ok(out)
}

/// A cap as it was chosen: `1 MiB`, `64 KiB`, `100 bytes`.
fn cap_in_words(limit: u64) -> String {
    match limit {
        l if l >= 1 << 20 && l % (1 << 20) == 0 => format!("{} MiB", l >> 20),
        l if l >= 1 << 10 && l % (1 << 10) == 0 => format!("{} KiB", l >> 10),
        l => format!("{l} bytes"),
    }
}

/// Why reading a body failed, in words: a timeout is the deadline.
pub fn read_failure(e: &std::io::Error) -> String {
    let names_deadline = e
        .get_ref()
        .is_some_and(|inner| inner.is::<DeadlinePassed>());
    if classify_io(e) == NetKind::Timeout && !names_deadline {
        format!(
            "{e}: no complete answer within the deadline (GOV_HTTP_DEADLINE, {} s)",
            RetryPolicy::from_env().deadline.as_secs()
        )
    } else {
        e.to_string()
    }
}

fn allow_http() -> bool {
    matches!(
        crate::core::config::get("GOV_ALLOW_HTTP").as_deref(),
        Some("1") | Some("true") | Some("yes")
    )
}

/// Advice for a failed request to `url`, by the kind of the failure.
pub fn advice_for_error(e: &reqwest::Error, url: &str) -> &'static str {
    let via_proxy = crate::net::explain::proxy_for(url).is_some();
    classify(e).advice(via_proxy)
}

/// The local path a `file://` URL names (`None` for any other URL).
pub fn file_url_path(url: &str) -> Option<std::path::PathBuf> {
    url.starts_with("file:")
        .then(|| reqwest::Url::parse(url).ok()?.to_file_path().ok())
        .flatten()
}

/// One file's URLs on each mirror, sorted for reading: `file://` mirrors
/// are plain paths, read directly (the first that has the file serves
/// it); the http(s) ones are for [`MirroredBody`].
pub struct MirrorUrls {
    /// The first `file://` mirror holding the file: its path and URL.
    pub local: Option<(std::path::PathBuf, String)>,
    pub remote: Vec<String>,
}

impl MirrorUrls {
    /// Sorts `urls`; an error when no `file://` mirror has the file and
    /// there is no other mirror to ask.
    pub fn sort(urls: Vec<String>, file: &str) -> Result<MirrorUrls> {
        let (file_urls, remote): (Vec<String>, Vec<String>) =
            urls.into_iter().partition(|u| u.starts_with("file:"));
        let local = file_urls.into_iter().find_map(|u| {
            let path = file_url_path(&u).filter(|p| p.is_file())?;
            Some((path, u))
        });
        if local.is_none() && remote.is_empty() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("{file} is on none of the file:// mirrors in GOV_MIRROR"),
            ));
        }
        Ok(MirrorUrls { local, remote })
    }
}

/// Short host description for messages.
pub fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| url.to_string())
}

/// Was this failure worth another try on the same server?
fn is_transient_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

/// Worth another try: a refused or reset connection, a dropped body, a
/// resolver that failed for now (see [`NetKind::may_pass_on_retry`]).
fn is_transient_error(e: &reqwest::Error) -> bool {
    (e.is_connect() || e.is_request() || e.is_body()) && classify(e).may_pass_on_retry()
}

/// Describes a reqwest error by its innermost cause, which names the real
/// problem (connection refused, dns error...) rather than the URL again.
pub fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cur {
        msg = c.to_string();
        cur = c.source();
    }
    msg
}

/// Outcome of one request, before deciding whether to retry.
enum Attempt {
    Done(Response),
    /// Worth retrying on the same server.
    Transient(Failure),
    /// Try the next mirror (404, 410, other client errors).
    Skip(Failure),
}

/// Why a GET failed after its retries: its kind (an HTTP status, or the
/// transport stage: DNS, connect, TLS, timeout...) and the sentence for
/// people.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: NetKind,
    pub why: String,
    /// The request went through a proxy from the environment.
    pub via_proxy: bool,
}

impl Failure {
    /// A failure that is not the network's (a body over its limit...).
    pub fn other(why: String) -> Failure {
        Failure {
            kind: NetKind::Other,
            why,
            via_proxy: false,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            NetKind::Status(s) => Some(s),
            _ => None,
        }
    }

    /// 404 or 410: the server answered that it does not have it.
    pub fn is_not_found(&self) -> bool {
        matches!(self.status(), Some(404 | 410))
    }

    /// What to do about it.
    pub fn advice(&self) -> &'static str {
        self.kind.advice(self.via_proxy)
    }
}

/// The advice for the most specific of several failures.
pub fn advice_for_failures<'a>(failures: impl IntoIterator<Item = &'a Failure>) -> &'static str {
    advice_for_all(failures.into_iter().map(|f| (f.kind, f.via_proxy)))
}

/// Adds ~/.netrc credentials for the URL's host (see `netrc_for`), and
/// the time left, when the whole answer must arrive within it.
fn request(
    client: &Client,
    url: &str,
    headers: &HeaderMap,
    whole_within: Option<Duration>,
) -> reqwest::blocking::RequestBuilder {
    let mut req = client.get(url).headers(headers.clone());
    if let Some(c) = netrc_for(url) {
        req = req.basic_auth(c.login, Some(c.password));
    }
    if let Some(left) = whole_within {
        req = req.timeout(left);
    }
    req
}

fn attempt(
    client: &Client,
    url: &str,
    headers: &HeaderMap,
    whole_within: Option<Duration>,
) -> Attempt {
    let via_proxy = crate::net::explain::proxy_for(url).is_some();
    let failure = |kind, why| Failure {
        kind,
        why,
        via_proxy,
    };
    match request(client, url, headers, whole_within).send() {
        Ok(resp) => {
            let status = resp.status();
            if status.is_success() || status == StatusCode::NOT_MODIFIED {
                return Attempt::Done(resp);
            }
            let why = crate::net::explain::explain_status(status, url);
            let f = failure(NetKind::Status(status.as_u16()), why);
            if is_transient_status(status) {
                Attempt::Transient(f)
            } else {
                Attempt::Skip(f)
            }
        }
        Err(e) => {
            let kind = classify(&e);
            let why = crate::net::explain::explain(&e, url);
            if is_transient_error(&e) {
                Attempt::Transient(failure(kind, why))
            } else if e.is_timeout() {
                let why = format!(
                    "{why} (no complete answer within the {} s deadline, GOV_HTTP_DEADLINE)",
                    whole_within.map_or(0, |d| d.as_secs().max(1))
                );
                Attempt::Skip(failure(kind, why))
            } else {
                Attempt::Skip(failure(kind, why))
            }
        }
    }
}

/// GET with retries on one URL. Returns the response (2xx or 304) or the
/// last failure's description.
pub fn get_with_retries(
    client: &Client,
    url: &str,
    headers: &HeaderMap,
    policy: &RetryPolicy,
) -> std::result::Result<Response, String> {
    get_or_failure(client, url, headers, policy).map_err(|f| f.why)
}

/// GET of a document with retries on one URL, keeping the failure's HTTP
/// status. The answer, its whole body and the retries fit in the policy's
/// deadline.
pub fn get_or_failure(
    client: &Client,
    url: &str,
    headers: &HeaderMap,
    policy: &RetryPolicy,
) -> std::result::Result<Response, Failure> {
    get_within(client, url, headers, policy, true)
}

/// GET of a download that the caller streams (wrap the response in
/// [`MirroredBody::from_response`], which bounds the body): retries stop
/// at the policy's deadline, the body is not bound by it.
pub fn get_stream_or_failure(
    client: &Client,
    url: &str,
    headers: &HeaderMap,
    policy: &RetryPolicy,
) -> std::result::Result<Response, Failure> {
    get_within(client, url, headers, policy, false)
}

fn get_within(
    client: &Client,
    url: &str,
    headers: &HeaderMap,
    policy: &RetryPolicy,
    whole_body: bool,
) -> std::result::Result<Response, Failure> {
    let until = Instant::now() + policy.deadline;
    let mut tries = 0;
    loop {
        // A stream waits for its headers at most the idle timeout, once:
        // timeouts are not retried. Its body is bounded by MirroredBody.
        let left = until.saturating_duration_since(Instant::now());
        match attempt(client, url, headers, whole_body.then_some(left)) {
            Attempt::Done(resp) => return Ok(resp),
            Attempt::Skip(f) => return Err(f),
            Attempt::Transient(f) => {
                let delay = policy.delay(tries);
                if tries >= policy.retries || Instant::now() + delay >= until {
                    let why = format!("{} (after {} attempts)", f.why, tries + 1);
                    return Err(Failure { why, ..f });
                }
                std::thread::sleep(delay);
                tries += 1;
            }
        }
    }
}

/// A download body read across mirrors. Opening tries each mirror in order
/// (transient errors retried, 404 and the like skipped). Reading resumes
/// with `Range` after a dropped connection or a short body, on the same
/// mirror first and then on the others, so a flaky link costs no restart.
pub struct MirroredBody {
    client: Client,
    urls: Vec<String>,
    current: usize,
    resp: Response,
    etag: Option<String>,
    pos: u64,
    total: Option<u64>,
    policy: RetryPolicy,
    resumes_left: u32,
    /// When the body was opened, and at which byte: its deadline is
    /// counted from there.
    started: Instant,
    first_pos: u64,
}

impl MirroredBody {
    /// `urls` are the full URLs of the same file on each mirror, in order.
    pub fn open(client: &Client, urls: Vec<String>, policy: RetryPolicy) -> Result<MirroredBody> {
        Self::open_reporting(client, urls, policy, &|_| {})
    }

    /// `open`, telling `fallback` in one line each time a mirror fails and
    /// the next one is tried.
    pub fn open_reporting(
        client: &Client,
        urls: Vec<String>,
        policy: RetryPolicy,
        fallback: &dyn Fn(&str),
    ) -> Result<MirroredBody> {
        let mut failures: Vec<Failure> = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            if let (Some(last), Some(prev)) = (failures.last(), i.checked_sub(1)) {
                fallback(&format!(
                    "mirror {} failed ({}); trying {}",
                    host_of(&urls[prev]),
                    last.why,
                    host_of(url)
                ));
            }
            match get_stream_or_failure(client, url, &HeaderMap::new(), &policy) {
                Ok(resp) => {
                    let total = resp.content_length();
                    return Ok(MirroredBody::new(client, urls, i, resp, 0, total, policy));
                }
                Err(f) => failures.push(f),
            }
        }
        let all = urls
            .iter()
            .zip(&failures)
            .map(|(u, f)| format!("{u}: {}", f.why))
            .collect::<Vec<_>>()
            .join("\n    ");
        Err(Error::new(
            ErrorKind::Network,
            format!("could not download from any mirror:\n    {all}"),
        )
        .with_advice(format!(
            "{}; or point GOV_MIRROR at reachable mirrors (comma-separated, tried in order), e.g. GOV_MIRROR=https://golang.google.cn/dl",
            advice_for_failures(&failures)
        )))
    }

    /// A download of one URL (no other mirror), resumable on it; the
    /// failure keeps its HTTP status (a 404 is "not here").
    pub fn open_one(
        client: &Client,
        url: &str,
        policy: RetryPolicy,
    ) -> std::result::Result<MirroredBody, Failure> {
        let resp = get_stream_or_failure(client, url, &HeaderMap::new(), &policy)?;
        Ok(MirroredBody::from_response(
            client,
            url.to_string(),
            resp,
            policy,
        ))
    }

    /// A body of one URL whose response is already open (resumes on it).
    pub fn from_response(
        client: &Client,
        url: String,
        resp: Response,
        policy: RetryPolicy,
    ) -> MirroredBody {
        let total = resp.content_length();
        MirroredBody::new(client, vec![url], 0, resp, 0, total, policy)
    }

    /// A body served by `urls[current]` from byte `start` on; it may resume
    /// a few times on each mirror.
    fn new(
        client: &Client,
        urls: Vec<String>,
        current: usize,
        resp: Response,
        start: u64,
        total: Option<u64>,
        policy: RetryPolicy,
    ) -> MirroredBody {
        let etag = header_str(resp.headers(), ETAG);
        let resumes_left = policy.retries.max(1) * urls.len() as u32;
        MirroredBody {
            client: client.clone(),
            urls,
            current,
            resp,
            etag,
            pos: start,
            total,
            policy,
            resumes_left,
            started: Instant::now(),
            first_pos: start,
        }
    }

    /// Opens the body from byte `start` on (a partial file kept from an
    /// earlier run): `Range: bytes=start-` on each mirror in order. A
    /// server that ignores the range and sends the whole file has the
    /// first `start` bytes skipped, so the reader always begins at `start`.
    /// `content_length` is then the size of the whole file.
    pub fn open_from(
        client: &Client,
        urls: Vec<String>,
        policy: RetryPolicy,
        start: u64,
    ) -> Result<MirroredBody> {
        if start == 0 {
            return MirroredBody::open(client, urls, policy);
        }
        let mut headers = HeaderMap::new();
        if let Ok(v) = format!("bytes={start}-").parse() {
            headers.insert(RANGE, v);
        }
        let mut failures = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            let continued = get_stream_or_failure(client, url, &headers, &policy)
                .and_then(|resp| continue_at(resp, start));
            match continued {
                Ok((resp, total)) => {
                    return Ok(MirroredBody::new(
                        client, urls, i, resp, start, total, policy,
                    ));
                }
                Err(f) => failures.push((url, f)),
            }
        }
        let all: Vec<String> = failures
            .iter()
            .map(|(url, f)| format!("{url}: {}", f.why))
            .collect();
        Err(Error::new(
            ErrorKind::Network,
            format!(
                "could not resume the download from any mirror:\n    {}",
                all.join("\n    ")
            ),
        )
        .with_advice(advice_for_failures(failures.iter().map(|(_, f)| f))))
    }

    /// The URL currently serving bytes.
    pub fn url(&self) -> &str {
        &self.urls[self.current]
    }

    /// The size the server announced, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.total
    }

    /// The body's total deadline: the policy's deadline plus the time the
    /// bytes received so far take at [`MIN_BODY_RATE`] (so it is known
    /// once the body is: never more than the size at that rate).
    fn past_deadline(&self) -> std::io::Result<()> {
        let received = self.pos - self.first_pos;
        let allowed = self.policy.deadline + Duration::from_secs(received / MIN_BODY_RATE);
        let took = self.started.elapsed();
        if took <= allowed {
            return Ok(());
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            DeadlinePassed(format!(
                "{}: only {received} bytes in {} s, slower than {} KiB/s after the {} s deadline (GOV_HTTP_DEADLINE)",
                self.url(),
                took.as_secs(),
                MIN_BODY_RATE >> 10,
                self.policy.deadline.as_secs()
            )),
        ))
    }

    /// Re-requests the rest of the body after `self.pos`.
    fn resume(&mut self, why: String) -> std::io::Result<()> {
        let mut last = why;
        let order: Vec<usize> = (0..self.urls.len())
            .map(|k| (self.current + k) % self.urls.len())
            .collect();
        while self.resumes_left > 0 {
            for &i in &order {
                if self.resumes_left == 0 {
                    break;
                }
                self.resumes_left -= 1;
                std::thread::sleep(self.policy.delay(0));
                self.past_deadline()?;
                let mut headers = HeaderMap::new();
                if let Ok(v) = format!("bytes={}-", self.pos).parse() {
                    headers.insert(RANGE, v);
                }
                if let Some(tag) = self.etag.as_deref().and_then(|t| t.parse().ok())
                    && i == self.current
                {
                    headers.insert(IF_RANGE, tag);
                }
                let continued = match attempt(&self.client, &self.urls[i], &headers, None) {
                    Attempt::Done(r) => continue_at(r, self.pos),
                    Attempt::Transient(f) | Attempt::Skip(f) => Err(f),
                };
                match continued {
                    Ok((resp, _)) => self.resp = resp,
                    Err(f) => {
                        last = format!("{}: {}", self.urls[i], f.why);
                        continue;
                    }
                }
                self.current = i;
                return Ok(());
            }
        }
        Err(std::io::Error::other(format!(
            "download interrupted after {} bytes and could not be resumed: {last}",
            self.pos
        )))
    }
}

/// The answer to `Range: bytes=<start>-` as the rest of a body: a 206
/// whose Content-Range starts at `start`, or a 200 from a server without
/// range support, whose first `start` bytes are skipped. Returns the
/// response positioned at `start` and the whole file's size, if known.
fn continue_at(
    mut resp: Response,
    start: u64,
) -> std::result::Result<(Response, Option<u64>), Failure> {
    match resp.status() {
        StatusCode::PARTIAL_CONTENT => {
            let range = header_str(resp.headers(), CONTENT_RANGE);
            if range.as_deref().and_then(parse_content_range_start) != Some(start) {
                return Err(Failure::other("unexpected Content-Range".into()));
            }
            let total = range
                .as_deref()
                .and_then(parse_content_range_total)
                .or_else(|| resp.content_length().map(|n| n + start));
            Ok((resp, total))
        }
        StatusCode::OK => {
            let skipped =
                std::io::copy(&mut (&mut resp).take(start), &mut std::io::sink()).unwrap_or(0);
            if skipped != start {
                return Err(Failure::other("short body while skipping".into()));
            }
            let total = resp.content_length();
            Ok((resp, total))
        }
        other => Err(Failure {
            kind: NetKind::Status(other.as_u16()),
            why: format!("HTTP {other}"),
            via_proxy: false,
        }),
    }
}

/// A body past its deadline; its message names the deadline already.
#[derive(Debug)]
struct DeadlinePassed(String);

impl std::fmt::Display for DeadlinePassed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeadlinePassed {}

fn header_str(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `bytes 100-199/200` -> 200.
fn parse_content_range_total(v: &str) -> Option<u64> {
    v.rsplit_once('/')?.1.trim().parse().ok()
}

/// `bytes 100-199/200` -> 100.
fn parse_content_range_start(v: &str) -> Option<u64> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}

impl Read for MirroredBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.resp.read(buf) {
                Ok(0) => {
                    if let Some(total) = self.total
                        && self.pos < total
                    {
                        let why = format!("connection closed after {} of {total} bytes", self.pos);
                        self.resume(why)?;
                        continue;
                    }
                    return Ok(0);
                }
                Ok(n) => {
                    self.pos += n as u64;
                    self.past_deadline()?;
                    if let Some(total) = self.total
                        && self.pos > total
                    {
                        return Err(std::io::Error::other(format!(
                            "server sent more than the announced {total} bytes"
                        )));
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let why = format!("{}: {e}", self.url());
                    self.resume(why)?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        assert!(check_url("https://go.dev/dl/", "index").is_ok());
        assert!(check_url("http://127.0.0.1:8080/x", "index").is_ok());
        assert!(check_url("http://localhost/x", "index").is_ok());
        assert!(check_url("http://[::1]:9/x", "index").is_ok());
        assert!(check_url("file:///tmp/index.json", "index").is_ok());
        let e = check_url("ftp://example.com/x", "index").expect_err("ftp");
        assert_eq!(e.kind().exit_code(), 2);
        if crate::core::env::Env::process()
            .var_os("GOV_ALLOW_HTTP")
            .is_none()
        {
            let e = check_url("http://example.com/x", "mirror").expect_err("plain http");
            assert!(e.advice().is_some_and(|a| a.contains("GOV_ALLOW_HTTP=1")));
        }
    }

    #[test]
    fn content_range() {
        assert_eq!(parse_content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(parse_content_range_start("bytes */200"), None);
        assert_eq!(parse_content_range_total("bytes 100-199/200"), Some(200));
        assert_eq!(parse_content_range_total("bytes 100-199/*"), None);
    }

    /// One answer on a loopback port: `head` (status line and headers,
    /// without the blank line), then `body`, then the connection closes.
    fn serve_once(head: &'static str, body: Vec<u8>) -> String {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let mut request = [0u8; 1024];
            let _ = conn.read(&mut request);
            let _ = conn.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes());
            let _ = conn.write_all(&body);
        });
        format!("http://{addr}/")
    }

    fn get(url: &str) -> reqwest::blocking::Response {
        reqwest::blocking::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(url)
            .send()
            .expect("answer")
    }

    #[test]
    fn capped_read_takes_exactly_the_cap() {
        let at_cap = read_capped(&[7u8; 64][..], 64, "the answer").expect("64 bytes fit");
        assert_eq!(at_cap.len(), 64);
        let e = read_capped(&[7u8; 65][..], 64, "the answer").expect_err("one byte over");
        assert_eq!(
            e,
            "the answer is larger than 64 bytes, far more than a genuine one (refused)"
        );
        assert_eq!(cap_in_words(1 << 20), "1 MiB");
        assert_eq!(cap_in_words(3 << 19), "1536 KiB");
    }

    #[test]
    fn capped_read_refuses_one_byte_over_from_the_network() {
        let url = serve_once("HTTP/1.1 200 OK", vec![b'x'; 1025]);
        let e = read_capped(get(&url), 1024, "the answer").expect_err("over the cap");
        assert!(e.starts_with("the answer is larger than 1 KiB"), "{e}");
    }

    #[test]
    fn a_lying_content_length_does_not_lift_the_cap() {
        // Announces less than the cap and sends more: only the bytes count.
        let url = serve_once("HTTP/1.1 200 OK\r\nContent-Length: 10", vec![b'x'; 4096]);
        let read = read_capped(get(&url), 1024, "the answer");
        assert!(read.as_ref().is_ok_and(|b| b.len() <= 1024), "{read:?}");
        // Announces a huge body and streams past the cap: refused at the
        // cap, not after the announced gigabyte.
        let url = serve_once(
            "HTTP/1.1 200 OK\r\nContent-Length: 1073741824",
            vec![b'x'; 4096],
        );
        let e = read_capped(get(&url), 1024, "the answer").expect_err("over the cap");
        assert!(e.contains("larger than 1 KiB"), "{e}");
    }
}
