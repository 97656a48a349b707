//! Module proxy settings: validation as cmd/go parses them, presets for
//! the usual setups, and gov's profiles (`env` in each layer, go env
//! format), which every shim and entry point applies below the user's own
//! settings: environment > `go env -w` file > the account's gov profile >
//! the system layer's profile > `$GOROOT/go.env` > Go's defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::core::env::Env;
use crate::core::error::{Error, Result};
use crate::core::layers::{Layer, Layers};
use crate::core::layout::Layout;
use crate::core::registry::{self, Store};
use crate::settings::goenv;

/// The settings gov manages, in display order (the registry's Go keys).
pub fn keys() -> Vec<&'static str> {
    crate::core::registry::names_in(crate::core::registry::Store::Profile)
}

/// Go's built-in verifier keys (cmd/go's knownGOSUMDB).
const KNOWN_SUMDB: &[(&str, &str)] = &[(
    "sum.golang.org",
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
)];

fn bad(key: &str, value: &str, why: impl Into<String>) -> Error {
    Error::invalid(format!(
        "invalid {key}=\"{}\": {}",
        crate::core::quote::shown(value),
        why.into()
    ))
}

/// GOPROXY: entries split by `,` (fall through on 404/410) or `|` (on any
/// error); `direct` and `off` end the list; URLs must be http, https or
/// file; a host-like word without a scheme means https, as cmd/go does.
pub fn validate_goproxy(value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(bad("GOPROXY", value, "empty")
            .with_advice("use `direct` to fetch from origin servers, `off` to disallow downloads, or `gov proxy unset GOPROXY`"));
    }
    let mut any = false;
    for raw in value.split([',', '|']) {
        let entry = raw.trim();
        if entry.is_empty() {
            continue;
        }
        any = true;
        if entry == "off" || entry == "direct" {
            break;
        }
        // The URL parser here reads `\` as `/`, Go's does not: the value
        // checked would not be the one Go reads (and a trailing one may
        // escape a quote where the value is written).
        if entry.contains('\\') {
            return Err(bad(
                "GOPROXY",
                value,
                format!(
                    "`{}` holds a backslash, which no URL has",
                    crate::core::quote::shown(entry)
                ),
            )
            .with_advice("write the URL with `/`, e.g. https://goproxy.cn"));
        }
        let url = if entry.contains(['.', ':', '/'])
            && !entry.contains(":/")
            && !entry.starts_with('/')
        {
            format!("https://{entry}")
        } else {
            entry.to_string()
        };
        let parsed = url::Url::parse(&url).map_err(|e| {
            bad("GOPROXY", value, format!("`{entry}` is not a URL ({e})")).with_advice(
                "entries are URLs (https://goproxy.cn), `direct` or `off`, separated by `,` or `|`",
            )
        })?;
        match parsed.scheme() {
            "http" | "https" | "file" => {}
            other => {
                return Err(bad(
                    "GOPROXY",
                    value,
                    format!("unsupported scheme `{other}` in `{entry}`"),
                )
                .with_advice("GOPROXY URLs use http, https or file"));
            }
        }
        if parsed.scheme() != "file" && parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("GOPROXY", value, format!("`{entry}` has no host")));
        }
        // cmd/go refuses to send a URL's credentials over plain http
        // ("refusing to pass credentials to insecure URL"), loopback too.
        if parsed.scheme() == "http"
            && (!parsed.username().is_empty() || parsed.password().is_some())
        {
            let shown = crate::core::quote::redact_credentials(entry);
            return Err(bad(
                "GOPROXY",
                &crate::core::quote::redact_credentials(value),
                format!("`{shown}` carries credentials over plain http, which Go refuses to send"),
            )
            .with_advice(
                "serve the proxy over https and keep the login out of the URL: `gov proxy login https://<proxy>`",
            ));
        }
    }
    if !any {
        return Err(bad("GOPROXY", value, "no entries"));
    }
    Ok(())
}

pub use crate::trust::note::Verifier;

/// A parsed GOSUMDB: the verifier key and where to reach the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SumDb {
    Off,
    On { key: Verifier, url: Option<String> },
}

