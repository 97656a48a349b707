//! The module proxy failure chain, stage by stage, for every GOPROXY entry
//! and the checksum database: DNS, TCP, TLS, HTTP (a real GOPROXY-protocol
//! request), and the signed tree head of GOSUMDB. Each stage has a timeout;
//! endpoints are checked concurrently, so even a black-holed network ends
//! the whole run in well under 30 s.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;

use super::{Check, Section, Status};
use crate::install::proxy::ProxyEntry;
use crate::net::error::{NetKind, TlsProblem};
use crate::settings::proxy::{self, SumDb};
use crate::trust::error::ErrorKind as TrustKind;
use crate::trust::note;

const NET: Section = Section::Network;

/// The module path probed on each proxy: public, small, always present.
pub const PROBE_MODULE: &str = "golang.org/x/text";

pub fn stage_timeout() -> Duration {
    let secs = crate::core::config::get("GOV_DOCTOR_TIMEOUT")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(crate::core::registry::number_default("GOV_DOCTOR_TIMEOUT") as f64);
    Duration::from_secs_f64(secs)
}

/// What to probe.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A GOPROXY URL.
    Proxy { url: String },
    /// A checksum database, at `url`, verified with `key`.
    SumDb {
        name: String,
        url: String,
        key: note::Verifier,
        /// GOSUMDB named no URL: reached through GOPROXY's `/sumdb/<name>/`
        /// when an entry serves it, else directly.
        via_proxy: bool,
    },
}

impl Endpoint {
    pub fn label(&self) -> String {
        match self {
            Endpoint::Proxy { url } => format!("GOPROXY {url}"),
            Endpoint::SumDb { name, url, .. } => format!("GOSUMDB {name} at {url}"),
        }
    }
    fn url(&self) -> &str {
        match self {
            Endpoint::Proxy { url } | Endpoint::SumDb { url, .. } => url,
        }
    }
}

/// One stage's outcome.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: &'static str,
    pub status: Status,
    pub finding: String,
    pub advice: Option<String>,
    pub ms: Option<u64>,
    /// The HTTP status an `http` stage was answered with, when it failed
    /// on one (advice that fits it can be given elsewhere).
    pub http_status: Option<u16>,
}

pub(super) fn ok(name: &'static str, finding: impl Into<String>, since: Instant) -> Stage {
    Stage {
        name,
        status: Status::Ok,
        finding: finding.into(),
        advice: None,
        ms: Some(since.elapsed().as_millis() as u64),
        http_status: None,
    }
}

pub(super) fn fail(
    name: &'static str,
    finding: impl Into<String>,
    advice: impl Into<String>,
    since: Option<Instant>,
) -> Stage {
    Stage {
        name,
        status: Status::Problem,
        finding: finding.into(),
        advice: Some(advice.into()),
        ms: since.map(|s| s.elapsed().as_millis() as u64),
        http_status: None,
    }
}

