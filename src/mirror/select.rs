//! Which archives a mirror holds: `--versions` resolved the way
//! `gov install` resolves a request, `--lines N` (the newest patch of each of
//! the N newest minor lines), for each `--arch`; Linux archives only. Every
//! upstream entry is checked before it can name a file in the mirror.

use std::collections::BTreeSet;

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::version::{GoVersion, VersionRequest};
use crate::net::index::{Index, IndexSource, Release, ReleaseFile};

/// The largest archive a mirror accepts (Go's are under 100 MiB).
pub const MAX_ARCHIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Requests as `gov install` takes them: `1.22.5`, `1.22`, `latest`.
    pub versions: Vec<String>,
    /// The newest patch of each of the N newest minor lines.
    pub lines: Option<usize>,
    /// Go architectures (`amd64`, `arm64`, ...).
    pub arches: Vec<String>,
}

/// One archive to hold.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub version: GoVersion,
    pub stable: bool,
    pub file: ReleaseFile,
}

/// An upstream entry that was selected but cannot be mirrored.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub name: String,
    pub why: String,
}

/// Is `name` a plain file name a mirror may hold (no path, no hidden or
/// special name, only the characters release names use)?
pub fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
}

/// Checks an upstream entry: the file name is exactly the release's own
/// (`go1.22.5.linux-amd64.tar.gz` for go1.22.5 on amd64), the digest is a
/// sha256, the size is plausible.
pub fn check_entry(release: &str, f: &ReleaseFile) -> std::result::Result<(), String> {
    if !safe_name(&f.filename) {
        return Err(format!(
            "the upstream index names the file `{}`, which is not a plain file name",
            f.filename.escape_debug()
        ));
    }
    let expected = format!("{release}.linux-{}.tar.gz", f.arch);
    if f.filename != expected {
        return Err(format!(
            "the upstream index lists `{}` for {release} on {}; its release name is {expected}",
            f.filename, f.arch
        ));
    }
    if f.version != release {
        return Err(format!(
            "the upstream index lists {} under {release} with version `{}`",
            f.filename,
            f.version.escape_debug()
        ));
    }
    if f.sha256.len() != 64
        || !f
            .sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(format!(
            "the upstream index gives {} no valid sha256 (`{}`)",
            f.filename,
            f.sha256.escape_debug()
        ));
    }
    if f.size == 0 || f.size > MAX_ARCHIVE_BYTES {
        return Err(format!(
            "the upstream index gives {} an implausible size ({} bytes)",
            f.filename, f.size
        ));
    }
    Ok(())
}

