use std::fmt::Write as _;
use std::io::Write;

use crate::app::App;
use crate::core::error::Result;
use crate::lifecycle::outdated::{self, Report, VersionStatus};
use crate::lifecycle::vulndb::{self, Mode, State};

/// Exit status of `--exit-code` when something is outdated or vulnerable.
pub const EXIT_ATTENTION: i32 = 3;
/// Exit status of `--exit-code` when nothing needs attention as far as
/// known, but the release index or a vulnerability database was unavailable.
pub const EXIT_UNKNOWN: i32 = 4;

/// Show installed versions behind their line's newest patch, and known vulnerabilities.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Vulnerability data: the Go vulnerability database (GOV_VULNDB, else \
GOVULNDB, else https://vuln.go.dev), entries of `stdlib` and `toolchain`.

Exit status: 0, or with --exit-code: 0 nothing to do, 3 something is outdated or has a known \
vulnerability, 4 nothing known to do but the release index or vulnerability data was unavailable; \
1 failure, 2 usage.

Examples:
  gov outdated
  gov outdated --json
  gov outdated --exit-code -q   # for monitoring: 0 / 3 / 4
  GOV_VULNDB=file:///srv/vulndb gov outdated"
)]
pub struct Args {
    /// Machine-readable report (schema: docs/reference/json/outdated.json).
    #[arg(long)]
    json: bool,
    /// Exit 3 when something is outdated or vulnerable, 4 when data was unavailable.
    #[arg(long)]
    exit_code: bool,
    /// Use cached vulnerability data only, however old.
    #[arg(long)]
    offline: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let mode = if a.offline {
        Mode::CachedOnly
    } else {
        Mode::Normal
    };
    let report = outdated::compute(app, mode)?;
    for s in &report.vulndb.sources {
        match s.state {
            State::Stale => app.ui.warn(&format!(
                "using vulnerability data from {} cached {} ago ({})",
                s.url,
                vulndb::describe_age(s.age_seconds.unwrap_or(0)),
                s.error.as_deref().unwrap_or("unreachable")
            )),
            State::Unavailable => app.ui.warn(&format!(
                "vulnerability data from {} is unavailable: {}",
                s.url,
                s.error.as_deref().unwrap_or("unknown error")
            )),
            _ => {}
        }
    }
    if let Some(e) = &report.index.error
        && !report.index.available
    {
        app.ui
            .warn(&format!("the release index is unavailable: {e}"));
    }
    if a.json {
        super::print_json(&report)?;
    } else {
        print!("{}", render(&report));
    }
    if a.exit_code {
        let code = if report.needs_attention() {
            EXIT_ATTENTION
        } else if report.incomplete() {
            EXIT_UNKNOWN
        } else {
            0
        };
        if code != 0 {
            let _ = std::io::stdout().flush();
            std::process::exit(code);
        }
    }
    Ok(())
}

fn status_of(v: &VersionStatus) -> String {
    let mut parts = Vec::new();
    match (&v.newest_patch, v.outdated) {
        (None, _) => parts.push("patch level unknown".to_string()),
        (Some(_), true) => parts.push("outdated".to_string()),
        (Some(_), false) => parts.push("newest patch".to_string()),
    }
    if let Some(p) = &v.log_newer_patch {
        parts.push(format!(
            "the checksum database proves {p} exists, the index hides it"
        ));
    }
    if v.supported == Some(false) {
        parts.push("line unsupported".into());
    }
    match &v.vulnerabilities {
        None => parts.push("vulnerabilities unknown".into()),
        Some(l) if l.is_empty() => {}
        Some(l) if l.len() == 1 => parts.push("1 vulnerability".into()),
        Some(l) => parts.push(format!("{} vulnerabilities", l.len())),
    }
    parts.join(", ")
}

