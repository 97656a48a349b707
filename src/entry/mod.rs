//! The `go` / `gofmt` entry points at run time: gov started under one of
//! those names (argv[0]) selects the version for the working directory and
//! execs the real tool. Kept lean: no clap, no HTTP client, no async
//! runtime; only the stats and small reads selection needs.
//!
//! The folder also holds what this path reads and what it is reached
//! through: version selection, the entry-point links in GOV_BIN_DIR and the
//! per-version env shims. Uses `core` and `settings` only.

pub mod entrypoints;
pub mod foreign;
pub mod select;
pub mod shim;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::core::env::Env;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::layers::Layers;
use crate::core::layout::Layout;
use crate::core::version::GoVersion;
use crate::entry::shim::TOOLS;
use crate::settings::goenv;

/// What gov was started as, when it is an entry point.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `go` or `gofmt`: the version the working directory selects.
    Tool(&'static str),
    /// `go1.22.10`: `go` of exactly that version.
    Version(GoVersion),
}

/// The entry point gov was started as, if any. cmd/go runs a `go1.22.10`
/// it found in PATH with its own argv[0] (`go`), so the path given to
/// execve (AT_EXECFN) is asked first: its name is the one that was run.
pub fn invocation(arg0: &OsString) -> Option<Invocation> {
    let exec_name = executed_path().and_then(|p| file_name(&p));
    if let Some(v) = exec_name
        .as_deref()
        .and_then(entrypoints::version_of_entry_name)
    {
        return Some(Invocation::Version(v));
    }
    let name = file_name(Path::new(arg0))?;
    if let Some(v) = entrypoints::version_of_entry_name(&name) {
        return Some(Invocation::Version(v));
    }
    TOOLS
        .iter()
        .copied()
        .find(|t| *t == name)
        .map(Invocation::Tool)
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name()?.to_str().map(str::to_string)
}

/// The path this process was started through, as given to execve.
fn executed_path() -> Option<PathBuf> {
    // SAFETY: getauxval only reads the auxiliary vector; AT_EXECFN, when
    // present, points to a NUL-terminated string that lives as long as
    // the process.
    let ptr = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const libc::c_char;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: checked non-null above; see the previous comment.
    let bytes = unsafe { std::ffi::CStr::from_ptr(ptr) }.to_bytes();
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

/// Runs what `invocation` names. Only returns on error, after printing
/// the one-line error (the entry point's only output).
pub fn run_invocation(
    invocation: Invocation,
    args: Vec<OsString>,
    auto_install: AutoInstall,
) -> i32 {
    match invocation {
        Invocation::Tool(tool) => run(tool, args, auto_install),
        Invocation::Version(v) => report(&v.go_name(), exec_version(&v, args)),
    }
}

fn auto_install_enabled(env: &Env) -> bool {
    matches!(
        env.var("GOV_AUTO_INSTALL").as_deref(),
        Some("1") | Some("true") | Some("yes")
    )
}

/// Installs a selected version that is missing (GOV_AUTO_INSTALL=1). The
/// caller supplies it, so this path depends on nothing above selection and
/// builds no installer, HTTP client or terminal unless one is needed.
pub type AutoInstall = fn(&Layout, &select::Selection) -> Result<()>;

fn no_layer_for_auto_install(missing: Error) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "{}; GOV_AUTO_INSTALL cannot install it: this account has no home for a layer of its own",
            missing.message()
        ),
    )
    .with_advice("set GOV_HOME to a directory this account owns, or have root install it: `sudo gov install <version>`")
}

/// Root runs only what no other account can have changed: the state of
/// every layer it reads and the tree with its `tools`. The one guard of
/// everything that runs a toolchain (the entry points, `gov exec`); a no-op
/// for other accounts, so their hot path pays nothing.
pub fn guard_for_root(layers: &Layers, goroot: &Path, tools: &[&str]) -> Result<()> {
    let layouts: Vec<&Layout> = layers.search().map(|(_, layout)| layout).collect();
    crate::core::perms::guard_layers(&layouts)?;
    for tool in tools {
        crate::core::perms::guard_tree(goroot, &goroot.join("bin").join(tool))?;
    }
    Ok(())
}

/// Runs `tool` of the selected version with `args`. Only returns on error,
/// after printing the one-line error (the entry point's only output).
pub fn run(tool: &str, args: Vec<OsString>, auto_install: AutoInstall) -> i32 {
    report(tool, exec_selected(tool, args, auto_install))
}

/// The exit code of an entry point that could not exec, after its one-line
/// error (the entry point's only output).
fn report(tool: &str, result: Result<std::convert::Infallible>) -> i32 {
    match result {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("gov ({tool}): {}", e.report().trim_start_matches("error: "));
            e.kind().exit_code()
        }
    }
}

fn exec_selected(
    tool: &str,
    args: Vec<OsString>,
    auto_install: AutoInstall,
) -> Result<std::convert::Infallible> {
    // An account without a home still runs the system layer's Go.
    let layers = Layers::from_env(&Env::process());
    let cwd = std::env::current_dir().context(|| "reading the working directory".to_string())?;
    let sel = select::select(&layers, &cwd)?.ok_or_else(select::nothing_selected)?;
    let found = match select::resolve_installed(&layers, &sel) {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound && auto_install_enabled(layers.env()) => {
            // Into the account's own layer: the system layer is root's.
            let Some(own) = layers.own() else {
                return Err(no_layer_for_auto_install(e));
            };
            // The selection, or the release line of go.mod's go line when
            // the selection is older than it.
            auto_install(own, &select::install_target(&layers, &sel))?;
            select::resolve_installed(&layers, &sel)?
        }
        Err(e) => return Err(e),
    };
    exec_in(&layers, &found.goroot, tool, args)
}

/// `go` of exactly `version` (a `go1.22.10` entry point): no selection, no
/// install; the account's layer first, then the system's, as for `go`.
fn exec_version(version: &GoVersion, args: Vec<OsString>) -> Result<std::convert::Infallible> {
    let layers = Layers::from_env(&Env::process());
    let goroot = layers
        .search()
        .map(|(_, layout)| layout.version_dir(version.as_str()))
        .find(|dir| dir.join("bin").is_dir())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "Go {} is not installed (this is its entry point {})",
                    version.as_str(),
                    version.go_name()
                ),
            )
            .with_advice(format!(
                "run `gov install {}`, or remove the stale entry point",
                version.as_str()
            ))
        })?;
    exec_in(&layers, &goroot, "go", args)
}

/// Execs `tool` of the tree at `goroot` with gov's environment, after the
/// root guard: what every entry point shares.
fn exec_in(
    layers: &Layers,
    goroot: &Path,
    tool: &str,
    args: Vec<OsString>,
) -> Result<std::convert::Infallible> {
    let exe = goroot.join("bin").join(tool);
    guard_for_root(layers, goroot, &[tool])?;
    let profile = crate::settings::proxy::layered_profile(layers);
    let env = goenv::tool_env(goroot, &profile, &args);
    let mut cmd = Command::new(&exe);
    cmd.arg0(tool).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let err = cmd.exec();
    Err(err).context(|| format!("running {}", exe.display()))
}
