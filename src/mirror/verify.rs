//! `gov mirror verify`: re-hash everything the mirror publishes, offline,
//! against its own `index.json` (whose digests came from upstream's index)
//! and gov's artifacts against their `.sha256` files and their signatures
//! (`.sig`) against the release keys built into this gov. The manifest is
//! not trusted here: every byte is read.

use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::install::{release_sig, self_update};
use crate::mirror::fetch::hash_file;
use crate::mirror::select::safe_name;
use crate::mirror::{INDEX, INSTALLER};
use crate::net::index::Release;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// The file, as index.json names it.
    pub name: String,
    /// `missing`, `size`, `checksum`, `signature`, `unsafe-name`, `unreadable` or
    /// `snapshot` (the checksum-database snapshot does not prove a module).
    pub problem: &'static str,
    /// What was found, for people.
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// The mirror directory.
    pub dir: String,
    /// No problems were found.
    pub ok: bool,
    /// Files re-hashed.
    pub checked: usize,
    /// Bytes read to re-hash them.
    pub bytes: u64,
    pub problems: Vec<Problem>,
}

struct Check {
    name: String,
    sha256: String,
    size: Option<u64>,
}

pub fn verify(dir: &Path, jobs: usize) -> Result<Report> {
    let index_path = dir.join(INDEX);
    // A mirror of modules only (`gov mirror modules`) has no release index.
    let modules_only = !index_path.exists() && dir.join(crate::mirror::snapshot::DIR).is_dir();
    let bytes = if modules_only {
        Ok(b"[]".to_vec())
    } else {
        std::fs::read(&index_path)
    };
    let bytes = bytes
        .context(|| format!("reading {}", index_path.display()))
        .map_err(|e| e.with_advice("is this a mirror `gov mirror sync` built?"))?;
    let releases: Vec<Release> = serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            ErrorKind::State,
            format!("{} is not a release index", index_path.display()),
        )
        .with_source(e)
        .with_advice("run `gov mirror sync` to rebuild it")
    })?;
    let mut problems = Vec::new();
    let mut checks = Vec::new();
    for f in releases.iter().flat_map(|r| r.files.iter()) {
        if !safe_name(&f.filename) {
            problems.push(Problem {
                name: f.filename.clone(),
                problem: "unsafe-name",
                detail: "index.json names a file outside the mirror's directory".into(),
            });
            continue;
        }
        checks.push(Check {
            name: f.filename.clone(),
            sha256: f.sha256.to_ascii_lowercase(),
            size: Some(f.size),
        });
    }
    // gov's artifacts, each named by its .sha256.
    let mut sums: Vec<String> = std::fs::read_dir(dir)
        .context(|| format!("listing {}", dir.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gov-") && n.ends_with(".tar.gz.sha256"))
        .collect();
    sums.sort();
    for sum in sums {
        let name = sum.trim_end_matches(".sha256").to_string();
        if let Some(p) = check_signature(dir, &name) {
            problems.push(p);
        }
        match std::fs::read(dir.join(&sum))
            .ok()
            .and_then(|b| self_update::parse_sha256_file(&b))
        {
            Some(sha256) => checks.push(Check {
                name,
                sha256,
                size: None,
            }),
            None => problems.push(Problem {
                name: sum,
                problem: "unreadable",
                detail: "holds no sha256 digest".into(),
            }),
        }
    }
    if !modules_only && !dir.join(INSTALLER).is_file() {
        problems.push(Problem {
            name: INSTALLER.into(),
            problem: "missing",
            detail: "hosts cannot bootstrap from this mirror".into(),
        });
    }

    problems.extend(check_modules(dir));

    let total = Mutex::new(0u64);
    let found = crate::mirror::in_parallel(&checks, jobs, |c| check(dir, c, &total));
    problems.extend(found.into_iter().flatten().flatten());
    Ok(Report {
        dir: dir.display().to_string(),
        ok: problems.is_empty(),
        checked: checks.len(),
        bytes: total.into_inner().unwrap_or_else(|p| p.into_inner()),
        problems,
    })
}

/// The toolchain module versions `list` names: each zip checked as cmd/go
/// checks it and its `h1:` equal to the record the snapshot proves against
/// its signed head (with the key sync proved it with).
fn check_modules(dir: &Path) -> Vec<Problem> {
    use crate::mirror::{manifest, snapshot, toolchains};
    let list_name = format!("{}/list", toolchains::MODULE_DIR);
    let list = std::fs::read_to_string(dir.join(&list_name)).unwrap_or_default();
    let versions: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    if versions.is_empty() && !dir.join(snapshot::DIR).is_dir() {
        return Vec::new();
    }
    let problem = |name: String, problem, detail: String| Problem {
        name,
        problem,
        detail,
    };
    let key = manifest::read(dir, &|_| {}).sumdb_key;
    let Some(verifier) = key.and_then(|k| crate::trust::note::Verifier::parse(&k).ok()) else {
        let why = "the manifest records no checksum database key: run `gov mirror sync`";
        return vec![problem(list_name, "snapshot", why.into())];
    };
    let (proven, mut problems) = snapshot::check(dir, &verifier);
    let mut out: Vec<Problem> = problems
        .drain(..)
        .map(|(name, why)| problem(name, "snapshot", why))
        .collect();
    out.extend(check_module_zips(dir, &proven));
    for modver in versions {
        let name = toolchains::file_name(modver, "zip");
        if !crate::mirror::select::safe_name(modver) {
            out.push(problem(
                list_name.clone(),
                "unsafe-name",
                format!("lists `{modver}`"),
            ));
            continue;
        }
        let record = proven
            .iter()
            .find(|(m, v, _)| m == crate::trust::distpack::TOOLCHAIN_MODULE && v == modver);
        let Some((_, _, want)) = record else {
            out.push(problem(
                name,
                "snapshot",
                "no proven checksum-database record".into(),
            ));
            continue;
        };
        match toolchains::zip_h1(&dir.join(&name), modver) {
            Ok(h1) if &h1 == want => {}
            Ok(h1) => out.push(problem(
                name,
                "checksum",
                format!("{h1}, the database records {want}"),
            )),
            Err(e) => out.push(problem(name, "checksum", e.message().to_string())),
        }
        for ext in ["info", "mod"] {
            let n = toolchains::file_name(modver, ext);
            if !dir.join(&n).is_file() {
                out.push(problem(n, "missing", "listed version without it".into()));
            }
        }
    }
    out
}

/// The zips of ordinary modules (`gov mirror modules`) the snapshot
/// proves a record for: each one's `h1:` against it.
fn check_module_zips(dir: &Path, proven: &[(String, String, String)]) -> Vec<Problem> {
    use crate::mirror::{modules, toolchains};
    let mut out = Vec::new();
    for (module, version, want) in proven {
        if module == crate::trust::distpack::TOOLCHAIN_MODULE {
            continue;
        }
        let mv = modules::ModuleVersion {
            path: module.clone(),
            version: version.clone(),
        };
        let Ok(name) = modules::file_name(&mv, "zip") else {
            continue;
        };
        let problem = |detail: String| Problem {
            name: name.clone(),
            problem: "checksum",
            detail,
        };
        match toolchains::module_zip_h1(&dir.join(&name), module, version) {
            Ok(h1) if &h1 == want => {}
            Ok(h1) => out.push(problem(format!("{h1}, the database records {want}"))),
            Err(e) => out.push(problem(e.message().to_string())),
        }
    }
    out
}

/// Whether gov's artifact `name` carries a valid `.sig`.
fn check_signature(dir: &Path, name: &str) -> Option<Problem> {
    let sig_name = format!("{name}.sig");
    let problem = |detail: String| {
        Some(Problem {
            name: sig_name.clone(),
            problem: "signature",
            detail,
        })
    };
    let keys = release_sig::trusted_keys();
    let sig_path = dir.join(&sig_name);
    let too_big = std::fs::metadata(&sig_path)
        .is_ok_and(|m| m.len() > 16 * release_sig::MAX_SIG_BYTES || !m.is_file());
    if too_big {
        return problem("not a signature file (too large, or not a regular file)".into());
    }
    let Ok(sig) = std::fs::read(&sig_path) else {
        return problem(format!(
            "missing: hosts cannot verify {name}; expected a signature by one of: {}",
            release_sig::fingerprints(&keys)
        ));
    };
    let data = match std::fs::read(dir.join(name)) {
        Ok(d) => d,
        // The artifact's own check reports it.
        Err(_) => return None,
    };
    match release_sig::verify(name, &data, &sig, &keys) {
        Ok(_) => None,
        Err(e) => problem(e.message().to_string()),
    }
}

fn check(dir: &Path, c: &Check, total: &Mutex<u64>) -> Option<Problem> {
    let path = dir.join(&c.name);
    let problem = |problem, detail: String| {
        Some(Problem {
            name: c.name.clone(),
            problem,
            detail,
        })
    };
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return problem("missing", "not a regular file".into()),
        Err(_) => return problem("missing", "named by the index but not in the mirror".into()),
    };
    if let Some(size) = c.size
        && meta.len() != size
    {
        return problem(
            "size",
            format!("{} bytes, the index says {size}", meta.len()),
        );
    }
    *total.lock().unwrap_or_else(|p| p.into_inner()) += meta.len();
    match hash_file(&path) {
        Ok(got) if got == c.sha256 => None,
        Ok(got) => problem("checksum", format!("sha256 {got}, expected {}", c.sha256)),
        Err(e) => problem("unreadable", e.to_string()),
    }
}
