//! `gov doctor` against loopback servers: a working GOPROXY, a refusing
//! port, a name that does not resolve, a TLS server whose CA is only
//! trusted through SSL_CERT_FILE, checksum databases signed by a test key
//! (and a tampered one), plus local misconfigurations.

use crate::support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use base64::Engine;
use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};
use support::{Sandbox, TestServer, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

/// A sandbox with a working global version, GOV_BIN_DIR on PATH, persisted.
pub(crate) fn world() -> Sandbox {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5");
    sb.ok(&["persist", "--user"]);
    sb
}

fn gopath_bin(sb: &Sandbox) -> PathBuf {
    sb.dir.path().join("user/go/bin")
}

/// Runs `gov doctor --json` with a clean PATH (GOV_BIN_DIR first).
pub(crate) fn doctor(
    sb: &Sandbox,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Output, serde_json::Value) {
    let mut c = sb.std_cmd();
    c.current_dir(sb.dir.path())
        .env(
            "PATH",
            format!(
                "{}:/usr/bin:/bin:{}",
                sb.bin().display(),
                gopath_bin(sb).display()
            ),
        )
        .env("GOV_HTTP_RETRIES", "0");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = run_program(c.arg("doctor").arg("--json").args(args));
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (out, v)
}

pub(crate) fn check<'a>(
    v: &'a serde_json::Value,
    id: &str,
    target_part: Option<&str>,
) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|c| {
                same_check(c["id"].as_str().unwrap_or(""), id)
                    && target_part
                        .is_none_or(|t| c["target"].as_str().is_some_and(|x| x.contains(t)))
            })
        })
        .unwrap_or_else(|| panic!("no check {id} ({target_part:?}) in {v:#}"))
}

/// `goproxy.tls` also names the same stage of a later endpoint, whose id
/// doctor makes unique as `goproxy.2.tls`.
fn same_check(actual: &str, id: &str) -> bool {
    if actual == id {
        return true;
    }
    match (id.rsplit_once('.'), actual.rsplit_once('.')) {
        (Some((head, last)), Some((ahead, alast))) => {
            alast == last
                && ahead
                    .strip_prefix(head)
                    .and_then(|n| n.strip_prefix('.'))
                    .is_some_and(|n| n.parse::<usize>().is_ok())
        }
        _ => false,
    }
}

pub(crate) fn status<'a>(v: &'a serde_json::Value, id: &str, target_part: Option<&str>) -> &'a str {
    check(v, id, target_part)["status"].as_str().unwrap_or("")
}

/// A goproxy serving the probe module's version list.
pub(crate) fn goproxy() -> TestServer {
    let s = TestServer::start();
    s.put("/golang.org/x/text/@v/list", b"v0.14.0\nv0.15.0\n".to_vec());
    s
}

/// A checksum database key pair in Go's formats.
pub(crate) struct TestDb {
    sk: ed25519_dalek::SigningKey,
    name: String,
    hash: u32,
    pub(crate) vkey: String,
}

pub(crate) fn test_db(name: &str, seed: u8) -> TestDb {
    let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let mut keydata = vec![1u8];
    keydata.extend_from_slice(sk.verifying_key().as_bytes());
    let mut h = Sha256::new();
    h.update(format!("{name}\n").as_bytes());
    h.update(&keydata);
    let d = h.finalize();
    let hash = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let vkey = format!(
        "{name}+{hash:08x}+{}",
        base64::engine::general_purpose::STANDARD.encode(&keydata)
    );
    TestDb {
        sk,
        name: name.into(),
        hash,
        vkey,
    }
}

