//! A real nginx (Debian's package) serving a directory on a loopback port,
//! configured with the shipped `contrib/nginx/gov-mirror-locations.conf`.
//! Each instance is its own process tree (`daemon off`), with its own
//! prefix, pid file, logs and temp paths under a temporary directory; never
//! the system service. Dropping it stops that process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub method: String,
    pub uri: String,
    pub status: u16,
    pub bytes: u64,
    /// The request's Range header, or "-".
    pub range: String,
    /// The request's If-None-Match header, or "-".
    pub if_none_match: String,
}

pub struct Nginx {
    pub port: u16,
    prefix: tempfile::TempDir,
    child: Child,
}

fn nginx_binary() -> PathBuf {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "nginx is not installed: these tests run a real nginx (scripts/test --deps installs Debian's `nginx` package)"
    );
}

/// The `user` directive: as root, the account Debian's nginx runs its
/// workers as (`www-data`), else `nobody`; unprivileged, nginx cannot
/// switch and keeps the caller.
fn worker_user() -> String {
    if !super::account::is_root() {
        return String::new();
    }
    let exists = |what: &str, name: &str| {
        Command::new("getent")
            .args([what, name])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if exists("passwd", "www-data") && exists("group", "www-data") {
        return "user www-data www-data;".into();
    }
    let group = if exists("group", "nogroup") {
        "nogroup"
    } else {
        "nobody"
    };
    format!("user nobody {group};")
}

impl Nginx {
    /// Serves `root` on 127.0.0.1 at a free port.
    pub fn serve(root: &Path) -> Nginx {
        let locations =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/nginx/gov-mirror-locations.conf");
        let prefix = tempfile::Builder::new()
            .prefix("gov-nginx-")
            .tempdir()
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        let p = prefix.path();
        std::fs::create_dir_all(p.join("tmp")).unwrap_or_else(|e| panic!("mkdir: {e}"));
        // A port nobody holds right now; nginx binds it a moment later.
        for attempt in 0..5 {
            let port = super::server::start_refusing_port();
            // As a stock nginx runs them: workers as an unprivileged
            // account, so a mirror they cannot read answers 403 here too.
            let user = worker_user();
            let conf = format!(
                r#"daemon off;
worker_processes 2;
{user}
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 512; }}
http {{
    types {{ application/json json; application/gzip gz; text/plain txt sha256; }}
    default_type application/octet-stream;
    log_format gov '$request_method $uri $status $body_bytes_sent "$http_range" "$http_if_none_match"';
    access_log {p}/access.log gov;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        include {locations};
    }}
}}
"#,
                p = p.display(),
                root = root.display(),
                locations = locations.display(),
            );
            std::fs::write(p.join("nginx.conf"), conf)
                .unwrap_or_else(|e| panic!("write conf: {e}"));
            let mut child = Command::new(nginx_binary())
                .arg("-p")
                .arg(p)
                .arg("-e")
                .arg(p.join("error.log"))
                .arg("-c")
                .arg(p.join("nginx.conf"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting nginx: {e}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Nginx {
                        port,
                        prefix,
                        child,
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(p.join("error.log")).unwrap_or_default();
            if attempt == 4 || !log.contains("Address already in use") {
                panic!("nginx did not start:\n{log}");
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request logged so far (nginx writes each line at the end of
    /// its request).
    pub fn log(&self) -> Vec<Access> {
        let text =
            std::fs::read_to_string(self.prefix.path().join("access.log")).unwrap_or_default();
        text.lines().filter_map(parse_access).collect()
    }

    /// The requests for `uri`.
    pub fn hits(&self, uri: &str) -> Vec<Access> {
        self.log().into_iter().filter(|a| a.uri == uri).collect()
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("error.log")).unwrap_or_default()
    }
}

fn parse_access(line: &str) -> Option<Access> {
    let (head, quoted) = line.split_once(" \"")?;
    let mut it = head.split(' ');
    let method = it.next()?.to_string();
    let uri = it.next()?.to_string();
    let status = it.next()?.parse().ok()?;
    let bytes = it.next()?.parse().ok()?;
    let mut q = quoted.split("\" \"");
    let range = q.next()?.to_string();
    let if_none_match = q.next()?.trim_end_matches('"').to_string();
    Some(Access {
        method,
        uri,
        status,
        bytes,
        range,
        if_none_match,
    })
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT is nginx's graceful stop; the master takes its workers along.
        // SAFETY: the pid is our own child's.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGQUIT);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
