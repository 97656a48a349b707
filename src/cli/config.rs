use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::app::App;
use crate::core::config::{self, Kind, Origin};
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::layout::{Layout, is_root};

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
        /// Machine-readable output (schema: see README).
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
    /// Machine-readable output (schema: see README).
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
        Sub::Show { json } => show(json),
        Sub::Get { key } => {
            known(&key)?;
            let value = config::get(&key)
                .or_else(|| config::key(&key).map(|k| k.default.to_string()))
                .unwrap_or_default();
            println!("{value}");
            Ok(())
        }
        Sub::Set { pairs, system, out } => {
            let mut changes = Vec::new();
            for p in &pairs {
                let Some((k, v)) = p.split_once('=') else {
                    return Err(Error::invalid(format!("`{}` is not KEY=VALUE", escape(p)))
                        .with_advice("e.g. gov config set GOV_MIRROR=https://mirror.example/go"));
                };
                known(k)?;
                changes.push((k.to_string(), Some(validate(k, v.trim())?)));
            }
            answer(app, system, changes, out)
        }
        Sub::Unset { keys, system, out } => {
            for k in &keys {
                known(k)?;
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

/// A value as it may be shown in a message: short, control characters
/// escaped.
fn escape(s: &str) -> String {
    crate::core::quote::excerpt(s, 80)
}

fn known(key: &str) -> Result<()> {
    if config::key(key).is_some() {
        return Ok(());
    }
    let names: Vec<&str> = config::KEYS.iter().map(|k| k.name).collect();
    Err(
        Error::invalid(format!("`{}` is not a gov setting", escape(key)))
            .with_advice(format!("settings: {}", names.join(", "))),
    )
}

fn validate(key: &str, value: &str) -> Result<String> {
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "the value for {key} holds control characters: `{}`",
            escape(value)
        )));
    }
    let Some(k) = config::key(key) else {
        return Err(Error::invalid(format!("`{key}` is not a gov setting")));
    };
    let url_ok = |u: &str| -> Result<()> {
        let parsed = url::Url::parse(u).map_err(|e| {
            Error::invalid(format!("{key}: `{}` is not a URL", escape(u))).with_source(e)
        })?;
        match parsed.scheme() {
            "https" | "http" | "file" => Ok(()),
            other => Err(Error::invalid(format!(
                "{key}: the scheme `{other}` is not supported"
            ))
            .with_advice("use https:// (http:// for an intranet host, with GOV_ALLOW_HTTP=1), or file://")),
        }
    };
    match k.kind {
        Kind::Url => url_ok(value)?,
        Kind::UrlList => {
            let parts: Vec<&str> = value.split(',').map(str::trim).collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(Error::invalid(format!(
                    "{key}: empty entry in the list `{}`",
                    escape(value)
                )));
            }
            for p in parts {
                url_ok(p)?;
            }
        }
        Kind::Number => {
            value.parse::<u64>().map_err(|_| {
                Error::invalid(format!(
                    "{key} takes a whole number, not `{}`",
                    escape(value)
                ))
            })?;
        }
        Kind::Word(words) => {
            if !words.contains(&value) {
                return Err(Error::invalid(format!(
                    "{key} takes one of {}, not `{}`",
                    words.join(", "),
                    escape(value)
                )));
            }
        }
    }
    Ok(value.to_string())
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
    Ok(Layout::system())
}

/// What a change to one layer's config file did (or would do).
pub(crate) struct Updated {
    pub path: PathBuf,
    pub before: BTreeMap<String, String>,
    pub after: BTreeMap<String, String>,
}

impl Updated {
    fn changed_keys(&self) -> Vec<&String> {
        let mut keys: Vec<&String> = self.before.keys().chain(self.after.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.retain(|k| self.before.get(*k) != self.after.get(*k));
        keys
    }
}

/// `set`/`unset`: the change, then the text or the JSON document.
fn answer(
    app: &App,
    system: bool,
    changes: Vec<(String, Option<String>)>,
    out: ChangeOutput,
) -> Result<()> {
    let requested: serde_json::Map<String, serde_json::Value> = changes
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!(v)))
        .collect();
    let u = change(app, system, changes, out)?;
    if !out.json {
        return Ok(());
    }
    let changed = u.before != u.after;
    crate::cli::machine::of(app).answer(serde_json::json!({
        "changed": changed,
        "dry_run": out.dry_run,
        "action": if changed { "updated" } else { "unchanged" },
        "layer": if system { "system" } else { "user" },
        "file": u.path,
        "requested": requested,
        "changed_keys": u.changed_keys(),
        "before": u.before,
        "after": u.after,
    }))
}

