use std::path::PathBuf;

use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, Result};
use crate::core::version::VersionRequest;
use crate::install::{self, InstallOptions, Origin};

/// Download, verify and unpack a Go release.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Sources (--source, GOV_SOURCE): release = the release index and archive mirrors; proxy = the module proxy (GOPROXY) as golang.org/toolchain, verified by the checksum database (GOSUMDB); auto (default) = release, then the proxy when release downloads are unreachable.\n\nExamples:\n  gov install 1.22.5\n  gov install 1.22        # newest 1.22.x\n  gov install latest\n  gov install 1.22.5 --source proxy   # through GOPROXY, like GOTOOLCHAIN does\n  gov install --file go1.22.5.linux-amd64.tar.gz   # air-gapped hosts"
)]
pub struct Args {
    /// 1.22.5, go1.22.5, 1.22 (newest 1.22.x), 1.23rc1 or latest.
    #[arg(
        value_name = "VERSION",
        required_unless_present = "file",
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::remote_versions)
    )]
    version: Option<String>,
    /// Target architecture in Go's naming (amd64, arm64, 386, armv6l, ...).
    #[arg(
        long,
        default_value_t = arch::host().to_string(),
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::architectures)
    )]
    arch: String,
    /// Reinstall even if the version is installed.
    #[arg(long)]
    force: bool,
    /// Install from a local archive instead of downloading.
    #[arg(long, value_name = "ARCHIVE", conflicts_with = "version")]
    file: Option<PathBuf>,
    /// Expected sha256 of --file (when the release index is unreachable).
    #[arg(long, value_name = "HEX", requires = "file")]
    sha256: Option<String>,
    /// Install --file without verifying its checksum.
    #[arg(long, requires = "file", conflicts_with = "sha256")]
    no_verify: bool,
    /// Where the toolchain comes from: release, proxy or auto (default:
    /// GOV_SOURCE, else auto).
    #[arg(long, value_name = "SOURCE", value_parser = ["release", "proxy", "auto"], conflicts_with = "file")]
    source: Option<String>,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let arch = arch::parse(&a.arch)?;
    let origin = match (a.file, a.version) {
        (Some(path), _) => Origin::File {
            path,
            sha256: a.sha256,
            no_verify: a.no_verify,
        },
        (None, Some(v)) => Origin::Remote(VersionRequest::parse(&v)?),
        (None, None) => return Err(Error::invalid("name a version to install, or --file")),
    };
    let source = install::Source::from_flag_or_config(a.source.as_deref())?;
    let report = install::install(
        app,
        &InstallOptions {
            origin,
            arch,
            force: a.force,
            source,
        },
    )?;
    app.ui.status(&install::summary(&report));
    if crate::entry::select::global(&app.layout)?.is_none() {
        app.ui.status(&format!(
            "make it the default with `gov global {}`",
            report.version
        ));
    }
    Ok(())
}

/// GOV_AUTO_INSTALL=1 from a `go` entry point: install the selected version
/// on first use, talking on stderr. The install lock makes racing calls
/// install it once.
pub fn auto_install(
    layout: &crate::core::layout::Layout,
    sel: &crate::entry::select::Selection,
) -> Result<()> {
    let app = App::new(
        layout.clone(),
        crate::cli::terminal::Terminal::shared(false),
    );
    app.ui.status(&format!(
        "gov: installing Go {} ({}) because GOV_AUTO_INSTALL is set",
        sel.raw, sel.source
    ));
    let report = install::install(
        &app,
        &InstallOptions {
            origin: Origin::Remote(sel.request.clone()),
            arch: arch::host().to_string(),
            force: false,
            source: install::Source::from_flag_or_config(None)?,
        },
    )?;
    if report.action != install::Action::AlreadyInstalled {
        app.ui
            .status(&format!("gov: {}", install::summary(&report)));
    }
    Ok(())
}
