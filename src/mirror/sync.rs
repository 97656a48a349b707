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
use std::sync::Arc;
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
use crate::mirror::signatures;
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
    /// Whether to publish the toolchain module layout (None: as last time;
    /// first time: yes).
    pub modules: Option<bool>,
}

/// What a sync did (or, with `dry_run`, would do): the `--json` answer
/// (docs/reference/json/mirror-sync.json).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// The mirror directory.
    pub dir: String,
    /// Where hosts reach it (`--url`, or the last sync's), if known.
    pub url: Option<String>,
    pub dry_run: bool,
    /// index.json was (or, with `dry_run`, would be) rewritten.
    pub index_changed: bool,
    /// The files of the selection, and those removed.
    pub files: Vec<FileReport>,
    /// Files that could not be mirrored (index.json does not list them).
    pub failed: Vec<Failure>,
    /// Bytes that came over the network in this run.
    pub downloaded_bytes: u64,
    /// How long the run took.
    pub elapsed_seconds: f64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileReport {
    /// The file's name in the mirror directory.
    pub name: String,
    /// `go` (a release archive), `gov` (gov's artifact), `installer` or
    /// `module` (a toolchain module zip, `golang.org/toolchain/@v/...`).
    pub kind: &'static str,
    /// `added`, `replaced`, `kept` or `removed`.
    pub action: &'static str,
    /// The file's size in bytes.
    pub size: u64,
    /// Bytes of it that came over the network in this run.
    pub downloaded: u64,
    /// Bytes a partial download from an earlier run already held.
    pub resumed_from: u64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Failure {
    /// The file that could not be mirrored.
    pub name: String,
    /// Why, with its causes.
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

/// One of gov's own artifacts that sync fetches.
struct PlannedArtifact {
    name: String,
    sha256: String,
    replaces: bool,
}

/// What the planning phases decided and what the later phases add to:
/// the manifest being built, the report's rows, the failures.
struct SyncPlan<'a> {
    dir: &'a Path,
    url: Option<String>,
    /// The manifest the sync ends with; holds what is kept or fetched.
    next: Manifest,
    files: Vec<FileReport>,
    failed: Vec<Failure>,
    to_fetch: Vec<Planned>,
    to_remove: Vec<String>,
    artifacts: Vec<PlannedArtifact>,
    source: Source,
    installer: Vec<u8>,
    installer_action: &'static str,
    downloaded_bytes: u64,
}

impl SyncPlan<'_> {
    fn keep(&mut self, name: String, kind: &'static str, entry: Entry) {
        self.files
            .push(file_report(&name, kind, "kept", entry.stat.size));
        self.next.files.insert(name, entry);
    }

    /// The row of install.sh (written or kept as planned).
    fn report_installer(&mut self) {
        let size = self.installer.len() as u64;
        let row = file_report(INSTALLER, "installer", self.installer_action, size);
        self.files.push(row);
    }

    fn fail(&mut self, name: String, e: &Error) {
        self.failed.push(Failure {
            name,
            error: describe(e),
        });
    }

    /// The Go archives the index will name.
    fn held(&self) -> Vec<Held> {
        self.next
            .files
            .values()
            .filter_map(|e| e.release.clone())
            .collect()
    }

    fn report(self, dry_run: bool, index_changed: bool, started: Instant) -> Report {
        Report {
            dir: self.dir.display().to_string(),
            url: self.url,
            dry_run,
            index_changed,
            files: self.files,
            failed: self.failed,
            downloaded_bytes: self.downloaded_bytes,
            elapsed_seconds: started.elapsed().as_secs_f64(),
        }
    }
}

fn added_or_replaced(replaces: bool) -> &'static str {
    if replaces { "replaced" } else { "added" }
}

fn held_of(w: &Wanted) -> Held {
    Held {
        version: w.file.version.clone(),
        stable: w.stable,
        file: w.file.clone(),
    }
}

