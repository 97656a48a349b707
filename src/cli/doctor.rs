use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::doctor;

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
    let report = doctor::diagnose(app, a.offline);
    if a.json {
        let value = serde_json::to_value(&report)
            .map_err(|e| Error::new(ErrorKind::Io, "cannot encode the report").with_source(e))?;
        super::print_json(&value)?;
    } else {
        use std::io::IsTerminal;
        let style = crate::core::style::Style::detect(std::io::stdout().is_terminal());
        super::print_text(&doctor::render_styled(&report, &style));
    }
    doctor::verdict(&report)
}
