//! A loopback HTTP/1.1 server for tests, with fault injection.
//!
//! * Bound to 127.0.0.1:0, one thread per connection, keep-alive by default
//!   (HTTP/1.1), closes after a response when the request says
//!   `Connection: close` or is HTTP/1.0 without `Connection: keep-alive`.
//! * GET and HEAD only (anything else: 405).
//! * Dropping the [`TestServer`] stops accepting, shuts down every open
//!   connection (an in-flight download then fails on the client side) and
//!   returns promptly.
//!
//! # Path matching rule
//! The request target is split at the first `?`. If the *whole* target
//! (path and query) was registered -- with `put`/`put_file` or any fault
//! setter -- that registration is used. Otherwise the query is ignored and
//! the bare path is looked up. So `put("/dl/", ..)` answers
//! `/dl/?mode=json&include=all`, and `put("/dl/?mode=json", ..)` answers
//! only that exact target. Absolute-form targets (`http://host/p`) are
//! reduced to `/p`. No percent-decoding is done.
//!
//! Each request is recorded with `path` = the raw target and `route` = the
//! key it matched by this rule; [`TestServer::hits`] counts requests whose
//! route *or* raw target equals the argument.
//!
//! # Responses
//! 200/206 carry `Content-Length`, `Content-Type` (application/json for
//! paths ending in `.json` or registered with a query containing
//! `mode=json`, else application/octet-stream), a strong `ETag`,
//! `Last-Modified` and `Accept-Ranges: bytes`.
//! * `If-None-Match` (takes precedence) matching the ETag (or `*`), or else
//!   `If-Modified-Since` >= Last-Modified -> 304 with no body.
//! * `Range: bytes=N-`, `bytes=N-M`, `bytes=-S` -> 206 with `Content-Range`;
//!   unsatisfiable (N >= length) -> 416 with `Content-Range: bytes */len`.
//!   Multi-range or malformed Range headers are ignored (full 200).
//!   `If-Range` is honoured: the range is used only if it equals the ETag
//!   (or the Last-Modified date exactly).
//!
//! Last-Modified is the wall clock at `put` time, but strictly increasing
//! (by at least one second) across puts on the same server, so re-putting a
//! path always changes it. The ETag of `put` bodies is derived from the
//! content's SHA-256; for `put_file` it is derived from the file's path,
//! size and mtime (hashing 70 MB in a debug build would be slow).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::archive::sha256_hex;

/// Body chunk size for streaming (and the unit of `delay_body`).
pub const CHUNK: usize = 64 * 1024;

const MAX_HEADER_BYTES: usize = 64 * 1024;

/// One request as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// "GET", "HEAD", ...
    pub method: String,
    /// The raw request target, query included ("/dl/?mode=json").
    pub path: String,
    /// The registered key the request matched (see the module docs).
    pub route: String,
    /// Header names lowercased, values trimmed, in arrival order.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
enum Body {
    Bytes(Arc<Vec<u8>>),
    File(Arc<PathBuf>),
}

#[derive(Clone)]
struct Resource {
    body: Body,
    len: u64,
    etag: String,
    last_modified: u64,
    content_type: &'static str,
}

#[derive(Default)]
struct State {
    resources: HashMap<String, Resource>,
    fail: HashMap<String, (u16, usize)>,
    head_status: HashMap<String, u16>,
    redirect: HashMap<String, String>,
    truncate: HashMap<String, (u64, usize)>,
    delay: HashMap<String, Duration>,
    requests: Vec<RecordedRequest>,
    last_modified: u64,
    conns: HashMap<u64, TcpStream>,
}

impl State {
    fn is_registered(&self, key: &str) -> bool {
        self.resources.contains_key(key)
            || self.fail.contains_key(key)
            || self.head_status.contains_key(key)
            || self.redirect.contains_key(key)
            || self.truncate.contains_key(key)
            || self.delay.contains_key(key)
    }

    /// The matching rule documented at the top of this file.
    fn route_of(&self, target: &str) -> String {
        if target.contains('?') && self.is_registered(target) {
            return target.to_string();
        }
        target.split('?').next().unwrap_or(target).to_string()
    }

    fn next_last_modified(&mut self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.last_modified = now.max(self.last_modified + 1);
        self.last_modified
    }
}

