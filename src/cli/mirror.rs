use std::path::PathBuf;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::report::human_bytes;
use crate::mirror::{sync, verify};

/// Build and check a static mirror of Go releases for a fleet.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The directory holds index.json (go.dev's format), the archives under their \
release names, gov's own release artifacts and install.sh; serve it with any static web server \
(contrib/nginx/gov-mirror.conf). Upstream: GOV_INDEX_URL and GOV_MIRROR; gov's artifacts from \
GOV_RELEASE_BASE or --dist.\n\n\
Examples:\n  gov mirror sync /srv/go --lines 2 --arch amd64,arm64 --url https://go.example.internal\n  \
gov mirror sync /srv/go                       # again: what changed upstream, nothing else\n  \
gov mirror sync /srv/go --versions 1.22,1.21.13 --prune --dry-run\n  \
gov mirror verify /srv/go\n  \
curl -fsSL https://go.example.internal/install.sh | sh -s -- --yes --go 1.22   # on a host"
)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Bring the mirror up to date with the upstream (incremental, resumable).
    #[command(
        after_help = "Without selection flags the last sync's selection is used (first time: \
--lines 2 for this host's architecture).\n\n\
Examples:\n  gov mirror sync /srv/go --lines 2 --url https://go.example.internal\n  \
gov mirror sync /srv/go --versions 1.22.10,1.21 --arch amd64,arm64\n  \
gov mirror sync /srv/go --prune --dry-run --json"
    )]
    Sync(SyncArgs),
    /// Mirror the module versions a build needs, verified by the checksum database.
    #[command(
        after_help = "Each input is a go.sum (every module version in it), a go.mod (its \
requires) or module@version. Each version's .info, .mod and .zip come through GOPROXY and are \
published only when they match the checksum database's record (GOSUMDB); the database's \
answers go into the mirror's sumdb/ snapshot. Hosts then need only GOPROXY=<mirror URL>.\n\n\
Examples:\n  gov mirror modules /srv/go ./go.sum\n  \
gov mirror modules /srv/go ./go.mod golang.org/x/text@v0.14.0 --json"
    )]
    Modules {
        /// The mirror directory.
        dir: PathBuf,
        /// go.sum or go.mod files, or module@version.
        #[arg(required = true, value_name = "go.sum|go.mod|module@version")]
        inputs: Vec<String>,
        /// Machine-readable output (schema: docs/reference/json/mirror-modules.json).
        #[arg(long)]
        json: bool,
    },
    /// Re-hash every file against the mirror's index.json (offline).
    #[command(
        after_help = "Examples:\n  gov mirror verify /srv/go\n  gov mirror verify /srv/go --json"
    )]
    Verify {
        /// The mirror directory.
        dir: PathBuf,
        /// Machine-readable output (schema: docs/reference/json/mirror-verify.json).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
struct SyncArgs {
    /// The mirror directory (created if missing).
    dir: PathBuf,
    /// Versions as `gov install` takes them, comma-separated: 1.22.10, 1.22 (newest 1.22.x), latest.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::remote_versions)
    )]
    versions: Option<Vec<String>>,
    /// The newest patch of each of the N newest minor lines.
    #[arg(long, value_name = "N")]
    lines: Option<usize>,
    /// Go architectures, comma-separated (default: this host's).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::architectures)
    )]
    arch: Option<Vec<String>>,
    /// Where hosts reach this directory (https); written into install.sh.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Remove archives the selection no longer holds.
    #[arg(long)]
    prune: bool,
    /// Let --prune remove more than half of the archives.
    #[arg(long, requires = "prune")]
    force: bool,
    /// Show what would change; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Take gov's artifacts from this scripts/dist output instead of GOV_RELEASE_BASE.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
    /// Also serve each archive as a `golang.org/toolchain` module version, checked against
    /// the checksum database (GOSUMDB), for `go`'s own toolchain switching (remembered).
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    modules: Option<bool>,
    /// Downloads at once.
    #[arg(long, value_name = "N", default_value_t = sync::DEFAULT_JOBS)]
    jobs: usize,
    /// Machine-readable summary (schema: docs/reference/json/mirror-sync.json).
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    match a.command {
        Sub::Sync(s) => run_sync(app, s),
        Sub::Verify { dir, json } => run_verify(app, &dir, json),
        Sub::Modules { dir, inputs, json } => run_modules(app, &dir, &inputs, json),
    }
}

