//! How the library tells its caller what is happening, without touching the
//! terminal itself: status lines, warnings, byte progress and phase timings
//! go to a [`Reporter`]. The CLI implements it with stderr and indicatif
//! (`cli::terminal`); a `--json` mode, the Ansible modules or the mirror
//! builder can collect or drop the same events instead.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Receives what a long operation has to say. Implementations must be cheap
/// to call and must not fail: reporting never changes an outcome.
pub trait Reporter: Send + Sync {
    /// A progress line (suppressible by the caller, e.g. `--quiet`).
    fn status(&self, msg: &str);
    /// Something the user should look at; shown even when quiet.
    fn warn(&self, msg: &str);
    /// A byte counter for a transfer of `total` bytes (if known).
    fn progress(&self, total: Option<u64>, label: &str) -> Arc<dyn Progress>;
    /// How long a phase took (diagnostics; ignored by default).
    fn trace(&self, _phase: &str, _elapsed: Duration) {}
    /// The store of a reporter that keeps events for its caller's answer
    /// (a JSON mode) instead of showing them; none for one that shows them.
    fn kept(&self) -> Option<&Collect> {
        None
    }
}

/// A running byte counter handed to the download pipeline.
pub trait Progress: Send + Sync {
    fn advance(&self, bytes: u64);
    /// The transfer ended (successfully or not); remove any display.
    fn finish(&self);
}

/// A counter that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn advance(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// Drops everything: for callers that only want the result.
pub struct Silent;

impl Reporter for Silent {
    fn status(&self, _msg: &str) {}
    fn warn(&self, _msg: &str) {}
    fn progress(&self, _total: Option<u64>, _label: &str) -> Arc<dyn Progress> {
        Arc::new(NoProgress)
    }
}

/// Keeps status lines and warnings in memory, e.g. to put them into a JSON
/// answer instead of on stderr, and what a command had done before it
/// failed, for the failure answer.
#[derive(Default)]
pub struct Collect {
    pub events: Mutex<Vec<Event>>,
    done_before_failure: Mutex<Option<serde_json::Map<String, serde_json::Value>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Status(String),
    Warning(String),
}

impl Collect {
    pub fn warnings(&self) -> Vec<String> {
        self.snapshot()
            .into_iter()
            .filter_map(|e| match e {
                Event::Warning(w) => Some(w),
                Event::Status(_) => None,
            })
            .collect()
    }

    pub fn snapshot(&self) -> Vec<Event> {
        match self.events.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn push(&self, e: Event) {
        match self.events.lock() {
            Ok(mut g) => g.push(e),
            Err(p) => p.into_inner().push(e),
        }
    }

    /// Keeps the fields that say what was done before a failure (the
    /// results of the installs that worked); the first call wins.
    pub fn keep_done(&self, fields: serde_json::Map<String, serde_json::Value>) {
        let mut slot = match self.done_before_failure.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        slot.get_or_insert(fields);
    }

    pub fn done(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self.done_before_failure.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

impl Reporter for Collect {
    fn status(&self, msg: &str) {
        self.push(Event::Status(msg.to_string()));
    }
    fn warn(&self, msg: &str) {
        self.push(Event::Warning(msg.to_string()));
    }
    fn progress(&self, _total: Option<u64>, _label: &str) -> Arc<dyn Progress> {
        Arc::new(NoProgress)
    }
    fn kept(&self) -> Option<&Collect> {
        Some(self)
    }
}

/// "66.6 MiB"
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_keeps_order_and_kinds() {
        let c = Collect::default();
        c.status("a");
        c.warn("b");
        assert_eq!(
            c.snapshot(),
            vec![Event::Status("a".into()), Event::Warning("b".into())]
        );
        assert_eq!(c.warnings(), vec!["b".to_string()]);
    }

    #[test]
    fn bytes_read_as_people_read_them() {
        assert_eq!(human_bytes(10), "10 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(66 * 1024 * 1024), "66.0 MiB");
    }
}
