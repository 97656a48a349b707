//! `gov env`: shell lines that hand a shell over to gov's selection.
//!
//! Nothing is snapshotted: the lines put GOV_BIN_DIR on PATH (once) and,
//! for a named version, set GOV_VERSION as `gov shell` does. GOROOT and the
//! module-proxy settings stay the entry points' job at each `go` call, so
//! `gov current`, `gov proxy use` and `go env -w` keep working afterwards.
//! `--unset` prints the lines that undo it.

use std::path::{Path, PathBuf};

use crate::app::App;
use crate::core::env::Env;
use crate::core::error::{Error, IoContext, Result};
use crate::core::quote::{check_no_control, for_shell};

/// Set when `gov env` put GOV_BIN_DIR on PATH, so `--unset` takes out
/// only what it added.
const MARK: &str = "GOV_ENV_PATH";

/// Print shell lines that hand this shell to gov's selection.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The lines put GOV_BIN_DIR on PATH (once) and, for a named version, set GOV_VERSION.\nRe-running adds nothing twice; GOROOT and proxy settings are left to gov at each `go` call.\n\nExamples:\n  eval \"$(gov env)\"            # follow gov's selection in this shell\n  eval \"$(gov env 1.22.5)\"     # this shell uses 1.22.5 (like `gov shell 1.22.5`)\n  eval \"$(gov env --unset)\"    # undo\n  gov env --shell fish | source"
)]
pub struct EnvArgs {
    /// An installed version for this shell; default: gov's usual selection.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: Option<String>,
    /// bash, zsh, sh or fish (default: from $SHELL).
    #[arg(
        long,
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::env_shells)
    )]
    shell: Option<String>,
    /// Print the lines that undo an earlier `gov env`.
    #[arg(long, conflicts_with = "version")]
    unset: bool,
}

/// How one shell family spells the three operations.
struct Syntax {
    fish: bool,
}

impl Syntax {
    /// Quoting by the shell's own rules: fish reads a backslash inside
    /// single quotes differently from sh.
    fn q(&self, v: &str) -> String {
        for_shell(if self.fish { "fish" } else { "sh" }, v)
    }
    fn for_shell(name: &str) -> Result<Syntax> {
        match name {
            "fish" => Ok(Syntax { fish: true }),
            "bash" | "zsh" | "sh" | "dash" | "ash" | "ksh" => Ok(Syntax { fish: false }),
            other => Err(Error::invalid(format!("unsupported shell `{other}`"))
                .with_advice("use --shell bash, zsh, sh or fish")),
        }
    }
    fn set(&self, k: &str, v: &str) -> String {
        if self.fish {
            format!("set -gx {k} {}\n", self.q(v))
        } else {
            format!("export {k}={}\n", self.q(v))
        }
    }
    fn unset(&self, k: &str) -> String {
        if self.fish {
            format!("set -e {k}\n")
        } else {
            format!("unset {k}\n")
        }
    }
    fn prepend_path(&self, dir: &Path) -> String {
        let d = self.q(&dir.to_string_lossy());
        if self.fish {
            format!("set -gx PATH {d} $PATH\n")
        } else {
            format!("export PATH={d}:\"$PATH\"\n")
        }
    }
    fn whole_path(&self, dirs: &[PathBuf]) -> String {
        if self.fish {
            let list: Vec<String> = dirs.iter().map(|d| self.q(&d.to_string_lossy())).collect();
            format!("set -gx PATH {}\n", list.join(" "))
        } else {
            let joined = std::env::join_paths(dirs).unwrap_or_default();
            format!("export PATH={}\n", self.q(&joined.to_string_lossy()))
        }
    }
}

