//! The settings reference: one row per key gov reads from its layers (its
//! own `GOV_*` keys and the Go environment keys of its profiles), with the
//! default, the layers a value may come from, and what it does.
//! `docs/reference/settings.md` is rendered from these rows
//! (`cli::reference`), and a test keeps it fresh. The rows come from the
//! one registry the commands use (`core::registry`), so a key added there
//! appears here.

use crate::core::registry::{self, KeySpec, Kind, Store};

/// Which family a key belongs to, and so which layers it is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// gov's own settings: `gov config`, `$GOV_HOME/config`.
    Gov,
    /// Go's settings kept in gov's profiles: `gov proxy`, `$GOV_HOME/env`.
    Go,
}

/// One row of the settings reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingRow {
    pub name: &'static str,
    pub family: Family,
    /// The value used when no layer sets one, as documentation says it.
    pub default: String,
    /// The values accepted, in words.
    pub values: String,
    /// Where a value comes from, first match wins.
    pub layers: &'static str,
    pub doc: &'static str,
}

/// The layers of gov's own settings, nearest first.
const GOV_LAYERS: &str = "environment > `$GOV_HOME/config` > `$GOV_SYSTEM_HOME/config` > default";

/// The layers of a Go setting in the tools gov starts, nearest first.
const GO_LAYERS: &str = "environment > `go env -w` file > `$GOV_HOME/env` > `$GOV_SYSTEM_HOME/env` > `$GOROOT/go.env` > Go's default";

/// GOTOOLCHAIN has gov's policy between the profiles and `go.env`.
const GOTOOLCHAIN_LAYERS: &str = "environment > `go env -w` file > `$GOV_HOME/env` > `$GOV_SYSTEM_HOME/env` > gov's policy (`local`) > `$GOROOT/go.env`";

/// What each Go key does and its default as Go documents it
/// (`go help environment`); the values themselves are computed per
/// process by `settings::proxy`.
fn go_key_doc(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match name {
        "GOPROXY" => (
            "`https://proxy.golang.org,direct`",
            "proxy URLs (http, https, file), `direct`, `off`, joined by `,` or `|`",
            "module proxies; `,` moves to the next on 404/410 only, `|` on any error",
        ),
        "GOSUMDB" => (
            "`sum.golang.org`",
            "`off`, a known name, a verifier key, or `<name-or-key> <url>`",
            "the checksum database that verifies modules (and toolchains installed from the proxy)",
        ),
        "GOPRIVATE" => (
            "unset",
            "comma-separated path globs",
            "module paths that are private: they default GONOPROXY and GONOSUMDB",
        ),
        "GONOPROXY" => (
            "GOPRIVATE",
            "comma-separated path globs, or `none`",
            "module paths fetched directly, bypassing GOPROXY",
        ),
        "GONOSUMDB" => (
            "GOPRIVATE",
            "comma-separated path globs",
            "module paths never checked against the checksum database",
        ),
        "GOINSECURE" => (
            "unset",
            "comma-separated path globs",
            "module paths that may be fetched insecurely (it does not imply GONOSUMDB)",
        ),
        "GOFLAGS" => (
            "unset",
            "space-separated flags cmd/go knows",
            "flags every go command applies",
        ),
        "GOTOOLCHAIN" => (
            "`local` (gov's policy)",
            "`local`, `path`, `auto`, `go1.N.P`, `<name>+path`, `<name>+auto`",
            "whether `go` may switch to another toolchain: `local` never, `path` only to gov's installed versions, `auto` also by download",
        ),
        "GOMODCACHE" => (
            "`$GOPATH/pkg/mod`",
            "an absolute path",
            "where downloaded modules are kept",
        ),
        "GOCACHE" => (
            "`$XDG_CACHE_HOME/go-build`",
            "an absolute path, or `off`",
            "the build cache",
        ),
        "SSL_CERT_FILE" => (
            "the system roots",
            "set by `gov trust add`",
            "the roots every `go` gov runs trusts: the system's plus the CAs `gov trust add` added",
        ),
        "HTTPS_PROXY" | "HTTP_PROXY" => (
            "unset",
            "one URL: http, https or socks5, with a host",
            "the proxy Go's (and gov's) https or http requests go through, unless the environment sets one",
        ),
        "NO_PROXY" => (
            "unset",
            "comma-separated hosts, `.domain` suffixes, IPs, CIDRs, or `*`",
            "hosts reached directly; loopback is never proxied",
        ),
        "GOAUTH" => (
            "`netrc`",
            "`;`-separated `off` (alone), `netrc`, `git <absolute dir>`, or a helper command (an executable no other account can write)",
            "Go 1.24 and later: where credentials for https fetches come from (earlier Go reads only .netrc)",
        ),
        _ => return None,
    })
}

fn values_of(kind: Kind) -> String {
    match kind {
        Kind::Url => "a URL (https; http to loopback; file)".to_string(),
        Kind::UrlList => "comma-separated URLs (https; http to loopback; file)".to_string(),
        Kind::Number => "a whole number".to_string(),
        Kind::Word(words) => words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", "),
        Kind::WordList(words) => format!(
            "a comma list of {}",
            words
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Kind::GoProxy
        | Kind::GoSumDb
        | Kind::GoGlobs
        | Kind::GoFlags
        | Kind::GoToolchain
        | Kind::AbsPath
        | Kind::GoAuth
        | Kind::NetProxy
        | Kind::NoProxy => String::new(),
    }
}

fn gov_row(k: &'static KeySpec) -> SettingRow {
    SettingRow {
        name: k.name,
        family: Family::Gov,
        default: if k.default.is_empty() {
            "unset".to_string()
        } else {
            format!("`{}`", k.default)
        },
        values: values_of(k.kind),
        layers: GOV_LAYERS,
        doc: k.doc,
    }
}

fn go_row(k: &'static KeySpec) -> SettingRow {
    let (default, values, doc) = go_key_doc(k.name).unwrap_or(("", "", ""));
    SettingRow {
        name: k.name,
        family: Family::Go,
        default: default.to_string(),
        values: values.to_string(),
        layers: if k.name == "GOTOOLCHAIN" {
            GOTOOLCHAIN_LAYERS
        } else {
            GO_LAYERS
        },
        doc,
    }
}

/// Every key gov reads from its layers: gov's own keys in `gov config
/// show`'s order, then the Go keys in `gov proxy show`'s order.
///
/// A Go key without documentation here is a programming error: the
/// reference test fails rather than publishing an empty row.
pub fn reference_rows() -> Vec<SettingRow> {
    let gov = registry::keys_in(Store::Config).map(gov_row);
    let go = registry::keys_in(Store::Profile).map(go_row);
    gov.chain(go).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_row_with_documentation() {
        let rows = reference_rows();
        assert_eq!(rows.len(), registry::keys().count());
        for row in &rows {
            assert!(!row.doc.is_empty(), "{} has no documentation", row.name);
            assert!(!row.default.is_empty(), "{} has no default", row.name);
            assert!(!row.values.is_empty(), "{} has no values", row.name);
        }
    }
}