/// GOSUMDB: `off`, a known name, a verifier key, or `<name-or-key> <url>`;
/// `sum.golang.google.cn` is Go's alias for `sum.golang.org
/// https://sum.golang.google.cn`.
pub fn parse_gosumdb(value: &str) -> Result<SumDb> {
    let v = value.trim();
    if v == "off" {
        return Ok(SumDb::Off);
    }
    let expanded = if v == "sum.golang.google.cn" {
        "sum.golang.org https://sum.golang.google.cn".to_string()
    } else {
        v.to_string()
    };
    let fields: Vec<&str> = expanded.split_whitespace().collect();
    let looks_like_url = fields.first().is_some_and(|f| f.contains("://"));
    if looks_like_url {
        let host = url::Url::parse(fields[0])
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        let hint = match host.as_deref() {
            Some("sum.golang.google.cn") => "write GOSUMDB=sum.golang.google.cn (Go's alias for `sum.golang.org https://sum.golang.google.cn`)".to_string(),
            Some(_) => format!("GOSUMDB names a database and its key, with the URL second: `sum.golang.org {}` for a mirror of sum.golang.org, or `<name>+<hash>+<key> {}` for another database", fields[0], fields[0]),
            None => "GOSUMDB is `off`, a database name, or `<name-or-key> <url>`".to_string(),
        };
        return Err(bad(
            "GOSUMDB",
            value,
            "a bare URL is not a checksum database name",
        )
        .with_advice(hint));
    }
    match fields.len() {
        0 => {
            return Err(bad("GOSUMDB", value, "empty")
                .with_advice("use `off`, `sum.golang.org` or `gov proxy unset GOSUMDB`"));
        }
        1 | 2 => {}
        _ => {
            return Err(bad("GOSUMDB", value, "too many fields")
                .with_advice("GOSUMDB is `<name-or-key> [<url>]`"));
        }
    }
    let key_text = KNOWN_SUMDB
        .iter()
        .find(|(n, _)| *n == fields[0])
        .map(|(_, k)| k.to_string())
        .unwrap_or_else(|| fields[0].to_string());
    let key = Verifier::parse(&key_text).map_err(|why| {
        bad("GOSUMDB", value, format!("{why}: `{}` is neither a known database name nor a verifier key", fields[0]))
            .with_advice("known names: sum.golang.org, sum.golang.google.cn; other databases need their key: <name>+<hash>+<base64 key>")
    })?;
    if key.name().ends_with('/') || key.name().contains(['?', '#', '@']) {
        return Err(bad(
            "GOSUMDB",
            value,
            "invalid sumdb name (must be host[/path])",
        ));
    }
    let url = match fields.get(1) {
        Some(u) => {
            let parsed = url::Url::parse(u)
                .map_err(|e| bad("GOSUMDB", value, format!("invalid GOSUMDB URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https" | "file") {
                return Err(bad(
                    "GOSUMDB",
                    value,
                    format!("unsupported URL scheme `{}`", parsed.scheme()),
                ));
            }
            Some(u.trim_end_matches('/').to_string())
        }
        None => None,
    };
    Ok(SumDb::On { key, url })
}

/// Glob lists (GOPRIVATE, GONOPROXY, GONOSUMDB, GOINSECURE): comma-separated
/// path.Match patterns of module path prefixes, not URLs. cmd/go
/// (x/mod's `MatchPrefixPatterns`) trims nothing but a trailing `/` and
/// skips empty entries, so a pattern holding a space never matches and a
/// list of only commas matches nothing: both are refused, as silently
/// unprotected private paths would be worse than an error.
pub fn validate_globs(key: &str, value: &str) -> Result<()> {
    let patterns: Vec<&str> = value
        .split(',')
        .filter(|p| !p.trim_end_matches('/').is_empty())
        .collect();
    if !value.is_empty()
        && patterns
            .iter()
            .all(|p| p.trim().trim_end_matches('/').is_empty())
    {
        return Err(bad(key, value, "no pattern in it: Go would match nothing")
            .with_advice(format!(
                "list module path patterns separated by commas, e.g. {key}=git.corp.example/*,github.com/acme; \
                 `gov proxy unset {key}` removes it"
            )));
    }
    if let Some(pat) = patterns.iter().find(|p| p.contains(char::is_whitespace)) {
        let why = format!(
            "`{}` holds a space: module paths have none, and Go trims nothing, so it would never match",
            crate::core::quote::shown(pat)
        );
        // Spaces around the commas have one fix; one inside a pattern is
        // a typo only the user can correct.
        let advice = if patterns
            .iter()
            .all(|p| !p.trim().contains(char::is_whitespace))
        {
            let trimmed: Vec<&str> = patterns
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect();
            format!(
                "separate patterns with commas alone: {key}={}",
                trimmed.join(",")
            )
        } else {
            "write each module path prefix without spaces, e.g. git.corp.example/*".to_string()
        };
        return Err(bad(key, value, why).with_advice(advice));
    }
    for pat in patterns {
        if pat.contains("://") {
            let host = pat.split("://").nth(1).unwrap_or(pat).trim_end_matches('/');
            return Err(bad(
                key,
                value,
                format!("`{pat}` is a URL; {key} takes module path patterns"),
            )
            .with_advice(format!("write the module path prefix, e.g. {key}={host}")));
        }
        check_glob(pat).map_err(|why| bad(key, value, format!("bad pattern `{pat}`: {why}")))?;
    }
    Ok(())
}

/// Syntax of Go's path.Match patterns: balanced, non-empty character
/// classes and no trailing backslash.
fn check_glob(p: &str) -> std::result::Result<(), &'static str> {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if i + 1 >= b.len() {
                    return Err("trailing backslash");
                }
                i += 2;
            }
            b'[' => {
                i += 1;
                if i < b.len() && b[i] == b'^' {
                    i += 1;
                }
                let start = i;
                loop {
                    if i >= b.len() {
                        return Err("unterminated [");
                    }
                    if b[i] == b']' && i > start {
                        break;
                    }
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// GOFLAGS: space-separated flags that cmd/go knows, with values it
/// accepts (see `goflags`).
pub fn validate_goflags(value: &str) -> Result<()> {
    crate::settings::goflags::check(value).map_err(|why| {
        bad("GOFLAGS", value, why).with_advice(
            "GOFLAGS holds flags like -mod=mod -trimpath, separated by spaces; \
             a flag only a newer Go knows can be set with `go env -w GOFLAGS=...`",
        )
    })
}

/// GOTOOLCHAIN: local, auto, path, goX[.Y[.Z]], optionally +auto / +path.
pub fn validate_gotoolchain(value: &str) -> Result<()> {
    let v = value.trim();
    let (min, suffix) = match v.split_once('+') {
        Some((m, s)) => (m, Some(s)),
        None => (v, None),
    };
    let ok_min = |m: &str| {
        m == "local"
            || m.strip_prefix("go")
                .and_then(crate::core::version::GoVersion::parse)
                .is_some()
    };
    let ok = match suffix {
        None => v == "auto" || v == "path" || ok_min(min),
        Some(s) => (s == "auto" || s == "path") && ok_min(min),
    };
    if ok {
        Ok(())
    } else {
        Err(bad("GOTOOLCHAIN", value, "not a toolchain setting")
            .with_advice("use local, auto, path, go1.22.5, go1.22.5+auto or go1.22.5+path"))
    }
}

/// A cache folder: absolute, without `.`/`..` steps (the path must say
/// where it is), and not in the kernel's virtual filesystems, where Go can
/// store nothing.
fn validate_abs_path(key: &str, value: &str) -> Result<()> {
    use std::path::Component;
    if key == "GOCACHE" && value == "off" {
        return Ok(());
    }
    let path = Path::new(value);
    if !path.is_absolute() {
        return Err(bad(key, value, "must be an absolute path"));
    }
    if path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        return Err(bad(key, value, "must not contain `.` or `..` steps")
            .with_advice("write the folder's own absolute path"));
    }
    for fs in ["/proc", "/sys", "/dev"] {
        if path.starts_with(fs) {
            return Err(bad(
                key,
                value,
                format!("{fs} is a kernel filesystem, not a place for Go's files"),
            )
            .with_advice("pick a folder on a real disk, e.g. /var/cache/go-build"));
        }
    }
    Ok(())
}

/// HTTPS_PROXY / HTTP_PROXY as Go's `httpproxy` reads them: one URL whose
/// scheme is http, https or socks5 (a bare `host:port` means http), with a
/// host.
fn validate_net_proxy(key: &str, value: &str) -> Result<()> {
    let full = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let shown = crate::core::quote::redact_credentials(value);
    let parsed = url::Url::parse(&full).map_err(|e| {
        bad(key, &shown, format!("not a proxy URL ({e})"))
            .with_advice(format!("{key}=http://proxy.corp.example:3128"))
    })?;
    if !matches!(parsed.scheme(), "http" | "https" | "socks5") {
        return Err(bad(
            key,
            &shown,
            format!(
                "Go speaks http, https and socks5 to a proxy, not `{}`",
                parsed.scheme()
            ),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) || value.contains(char::is_whitespace) {
        return Err(bad(key, &shown, "names no host, or holds a space"));
    }
    Ok(())
}

/// NO_PROXY: comma-separated host names, `.domain` suffixes, IPs or CIDRs
/// (each with an optional port), or `*`; Go trims spaces around entries.
fn validate_no_proxy(value: &str) -> Result<()> {
    let entries: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Err(bad("NO_PROXY", value, "no host in it").with_advice(
            "NO_PROXY=.corp.example,10.0.0.0/8; `gov proxy unset NO_PROXY` removes it",
        ));
    }
    for e in entries {
        if e.contains("://") || e.contains(['/', ' ']) && !is_cidr(e) {
            return Err(bad(
                "NO_PROXY",
                value,
                format!("`{e}` is not a host, domain, IP or CIDR"),
            )
            .with_advice(
                "write host names, not URLs: NO_PROXY=goproxy.corp.example,.corp.example",
            ));
        }
    }
    Ok(())
}

fn is_cidr(entry: &str) -> bool {
    let Some((ip, bits)) = entry.split_once('/') else {
        return false;
    };
    let max = match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => 32,
        Ok(std::net::IpAddr::V6(_)) => 128,
        Err(_) => return false,
    };
    bits.parse::<u8>().is_ok_and(|b| b <= max)
}

/// Validates one KEY=VALUE as cmd/go would. The raw value is checked for
/// control characters first (a carriage return or escape stored in the
/// profile would reach every go command); the rest sees it trimmed.
pub fn validate(key: &str, value: &str) -> Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(bad(
            key,
            value,
            format!(
                "the control character {} has no place in it",
                c.escape_default()
            ),
        )
        .with_advice("write the value on one line, without carriage returns, tabs or escapes"));
    }
    let value = value.trim();
    match key {
        "GOPROXY" => validate_goproxy(value),
        "GOSUMDB" => parse_gosumdb(value).map(|_| ()),
        "GOPRIVATE" | "GONOPROXY" | "GONOSUMDB" | "GOINSECURE" => validate_globs(key, value),
        "GOFLAGS" => validate_goflags(value),
        "GOTOOLCHAIN" => validate_gotoolchain(value),
        "GOMODCACHE" | "GOCACHE" => validate_abs_path(key, value),
        "SSL_CERT_FILE" => Err(Error::invalid(
            "SSL_CERT_FILE is kept by `gov trust`: for Go it replaces the system roots, so a file of company CAs alone would break every public https fetch",
        )
        .with_advice("gov trust add /path/to/company-ca.pem (the system roots plus that CA)")),
        "HTTPS_PROXY" | "HTTP_PROXY" => validate_net_proxy(key, value),
        "NO_PROXY" => validate_no_proxy(value),
        "GOAUTH" => crate::settings::goauth::validate(
            value,
            crate::core::env::Env::process().var("PATH").as_deref(),
        ),
        other => Err(Error::invalid(format!(
            "gov does not manage `{}`",
            crate::core::quote::shown(other)
        ))
        .with_advice(format!("settable keys: {}", keys().join(", ")))),
    }
}

