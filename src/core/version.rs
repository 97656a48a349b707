//! Go version grammar and ordering, exactly as Go's `internal/gover` defines
//! them, plus the forms a user may type (`go1.22.5`, `1.22`, `latest`).
//!
//! Ordering facts worth remembering:
//! `1.21 < 1.21rc1 < 1.21.0 < 1.21.1`; before 1.21 a missing patch means `.0`
//! (`1.20 == 1.20.0`); `1.19alpha3 < 1.19beta2 < 1.19rc1 < 1.19`.

use crate::core::quote::excerpt;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::core::error::{Error, Result};

/// A parsed Go version. Numbers are kept as digit strings, as gover does, so
/// that arbitrarily long numbers still compare correctly.
#[derive(Debug, Clone)]
pub struct GoVersion {
    major: String,
    minor: String,
    patch: String,
    kind: String,
    pre: String,
    /// The canonical spelling (no `go` prefix), as given.
    text: String,
}

/// Splits a leading decimal number without leading zeros off `s`.
fn cut_int(s: &str) -> Option<(&str, &str)> {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 || (s.as_bytes()[0] == b'0' && end != 1) {
        return None;
    }
    Some((&s[..end], &s[end..]))
}

/// Compares decimal strings without leading zeros; "" sorts before any number.
fn cmp_int(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl GoVersion {
    /// Parses a version in Go's grammar, with no `go` prefix.
    pub fn parse(text: &str) -> Option<GoVersion> {
        let (major, rest) = cut_int(text)?;
        let mut v = GoVersion {
            major: major.to_string(),
            minor: String::new(),
            patch: String::new(),
            kind: String::new(),
            pre: String::new(),
            text: text.to_string(),
        };
        if rest.is_empty() {
            // "1" means 1.0.0.
            v.minor = "0".into();
            v.patch = "0".into();
            return Some(v);
        }
        let rest = rest.strip_prefix('.')?;
        let (minor, rest) = cut_int(rest)?;
        v.minor = minor.to_string();
        if rest.is_empty() {
            // Before Go 1.21 a missing patch is the same as ".0".
            if cmp_int(&v.minor, "21") == Ordering::Less {
                v.patch = "0".into();
            }
            return Some(v);
        }
        if let Some(rest) = rest.strip_prefix('.') {
            // Patch releases never carry a prerelease suffix.
            let (patch, rest) = cut_int(rest)?;
            if !rest.is_empty() {
                return None;
            }
            v.patch = patch.to_string();
            return Some(v);
        }
        let kind_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        if kind_len == 0 {
            return None;
        }
        v.kind = rest[..kind_len].to_string();
        let rest = &rest[kind_len..];
        if rest.is_empty() {
            return Some(v);
        }
        let (pre, rest) = cut_int(rest)?;
        if !rest.is_empty() {
            return None;
        }
        v.pre = pre.to_string();
        Some(v)
    }

    /// Parses `go1.22.5` or `1.22.5`.
    pub fn parse_lenient(text: &str) -> Option<GoVersion> {
        GoVersion::parse(text.trim().strip_prefix("go").unwrap_or(text.trim()))
    }

    /// The version as Go spells it without prefix: `1.22.5`, `1.21rc1`, `1.20`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `go1.22.5`, the spelling of release names and `go/VERSION`.
    pub fn go_name(&self) -> String {
        format!("go{}", self.text)
    }

    /// True for alpha, beta and rc releases.
    pub fn is_prerelease(&self) -> bool {
        !self.kind.is_empty()
    }

    /// The `major.minor` family this version belongs to (`1.22` for `1.22rc1`).
    pub fn family(&self) -> (String, String) {
        (self.major.clone(), self.minor.clone())
    }

    /// The release line, `1.22` for `1.22.5` and `1.22rc1`.
    pub fn line(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// The SemVer spelling Go's vulnerability database uses for this version
    /// (no `v`): `1.22.5`, `1.22.0-rc.1`, `1.20.0` for `1.20`. A bare `1.21`
    /// (a language version, below every 1.21 release) is `1.21.0-0`, so the
    /// SemVer order of the results is exactly Go's order.
    pub fn to_semver(&self) -> String {
        let patch = if self.patch.is_empty() {
            "0"
        } else {
            &self.patch
        };
        let mut s = format!("{}.{}.{patch}", self.major, self.minor);
        if !self.kind.is_empty() {
            s.push('-');
            s.push_str(&self.kind);
            if !self.pre.is_empty() {
                s.push('.');
                s.push_str(&self.pre);
            }
        } else if self.patch.is_empty() {
            s.push_str("-0");
        }
        s
    }

    /// Major and minor as numbers, for display and near-match suggestions.
    pub fn minor_number(&self) -> u64 {
        self.minor.parse().unwrap_or(u64::MAX)
    }

    fn key_cmp(&self, other: &GoVersion) -> Ordering {
        cmp_int(&self.major, &other.major)
            .then_with(|| cmp_int(&self.minor, &other.minor))
            .then_with(|| cmp_int(&self.patch, &other.patch))
            // "" < "alpha" < "beta" < "rc", as plain string order gives.
            .then_with(|| self.kind.cmp(&other.kind))
            .then_with(|| cmp_int(&self.pre, &other.pre))
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key_cmp(other) == Ordering::Equal
    }
}
impl Eq for GoVersion {}
impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key_cmp(other)
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // pad() honours width and alignment ({:<12}) in tables.
        f.pad(&self.text)
    }
}