impl TestDb {
    pub(crate) fn signed_tree_head(&self, size: u64) -> String {
        let text =
            format!("go.sum database tree\n{size}\nK7mZ0mS8sM7m7ZzqJ1dq2o0n8c7Q9rZ3Yq2m8d9Gf1E=\n");
        let mut blob = self.hash.to_be_bytes().to_vec();
        blob.extend_from_slice(&self.sk.sign(text.as_bytes()).to_bytes());
        format!(
            "{text}\n\u{2014} {} {}\n",
            self.name,
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }
}

#[test]
fn healthy_machine_with_working_proxy_and_sumdb() {
    let sb = world();
    let gp = goproxy();
    let db = test_db("sum.test.example", 7);
    gp.put("/sumdb/latest", db.signed_tree_head(4242).into_bytes());
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY={},direct", gp.url()),
        &format!("GOSUMDB={} {}/sumdb", db.vkey, gp.url()),
    ]);
    let (out, v) = doctor(&sb, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["schema"], 1);
    assert_eq!(v["healthy"], true);
    assert_eq!(v["problems"], 0);
    for (id, t) in [
        ("goproxy.dns", "GOPROXY"),
        ("goproxy.tcp", "GOPROXY"),
        ("goproxy.http", "GOPROXY"),
        ("gosumdb.http", "GOSUMDB"),
        ("gosumdb.sumdb", "GOSUMDB"),
        ("path.go", ""),
        ("path.gofmt", ""),
        ("env.goroot", ""),
        ("versions.1.22.5", ""),
        ("versions.selected", ""),
    ] {
        let tp = if t.is_empty() { None } else { Some(t) };
        assert_eq!(status(&v, id, tp), "ok", "{id}: {:#}", check(&v, id, tp));
    }
    let sumdb = check(&v, "gosumdb.sumdb", None)["finding"]
        .as_str()
        .unwrap_or("");
    assert!(
        sumdb.contains("verified") && sumdb.contains("4242"),
        "{sumdb}"
    );
    assert!(
        check(&v, "goproxy.http", None)["finding"]
            .as_str()
            .unwrap_or("")
            .contains("2 versions")
    );
    assert!(check(&v, "goproxy.tcp", None)["ms"].is_u64());

    // The text report: sections, marks, and a healthy verdict.
    let mut c = sb.std_cmd();
    c.env(
        "PATH",
        format!(
            "{}:/usr/bin:/bin:{}",
            sb.bin().display(),
            gopath_bin(&sb).display()
        ),
    );
    // Marks are Unicode in a UTF-8 locale (ASCII otherwise).
    c.env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE");
    let out = run_program(c.arg("doctor"));
    let t = text(&out.stdout);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("Environment\n")
            && t.contains("Installed versions\n")
            && t.contains("Network\n"),
        "{t}"
    );
    assert!(t.contains("✓ sumdb"), "{t}");
    assert!(t.contains("healthy: 0 problem(s)"), "{t}");
}

#[test]
fn a_tampered_tree_head_is_a_problem() {
    let sb = world();
    let gp = goproxy();
    let db = test_db("sum.test.example", 7);
    let impostor = test_db("sum.test.example", 9);
    // Signed by another key under the same name and hash: bad signature.
    let mut forged = impostor.signed_tree_head(4243);
    // Re-label the impostor's signature with the real key's hash.
    let line_start = forged.find('\u{2014}').unwrap_or(0);
    let sig_b64 = forged[line_start..]
        .split_whitespace()
        .nth(2)
        .unwrap_or("")
        .to_string();
    let mut raw = base64::engine::general_purpose::STANDARD
        .decode(&sig_b64)
        .unwrap_or_default();
    raw[..4].copy_from_slice(&db.hash.to_be_bytes());
    forged = forged.replace(
        &sig_b64,
        &base64::engine::general_purpose::STANDARD.encode(raw),
    );
    gp.put("/sumdb/latest", forged.into_bytes());
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY={}", gp.url()),
        &format!("GOSUMDB={} {}/sumdb", db.vkey, gp.url()),
    ]);
    let (out, v) = doctor(&sb, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let c = check(&v, "gosumdb.sumdb", None);
    assert_eq!(c["status"], "problem");
    assert!(
        c["finding"]
            .as_str()
            .unwrap_or("")
            .contains("did not come from the database"),
        "{c:#}"
    );
    // A tree head with text altered after signing.
    let good = db.signed_tree_head(10).replace("\n10\n", "\n11\n");
    gp.put("/sumdb/latest", good.into_bytes());
    let (_, v) = doctor(&sb, &[], &[]);
    assert_eq!(status(&v, "gosumdb.sumdb", None), "problem");
    // Something that is not a note at all (a captive portal).
    gp.put("/sumdb/latest", b"<html>login</html>".to_vec());
    let (_, v) = doctor(&sb, &[], &[]);
    let c = check(&v, "gosumdb.sumdb", None);
    assert!(
        c["finding"]
            .as_str()
            .unwrap_or("")
            .contains("not a signed tree head"),
        "{c:#}"
    );
}

