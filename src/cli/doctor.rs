use crate::app::App;
use crate::core::error::Result;
use crate::core::style::{Style, Tone};
use crate::doctor::{self, Check, Report, Section, Status};

use super::render::Output;

/// Diagnose PATH, GOROOT, installed versions and the module proxy chain.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when healthy (warnings allowed), 1 when there are problems.\n\nExamples:\n  gov doctor\n  gov doctor --offline\n  gov doctor --json"
)]
pub struct Args {
    /// Machine-readable report (schema: docs/reference/json/doctor.json).
    #[arg(long)]
    pub json: bool,
    /// Skip the network checks.
    #[arg(long)]
    pub offline: bool,
}

pub fn run(app: &App, out: &Output, a: Args) -> Result<()> {
    let report = doctor::diagnose(app, a.offline);
    if a.json {
        super::print_json(&report)?;
    } else {
        super::print_text(&render(&report, &out.stdout));
    }
    doctor::verdict(&report)
}

fn title(section: Section) -> &'static str {
    match section {
        Section::Environment => "Environment",
        Section::Versions => "Installed versions",
        Section::Layers => "Layers (this account's, then the system's)",
        Section::Network => "Network",
        Section::Toolchains => "Toolchains",
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

/// The report for people: sections with a mark per check, then numbered
/// problems and warnings with their advice, then the verdict.
pub fn render(r: &Report, style: &Style) -> String {
    let mut out = render_sections(&r.checks, style);
    for (heading, status) in [("Problems", Status::Problem), ("Warnings", Status::Warning)] {
        out.push_str(&numbered(&r.checks, heading, status));
    }
    out.push_str(&format!(
        "\n{}: {} problem(s), {} warning(s)\n",
        if r.healthy { "healthy" } else { "unhealthy" },
        r.problems,
        r.warnings
    ));
    out
}

/// Each section once, where it first appears (checks of one section come
/// from several places), its checks grouped under their target.
fn render_sections(checks: &[Check], style: &Style) -> String {
    let mut sections: Vec<Section> = Vec::new();
    for c in checks {
        if !sections.contains(&c.section) {
            sections.push(c.section);
        }
    }
    let mut grouped: Vec<&Check> = checks.iter().collect();
    grouped.sort_by_key(|c| sections.iter().position(|s| *s == c.section));
    let mut out = String::new();
    let mut section = None;
    let mut target: Option<&str> = None;
    for c in grouped {
        if section != Some(c.section) {
            section = Some(c.section);
            target = None;
            let gap = if out.is_empty() { "" } else { "\n" };
            out.push_str(&format!("{gap}{}\n", title(c.section)));
        }
        if c.target.as_deref() != target {
            target = c.target.as_deref();
            if let Some(t) = target {
                out.push_str(&format!("  {t}\n"));
            }
        }
        out.push_str(&check_line(c, style));
    }
    out
}

fn check_line(c: &Check, style: &Style) -> String {
    let indent = if c.target.is_some() { "    " } else { "  " };
    let mut line = match c.stage {
        Some(stage) => format!("{indent}{} {stage:<6} {}", mark(c.status, style), c.finding),
        None => format!("{indent}{} {}", mark(c.status, style), c.finding),
    };
    if let Some(ms) = c.ms {
        line.push_str(&format!(" ({ms} ms)"));
    }
    line.push('\n');
    line
}

/// `Problems` or `Warnings`: each finding numbered, with its fix.
fn numbered(checks: &[Check], heading: &str, status: Status) -> String {
    let items: Vec<&Check> = checks.iter().filter(|c| c.status == status).collect();
    if items.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{heading}\n");
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(section: Section, id: &str, status: Status, finding: &str) -> Check {
        Check::new(section, id, status, finding)
    }

    fn report(checks: Vec<Check>) -> Report {
        Report::from_checks(checks, None)
    }

    #[test]
    fn sections_once_in_first_order_with_targets_and_numbered_fixes() {
        let mut tls = check(Section::Network, "goproxy.tls", Status::Problem, "expired");
        tls.target = Some("GOPROXY https://p".into());
        tls.stage = Some("tls");
        tls.ms = Some(7);
        let r = report(vec![
            check(Section::Environment, "path.go", Status::Ok, "go is gov's"),
            tls.advice("check the clock"),
            check(
                Section::Environment,
                "goroot",
                Status::Warning,
                "GOROOT set",
            )
            .advice("unset it"),
        ]);
        let text = render(&r, &Style::PLAIN);
        assert_eq!(
            text,
            "Environment\n  + go is gov's\n  ! GOROOT set\n\nNetwork\n  GOPROXY https://p\n    x tls    expired (7 ms)\n\n\
             Problems\n  1. GOPROXY https://p (tls): expired\n     fix: check the clock\n\n\
             Warnings\n  1. GOROOT set\n     fix: unset it\n\nunhealthy: 1 problem(s), 1 warning(s)\n"
        );
    }

    #[test]
    fn colour_only_when_the_style_has_it() {
        let r = report(vec![check(Section::Versions, "v", Status::Ok, "fine")]);
        let colour = Style {
            colour: true,
            unicode: true,
        };
        assert!(render(&r, &colour).contains("\x1b[32m✓\x1b[0m fine"));
        assert!(!render(&r, &Style::PLAIN).contains('\x1b'));
    }
}
