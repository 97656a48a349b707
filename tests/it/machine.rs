//! The machine interface: `--json` answers of the commands that change
//! state (what changed vs what was already so), `--dry-run` writing nothing,
//! failures as JSON with the error's kind and exit code, and `gov info`.

use crate::support;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use support::{Sandbox, start_refusing_port};

/// Runs gov, expects `code`, and parses the one JSON document on stdout.
fn json(sb: &Sandbox, args: &[&str], code: i32) -> Value {
    let out = sb.gov(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "gov {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "gov {args:?}: stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["schema"], 1, "{v}");
    assert!(v["warnings"].is_array(), "{v}");
    v
}

/// Every path under `dir` with its size and modification time: a dry run
/// must leave this exactly as it was.
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, Option<std::time::SystemTime>)> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, (u64, Option<std::time::SystemTime>)>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            out.insert(p.display().to_string(), (m.len(), m.modified().ok()));
            if m.is_dir() {
                walk(&p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

fn world(sb: &Sandbox) -> BTreeMap<String, (u64, Option<std::time::SystemTime>)> {
    let mut all = snapshot(&sb.home());
    all.extend(snapshot(&sb.bin()));
    all
}

#[test]
fn install_answers_what_changed_and_dry_run_writes_nothing() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.22.4", "1.21.13"]);
    let before = world(&sb);
    let v = json(&sb, &["install", "1.22", "--dry-run", "--json"], 0);
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["dry_run"], true, "{v}");
    assert_eq!(v["action"], "installed", "{v}");
    assert_eq!(v["requested"], "1.22", "{v}");
    assert_eq!(v["version"], "1.22.5", "{v}");
    assert_eq!(world(&sb), before, "a dry run wrote under GOV_HOME");
    assert_eq!(sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz"), 0);

    let v = json(&sb, &["install", "1.22", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"], &v["version"], &v["verified"]),
        (
            &Value::Bool(true),
            &"installed".into(),
            &"1.22.5".into(),
            &Value::Bool(true)
        ),
        "{v}"
    );
    let v = json(&sb, &["install", "go1.22.5", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"]),
        (&Value::Bool(false), &"already-installed".into()),
        "{v}"
    );
    let v = json(
        &sb,
        &["install", "1.22.5", "--dry-run", "--force", "--json"],
        0,
    );
    assert_eq!(
        (&v["changed"], &v["action"]),
        (&Value::Bool(true), &"reinstalled".into()),
        "{v}"
    );
    assert_eq!(sb.installed(), vec!["1.22.5"]);
}

#[test]
fn failures_are_json_with_kind_message_and_exit_code() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    // A malformed version: invalid input, exit 2.
    let v = json(&sb, &["install", "1.x; rm -rf /", "--json"], 2);
    assert_eq!(v["changed"], false);
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["error"]["kind"], "invalid-input", "{v}");
    // The fields are compared; the message in one is read by people.
    insta::assert_snapshot!(
        "install_json_malformed_version_message",
        v["error"]["message"].as_str().unwrap_or("-")
    );
    // A well-formed version the index lacks: exit 1, with advice.
    let v = json(&sb, &["install", "1.99.1", "--dry-run", "--json"], 1);
    assert_eq!(v["error"]["kind"], "not-found", "{v}");
    assert!(v["error"]["advice"].is_string(), "{v}");
    // The index server down and nothing cached: a network error, not a panic.
    let port = start_refusing_port();
    let out = sb
        .cmd()
        .env(
            "GOV_INDEX_URL",
            format!("http://127.0.0.1:{port}/index.json"),
        )
        .env("GOV_HTTP_RETRIES", "0")
        .args(["install", "1.22.5", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(v["error"]["kind"], "network", "{v}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    assert!(sb.installed().is_empty());
}

#[test]
fn global_set_already_set_dry_run_and_read() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.21.13"]);
    sb.ok(&["install", "1.22.5"]);
    sb.ok(&["install", "1.21.13"]);
    let v = json(&sb, &["global", "--json"], 0);
    assert_eq!(v["global"], Value::Null, "{v}");

    let before = world(&sb);
    let v = json(&sb, &["global", "1.22", "--dry-run", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"], &v["version"]),
        (&Value::Bool(true), &"set".into(), &"1.22.5".into()),
        "{v}"
    );
    assert_eq!(v["entry_points"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(
        world(&sb),
        before,
        "a dry run changed the selection or the links"
    );

    let v = json(&sb, &["global", "1.22", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["before"], &v["after"]),
        (&Value::Bool(true), &Value::Null, &"1.22.5".into()),
        "{v}"
    );
    // GOV_BIN_DIR is not on PATH here: the warning lands in the document.
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("global_json_warnings", warnings_of(&v));
    let v = json(&sb, &["global", "1.22.5", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"]),
        (&Value::Bool(false), &"already-set".into()),
        "{v}"
    );
    // Entry points removed by hand: setting the same version repairs them
    // and says it changed something.
    std::fs::remove_file(sb.bin().join("gofmt")).unwrap_or_else(|e| panic!("{e}"));
    let v = json(&sb, &["global", "1.22.5", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"]),
        (&Value::Bool(true), &"already-set".into()),
        "{v}"
    );
    assert!(sb.bin().join("gofmt").exists());

    let v = json(&sb, &["global", "1.20.1", "--json"], 1);
    assert_eq!(v["error"]["kind"], "not-found", "{v}");
    let v = json(&sb, &["global", "--json"], 0);
    assert_eq!(v["global"], "1.22.5", "{v}");
    let v = json(&sb, &["global", "--unset", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"], &v["global"]),
        (&Value::Bool(true), &"unset".into(), &Value::Null),
        "{v}"
    );
    let v = json(&sb, &["global", "--unset", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"]),
        (&Value::Bool(false), &"not-set".into()),
        "{v}"
    );
}

#[test]
fn uninstall_missing_ok_dry_run_and_refusals() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5");
    let v = json(&sb, &["uninstall", "1.20.3", "--missing-ok", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"]),
        (&Value::Bool(false), &"not-installed".into()),
        "{v}"
    );
    let v = json(&sb, &["uninstall", "1.20.3", "--json"], 1);
    assert_eq!(v["error"]["kind"], "not-found", "{v}");

    let before = world(&sb);
    let v = json(&sb, &["uninstall", "1.21.13", "--dry-run", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"], &v["version"]),
        (&Value::Bool(true), &"uninstalled".into(), &"1.21.13".into()),
        "{v}"
    );
    assert_eq!(world(&sb), before);
    // The global version is refused even with --missing-ok, dry run or not.
    let v = json(
        &sb,
        &["uninstall", "1.22.5", "--missing-ok", "--dry-run", "--json"],
        1,
    );
    assert_eq!(v["error"]["kind"], "state", "{v}");
    let v = json(&sb, &["uninstall", "1.21.13", "--json"], 0);
    assert_eq!(v["changed"], true);
    assert_eq!(sb.installed(), vec!["1.22.5"]);
}

#[test]
fn proxy_changes_report_before_and_after() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let profile = sb.home().join("env");
    let v = json(&sb, &["proxy", "use", "--json"], 0);
    let names: Vec<&str> = v["presets"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"cn") && names.contains(&"corp"), "{v}");

    let v = json(&sb, &["proxy", "use", "cn", "--dry-run", "--json"], 0);
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["after"]["GOSUMDB"], "sum.golang.google.cn", "{v}");
    assert_eq!(
        v["requested"]["GOPROXY"], "https://goproxy.cn,direct",
        "{v}"
    );
    assert!(!profile.exists(), "a dry run wrote the profile");

    let v = json(&sb, &["proxy", "use", "cn", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["preset"]),
        (&Value::Bool(true), &"cn".into()),
        "{v}"
    );
    let written = std::fs::metadata(&profile).and_then(|m| m.modified()).ok();
    let v = json(&sb, &["proxy", "use", "cn", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["action"]),
        (&Value::Bool(false), &"unchanged".into()),
        "{v}"
    );
    assert_eq!(
        std::fs::metadata(&profile).and_then(|m| m.modified()).ok(),
        written,
        "an unchanged profile was rewritten"
    );

    let v = json(
        &sb,
        &["proxy", "set", "GOPRIVATE=git.corp.example/*", "--json"],
        0,
    );
    assert_eq!(v["changed_keys"], serde_json::json!(["GOPRIVATE"]), "{v}");
    let v = json(
        &sb,
        &["proxy", "unset", "GOPRIVATE", "GONOSUMDB", "--json"],
        0,
    );
    assert_eq!(v["changed_keys"], serde_json::json!(["GOPRIVATE"]), "{v}");
    assert_eq!(
        v["requested"],
        serde_json::json!({"GOPRIVATE": null, "GONOSUMDB": null}),
        "{v}"
    );
    let v = json(&sb, &["proxy", "unset", "GOPRIVATE", "--json"], 0);
    assert_eq!(v["changed"], false, "{v}");

    // A value cmd/go would refuse: exit 2, the profile as it was.
    let text = std::fs::read_to_string(&profile).unwrap_or_default();
    let v = json(
        &sb,
        &[
            "proxy",
            "set",
            "GOSUMDB=https://sum.golang.google.cn",
            "--json",
        ],
        2,
    );
    assert_eq!(v["error"]["kind"], "invalid-input", "{v}");
    assert_eq!(std::fs::read_to_string(&profile).unwrap_or_default(), text);

    // An environment variable that will override the profile: warned
    // about in the document, not on stderr.
    let out = sb
        .cmd()
        .env("GOPROXY", "https://other.example")
        .args(["proxy", "set", "GOPROXY=direct", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("proxy_set_json_warnings", warnings_of(&v));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn info_collects_facts_even_from_a_damaged_home() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.21.13");
    sb.ok(&["proxy", "use", "cn"]);
    let v = json(&sb, &["info", "--json"], 0);
    let installed: Vec<&str> = v["installed"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["version"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(installed, vec!["1.22.5", "1.21.13"], "{v}");
    assert_eq!(v["global"], "1.21.13", "{v}");
    assert_eq!(v["entry_points"]["go"]["state"], "gov", "{v}");
    assert_eq!(
        v["proxy"]["profile"]["GOPROXY"], "https://goproxy.cn,direct",
        "{v}"
    );
    let goproxy = v["proxy"]["effective"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["key"] == "GOPROXY"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(goproxy["value"], "https://goproxy.cn,direct", "{v}");
    let index = v["config"]["settings"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["key"] == "GOV_INDEX_URL"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(index["origin"], "environment", "{v}");
    assert!(v["config"]["files"].is_array(), "{v}");
    let layers: Vec<&str> = v["layers"]
        .as_array()
        .map(|a| a.iter().filter_map(|l| l["layer"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(layers, vec!["user", "system"], "{v}");
    assert_eq!(v["layers"][0]["global"], "1.21.13", "{v}");

    // A corrupt global file and a foreign `go` in GOV_BIN_DIR are reported.
    std::fs::write(sb.home().join("global"), "not a version\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(sb.bin().join("go")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(sb.bin().join("go"), "#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
    let v = json(&sb, &["info", "--json"], 0);
    assert_eq!(v["global"], Value::Null, "{v}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("info_json_warnings", warnings_of(&v));
    assert_eq!(v["entry_points"]["go"]["state"], "foreign", "{v}");
}

#[test]
fn several_versions_answer_one_result_each() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.21.13"]);
    json(&sb, &["install", "1.21.13", "--json"], 0);

    // Dry run of several: one result per version, nothing written.
    let before = world(&sb);
    let v = json(
        &sb,
        &["install", "1.22", "1.21.13", "--dry-run", "--json"],
        0,
    );
    assert_eq!(
        (&v["changed"], &v["dry_run"]),
        (&true.into(), &true.into()),
        "{v}"
    );
    assert!(
        v["action"].is_null(),
        "several versions: no top-level action: {v}"
    );
    let r = &v["results"];
    assert_eq!(r.as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(
        (&r[0]["action"], &r[0]["version"], &r[0]["requested"]),
        (&"installed".into(), &"1.22.5".into(), &"1.22".into()),
        "{v}"
    );
    assert_eq!(
        (&r[1]["action"], &r[1]["changed"]),
        (&"already-installed".into(), &false.into()),
        "{v}"
    );
    assert_eq!(
        world(&sb),
        before,
        "a dry run of several wrote under GOV_HOME"
    );
    assert_eq!(sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz"), 0);

    // One missing among several: the others install; the failure document
    // carries every result, the missing one with its error.
    let v = json(&sb, &["install", "1.22", "1.99.1", "1.21.13", "--json"], 1);
    assert_eq!(v["error"]["kind"], "not-found", "{v}");
    assert_eq!(v["changed"], true, "{v}");
    let r = &v["results"];
    assert_eq!(r.as_array().map(Vec::len), Some(3), "{v}");
    assert_eq!(r[0]["action"], "installed", "{v}");
    assert_eq!(
        (&r[1]["requested"], &r[1]["error"]["kind"]),
        (&"1.99.1".into(), &"not-found".into()),
        "{v}"
    );
    assert_eq!(r[2]["action"], "already-installed", "{v}");
    assert_eq!(sb.installed(), vec!["1.22.5", "1.21.13"]);

    // One version named: its fields stay at the top level, next to results.
    let v = json(&sb, &["install", "1.22", "--json"], 0);
    assert_eq!(
        (&v["action"], &v["version"], &v["results"][0]["version"]),
        (
            &"already-installed".into(),
            &"1.22.5".into(),
            &"1.22.5".into()
        ),
        "{v}"
    );
    // None named: what the directory selects, reported the same way.
    let proj = sb.home().with_file_name("proj");
    std::fs::create_dir_all(&proj).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(proj.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    let out = sb
        .cmd()
        .current_dir(&proj)
        .args(["install", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(
        (&v["action"], &v["version"]),
        (&"already-installed".into(), &"1.21.13".into()),
        "{v}"
    );

    // Uninstall of several, dry run first: nothing removed.
    let before = world(&sb);
    let v = json(
        &sb,
        &[
            "uninstall",
            "1.22.5",
            "1.21.13",
            "1.20.3",
            "--missing-ok",
            "--dry-run",
            "--json",
        ],
        0,
    );
    let actions: Vec<&Value> = v["results"]
        .as_array()
        .map(|r| r.iter().map(|x| &x["action"]).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        vec![
            &Value::from("uninstalled"),
            &"uninstalled".into(),
            &"not-installed".into()
        ],
        "{v}"
    );
    assert!(v["action"].is_null(), "{v}");
    assert_eq!(world(&sb), before, "a dry-run uninstall wrote or removed");
    assert_eq!(sb.installed(), vec!["1.22.5", "1.21.13"]);

    // A missing one without --missing-ok: the others go, exit 1.
    let v = json(&sb, &["uninstall", "1.22.5", "1.20.3", "--json"], 1);
    assert_eq!(v["error"]["kind"], "not-found", "{v}");
    assert_eq!(v["results"][0]["action"], "uninstalled", "{v}");
    assert_eq!(v["results"][1]["error"]["kind"], "not-found", "{v}");
    assert_eq!(sb.installed(), vec!["1.21.13"]);

    let v = json(&sb, &["uninstall", "--all", "--json"], 0);
    assert_eq!(v["results"][0]["version"], "1.21.13", "{v}");
    assert!(sb.installed().is_empty());
    let v = json(&sb, &["uninstall", "--all", "--json"], 0);
    assert_eq!(
        (&v["changed"], &v["results"]),
        (&false.into(), &Value::Array(vec![])),
        "{v}"
    );
}

/// The `warnings` of a JSON answer, one a line: each is a message to read.
fn warnings_of(v: &Value) -> String {
    let warnings = v["warnings"].as_array().cloned().unwrap_or_default();
    let lines: Vec<&str> = warnings.iter().map(|w| w.as_str().unwrap_or("-")).collect();
    lines.join("\n")
}
