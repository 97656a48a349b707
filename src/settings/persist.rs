//! Persisting gov's environment for login shells and services: the PATH to
//! the entry points (which carry the module settings themselves, so Go's
//! precedence stays intact), and the layer locations when they differ from
//! the defaults (for the system scope GOV_SYSTEM_HOME / GOV_SYSTEM_BIN_DIR,
//! never GOV_HOME, which would take every account's own layer away; for an
//! account GOV_HOME / GOV_BIN_DIR). Idempotent and removable; system paths
//! are taken relative to a chosen root so tests never touch the real /etc.

use std::path::{Path, PathBuf};

use crate::core::env::Env;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::layout::Layout;
use crate::core::quote::{check_no_control, environment_d_quote, sh_quote};
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
    /// ~/.bash_login where they exist; ~/.zprofile for zsh users, created if
    /// needed), fish's conf.d/gov.fish for fish users, and
    /// ~/.config/environment.d/gov.conf (systemd user services).
    User,
}

/// The layer variables this environment sets, to be exported as well so
/// logins see the same layer.
fn exports(layout: &Layout, env: &Env) -> Vec<(&'static str, String)> {
    let set = |name: &str| env.is_set(name);
    let mut v = Vec::new();
    if layout.is_system() {
        if set("GOV_SYSTEM_HOME") {
            v.push(("GOV_SYSTEM_HOME", layout.home().display().to_string()));
        }
        if set("GOV_SYSTEM_BIN_DIR") {
            v.push(("GOV_SYSTEM_BIN_DIR", layout.bin_dir().display().to_string()));
        }
        return v;
    }
    if set("GOV_HOME") {
        v.push(("GOV_HOME", layout.home().display().to_string()));
    }
    if set("GOV_BIN_DIR") {
        v.push(("GOV_BIN_DIR", layout.bin_dir().display().to_string()));
    }
    v
}

/// systemd's PATH for system services (`systemd-path search-binaries-default`).
const SYSTEMD_DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The system manager's drop-in (`shims/system.conf`): every system
/// service gets the entry points on PATH. `None` when services already
/// find them (the default /usr/local/bin and a default system layer).
pub fn system_manager_lines(layout: &Layout, env: &Env) -> Option<String> {
    let bin = layout.bin_dir().display().to_string();
    let on_default = SYSTEMD_DEFAULT_PATH.split(':').any(|d| d == bin);
    let exports = exports(layout, env);
    if on_default && exports.is_empty() {
        return None;
    }
    let mut words = Vec::new();
    if !on_default {
        words.push(format!("PATH={bin}:{SYSTEMD_DEFAULT_PATH}"));
    }
    words.extend(exports.into_iter().map(|(k, v)| format!("{k}={v}")));
    // systemd splits on spaces and honours double quotes.
    let value: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    Some(template::render(
        SYSTEM_MANAGER_TEMPLATE,
        &[("ENVIRONMENT", &value.join(" "))],
    ))
}

/// The profile.d snippet and the block in `~/.profile` (`shims/profile.sh`).
const PROFILE_TEMPLATE: &str = include_str!("../../shims/profile.sh");
/// systemd's environment.d file (`shims/environment.conf`).
const ENVIRONMENT_D_TEMPLATE: &str = include_str!("../../shims/environment.conf");
/// systemd's system manager drop-in (`shims/system.conf`).
const SYSTEM_MANAGER_TEMPLATE: &str = include_str!("../../shims/system.conf");

/// The sh lines for profile files.
pub fn sh_lines(layout: &Layout) -> String {
    sh_lines_in(layout, &Env::process())
}

/// [`sh_lines`] for the layer variables `env` sets.
pub fn sh_lines_in(layout: &Layout, env: &Env) -> String {
    let bin = sh_quote(&layout.bin_dir().to_string_lossy());
    let exports: String = exports(layout, env)
        .into_iter()
        .map(|(k, v)| format!("{k}={}; export {k}\n", sh_quote(&v)))
        .collect();
    template::render(
        PROFILE_TEMPLATE,
        &[("BIN_DIR", &bin), ("EXPORTS", &exports)],
    )
}

/// systemd environment.d lines (KEY=VALUE; values quoted by systemd's
/// rules so a `$` in a path is not expanded).
pub fn environment_d_lines(layout: &Layout) -> String {
    environment_d_lines_in(layout, &Env::process())
}

/// [`environment_d_lines`] for the layer variables `env` sets.
pub fn environment_d_lines_in(layout: &Layout, env: &Env) -> String {
    let bin = environment_d_quote(&layout.bin_dir().to_string_lossy());
    let exports: String = exports(layout, env)
        .into_iter()
        .map(|(k, v)| format!("{k}={}\n", environment_d_quote(&v)))
        .collect();
    template::render(
        ENVIRONMENT_D_TEMPLATE,
        &[("BIN_DIR", &bin), ("EXPORTS", &exports)],
    )
}