/// The proxy gov's HTTP stack would use for `url` (the environment, then
/// the layer profiles).
pub fn env_proxy_for(url: &url::Url) -> Option<url::Url> {
    if crate::net::http::is_loopback(url) {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let env = crate::core::env::Env::process();
    let get = |names: &[&str]| crate::net::http::proxy_variable(&env, names);
    if let Some(no) = get(&["NO_PROXY", "no_proxy"]) {
        for pat in no.split(',').map(|p| p.trim().to_ascii_lowercase()) {
            if pat.is_empty() {
                continue;
            }
            let bare = pat.trim_start_matches('.');
            if pat == "*" || host == bare || host.ends_with(&format!(".{bare}")) {
                return None;
            }
        }
    }
    let raw = if url.scheme() == "https" {
        get(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
    } else {
        get(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
    }?;
    let with_scheme = if raw.contains("://") {
        raw
    } else {
        format!("http://{raw}")
    };
    url::Url::parse(&with_scheme).ok()
}

/// Resolves through the system's resolver as configured by nsswitch.conf
/// (`getent ahosts`, what an admin would type), so a statically linked gov
/// sees exactly what every other program on the host sees; the C library's
/// resolver in-process is the fallback where getent is missing.
fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match getent(host, port, timeout) {
        Some(r) => r,
        None => resolve_in_process(host, port, timeout),
    }
}

fn getent(host: &str, port: u16, timeout: Duration) -> Option<Result<Vec<SocketAddr>, String>> {
    let mut child = std::process::Command::new("getent")
        .args(["ahosts", host])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Some(Err(format!("no answer within {} s", timeout.as_secs_f64())));
            }
        }
    };
    let mut out = String::new();
    if let Some(mut so) = child.stdout.take() {
        let _ = so.read_to_string(&mut out);
    }
    if !status.success() {
        return Some(Err(
            "the resolver found no address (getent ahosts: not found)".into(),
        ));
    }
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for line in out.lines() {
        if let Some(ip) = line
            .split_whitespace()
            .next()
            .and_then(|a| a.parse::<std::net::IpAddr>().ok())
        {
            let a = SocketAddr::new(ip, port);
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
    }
    Some(if addrs.is_empty() {
        Err("no addresses".into())
    } else {
        Ok(addrs)
    })
}

fn resolve_in_process(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, String> {
    let (tx, rx) = mpsc::channel();
    let target = format!("{host}:{port}");
    std::thread::spawn(move || {
        let _ = tx.send(target.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err("no addresses".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", timeout.as_secs_f64())),
    }
}

/// Why no address took the connection, and whether the last one refused
/// it (something answered: wrong port or a stopped service) rather than
/// dropping it.
struct NoConnection {
    why: String,
    refused: bool,
}

fn connect(
    addrs: &[SocketAddr],
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr), NoConnection> {
    let mut last = NoConnection {
        why: String::from("no address to try"),
        refused: false,
    };
    for a in addrs.iter().take(3) {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => return Ok((s, *a)),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                last = NoConnection {
                    why: format!(
                        "{a}: timed out after {} s (filtered or black-holed?)",
                        timeout.as_secs_f64()
                    ),
                    refused: false,
                }
            }
            Err(e) => {
                last = NoConnection {
                    why: format!("{a}: {e}"),
                    refused: e.kind() == std::io::ErrorKind::ConnectionRefused,
                }
            }
        }
    }
    Err(last)
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| rustls::ClientConfig::builder());
    Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
}

/// Why a certificate was refused, finer than [`TlsProblem`] where doctor
/// can say more: a certificate that is its own authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertProblem {
    Net(TlsProblem),
    /// A CA certificate presented as the server's own (a self-signed
    /// certificate made with CA:TRUE, as many quick recipes do).
    CaAsServer,
}

fn tls_advice(problem: CertProblem) -> &'static str {
    match problem {
        CertProblem::CaAsServer => {
            "the server presents a CA certificate as its own (self-signed with CA:TRUE): no client accepts that, whatever it trusts; have the server use a certificate issued by that CA (CA:FALSE, with its host name), then `gov trust add <ca.pem>` so gov and every go it runs trust the CA"
        }
        CertProblem::Net(TlsProblem::UnknownIssuer) => {
            "the certificate is not signed by a CA this machine trusts: a company CA (or a TLS-inspecting proxy) signs it; `gov trust add <ca.pem>` adds that CA for gov and every go it runs (or point SSL_CERT_FILE at a bundle of the system roots plus that CA)"
        }
        CertProblem::Net(TlsProblem::Expired) => {
            "the certificate has expired (or this machine's clock is wrong: check `date`, NTP)"
        }
        CertProblem::Net(TlsProblem::WrongName) => {
            "the certificate is for another host name: a captive portal or proxy answering in its place?"
        }
        CertProblem::Net(TlsProblem::Handshake) => {
            "the TLS handshake failed: a middlebox may be interfering; try from another network"
        }
    }
}

