//! The parts of the OSV format (ossf.github.io/osv-schema, as the Go
//! vulnerability database publishes it) that say which Go releases an
//! entry affects, parsed strictly: an entry whose types, ids, timestamps or
//! versions are wrong is refused as a whole, never half-read (a half-read
//! entry could hide a vulnerability).
//!
//! Go's database names the standard library `stdlib` and the go command
//! `toolchain`; their ranges are `SEMVER` with Go versions written as
//! SemVer (`introduced: "1.22.0-0"`, `fixed: "1.22.7"`).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::core::quote::excerpt;
use crate::lifecycle::semver::SemVer;

/// The pseudo-modules whose entries concern a Go toolchain itself.
pub const GO_MODULES: [&str; 2] = ["stdlib", "toolchain"];

/// One range event, validated. `Introduced(None)` is OSV's `"0"`, the
/// beginning of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Introduced(Option<String>),
    Fixed(String),
    LastAffected(String),
}

/// What an entry says about one Go pseudo-module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    pub module: String,
    /// SEMVER ranges only; empty with `all_versions` when the entry gives
    /// none (OSV: no ranges means every version).
    pub ranges: Vec<Vec<Event>>,
    pub all_versions: bool,
    /// Affected import paths (`ecosystem_specific.imports[].path`).
    pub packages: Vec<String>,
}

/// An entry reduced to what gov evaluates and shows; this is also the form
/// kept in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub modified: String,
    pub withdrawn: bool,
    pub aliases: Vec<String>,
    pub summary: String,
    /// Only the `stdlib` and `toolchain` parts.
    pub affected: Vec<Affected>,
}

// ---- the wire format -------------------------------------------------------

#[derive(Deserialize)]
struct RawEntry {
    id: String,
    modified: String,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    affected: Option<Vec<RawAffected>>,
}

#[derive(Deserialize)]
struct RawAffected {
    package: RawPackage,
    #[serde(default)]
    ranges: Option<Vec<RawRange>>,
    #[serde(default)]
    ecosystem_specific: Option<RawEcosystemSpecific>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    #[serde(default)]
    ecosystem: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Option<Vec<RawEvent>>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    introduced: Option<String>,
    #[serde(default)]
    fixed: Option<String>,
    #[serde(default)]
    last_affected: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

#[derive(Deserialize)]
struct RawEcosystemSpecific {
    #[serde(default)]
    imports: Option<Vec<RawImport>>,
}

#[derive(Deserialize)]
struct RawImport {
    #[serde(default)]
    path: Option<String>,
}

/// `index/modules.json`: which entries concern which module.
#[derive(Deserialize)]
struct RawModule {
    path: String,
    #[serde(default)]
    vulns: Option<Vec<RawModuleVuln>>,
}

#[derive(Deserialize)]
struct RawModuleVuln {
    id: String,
    modified: String,
    #[serde(default)]
    #[allow(dead_code)]
    fixed: Option<String>,
}

#[derive(Deserialize)]
struct RawDb {
    modified: String,
}

/// An id listed in the modules index, with its last modification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub modified: String,
}

/// Ids appear in URLs and file names: letters, digits, `-`, `_`, `.`, and
/// no path tricks.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !id.contains("..")
}

/// serde's message quotes the offending value: escaped and clipped too.
fn json_error(e: serde_json::Error) -> String {
    format!(
        "not valid JSON of the expected shape: {}",
        excerpt(&e.to_string(), 200)
    )
}

/// The most entries `index/modules.json` may list for `stdlib` and
/// `toolchain`: the real database lists a few hundred; each listed entry
/// costs a request.
pub const MAX_LISTED: usize = 10_000;
/// Aliases and affected packages kept per entry, and their lengths: a
/// real entry has a few of each, none long.
const MAX_ALIASES: usize = 16;
const MAX_PACKAGES: usize = 64;
const MAX_NAME: usize = 128;
/// A summary is one line on screen.
const MAX_SUMMARY: usize = 200;