struct Shared {
    state: Mutex<State>,
    shutdown: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread must not take the server down.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The test server. See the module docs for behaviour.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Bind 127.0.0.1:0 and start accepting.
    pub fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            shutdown: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("test-server-{}", addr.port()))
            .spawn(move || accept_loop(listener, s))
            .expect("spawn accept thread");
        TestServer {
            addr,
            shared,
            accept_thread: Some(accept_thread),
        }
    }

    /// "http://127.0.0.1:PORT" (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `url()` + `path` ("/index.json").
    pub fn url_for(&self, path: &str) -> String {
        format!("{}{path}", self.url())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serve `body` at `path` (replaces any previous body; fault settings
    /// for the path are kept).
    pub fn put(&self, path: &str, body: Vec<u8>) {
        let etag = format!("\"{}\"", &sha256_hex(&body)[..32]);
        let len = body.len() as u64;
        let mut st = self.shared.lock();
        let last_modified = st.next_last_modified();
        st.resources.insert(
            path.to_string(),
            Resource {
                body: Body::Bytes(Arc::new(body)),
                len,
                etag,
                last_modified,
                content_type: content_type_for(path),
            },
        );
    }

    /// Serve the file at `file`, streamed from disk on each request (never
    /// loaded into memory). The file must exist now and must not change
    /// size while registered. Panics if it cannot be stat'ed.
    pub fn put_file(&self, path: &str, file: &Path) {
        let meta = std::fs::metadata(file)
            .unwrap_or_else(|e| panic!("put_file: cannot stat {}: {e}", file.display()));
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let id = format!("{}|{}|{mtime}", file.display(), meta.len());
        let etag = format!("\"f{}\"", &sha256_hex(id.as_bytes())[..31]);
        let mut st = self.shared.lock();
        let last_modified = st.next_last_modified();
        st.resources.insert(
            path.to_string(),
            Resource {
                body: Body::File(Arc::new(file.to_path_buf())),
                len: meta.len(),
                etag,
                last_modified,
                content_type: content_type_for(path),
            },
        );
    }

    /// Stop serving `path` (it answers 404 from now on).
    pub fn remove(&self, path: &str) {
        let mut st = self.shared.lock();
        st.resources.remove(path);
        st.redirect.remove(path);
    }

    /// The next `times` GETs of `path` answer `status` with a small text
    /// body (the connection stays open). Replaces a pending `fail_next`
    /// for the path. HEAD requests are not affected and do not count.
    pub fn fail_next(&self, path: &str, status: u16, times: usize) {
        self.shared
            .lock()
            .fail
            .insert(path.to_string(), (status, times));
    }

    /// Every HEAD of `path` answers `status` (405, 501: servers and object
    /// stores that do not answer HEAD); GETs are not affected.
    pub fn answer_head(&self, path: &str, status: u16) {
        self.shared
            .lock()
            .head_status
            .insert(path.to_string(), status);
    }

    /// The next `times` GETs of `path` that would send a body (200 or 206)
    /// send complete headers -- Content-Length of the full (or ranged) body
    /// -- but only the first `after_bytes` bytes of it, then close the
    /// socket. 304/416 answers do not consume a count. Replaces a pending
    /// `truncate_next` for the path.
    pub fn truncate_next(&self, path: &str, after_bytes: u64, times: usize) {
        self.shared
            .lock()
            .truncate
            .insert(path.to_string(), (after_bytes, times));
    }

    /// Until changed, responses for `path` sleep `per_chunk` after every
    /// 64 KiB body chunk (flushing before sleeping, so the client sees
    /// steady progress). `Duration::ZERO` turns it off.
    pub fn delay_body(&self, path: &str, per_chunk: Duration) {
        let mut st = self.shared.lock();
        if per_chunk.is_zero() {
            st.delay.remove(path);
        } else {
            st.delay.insert(path.to_string(), per_chunk);
        }
    }

    /// GETs of `path` answer `302 Found` with `Location: location` until
    /// [`TestServer::remove`] is called for the path.
    pub fn redirect(&self, path: &str, location: &str) {
        self.shared
            .lock()
            .redirect
            .insert(path.to_string(), location.to_string());
    }

    /// Requests received (any method, any outcome) whose matched route or
    /// raw target equals `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.route == path || r.path == path)
            .count()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Forget recorded requests (hits start again from 0).
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// The ETag currently served for `path`, quotes included.
    pub fn etag(&self, path: &str) -> Option<String> {
        self.shared
            .lock()
            .resources
            .get(path)
            .map(|r| r.etag.clone())
    }

    /// The Last-Modified header value currently served for `path`.
    pub fn last_modified(&self, path: &str) -> Option<String> {
        self.shared
            .lock()
            .resources
            .get(path)
            .map(|r| http_date(r.last_modified))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the thread sees the flag. Only join
        // if the wake-up connection worked, so Drop can never hang.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).is_ok();
        if let Some(h) = self.accept_thread.take()
            && woke
        {
            let _ = h.join();
        }
        let conns: Vec<TcpStream> = self.shared.lock().conns.drain().map(|(_, s)| s).collect();
        for c in conns {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

/// A loopback port that (almost certainly) refuses connections: bound to
/// find a free port, then released.
pub fn start_refusing_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = l.local_addr().expect("local_addr").port();
    drop(l);
    port
}

fn content_type_for(path: &str) -> &'static str {
    let bare = path.split('?').next().unwrap_or(path);
    if bare.ends_with(".json") || path.contains("mode=json") {
        "application/json"
    } else {
        "application/octet-stream"
    }
}

fn log(msg: &str) {
    eprintln!("[test server] {msg}");
}

/// Errors that simply mean the client went away.
fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof
    )
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    for conn in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                log(&format!("accept failed: {e}"));
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        match stream.try_clone() {
            Ok(c) => {
                shared.lock().conns.insert(id, c);
            }
            Err(e) => log(&format!("cannot track connection: {e}")),
        }
        let s = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name(format!("test-server-conn-{id}"))
            .spawn(move || {
                if let Err(e) = serve_connection(&s, stream)
                    && !is_disconnect(&e)
                {
                    log(&format!("connection {id}: {e}"));
                }
                s.lock().conns.remove(&id);
            });
        if let Err(e) = spawned {
            log(&format!("cannot spawn connection thread: {e}"));
            shared.lock().conns.remove(&id);
        }
    }
}

