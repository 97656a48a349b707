//! Healthy layouts doctor must call healthy (exit 0), each with a broken
//! twin whose cause doctor names: the checksum database reached through
//! the proxy's `/sumdb/<name>/` (goproxy.cn, Athens), ...

use crate::doctor::{check, doctor, goproxy, status, test_db, world};

/// GOSUMDB names only the database; the proxy answers
/// `/sumdb/<name>/supported`, so cmd/go (and gov's installs) read it there.
#[test]
fn a_checksum_database_served_by_the_proxy_is_healthy() {
    let sb = world();
    let gp = goproxy();
    let db = test_db("sum.test.example", 7);
    gp.put("/sumdb/sum.test.example/supported", Vec::new());
    gp.put(
        "/sumdb/sum.test.example/latest",
        db.signed_tree_head(99).into_bytes(),
    );
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY={},direct", gp.url()),
        &format!("GOSUMDB={}", db.vkey),
    ]);
    let (out, v) = doctor(&sb, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    let route = check(&v, "gosumdb.route", None);
    assert_eq!(route["status"], "ok", "{route:#}");
    assert!(
        route["target"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("{}/sumdb/sum.test.example", gp.url()))),
        "{route:#}"
    );
    assert_eq!(status(&v, "gosumdb.sumdb", None), "ok", "{v:#}");
    assert_eq!(status(&v, "toolchains.sumdb", None), "ok", "{v:#}");

    // A static snapshot (lookups and tiles only, no /latest) is what cmd/go
    // reads, too.
    gp.remove("/sumdb/sum.test.example/latest");
    let (_, v) = doctor(&sb, &[], &[]);
    assert_eq!(status(&v, "gosumdb.http", None), "ok", "{v:#}");
    assert!(
        v["checks"].as_array().is_some_and(|a| a
            .iter()
            .all(|c| !(c["section"] == "network" && c["status"] == "problem"))),
        "{v:#}"
    );
}

/// The broken twins: a proxy that fails the `supported` question stops
/// cmd/go there (after `,`), and without `supported` anywhere Go goes to
/// the database's own host, which does not resolve here.
#[test]
fn a_proxy_failing_the_sumdb_question_is_named() {
    let sb = world();
    let gp = goproxy();
    let db = test_db("sum.test.example", 7);
    gp.fail_next("/sumdb/sum.test.example/supported", 500, 100);
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY={},direct", gp.url()),
        &format!("GOSUMDB={}", db.vkey),
    ]);
    let (out, v) = doctor(&sb, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let route = check(&v, "gosumdb.route", None);
    assert_eq!(route["status"], "problem", "{route:#}");
    let finding = route["finding"].as_str().unwrap_or("");
    assert!(
        finding.contains("500") && finding.contains(&gp.url()),
        "{finding}"
    );
    assert!(
        route["advice"].as_str().is_some_and(|a| a.contains('|')),
        "{route:#}"
    );

    // Nothing serves it: Go goes to https://sum.test.example itself.
    let gp2 = goproxy();
    sb.ok(&["proxy", "set", &format!("GOPROXY={},direct", gp2.url())]);
    let (out, v) = doctor(&sb, &[], &[]);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let route = check(&v, "gosumdb.route", None);
    assert_eq!(route["status"], "ok", "{route:#}");
    assert!(
        route["finding"].as_str().is_some_and(|f| f
            .contains("directly at https://sum.test.example")
            && f.contains("404")),
        "{route:#}"
    );
    assert_eq!(
        status(&v, "gosumdb.dns", Some("GOSUMDB")),
        "problem",
        "{v:#}"
    );
}

/// The toolchain summary is judged by the source `gov install` uses:
/// GOV_SOURCE=proxy with a proxy that serves toolchains and their
/// checksum database is healthy; with one that does not, doctor says so
/// although release downloads work (and points at them).
#[test]
fn the_toolchain_summary_follows_gov_source() {
    use crate::support::sumdb::Fixture;
    let sb = world();
    let fx = Fixture::start(
        "sum.fixture.test",
        [0x5a; 32],
        vec![crate::support::archive::small_go1_22_10().clone()],
        10,
    );
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY={},direct", fx.base),
        &format!("GOSUMDB={}", fx.vkey()),
    ]);
    let (out, v) = doctor(&sb, &[], &[("GOV_SOURCE", "proxy")]);
    let summary = check(&v, "toolchains", None);
    assert_eq!(summary["status"], "ok", "{summary:#}");
    assert!(
        summary["finding"]
            .as_str()
            .is_some_and(|f| f.contains("GOV_SOURCE=proxy")),
        "{summary:#}"
    );
    assert_eq!(out.status.code(), Some(0), "{v:#}");

    // A proxy without toolchains: installs would fail, releases would not.
    let gp = goproxy();
    sb.ok(&["proxy", "set", &format!("GOPROXY={},direct", gp.url())]);
    let (out, v) = doctor(&sb, &[], &[("GOV_SOURCE", "proxy")]);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let summary = check(&v, "toolchains", None);
    assert_eq!(summary["status"], "problem", "{summary:#}");
    assert!(
        summary["advice"]
            .as_str()
            .is_some_and(|a| a.contains("GOV_SOURCE=auto")),
        "{summary:#}"
    );
    // The same host with the default source is fine: releases work.
    let (_, v) = doctor(&sb, &[], &[]);
    assert_eq!(status(&v, "toolchains", None), "ok", "{v:#}");
}

/// "Private modules through the company proxy": GONOPROXY=none next to
/// GOPRIVATE, exported as the company's login scripts do, with the
/// company proxy alone on GOPROXY, is deliberate and healthy; the same
/// with a public proxy after `|` would hand private paths to it.
#[test]
fn private_modules_through_the_company_proxy_are_not_a_warning() {
    let sb = world();
    let corp = goproxy();
    // Public modules' checksums come through the company proxy too.
    let db = test_db("sum.test.example", 7);
    corp.put("/sumdb/sum.test.example/supported", Vec::new());
    corp.put(
        "/sumdb/sum.test.example/latest",
        db.signed_tree_head(12).into_bytes(),
    );
    let chain = format!("{},direct", corp.url());
    let env = [
        ("GOPROXY", chain.as_str()),
        ("GOPRIVATE", "git.corp.example/*"),
        ("GONOPROXY", "none"),
        ("GOSUMDB", db.vkey.as_str()),
    ];
    let (out, v) = doctor(&sb, &[], &env);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(status(&v, "settings.goprivate", None), "ok", "{v:#}");

    let leaky = format!("{}|https://proxy.golang.org,direct", corp.url());
    let (_, v) = doctor(&sb, &["--offline"], &[("GOPROXY", &leaky), env[1], env[2]]);
    let c = check(&v, "settings.goprivate", None);
    assert_eq!(c["status"], "warning", "{c:#}");
}
