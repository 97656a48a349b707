//! Tests of the shared test helpers in tests/it/support.

use crate::support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{
    Hostile, IndexBuilder, IndexFile, TestServer, hostile_archive, http_date, parse_http_date,
    sha256_hex, start_refusing_port, toolchain_archive,
};

// ---------------------------------------------------------------------------
// A minimal raw HTTP/1.1 client, so the tests see exactly what was sent.

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the whole Content-Length arrived.
    complete: bool,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn {
            reader: BufReader::new(s),
        }
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("\r\n");
        self.reader.get_mut().write_all(req.as_bytes()).unwrap();
        self.read_response(method)
    }

    fn read_response(&mut self, method: &str) -> Resp {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_else(|| panic!("bad status line {line:?}"))
            .parse()
            .unwrap();
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').unwrap();
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
            complete: true,
        };
        if method == "HEAD" || status == 304 {
            return resp;
        }
        let len: u64 = resp
            .header("content-length")
            .expect("content-length")
            .parse()
            .unwrap();
        (&mut self.reader)
            .take(len)
            .read_to_end(&mut resp.body)
            .unwrap();
        resp.complete = resp.body.len() as u64 == len;
        resp
    }

    /// True if the server has closed the connection (EOF on read).
    fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0))
    }
}

fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> Resp {
    Conn::open(server.addr()).send("GET", path, headers)
}

fn body_of(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

// ---------------------------------------------------------------------------
// Server.

#[test]
fn get_returns_body_and_metadata() {
    let s = TestServer::start();
    assert!(s.url().starts_with("http://127.0.0.1:"));
    s.put("/index.json", b"[1,2,3]".to_vec());
    s.put("/x.tar.gz", vec![1, 2, 3, 4]);
    let r = get(&s, "/index.json", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"[1,2,3]");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-length"), Some("7"));
    assert_eq!(r.header("etag").map(String::from), s.etag("/index.json"));
    assert!(r.header("etag").unwrap().starts_with('"'));
    assert_eq!(
        r.header("last-modified").map(String::from),
        s.last_modified("/index.json")
    );
    let r = get(&s, "/x.tar.gz", &[]);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.body, [1, 2, 3, 4]);
}

#[test]
fn unknown_path_is_404_and_remove_works() {
    let s = TestServer::start();
    assert_eq!(get(&s, "/nope", &[]).status, 404);
    s.put("/a", b"a".to_vec());
    assert_eq!(get(&s, "/a", &[]).status, 200);
    s.remove("/a");
    assert_eq!(get(&s, "/a", &[]).status, 404);
}

#[test]
fn query_matching_rule() {
    let s = TestServer::start();
    s.put("/dl/", b"[]".to_vec());
    s.put("/q?x=1", b"exact".to_vec());
    let r = get(&s, "/dl/?mode=json&include=all", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"[]");
    assert_eq!(get(&s, "/q?x=1", &[]).body, b"exact");
    assert_eq!(get(&s, "/q", &[]).status, 404);
    assert_eq!(get(&s, "/q?x=2", &[]).status, 404);
    assert_eq!(s.hits("/dl/"), 1);
    assert_eq!(s.hits("/dl/?mode=json&include=all"), 1);
    assert_eq!(s.hits("/q?x=1"), 1);
    let reqs = s.requests();
    assert_eq!(reqs[0].path, "/dl/?mode=json&include=all");
    assert_eq!(reqs[0].route, "/dl/");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].header("HOST"), Some("test"));
}

#[test]
fn fail_next_then_success() {
    let s = TestServer::start();
    s.put("/f", b"fine".to_vec());
    s.fail_next("/f", 503, 2);
    let mut c = Conn::open(s.addr());
    // HEAD is neither affected nor counted against `times`.
    assert_eq!(c.send("HEAD", "/f", &[]).status, 200);
    let r = c.send("GET", "/f", &[]);
    assert_eq!(r.status, 503);
    assert!(!r.body.is_empty());
    assert_eq!(c.send("GET", "/f", &[]).status, 503);
    let r = c.send("GET", "/f", &[]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"fine"[..]));
    // Works for unregistered paths too.
    s.fail_next("/missing", 500, 1);
    assert_eq!(get(&s, "/missing", &[]).status, 500);
    assert_eq!(get(&s, "/missing", &[]).status, 404);
}

