//! gov's error type: every failure carries a kind (which fixes the exit code),
//! a message, an optional cause chain and a line of advice for the user.

use std::fmt;

/// What went wrong, coarsely. The kind decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed input: a bad version string, a bad flag combination.
    InvalidInput,
    /// A well-formed request for something that does not exist (unknown version).
    NotFound,
    /// The network or a remote server failed.
    Network,
    /// Downloaded or local bytes do not match the expected checksum.
    Checksum,
    /// An archive that is malformed or tries to escape its tree.
    BadArchive,
    /// Local filesystem trouble.
    Io,
    /// The state under GOV_HOME is not what gov expects.
    State,
    /// The caller may not do this or read that (the system layer as a
    /// non-root account, a file other accounts cannot read).
    Permission,
}

impl ErrorKind {
    /// Exit code contract: 2 for usage / invalid input, 1 for every other failure.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::InvalidInput => 2,
            _ => 1,
        }
    }

    /// The kind's stable name in machine output (`--json` errors).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid-input",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Network => "network",
            ErrorKind::Checksum => "checksum",
            ErrorKind::BadArchive => "bad-archive",
            ErrorKind::Io => "io",
            ErrorKind::State => "state",
            ErrorKind::Permission => "permission",
        }
    }
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    advice: Option<String>,
    source: Option<Cause>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            advice: None,
            source: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    pub fn io(message: impl Into<String>, cause: std::io::Error) -> Self {
        Self::new(ErrorKind::Io, message).with_source(cause)
    }

    pub fn with_advice(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }

    pub fn with_source(mut self, cause: impl Into<Cause>) -> Self {
        self.source = Some(cause.into());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn advice(&self) -> Option<&str> {
        self.advice.as_deref()
    }

    /// The kind of the underlying I/O error, if the cause is one.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        self.source
            .as_deref()
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .map(std::io::Error::kind)
    }

    /// The messages of the cause chain, outermost first, without repeats.
    pub fn causes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut cur: Option<&(dyn std::error::Error + 'static)> =
            self.source.as_deref().map(|e| e as _);
        while let Some(e) = cur {
            let text = e.to_string();
            if !out.iter().any(|seen| seen == &text) && text != self.message {
                out.push(text);
            }
            cur = e.source();
        }
        out
    }

    /// Multi-line report for stderr: the error, its causes and the advice,
    /// with the passwords of URLs in them redacted.
    pub fn report(&self) -> String {
        crate::core::quote::redact_credentials(&self.report_raw()).into_owned()
    }

    fn report_raw(&self) -> String {
        let mut s = format!("error: {}", self.message);
        for cause in self.causes() {
            s.push_str("\n  caused by: ");
            s.push_str(&cause);
        }
        if let Some(advice) = &self.advice {
            s.push_str("\n  hint: ");
            s.push_str(advice);
        }
        s
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// Attach context to `std::io::Result`s: `fs::rename(a, b).context("renaming x")?`.
pub trait IoContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| {
            let advice = match e.kind() {
                std::io::ErrorKind::PermissionDenied => Some(
                    "check the permissions of GOV_HOME, or run as the user who owns it (root for /usr/local/gov)",
                ),
                std::io::ErrorKind::StorageFull => Some("free some disk space and try again"),
                _ => None,
            };
            let err = Error::io(what(), e);
            match advice {
                Some(a) => err.with_advice(a),
                None => err,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lists_causes_and_advice() {
        let io = std::io::Error::other("disk on fire");
        let e = Error::io("writing VERSION", io).with_advice("call the fire brigade");
        let r = e.report();
        assert!(r.starts_with("error: writing VERSION"));
        assert!(r.contains("caused by: disk on fire"));
        assert!(r.contains("hint: call the fire brigade"));
        assert_eq!(e.kind().exit_code(), 1);
        assert_eq!(Error::invalid("bad").kind().exit_code(), 2);
    }
}