#[test]
fn refused_unresolvable_and_4xx_proxies_name_their_stage() {
    let sb = world();
    let refused = support::start_refusing_port();
    let gp = TestServer::start();
    gp.fail_next("/golang.org/x/text/@v/list", 403, 100);
    sb.ok(&[
        "proxy",
        "set",
        &format!(
            "GOPROXY=http://127.0.0.1:{refused}|https://goproxy.doesnotexist.invalid|{}|direct",
            gp.url()
        ),
        "GOSUMDB=off",
    ]);
    let (out, v) = doctor(&sb, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    // Three proxies, the same stages: every id is still unique.
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    assert!(ids.contains(&"goproxy.2.dns"), "{ids:?}");
    let tcp = check(&v, "goproxy.tcp", Some(&refused.to_string()));
    assert_eq!(tcp["status"], "problem");
    assert!(
        tcp["finding"].as_str().unwrap_or("").contains("refused"),
        "{tcp:#}"
    );
    // Refused (something answered) is told apart from dropped by the
    // error's kind, not its text.
    assert_eq!(
        tcp["advice"], "nothing listens there: wrong port, or the service is down",
        "{tcp:#}"
    );
    let dns = check(&v, "goproxy.dns", Some("invalid"));
    assert_eq!(dns["status"], "problem");
    assert!(
        dns["finding"]
            .as_str()
            .unwrap_or("")
            .contains("does not resolve"),
        "{dns:#}"
    );
    let http = check(&v, "goproxy.http", Some(&gp.url()));
    assert_eq!(http["status"], "problem");
    assert!(
        http["advice"].as_str().unwrap_or("").contains(".netrc"),
        "{http:#}"
    );
    // GOSUMDB=off is a security warning.
    assert_eq!(status(&v, "settings.gosumdb", None), "warning");
}

/// A TLS proxy whose certificate comes from a private CA: the TLS stage
/// fails with corporate-CA advice until SSL_CERT_FILE names that CA.
#[test]
fn tls_stage_and_ssl_cert_file() {
    let sb = world();
    let d = sb.dir.path();
    let www = d.join("www");
    std::fs::create_dir_all(www.join("golang.org/x/text/@v")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(www.join("golang.org/x/text/@v/list"), "v0.14.0\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let server = support::TlsServer::start(d, &www);
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY={}", server.url()),
        "GOSUMDB=off",
    ]);
    let nocerts = d.join("no-certs").display().to_string();
    let (_, v) = doctor(
        &sb,
        &[],
        &[
            ("SSL_CERT_FILE", "/nonexistent.pem"),
            ("SSL_CERT_DIR", &nocerts),
        ],
    );
    let tls = check(&v, "goproxy.tls", None);
    assert_eq!(tls["status"], "problem", "{tls:#}");
    assert!(
        tls["finding"]
            .as_str()
            .unwrap_or("")
            .contains("UnknownIssuer"),
        "{tls:#}"
    );
    assert!(
        tls["advice"]
            .as_str()
            .unwrap_or("")
            .contains("SSL_CERT_FILE"),
        "{tls:#}"
    );
    let ca_s = server.ca.display().to_string();
    let (_, v) = doctor(
        &sb,
        &[],
        &[("SSL_CERT_FILE", &ca_s), ("SSL_CERT_DIR", &nocerts)],
    );
    assert_eq!(status(&v, "goproxy.tls", None), "ok", "{v:#}");
    assert_eq!(status(&v, "goproxy.http", None), "ok", "{v:#}");

    // Through HTTPS_PROXY: DNS and TCP go to the proxy, TLS runs through
    // its CONNECT tunnel, and the report names the proxy. A remote name:
    // loopback is never proxied.
    let fwd = support::ForwardProxy::start(sb.server.addr());
    let remote = server.url().replace("localhost", "goproxy.test");
    sb.ok(&["proxy", "set", &format!("GOPROXY={remote}")]);
    let (_, v) = doctor(
        &sb,
        &[],
        &[
            ("SSL_CERT_FILE", &ca_s),
            ("SSL_CERT_DIR", &nocerts),
            ("HTTPS_PROXY", &fwd.url()),
            ("NO_PROXY", ""),
        ],
    );
    drop(server);
    let dns = check(&v, "goproxy.dns", None);
    assert!(
        dns["finding"]
            .as_str()
            .unwrap_or("")
            .contains("via proxy 127.0.0.1"),
        "{dns:#}"
    );
    assert_eq!(status(&v, "goproxy.tls", None), "ok", "{v:#}");
    assert_eq!(status(&v, "goproxy.http", None), "ok", "{v:#}");
    assert!(
        fwd.seen()
            .iter()
            .any(|s| s.starts_with("CONNECT goproxy.test:")),
        "{:?}",
        fwd.seen()
    );
}

#[test]
fn proxy_check_ranks_the_working_proxy_first() {
    let sb = world();
    let gp = goproxy();
    sb.ok(&["proxy", "set", &format!("GOPROXY={},direct", gp.url())]);
    let mut c = sb.env_cmd(assert_cmd::cargo::cargo_bin("gov"));
    c.args(["proxy", "check", "--json"])
        .env("GOV_DOCTOR_TIMEOUT", "2");
    let out = run_program(&mut c);
    assert!(out.status.success(), "{}", text(&out.stderr));
    support::schemas::follows("proxy-check", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let rows = v.as_array().cloned().unwrap_or_default();
    assert!(rows.len() >= 6, "configured + presets: {v:#}");
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[0]["source"], "configured");
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(rows[0]["url"], gp.url());
    // The presets are listed too (unreachable from this sandbox: not ok).
    assert!(rows.iter().any(|r| r["source"] == "cn"), "{v:#}");
    assert!(rows[1..].iter().all(|r| r["ok"] == false), "{v:#}");
}

#[test]
fn black_holed_endpoints_end_within_the_stage_timeouts() {
    let sb = world();
    // Listeners that accept but never answer: TLS and HTTP hang.
    let silent: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let ports: Vec<u16> = silent
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).unwrap_or(0))
        .collect();
    sb.ok(&[
        "proxy",
        "set",
        &format!(
            "GOPROXY=https://127.0.0.1:{}|http://127.0.0.1:{}|direct",
            ports[0], ports[1]
        ),
        &format!("GOSUMDB=sum.golang.org https://127.0.0.1:{}", ports[2]),
    ]);
    let t = Instant::now();
    let (out, v) = doctor(&sb, &[], &[("GOV_DOCTOR_TIMEOUT", "2")]);
    let took = t.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(12), "took {took:?}");
    let tls = check(&v, "goproxy.tls", Some(&ports[0].to_string()));
    assert_eq!(tls["status"], "problem");
    let http = check(&v, "goproxy.http", Some(&ports[1].to_string()));
    assert_eq!(http["status"], "problem");
    drop(silent);
    // --offline skips the network altogether.
    let (_, v) = doctor(&sb, &["--offline"], &[]);
    assert_eq!(status(&v, "network", None), "skipped");
}