/// Where gov's block sits in `text`: the byte range from the start of its
/// BEGIN line to the end of its END line (line ending included).
fn find_block(text: &str) -> Result<Option<(usize, usize)>> {
    let mut pos = 0;
    let mut begin = None;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']).trim_end();
        match begin {
            None if bare == BEGIN => begin = Some(pos),
            Some(b) if bare == END => return Ok(Some((b, pos + line.len()))),
            _ => {}
        }
        pos += line.len();
    }
    match begin {
        None => Ok(None),
        // Without its end the block's extent is unknown: deleting "to the
        // end" would take the user's lines with it.
        Some(_) => Err(Error::new(
            ErrorKind::State,
            "gov's block has a start marker but no end marker",
        )
        .with_advice(format!(
            "nothing was changed; add the line `{END}` where gov's block ends (or delete the block by hand), then run again"
        ))),
    }
}

/// Replaces (or removes, with `body = None`) gov's marked block in `text`,
/// touching no other byte: line endings, a missing final newline and blank
/// lines elsewhere stay as they are, and removing what was added gives back
/// the original bytes exactly.
pub fn with_block(text: &str, body: Option<&str>) -> Result<String> {
    let block = body.map(|b| format!("{BEGIN}\n{b}{END}\n"));
    match (find_block(text)?, block) {
        // Replaced in place.
        (Some((b, e)), Some(block)) => Ok(format!("{}{block}{}", &text[..b], &text[e..])),
        (Some((b, e)), None) => {
            // gov appends its block after one newline (ending the last line,
            // or making a blank line); take that newline back with it when
            // the block is still last, or the blank line it made otherwise.
            let at_end = e == text.len();
            let before = &text[..b];
            let start = if (at_end && before.ends_with('\n')) || before.ends_with("\n\n") {
                b - 1
            } else {
                b
            };
            Ok(format!("{}{}", &text[..start], &text[e..]))
        }
        (None, Some(block)) if text.is_empty() => Ok(block),
        (None, Some(block)) => Ok(format!("{text}\n{block}")),
        (None, None) => Ok(text.to_string()),
    }
}

/// fish's own syntax for the same: a conf.d file (fish reads no profile).
pub fn fish_lines(layout: &Layout, env: &Env) -> String {
    let bin = sh_quote(&layout.bin_dir().to_string_lossy());
    let mut out = format!("if not contains -- {bin} $PATH\n    set -gx PATH {bin} $PATH\nend\n");
    for (k, v) in exports(layout, env) {
        out.push_str(&format!("set -gx {k} {}\n", sh_quote(&v)));
    }
    out
}

/// The user's login shell, by name (`zsh`, `fish`, `bash`...), from $SHELL.
pub fn login_shell(env: &Env) -> String {
    env.var("SHELL")
        .and_then(|s| s.rsplit('/').next().map(str::to_string))
        .unwrap_or_default()
}

/// Does this user use zsh (login shell, or its startup files exist)? zsh
/// login shells read ~/.zprofile, never ~/.profile.
fn uses_zsh(h: &Path, env: &Env) -> bool {
    login_shell(env) == "zsh"
        || [".zprofile", ".zshrc", ".zshenv"]
            .iter()
            .any(|f| h.join(f).exists())
}

/// fish's config directory: $XDG_CONFIG_HOME/fish, else ~/.config/fish.
fn fish_config_dir(h: &Path, env: &Env) -> PathBuf {
    env.path("XDG_CONFIG_HOME")
        .unwrap_or_else(|| h.join(".config"))
        .join("fish")
}

fn uses_fish(h: &Path, env: &Env) -> bool {
    login_shell(env) == "fish" || fish_config_dir(h, env).is_dir()
}

fn home(env: &Env) -> PathBuf {
    env.home()
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The first line of gov's block in a file gov itself created: once the
/// block is removed and nothing else is left, `--remove` deletes the file.
pub const CREATED: &str =
    "# (gov created this file; `gov persist --remove` deletes it if nothing else is added)";

fn update_block(path: &Path, body: Option<&str>, changed: &mut Vec<PathBuf>) -> Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(e).context(|| format!("reading {}", path.display()));
        }
    };
    if old.is_none() && body.is_none() {
        return Ok(());
    }
    // A file gov creates says so, and keeps saying so across updates.
    let created = old
        .as_ref()
        .is_none_or(|t| t.contains(&format!("{BEGIN}\n{CREATED}\n")));
    let old = old.unwrap_or_default();
    let body = body.map(|b| match created {
        true => format!("{CREATED}\n{b}"),
        false => b.to_string(),
    });
    let new = with_block(&old, body.as_deref()).map_err(|e| {
        Error::new(
            ErrorKind::State,
            format!("cannot update {}", path.display()),
        )
        .with_source(e)
    })?;
    if new == old {
        return Ok(());
    }
    let written = if new.is_empty() && created && body.is_none() {
        std::fs::remove_file(path).context(|| format!("removing {}", path.display()))
    } else {
        path.parent()
            .map_or(Ok(()), fsutil::create_dir_all)
            // Through a symlink (dotfiles managers), keeping mode and owner.
            .and_then(|()| crate::core::perms::replace_keeping(path, new.as_bytes()))
    };
    written.map_err(|e| {
        Error::new(e.kind(), format!("cannot update {}", path.display()))
            .with_source(e)
            .with_advice(
                "nothing else was changed in it; it (and whatever it links to) must be writable \
                 by the account it belongs to, which is who gov edits it as: fix its owner or \
                 link, or add gov's PATH line by hand",
            )
    })?;
    changed.push(path.to_path_buf());
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

