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
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::layers::Layers;
use crate::core::layout::Layout;
use crate::entry::shim::TOOLS;
use crate::settings::goenv;

/// The tool an argv[0] names, if it is one gov stands in for.
pub fn tool_for_argv0(arg0: &OsString) -> Option<&'static str> {
    let name = Path::new(arg0).file_name()?.to_str()?;
    TOOLS.iter().copied().find(|t| *t == name)
}

fn auto_install_enabled() -> bool {
    matches!(
        std::env::var("GOV_AUTO_INSTALL").as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
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
    for (_, layout) in layers.search() {
        crate::core::perms::guard_state(layout)?;
    }
    for tool in tools {
        crate::core::perms::guard_tree(goroot, &goroot.join("bin").join(tool))?;
    }
    Ok(())
}

/// Runs `tool` of the selected version with `args`. Only returns on error,
/// after printing the one-line error (the entry point's only output).
pub fn run(tool: &str, args: Vec<OsString>, auto_install: AutoInstall) -> i32 {
    match exec_selected(tool, args, auto_install) {
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
    let layers = Layers::from_env();
    let cwd = std::env::current_dir().context(|| "reading the working directory".to_string())?;
    let sel = select::select(&layers, &cwd)?.ok_or_else(select::nothing_selected)?;
    let found = match select::resolve_installed(&layers, &sel) {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound && auto_install_enabled() => {
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
    let exe = found.goroot.join("bin").join(tool);
    guard_for_root(&layers, &found.goroot, &[tool])?;
    let profile = crate::settings::proxy::layered_profile(&layers);
    let env = goenv::tool_env(&found.goroot, &profile, &args);
    let mut cmd = Command::new(&exe);
    cmd.arg0(tool).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let err = cmd.exec();
    Err(err).context(|| format!("running {}", exe.display()))
}
