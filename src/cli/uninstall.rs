use serde_json::json;

use crate::app::App;
use crate::core::error::{ErrorKind, Result};
use crate::core::version::VersionRequest;
use crate::install;

/// Remove an installed version.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Removes it from this account's own layer; root's `--system` removes it from\n\
the system layer.\n\nExamples:\n  gov uninstall 1.21.13\n  sudo gov uninstall --system 1.21.13\n  gov uninstall 1.21.13 --missing-ok --json   # idempotent, for orchestrators"
)]
pub struct Args {
    /// The installed version to remove.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: String,
    /// Remove it from the system layer (root only).
    #[arg(long)]
    system: bool,
    /// A version that is not installed is not an error (nothing to do).
    #[arg(long)]
    missing_ok: bool,
    /// Answer with one JSON document (schema: see README).
    #[arg(long)]
    pub(crate) json: bool,
    /// Report what would be removed; remove nothing.
    #[arg(long)]
    dry_run: bool,
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
    let checked = install::check_uninstall(app, &req);
    let version = match checked {
        Err(e) if a.missing_ok && e.kind() == ErrorKind::NotFound => {
            if a.json {
                return crate::cli::machine::answer(json!({
                    "changed": false,
                    "dry_run": a.dry_run,
                    "action": "not-installed",
                    "requested": req.to_string(),
                    "version": null,
                }));
            }
            app.ui
                .status(&format!("Go {req} is not installed; nothing to do"));
            return Ok(());
        }
        other => other?,
    };
    if !a.dry_run {
        install::uninstall(app, &VersionRequest::Exact(version.clone()))?;
    }
    if a.json {
        return crate::cli::machine::answer(json!({
            "changed": true,
            "dry_run": a.dry_run,
            "action": "uninstalled",
            "requested": req.to_string(),
            "version": version.as_str(),
        }));
    }
    if a.dry_run {
        crate::cli::machine::would(app, &format!("would uninstall Go {version}"));
    } else {
        app.ui.status(&format!("Uninstalled Go {version}"));
    }
    Ok(())
}