/// Root editing an account's home (HOME pointing there, as `sudo` without
/// `-H` or a provisioning tool leaves it) does it as the account that owns
/// the home, with the home's group: a link the account made then leads only
/// where the account may write, and what gov creates is the account's.
fn as_home_owner(h: &Path) -> Result<Option<crate::core::perms::ActingAs>> {
    use std::os::unix::fs::MetadataExt;
    if crate::core::perms::euid() != 0 {
        return Ok(None);
    }
    match std::fs::metadata(h) {
        Ok(m) if m.uid() != 0 => crate::core::perms::act_as(m.uid(), m.gid()).map(Some),
        _ => Ok(None),
    }
}

/// Writes (or removes) the persisted environment. Returns the files changed.
pub fn persist(
    layout: &Layout,
    scope: Scope,
    root: &Path,
    remove: bool,
    env: &Env,
) -> Result<Vec<PathBuf>> {
    // A newline in a path would end the quoted value and start a line of
    // the user's choosing (`LD_PRELOAD=...`) in every login's environment.
    check_no_control("GOV_BIN_DIR", &layout.bin_dir().to_string_lossy())?;
    check_no_control("GOV_HOME", &layout.home().to_string_lossy())?;
    let sh = sh_lines_in(layout, env);
    let envd = environment_d_lines_in(layout, env);
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
            // A stale drop-in (the entry points moved back) goes too.
            let manager = system_manager_lines(layout, env).filter(|_| !remove);
            update_file(
                &root.join("etc/systemd/system.conf.d/60-gov.conf"),
                manager.as_deref(),
                &mut changed,
            )?;
            // Where those shells are installed: zsh logins read
            // /etc/zsh/zprofile (not profile.d), fish its conf.d.
            if root.join("etc/zsh").is_dir() {
                update_block(&root.join("etc/zsh/zprofile"), sh, &mut changed)?;
            }
            if root.join("etc/fish").is_dir() {
                let fish = (!remove).then(|| fish_lines(layout, env));
                update_file(
                    &root.join("etc/fish/conf.d/gov.fish"),
                    fish.as_deref(),
                    &mut changed,
                )?;
            }
        }
        Scope::User => {
            let h = home(env);
            let _as_owner = as_home_owner(&h)?;
            update_block(&h.join(".profile"), sh, &mut changed)?;
            // bash reads only the first of these it finds.
            for f in [".bash_profile", ".bash_login"] {
                let p = h.join(f);
                if p.exists() {
                    update_block(&p, sh, &mut changed)?;
                }
            }
            // zsh logins read ~/.zprofile only: created for zsh users.
            let zprofile = h.join(".zprofile");
            if zprofile.exists() || (uses_zsh(&h, env) && !remove) {
                update_block(&zprofile, sh, &mut changed)?;
            }
            let fish_file = fish_config_dir(&h, env).join("conf.d/gov.fish");
            if uses_fish(&h, env) || fish_file.exists() {
                let fish = (!remove).then(|| fish_lines(layout, env));
                update_file(&fish_file, fish.as_deref(), &mut changed)?;
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

    fn add(t: &str, b: &str) -> String {
        with_block(t, Some(b)).unwrap_or_else(|e| panic!("{e}"))
    }
    fn remove(t: &str) -> String {
        with_block(t, None).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn blocks_are_idempotent_and_removable() {
        let base = "export EDITOR=vi\n";
        let once = add(base, "PATH=x\n");
        assert_eq!(add(&once, "PATH=x\n"), once);
        assert!(once.starts_with(base));
        assert!(once.contains(BEGIN) && once.contains("PATH=x\n") && once.contains(END));
        assert_eq!(remove(&once), base);
        let changed = add(&once, "PATH=y\n");
        assert!(changed.contains("PATH=y") && !changed.contains("PATH=x"));
    }

    #[test]
    fn removal_gives_back_the_exact_bytes() {
        for base in [
            "",
            "a",
            "a\n",
            "a\n\n",
            "a\n\n\n",
            "a\r\nb\r\n",
            "a\r\nno-final-newline",
            "\n",
        ] {
            let with = add(base, "PATH=x\n");
            assert_eq!(remove(&with), base, "{base:?} -> {with:?}");
            // Replacing the body and removing again: still exact.
            assert_eq!(remove(&add(&with, "PATH=y\n")), base, "{base:?}");
        }
        // A block the user moved above their own lines leaves them intact.
        let moved = format!("a\n\n{BEGIN}\nPATH=x\n{END}\nb\n");
        assert_eq!(remove(&moved), "a\nb\n");
    }

    #[test]
    fn a_missing_end_marker_changes_nothing() {
        let t = format!("a\n{BEGIN}\nPATH=x\nimportant\n");
        assert!(with_block(&t, None).is_err());
        assert!(with_block(&t, Some("PATH=y\n")).is_err());
    }
}
