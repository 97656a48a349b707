//! Toolchains through the module proxy, as cmd/go's GOTOOLCHAIN switch
//! gets them: every release is the module
//! `golang.org/toolchain@v0.0.1-go<version>.linux-<goarch>`, fetched from
//! the GOPROXY list Go would use for this account and verified by the
//! checksum database GOSUMDB names (mandatory: GONOSUMDB and GOPRIVATE do
//! not apply, GOSUMDB=off refuses).
//!
//! Order of work: the checksum database first (a missing record or a
//! forked log stops before 100 MB are downloaded), then the zip streamed to
//! a bounded staging file, then one pass that checks every entry as x/mod's
//! checkZip does, computes `h1:` and writes the files into the staging
//! tree; the tree is published only if the `h1:` equals the database's, by
//! the same finish path as release archives.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use reqwest::header::HeaderMap;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::installed;
use crate::core::perms;
use crate::core::version::{GoVersion, VersionRequest};
use crate::install::transaction::{Staged, publish_with};
use crate::install::{Action, Report};
use crate::net::http::{self, Failure, MirroredBody, RetryPolicy};
use crate::settings::proxy::{self as settings, SumDb};
use crate::trust::client::{Client, Fetch, Lookup};
use crate::trust::error::TrustError;
use crate::trust::note::Verifier;
use crate::trust::store::DiskStore;
use crate::trust::zipcheck::{self, MAX_ZIP_SIZE, UnpackSink};

pub use crate::trust::distpack::{TOOLCHAIN_MODULE, goarch, module_version};

/// Where `direct` fetches toolchains: go.dev's go-import tag for
/// golang.org/toolchain points here (it redirects to dl.google.com).
pub const DIRECT_BASE: &str = "https://go.dev/dl/mod";

/// Small answers (`@v/list`, lookups, tiles, `supported`) are read whole
/// up to this size.
const MAX_SMALL_BODY: u64 = 1 << 20;

/// The Go version of a toolchain module version for `arch`, if it is one.
pub fn parse_module_version(modver: &str, arch: &str) -> Option<GoVersion> {
    let rest = modver.trim().strip_prefix("v0.0.1-go")?;
    let ver = rest.strip_suffix(&format!(".linux-{}", goarch(arch)))?;
    GoVersion::parse(ver)
}

/// One entry of GOPROXY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyEntry {
    /// A proxy URL (http, https or file); `any_error` when it was followed
    /// by `|` (fall through on any error, not only 404/410).
    Url {
        url: String,
        any_error: bool,
    },
    Direct,
    Off,
}

/// GOPROXY as cmd/go reads it: `,` falls through on 404/410, `|` on any
/// error; `direct` and `off` end the list; a bare host means https.
pub fn parse_goproxy(value: &str) -> Result<Vec<ProxyEntry>> {
    settings::validate_goproxy(value)?;
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (entry, sep, tail) = match rest.find([',', '|']) {
            Some(i) => (&rest[..i], rest.as_bytes()[i], &rest[i + 1..]),
            None => (rest, b',', ""),
        };
        rest = tail;
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match entry {
            "off" => {
                out.push(ProxyEntry::Off);
                break;
            }
            "direct" => {
                out.push(ProxyEntry::Direct);
                break;
            }
            _ => {
                let url = if entry.contains(":/") || entry.starts_with('/') {
                    entry.to_string()
                } else {
                    format!("https://{entry}")
                };
                out.push(ProxyEntry::Url {
                    url: url.trim_end_matches('/').to_string(),
                    any_error: sep == b'|',
                });
            }
        }
    }
    Ok(out)
}

/// Go's module.MatchPrefixPatterns: does a glob of the comma list match a
/// leading part of `path` with as many elements as the glob?
pub fn matches_prefix_patterns(globs: &str, path: &str) -> bool {
    globs
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .any(|g| {
            let n = g.trim_end_matches('/').split('/').count();
            let elems: Vec<&str> = path.split('/').collect();
            if elems.len() < n {
                return false;
            }
            g.trim_end_matches('/')
                .split('/')
                .zip(&elems[..n])
                .all(|(p, e)| glob_elem(p.as_bytes(), e.as_bytes()))
        })
}

