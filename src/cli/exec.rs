use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::installed::{self, Installed};
use crate::core::quote::{check_no_control, for_shell};
use crate::core::version::VersionRequest;
use crate::settings::goenv;

/// Run a command with a version's environment (its bin first on PATH).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov exec 1.21.13 -- go test ./...\n  gov exec 1.22 -- make build"
)]
pub struct Args {
    /// An installed version (1.22.5, or 1.22 for the newest 1.22.x).
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<OsString>,
}

/// Print shell lines that put a version on PATH.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  eval \"$(gov env 1.22.5)\"\n  gov env --shell fish | source")]
pub struct EnvArgs {
    /// An installed version; default: the selected one.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: Option<String>,
    /// bash, zsh, sh or fish (default: from $SHELL).
    #[arg(long)]
    shell: Option<String>,
}

pub(crate) fn find_installed(app: &App, v: &str) -> Result<Installed> {
    let req = VersionRequest::parse(v)?;
    installed::find_in(&app.layers(), &req)?.ok_or_else(|| {
        Error::new(ErrorKind::NotFound, format!("Go {req} is not installed"))
            .with_advice(format!("run `gov install {req}`"))
    })
}

fn path_with(goroot: &std::path::Path) -> OsString {
    let mut dirs = vec![goroot.join("bin")];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let found = find_installed(app, &a.version)?;
    let (prog, rest) = a
        .command
        .split_first()
        .ok_or_else(|| Error::invalid("name a command to run after --"))?;
    let mut cmd = std::process::Command::new(prog);
    cmd.args(rest).env("PATH", path_with(&found.goroot));
    let profile = crate::settings::proxy::layered_profile(&app.layers());
    for (k, v) in goenv::tool_env(&found.goroot, &profile, &[]) {
        cmd.env(k, v);
    }
    let err = cmd.exec();
    Err(err).context(|| format!("running {}", prog.to_string_lossy()))
}

pub fn env(app: &App, a: EnvArgs) -> Result<()> {
    let found = match &a.version {
        Some(v) => find_installed(app, v)?,
        None => {
            let cwd =
                std::env::current_dir().context(|| "reading the working directory".to_string())?;
            let layers = app.layers();
            let sel = crate::entry::select::select(&layers, &cwd)?
                .ok_or_else(crate::entry::select::nothing_selected)?;
            crate::entry::select::resolve_installed(&layers, &sel)?
        }
    };
    let shell = a.shell.unwrap_or_else(|| {
        std::env::var("SHELL")
            .ok()
            .and_then(|s| s.rsplit('/').next().map(str::to_string))
            .unwrap_or_else(|| "sh".into())
    });
    let bin = found.goroot.join("bin");
    let profile = crate::settings::proxy::layered_profile(&app.layers());
    let vars = goenv::tool_env(&found.goroot, &profile, &[]);
    // How each shell family spells "set this variable" and "prepend to PATH".
    let (set, path): (fn(&str, &str) -> String, &str) = match shell.as_str() {
        "fish" => (
            |k, v| format!("set -gx {k} {v}\n"),
            "set -gx PATH {} $PATH\n",
        ),
        "bash" | "zsh" | "sh" | "dash" | "ash" | "ksh" => (
            |k, v| format!("export {k}={v}\n"),
            "export PATH={}:\"$PATH\"\n",
        ),
        other => {
            return Err(Error::invalid(format!("unsupported shell `{other}`"))
                .with_advice("use --shell bash, zsh, sh or fish"));
        }
    };
    let mut out = String::new();
    for (k, v) in &vars {
        // Lines for `eval`: a newline or escape in a value is never needed
        // and would be one more thing each shell reads differently.
        let v = v.to_string_lossy();
        check_no_control(&k.to_string_lossy(), &v)?;
        out.push_str(&set(&k.to_string_lossy(), &for_shell(&shell, &v)));
    }
    let bin = bin.to_string_lossy();
    check_no_control("the version's bin folder", &bin)?;
    out.push_str(&path.replace("{}", &for_shell(&shell, &bin)));
    print!("{out}");
    Ok(())
}