struct Request {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn wants_close(&self) -> bool {
        if self.version == "HTTP/1.0" {
            !self.has_token("connection", "keep-alive")
        } else {
            self.has_token("connection", "close")
        }
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Read one request head. `Ok(None)` on a clean EOF between requests.
fn read_request(r: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = Vec::new();
    let mut total = 0usize;
    // Skip empty lines before the request line (allowed by RFC 9112).
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        total += n;
        if total > MAX_HEADER_BYTES {
            return Err(invalid("request head too large"));
        }
        if !trim_crlf(&line).is_empty() {
            break;
        }
    }
    let request_line = String::from_utf8_lossy(trim_crlf(&line)).into_owned();
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(&format!("bad request line {request_line:?}")));
    };
    let mut req = Request {
        method: method.to_string(),
        target: normalize_target(target),
        version: version.to_string(),
        headers: Vec::new(),
    };
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "EOF inside request head",
            ));
        }
        total += n;
        if total > MAX_HEADER_BYTES {
            return Err(invalid("request head too large"));
        }
        let l = trim_crlf(&line);
        if l.is_empty() {
            break;
        }
        let l = String::from_utf8_lossy(l);
        if let Some((name, value)) = l.split_once(':') {
            req.headers
                .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    Ok(Some(req))
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn normalize_target(target: &str) -> String {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = target.strip_prefix(scheme) {
            return match rest.find('/') {
                Some(i) => rest[i..].to_string(),
                None => "/".to_string(),
            };
        }
    }
    target.to_string()
}