/// path.Match within one element: `*`, `?`, `[...]` classes, `\` escapes.
fn glob_elem(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| glob_elem(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && glob_elem(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(&c) = s.first() else { return false };
            let mut i = 1;
            let negate = p.get(1) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut hit = false;
            let mut first = true;
            while i < p.len() && (first || p[i] != b']') {
                first = false;
                let mut lo = p[i];
                if lo == b'\\' && i + 1 < p.len() {
                    i += 1;
                    lo = p[i];
                }
                let mut hi = lo;
                if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&b| b != b']') {
                    hi = p[i + 2];
                    i += 2;
                }
                hit |= lo <= c && c <= hi;
                i += 1;
            }
            i < p.len() && hit != negate && glob_elem(&p[i + 1..], &s[1..])
        }
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && glob_elem(&p[2..], &s[1..]),
        Some(&c) => s.first() == Some(&c) && glob_elem(&p[1..], &s[1..]),
    }
}

/// The module settings a proxy install uses, each with where it came from.
#[derive(Debug, Clone)]
pub struct ProxySettings {
    pub proxies: Vec<ProxyEntry>,
    pub goproxy: (String, String),
    pub verifier: Verifier,
    /// GOSUMDB's URL when it names one.
    pub sumdb_url: Option<String>,
    pub gosumdb: (String, String),
    /// Lines worth telling the user (GONOPROXY routing, ignored GONOSUMDB).
    pub notes: Vec<String>,
}

/// Reads GOPROXY, GOSUMDB, GONOPROXY, GONOSUMDB and GOPRIVATE as Go would
/// for this account: environment > `go env -w` > gov's profile > Go's
/// defaults. GOSUMDB=off is refused, as cmd/go refuses it for toolchains.
pub fn resolve_settings(app: &App) -> Result<ProxySettings> {
    let eff = settings::effective(&app.layers(), None);
    let get = |k: &str| {
        eff.iter()
            .find(|e| e.key == k)
            .map(|e| (e.value.clone(), e.source.clone()))
            .unwrap_or_default()
    };
    let goproxy = get("GOPROXY");
    let gosumdb = get("GOSUMDB");
    let mut notes = Vec::new();
    let mut proxies = parse_goproxy(&goproxy.0).map_err(|e| with_origin(e, &goproxy))?;
    let (noproxy, noproxy_from) = get("GONOPROXY");
    if matches_prefix_patterns(&noproxy, TOOLCHAIN_MODULE) {
        notes.push(format!(
            "GONOPROXY={noproxy} ({noproxy_from}) matches {TOOLCHAIN_MODULE}: fetching directly from {DIRECT_BASE}, as go would"
        ));
        proxies = vec![ProxyEntry::Direct];
    }
    let (nosumdb, nosumdb_from) = get("GONOSUMDB");
    if matches_prefix_patterns(&nosumdb, TOOLCHAIN_MODULE) {
        notes.push(format!(
            "GONOSUMDB={nosumdb} ({nosumdb_from}) matches {TOOLCHAIN_MODULE} but does not apply to toolchains: verifying anyway, as go does"
        ));
    }
    let (verifier, sumdb_url) = match settings::parse_gosumdb(&gosumdb.0)
        .map_err(|e| with_origin(e, &gosumdb))?
    {
        SumDb::On { key, url } => (key, url),
        SumDb::Off => {
            return Err(Error::invalid(format!(
                "cannot install a toolchain from the module proxy: checksum database disabled by GOSUMDB=off ({})",
                gosumdb.1
            ))
            .with_advice(
                "toolchains are always verified, as go verifies them; unset GOSUMDB or set it to \
                 sum.golang.org (or sum.golang.google.cn), or install from release archives (--source release)",
            ));
        }
    };
    Ok(ProxySettings {
        proxies,
        goproxy,
        verifier,
        sumdb_url,
        gosumdb,
        notes,
    })
}