/// Brings the mirror to the selection in phases: plan (the upstream index
/// against what is present, the prune guard, gov's artifacts), then fetch,
/// the artifacts and install.sh, the index, prune, and the manifest.
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
    let (mut plan, old) = plan_archives(app, opts)?;
    plan_removals(app, opts, &old, &mut plan)?;
    plan_artifacts(app, &old, &mut plan);
    if opts.dry_run {
        return Ok(preview(plan, started));
    }
    fetch_archives(app, opts, &mut plan)?;
    fetch_artifacts(app, &mut plan)?;
    publish_modules(app, &old, &mut plan)?;
    let index_changed = publish_index(&plan)?;
    prune(app, &mut plan)?;
    finish(&plan)?;
    Ok(plan.report(false, index_changed, started))
}

/// Plan, Go archives: the selection read against the upstream index; what
/// is present and intact is kept, the rest is to fetch.
fn plan_archives<'a>(app: &App, opts: &'a Options) -> Result<(SyncPlan<'a>, Manifest)> {
    let dir = opts.dir.as_path();
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
    let dist = opts.dist.clone().or_else(|| old.dist.clone());
    let mut plan = SyncPlan {
        dir,
        url: url.clone(),
        next: Manifest {
            url,
            selection: Some(StoredSelection {
                versions: sel.versions.clone(),
                lines: sel.lines,
                arches: sel.arches.clone(),
            }),
            dist: dist.clone(),
            files: BTreeMap::new(),
            without_modules: !opts.modules.unwrap_or(!old.without_modules),
            modules: BTreeMap::new(),
            sumdb_key: None,
        },
        files: Vec::new(),
        failed: rejected
            .into_iter()
            .map(|r| Failure {
                name: r.name,
                error: r.why,
            })
            .collect(),
        to_fetch: Vec::new(),
        to_remove: Vec::new(),
        artifacts: Vec::new(),
        source: match dist {
            Some(d) => Source::Dist(d),
            None => Source::Base(install::self_update::release_base_from_env()),
        },
        installer: Vec::new(),
        installer_action: "kept",
        downloaded_bytes: 0,
    };
    for w in wanted {
        let name = w.file.filename.clone();
        let size = Some(w.file.size);
        match present(dir, &name, &w.file.sha256, size, old.files.get(&name)) {
            Some(stat) => {
                let entry = Entry {
                    sha256: w.file.sha256.clone(),
                    stat,
                    release: Some(held_of(&w)),
                };
                plan.keep(name, "go", entry);
            }
            None => {
                let replaces = dir.join(&name).exists();
                plan.to_fetch.push(Planned {
                    wanted: w,
                    replaces,
                });
            }
        }
    }
    Ok((plan, old))
}

/// Plan, removals: the archives the selection no longer holds. With
/// `--prune` they are to remove, unless that would remove most of the
/// mirror (refused before anything is touched); without, they stay listed
/// while intact.
fn plan_removals(app: &App, opts: &Options, old: &Manifest, plan: &mut SyncPlan) -> Result<()> {
    let dir = plan.dir;
    let wanted: BTreeSet<&str> = plan
        .next
        .files
        .keys()
        .map(String::as_str)
        .chain(
            plan.to_fetch
                .iter()
                .map(|p| p.wanted.file.filename.as_str()),
        )
        .collect();
    let mut unlisted: Vec<String> = old
        .files
        .iter()
        .filter(|(n, e)| e.release.is_some() && !wanted.contains(n.as_str()))
        .map(|(n, _)| n.clone())
        .collect();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if parse_archive_name(&n).is_some()
            && !wanted.contains(n.as_str())
            && !old.files.contains_key(&n)
        {
            unlisted.push(n);
        }
    }
    if opts.prune {
        refuse_large_prune(opts, old, dir, &unlisted)?;
        plan.to_remove = unlisted;
        return Ok(());
    }
    // Still held: listed as before, if intact.
    for n in unlisted {
        let Some(e) = old.files.get(&n) else { continue };
        if let Some(stat) = present(dir, &n, &e.sha256, Some(e.stat.size), Some(e)) {
            let mut e = e.clone();
            e.stat = stat;
            plan.keep(n, "go", e);
        } else {
            app.ui.warn(&format!(
                "{n} no longer matches what sync wrote; it is left out of index.json (`gov mirror verify` checks the mirror)"
            ));
        }
    }
    Ok(())
}

