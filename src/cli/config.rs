use super::answers::{ConfigChange, ConfigDocument, ConfigFile, ConfigShow, SettingRow};
use crate::app::App;
use crate::core::config::{self, Change, Settings, Updated};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::layout::{Layout, is_root};
use crate::core::registry::Store;
use crate::settings::registry;

/// Show and change gov's own settings (index URL, mirrors, timeouts...).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Values come from the environment (GOV_*), else this account's config file\n\
($GOV_HOME/config), else the system layer's ($GOV_SYSTEM_HOME/config), else\n\
the built-in default. Root's changes reach every account.\n\n\
Examples:\n  gov config show\n  gov config set GOV_MIRROR=https://mirror.example/go GOV_INDEX_URL=https://mirror.example/go/index.json\n  sudo gov config set --system GOV_MIRROR=https://mirror.example/go\n  gov config get GOV_MIRROR\n  gov config unset GOV_MIRROR\n  gov config set GOV_MIRROR=https://mirror.example/go --json --dry-run   # for orchestrators\n  gov config show --json"
)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Every setting, its value and the layer it came from.
    Show {
        /// Machine-readable output (schema: docs/reference/json/config-show.json).
        #[arg(long)]
        json: bool,
    },
    /// Print one setting's effective value.
    Get {
        #[arg(value_name = "KEY")]
        key: String,
    },
    /// Set settings in this account's layer (or the system layer).
    Set {
        #[arg(value_name = "KEY=VALUE", required = true)]
        pairs: Vec<String>,
        /// Write the system layer (root only).
        #[arg(long)]
        system: bool,
        #[command(flatten)]
        out: ChangeOutput,
    },
    /// Remove settings from this account's layer (or the system layer).
    Unset {
        #[arg(value_name = "KEY", required = true)]
        keys: Vec<String>,
        /// Write the system layer (root only).
        #[arg(long)]
        system: bool,
        #[command(flatten)]
        out: ChangeOutput,
    },
}

/// `--json` and `--dry-run` of `set` and `unset`.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub(crate) struct ChangeOutput {
    /// Machine-readable output (schema: docs/reference/json/config-change.json).
    #[arg(long)]
    pub json: bool,
    /// Say what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl Args {
    /// Whether this run answers with a JSON document.
    pub fn machine(&self) -> bool {
        match &self.command {
            Sub::Set { out, .. } | Sub::Unset { out, .. } => out.json,
            _ => false,
        }
    }
}

pub fn run(app: &App, a: Args) -> Result<()> {
    match a.command {
        Sub::Show { json } => show(app, json),
        Sub::Get { key } => {
            registry::gov_key(&key)?;
            println!("{}", app.settings().resolve(&key).value);
            Ok(())
        }
        Sub::Set { pairs, system, out } => {
            let mut changes = Vec::new();
            for p in &pairs {
                let Some((k, v)) = p.split_once('=') else {
                    return Err(Error::invalid(format!(
                        "`{}` is not KEY=VALUE",
                        crate::core::quote::excerpt(p, 80)
                    ))
                    .with_advice("e.g. gov config set GOV_MIRROR=https://mirror.example/go"));
                };
                registry::gov_key(k)?;
                changes.push((k.to_string(), Some(registry::validate_gov(k, v.trim())?)));
            }
            answer(app, system, changes, out)
        }
        Sub::Unset { keys, system, out } => {
            for k in &keys {
                registry::gov_key(k)?;
            }
            answer(
                app,
                system,
                keys.into_iter().map(|k| (k, None)).collect(),
                out,
            )
        }
    }
}

/// The layer a change goes to: the caller's own, or the system layer when
/// asked (root only).
fn target(app: &App, system: bool) -> Result<Layout> {
    if !system {
        return Ok(app.layout.clone());
    }
    if !is_root() {
        return Err(
            Error::new(ErrorKind::Permission, "the system layer belongs to root")
                .with_advice("run it as root: `sudo gov config set --system ...`"),
        );
    }
    Ok(app.layout.system_layer())
}

