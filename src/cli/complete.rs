//! Shell completions with live values, on clap_complete's dynamic engine.
//!
//! `gov completions <shell>` (and `gov init <shell>`) print a small
//! registration script. At each TAB the shell runs
//! `COMPLETE=<shell> gov -- <words...>`; [`complete_if_asked`] answers that
//! from what is on disk right now: installed versions, the tools of the
//! selected version, the *cached* release index (never the network) and
//! the proxy presets.
//!
//! The registration scripts are clap_complete's. The answering side is
//! ours, so that options are offered only once a `-` is typed: `gov global
//! <TAB>` lists versions, not `--force --help --quiet` as well.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{EnvCompleter, Shells};

use crate::core::env::Env;
use crate::core::layout::Layout;

/// The environment variable that turns a gov run into a completion request.
pub const VAR: &str = "COMPLETE";

/// The command name the scripts complete.
const BIN: &str = "gov";

/// Shells with registration scripts: the names `COMPLETE=` and
/// `gov completions` accept.
const SHELLS: Shells<'static> = Shells(&[
    &Shell::Bash,
    &Shell::Elvish,
    &Shell::Fish,
    &Shell::Powershell,
    &Shell::Zsh,
]);

/// The environment a completion run reads: the process's. The shell runs
/// gov afresh at each TAB, and clap calls the value sources below with no
/// context of gov's to carry one.
fn env() -> Env {
    Env::process()
}

/// Answers a completion request and exits, if this run is one (`COMPLETE`
/// set to a shell name). Otherwise returns at once, having read one
/// environment variable.
pub fn complete_if_asked() {
    match env().var_os(VAR) {
        Some(v) if !v.is_empty() && v != "0" => {}
        _ => return,
    }
    clap_complete::CompleteEnv::with_factory(command)
        .var(VAR)
        .bin(BIN)
        .completer(completer_path())
        .shells(SHELLS)
        .complete();
}

/// The registration script for `shell` (bash, zsh, fish, elvish,
/// powershell): what `gov completions <shell>` prints.
pub fn registration(shell: &str) -> std::io::Result<String> {
    registration_with(shell, &completer_path())
}

/// The registration script for `shell`, running `completer` at each TAB.
pub fn registration_with(shell: &str, completer: &str) -> std::io::Result<String> {
    let sh = SHELLS
        .completer(shell)
        .ok_or_else(|| std::io::Error::other(format!("no completions for shell `{shell}`")))?;
    let mut buf = Vec::new();
    sh.write_registration(VAR, BIN, BIN, completer, &mut buf)?;
    String::from_utf8(buf).map_err(std::io::Error::other)
}

fn command() -> clap::Command {
    crate::cli::Cli::command()
}

/// The program the scripts run at TAB: this gov, by absolute path, so that
/// completion works whatever PATH holds then and whether or not `gov` is a
/// shell function (the one `gov init` defines). A path the scripts could
/// not quote safely falls back to `gov`, looked up at completion time.
fn completer_path() -> String {
    let resolved = std::env::args_os()
        .next()
        .and_then(|arg0| resolve_program(&arg0))
        .or_else(|| std::env::current_exe().ok());
    match resolved.as_deref().and_then(Path::to_str) {
        Some(p) if p.bytes().all(is_plain_path_byte) => p.to_string(),
        _ => BIN.to_string(),
    }
}

fn is_plain_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'+')
}

/// argv[0] as the path the shell ran: made absolute if it has a directory
/// part, else looked up on PATH. Symlinks are kept, not resolved, so an
/// upgrade that repoints one keeps working.
fn resolve_program(arg0: &OsStr) -> Option<PathBuf> {
    let p = Path::new(arg0);
    if p.components().count() > 1 {
        return std::path::absolute(p).ok();
    }
    let path = env().var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(p))
        .find(|c| is_executable_file(c))
        .and_then(|c| std::path::absolute(c).ok())
}