/// The prune guard: more than half of the held archives go only with
/// `--force`.
fn refuse_large_prune(
    opts: &Options,
    old: &Manifest,
    dir: &Path,
    unlisted: &[String],
) -> Result<()> {
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
    Ok(())
}

/// Plan, gov's own artifacts: the published digests decide whether to
/// fetch; and install.sh, stamped with the mirror's URL.
fn plan_artifacts(app: &App, old: &Manifest, plan: &mut SyncPlan) {
    let dir = plan.dir;
    let client_fn = || app.client();
    let host_triple = install::self_update::target_triple();
    let arches = plan
        .next
        .selection
        .as_ref()
        .map(|s| s.arches.clone())
        .unwrap_or_default();
    for triple in artifacts::triples_for(&arches) {
        let name = artifacts::artifact_name(&triple);
        match artifacts::expected_sha256(&client_fn, &plan.source, &name) {
            Ok(sha) => match present(dir, &name, &sha, None, old.files.get(&name)) {
                Some(stat) => {
                    let entry = Entry {
                        sha256: sha,
                        stat,
                        release: None,
                    };
                    plan.keep(name, "gov", entry);
                }
                None => {
                    let replaces = dir.join(&name).exists();
                    plan.artifacts.push(PlannedArtifact {
                        name,
                        sha256: sha,
                        replaces,
                    });
                }
            },
            Err(e) if triple != host_triple && e.kind() == ErrorKind::NotFound => {
                app.ui.warn(&format!(
                    "{} has no {name}; hosts of that architecture build gov from source",
                    plan.source.describe()
                ));
            }
            Err(e) => plan.fail(name, &e),
        }
    }
    plan.installer = artifacts::installer(plan.url.as_deref());
    let path = dir.join(INSTALLER);
    plan.installer_action = if artifacts::same_content(&path, &plan.installer) {
        "kept"
    } else {
        added_or_replaced(path.exists())
    };
    if plan.url.is_none() {
        app.ui.warn(
            "no --url given: the mirror's install.sh installs gov from GOV_RELEASE_BASE and does not point hosts at the mirror; pass --url with the address hosts reach this directory at",
        );
    }
}

/// `--dry-run`: the report the plan would lead to, nothing changed.
fn preview(mut plan: SyncPlan, started: Instant) -> Report {
    let mut held = plan.held();
    for p in &plan.to_fetch {
        let action = added_or_replaced(p.replaces);
        let row = file_report(&p.wanted.file.filename, "go", action, p.wanted.file.size);
        plan.files.push(row);
        held.push(held_of(&p.wanted));
    }
    for a in &plan.artifacts {
        let row = file_report(&a.name, "gov", added_or_replaced(a.replaces), 0);
        plan.files.push(row);
    }
    plan.report_installer();
    for n in &plan.to_remove {
        let size = Stat::of(&plan.dir.join(n)).map_or(0, |s| s.size);
        plan.files.push(file_report(n, "go", "removed", size));
    }
    let index_changed = !artifacts::same_content(&plan.dir.join(INDEX), &render_index(&held));
    plan.report(true, index_changed, started)
}

