use crate::app::App;
use crate::core::error::{Error, Result};
use crate::core::installed;
use crate::core::version::VersionRequest;
use crate::install;

/// Remove installed versions.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Removes them from this account's own layer; root's `--system` removes them from\n\
the system layer.\n\nExamples:\n  gov uninstall 1.21.13\n  gov rm 1.21.13 1.22.1\n  gov uninstall --all      # every version of this layer but its global\n  sudo gov uninstall --system 1.21.13"
)]
pub struct Args {
    /// The installed versions to remove.
    #[arg(
        required_unless_present = "all",
        conflicts_with = "all",
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions)
    )]
    versions: Vec<String>,
    /// Every installed version of this layer except its global one.
    #[arg(long)]
    all: bool,
    /// Remove from the system layer (root only).
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
    let requests: Vec<VersionRequest> = if a.all {
        let global = crate::entry::select::global(&app.layout)?;
        let all: Vec<VersionRequest> = installed::list(&app.layout)?
            .into_iter()
            .filter(|i| {
                !global
                    .as_ref()
                    .is_some_and(|g| g.request.matches(&i.version))
            })
            .map(|i| VersionRequest::Exact(i.version))
            .collect();
        if all.is_empty() {
            app.ui.status("nothing to uninstall");
            return Ok(());
        }
        all
    } else {
        // Parse every name before removing anything.
        a.versions
            .iter()
            .map(|v| VersionRequest::parse(v))
            .collect::<Result<_>>()?
    };
    let mut first_err: Option<Error> = None;
    for req in &requests {
        match install::uninstall(app, req) {
            Ok(removed) => app.ui.status(&format!("Uninstalled Go {removed}")),
            Err(e) if requests.len() == 1 => return Err(e),
            Err(e) => {
                app.ui.warn(&format!(
                    "Go {req}: {}",
                    e.report().trim_start_matches("error: ")
                ));
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        None => Ok(()),
        Some(e) => Err(Error::new(e.kind(), "some versions were not uninstalled")
            .with_source(e)
            .with_advice("see the messages above for each one")),
    }
}