#[test]
fn answer_head_changes_only_head() {
    let s = TestServer::start();
    s.put("/a", b"archive".to_vec());
    s.answer_head("/a", 405);
    let mut c = Conn::open(s.addr());
    let r = c.send("HEAD", "/a", &[]);
    assert_eq!((r.status, r.body.len()), (405, 0));
    let r = c.send("GET", "/a", &[]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"archive"[..]));
}

#[test]
fn truncate_next_sends_fewer_bytes_then_closes() {
    let s = TestServer::start();
    let body = body_of(300_000);
    s.put("/big", body.clone());
    s.truncate_next("/big", 1000, 1);
    let mut c = Conn::open(s.addr());
    let r = c.send("GET", "/big", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("300000"));
    assert!(!r.complete);
    assert_eq!(r.body, body[..1000]);
    assert!(c.is_closed());
    let r = get(&s, "/big", &[]);
    assert!(r.complete);
    assert_eq!(r.body, body);
    // Applies to ranged responses as well, relative to the range start.
    s.truncate_next("/big", 10, 1);
    let r = get(&s, "/big", &[("Range", "bytes=100-")]);
    assert_eq!(r.status, 206);
    assert!(!r.complete);
    assert_eq!(r.body, body[100..110]);
}

#[test]
fn range_requests() {
    let s = TestServer::start();
    let body = body_of(1000);
    s.put("/r", body.clone());
    let r = get(&s, "/r", &[("Range", "bytes=10-19")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(r.header("content-length"), Some("10"));
    assert_eq!(r.body, body[10..20]);
    let r = get(&s, "/r", &[("Range", "bytes=990-")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 990-999/1000"));
    assert_eq!(r.body, body[990..]);
    let r = get(&s, "/r", &[("Range", "bytes=-5")]);
    assert_eq!(r.body, body[995..]);
    let r = get(&s, "/r", &[("Range", "bytes=900-5000")]);
    assert_eq!(r.header("content-range"), Some("bytes 900-999/1000"));
    let r = get(&s, "/r", &[("Range", "bytes=1000-")]);
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */1000"));
    let r = get(&s, "/r", &[("Range", "bytes=0-1,5-6")]);
    assert_eq!((r.status, r.body.len()), (200, 1000));
    // If-Range with the current ETag keeps the range; a stale one does not.
    let etag = s.etag("/r").unwrap();
    let r = get(&s, "/r", &[("Range", "bytes=5-"), ("If-Range", &etag)]);
    assert_eq!(r.status, 206);
    let r = get(&s, "/r", &[("Range", "bytes=5-"), ("If-Range", "\"old\"")]);
    assert_eq!((r.status, r.body.len()), (200, 1000));
}

#[test]
fn conditional_requests() {
    let s = TestServer::start();
    s.put("/c.json", b"{}".to_vec());
    let etag = s.etag("/c.json").unwrap();
    let lm = s.last_modified("/c.json").unwrap();
    let r = get(&s, "/c.json", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(
        get(&s, "/c.json", &[("If-None-Match", "\"zz\"")]).status,
        200
    );
    assert_eq!(
        get(&s, "/c.json", &[("If-Modified-Since", &lm)]).status,
        304
    );
    let older = http_date(parse_http_date(&lm).unwrap() - 10);
    assert_eq!(
        get(&s, "/c.json", &[("If-Modified-Since", &older)]).status,
        200
    );
    // If-None-Match takes precedence over If-Modified-Since.
    let r = get(
        &s,
        "/c.json",
        &[("If-None-Match", "\"zz\""), ("If-Modified-Since", &lm)],
    );
    assert_eq!(r.status, 200);
    // Re-putting changes Last-Modified (strictly later) and, with new
    // content, the ETag.
    s.put("/c.json", b"{\"a\":1}".to_vec());
    assert_ne!(s.etag("/c.json").unwrap(), etag);
    assert_eq!(
        get(&s, "/c.json", &[("If-Modified-Since", &lm)]).status,
        200
    );
    assert_eq!(get(&s, "/c.json", &[("If-None-Match", &etag)]).status, 200);
}

#[test]
fn keep_alive_and_connection_close() {
    let s = TestServer::start();
    s.put("/k", b"k".to_vec());
    let mut c = Conn::open(s.addr());
    for _ in 0..3 {
        assert_eq!(c.send("GET", "/k", &[]).body, b"k");
    }
    let r = c.send("GET", "/k", &[("Connection", "close")]);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed());
    // A request body is skipped; pipelined requests are answered in order.
    let mut c = Conn::open(s.addr());
    c.reader
        .get_mut()
        .write_all(b"GET /k HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /nope HTTP/1.1\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response("GET").status, 200);
    assert_eq!(c.read_response("GET").status, 404);
    assert_eq!(s.hits("/k"), 5);
    // HTTP/1.0 closes by default.
    let mut c = Conn::open(s.addr());
    c.reader
        .get_mut()
        .write_all(b"GET /k HTTP/1.0\r\n\r\n")
        .unwrap();
    assert_eq!(c.read_response("GET").body, b"k");
    assert!(c.is_closed());
}

#[test]
fn hits_and_requests() {
    let s = TestServer::start();
    s.put("/h", b"h".to_vec());
    assert_eq!(s.hits("/h"), 0);
    let mut c = Conn::open(s.addr());
    c.send("GET", "/h", &[("User-Agent", "selftest/1")]);
    c.send("HEAD", "/h", &[]);
    c.send("GET", "/other", &[]);
    assert_eq!(c.send("POST", "/h", &[]).status, 405);
    assert_eq!(s.hits("/h"), 3);
    assert_eq!(s.hits("/other"), 1);
    let reqs = s.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[0].header("user-agent"), Some("selftest/1"));
    assert!(reqs[0].headers.iter().any(|(n, _)| n == "user-agent"));
    assert_eq!(reqs[1].method, "HEAD");
    s.clear_requests();
    assert_eq!(s.hits("/h"), 0);
}

#[test]
fn large_file_is_streamed_fast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let size: usize = 72 * 1024 * 1024 + 123;
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block = body_of(1024 * 1024);
        let mut left = size;
        while left > 0 {
            let n = left.min(block.len());
            f.write_all(&block[..n]).unwrap();
            left -= n;
        }
        f.flush().unwrap();
    }
    let s = TestServer::start();
    s.put_file("/go.tar.gz", &path);
    let mut c = Conn::open(s.addr());
    let t = Instant::now();
    c.reader
        .get_mut()
        .write_all(b"GET /go.tar.gz HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut head = String::new();
    loop {
        let mut line = String::new();
        c.reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains(&format!("Content-Length: {size}")), "{head}");
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0usize;
    let mut last = Vec::new();
    while got < size {
        let n = c.reader.read(&mut buf).unwrap();
        assert!(n > 0, "EOF after {got} bytes");
        got += n;
        if got == size {
            last = buf[..n].to_vec();
        }
    }
    let elapsed = t.elapsed();
    eprintln!("streamed {size} bytes in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "too slow: {elapsed:?}");
    let expected_tail = body_of(1024 * 1024)[..123].to_vec();
    assert!(last.ends_with(&expected_tail));
    // Ranges work on files too, on the same connection.
    let r = c.send("GET", "/go.tar.gz", &[("Range", "bytes=1048576-1048585")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, body_of(1024 * 1024)[..10]);
    let r = c.send("HEAD", "/go.tar.gz", &[]);
    assert_eq!(r.header("content-length"), Some(size.to_string().as_str()));
}

#[test]
fn delay_body_slows_streaming() {
    let s = TestServer::start();
    s.put("/slow", body_of(4 * 64 * 1024));
    s.delay_body("/slow", Duration::from_millis(60));
    let t = Instant::now();
    let r = get(&s, "/slow", &[]);
    assert!(r.complete);
    assert!(
        t.elapsed() >= Duration::from_millis(180),
        "{:?}",
        t.elapsed()
    );
    s.delay_body("/slow", Duration::ZERO);
    let t = Instant::now();
    get(&s, "/slow", &[]);
    assert!(t.elapsed() < Duration::from_millis(150));
}

#[test]
fn reqwest_client_works() {
    let s = TestServer::start();
    s.put("/dl/", b"[\"ok\"]".to_vec());
    s.put("/t", body_of(200_000));
    let client = reqwest::blocking::Client::new();
    for _ in 0..2 {
        let r = client
            .get(format!("{}/dl/?mode=json&include=all", s.url()))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.bytes().unwrap().as_ref(), b"[\"ok\"]");
    }
    s.fail_next("/dl/", 503, 1);
    let r = client.get(s.url_for("/dl/")).send().unwrap();
    assert_eq!(r.status().as_u16(), 503);
    s.truncate_next("/t", 5000, 1);
    let r = client.get(s.url_for("/t")).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().is_err(), "truncated body must be an error");
    let r = client.get(s.url_for("/t")).send().unwrap();
    assert_eq!(r.bytes().unwrap().len(), 200_000);
}

#[test]
fn drop_stops_server_promptly_even_mid_download() {
    let s = TestServer::start();
    let addr = s.addr();
    s.put("/slow", body_of(20 * 64 * 1024));
    s.delay_body("/slow", Duration::from_millis(200));
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 64];
    let _ = c.read(&mut first).unwrap();
    let t = Instant::now();
    drop(s);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // The in-flight download is cut off and nothing listens any more.
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    assert!(rest.len() < 20 * 64 * 1024);
    // Whether the port refuses now is not asserted: the tests run in
    // parallel and another test's server may already have been given it.
}

#[test]
fn refusing_port_refuses() {
    let port = start_refusing_port();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn http_dates() {
    assert_eq!(http_date(1_719_946_677), "Tue, 02 Jul 2024 18:57:57 GMT");
    assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    for t in [0, 951_782_400, 1_719_946_677, 4_102_444_799] {
        assert_eq!(parse_http_date(&http_date(t)), Some(t));
    }
    assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
}

// ---------------------------------------------------------------------------
// Archives.

/// (path bytes, entry type, mode, link name bytes) of one raw tar entry.
type RawEntry = (Vec<u8>, tar::EntryType, u32, Option<Vec<u8>>);

fn entries(bytes: &[u8]) -> Vec<RawEntry> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut a = tar::Archive::new(gz);
    a.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                e.path_bytes().into_owned(),
                h.entry_type(),
                h.mode().unwrap(),
                e.link_name_bytes().map(|l| l.into_owned()),
            )
        })
        .collect()
}

