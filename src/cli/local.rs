use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::version::VersionRequest;
use crate::lifecycle::selection;

/// Show or set the version for this directory (.go-version).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov local 1.21.13   # writes ./.go-version\n  gov local           # prints the nearest .go-version\n  gov local --unset"
)]
pub struct Args {
    /// Version to write into ./.go-version (goenv's format).
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: Option<String>,
    /// Remove ./.go-version.
    #[arg(long, conflicts_with = "version")]
    unset: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let cwd = std::env::current_dir().context(|| "reading the working directory".to_string())?;
    if a.unset {
        let file = selection::unset_local(&cwd)?;
        app.ui.status(&format!("removed {}", file.display()));
        return Ok(());
    }
    let Some(v) = a.version else {
        let Some((line, f)) = selection::nearest_local(&cwd)? else {
            return Err(
                Error::new(ErrorKind::NotFound, "no .go-version here or above")
                    .with_advice("create one with `gov local <version>`"),
            );
        };
        use crate::core::quote::{excerpt, shown};
        println!("{} ({})", excerpt(&line, 64), shown(&f.to_string_lossy()));
        return Ok(());
    };
    let req = VersionRequest::parse(&v)?;
    let (file, installed) = selection::set_local(app, &cwd, &req)?;
    app.ui.status(&format!("wrote {} ({req})", file.display()));
    if !installed {
        app.ui.warn(&format!(
            "Go {req} is not installed; run `gov install {req}` (or set GOV_AUTO_INSTALL=1)"
        ));
    }
    Ok(())
}