/// The kind of a refused certificate, read from rustls's (and webpki's)
/// typed errors.
fn certificate_problem(c: &rustls::CertificateError) -> CertProblem {
    use rustls::CertificateError as C;
    CertProblem::Net(match c {
        C::UnknownIssuer | C::BadSignature => TlsProblem::UnknownIssuer,
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            TlsProblem::Expired
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongName,
        C::Other(other)
            if matches!(
                other.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            return CertProblem::CaAsServer;
        }
        _ => TlsProblem::Handshake,
    })
}

fn tls_handshake(
    stream: TcpStream,
    host: &str,
    timeout: Duration,
) -> Result<String, (String, CertProblem)> {
    let handshake = CertProblem::Net(TlsProblem::Handshake);
    let other = |e: &dyn std::fmt::Display| (e.to_string(), handshake);
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| other(&e))?;
    let mut conn = rustls::ClientConnection::new(tls_config(), name).map_err(|e| other(&e))?;
    let mut sock = stream;
    let _ = sock.set_read_timeout(Some(timeout));
    let _ = sock.set_write_timeout(Some(timeout));
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            let failure = match e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                Some(rustls::Error::InvalidCertificate(c)) => {
                    let problem = certificate_problem(c);
                    let why = match problem {
                        CertProblem::CaAsServer => "invalid certificate: the server presents a CA certificate (CA:TRUE, self-signed) as its own".to_string(),
                        _ => format!("invalid certificate: {c:?}"),
                    };
                    (why, problem)
                }
                Some(other) => (other.to_string(), handshake),
                None if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    let why = format!("no handshake within {} s", timeout.as_secs_f64());
                    (why, handshake)
                }
                None => (e.to_string(), handshake),
            };
            return Err(failure);
        }
    }
    let version = conn
        .protocol_version()
        .map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1."))
        .unwrap_or_else(|| "TLS".into());
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    Ok(format!("{version}, certificate valid for {host}"))
}