fn is_executable_file(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The shells, each pairing clap_complete's registration script with our
/// answer to it. The environment variables read here (`_CLAP_COMPLETE_INDEX`,
/// `_CLAP_IFS`) are the ones those scripts set.
#[derive(Debug, Clone, Copy)]
enum Shell {
    Bash,
    Elvish,
    Fish,
    Powershell,
    Zsh,
}

impl Shell {
    fn builtin(self) -> &'static dyn EnvCompleter {
        match self {
            Shell::Bash => &clap_complete::env::Bash,
            Shell::Elvish => &clap_complete::env::Elvish,
            Shell::Fish => &clap_complete::env::Fish,
            Shell::Powershell => &clap_complete::env::Powershell,
            Shell::Zsh => &clap_complete::env::Zsh,
        }
    }
}

fn env_index() -> usize {
    env()
        .var("_CLAP_COMPLETE_INDEX")
        .and_then(|i| i.parse().ok())
        .unwrap_or_default()
}

fn first_line(help: Option<String>) -> String {
    help.as_deref()
        .and_then(|h| h.lines().next())
        .unwrap_or_default()
        .replace('\t', " ")
}

impl EnvCompleter for Shell {
    fn name(&self) -> &'static str {
        self.builtin().name()
    }

    fn is(&self, name: &str) -> bool {
        self.builtin().is(name)
    }

    fn write_registration(
        &self,
        var: &str,
        name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        self.builtin()
            .write_registration(var, name, bin, completer, buf)
    }

    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        mut args: Vec<OsString>,
        current_dir: Option<&Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let index = match self {
            Shell::Bash | Shell::Elvish => env_index(),
            Shell::Zsh => {
                // zsh passes no word for an empty current one.
                let i = env_index();
                if args.len() == i {
                    args.push(OsString::new());
                }
                i
            }
            Shell::Fish | Shell::Powershell => args.len().saturating_sub(1),
        };
        let found = candidates(cmd, args, index, current_dir)?;
        let ifs = env().var("_CLAP_IFS");
        let sep = ifs.as_deref().unwrap_or("\n");
        for (i, c) in found.iter().enumerate() {
            let value = c.get_value().to_string_lossy();
            let help = c.get_help().map(ToString::to_string);
            match self {
                Shell::Bash | Shell::Elvish => {
                    if i > 0 {
                        buf.write_all(sep.as_bytes())?;
                    }
                    buf.write_all(value.as_bytes())?;
                }
                Shell::Zsh => {
                    if i > 0 {
                        buf.write_all(sep.as_bytes())?;
                    }
                    let value = value.replace('\\', "\\\\").replace(':', "\\:");
                    buf.write_all(value.as_bytes())?;
                    if help.is_some() {
                        let help = first_line(help).replace('\\', "\\\\");
                        write!(buf, ":{help}")?;
                    }
                }
                Shell::Fish | Shell::Powershell => {
                    buf.write_all(value.as_bytes())?;
                    if help.is_some() {
                        write!(buf, "\t{}", first_line(help))?;
                    }
                    writeln!(buf)?;
                }
            }
        }
        Ok(())
    }
}

/// Candidates for `args[index]` (args start with the program name).
/// Options are offered only when the word starts with `-`.
pub fn candidates(
    cmd: &mut clap::Command,
    args: Vec<OsString>,
    index: usize,
    current_dir: Option<&Path>,
) -> std::io::Result<Vec<CompletionCandidate>> {
    let wants_options = args
        .get(index)
        .is_some_and(|w| w.as_encoded_bytes().starts_with(b"-"));
    let mut found = clap_complete::engine::complete(cmd, args, index, current_dir)?;
    if !wants_options {
        found.retain(|c| !c.get_value().as_encoded_bytes().starts_with(b"-"));
    }
    Ok(found)
}

// Value sources, attached to arguments with `ArgValueCandidates`. They run
// at TAB: quick reads only, never the network, never output, and an empty
// list on any problem.

fn layout() -> Option<Layout> {
    Layout::from_env(&env()).ok()
}

fn layers() -> crate::core::layers::Layers {
    crate::core::layers::Layers::from_env(&env())
}

