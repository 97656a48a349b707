use super::answers::{PresetList, PresetRow, ProxyChange, ProxyCheck};
use crate::app::App;
use crate::core::config::Change as Change_;
use crate::core::error::{Error, Result};
use crate::settings::goenv;
use crate::settings::proxy;

/// Module proxy settings carried by every shim and entry point.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Settings come from the environment, then `go env -w`, then this account's\n\
profile ($GOV_HOME/env), then the system profile ($GOV_SYSTEM_HOME/env, root's:\n\
`--system`), then $GOROOT/go.env. `show` says which layer each value came from.\n\n\
Examples:\n  gov proxy show\n  sudo gov proxy use cn --system   # every account\n  gov proxy use cn\n  gov proxy use corp --url https://goproxy.corp.example --private 'git.corp.example/*'\n  gov proxy set GOPRIVATE=github.com/acme GOMODCACHE=/data/gomod\n  gov proxy unset GOPRIVATE\n  gov proxy use cn --dry-run --json   # what would change, for orchestrators"
)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
    /// Change the system layer's profile, read by every account (root only).
    #[arg(long, global = true)]
    system: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Each effective setting and where it comes from.
    Show {
        /// Machine-readable output (schema: docs/reference/json/proxy-show.json).
        #[arg(long)]
        json: bool,
    },
    /// Apply a preset; without a name, list them.
    Use {
        #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::proxy_presets))]
        preset: Option<String>,
        /// corp: the company proxy URL.
        #[arg(long)]
        url: Option<String>,
        /// corp: module path patterns that skip the public proxy and checksum database.
        #[arg(long)]
        private: Option<String>,
        /// corp: how private modules are fetched: through the company proxy
        /// (default; GONOPROXY=none) or straight from version control (direct).
        /// With --fallback, only direct keeps private paths off proxy.golang.org.
        #[arg(long, value_enum, value_name = "ROUTE")]
        private_via: Option<proxy::PrivateVia>,
        /// corp: fall back to proxy.golang.org when the company proxy lacks a module.
        #[arg(long)]
        fallback: bool,
        #[command(flatten)]
        out: Change,
    },
    /// Set KEY=VALUE pairs (validated as cmd/go would).
    Set {
        #[arg(
            required = true,
            value_name = "KEY=VALUE",
            add = clap_complete::ArgValueCandidates::new(crate::cli::complete::proxy_keys)
        )]
        pairs: Vec<String>,
        #[command(flatten)]
        out: Change,
    },
    /// Check the configured proxies and every preset from this machine,
    /// ranked by success and latency.
    Check {
        /// Machine-readable output (schema: docs/reference/json/proxy-check.json).
        #[arg(long)]
        json: bool,
    },
    /// Store credentials for a company proxy in ~/.netrc (or $NETRC), as
    /// gov and Go both read them; the secret comes from standard input (or
    /// a prompt that does not echo), never from the command line.
    Login {
        /// The proxy's URL, e.g. https://goproxy.corp.example:8443
        url: String,
        /// The login name.
        #[arg(long)]
        user: String,
    },
    /// Remove keys from gov's profile.
    Unset {
        #[arg(
            required = true,
            value_name = "KEY",
            add = clap_complete::ArgValueCandidates::new(crate::cli::complete::profile_keys)
        )]
        keys: Vec<String>,
        #[command(flatten)]
        out: Change,
    },
}

/// How a change is carried out and answered.
#[derive(Debug, Clone, Copy, clap::Args)]
struct Change {
    /// Answer with one JSON document (schemas: docs/reference/json/proxy-*.json).
    #[arg(long)]
    json: bool,
    /// Report what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

impl Args {
    /// Whether this run answers in JSON through the machine interface.
    pub(crate) fn machine(&self) -> bool {
        match &self.cmd {
            Cmd::Use { out, .. } | Cmd::Set { out, .. } | Cmd::Unset { out, .. } => out.json,
            Cmd::Show { .. } | Cmd::Check { .. } | Cmd::Login { .. } => false,
        }
    }
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let writes = matches!(
        a.cmd,
        Cmd::Use {
            preset: Some(_),
            ..
        } | Cmd::Set { .. }
            | Cmd::Unset { .. }
    );
    let sys;
    let app = if a.system && writes {
        sys = app.system("proxy")?;
        &sys
    } else if a.system && matches!(a.cmd, Cmd::Login { .. }) {
        return Err(Error::invalid(
            "credentials are per account: the system layer is read by every account",
        )
        .with_advice(
            "run `gov proxy login` as each account that needs them (root's own: without --system)",
        ));
    } else if a.system {
        return Err(
            Error::invalid("--system applies to `gov proxy use`, `set` and `unset`").with_advice(
                "`gov proxy show` shows every layer, each value with the one it came from",
            ),
        );
    } else {
        app
    };
    match a.cmd {
        Cmd::Show { json } => show(app, json),
        Cmd::Check { json } => check(app, json),
        Cmd::Login { url, user } => login(app, &url, &user),
        Cmd::Use {
            preset,
            url,
            private,
            private_via,
            fallback,
            out,
        } => use_preset(app, preset, url, (private, private_via), fallback, out),
        Cmd::Set { pairs, out } => {
            let mut changes = Vec::new();
            for p in &pairs {
                let Some((k, v)) = p.split_once('=') else {
                    return Err(Error::invalid(format!("`{p}` is not KEY=VALUE")));
                };
                let k = k.trim().to_ascii_uppercase();
                proxy::validate(&k, v)?;
                changes.push((k, Some(v.trim().to_string())));
            }
            apply(app, changes, out, None)
        }
        Cmd::Unset { keys, out } => {
            let mut changes = Vec::new();
            for k in keys {
                let k = k.trim().to_ascii_uppercase();
                let keys = proxy::keys();
                if !keys.contains(&k.as_str()) {
                    return Err(Error::invalid(format!(
                        "gov does not manage `{}`",
                        crate::core::quote::shown(&k)
                    ))
                    .with_advice(format!("keys: {}", keys.join(", "))));
                }
                changes.push((k, None));
            }
            apply(app, changes, out, None)
        }
    }
}

fn use_preset(
    app: &App,
    name: Option<String>,
    url: Option<String>,
    (private, private_via): (Option<String>, Option<proxy::PrivateVia>),
    fallback: bool,
    out: Change,
) -> Result<()> {
    let Some(name) = name else {
        if out.json {
            let presets = proxy::presets();
            let mut items = vec![PresetRow {
                name: "corp",
                about: "a company proxy: --url URL [--private PATTERNS [--private-via proxy|direct]] [--fallback]",
                settings: None,
            }];
            items.extend(presets.iter().map(|p| PresetRow {
                name: p.name,
                about: p.about,
                settings: Some(p.settings.iter().map(|(k, v)| (*k, v.as_str())).collect()),
            }));
            let doc = PresetList { presets: items };
            return crate::cli::machine::of(app).answer(&doc);
        }
        println!(
            "corp         a company proxy: --url URL [--private PATTERNS [--private-via proxy|direct]] [--fallback]"
        );
        for p in proxy::presets() {
            let s: Vec<String> = p.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let implied = p.source.map(|source| {
                format!("; toolchains from the {source} unless GOV_SOURCE or GOV_MIRROR/GOV_INDEX_URL is set")
            });
            let implied = implied.unwrap_or_default();
            println!("{:<12} {} ({}{implied})", p.name, p.about, s.join(" "));
        }
        return Ok(());
    };
    let preset = if name == "corp" {
        let Some(url) = url else {
            return Err(Error::invalid("the corp preset needs --url <your proxy>")
                .with_advice("gov proxy use corp --url https://goproxy.corp.example --private 'git.corp.example/*'"));
        };
        proxy::corp_preset(&url, private.as_deref(), private_via, fallback)?
    } else {
        if url.is_some() || private.is_some() || private_via.is_some() || fallback {
            return Err(Error::invalid(
                "--url, --private, --private-via and --fallback belong to the corp preset",
            ));
        }
        proxy::preset(&name).ok_or_else(|| {
            let mut names: Vec<&str> = vec!["corp"];
            names.extend(proxy::presets().iter().map(|p| p.name));
            let all = format!("presets: {}", names.join(", "));
            let shown: String = name
                .chars()
                .take(64)
                .flat_map(char::escape_default)
                .collect();
            let advice = match crate::core::suggest::closest(&name, &names) {
                Some(s) => format!("did you mean `gov proxy use {s}`? {all}"),
                None => all,
            };
            Error::invalid(format!("unknown preset `{shown}`")).with_advice(advice)
        })?
    };
    let changes = preset
        .settings
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.clone())))
        .collect();
    // Read before the profile changes: it tells an older preset's
    // GOV_SOURCE=proxy from a user's.
    let marker = preset_marker(app, &preset)?;
    apply(app, changes, out, Some(preset.name))?;
    // The source a preset implies is recorded as such (GOV_PRESET), never
    // as GOV_SOURCE; a dry run writes nothing.
    if !marker.is_empty() && !out.dry_run {
        crate::cli::config::update(app, false, marker)?;
    }
    if !out.json && !out.dry_run {
        app.ui.status(&format!(
            "using the {} preset: {}",
            preset.name, preset.about
        ));
    }
    Ok(())
}

/// The changes to this layer's config that record `preset`'s implied
/// source (see `proxy::preset_marker`).
fn preset_marker(app: &App, preset: &proxy::Preset) -> Result<Vec<Change_>> {
    let file = app.layout.config_file();
    let values = crate::core::config::read_layer_file(&file).unwrap_or_default();
    Ok(proxy::preset_marker(&file, &values, preset))
}

/// Changes the profile through the library (one atomic write, only when
/// it changes), then says what it did and which user settings will keep
/// overriding it.
fn apply(app: &App, changes: Vec<Change_>, out: Change, preset: Option<&str>) -> Result<()> {
    let layout = &app.layout;
    let refresh = || crate::lifecycle::layers::refresh_shims(layout);
    let u = proxy::update_profile(
        layout,
        &changes,
        out.dry_run,
        &|m| app.ui.status(m),
        &refresh,
    )?;
    if !out.dry_run {
        report_changes(app, &changes);
    }
    if out.json {
        let doc = ProxyChange {
            changed: u.changed(),
            dry_run: out.dry_run,
            action: if u.changed() { "updated" } else { "unchanged" },
            preset,
            requested: changes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref()))
                .collect(),
            changed_keys: u.changed_keys(),
            before: &u.before,
            after: &u.after,
            profile: &u.path,
        };
        return crate::cli::machine::of(app).answer(&doc);
    }
    if out.dry_run {
        for (k, v) in &changes {
            let now = u.before.get(k);
            match v {
                Some(v) if now != Some(v) => {
                    crate::cli::machine::would(app, &format!("would set {k}={v}"))
                }
                None if now.is_some() => {
                    crate::cli::machine::would(app, &format!("would unset {k}"))
                }
                _ => crate::cli::machine::would(app, &format!("{k} is already as asked")),
            }
        }
    }
    Ok(())
}

/// Each change in words, with a warning where the user's own setting
/// (environment, `go env -w`) keeps winning over gov's profile.
fn report_changes(app: &App, changes: &[Change_]) {
    let user_file = goenv::user_env_file_in(&app.env);
    let user = user_file
        .as_deref()
        .map(goenv::read_env_file)
        .unwrap_or_default();
    for (k, v) in changes {
        match v {
            Some(v) => app.ui.status(&format!("{k}={v}")),
            None => app.ui.status(&format!("{k} unset")),
        }
        if app.env.is_set(k) {
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
}

fn show(app: &App, json_out: bool) -> Result<()> {
    let layers = app.layers();
    let rows = proxy::effective_in(
        &app.env,
        &layers,
        crate::entry::select::current_goroot(&layers).as_deref(),
    );
    if json_out {
        return super::print_json(&rows);
    }
    for proxy::Effective {
        key: k,
        value: v,
        source: s,
        ..
    } in rows
    {
        // Redacted before padding, so the columns stay aligned.
        let shown = if v.is_empty() {
            "(empty)".to_string()
        } else {
            crate::core::quote::redact_credentials(&v).into_owned()
        };
        super::print_text(&format!("{k:<12} {shown:<45} {s}\n"));
    }
    Ok(())
}

/// Probes the configured GOPROXY entries and each preset's proxy, and ranks
/// them: complete chains first (fastest first), then by how far they got.
fn check(app: &App, json_out: bool) -> Result<()> {
    use crate::doctor::Status;
    use crate::doctor::network::{self, Endpoint};
    let mut candidates: Vec<(String, String)> = Vec::new();
    let layers = app.layers();
    let configured = proxy::effective_in(
        &app.env,
        &layers,
        crate::entry::select::current_goroot(&layers).as_deref(),
    )
    .into_iter()
    .find(|e| e.key == "GOPROXY")
    .map(|e| e.value)
    .unwrap_or_default();
    for entry in configured.split([',', '|']).map(str::trim) {
        if entry.is_empty() || entry == "direct" || entry == "off" {
            continue;
        }
        candidates.push(("configured".into(), entry.to_string()));
    }
    for p in proxy::presets() {
        if let Some((_, v)) = p.settings.iter().find(|(k, _)| *k == "GOPROXY") {
            let first = v.split([',', '|']).next().unwrap_or("").trim().to_string();
            if first.contains("://") && !candidates.iter().any(|(_, u)| *u == first) {
                candidates.push((p.name.to_string(), first));
            }
        }
    }
    let eps: Vec<Endpoint> = candidates
        .iter()
        .map(|(_, u)| Endpoint::Proxy { url: u.clone() })
        .collect();
    let results = network::probe_all(&eps, network::stage_timeout());
    let mut rows: Vec<(String, String, bool, usize, u64, String)> = Vec::new();
    for ((source, url), (_, stages)) in candidates.iter().zip(results) {
        let passed = stages.iter().take_while(|s| s.status == Status::Ok).count();
        let complete = stages
            .last()
            .is_some_and(|s| s.status == Status::Ok && s.name == "http");
        let total: u64 = stages.iter().filter_map(|s| s.ms).sum();
        let detail = match stages.iter().find(|s| s.status != Status::Ok) {
            Some(s) => format!("{}: {}", s.name, s.finding),
            None => "ok".to_string(),
        };
        rows.push((source.clone(), url.clone(), complete, passed, total, detail));
    }
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(b.3.cmp(&a.3)).then(a.4.cmp(&b.4)));
    if json_out {
        let items: Vec<ProxyCheck> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| ProxyCheck {
                rank: i + 1,
                source: &r.0,
                url: &r.1,
                ok: r.2,
                stages_passed: r.3,
                ms: r.4,
                detail: &r.5,
            })
            .collect();
        return super::print_json(&items);
    }
    use std::io::IsTerminal;
    let style = crate::core::style::Style::detect(std::io::stdout().is_terminal(), &app.env);
    for (i, r) in rows.iter().enumerate() {
        let mark = if r.2 {
            style.paint(crate::core::style::Tone::Good, style.ok_mark())
        } else {
            style.paint(crate::core::style::Tone::Bad, style.fail_mark())
        };
        super::print_text(&format!(
            "{:>2}. {mark} {:<45} {:>6} ms  [{}] {}\n",
            i + 1,
            r.1,
            r.4,
            r.0,
            r.5
        ));
    }
    if let Some(best) = rows.iter().find(|r| r.2) {
        if best.0 != "configured" {
            app.ui.status(&format!(
                "fastest working proxy here: {} (`gov proxy use {}`)",
                best.1, best.0
            ));
        }
    } else {
        app.ui
            .warn("no proxy answered; this machine may need HTTPS_PROXY, or the offline preset");
    }
    Ok(())
}

/// `gov proxy login`: checks everything before asking for the secret, and
/// says where the entry went.
fn login(app: &App, raw_url: &str, user: &str) -> Result<()> {
    use crate::net::netrc;
    let url = netrc::login_url(raw_url)?;
    netrc::check_token("login", user)?;
    let secret = read_secret(&format!(
        "password for {user} at {}: ",
        url.host_str().unwrap_or("")
    ))?;
    netrc::check_token("secret", &secret)?;
    let creds = netrc::Credentials {
        login: user.to_string(),
        password: secret,
    };
    let saved = netrc::save_login(&url, &creds)?;
    let whose = if crate::core::perms::euid() == 0 {
        " (root's own; other accounts keep their own ~/.netrc)"
    } else {
        ""
    };
    app.ui.status(&format!(
        "stored credentials for machine {} in {}{whose}, mode 0600",
        saved.machine,
        saved.path.display()
    ));
    if let Some(mode) = saved.was_readable_by_others {
        app.ui.warn(&format!(
            "{} was readable by other accounts (mode {mode:04o}); it is 0600 now: change the secrets it held",
            saved.path.display()
        ));
    }
    Ok(())
}

/// The secret: one line of standard input, or typed at a prompt with echo
/// off when standard input is a terminal.
fn read_secret(prompt: &str) -> Result<String> {
    use std::io::{BufRead, IsTerminal, Read, Write};
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    let echo = if tty {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        Some(EchoOff::new())
    } else {
        None
    };
    let mut line = String::new();
    let read = stdin.lock().take(64 * 1024).read_line(&mut line);
    drop(echo);
    if tty {
        eprintln!();
    }
    read.map_err(|e| Error::invalid("cannot read the secret from standard input").with_source(e))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Terminal echo off while it lives (restored on drop).
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed termios the
        // call fills in; failure leaves the terminal as it was.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return EchoOff(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return EchoOff(None);
            }
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the attributes read in `new`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &saved);
            }
        }
    }
}
