//! `gov doctor`: checks that each end with a finding and, when something is
//! wrong, an advice. Problems make the exit status 1; warnings do not.
//!
//! The findings are data ([`Report`], [`Check`]): `gov doctor --json`
//! prints the report as it is (its schema, generated from these types, is
//! docs/reference/json/doctor.json) and `cli::doctor` renders the text.
//!
//! The `toolchains` section: `toolchains.release`, `toolchains.proxy`,
//! `toolchains.sumdb`, then the summary `toolchains` (ok: release downloads
//! work; warning: only the module proxy does; problem: neither).

mod build;
mod download;
mod environment;
mod layers;
pub mod network;
mod permissions;
pub mod toolchains;
mod vulnerable;

use schemars::JsonSchema;
use serde::Serialize;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::install::ResolvedSource;

/// Where a check belongs; the CLI titles each section once, in the order
/// the sections first appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Environment,
    Versions,
    Layers,
    Network,
    Toolchains,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Problem,
    Skipped,
}

/// One finding: what was checked (`id`, unique and stable; `target` and
/// `stage` for a network probe), how it went, and what to do about it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Check {
    pub section: Section,
    pub id: String,
    /// Network checks: the endpoint (`GOPROXY https://goproxy.cn`).
    pub target: Option<String>,
    /// Network checks: `url`, `file`, `route` (where the checksum database is
    /// reached), `dns`, `tcp`, `tls`, `http`, `sumdb`.
    pub stage: Option<&'static str>,
    pub status: Status,
    pub finding: String,
    pub advice: Option<String>,
    /// How long the check took, in milliseconds.
    pub ms: Option<u64>,
}

impl Check {
    pub fn new(
        section: Section,
        id: impl Into<String>,
        status: Status,
        finding: impl Into<String>,
    ) -> Check {
        Check {
            section,
            id: id.into(),
            target: None,
            stage: None,
            status,
            finding: finding.into(),
            advice: None,
            ms: None,
        }
    }
    pub fn advice(mut self, a: impl Into<String>) -> Check {
        self.advice = Some(a.into());
        self
    }
}

/// The whole diagnosis: `gov doctor --json` prints it as it is.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    /// Always 1; fields are added, never renamed.
    pub schema: u32,
    /// No problems (warnings allowed).
    pub healthy: bool,
    pub problems: usize,
    pub warnings: usize,
    pub checks: Vec<Check>,
    /// Where `gov install` takes Go from, and why (null when GOV_SOURCE
    /// is invalid: the `source` check says so).
    pub toolchain_source: Option<ToolchainSource>,
}

/// Where installs take Go from (`install::resolve_source`), as data.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ToolchainSource {
    /// `release`, `proxy` or `auto`.
    pub source: String,
    /// What decided: `--source`, `GOV_SOURCE`, `GOV_MIRROR`,
    /// `GOV_INDEX_URL`, `GOV_PRESET` or `default`.
    pub decided_by: String,
    /// `environment`, the config file's path, or null.
    pub origin: Option<String>,
    /// The whole answer for people.
    pub reason: String,
}

impl From<&ResolvedSource> for ToolchainSource {
    fn from(r: &ResolvedSource) -> ToolchainSource {
        ToolchainSource {
            source: r.source.as_str().to_string(),
            decided_by: r.decided_by.to_string(),
            origin: r.origin.clone(),
            reason: r.reason.clone(),
        }
    }
}

/// Makes every id unique: the first check keeps its id, later ones with
/// the same id (a second proxy in GOPROXY, a second mirror) get `.2`, `.3`
/// inserted before the last part (`goproxy.2.tls`), so scripts can address
/// each one.
fn unique_ids(checks: &mut [Check]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for c in checks.iter_mut() {
        let n = seen.entry(c.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            c.id = match c.id.rsplit_once('.') {
                Some((head, last)) => format!("{head}.{n}.{last}"),
                None => format!("{}.{n}", c.id),
            };
        }
    }
}

impl Report {
    /// The report of these checks (ids made unique, problems counted).
    pub fn from_checks(mut checks: Vec<Check>, source: Option<ToolchainSource>) -> Report {
        unique_ids(&mut checks);
        let problems = checks
            .iter()
            .filter(|c| c.status == Status::Problem)
            .count();
        let warnings = checks
            .iter()
            .filter(|c| c.status == Status::Warning)
            .count();
        Report {
            schema: 1,
            healthy: problems == 0,
            problems,
            warnings,
            checks,
            toolchain_source: source,
        }
    }
}

/// Runs every check. `offline` skips the network chain.
pub fn diagnose(app: &App, offline: bool) -> Report {
    let source = crate::install::resolve_source(None);
    let mut checks = environment::checks(&app.env, &app.layout);
    checks.push(source_check(&source));
    checks.extend(permissions::checks(&app.layout));
    let settings = environment::effective_settings(&app.layout);
    let cwd = std::env::current_dir().unwrap_or_default();
    checks.extend(build::checks(&app.env, &settings, &cwd));
    checks.extend(environment::version_checks(&app.env, &app.layout));
    checks.extend(layers::checks(&app.layout));
    checks.extend(vulnerable::checks(app));
    if offline {
        checks.push(Check::new(
            Section::Network,
            "network",
            Status::Skipped,
            "network checks skipped (--offline)",
        ));
    } else {
        checks.extend(network::checks(&settings, network::stage_timeout()));
        let timeout = network::stage_timeout();
        // One probe per endpoint: both sections read the download path's.
        let release_path = download::probe_release_path(&app.layout, timeout);
        checks.extend(download::checks(&release_path));
        checks.extend(toolchains::checks(app, &release_path, timeout));
    }
    Report::from_checks(checks, source.as_ref().ok().map(ToolchainSource::from))
}

/// Which source installs use and why: an explicit choice, a release
/// source that was set, a preset's implied default, or the default.
fn source_check(source: &Result<ResolvedSource>) -> Check {
    match source {
        Ok(r) => Check::new(
            Section::Environment,
            "source",
            Status::Ok,
            format!("toolchains come from {}", r.describe()),
        ),
        Err(e) => Check::new(
            Section::Environment,
            "source",
            Status::Problem,
            e.message().to_string(),
        )
        .advice(e.advice().unwrap_or("fix GOV_SOURCE").to_string()),
    }
}

/// The command's verdict: an error (exit 1) when there are problems.
pub fn verdict(report: &Report) -> Result<()> {
    if report.healthy {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::State,
            format!("gov doctor found {} problem(s)", report.problems),
        )
        .with_advice("see the numbered problems above, each with its fix"))
    }
}
