use crate::app::App;
use crate::core::error::{Error, Result};
use crate::core::report::human_bytes;
use crate::lifecycle::prune::{self, Options, Report};

/// Remove superseded patch versions that nothing selects.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Kept: the newest installed patch of every line (and the --keep N newest), \
the global selection, GOV_VERSION and the working directory's selection; with --keep-pinned also \
every version a .go-version file under the working directory pins.

Examples:
  gov prune --dry-run
  gov prune
  gov prune --keep 2              # two patches per line
  cd ~/src && gov prune --keep-pinned"
)]
pub struct Args {
    /// Say what would be removed, remove nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Installed patches kept per line, newest first.
    #[arg(long, value_name = "N", default_value_t = 1)]
    keep: usize,
    /// Also keep versions pinned by .go-version files under the working directory.
    #[arg(long)]
    keep_pinned: bool,
    /// Machine-readable report (schema: docs/reference/json/prune.json).
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let pins_under = if a.keep_pinned {
        Some(std::env::current_dir().map_err(|e| Error::io("reading the working directory", e))?)
    } else {
        None
    };
    let r = prune::prune(
        app,
        &Options {
            keep: a.keep,
            dry_run: a.dry_run,
            pins_under,
            superseded: None,
            globals_moving_from: Vec::new(),
        },
    )?;
    if a.json {
        return super::print_json(&r);
    }
    print_report(&r);
    Ok(())
}

pub(crate) fn print_report(r: &Report) {
    let verb = if r.dry_run { "would remove" } else { "removed" };
    for x in &r.removed {
        println!(
            "{verb} Go {} ({}, {})",
            x.version,
            x.layer,
            human_bytes(x.bytes)
        );
    }
    for k in &r.kept {
        println!("kept Go {}: {}", k.version, k.why);
    }
    if r.removed.is_empty() {
        println!("nothing to remove");
    } else {
        let verb = if r.dry_run { "would free" } else { "freed" };
        println!(
            "{verb} {} in {} version(s)",
            human_bytes(r.freed_bytes),
            r.removed.len()
        );
    }
}
