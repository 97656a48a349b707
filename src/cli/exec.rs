use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use crate::app::App;
use crate::core::env::Env;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::installed::{self, Installed};
use crate::core::version::VersionRequest;
use crate::settings::goenv;

/// Run a command with a version's environment (its bin first on PATH).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without a version (`gov exec -- <cmd>`), the version selected here runs.\n\nExamples:\n  gov exec 1.21.13 -- go test ./...\n  gov exec 1.22 -- make build\n  gov exec -- go version      # the selected version"
)]
pub struct Args {
    /// An installed version (1.22.5, or 1.22 for the newest 1.22.x); omit it
    /// and start with `--` for the selected one.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: Option<String>,
    /// The command and its arguments.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::commands)
    )]
    command: Vec<OsString>,
}

/// Did the command line put `--` right after `exec` (no version)? clap
/// assigns the first word after `--` to the version slot, so ask argv.
fn version_omitted() -> bool {
    let mut args = std::env::args_os().skip(1);
    for a in args.by_ref() {
        if a == "exec" {
            break;
        }
    }
    for a in args {
        if a == "--" {
            return true;
        }
        if !a.to_string_lossy().starts_with('-') {
            return false;
        }
    }
    false
}

pub(crate) fn find_installed(app: &App, v: &str) -> Result<Installed> {
    let req = VersionRequest::parse(v)?;
    installed::find_in(&app.layers(), &req)?.ok_or_else(|| {
        Error::new(ErrorKind::NotFound, format!("Go {req} is not installed"))
            .with_advice(format!("run `gov install {req}`"))
    })
}

fn path_with(env: &Env, goroot: &std::path::Path) -> OsString {
    let mut dirs = vec![goroot.join("bin")];
    if let Some(p) = env.var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let (found, command) = match a.version {
        Some(v) if !version_omitted() => (find_installed(app, &v)?, a.command),
        first => {
            let cwd =
                std::env::current_dir().context(|| "reading the working directory".to_string())?;
            let layers = app.layers();
            let sel = crate::entry::select::select(&layers, &cwd)?
                .ok_or_else(crate::entry::select::nothing_selected)?;
            let found = crate::entry::select::resolve_installed(&layers, &sel)?;
            let mut command: Vec<OsString> = first.map(OsString::from).into_iter().collect();
            command.extend(a.command);
            (found, command)
        }
    };
    // Whatever the command, the tree's tools come first on PATH: root runs
    // them only as the entry points would.
    crate::entry::guard_for_root(&app.layers(), &found.goroot, crate::entry::shim::TOOLS)?;
    let (prog, rest) = command
        .split_first()
        .ok_or_else(|| Error::invalid("name a command to run: gov exec [VERSION] -- <command>"))?;
    let mut cmd = std::process::Command::new(prog);
    cmd.args(rest)
        .env("PATH", path_with(&app.env, &found.goroot));
    let profile = crate::settings::proxy::layered_profile(&app.layers());
    for (k, v) in goenv::tool_env(&found.goroot, &profile, &[]) {
        cmd.env(k, v);
    }
    let err = cmd.exec();
    Err(err).context(|| format!("running {}", prog.to_string_lossy()))
}