fn serve_connection(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::with_capacity(CHUNK, stream);
    loop {
        let Some(req) = read_request(&mut reader)? else {
            return Ok(());
        };
        if shared.shutdown.load(Ordering::SeqCst) {
            return Ok(());
        }
        // GET/HEAD normally have no body; discard one if sent.
        if req.header("transfer-encoding").is_some() {
            write_simple(
                &mut writer,
                501,
                "chunked request bodies not supported\n",
                true,
            )?;
            return Ok(());
        }
        if let Some(n) = req
            .header("content-length")
            .and_then(|v| v.parse::<u64>().ok())
        {
            io::copy(&mut (&mut reader).take(n), &mut io::sink())?;
        }
        let keep_alive = respond(shared, &req, &mut writer)?;
        writer.flush()?;
        if !keep_alive {
            let _ = writer.get_ref().shutdown(Shutdown::Write);
            return Ok(());
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        410 => "Gone",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn write_simple(w: &mut impl Write, status: u16, body: &str, close: bool) -> io::Result<()> {
    write!(
        w,
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
        reason(status),
        body.len()
    )?;
    if status == 405 {
        w.write_all(b"Allow: GET, HEAD\r\n")?;
    }
    if close {
        w.write_all(b"Connection: close\r\n")?;
    }
    w.write_all(b"\r\n")?;
    w.write_all(body.as_bytes())
}

enum RangeSpec {
    Full,
    /// Inclusive byte range.
    Partial(u64, u64),
    Unsatisfiable,
}

fn parse_range(header: &str, len: u64) -> RangeSpec {
    let h = header.trim();
    let Some(spec) = h
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("bytes="))
        .map(|_| &h[6..])
    else {
        return RangeSpec::Full;
    };
    if spec.contains(',') {
        return RangeSpec::Full; // multi-range: not supported, ignore
    }
    let Some((a, b)) = spec.split_once('-') else {
        return RangeSpec::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return RangeSpec::Full;
        };
        if n == 0 || len == 0 {
            return RangeSpec::Unsatisfiable;
        }
        return RangeSpec::Partial(len.saturating_sub(n), len - 1);
    }
    let Ok(start) = a.parse::<u64>() else {
        return RangeSpec::Full;
    };
    let end = if b.is_empty() {
        u64::MAX
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => e,
            _ => return RangeSpec::Full,
        }
    };
    if start >= len {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::Partial(start, end.min(len - 1))
}

fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let want = bare(etag);
    list.split(',').any(|t| t.trim() == "*" || bare(t) == want)
}

/// What to do with one request, decided under the state lock.
enum Plan {
    Simple(u16, String),
    Redirect(String),
    NotModified(Resource),
    Unsatisfiable(Resource),
    Send {
        res: Resource,
        range: Option<(u64, u64)>,
        truncate_at: Option<u64>,
        delay: Option<Duration>,
    },
}

/// Handle one request; returns whether the connection may stay open.
fn respond(shared: &Shared, req: &Request, w: &mut BufWriter<TcpStream>) -> io::Result<bool> {
    let close = req.wants_close();
    let is_get = req.method == "GET";
    let plan = {
        let mut st = shared.lock();
        let route = st.route_of(&req.target);
        st.requests.push(RecordedRequest {
            method: req.method.clone(),
            path: req.target.clone(),
            route: route.clone(),
            headers: req.headers.clone(),
        });
        plan_response(&mut st, req, &route, is_get)
    };
    let (res, range, truncate_at, delay) = match plan {
        Plan::Redirect(location) => {
            write!(
                w,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
            )?;
            if close {
                w.write_all(b"Connection: close\r\n")?;
            }
            w.write_all(b"\r\n")?;
            w.flush()?;
            return Ok(!close);
        }
        Plan::Simple(status, body) => {
            write_simple(w, status, &body, close)?;
            return Ok(!close);
        }
        Plan::NotModified(res) => {
            write!(
                w,
                "HTTP/1.1 304 Not Modified\r\nETag: {}\r\nLast-Modified: {}\r\n",
                res.etag,
                http_date(res.last_modified)
            )?;
            if close {
                w.write_all(b"Connection: close\r\n")?;
            }
            w.write_all(b"\r\n")?;
            return Ok(!close);
        }
        Plan::Unsatisfiable(res) => {
            write!(
                w,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nETag: {}\r\n",
                res.len, res.etag
            )?;
            if close {
                w.write_all(b"Connection: close\r\n")?;
            }
            w.write_all(b"\r\n")?;
            return Ok(!close);
        }
        Plan::Send {
            res,
            range,
            truncate_at,
            delay,
        } => (res, range, truncate_at, delay),
    };

    // Open the file before committing to a status line.
    let (start, end_excl) = match range {
        Some((s, e)) => (s, e + 1),
        None => (0, res.len),
    };
    let mut file = None;
    if is_get && let Body::File(path) = &res.body {
        match File::open(path.as_ref()).and_then(|mut f| {
            f.seek(SeekFrom::Start(start))?;
            Ok(f)
        }) {
            Ok(f) => file = Some(f),
            Err(e) => {
                log(&format!("cannot open {}: {e}", path.display()));
                write_simple(w, 500, "cannot open file\n", close)?;
                return Ok(!close);
            }
        }
    }

    let close = close || truncate_at.is_some();
    let status = if range.is_some() { 206 } else { 200 };
    write!(
        w,
        "HTTP/1.1 {status} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nETag: {}\r\nLast-Modified: {}\r\nAccept-Ranges: bytes\r\n",
        reason(status),
        res.content_type,
        end_excl - start,
        res.etag,
        http_date(res.last_modified),
    )?;
    if range.is_some() {
        write!(
            w,
            "Content-Range: bytes {start}-{}/{}\r\n",
            end_excl - 1,
            res.len
        )?;
    }
    if close {
        w.write_all(b"Connection: close\r\n")?;
    }
    w.write_all(b"\r\n")?;
    if !is_get {
        return Ok(!close);
    }

    // Body: [start, stop) where stop honours truncation.
    let stop = match truncate_at {
        Some(n) => end_excl.min(start.saturating_add(n)),
        None => end_excl,
    };
    let mut pos = start;
    let mut buf = match &res.body {
        Body::File(_) => vec![0u8; CHUNK],
        Body::Bytes(_) => Vec::new(),
    };
    while pos < stop {
        if shared.shutdown.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let n = (stop - pos).min(CHUNK as u64) as usize;
        match (&res.body, file.as_mut()) {
            (Body::Bytes(b), _) => w.write_all(&b[pos as usize..pos as usize + n])?,
            (Body::File(path), Some(f)) => {
                if let Err(e) = f.read_exact(&mut buf[..n]) {
                    log(&format!("reading {}: {e}", path.display()));
                    return Ok(false);
                }
                w.write_all(&buf[..n])?;
            }
            (Body::File(_), None) => return Ok(false),
        }
        pos += n as u64;
        if let Some(d) = delay
            && pos < stop
        {
            w.flush()?;
            thread::sleep(d);
        }
    }
    Ok(!close)
}