fn candidate(value: impl Into<OsString>, help: Option<&str>) -> CompletionCandidate {
    CompletionCandidate::new(value).help(help.map(|h| h.to_string().into()))
}

/// Installed versions, newest first; the one selected here is marked
/// "current".
pub fn installed_versions() -> Vec<CompletionCandidate> {
    let layers = layers();
    let mut all = crate::core::installed::list_all(&layers).unwrap_or_default();
    all.sort_by(|a, b| b.version.cmp(&a.version));
    all.dedup_by(|a, b| a.version == b.version);
    let current = std::env::current_dir()
        .ok()
        .and_then(|cwd| crate::entry::select::select(&layers, &cwd).ok().flatten())
        .and_then(|sel| sel.request.pick(all.iter().map(|i| &i.version)).cloned());
    all.iter()
        .map(|i| {
            let help = (current.as_ref() == Some(&i.version)).then_some("current");
            candidate(i.version.as_str(), help)
        })
        .collect()
}

/// Releases in the cached index with an archive for this host, newest
/// first. No cache, no candidates: completion never fetches the index.
pub fn remote_versions() -> Vec<CompletionCandidate> {
    let Some(layout) = layout() else {
        return Vec::new();
    };
    let Some(idx) = crate::net::index::load_cached_only(&layout) else {
        return Vec::new();
    };
    let arch = crate::core::arch::host();
    let installed: Vec<String> = crate::core::installed::list_all(&layers())
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.version.to_string())
        .collect();
    idx.releases()
        .filter(|(_, r)| {
            r.files
                .iter()
                .any(|f| f.os == "linux" && f.kind == "archive" && f.arch == arch)
        })
        .map(|(v, r)| {
            let help = if installed.iter().any(|i| i == v.as_str()) {
                Some("installed")
            } else if !r.stable {
                Some("pre-release")
            } else {
                None
            };
            candidate(v.as_str(), help)
        })
        .collect()
}

/// Tools of the version selected here: `$GOROOT/bin/*` (go, gofmt), then
/// `$GOROOT/pkg/tool/<os_arch>/*` (vet, compile, cover, ...).
pub fn selected_tools() -> Vec<CompletionCandidate> {
    let layers = layers();
    let Some(found) = std::env::current_dir()
        .ok()
        .and_then(|cwd| crate::entry::select::select(&layers, &cwd).ok().flatten())
        .and_then(|sel| crate::entry::select::resolve_installed(&layers, &sel).ok())
    else {
        return Vec::new();
    };
    let mut names: Vec<(String, Option<&str>)> = executables(&found.goroot.join("bin"))
        .into_iter()
        .map(|n| (n, None))
        .collect();
    let tool_dirs = std::fs::read_dir(found.goroot.join("pkg").join("tool"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut tools: Vec<String> = tool_dirs.iter().flat_map(|d| executables(d)).collect();
    tools.sort();
    tools.dedup();
    for t in tools {
        if !names.iter().any(|(n, _)| *n == t) {
            names.push((t, Some("go tool")));
        }
    }
    names
        .into_iter()
        .map(|(n, help)| candidate(n, help))
        .collect()
}

/// Names of the executable files in `dir`, sorted.
fn executables(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| is_executable_file(&e.path()))
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `gov proxy use` presets, with what each does.
pub fn proxy_presets() -> Vec<CompletionCandidate> {
    crate::settings::proxy::presets()
        .into_iter()
        .map(|p| candidate(p.name, Some(p.about)))
        .chain(std::iter::once(candidate(
            "corp",
            Some("a company proxy: --url URL [--private GLOBS] [--fallback]"),
        )))
        .collect()
}

/// Keys set in gov's proxy profile (what `gov proxy unset` can remove).
pub fn profile_keys() -> Vec<CompletionCandidate> {
    let Some(layout) = layout() else {
        return Vec::new();
    };
    crate::settings::proxy::read_profile(&layout)
        .into_iter()
        .map(|(k, v)| candidate(k, Some(&v)))
        .collect()
}

/// Architectures go.dev publishes Linux archives for.
pub fn architectures() -> Vec<CompletionCandidate> {
    crate::core::arch::KNOWN
        .iter()
        .map(|a| candidate(*a, None))
        .collect()
}

/// Shells `gov init` supports.
pub fn init_shells() -> Vec<CompletionCandidate> {
    ["bash", "zsh", "fish"]
        .iter()
        .map(|s| candidate(*s, None))
        .collect()
}

/// Commands for `gov exec <version> <command>`: the selected Go's tools,
/// then the executables on PATH.
pub fn commands() -> Vec<CompletionCandidate> {
    use std::os::unix::fs::PermissionsExt;
    let mut names = std::collections::BTreeSet::new();
    let mut dirs: Vec<std::path::PathBuf> = Vec::new();
    if let Some(p) = env().var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let executable = e
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
            if executable && let Some(n) = e.file_name().to_str() {
                names.insert(n.to_string());
            }
        }
    }
    let mut out: Vec<CompletionCandidate> = ["go", "gofmt"]
        .iter()
        .map(|t| candidate(*t, Some("the selected Go")))
        .collect();
    out.extend(
        names
            .into_iter()
            .filter(|n| n != "go" && n != "gofmt")
            .map(|n| candidate(&n, None)),
    );
    out
}