fn with_origin(e: Error, (_, from): &(String, String)) -> Error {
    let advice = e.advice().map(str::to_string);
    let out = Error::new(e.kind(), format!("{} (set in {from})", e.message()));
    match advice {
        Some(a) => out.with_advice(a),
        None => out,
    }
}

/// How one GET from a proxy ended.
pub(crate) enum Got<T> {
    Found(T),
    /// 404/410 (or a missing file): the next `,` entry is asked.
    NotFound(Failure),
    Failed(Failure),
}

/// A failure from `url`, its sentence prefixed with the URL.
fn failed_at(url: &str, f: Failure) -> Failure {
    let why = format!("{url}: {}", f.why);
    Failure { why, ..f }
}

fn check_base(url: &str) -> Result<()> {
    http::check_verified_url(
        url,
        "module proxy or checksum database URL (GOPROXY, GOSUMDB)",
    )
    .map(|_| ())
}

/// The HTTP client and retry policy the proxy code uses: the app's for
/// installs; a short-timeout one without retries for doctor's probes.
pub struct Http {
    pub client: reqwest::blocking::Client,
    pub policy: RetryPolicy,
}

impl Http {
    pub fn for_app(app: &App) -> Result<Http> {
        Ok(Http {
            client: app.client()?,
            policy: RetryPolicy::from_env(),
        })
    }

    /// One attempt per request, each bounded by `timeout`.
    pub fn probe(timeout: std::time::Duration) -> Result<Http> {
        let client = http::with_env_proxies(reqwest::blocking::Client::builder())
            .user_agent(http::user_agent())
            .connect_timeout(timeout)
            .timeout(timeout)
            // The same https policy on every redirect hop as installs.
            .redirect(http::redirect_policy())
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Network, "cannot set up the HTTP client").with_source(e)
            })?;
        Ok(Http {
            client,
            policy: RetryPolicy {
                retries: 0,
                backoff: std::time::Duration::ZERO,
                deadline: timeout,
            },
        })
    }
}

