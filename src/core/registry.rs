//! Every setting gov knows, in one table: gov's own keys (`GOV_*`, kept in
//! each layer's `config` file, `gov config`) and the Go environment keys
//! gov manages (kept in each layer's `env` profile, `gov proxy`). A key's
//! name, kind of value, default, the places that may hold it and its line
//! of documentation live here and nowhere else; `docs` and `gov config
//! show` are generated from [`keys`].
//!
//! Where later settings fit: a new Go key (GOAUTH) is one more row with
//! its own `Kind`; a key only an account may hold (credentials helpers)
//! narrows `holders`; a value root locks in the system layer, a per-account
//! expansion (`{user}`, `{home}`) or a named role preset is resolved by
//! `config::Settings`, which already reports each value's origin.
//!
//! Checks that need no more than the value's shape (URLs, numbers, words)
//! are here ([`check_shape`]); the Go keys are checked as cmd/go parses
//! them by `settings::registry::validate`, which dispatches on [`Kind`].

use std::path::PathBuf;

use crate::core::env::Env;

/// What values a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One URL (https, http or file).
    Url,
    /// Comma-separated URLs.
    UrlList,
    /// A whole number (seconds, counts).
    Number,
    /// One of a fixed set of words.
    Word(&'static [&'static str]),
    /// A comma list of words from a fixed set (each at most once).
    WordList(&'static [&'static str]),
    /// GOPROXY: a `,`/`|` list of URLs, `direct`, `off`.
    GoProxy,
    /// GOSUMDB: `off`, a known name, or `<name-or-key> [<url>]`.
    GoSumDb,
    /// A comma list of module path patterns (GOPRIVATE...).
    GoGlobs,
    /// GOFLAGS: flags cmd/go knows.
    GoFlags,
    /// GOTOOLCHAIN: local, auto, path, goX[+auto|+path].
    GoToolchain,
    /// An absolute folder (GOMODCACHE, GOCACHE).
    AbsPath,
    /// GOAUTH: `;`-separated `off`, `netrc`, `git <dir>` or helper commands.
    GoAuth,
    /// HTTPS_PROXY, HTTP_PROXY: one proxy URL (http, https, socks5).
    NetProxy,
    /// NO_PROXY: comma-separated hosts, `.domains`, IPs or CIDRs.
    NoProxy,
}

/// Which file of a layer holds a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `$GOV_HOME/config`: gov's own behaviour.
    Config,
    /// `$GOV_HOME/env`: the profile every `go` gov starts applies.
    Profile,
}

impl Store {
    /// The file name in a layer's home.
    pub fn file_name(self) -> &'static str {
        match self {
            Store::Config => "config",
            Store::Profile => "env",
        }
    }
}

/// A place a value may come from, nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    /// The process environment.
    Environment,
    /// The account's own layer (`$GOV_HOME`).
    Account,
    /// The system layer (`$GOV_SYSTEM_HOME`), read by every account.
    System,
}

impl Holder {
    /// The name used in text and JSON (`environment`, `user`, `system`).
    pub fn name(self) -> &'static str {
        match self {
            Holder::Environment => "environment",
            Holder::Account => "user",
            Holder::System => "system",
        }
    }
}

/// Every holder: the usual rule.
const ANYWHERE: &[Holder] = &[Holder::Environment, Holder::Account, Holder::System];

/// A setting: name, kind, default, holders and documentation.
#[derive(Debug)]
pub struct KeySpec {
    pub name: &'static str,
    pub store: Store,
    pub kind: Kind,
    /// The built-in value as `gov config show` prints it. For Go keys the
    /// value Go uses when nothing sets it; empty when Go computes it (see
    /// [`go_default`]) or has none.
    pub default: &'static str,
    /// Where a value may be held, nearest first.
    pub holders: &'static [Holder],
    pub doc: &'static str,
}

impl KeySpec {
    pub fn may_be_held_by(&self, h: Holder) -> bool {
        self.holders.contains(&h)
    }
}