/// A named set of settings.
#[derive(Debug, Clone)]
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub settings: Vec<(&'static str, String)>,
    /// The toolchain source the preset implies (cn: the proxy), recorded
    /// as `GOV_PRESET=<name>` in the layer's config. An implied default:
    /// GOV_SOURCE or a release source that was set explicitly beats it.
    pub source: Option<&'static str>,
}

/// A toolchain source a layer's config records as a preset's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Implied {
    pub preset: &'static str,
    pub source: &'static str,
    /// Recorded as `GOV_SOURCE=proxy` by an older `gov proxy use cn`.
    pub legacy: bool,
}

/// The source a layer's config (`values`, read from `config_file`) says a
/// preset implies: its `GOV_PRESET` marker, or a `GOV_SOURCE=proxy` that an
/// older `gov proxy use cn` wrote. Those are told apart from a user's own
/// `GOV_SOURCE=proxy` by what the older preset always left: no marker, and
/// the cn preset's GOPROXY in the profile beside the config file.
pub fn implied_by_preset(config_file: &Path, values: &BTreeMap<String, String>) -> Option<Implied> {
    if let Some(name) = values.get("GOV_PRESET") {
        let p = preset(name.trim())?;
        return p.source.map(|source| Implied {
            preset: p.name,
            source,
            legacy: false,
        });
    }
    let cn = preset("cn")?;
    let profile = goenv::read_env_file(&config_file.with_file_name("env"));
    let cn_proxy = cn.settings.iter().find(|(k, _)| *k == "GOPROXY");
    let legacy = values.get("GOV_SOURCE").map(|v| v.trim()) == cn.source
        && cn_proxy.is_some_and(|(_, v)| profile.get("GOPROXY") == Some(v));
    legacy.then_some(Implied {
        preset: cn.name,
        source: cn.source?,
        legacy: true,
    })
}