/// GET `url` and read it whole (bounded), over http(s) or file.
pub(crate) fn get_small(net: &Http, url: &str) -> Result<Got<Vec<u8>>> {
    if let Some(path) = http::file_url_path(url) {
        return Ok(match std::fs::read(&path) {
            Ok(b) if b.len() as u64 <= MAX_SMALL_BODY => Got::Found(b),
            Ok(_) => Got::Failed(Failure::other(format!(
                "{url}: larger than {MAX_SMALL_BODY} bytes"
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Got::NotFound(Failure::other(format!("{url}: no such file")))
            }
            Err(e) => Got::Failed(Failure::other(format!("{url}: {e}"))),
        });
    }
    check_base(url)?;
    match http::get_or_failure(&net.client, url, &HeaderMap::new(), &net.policy) {
        Ok(resp) => match http::read_capped(resp, MAX_SMALL_BODY, "the answer") {
            Ok(body) => Ok(Got::Found(body)),
            Err(why) => Ok(Got::Failed(Failure::other(format!("{url}: {why}")))),
        },
        Err(f) if f.is_not_found() => Ok(Got::NotFound(failed_at(url, f))),
        Err(f) => Ok(Got::Failed(failed_at(url, f))),
    }
}

fn base_of(entry: &ProxyEntry) -> Option<(String, bool)> {
    match entry {
        ProxyEntry::Url { url, any_error } => Some((url.clone(), *any_error)),
        ProxyEntry::Direct => Some((DIRECT_BASE.to_string(), false)),
        ProxyEntry::Off => None,
    }
}

/// Tries `f` on each GOPROXY entry as cmd/go's tryProxies does.
fn try_proxies<T>(
    ps: &ProxySettings,
    what: &str,
    mut f: impl FnMut(&str) -> Result<Got<T>>,
) -> Result<(T, String)> {
    let mut tried: Vec<Failure> = Vec::new();
    let mut all_not_found = true;
    for entry in &ps.proxies {
        let Some((base, any_error)) = base_of(entry) else {
            if tried.is_empty() {
                return Err(Error::invalid(format!(
                    "cannot fetch {what}: module downloads are disabled by GOPROXY=off ({})",
                    ps.goproxy.1
                ))
                .with_advice("set GOPROXY to a reachable module proxy (`gov proxy use cn`, `gov proxy use official`), or use --source release"));
            }
            tried.push(Failure::other("off: module downloads disabled".to_string()));
            break;
        };
        match f(&base)? {
            Got::Found(t) => return Ok((t, base)),
            Got::NotFound(f) => tried.push(f),
            Got::Failed(f) => {
                all_not_found = false;
                tried.push(f);
                if !any_error {
                    break;
                }
            }
        }
    }
    let list = tried
        .iter()
        .map(|f| f.why.as_str())
        .collect::<Vec<_>>()
        .join("\n    ");
    if all_not_found {
        Err(Error::new(
            ErrorKind::NotFound,
            format!("no module proxy has {what}:\n    {list}"),
        )
        .with_advice(format!(
            "check the version (`gov list-remote --source proxy`); GOPROXY={} ({})",
            ps.goproxy.0, ps.goproxy.1
        )))
    } else {
        Err(Error::new(
            ErrorKind::Network,
            format!("could not fetch {what} from the module proxy:\n    {list}"),
        )
        .with_advice(format!(
            "{}; GOPROXY={} ({}); `gov doctor` checks each endpoint",
            http::advice_for_failures(&tried),
            ps.goproxy.0,
            ps.goproxy.1
        )))
    }
}

/// Toolchain versions for `arch` the proxy lists, in Go's version order
/// (`@v/list` is in no particular order).
pub fn list_versions(app: &App, arch: &str) -> Result<Vec<GoVersion>> {
    let ps = resolve_settings(app)?;
    list_versions_with(&Http::for_app(app)?, &ps, arch).map(|(v, _)| v)
}

/// The same with given settings and client; also returns the proxy that
/// answered.
pub fn list_versions_with(
    net: &Http,
    ps: &ProxySettings,
    arch: &str,
) -> Result<(Vec<GoVersion>, String)> {
    let (body, base) = try_proxies(ps, &format!("{TOOLCHAIN_MODULE}/@v/list"), |base| {
        get_small(net, &format!("{base}/{TOOLCHAIN_MODULE}/@v/list"))
    })?;
    let text = String::from_utf8_lossy(&body);
    let mut out: Vec<GoVersion> = text
        .lines()
        .filter_map(|l| parse_module_version(l, arch))
        .collect();
    out.sort();
    out.dedup();
    Ok((out, base))
}

/// Where the checksum database is reached: GOSUMDB's URL; else the first
/// proxy (before `direct`/`off`) answering 200 for `/sumdb/<name>/supported`;
/// 404/410 asks the next; no proxy left means `https://<name>` directly.
pub fn sumdb_base(net: &Http, ps: &ProxySettings) -> Result<String> {
    if let Some(u) = &ps.sumdb_url {
        return Ok(u.trim_end_matches('/').to_string());
    }
    let name = ps.verifier.name();
    for entry in &ps.proxies {
        let ProxyEntry::Url { url, .. } = entry else {
            break;
        };
        match get_small(net, &format!("{url}/sumdb/{name}/supported"))? {
            Got::Found(_) => return Ok(format!("{url}/sumdb/{name}")),
            Got::NotFound(_) => continue,
            Got::Failed(f) => {
                return Err(Error::new(
                    ErrorKind::Network,
                    format!("cannot ask the module proxy whether it serves the checksum database {name}: {}", f.why),
                )
                .with_advice(format!(
                    "{}; or name the database's URL: GOSUMDB=\"{name} <url>\"",
                    f.advice()
                )));
            }
        }
    }
    Ok(format!("https://{name}"))
}

/// The checksum database over HTTP: 404/410 is "missing" to the client.
pub struct HttpFetch<'a> {
    pub net: &'a Http,
    pub base: String,
}

impl Fetch for HttpFetch<'_> {
    fn get(&self, path: &str) -> std::result::Result<Vec<u8>, TrustError> {
        let url = format!("{}/{path}", self.base);
        match get_small(self.net, &url) {
            Ok(Got::Found(b)) => Ok(b),
            Ok(Got::NotFound(f)) => Err(TrustError::missing(f.why)),
            Ok(Got::Failed(f)) => Err(TrustError::io(f.why)),
            Err(e) => Err(TrustError::io(e.message().to_string())),
        }
    }
}

