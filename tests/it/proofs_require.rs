//! GOV_REQUIRE: an install that cannot get a required proof fails before
//! anything is published, naming the proof and why it is missing; the
//! system layer's requirement binds the account's installs.

use crate::support;

use support::archive::small_go1_22_10;
use support::sumdb::Fixture;
use support::{Sandbox, start_refusing_port, toolchain_archive};

const DB: &str = "sum.fixture.test";
const SEED: [u8; 32] = [0x3d; 32];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A sandbox serving the small go1.22.10 and go1.20.14, and a database
/// holding go1.22.10's record.
fn world() -> (Sandbox, Fixture) {
    let sb = Sandbox::new();
    sb.publish(&[
        (&toolchain_archive("1.22.10", "amd64", 0), true),
        (&toolchain_archive("1.20.14", "amd64", 0), true),
    ]);
    let fx = Fixture::start(DB, SEED, vec![small_go1_22_10().clone()], 20);
    (sb, fx)
}

fn install(sb: &Sandbox, version: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut c = sb.cmd();
    c.env("GOPROXY", "off");
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(["install", version])
        .output()
        .unwrap_or_else(|e| panic!("running gov: {e}"))
}

/// Exit 1, nothing installed, nothing left behind; the message.
fn refused(sb: &Sandbox, out: &std::process::Output) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(sb.installed().is_empty(), "{err}");
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
    assert!(sb.cached_archives().is_empty(), "{err}");
    err
}

#[test]
fn a_missing_required_proof_fails_and_says_why() {
    let (sb, fx) = world();
    let db = format!("{} {}", fx.vkey(), fx.sumdb_url());
    let dead = format!("{} http://127.0.0.1:{}", fx.vkey(), start_refusing_port());
    let unreachable = refused(
        &sb,
        &install(
            &sb,
            "1.22.10",
            &[("GOV_REQUIRE", "log"), ("GOSUMDB", &dead)],
        ),
    );
    let off = refused(
        &sb,
        &install(
            &sb,
            "1.22.10",
            &[("GOV_REQUIRE", "log"), ("GOSUMDB", "off")],
        ),
    );
    let old = refused(
        &sb,
        &install(
            &sb,
            "1.20.14",
            &[("GOV_REQUIRE", "sha256,log"), ("GOSUMDB", &db)],
        ),
    );
    let unsigned = refused(
        &sb,
        &install(
            &sb,
            "1.22.10",
            &[("GOV_REQUIRE", "signature"), ("GOSUMDB", &db)],
        ),
    );
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!(
        "require_missing",
        format!(
            "unreachable:\n{unreachable}\nGOSUMDB=off:\n{off}\nbefore modules:\n{old}\nsignature:\n{unsigned}"
        )
    );
    // Met: installed.
    let out = install(
        &sb,
        "1.22.10",
        &[("GOV_REQUIRE", "log,sha256"), ("GOSUMDB", &db)],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_proof_is_a_usage_error() {
    let (sb, _fx) = world();
    let out = install(&sb, "1.22.10", &[("GOV_REQUIRE", "log,magic")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(sb.installed().is_empty());
    let err = sb.fails(&["config", "set", "GOV_REQUIRE=log,,sha256"], 2);
    assert!(err.contains("GOV_REQUIRE"), "{err}");
}

#[test]
fn the_system_layer_sets_a_floor_accounts_cannot_lower() {
    let (sb, fx) = world();
    let dead = format!("{} http://127.0.0.1:{}", fx.vkey(), start_refusing_port());
    std::fs::write(sb.system_home().join("config"), "GOV_REQUIRE=log\n")
        .unwrap_or_else(|e| panic!("{e}"));
    // The account's own (nearer) value adds to the floor, never replaces it.
    sb.ok(&["config", "set", "GOV_REQUIRE=sha256"]);
    let err = refused(
        &sb,
        &install(
            &sb,
            "1.22.10",
            &[("GOSUMDB", &dead), ("GOV_REQUIRE", "sha256")],
        ),
    );
    assert!(err.contains("log (required by GOV_REQUIRE in "), "{err}");
    assert!(err.contains("system"), "names the system layer: {err}");
    // With the database reachable, the floor is met.
    let db = format!("{} {}", fx.vkey(), fx.sumdb_url());
    let out = install(&sb, "1.22.10", &[("GOSUMDB", &db)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
