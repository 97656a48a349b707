//! `gov outdated`, `gov upgrade` and `gov prune` against a loopback Go
//! vulnerability database in the real format and a release index with
//! older patches (small stand-in toolchains that report their version),
//! plus one upgrade to a real Go release.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use support::{OsvEntry, Sandbox, VulnDb, range, run_program, start_refusing_port};

const PUBLISHED: &[&str] = &["1.23.4", "1.22.10", "1.22.5", "1.22.1", "1.21.13"];

/// stdlib and toolchain entries with several ranges, one withdrawn, one for
/// an unrelated module.
fn entries() -> Vec<OsvEntry> {
    vec![
        OsvEntry::new(
            "GO-2024-0001",
            "stdlib",
            vec![range(&[
                ("introduced", "0"),
                ("fixed", "1.21.11"),
                ("introduced", "1.22.0-0"),
                ("fixed", "1.22.4"),
            ])],
            "net/http: request smuggling through chunked trailers",
        ),
        OsvEntry::new(
            "GO-2024-0002",
            "stdlib",
            vec![range(&[
                ("introduced", "0"),
                ("fixed", "1.21.12"),
                ("introduced", "1.22.0-0"),
                ("fixed", "1.22.7"),
            ])],
            "crypto/tls: session resumption bypasses client auth",
        ),
        OsvEntry::new(
            "GO-2024-0003",
            "toolchain",
            vec![
                range(&[("introduced", "0"), ("fixed", "1.22.9")]),
                range(&[("introduced", "1.23.0-0"), ("fixed", "1.23.3")]),
            ],
            "cmd/go: arbitrary code execution through cgo directives",
        ),
        OsvEntry::new(
            "GO-2024-0004",
            "stdlib",
            vec![range(&[("introduced", "0")])],
            "withdrawn: not a vulnerability after all",
        )
        .also("toolchain")
        .withdrawn(),
        OsvEntry::new(
            "GO-2024-0005",
            "golang.org/x/net",
            vec![range(&[("introduced", "0"), ("fixed", "0.23.0")])],
            "x/net/html: quadratic parsing",
        ),
    ]
}

struct World {
    sb: Sandbox,
    work: PathBuf,
    vulndb: String,
}

impl World {
    /// Stand-ins of PUBLISHED in the index, `installed` installed, `global`
    /// global, and the database at /vulndb (plain and .json.gz).
    fn new(installed: &[&str], global: &str) -> World {
        let sb = Sandbox::new();
        sb.publish_versions(PUBLISHED);
        for v in installed {
            sb.ok(&["install", v]);
        }
        if !global.is_empty() {
            sb.ok(&["global", global]);
        }
        VulnDb::new(entries()).publish(&sb.server, "/vulndb", true);
        let work = sb.dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
        let vulndb = sb.server.url_for("/vulndb");
        World { sb, work, vulndb }
    }

    fn run_in(&self, cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut c = self.sb.cmd();
        c.current_dir(cwd).env("GOV_VULNDB", &self.vulndb);
        for (k, v) in env {
            c.env(k, v);
        }
        c.args(args)
            .output()
            .unwrap_or_else(|e| panic!("running gov: {e}"))
    }

    fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        self.run_in(&self.work, env, args)
    }

    fn ok(&self, env: &[(&str, &str)], args: &[&str]) -> (String, String) {
        let out = self.run(env, args);
        assert!(
            out.status.success(),
            "gov {args:?}: {}",
            support::describe(&out)
        );
        (text(&out.stdout), text(&out.stderr))
    }

    /// A `--json` answer, checked against its schema.
    fn json(&self, env: &[(&str, &str)], args: &[&str]) -> Value {
        let (out, err) = self.ok(env, args);
        if let Some(name @ ("outdated" | "upgrade" | "prune")) = args.first().copied() {
            support::schemas::follows(name, out.as_bytes());
        }
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"))
    }

    fn global(&self) -> String {
        self.sb.ok(&["global"]).trim().to_string()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn version<'a>(report: &'a Value, v: &str) -> &'a Value {
    report["versions"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["version"] == v))
        .unwrap_or_else(|| panic!("{v} not in {report:#}"))
}

fn ids(v: &Value) -> Vec<String> {
    v["vulnerabilities"]
        .as_array()
        .unwrap_or_else(|| panic!("no vulnerability list in {v:#}"))
        .iter()
        .filter_map(|x| x["id"].as_str().map(str::to_string))
        .collect()
}

fn vuln<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["vulnerabilities"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == id))
        .unwrap_or_else(|| panic!("{id} not in {v:#}"))
}

