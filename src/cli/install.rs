use std::path::PathBuf;

use super::answers::{Done, InstallDone, Outcome, Outcomes, VersionFailed};
use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::version::VersionRequest;
use crate::entry::select;
use crate::install::{self, InstallOptions, Origin};
use crate::net::index::IndexSource;

/// Download, verify and unpack Go releases.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without a version, installs what this directory selects (.go-version, go.work/go.mod, else the global).\n\nSources (--source, GOV_SOURCE; for every version named): release = the release index and archive mirrors; proxy = the module proxy (GOPROXY) as golang.org/toolchain, verified by the checksum database (GOSUMDB); auto (default) = release, then the proxy when release downloads are unreachable.\n\nExamples:\n  gov install                 # what this directory selects\n  gov install 1.22.5\n  gov install 1.22            # newest 1.22.x\n  gov install 1.21.13 1.22.10 # several\n  gov install latest --refresh   # ask the server for the newest index first\n  gov install 1.22.5 --source proxy   # through GOPROXY, like GOTOOLCHAIN does\n  gov install --file go1.22.5.linux-amd64.tar.gz   # air-gapped hosts\n  sudo gov install --system 1.22.5   # for every account\n  gov install 1.22 --dry-run --json  # what would change, for orchestrators"
)]
pub struct Args {
    /// 1.22.5, go1.22.5, v1.22.5, 1.22 (newest 1.22.x), 1.23rc1 or latest;
    /// several at once; none: the version selected here.
    #[arg(
        value_name = "VERSION",
        conflicts_with = "file",
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::remote_versions)
    )]
    versions: Vec<String>,
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
    /// Revalidate the cached release index with the server now.
    #[arg(long)]
    refresh: bool,
    /// Install from a local archive instead of downloading.
    #[arg(long, value_name = "ARCHIVE")]
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
    /// Install into the system layer, for every account (root only).
    #[arg(long)]
    system: bool,
    /// Answer with one JSON document (schema: docs/reference/json/install.json).
    #[arg(long)]
    pub(crate) json: bool,
    /// Resolve and report what would be installed; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// What to install when no version is named: the selection here (raised to