/// `index/db.json`: the database's last modification.
pub fn parse_db(bytes: &[u8]) -> Result<String, String> {
    let db: RawDb = serde_json::from_slice(bytes).map_err(json_error)?;
    check_time(&db.modified, "modified")?;
    Ok(db.modified)
}

/// `index/modules.json`, reduced to the entries of `stdlib` and `toolchain`
/// (deduplicated; an entry may concern both).
pub fn parse_modules(bytes: &[u8]) -> Result<Vec<Listed>, String> {
    let modules: Vec<RawModule> = serde_json::from_slice(bytes).map_err(json_error)?;
    // By id: a hostile index repeating ids costs linear time, not quadratic.
    let mut by_id: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut seen = 0usize;
    for m in modules {
        if !GO_MODULES.contains(&m.path.as_str()) {
            continue;
        }
        for v in m.vulns.unwrap_or_default() {
            seen += 1;
            if seen > MAX_LISTED {
                return Err(format!(
                    "it lists more than {MAX_LISTED} entries for the Go standard library and toolchain \
                     (a real database lists a few hundred): refused"
                ));
            }
            if !valid_id(&v.id) {
                return Err(format!("`{}` is not a vulnerability id", clip(&v.id)));
            }
            check_time(&v.modified, &format!("{}: modified", v.id))?;
            match by_id.get_mut(&v.id) {
                Some(m) if newer(&v.modified, m) => *m = v.modified,
                Some(_) => {}
                None => {
                    by_id.insert(v.id, v.modified);
                }
            }
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, modified)| Listed { id, modified })
        .collect())
}

/// Is timestamp `a` later than `b`? (Both already validated.)
pub fn newer(a: &str, b: &str) -> bool {
    match (parse_rfc3339(a), parse_rfc3339(b)) {
        (Some(x), Some(y)) => x > y,
        _ => false,
    }
}

/// A value from the database quoted in a message: escaped and short.
fn clip(s: &str) -> String {
    excerpt(s, 60)
}

/// Names from the database (aliases, packages): escaped, clipped, at most
/// `max` of them, each once.
fn names(list: impl IntoIterator<Item = String>, max: usize) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    list.into_iter()
        .map(|n| excerpt(&n, MAX_NAME))
        .filter(|n| seen.insert(n.clone()))
        .take(max)
        .collect()
}

fn check_time(t: &str, what: &str) -> Result<(), String> {
    parse_rfc3339(t)
        .map(|_| ())
        .ok_or_else(|| format!("{what}: `{}` is not an RFC 3339 timestamp", clip(t)))
}

fn check_version(v: &str, what: &str) -> Result<String, String> {
    SemVer::parse(v)
        .map(|_| v.to_string())
        .ok_or_else(|| format!("{what}: `{}` is not a SemVer version", clip(v)))
}

/// One SEMVER range's events, checked: each names exactly one version,
/// and the range has an `introduced` one.
fn parse_range(module: &str, ri: usize, r: RawRange) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    for (ei, e) in r.events.unwrap_or_default().into_iter().enumerate() {
        let what = format!("{module} range {ri} event {ei}");
        let set = [&e.introduced, &e.fixed, &e.last_affected, &e.limit]
            .iter()
            .filter(|x| x.is_some())
            .count();
        if set != 1 {
            return Err(format!(
                "{what}: an event names exactly one of introduced, fixed, last_affected, limit"
            ));
        }
        if let Some(i) = e.introduced {
            events.push(if i == "0" {
                Event::Introduced(None)
            } else {
                Event::Introduced(Some(check_version(&i, &what)?))
            });
        } else if let Some(f) = e.fixed {
            events.push(Event::Fixed(check_version(&f, &what)?));
        } else if let Some(l) = e.last_affected {
            events.push(Event::LastAffected(check_version(&l, &what)?));
        } else if let Some(l) = e.limit {
            // Limits bound git ranges; for versions they add nothing.
            check_version(&l, &what)?;
        }
    }
    if !events.iter().any(|e| matches!(e, Event::Introduced(_))) {
        return Err(format!(
            "{module} range {ri}: a range needs an `introduced` event"
        ));
    }
    Ok(events)
}

