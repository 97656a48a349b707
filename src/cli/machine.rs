//! The machine interface of the commands that change state (`install`,
//! `uninstall`, `global`, `proxy use|set|unset`, `config set|unset`) and
//! of `gov info`: one JSON document on stdout, `"schema": 1`, what changed
//! next to what was already so, and the warnings the run collected (through
//! `core::report::Collect`) instead of text on stderr. A failure is a JSON document too, with the
//! error's kind, message, causes, advice and exit code, so an orchestrator
//! never has to read screen text.

use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value, json};

use crate::core::error::{Error, Result};
use crate::core::report::{Collect, Reporter};

/// The version of every document below; fields are added, never renamed.
pub const SCHEMA: u64 = 1;

static COLLECTED: OnceLock<Arc<Collect>> = OnceLock::new();

/// What a command did before it failed (e.g. `results` of several
/// installs), merged into its failure document.
static PARTIAL: OnceLock<Map<String, Value>> = OnceLock::new();

/// The reporter for a `--json` run: everything is kept for the answer.
pub fn collector() -> Arc<dyn Reporter> {
    COLLECTED
        .get_or_init(|| Arc::new(Collect::default()))
        .clone()
}

fn warnings() -> Vec<String> {
    COLLECTED.get().map(|c| c.warnings()).unwrap_or_default()
}

/// Prints a command's answer with `schema` and the collected warnings.
pub fn answer(fields: Value) -> Result<()> {
    let mut doc = Map::new();
    doc.insert("schema".into(), json!(SCHEMA));
    if let Value::Object(m) = fields {
        doc.extend(m);
    }
    doc.insert("warnings".into(), json!(warnings()));
    super::print_json(&Value::Object(doc))
}

/// The document for a failed `--json` run.
pub fn failure(e: &Error) -> Value {
    let mut doc = Map::new();
    doc.insert("schema".into(), json!(SCHEMA));
    doc.insert("changed".into(), json!(false));
    if let Some(partial) = PARTIAL.get() {
        doc.extend(partial.clone());
    }
    doc.insert("error".into(), error_fields(e));
    doc.insert("exit_code".into(), json!(e.kind().exit_code()));
    doc.insert("warnings".into(), json!(warnings()));
    Value::Object(doc)
}

/// Keeps what a command did before failing for its failure document: the
/// error is still the answer (and the exit code), these fields say what
/// was done anyway.
pub fn partial(fields: Value) {
    if let Value::Object(m) = fields {
        let _ = PARTIAL.set(m);
    }
}

/// An error as the `error` object of a document.
pub fn error_fields(e: &Error) -> Value {
    json!({
        "kind": e.kind().name(),
        "message": e.message(),
        "causes": e.causes(),
        "advice": e.advice(),
    })
}

/// Text for a `--dry-run` without `--json`.
pub fn would(app: &crate::app::App, what: &str) {
    app.ui.status(&format!("dry run: {what}"));
}