const fn gov(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> KeySpec {
    KeySpec {
        name,
        store: Store::Config,
        kind,
        default,
        holders: ANYWHERE,
        doc,
    }
}

const fn go(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> KeySpec {
    KeySpec {
        name,
        store: Store::Profile,
        kind,
        default,
        holders: ANYWHERE,
        doc,
    }
}

/// Defaults other modules name as constants (the table uses the same).
pub const DEFAULT_INDEX_URL: &str = "https://go.dev/dl/?mode=json&include=all";
pub const DEFAULT_MIRROR: &str = "https://dl.google.com/go";
pub const DEFAULT_RELEASE_BASE: &str = "https://github.com/gov-dev/gov/releases/latest/download";
pub const DEFAULT_VULNDB: &str = "https://vuln.go.dev";

/// Go's default GOPROXY and GOSUMDB (cmd/go's built-in values).
pub const GO_DEFAULT_PROXY: &str = "https://proxy.golang.org,direct";
pub const GO_DEFAULT_SUMDB: &str = "sum.golang.org";

/// The table. gov's keys first (in `gov config show` order), then Go's (in
/// `gov proxy show` order).
static KEYS: &[KeySpec] = &[
    gov(
        "GOV_INDEX_URL",
        Kind::Url,
        DEFAULT_INDEX_URL,
        "release index (go.dev/dl JSON format; https, http or file URL)",
    ),
    gov(
        "GOV_MIRROR",
        Kind::UrlList,
        DEFAULT_MIRROR,
        "archive base URLs, comma-separated, tried in order",
    ),
    gov(
        "GOV_INDEX_TTL",
        Kind::Number,
        "3600",
        "seconds a cached release index is used before revalidation",
    ),
    gov(
        "GOV_LOCK_TIMEOUT",
        Kind::Number,
        "3600",
        "seconds to wait for another gov's lock",
    ),
    gov(
        "GOV_RELEASE_BASE",
        Kind::Url,
        DEFAULT_RELEASE_BASE,
        "where gov's own release artifacts live (install.sh, self-update)",
    ),
    gov(
        "GOV_ALLOW_HTTP",
        Kind::Word(&["0", "1"]),
        "0",
        "1 allows plain http to hosts other than loopback (intranet mirrors)",
    ),
    gov(
        "GOV_DOCTOR_TIMEOUT",
        Kind::Number,
        "5",
        "seconds per network stage in gov doctor and gov proxy check",
    ),
    gov(
        "GOV_HTTP_RETRIES",
        Kind::Number,
        "3",
        "retries of transient failures (connection errors, 5xx, 429) per mirror",
    ),
    gov(
        "GOV_HTTP_BACKOFF_MS",
        Kind::Number,
        "500",
        "first retry delay in milliseconds; doubles each time",
    ),
    gov(
        "GOV_HTTP_CONNECT_TIMEOUT",
        Kind::Number,
        "15",
        "seconds to connect",
    ),
    gov(
        "GOV_HTTP_READ_TIMEOUT",
        Kind::Number,
        "60",
        "seconds without data before a transfer counts as stalled",
    ),
    gov(
        "GOV_HTTP_DEADLINE",
        Kind::Number,
        "120",
        "seconds a whole document (index, checksum database, vulnerability data) may take, retries included; a download's body gets this plus its size at 16 KiB/s",
    ),
    gov(
        "GOV_SOURCE",
        Kind::Word(&["release", "proxy", "auto"]),
        "auto",
        "where toolchains come from: release archives, the module proxy (GOPROXY, verified by GOSUMDB), or auto (release, then the proxy when unreachable)",
    ),
    gov(
        "GOV_PRESET",
        Kind::Word(&["cn"]),
        "",
        "written by `gov proxy use` for a preset that implies a toolchain source (cn: proxy); it applies only when neither GOV_SOURCE nor a release source (GOV_INDEX_URL, GOV_MIRROR) is set",
    ),
    gov(
        "GOV_VULNDB",
        Kind::UrlList,
        DEFAULT_VULNDB,
        "Go vulnerability database URL(s), comma-separated (https, http or file); else GOVULNDB",
    ),
    gov(
        "GOV_VULNDB_TTL",
        Kind::Number,
        "3600",
        "seconds cached vulnerability data is used before revalidation",
    ),
    gov(
        "GOV_REQUIRE",
        Kind::WordList(&["sha256", "log", "signature"]),
        "",
        "proofs every install must have, comma-separated (sha256: the release index; log: the checksum database; signature: the archive's OpenPGP signature); the system layer's apply to every account, which may add to them",
    ),
    go(
        "GOPROXY",
        Kind::GoProxy,
        GO_DEFAULT_PROXY,
        "module proxies: URLs, `direct` or `off`; `,` falls through on 404/410 only, `|` on any error",
    ),
    go(
        "GOSUMDB",
        Kind::GoSumDb,
        GO_DEFAULT_SUMDB,
        "checksum database: `off`, a known name, or `<name-or-key> <url>`",
    ),
    go(
        "GOPRIVATE",
        Kind::GoGlobs,
        "",
        "module path patterns that are private (default of GONOPROXY and GONOSUMDB)",
    ),
    go(
        "GONOPROXY",
        Kind::GoGlobs,
        "",
        "module path patterns fetched directly, not through GOPROXY (default: GOPRIVATE; `none` matches nothing)",
    ),
    go(
        "GONOSUMDB",
        Kind::GoGlobs,
        "",
        "module path patterns not checked against the checksum database (default: GOPRIVATE)",
    ),
    go(
        "GOINSECURE",
        Kind::GoGlobs,
        "",
        "module path patterns that may be fetched over plain http (checksums still apply)",
    ),
    go(
        "GOFLAGS",
        Kind::GoFlags,
        "",
        "flags every go command gets, separated by spaces (e.g. -mod=mod -trimpath)",
    ),
    go(
        "GOTOOLCHAIN",
        Kind::GoToolchain,
        "local",
        "toolchain switching; gov's policy is `local` (the selected version runs) unless set",
    ),
    go(
        "GOMODCACHE",
        Kind::AbsPath,
        "",
        "the module cache (default: $GOPATH/pkg/mod)",
    ),
    go(
        "GOCACHE",
        Kind::AbsPath,
        "",
        "the build cache, or `off` (default: $XDG_CACHE_HOME/go-build)",
    ),
    go(
        "GOAUTH",
        Kind::GoAuth,
        "netrc",
        "Go 1.24+: where credentials for https fetches come from: `netrc`, `git <absolute dir>`, `off`, or a helper command (absolute path, not writable by others); `;` separates several",
    ),
    go(
        "SSL_CERT_FILE",
        Kind::AbsPath,
        "",
        "the trusted roots of every `go` gov runs: written by `gov trust add` (the system roots plus the added CAs), never by hand",
    ),
    go(
        "HTTPS_PROXY",
        Kind::NetProxy,
        "",
        "the proxy every `go` gov runs (and gov itself) uses for https, unless the environment sets one",
    ),
    go(
        "HTTP_PROXY",
        Kind::NetProxy,
        "",
        "the proxy for plain http, unless the environment sets one",
    ),
    go(
        "NO_PROXY",
        Kind::NoProxy,
        "",
        "hosts reached without the proxy: names, `.domain` suffixes, IPs, CIDRs (loopback never uses one)",
    ),
];

/// Every key, gov's first.
pub fn keys() -> impl Iterator<Item = &'static KeySpec> {
    KEYS.iter()
}

/// The keys one file kind holds, in display order.
pub fn keys_in(store: Store) -> impl Iterator<Item = &'static KeySpec> {
    KEYS.iter().filter(move |k| k.store == store)
}