/// Opens a CONNECT tunnel through an HTTP proxy.
fn connect_tunnel(
    mut sock: TcpStream,
    proxy: &url::Url,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, String> {
    let _ = sock.set_read_timeout(Some(timeout));
    let mut req = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if !proxy.username().is_empty() {
        let cred = format!("{}:{}", proxy.username(), proxy.password().unwrap_or(""));
        req.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(cred)
        ));
    }
    req.push_str("\r\n");
    sock.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && buf.len() < 8192 {
        match sock.read(&mut byte) {
            Ok(0) => return Err("the proxy closed the connection".into()),
            Ok(_) => buf.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status == "200" {
        Ok(sock)
    } else {
        Err(format!(
            "the proxy refused CONNECT: {}",
            head.lines().next().unwrap_or("").trim()
        ))
    }
}

pub(super) fn http_client(timeout: Duration) -> Result<reqwest::blocking::Client, String> {
    crate::net::http::with_env_proxies(reqwest::blocking::Client::builder())
        .user_agent(crate::net::http::user_agent())
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(crate::net::http::redirect_policy())
        .build()
        .map_err(|e| e.to_string())
}

/// Runs DNS, TCP and TLS for `u`; returns the stages, and whether the
/// chain may continue to HTTP.
pub(super) fn transport_stages(u: &url::Url, timeout: Duration) -> (Vec<Stage>, bool) {
    let mut stages = Vec::new();
    let host = u.host_str().unwrap_or("").to_string();
    let port = u.port_or_known_default().unwrap_or(443);
    let via = env_proxy_for(u);
    let (dial_host, dial_port) = match &via {
        Some(p) => (
            p.host_str().unwrap_or("").to_string(),
            p.port_or_known_default().unwrap_or(8080),
        ),
        None => (host.clone(), port),
    };
    let through = via
        .as_ref()
        .map(|p| {
            format!(
                " (via proxy {}, from HTTPS_PROXY/HTTP_PROXY)",
                p.host_str().unwrap_or("")
            )
        })
        .unwrap_or_default();

    let t = Instant::now();
    let addrs = match resolve(&dial_host, dial_port, timeout) {
        Ok(a) => {
            let shown: Vec<String> = a.iter().take(4).map(|x| x.ip().to_string()).collect();
            stages.push(ok(
                "dns",
                format!("{dial_host}: {}{through}", shown.join(", ")),
                t,
            ));
            a
        }
        Err(e) => {
            stages.push(fail(
                "dns",
                format!("{dial_host} does not resolve: {e}{through}"),
                "check /etc/resolv.conf and the host name; inside firewalls public names may need HTTPS_PROXY",
                Some(t),
            ));
            return (stages, false);
        }
    };
    let t = Instant::now();
    let (sock, addr) = match connect(&addrs, timeout) {
        Ok(s) => s,
        Err(e) => {
            let advice = if e.refused {
                "nothing listens there: wrong port, or the service is down"
            } else {
                "a firewall drops the traffic: ask for egress to this host, or use a proxy reachable from here (`gov proxy check`)"
            };
            let finding = format!("cannot connect: {}", e.why);
            stages.push(fail("tcp", finding, advice, Some(t)));
            return (stages, false);
        }
    };
    stages.push(ok("tcp", format!("connected to {addr}"), t));
    if u.scheme() != "https" {
        return (stages, true);
    }
    let t = Instant::now();
    let sock = match &via {
        Some(p) => match connect_tunnel(sock, p, &host, port, timeout) {
            Ok(s) => s,
            Err(e) => {
                stages.push(fail(
                    "tls",
                    e,
                    "check the proxy's address and credentials (user:password@ in HTTPS_PROXY)",
                    Some(t),
                ));
                return (stages, false);
            }
        },
        None => sock,
    };
    match tls_handshake(sock, &host, timeout) {
        Ok(found) => stages.push(ok("tls", found, t)),
        Err((why, problem)) => {
            stages.push(fail("tls", why, tls_advice(problem), Some(t)));
            return (stages, false);
        }
    }
    (stages, true)
}

fn http_status_advice(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "the server wants credentials: add them to ~/.netrc (machine <host> login <user> password <token>), which Go and gov both read"
        }
        404 | 410 => {
            "reachable, but it does not serve this module: with `,` Go falls through to the next GOPROXY entry"
        }
        429 => "rate limited: retry later, or use another proxy",
        _ if status >= 500 => {
            "the server fails: try later, or list a fallback after `|` in GOPROXY"
        }
        _ => "unexpected answer: is this URL a GOPROXY at all?",
    }
}

/// What to do about a request that got no answer, by the failure's kind:
/// doctor has already seen DNS, TCP and TLS pass, so a connection cut
/// mid-request is something on the path, not a missing proxy setting.
fn request_advice(e: &reqwest::Error, target: &str) -> &'static str {
    match crate::net::error::classify(e) {
        NetKind::Reset => {
            "the connection was cut mid-request after it was set up: something on the path (a firewall, an intrusion filter, a load balancer) or the server drops it; try again, compare from another network, or ask whoever runs that path; a proxy setting is not the cause"
        }
        NetKind::Timeout => {
            "connected, but no answer in time: the server (or a proxy in between) hangs; raise GOV_DOCTOR_TIMEOUT to wait longer, or use another proxy (`gov proxy check`)"
        }
        _ => crate::net::http::advice_for_error(e, target),
    }
}