fn current_path(env: &Env) -> Vec<PathBuf> {
    env.var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// A `bin` directory of one of gov's own trees: what an older `gov env`
/// (or a hand-made PATH) put there, and what would bypass the selection.
fn is_gov_tree_bin(versions: &[PathBuf], dir: &Path) -> bool {
    dir.ends_with("bin")
        && dir
            .parent()
            .and_then(Path::parent)
            .is_some_and(|p| versions.iter().any(|v| v == p))
}

fn default_shell(env: &Env) -> String {
    env.var("SHELL")
        .and_then(|s| s.rsplit('/').next().map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "sh".into())
}

pub fn run(app: &App, a: EnvArgs) -> Result<()> {
    let syntax = Syntax::for_shell(&a.shell.unwrap_or_else(|| default_shell(&app.env)))?;
    let bin = app.layout.bin_dir();
    // Lines for `eval`: a control character in a path gov puts there is
    // never needed and would be one more thing shells read differently.
    check_no_control("GOV_BIN_DIR", &bin.to_string_lossy())?;
    // Every layer's trees (the account's and the system's).
    let versions: Vec<PathBuf> = app
        .layers()
        .search()
        .map(|(_, l)| l.versions_dir())
        .collect();
    let path = current_path(&app.env);
    let mut out = String::new();

    // A GOROOT pointing into gov's trees is a snapshot of an older
    // `gov env`; gov sets GOROOT itself at each call.
    if app.env.var_os("GOROOT").is_some_and(|g| {
        Path::new(&g)
            .parent()
            .is_some_and(|p| versions.iter().any(|v| v == p))
    }) {
        out.push_str(&syntax.unset("GOROOT"));
    }

    if a.unset {
        out.push_str(&syntax.unset("GOV_VERSION"));
        let added = app.env.var_os(MARK).is_some_and(|m| Path::new(&m) == bin);
        let kept: Vec<PathBuf> = path
            .iter()
            .filter(|d| !(is_gov_tree_bin(&versions, d) || added && **d == bin))
            .cloned()
            .collect();
        if kept != path {
            out.push_str(&syntax.whole_path(&kept));
        }
        out.push_str(&syntax.unset(MARK));
        print!("{out}");
        return Ok(());
    }

    if let Some(v) = &a.version {
        let found = super::exec::find_installed(app, v)?;
        out.push_str(&syntax.set("GOV_VERSION", found.version.as_str()));
    } else {
        // Fail here, not at the first `go`, when nothing is selected.
        let cwd =
            std::env::current_dir().context(|| "reading the working directory".to_string())?;
        let layers = app.layers();
        let sel = crate::entry::select::select(&layers, &cwd)?
            .ok_or_else(crate::entry::select::nothing_selected)?;
        crate::entry::select::resolve(&layers, &sel)?;
    }

    // Stale tree bins from an older `gov env` go; GOV_BIN_DIR goes first,
    // once.
    let cleaned: Vec<PathBuf> = path
        .iter()
        .filter(|d| !is_gov_tree_bin(&versions, d))
        .cloned()
        .collect();
    let has_bin = cleaned.iter().any(|d| *d == bin);
    if cleaned != path {
        let mut dirs = cleaned.clone();
        if !has_bin {
            dirs.insert(0, bin.to_path_buf());
        }
        out.push_str(&syntax.whole_path(&dirs));
    } else if !has_bin {
        out.push_str(&syntax.prepend_path(bin));
    }
    if !has_bin {
        out.push_str(&syntax.set(MARK, &bin.to_string_lossy()));
    }
    print!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_bins() {
        let v = &[PathBuf::from("/h/versions")];
        assert!(is_gov_tree_bin(v, Path::new("/h/versions/1.22.5/bin")));
        assert!(!is_gov_tree_bin(v, Path::new("/h/versions/bin")));
        assert!(!is_gov_tree_bin(v, Path::new("/usr/bin")));
        assert!(!is_gov_tree_bin(v, Path::new("/h/versions/1.22.5/pkg")));
    }

    #[test]
    fn fish_and_sh_spellings() {
        let sh = Syntax { fish: false };
        let fish = Syntax { fish: true };
        assert_eq!(sh.set("K", "a'b"), "export K='a'\\''b'\n");
        assert_eq!(fish.unset("K"), "set -e K\n");
        assert_eq!(
            fish.whole_path(&[PathBuf::from("/a b"), PathBuf::from("/c")]),
            "set -gx PATH '/a b' '/c'\n"
        );
    }
}
