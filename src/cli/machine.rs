//! The machine interface of the commands that change state (`install`,
//! `uninstall`, `global`, `proxy use|set|unset`, `config set|unset`) and
//! of `gov info`: one JSON document on stdout, `"schema": 1`, what changed
//! next to what was already so, and the warnings the run collected (the
//! `App`'s reporter is a `core::report::Collect`) instead of text on
//! stderr. A failure is a JSON document too, with the error's kind,
//! message, causes, advice and exit code, so an orchestrator never has to
//! read screen text. The shapes are the structs of `cli::answers`.

use std::sync::Arc;

use serde::Serialize;

use super::answers::{Answer, ErrorAnswer, Failure, SCHEMA};
use crate::app::App;
use crate::core::error::{Error, Result};
use crate::core::report::Collect;

/// The reporter of a `--json` run: everything is kept for the answer.
pub fn collector() -> Arc<Collect> {
    Arc::new(Collect::default())
}

/// The machine interface of one run, reached through its App: the App's
/// reporter keeps the warnings and what was done before a failure.
pub struct Machine<'a> {
    app: &'a App,
}

pub fn of(app: &App) -> Machine<'_> {
    Machine { app }
}

impl Machine<'_> {
    fn kept(&self) -> Option<&Collect> {
        self.app.ui.kept()
    }

    /// Prints a command's answer: `body`'s fields between `schema` and the
    /// warnings the run collected.
    pub fn answer<T: Serialize>(&self, body: T) -> Result<()> {
        super::print_json(&Answer {
            schema: SCHEMA,
            body,
            warnings: self.kept().map(Collect::warnings).unwrap_or_default(),
        })
    }

    /// Keeps what a command did before failing for its failure document:
    /// the error is still the answer (and the exit code), these fields say
    /// what was done anyway. (Fields that cannot be encoded are left out:
    /// the failure is still reported.)
    pub fn partial<T: Serialize>(&self, done: &T) {
        if let (Some(kept), Ok(serde_json::Value::Object(fields))) =
            (self.kept(), serde_json::to_value(done))
        {
            kept.keep_done(fields);
        }
    }
}

/// The document for a failed `--json` run, from what its reporter kept.
pub fn failure(kept: &Collect, e: &Error) -> Failure {
    Failure {
        schema: SCHEMA,
        changed: false,
        done: kept.done().unwrap_or_default().into_iter().collect(),
        error: ErrorAnswer::of(e),
        exit_code: e.kind().exit_code(),
        warnings: kept.warnings(),
    }
}

/// An error as the `error` object of a document.
pub fn error_fields(e: &Error) -> ErrorAnswer {
    ErrorAnswer::of(e)
}

/// Text for a `--dry-run` without `--json`.
pub fn would(app: &App, what: &str) {
    app.ui.status(&format!("dry run: {what}"));
}
