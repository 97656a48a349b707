use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::app::App;
use crate::core::config;
use crate::core::error::{IoContext, Result};
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
        Scope::System => Layout::system(),
        Scope::User => app.layout.clone(),
    };
    let changed = persist::persist(&layout, scope, &a.root, a.remove)?;
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
    let this_shell = match persist::login_shell().as_str() {
        "fish" => "gov init fish | source".to_string(),
        "zsh" => "eval \"$(gov init zsh)\"".to_string(),
        _ => "eval \"$(gov init bash)\"".to_string(),
    };
    app.ui.status(&format!(
        "new login shells and services will find go and gofmt; this shell: `{this_shell}`"
    ));
    Ok(())
}

/// Writes gov's settings that this process got from the environment into
/// the layer's config file, so processes without that environment agree.
fn save_settings(app: &App, layout: &Layout) -> Result<()> {
    let from_env: Vec<(&str, String)> = config::KEYS
        .iter()
        .filter_map(|k| {
            std::env::var(k.name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty() && !v.contains(['\n', '\r']))
                .map(|v| (k.name, v))
        })
        .collect();
    if from_env.is_empty() {
        return Ok(());
    }
    let path = layout.config_file();
    let mut values: BTreeMap<String, String> = match std::fs::read_to_string(&path) {
        Ok(t) => config::parse(&t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(e).context(|| format!("reading {}", path.display())),
    };
    let before = values.clone();
    for (k, v) in &from_env {
        values.insert(k.to_string(), v.clone());
    }
    if values != before {
        config::write_settings_file(layout, &path, &config::render(&values))?;
        let names: Vec<&str> = from_env.iter().map(|(k, _)| *k).collect();
        app.ui.status(&format!(
            "saved {} in {} (`gov config show`)",
            names.join(", "),
            path.display()
        ));
    }
    Ok(())
}
