//! Network failures by kind. A failed request is classified once, here,
//! into a [`NetKind`]; retries, the sentence people read (`net::explain`)
//! and the advice all decide on the kind, never on an error's text.
//!
//! reqwest and its resolver hand some failures over only as text (a
//! resolver's "no records found", a proxy's refused CONNECT); [`classify`]
//! reads the typed causes first (HTTP status, I/O error kinds, rustls
//! errors) and that text last, and is the only place that does.

use std::error::Error as StdError;

/// What stage of a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetKind {
    /// The host name (or the proxy's) does not resolve. `unknown_host`:
    /// the resolver said the name does not exist (not worth a retry), as
    /// opposed to a resolver that failed for now.
    Dns { unknown_host: bool },
    /// Nothing listens: the connection was refused.
    Refused,
    /// The proxy would not open a tunnel to the host (`auth`: it wants
    /// credentials).
    Tunnel { auth: bool },
    /// No (complete) answer within the deadline.
    Timeout,
    /// TLS could not be set up with the host.
    Tls(TlsProblem),
    /// The connection was reset or closed mid-way.
    Reset,
    /// The server answered with an HTTP error status.
    Status(u16),
    /// Anything else (a malformed answer, a body cut short...).
    Other,
}

/// Why TLS failed, as far as the certificate check says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsProblem {
    /// Signed by an authority this machine does not trust.
    UnknownIssuer,
    /// A certificate for another name.
    WrongName,
    Expired,
    /// The handshake itself (a server that does not speak TLS...).
    Handshake,
}

impl NetKind {
    /// What to do about it; `via_proxy` when the request went through a
    /// proxy from the environment.
    pub fn advice(self, via_proxy: bool) -> &'static str {
        match self {
            NetKind::Tunnel { .. } => {
                "the proxy refuses to tunnel to that host: have it allowed there, or list the host in NO_PROXY if it is reachable directly"
            }
            NetKind::Refused | NetKind::Dns { .. } if via_proxy => {
                "the proxy is not reachable: check that it runs at that address, or fix (or unset) the variable named above"
            }
            NetKind::Status(404 | 410) => {
                "check the path of GOV_MIRROR / GOV_INDEX_URL: a mirror base is the folder holding go1.x.y.linux-*.tar.gz (like https://dl.google.com/go)"
            }
            NetKind::Tls(_) => {
                "TLS verification failed: if a corporate proxy or private CA signs this host's certificate, \
                 point SSL_CERT_FILE (or SSL_CERT_DIR) at that CA's PEM bundle"
            }
            NetKind::Status(401 | 403) => {
                "the server wants credentials: put them in ~/.netrc (machine <host> login <user> password <secret>)"
            }
            NetKind::Dns { .. } => {
                "the host name does not resolve: check DNS, or set HTTPS_PROXY if this host must go through a proxy"
            }
            _ => {
                "check the network; behind a firewall set HTTPS_PROXY (and NO_PROXY for internal hosts)"
            }
        }
    }

    /// How specific [`NetKind::advice`] is: of several failures (mirrors
    /// tried in turn), the most specific one's advice is given.
    fn rank(self, via_proxy: bool) -> u8 {
        match self {
            NetKind::Tunnel { .. } => 0,
            NetKind::Refused | NetKind::Dns { .. } if via_proxy => 1,
            NetKind::Status(404 | 410) => 2,
            NetKind::Tls(_) => 3,
            NetKind::Status(401 | 403) => 4,
            NetKind::Dns { .. } => 5,
            _ => 6,
        }
    }

    /// Could the same request succeed in a moment? Not after a timeout
    /// (the deadline is spent), a TLS failure (an untrusted certificate
    /// stays so), a name that does not exist, or an HTTP answer (its
    /// status decides).
    pub fn may_pass_on_retry(self) -> bool {
        !matches!(
            self,
            NetKind::Timeout
                | NetKind::Tls(_)
                | NetKind::Dns { unknown_host: true }
                | NetKind::Status(_)
        )
    }
}

/// The advice for the most specific of several failures (each with
/// whether it went through a proxy); the general one when there are none.
pub fn advice_for_all(failures: impl IntoIterator<Item = (NetKind, bool)>) -> &'static str {
    failures
        .into_iter()
        .min_by_key(|(k, p)| k.rank(*p))
        .map_or(NetKind::Other.advice(false), |(k, p)| k.advice(p))
}

/// Every cause in the chain, outermost first.
fn causes<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(e);
    std::iter::from_fn(move || {
        let cur = next?;
        next = cur.source();
        Some(cur)
    })
}

/// The I/O error kinds in the chain (hyper wraps the socket's error).
fn io_kinds(e: &(dyn StdError + 'static)) -> Vec<std::io::ErrorKind> {
    causes(e)
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .collect()
}

/// A rustls error anywhere in the chain, also inside an I/O error.
fn rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    causes(e).find_map(|c| {
        c.downcast_ref::<rustls::Error>().or_else(|| {
            c.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        })
    })
}

