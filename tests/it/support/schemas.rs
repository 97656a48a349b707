//! Checks a `--json` answer against its schema in docs/reference/json/
//! (the subset of JSON Schema the generated files use), so the tests that
//! run a command can check its whole answer, not only the fields they read.

use std::path::Path;

/// docs/reference/json/<name>.json.
pub fn schema(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/reference/json")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The object schema `node` names: itself, or the definition its `$ref`
/// points at.
pub fn resolve<'a>(
    root: &'a serde_json::Value,
    node: &'a serde_json::Value,
) -> &'a serde_json::Value {
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
pub fn type_fits(node: &serde_json::Value, value: &serde_json::Value) -> bool {
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
pub fn violation(
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
pub fn follows(name: &str, answer: &[u8]) {
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