#[test]
fn outdated_reports_patches_support_selection_and_vulnerabilities() {
    let w = World::new(&["1.23.4", "1.22.5", "1.21.13"], "1.22.5");
    let r = w.json(&[], &["outdated", "--json"]);
    assert_eq!(r["schema"], 1);
    assert_eq!(r["outdated"], 1);
    assert_eq!(r["vulnerable"], 2);
    assert_eq!(r["vulndb"]["available"], true);
    let src = &r["vulndb"]["sources"][0];
    assert_eq!(src["url"], w.vulndb.as_str());
    assert_eq!(src["state"], "fresh");
    assert_eq!(
        src["entries"], 4,
        "x/net is not fetched; the withdrawn one is kept: {src}"
    );
    assert_eq!(r["index"]["available"], true);

    let v = version(&r, "1.22.5");
    assert_eq!(v["layer"], "user");
    assert_eq!(v["line"], "1.22");
    assert_eq!(v["newest_patch"], "1.22.10");
    assert_eq!(v["outdated"], true);
    assert_eq!(v["supported"], true);
    assert_eq!(v["selected_by"][0]["kind"], "global");
    assert_eq!(v["selected_by"][0]["layer"], "user");
    assert_eq!(ids(v), vec!["GO-2024-0002", "GO-2024-0003"]);
    let x = vuln(v, "GO-2024-0002");
    assert_eq!(x["fixed"], "1.22.7");
    assert_eq!(x["aliases"][0], "CVE-2024-0002");
    assert_eq!(x["modules"][0], "stdlib");
    assert_eq!(x["packages"][0], "net/http");
    assert_eq!(x["fixed_in_newest_patch"], true);
    assert!(
        x["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("crypto/tls")),
        "{x}"
    );
    assert_eq!(vuln(v, "GO-2024-0003")["fixed"], "1.22.9");

    let old = version(&r, "1.21.13");
    assert_eq!(old["outdated"], false);
    assert_eq!(
        old["supported"], false,
        "1.23 and 1.22 are the supported lines"
    );
    assert_eq!(old["selected_by"].as_array().map(Vec::len), Some(0));
    assert_eq!(ids(old), vec!["GO-2024-0003"]);
    assert_eq!(vuln(old, "GO-2024-0003")["fixed_in_newest_patch"], false);

    let new = version(&r, "1.23.4");
    assert_eq!(new["outdated"], false);
    assert!(ids(new).is_empty(), "1.23.4 is past 1.23.3: {new}");

    // The unrelated module's entry is never fetched; Go's gzip form is read.
    assert_eq!(w.sb.server.hits("/vulndb/ID/GO-2024-0005.json.gz"), 0);
    assert_eq!(w.sb.server.hits("/vulndb/ID/GO-2024-0005.json"), 0);
    assert_eq!(w.sb.server.hits("/vulndb/ID/GO-2024-0002.json.gz"), 1);
    assert_eq!(w.sb.server.hits("/vulndb/ID/GO-2024-0002.json"), 0);

    let (out, _) = w.ok(&[], &["outdated"]);
    // The withdrawn GO-2024-0004 is not shown.
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("outdated_report", out);

    // Monitoring: 3 when something needs attention.
    let o = w.run(&[], &["outdated", "--exit-code", "-q"]);
    assert_eq!(o.status.code(), Some(3), "{}", support::describe(&o));
}

#[test]
fn exit_codes_for_monitoring() {
    let w = World::new(&["1.23.4"], "1.23.4");
    let o = w.run(&[], &["outdated", "--exit-code"]);
    assert_eq!(o.status.code(), Some(0), "{}", support::describe(&o));
    // Without --exit-code findings never change the status.
    let w2 = World::new(&["1.22.5"], "1.22.5");
    let o = w2.run(&[], &["outdated"]);
    assert_eq!(o.status.code(), Some(0), "{}", support::describe(&o));
    // Nothing known to do, but the database could not be asked: 4.
    let dead = format!("http://127.0.0.1:{}", start_refusing_port());
    let o = w.run(&[("GOV_VULNDB", &dead)], &["outdated", "--exit-code"]);
    assert_eq!(o.status.code(), Some(4), "{}", support::describe(&o));
    // A usage error stays 2.
    let o = w.run(&[], &["outdated", "--exit-cod"]);
    assert_eq!(o.status.code(), Some(2), "{}", support::describe(&o));
}

#[test]
fn unreachable_database_still_shows_patches() {
    let w = World::new(&["1.22.5"], "1.22.5");
    let dead = format!("http://127.0.0.1:{}", start_refusing_port());
    let r = w.json(&[("GOV_VULNDB", &dead)], &["outdated", "--json"]);
    let v = version(&r, "1.22.5");
    assert_eq!(v["newest_patch"], "1.22.10");
    assert_eq!(v["outdated"], true);
    assert!(v["vulnerabilities"].is_null(), "unknown, not empty: {v}");
    assert_eq!(r["vulndb"]["available"], false);
    let src = &r["vulndb"]["sources"][0];
    assert_eq!(src["state"], "unavailable");
    assert!(
        src["error"]
            .as_str()
            .is_some_and(|e| e.contains("index/db.json")),
        "{src}"
    );
    let o = w.run(&[("GOV_VULNDB", &dead)], &["outdated"]);
    assert!(o.status.success(), "{}", support::describe(&o));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("outdated_without_vulnerability_data", support::describe(&o));
    let o = w.run(&[("GOV_VULNDB", &dead)], &["outdated", "--exit-code"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "outdated wins over unknown: {}",
        support::describe(&o)
    );
}

/// Rewrites when the cache was last checked, to age it.
fn age_cache(home: &Path, secs: u64) {
    let dir = home.join("cache/vulndb");
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap_or_else(|e| panic!("{e}")).path();
        let mut v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let at = v["checked_at"]
            .as_u64()
            .unwrap_or_else(|| panic!("no checked_at in {v}"));
        v["checked_at"] = Value::from(at - secs);
        std::fs::write(&p, serde_json::to_vec(&v).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn cache_is_revalidated_and_a_stale_copy_shows_its_age() {
    let w = World::new(&["1.22.5"], "1.22.5");
    w.ok(&[], &["outdated"]);
    let s = &w.sb.server;

    // Within the TTL: no request at all.
    s.clear_requests();
    w.ok(&[], &["outdated"]);
    assert_eq!(s.hits("/vulndb/index/db.json"), 0, "{:?}", s.requests());

    // Past the TTL: db.json is asked for conditionally; 304 ends it.
    s.clear_requests();
    w.ok(&[("GOV_VULNDB_TTL", "0")], &["outdated"]);
    let db_req: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|r| r.path == "/vulndb/index/db.json")
        .collect();
    assert_eq!(db_req.len(), 1);
    assert!(db_req[0].header("if-none-match").is_some(), "{db_req:?}");
    assert_eq!(s.hits("/vulndb/index/modules.json.gz"), 0);

    // The database changes one entry: only that one is fetched again.
    let mut changed = entries();
    changed[1] = changed[1].clone().modified_at("2024-08-01T10:00:00Z");
    changed[1].body["aliases"] = serde_json::json!(["CVE-2024-9999"]);
    VulnDb::new(changed).publish(s, "/vulndb", true);
    s.clear_requests();
    let r = w.json(&[("GOV_VULNDB_TTL", "0")], &["outdated", "--json"]);
    assert_eq!(s.hits("/vulndb/index/modules.json.gz"), 1);
    assert_eq!(s.hits("/vulndb/ID/GO-2024-0002.json.gz"), 1);
    assert_eq!(s.hits("/vulndb/ID/GO-2024-0001.json.gz"), 0);
    assert_eq!(s.hits("/vulndb/ID/GO-2024-0003.json.gz"), 0);
    assert_eq!(
        vuln(version(&r, "1.22.5"), "GO-2024-0002")["aliases"][0],
        "CVE-2024-9999"
    );
    assert_eq!(
        r["vulndb"]["sources"][0]["modified"],
        "2024-08-01T10:00:00Z"
    );

    // The database goes down; the copy from two hours ago is used, and said to be.
    age_cache(&w.sb.home(), 7200);
    s.fail_next("/vulndb/index/db.json", 503, 1000);
    let o = w.run(&[("GOV_HTTP_RETRIES", "0")], &["outdated"]);
    assert!(o.status.success(), "{}", support::describe(&o));
    // Stale data is still used, and said to be.
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!(
        "outdated_with_stale_vulnerability_data",
        support::describe(&o)
    );
    let r = w.json(&[("GOV_HTTP_RETRIES", "0")], &["outdated", "--json"]);
    let src = &r["vulndb"]["sources"][0];
    assert_eq!(src["state"], "stale");
    assert!(
        src["age_seconds"].as_u64().is_some_and(|a| a >= 7200),
        "{src}"
    );
    assert!(
        src["error"].as_str().is_some_and(|e| e.contains("503")),
        "{src}"
    );
    assert_eq!(r["vulndb"]["available"], true);

    // --offline never asks.
    s.clear_requests();
    let r = w.json(
        &[("GOV_VULNDB_TTL", "0")],
        &["outdated", "--json", "--offline"],
    );
    assert_eq!(r["vulndb"]["sources"][0]["state"], "cached");
    assert_eq!(s.hits("/vulndb/index/db.json"), 0);
}

#[test]
fn plain_json_database_and_file_urls_and_govulndb_lists() {
    // A server with only the plain .json files: the .gz 404s, then .json.
    let w = World::new(&["1.22.5", "1.21.13"], "1.22.5");
    let plain = VulnDb::new(entries());
    plain.publish(&w.sb.server, "/plain", false);
    let url = w.sb.server.url_for("/plain");
    let r = w.json(&[("GOV_VULNDB", &url)], &["outdated", "--json"]);
    assert_eq!(
        ids(version(&r, "1.22.5")),
        vec!["GO-2024-0002", "GO-2024-0003"]
    );
    assert_eq!(w.sb.server.hits("/plain/ID/GO-2024-0002.json.gz"), 1);
    assert_eq!(w.sb.server.hits("/plain/ID/GO-2024-0002.json"), 1);

    // GOVULNDB as govulncheck reads it: a comma list of file and http
    // URLs, merged. One entry lives only in the directory (gz only), the
    // others only on the server.
    let dir = w.sb.dir.path().join("localdb");
    let local_only = vec![OsvEntry::new(
        "GO-2024-0100",
        "stdlib",
        vec![range(&[("introduced", "1.21.0-0"), ("fixed", "1.21.14")])],
        "os: local-only entry",
    )];
    VulnDb::new(local_only).write_to(&dir, true);
    let list = format!("file://{},{}", dir.display(), w.vulndb);
    let mut c = w.sb.cmd();
    c.current_dir(&w.work)
        .env("GOVULNDB", &list)
        .args(["outdated", "--json"]);
    let o = c.output().unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", support::describe(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    let sources = r["vulndb"]["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sources.len(), 2, "{r:#}");
    assert!(sources.iter().all(|s| s["state"] == "fresh"), "{sources:?}");
    assert_eq!(
        ids(version(&r, "1.21.13")),
        vec!["GO-2024-0003", "GO-2024-0100"]
    );
    assert_eq!(
        vuln(version(&r, "1.21.13"), "GO-2024-0100")["fixed"],
        "1.21.14"
    );

    // GOV_VULNDB wins over GOVULNDB.
    let mut c = w.sb.cmd();
    c.current_dir(&w.work)
        .env("GOVULNDB", &list)
        .env("GOV_VULNDB", format!("file://{}", dir.display()))
        .args(["outdated", "--json"]);
    let o = c.output().unwrap_or_else(|e| panic!("{e}"));
    let r: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", support::describe(&o)));
    assert_eq!(r["vulndb"]["sources"].as_array().map(Vec::len), Some(1));
    assert_eq!(ids(version(&r, "1.22.5")), Vec::<String>::new());

    // Bad URLs are usage errors.
    for bad in ["ftp://example.com/db", "not a url", " , "] {
        let o = w.run(&[("GOV_VULNDB", bad)], &["outdated"]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{bad:?}: {}",
            support::describe(&o)
        );
    }
    let o = w.run(&[("GOV_VULNDB", "http://vuln.example.com")], &["outdated"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "plain http off loopback: {}",
        support::describe(&o)
    );
}

/// Serves the database with one file replaced by `body` (`.json.gz` gets
/// its gzip unless `raw_gz` is given).
fn hostile(w: &World, prefix: &str, file: &str, body: &[u8], raw_gz: Option<Vec<u8>>) -> String {
    VulnDb::new(entries()).publish(&w.sb.server, prefix, true);
    w.sb.server
        .put(&format!("{prefix}/{file}.json"), body.to_vec());
    w.sb.server.put(
        &format!("{prefix}/{file}.json.gz"),
        raw_gz.unwrap_or_else(|| support::vulndb::gzip(body)),
    );
    w.sb.server.url_for(prefix)
}

#[test]
fn malformed_osv_is_refused_clearly_and_never_cached() {
    let w = World::new(&["1.22.5"], "1.22.5");
    let entry = |f: &dyn Fn(&mut Value)| {
        let mut e = entries()[1].body.clone();
        f(&mut e);
        serde_json::to_vec(&e).unwrap_or_default()
    };
    let huge = {
        let mut e = entries()[1].body.clone();
        e["details"] = Value::from("x".repeat(3 * 1024 * 1024));
        serde_json::to_vec(&e).unwrap_or_default()
    };
    let bomb = support::vulndb::gzip(&vec![b' '; 40 * 1024 * 1024]);
    // (name, file replaced, its body, its .json.gz if not the gzip of the body, error wanted)
    type Case<'a> = (&'a str, &'a str, Vec<u8>, Option<Vec<u8>>, &'a str);
    let cases: Vec<Case> = vec![
        ("badjson", "ID/GO-2024-0002", b"{\"id\": \"GO-2024-0002\",".to_vec(), None, "not valid JSON"),
        (
            "badversion",
            "ID/GO-2024-0002",
            entry(&|e| e["affected"][0]["ranges"][0]["events"][1]["fixed"] = Value::from("1.21")),
            None,
            "`1.21` is not a SemVer version",
        ),
        (
            "wrongtype",
            "ID/GO-2024-0002",
            entry(&|e| e["affected"][0]["ranges"] = Value::from("all")),
            None,
            "invalid type",
        ),
        (
            "wrongid",
            "ID/GO-2024-0002",
            entry(&|e| e["id"] = Value::from("GO-2099-0001")),
            None,
            "not `GO-2024-0002`",
        ),
        ("huge", "ID/GO-2024-0002", huge, None, "larger than 2 MiB"),
        ("bomb", "ID/GO-2024-0002", b"{}".to_vec(), Some(bomb), "larger than 2 MiB"),
        (
            "notgzip",
            "ID/GO-2024-0002",
            b"{}".to_vec(),
            Some(b"plain text, not gzip".to_vec()),
            "gzip",
        ),
        (
            "modules",
            "index/modules",
            br#"{"path": "stdlib"}"#.to_vec(),
            None,
            "index/modules.json",
        ),
        (
            "traversal",
            "index/modules",
            br#"[{"path":"stdlib","vulns":[{"id":"../../../etc/passwd","modified":"2024-06-04T17:18:22Z"}]}]"#
                .to_vec(),
            None,
            "is not a vulnerability id",
        ),
        ("dbtime", "index/db", br#"{"modified": 17}"#.to_vec(), None, "index/db.json"),
    ];
    for (name, file, body, gz, want) in cases {
        let url = hostile(&w, &format!("/bad-{name}"), file, &body, gz);
        let r = w.json(&[("GOV_VULNDB", &url)], &["outdated", "--json"]);
        let src = &r["vulndb"]["sources"][0];
        assert_eq!(src["state"], "unavailable", "{name}: {src}");
        let err = src["error"].as_str().unwrap_or_default();
        assert!(err.contains(want), "{name}: want {want:?} in {err:?}");
        if file.starts_with("ID/") {
            assert!(
                err.contains("ID/GO-2024-0002"),
                "{name}: names the file: {err}"
            );
        }
        assert_eq!(
            version(&r, "1.22.5")["newest_patch"],
            "1.22.10",
            "{name}: patches are still shown"
        );
    }
    // Nothing refused was cached: only the healthy database's file is there.
    let cached = support::list_dir(&w.sb.home().join("cache/vulndb"));
    assert!(cached.is_empty(), "{cached:?}");

    // With a good cached copy, a malformed refresh keeps it.
    w.ok(&[], &["outdated"]);
    let bad = entry(&|e| e["modified"] = Value::from("soon"));
    let mut changed = entries();
    changed[1] = changed[1].clone().modified_at("2024-09-01T00:00:00Z");
    VulnDb::new(changed).publish(&w.sb.server, "/vulndb", true);
    w.sb.server.put(
        "/vulndb/ID/GO-2024-0002.json.gz",
        support::vulndb::gzip(&bad),
    );
    let r = w.json(&[("GOV_VULNDB_TTL", "0")], &["outdated", "--json"]);
    let src = &r["vulndb"]["sources"][0];
    assert_eq!(src["state"], "stale", "{src}");
    assert!(
        src["error"]
            .as_str()
            .is_some_and(|e| e.contains("RFC 3339")),
        "{src}"
    );
    assert_eq!(
        ids(version(&r, "1.22.5")),
        vec!["GO-2024-0002", "GO-2024-0003"]
    );
}

/// A hostile database: escape sequences and bidirectional overrides in
/// every string gov shows, a summary of a hundred thousand characters,
/// thousands of aliases, and an index listing a hundred thousand ids.
#[test]
fn a_hostile_database_cannot_paint_the_terminal_or_burn_cpu() {
    let w = World::new(&["1.22.5"], "1.22.5");
    let mut e = OsvEntry::new(
        "GO-2024-0009",
        "stdlib",
        vec![range(&[("introduced", "0"), ("fixed", "1.22.7")])],
        "x",
    );
    let paint = "\u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}";
    e.body["summary"] = Value::from(format!("{paint}{}", "y".repeat(100_000)));
    let aliases: Vec<String> = (0..5000).map(|i| format!("CVE-{paint}-{i}")).collect();
    e.body["aliases"] = Value::from(aliases);
    e.body["affected"][0]["ecosystem_specific"]["imports"][0]["path"] =
        Value::from(format!("net/{paint}"));
    VulnDb::new(vec![e]).publish(&w.sb.server, "/paint", true);
    let url = w.sb.server.url_for("/paint");
    for args in [&["outdated"][..], &["outdated", "--json"]] {
        let out = w.run(&[("GOV_VULNDB", &url)], args);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains("GO-2024-0009"), "{args:?}: {all}");
        for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!all.contains(c), "{args:?} prints {c:?}");
        }
        assert!(!all.contains("\\u001b"), "{args:?}: raw escape in JSON");
        assert!(all.len() < 20_000, "{args:?}: {} bytes", all.len());
    }

    // 100,000 ids: refused at once, not read in quadratic time, and the
    // error quoting the database is escaped too.
    let listed: Vec<Value> = (0..100_000)
        .map(|i| serde_json::json!({"id": format!("GO-2024-{i:06}"), "modified": "2024-06-04T17:18:22Z"}))
        .collect();
    let many = serde_json::to_vec(&serde_json::json!([{"path": "stdlib", "vulns": listed}]))
        .unwrap_or_default();
    let url = hostile(&w, "/many", "index/modules", &many, None);
    let start = std::time::Instant::now();
    let r = w.json(&[("GOV_VULNDB", &url)], &["outdated", "--json"]);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    let err = r["vulndb"]["sources"][0]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(err.contains("more than 10000 entries"), "{err}");
    let bad = format!(r#"[{{"path": "stdlib", "vulns": [{{"id": 7, "modified": "{paint}"}}]}}]"#);
    let url = hostile(&w, "/badtype", "index/modules", bad.as_bytes(), None);
    let out = w.run(&[("GOV_VULNDB", &url)], &["outdated"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains('\u{1b}'), "{all}");
}

#[test]
fn upgrade_moves_the_global_and_lists_pins() {
    let w = World::new(&["1.22.5", "1.21.13"], "1.22.5");
    let project = w.work.join("svc/api");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(project.join(".go-version"), "1.22.5\n").unwrap_or_else(|e| panic!("{e}"));

    let (out, _) = w.ok(&[], &["upgrade", "--dry-run"]);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("upgrade_dry_run", out);
    assert_eq!(w.global(), "1.22.5", "a dry run changes nothing");
    // From below the pinned project, the pin that selects there is named too.
    let below = project.join("cmd/server");
    std::fs::create_dir_all(&below).unwrap_or_else(|e| panic!("{e}"));
    let o = w.run_in(&below, &[], &["upgrade", "--dry-run"]);
    assert!(
        text(&o.stdout).contains(&format!(
            "pinned, left as is: {} says 1.22.5",
            project.join(".go-version").display()
        )),
        "{}",
        support::describe(&o)
    );
    assert_eq!(w.sb.installed(), vec!["1.22.5", "1.21.13"]);

    let plan = w.json(&[], &["upgrade", "--dry-run", "--json"]);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["upgraded"][0]["line"], "1.22");
    assert_eq!(plan["upgraded"][0]["to"], "1.22.10");
    assert_eq!(plan["upgraded"][0]["installed"], true);
    assert_eq!(plan["upgraded"][0]["global_moved_from"], "1.22.5");
    assert_eq!(plan["up_to_date"][0], "1.21");
    assert_eq!(plan["pinned"][0]["pinned"], "1.22.5");

    let (out, err) = w.ok(&[], &["upgrade"]);
    insta::assert_snapshot!("upgrade_report", out);
    insta::assert_snapshot!("upgrade_log", err);
    assert_eq!(w.global(), "1.22.10");
    assert_eq!(
        std::fs::read_to_string(project.join(".go-version")).unwrap_or_default(),
        "1.22.5\n",
        "pins are never edited"
    );
    assert_eq!(w.sb.installed(), vec!["1.22.10", "1.22.5", "1.21.13"]);
    // Nothing left to do.
    let (out, _) = w.ok(&[], &["upgrade"]);
    insta::assert_snapshot!("upgrade_with_nothing_to_do", out);

    // Unknown or bad lines.
    let o = w.run(&[], &["upgrade", "1.20"]);
    assert_eq!(o.status.code(), Some(1), "{}", support::describe(&o));
    insta::assert_snapshot!("upgrade_of_a_line_not_installed", text(&o.stderr));
    let o = w.run(&[], &["upgrade", "latest"]);
    assert_eq!(o.status.code(), Some(2), "{}", support::describe(&o));
    let o = w.run(&[], &["upgrade", "1.2x"]);
    assert_eq!(o.status.code(), Some(2), "{}", support::describe(&o));
}

#[test]
fn upgrade_prune_removes_what_it_replaced_unless_pinned() {
    let w = World::new(&["1.22.1", "1.22.5", "1.21.13"], "1.22.5");
    let pinned = w.work.join("legacy");
    std::fs::create_dir_all(&pinned).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(pinned.join(".go-version"), "go1.22.1\n").unwrap_or_else(|e| panic!("{e}"));

    let (out, _) = w.ok(&[], &["upgrade", "1.22", "--prune", "--dry-run"]);
    let _redactions = support::snapshot::redactions_hiding_sizes();
    insta::assert_snapshot!("upgrade_prune_dry_run", out);
    assert_eq!(w.sb.installed(), vec!["1.22.5", "1.22.1", "1.21.13"]);

    let (out, _) = w.ok(&[], &["upgrade", "1.22", "--prune"]);
    insta::assert_snapshot!("upgrade_prune", out);
    assert_eq!(w.sb.installed(), vec!["1.22.10", "1.22.1", "1.21.13"]);
    assert_eq!(w.global(), "1.22.10");
    // The version entry points follow: the pruned one's is gone.
    assert!(!w.sb.bin().join("go1.22.5").exists());
    for v in ["1.22.10", "1.22.1", "1.21.13"] {
        assert!(w.sb.bin().join(format!("go{v}")).exists(), "go{v}");
    }
}

#[test]
fn prune_keeps_newest_and_selected_and_reports_space() {
    let w = World::new(&["1.22.1", "1.22.5", "1.22.10", "1.21.13"], "1.22.5");
    let r = w.json(&[], &["prune", "--dry-run", "--json"]);
    assert_eq!(r["dry_run"], true);
    let removed: Vec<&str> = r["removed"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["version"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(removed, vec!["1.22.1"]);
    let planned = r["freed_bytes"].as_u64().unwrap_or(0);
    assert!(planned > 0, "{r}");
    // Which versions stay is compared; why each stays is read by people.
    let field = |k: &serde_json::Value, f: &str| k[f].as_str().unwrap_or("-").to_string();
    let kept: Vec<String> = r["kept"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|k| {
                    format!(
                        "{} ({}): {}",
                        field(k, "version"),
                        field(k, "layer"),
                        field(k, "why")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let _redactions = support::snapshot::redactions_hiding_sizes();
    insta::assert_snapshot!("prune_dry_run_json_kept", kept.join("\n"));
    assert_eq!(w.sb.installed().len(), 4, "a dry run removes nothing");

    // A pin under the working directory protects, when asked.
    std::fs::write(w.work.join(".go-version.bak"), "1.22.1\n").unwrap_or_else(|e| panic!("{e}"));
    let sub = w.work.join("old/tool");
    std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(sub.join(".go-version"), "1.22.1\n").unwrap_or_else(|e| panic!("{e}"));
    let (out, _) = w.ok(&[], &["prune", "--dry-run", "--keep-pinned"]);
    insta::assert_snapshot!("prune_keep_pinned", out);
    // ...and the selection of the working directory always does.
    let o = w.run_in(&sub, &[], &["prune", "--dry-run"]);
    insta::assert_snapshot!("prune_keeps_the_selection_here", text(&o.stdout));

    // --keep 2 keeps two per line.
    let (out, _) = w.ok(&[], &["prune", "--dry-run", "--keep", "2"]);
    insta::assert_snapshot!("prune_keep_two", out);
    let o = w.run(&[], &["prune", "--keep", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", support::describe(&o));

    // A symlink loop in the tree is not followed.
    std::os::unix::fs::symlink(&w.work, w.work.join("old/loop")).unwrap_or_else(|e| panic!("{e}"));
    let (out, _) = w.ok(&[], &["prune", "--dry-run", "--keep-pinned"]);
    insta::assert_snapshot!("prune_keep_pinned_past_a_link_loop", out);

    // A corrupt global file stops a prune: nothing is removed on a guess.
    let global = w.sb.home().join("global");
    std::fs::write(&global, "one point twenty-two\n").unwrap_or_else(|e| panic!("{e}"));
    let o = w.run(&[], &["prune"]);
    assert_eq!(o.status.code(), Some(1), "{}", support::describe(&o));
    insta::assert_snapshot!("prune_with_a_corrupt_global", text(&o.stderr));
    assert_eq!(w.sb.installed().len(), 4);
    std::fs::write(&global, "1.22.5\n").unwrap_or_else(|e| panic!("{e}"));

    let goroot = w.sb.goroot("1.22.1");
    let (out, _) = w.ok(&[], &["prune"]);
    insta::assert_snapshot!("prune_removes", out);
    assert!(!goroot.exists());
    assert!(!w.sb.shim("1.22.1", "go").exists(), "its shims go too");
    assert_eq!(w.sb.installed(), vec!["1.22.10", "1.22.5", "1.21.13"]);
    assert!(w.sb.tmp_entries().is_empty(), "{:?}", w.sb.tmp_entries());
    let (out, _) = w.ok(&[], &["prune"]);
    insta::assert_snapshot!("prune_with_nothing_to_remove", out);
}

#[test]
fn doctor_warns_about_a_vulnerable_selection() {
    let w = World::new(&["1.22.5"], "1.22.5");
    let o = w.run(&[], &["doctor", "--offline", "--json"]);
    let r: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", support::describe(&o)));
    let check = |r: &Value| {
        r["checks"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|c| c["id"] == "versions.vulnerabilities")
                    .cloned()
            })
            .unwrap_or_else(|| panic!("no vulnerability check in {r:#}"))
    };
    assert_eq!(check(&r)["status"], "skipped", "nothing cached yet");

    w.ok(&[], &["outdated"]);
    let o = w.run(&[], &["doctor", "--offline", "--json"]);
    let r: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", support::describe(&o)));
    let c = check(&r);
    assert_eq!(c["status"], "warning", "{c}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!(
        "doctor_on_a_vulnerable_selection",
        support::snapshot::doctor_check(&c)
    );

    w.ok(&[], &["upgrade"]);
    let o = w.run(&[], &["doctor", "--offline", "--json"]);
    let r: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", support::describe(&o)));
    assert_eq!(check(&r)["status"], "ok", "{:#}", check(&r));
}

#[cfg(feature = "tier-toolchains")]
#[test]
fn upgrade_installs_a_real_release_and_go_follows_the_global() {
    let mirror = support::go_fixtures::real_go_mirror();
    let sb = Sandbox::new();
    // The index lists the real go1.22.10 (from the fixture index) above a
    // stand-in 1.22.5.
    let real: Value = serde_json::from_slice(
        &std::fs::read(mirror.join("index.json")).unwrap_or_else(|e| panic!("fixture index: {e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let real_1_22_10 = real
        .as_array()
        .and_then(|a| a.iter().find(|r| r["version"] == "go1.22.10").cloned())
        .unwrap_or_else(|| panic!("go1.22.10 missing from the fixture index"));
    let old = support::toolchain_archive("1.22.5", "amd64", 0);
    let mut idx = support::IndexBuilder::new();
    idx.add_archive(&old, true);
    let mut releases: Value =
        serde_json::from_slice(&idx.to_json()).unwrap_or_else(|e| panic!("{e}"));
    if let Some(a) = releases.as_array_mut() {
        a.insert(0, real_1_22_10);
    }
    sb.server.put(
        "/dl/index.json",
        serde_json::to_vec(&releases).unwrap_or_default(),
    );
    sb.server
        .put(&format!("/dl/{}", old.filename), old.bytes.clone());
    sb.server.put_file(
        "/dl/go1.22.10.linux-amd64.tar.gz",
        &mirror.join("go1.22.10.linux-amd64.tar.gz"),
    );
    VulnDb::new(entries()).publish(&sb.server, "/vulndb", true);
    sb.ok(&["install", "1.22.5"]);
    sb.ok(&["global", "1.22.5"]);

    let go_version = || {
        let mut c = sb.env_cmd(sb.bin().join("go"));
        c.arg("version").env("GOTOOLCHAIN", "local");
        let o = run_program(&mut c);
        text(&o.stdout).trim().to_string()
    };
    assert_eq!(go_version(), "go version go1.22.5 linux/amd64");

    let work = sb.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    let mut c = sb.cmd();
    c.current_dir(&work)
        .env("GOV_VULNDB", sb.server.url_for("/vulndb"))
        .args(["upgrade", "--prune"]);
    let o = c.output().unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", support::describe(&o));
    assert!(
        text(&o.stderr).contains("sha256 verified"),
        "{}",
        support::describe(&o)
    );
    assert!(
        text(&o.stdout).contains("removed Go 1.22.5"),
        "{}",
        support::describe(&o)
    );
    assert_eq!(go_version(), "go version go1.22.10 linux/amd64");
    assert_eq!(sb.installed(), vec!["1.22.10"]);

    let mut c = sb.cmd();
    c.current_dir(&work)
        .env("GOV_VULNDB", sb.server.url_for("/vulndb"))
        .args(["outdated", "--exit-code"]);
    let o = c.output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(0), "{}", support::describe(&o));
}

#[test]
fn both_layers_are_reported_and_only_the_own_layer_is_changed() {
    let w = World::new(&["1.22.1", "1.22.5"], "");
    // The system layer (root's): 1.22.1 and 1.21.13, its global 1.22.1.
    for args in [
        &["install", "--system", "1.22.1"][..],
        &["install", "--system", "1.21.13"],
        &["global", "--system", "1.22.1"],
    ] {
        w.ok(&[], args);
    }
    let r = w.json(&[], &["outdated", "--json"]);
    let layers = support::answers::version_layers(&r["versions"]);
    let pairs: Vec<(&str, &str)> = layers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("1.22.5", "user"),
            ("1.22.1", "user"),
            ("1.22.1", "system"),
            ("1.21.13", "system")
        ]
    );
    let sys = r["versions"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|v| v["version"] == "1.22.1" && v["layer"] == "system")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(sys["selected_by"][0]["kind"], "global", "{sys}");
    assert_eq!(sys["selected_by"][0]["layer"], "system", "{sys}");
    assert_eq!(
        ids(&sys),
        vec!["GO-2024-0001", "GO-2024-0002", "GO-2024-0003"]
    );
    let (out, _) = w.ok(&[], &["outdated"]);
    assert!(out.contains("global (system)"), "{out}");

    // The system layer's global protects the user's copy of 1.22.1.
    let (out, _) = w.ok(&[], &["prune", "--dry-run"]);
    insta::assert_snapshot!("prune_keeps_the_system_global", out);

    // Upgrade works on the user's own lines; the system layer is not touched.
    // The system's 1.21 is root's to upgrade: not named.
    let (out, _) = w.ok(&[], &["upgrade"]);
    insta::assert_snapshot!("upgrade_leaves_the_system_layer", out);
    assert_eq!(
        support::list_dir(&w.sb.system_home().join("versions")),
        vec!["1.21.13", "1.22.1"]
    );
    assert_eq!(
        std::fs::read_to_string(w.sb.system_home().join("global")).unwrap_or_default(),
        "1.22.1\n"
    );
}