/// What a user asked for on the command line or in a `.go-version` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRequest {
    /// `latest`: the newest stable release.
    Latest,
    /// `1.22`: the newest stable 1.22.x.
    Family { major: String, minor: String },
    /// `1.22.5`, `1.21rc1`, `1.20` given as `1.20.0`...: exactly that release.
    Exact(GoVersion),
}

const VERSION_FORMS: &str =
    "versions look like 1.22.5, go1.22.5, v1.22.5, 1.22 (the newest 1.22.x), 1.23rc1 or latest";

impl VersionRequest {
    pub fn parse(input: &str) -> Result<VersionRequest> {
        let text = input.trim();
        if text.eq_ignore_ascii_case("latest") || text.eq_ignore_ascii_case("stable") {
            return Ok(VersionRequest::Latest);
        }
        // `go1.22.5` (Go's own name) and `v1.22.5` (module and tag style).
        let bare = text
            .strip_prefix("go")
            .or_else(|| text.strip_prefix('v'))
            .unwrap_or(text);
        // gover accepts any lowercase pre-release word; Go only ever
        // publishes alpha, beta and rc, and anything else is a typo.
        let real_kind = |v: &GoVersion| matches!(v.kind.as_str(), "" | "alpha" | "beta" | "rc");
        let Some(v) = GoVersion::parse(bare).filter(real_kind) else {
            return Err(
                Error::invalid(format!("`{}` is not a Go version", excerpt(input, 64)))
                    .with_advice(VERSION_FORMS),
            );
        };
        let parts = bare.split('.').count();
        if parts == 2 && !v.is_prerelease() {
            let (major, minor) = v.family();
            return Ok(VersionRequest::Family { major, minor });
        }
        if parts == 1 {
            return Err(Error::invalid(format!(
                "`{}` is too vague: name at least a minor version",
                excerpt(input, 64)
            ))
            .with_advice(VERSION_FORMS));
        }
        Ok(VersionRequest::Exact(v))
    }

    /// Does `v` satisfy this request, ignoring stability?
    pub fn matches(&self, v: &GoVersion) -> bool {
        match self {
            VersionRequest::Latest => true,
            VersionRequest::Family { major, minor } => v.major == *major && v.minor == *minor,
            VersionRequest::Exact(want) => want == v,
        }
    }

    /// Resolves against `candidates`: the newest stable match for families and
    /// `latest`, the equal one for exact requests.
    pub fn pick<'a, I>(&self, candidates: I) -> Option<&'a GoVersion>
    where
        I: IntoIterator<Item = &'a GoVersion>,
    {
        let matching = candidates.into_iter().filter(|v| self.matches(v));
        match self {
            VersionRequest::Exact(_) => matching.max(),
            _ => matching.filter(|v| !v.is_prerelease()).max(),
        }
    }
}

impl fmt::Display for VersionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionRequest::Latest => f.write_str("latest"),
            VersionRequest::Family { major, minor } => write!(f, "{major}.{minor}"),
            VersionRequest::Exact(v) => write!(f, "{v}"),
        }
    }
}

