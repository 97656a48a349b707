use crate::app::App;
use crate::error::Result;

/// Diagnose PATH, GOROOT, installed versions and the module proxy chain.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when healthy (warnings allowed), 1 when there are problems.\n\nExamples:\n  gov doctor\n  gov doctor --offline\n  gov doctor --json"
)]
pub struct Args {
    /// Machine-readable report (schema: see README).
    #[arg(long)]
    pub json: bool,
    /// Skip the network checks.
    #[arg(long)]
    pub offline: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    crate::doctor::run_cli(app, a.json, a.offline)
}
