//! Env shims: `$GOV_HOME/shims/<v>/go` and `gofmt`. Each is a small POSIX sh
//! script that runs on its own (systemd units, cron, CI steps need nothing
//! else): it sets GOROOT to its version and execs the real tool. The text is
//! generated from a spec so later settings (module proxy, toolchain policy)
//! are added in one place and every shim is rewritten atomically.

use std::path::Path;

use crate::core::error::Result;
use crate::core::fsutil;
use crate::core::layout::Layout;
use crate::core::quote::sh_quote;
use crate::core::template;

/// The tools every installed version gets a shim for.
pub const TOOLS: &[&str] = &["go", "gofmt"];

/// The shim template (`shims/env-shim.sh`).
const TEMPLATE: &str = include_str!("../../shims/env-shim.sh");

/// The script for `tool` of the version rooted at `goroot`. In plain sh,
/// without forking, it applies gov's profile below the user's own settings
/// and the GOTOOLCHAIN policy (see `goenv`), then execs the tool.
pub fn render(version: &str, goroot: &Path, tool: &str, profile: &Path) -> String {
    let goroot = sh_quote(&goroot.to_string_lossy());
    let profile = sh_quote(&profile.to_string_lossy());
    template::render(
        TEMPLATE,
        &[
            ("VERSION", version),
            ("TOOL", tool),
            ("GOROOT", &goroot),
            ("PROFILE", &profile),
        ],
    )
}

/// Writes (or rewrites) the shims of `version`, each atomically.
pub fn write(layout: &Layout, version: &str) -> Result<()> {
    let dir = layout.shim_dir(version);
    fsutil::create_dir_all(&dir)?;
    let goroot = layout.version_dir(version);
    let profile = crate::settings::proxy::profile_path(layout);
    for tool in TOOLS {
        let path = dir.join(tool);
        let text = render(version, &goroot, tool, &profile);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
            continue;
        }
        fsutil::write_atomic_mode(&path, text.as_bytes(), 0o755)?;
    }
    Ok(())
}

/// True when every shim of `version` exists with the expected text.
pub fn is_current(layout: &Layout, version: &str) -> bool {
    let goroot = layout.version_dir(version);
    let profile = crate::settings::proxy::profile_path(layout);
    TOOLS.iter().all(|tool| {
        std::fs::read_to_string(layout.shim_dir(version).join(tool))
            .is_ok_and(|t| t == render(version, &goroot, tool, &profile))
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
            Path::new("/x/env"),
        );
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("GOROOT='/x/versions/1.22.5'"));
        assert!(s.contains("exec \"$GOROOT/bin/gofmt\" \"$@\""));
    }
}
