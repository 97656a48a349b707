//! Doctor's advice follows the failure's kind: a certificate that is its
//! own CA, a connection reset mid-answer, a checksum database signing with
//! another key than GOSUMDB names.

use crate::doctor::{check, doctor, goproxy, test_db, world};
use crate::support;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};

/// openssl s_server with the test CA's own certificate as the server's.
struct CaAsServer {
    child: std::process::Child,
    port: u16,
}

impl Drop for CaAsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_ca_certificate_served_as_the_servers_own_is_named() {
    let sb = world();
    let d = sb.dir.path();
    let www = d.join("www");
    std::fs::create_dir_all(&www).unwrap_or_else(|e| panic!("{e}"));
    // Writes ca.pem / ca.key (CA:TRUE) under d.
    let proper = support::TlsServer::start(d, &www);
    let port = support::server::start_refusing_port();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-WWW", "-accept", &port.to_string()])
        .arg("-cert")
        .arg(d.join("ca.pem"))
        .arg("-key")
        .arg(d.join("ca.key"))
        .current_dir(&www)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("openssl s_server: {e}"));
    let server = CaAsServer { child, port };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let url = format!("https://127.0.0.1:{}", server.port);
    let ca = proper.ca.display().to_string();
    for trusted in [true, false] {
        let mut env = vec![("GOPROXY", url.as_str()), ("GOSUMDB", "off")];
        if trusted {
            env.push(("SSL_CERT_FILE", &ca));
        }
        let (out, v) = doctor(&sb, &[], &env);
        assert_eq!(out.status.code(), Some(1), "{v:#}");
        let tls = check(&v, "goproxy.tls", None);
        let finding = tls["finding"].as_str().unwrap_or_default();
        let advice = tls["advice"].as_str().unwrap_or_default();
        assert!(finding.contains("CA certificate"), "{trusted}: {finding}");
        assert!(
            advice.contains("CA:FALSE") && advice.contains("gov trust add"),
            "{advice}"
        );
        assert!(!advice.contains("middlebox"), "{advice}");
    }
}

/// A server that reads the request and resets the connection.
fn resetting_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        for mut conn in l.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            // SO_LINGER 0: close sends RST.
            let _ = socket_linger_zero(&conn);
            drop(conn);
        }
    });
    port
}

fn socket_linger_zero(s: &std::net::TcpStream) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a correctly sized linger struct.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[test]
fn a_reset_connection_is_not_told_to_set_https_proxy() {
    let sb = world();
    let port = resetting_server();
    let url = format!("http://127.0.0.1:{port}");
    let (out, v) = doctor(&sb, &[], &[("GOPROXY", &url), ("GOSUMDB", "off")]);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let http = check(&v, "goproxy.http", None);
    assert_eq!(http["status"], "problem", "{http:#}");
    let advice = http["advice"].as_str().unwrap_or_default();
    assert!(!advice.contains("HTTPS_PROXY"), "{advice}");
    assert!(advice.contains("cut"), "{advice}");
}

#[test]
fn a_database_signing_with_another_key_is_told_to_fix_the_key() {
    let sb = world();
    let gp = goproxy();
    let real = test_db("sum.test.example", 7);
    let named = test_db("sum.test.example", 9);
    gp.put("/sumdb/sum.test.example/supported", Vec::new());
    gp.put(
        "/sumdb/sum.test.example/latest",
        real.signed_tree_head(5).into_bytes(),
    );
    let chain = format!("{},direct", gp.url());
    let env = [
        ("GOPROXY", chain.as_str()),
        ("GOSUMDB", named.vkey.as_str()),
    ];
    let (out, v) = doctor(&sb, &[], &env);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    for id in ["gosumdb.sumdb", "toolchains.sumdb"] {
        let c = check(&v, id, None);
        let advice = c["advice"].as_str().unwrap_or_default();
        assert!(!advice.contains("proxy use cn"), "{id}: {advice}");
        assert!(advice.contains("key"), "{id}: {advice}");
    }
}
