//! Command-line interface: parse with clap, call the library, print.
//! Status goes to stderr, data (lists, JSON) to stdout.

pub mod answers;
mod cache;
pub mod complete;
mod config;
mod current;
mod doctor;
mod env;
mod exec;
mod global;
mod import;
mod info;
mod init;
pub mod install;
mod list;
mod list_remote;
mod local;
mod machine;
mod man;
mod mirror;
mod outdated;
mod persist;
mod proxy;
mod prune;
pub mod reference;
pub mod render;
mod schema;
mod self_update;
pub mod terminal;
mod trust;
mod uninstall;
mod upgrade;
mod use_;
mod verify;

use clap::{Parser, Subcommand};

use std::sync::Arc;

use crate::app::App;
use crate::core::env::Env;
use crate::core::error::Result;
use crate::core::report::Reporter;
use crate::core::style::Tone;

#[derive(Debug, Parser)]
#[command(
    name = "gov",
    version,
    about = "Go toolchain manager: verified installs, atomic switches, module proxy settings",
    long_about = None,
    after_help = "State lives in GOV_HOME (root: /usr/local/gov, others: ~/.local/share/gov); \
entry points in GOV_BIN_DIR. Every account also reads the system layer below its own \
(GOV_SYSTEM_HOME, default /usr/local/gov; GOV_SYSTEM_BIN_DIR, default /usr/local/bin). \
Release index: GOV_INDEX_URL; archive mirrors: GOV_MIRROR."
)]
pub struct Cli {
    /// Print only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Install(install::Args),
    #[command(visible_alias = "rm")]
    Uninstall(uninstall::Args),
    #[command(visible_alias = "ls")]
    List(list::Args),
    #[command(visible_alias = "ls-remote")]
    ListRemote(list_remote::Args),
    Global(global::Args),
    Local(local::Args),
    Current(current::Args),
    Which(current::WhichArgs),
    Exec(exec::Args),
    Env(env::EnvArgs),
    Import(import::Args),
    Init(init::Args),
    Shell(init::ShellArgs),
    Completions(init::CompletionsArgs),
    Proxy(proxy::Args),
    Trust(trust::Args),
    Persist(persist::Args),
    Doctor(doctor::Args),
    SelfUpdate(self_update::Args),
    Config(config::Args),
    #[command(hide = true)]
    Man(man::Args),
    #[command(hide = true)]
    Schema(schema::Args),
    Info(info::Args),
    Use(use_::Args),
    Cache(cache::Args),
    Mirror(mirror::Args),
    Outdated(outdated::Args),
    Verify(verify::Args),
    Upgrade(upgrade::Args),
    Prune(prune::Args),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    // The one read of the process environment the commands see.
    let env = Env::process();
    let out = render::Output::detect(cli.quiet, &env);
    // A `--json` run keeps its warnings (and what it did before a failure)
    // for the answer instead of printing them.
    let kept = machine_output(&cli.command).then(machine::collector);
    let ui: Arc<dyn Reporter> = match &kept {
        Some(collect) => collect.clone(),
        None => Arc::new(terminal::Terminal::new(out)),
    };
    match run(cli, ui, &out, env) {
        Ok(()) => 0,
        Err(e) => {
            if let Some(collect) = &kept {
                let _ = print_json(&machine::failure(collect, &e));
            }
            let report = e.report();
            match report.strip_prefix("error:") {
                Some(rest) if out.stderr.colour => {
                    eprintln!("{}{rest}", out.stderr.paint(Tone::Bad, "error:"))
                }
                _ => eprintln!("{report}"),
            }
            e.kind().exit_code()
        }
    }
}

/// Commands answering through `cli::machine`: their warnings are collected
/// into the JSON document instead of going to stderr.
fn machine_output(cmd: &Command) -> bool {
    match cmd {
        Command::Install(a) => a.json,
        Command::Uninstall(a) => a.json,
        Command::Global(a) => a.json,
        Command::Proxy(a) => a.machine(),
        Command::Info(a) => a.json,
        Command::Config(a) => a.machine(),
        _ => false,
    }
}

fn run(cli: Cli, ui: Arc<dyn Reporter>, out: &render::Output, env: Env) -> Result<()> {
    let app = App::from_env(ui, env)?;
    // As root, state another account can change is refused; doctor still
    // runs to report it, and commands that read no state stay usable.
    if !matches!(
        cli.command,
        Command::Doctor(_) | Command::Completions(_) | Command::Man(_) | Command::Schema(_)
    ) {
        crate::core::perms::guard_state(&app.layout)?;
        // gov writes these paths into scripts and configuration files.
        crate::core::quote::check_no_control("GOV_HOME", &app.layout.home().to_string_lossy())?;
        crate::core::quote::check_no_control(
            "GOV_BIN_DIR",
            &app.layout.bin_dir().to_string_lossy(),
        )?;
    }
    match cli.command {
        Command::Install(a) => install::run(&app, a),
        Command::Uninstall(a) => uninstall::run(&app, a),
        Command::List(a) => list::run(&app, a),
        Command::ListRemote(a) => list_remote::run(&app, a),
        Command::Global(a) => global::run(&app, a),
        Command::Local(a) => local::run(&app, a),
        Command::Current(a) => current::run(&app, a),
        Command::Which(a) => current::which(&app, a),
        Command::Exec(a) => exec::run(&app, a),
        Command::Env(a) => env::run(&app, a),
        Command::Import(a) => import::run(&app, a),
        Command::Init(a) => init::run(&app, a),
        Command::Shell(a) => init::shell(&app, a),
        Command::Completions(a) => init::completions(a),
        Command::Proxy(a) => proxy::run(&app, a),
        Command::Trust(a) => trust::run(&app, a),
        Command::Persist(a) => persist::run(&app, a),
        Command::Doctor(a) => doctor::run(&app, out, a),
        Command::SelfUpdate(a) => self_update::run(&app, a),
        Command::Config(a) => config::run(&app, a),
        Command::Man(a) => man::run(a),
        Command::Schema(a) => schema::run(a),
        Command::Info(a) => info::run(&app, a),
        Command::Use(a) => use_::run(&app, a),
        Command::Cache(a) => cache::run(&app, a),
        Command::Mirror(a) => mirror::run(&app, a),
        Command::Outdated(a) => outdated::run(&app, a),
        Command::Verify(a) => verify::run(&app, a),
        Command::Upgrade(a) => upgrade::run(&app, a),
        Command::Prune(a) => prune::run(&app, a),
    }
}

/// Writes text for the user to stdout, with passwords in URLs redacted.
pub(crate) fn print_text(text: &str) {
    print!("{}", crate::core::quote::redact_credentials(text));
}

/// Writes JSON to stdout, with passwords in URLs redacted: every `--json`
/// answer (and so every Ansible result) passes through here.
pub(crate) fn print_json<T: serde::Serialize + ?Sized>(answer: &T) -> Result<()> {
    let encoding = |e| {
        crate::core::error::Error::new(crate::core::error::ErrorKind::Io, "cannot encode JSON")
            .with_source(e)
    };
    let value = serde_json::to_value(answer).map_err(encoding)?;
    let text =
        serde_json::to_string_pretty(&crate::core::quote::redact_json(&value)).map_err(encoding)?;
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        // A reader that went away (`| head`) is not gov's failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::core::error::Error::io("cannot write to stdout", e))
        }
        _ => Ok(()),
    }
}
