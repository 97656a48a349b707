//! `gov outdated`: for every installed version of every layer, the newest
//! patch of its line in the release index, whether the line is still
//! supported (the two newest), what selects it, and the known
//! vulnerabilities of `stdlib` and `toolchain` that affect it.
//!
//! Neither source is required: without the release index the patch columns
//! are unknown, without the vulnerability database the vulnerabilities are;
//! both say why in the report.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::app::App;
use crate::core::error::Result;
use crate::core::version::{GoVersion, VersionRequest};
use crate::lifecycle::layers::{self, InstalledIn, SelectedBy};
use crate::lifecycle::osv::{Compiled, Entry, Fix, GO_MODULES};
use crate::lifecycle::semver::SemVer;
use crate::lifecycle::vulndb::{self, Mode, SourceStatus, VulnDb};
use crate::net::index::{Freshness, Index, IndexSource};

/// JSON schema version of [`Report`]; bumped only for incompatible changes.
pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub schema: u32,
    pub versions: Vec<VersionStatus>,
    /// Installed versions with a newer patch of their line in the index.
    pub outdated: usize,
    /// Installed versions with at least one known vulnerability.
    pub vulnerable: usize,
    pub index: IndexStatus,
    pub vulndb: VulnDbStatus,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VersionStatus {
    pub version: String,
    pub layer: &'static str,
    pub goroot: std::path::PathBuf,
    pub line: String,
    /// The newest release of the line in the index (`null`: index unknown).
    pub newest_patch: Option<String>,
    pub outdated: bool,
    /// One of the two newest lines (`null`: index unknown).
    pub supported: Option<bool>,
    pub selected_by: Vec<SelectedBy>,
    /// `null` when no vulnerability database could be read.
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    /// The next patch of the line, which the checksum database's log
    /// proves was released but the release index does not list (a stale
    /// or hostile index); `null` when the log knows none or was not asked.
    pub log_newer_patch: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Vulnerability {
    // Shared with every version the entry affects: a fleet report can hold
    // thousands of these.
    pub id: Arc<str>,
    pub aliases: Arc<[String]>,
    pub summary: Arc<str>,
    /// The release that fixes it for this version's line (`null`: no fix
    /// published for it).
    pub fixed: Option<String>,
    /// `stdlib`, `toolchain` or both.
    pub modules: Vec<&'static str>,
    /// Affected import paths, when the entry names them.
    pub packages: Arc<[String]>,
    /// Whether the newest patch of the line is free of it.
    pub fixed_in_newest_patch: Option<bool>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IndexStatus {
    pub url: String,
    pub available: bool,
    /// `fresh`, `cached`, `stale`, `file` or `unavailable`.
    pub state: &'static str,
    pub age_seconds: Option<u64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VulnDbStatus {
    /// Every configured database gave data (of any age).
    pub available: bool,
    pub sources: Vec<SourceStatus>,
}

impl Report {
    /// Something `gov upgrade` would act on, or a known vulnerability.
    pub fn needs_attention(&self) -> bool {
        self.outdated > 0 || self.vulnerable > 0
    }

    /// Some answer could not be given (index or database unavailable).
    pub fn incomplete(&self) -> bool {
        !self.index.available || !self.vulndb.available
    }
}

fn index_status(idx: &std::result::Result<Index, crate::core::error::Error>) -> IndexStatus {
    let url = crate::net::index::index_url();
    let secs = |d: &Duration| Some(d.as_secs());
    match idx {
        Ok(i) => {
            let (state, age) = match &i.source {
                IndexSource::Fresh => ("fresh", Some(0)),
                IndexSource::Cache { age } => ("cached", secs(age)),
                IndexSource::Stale { age, .. } => ("stale", secs(age)),
                IndexSource::File => ("file", None),
            };
            let error = match &i.source {
                IndexSource::Stale { why, .. } => Some(why.clone()),
                _ => None,
            };
            IndexStatus {
                url: i.url.clone(),
                available: true,
                state,
                age_seconds: age,
                error,
            }
        }
        Err(e) => IndexStatus {
            url,
            available: false,
            state: "unavailable",
            age_seconds: None,
            error: Some(e.to_string()),
        },
    }
}

/// The newest release of `v`'s line: the newest stable one, or, for a line
/// with only pre-releases so far, the newest of those.
pub fn newest_of_line(idx: &Index, v: &GoVersion) -> Option<GoVersion> {
    let (major, minor) = v.family();
    let fam = VersionRequest::Family { major, minor };
    let stable = idx
        .releases()
        .filter(|(_, r)| r.stable)
        .map(|(v, _)| v)
        .filter(|c| fam.matches(c))
        .max();
    stable
        .or_else(|| {
            idx.releases()
                .map(|(v, _)| v)
                .filter(|c| fam.matches(c))
                .max()
        })
        .cloned()
}

/// The patch after `known` (the newest release of its line the index
/// lists), when the checksum database proves Go published it: an index
/// cannot hide a security release the log records. Pre-releases and lines
/// before toolchain modules are not asked.
fn patch_the_index_hides(app: &App, known: &GoVersion) -> Option<String> {
    if known.is_prerelease() {
        return None;
    }
    let mut parts = known.as_str().split('.');
    let (major, minor, patch) = (parts.next()?, parts.next()?, parts.next()?);
    let next = GoVersion::parse(&format!(
        "{major}.{minor}.{}",
        patch.parse::<u64>().ok()? + 1
    ))?;
    let request =
        crate::install::log_proof::for_release(app, &next, crate::core::arch::host()).ok()?;
    match request.run() {
        Ok(crate::install::log_proof::Answer::Record { db, .. }) => {
            app.ui.warn(&format!(
                "the checksum database {db} proves Go {next} was released, but the release index does \
                 not list it: the index is stale or hides a release (GOV_INDEX_URL)"
            ));
            Some(next.to_string())
        }
        _ => None,
    }
}

/// One entry ready to be asked about many versions.
struct Ready {
    id: Arc<str>,
    aliases: Arc<[String]>,
    summary: Arc<str>,
    packages: Arc<[String]>,
    affected: Vec<(&'static str, Compiled)>,
}

/// Entries ready to be asked about many versions (ranges parsed and
/// sorted once; withdrawn entries dropped).
pub struct Evaluator {
    entries: Vec<Ready>,
}

impl Evaluator {
    pub fn new(entries: &[Entry]) -> Evaluator {
        let ready = entries
            .iter()
            .filter(|e| !e.withdrawn)
            .map(|e| {
                let mut seen = std::collections::BTreeSet::new();
                let packages: Vec<String> = e
                    .affected
                    .iter()
                    .flat_map(|a| &a.packages)
                    .filter(|p| seen.insert(p.as_str()))
                    .cloned()
                    .collect();
                Ready {
                    id: e.id.as_str().into(),
                    aliases: e.aliases.clone().into(),
                    summary: e.summary.as_str().into(),
                    packages: packages.into(),
                    affected: e
                        .affected
                        .iter()
                        .filter_map(|a| {
                            let m = GO_MODULES.iter().find(|m| **m == a.module)?;
                            Some((*m, a.compile()))
                        })
                        .collect(),
                }
            })
            .collect();
        Evaluator { entries: ready }
    }

    /// The vulnerabilities that affect `v`; `newest` is its line's newest
    /// patch, to say whether that one is free of each.
    pub fn affecting(&self, v: &GoVersion, newest: Option<&GoVersion>) -> Vec<Vulnerability> {
        let sv = SemVer::of_go(v);
        let newest_sv = newest.map(SemVer::of_go);
        let mut out = Vec::new();
        for e in &self.entries {
            let mut modules: Vec<&'static str> = Vec::new();
            let mut fixed: Option<SemVer> = None;
            let mut unfixed = false;
            let mut newest_affected = false;
            for (module, a) in &e.affected {
                let Some(fix) = a.affects(&sv) else { continue };
                if !modules.contains(module) {
                    modules.push(module);
                }
                match fix {
                    Fix::In(f) => {
                        if fixed.as_ref().is_none_or(|cur| f > *cur) {
                            fixed = Some(f);
                        }
                    }
                    Fix::None => unfixed = true,
                }
                if let Some(n) = &newest_sv
                    && a.affects(n).is_some()
                {
                    newest_affected = true;
                }
            }
            if modules.is_empty() {
                continue;
            }
            out.push(Vulnerability {
                id: e.id.clone(),
                aliases: e.aliases.clone(),
                summary: e.summary.clone(),
                fixed: if unfixed {
                    None
                } else {
                    fixed.map(|f| f.go_spelling())
                },
                modules,
                packages: e.packages.clone(),
                fixed_in_newest_patch: newest_sv.as_ref().map(|_| !newest_affected),
            });
        }
        out
    }
}

/// Builds the report. `mode` says whether the network may be used for the
/// vulnerability database.
pub fn compute(app: &App, mode: Mode) -> Result<Report> {
    let layers = layers::layers(app);
    let all = layers::installed(&layers)?;
    let idx = app.index(Freshness::Normal);
    let db: VulnDb = vulndb::load(&app.layout, &|| app.client(), mode)?;
    let globals = layers::globals(&layers, &all)?;
    let here = std::env::current_dir()
        .ok()
        .and_then(|cwd| layers::here(app, &cwd, &all));
    let supported = idx.as_ref().ok().map(Index::supported_families);
    let any_db = db.sources.iter().any(SourceStatus::available);
    let eval = Evaluator::new(&db.entries);

    let mut versions = Vec::new();
    let mut logged_patches = std::collections::HashMap::new();
    for i in &all {
        let newest = idx
            .as_ref()
            .ok()
            .and_then(|x| newest_of_line(x, &i.version));
        let selected_by = selectors(i, &globals, here.as_ref());
        let known = newest.clone().unwrap_or_else(|| i.version.clone());
        let log_newer_patch = logged_patches
            .entry(i.version.family())
            .or_insert_with(|| patch_the_index_hides(app, &known))
            .clone();
        versions.push(VersionStatus {
            version: i.version.to_string(),
            layer: i.layer,
            goroot: i.goroot.clone(),
            line: i.version.line(),
            outdated: newest.as_ref().is_some_and(|n| *n > i.version) || log_newer_patch.is_some(),
            log_newer_patch,
            supported: supported.as_ref().map(|s| s.contains(&i.version.family())),
            vulnerabilities: any_db.then(|| eval.affecting(&i.version, newest.as_ref())),
            newest_patch: newest.map(|n| n.to_string()),
            selected_by,
        });
    }
    let outdated = versions.iter().filter(|v| v.outdated).count();
    let vulnerable = versions
        .iter()
        .filter(|v| v.vulnerabilities.as_ref().is_some_and(|l| !l.is_empty()))
        .count();
    Ok(Report {
        schema: SCHEMA,
        outdated,
        vulnerable,
        versions,
        index: index_status(&idx),
        vulndb: VulnDbStatus {
            available: db.available(),
            sources: db.sources,
        },
    })
}

fn selectors(
    i: &InstalledIn,
    globals: &[layers::Selected],
    here: Option<&layers::Selected>,
) -> Vec<SelectedBy> {
    globals
        .iter()
        .chain(here)
        .filter(|s| s.resolved.as_ref() == Some(&i.version))
        .map(|s| s.by.clone())
        .collect()
}
