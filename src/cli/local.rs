use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::installed;
use crate::core::version::VersionRequest;
use crate::entry::select::{self, VERSION_FILE};

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
    let file = cwd.join(VERSION_FILE);
    if a.unset {
        return match std::fs::remove_file(&file) {
            Ok(()) => {
                app.ui.status(&format!("removed {}", file.display()));
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::new(
                ErrorKind::NotFound,
                format!("there is no {}", file.display()),
            )),
            Err(e) => Err(e).context(|| format!("removing {}", file.display())),
        };
    }
    let Some(v) = a.version else {
        let mut dir = Some(cwd.as_path());
        while let Some(d) = dir {
            let f = d.join(VERSION_FILE);
            if let Some(text) =
                crate::core::safe_read::read_text(&f, crate::core::safe_read::MAX_VERSION_FILE)?
                && let Some(line) = select::parse_version_file(&text)
            {
                use crate::core::quote::{excerpt, shown};
                println!("{} ({})", excerpt(line, 64), shown(&f.to_string_lossy()));
                return Ok(());
            }
            dir = d.parent();
        }
        return Err(
            Error::new(ErrorKind::NotFound, "no .go-version here or above")
                .with_advice("create one with `gov local <version>`"),
        );
    };
    let req = VersionRequest::parse(&v)?;
    fsutil::write_atomic(&file, format!("{req}\n").as_bytes())?;
    app.ui.status(&format!("wrote {} ({req})", file.display()));
    if installed::find_in(&app.layers(), &req)?.is_none() {
        app.ui.warn(&format!(
            "Go {req} is not installed; run `gov install {req}` (or set GOV_AUTO_INSTALL=1)"
        ));
    }
    Ok(())
}