/// The whole chain for one endpoint.
pub fn probe(ep: &Endpoint, timeout: Duration) -> Vec<Stage> {
    let raw = ep.url().to_string();
    let Ok(u) = url::Url::parse(&raw) else {
        return vec![fail(
            "url",
            format!("`{raw}` is not a URL"),
            "fix GOPROXY/GOSUMDB (`gov proxy set`)",
            None,
        )];
    };
    if u.scheme() == "file" {
        let t = Instant::now();
        let path = u.to_file_path().unwrap_or_default();
        return vec![if path.is_dir() {
            ok(
                "file",
                format!("{} is a readable directory", path.display()),
                t,
            )
        } else {
            fail(
                "file",
                format!("{} is not a directory", path.display()),
                "fix the file:// entry in GOPROXY",
                Some(t),
            )
        }];
    }
    let (mut stages, go_on) = transport_stages(&u, timeout);
    if go_on {
        stages.extend(http_stages(ep, &raw, timeout));
    }
    stages
}

/// The GOPROXY-protocol request (`@v/list` of a small module) or the
/// checksum database's `/latest`, and what its answer shows.
fn http_stages(ep: &Endpoint, raw: &str, timeout: Duration) -> Vec<Stage> {
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => return vec![fail("http", e, "internal error setting up HTTP", None)],
    };
    let mut stages = Vec::new();
    let base = raw.trim_end_matches('/');
    let target = match ep {
        Endpoint::Proxy { .. } => format!("{base}/{PROBE_MODULE}/@v/list"),
        Endpoint::SumDb { .. } => format!("{base}/latest"),
    };
    let t = Instant::now();
    let mut req = client.get(&target);
    if let Some(c) = crate::net::http::netrc_for(&target) {
        req = req.basic_auth(c.login, Some(c.password));
    }
    let resp = match req.send() {
        Ok(r) => r,
        Err(e) => {
            let why = crate::net::http::describe(&e);
            stages.push(fail(
                "http",
                format!("GET {target}: {why}"),
                request_advice(&e, &target),
                Some(t),
            ));
            return stages;
        }
    };
    let status = resp.status().as_u16();
    let final_url = resp.url().to_string();
    let redirected = if final_url != target {
        format!(", redirected to {final_url}")
    } else {
        String::new()
    };
    // A probe needs a version list or a tree head: cap what is read.
    let body = match crate::net::http::read_capped(resp, 1 << 20, "the answer") {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(why) => {
            stages.push(fail(
                "http",
                format!("GET {target}: {status}{redirected}, but {why}"),
                "this endpoint is not a module proxy or checksum database (or something in \
                 between replaces its answers); use another one",
                Some(t),
            ));
            return stages;
        }
    };
    let ms = t;
    match (ep, status) {
        (Endpoint::Proxy { .. }, 200) => {
            let n = body.lines().filter(|l| !l.trim().is_empty()).count();
            stages.push(ok(
                "http",
                format!("GET /{PROBE_MODULE}/@v/list: 200, {n} versions{redirected}"),
                ms,
            ));
        }
        (Endpoint::Proxy { .. }, 404 | 410) => stages.push(Stage {
            name: "http",
            status: Status::Warning,
            finding: format!("GET /{PROBE_MODULE}/@v/list: {status}{redirected}"),
            advice: Some(http_status_advice(status).into()),
            ms: Some(ms.elapsed().as_millis() as u64),
            http_status: Some(status),
        }),
        // A static snapshot behind a proxy serves only what cmd/go reads.
        (Endpoint::SumDb { via_proxy: true, name, .. }, 404 | 410)
            if base.ends_with(&format!("/sumdb/{name}")) =>
        {
            stages.push(ok(
                "http",
                format!(
                    "GET /latest: {status}{redirected}: the proxy serves only lookups and tiles, all cmd/go reads (their tree heads are verified as it reads them)"
                ),
                ms,
            ))
        }
        (Endpoint::SumDb { key, .. }, 200) => {
            stages.push(ok("http", format!("GET /latest: 200{redirected}"), ms));
            stages.push(tree_head_stage(&body, key));
        }
        (_, s) => stages.push(fail(
            "http",
            format!("GET {target}: HTTP {s}{redirected}"),
            http_status_advice(s),
            Some(ms),
        )),
    }
    stages
}