fn tls_problem(e: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => TlsProblem::UnknownIssuer,
        rustls::Error::InvalidCertificate(C::NotValidForName)
        | rustls::Error::InvalidCertificate(C::NotValidForNameContext { .. }) => {
            TlsProblem::WrongName
        }
        rustls::Error::InvalidCertificate(C::Expired)
        | rustls::Error::InvalidCertificate(C::ExpiredContext { .. }) => TlsProblem::Expired,
        _ => TlsProblem::Handshake,
    }
}

/// The whole chain as one lowercase text: only for what the libraries
/// give as text alone (see the module comment).
fn chain_text(e: &(dyn StdError + 'static)) -> String {
    causes(e)
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(" | ")
        .to_ascii_lowercase()
}

/// The resolver's words for a name that does not exist.
const UNKNOWN_HOST: &[&str] = &[
    "name or service not known",
    "no address associated",
    "no records found",
    "nxdomain",
];

/// The kind of a failed request.
pub fn classify(e: &reqwest::Error) -> NetKind {
    if let Some(status) = e.status() {
        return NetKind::Status(status.as_u16());
    }
    let text = chain_text(e);
    let unknown_host = UNKNOWN_HOST.iter().any(|w| text.contains(w));
    if unknown_host || text.contains("dns error") || text.contains("failed to lookup") {
        return NetKind::Dns { unknown_host };
    }
    let io = io_kinds(e);
    if io.contains(&std::io::ErrorKind::ConnectionRefused) || text.contains("connection refused") {
        return NetKind::Refused;
    }
    if text.contains("unsuccessful tunnel")
        || text.contains("tunnel error")
        || text.contains("proxy authentication")
    {
        let auth = text.contains("proxy authentication");
        return NetKind::Tunnel { auth };
    }
    if e.is_timeout() || io.contains(&std::io::ErrorKind::TimedOut) || text.contains("timed out") {
        return NetKind::Timeout;
    }
    if let Some(tls) = rustls_error(e) {
        return NetKind::Tls(tls_problem(tls));
    }
    if let Some(problem) = tls_in_words(&text) {
        return NetKind::Tls(problem);
    }
    let reset = [
        std::io::ErrorKind::ConnectionReset,
        std::io::ErrorKind::ConnectionAborted,
        std::io::ErrorKind::BrokenPipe,
    ];
    if io.iter().any(|k| reset.contains(k))
        || text.contains("connection reset")
        || text.contains("connection closed")
    {
        return NetKind::Reset;
    }
    NetKind::Other
}

/// rustls's failures when they arrive as text only (the hyper connector
/// sometimes flattens them).
fn tls_in_words(text: &str) -> Option<TlsProblem> {
    let tls = [
        "certificate",
        "tls",
        "handshake",
        "received corrupt message",
        "peer is incompatible",
        "peer misbehaved",
        "received fatal alert",
    ];
    if !tls.iter().any(|w| text.contains(w)) {
        return None;
    }
    Some(
        if text.contains("unknownissuer") || text.contains("unknown issuer") {
            TlsProblem::UnknownIssuer
        } else if text.contains("notvalidforname") || text.contains("not valid for name") {
            TlsProblem::WrongName
        } else if text.contains("expired") {
            TlsProblem::Expired
        } else {
            TlsProblem::Handshake
        },
    )
}

/// The kind of a failed read of a body: a deadline, a dropped
/// connection, or else.
pub fn classify_io(e: &std::io::Error) -> NetKind {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return NetKind::Timeout;
    }
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
    {
        Some(re) => classify(re),
        None => match e.kind() {
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof => NetKind::Reset,
            _ => NetKind::Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_advice_wins() {
        let dns = NetKind::Dns { unknown_host: true };
        assert_eq!(
            advice_for_all([(NetKind::Status(503), false), (dns, false)]),
            dns.advice(false)
        );
        assert!(advice_for_all([(dns, true)]).contains("proxy is not reachable"));
        assert!(advice_for_all([(NetKind::Status(404), false), (dns, false)]).contains("path"));
        assert!(advice_for_all([]).contains("check the network"));
        assert!(NetKind::Status(403).advice(false).contains(".netrc"));
        assert!(
            NetKind::Tls(TlsProblem::Expired)
                .advice(false)
                .contains("SSL_CERT_FILE")
        );
    }

    #[test]
    fn only_what_can_succeed_is_retried() {
        assert!(NetKind::Refused.may_pass_on_retry());
        assert!(NetKind::Reset.may_pass_on_retry());
        assert!(
            NetKind::Dns {
                unknown_host: false
            }
            .may_pass_on_retry()
        );
        assert!(!NetKind::Dns { unknown_host: true }.may_pass_on_retry());
        assert!(!NetKind::Timeout.may_pass_on_retry());
        assert!(!NetKind::Tls(TlsProblem::Handshake).may_pass_on_retry());
    }

    #[test]
    fn io_kinds_classify_a_read() {
        let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        assert_eq!(classify_io(&e), NetKind::Timeout);
        let e = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(classify_io(&e), NetKind::Reset);
    }
}
