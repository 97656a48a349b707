//! `gov mirror sync`: bring a mirror directory to the selection.
//!
//! Order of work, so that a host reading the mirror at any moment sees a
//! consistent one: plan (read the manifest, the upstream index, gov's
//! published digests; refuse a prune that would remove most of the mirror
//! before anything is touched) → download what is new, several at once,
//! each under a temporary name and renamed once verified → gov's artifacts
//! and install.sh → `index.json`, by one rename → only then remove what the
//! new index no longer names → the manifest. A file whose content is
//! unchanged is never rewritten, so a sync with nothing new changes no
//! file at all (not even index.json).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::fsutil;
use crate::core::report::Progress;
use crate::core::version::GoVersion;
use crate::install::{self, parse_archive_name};
use crate::mirror::artifacts::{self, Source};
use crate::mirror::fetch::{self, Fetched, Target};
use crate::mirror::manifest::{self, Entry, Held, Manifest, Stat, StoredSelection};
use crate::mirror::publish;
use crate::mirror::select::{self, Selection, Wanted};
use crate::mirror::{INDEX, INSTALLER};
use crate::net::index::{self, Release};

/// Downloads at once unless `--jobs` says otherwise: enough to fill a link
/// whose single connections are slow, few enough to be polite upstream.
pub const DEFAULT_JOBS: usize = 4;

/// Without any selection flag (and none remembered): what Go supports.
pub const DEFAULT_LINES: usize = 2;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dir: PathBuf,
    pub versions: Option<Vec<String>>,
    pub lines: Option<usize>,
    pub arches: Option<Vec<String>>,
    pub url: Option<String>,
    pub prune: bool,
    pub dry_run: bool,
    /// Lets a prune remove more than half of the archives.
    pub force: bool,
    /// gov's artifacts from this scripts/dist output instead of GOV_RELEASE_BASE
    /// (remembered for later syncs).
    pub dist: Option<PathBuf>,
    pub jobs: usize,
}

/// What a sync did (or, with `dry_run`, would do). Serialized as the
/// `--json` answer; the README documents the fields.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dir: String,
    pub url: Option<String>,
    pub dry_run: bool,
    pub index_changed: bool,
    pub files: Vec<FileReport>,
    pub failed: Vec<Failure>,
    pub downloaded_bytes: u64,
    pub elapsed_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub name: String,
    /// `go` (a release archive), `gov` (gov's artifact) or `installer`.
    pub kind: &'static str,
    /// `added`, `replaced`, `kept` or `removed`.
    pub action: &'static str,
    pub size: u64,
    pub downloaded: u64,
    pub resumed_from: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub name: String,
    pub error: String,
}

impl Report {
    pub fn count(&self, action: &str) -> usize {
        self.files.iter().filter(|f| f.action == action).count()
    }
}

fn describe(e: &Error) -> String {
    let mut s = e.message().to_string();
    for c in e.causes() {
        s.push_str(": ");
        s.push_str(&c);
    }
    s
}

fn file_report(name: &str, kind: &'static str, action: &'static str, size: u64) -> FileReport {
    FileReport {
        name: name.to_string(),
        kind,
        action,
        size,
        downloaded: 0,
        resumed_from: 0,
    }
}

/// The selection in force: the flags given, else the last sync's, else the
/// newest two lines for this host's architecture.
fn selection(opts: &Options, stored: Option<&StoredSelection>) -> Result<Selection> {
    let given = opts.versions.is_some() || opts.lines.is_some();
    let (versions, lines) = match (given, stored) {
        (true, _) => (opts.versions.clone().unwrap_or_default(), opts.lines),
        (false, Some(s)) => (s.versions.clone(), s.lines),
        (false, None) => (Vec::new(), Some(DEFAULT_LINES)),
    };
    if lines == Some(0) {
        return Err(Error::invalid("--lines must be at least 1"));
    }
    let raw_arches = match (&opts.arches, stored) {
        (Some(a), _) => a.clone(),
        (None, Some(s)) if !s.arches.is_empty() => s.arches.clone(),
        _ => vec![arch::host().to_string()],
    };
    let mut arches = Vec::new();
    for a in &raw_arches {
        let a = arch::parse(a)?;
        if !arches.contains(&a) {
            arches.push(a);
        }
    }
    Ok(Selection {
        versions,
        lines,
        arches,
    })
}

