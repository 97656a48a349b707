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

/// Every field of `value` is declared by the schema and every required
/// one is there, down through nested objects and arrays (the subset of
/// JSON Schema the generated files use).
fn conforms(
    root: &serde_json::Value,
    node: &serde_json::Value,
    value: &serde_json::Value,
    at: &str,
) {
    let node = resolve(root, node);
    match value {
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(root, &node["items"], item, &format!("{at}[{i}]"));
            }
        }
        serde_json::Value::Object(fields) if node["properties"].is_object() => {
            for req in node["required"].as_array().into_iter().flatten() {
                let req = req.as_str().unwrap_or_default();
                assert!(
                    fields.contains_key(req),
                    "{at}: required `{req}` is missing"
                );
            }
            for (k, v) in fields {
                let declared = &node["properties"][k];
                assert!(!declared.is_null(), "{at}: `{k}` is not in the schema");
                conforms(root, declared, v, &format!("{at}.{k}"));
            }
        }
        _ => {}
    }
}

#[test]
fn answers_follow_their_schemas() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    for (name, args) in [
        ("list", vec!["list", "--json"]),
        ("list-remote", vec!["list-remote", "--all", "--json"]),
        ("info", vec!["info", "--json"]),
    ] {
        let answer: serde_json::Value =
            serde_json::from_str(&sb.ok(&args)).unwrap_or_else(|e| panic!("gov {args:?}: {e}"));
        let root = schema(name);
        conforms(&root, &root, &answer, name);
    }
    let out = sb.gov(&["doctor", "--offline", "--json"]);
    let answer: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("gov doctor: {e}"));
    let root = schema("doctor");
    conforms(&root, &root, &answer, "doctor");
    let out = sb.gov(&["install", "--json", "1.0.0"]);
    let failure: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("gov install: {e}"));
    let root = schema("failure");
    conforms(&root, &root, &failure, "failure");
    assert_eq!(failure["exit_code"], 1, "{failure}");
}
