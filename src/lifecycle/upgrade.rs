//! `gov upgrade [<line>...]`: installs the newest patch of each installed
//! line that is behind (or of the lines named), moves a global selection
//! that names an older patch of an upgraded line to the new one (one atomic
//! write under the state lock), and leaves `.go-version` files alone,
//! listing the ones under the working directory that pin an older patch.
//! With `--prune` the patches it replaced are removed, unless something
//! still selects them.

use std::path::PathBuf;

use serde::Serialize;

use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::lock;
use crate::core::version::{GoVersion, VersionRequest};
use crate::entry::select;
use crate::install::{self, InstallOptions, Origin};
use crate::lifecycle::layers::{self, InstalledIn};
use crate::lifecycle::outdated::newest_of_line;
use crate::lifecycle::prune;
use crate::net::index::Freshness;

#[derive(Debug, Clone)]
pub struct Options {
    /// Lines (`1.22`) or versions of lines (`1.22.1`); empty: every line
    /// installed in a writable layer.
    pub lines: Vec<String>,
    pub prune: bool,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LineReport {
    /// The minor line, e.g. `1.22`.
    pub line: String,
    /// Installed patches of the line before the upgrade, newest first.
    pub from: Vec<String>,
    /// The newest patch of the line.
    pub to: String,
    /// False when the newest patch was installed already.
    pub installed: bool,
    /// The global selection moved to `to` (from this version).
    pub global_moved_from: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PinReport {
    /// The `.go-version` file.
    pub path: PathBuf,
    /// The version it names.
    pub pinned: String,
    /// The newest patch of that line.
    pub newest_patch: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub dry_run: bool,
    /// Each line that was (or would be) behind.
    pub upgraded: Vec<LineReport>,
    /// Lines already at their newest patch.
    pub up_to_date: Vec<String>,
    /// `.go-version` files under the working directory pinning an older
    /// patch of an upgraded line (left as they are).
    pub pinned: Vec<PinReport>,
    /// With `--prune`: what was removed.
    pub pruned: Option<prune::Report>,
}

fn line_of(arg: &str) -> Result<String> {
    match VersionRequest::parse(arg)? {
        VersionRequest::Family { major, minor } => Ok(format!("{major}.{minor}")),
        VersionRequest::Exact(v) => Ok(v.line()),
        VersionRequest::Latest => Err(Error::invalid(
            "`latest` is not a line: name one like 1.22, or nothing for every installed line",
        )
        .with_advice("to add the newest release, use `gov install latest`")),
    }
}

pub fn upgrade(
    app: &App,
    opts: &Options,
    on_installed: &dyn Fn(&install::Report),
) -> Result<Report> {
    let layers = layers::layers(app);
    let all = layers::installed(&layers)?;
    let writable: Vec<&'static str> = layers
        .iter()
        .filter(|l| l.writable)
        .map(|l| l.name())
        .collect();
    let mine: Vec<&InstalledIn> = all.iter().filter(|i| writable.contains(&i.layer)).collect();
    let lines = lines_to_upgrade(opts, &mine)?;
    let idx = app.index(Freshness::Revalidate)?;
    let global = select::global(&app.layout)?;
    let mut report = Report {
        dry_run: opts.dry_run,
        upgraded: Vec::new(),
        up_to_date: Vec::new(),
        pinned: Vec::new(),
        pruned: None,
    };
    let mut replaced: Vec<GoVersion> = Vec::new();
    let mut moved_from: Vec<GoVersion> = Vec::new();
    for line in &lines {
        let in_line: Vec<&GoVersion> = mine
            .iter()
            .filter(|i| i.version.line() == *line)
            .map(|i| &i.version)
            .collect();
        let Some(newest_installed) = in_line.iter().max().copied() else {
            continue;
        };
        let Some(newest) = newest_of_line(&idx, newest_installed) else {
            app.ui.warn(&format!(
                "the release index lists no Go {line} release; leaving it as it is"
            ));
            continue;
        };
        let moves_global = global.as_ref().and_then(|g| match &g.request {
            VersionRequest::Exact(v) if v.line() == *line && *v < newest => Some(v.clone()),
            _ => None,
        });
        let behind = *newest_installed < newest;
        if !behind && moves_global.is_none() {
            report.up_to_date.push(line.clone());
            continue;
        }
        if !opts.dry_run {
            if behind {
                on_installed(&install_newest(app, &newest)?);
            }
            if let Some(from) = &moves_global {
                move_global(app, from, &newest)?;
            }
        }
        moved_from.extend(moves_global.clone());
        replaced.extend(
            in_line
                .iter()
                .filter(|v| ***v < newest)
                .map(|v| (*v).clone()),
        );
        report.upgraded.push(LineReport {
            line: line.clone(),
            from: in_line.iter().map(|v| v.to_string()).collect(),
            to: newest.to_string(),
            installed: behind,
            global_moved_from: moves_global.map(|v| v.to_string()),
        });
    }
    if let Ok(cwd) = std::env::current_dir() {
        report.pinned = pins_behind(app, &cwd, &all, &report.upgraded);
    }
    if opts.prune && !replaced.is_empty() {
        let cwd = std::env::current_dir().ok();
        let pr = prune::prune(
            app,
            &prune::Options {
                keep: 1,
                dry_run: opts.dry_run,
                pins_under: cwd,
                superseded: Some(replaced),
                globals_moving_from: moved_from,
            },
        );
        report.pruned = Some(pr?);
    }
    Ok(report)
}

/// The lines named (each must be installed), else every installed line.
fn lines_to_upgrade(opts: &Options, mine: &[&InstalledIn]) -> Result<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    if opts.lines.is_empty() {
        for i in mine {
            if !lines.contains(&i.version.line()) {
                lines.push(i.version.line());
            }
        }
        return Ok(lines);
    }
    for a in &opts.lines {
        let l = line_of(a)?;
        if !mine.iter().any(|i| i.version.line() == l) {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no Go {l}.x is installed, so there is nothing to upgrade"),
            )
            .with_advice(format!("install it with `gov install {l}`")));
        }
        if !lines.contains(&l) {
            lines.push(l);
        }
    }
    Ok(lines)
}