fn selected_text(v: &VersionStatus) -> String {
    v.selected_by
        .iter()
        .map(|s| match (s.kind, s.layer) {
            ("global", Some(l)) => format!("global ({l})"),
            ("env", _) => "GOV_VERSION".to_string(),
            (kind, _) => s
                .path
                .as_ref()
                .map(|p| format!("{kind} {}", p.display()))
                .unwrap_or_else(|| kind.to_string()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table, the vulnerabilities per version, where the data came from
/// and what to do next.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    render_table(&mut out, r);
    render_vulnerabilities(&mut out, r);
    out.push('\n');
    render_sources(&mut out, r);
    render_next_steps(&mut out, r);
    out
}

/// One row per installed version.
fn render_table(out: &mut String, r: &Report) {
    if r.versions.is_empty() {
        out.push_str("no Go versions installed\n");
    } else {
        let rows: Vec<[String; 6]> = r
            .versions
            .iter()
            .map(|v| {
                [
                    v.version.clone(),
                    v.layer.to_string(),
                    v.line.clone(),
                    v.newest_patch.clone().unwrap_or_else(|| "?".into()),
                    status_of(v),
                    selected_text(v),
                ]
            })
            .collect();
        let head = ["VERSION", "LAYER", "LINE", "NEWEST", "STATUS", "SELECTED"];
        let mut w = head.map(str::len);
        for row in &rows {
            for (i, c) in row.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |cells: [&str; 6]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i == 5 {
                    s.push_str(c);
                } else {
                    s.push_str(&format!("{c:<width$}  ", width = w[i]));
                }
            }
            format!("{}\n", s.trim_end())
        };
        out.push_str(&line(head));
        for row in &rows {
            out.push_str(&line(row.each_ref().map(String::as_str)));
        }
    }
}

/// Each version's vulnerabilities, with the fixing patch.
fn render_vulnerabilities(out: &mut String, r: &Report) {
    for v in &r.versions {
        let Some(list) = &v.vulnerabilities else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        // Thousands of lines on an old fleet: written in place, not
        // formatted into temporaries.
        let _ = writeln!(out, "\nGo {} ({}) is affected by:", v.version, v.layer);
        for x in list {
            let _ = write!(out, "  {}", x.id);
            if !x.aliases.is_empty() {
                let _ = write!(out, " ({})", x.aliases.join(", "));
            }
            let _ = write!(out, " [{}] ", x.modules.join(", "));
            match &x.fixed {
                Some(f) => {
                    let _ = write!(out, "fixed in {f}");
                }
                None => out.push_str("no fix for this line"),
            }
            let _ = writeln!(out, "\n    {}", x.summary);
        }
    }
}

/// Where the vulnerability data and the release index came from.
fn render_sources(out: &mut String, r: &Report) {
    for s in &r.vulndb.sources {
        let age = s
            .age_seconds
            .map(|a| format!("checked {} ago", vulndb::describe_age(a)))
            .unwrap_or_default();
        let modified = s
            .modified
            .as_deref()
            .map(|m| format!(", database modified {m}"))
            .unwrap_or_default();
        match s.state {
            State::Fresh | State::Cached => out.push_str(&format!(
                "Vulnerability data: {} ({age}{modified}; {} Go entries)\n",
                s.url, s.entries
            )),
            State::Stale => out.push_str(&format!(
                "Vulnerability data: {} STALE ({age}{modified}): {}\n",
                s.url,
                s.error.as_deref().unwrap_or("")
            )),
            State::Unavailable => out.push_str(&format!(
                "Vulnerability data: {} UNAVAILABLE: {}\n",
                s.url,
                s.error.as_deref().unwrap_or("")
            )),
        }
    }
    if !r.index.available {
        out.push_str(&format!(
            "Release index: {} UNAVAILABLE: {}\n",
            r.index.url,
            r.index.error.as_deref().unwrap_or("")
        ));
    }
}

/// What to run next: upgrade, or leave a line no patch fixes.
fn render_next_steps(out: &mut String, r: &Report) {
    if r.outdated > 0 {
        out.push_str(
            "\nRun `gov upgrade` to install the newest patches and move the global selection \
             (`gov upgrade --prune` also removes what they replace).\n",
        );
    }
    let stuck: Vec<&str> = r
        .versions
        .iter()
        .filter(|v| {
            !v.outdated
                && v.vulnerabilities.as_ref().is_some_and(|l| {
                    l.iter()
                        .any(|x| x.fixed_in_newest_patch == Some(false) || x.fixed.is_none())
                })
        })
        .map(|v| v.version.as_str())
        .collect();
    if !stuck.is_empty() {
        out.push_str(&format!(
            "\n{} still affected at the newest patch: move to a supported line (`gov install latest`).\n",
            stuck.join(", ")
        ));
    }
}
