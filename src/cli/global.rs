use serde_json::json;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::installed;
use crate::core::layers::Layer;
use crate::core::lock;
use crate::core::version::VersionRequest;
use crate::entry::entrypoints;
use crate::entry::select;

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
    /// Answer with one JSON document (schema: see README).
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
    let layout = &app.layout;
    if a.unset {
        let _guard = lock::acquire(&layout.state_lock(), "to change the selection", |m| {
            app.ui.status(m)
        })?;
        let removed = select::unset_global(layout)?;
        if !removed {
            app.ui.status("no global is set in this layer");
        }
        let now = select::layered_global(&app.layers())?;
        if a.json {
            return crate::cli::machine::of(app).answer(json!({
                "changed": removed,
                "dry_run": false,
                "action": if removed { "unset" } else { "not-set" },
                "global": now.as_ref().map(|s| s.raw.clone()),
                "source": now.as_ref().map(|s| s.source.to_string()),
            }));
        }
        match now {
            Some(sel) => app
                .ui
                .status(&format!("global now: {} ({})", sel.raw, sel.source)),
            None => app.ui.status("no global Go version is set now"),
        }
        return Ok(());
    }
    let Some(v) = a.version else {
        // Without --system: what `go` falls back to for this account.
        let found = if a.system {
            select::global(layout)?
        } else {
            select::layered_global(&app.layers())?
        };
        if a.json {
            return crate::cli::machine::of(app).answer(json!({
                "global": found.as_ref().map(|s| s.raw.clone()),
                "source": found.as_ref().map(|s| s.source.to_string()),
                "file": layout.global_file(),
            }));
        }
        return match found {
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
        };
    };
    let req = VersionRequest::parse(&v)?;
    // Whether it is installed is decided under the state lock, which
    // `gov uninstall` holds while it removes a version: the global never
    // ends up naming a version that is gone.
    let _guard = if a.dry_run {
        None
    } else {
        Some(lock::acquire(
            &layout.state_lock(),
            "to change the selection",
            |m| app.ui.status(m),
        )?)
    };
    // The system global may name only what every account can run: a
    // version of the system layer. An account's own may name either.
    let found = if layout.is_system() {
        installed::find(layout, &req)?
    } else {
        installed::find_in(&app.layers(), &req)?
    };
    let Some(found) = found else {
        let advice = if layout.is_system() {
            format!("install it into the system layer first: `gov install {req}` as root")
        } else {
            format!("install it first: `gov install {req}`")
        };
        return Err(
            Error::new(ErrorKind::NotFound, format!("Go {req} is not installed"))
                .with_advice(advice),
        );
    };
    let before = select::global(layout)?;
    let same = before
        .as_ref()
        .is_some_and(|s| s.request == VersionRequest::Exact(found.version.clone()));
    let links = entrypoints::pending(layout, a.force)?;
    let changed = !same || !links.is_empty();
    let answer = || {
        crate::cli::machine::of(app).answer(json!({
            "changed": changed,
            "dry_run": a.dry_run,
            "action": if same { "already-set" } else { "set" },
            "requested": req.to_string(),
            "version": found.version.as_str(),
            "before": before.as_ref().map(|s| s.raw.clone()),
            "after": found.version.as_str(),
            "entry_points": links,
        }))
    };
    if a.dry_run {
        if a.json {
            return answer();
        }
        let what = match (same, links.is_empty()) {
            (true, true) => format!("Go {} is already the global version", found.version),
            (true, false) => format!("would link the entry points for Go {}", found.version),
            (false, _) => format!("would make Go {} the global version", found.version),
        };
        crate::cli::machine::would(app, &what);
        return Ok(());
    }
    for (from, to) in entrypoints::ensure(layout, a.force)? {
        app.ui.warn(&format!(
            "moved {} aside to {}",
            from.display(),
            to.display()
        ));
    }
    if !same {
        select::set_global(layout, &found.version)?;
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
        found.version
    ));
    if !entrypoints::on_path(layout.bin_dir()) {
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
    if a.json {
        return answer();
    }
    Ok(())
}