fn plan_response(st: &mut State, req: &Request, route: &str, is_get: bool) -> Plan {
    if !is_get && req.method != "HEAD" {
        return Plan::Simple(405, "only GET and HEAD\n".into());
    }
    if !is_get && let Some(status) = st.head_status.get(route) {
        return Plan::Simple(*status, String::new());
    }
    if is_get
        && let Some((status, left)) = st.fail.get_mut(route)
        && *left > 0
    {
        *left -= 1;
        let status = *status;
        return Plan::Simple(
            status,
            format!("test server: injected failure {status} for {route}\n"),
        );
    }
    if let Some(location) = st.redirect.get(route) {
        return Plan::Redirect(location.clone());
    }
    let Some(res) = st.resources.get(route).cloned() else {
        return Plan::Simple(404, format!("test server: no such path {route}\n"));
    };

    if let Some(inm) = req.header("if-none-match") {
        if etag_matches(inm, &res.etag) {
            return Plan::NotModified(res);
        }
    } else if let Some(ims) = req.header("if-modified-since").and_then(parse_http_date)
        && ims >= res.last_modified
    {
        return Plan::NotModified(res);
    }

    let mut range = None;
    if let Some(r) = req.header("range") {
        let if_range_ok = match req.header("if-range") {
            None => true,
            Some(v) if v.starts_with('"') => v == res.etag,
            Some(v) if v.starts_with("W/") => false,
            Some(v) => parse_http_date(v) == Some(res.last_modified),
        };
        if if_range_ok {
            match parse_range(r, res.len) {
                RangeSpec::Full => {}
                RangeSpec::Partial(s, e) => range = Some((s, e)),
                RangeSpec::Unsatisfiable => return Plan::Unsatisfiable(res),
            }
        }
    }

    let mut truncate_at = None;
    if is_get
        && let Some((after, left)) = st.truncate.get_mut(route)
        && *left > 0
    {
        *left -= 1;
        truncate_at = Some(*after);
    }
    let delay = st.delay.get(route).copied();
    Plan::Send {
        res,
        range,
        truncate_at,
        delay,
    }
}

// ---------------------------------------------------------------------------
// IMF-fixdate ("Tue, 02 Jul 2024 18:57:57 GMT"), hand-rolled.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// Days since 1970-01-01 -> (year, month 1-12, day 1-31).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Format Unix seconds as an HTTP date.
pub fn http_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Parse an IMF-fixdate into Unix seconds (other formats: `None`).
pub fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let d: u32 = day.parse().ok()?;
    let m = MONTHS.iter().position(|x| x == mon)? as u32 + 1;
    let y: i64 = year.parse().ok()?;
    let mut hms = time.split(':').map(|x| x.parse::<u64>());
    let (h, mi, se) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    if d == 0 || d > 31 || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    u64::try_from(days * 86_400)
        .ok()
        .map(|s| s + h * 3600 + mi * 60 + se)
}
