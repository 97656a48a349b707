use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use crate::app::App;
use crate::error::{Error, Result};
use crate::goenv;
use crate::lock;
use crate::proxy::{self, KEYS};
use crate::select;
use crate::shim;

/// Module proxy settings carried by every shim and entry point.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov proxy show\n  gov proxy use cn\n  gov proxy use corp --url https://goproxy.corp.example --private 'git.corp.example/*'\n  gov proxy set GOPRIVATE=github.com/acme GOMODCACHE=/data/gomod\n  gov proxy unset GOPRIVATE"
)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Each effective setting and where it comes from.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Apply a preset; without a name, list them.
    Use {
        preset: Option<String>,
        /// corp: the company proxy URL.
        #[arg(long)]
        url: Option<String>,
        /// corp: module path patterns that skip the public proxy and checksum database.
        #[arg(long)]
        private: Option<String>,
        /// corp: fall back to proxy.golang.org when the company proxy lacks a module.
        #[arg(long)]
        fallback: bool,
    },
    /// Set KEY=VALUE pairs (validated as cmd/go would).
    Set {
        #[arg(required = true, value_name = "KEY=VALUE")]
        pairs: Vec<String>,
    },
    /// Remove keys from gov's profile.
    Unset {
        #[arg(required = true, value_name = "KEY")]
        keys: Vec<String>,
    },
}

pub fn run(app: &App, a: Args) -> Result<()> {
    match a.cmd {
        Cmd::Show { json } => show(app, json),
        Cmd::Use {
            preset,
            url,
            private,
            fallback,
        } => use_preset(app, preset, url, private, fallback),
        Cmd::Set { pairs } => {
            let mut changes = Vec::new();
            for p in &pairs {
                let Some((k, v)) = p.split_once('=') else {
                    return Err(Error::invalid(format!("`{p}` is not KEY=VALUE")));
                };
                let k = k.trim().to_ascii_uppercase();
                proxy::validate(&k, v.trim())?;
                changes.push((k, Some(v.trim().to_string())));
            }
            apply(app, changes)
        }
        Cmd::Unset { keys } => {
            let mut changes = Vec::new();
            for k in keys {
                let k = k.trim().to_ascii_uppercase();
                if !KEYS.contains(&k.as_str()) {
                    return Err(Error::invalid(format!("gov does not manage `{k}`"))
                        .with_advice(format!("keys: {}", KEYS.join(", "))));
                }
                changes.push((k, None));
            }
            apply(app, changes)
        }
    }
}

fn use_preset(
    app: &App,
    name: Option<String>,
    url: Option<String>,
    private: Option<String>,
    fallback: bool,
) -> Result<()> {
    let Some(name) = name else {
        println!("corp         a company proxy: --url URL [--private PATTERNS] [--fallback]");
        for p in proxy::presets() {
            let s: Vec<String> = p.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!("{:<12} {} ({})", p.name, p.about, s.join(" "));
        }
        return Ok(());
    };
    let preset = if name == "corp" {
        let Some(url) = url else {
            return Err(Error::invalid("the corp preset needs --url <your proxy>")
                .with_advice("gov proxy use corp --url https://goproxy.corp.example --private 'git.corp.example/*'"));
        };
        proxy::corp_preset(&url, private.as_deref(), fallback)?
    } else {
        if url.is_some() || private.is_some() || fallback {
            return Err(Error::invalid(
                "--url, --private and --fallback belong to the corp preset",
            ));
        }
        proxy::preset(&name).ok_or_else(|| {
            let names: Vec<&str> = proxy::presets().iter().map(|p| p.name).collect();
            Error::invalid(format!("unknown preset `{name}`"))
                .with_advice(format!("presets: corp, {}", names.join(", ")))
        })?
    };
    let changes = preset
        .settings
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.clone())))
        .collect();
    apply(app, changes)?;
    app.ui.status(&format!(
        "using the {} preset: {}",
        preset.name, preset.about
    ));
    Ok(())
}