/// go.mod's go line when it is older).
fn selected_request(app: &App) -> Result<VersionRequest> {
    let cwd = std::env::current_dir().map_err(|e| {
        Error::new(ErrorKind::Io, "cannot read the working directory").with_source(e)
    })?;
    let layers = app.layers();
    let sel = select::select(&layers, &cwd)?.ok_or_else(|| {
        Error::invalid("nothing selects a Go version here, so there is nothing to install")
            .with_advice("name one: `gov install 1.22` (or `gov use 1.22` to install it and make it the global)")
    })?;
    let target = select::install_target(&layers, &sel);
    app.ui
        .status(&format!("Go {} is {}", target.raw, target.source));
    Ok(target.request)
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
    let source = install::Source::from_flag_or_config(a.source.as_deref())?;
    if a.refresh {
        app.refresh_index();
    }
    let origins = origins(app, &a)?;
    let several = origins.len() > 1;
    let mut installed = Vec::new();
    let mut failed: Vec<(String, Error)> = Vec::new();
    let mut results = Vec::new();
    for origin in origins {
        let what = match &origin {
            Origin::Remote(r) => r.to_string(),
            Origin::File { path, .. } => path.display().to_string(),
        };
        let opts = InstallOptions {
            origin,
            arch: arch.clone(),
            force: a.force,
            source,
        };
        let done = if let Some(report) = install::system_copy(app, &opts) {
            Ok(report)
        } else if a.dry_run {
            install::preview(app, &opts)
        } else {
            install::install(app, &opts)
        };
        match done {
            Ok(report) => {
                if a.json {
                    results.push(result_fields(&what, &opts.arch, &report));
                } else {
                    show_done(app, &report, a.dry_run);
                }
                installed.push(report.version);
            }
            Err(e) if !several => return Err(e),
            Err(e) => {
                app.ui.warn(&format!(
                    "Go {what}: {}",
                    e.report().trim_start_matches("error: ")
                ));
                results.push(Outcome::Failed(VersionFailed {
                    changed: false,
                    requested: what.clone(),
                    error: crate::cli::machine::error_fields(&e),
                }));
                failed.push((what, e));
            }
        }
    }
    if a.json {
        let doc = Outcomes::of(!several, a.dry_run, results);
        if failed.is_empty() {
            return crate::cli::machine::of(app).answer(&doc);
        }
        crate::cli::machine::of(app).partial(&doc);
    } else if let Some(first) = installed.first()
        && !a.dry_run
    {
        first_install_hint(app, first)?;
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(some_failed(failed, installed.len(), a.dry_run))
}

/// What the arguments ask to install: `--file`, the versions named, or
/// the version selected here.
fn origins(app: &App, a: &Args) -> Result<Vec<Origin>> {
    Ok(match &a.file {
        Some(path) => vec![Origin::File {
            path: path.clone(),
            sha256: a.sha256.clone(),
            no_verify: a.no_verify,
        }],
        None if a.versions.is_empty() => vec![Origin::Remote(selected_request(app)?)],
        None => a
            .versions
            .iter()
            .map(|v| VersionRequest::parse(v).map(Origin::Remote))
            .collect::<Result<_>>()?,
    })
}

/// The line for one finished (or, with --dry-run, planned) install.
fn show_done(app: &App, report: &install::Report, dry_run: bool) {
    if report.in_system_layer {
        app.ui.status(&format!(
            "Go {v} is installed in the system layer ({}), which this account uses: nothing to download (`gov install --force {v}` installs a copy of its own)",
            report.goroot.display(),
            v = report.version
        ));
    } else if dry_run {
        crate::cli::machine::would(app, &would_text(report));
    } else {
        app.ui.status(&summary_with_index_age(app, report));
    }
}

/// The error of a run where some of several installs failed.
fn some_failed(mut failed: Vec<(String, Error)>, done: usize, dry_run: bool) -> Error {
    let n = failed.len();
    let names: Vec<String> = failed.iter().map(|(w, _)| w.clone()).collect();
    let (_, first) = failed.swap_remove(0);
    let advice = if dry_run {
        "see the messages above for each failure"
    } else {
        "the others are installed; see the messages above for each failure"
    };
    Error::new(
        first.kind(),
        format!("{n} of {} installs failed: {}", n + done, names.join(", ")),
    )
    .with_source(first)
    .with_advice(advice)
}

/// One install's fields in `gov install --json` (`results[]`, and the top
/// level when one version is named).
fn result_fields(requested: &str, arch: &str, report: &install::Report) -> Outcome<InstallDone> {
    Outcome::Done(Done {
        changed: report.action != install::Action::AlreadyInstalled,
        fields: InstallDone {
            action: action_name(&report.action),
            requested: requested.to_string(),
            version: report.version.as_str().to_string(),
            arch: arch.to_string(),
            goroot: report.goroot.clone(),
            downloaded: report.downloaded,
            from_cache: report.from_cache,
            verified: report.verified,
            proofs: report
                .proofs
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        },
    })
}

/// `--dry-run` without `--json`: what the install would do.
fn would_text(report: &install::Report) -> String {
    match report.action {
        install::Action::AlreadyInstalled => {
            format!("Go {} is already installed; nothing to do", report.version)
        }
        install::Action::Installed => format!("would install Go {}", report.version),
        install::Action::Reinstalled => format!("would reinstall Go {}", report.version),
    }
}

/// The install summary; "already installed" also says how old the release
/// index it was checked against is, since that decides what `1.22` or
/// `latest` mean.
fn summary_with_index_age(app: &App, report: &install::Report) -> String {
    let line = summary(report);
    if report.action != install::Action::AlreadyInstalled {
        return line;
    }
    match crate::net::index::load_cached_only(&app.layout).map(|i| i.source) {
        Some(IndexSource::Cache { age }) => format!(
            "{line}; release index checked {} ago (--refresh revalidates it)",
            crate::net::index::describe_age(age)
        ),
        _ => line,
    }
}

/// After the first install on a machine with nothing selected: gov does not
/// pick a global on its own (a server's default should be a decision), it
/// says how.
fn first_install_hint(app: &App, version: &crate::core::version::GoVersion) -> Result<()> {
    let layers = app.layers();
    if select::layered_global(&layers)?.is_some() {
        return Ok(());
    }
    let cwd = std::env::current_dir().ok();
    let here = cwd.and_then(|c| select::select(&layers, &c).ok().flatten());
    if here.is_none() {
        app.ui.status(&format!(
            "nothing selects a Go version yet: `gov global {version}` makes it the default (or `gov use {version}` next time), `gov local {version}` pins this directory"
        ));
    } else {
        app.ui
            .status(&format!("make it the default with `gov global {version}`"));
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
            source: install::Source::from_flag_or_config(None)?,
        },
    )?;
    if report.action != install::Action::AlreadyInstalled {
        app.ui.status(&format!("gov: {}", summary(&report)));
    }
    Ok(())
}

/// One line for the end of an install.
pub fn summary(r: &install::Report) -> String {
    let where_ = r.goroot.display();
    let secs = r.elapsed.as_secs_f64();
    match r.action {
        install::Action::AlreadyInstalled => {
            format!(
                "Go {} is already installed in {where_} (--force reinstalls)",
                r.version
            )
        }
        _ => {
            let verb = if r.action == install::Action::Reinstalled {
                "Reinstalled"
            } else {
                "Installed"
            };
            let source = if r.from_cache {
                "from the download cache".to_string()
            } else if r.downloaded > 0 {
                format!(
                    "{} downloaded",
                    crate::core::report::human_bytes(r.downloaded)
                )
            } else {
                "from a local archive".to_string()
            };
            let check = if r.verified {
                r.verification.as_str()
            } else {
                "NOT verified"
            };
            format!(
                "{verb} Go {} in {where_} ({source}, {check}, {secs:.1} s)",
                r.version
            )
        }
    }
}
