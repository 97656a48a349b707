//! The JSON schemas in docs/reference/json/ are generated from the answer
//! types (`gov schema --dir`); a change to an answer that is not
//! regenerated fails here, as stale packaged completions do. The answers
//! gov prints are checked against those files too.

use std::path::{Path, PathBuf};

use crate::support::Sandbox;

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

fn schema(name: &str) -> serde_json::Value {
    let path = reference_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The object schema `node` names: itself, or the definition its `$ref`
/// points at.
fn resolve<'a>(root: &'a serde_json::Value, node: &'a serde_json::Value) -> &'a serde_json::Value {
    match node["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(def) => &root["$defs"][def],
        None => node,
    }
}

/// Whether `value` has one of the JSON types `node` allows (any, when it
/// names none).
fn type_fits(node: &serde_json::Value, value: &serde_json::Value) -> bool {
    let fits = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    };
    match &node["type"] {
        serde_json::Value::String(t) => fits(t),
        serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).any(fits),
        _ => true,
    }
}

/// Where `value` breaks the schema `node`: a type the schema does not
/// allow, a field it does not declare, a required field missing, or no
/// `anyOf` branch that fits, down through nested objects and arrays (the
/// subset of JSON Schema the generated files use).
fn violation(
    root: &serde_json::Value,
    node: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) -> Option<String> {
    let node = resolve(root, node);
    if let Some(branches) = node["anyOf"].as_array() {
        let fit = branches
            .iter()
            .any(|b| violation(root, b, value, at).is_none());
        return (!fit).then(|| format!("{at}: fits none of {branches:?}"));
    }
    if !type_fits(node, value) {
        return Some(format!("{at}: {value} is not of type {}", node["type"]));
    }
    if let Some(allowed) = node["enum"].as_array()
        && !allowed.contains(value)
    {
        return Some(format!("{at}: {value} is not one of {allowed:?}"));
    }
    match value {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| violation(root, &node["items"], item, &format!("{at}[{i}]"))),
        serde_json::Value::Object(fields) if node["properties"].is_object() => {
            for req in node["required"].as_array().into_iter().flatten() {
                let req = req.as_str().unwrap_or_default();
                if !fields.contains_key(req) {
                    return Some(format!("{at}: required `{req}` is missing"));
                }
            }
            fields.iter().find_map(|(k, v)| {
                let declared = &node["properties"][k];
                if declared.is_null() {
                    // The failure answer keeps the fields of what was done.
                    let open = node["additionalProperties"] == true;
                    return (!open).then(|| format!("{at}: `{k}` is not in the schema"));
                }
                violation(root, declared, v, &format!("{at}.{k}"))
            })
        }
        serde_json::Value::Object(fields) if node["additionalProperties"].is_object() => {
            fields.iter().find_map(|(k, v)| {
                violation(root, &node["additionalProperties"], v, &format!("{at}.{k}"))
            })
        }
        _ => None,
    }
}

/// `answer` (gov's stdout) follows docs/reference/json/<name>.json.
fn follows(name: &str, answer: &[u8]) {
    let value: serde_json::Value = serde_json::from_slice(answer).unwrap_or_else(|e| {
        panic!(
            "{name}: not JSON ({e}): {}",
            String::from_utf8_lossy(answer)
        )
    });
    let root = schema(name);
    if let Some(why) = violation(&root, &root, &value, name) {
        panic!("{why}\nanswer: {value:#}");
    }
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