/// The presets `gov proxy use` knows (corp is built from its flags).
pub fn presets() -> Vec<Preset> {
    let p = |name, about, proxy: &str, sumdb: &str| Preset {
        name,
        about,
        settings: vec![
            ("GOPROXY", proxy.to_string()),
            ("GOSUMDB", sumdb.to_string()),
        ],
        source: None,
    };
    let mut cn = p(
        "cn",
        "mainland China, no Google needed: goproxy.cn for modules and toolchains, checksums via sum.golang.google.cn",
        "https://goproxy.cn,direct",
        "sum.golang.google.cn",
    );
    cn.source = Some("proxy");
    vec![
        p(
            "official",
            "Go's defaults: proxy.golang.org and sum.golang.org",
            registry::GO_DEFAULT_PROXY,
            registry::GO_DEFAULT_SUMDB,
        ),
        cn,
        p(
            "cn-aliyun",
            "mainland China: Alibaba Cloud's proxy",
            "https://mirrors.aliyun.com/goproxy/,direct",
            "sum.golang.google.cn",
        ),
        p(
            "goproxy-io",
            "goproxy.io, checksums via sum.golang.google.cn",
            "https://goproxy.io,direct",
            "sum.golang.google.cn",
        ),
        p(
            "google-cn",
            "proxy.golang.com.cn, Google's mirror for China",
            "https://proxy.golang.com.cn,direct",
            "sum.golang.google.cn",
        ),
        p(
            "direct",
            "no proxy: fetch from version control, still verify checksums",
            "direct",
            registry::GO_DEFAULT_SUMDB,
        ),
        p(
            "offline",
            "no downloads at all: only the module cache (air-gapped hosts)",
            "off",
            "off",
        ),
    ]
}