/// Run a freshly written executable, retrying on ETXTBSY (another test
/// thread may be forking while the file was still open for writing).
fn run(prog: &Path, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    for _ in 0..50 {
        match Command::new(prog)
            .args(args)
            .envs(envs.iter().copied())
            .output()
        {
            Ok(o) => return o,
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("running {}: {e}", prog.display()),
        }
    }
    panic!("{} stayed busy", prog.display());
}

fn stdout(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{o:?}");
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn toolchain_archive_is_faithful_and_runs() {
    use std::os::unix::fs::PermissionsExt;

    let a = toolchain_archive("1.22.5", "amd64", 1000);
    assert_eq!(a.filename, "go1.22.5.linux-amd64.tar.gz");
    assert_eq!(a.sha256, sha256_hex(&a.bytes));
    assert_eq!(a.version, "1.22.5");
    assert_eq!(a.go_version(), "go1.22.5");
    assert_eq!(a.bad_entry, None);
    // Deterministic.
    assert_eq!(toolchain_archive("go1.22.5", "amd64", 1000).bytes, a.bytes);
    assert_ne!(toolchain_archive("1.22.4", "amd64", 1000).sha256, a.sha256);

    let list = entries(&a.bytes);
    for (p, _, _, _) in &list {
        assert!(p.starts_with(b"go/"), "{}", String::from_utf8_lossy(p));
    }
    let find = |p: &str| {
        list.iter()
            .find(|e| e.0 == p.as_bytes())
            .unwrap_or_else(|| panic!("missing {p}"))
    };
    for d in [
        "go/",
        "go/bin/",
        "go/pkg/",
        "go/pkg/tool/",
        "go/pkg/tool/linux_amd64/",
        "go/src/",
    ] {
        let e = find(d);
        assert_eq!((e.1, e.2), (tar::EntryType::Directory, 0o755), "{d}");
    }
    assert_eq!(find("go/VERSION").2, 0o644);
    assert_eq!(find("go/bin/go").2, 0o755);
    assert_eq!(find("go/pkg/tool/linux_amd64/compile").2, 0o755);
    let link = find("go/misc/link");
    assert_eq!(link.1, tar::EntryType::Symlink);
    assert_eq!(link.3.as_deref(), Some(&b"../VERSION"[..]));

    let dir = tempfile::tempdir().unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&a.bytes[..]));
    ar.set_preserve_permissions(true);
    ar.unpack(dir.path()).unwrap();
    let goroot = dir.path().join("go");
    assert_eq!(
        std::fs::read_to_string(goroot.join("VERSION")).unwrap(),
        "go1.22.5\ntime 2024-07-02T18:57:57Z\n"
    );
    assert_eq!(
        std::fs::read_to_string(goroot.join("misc/link")).unwrap(),
        "go1.22.5\ntime 2024-07-02T18:57:57Z\n"
    );
    assert_eq!(
        std::fs::metadata(goroot.join("lib/pad.bin")).unwrap().len(),
        1000
    );
    let mode = std::fs::metadata(goroot.join("bin/go"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);

    let go = goroot.join("bin/go");
    assert_eq!(
        stdout(&run(&go, &["version"], &[])),
        "go version go1.22.5 linux/amd64\n"
    );
    assert_eq!(
        stdout(&run(&go, &["env", "GOROOT"], &[])),
        format!("{}\n", goroot.display())
    );
    assert_eq!(
        stdout(&run(
            &go,
            &["env", "GOPROXY", "GOFLAGS"],
            &[("GOPROXY", "http://p"), ("GOFLAGS", "")]
        )),
        "http://p\n\n"
    );
    assert_eq!(
        stdout(&run(&go, &["build", "./..."], &[])),
        "go1.22.5 args: build ./...\n"
    );
    assert_eq!(
        stdout(&run(&go, &["env", "-w", "X=1"], &[])),
        "go1.22.5 args: env -w X=1\n"
    );
    // GOROOT resolves through a symlink to the script, like os.Executable.
    let shim_dir = tempfile::tempdir().unwrap();
    let shim = shim_dir.path().join("go");
    std::os::unix::fs::symlink(&go, &shim).unwrap();
    assert_eq!(
        stdout(&run(&shim, &["env", "GOROOT"], &[])),
        format!("{}\n", goroot.display())
    );
    assert_eq!(
        stdout(&run(&goroot.join("bin/gofmt"), &[], &[])),
        "gofmt go1.22.5\n"
    );

    let arm = toolchain_archive("1.21.0", "arm64", 0);
    let dir = tempfile::tempdir().unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(&arm.bytes[..]))
        .unpack(dir.path())
        .unwrap();
    let o = run(&dir.path().join("go/bin/go"), &["version"], &[]);
    assert_eq!(stdout(&o), "go version go1.21.0 linux/arm64\n");
    assert!(dir.path().join("go/pkg/tool/linux_arm64/compile").exists());
}

