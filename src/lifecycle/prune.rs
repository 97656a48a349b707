//! `gov prune`: removes superseded patch versions that nothing selects.
//!
//! Per line, the newest `keep` installed versions stay (never fewer than
//! one: the newest patch of a line is never removed). Of the rest, a
//! version stays when a global file of any layer, GOV_VERSION, the
//! selection of the working directory, or (when asked) a `.go-version`
//! under the working directory selects it. Removal goes through
//! `install::uninstall`, with its locks and its own global check.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::app::App;
use crate::core::error::{Error, Result};
use crate::core::version::{GoVersion, VersionRequest};
use crate::install;
use crate::lifecycle::layers::{self, InstalledIn};

#[derive(Debug, Clone)]
pub struct Options {
    /// Installed versions kept per line (at least 1).
    pub keep: usize,
    pub dry_run: bool,
    /// Also keep versions that `.go-version` files under this directory pin.
    pub pins_under: Option<PathBuf>,
    /// Upgrade's `--prune`: only these versions are candidates, each
    /// superseded by a newer patch installed (or, in a dry run, about to
    /// be) by the upgrade; `None` for every installed version.
    pub superseded: Option<Vec<GoVersion>>,
    /// Global selections that the upgrade moves away from these versions
    /// (in a dry run the global files still name them).
    pub globals_moving_from: Vec<GoVersion>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Removed {
    pub version: String,
    /// `user` or `system`.
    pub layer: &'static str,
    pub goroot: PathBuf,
    /// Bytes its tree took on disk.
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Kept {
    pub version: String,
    /// `user` or `system`.
    pub layer: &'static str,
    /// Why it stays (the newest patch of its line, a selection, ...).
    pub why: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub dry_run: bool,
    /// Versions removed (or, with `dry_run`, that would be).
    pub removed: Vec<Removed>,
    /// The installed versions it kept, and why.
    pub kept: Vec<Kept>,
    /// Bytes freed (or that would be).
    pub freed_bytes: u64,
}

/// Bytes a tree takes on disk (allocated blocks; symlinks not followed).
pub fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    let mut total = meta.blocks() * 512;
    if meta.is_dir()
        && let Ok(rd) = std::fs::read_dir(path)
    {
        for e in rd.flatten() {
            total += disk_usage(&e.path());
        }
    }
    total
}

/// A version something selects.
pub struct Selected {
    pub version: GoVersion,
    /// The reason, for messages.
    pub why: String,
    /// A layer's global selection (which an upgrade may be moving away).
    pub global: bool,
}

/// Why a version must stay, if it must.
fn protected(v: &GoVersion, selected: &[Selected]) -> Option<String> {
    selected
        .iter()
        .find(|s| s.version == *v)
        .map(|s| s.why.clone())
}

/// Every version something selects, with a reason for messages.
pub fn selected_versions(
    app: &App,
    layers: &[layers::Layer],
    all: &[InstalledIn],
    pins_under: Option<&Path>,
) -> Result<Vec<Selected>> {
    let mut out = Vec::new();
    let mut push = |version, why, global| {
        out.push(Selected {
            version,
            why,
            global,
        })
    };
    for g in layers::globals(layers, all)? {
        if let Some(v) = g.resolved {
            let layer = g.by.layer.unwrap_or("user");
            push(v, format!("the global version of the {layer} layer"), true);
        }
    }
    if let Ok(cwd) = std::env::current_dir()
        && let Some(h) = layers::here(app, &cwd, all)
        && let Some(v) = h.resolved
    {
        push(v, format!("selected here ({})", h.selection.source), false);
    }
    if let Some(root) = pins_under {
        for p in layers::pins_under(root, all) {
            if let Some(v) = p.resolved {
                push(v, format!("pinned by {}", p.path.display()), false);
            }
        }
    }
    Ok(out)
}

/// Plans and (unless a dry run) performs the removals.
pub fn prune(app: &App, opts: &Options) -> Result<Report> {
    if opts.keep == 0 {
        return Err(Error::invalid("--keep must be at least 1")
            .with_advice("the newest installed patch of each line is always kept"));
    }
    let layers = layers::layers(app);
    let all = layers::installed(&layers)?;
    let selected: Vec<Selected> =
        selected_versions(app, &layers, &all, opts.pins_under.as_deref())?
            .into_iter()
            .filter(|s| !(s.global && opts.globals_moving_from.contains(&s.version)))
            .collect();
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    let writable: Vec<&'static str> = layers
        .iter()
        .filter(|l| l.writable)
        .map(|l| l.name())
        .collect();
    for layer in &writable {
        // Newest first, so the first `keep` of each line are the newest.
        let mine: Vec<&InstalledIn> = all.iter().filter(|i| i.layer == *layer).collect();
        let mut lines: Vec<String> = Vec::new();
        for i in &mine {
            if !lines.contains(&i.version.line()) {
                lines.push(i.version.line());
            }
        }
        for line in lines {
            let in_line: Vec<&&InstalledIn> =
                mine.iter().filter(|i| i.version.line() == line).collect();
            for (rank, i) in in_line.iter().enumerate() {
                let v = &i.version;
                let why = if let Some(sup) = &opts.superseded {
                    if !sup.contains(v) {
                        continue;
                    }
                    protected(v, &selected)
                } else if rank == 0 {
                    Some(format!("the newest installed patch of {line}"))
                } else if rank < opts.keep {
                    Some(format!(
                        "one of the {} newest of {line} (--keep)",
                        opts.keep
                    ))
                } else {
                    protected(v, &selected)
                };
                match why {
                    Some(why) => kept.push(Kept {
                        version: v.to_string(),
                        layer,
                        why,
                    }),
                    None => {
                        let bytes = disk_usage(&i.goroot);
                        if !opts.dry_run {
                            install::uninstall(app, &VersionRequest::Exact(v.clone()))?;
                        }
                        removed.push(Removed {
                            version: v.to_string(),
                            layer,
                            goroot: i.goroot.clone(),
                            bytes,
                        });
                    }
                }
            }
        }
    }
    let freed_bytes = removed.iter().map(|r| r.bytes).sum();
    Ok(Report {
        dry_run: opts.dry_run,
        removed,
        kept,
        freed_bytes,
    })
}