fn run_sync(app: &App, a: SyncArgs) -> Result<()> {
    let report = sync::sync(
        app,
        &sync::Options {
            dir: a.dir,
            versions: a.versions,
            lines: a.lines,
            arches: a.arch,
            url: a.url,
            prune: a.prune,
            dry_run: a.dry_run,
            force: a.force,
            dist: a.dist,
            jobs: a.jobs,
            modules: a.modules,
        },
    )?;
    if a.json {
        crate::cli::print_json(&report)?;
    } else {
        let would = if report.dry_run { "would be " } else { "" };
        for f in report.files.iter().filter(|f| f.action != "kept") {
            app.ui.status(&format!(
                "{would}{} {} ({})",
                f.action,
                f.name,
                human_bytes(f.size)
            ));
        }
        app.ui.status(&format!(
            "{}: {} added, {} replaced, {} kept, {} removed; {} downloaded; index.json {}{}",
            report.dir,
            report.count("added"),
            report.count("replaced"),
            report.count("kept"),
            report.count("removed"),
            human_bytes(report.downloaded_bytes),
            if report.index_changed { would } else { "" },
            if report.index_changed {
                "updated"
            } else {
                "unchanged"
            },
        ));
    }
    failures_error(
        &report.failed,
        ErrorKind::Network,
        "file(s) could not be mirrored",
        "index.json lists only what the mirror holds; run the sync again once upstream is fixed",
    )
}

/// Ok when nothing failed; else one error listing every failure, one per
/// line, with its cause.
fn failures_error(
    failed: &[crate::mirror::sync::Failure],
    kind: ErrorKind,
    what: &str,
    advice: &str,
) -> Result<()> {
    if failed.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = failed
        .iter()
        .map(|f| format!("{}: {}", f.name, f.error))
        .collect();
    Err(Error::new(
        kind,
        format!("{} {what}:\n    {}", list.len(), list.join("\n    ")),
    )
    .with_advice(advice.to_string()))
}

fn run_modules(app: &App, dir: &std::path::Path, inputs: &[String], json: bool) -> Result<()> {
    let wanted = crate::mirror::modules::parse_inputs(inputs)?;
    let report = crate::mirror::modules::mirror(app, dir, &wanted)?;
    if json {
        crate::cli::print_json(&report)?;
    } else {
        for m in report.modules.iter().filter(|m| m.action != "kept") {
            app.ui
                .status(&format!("{} {}@{}", m.action, m.module, m.version));
        }
        let kept = report.modules.iter().filter(|m| m.action == "kept").count();
        app.ui.status(&format!(
            "{}: {} module versions ({kept} already there); {} downloaded",
            report.dir,
            report.modules.len(),
            human_bytes(report.downloaded_bytes)
        ));
    }
    failures_error(
        &report.failed,
        ErrorKind::Checksum,
        "module version(s) not published",
        "a module the checksum database does not vouch for is never published; check GOPROXY and GOSUMDB",
    )
}

fn parse_on_off(s: &str) -> std::result::Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("`{s}`: expected on or off")),
    }
}

fn run_verify(app: &App, dir: &std::path::Path, json: bool) -> Result<()> {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let report = verify::verify(dir, jobs)?;
    if json {
        crate::cli::print_json(&report)?;
    } else if report.ok {
        app.ui.status(&format!(
            "{}: {} files verified ({})",
            report.dir,
            report.checked,
            human_bytes(report.bytes)
        ));
    }
    if report.ok {
        return Ok(());
    }
    let list: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}: {} ({})", p.name, p.problem, p.detail))
        .collect();
    Err(Error::new(
        ErrorKind::Checksum,
        format!(
            "{} bad file(s) in {}:\n    {}",
            list.len(),
            report.dir,
            list.join("\n    ")
        ),
    )
    .with_advice("run `gov mirror sync` on it to fetch them again"))
}