/// The endpoints the effective settings name.
pub fn endpoints(settings: &BTreeMap<String, (String, String)>) -> (Vec<Endpoint>, Vec<Check>) {
    let mut eps = Vec::new();
    let mut notes = Vec::new();
    let goproxy = settings
        .get("GOPROXY")
        .map(|v| v.0.clone())
        .unwrap_or_default();
    for entry in goproxy
        .split([',', '|'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if entry == "direct" || entry == "off" {
            let what = if entry == "direct" {
                "then `direct`: modules not found on the proxies are fetched from their version control hosts"
            } else {
                "then `off`: no further downloads"
            };
            notes.push(Check::new(
                NET,
                "goproxy.end",
                Status::Ok,
                format!("GOPROXY {what}"),
            ));
            break;
        }
        let url = if entry.contains("://") {
            entry.to_string()
        } else {
            format!("https://{entry}")
        };
        eps.push(Endpoint::Proxy { url });
    }
    let gosumdb = settings
        .get("GOSUMDB")
        .map(|v| v.0.clone())
        .unwrap_or_default();
    match proxy::parse_gosumdb(&gosumdb) {
        Ok(SumDb::Off) => notes.push(Check::new(
            NET,
            "gosumdb",
            Status::Skipped,
            "GOSUMDB=off: no checksum database to check",
        )),
        Ok(SumDb::On { key, url }) => eps.push(Endpoint::SumDb {
            name: key.name().to_string(),
            via_proxy: url.is_none(),
            url: url.unwrap_or_else(|| format!("https://{}", key.name())),
            key,
        }),
        Err(e) => notes.push(
            Check::new(NET, "gosumdb", Status::Problem, e.message().to_string())
                .advice(e.advice().unwrap_or("fix GOSUMDB").to_string()),
        ),
    }
    (eps, notes)
}

/// Probes endpoints concurrently; results in input order.
pub fn probe_all(eps: &[Endpoint], timeout: Duration) -> Vec<(Endpoint, Vec<Stage>)> {
    let handles: Vec<_> = eps
        .iter()
        .cloned()
        .map(|ep| {
            std::thread::spawn(move || {
                let stages = probe(&ep, timeout);
                (ep, stages)
            })
        })
        .collect();
    handles
        .into_iter()
        .zip(eps.iter().cloned())
        .map(|(h, ep)| {
            h.join().unwrap_or_else(|_| {
                (
                    ep,
                    vec![fail(
                        "probe",
                        "the check crashed",
                        "report this as a bug",
                        None,
                    )],
                )
            })
        })
        .collect()
}

pub fn checks(settings: &BTreeMap<String, (String, String)>, timeout: Duration) -> Vec<Check> {
    let (eps, notes) = endpoints(settings);
    let goproxy = settings.get("GOPROXY").map(|v| v.0.as_str()).unwrap_or("");
    let mut out = Vec::new();
    let mut probed = Vec::new();
    for ep in eps {
        match ep {
            Endpoint::SumDb {
                name,
                url: _,
                key,
                via_proxy: true,
            } => {
                // Found as cmd/go finds it; an unusable answer ends there.
                let (url, stage) = sumdb_route(&name, goproxy, timeout);
                let routed = Endpoint::SumDb {
                    name,
                    url: url.unwrap_or_default(),
                    key,
                    via_proxy: true,
                };
                let usable = stage.status == Status::Ok;
                out.push(stage_check(&routed, stage));
                if usable {
                    probed.push(routed);
                }
            }
            other => probed.push(other),
        }
    }
    let results = probe_all(&probed, timeout);
    let chain = chain_check(goproxy, &results);
    for (ep, stages) in results {
        out.extend(stages.into_iter().map(|s| stage_check(&ep, s)));
    }
    if let Some((chain, down)) = chain {
        // A failing proxy Go falls through (after `|`) costs time, not builds.
        for c in out.iter_mut() {
            if c.status == Status::Problem && down.iter().any(|d| c.target.as_deref() == Some(d)) {
                c.status = Status::Warning;
            }
        }
        out.push(chain);
    }
    out.extend(notes);
    out
}

/// How GOPROXY's chain behaves with the proxies as probed: Go moves past a
/// failing proxy only when `|` follows it (`,` falls through on 404/410
/// alone), so a `,` after a failing first proxy ends every download there.
/// Also returns the labels of failing proxies Go moves past.
fn chain_check(goproxy: &str, results: &[(Endpoint, Vec<Stage>)]) -> Option<(Check, Vec<String>)> {
    let entries = crate::install::proxy::parse_goproxy(goproxy).ok()?;
    let failed = |url: &str| {
        results.iter().any(|(ep, stages)| {
            matches!(ep, Endpoint::Proxy { url: u } if u == url)
                && stages.iter().any(|s| s.status == Status::Problem)
        })
    };
    let mut passed = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let ProxyEntry::Url { url, any_error } = entry else {
            break;
        };
        if !failed(url) {
            break;
        }
        let rest = entries.len() > i + 1;
        if !any_error && rest {
            let finding = format!(
                "Go stops at GOPROXY {url}: it fails, and the `,` after it falls through only on 404/410, so nothing after it is asked"
            );
            let advice = format!(
                "write `|` after it to fall through on any error (GOPROXY={}), or remove it",
                goproxy.replacen(&format!("{url},"), &format!("{url}|"), 1)
            );
            let c = Check::new(NET, "goproxy.chain", Status::Problem, finding).advice(advice);
            return Some((c, Vec::new()));
        }
        if !rest {
            return None;
        }
        passed.push(format!("GOPROXY {url}"));
    }
    // Only a working proxy further on makes the failures cost time alone.
    let working_later = entries
        .iter()
        .skip(passed.len())
        .any(|e| matches!(e, ProxyEntry::Url { url, .. } if !failed(url)));
    if passed.is_empty() || !working_later {
        return None;
    }
    let c = Check::new(
        NET,
        "goproxy.chain",
        Status::Warning,
        format!(
            "Go falls through {} (`|`) to the next GOPROXY entry: each download waits for it first",
            passed.join(", ")
        ),
    )
    .advice("remove the failing proxy from GOPROXY, or fix it");
    Some((c, passed))
}