#[test]
fn padded_archive_is_large_valid_and_incompressible() {
    let pad = 12 * 1024 * 1024 + 7;
    let t = Instant::now();
    let a = toolchain_archive("1.22.5", "amd64", pad);
    eprintln!("{pad}-byte padded archive built in {:?}", t.elapsed());
    assert!(a.bytes.len() > pad, "{}", a.bytes.len());
    assert!(a.bytes.len() < pad + pad / 10, "{}", a.bytes.len());
    // The gzip stream decodes (CRC and size checked by the
    // decoder at EOF) to a tar whose pad has the right size.
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&a.bytes[..])
        .read_to_end(&mut tar_bytes)
        .unwrap();
    let mut ar = tar::Archive::new(&tar_bytes[..]);
    let mut sizes = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        sizes.push((p, data.len()));
    }
    assert!(sizes.contains(&("go/lib/pad.bin".to_string(), pad)));
    // Same pad size, same bytes; the archive is written to disk on demand.
    let dir = tempfile::tempdir().unwrap();
    let path = a.write_to(dir.path());
    assert_eq!(path.file_name().unwrap(), "go1.22.5.linux-amd64.tar.gz");
    assert_eq!(std::fs::read(&path).unwrap(), a.bytes);
}

#[test]
fn hostile_archives_contain_the_bad_entry() {
    use tar::EntryType as T;
    for kind in Hostile::ALL {
        let a = hostile_archive("1.22.5", "amd64", kind);
        assert_eq!(a.filename, "go1.22.5.linux-amd64.tar.gz");
        assert_eq!(a.sha256, sha256_hex(&a.bytes), "{kind:?}");
        assert_eq!(kind.must_refuse(), kind != Hostile::Setuid);
        match kind {
            Hostile::NotGzip => {
                assert!(a.bytes.len() > 100);
                assert_ne!(a.bytes[..2], [0x1f, 0x8b]);
                continue;
            }
            Hostile::TruncatedGzip => {
                assert_eq!(a.bytes[..2], [0x1f, 0x8b]);
                let mut out = Vec::new();
                let r = flate2::read::GzDecoder::new(&a.bytes[..]).read_to_end(&mut out);
                assert!(r.is_err(), "truncated gzip decoded fully");
                continue;
            }
            _ => {}
        }
        let list = entries(&a.bytes);
        let has = |p: &[u8]| list.iter().any(|e| e.0 == p && e.1 == T::Regular);
        assert!(has(b"go/VERSION") && has(b"go/bin/go"), "{kind:?}");
        let bad = a.bad_entry.clone().unwrap();
        let e = list
            .iter()
            .find(|e| e.0 == bad.as_bytes())
            .unwrap_or_else(|| panic!("{kind:?}: no entry {bad}"));
        let link = e.3.as_deref();
        match kind {
            Hostile::DotDot => {
                assert!(bad.starts_with("go/../../gov-evil-"));
                assert_eq!(e.1, T::Regular);
                let esc = a.escape_path.clone().unwrap();
                assert_eq!(esc, bad.replacen("go/../", "", 1));
            }
            Hostile::Absolute => {
                assert!(bad.starts_with("/tmp/gov-evil-"));
                assert_eq!(e.1, T::Regular);
                assert_eq!(a.escape_path.as_deref(), Some(bad.as_str()));
            }
            Hostile::OutsideGo => assert_eq!((bad.as_str(), e.1), ("other/file", T::Regular)),
            Hostile::HardLink => {
                assert_eq!((bad.as_str(), e.1), ("go/bin/hl", T::Link));
                assert_eq!(link, Some(&b"go/VERSION"[..]));
            }
            Hostile::CharDevice | Hostile::BlockDevice => {
                let gz = flate2::read::GzDecoder::new(&a.bytes[..]);
                let mut ar = tar::Archive::new(gz);
                let dev = ar
                    .entries()
                    .unwrap()
                    .map(|e| e.unwrap())
                    .find(|e| e.path_bytes().as_ref() == bad.as_bytes())
                    .unwrap();
                let h = dev.header();
                let (et, maj, min) = if kind == Hostile::CharDevice {
                    (T::Char, 1, 3)
                } else {
                    (T::Block, 8, 0)
                };
                assert_eq!(h.entry_type(), et);
                assert_eq!(h.device_major().unwrap(), Some(maj));
                assert_eq!(h.device_minor().unwrap(), Some(min));
            }
            Hostile::Fifo => assert_eq!((bad.as_str(), e.1), ("go/fifo", T::Fifo)),
            Hostile::SymlinkEscape => {
                assert_eq!((bad.as_str(), e.1), ("go/esc", T::Symlink));
                assert_eq!(link, Some(&b"../../../etc"[..]));
            }
            Hostile::SymlinkAbsolute => {
                assert_eq!((bad.as_str(), e.1), ("go/abs", T::Symlink));
                assert_eq!(link, Some(&b"/etc/passwd"[..]));
            }
            Hostile::WriteThroughSymlink => {
                let d = list.iter().position(|e| e.0 == b"go/d").unwrap();
                let f = list.iter().position(|e| e.0 == bad.as_bytes()).unwrap();
                assert!(d < f, "symlink must come first");
                assert_eq!(list[d].1, T::Symlink);
                assert_eq!(list[d].3.as_deref(), Some(&b"/tmp"[..]));
                assert!(bad.starts_with("go/d/gov-evil-"));
                assert_eq!(e.1, T::Regular);
                assert_eq!(
                    a.escape_path.as_deref(),
                    Some(bad.replacen("go/d/", "/tmp/", 1).as_str())
                );
            }
            Hostile::Setuid => {
                assert_eq!((bad.as_str(), e.1), ("go/bin/suid", T::Regular));
                assert_eq!(e.2, 0o4755);
            }
            Hostile::NotGzip | Hostile::TruncatedGzip => unreachable!(),
        }
    }
    // Unique escape names per call.
    assert_ne!(
        hostile_archive("1.22.5", "amd64", Hostile::Absolute).bad_entry,
        hostile_archive("1.22.5", "amd64", Hostile::Absolute).bad_entry
    );
}