/// Looks the toolchain up in the checksum database.
pub fn lookup(app: &App, ps: &ProxySettings, modver: &str) -> Result<(Lookup, String)> {
    let net = Http::for_app(app)?;
    let base = sumdb_base(&net, ps)?;
    let fetch = HttpFetch {
        net: &net,
        base: base.clone(),
    };
    let store = DiskStore::new(&app.layout, ps.verifier.name());
    let client = Client::with_verifier(ps.verifier.clone(), &fetch, &store, &store);
    let found = client.lookup(TOOLCHAIN_MODULE, modver).map_err(|e| {
        let unreachable = e.kind() == crate::trust::error::ErrorKind::Io;
        let err: Error = e.into();
        if unreachable {
            let advice = format!(
                "the checksum database at {base} ({} {}) is unreachable; {}",
                ps.gosumdb.0,
                ps.gosumdb.1,
                "set GOSUMDB=sum.golang.google.cn where sum.golang.org is blocked, or a proxy that serves /sumdb/"
            );
            err.with_advice(advice)
        } else {
            err
        }
    })?;
    Ok((found, base))
}

/// Writes checked zip entries into the staging tree: regular files only,
/// created new (never through an existing name), exec bits restored for
/// `bin/` and `pkg/tool/` (modes in toolchain zips are unreliable) and
/// kept where the zip has them, never setuid or group/world-writable.
struct StageSink<'a> {
    root: &'a Path,
    buf: Vec<u8>,
    go_mods: Vec<String>,
    /// Makes each file durable as it is written (see `fsutil::TreeSync`).
    sync: &'a crate::core::fsutil::TreeSync,
    /// Folders this worker made already (no second mkdir for each file).
    dirs: std::collections::HashSet<PathBuf>,
}

impl UnpackSink for StageSink<'_> {
    fn file(
        &mut self,
        path: &str,
        zip_mode: Option<u32>,
        content: &mut dyn Read,
    ) -> std::result::Result<(), TrustError> {
        let exec = path.starts_with("bin/")
            || path.starts_with("pkg/tool/")
            || zip_mode.is_some_and(|m| m & 0o111 != 0);
        let out = self.root.join(path);
        let io = |what: &str, e: std::io::Error| {
            TrustError::io(format!("{what} {}: {e}", out.display()))
        };
        // Exact modes, never the umask's (see core::perms); folders another
        // worker is creating at the same moment are fine.
        let mode_err = |e: crate::core::error::Error| TrustError::io(e.to_string());
        if let Some(dir) = out.parent()
            && !self.dirs.contains(dir)
        {
            perms::create_dir_all(dir, perms::DIR).map_err(mode_err)?;
            let inside = dir.ancestors().take_while(|d| d.starts_with(self.root));
            self.dirs.extend(inside.map(Path::to_path_buf));
        }
        let mut f = perms::create_file(&out, if exec { perms::EXEC } else { perms::FILE })
            .map_err(mode_err)?;
        loop {
            let n = match content.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // The zip reader's own error (CRC, size) keeps its kind.
                Err(e) => return Err(TrustError::malformed(e.to_string())),
            };
            f.write_all(&self.buf[..n]).map_err(|e| io("writing", e))?;
        }
        self.sync.file(f).map_err(|e| io("syncing", e))?;
        if path.rsplit('/').next() == Some("_go.mod") {
            self.go_mods.push(path.to_string());
        }
        Ok(())
    }
}