fn stage_check(ep: &Endpoint, s: Stage) -> Check {
    let kind = match ep {
        Endpoint::Proxy { .. } => "goproxy",
        Endpoint::SumDb { .. } => "gosumdb",
    };
    Check {
        section: NET,
        id: format!("{kind}.{}", s.name),
        target: Some(ep.label()),
        stage: Some(s.name),
        status: s.status,
        finding: s.finding,
        advice: s.advice,
        ms: s.ms,
    }
}

/// How one GOPROXY entry answered `/sumdb/<name>/supported`.
enum Supported {
    Yes,
    /// 404/410 (or no such directory): ask the next entry.
    No(String),
    /// Anything else: the database is unavailable through this entry.
    Failed(String),
}

fn ask_supported(proxy: &str, name: &str, timeout: Duration) -> Supported {
    let target = format!("{}/sumdb/{name}/supported", proxy.trim_end_matches('/'));
    if let Ok(u) = url::Url::parse(&target)
        && u.scheme() == "file"
    {
        return match u.to_file_path() {
            Ok(p) if p.is_file() => Supported::Yes,
            _ => Supported::No(format!("{target}: no such file")),
        };
    }
    let client = match http_client(timeout) {
        Ok(c) => c,
        Err(e) => return Supported::Failed(e),
    };
    let mut req = client.get(&target);
    if let Some(c) = crate::net::http::netrc_for(&target) {
        req = req.basic_auth(c.login, Some(c.password));
    }
    match req.send() {
        Ok(r) if r.status().as_u16() == 200 => Supported::Yes,
        Ok(r) if matches!(r.status().as_u16(), 404 | 410) => {
            Supported::No(format!("{target}: {}", r.status().as_u16()))
        }
        Ok(r) => Supported::Failed(format!("GET {target}: HTTP {}", r.status().as_u16())),
        Err(e) => Supported::Failed(format!("GET {target}: {}", crate::net::http::describe(&e))),
    }
}

