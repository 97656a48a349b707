use std::path::PathBuf;

use serde_json::json;

use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, Result};
use crate::core::version::VersionRequest;
use crate::install::{self, InstallOptions, Origin};

/// Download, verify and unpack a Go release.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov install 1.22.5\n  gov install 1.22        # newest 1.22.x\n  gov install latest\n  gov install --file go1.22.5.linux-amd64.tar.gz   # air-gapped hosts\n  sudo gov install --system 1.22.5   # for every account\n  gov install 1.22 --dry-run --json                # what would change, for orchestrators"
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
    /// Install into the system layer, for every account (root only).
    #[arg(long)]
    system: bool,
    /// Answer with one JSON document (schema: see README).
    #[arg(long)]
    pub(crate) json: bool,
    /// Resolve and report what would be installed; write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let sys;
    let app = if a.system {
        sys = app.system("install")?;
        &sys
    } else {
        app
    };
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
    let requested = match &origin {
        Origin::Remote(req) => req.to_string(),
        Origin::File { path, .. } => path.display().to_string(),
    };
    let opts = InstallOptions {
        origin,
        arch,
        force: a.force,
    };
    let report = if a.dry_run {
        install::preview(app, &opts)?
    } else {
        install::install(app, &opts)?
    };
    if a.json {
        return crate::cli::machine::answer(json!({
            "changed": report.action != install::Action::AlreadyInstalled,
            "dry_run": a.dry_run,
            "action": action_name(&report.action),
            "requested": requested,
            "version": report.version.as_str(),
            "arch": opts.arch,
            "goroot": report.goroot,
            "downloaded": report.downloaded,
            "from_cache": report.from_cache,
            "verified": report.verified,
        }));
    }
    if a.dry_run {
        let what = match report.action {
            install::Action::AlreadyInstalled => {
                format!("Go {} is already installed; nothing to do", report.version)
            }
            install::Action::Installed => format!("would install Go {}", report.version),
            install::Action::Reinstalled => format!("would reinstall Go {}", report.version),
        };
        crate::cli::machine::would(app, &what);
        return Ok(());
    }
    app.ui.status(&install::summary(&report));
    if crate::entry::select::layered_global(&app.layers())?.is_none() {
        app.ui.status(&format!(
            "make it the default with `gov global {}`",
            report.version
        ));
    }
    Ok(())
}

/// The `action` field of `gov install --json`.
fn action_name(a: &install::Action) -> &'static str {
    match a {
        install::Action::Installed => "installed",
        install::Action::Reinstalled => "reinstalled",
        install::Action::AlreadyInstalled => "already-installed",
    }
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
        },
    )?;
    if report.action != install::Action::AlreadyInstalled {
        app.ui
            .status(&format!("gov: {}", install::summary(&report)));
    }
    Ok(())
}