/// Fetch: the planned Go archives, several at once, each verified before
/// it takes its name.
fn fetch_archives(app: &App, opts: &Options, plan: &mut SyncPlan) -> Result<()> {
    let mirrors = install::mirrors()?;
    let total: u64 = plan.to_fetch.iter().map(|p| p.wanted.file.size).sum();
    if !plan.to_fetch.is_empty() {
        app.ui.status(&format!(
            "downloading {} archives ({}) from {}",
            plan.to_fetch.len(),
            crate::core::report::human_bytes(total),
            mirrors.join(", ")
        ));
    }
    let client = app.client()?;
    let progress = app.ui.progress(Some(total), "mirror");
    let jobs = opts.jobs.max(1);
    let results = download_all(&client, plan.dir, &mirrors, &plan.to_fetch, jobs, &progress);
    progress.finish();
    let to_fetch = std::mem::take(&mut plan.to_fetch);
    for (p, result) in to_fetch.iter().zip(results) {
        let name = &p.wanted.file.filename;
        let outcome = result.and_then(|f| {
            Stat::of(&plan.dir.join(name))
                .map(|s| (f, s))
                .ok_or_else(|| Error::new(ErrorKind::Io, format!("{name} vanished after download")))
        });
        match outcome {
            Ok((f, stat)) => {
                plan.downloaded_bytes += f.downloaded;
                let action = added_or_replaced(p.replaces);
                plan.files.push(FileReport {
                    downloaded: f.downloaded,
                    resumed_from: f.resumed_from,
                    ..file_report(name, "go", action, stat.size)
                });
                let entry = Entry {
                    sha256: p.wanted.file.sha256.clone(),
                    stat,
                    release: Some(held_of(&p.wanted)),
                };
                plan.next.files.insert(name.clone(), entry);
                if let Err(e) = signatures::fetch(&client, plan.dir, &mirrors, name) {
                    plan.fail(signatures::name(name), &e);
                }
            }
            Err(e) => plan.fail(name.clone(), &e),
        }
    }
    plan.to_fetch = to_fetch;
    Ok(())
}

/// Fetch, gov's artifacts: each verified against its published digest,
/// then its .sha256 and .sig beside it (for install.sh and self-update; a
/// signature that does not verify is not published), then install.sh.
fn fetch_artifacts(app: &App, plan: &mut SyncPlan) -> Result<()> {
    let dir = plan.dir;
    let client_fn = || app.client();
    for a in std::mem::take(&mut plan.artifacts) {
        let path = dir.join(&a.name);
        let written = artifacts::fetch_verified(&client_fn, &plan.source, &a.name, &a.sha256)
            .and_then(|bytes| {
                fsutil::write_atomic(&path, &bytes)?;
                Ok(bytes.len() as u64)
            })
            .and_then(|n| {
                let vanished =
                    || Error::new(ErrorKind::Io, format!("{} vanished after writing", a.name));
                Stat::of(&path).map(|s| (n, s)).ok_or_else(vanished)
            });
        match written {
            Ok((n, stat)) => {
                plan.downloaded_bytes += n;
                let action = added_or_replaced(a.replaces);
                plan.files.push(FileReport {
                    downloaded: n,
                    ..file_report(&a.name, "gov", action, n)
                });
                let entry = Entry {
                    sha256: a.sha256,
                    stat,
                    release: None,
                };
                plan.next.files.insert(a.name, entry);
            }
            Err(e) => plan.fail(a.name, &e),
        }
    }
    let mut sig_failures = Vec::new();
    for (name, e) in plan.next.files.iter().filter(|(_, e)| e.release.is_none()) {
        let sum = dir.join(format!("{name}.sha256"));
        let line = artifacts::sha256_line(&e.sha256, name);
        if !artifacts::same_content(&sum, &line) {
            fsutil::write_atomic(&sum, &line)?;
        }
        match artifacts::fetch_signature(&client_fn, &plan.source, name, &dir.join(name)) {
            Ok(sig) => {
                let path = dir.join(format!("{name}.sig"));
                if !artifacts::same_content(&path, &sig) {
                    fsutil::write_atomic(&path, &sig)?;
                }
            }
            Err(e) => sig_failures.push((format!("{name}.sig"), e)),
        }
    }
    for (name, e) in sig_failures {
        plan.fail(name, &e);
    }
    if plan.installer_action != "kept" {
        fsutil::write_atomic_mode(&dir.join(INSTALLER), &plan.installer, 0o644)?;
    }
    plan.report_installer();
    fsutil::fsync_dir(dir)
}

