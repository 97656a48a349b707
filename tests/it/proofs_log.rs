//! The log proof of release installs: the archive's tree hashed as the
//! toolchain module's `h1:` while it streams, and the module looked up in a
//! loopback checksum database (tests/it/support/sumdb.rs) built from the
//! same tree the mirror serves.

use crate::support;

use support::archive::small_go1_22_10;
use support::sumdb::Fixture;
use support::{Sandbox, start_refusing_port, toolchain_archive};

use gov::core::version::GoVersion;
use gov::install::log_proof::tree_hash;
use gov::install::unpack::{Limits, unpack};
use gov::trust::distpack::ModuleLayout;

const DB: &str = "sum.fixture.test";
const SEED: [u8; 32] = [0x3c; 32];

/// A database holding the record of the small go1.22.10 the sandbox serves.
fn database() -> Fixture {
    Fixture::start(DB, SEED, vec![small_go1_22_10().clone()], 40)
}

/// `gov install` with GOSUMDB naming the database's key only (so it is
/// found through a mirror's `sumdb/<name>/supported`), no module proxy, and
/// `mirrors` as GOV_MIRROR.
fn install(
    sb: &Sandbox,
    fx: &Fixture,
    mirrors: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut c = sb.cmd();
    c.env("GOSUMDB", fx.vkey())
        .env("GOPROXY", "off")
        .env("GOV_MIRROR", mirrors);
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(["install", "1.22.10"])
        .output()
        .unwrap_or_else(|e| panic!("running gov: {e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `h1:` gov computes from an archive's extracted digests.
fn h1_of_archive(tgz: &[u8], version: &str) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let stats = unpack(
        flate2::read::GzDecoder::new(tgz),
        dir.path(),
        Limits::default(),
    )
    .unwrap_or_else(|e| panic!("unpacking: {e}"));
    let v = GoVersion::parse(version).unwrap_or_else(|| panic!("version {version}"));
    let layout = ModuleLayout::new(&v, "amd64").unwrap_or_else(|| panic!("{version} has a module"));
    tree_hash(layout, &stats.digests).unwrap_or_else(|e| panic!("hashing: {e}"))
}

#[test]
fn the_archive_hash_equals_the_zip_hash_of_the_same_tree() {
    let archive = toolchain_archive("1.22.10", "amd64", 0);
    assert_eq!(
        h1_of_archive(&archive.bytes, "1.22.10"),
        small_go1_22_10().zip_h1
    );
    // Another tree, another hash.
    let other = toolchain_archive("1.22.10", "amd64", 100);
    assert_ne!(
        h1_of_archive(&other.bytes, "1.22.10"),
        small_go1_22_10().zip_h1
    );
}

#[cfg(feature = "tier-toolchains")]
#[test]
fn the_real_archive_hashes_to_its_module_zip() {
    let tarball = support::sumdb::go_fixture_tarball("1.22.10");
    let bytes = std::fs::read(&tarball).unwrap_or_else(|e| panic!("{}: {e}", tarball.display()));
    assert_eq!(
        h1_of_archive(&bytes, "1.22.10"),
        support::sumdb::go1_22_10().zip_h1
    );
}

#[test]
fn an_honest_install_is_proven_by_the_index_and_the_log() {
    let sb = Sandbox::new();
    let fx = database();
    sb.publish(&[(&toolchain_archive("1.22.10", "amd64", 0), true)]);
    // The archive from the first mirror, the database from the second.
    let out = install(&sb, &fx, &format!("{},{}", sb.mirror(), fx.base), &[]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("sha256 and log verified"), "{err}");
    assert!(!err.contains("no log proof"), "{err}");
    let asked = fx.requests();
    assert!(
        asked
            .iter()
            .any(|r| r.ends_with(&format!("/sumdb/{DB}/supported"))),
        "{asked:?}"
    );
    assert!(
        asked
            .iter()
            .any(|r| r.contains("/lookup/golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64")),
        "{asked:?}"
    );
    assert_eq!(sb.installed(), vec!["1.22.10"]);
}

#[test]
fn an_index_and_archive_the_log_does_not_know_are_refused() {
    let sb = Sandbox::new();
    let fx = database();
    // The index's sha256 matches the tampered archive: only the log tells.
    let tampered = toolchain_archive("1.22.10", "amd64", 4096);
    sb.publish(&[(&tampered, true)]);
    let out = install(
        &sb,
        &fx,
        &sb.mirror(),
        &[("GOSUMDB", &format!("{} {}", fx.vkey(), fx.sumdb_url()))],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let ours = h1_of_archive(&tampered.bytes, "1.22.10");
    assert!(err.contains(&ours), "names the archive's hash: {err}");
    assert!(
        err.contains(&small_go1_22_10().zip_h1),
        "names the log's: {err}"
    );
    {
        let _redactions = support::snapshot::redactions_naming(&[
            (&ours, "[ARCHIVE-H1]"),
            (&small_go1_22_10().zip_h1, "[LOG-H1]"),
        ]);
        insta::assert_snapshot!("log_mismatch", err);
    }
    assert!(sb.installed().is_empty());
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
    assert!(
        sb.cached_archives().is_empty(),
        "refused bytes are not cached"
    );
}

#[test]
fn without_a_record_to_compare_an_install_says_so() {
    let fx = database();
    // A release older than toolchain modules.
    let sb = Sandbox::new();
    sb.publish(&[(&toolchain_archive("1.20.14", "amd64", 0), true)]);
    let out = sb
        .cmd()
        .env("GOSUMDB", fx.vkey())
        .env("GOPROXY", "off")
        .args(["install", "1.20.14"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = text(&out.stderr);

    // GOSUMDB=off.
    let sb = Sandbox::new();
    sb.publish(&[(&toolchain_archive("1.22.10", "amd64", 0), true)]);
    let out = install(&sb, &fx, &sb.mirror(), &[("GOSUMDB", "off")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let off = text(&out.stderr);

    // A database that does not answer.
    let sb = Sandbox::new();
    sb.publish(&[(&toolchain_archive("1.22.10", "amd64", 0), true)]);
    let dead = format!("{} http://127.0.0.1:{}", fx.vkey(), start_refusing_port());
    let out = install(&sb, &fx, &sb.mirror(), &[("GOSUMDB", &dead)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let unreachable = text(&out.stderr);

    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!(
        "no_log_proof",
        format!("before modules:\n{before}\nGOSUMDB=off:\n{off}\nunreachable:\n{unreachable}")
    );
}

#[test]
fn a_forked_log_refuses_the_install() {
    let sb = Sandbox::new();
    let fx = database();
    sb.publish(&[(&toolchain_archive("1.22.10", "amd64", 0), true)]);
    let url = format!("{} {}", fx.vkey(), fx.sumdb_url());
    let out = install(&sb, &fx, &sb.mirror(), &[("GOSUMDB", &url)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The tree head is kept; a log that forked from it is refused.
    fx.set_tamper(support::sumdb::Tamper {
        forked: true,
        ..Default::default()
    });
    let out = sb
        .cmd()
        .env("GOSUMDB", &url)
        .env("GOPROXY", "off")
        .args(["install", "--force", "1.22.10"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let forced = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{forced}");
    assert!(forced.contains("nothing was installed"), "{forced}");
}

/// `gov list --json`'s proofs of each installed version.
fn listed_proofs(sb: &Sandbox) -> Vec<(String, Vec<String>)> {
    let json: serde_json::Value = serde_json::from_str(&sb.ok(&["list", "--json"]))
        .unwrap_or_else(|e| panic!("list --json: {e}"));
    json.as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let proofs = v["proofs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect();
            (v["version"].as_str().unwrap_or("").to_string(), proofs)
        })
        .collect()
}

#[test]
fn each_tree_records_its_proofs_and_every_view_shows_them() {
    let sb = Sandbox::new();
    let fx = database();
    sb.publish(&[
        (&toolchain_archive("1.22.10", "amd64", 0), true),
        (&toolchain_archive("1.20.14", "amd64", 0), true),
    ]);
    let db = format!("{} {}", fx.vkey(), fx.sumdb_url());
    let out = install(&sb, &fx, &sb.mirror(), &[("GOSUMDB", &db)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    sb.ok(&["install", "1.20.14"]);
    let both = || vec!["sha256".to_string(), "log".to_string()];
    assert_eq!(
        listed_proofs(&sb),
        vec![
            ("1.22.10".to_string(), both()),
            ("1.20.14".to_string(), vec!["sha256".to_string()]),
        ]
    );
    let list = sb.ok(&["list"]);
    assert!(list.contains("  1.22.10  [sha256 log]\n"), "{list}");
    assert!(list.contains("  1.20.14  [sha256]\n"), "{list}");
    let info: serde_json::Value = serde_json::from_str(&sb.ok(&["info", "--json"]))
        .unwrap_or_else(|e| panic!("info --json: {e}"));
    let tree = &info["installed"][0];
    assert_eq!(tree["version"], "1.22.10");
    assert_eq!(tree["proofs"], serde_json::json!(["sha256", "log"]));
    assert!(
        tree["proven_at"]
            .as_u64()
            .is_some_and(|t| t > 1_700_000_000),
        "{tree}"
    );

    // A reinstall without the database records only what it proved.
    let out = sb
        .cmd()
        .env("GOSUMDB", "off")
        .args(["install", "--force", "1.22.10"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(listed_proofs(&sb)[0].1, vec!["sha256".to_string()]);

    // A record that is not gov's (garbage, a link) claims nothing.
    let record = sb.home().join("proofs/1.20.14.json");
    std::fs::write(
        &record,
        "{\"proofs\":[{\"proof\":\"log\",\"at\":1},{\"proof\":\"magic\",\"at\":1}]}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed_proofs(&sb)[1].1, vec!["log".to_string()]);
    std::fs::write(&record, "not json").unwrap_or_else(|e| panic!("{e}"));
    assert!(listed_proofs(&sb)[1].1.is_empty());

    // Uninstalling forgets the record; a tree without one has none.
    sb.ok(&["uninstall", "1.22.10"]);
    assert!(!sb.home().join("proofs/1.22.10.json").exists());
}

#[test]
fn a_proxy_install_is_proven_by_the_log() {
    let sb = Sandbox::new();
    let fx = database();
    let out = sb
        .cmd()
        .env("GOPROXY", &fx.base)
        .env("GOSUMDB", fx.vkey())
        .args(["install", "--source", "proxy", "1.22.10"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        listed_proofs(&sb),
        vec![("1.22.10".to_string(), vec!["log".to_string()])]
    );
}
