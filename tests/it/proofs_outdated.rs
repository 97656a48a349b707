//! `gov outdated` asks the checksum database for the next patch of each
//! installed line: an index that hides a release the log records is
//! reported.

use crate::support;

use std::sync::Arc;

use support::archive::small_go1_22_10;
use support::sumdb::{Fixture, Toolchain};
use support::{Sandbox, toolchain_archive};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A record for go1.22.11 (its zip is never fetched).
fn go1_22_11() -> Toolchain {
    Toolchain {
        version: "go1.22.11".to_string(),
        zip: Arc::new(Vec::new()),
        tampered_zip: Arc::new(Vec::new()),
        info: String::new(),
        zip_h1: "h1:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=".to_string(),
        tampered_zip_h1: String::new(),
    }
}

fn outdated(sb: &Sandbox, fx: &Fixture) -> (Option<i32>, serde_json::Value, String) {
    let out = sb
        .cmd()
        .env("GOPROXY", "off")
        .env("GOSUMDB", format!("{} {}", fx.vkey(), fx.sumdb_url()))
        .env("GOV_VULNDB", sb.server.url_for("/vulndb"))
        .args(["outdated", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    (out.status.code(), doc, text(&out.stderr))
}

#[test]
fn a_patch_the_index_hides_is_reported_from_the_log() {
    let sb = Sandbox::new();
    sb.publish(&[(&toolchain_archive("1.22.10", "amd64", 0), true)]);
    sb.ok(&["install", "1.22.10"]);

    // The log knows only 1.22.10: nothing hidden.
    let honest = Fixture::start(
        "sum.fixture.test",
        [0x3f; 32],
        vec![small_go1_22_10().clone()],
        20,
    );
    let (code, doc, _) = outdated(&sb, &honest);
    assert_eq!(code, Some(0));
    assert_eq!(doc["versions"][0]["outdated"], false, "{doc}");
    assert_eq!(
        doc["versions"][0]["log_newer_patch"],
        serde_json::Value::Null
    );

    // The log has 1.22.11; the index does not list it.
    let fx = Fixture::start(
        "sum.fixture.test",
        [0x40; 32],
        vec![small_go1_22_10().clone(), go1_22_11()],
        20,
    );
    let (code, doc, err) = outdated(&sb, &fx);
    assert_eq!(code, Some(0), "{err}");
    let v = &doc["versions"][0];
    assert_eq!(v["log_newer_patch"], "1.22.11", "{doc}");
    assert_eq!(v["outdated"], true, "{doc}");
    assert_eq!(v["newest_patch"], "1.22.10", "{doc}");
    assert!(
        err.contains("proves Go 1.22.11 was released, but the release index does not list it"),
        "{err}"
    );
    support::schemas::follows("outdated", &serde_json::to_vec(&doc).unwrap_or_default());
}