/// The names of the keys one file kind holds, in display order.
pub fn names_in(store: Store) -> Vec<&'static str> {
    keys_in(store).map(|k| k.name).collect()
}

pub fn key(name: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|k| k.name == name)
}

/// The built-in default of a key ("" for an unknown key).
pub fn default_of(name: &str) -> &'static str {
    key(name).map_or("", |k| k.default)
}

/// The default of a numeric key (0 for an unknown or non-numeric key).
pub fn number_default(name: &str) -> u64 {
    default_of(name).parse().unwrap_or(0)
}

/// Go's default for a Go key, computed as cmd/go does where it depends on
/// the environment or on other settings (`effective`: the values decided
/// so far, for GONOPROXY/GONOSUMDB's GOPRIVATE). GOTOOLCHAIN's is Go's
/// (`go.env` says auto); gov's policy is reported apart.
pub fn go_default(
    name: &str,
    env: &Env,
    effective: &std::collections::BTreeMap<String, String>,
) -> String {
    let home = env.var("HOME").unwrap_or_default();
    match name {
        "GONOPROXY" | "GONOSUMDB" => effective.get("GOPRIVATE").cloned().unwrap_or_default(),
        "GOMODCACHE" => {
            let gopath = env
                .var_os("GOPATH")
                .and_then(|p| std::env::split_paths(&p).next())
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from(&home).join("go"));
            gopath.join("pkg/mod").display().to_string()
        }
        "GOCACHE" => env
            .path("XDG_CACHE_HOME")
            .unwrap_or_else(|| PathBuf::from(&home).join(".cache"))
            .join("go-build")
            .display()
            .to_string(),
        "GOTOOLCHAIN" => String::new(),
        other => default_of(other).to_string(),
    }
}

