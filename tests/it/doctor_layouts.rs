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