/// distpack renamed every nested go.mod `_go.mod` so the zip is one
/// module; cmd/go copies them back, and so does gov.
fn restore_go_mods(
    root: &Path,
    go_mods: &[String],
    sync: &crate::core::fsutil::TreeSync,
) -> Result<()> {
    for rel in go_mods {
        let from = root.join(rel);
        let to = from.with_file_name("go.mod");
        std::fs::copy(&from, &to).context(|| format!("copying {} to go.mod", from.display()))?;
        sync.file(File::open(&to).context(|| format!("opening {}", to.display()))?)
            .context(|| format!("syncing {}", to.display()))?;
    }
    Ok(())
}

/// Streams the zip into a staging file of at most MAX_ZIP_SIZE bytes.
fn download_zip(
    app: &App,
    ps: &ProxySettings,
    modver: &str,
    dest: &Path,
    label: &str,
) -> Result<(u64, String)> {
    let what = format!("{TOOLCHAIN_MODULE}@{modver}");
    let (n, url) = try_proxies(ps, &what, |base| {
        let url = format!("{base}/{TOOLCHAIN_MODULE}/@v/{modver}.zip");
        if let Some(path) = http::file_url_path(&url) {
            let src = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(Got::NotFound(Failure::other(format!(
                        "{url}: no such file"
                    ))));
                }
                Err(e) => return Ok(Got::Failed(Failure::other(format!("{url}: {e}")))),
            };
            let size = src.metadata().ok().map(|m| m.len());
            return copy_bounded(app, Box::new(src), size, dest, &url, label).map(Got::Found);
        }
        check_base(&url)?;
        if http::is_plain_remote(&url) {
            app.ui.status(&format!(
                "{} over plain http: allowed, since the checksum database verifies the zip before anything is installed",
                crate::core::quote::redact_credentials(&url)
            ));
        }
        let client = app.client()?;
        let policy = RetryPolicy::from_env();
        match MirroredBody::open_one(&client, &url, policy) {
            Ok(body) => {
                let size = body.content_length();
                copy_bounded(app, Box::new(body), size, dest, &url, label).map(Got::Found)
            }
            Err(f) if f.is_not_found() => Ok(Got::NotFound(failed_at(&url, f))),
            Err(f) => Ok(Got::Failed(failed_at(&url, f))),
        }
    })?;
    Ok((n, format!("{url}/{TOOLCHAIN_MODULE}/@v/{modver}.zip")))
}

fn copy_bounded(
    app: &App,
    mut src: Box<dyn Read + Send>,
    size: Option<u64>,
    dest: &Path,
    url: &str,
    label: &str,
) -> Result<u64> {
    let too_big = || {
        Error::new(
            ErrorKind::BadArchive,
            format!("{url} is larger than a module zip may be ({MAX_ZIP_SIZE} bytes)"),
        )
        .with_advice("this is not a Go toolchain module; nothing was installed")
    };
    if size.is_some_and(|s| s > MAX_ZIP_SIZE) {
        return Err(too_big());
    }
    // Only this account may touch the bytes before they are checked.
    let mut out = perms::create_file(dest, perms::PRIVATE_FILE)?;
    let bar = app.ui.progress(size, label);
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    let result = loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                break Err(Error::new(
                    ErrorKind::Network,
                    format!("downloading {url} failed after {total} bytes"),
                )
                .with_source(e));
            }
        };
        total += n as u64;
        if total > MAX_ZIP_SIZE {
            break Err(too_big());
        }
        if let Err(e) = out.write_all(&buf[..n]) {
            break Err(e).context(|| format!("writing {}", dest.display()));
        }
        bar.advance(n as u64);
    };
    bar.finish();
    result
}

/// An exact version as it is; a range or `latest` from the proxy's list.
fn resolve_request(app: &App, req: &VersionRequest, arch: &str) -> Result<GoVersion> {
    Ok(match req {
        VersionRequest::Exact(v) => v.clone(),
        _ => {
            let listed = list_versions(app, arch)?;
            let v = req.pick(&listed).cloned().ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "the module proxy lists no Go {req} toolchain for linux-{}",
                        goarch(arch)
                    ),
                )
                .with_advice("see `gov list-remote --source proxy`")
            })?;
            app.ui
                .status(&format!("resolved {req} to {v} (module proxy)"));
            v
        }
    })
}

