use std::path::PathBuf;

use crate::app::App;
use crate::core::config;
use crate::core::error::Result;
use crate::core::layout::{Layout, is_root};
use crate::settings::persist::{self, Scope};

/// Make gov's entry points reach login shells and systemd services.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--system (the default for root) gives every account the system layer's entry\n\
points: /etc/profile.d/gov.sh for login shells, /etc/environment.d/60-gov.conf for\n\
systemd user managers and, when system services would not find them on their\n\
default PATH, /etc/systemd/system.conf.d/60-gov.conf. --user writes a marked block\n\
in ~/.profile and ~/.config/environment.d/gov.conf. zsh users also get a block in\n\
~/.zprofile (created; zsh logins skip ~/.profile), fish users conf.d/gov.fish; --system\n\
also writes /etc/zsh/zprofile and /etc/fish/conf.d/gov.fish where those shells exist.\n\n\
gov's own settings given in the environment (GOV_MIRROR, GOV_INDEX_URL, ...) are\n\
saved in the layer's config file, so cron jobs and services keep using them.\n\n\
Examples:\n  sudo gov persist --system\n  GOV_MIRROR=https://mirror.example/go gov persist\n  gov persist --user\n  gov persist --remove"
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
    // The system scope is about the system layer's entry points, whoever
    // runs it (an image build may run it unprivileged with --root).
    let layout = match scope {
        Scope::System => app.layout.system_layer(),
        Scope::User => app.layout.clone(),
    };
    let changed = persist::persist(&layout, scope, &a.root, a.remove, &app.env)?;
    if changed.is_empty() {
        app.ui.status("nothing to change");
    }
    for p in &changed {
        let verb = if a.remove { "updated" } else { "wrote" };
        app.ui.status(&format!("{verb} {}", p.display()));
    }
    if a.remove {
        return Ok(());
    }
    if scope == Scope::User || is_root() {
        save_settings(app, &layout)?;
    }
    if changed
        .iter()
        .any(|p| p.ends_with("system.conf.d/60-gov.conf"))
    {
        app.ui
            .status("system services see it after `systemctl daemon-reexec` (or a reboot)");
    }
    let this_shell = match persist::login_shell(&app.env).as_str() {
        "fish" => "gov init fish | source".to_string(),
        "zsh" => "eval \"$(gov init zsh)\"".to_string(),
        _ => "eval \"$(gov init bash)\"".to_string(),
    };
    app.ui.status(&format!(
        "new login shells and services will find go and gofmt; this shell: `{this_shell}`"
    ));
    Ok(())
}

/// Saves gov's settings this process got from the environment in the
/// layer's config file, and says so.
fn save_settings(app: &App, layout: &Layout) -> Result<()> {
    let u = config::save_from_env(&app.env, layout)?;
    if u.changed() {
        let names: Vec<&str> = u.requested.iter().map(|(k, _)| k.as_str()).collect();
        app.ui.status(&format!(
            "saved {} in {} (`gov config show`)",
            names.join(", "),
            u.updated.path.display()
        ));
    }
    Ok(())
}
