use std::path::PathBuf;

use crate::app::App;
use crate::core::error::Result;
use crate::install::{import, migrate};

/// Adopt existing Go trees (a hand install, goenv, ~/sdk, g) without downloading.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A directory of trees imports each of them; goenv's global becomes gov's when gov has none.\n\nExamples:\n  gov import /usr/local/go\n  gov import ~/.goenv            # every goenv version, and its global\n  gov import ~/sdk               # golang.org/dl's go1.22.5, ...\n  gov import ~/.g/versions\n  gov import ~/.goenv/versions/1.21.0"
)]
pub struct Args {
    /// A Go tree (holding bin/go and VERSION), or a folder of them.
    dir: PathBuf,
    /// Replace versions that are already installed; as root, also take a
    /// tree another account owns or can write (its go is then not run).
    #[arg(long)]
    force: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    if !migrate::is_collection(&a.dir) {
        let v = import::import(app, &a.dir, a.force)?;
        app.ui.status(&format!(
            "Imported Go {v} from {} into {}",
            a.dir.display(),
            app.layout.version_dir(v.as_str()).display()
        ));
        return Ok(());
    }
    let m = migrate::import_collection(app, &a.dir, a.force)?;
    for (v, from) in &m.imported {
        app.ui
            .status(&format!("Imported Go {v} from {}", from.display()));
    }
    for (v, from) in &m.skipped {
        app.ui.status(&format!(
            "Go {v} is already installed; skipped {} (--force replaces it)",
            from.display()
        ));
    }
    for (p, why) in &m.failed {
        app.ui
            .warn(&format!("not imported: {}: {why}", p.display()));
    }
    if let Some(g) = &m.global {
        app.ui
            .status(&format!("goenv's global is {g}; making it gov's"));
        super::global::set(app, g.as_str())?;
    }
    if let Some(g) = &m.global_kept {
        app.ui.status(&format!(
            "goenv's global is {g}; gov's global is unchanged (`gov global {g}` switches)"
        ));
    }
    Ok(())
}