/// Whether `dir/name` already holds the file with this digest: trusted
/// without reading when its stat equals the manifest's, else re-hashed.
fn present(
    dir: &Path,
    name: &str,
    sha256: &str,
    size: Option<u64>,
    entry: Option<&Entry>,
) -> Option<Stat> {
    let stat = Stat::of(&dir.join(name))?;
    if size.is_some_and(|s| s != stat.size) {
        return None;
    }
    if let Some(e) = entry
        && e.sha256 == sha256
        && e.stat == stat
    {
        return Some(stat);
    }
    (fetch::hash_file(&dir.join(name)).ok()? == sha256).then_some(stat)
}

/// The published index: every held archive, grouped by release, newest
/// first, in go.dev's format.
pub fn render_index(held: &[Held]) -> Vec<u8> {
    let mut by_release: BTreeMap<String, Release> = BTreeMap::new();
    for h in held {
        let r = by_release
            .entry(h.version.clone())
            .or_insert_with(|| Release {
                version: h.version.clone(),
                stable: h.stable,
                files: Vec::new(),
            });
        r.files.push(h.file.clone());
    }
    let mut releases: Vec<(Option<GoVersion>, Release)> = by_release
        .into_values()
        .map(|mut r| {
            r.files.sort_by(|a, b| a.filename.cmp(&b.filename));
            (GoVersion::parse_lenient(&r.version), r)
        })
        .collect();
    releases.sort_by(|a, b| b.0.cmp(&a.0));
    let releases: Vec<Release> = releases.into_iter().map(|(_, r)| r).collect();
    let mut out = serde_json::to_vec_pretty(&releases).unwrap_or_else(|_| b"[]".to_vec());
    out.push(b'\n');
    out
}

struct Planned {
    wanted: Wanted,
    replaces: bool,
}