#[test]
fn shadowing_go_goroot_and_broken_trees_are_problems() {
    let sb = world();
    sb.ok(&["proxy", "set", "GOPROXY=off", "GOSUMDB=off"]);
    // A distro-style go earlier on PATH: /usr/lib/go-1.19/bin/go via a link.
    let distro = sb.dir.path().join("usr/lib/go-1.19/bin");
    std::fs::create_dir_all(&distro).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(distro.join("go"), "#!/bin/sh\necho distro go\n")
        .unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(distro.join("go"), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let early = sb.dir.path().join("usr/bin");
    std::fs::create_dir_all(&early).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(distro.join("go"), early.join("go"))
        .unwrap_or_else(|e| panic!("{e}"));
    let path = format!(
        "{}:{}:/usr/bin:/bin:{}",
        early.display(),
        sb.bin().display(),
        gopath_bin(&sb).display()
    );
    // GOROOT exported, pointing elsewhere; a broken installed tree.
    std::fs::write(sb.goroot("1.21.13").join("bin/go"), "#!/bin/sh\nexit 3\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let (out, v) = doctor(
        &sb,
        &["--offline"],
        &[("PATH", &path), ("GOROOT", "/usr/local/go")],
    );
    assert_eq!(out.status.code(), Some(1));
    let go = check(&v, "path.go", None);
    assert_eq!(go["status"], "problem");
    let f = go["finding"].as_str().unwrap_or("");
    assert!(f.contains(&early.join("go").display().to_string()), "{f}");
    assert!(
        f.contains("a hand-made link") || f.contains("link to"),
        "{f}"
    );
    assert_eq!(status(&v, "path.gofmt", None), "ok");
    let gr = check(&v, "env.goroot", None);
    assert_eq!(gr["status"], "problem");
    assert!(
        gr["finding"]
            .as_str()
            .unwrap_or("")
            .contains("/usr/local/go"),
        "{gr:#}"
    );
    let broken = check(&v, "versions.1.21.13", None);
    assert_eq!(broken["status"], "problem");
    assert!(
        broken["advice"]
            .as_str()
            .unwrap_or("")
            .contains("gov install --force 1.21.13"),
        "{broken:#}"
    );
    assert_eq!(status(&v, "versions.1.22.5", None), "ok");
}

#[test]
fn settings_conflicts_are_warnings() {
    let sb = world();
    sb.ok(&[
        "proxy",
        "set",
        "GOPROXY=off",
        "GOSUMDB=off",
        "GOPRIVATE=git.corp.example/*",
        "GONOSUMDB=other.example",
    ]);
    let cfg = sb.dir.path().join("user/.config/go");
    std::fs::create_dir_all(&cfg).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(cfg.join("env"), "GOFLAGS=-mod=mod\n").unwrap_or_else(|e| panic!("{e}"));
    let (out, v) = doctor(
        &sb,
        &["--offline"],
        &[("GOTOOLCHAIN", "auto"), ("GOFLAGS", "-mod=vendor")],
    );
    assert_eq!(out.status.code(), Some(0), "warnings only: {v:#}");
    assert_eq!(status(&v, "settings.gotoolchain", None), "warning");
    let tc = check(&v, "settings.gotoolchain", None)["finding"].to_string();
    assert!(tc.contains("download"), "{tc}");
    // `path` switches only to gov's installed versions: a choice, explained.
    for policy in ["path", "go1.22.5+path"] {
        let (_, p) = doctor(&sb, &["--offline"], &[("GOTOOLCHAIN", policy)]);
        assert_eq!(status(&p, "settings.gotoolchain", None), "ok", "{policy}");
        let tc = check(&p, "settings.gotoolchain", None)["finding"].to_string();
        assert!(tc.contains("only to versions gov installed"), "{tc}");
    }
    let ov = check(&v, "settings.env_overrides", None);
    assert_eq!(ov["status"], "warning");
    assert!(
        ov["finding"].as_str().unwrap_or("").contains("GOFLAGS"),
        "{ov:#}"
    );
    let pr = check(&v, "settings.goprivate", None);
    assert_eq!(pr["status"], "warning");
    assert!(
        pr["finding"].as_str().unwrap_or("").contains("GONOSUMDB"),
        "{pr:#}"
    );
    assert!(v["warnings"].as_u64().unwrap_or(0) >= 3);
}

/// `gov proxy use corp --private P` routes private modules on purpose:
/// through the company proxy by default (GONOPROXY=none, which doctor
/// accepts), straight from version control on request, never towards
/// proxy.golang.org; GONOSUMDB keeps them off the public checksum database.
#[test]
fn corp_private_routing_is_explicit_and_doctor_accepts_it() {
    let sb = world();
    let profile = || std::fs::read_to_string(sb.home().join("env")).unwrap_or_default();
    let corp = [
        "proxy",
        "use",
        "corp",
        "--url",
        "https://goproxy.corp.example",
    ];
    let private = ["--private", "git.corp.example/*"];
    sb.ok(&[&corp[..], &private[..]].concat());
    let p = profile();
    assert!(p.contains("GONOPROXY=none\n"), "{p}");
    assert!(p.contains("GONOSUMDB=git.corp.example/*\n"), "{p}");
    assert!(p.contains("GOPRIVATE=git.corp.example/*\n"), "{p}");
    let (out, v) = doctor(&sb, &["--offline"], &[]);
    assert_eq!(status(&v, "settings.goprivate", None), "ok", "{v:#}");
    assert_eq!(out.status.code(), Some(0), "{v:#}");

    sb.ok(&[&corp[..], &private[..], &["--private-via", "direct"]].concat());
    let p = profile();
    assert!(p.contains("GONOPROXY=git.corp.example/*\n"), "{p}");
    assert!(p.contains("GONOSUMDB=git.corp.example/*\n"), "{p}");
    // With the public fallback, only direct keeps private paths inside.
    sb.ok(&[&corp[..], &private[..], &["--fallback"]].concat());
    assert!(profile().contains("GONOPROXY=git.corp.example/*\n"));
    let before = profile();
    let mut messages = String::new();
    for args in [
        [
            &corp[..],
            &private[..],
            &["--private-via", "proxy", "--fallback"],
        ]
        .concat(),
        [&corp[..], &private[..], &["--private-via", "vpn"]].concat(),
        [&corp[..], &private[..], &["--private-via=", "proxy"]].concat(),
        [&corp[..], &["--private-via", "proxy"]].concat(),
        vec!["proxy", "use", "cn", "--private-via", "direct"],
    ] {
        let err = sb.fails(&args, 2);
        messages.push_str(&format!("$ gov {}\n{}\n\n", args.join(" "), err.trim_end()));
    }
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("refused_private_routes", messages);
    assert_eq!(profile(), before, "refused commands change nothing");

    // GONOPROXY=none with a public proxy on the list does leak: a warning.
    sb.ok(&[
        "proxy",
        "set",
        "GOPROXY=https://goproxy.corp.example,https://proxy.golang.org,direct",
        "GONOPROXY=none",
    ]);
    let (_, v) = doctor(&sb, &["--offline"], &[]);
    let pr = check(&v, "settings.goprivate", None);
    assert_eq!(pr["status"], "warning", "{pr:#}");
    assert!(
        pr["finding"].as_str().unwrap_or("").contains("GONOPROXY"),
        "{pr:#}"
    );
}

#[test]
fn an_endless_probe_answer_is_a_problem_and_is_not_read_whole() {
    let sb = world();
    let gp = TestServer::start();
    let db = test_db("sum.test.example", 7);
    // 256 MiB where a version list or a tree head of a few hundred bytes
    // belongs (a misconfigured endpoint serving a download, or a hostile
    // one): streamed from a sparse file, never built in memory.
    let big = sb.dir.path().join("big");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(256 << 20))
        .unwrap_or_else(|e| panic!("{e}"));
    gp.put_file("/golang.org/x/text/@v/list", &big);
    gp.put_file("/sumdb/latest", &big);
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY={}", gp.url()),
        &format!("GOSUMDB={} {}/sumdb", db.vkey, gp.url()),
    ]);
    let (out, v) = doctor(&sb, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    for id in ["goproxy.http", "gosumdb.http"] {
        let c = check(&v, id, None);
        assert_eq!(c["status"], "problem", "{c:#}");
        let finding = c["finding"].as_str().unwrap_or("");
        assert!(finding.contains("larger than 1 MiB"), "{c:#}");
    }
}