/// Why a value was refused by a shape check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    ControlCharacter,
    NotUrl { entry: String, why: url::ParseError },
    Scheme { scheme: String },
    EmptyEntry,
    NotNumber,
    NotOneOf(&'static [&'static str]),
}

/// Checks a value of gov's own kinds (URL, list, number, word). Go kinds
/// pass here: `settings::registry::validate` checks them.
pub fn check_shape(kind: Kind, value: &str) -> Result<(), Refusal> {
    if value.chars().any(char::is_control) {
        return Err(Refusal::ControlCharacter);
    }
    let url_ok = |u: &str| -> Result<(), Refusal> {
        let parsed = url::Url::parse(u).map_err(|e| Refusal::NotUrl {
            entry: u.to_string(),
            why: e,
        })?;
        match parsed.scheme() {
            "https" | "http" | "file" => Ok(()),
            other => Err(Refusal::Scheme {
                scheme: other.to_string(),
            }),
        }
    };
    match kind {
        Kind::Url => url_ok(value),
        Kind::UrlList => {
            let parts: Vec<&str> = value.split(',').map(str::trim).collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(Refusal::EmptyEntry);
            }
            parts.into_iter().try_for_each(url_ok)
        }
        Kind::Number => value
            .parse::<u64>()
            .map(|_| ())
            .map_err(|_| Refusal::NotNumber),
        Kind::Word(words) if words.contains(&value) => Ok(()),
        Kind::Word(words) => Err(Refusal::NotOneOf(words)),
        Kind::WordList(words) => value.split(',').map(str::trim).try_for_each(|w| match w {
            "" => Err(Refusal::EmptyEntry),
            w if words.contains(&w) => Ok(()),
            _ => Err(Refusal::NotOneOf(words)),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_documented_and_its_default_valid() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(!k.doc.is_empty(), "{} has no documentation", k.name);
            assert!(!k.holders.is_empty(), "{} has no holder", k.name);
            assert!(KEYS[i + 1..].iter().all(|o| o.name != k.name), "{}", k.name);
            let prefix_ok = match k.store {
                Store::Config => k.name.starts_with("GOV_"),
                // Go's keys, and the roots bundle `gov trust` keeps.
                Store::Profile => {
                    (k.name.starts_with("GO") && !k.name.starts_with("GOV_"))
                        || ["SSL_CERT_FILE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"]
                            .contains(&k.name)
                }
            };
            assert!(prefix_ok, "{} is in the wrong file", k.name);
            // A default is a value the key accepts (empty: none).
            if !k.default.is_empty() {
                assert_eq!(check_shape(k.kind, k.default), Ok(()), "{}", k.name);
            }
        }
    }

    #[test]
    fn shape_refusals() {
        assert_eq!(check_shape(Kind::Number, "ten"), Err(Refusal::NotNumber));
        assert_eq!(
            check_shape(Kind::UrlList, "https://a/go,,https://b/go"),
            Err(Refusal::EmptyEntry)
        );
        assert!(matches!(
            check_shape(Kind::Url, "ftp://x/"),
            Err(Refusal::Scheme { .. })
        ));
        assert!(matches!(
            check_shape(Kind::Url, "not a url"),
            Err(Refusal::NotUrl { .. })
        ));
        assert_eq!(
            check_shape(Kind::Word(&["0", "1"]), "yes"),
            Err(Refusal::NotOneOf(&["0", "1"]))
        );
        assert_eq!(
            check_shape(Kind::Url, "https://a/\u{1b}"),
            Err(Refusal::ControlCharacter)
        );
    }

    #[test]
    fn go_defaults_follow_the_given_environment() {
        let env = Env::from_pairs([("HOME", "/home/a"), ("GOPATH", "/g1:/g2")]);
        let none = Default::default();
        assert_eq!(go_default("GOMODCACHE", &env, &none), "/g1/pkg/mod");
        assert_eq!(
            go_default("GOCACHE", &env, &none),
            "/home/a/.cache/go-build"
        );
        assert_eq!(go_default("GOPROXY", &env, &none), GO_DEFAULT_PROXY);
        let mut seen = std::collections::BTreeMap::new();
        seen.insert("GOPRIVATE".to_string(), "corp.example/*".to_string());
        assert_eq!(go_default("GONOSUMDB", &env, &seen), "corp.example/*");
    }

    #[test]
    fn numeric_defaults_are_numbers() {
        for k in keys().filter(|k| k.kind == Kind::Number) {
            assert!(number_default(k.name) > 0, "{}", k.name);
        }
    }
}
