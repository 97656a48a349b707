use crate::app::App;
use crate::core::error::Result;
use crate::core::version::VersionRequest;
use crate::install;

/// Remove an installed version.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  gov uninstall 1.21.13")]
pub struct Args {
    /// The installed version to remove.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: String,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let req = VersionRequest::parse(&a.version)?;
    let removed = install::uninstall(app, &req)?;
    app.ui.status(&format!("Uninstalled Go {removed}"));
    Ok(())
}
