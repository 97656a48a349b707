//! Validation of every key of the registry (`core::registry`), with the
//! messages `gov config set` and `gov proxy set` give: gov's keys by their
//! shape, Go's as cmd/go parses them (`settings::proxy`). The table itself
//! lives in `core` so that every folder can read defaults from it.

use crate::core::error::{Error, Result};
use crate::core::registry::{self, Kind, Refusal, Store};

pub use crate::core::registry::{Holder, KeySpec, key, keys};

/// A value as it may be shown in a message: short, control characters
/// escaped.
fn escape(s: &str) -> String {
    crate::core::quote::excerpt(s, 80)
}

/// gov's own key `name`, or the refusal `gov config` gives.
pub fn gov_key(name: &str) -> Result<&'static KeySpec> {
    if let Some(k) = registry::key(name).filter(|k| k.store == Store::Config) {
        return Ok(k);
    }
    let names = registry::names_in(Store::Config);
    Err(
        Error::invalid(format!("`{}` is not a gov setting", escape(name)))
            .with_advice(format!("settings: {}", names.join(", "))),
    )
}

/// Checks a value for gov's key `name` and returns it as stored.
pub fn validate_gov(name: &str, value: &str) -> Result<String> {
    let k = gov_key(name)?;
    registry::check_shape(k.kind, value).map_err(|r| refusal(name, value, r))?;
    Ok(value.to_string())
}

fn refusal(key: &str, value: &str, r: Refusal) -> Error {
    match r {
        Refusal::ControlCharacter => Error::invalid(format!(
            "the value for {key} holds control characters: `{}`",
            escape(value)
        )),
        Refusal::NotUrl { entry, why } => {
            Error::invalid(format!("{key}: `{}` is not a URL", escape(&entry))).with_source(why)
        }
        Refusal::Scheme { scheme } => {
            Error::invalid(format!("{key}: the scheme `{scheme}` is not supported")).with_advice(
                "use https:// (http:// for an intranet host, with GOV_ALLOW_HTTP=1), or file://",
            )
        }
        Refusal::EmptyEntry => Error::invalid(format!(
            "{key}: empty entry in the list `{}`",
            escape(value)
        )),
        Refusal::NotNumber => Error::invalid(format!(
            "{key} takes a whole number, not `{}`",
            escape(value)
        )),
        Refusal::NotOneOf(words) => Error::invalid(format!(
            "{key} takes one of {}, not `{}`",
            words.join(", "),
            escape(value)
        )),
    }
}

/// Checks any key of the registry: gov's by shape, Go's as cmd/go would.
pub fn validate(name: &str, value: &str) -> Result<()> {
    match registry::key(name) {
        Some(k) if k.store == Store::Config => validate_gov(name, value).map(|_| ()),
        _ => crate::settings::proxy::validate(name, value),
    }
}

/// Whether a kind is one cmd/go parses (checked in `settings::proxy`).
pub fn is_go_kind(kind: Kind) -> bool {
    !matches!(
        kind,
        Kind::Url | Kind::UrlList | Kind::Number | Kind::Word(_) | Kind::WordList(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_passes_its_own_validation() {
        for k in keys().filter(|k| !k.default.is_empty()) {
            assert!(validate(k.name, k.default).is_ok(), "{}", k.name);
        }
    }

    #[test]
    fn refusals_carry_exit_code_2_and_the_key() {
        for (k, v) in [
            ("GOV_INDEX_TTL", "soon"),
            ("GOV_MIRROR", "https://a/go,"),
            ("GOV_INDEX_URL", "gopher://x/"),
            ("GOV_SOURCE", "cdn"),
            ("GOV_ALLOW_HTTP", "1\u{7}"),
            ("GOPROXY", "ftp://x.example"),
            ("GOSUMDB", "https://sum.golang.google.cn"),
            ("GOPRIVATE", "https://git.corp.example"),
            ("GOFLAGS", "mod=mod"),
            ("GOTOOLCHAIN", "latest"),
            ("GOMODCACHE", "relative"),
        ] {
            let e = validate(k, v).expect_err(k);
            assert_eq!(e.kind().exit_code(), 2, "{k}");
            assert!(e.message().contains(k), "{k}: {}", e.message());
        }
        let e = gov_key("GOV_NOPE").expect_err("unknown");
        assert!(e.advice().unwrap_or_default().contains("GOV_MIRROR"));
        assert!(validate("PATH", "/bin").is_err(), "not a managed key");
    }

    #[test]
    fn go_kinds_are_the_profile_keys() {
        for k in keys() {
            assert_eq!(is_go_kind(k.kind), k.store == Store::Profile, "{}", k.name);
        }
    }
}