/// Parses one `ID/<id>.json` and checks it is the entry asked for.
pub fn parse_entry(bytes: &[u8], want_id: &str) -> Result<Entry, String> {
    let raw: RawEntry = serde_json::from_slice(bytes).map_err(json_error)?;
    if raw.id != want_id {
        return Err(format!(
            "it holds entry `{}`, not `{want_id}`",
            clip(&raw.id)
        ));
    }
    check_time(&raw.modified, "modified")?;
    if let Some(w) = &raw.withdrawn {
        check_time(w, "withdrawn")?;
    }
    let mut affected = Vec::new();
    for a in raw.affected.unwrap_or_default() {
        if !GO_MODULES.contains(&a.package.name.as_str()) {
            continue;
        }
        if let Some(eco) = &a.package.ecosystem
            && eco != "Go"
        {
            continue;
        }
        let module = a.package.name.clone();
        let mut ranges = Vec::new();
        let raw_ranges = a.ranges.unwrap_or_default();
        let any_ranges = !raw_ranges.is_empty();
        for (ri, r) in raw_ranges.into_iter().enumerate() {
            if r.kind != "SEMVER" {
                continue;
            }
            let events = parse_range(&module, ri, r)?;
            ranges.push(events);
        }
        // No ranges at all, or none of a kind we read: every version (as
        // govulncheck reads it).
        let all_versions = !any_ranges || ranges.is_empty();
        let packages = names(
            a.ecosystem_specific
                .and_then(|e| e.imports)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|i| i.path),
            MAX_PACKAGES,
        );
        affected.push(Affected {
            module,
            ranges,
            all_versions,
            packages,
        });
    }
    let summary = raw
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            raw.details
                .as_deref()
                .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
                .map(|l| clip_words(l.trim(), 120))
        })
        .map(|s| excerpt(&s, MAX_SUMMARY))
        .unwrap_or_default();
    Ok(Entry {
        id: raw.id,
        modified: raw.modified,
        withdrawn: raw.withdrawn.is_some(),
        aliases: names(raw.aliases.unwrap_or_default(), MAX_ALIASES),
        summary,
        affected,
    })
}

fn clip_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// How a range that contains a version ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Fixed in this version.
    In(SemVer),
    /// No fix published.
    None,
}

/// A range event with its version parsed; `Start(None)` is the beginning
/// of time.
#[derive(Debug, Clone)]
enum Bound {
    Start(Option<SemVer>),
    Fixed(SemVer),
    Last(SemVer),
}

impl Bound {
    fn version(&self) -> Option<&SemVer> {
        match self {
            Bound::Start(v) => v.as_ref(),
            Bound::Fixed(v) | Bound::Last(v) => Some(v),
        }
    }
}

/// An [`Affected`] ready to answer many versions: versions parsed once,
/// events sorted once (the beginning of time first, then by version, as
/// govulncheck sorts them).
#[derive(Debug, Clone)]
pub struct Compiled {
    pub module: String,
    pub packages: Vec<String>,
    all_versions: bool,
    ranges: Vec<Vec<Bound>>,
}

