use super::answers::{Done, Outcome, Outcomes, UninstallDone, VersionFailed};
use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::version::VersionRequest;
use crate::install;

/// Remove installed versions.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Removes them from this account's own layer; root's `--system` removes them from\n\
the system layer.\n\nExamples:\n  gov uninstall 1.21.13\n  gov rm 1.21.13 1.22.1\n  gov uninstall --all      # every version of this layer but its global\n  sudo gov uninstall --system 1.21.13\n  gov uninstall 1.21.13 --missing-ok --json   # idempotent, for orchestrators"
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
    /// A version that is not installed is not an error (nothing to do).
    #[arg(long)]
    missing_ok: bool,
    /// Answer with one JSON document (schema: docs/reference/json/uninstall.json).
    #[arg(long)]
    pub(crate) json: bool,
    /// Report what would be removed; remove nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Removes (or, with --dry-run, checks) one version and says so; its
/// fields for `--json`. A version that is not there is fine with
/// --missing-ok.
fn uninstall_one(app: &App, a: &Args, req: &VersionRequest) -> Result<Done<UninstallDone>> {
    let done = if a.dry_run {
        install::check_uninstall(app, req)
    } else {
        install::uninstall(app, req)
    };
    match done {
        Ok(version) => {
            if a.dry_run {
                crate::cli::machine::would(app, &format!("would uninstall Go {version}"));
            } else {
                app.ui.status(&format!("Uninstalled Go {version}"));
            }
            Ok(Done {
                changed: true,
                fields: UninstallDone {
                    action: "uninstalled",
                    requested: req.to_string(),
                    version: Some(version.as_str().to_string()),
                },
            })
        }
        Err(e) if a.missing_ok && e.kind() == ErrorKind::NotFound => {
            app.ui
                .status(&format!("Go {req} is not installed; nothing to do"));
            Ok(Done {
                changed: false,
                fields: UninstallDone {
                    action: "not-installed",
                    requested: req.to_string(),
                    version: None,
                },
            })
        }
        Err(e) => Err(e),
    }
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
        let all: Vec<VersionRequest> = install::uninstall::all_but_global(app)?
            .into_iter()
            .map(VersionRequest::Exact)
            .collect();
        if all.is_empty() && !a.json {
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
    let several = requests.len() > 1;
    let mut results = Vec::new();
    let mut first_err: Option<Error> = None;
    for req in &requests {
        match uninstall_one(app, &a, req) {
            Ok(done) => results.push(Outcome::Done(done)),
            Err(e) if !several => return Err(e),
            Err(e) => {
                app.ui.warn(&format!(
                    "Go {req}: {}",
                    e.report().trim_start_matches("error: ")
                ));
                results.push(Outcome::Failed(VersionFailed {
                    changed: false,
                    requested: req.to_string(),
                    error: crate::cli::machine::error_fields(&e),
                }));
                first_err.get_or_insert(e);
            }
        }
    }
    if a.json {
        // One version named: its fields at the top level (as before several
        // were possible), plus `results`.
        let doc = Outcomes::of(a.versions.len() == 1, a.dry_run, results);
        if first_err.is_none() {
            return crate::cli::machine::of(app).answer(&doc);
        }
        crate::cli::machine::of(app).partial(&doc);
    }
    match first_err {
        None => Ok(()),
        Some(e) => Err(Error::new(e.kind(), "some versions were not uninstalled")
            .with_source(e)
            .with_advice("see the messages above for each one")),
    }
}
