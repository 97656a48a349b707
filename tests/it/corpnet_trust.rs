//! `gov trust`: company CAs added on top of the system roots, for every
//! `go` gov runs and for gov's own downloads; anything that is not a CA
//! certificate is refused without touching the bundle.

use crate::support;

use support::archive::{IndexBuilder, toolchain_archive};
use support::{Sandbox, TlsServer};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn gov_trust_adds_a_company_ca_for_gov_s_own_downloads_and_refuses_what_is_not_one() {
    let sb = Sandbox::new();
    // A release mirror over https, signed by a company CA.
    let www = sb.dir.path().join("www");
    let certs = sb.dir.path().join("certs");
    for d in [&www, &certs] {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
    }
    let archive = toolchain_archive("1.22.5", "amd64", 0);
    std::fs::write(www.join(&archive.filename), &archive.bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut idx = IndexBuilder::new();
    idx.add_archive(&archive, true);
    std::fs::write(www.join("index.json"), idx.to_json()).unwrap_or_else(|e| panic!("{e}"));
    let tls = TlsServer::start(&certs, &www);
    let install = || {
        sb.cmd()
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env("GOV_INDEX_URL", format!("{}/index.json", tls.url()))
            .env("GOV_MIRROR", tls.url())
            .env("GOV_HTTP_RETRIES", "0")
            .args(["install", "1.22.5"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let out = install();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    // Not CAs: refused, exit 2, nothing kept.
    let garbage = sb.dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap_or_else(|e| panic!("{e}"));
    let mut messages = String::new();
    for (name, path) in [
        ("a private key", certs.join("ca.key")),
        ("a server's certificate", certs.join("leaf.pem")),
        ("garbage", garbage),
        ("nothing", sb.dir.path().join("missing.pem")),
    ] {
        let args = ["trust", "add", &path.display().to_string()];
        let out = sb.gov(&args);
        let code = if name == "nothing" { 1 } else { 2 };
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}: {}",
            text(&out.stderr)
        );
        messages.push_str(&format!("# {name}\n{}\n", text(&out.stderr)));
    }
    assert!(!sb.home().join("trust/bundle.pem").exists());
    assert!(
        !std::fs::read_to_string(sb.home().join("env"))
            .unwrap_or_default()
            .contains("SSL_CERT_FILE")
    );

    // The CA: gov's own client trusts it, with the system roots kept.
    let ca = certs.join("ca.pem").display().to_string();
    sb.ok(&["trust", "add", &ca]);
    let out = install();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A refused file later leaves the bundle as it was.
    let bundle = sb.home().join("trust/bundle.pem");
    let before = std::fs::read(&bundle).unwrap_or_default();
    sb.fails(
        &[
            "trust",
            "add",
            &certs.join("leaf.pem").display().to_string(),
        ],
        2,
    );
    assert_eq!(std::fs::read(&bundle).unwrap_or_default(), before);
    // `proxy set` does not take SSL_CERT_FILE: gov trust keeps it.
    let err = sb.fails(&["proxy", "set", "SSL_CERT_FILE=/tmp/ca.pem"], 2);
    messages.push_str(&format!("# proxy set\n{err}\n"));

    let list = sb.ok(&["trust", "list", "--json"]);
    let v: serde_json::Value =
        serde_json::from_str(&list).unwrap_or_else(|e| panic!("{e}: {list}"));
    let cas = v["cas"].as_array().cloned().unwrap_or_default();
    assert_eq!(cas.len(), 1, "{v}");
    assert_eq!(cas[0]["subject"], "CN=gov test corporate CA", "{v}");
    let fingerprint = cas[0]["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let err = sb.fails(&["trust", "remove", &"0".repeat(64)], 1);
    messages.push_str(&format!("# an unknown fingerprint\n{err}\n"));
    sb.ok(&["trust", "remove", &fingerprint]);
    assert!(!bundle.exists());
    assert!(
        !std::fs::read_to_string(sb.home().join("env"))
            .unwrap_or_default()
            .contains("SSL_CERT_FILE")
    );
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("refused_trust", messages);
}
