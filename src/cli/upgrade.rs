use crate::app::App;
use crate::core::error::Result;
use crate::lifecycle::upgrade::{self, Options};

/// Install the newest patch of installed lines and move the global selection to it.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The global selection moves within its line (1.22.1 -> 1.22.10); \
.go-version files are never changed: the ones under the working directory that pin an older \
patch are listed.

Examples:
  gov upgrade                # every installed line that is behind
  gov upgrade 1.22           # only the 1.22 line
  gov upgrade --prune        # and remove the patches it replaced
  gov upgrade --dry-run"
)]
pub struct Args {
    /// Lines to upgrade (1.22, or an installed version such as 1.22.1); default: all installed.
    #[arg(value_name = "LINE", add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    lines: Vec<String>,
    /// Remove the patches the upgrade replaced, unless something selects them.
    #[arg(long)]
    prune: bool,
    /// Say what would be done, change nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Machine-readable report (schema: docs/reference/json/upgrade.json).
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let r = upgrade::upgrade(
        app,
        &Options {
            lines: a.lines,
            prune: a.prune,
            dry_run: a.dry_run,
        },
        &|installed| app.ui.status(&super::install::summary(installed)),
    )?;
    if a.json {
        return super::print_json(&r);
    }
    let would = if r.dry_run { "would " } else { "" };
    for u in &r.upgraded {
        if u.installed {
            println!(
                "{}: {would}install {} (installed: {})",
                u.line,
                u.to,
                u.from.join(", ")
            );
        } else {
            println!("{}: {} is installed already", u.line, u.to);
        }
        if let Some(from) = &u.global_moved_from {
            println!(
                "{}: {would}move the global selection {from} -> {}",
                u.line, u.to
            );
        }
    }
    for l in &r.up_to_date {
        println!("{l}: at its newest patch");
    }
    if r.upgraded.is_empty() && r.up_to_date.is_empty() {
        println!("no Go versions installed; try `gov install latest`");
    }
    for p in &r.pinned {
        println!(
            "pinned, left as is: {} says {} (newest patch {}; edit it or run `gov local {}` there)",
            p.path.display(),
            p.pinned,
            p.newest_patch,
            p.newest_patch
        );
    }
    if let Some(pr) = &r.pruned {
        super::prune::print_report(pr);
    }
    Ok(())
}
