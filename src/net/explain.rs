//! Network failures in plain words: which stage failed (DNS, connect, the
//! proxy's CONNECT tunnel, TLS, HTTP), where (the host, or the proxy and the
//! variable it came from), and what to do. reqwest's innermost error is
//! resolver or TLS debug text (`Query { name: Name("x."), query_type: AAAA
//! ... }`); people get a sentence instead.

use reqwest::StatusCode;

use crate::core::env::Env;
use crate::net::error::{NetKind, TlsProblem, classify};

/// The proxy a request to `url` goes through, as reqwest's system-proxy
/// rules pick it: the scheme's variable (either case), then ALL_PROXY,
/// unless the host is loopback or NO_PROXY covers it. Returns (variable, host:port).
pub fn proxy_for(url: &str) -> Option<(String, String)> {
    let u = reqwest::Url::parse(url).ok()?;
    let host = u.host_str()?.trim_start_matches('[').trim_end_matches(']');
    if crate::net::http::is_loopback(&u) || no_proxy_covers(host) {
        return None;
    }
    let names: &[&str] = if u.scheme() == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    names.iter().find_map(|n| {
        let v = Env::process().non_empty(n)?;
        Some((n.to_string(), proxy_host(&v)))
    })
}

/// `http://user:secret@proxy:3128/` -> `proxy:3128` (no credentials in
/// messages).
fn proxy_host(v: &str) -> String {
    let with_scheme = if v.contains("://") {
        v.to_string()
    } else {
        format!("http://{v}")
    };
    match reqwest::Url::parse(&with_scheme) {
        Ok(u) => {
            let h = u.host_str().unwrap_or("?");
            match u.port_or_known_default() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            }
        }
        Err(_) => "an unparsable value".to_string(),
    }
}

fn no_proxy_covers(host: &str) -> bool {
    let Some(list) = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|n| Env::process().non_empty(n))
    else {
        return false;
    };
    list.split(',').map(str::trim).any(|entry| {
        let e = entry.trim_start_matches('.');
        entry == "*" || (!e.is_empty() && (host == e || host.ends_with(&format!(".{e}"))))
    })
}

/// One sentence for a failed request to `url`, by its kind
/// ([`classify`]).
pub fn explain(e: &reqwest::Error, url: &str) -> String {
    let host = crate::net::http::host_of(url);
    let proxy = proxy_for(url);
    let via = |p: &(String, String)| format!("the proxy {} from {}", p.1, p.0);
    match classify(e) {
        NetKind::Dns { .. } => match &proxy {
            Some(p) => format!("DNS: {} does not resolve", via(p)),
            None => format!("DNS: the name {host} does not resolve"),
        },
        NetKind::Refused => match &proxy {
            Some(p) => format!("connect: {} refused the connection", via(p)),
            None => format!("connect: {host} refused the connection"),
        },
        NetKind::Tunnel { auth } => {
            let status = if auth { " (it wants credentials)" } else { "" };
            match &proxy {
                Some(p) => format!(
                    "CONNECT refused: {} would not open a tunnel to {host}{status}",
                    via(p)
                ),
                None => format!("CONNECT refused: the proxy would not open a tunnel to {host}"),
            }
        }
        NetKind::Timeout => match &proxy {
            Some(p) => format!("timeout: no answer from {host} through {}", via(p)),
            None => format!("timeout: no answer from {host}"),
        },
        NetKind::Tls(problem) => {
            let detail = match problem {
                TlsProblem::UnknownIssuer => {
                    "its certificate is signed by an authority this machine does not trust"
                }
                TlsProblem::WrongName => "its certificate is for another name",
                TlsProblem::Expired => "its certificate has expired",
                TlsProblem::Handshake => "the secure connection could not be set up",
            };
            format!("TLS with {host}: {detail}")
        }
        NetKind::Reset => format!("connect: {host} closed the connection"),
        NetKind::Status(_) | NetKind::Other => {
            // Something else: the innermost cause, on one line and cut short.
            let inner = crate::net::http::describe(e);
            let short: String = inner
                .chars()
                .filter(|c| !c.is_control())
                .take(160)
                .collect();
            format!("{host}: {short}")
        }
    }
}

/// One sentence for an HTTP error status from `url`; a 404 or 410 from a
/// mirror or index is a path problem, not a network one.
pub fn explain_status(status: StatusCode, url: &str) -> String {
    let host = crate::net::http::host_of(url);
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            let path = reqwest::Url::parse(url)
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            format!(
                "HTTP {status}: {host} has nothing at {path} (a path problem: the base URL must be the folder that holds the files)"
            )
        }
        _ => format!("HTTP {status} from {host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_hosts_hide_credentials() {
        assert_eq!(
            proxy_host("http://u:secret@proxy.corp:3128/"),
            "proxy.corp:3128"
        );
        assert_eq!(proxy_host("127.0.0.1:3"), "127.0.0.1:3");
        assert_eq!(proxy_host("https://p.example"), "p.example:443");
    }
}