/// What [`install`] would do, writing nothing: the settings are resolved
/// (so GOSUMDB=off is refused here too) and a range like `1.22` is resolved
/// against the proxy's `@v/list`; an exact version is not looked up, as
/// the install itself does not list first.
pub fn preview(app: &App, req: &VersionRequest, arch: &str, force: bool) -> Result<Report> {
    let started = Instant::now();
    let ps = resolve_settings(app)?;
    for n in &ps.notes {
        app.ui.status(n);
    }
    let version = resolve_request(app, req, arch)?;
    let exists = installed::is_installed(&app.layout, version.as_str());
    Ok(Report {
        goroot: app.layout.version_dir(version.as_str()),
        action: Action::planned(exists, force),
        version,
        downloaded: 0,
        from_cache: false,
        verified: true,
        verification: format!(
            "h1 to be verified by checksum database {}",
            ps.verifier.name()
        ),
        proofs: vec![crate::install::Proof::Log],
        elapsed: started.elapsed(),
        in_system_layer: false,
    })
}

/// Installs a toolchain from the module proxy.
pub fn install(app: &App, req: &VersionRequest, arch: &str, force: bool) -> Result<Report> {
    let started = Instant::now();
    let ps = resolve_settings(app)?;
    for n in &ps.notes {
        app.ui.status(n);
    }
    let version = resolve_request(app, req, arch)?;
    let modver = module_version(&version, arch);
    let label = version.go_name();
    let mut db_name = String::new();
    let (action, staged) = publish_with(app, &version, arch, force, &mut |stage| {
        let t = Instant::now();
        let (found, base) = lookup(app, &ps, &modver)?;
        app.ui.trace("checksum database lookup", t.elapsed());
        db_name = format!("{} ({base})", ps.verifier.name());
        let zip_path = app
            .layout
            .tmp_dir()
            .join(installed::tmp_name(version.as_str(), "download"));
        let result = (|| -> Result<u64> {
            let t = Instant::now();
            let (downloaded, url) = download_zip(app, &ps, &modver, &zip_path, &label)?;
            app.ui.trace("download", t.elapsed());
            check_and_unpack(app, &ps, &modver, &zip_path, &url, stage, &found.zip_hash)?;
            Ok(downloaded)
        })();
        let _ = std::fs::remove_file(&zip_path);
        let downloaded = result?;
        Ok(Staged {
            downloaded,
            from_cache: false,
            keep: None,
            // The h1 is the log's, by construction.
            proofs: vec![crate::install::Proof::Log],
            missing: vec![
                (
                    crate::install::Proof::Sha256,
                    "a toolchain from the module proxy has no release-index checksum".to_string(),
                ),
                (
                    crate::install::Proof::Signature,
                    "toolchain module zips are not signed".to_string(),
                ),
            ],
            log_h1: None,
            digests: None,
        })
    })?;
    Ok(Report {
        goroot: app.layout.version_dir(version.as_str()),
        version,
        action: action.clone(),
        downloaded: staged.as_ref().map_or(0, |s| s.downloaded),
        from_cache: false,
        verified: action != Action::AlreadyInstalled,
        verification: format!("h1 verified by checksum database {db_name}"),
        proofs: staged.map(|s| s.proofs).unwrap_or_default(),
        elapsed: started.elapsed(),
        in_system_layer: false,
    })
}