impl FromStr for VersionRequest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        VersionRequest::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        GoVersion::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    /// Go's own comparison vectors (internal/gover), plus the DESIGN.md facts.
    #[test]
    fn compare_like_gover() {
        use Ordering::*;
        let cases = [
            ("1", "2", Less),
            ("2", "1", Greater),
            ("1", "1", Equal),
            ("1", "1.0.0", Equal),
            ("1.0", "1.0.0", Equal),
            ("1.5", "1.10", Less),
            ("1.20", "1.20.0", Equal),
            ("1.19", "1.19.0", Equal),
            ("1.21", "1.21.0", Less),
            ("1.21", "1.21rc1", Less),
            ("1.21rc1", "1.21.0", Less),
            ("1.21.0", "1.21.1", Less),
            ("1.19alpha3", "1.19beta2", Less),
            ("1.19beta2", "1.19rc1", Less),
            ("1.19rc1", "1.19", Less),
            ("1.19rc1", "1.19.0", Less),
            ("1.19rc1", "1.19.1", Less),
            ("1.19rc1", "1.19rc1", Equal),
            ("1.19rc1", "1.19rc2", Less),
            ("1.19rc2", "1.19rc10", Less),
            ("1.19beta1", "1.19rc1", Less),
            ("1.99999999999999998", "1.99999999999999999", Less),
            ("1.99999999999999999", "1.100000000000000000", Less),
            ("1.40", "1.5", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(v(a).cmp(&v(b)), want, "{a} vs {b}");
            assert_eq!(v(b).cmp(&v(a)), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn semver_spellings() {
        for (go, sem) in [
            ("1.22.5", "1.22.5"),
            ("1.22.0", "1.22.0"),
            ("1.22rc1", "1.22.0-rc.1"),
            ("1.19beta2", "1.19.0-beta.2"),
            ("1.20", "1.20.0"),
            ("1.21", "1.21.0-0"),
            ("1.21rc", "1.21.0-rc"),
        ] {
            assert_eq!(v(go).to_semver(), sem, "{go}");
        }
        assert_eq!(v("1.22rc2").line(), "1.22");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "1.",
            "1..2",
            "01.2",
            "1.02",
            "1.2.03",
            "1.21.3rc1",
            "1.21rc",
            "x",
            "1.21RC1",
            "1.21-rc1",
            "1.21 ",
            "v1.21",
        ] {
            // "1.21rc" is valid in gover (kind without number); keep only
            // what gover itself refuses.
            if bad == "1.21rc" {
                assert!(GoVersion::parse(bad).is_some());
                continue;
            }
            assert!(
                GoVersion::parse(bad).is_none(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn requests() {
        assert_eq!(
            VersionRequest::parse("latest").ok(),
            Some(VersionRequest::Latest)
        );
        assert_eq!(
            VersionRequest::parse("go1.22").ok(),
            Some(VersionRequest::Family {
                major: "1".into(),
                minor: "22".into()
            })
        );
        assert!(matches!(
            VersionRequest::parse("1.22.5"),
            Ok(VersionRequest::Exact(_))
        ));
        assert!(matches!(
            VersionRequest::parse("go1.23rc1"),
            Ok(VersionRequest::Exact(_))
        ));
        let e = VersionRequest::parse("1.2x").expect_err("invalid");
        assert_eq!(e.kind().exit_code(), 2);
        assert!(VersionRequest::parse("1").is_err());
        assert!(VersionRequest::parse("1.2x").is_err());
        assert!(VersionRequest::parse("1.22beta1").is_ok());
    }

    #[test]
    fn pick_prefers_newest_stable() {
        let all: Vec<GoVersion> = ["1.23rc1", "1.22.10", "1.22.2", "1.22rc2", "1.21.13", "1.20"]
            .iter()
            .map(|s| v(s))
            .collect();
        let pick = |r: &str| {
            VersionRequest::parse(r)
                .ok()
                .and_then(|req| req.pick(&all).map(|x| x.to_string()))
        };
        assert_eq!(pick("latest").as_deref(), Some("1.22.10"));
        assert_eq!(pick("1.22").as_deref(), Some("1.22.10"));
        assert_eq!(pick("1.23").as_deref(), None);
        assert_eq!(pick("1.23rc1").as_deref(), Some("1.23rc1"));
        assert_eq!(pick("1.20.0").as_deref(), Some("1.20"));
        assert_eq!(pick("1.20").as_deref(), Some("1.20"));
        assert_eq!(pick("1.21.0").as_deref(), None);
    }
}
