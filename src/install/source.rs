//! Which source a request uses: the release archives (the index and the
//! mirrors in GOV_MIRROR) or the module proxy, decided by `--source`,
//! GOV_SOURCE and the settings that imply one; and when `auto` falls back
//! from the first to the second.

use crate::core::error::{Error, ErrorKind, Result};
use crate::net::http;

pub use crate::core::registry::DEFAULT_MIRROR;

/// The mirrors from GOV_MIRROR (comma-separated, tried in order).
pub fn mirrors() -> Result<Vec<String>> {
    let raw = crate::core::config::get("GOV_MIRROR").unwrap_or_default();
    let list: Vec<String> = raw
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let list = if list.is_empty() {
        vec![DEFAULT_MIRROR.to_string()]
    } else {
        list
    };
    for m in &list {
        http::check_url(m, "mirror (GOV_MIRROR)")?;
    }
    Ok(list)
}

/// Where toolchains come from (`--source`, GOV_SOURCE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The release index and archive mirrors (go.dev, GOV_MIRROR).
    Release,
    /// The module proxy Go would use, verified by the checksum database.
    Proxy,
    /// Release sources first; the module proxy when they are unreachable.
    #[default]
    Auto,
}

impl Source {
    pub fn parse(text: &str) -> Result<Source> {
        match text.trim().to_ascii_lowercase().as_str() {
            "release" => Ok(Source::Release),
            "proxy" => Ok(Source::Proxy),
            "auto" | "" => Ok(Source::Auto),
            other => Err(Error::invalid(format!(
                "unknown toolchain source `{}`",
                crate::core::quote::excerpt(other, 40)
            ))
            .with_advice("use release, proxy or auto (GOV_SOURCE or --source)")),
        }
    }

    /// The source installs use: see [`resolve_source`].
    pub fn from_flag_or_config(flag: Option<&str>) -> Result<Source> {
        resolve_source(flag).map(|r| r.source)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Release => "release",
            Source::Proxy => "proxy",
            Source::Auto => "auto",
        }
    }
}

/// The source installs use, and why (`gov doctor`, `gov config show`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ResolvedSource {
    pub source: Source,
    /// What decided: `--source`, `GOV_SOURCE`, `GOV_MIRROR`,
    /// `GOV_INDEX_URL`, `GOV_PRESET` or `default`.
    pub decided_by: &'static str,
    /// `environment`, the config file's path, or none.
    pub origin: Option<String>,
    /// The whole answer for people.
    pub reason: String,
}

impl serde::Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Source {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Source".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names = [Source::Release, Source::Proxy, Source::Auto].map(Source::as_str);
        schemars::json_schema!({
            "description": "Where toolchains come from.",
            "type": "string",
            "enum": names,
        })
    }
}

const AUTO_ORDER: &str = "the module proxy only if release downloads are unreachable";

/// An explicit choice beats an implied one: `--source`, else GOV_SOURCE
/// as a user set it (environment or any layer's config), else a release
/// source set explicitly (GOV_MIRROR or GOV_INDEX_URL: auto, which tries
/// it first), else the default a preset implies (`gov proxy use cn`),
/// else auto.
pub fn resolve_source(flag: Option<&str>) -> Result<ResolvedSource> {
    use crate::core::config::{self, Origin};
    use crate::settings::proxy::implied_by_preset;
    let resolved = |source, decided_by, origin: Option<&Origin>, reason: String| ResolvedSource {
        source,
        decided_by,
        origin: origin.map(|o| match o {
            Origin::Environment => "environment".to_string(),
            Origin::File { path, .. } => path.display().to_string(),
        }),
        reason,
    };
    if let Some(f) = flag {
        return Ok(resolved(
            Source::parse(f)?,
            "--source",
            None,
            format!("--source {f}"),
        ));
    }
    // A layer's GOV_SOURCE that an older preset wrote is the preset's.
    let preset_of = |o: &Origin| match o {
        Origin::File { path, .. } => implied_by_preset(path, &config::file_values(path)),
        Origin::Environment => None,
    };
    let values = config::lookup_all("GOV_SOURCE");
    if let Some((v, o)) = values
        .iter()
        .find(|(_, o)| preset_of(o).is_none_or(|p| !p.legacy))
    {
        let source = Source::parse(v)?;
        let reason = format!("GOV_SOURCE={} set in {o}", source.as_str());
        return Ok(resolved(source, "GOV_SOURCE", Some(o), reason));
    }
    let files = config::files();
    let implied = files.iter().find_map(|(path, _)| {
        implied_by_preset(path, &config::file_values(path)).map(|i| (i, path))
    });
    for key in ["GOV_MIRROR", "GOV_INDEX_URL"] {
        if let Some((_, o)) = config::lookup(key) {
            let beaten = implied
                .as_ref()
                .map(|(i, _)| format!(", not the {} that preset {} implies", i.source, i.preset))
                .unwrap_or_default();
            let reason = format!("{key} set in {o}{beaten}");
            return Ok(resolved(Source::Auto, key, Some(&o), reason));
        }
    }
    if let Some((i, path)) = implied {
        let source = Source::parse(i.source)?;
        let origin = Origin::File {
            path: path.clone(),
            system: false,
        };
        let how = if i.legacy {
            format!(
                "GOV_SOURCE={} written by an older `gov proxy use {}` in {origin}",
                i.source, i.preset
            )
        } else {
            format!("GOV_PRESET={} in {origin}", i.preset)
        };
        let reason = format!(
            "implied by preset {} ({how}); no release source is set",
            i.preset
        );
        return Ok(resolved(source, "GOV_PRESET", Some(&origin), reason));
    }
    Ok(resolved(
        Source::Auto,
        "default",
        None,
        "the default".into(),
    ))
}

impl ResolvedSource {
    /// Where installs go, then why: `proxy: implied by preset cn (...)`.
    pub fn describe(&self) -> String {
        match self.source {
            Source::Auto => format!("release ({AUTO_ORDER}): {}", self.reason),
            s => format!("{}: {}", s.as_str(), self.reason),
        }
    }
}

/// Would the module proxy help after this release-source failure? Only
/// when the release sources could not be reached (DNS, connect, TLS,
/// timeout, HTTP 403/5xx, all of them `Network`); a checksum mismatch or a
/// bad archive is an attack or corruption and stops, and an unknown
/// version stays unknown.
pub fn release_unreachable(e: &Error) -> bool {
    e.kind() == ErrorKind::Network
}

/// Both sources failed: the release error first (it is the preferred
/// source, and its advice is about this host's network), the proxy's after
/// it. A forged or corrupt proxy answer keeps its own kind.
pub(crate) fn fallback_failed(release: Error, proxy: Error) -> Error {
    let kind = match proxy.kind() {
        ErrorKind::Network | ErrorKind::NotFound | ErrorKind::InvalidInput => release.kind(),
        k => k,
    };
    let advice = match (release.advice(), proxy.advice()) {
        (Some(a), Some(b)) => Some(format!("{a}; for the module proxy: {b}")),
        (a, b) => a.or(b).map(str::to_string),
    };
    let msg = format!(
        "{}\n  and the module proxy fallback failed too: {}",
        release.message(),
        proxy.message()
    );
    let err = Error::new(kind, msg).with_source(proxy);
    match advice {
        Some(a) => err.with_advice(a),
        None => err,
    }
}