impl Affected {
    pub fn compile(&self) -> Compiled {
        let ranges = self
            .ranges
            .iter()
            .map(|events| {
                // Versions were validated when the entry was read; an event
                // that still fails to parse is dropped, not guessed at.
                let mut bounds: Vec<Bound> = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Introduced(None) => Some(Bound::Start(None)),
                        Event::Introduced(Some(v)) => {
                            SemVer::parse(v).map(|v| Bound::Start(Some(v)))
                        }
                        Event::Fixed(v) => SemVer::parse(v).map(Bound::Fixed),
                        Event::LastAffected(v) => SemVer::parse(v).map(Bound::Last),
                    })
                    .collect();
                bounds.sort_by(|a, b| match (a.version(), b.version()) {
                    (None, None) => Ordering::Equal,
                    (None, _) => Ordering::Less,
                    (_, None) => Ordering::Greater,
                    (Some(x), Some(y)) => x.cmp(y),
                });
                bounds
            })
            .collect();
        Compiled {
            module: self.module.clone(),
            packages: self.packages.clone(),
            all_versions: self.all_versions,
            ranges,
        }
    }

    /// `Some(fix)` when `v` is affected.
    pub fn affects(&self, v: &SemVer) -> Option<Fix> {
        self.compile().affects(v)
    }
}

/// Does one sorted range contain `v`, and where does its affected
/// stretch end?
fn range_contains(bounds: &[Bound], v: &SemVer) -> Option<Fix> {
    let mut inside = false;
    for b in bounds {
        match b {
            Bound::Start(start) if !inside => {
                inside = start.as_ref().is_none_or(|s| v >= s);
            }
            Bound::Fixed(f) if inside => {
                if v < f {
                    return Some(Fix::In(f.clone()));
                }
                inside = false;
            }
            Bound::Last(l) if inside => {
                if v <= l {
                    return Some(Fix::None);
                }
                inside = false;
            }
            _ => {}
        }
    }
    inside.then_some(Fix::None)
}

impl Compiled {
    /// `Some(fix)` when `v` is affected.
    pub fn affects(&self, v: &SemVer) -> Option<Fix> {
        if self.all_versions {
            return Some(Fix::None);
        }
        self.ranges.iter().find_map(|r| range_contains(r, v))
    }
}

