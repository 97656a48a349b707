use crate::app::App;
use crate::core::error::Result;
use crate::core::version::VersionRequest;
use crate::install;

/// Remove an installed version.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Removes it from this account's own layer; root's `--system` removes it from\n\
the system layer.\n\nExamples:\n  gov uninstall 1.21.13\n  sudo gov uninstall --system 1.21.13"
)]
pub struct Args {
    /// The installed version to remove.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: String,
    /// Remove it from the system layer (root only).
    #[arg(long)]
    system: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let sys;
    let app = if a.system {
        sys = app.system("uninstall")?;
        &sys
    } else {
        app
    };
    let req = VersionRequest::parse(&a.version)?;
    let removed = install::uninstall(app, &req)?;
    app.ui.status(&format!("Uninstalled Go {removed}"));
    Ok(())
}