/// Writes the profile in one atomic step and warns about user settings
/// that will keep overriding it.
fn apply(app: &App, changes: Vec<(String, Option<String>)>) -> Result<()> {
    let layout = &app.layout;
    let _guard = lock::acquire(&layout.state_lock(), "to change the settings", |m| {
        app.ui.status(m)
    })?;
    let mut profile = proxy::read_profile(layout);
    for (k, v) in &changes {
        match v {
            Some(v) => {
                profile.insert(k.clone(), v.clone());
            }
            None => {
                profile.remove(k);
            }
        }
    }
    proxy::write_profile(layout, &profile)?;
    for inst in crate::installed::list(layout)? {
        shim::write(layout, inst.version.as_str())?;
    }
    let user_file = goenv::user_env_file();
    let user = user_file
        .as_deref()
        .map(goenv::read_env_file)
        .unwrap_or_default();
    for (k, v) in &changes {
        match v {
            Some(v) => app.ui.status(&format!("{k}={v}")),
            None => app.ui.status(&format!("{k} unset")),
        }
        if std::env::var_os(k).is_some_and(|x| !x.is_empty()) {
            app.ui.warn(&format!(
                "{k} is set in this shell's environment, which takes precedence over gov's profile"
            ));
        } else if user.contains_key(k) {
            app.ui.warn(&format!(
                "{k} is set with `go env -w` ({}), which takes precedence; `go env -u {k}` to use gov's",
                user_file.as_deref().map(|p| p.display().to_string()).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Go's built-in defaults, for the bottom layer.
fn go_default(key: &str, effective: &BTreeMap<String, String>) -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    match key {
        "GOPROXY" => "https://proxy.golang.org,direct".into(),
        "GOSUMDB" => "sum.golang.org".into(),
        "GONOPROXY" | "GONOSUMDB" => effective.get("GOPRIVATE").cloned().unwrap_or_default(),
        "GOMODCACHE" => {
            let gopath = std::env::var("GOPATH")
                .ok()
                .and_then(|p| std::env::split_paths(&p).next())
                .unwrap_or_else(|| PathBuf::from(&home).join("go"));
            gopath.join("pkg/mod").display().to_string()
        }
        "GOCACHE" => std::env::var("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(&home).join(".cache"))
            .join("go-build")
            .display()
            .to_string(),
        _ => String::new(),
    }
}

fn show(app: &App, json_out: bool) -> Result<()> {
    let layout = &app.layout;
    let profile = proxy::read_profile(layout);
    let profile_path = proxy::profile_path(layout);
    let user_file = goenv::user_env_file();
    let user = user_file
        .as_deref()
        .map(goenv::read_env_file)
        .unwrap_or_default();
    let goroot = std::env::current_dir()
        .ok()
        .and_then(|cwd| select::select(layout, &cwd).ok().flatten())
        .and_then(|sel| select::resolve_installed(layout, &sel).ok())
        .map(|i| i.goroot);
    let goroot_env = goroot
        .as_ref()
        .map(|g| goenv::read_env_file(&g.join("go.env")))
        .unwrap_or_default();

    let mut effective: BTreeMap<String, String> = BTreeMap::new();
    let mut rows = Vec::new();
    for key in KEYS {
        let (value, source) = if let Some(v) = std::env::var(key).ok().filter(|v| !v.is_empty()) {
            (v, "environment".to_string())
        } else if let Some(v) = user.get(*key) {
            let p = user_file
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (v.clone(), format!("go env -w ({p})"))
        } else if let Some(v) = profile.get(*key) {
            (
                v.clone(),
                format!("gov profile ({})", profile_path.display()),
            )
        } else if *key == "GOTOOLCHAIN" {
            (
                "local".to_string(),
                "gov's policy (set GOTOOLCHAIN to choose)".to_string(),
            )
        } else if let Some(v) = goroot_env.get(*key) {
            let g = goroot
                .as_ref()
                .map(|g| g.join("go.env").display().to_string())
                .unwrap_or_default();
            (v.clone(), format!("$GOROOT/go.env ({g})"))
        } else {
            (go_default(key, &effective), "Go's default".to_string())
        };
        effective.insert(key.to_string(), value.clone());
        rows.push((key, value, source));
    }
    if json_out {
        let items: Vec<_> = rows
            .iter()
            .map(|(k, v, s)| json!({"key": k, "value": v, "source": s}))
            .collect();
        return super::print_json(&json!(items));
    }
    for (k, v, s) in rows {
        let shown = if v.is_empty() {
            "(empty)".to_string()
        } else {
            v
        };
        println!("{k:<12} {shown:<45} {s}");
    }
    Ok(())
}
