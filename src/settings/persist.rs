//! Persisting gov's environment for login shells and services: the PATH to
//! the entry points (which carry the module settings themselves, so Go's
//! precedence stays intact), and GOV_HOME / GOV_BIN_DIR when they differ
//! from the defaults. Idempotent and removable; system paths are taken
//! relative to a chosen root so tests never touch the real /etc.

use std::path::{Path, PathBuf};

use crate::core::error::{IoContext, Result};
use crate::core::fsutil;
use crate::core::layout::Layout;
use crate::core::quote::sh_quote;
use crate::core::template;

pub const BEGIN: &str =
    "# >>> gov >>> (managed by `gov persist`; remove with `gov persist --remove`)";
pub const END: &str = "# <<< gov <<<";

/// Where settings go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every login shell: <root>/etc/profile.d/gov.sh and
    /// <root>/etc/environment.d/gov.conf (systemd user managers).
    System,
    /// This user: a marked block in ~/.profile (and ~/.bash_profile,
    /// ~/.bash_login, ~/.zprofile where they exist) and
    /// ~/.config/environment.d/gov.conf (systemd user services).
    User,
}

fn exports(layout: &Layout) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if std::env::var_os("GOV_HOME").is_some_and(|x| !x.is_empty()) {
        v.push(("GOV_HOME", layout.home().display().to_string()));
    }
    if std::env::var_os("GOV_BIN_DIR").is_some_and(|x| !x.is_empty()) {
        v.push(("GOV_BIN_DIR", layout.bin_dir().display().to_string()));
    }
    v
}

/// The profile.d snippet and the block in `~/.profile` (`shims/profile.sh`).
const PROFILE_TEMPLATE: &str = include_str!("../../shims/profile.sh");
/// systemd's environment.d file (`shims/environment.conf`).
const ENVIRONMENT_D_TEMPLATE: &str = include_str!("../../shims/environment.conf");

/// The sh lines for profile files.
pub fn sh_lines(layout: &Layout) -> String {
    let bin = sh_quote(&layout.bin_dir().to_string_lossy());
    let exports: String = exports(layout)
        .into_iter()
        .map(|(k, v)| format!("{k}={}; export {k}\n", sh_quote(&v)))
        .collect();
    template::render(
        PROFILE_TEMPLATE,
        &[("BIN_DIR", &bin), ("EXPORTS", &exports)],
    )
}

/// systemd environment.d lines (KEY=VALUE, ${VAR} expanded by systemd).
pub fn environment_d_lines(layout: &Layout) -> String {
    let bin = layout.bin_dir().display().to_string();
    let exports: String = exports(layout)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    template::render(
        ENVIRONMENT_D_TEMPLATE,
        &[("BIN_DIR", &bin), ("EXPORTS", &exports)],
    )
}

/// Replaces (or removes, with `body = None`) gov's marked block in `text`.
pub fn with_block(text: &str, body: Option<&str>) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.trim_end() == BEGIN {
            // Drop the blank line gov put before its block.
            if out.ends_with("\n\n") {
                out.pop();
            }
            skipping = true;
            continue;
        }
        if skipping {
            if line.trim_end() == END {
                skipping = false;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if let Some(body) = body {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(BEGIN);
        out.push('\n');
        out.push_str(body);
        out.push_str(END);
        out.push('\n');
    }
    out
}

fn home() -> PathBuf {
    dirs::home_dir().unwrap_or_else(|| PathBuf::from("/"))
}

fn update_block(path: &Path, body: Option<&str>, changed: &mut Vec<PathBuf>) -> Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if body.is_none() {
                return Ok(());
            }
            String::new()
        }
        Err(e) => return Err(e).context(|| format!("reading {}", path.display())),
    };
    let new = with_block(&old, body);
    if new != old {
        if let Some(dir) = path.parent() {
            fsutil::create_dir_all(dir)?;
        }
        fsutil::write_atomic(path, new.as_bytes())?;
        changed.push(path.to_path_buf());
    }
    Ok(())
}

fn update_file(path: &Path, body: Option<&str>, changed: &mut Vec<PathBuf>) -> Result<()> {
    match body {
        Some(b) => {
            let text =
                format!("# managed by `gov persist`; remove with `gov persist --remove`\n{b}");
            if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
                if let Some(dir) = path.parent() {
                    fsutil::create_dir_all(dir)?;
                }
                fsutil::write_atomic(path, text.as_bytes())?;
                changed.push(path.to_path_buf());
            }
        }
        None => match std::fs::remove_file(path) {
            Ok(()) => changed.push(path.to_path_buf()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context(|| format!("removing {}", path.display())),
        },
    }
    Ok(())
}

/// Writes (or removes) the persisted environment. Returns the files changed.
pub fn persist(layout: &Layout, scope: Scope, root: &Path, remove: bool) -> Result<Vec<PathBuf>> {
    let sh = sh_lines(layout);
    let envd = environment_d_lines(layout);
    let (sh, envd) = if remove {
        (None, None)
    } else {
        (Some(sh.as_str()), Some(envd.as_str()))
    };
    let mut changed = Vec::new();
    match scope {
        Scope::System => {
            update_file(&root.join("etc/profile.d/gov.sh"), sh, &mut changed)?;
            update_file(
                &root.join("etc/environment.d/60-gov.conf"),
                envd,
                &mut changed,
            )?;
        }
        Scope::User => {
            let h = home();
            update_block(&h.join(".profile"), sh, &mut changed)?;
            // bash reads only the first of these it finds; zsh its own.
            for f in [".bash_profile", ".bash_login", ".zprofile"] {
                let p = h.join(f);
                if p.exists() {
                    update_block(&p, sh, &mut changed)?;
                }
            }
            update_file(
                &h.join(".config/environment.d/gov.conf"),
                envd,
                &mut changed,
            )?;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_idempotent_and_removable() {
        let base = "export EDITOR=vi\n";
        let once = with_block(base, Some("PATH=x\n"));
        assert_eq!(with_block(&once, Some("PATH=x\n")), once);
        assert!(once.starts_with(base));
        assert!(once.contains(BEGIN) && once.contains("PATH=x\n") && once.contains(END));
        assert_eq!(with_block(&once, None).trim_end(), base.trim_end());
        let changed = with_block(&once, Some("PATH=y\n"));
        assert!(changed.contains("PATH=y") && !changed.contains("PATH=x"));
    }
}
