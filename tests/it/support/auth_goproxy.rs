//! A company module proxy on loopback that answers only requests carrying
//! its Basic credentials (401 otherwise), and records every request with
//! whether it was authorised: what Athens or Artifactory behind a login
//! look like to `go`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// One request: its path and whether its credentials were the right ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    pub authorized: bool,
}

#[derive(Default)]
struct State {
    files: BTreeMap<String, Vec<u8>>,
    seen: Vec<Seen>,
}

pub struct AuthGoProxy {
    pub port: u16,
    /// With TLS: the private CA that signed the server's certificate.
    pub ca: Option<PathBuf>,
    user: String,
    password: String,
    state: Arc<Mutex<State>>,
}

impl AuthGoProxy {
    /// Starts on 127.0.0.1 over plain HTTP, accepting `user`/`password` only.
    pub fn start(user: &str, password: &str) -> AuthGoProxy {
        AuthGoProxy::serve(user, password, None)
    }

    /// The same over HTTPS, with a certificate signed by a private CA
    /// issued under `dir` (`support::tls::issue_certificates`).
    pub fn start_tls(user: &str, password: &str, dir: &Path) -> AuthGoProxy {
        super::tls::issue_certificates(dir);
        let read = |name: &str| {
            std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
        };
        let chain = CertificateDer::pem_slice_iter(&read("leaf.pem"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("leaf.pem: {e}"));
        let key = PrivateKeyDer::from_pem_slice(&read("leaf.key"))
            .unwrap_or_else(|e| panic!("leaf.key: {e}"));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
            .unwrap_or_else(|e| panic!("TLS server config: {e}"));
        let mut proxy = AuthGoProxy::serve(user, password, Some(Arc::new(config)));
        proxy.ca = Some(dir.join("ca.pem"));
        proxy
    }

    fn serve(user: &str, password: &str, tls: Option<Arc<rustls::ServerConfig>>) -> AuthGoProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(Mutex::new(State::default()));
        let expected = format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{password}").as_bytes())
        );
        let shared = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (state, expected, tls) = (shared.clone(), expected.clone(), tls.clone());
                thread::spawn(move || match tls {
                    None => answer(conn, &state, &expected),
                    Some(config) => {
                        let Ok(server) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        let mut stream = rustls::StreamOwned::new(server, conn);
                        answer(&mut stream, &state, &expected);
                        stream.conn.send_close_notify();
                        let _ = stream.flush();
                    }
                });
            }
        });
        AuthGoProxy {
            port,
            ca: None,
            user: user.to_string(),
            password: password.to_string(),
            state,
        }
    }

    /// `http://` or `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        let scheme = if self.ca.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Serves `body` at `path` (e.g. `/example.com/m/@v/v1.0.0.zip`).
    pub fn put(&self, path: &str, body: Vec<u8>) {
        self.lock().files.insert(path.to_string(), body);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads one request head (no body: GETs only) and answers it.
fn answer(mut conn: impl Read + Write, state: &Mutex<State>, expected: &str) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let mut lines = head.lines();
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let authorized = lines.any(|h| {
        h.split_once(':').is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("authorization") && value.trim() == expected
        })
    });
    let body = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.seen.push(Seen {
            path: path.clone(),
            authorized,
        });
        st.files.get(&path).cloned()
    };
    let (status, extra, body) = match (authorized, body) {
        (false, _) => (
            "401 Unauthorized",
            "WWW-Authenticate: Basic realm=\"corp\"\r\n",
            b"login required\n".to_vec(),
        ),
        (true, Some(b)) => ("200 OK", "", b),
        (true, None) => ("404 Not Found", "", b"not found\n".to_vec()),
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(&body);
}
