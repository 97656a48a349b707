//! An HTTP forward proxy on loopback, as HTTPS_PROXY / HTTP_PROXY point to:
//! absolute-form GETs are fetched from a fixed upstream (whatever the host
//! name says, so test names need no DNS), CONNECT opens a tunnel to the
//! named host:port (a `*.test` host: to that port on 127.0.0.1). It records what it was asked for.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct ForwardProxy {
    pub port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    /// `upstream`: where absolute-form GETs are sent.
    pub fn start(upstream: SocketAddr) -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    if let Err(e) = serve(conn, upstream, &log) {
                        eprintln!("forward proxy: {e}");
                    }
                });
            }
        });
        ForwardProxy { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Request targets seen: absolute URLs, or `CONNECT host:port`.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

fn serve(conn: TcpStream, upstream: SocketAddr, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("authorization:") {
            // Recorded, never forwarded: tests check credentials did not
            // travel over plain http.
            if let Ok(mut l) = log.lock() {
                l.push(format!("AUTHORIZATION {}", first.trim()));
            }
            continue;
        }
        if lower.starts_with("range:") || lower.starts_with("if-none-match:") {
            headers.push(line);
        }
    }
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut conn = conn;
    if method == "CONNECT" {
        if let Ok(mut l) = log.lock() {
            l.push(format!("CONNECT {target}"));
        }
        // `*.test` never resolves: such tunnels end on this machine, so a
        // test can name a remote host that only the proxy reaches.
        let local = target
            .rsplit_once(':')
            .filter(|(host, _)| host.ends_with(".test"))
            .map(|(_, port)| format!("127.0.0.1:{port}"));
        let up = TcpStream::connect(local.as_deref().unwrap_or(target.as_str()))?;
        conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        // Splice both ways until either side closes.
        let (mut up_r, mut up_w) = (up.try_clone()?, up);
        let (mut c_r, mut c_w) = (reader, conn);
        let t = std::thread::spawn(move || {
            let _ = std::io::copy(&mut c_r, &mut up_w);
            let _ = up_w.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut up_r, &mut c_w);
        let _ = c_w.shutdown(std::net::Shutdown::Write);
        let _ = t.join();
        return Ok(());
    }
    if let Ok(mut l) = log.lock() {
        l.push(target.clone());
    }
    let path = target
        .splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{p}"))
        .unwrap_or_else(|| "/".into());
    let mut up = TcpStream::connect(upstream)?;
    write!(
        up,
        "GET {path} HTTP/1.1\r\nHost: {upstream}\r\nConnection: close\r\n"
    )?;
    for h in headers {
        up.write_all(h.as_bytes())?;
    }
    up.write_all(b"\r\n")?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    // Closing after the response lets the client see its end.
    let head_len = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |i| i + 4);
    let head = String::from_utf8_lossy(&resp[..head_len])
        .replace("Connection: keep-alive", "Connection: close");
    conn.write_all(head.as_bytes())?;
    conn.write_all(&resp[head_len..])?;
    Ok(())
}
