use super::answers::{GlobalSet, GlobalShow, GlobalUnset};
use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::layers::Layer;
use crate::core::version::VersionRequest;
use crate::entry::entrypoints;
use crate::entry::select;
use crate::lifecycle::selection;

/// Show or set the default Go version.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "An account's own global comes before the system layer's; `--system` (root)\n\
sets the one every account falls back to.\n\
The global names one exact version: `gov global 1.22` pins the newest 1.22.x installed now\n\
and does not move when a newer 1.22.x is installed (`gov local 1.22` writes a .go-version that floats).\n\n\
Examples:\n  gov global 1.22.5\n  gov global 1.22     # pins the newest installed 1.22.x\n  gov global          # print it\n  gov global --unset  # follow the system layer's\n  sudo gov global --system 1.22.5\n  gov global 1.22.5 --dry-run --json"
)]
pub struct Args {
    /// An installed version; omit to print the current global version.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: Option<String>,
    /// Move a foreign go/gofmt in GOV_BIN_DIR aside instead of stopping.
    #[arg(long)]
    force: bool,
    /// The system layer's global, for every account (root only).
    #[arg(long)]
    system: bool,
    /// Drop this layer's global, so the one below applies (the system's).
    #[arg(long, conflicts_with = "version")]
    unset: bool,
    /// Answer with one JSON document (schemas: docs/reference/json/global*.json).
    #[arg(long)]
    pub(crate) json: bool,
    /// Report what would change; write nothing.
    #[arg(long, requires = "version")]
    dry_run: bool,
}

/// `gov use` and `gov import`: `gov global <version>` in this account's
/// layer once the version is installed.
pub(crate) fn set(app: &App, version: &str) -> Result<()> {
    run(
        app,
        Args {
            version: Some(version.to_string()),
            force: false,
            system: false,
            unset: false,
            json: false,
            dry_run: false,
        },
    )
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let sys;
    let app = if a.system {
        sys = app.system("global")?;
        &sys
    } else {
        app
    };
    if a.unset {
        return unset(app, a.json);
    }
    let Some(v) = a.version else {
        return show(app, a.system, a.json);
    };
    let req = VersionRequest::parse(&v)?;
    let set = selection::set_global(app, &req, a.force, a.dry_run)?;
    let answer = || {
        let doc = GlobalSet {
            changed: set.changed(),
            dry_run: a.dry_run,
            action: if set.same { "already-set" } else { "set" },
            requested: set.requested.to_string(),
            version: set.version.as_str(),
            before: set.before.as_deref(),
            after: set.version.as_str(),
            entry_points: &set.links,
        };
        crate::cli::machine::of(app).answer(&doc)
    };
    if a.dry_run {
        if a.json {
            return answer();
        }
        let what = match (set.same, set.links.is_empty()) {
            (true, true) => format!("Go {} is already the global version", set.version),
            (true, false) => format!("would link the entry points for Go {}", set.version),
            (false, _) => format!("would make Go {} the global version", set.version),
        };
        crate::cli::machine::would(app, &what);
        return Ok(());
    }
    report_set(app, &req, &set);
    if a.json {
        return answer();
    }
    Ok(())
}

/// What a set did, in words.
fn report_set(app: &App, req: &VersionRequest, set: &selection::GlobalSet) {
    let layout = &app.layout;
    for (from, to) in &set.moved_aside {
        app.ui.warn(&format!(
            "moved {} aside to {}",
            from.display(),
            to.display()
        ));
    }
    let whose = if layout.is_system() {
        " (system layer)"
    } else {
        ""
    };
    let pinned = match req {
        VersionRequest::Exact(_) => String::new(),
        _ => format!(" (pinned: {req} resolved to the newest installed match)"),
    };
    app.ui.status(&format!(
        "Global Go version{whose}: {}{pinned}",
        set.version
    ));
    if !entrypoints::on_path(&app.env, layout.bin_dir()) {
        app.ui.warn(&format!(
            "{} is not on PATH; add it (e.g. `eval \"$(gov init bash)\"` in ~/.bashrc)",
            layout.bin_dir().display()
        ));
    }
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(Some(sel)) = select::select(&app.layers(), &cwd)
        && select::global_layer(&sel.source).is_none()
    {
        app.ui
            .status(&format!("note: here Go {} is {}", sel.raw, sel.source));
    }
}

fn unset(app: &App, json: bool) -> Result<()> {
    let u = selection::unset_global(app)?;
    if !u.removed {
        app.ui.status("no global is set in this layer");
    }
    if json {
        let doc = GlobalUnset {
            changed: u.removed,
            dry_run: false,
            action: if u.removed { "unset" } else { "not-set" },
            global: u.now.as_ref().map(|s| s.raw.clone()),
            source: u.now.as_ref().map(|s| s.source.to_string()),
        };
        return crate::cli::machine::of(app).answer(&doc);
    }
    match u.now {
        Some(sel) => app
            .ui
            .status(&format!("global now: {} ({})", sel.raw, sel.source)),
        None => app.ui.status("no global Go version is set now"),
    }
    Ok(())
}

/// Without --system: what `go` falls back to for this account.
fn show(app: &App, system: bool, json: bool) -> Result<()> {
    let layout = &app.layout;
    let found = if system {
        select::global(layout)?
    } else {
        select::layered_global(&app.layers())?
    };
    if json {
        let file = layout.global_file();
        let doc = GlobalShow {
            global: found.as_ref().map(|s| s.raw.clone()),
            source: found.as_ref().map(|s| s.source.to_string()),
            file: &file,
        };
        return crate::cli::machine::of(app).answer(&doc);
    }
    match found {
        Some(sel) => {
            if select::global_layer(&sel.source) == Some(Layer::System) && !layout.is_system() {
                app.ui.status(&format!("({})", sel.source));
            }
            println!("{}", sel.raw);
            Ok(())
        }
        None => Err(
            Error::new(ErrorKind::NotFound, "no global Go version is set")
                .with_advice("set one with `gov global <version>`"),
        ),
    }
}