/// Installs the line's newest patch, from the source `gov install` uses.
fn install_newest(app: &App, newest: &GoVersion) -> Result<install::Report> {
    install::install(
        app,
        &InstallOptions {
            origin: Origin::Remote(VersionRequest::Exact(newest.clone())),
            arch: arch::host().to_string(),
            force: false,
            // GOV_SOURCE decides here as it does for `gov install`.
            source: install::Source::from_flag_or_config(None)?,
        },
    )
}

/// Moves the global selection from `from` to `newest`, under the state
/// lock and only if nothing changed meanwhile.
fn move_global(app: &App, from: &GoVersion, newest: &GoVersion) -> Result<()> {
    let _guard = lock::acquire(&app.layout.state_lock(), "to change the selection", |m| {
        app.ui.status(m)
    })?;
    // Re-read under the lock: another gov may have changed it, or
    // removed the new version again.
    let still = select::global(&app.layout)?
        .is_some_and(|g| g.request == VersionRequest::Exact(from.clone()));
    let there = crate::core::installed::find(&app.layout, &VersionRequest::Exact(newest.clone()))?
        .is_some();
    if still && there {
        select::set_global(&app.layout, newest)?;
    }
    Ok(())
}

/// The `.go-version` files below `cwd`, and the one above it that selects
/// here, that pin an older patch of an upgraded line.
fn pins_behind(
    app: &App,
    cwd: &std::path::Path,
    all: &[InstalledIn],
    upgraded: &[LineReport],
) -> Vec<PinReport> {
    let mut pins = layers::pins_under(cwd, all);
    if let Some(h) = layers::here(app, cwd, all)
        && h.by.kind == "version-file"
        && let Some(path) = h.by.path.clone()
        && !pins.iter().any(|p| p.path == path)
    {
        pins.push(layers::Pin {
            path,
            raw: h.selection.raw.clone(),
            request: h.selection.request.clone(),
            resolved: h.resolved.clone(),
        });
    }
    let mut behind = Vec::new();
    for p in pins {
        let VersionRequest::Exact(v) = &p.request else {
            continue;
        };
        if let Some(u) = upgraded.iter().find(|u| u.line == v.line())
            && GoVersion::parse(&u.to).is_some_and(|to| *v < to)
        {
            behind.push(PinReport {
                path: p.path.clone(),
                pinned: p.raw.clone(),
                newest_patch: u.to.clone(),
            });
        }
    }
    behind
}
