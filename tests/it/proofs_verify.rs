//! `gov verify`: installed trees against the manifest and the log's `h1:`
//! recorded at install.

use crate::support;

use support::archive::small_go1_22_10;
use support::sumdb::Fixture;
use support::{Sandbox, toolchain_archive};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A sandbox with the small go1.22.10 installed and proven by the log.
fn installed() -> (Sandbox, Fixture) {
    let sb = Sandbox::new();
    let fx = Fixture::start(
        "sum.fixture.test",
        [0x3e; 32],
        vec![small_go1_22_10().clone()],
        20,
    );
    sb.publish(&[(&toolchain_archive("1.22.10", "amd64", 0), true)]);
    let out = sb
        .cmd()
        .env("GOPROXY", "off")
        .env("GOSUMDB", format!("{} {}", fx.vkey(), fx.sumdb_url()))
        .args(["install", "1.22.10"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    (sb, fx)
}

fn verify(sb: &Sandbox, args: &[&str]) -> (Option<i32>, String) {
    let out = sb
        .cmd()
        .arg("verify")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (out.status.code(), text(&out.stdout))
}

#[test]
fn one_changed_byte_is_found() {
    let (sb, _fx) = installed();
    let (code, out) = verify(&sb, &["--all"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        out,
        "1.22.10: intact (matches the checksum database's h1)\n"
    );

    // One byte changed in place: same size; the mtime put back, so only
    // the hash can tell.
    let version = sb.goroot("1.22.10").join("VERSION");
    let before = std::fs::metadata(&version).unwrap_or_else(|e| panic!("{e}"));
    let mut bytes = std::fs::read(&version).unwrap_or_else(|e| panic!("{e}"));
    bytes[0] ^= 0x20;
    std::fs::write(&version, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&version)
        .unwrap_or_else(|e| panic!("{e}"));
    f.set_modified(before.modified().unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    drop(f);
    let (code, out) = verify(&sb, &["1.22.10"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("  changed: VERSION\n"), "{out}");
    assert!(out.contains("no longer hashes to the h1"), "{out}");
    // The quick mode cannot see a same-size change with its mtime restored.
    let (code, out) = verify(&sb, &["1.22.10", "--quick"]);
    assert_eq!(code, Some(0), "{out}");

    // An added file and a removed one are named too, in the JSON answer.
    std::fs::write(sb.goroot("1.22.10").join("bin/extra"), "#!/bin/sh\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(sb.goroot("1.22.10").join("bin/gofmt")).unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = verify(&sb, &["--all", "--json"]);
    assert_eq!(code, Some(1), "{out}");
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(doc["intact"], false);
    let tree = &doc["trees"][0];
    assert_eq!(tree["state"], "changed");
    assert_eq!(tree["changed"], serde_json::json!(["VERSION"]));
    assert_eq!(tree["added"], serde_json::json!(["bin/extra"]));
    assert_eq!(tree["removed"], serde_json::json!(["bin/gofmt"]));
    assert_eq!(tree["log_matches"], false);
    support::schemas::follows("verify", out.as_bytes());
}

#[test]
fn trees_without_a_manifest_and_bad_requests() {
    let (sb, _fx) = installed();
    std::fs::remove_file(sb.home().join("proofs/1.22.10.manifest.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = verify(&sb, &["--all"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out, "1.22.10: unrecorded\n");
    // A hostile manifest is refused, not trusted.
    std::fs::write(sb.home().join("proofs/1.22.10.manifest.json"), "[1,2")
        .unwrap_or_else(|e| panic!("{e}"));
    let err = sb.fails(&["verify", "1.22.10"], 1);
    assert!(err.contains("is not a manifest gov wrote"), "{err}");
    sb.fails(&["verify"], 2);
    sb.fails(&["verify", "1.21.0"], 1);
}
