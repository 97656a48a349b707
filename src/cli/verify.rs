use std::io::Write;

use super::answers::{Verified, VerifiedTree};
use crate::app::App;
use crate::core::error::{Error, Result};
use crate::core::installed;
use crate::core::version::VersionRequest;
use crate::install::verify::{self, TreeReport};

/// Check installed trees against what was recorded when they were installed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Every install records a manifest of its files (size, mtime, sha256) and, when the \
checksum database proved it, the log's h1. verify hashes every file again and compares; --quick \
compares sizes and mtimes only. Trees without a manifest (imported, or installed by an older gov) \
are listed as unrecorded.

Exit status: 0 every tree checked is intact, 1 a tree changed (or a failure), 2 usage.

Examples:
  gov verify --all
  gov verify 1.22.10 --json
  gov verify --all --quick          # cheap: sizes and mtimes
  systemd timer / cron: gov verify --all -q || mail -s 'Go trees changed' root"
)]
pub struct Args {
    /// Versions to check (as installed in this account's layer).
    versions: Vec<String>,
    /// Check every installed version.
    #[arg(long, conflicts_with = "versions")]
    all: bool,
    /// Sizes and mtimes only, no hashing.
    #[arg(long)]
    quick: bool,
    /// Machine-readable answer (schema: docs/reference/json/verify.json).
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let trees = chosen(app, &a)?;
    let mut reports = Vec::new();
    for tree in &trees {
        reports.push(verify::verify_tree(&app.layout, tree, !a.quick)?);
    }
    let intact = reports.iter().all(TreeReport::intact);
    if a.json {
        let answer = Verified {
            intact,
            full: !a.quick,
            trees: reports.iter().map(tree_answer).collect(),
        };
        super::print_json(&answer)?;
    } else {
        for r in &reports {
            println!("{}", render(r));
        }
    }
    if !intact {
        let _ = std::io::stdout().flush();
        std::process::exit(1);
    }
    Ok(())
}

/// The trees named (exact installed versions of this account's layer), or
/// all of them with --all.
fn chosen(app: &App, a: &Args) -> Result<Vec<installed::Installed>> {
    if a.all {
        return installed::list(&app.layout);
    }
    if a.versions.is_empty() {
        return Err(Error::invalid("name the versions to verify, or --all")
            .with_advice("e.g. `gov verify --all` or `gov verify 1.22.10`"));
    }
    a.versions
        .iter()
        .map(|v| {
            let req = VersionRequest::parse(v)?;
            installed::find(&app.layout, &req)?.ok_or_else(|| {
                Error::new(
                    crate::core::error::ErrorKind::NotFound,
                    format!("Go {v} is not installed in {}", app.layout.home().display()),
                )
                .with_advice("see `gov list`")
            })
        })
        .collect()
}

fn tree_answer(r: &TreeReport) -> VerifiedTree {
    VerifiedTree {
        version: r.version.clone(),
        state: state(r).to_string(),
        changed: r.changed.clone(),
        added: r.added.clone(),
        removed: r.removed.clone(),
        log_matches: r.log_matches,
    }
}

fn state(r: &TreeReport) -> &'static str {
    if r.unrecorded {
        "unrecorded"
    } else if r.intact() {
        "intact"
    } else {
        "changed"
    }
}

fn render(r: &TreeReport) -> String {
    let mut out = format!("{}: {}", r.version, state(r));
    if r.log_matches == Some(true) {
        out.push_str(" (matches the checksum database's h1)");
    }
    for (what, list) in [
        ("changed", &r.changed),
        ("added", &r.added),
        ("removed", &r.removed),
    ] {
        for f in list {
            out.push_str(&format!("\n  {what}: {f}"));
        }
    }
    if r.log_matches == Some(false) {
        out.push_str("\n  the tree no longer hashes to the h1 the checksum database recorded");
    }
    out
}
