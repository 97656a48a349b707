use std::path::PathBuf;

use crate::app::App;
use crate::core::error::Result;
use crate::install::import;

/// Adopt an existing Go tree (a hand install, goenv, ~/sdk) without downloading.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov import /usr/local/go\n  gov import ~/.goenv/versions/1.21.0\n  gov import ~/sdk/go1.22.5"
)]
pub struct Args {
    /// The directory holding bin/go and VERSION.
    dir: PathBuf,
    /// Replace the version if it is already installed.
    #[arg(long)]
    force: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let v = import::import(app, &a.dir, a.force)?;
    app.ui.status(&format!(
        "Imported Go {v} from {} into {}",
        a.dir.display(),
        app.layout.version_dir(v.as_str()).display()
    ));
    Ok(())
}
