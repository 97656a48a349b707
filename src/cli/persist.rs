use std::path::PathBuf;

use crate::app::App;
use crate::core::error::Result;
use crate::core::layout::is_root;
use crate::settings::persist::{self, Scope};

/// Make gov's entry points reach login shells and systemd user services.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Root writes /etc/profile.d/gov.sh and /etc/environment.d/60-gov.conf;\n\
other users a marked block in ~/.profile and ~/.config/environment.d/gov.conf.\n\n\
Examples:\n  gov persist\n  gov persist --user\n  gov persist --remove"
)]
pub struct Args {
    /// Write the system-wide files (default for root).
    #[arg(long, conflicts_with = "user")]
    system: bool,
    /// Write this user's files (default for others).
    #[arg(long)]
    user: bool,
    /// Remove what gov persisted.
    #[arg(long)]
    remove: bool,
    /// Prefix for system paths (for images and tests).
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let scope = if a.system || (!a.user && is_root()) {
        Scope::System
    } else {
        Scope::User
    };
    let changed = persist::persist(&app.layout, scope, &a.root, a.remove)?;
    if changed.is_empty() {
        app.ui.status("nothing to change");
    }
    for p in changed {
        let verb = if a.remove { "updated" } else { "wrote" };
        app.ui.status(&format!("{verb} {}", p.display()));
    }
    if !a.remove {
        app.ui.status("new login shells and user services will find go and gofmt; this shell: `eval \"$(gov init bash)\"`");
    }
    Ok(())
}