/// The text report names each section once (the vulnerability check of
/// the installed versions comes after the layers' checks), and says where
/// installs take Go from and why, as `--json` does.
#[test]
fn doctor_names_each_section_once_and_the_toolchain_source() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    sb.ok(&["proxy", "use", "cn"]);
    let run = |unset: &[&str], json: bool| -> String {
        let mut c = sb.std_cmd();
        c.current_dir(sb.dir.path()).env_remove("GOV_SOURCE");
        for k in unset {
            c.env_remove(k);
        }
        c.args(["doctor", "--offline"]);
        if json {
            c.arg("--json");
        }
        text(&run_program(&mut c).stdout)
    };
    let report = run(&[], false);
    for title in ["Environment", "Installed versions", "Layers"] {
        let n = report.lines().filter(|l| l.starts_with(title)).count();
        assert_eq!(n, 1, "{title}:\n{report}");
    }
    assert!(
        report.contains(
            "toolchains come from release (the module proxy only if release downloads are unreachable): \
             GOV_MIRROR set in the environment, not the proxy that preset cn implies"
        ),
        "{report}"
    );
    let v: serde_json::Value = serde_json::from_str(&run(&[], true)).unwrap_or_default();
    assert_eq!(v["toolchain_source"]["decided_by"], "GOV_MIRROR", "{v:#}");
    assert_eq!(v["toolchain_source"]["source"], "auto", "{v:#}");

    let report = run(&["GOV_MIRROR", "GOV_INDEX_URL"], false);
    let config = sb.home().join("config");
    assert!(
        report.contains(&format!(
            "toolchains come from proxy: implied by preset cn (GOV_PRESET=cn in {})",
            config.display()
        )),
        "{report}"
    );
    // A GOV_SOURCE gov does not know is a problem, named as such.
    let mut c = sb.std_cmd();
    c.env("GOV_SOURCE", "\u{1b}[31mbogus")
        .args(["doctor", "--offline", "--json"]);
    let bad: serde_json::Value =
        serde_json::from_slice(&run_program(&mut c).stdout).unwrap_or_default();
    assert_eq!(bad["toolchain_source"], serde_json::Value::Null, "{bad:#}");
    assert_eq!(status(&bad, "source", None), "problem", "{bad:#}");
    assert!(
        !check(&bad, "source", None)["finding"]
            .as_str()
            .unwrap_or("")
            .contains('\u{1b}'),
        "{bad:#}"
    );

    let v: serde_json::Value =
        serde_json::from_str(&run(&["GOV_MIRROR", "GOV_INDEX_URL"], true)).unwrap_or_default();
    let s = &v["toolchain_source"];
    assert_eq!(
        (&s["source"], &s["decided_by"], &s["origin"]),
        (
            &serde_json::json!("proxy"),
            &serde_json::json!("GOV_PRESET"),
            &serde_json::json!(config.display().to_string())
        ),
        "{v:#}"
    );
}