/// Where cmd/go reaches a checksum database GOSUMDB names without a URL
/// (modfetch's dbClient.initBase): the first GOPROXY entry before
/// `direct`/`off` that answers 200 for `/sumdb/<name>/supported`; 404/410,
/// or any error after a `|`, asks the next; any other answer makes the
/// database unavailable; no entry left means `https://<name>` directly.
/// Returns that URL (None when unavailable) and the `route` stage.
fn sumdb_route(name: &str, goproxy: &str, timeout: Duration) -> (Option<String>, Stage) {
    let t = Instant::now();
    let entries = crate::install::proxy::parse_goproxy(goproxy).unwrap_or_default();
    let mut asked = Vec::new();
    for entry in entries {
        let ProxyEntry::Url { url, any_error } = entry else {
            break;
        };
        match ask_supported(&url, name, timeout) {
            Supported::Yes => {
                let base = format!("{}/sumdb/{name}", url.trim_end_matches('/'));
                let finding = format!(
                    "served by GOPROXY {url} (/sumdb/{name}/supported: 200), as cmd/go asks"
                );
                return (Some(base), ok("route", finding, t));
            }
            Supported::No(why) => asked.push(why),
            Supported::Failed(why) if any_error => asked.push(why),
            Supported::Failed(why) => {
                let finding = format!(
                    "cmd/go asks GOPROXY {url} whether it serves {name} and stops at its answer: {why}"
                );
                let advice = format!(
                    "fix that proxy, put `|` after it in GOPROXY to fall through on errors, or name the database's URL: GOSUMDB=\"{name} <url>\""
                );
                return (None, fail("route", finding, advice, Some(t)));
            }
        }
    }
    let direct = format!("https://{name}");
    let finding = if asked.is_empty() {
        format!("reached directly at {direct} (no GOPROXY entry to ask)")
    } else {
        format!(
            "reached directly at {direct}: no GOPROXY entry serves it ({})",
            asked.join("; ")
        )
    };
    (Some(direct), ok("route", finding, t))
}

/// The `sumdb` stage: the body of `/latest` must be a tree head signed by
/// GOSUMDB's key.
fn tree_head_stage(body: &str, key: &note::Verifier) -> Stage {
    let t = Instant::now();
    let vkey = key.id();
    match note::open(body.as_bytes(), key) {
        Ok(n) => ok(
            "sumdb",
            format!(
                "signed tree head verified with key {vkey} (tree size {})",
                note::parse_tree(&n.text).map_or("?".into(), |t| t.n.to_string())
            ),
            t,
        ),
        Err(e) if e.kind() == TrustKind::Forged => fail(
            "sumdb",
            format!(
                "the signed tree head carries a signature by {vkey} that does not verify: this answer did not come from the database that key names"
            ),
            "do not trust this endpoint: something between you and the database (a proxy, a mirror) alters its answers; use GOSUMDB=sum.golang.google.cn or another network",
            Some(t),
        ),
        Err(e) if e.kind() == TrustKind::Missing => fail(
            "sumdb",
            format!(
                "the tree head is not signed by {vkey}: this answer did not come from the database that key names"
            ),
            "check GOSUMDB: the URL must serve the database whose key it names",
            Some(t),
        ),
        Err(why) => fail(
            "sumdb",
            format!("/latest is not a signed tree head ({why})"),
            "the URL does not serve a checksum database (a captive portal or a web page?)",
            Some(t),
        ),
    }
}