/// Publish, toolchain modules: each held archive with a module, packed and
/// checked against the checksum database unless already published; `list`
/// after them. With `--modules off` the layout is left as it was.
fn publish_modules(app: &App, old: &Manifest, plan: &mut SyncPlan) -> Result<()> {
    use crate::mirror::toolchains::{self, Outcome};
    if plan.next.without_modules {
        plan.next.modules = old.modules.clone();
        plan.next.sumdb_key = old.sumdb_key.clone();
        return Ok(());
    }
    let held = plan.held();
    let wanted = toolchains::wanted(&held);
    let (outcomes, key) = toolchains::publish(app, plan.dir, &wanted, &old.modules)?;
    plan.next.sumdb_key = key.or_else(|| old.sumdb_key.clone());
    for (w, outcome) in wanted.iter().zip(outcomes) {
        let modver = w.layout.module_version().to_string();
        let name = toolchains::file_name(&modver, "zip");
        match outcome {
            Outcome::Kept(e) => {
                plan.files
                    .push(file_report(&name, "module", "kept", e.zip.size));
                plan.next.modules.insert(modver, e);
            }
            Outcome::Written(e, size) => {
                let action = added_or_replaced(old.modules.contains_key(&modver));
                plan.files.push(file_report(&name, "module", action, size));
                plan.next.modules.insert(modver, e);
            }
            Outcome::Failed(e) => plan.fail(name, &e),
        }
    }
    Ok(())
}

/// Publish: the index, last and by rename, when everything it names is in
/// place; unchanged content is not rewritten.
fn publish_index(plan: &SyncPlan) -> Result<bool> {
    let index_bytes = render_index(&plan.held());
    let path = plan.dir.join(INDEX);
    let changed = !artifacts::same_content(&path, &index_bytes);
    if changed {
        fsutil::write_atomic(&path, &index_bytes)?;
    }
    Ok(changed)
}

/// Prune: only now, with no published index naming them, remove what is
/// gone (not at all when something failed); then partial downloads of
/// files no longer wanted, which are nobody's.
fn prune(app: &App, plan: &mut SyncPlan) -> Result<()> {
    let dir = plan.dir;
    if !plan.to_remove.is_empty() && !plan.failed.is_empty() {
        app.ui
            .warn("some files failed: nothing is pruned this time");
    } else {
        for n in &plan.to_remove {
            let p = dir.join(n);
            // Plain files under release names only, never through a link.
            if manifest::valid_name(n)
                && let Some(stat) = Stat::of(&p)
            {
                std::fs::remove_file(&p).map_err(|e| {
                    Error::new(ErrorKind::Io, format!("cannot remove {}", p.display()))
                        .with_source(e)
                })?;
                plan.files.push(file_report(n, "go", "removed", stat.size));
                let sig = p.with_file_name(signatures::name(n));
                if Stat::of(&sig).is_some() {
                    let _ = std::fs::remove_file(&sig);
                }
            }
        }
    }
    if !plan.next.without_modules {
        crate::mirror::toolchains::remove_stale(dir, &plan.next.modules)?;
    }
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if let Some(base) = n.strip_prefix('.').and_then(|b| b.strip_suffix(".partial"))
            && !plan.to_fetch.iter().any(|p| p.wanted.file.filename == base)
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
    fsutil::fsync_dir(dir)
}

/// Last, the manifest; then every published file readable by all.
fn finish(plan: &SyncPlan) -> Result<()> {
    manifest::write(plan.dir, &plan.next)?;
    let sums: Vec<String> = plan
        .next
        .files
        .iter()
        .map(|(n, e)| match e.release {
            None => format!("{n}.sha256"),
            Some(_) => signatures::name(n),
        })
        .collect();
    publish::open_files(
        plan.dir,
        plan.next
            .files
            .keys()
            .chain(&sums)
            .map(String::as_str)
            .chain([INDEX, INSTALLER]),
    )
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
    let fetch_one = |p: &Planned| {
        let f = &p.wanted.file;
        let target = Target {
            name: &f.filename,
            sha256: &f.sha256,
            size: f.size,
            urls: mirrors
                .iter()
                .map(|m| format!("{m}/{}", f.filename))
                .collect(),
        };
        fetch::fetch(client, dir, &target, progress)
    };
    crate::mirror::in_parallel(planned, jobs, fetch_one)
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