/// Picks the archives. Entries that fail [`check_entry`] are rejected (and
/// reported), never mirrored; a request no release matches is an error.
pub fn select(releases: &[Release], sel: &Selection) -> Result<(Vec<Wanted>, Vec<Rejected>)> {
    let index = Index::new(releases.to_vec(), IndexSource::File, String::new());
    let mut versions: Vec<GoVersion> = Vec::new();
    let mut add = |v: &GoVersion| {
        if !versions.contains(v) {
            versions.push(v.clone());
        }
    };
    for raw in &sel.versions {
        let req = VersionRequest::parse(raw)?;
        let found = sel
            .arches
            .iter()
            .filter_map(|a| index.resolve(&req, a).ok())
            .map(|r| r.version)
            .collect::<Vec<_>>();
        match found.first() {
            Some(v) => add(v),
            None => {
                // The error `gov install` would give, for the first arch.
                let arch = sel.arches.first().map_or("amd64", String::as_str);
                return Err(index.resolve(&req, arch).err().unwrap_or_else(|| {
                    Error::new(ErrorKind::NotFound, format!("Go {raw} has no archive"))
                }));
            }
        }
    }
    if let Some(n) = sel.lines {
        let mut families = BTreeSet::new();
        for (v, r) in index.releases() {
            if families.len() == n {
                break;
            }
            if r.stable && families.insert(v.family()) {
                add(v);
            }
        }
    }

    let mut wanted = Vec::new();
    let mut rejected = Vec::new();
    let mut names = BTreeSet::new();
    for (v, r) in index.releases().filter(|(v, _)| versions.contains(v)) {
        for f in r
            .files
            .iter()
            .filter(|f| f.os == "linux" && f.kind == "archive" && sel.arches.contains(&f.arch))
        {
            if !names.insert(f.filename.clone()) {
                continue;
            }
            match check_entry(&r.version, f) {
                Ok(()) => wanted.push(Wanted {
                    version: v.clone(),
                    stable: r.stable,
                    file: f.clone(),
                }),
                Err(why) => rejected.push(Rejected {
                    name: f.filename.clone(),
                    why,
                }),
            }
        }
    }
    Ok((wanted, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(v: &str, arch: &str) -> ReleaseFile {
        ReleaseFile {
            filename: format!("go{v}.linux-{arch}.tar.gz"),
            os: "linux".into(),
            arch: arch.into(),
            version: format!("go{v}"),
            sha256: "ab".repeat(32),
            size: 10,
            kind: "archive".into(),
        }
    }

    fn rel(v: &str, stable: bool) -> Release {
        let mut darwin = file(v, "arm64");
        darwin.os = "darwin".into();
        darwin.filename = format!("go{v}.darwin-arm64.tar.gz");
        Release {
            version: format!("go{v}"),
            stable,
            files: vec![file(v, "amd64"), file(v, "arm64"), darwin],
        }
    }

    fn upstream() -> Vec<Release> {
        vec![
            rel("1.24rc1", false),
            rel("1.23.4", true),
            rel("1.23.3", true),
            rel("1.22.10", true),
            rel("1.21.13", true),
        ]
    }

    fn names(sel: &Selection) -> Vec<String> {
        let (w, _) = select(&upstream(), sel).unwrap_or_else(|e| panic!("{e}"));
        w.into_iter().map(|w| w.file.filename).collect()
    }

    #[test]
    fn lines_take_the_newest_patch_of_each_stable_line() {
        let sel = Selection {
            versions: vec![],
            lines: Some(2),
            arches: vec!["amd64".into()],
        };
        assert_eq!(
            names(&sel),
            [
                "go1.23.4.linux-amd64.tar.gz",
                "go1.22.10.linux-amd64.tar.gz"
            ]
        );
    }

    #[test]
    fn versions_resolve_like_install_and_arches_multiply() {
        let sel = Selection {
            versions: vec!["1.21".into(), "1.24rc1".into(), "1.21.13".into()],
            lines: None,
            arches: vec!["amd64".into(), "arm64".into()],
        };
        assert_eq!(
            names(&sel),
            [
                "go1.24rc1.linux-amd64.tar.gz",
                "go1.24rc1.linux-arm64.tar.gz",
                "go1.21.13.linux-amd64.tar.gz",
                "go1.21.13.linux-arm64.tar.gz"
            ]
        );
        let bad = Selection {
            versions: vec!["1.19".into()],
            ..sel
        };
        let e = select(&upstream(), &bad).expect_err("no 1.19");
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn hostile_entries_are_rejected() {
        let mut r = rel("1.23.4", true);
        r.files[0].filename = "../../etc/cron.d/x".into();
        r.files[1].sha256 = "zz".into();
        let sel = Selection {
            versions: vec!["1.23.4".into()],
            lines: None,
            arches: vec!["amd64".into(), "arm64".into()],
        };
        let (w, rej) = select(&[r], &sel).unwrap_or_else(|e| panic!("{e}"));
        assert!(w.is_empty());
        assert_eq!(rej.len(), 2, "{rej:?}");
        for bad in ["a/b", "..", ".hidden", "", "x\0y", "go1.tar.gz\n"] {
            assert!(!safe_name(bad), "{bad:?}");
        }
        assert!(safe_name("go1.22.5.linux-amd64.tar.gz"));
        let mut f = file("1.23.4", "amd64");
        f.filename = "go1.23.3.linux-amd64.tar.gz".into();
        assert!(check_entry("go1.23.4", &f).is_err());
        f = file("1.23.4", "amd64");
        f.size = 0;
        assert!(check_entry("go1.23.4", &f).is_err());
    }
}