pub fn preset(name: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.name == name)
}

/// How `gov proxy use corp` routes private modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrivateVia {
    /// Through the company proxy (GONOPROXY=none): what it is there for.
    Proxy,
    /// Straight from version control (GONOPROXY=the patterns, Go's default).
    Direct,
}

/// The value of GONOPROXY that matches no module path, so every module
/// (private ones included) goes through GOPROXY; `go help module-private`
/// documents it.
pub const NO_MODULE: &str = "none";

/// The corporate form: a company proxy first (optionally falling back to
/// the public one), private modules routed as `via` says and never checked
/// against the public checksum database.
pub fn corp_preset(
    url: &str,
    private: Option<&str>,
    via: Option<PrivateVia>,
    fallback: bool,
) -> Result<Preset> {
    let proxy = if fallback {
        format!("{url},https://proxy.golang.org,direct")
    } else {
        format!("{url},direct")
    };
    validate_goproxy(&proxy)?;
    let mut settings = vec![
        ("GOPROXY", proxy),
        ("GOSUMDB", registry::GO_DEFAULT_SUMDB.to_string()),
    ];
    let Some(p) = private else {
        if via.is_some() {
            return Err(Error::invalid("--private-via needs --private <patterns>")
                .with_advice("gov proxy use corp --url URL --private 'git.corp.example/*' --private-via proxy"));
        }
        return Ok(corp(settings));
    };
    if p.trim().is_empty() {
        return Err(Error::invalid("--private needs at least one module path pattern")
            .with_advice("gov proxy use corp --url URL --private 'git.corp.example/*'; leave --private out when there are no private modules"));
    }
    validate_globs("GOPRIVATE", p)?;
    // With the public fallback, a private path the company proxy lacks
    // would be asked of proxy.golang.org: only direct keeps it inside.
    let via = match (via, fallback) {
        (Some(PrivateVia::Proxy), true) => {
            return Err(Error::invalid(
                "--private-via proxy with --fallback would ask proxy.golang.org for private module paths the company proxy lacks",
            )
            .with_advice("drop --fallback, or use --private-via direct"));
        }
        (Some(v), _) => v,
        (None, true) => PrivateVia::Direct,
        (None, false) => PrivateVia::Proxy,
    };
    let noproxy = match via {
        PrivateVia::Proxy => NO_MODULE.to_string(),
        PrivateVia::Direct => p.to_string(),
    };
    settings.push(("GOPRIVATE", p.to_string()));
    settings.push(("GONOPROXY", noproxy));
    settings.push(("GONOSUMDB", p.to_string()));
    Ok(corp(settings))
}

