//! SemVer 2.0 versions as the Go vulnerability database writes them: no
//! `v`, Go releases spelled `1.22.5`, pre-releases `1.23.0-rc.1`, and the
//! lowest version of a line `1.22.0-0` (below every 1.22 pre-release).
//! Installed Go versions are mapped here with `GoVersion::to_semver`, whose
//! results sort exactly as Go's own order does.

use std::cmp::Ordering;
use std::fmt;

use crate::core::version::GoVersion;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    Num(u64),
    Alnum(String),
}

/// Numbers are kept as `u64`: a version part beyond that is refused as
/// malformed (no Go release comes near), and comparisons stay cheap, which
/// matters when hundreds of entries meet every installed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVer {
    core: [u64; 3],
    pre: Vec<Ident>,
}

fn numeric(s: &str) -> Option<u64> {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s.len() == 1 || !s.starts_with('0'));
    if ok { s.parse().ok() } else { None }
}

impl SemVer {
    /// Parses `MAJOR.MINOR.PATCH[-PRE][+BUILD]` (an optional `v` or `go`
    /// prefix is tolerated, as govulncheck does). Build metadata is ignored
    /// for ordering, as SemVer says.
    pub fn parse(text: &str) -> Option<SemVer> {
        let bare = text
            .strip_prefix('v')
            .or_else(|| text.strip_prefix("go"))
            .unwrap_or(text);
        let (rest, build) = match bare.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (bare, None),
        };
        if let Some(b) = build
            && (b.is_empty() || !b.split('.').all(valid_ident_chars))
        {
            return None;
        }
        let (nums, pre) = match rest.split_once('-') {
            Some((n, p)) => (n, Some(p)),
            None => (rest, None),
        };
        let mut parts = nums.split('.');
        let core = [
            numeric(parts.next()?)?,
            numeric(parts.next()?)?,
            numeric(parts.next()?)?,
        ];
        if parts.next().is_some() {
            return None;
        }
        let mut idents = Vec::new();
        if let Some(p) = pre {
            for id in p.split('.') {
                if !valid_ident_chars(id) {
                    return None;
                }
                if id.bytes().all(|b| b.is_ascii_digit()) {
                    idents.push(Ident::Num(numeric(id)?));
                } else {
                    idents.push(Ident::Alnum(id.to_string()));
                }
            }
        }
        Some(SemVer { core, pre: idents })
    }

    pub fn of_go(v: &GoVersion) -> SemVer {
        // to_semver always produces a valid SemVer (numbers beyond u64
        // aside); the fallback keeps this total without an unwrap.
        SemVer::parse(&v.to_semver()).unwrap_or(SemVer {
            core: [u64::MAX; 3],
            pre: Vec::new(),
        })
    }

    /// The Go release this names, for messages: `1.22.4`, `1.23rc2`; the
    /// SemVer spelling itself when no Go release is spelled that way.
    pub fn go_spelling(&self) -> String {
        let [maj, min, patch] = self.core;
        match self.pre.as_slice() {
            // Before 1.21 the .0 release is named without its patch.
            [] if maj == 1 && min < 21 && patch == 0 => format!("{maj}.{min}"),
            [] => format!("{maj}.{min}.{patch}"),
            [Ident::Alnum(kind), Ident::Num(n)] if patch == 0 => format!("{maj}.{min}{kind}{n}"),
            _ => self.to_string(),
        }
    }
}

fn valid_ident_chars(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        let c = self.core.cmp(&other.core);
        if c != Ordering::Equal {
            return c;
        }
        // A version without pre-release sorts after every pre-release.
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let c = match (a, b) {
                (Ident::Num(x), Ident::Num(y)) => x.cmp(y),
                (Ident::Num(_), Ident::Alnum(_)) => Ordering::Less,
                (Ident::Alnum(_), Ident::Num(_)) => Ordering::Greater,
                (Ident::Alnum(x), Ident::Alnum(y)) => x.cmp(y),
            };
            if c != Ordering::Equal {
                return c;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The canonical spelling (no `v`, no build metadata).
impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.core;
        write!(f, "{a}.{b}.{c}")?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            match id {
                Ident::Num(n) => write!(f, "{n}")?,
                Ident::Alnum(s) => f.write_str(s)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> SemVer {
        SemVer::parse(t).unwrap_or_else(|| panic!("{t} should parse"))
    }

    #[test]
    fn semver_precedence() {
        // The SemVer 2.0 spec's own example chain.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for w in chain.windows(2) {
            assert!(s(w[0]) < s(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(s("1.2.3+build.5").cmp(&s("1.2.3")), Ordering::Equal);
        assert!(s("1.10.0") > s("1.9.0"));
        assert_eq!(s("1.22.0-rc.1").to_string(), "1.22.0-rc.1");
        // Beyond u64: refused, not wrapped.
        assert!(SemVer::parse("1.99999999999999999999.0").is_none());
    }

    #[test]
    fn go_lines_in_vulndb_spelling() {
        assert!(s("1.22.0-0") < s("1.22.0-rc.1"));
        assert!(s("1.21.13") < s("1.22.0-0"));
        assert!(s("1.22.0-rc.2") < s("1.22.0"));
    }

    #[test]
    fn go_order_survives_the_mapping() {
        let go = [
            "1.19beta1",
            "1.19rc1",
            "1.19rc2",
            "1.19",
            "1.19.1",
            "1.20rc1",
            "1.20",
            "1.20.14",
            "1.21",
            "1.21rc2",
            "1.21.0",
            "1.21.13",
            "1.22rc1",
            "1.22.0",
            "1.22.10",
        ];
        let parsed: Vec<GoVersion> = go
            .iter()
            .map(|t| GoVersion::parse(t).unwrap_or_else(|| panic!("{t}")))
            .collect();
        for (i, a) in parsed.iter().enumerate() {
            for b in &parsed[i..] {
                assert_eq!(
                    a.cmp(b),
                    SemVer::of_go(a).cmp(&SemVer::of_go(b)),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn refuses_what_is_not_semver() {
        for bad in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3+",
            "1.22.x",
            "1.2.3-rc_1",
            " 1.2.3",
        ] {
            assert!(SemVer::parse(bad).is_none(), "{bad:?}");
        }
        assert!(SemVer::parse("v1.2.3").is_some());
    }

    #[test]
    fn go_spelling_of_fixes() {
        assert_eq!(s("1.22.4").go_spelling(), "1.22.4");
        assert_eq!(s("1.23.0-rc.2").go_spelling(), "1.23rc2");
        assert_eq!(s("1.20.0").go_spelling(), "1.20");
        assert_eq!(s("1.21.0").go_spelling(), "1.21.0");
        assert_eq!(s("1.22.0-0").go_spelling(), "1.22.0-0");
    }
}