#[test]
fn index_json_has_go_dev_shape() {
    let new = toolchain_archive("1.22.5", "amd64", 0);
    let old = toolchain_archive("1.21.0", "amd64", 0);
    let mut b = IndexBuilder::new();
    b.add_release(
        "go1.23rc1",
        false,
        vec![IndexFile::dummy("1.23rc1", "linux", "amd64", "archive")],
    );
    b.add_archive(&new, true);
    b.add_release("1.21.0", true, vec![IndexFile::from_archive(&old)]);
    let v: serde_json::Value = serde_json::from_slice(&b.to_json()).unwrap();
    let rels = v.as_array().unwrap();
    let versions: Vec<&str> = rels
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["go1.23rc1", "go1.22.5", "go1.21.0"]);
    assert_eq!(rels[0]["stable"], false);
    assert_eq!(rels[1]["stable"], true);
    let files = rels[1]["files"].as_array().unwrap();
    let f = &files[0];
    assert_eq!(f["filename"], "go1.22.5.linux-amd64.tar.gz");
    assert_eq!(f["os"], "linux");
    assert_eq!(f["arch"], "amd64");
    assert_eq!(f["version"], "go1.22.5");
    assert_eq!(f["sha256"], new.sha256.as_str());
    assert_eq!(f["size"], new.bytes.len() as u64);
    assert_eq!(f["kind"], "archive");
    let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 7);
    let kinds: Vec<(&str, &str, &str)> = files
        .iter()
        .map(|f| {
            (
                f["os"].as_str().unwrap(),
                f["arch"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(kinds.contains(&("", "", "source")));
    assert!(kinds.contains(&("darwin", "arm64", "archive")));
    assert!(kinds.contains(&("windows", "amd64", "installer")));
    assert!(files.iter().any(|f| f["filename"] == "go1.22.5.src.tar.gz"));
    assert!(
        files
            .iter()
            .any(|f| f["filename"] == "go1.22.5.windows-amd64.zip")
    );
    for f in files {
        assert_eq!(f["sha256"].as_str().unwrap().len(), 64);
    }
    // Only one linux/amd64 archive per release.
    let linux = files.iter().filter(|f| f["os"] == "linux").count();
    assert_eq!(linux, 1);

    let bare = IndexBuilder::new().without_extras();
    let mut bare = bare;
    bare.add_archive(&new, true);
    let v: serde_json::Value = serde_json::from_slice(&bare.to_json()).unwrap();
    assert_eq!(v[0]["files"].as_array().unwrap().len(), 1);
}
