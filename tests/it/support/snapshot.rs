//! What users read is checked against snapshots (insta) kept in
//! tests/it/snapshots/. The parts that differ from run to run are replaced
//! first: temporary directories, loopback ports, process ids, durations,
//! download progress lines.
//!
//! ```ignore
//! let _redactions = support::snapshot::redactions();
//! insta::assert_snapshot!(stderr);
//! ```

/// insta settings with the run-to-run parts replaced, active until the
/// returned guard is dropped (on this thread).
pub fn redactions() -> insta::internals::SettingsBindDropGuard {
    redactions_naming(&[])
}

/// [`redactions`], with each `(text, name)` replaced by its name first: for
/// a message whose point is which of several servers it names.
pub fn redactions_naming(named: &[(&str, &str)]) -> insta::internals::SettingsBindDropGuard {
    settings_naming(named).bind_to_scope()
}

/// [`redactions`], with disk usage (`52.0 KiB`) replaced too: it counts
/// the filesystem's blocks, which differ from one filesystem to another.
pub fn redactions_hiding_sizes() -> insta::internals::SettingsBindDropGuard {
    let mut s = settings_naming(&[]);
    s.add_filter(r"\b\d+(?:\.\d+)? (?:B|KiB|MiB|GiB)\b", "[SIZE]");
    s.bind_to_scope()
}

fn settings_naming(named: &[(&str, &str)]) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    for (text, name) in named {
        s.add_filter(&escape(text), *name);
    }
    // Sandboxes: tempfile names a directory by a prefix (`.tmp` unless the
    // test chose a `gov-...-` one) and six random characters.
    s.add_filter(
        r"/(?:var/)?tmp/(?:\.tmp|gov-[a-z-]+)[A-Za-z0-9]{6}",
        "[TMP]",
    );
    // Loopback servers and refused ports.
    s.add_filter(r"(127\.0\.0\.1|localhost|\[::1\]):\d{2,5}", "$1:[PORT]");
    // Download progress lines in logs: how many appear depends on timing.
    s.add_filter(r"(?m)^\S+: \d+% \([^)\n]*\)\n", "");
    // gov's temporary files: `<name>.tmp-<pid>-<n>-<random>`.
    s.add_filter(r"\.tmp-\d+-\d+-[0-9a-f]+", ".tmp-[UNIQUE]");
    // Process ids (a link to /proc/self/... names the reader's).
    s.add_filter(r"/proc/\d+/", "/proc/[PID]/");
    // Elapsed times and ages in messages ("after 1.2 s", "3ms", "2 min ago").
    s.add_filter(r"\b\d+(?:\.\d+)? ?(?:ms|s|min)\b", "[DURATION]");
    s
}

/// One check of `gov doctor --json` as its reader sees it, for a snapshot:
/// its id, finding and advice (the status is a field to compare).
pub fn doctor_check(check: &serde_json::Value) -> String {
    let field = |k: &str| check[k].as_str().unwrap_or("-").to_string();
    format!(
        "{}: {}\n  advice: {}",
        field("id"),
        field("finding"),
        field("advice")
    )
}

/// `text` as a regular expression that matches exactly it.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