/// Checks the module zip (names, sizes, the `h1:` the checksum database
/// records) while unpacking it into `stage`, then puts the `go.mod` files
/// back.
fn check_and_unpack(
    app: &App,
    ps: &ProxySettings,
    modver: &str,
    zip_path: &Path,
    url: &str,
    stage: &Path,
    want_h1: &str,
) -> Result<()> {
    let t = Instant::now();
    crate::core::fsutil::remove_tree(stage)?;
    perms::make_dir(stage, perms::DIR)?;
    // Entries are independent: inflate, hash and write them on
    // every core, each worker with its own handle of the zip. Its
    // reads are positioned, and the inflater buffers on its own (a
    // BufReader would refill on every seek).
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
    let sync = crate::core::fsutil::TreeSync::new(stage);
    let mut sinks: Vec<StageSink> = (0..workers)
        .map(|_| StageSink {
            root: stage,
            buf: vec![0u8; 256 * 1024],
            go_mods: Vec::new(),
            sync: &sync,
            dirs: std::collections::HashSet::new(),
        })
        .collect();
    let open = || File::open(zip_path);
    let checked = zipcheck::check_and_unpack_parallel(&open, TOOLCHAIN_MODULE, modver, &mut sinks)
        .map_err(|e| Error::from(e.context(format!("module zip from {url}"))))?;
    app.ui.trace("check and unpack", t.elapsed());
    if checked.h1 != want_h1 {
        return Err(Error::new(
            ErrorKind::Checksum,
            format!(
                "checksum mismatch for {TOOLCHAIN_MODULE}@{modver} from {url}: the checksum database {} records {}, the zip hashes to {}",
                ps.verifier.name(),
                want_h1,
                checked.h1
            ),
        )
        .with_advice(
            "nothing was installed and the bytes were discarded; the proxy serves a zip the \
             checksum database does not vouch for (tampered or corrupt): use another GOPROXY",
        ));
    }
    let go_mods: Vec<String> = sinks.into_iter().flat_map(|s| s.go_mods).collect();
    restore_go_mods(stage, &go_mods, &sync)?;
    sync.finish(stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_versions() {
        let v = GoVersion::parse("1.22.5").unwrap_or_else(|| panic!());
        assert_eq!(module_version(&v, "amd64"), "v0.0.1-go1.22.5.linux-amd64");
        assert_eq!(module_version(&v, "armv6l"), "v0.0.1-go1.22.5.linux-arm");
        assert_eq!(
            parse_module_version("v0.0.1-go1.21rc2.linux-arm", "armv6l").map(|v| v.to_string()),
            Some("1.21rc2".into())
        );
        assert!(parse_module_version("v0.0.1-go1.22.5.linux-arm64", "amd64").is_none());
        assert!(parse_module_version("v0.0.1-go1.22.5.darwin-amd64", "amd64").is_none());
        assert!(parse_module_version("garbage", "amd64").is_none());
    }

    #[test]
    fn goproxy_lists() {
        let l =
            parse_goproxy("https://a.example|b.example,direct,https://never").unwrap_or_default();
        assert_eq!(
            l,
            vec![
                ProxyEntry::Url {
                    url: "https://a.example".into(),
                    any_error: true
                },
                ProxyEntry::Url {
                    url: "https://b.example".into(),
                    any_error: false
                },
                ProxyEntry::Direct,
            ]
        );
        assert_eq!(
            parse_goproxy("off").unwrap_or_default(),
            vec![ProxyEntry::Off]
        );
        assert!(parse_goproxy("ftp://x.example").is_err());
    }

    #[test]
    fn prefix_patterns() {
        assert!(matches_prefix_patterns("golang.org", TOOLCHAIN_MODULE));
        assert!(matches_prefix_patterns(
            "corp.example,golang.org/*",
            TOOLCHAIN_MODULE
        ));
        assert!(matches_prefix_patterns("*.org", TOOLCHAIN_MODULE));
        assert!(matches_prefix_patterns(
            "golang.[a-o]rg/tool*",
            TOOLCHAIN_MODULE
        ));
        assert!(!matches_prefix_patterns("golang.org/x", TOOLCHAIN_MODULE));
        assert!(!matches_prefix_patterns("github.com/*", TOOLCHAIN_MODULE));
        assert!(!matches_prefix_patterns(
            "golang.org/toolchain/more",
            TOOLCHAIN_MODULE
        ));
        assert!(!matches_prefix_patterns("", TOOLCHAIN_MODULE));
        assert!(!matches_prefix_patterns("[^g]olang.org", TOOLCHAIN_MODULE));
    }
}