/// `gov proxy set <KEY>=`: the keys gov manages, each with its current
/// value as the description.
pub fn proxy_keys() -> Vec<CompletionCandidate> {
    let profile = layout()
        .map(|l| crate::settings::proxy::read_profile(&l))
        .unwrap_or_default();
    crate::settings::proxy::keys()
        .iter()
        .map(|k| {
            let help = profile.get(*k).map(|v| format!("now {v}"));
            candidate(format!("{k}="), help.as_deref())
        })
        .collect()
}

/// `gov list-remote <line>`: the release lines of the cached index,
/// newest first.
pub fn remote_lines() -> Vec<CompletionCandidate> {
    let Some(idx) = layout().and_then(|l| crate::net::index::load_cached_only(&l)) else {
        return Vec::new();
    };
    let supported = idx.supported_families();
    let mut lines: Vec<(String, String)> = Vec::new();
    for (v, _) in idx.releases() {
        let f = v.family();
        if !lines.contains(&f) {
            lines.push(f);
        }
    }
    lines
        .into_iter()
        .map(|f| {
            let help = supported.contains(&f).then_some("supported");
            candidate(format!("{}.{}", f.0, f.1), help)
        })
        .collect()
}

/// Shells `gov env --shell` writes for.
pub fn env_shells() -> Vec<CompletionCandidate> {
    ["bash", "zsh", "sh", "fish", "dash", "ksh"]
        .iter()
        .map(|s| candidate(*s, None))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(args: &[&str]) -> Vec<String> {
        let mut cmd = command();
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let index = args.len() - 1;
        candidates(&mut cmd, args, index, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn options_only_after_a_dash() {
        let subs = values(&["gov", ""]);
        assert!(subs.contains(&"install".to_string()), "{subs:?}");
        assert!(subs.iter().all(|s| !s.starts_with('-')), "{subs:?}");
        let opts = values(&["gov", "install", "--f"]);
        assert_eq!(opts, ["--force", "--file"]);
    }

    #[test]
    fn presets_and_shells() {
        let p = values(&["gov", "proxy", "use", ""]);
        assert!(p.contains(&"cn".to_string()) && p.contains(&"corp".to_string()));
        assert_eq!(values(&["gov", "proxy", "use", "cn"]), ["cn", "cn-aliyun"]);
        assert_eq!(values(&["gov", "init", "z"]), ["zsh"]);
        assert_eq!(values(&["gov", "completions", "f"]), ["fish"]);
    }

    #[test]
    fn every_shell_has_a_registration() {
        for sh in ["bash", "zsh", "fish", "elvish", "powershell"] {
            let script = registration(sh).unwrap_or_else(|e| panic!("{sh}: {e}"));
            assert!(script.contains("COMPLETE"), "{sh}: {script}");
        }
        assert!(registration("tcsh").is_err());
    }
}