/// `set`/`unset`: the change, then the text or the JSON document.
fn answer(app: &App, system: bool, changes: Vec<Change>, out: ChangeOutput) -> Result<()> {
    let u = change(app, system, &changes, out)?;
    if !out.json {
        return Ok(());
    }
    let doc = ConfigChange {
        changed: u.changed(),
        dry_run: out.dry_run,
        action: if u.changed() { "updated" } else { "unchanged" },
        layer: if system { "system" } else { "user" },
        file: &u.path,
        requested: changes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect(),
        changed_keys: u.changed_keys(),
        before: &u.before,
        after: &u.after,
    };
    crate::cli::machine::of(app).answer(&doc)
}

/// Changes keys of this account's config file in one atomic write (for
/// `gov proxy use`'s preset marker).
pub(crate) fn update(app: &App, system: bool, changes: Vec<Change>) -> Result<()> {
    change(app, system, &changes, ChangeOutput::default()).map(|_| ())
}

/// The change through the library, then what it did in words.
fn change(app: &App, system: bool, changes: &[Change], out: ChangeOutput) -> Result<Updated> {
    let layout = target(app, system)?;
    let u = config::update_layer_file(&layout, Store::Config, changes, out.dry_run)?;
    if out.json {
        return Ok(u);
    }
    if !u.changed() {
        app.ui.status("nothing to change");
        return Ok(u);
    }
    let shown = u.path.display();
    if out.dry_run {
        for k in u.changed_keys() {
            let what = match u.after.get(&k) {
                Some(v) => format!("would set {k}={v} ({shown})"),
                None => format!("would unset {k} ({shown})"),
            };
            crate::cli::machine::would(app, &what);
        }
        return Ok(u);
    }
    for (k, v) in changes {
        match v {
            Some(v) => app.ui.status(&format!("{k}={v} ({shown})")),
            None => app.ui.status(&format!("{k} unset ({shown})")),
        }
        warn_if_exported(app, k);
    }
    Ok(u)
}

/// A key the environment also sets wins over the file just written.
fn warn_if_exported(app: &App, key: &str) {
    if app.env.non_empty(key).is_some() {
        app.ui.warn(&format!(
            "{key} is also set in this environment, which takes precedence over the file"
        ));
    }
}

fn rows(settings: &Settings) -> Vec<SettingRow> {
    config::gov_keys()
        .map(|k| {
            let r = settings.resolve(k.name);
            let file = match &r.origin {
                Some(config::Origin::File { path, .. }) => Some(path.display().to_string()),
                _ => None,
            };
            SettingRow {
                key: k.name,
                origin: r.origin_name(),
                value: r.value,
                file,
            }
        })
        .collect()
}

/// The document `gov config show --json` prints (also part of `gov info
/// --json`).
pub(crate) fn document(app: &App) -> ConfigDocument {
    let settings = app.settings();
    let files = settings
        .files()
        .into_iter()
        .map(|(p, system)| ConfigFile {
            layer: if system { "system" } else { "user" },
            exists: p.exists(),
            path: p.display().to_string(),
        })
        .collect();
    ConfigDocument {
        settings: rows(settings),
        files,
        toolchain_source: crate::install::resolve_source(None).ok(),
    }
}

fn show(app: &App, json: bool) -> Result<()> {
    for why in app.settings().refusals() {
        app.ui.warn(why);
    }
    if json {
        return super::print_json(&ConfigShow {
            schema: 1,
            document: document(app),
        });
    }
    let rows = rows(app.settings());
    let width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    for r in &rows {
        let from = match &r.file {
            Some(f) => format!("{} ({f})", r.origin),
            None => r.origin.to_string(),
        };
        super::print_text(&format!(
            "{:width$}  {}  [{from}]\n",
            r.key,
            crate::core::quote::redact_credentials(&r.value)
        ));
    }
    // Which source installs use follows from several keys: say it.
    match crate::install::resolve_source(None) {
        Ok(r) => println!("\ntoolchains come from {}", r.describe()),
        Err(e) => println!("\ntoolchain source: {}", e.message()),
    }
    Ok(())
}
