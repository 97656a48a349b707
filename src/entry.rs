//! The `go` / `gofmt` entry points at run time: gov started under one of
//! those names (argv[0]) selects the version for the working directory and
//! execs the real tool. Kept lean: no clap, no HTTP client, no async
//! runtime; only the stats and small reads selection needs.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::error::{ErrorKind, IoContext, Result};
use crate::goenv;
use crate::layout::Layout;
use crate::select;
use crate::shim::TOOLS;

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

/// Runs `tool` of the selected version with `args`. Only returns on error.
pub fn run(tool: &str, args: Vec<OsString>) -> i32 {
    match exec_selected(tool, args) {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("gov ({tool}): {}", e.report().trim_start_matches("error: "));
            e.kind().exit_code()
        }
    }
}

fn exec_selected(tool: &str, args: Vec<OsString>) -> Result<std::convert::Infallible> {
    let layout = Layout::from_env()?;
    let cwd = std::env::current_dir().context(|| "reading the working directory".to_string())?;
    let sel = select::select(&layout, &cwd)?.ok_or_else(select::nothing_selected)?;
    let found = match select::resolve_installed(&layout, &sel) {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound && auto_install_enabled() => {
            auto_install(&layout, &sel)?;
            select::resolve_installed(&layout, &sel)?
        }
        Err(e) => return Err(e),
    };
    let exe = found.goroot.join("bin").join(tool);
    let profile = crate::proxy::read_profile(&layout);
    let env = goenv::tool_env(&found.goroot, &profile, &args);
    let mut cmd = Command::new(&exe);
    cmd.arg0(tool).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let err = cmd.exec();
    Err(err).context(|| format!("running {}", exe.display()))
}

/// GOV_AUTO_INSTALL=1: install the selected version on first use. The
/// install lock makes racing calls install it once.
fn auto_install(layout: &Layout, sel: &select::Selection) -> Result<()> {
    let app = crate::app::App::new(layout.clone(), crate::ui::Ui::new(false));
    app.ui.status(&format!(
        "gov: installing Go {} ({}) because GOV_AUTO_INSTALL is set",
        sel.raw, sel.source
    ));
    let report = crate::install::install(
        &app,
        &crate::install::InstallOptions {
            origin: crate::install::Origin::Remote(sel.request.clone()),
            arch: crate::arch::host().to_string(),
            force: false,
        },
    )?;
    if report.action != crate::install::Action::AlreadyInstalled {
        app.ui
            .status(&format!("gov: {}", crate::install::summary(&report)));
    }
    Ok(())
}
