//! The one error type of the verification code: a kind callers can branch
//! on (a forged answer stops everything, a missing tile may be retried) and
//! a message that says what was checked and what failed.

use std::fmt;

/// What went wrong, coarsely: enough for a caller to pick an exit path and
/// advice without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Input that does not follow the format (bad base64, extra lines, a
    /// zip path outside the module, a size over the limit).
    Malformed,
    /// Well-formed input that fails cryptographic verification: a bad
    /// signature, a record or file hash that does not match.
    Forged,
    /// Two authenticated views that cannot both be true: a log that forked,
    /// a tile that does not hash to the signed tree.
    Inconsistent,
    /// Something needed is absent: no signature by the expected key, no
    /// line for the module in the record, a tile the server does not have.
    Missing,
    /// Reading or writing failed (network, disk) before anything could be
    /// judged.
    Io,
}

/// An error with a [`ErrorKind`] and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustError {
    kind: ErrorKind,
    message: String,
}

impl TrustError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        TrustError {
            kind,
            message: message.into(),
        }
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, message)
    }

    pub fn forged(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forged, message)
    }

    pub fn inconsistent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Inconsistent, message)
    }

    pub fn missing(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Missing, message)
    }

    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Io, message)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with what was being done, keeping the kind.
    pub fn context(self, what: impl fmt::Display) -> Self {
        TrustError {
            kind: self.kind,
            message: format!("{what}: {}", self.message),
        }
    }
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TrustError {}

pub type Result<T> = std::result::Result<T, TrustError>;

/// Into gov's error: the kind fixes the exit code (1 for all of them) and
/// whether `--source auto` may try elsewhere (a forged or inconsistent
/// answer is a checksum failure and stops everything).
impl From<TrustError> for crate::core::error::Error {
    fn from(e: TrustError) -> Self {
        use crate::core::error::{Error, ErrorKind as K};
        let (kind, advice) = match e.kind {
            ErrorKind::Malformed => (
                K::BadArchive,
                "the module proxy or checksum database served malformed data; nothing was installed. \
                 Retry later or use another proxy (GOPROXY)",
            ),
            ErrorKind::Forged => (
                K::Checksum,
                "this failed cryptographic verification: the proxy or checksum database serves \
                 tampered data. Nothing was installed; do not work around it, report it to the \
                 proxy's operator",
            ),
            ErrorKind::Inconsistent => (
                K::Checksum,
                "the checksum database's answers contradict each other or what gov verified \
                 before; nothing was installed and the stored tree head was kept. Report both \
                 tree heads to the database operator",
            ),
            ErrorKind::Missing => (
                K::NotFound,
                "the checksum database does not vouch for this toolchain; check the version, \
                 and that GOSUMDB names the right database and key",
            ),
            ErrorKind::Io => (
                K::Network,
                "check the network and the proxy settings (gov doctor)",
            ),
        };
        Error::new(kind, e.message).with_advice(advice)
    }
}