pub fn sync(app: &App, opts: &Options) -> Result<Report> {
    let started = Instant::now();
    let dir = opts.dir.as_path();
    if dir.exists() && !dir.is_dir() {
        return Err(Error::invalid(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let _guard = if opts.dry_run {
        None
    } else {
        fsutil::create_dir_all(dir)?;
        let guard = publish::lock(dir, |m| app.ui.status(m))?;
        served_by_every_account(app, dir)?;
        Some(guard)
    };
    let warn = |m: &str| app.ui.warn(m);
    let old = manifest::read(dir, &warn);
    let sel = selection(opts, old.selection.as_ref())?;
    let url = match &opts.url {
        Some(u) => Some(artifacts::check_stamp_url(u)?),
        None => old.url.clone(),
    };
    let client = app.client()?;
    let index_url = index::index_url();
    app.ui
        .status(&format!("reading the upstream index {index_url}"));
    let upstream = index::fetch_full(&client, &index_url)?;
    let (wanted, rejected) = select::select(&upstream, &sel)?;
    let mut failed: Vec<Failure> = rejected
        .into_iter()
        .map(|r| Failure {
            name: r.name,
            error: r.why,
        })
        .collect();

    // Go archives: keep what is intact, fetch the rest.
    let mut files: Vec<FileReport> = Vec::new();
    let mut next = Manifest {
        url: url.clone(),
        selection: Some(StoredSelection {
            versions: sel.versions.clone(),
            lines: sel.lines,
            arches: sel.arches.clone(),
        }),
        dist: opts.dist.clone().or_else(|| old.dist.clone()),
        files: BTreeMap::new(),
    };
    let mut to_fetch: Vec<Planned> = Vec::new();
    let wanted_names: BTreeSet<String> = wanted.iter().map(|w| w.file.filename.clone()).collect();
    for w in wanted {
        let name = w.file.filename.clone();
        match present(
            dir,
            &name,
            &w.file.sha256,
            Some(w.file.size),
            old.files.get(&name),
        ) {
            Some(stat) => {
                files.push(file_report(&name, "go", "kept", w.file.size));
                next.files.insert(
                    name,
                    Entry {
                        sha256: w.file.sha256.clone(),
                        stat,
                        release: Some(Held {
                            version: w.file.version.clone(),
                            stable: w.stable,
                            file: w.file.clone(),
                        }),
                    },
                );
            }
            None => {
                let replaces = dir.join(&name).exists();
                to_fetch.push(Planned {
                    wanted: w,
                    replaces,
                });
            }
        }
    }

    // What the selection no longer holds.
    let mut unlisted: Vec<String> = old
        .files
        .iter()
        .filter(|(n, e)| e.release.is_some() && !wanted_names.contains(*n))
        .map(|(n, _)| n.clone())
        .collect();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if parse_archive_name(&n).is_some()
            && !wanted_names.contains(&n)
            && !old.files.contains_key(&n)
        {
            unlisted.push(n);
        }
    }
    let mut to_remove: Vec<String> = Vec::new();
    if opts.prune {
        let held = old
            .files
            .iter()
            .filter(|(n, e)| e.release.is_some() && dir.join(n).is_file())
            .count()
            + unlisted
                .iter()
                .filter(|n| !old.files.contains_key(*n))
                .count();
        let removing = unlisted.iter().filter(|n| dir.join(n).is_file()).count();
        if removing * 2 > held && !opts.force {
            return Err(Error::new(
                ErrorKind::State,
                format!(
                    "pruning would remove {removing} of the {held} archives this mirror holds; nothing was changed"
                ),
            )
            .with_advice(
                "check --versions, --lines and --arch (run with --dry-run to see the list); pass --force if that is really what you want",
            ));
        }
        to_remove = unlisted.clone();
    } else {
        // Still held: listed as before, if intact.
        for n in &unlisted {
            let Some(e) = old.files.get(n) else { continue };
            if let Some(stat) = present(dir, n, &e.sha256, Some(e.stat.size), Some(e)) {
                let mut e = e.clone();
                e.stat = stat;
                files.push(file_report(n, "go", "kept", stat.size));
                next.files.insert(n.clone(), e);
            } else {
                app.ui.warn(&format!(
                    "{n} no longer matches what sync wrote; it is left out of index.json (`gov mirror verify` checks the mirror)"
                ));
            }
        }
    }

    // gov's own artifacts: the published digests decide whether to fetch.
    let source = match &next.dist {
        Some(d) => Source::Dist(d.clone()),
        None => Source::Base(install::self_update::release_base_from_env()),
    };
    let client_fn = || app.client();
    let host_triple = install::self_update::target_triple();
    let mut gov_fetch: Vec<(String, String, bool)> = Vec::new();
    for triple in artifacts::triples_for(&sel.arches) {
        let name = artifacts::artifact_name(&triple);
        match artifacts::expected_sha256(&client_fn, &source, &name) {
            Ok(sha) => match present(dir, &name, &sha, None, old.files.get(&name)) {
                Some(stat) => {
                    files.push(file_report(&name, "gov", "kept", stat.size));
                    next.files.insert(
                        name,
                        Entry {
                            sha256: sha,
                            stat,
                            release: None,
                        },
                    );
                }
                None => {
                    let replaces = dir.join(&name).exists();
                    gov_fetch.push((name, sha, replaces));
                }
            },
            Err(e)
                if triple != host_triple
                    && (e.kind() == ErrorKind::NotFound || e.message().contains("404")) =>
            {
                app.ui.warn(&format!(
                    "{} has no {name}; hosts of that architecture build gov from source",
                    source.describe()
                ));
            }
            Err(e) => failed.push(Failure {
                name,
                error: describe(&e),
            }),
        }
    }
    let installer = artifacts::installer(url.as_deref());
    let installer_action = if artifacts::same_content(&dir.join(INSTALLER), &installer) {
        "kept"
    } else if dir.join(INSTALLER).exists() {
        "replaced"
    } else {
        "added"
    };
    if url.is_none() {
        app.ui.warn(
            "no --url given: the mirror's install.sh installs gov from GOV_RELEASE_BASE and does not point hosts at the mirror; pass --url with the address hosts reach this directory at",
        );
    }

    if opts.dry_run {
        for p in &to_fetch {
            let action = if p.replaces { "replaced" } else { "added" };
            files.push(file_report(
                &p.wanted.file.filename,
                "go",
                action,
                p.wanted.file.size,
            ));
        }
        for (name, _, replaces) in &gov_fetch {
            files.push(file_report(
                name,
                "gov",
                if *replaces { "replaced" } else { "added" },
                0,
            ));
        }
        files.push(file_report(
            INSTALLER,
            "installer",
            installer_action,
            installer.len() as u64,
        ));
        for n in &to_remove {
            files.push(file_report(
                n,
                "go",
                "removed",
                Stat::of(&dir.join(n)).map_or(0, |s| s.size),
            ));
        }
        let mut held: Vec<Held> = next
            .files
            .values()
            .filter_map(|e| e.release.clone())
            .collect();
        held.extend(to_fetch.iter().map(|p| Held {
            version: p.wanted.file.version.clone(),
            stable: p.wanted.stable,
            file: p.wanted.file.clone(),
        }));
        let index_changed = !artifacts::same_content(&dir.join(INDEX), &render_index(&held));
        return Ok(Report {
            dir: dir.display().to_string(),
            url,
            dry_run: true,
            index_changed,
            files,
            failed,
            downloaded_bytes: 0,
            elapsed_seconds: started.elapsed().as_secs_f64(),
        });
    }

    // Downloads.
    let mirrors = install::mirrors()?;
    let total: u64 = to_fetch.iter().map(|p| p.wanted.file.size).sum();
    if !to_fetch.is_empty() {
        app.ui.status(&format!(
            "downloading {} archives ({}) from {}",
            to_fetch.len(),
            crate::core::report::human_bytes(total),
            mirrors.join(", ")
        ));
    }
    let progress = app.ui.progress(Some(total), "mirror");
    let results = download_all(
        &client,
        dir,
        &mirrors,
        &to_fetch,
        opts.jobs.max(1),
        &progress,
    );
    progress.finish();
    let mut downloaded_bytes = 0;
    for (p, result) in to_fetch.iter().zip(results) {
        let name = &p.wanted.file.filename;
        let outcome = result.and_then(|f| {
            Stat::of(&dir.join(name))
                .map(|s| (f, s))
                .ok_or_else(|| Error::new(ErrorKind::Io, format!("{name} vanished after download")))
        });
        match outcome {
            Ok((f, stat)) => {
                downloaded_bytes += f.downloaded;
                files.push(FileReport {
                    downloaded: f.downloaded,
                    resumed_from: f.resumed_from,
                    ..file_report(
                        name,
                        "go",
                        if p.replaces { "replaced" } else { "added" },
                        stat.size,
                    )
                });
                next.files.insert(
                    name.clone(),
                    Entry {
                        sha256: p.wanted.file.sha256.clone(),
                        stat,
                        release: Some(Held {
                            version: p.wanted.file.version.clone(),
                            stable: p.wanted.stable,
                            file: p.wanted.file.clone(),
                        }),
                    },
                );
            }
            Err(e) => failed.push(Failure {
                name: name.clone(),
                error: describe(&e),
            }),
        }
    }

    for (name, sha, replaces) in gov_fetch {
        let written =
            artifacts::fetch_verified(&client_fn, &source, &name, &sha).and_then(|bytes| {
                fsutil::write_atomic(&dir.join(&name), &bytes)?;
                Ok(bytes.len() as u64)
            });
        match written.and_then(|n| {
            Stat::of(&dir.join(&name))
                .map(|s| (n, s))
                .ok_or_else(|| Error::new(ErrorKind::Io, format!("{name} vanished after writing")))
        }) {
            Ok((n, stat)) => {
                downloaded_bytes += n;
                files.push(FileReport {
                    downloaded: n,
                    ..file_report(&name, "gov", if replaces { "replaced" } else { "added" }, n)
                });
                next.files.insert(
                    name,
                    Entry {
                        sha256: sha,
                        stat,
                        release: None,
                    },
                );
            }
            Err(e) => failed.push(Failure {
                name,
                error: describe(&e),
            }),
        }
    }
    // Each artifact's .sha256 and .sig beside it, for install.sh and
    // self-update; a signature that does not verify is not published.
    for (name, e) in next.files.iter().filter(|(_, e)| e.release.is_none()) {
        let sum = dir.join(format!("{name}.sha256"));
        let line = artifacts::sha256_line(&e.sha256, name);
        if !artifacts::same_content(&sum, &line) {
            fsutil::write_atomic(&sum, &line)?;
        }
        match artifacts::fetch_signature(&client_fn, &source, name, &dir.join(name)) {
            Ok(sig) => {
                let path = dir.join(format!("{name}.sig"));
                if !artifacts::same_content(&path, &sig) {
                    fsutil::write_atomic(&path, &sig)?;
                }
            }
            Err(e) => failed.push(Failure {
                name: format!("{name}.sig"),
                error: describe(&e),
            }),
        }
    }
    if installer_action != "kept" {
        fsutil::write_atomic_mode(&dir.join(INSTALLER), &installer, 0o644)?;
    }
    files.push(file_report(
        INSTALLER,
        "installer",
        installer_action,
        installer.len() as u64,
    ));
    fsutil::fsync_dir(dir)?;

    // The index, last and by rename: everything it names is in place.
    let held: Vec<Held> = next
        .files
        .values()
        .filter_map(|e| e.release.clone())
        .collect();
    let index_bytes = render_index(&held);
    let index_changed = !artifacts::same_content(&dir.join(INDEX), &index_bytes);
    if index_changed {
        fsutil::write_atomic(&dir.join(INDEX), &index_bytes)?;
    }

    // Only now, with no published index naming them, remove what is gone.
    if !to_remove.is_empty() && !failed.is_empty() {
        app.ui
            .warn("some files failed: nothing is pruned this time");
    } else {
        for n in &to_remove {
            let p = dir.join(n);
            // Plain files under release names only, never through a link.
            if manifest::valid_name(n)
                && let Some(stat) = Stat::of(&p)
            {
                std::fs::remove_file(&p).map_err(|e| {
                    Error::new(ErrorKind::Io, format!("cannot remove {}", p.display()))
                        .with_source(e)
                })?;
                files.push(file_report(n, "go", "removed", stat.size));
            }
        }
    }
    // Partials of files no longer wanted are nobody's.
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if let Some(base) = n.strip_prefix('.').and_then(|b| b.strip_suffix(".partial"))
            && !to_fetch.iter().any(|p| p.wanted.file.filename == base)
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
    fsutil::fsync_dir(dir)?;
    manifest::write(dir, &next)?;
    let sums: Vec<String> = next
        .files
        .iter()
        .filter(|(_, e)| e.release.is_none())
        .map(|(n, _)| format!("{n}.sha256"))
        .collect();
    publish::open_files(
        dir,
        next.files
            .keys()
            .chain(&sums)
            .map(String::as_str)
            .chain([INDEX, INSTALLER]),
    )?;
    Ok(Report {
        dir: dir.display().to_string(),
        url,
        dry_run: false,
        index_changed,
        files,
        failed,
        downloaded_bytes,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The mirror is for every account to read (a web server's workers): its
/// root is opened up if this account made it private, and a folder above
/// it that others cannot search is named.
fn served_by_every_account(app: &App, dir: &Path) -> Result<()> {
    if let Some(was) = publish::open_root(dir)? {
        app.ui.status(&format!(
            "made {} readable by every account (it was {was:04o}), as a web server's workers need",
            dir.display()
        ));
    }
    if let Some((closed, mode)) = publish::closed_ancestor(dir) {
        app.ui.warn(&format!(
            "{} is mode {mode:04o}: a web server running as another account cannot reach the mirror through it",
            closed.display()
        ));
    }
    Ok(())
}

/// Runs the downloads on `jobs` threads; results in `planned`'s order.
fn download_all(
    client: &reqwest::blocking::Client,
    dir: &Path,
    mirrors: &[String],
    planned: &[Planned],
    jobs: usize,
    progress: &Arc<dyn Progress>,
) -> Vec<Result<Fetched>> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Result<Fetched>>>> =
        Mutex::new((0..planned.len()).map(|_| None).collect());
    let take = || {
        let mut g = next.lock().unwrap_or_else(|p| p.into_inner());
        let i = *g;
        *g += 1;
        (i < planned.len()).then_some(i)
    };
    std::thread::scope(|s| {
        for _ in 0..jobs.min(planned.len()) {
            s.spawn(|| {
                while let Some(i) = take() {
                    let f = &planned[i].wanted.file;
                    let target = Target {
                        name: &f.filename,
                        sha256: &f.sha256,
                        size: f.size,
                        urls: mirrors
                            .iter()
                            .map(|m| format!("{m}/{}", f.filename))
                            .collect(),
                    };
                    let r = fetch::fetch(client, dir, &target, progress);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::new(ErrorKind::Io, "a download thread stopped"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::index::ReleaseFile;

    fn held(v: &str, arch: &str) -> Held {
        Held {
            version: format!("go{v}"),
            stable: true,
            file: ReleaseFile {
                filename: format!("go{v}.linux-{arch}.tar.gz"),
                os: "linux".into(),
                arch: arch.into(),
                version: format!("go{v}"),
                sha256: "ab".repeat(32),
                size: 1,
                kind: "archive".into(),
            },
        }
    }

    #[test]
    fn index_groups_releases_newest_first_in_go_order() {
        let bytes = render_index(&[
            held("1.9.7", "amd64"),
            held("1.22.10", "arm64"),
            held("1.22.10", "amd64"),
            held("1.21rc1", "amd64"),
        ]);
        let releases: Vec<Release> = serde_json::from_slice(&bytes).unwrap_or_default();
        let v: Vec<&str> = releases.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(v, ["go1.22.10", "go1.21rc1", "go1.9.7"]);
        assert_eq!(releases[0].files[0].arch, "amd64");
        assert_eq!(render_index(&[]), b"[]\n");
    }
}