/// Changes keys of one layer's config file in one atomic write.
pub(crate) fn update(
    app: &App,
    system: bool,
    changes: Vec<(String, Option<String>)>,
) -> Result<()> {
    change(app, system, changes, ChangeOutput::default()).map(|_| ())
}

fn change(
    app: &App,
    system: bool,
    changes: Vec<(String, Option<String>)>,
    out: ChangeOutput,
) -> Result<Updated> {
    let layout = target(app, system)?;
    let path = layout.config_file();
    let mut values: BTreeMap<String, String> = match std::fs::read_to_string(&path) {
        Ok(t) => config::parse(&t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(e).context(|| format!("reading {}", path.display())),
    };
    let before = values.clone();
    for (k, v) in &changes {
        match v {
            Some(v) => values.insert(k.clone(), v.clone()),
            None => values.remove(k),
        };
    }
    let u = Updated {
        path,
        before,
        after: values,
    };
    if u.after == u.before {
        if !out.json {
            app.ui.status("nothing to change");
        }
        return Ok(u);
    }
    if out.dry_run {
        if !out.json {
            for k in u.changed_keys() {
                let what = match u.after.get(k) {
                    Some(v) => format!("would set {k}={v} ({})", u.path.display()),
                    None => format!("would unset {k} ({})", u.path.display()),
                };
                crate::cli::machine::would(app, &what);
            }
        }
        return Ok(u);
    }
    config::write_settings_file(&layout, &u.path, &config::render(&u.after))?;
    for (k, v) in &changes {
        if !out.json {
            match v {
                Some(v) => app.ui.status(&format!("{k}={v} ({})", u.path.display())),
                None => app.ui.status(&format!("{k} unset ({})", u.path.display())),
            }
        }
        if std::env::var(k).is_ok_and(|e| !e.trim().is_empty()) {
            app.ui.warn(&format!(
                "{k} is also set in this environment, which takes precedence over the file"
            ));
        }
    }
    Ok(u)
}

struct Row {
    key: &'static str,
    value: String,
    origin: &'static str,
    file: Option<PathBuf>,
}

fn rows() -> Vec<Row> {
    config::KEYS
        .iter()
        .map(|k| match config::lookup(k.name) {
            Some((value, Origin::Environment)) => Row {
                key: k.name,
                value,
                origin: "environment",
                file: None,
            },
            Some((value, Origin::File { path, system })) => Row {
                key: k.name,
                value,
                origin: if system { "system" } else { "user" },
                file: Some(path),
            },
            None => Row {
                key: k.name,
                value: k.default.to_string(),
                origin: "default",
                file: None,
            },
        })
        .collect()
}

/// `{"settings": [...], "files": [...]}` as `gov config show --json` prints
/// it (also part of `gov info --json`).
pub(crate) fn document() -> serde_json::Value {
    let rows = rows();
    {
        let settings: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "key": r.key,
                    "value": r.value,
                    "origin": r.origin,
                    "file": r.file.as_ref().map(|f| f.display().to_string()),
                })
            })
            .collect();
        let files: Vec<serde_json::Value> = config::files()
            .into_iter()
            .map(|(p, system)| {
                serde_json::json!({
                    "layer": if system { "system" } else { "user" },
                    "path": p.display().to_string(),
                    "exists": p.exists(),
                })
            })
            .collect();
        let source = crate::install::resolve_source(None)
            .ok()
            .and_then(|r| serde_json::to_value(r).ok());
        serde_json::json!({
            "settings": settings,
            "files": files,
            "toolchain_source": source,
        })
    }
}

fn show(json: bool) -> Result<()> {
    if json {
        let mut doc = serde_json::json!({ "schema": 1 });
        if let (Some(d), serde_json::Value::Object(m)) = (doc.as_object_mut(), document()) {
            d.extend(m);
        }
        return super::print_json(&doc);
    }
    let rows = rows();
    let width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    for r in &rows {
        let from = match &r.file {
            Some(f) => format!("{} ({})", r.origin, f.display()),
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
