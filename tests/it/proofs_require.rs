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

/// A real account under root's floor: root sets GOV_REQUIRE=log in the
/// system layer; the account's own GOV_REQUIRE=sha256 (its config and its
/// environment) cannot lower it.
#[cfg(feature = "tier-accounts")]
#[test]
fn an_account_cannot_lower_roots_floor() {
    use std::os::unix::fs::PermissionsExt;
    let (sb, fx) = world();
    // Root writes the system layer's config (root-owned, as in real life).
    let system_cfg = sb.system_home().join("config");
    std::fs::write(&system_cfg, "GOV_REQUIRE=log\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&system_cfg, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let account = support::Account::create();
    let own = sb.dir.path().join("account");
    std::fs::create_dir_all(own.join("home")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(own.join("bin")).unwrap_or_else(|e| panic!("{e}"));
    support::account::chown_tree(&own, account.uid, account.gid);
    let dead = format!("{} http://127.0.0.1:{}", fx.vkey(), start_refusing_port());
    let db = format!("{} {}", fx.vkey(), fx.sumdb_url());
    let gov = |args: &[&str], gosumdb: &str| {
        let mut c = account.command(assert_cmd::cargo::cargo_bin("gov"));
        c.env_clear()
            .current_dir("/")
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", own.join("home"))
            .env("GOV_HOME", own.join("home/gov"))
            .env("GOV_BIN_DIR", own.join("bin"))
            .env("GOV_SYSTEM_HOME", sb.system_home())
            .env("GOV_SYSTEM_BIN_DIR", sb.system_bin())
            .env("GOV_INDEX_URL", sb.index_url())
            .env("GOV_MIRROR", sb.mirror())
            .env("GOV_SOURCE", "release")
            .env("GOV_HTTP_BACKOFF_MS", "5")
            .env("NO_PROXY", "*")
            .env("GOPROXY", "off")
            .env("GOSUMDB", gosumdb)
            .env("GOV_REQUIRE", "sha256")
            .args(args);
        c.output()
            .unwrap_or_else(|e| panic!("running gov as {}: {e}", account.name))
    };
    let set = gov(&["config", "set", "GOV_REQUIRE=sha256"], &dead);
    assert!(set.status.success(), "{}", text(&set.stderr));
    let out = gov(&["install", "1.22.10"], &dead);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("log (required by GOV_REQUIRE in "), "{err}");
    assert!(
        err.contains(&system_cfg.display().to_string()) || err.contains("system"),
        "{err}"
    );
    assert!(!own.join("home/gov/versions/1.22.10").exists());
    let out = gov(&["install", "1.22.10"], &db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = gov(&["list", "--json"], &db);
    assert!(
        text(&list.stdout).contains("\"log\""),
        "{}",
        text(&list.stdout)
    );
}
