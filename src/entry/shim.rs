//! Env shims: `$GOV_HOME/shims/<v>/go` and `gofmt`. Each is a small POSIX sh
//! script that runs on its own (systemd units, cron, CI steps need nothing
//! else): it sets GOROOT to its version and execs the real tool. The text is
//! generated from a spec so later settings (module proxy, toolchain policy)
//! are added in one place and every shim is rewritten atomically.

use std::path::Path;

use crate::core::error::Result;
use crate::core::fsutil;
use crate::core::layout::Layout;
use crate::core::quote::{check_no_control, sh_quote};
use crate::core::template;

/// The tools every installed version gets a shim for.
pub const TOOLS: &[&str] = &["go", "gofmt"];

/// The shim template (`shims/env-shim.sh`).
const TEMPLATE: &str = include_str!("../../shims/env-shim.sh");

/// The account's own profile as a system-layer shim finds it when it runs:
/// the account's GOV_HOME, else its default under XDG_DATA_HOME or HOME
/// (the rules of `Layout::from_env` for an account other than root; for
/// root the path normally does not exist, as root's layer is the system's).
const OWN_PROFILE_AT_RUN_TIME: &str =
    "\"${GOV_HOME:-${XDG_DATA_HOME:-${HOME:-/nonexistent}/.local/share}/gov}/env\"";

/// The script for `tool` of the version rooted at `goroot`. In plain sh,
/// without forking, it applies the gov profiles below the user's own
/// settings, nearest first, and the GOTOOLCHAIN policy (see `goenv`), then
/// execs the tool. `own_profile` is the profile of the layer the shim
/// belongs to; `None` (a system-layer shim) finds the caller's at run time.
pub fn render(
    version: &str,
    goroot: &Path,
    tool: &str,
    own_profile: Option<&Path>,
    system_profile: &Path,
) -> String {
    let goroot = sh_quote(&goroot.to_string_lossy());
    let own = match own_profile {
        Some(p) => sh_quote(&p.to_string_lossy()),
        None => OWN_PROFILE_AT_RUN_TIME.to_string(),
    };
    let system = sh_quote(&system_profile.to_string_lossy());
    template::render(
        TEMPLATE,
        &[
            ("VERSION", version),
            ("TOOL", tool),
            ("GOROOT", &goroot),
            ("OWN_PROFILE", &own),
            ("SYSTEM_PROFILE", &system),
        ],
    )
}

fn render_for(layout: &Layout, version: &str, tool: &str) -> String {
    let system = layout.system_layer();
    let own = (!layout.is_system()).then(|| crate::settings::proxy::profile_path(layout));
    render(
        version,
        &layout.version_dir(version),
        tool,
        own.as_deref(),
        &crate::settings::proxy::profile_path(&system),
    )
}

/// Writes (or rewrites) the shims of `version`, each atomically.
pub fn write(layout: &Layout, version: &str) -> Result<()> {
    // Shims are scripts: no control characters in the paths they hold.
    check_no_control("GOV_HOME", &layout.home().to_string_lossy())?;
    let dir = layout.shim_dir(version);
    fsutil::create_dir_all(&dir)?;
    for tool in TOOLS {
        let path = dir.join(tool);
        let text = render_for(layout, version, tool);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
            continue;
        }
        fsutil::write_atomic_mode(&path, text.as_bytes(), fsutil::EXEC_MODE)?;
    }
    Ok(())
}

/// True when every shim of `version` exists with the expected text.
pub fn is_current(layout: &Layout, version: &str) -> bool {
    TOOLS.iter().all(|tool| {
        std::fs::read_to_string(layout.shim_dir(version).join(tool))
            .is_ok_and(|t| t == render_for(layout, version, tool))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_execs_the_tool() {
        let s = render(
            "1.22.5",
            Path::new("/x/versions/1.22.5"),
            "gofmt",
            Some(Path::new("/x/env")),
            Path::new("/sys/env"),
        );
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("GOROOT='/x/versions/1.22.5'"));
        assert!(s.contains("exec \"$GOROOT/bin/gofmt\" \"$@\""));
        assert!(s.contains("gov_profile '/x/env'\n") && s.contains("gov_profile '/sys/env'"));
    }
}
