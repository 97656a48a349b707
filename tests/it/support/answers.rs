//! Fields read out of gov's JSON answers, for comparison.

use serde_json::Value;

/// `(version, layer)` of each entry of a list of installed versions (`gov
/// list --json`, the `versions` of `gov outdated --json`).
pub fn version_layers(entries: &Value) -> Vec<(String, String)> {
    let field = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
    entries
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| (field(e, "version"), field(e, "layer")))
                .collect()
        })
        .unwrap_or_default()
}
