//! `gov use <version>`: install if needed, then make it the global.

use crate::app::App;
use crate::core::arch;
use crate::core::error::Result;
use crate::core::version::VersionRequest;
use crate::install::{self, InstallOptions, Origin};

/// Install a version (if needed) and make it the global one.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The same as `gov install <version> && gov global <version>`; the global pins the exact version installed.\n\nExamples:\n  gov use 1.22.5\n  gov use 1.22          # the newest 1.22.x\n  gov use latest --refresh"
)]
pub struct Args {
    /// 1.22.5, go1.22.5, v1.22.5, 1.22 (newest 1.22.x), 1.23rc1 or latest.
    #[arg(
        value_name = "VERSION",
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::remote_versions)
    )]
    version: String,
    /// Revalidate the cached release index with the server now.
    #[arg(long)]
    refresh: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let request = VersionRequest::parse(&a.version)?;
    // GOV_SOURCE decides here as it does for `gov install`.
    let source = install::Source::from_flag_or_config(None)?;
    if a.refresh {
        app.refresh_index();
    }
    let report = install::install(
        app,
        &InstallOptions {
            origin: Origin::Remote(request),
            arch: arch::host().to_string(),
            force: false,
            source,
        },
    )?;
    app.ui.status(&crate::cli::install::summary(&report));
    super::global::set(app, report.version.as_str())
}
