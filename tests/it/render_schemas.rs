//! The JSON schemas in docs/reference/json/ are generated from the answer
//! types (`gov schema --dir`); a change to an answer that is not
//! regenerated fails here, as stale packaged completions do. The answers
//! gov prints are checked against those files too.

use std::path::{Path, PathBuf};

use crate::support::Sandbox;
use crate::support::schemas::{follows, schema, violation};

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference/json")
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    let sb = Sandbox::new();
    let fresh = sb.dir.path().join("json");
    sb.ok(&["schema", "--dir", &fresh.to_string_lossy()]);
    let committed = reference_dir();
    assert_eq!(
        names_in(&committed),
        names_in(&fresh),
        "docs/reference/json/ lists other answers than gov has: run `cargo run -- schema --dir docs/reference/json`"
    );
    for name in names_in(&fresh) {
        let want = std::fs::read_to_string(fresh.join(&name)).unwrap_or_default();
        let have = std::fs::read_to_string(committed.join(&name)).unwrap_or_default();
        assert_eq!(
            have, want,
            "docs/reference/json/{name} is stale: run `cargo run -- schema --dir docs/reference/json`"
        );
    }
    assert_eq!(
        sb.ok(&["schema", "doctor"]),
        std::fs::read_to_string(committed.join("doctor.json")).unwrap_or_default()
    );
    sb.fails(&["schema", "nothing"], 2);
}

#[test]
fn the_checker_refuses_what_a_schema_does_not_allow() {
    let root = schema("cache-clean");
    let good = serde_json::json!({"archives": 1, "index_copies": 0, "bytes": 5, "dry_run": true});
    assert_eq!(violation(&root, &root, &good, "cache"), None);
    for bad in [
        serde_json::json!({"archives": 1, "index_copies": 0, "bytes": 5}),
        serde_json::json!({"archives": 1, "index_copies": 0, "bytes": 5, "dry_run": true, "x": 1}),
        serde_json::json!({"archives": "1", "index_copies": 0, "bytes": 5, "dry_run": true}),
    ] {
        assert!(violation(&root, &root, &bad, "cache").is_some(), "{bad}");
    }
    let root = schema("install");
    let failed = serde_json::json!({"schema": 1, "changed": false, "dry_run": false, "warnings": [],
        "results": [{"changed": false, "requested": "9", "error": {"kind": "x"}}]});
    assert!(violation(&root, &root, &failed, "install").is_some());
}

#[test]
fn answers_follow_their_schemas() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    for (name, args) in [
        ("list", vec!["list", "--json"]),
        ("list-remote", vec!["list-remote", "--all", "--json"]),
        ("info", vec!["info", "--json"]),
    ] {
        follows(name, sb.ok(&args).as_bytes());
    }
    follows("doctor", &sb.gov(&["doctor", "--offline", "--json"]).stdout);
    let out = sb.gov(&["install", "--json", "1.0.0"]);
    follows("failure", &out.stdout);
    let failure: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(failure["exit_code"], 1, "{failure}");
}

/// The answers of the commands that change state, each shape they take:
/// one version and several, done and failed, dry runs.
#[test]
fn changing_answers_follow_their_schemas() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.22.4", "1.21.13"]);
    for (name, args) in [
        ("install", vec!["install", "--json", "1.22.4"]),
        ("install", vec!["install", "--json", "--dry-run", "1.22.5"]),
        ("install", vec!["install", "--json", "1.22.5", "1.21.13"]),
        ("global", vec!["global", "--json", "1.22.4"]),
        ("global", vec!["global", "--json", "--dry-run", "1.22.5"]),
        ("global-show", vec!["global", "--json"]),
        ("global-unset", vec!["global", "--unset", "--json"]),
        ("uninstall", vec!["uninstall", "--json", "1.21.13"]),
        (
            "uninstall",
            vec!["uninstall", "--json", "--missing-ok", "1.21.13", "1.20.1"],
        ),
        (
            "uninstall",
            vec!["uninstall", "--json", "--dry-run", "--all"],
        ),
        ("config-show", vec!["config", "show", "--json"]),
        (
            "config-change",
            vec!["config", "set", "--json", "GOV_HTTP_READ_TIMEOUT=30"],
        ),
        (
            "config-change",
            vec![
                "config",
                "unset",
                "--json",
                "--dry-run",
                "GOV_HTTP_READ_TIMEOUT",
            ],
        ),
        ("proxy-show", vec!["proxy", "show", "--json"]),
        ("proxy-presets", vec!["proxy", "use", "--json"]),
        (
            "proxy-change",
            vec!["proxy", "use", "cn", "--json", "--dry-run"],
        ),
        (
            "proxy-change",
            vec!["proxy", "set", "--json", "GOPRIVATE=x.example"],
        ),
        ("cache-clean", vec!["cache", "clean", "--json", "--dry-run"]),
        ("prune", vec!["prune", "--json", "--dry-run"]),
        ("upgrade", vec!["upgrade", "--json", "--dry-run"]),
        ("outdated", vec!["outdated", "--json", "--offline"]),
    ] {
        follows(name, sb.ok(&args).as_bytes());
    }
    // Some of several failed: the failure answer, with `results`.
    let out = sb.gov(&["install", "--json", "1.22.5", "9.9.9"]);
    assert_eq!(out.status.code(), Some(1));
    follows("failure", &out.stdout);
    let failure: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let results = failure["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 2, "{failure}");
    let root = schema("install");
    let outcome = &root["properties"]["results"]["items"];
    for (i, r) in results.iter().enumerate() {
        assert_eq!(
            violation(&root, outcome, r, "results"),
            None,
            "results[{i}]"
        );
    }
}
