//! An HTTPS file server on loopback whose certificate is signed by a
//! private CA (what a corporate TLS proxy looks like to a client): `openssl
//! s_server -WWW` serving a directory. Trusted only when the client is told
//! about the CA (SSL_CERT_FILE).

use std::ffi::OsString;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct TlsServer {
    child: Child,
    pub port: u16,
    /// The private CA's certificate (PEM), for SSL_CERT_FILE.
    pub ca: PathBuf,
}

impl TlsServer {
    /// Serves `www` over HTTPS as `localhost` / 127.0.0.1 (and `goproxy.test`,
    /// reachable only through `ForwardProxy`); keys and
    /// certificates are written under `dir`.
    pub fn start(dir: &Path, www: &Path) -> TlsServer {
        let f = |name: &str| dir.join(name);
        issue_certificates(dir);
        let port = super::server::start_refusing_port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-WWW", "-accept", &port.to_string()])
            .arg("-cert")
            .arg(f("leaf.pem"))
            .arg("-key")
            .arg(f("leaf.key"))
            .current_dir(www)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("openssl s_server is needed for this test: {e}"));
        let server = TlsServer {
            child,
            port,
            ca: f("ca.pem"),
        };
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("openssl s_server did not start on port {port}");
    }

    /// `https://localhost:<port>`
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private CA (`ca.pem`, `ca.key`) and a leaf it signs for `localhost`,
/// `goproxy.test` and 127.0.0.1 (`leaf.pem`, `leaf.key`), written under
/// `dir`.
pub fn issue_certificates(dir: &Path) {
    let f = |name: &str| dir.join(name);
    let ext = f("leaf.ext");
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,DNS:goproxy.test,IP:127.0.0.1\n",
    )
    .unwrap_or_else(|e| panic!("writing {}: {e}", ext.display()));
    let args = |words: &[&str], paths: &[(&str, PathBuf)]| -> Vec<OsString> {
        let mut v: Vec<OsString> = words.iter().map(OsString::from).collect();
        for (flag, p) in paths {
            v.push(OsString::from(flag));
            v.push(p.as_os_str().to_owned());
        }
        v
    };
    openssl(args(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=gov test corporate CA",
        ],
        &[("-keyout", f("ca.key")), ("-out", f("ca.pem"))],
    ));
    openssl(args(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
        ],
        &[("-keyout", f("leaf.key")), ("-out", f("leaf.csr"))],
    ));
    openssl(args(
        &["x509", "-req", "-CAcreateserial", "-days", "2"],
        &[
            ("-in", f("leaf.csr")),
            ("-CA", f("ca.pem")),
            ("-CAkey", f("ca.key")),
            ("-extfile", ext),
            ("-out", f("leaf.pem")),
        ],
    ));
}

fn openssl(args: Vec<OsString>) {
    let out = Command::new("openssl")
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("openssl is needed for this test: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