fn corp(settings: Vec<(&'static str, String)>) -> Preset {
    Preset {
        name: "corp",
        about: "a company proxy; private modules skip the public proxy and checksum database",
        settings,
        source: None,
    }
}

/// The hosts of the public proxies the presets name: private module paths
/// must never reach them.
pub fn public_proxy_hosts() -> Vec<String> {
    presets()
        .iter()
        .flat_map(|p| p.settings.iter())
        .filter(|(k, _)| *k == "GOPROXY")
        .flat_map(|(_, v)| v.split([',', '|']))
        .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_string))
        .collect()
}

/// One effective setting and the layer it comes from (`gov proxy show
/// --json` prints these fields).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Effective {
    pub key: &'static str,
    pub value: String,
    /// Where it comes from, for people (with the file's path).
    pub source: String,
    /// The layer, for machines: `environment`, `go-env`, `user`, `system`,
    /// `policy`, `goroot` or `default`.
    pub origin: &'static str,
}

/// Every managed setting as the tools gov starts here will see it:
/// environment > `go env -w` file > gov's profile > gov's GOTOOLCHAIN
/// policy > `$GOROOT/go.env` of the selected version > Go's defaults.
pub fn effective(layers: &Layers, goroot: Option<&Path>) -> Vec<Effective> {
    effective_in(&Env::process(), layers, goroot)
}

/// [`effective`] under the environment `env`.
pub fn effective_in(env: &Env, layers: &Layers, goroot: Option<&Path>) -> Vec<Effective> {
    let profiles: Vec<(Layer, PathBuf, BTreeMap<String, String>)> = layers
        .search()
        .map(|(layer, l)| (layer, profile_path(l), read_profile(l)))
        .collect();
    let user_file = goenv::user_env_file_in(env);
    let user = user_file
        .as_deref()
        .map(goenv::read_env_file)
        .unwrap_or_default();
    let goroot_env = goroot
        .map(|g| goenv::read_env_file(&g.join("go.env")))
        .unwrap_or_default();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for key in keys() {
        let in_profile = profiles
            .iter()
            .find_map(|(layer, path, map)| map.get(key).map(|v| (*layer, path, v)));
        let (value, source, origin) = if let Some(v) = env.var(key).filter(|v| !v.is_empty()) {
            (v, "environment".to_string(), "environment")
        } else if let Some(v) = user.get(key) {
            let p = user_file
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (v.clone(), format!("go env -w ({p})"), "go-env")
        } else if let Some((layer, path, v)) = in_profile {
            let what = match layer {
                Layer::User => "gov profile",
                Layer::System => "system profile",
            };
            (
                v.clone(),
                format!("{what} ({})", path.display()),
                layer.name(),
            )
        } else if key == "GOTOOLCHAIN" {
            ("local".to_string(), "gov's policy".to_string(), "policy")
        } else if let Some(v) = goroot_env.get(key) {
            let g = goroot
                .as_ref()
                .map(|g| g.join("go.env").display().to_string())
                .unwrap_or_default();
            (v.clone(), format!("$GOROOT/go.env ({g})"), "goroot")
        } else if matches!(key, "GONOPROXY" | "GONOSUMDB")
            && seen.get("GOPRIVATE").is_some_and(|v| !v.is_empty())
        {
            (
                registry::go_default(key, env, &seen),
                "Go's default (GOPRIVATE)".to_string(),
                "default",
            )
        } else {
            (
                registry::go_default(key, env, &seen),
                "Go's default".to_string(),
                "default",
            )
        };
        seen.insert(key.to_string(), value.clone());
        out.push(Effective {
            key,
            value,
            source,
            origin,
        });
    }
    out
}

