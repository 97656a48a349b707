//! `gov doctor`: checks that each end with a finding and, when something is
//! wrong, an advice. Problems make the exit status 1; warnings do not.
//!
//! JSON schema (stable; new fields may be added, none removed or renamed):
//!
//! ```json
//! { "schema": 1, "healthy": true, "problems": 0, "warnings": 1,
//!   "checks": [ { "section": "environment" | "versions" | "layers" | "network" | "toolchains",
//!                 "id": "path.go",            // unique, stable identifier
//!                 "target": "https://goproxy.cn", // network checks: the endpoint
//!                 "stage": "dns" | "tcp" | "tls" | "http" | "sumdb" | null,
//!                 "status": "ok" | "warning" | "problem" | "skipped",
//!                 "finding": "...", "advice": "..." | null,
//!                 "ms": 12 | null } ] }
//! ```
//!
//! The `toolchains` section: `toolchains.release`, `toolchains.proxy`,
//! `toolchains.sumdb`, then the summary `toolchains` (ok: release downloads
//! work; warning: only the module proxy does; problem: neither).

mod download;
mod environment;
mod layers;
pub mod network;
mod permissions;
pub mod toolchains;
mod vulnerable;

use serde::Serialize;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::style::{Style, Tone};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Problem,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub section: &'static str,
    pub id: String,
    pub target: Option<String>,
    pub stage: Option<&'static str>,
    pub status: Status,
    pub finding: String,
    pub advice: Option<String>,
    pub ms: Option<u64>,
}

impl Check {
    pub fn new(
        section: &'static str,
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

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: u32,
    pub healthy: bool,
    pub problems: usize,
    pub warnings: usize,
    pub checks: Vec<Check>,
    /// Where `gov install` takes Go from, and why (null when GOV_SOURCE
    /// is invalid: the `source` check says so).
    pub toolchain_source: Option<crate::install::ResolvedSource>,
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
    fn new(mut checks: Vec<Check>) -> Report {
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
            toolchain_source: crate::install::resolve_source(None).ok(),
        }
    }
}

/// Runs every check. `offline` skips the network chain.
pub fn diagnose(app: &App, offline: bool) -> Report {
    let mut checks = environment::checks(&app.layout);
    checks.push(source_check());
    checks.extend(permissions::checks(&app.layout));
    checks.extend(environment::version_checks(&app.layout));
    checks.extend(layers::checks(&app.layout));
    checks.extend(vulnerable::checks(app));
    if offline {
        checks.push(Check::new(
            "network",
            "network",
            Status::Skipped,
            "network checks skipped (--offline)",
        ));
    } else {
        let settings = environment::effective_settings(&app.layout);
        checks.extend(network::checks(&settings, network::stage_timeout()));
        checks.extend(download::checks(&app.layout, network::stage_timeout()));
        checks.extend(toolchains::checks(app, network::stage_timeout()));
    }
    Report::new(checks)
}

/// Which source installs use and why: an explicit choice, a release
/// source that was set, a preset's implied default, or the default.
fn source_check() -> Check {
    match crate::install::resolve_source(None) {
        Ok(r) => Check::new(
            "environment",
            "source",
            Status::Ok,
            format!("toolchains come from {}", r.describe()),
        ),
        Err(e) => Check::new(
            "environment",
            "source",
            Status::Problem,
            e.message().to_string(),
        )
        .advice(e.advice().unwrap_or("fix GOV_SOURCE").to_string()),
    }
}

fn mark(s: Status, style: &Style) -> String {
    match s {
        Status::Ok => style.paint(Tone::Good, style.ok_mark()),
        Status::Warning => style.paint(Tone::Warn, "!"),
        Status::Problem => style.paint(Tone::Bad, style.fail_mark()),
        Status::Skipped => "-".to_string(),
    }
}

/// The report for people, without colour.
pub fn render_text(r: &Report) -> String {
    render_styled(
        r,
        &Style {
            colour: false,
            unicode: crate::core::style::utf8_locale(),
        },
    )
}

/// The report for people: sections with a mark per check, then numbered
/// problems and warnings with their advice.
pub fn render_styled(r: &Report, style: &Style) -> String {
    let mut out = String::new();
    let mut section = "";
    let mut target: Option<&str> = None;
    // Each section once, where it first appears (checks of one section
    // come from several places).
    let mut sections: Vec<&str> = Vec::new();
    for c in &r.checks {
        if !sections.contains(&c.section) {
            sections.push(c.section);
        }
    }
    let mut grouped: Vec<&Check> = r.checks.iter().collect();
    grouped.sort_by_key(|c| sections.iter().position(|s| *s == c.section));
    for c in grouped {
        if c.section != section {
            section = c.section;
            target = None;
            let title = match section {
                "environment" => "Environment",
                "versions" => "Installed versions",
                "layers" => "Layers (this account's, then the system's)",
                "toolchains" => "Toolchains",
                _ => "Network",
            };
            out.push_str(&format!(
                "{}{title}\n",
                if out.is_empty() { "" } else { "\n" }
            ));
        }
        if c.target.as_deref() != target {
            target = c.target.as_deref();
            if let Some(t) = target {
                out.push_str(&format!("  {t}\n"));
            }
        }
        let indent = if c.target.is_some() { "    " } else { "  " };
        match c.stage {
            Some(stage) => out.push_str(&format!(
                "{indent}{} {stage:<6} {}",
                mark(c.status, style),
                c.finding
            )),
            None => out.push_str(&format!("{indent}{} {}", mark(c.status, style), c.finding)),
        }
        if let Some(ms) = c.ms {
            out.push_str(&format!(" ({ms} ms)"));
        }
        out.push('\n');
    }
    for (title, status) in [("Problems", Status::Problem), ("Warnings", Status::Warning)] {
        let items: Vec<&Check> = r.checks.iter().filter(|c| c.status == status).collect();
        if items.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}\n"));
        for (i, c) in items.iter().enumerate() {
            let what = match (&c.target, c.stage) {
                (Some(t), Some(s)) => format!("{t} ({s}): {}", c.finding),
                _ => c.finding.clone(),
            };
            out.push_str(&format!("  {}. {what}\n", i + 1));
            if let Some(a) = &c.advice {
                out.push_str(&format!("     fix: {a}\n"));
            }
        }
    }
    out.push_str(&format!(
        "\n{}: {} problem(s), {} warning(s)\n",
        if r.healthy { "healthy" } else { "unhealthy" },
        r.problems,
        r.warnings
    ));
    out
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