/// Unix seconds of an RFC 3339 timestamp (`2024-06-04T17:18:22Z`,
/// fractions and numeric offsets allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            let sign = if rb[0] == b'-' { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(t: &str) -> SemVer {
        SemVer::parse(t).unwrap_or_else(|| panic!("{t}"))
    }

    const ENTRY: &str = r#"{"schema_version":"1.3.1","id":"GO-2024-2887","modified":"2024-06-04T17:18:22Z",
      "published":"2024-06-04T17:18:22Z","aliases":["CVE-2024-24790"],
      "summary":"Unexpected behavior from Is methods for IPv4-mapped IPv6 addresses in net/netip",
      "details":"The various Is methods ...",
      "affected":[{"package":{"name":"stdlib","ecosystem":"Go"},
        "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.21.11"},{"introduced":"1.22.0-0"},{"fixed":"1.22.4"}]}],
        "ecosystem_specific":{"imports":[{"path":"net/netip","symbols":["Addr.IsLoopback"]}]}},
        {"package":{"name":"golang.org/x/net","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#;

    #[test]
    fn reads_a_real_shaped_entry() {
        let e = parse_entry(ENTRY.as_bytes(), "GO-2024-2887").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.aliases, vec!["CVE-2024-24790"]);
        assert_eq!(e.affected.len(), 1, "only stdlib is kept");
        let a = &e.affected[0];
        assert_eq!(a.packages, vec!["net/netip"]);
        assert_eq!(a.affects(&sv("1.21.10")), Some(Fix::In(sv("1.21.11"))));
        assert_eq!(a.affects(&sv("1.21.11")), None);
        assert_eq!(a.affects(&sv("1.21.13")), None);
        assert_eq!(a.affects(&sv("1.22.0-rc.1")), Some(Fix::In(sv("1.22.4"))));
        assert_eq!(a.affects(&sv("1.22.3")), Some(Fix::In(sv("1.22.4"))));
        assert_eq!(a.affects(&sv("1.22.4")), None);
        assert_eq!(a.affects(&sv("1.23.0")), None);
    }

    #[test]
    fn open_ranges_last_affected_and_no_ranges() {
        let open = Affected {
            module: "toolchain".into(),
            ranges: vec![vec![
                Event::Fixed("1.20.3".into()),
                Event::Introduced(Some("1.21.0-0".into())),
                Event::Introduced(None),
            ]],
            all_versions: false,
            packages: vec![],
        };
        // Unsorted events are read in version order.
        assert_eq!(open.affects(&sv("1.20.2")), Some(Fix::In(sv("1.20.3"))));
        assert_eq!(open.affects(&sv("1.20.3")), None);
        assert_eq!(open.affects(&sv("1.22.1")), Some(Fix::None));
        let last = Affected {
            ranges: vec![vec![
                Event::Introduced(Some("1.19.0".into())),
                Event::LastAffected("1.19.5".into()),
            ]],
            ..open.clone()
        };
        assert_eq!(last.affects(&sv("1.19.5")), Some(Fix::None));
        assert_eq!(last.affects(&sv("1.19.6")), None);
        assert_eq!(last.affects(&sv("1.18.0")), None);
        let all = Affected {
            ranges: vec![],
            all_versions: true,
            ..open
        };
        assert_eq!(all.affects(&sv("1.30.0")), Some(Fix::None));
    }

    #[test]
    fn refuses_malformed_entries() {
        let cases = [
            ("{", "JSON"),
            (
                r#"{"id":5,"modified":"2024-01-01T00:00:00Z"}"#,
                "invalid type",
            ),
            (r#"{"id":"GO-1","modified":"yesterday"}"#, "RFC 3339"),
            (
                r#"{"id":"GO-2","modified":"2024-01-01T00:00:00Z"}"#,
                "not `GO-1`",
            ),
            (
                r#"{"id":"GO-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.22"}]}]}]}"#,
                "not a SemVer",
            ),
            (
                r#"{"id":"GO-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.22.1"}]}]}]}"#,
                "exactly one",
            ),
            (
                r#"{"id":"GO-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.22.1"}]}]}]}"#,
                "needs an `introduced`",
            ),
            (
                r#"{"id":"GO-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"name":"stdlib"},"ranges":"all"}]}"#,
                "invalid type",
            ),
        ];
        for (text, want) in cases {
            let err = parse_entry(text.as_bytes(), "GO-1").expect_err(text);
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn modules_index_keeps_go_entries() {
        let text = r#"[{"path":"golang.org/x/net","vulns":[{"id":"GO-2023-0001","modified":"2023-01-01T00:00:00Z"}]},
            {"path":"stdlib","vulns":[{"id":"GO-2024-2887","modified":"2024-06-04T17:18:22Z","fixed":"1.22.4"}]},
            {"path":"toolchain","vulns":[{"id":"GO-2024-2887","modified":"2024-06-05T00:00:00Z"},{"id":"GO-2023-1840","modified":"2023-06-01T00:00:00Z"}]}]"#;
        let l = parse_modules(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            l,
            vec![
                Listed {
                    id: "GO-2023-1840".into(),
                    modified: "2023-06-01T00:00:00Z".into()
                },
                Listed {
                    id: "GO-2024-2887".into(),
                    modified: "2024-06-05T00:00:00Z".into()
                },
            ]
        );
        let bad = r#"[{"path":"stdlib","vulns":[{"id":"../../etc/passwd","modified":"2024-06-04T17:18:22Z"}]}]"#;
        assert!(parse_modules(bad.as_bytes()).is_err());
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-06-04T17:18:22Z"), Some(1_717_521_502));
        assert_eq!(
            parse_rfc3339("2024-06-04T19:18:22.123+02:00"),
            Some(1_717_521_502)
        );
        assert_eq!(parse_rfc3339("2024-13-04T17:18:22Z"), None);
        assert_eq!(parse_rfc3339("2024-06-04 17:18:22"), None);
    }
}