/// gov's profile file.
pub fn profile_path(layout: &Layout) -> PathBuf {
    layout.home().join(Store::Profile.file_name())
}

/// A layer's profile; empty when missing or refused (see
/// `config::read_layer_file`).
pub fn read_profile(layout: &Layout) -> BTreeMap<String, String> {
    crate::core::config::read_layer_file(&profile_path(layout)).unwrap_or_default()
}

/// The profiles of every layer merged: a key from the account's own
/// profile wins over the system profile's.
pub fn layered_profile(layers: &Layers) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (_, layout) in layers.search() {
        for (k, v) in read_profile(layout) {
            out.entry(k).or_insert(v);
        }
    }
    out
}

/// Replaces the profile atomically: every shim and entry point sees the old
/// settings or the new, never a mix.
pub fn write_profile(layout: &Layout, settings: &BTreeMap<String, String>) -> Result<()> {
    crate::core::config::write_layer_file(layout, Store::Profile, settings)
}

/// Changes keys of a layer's profile: under the layer's state lock (whose
/// wait `on_wait` reports), in one atomic write, then `after_write` (the
/// shims that read it). With `dry_run`, only what would change.
pub fn update_profile(
    layout: &Layout,
    changes: &[crate::core::config::Change],
    dry_run: bool,
    on_wait: &dyn Fn(&str),
    after_write: &dyn Fn() -> Result<()>,
) -> Result<crate::core::config::Updated> {
    use crate::core::config::{Updated, apply_changes};
    let path = profile_path(layout);
    if dry_run {
        let before = read_profile(layout);
        let after = apply_changes(&before, changes);
        return Ok(Updated {
            path,
            before,
            after,
        });
    }
    let _guard =
        crate::core::lock::acquire(&layout.state_lock(), "to change the settings", on_wait)?;
    let before = read_profile(layout);
    let after = apply_changes(&before, changes);
    if after != before {
        write_profile(layout, &after)?;
        after_write()?;
    }
    Ok(Updated {
        path,
        before,
        after,
    })
}

/// The changes to a layer's config that record `preset`'s implied source
/// (its values `values`, read from `config_file`): GOV_PRESET set (or
/// dropped, for a preset that implies none), and a GOV_SOURCE=proxy an
/// older `gov proxy use cn` wrote removed.
pub fn preset_marker(
    config_file: &Path,
    values: &BTreeMap<String, String>,
    preset: &Preset,
) -> Vec<crate::core::config::Change> {
    let mut changes = Vec::new();
    let wanted = preset.source.map(|_| preset.name.to_string());
    if values.get("GOV_PRESET") != wanted.as_ref() {
        changes.push(("GOV_PRESET".to_string(), wanted));
    }
    if implied_by_preset(config_file, values).is_some_and(|i| i.legacy) {
        changes.push(("GOV_SOURCE".to_string(), None));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goproxy_forms() {
        for ok in [
            "https://proxy.golang.org,direct",
            "https://goproxy.cn|https://proxy.golang.org|direct",
            "off",
            "direct",
            "file:///srv/goproxy",
            "goproxy.cn,direct",
            "http://127.0.0.1:8080",
            "https://a.example , direct",
            "direct,garbage after the end",
        ] {
            assert!(validate_goproxy(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ftp://x.example",
            "noproxy",
            "https://",
            ",,",
            "http://u:p@127.0.0.1:8080,direct",
            "https://a.example|http://u@b.example",
        ] {
            let e = validate_goproxy(bad).expect_err(bad);
            assert_eq!(e.kind().exit_code(), 2);
            assert!(!e.to_string().contains("u:p@"), "{e}");
        }
        assert!(validate_goproxy("https://u:p@goproxy.corp.example,direct").is_ok());
    }

    #[test]
    fn gosumdb_forms() {
        assert_eq!(parse_gosumdb("off").ok(), Some(SumDb::Off));
        let SumDb::On { key, url } = parse_gosumdb("sum.golang.org").unwrap_or(SumDb::Off) else {
            panic!("sum.golang.org");
        };
        assert_eq!(key.name(), "sum.golang.org");
        assert_eq!(url, None);
        let SumDb::On { key, url } = parse_gosumdb("sum.golang.google.cn").unwrap_or(SumDb::Off)
        else {
            panic!("alias");
        };
        assert_eq!(
            (key.name(), url.as_deref()),
            ("sum.golang.org", Some("https://sum.golang.google.cn"))
        );
        assert!(parse_gosumdb("sum.golang.org https://sum.golang.google.cn").is_ok());
        assert!(
            parse_gosumdb("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8")
                .is_ok()
        );
        // The blog mistake: a bare URL, refused with the right spelling.
        let e = parse_gosumdb("https://sum.golang.google.cn").expect_err("bare url");
        assert!(
            e.advice()
                .unwrap_or_default()
                .contains("GOSUMDB=sum.golang.google.cn")
        );
        // Unknown names, tampered keys, too many fields.
        assert!(parse_gosumdb("sum.example.com").is_err());
        assert!(
            parse_gosumdb("sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8")
                .is_err()
        );
        assert!(parse_gosumdb("a b c").is_err());
    }

    #[test]
    fn verifier_keys_from_x_mod_note() {
        // golang.org/x/mod/sumdb/note's example key.
        let k =
            Verifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(k.name(), "PeterNeumann");
        assert_eq!(k.key_hash(), 0xc74f20a3);
        assert!(
            Verifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .is_err()
        );
        assert!(
            Verifier::parse("PeterNeumann+c74f20a3+BRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .is_err()
        );
    }

    #[test]
    fn globs_flags_toolchain() {
        assert!(validate_globs("GOPRIVATE", "git.corp.example/*,github.com/acme").is_ok());
        let e = validate_globs("GOPRIVATE", "https://git.corp.example").expect_err("url");
        assert!(
            e.advice()
                .unwrap_or_default()
                .contains("GOPRIVATE=git.corp.example")
        );
        assert!(validate_globs("GONOSUMDB", "a/[b").is_err());
        // Go splits on commas and trims nothing but a trailing `/`.
        assert!(validate_globs("GOPRIVATE", "git.corp.example/,").is_ok());
        for hostile in [
            ",",
            ",,",
            "/",
            " , ",
            "a, b",
            "git.corp example",
            "a,\u{a0}b",
        ] {
            let e = validate_globs("GOPRIVATE", hostile).expect_err(hostile);
            assert_eq!(e.kind().exit_code(), 2, "{hostile}");
        }
        let e = validate_globs("GOPRIVATE", "a, b").expect_err("space");
        assert!(e.advice().unwrap_or_default().contains("GOPRIVATE=a,b"));
        assert!(corp_preset("https://p.example", Some(""), None, false).is_err());
        assert!(corp_preset("https://p.example", Some(" "), None, false).is_err());
        assert!(corp_preset("https://p.example", Some(","), None, false).is_err());
        assert!(validate_goflags("-mod=mod -trimpath").is_ok());
        assert!(validate_goflags("mod=mod").is_err());
        for ok in [
            "local",
            "auto",
            "path",
            "go1.22.5",
            "go1.22.5+auto",
            "local+path",
            "go1.21",
        ] {
            assert!(validate_gotoolchain(ok).is_ok(), "{ok}");
        }
        for bad in ["1.22.5", "go1.22.5+never", "latest"] {
            assert!(validate_gotoolchain(bad).is_err(), "{bad}");
        }
        assert!(validate("GOMODCACHE", "relative/dir").is_err());
        assert!(validate("GOCACHE", "/data/gocache").is_ok());
        assert!(validate("GOPATH", "/x").is_err());
    }
}
