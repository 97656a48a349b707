//! Local checks: what `go` on PATH really is, GOROOT/GOPATH/GOBIN mistakes,
//! settings overriding one another, and the health of installed versions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{Check, Section, Status};
use crate::core::env::Env;
use crate::core::installed;
use crate::core::layers::Layers;
use crate::core::layout::Layout;
use crate::core::version::GoVersion;
use crate::entry::entrypoints::{self, Existing};
use crate::entry::select;
use crate::settings::goenv;
use crate::settings::proxy;

const ENV: Section = Section::Environment;

/// Effective module settings (key -> value), as the tools will see them.
pub fn effective_settings(layout: &Layout) -> BTreeMap<String, (String, String)> {
    let layers = Layers::with_own(Some(layout.clone()));
    proxy::effective(
        &layers,
        crate::entry::select::current_goroot(&layers).as_deref(),
    )
    .into_iter()
    .map(|e| (e.key.to_string(), (e.value, e.source)))
    .collect()
}

fn path_dirs(env: &Env) -> Vec<PathBuf> {
    env.var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The version of gov's own tree `p` lies in, if it does.
fn gov_tree_version(layout: &Layout, p: &Path) -> Option<String> {
    let versions = layout.versions_dir();
    let versions = std::fs::canonicalize(&versions).unwrap_or(versions);
    let target = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let rest = target.strip_prefix(&versions).ok()?;
    let v = rest.components().next()?.as_os_str().to_str()?;
    crate::core::version::GoVersion::parse(v).map(|v| v.to_string())
}

/// goenv's shim directory (`~/.goenv/shims`, or `$GOENV_ROOT/shims`).
fn is_goenv_shim(env: &Env, p: &Path) -> bool {
    let in_root = env
        .var_os("GOENV_ROOT")
        .filter(|r| !r.is_empty())
        .is_some_and(|r| p.starts_with(Path::new(&r).join("shims")));
    in_root || p.to_string_lossy().contains("/.goenv/shims/")
}

/// Where a `go` binary most likely comes from, for people.
pub fn origin_of(env: &Env, layout: &Layout, p: &Path) -> String {
    if let Some(v) = gov_tree_version(layout, p) {
        return format!(
            "gov's own Go {v} tree, on PATH directly so it bypasses the selection (what an older `gov env` did)"
        );
    }
    if is_goenv_shim(env, p) {
        return "goenv's shims".to_string();
    }
    let target = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let t = target.to_string_lossy();
    let link = std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let via = if link {
        format!(" (a link to {t})")
    } else {
        String::new()
    };
    let what = if t.starts_with("/usr/lib/go") || t.starts_with("/usr/share/go") {
        "a distribution package (apt/dnf golang)"
    } else if t.starts_with("/usr/local/go/") {
        "a hand install (tar -C /usr/local -xzf go*.tar.gz)"
    } else if t.contains("/.goenv/") {
        "goenv"
    } else if t.contains("/.gvm/") {
        "gvm"
    } else if t.starts_with("/snap/") {
        "a snap package"
    } else if t.contains("/sdk/go") {
        "golang.org/dl (go install golang.org/dl/goX)"
    } else if t.contains("/linuxbrew/") || t.contains("/homebrew/") {
        "Homebrew"
    } else if link {
        "a hand-made link"
    } else {
        "an unknown install"
    };
    format!("{what}{via}")
}

/// The startup-file lines that set `var` to `value` (quotes ignored), or
/// that eval gov's or goenv's shell code, which may have set it; lines
/// setting it to something else are not what is in effect.
fn who_sets_value(env: &Env, var: &str, value: &str) -> Vec<String> {
    who_sets_by(env, |line| {
        let assigned = [format!("export {var}="), format!("{var}=")]
            .iter()
            .find_map(|p| line.strip_prefix(p.as_str()).map(str::to_string))
            .or_else(|| {
                line.strip_prefix(&format!("set -gx {var} "))
                    .map(str::to_string)
            });
        match assigned {
            Some(v) => {
                let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                v == value || v.contains('$')
            }
            None => line.contains("gov env") || line.contains("goenv init"),
        }
    })
}

/// Lines of the files where people usually export variables that `sets`
/// accepts, as `file:line`.
fn who_sets_by(env: &Env, sets: impl Fn(&str) -> bool) -> Vec<String> {
    let home = env.home().unwrap_or_default();
    let mut files: Vec<PathBuf> = [
        ".bashrc",
        ".bash_profile",
        ".profile",
        ".zshrc",
        ".zprofile",
        ".zshenv",
    ]
    .iter()
    .map(|f| home.join(f))
    .collect();
    files.push("/etc/profile".into());
    files.push("/etc/environment".into());
    files.push("/etc/bash.bashrc".into());
    if let Ok(rd) = std::fs::read_dir("/etc/profile.d") {
        let mut more: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        more.sort();
        files.extend(more);
    }
    let mut found = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with('#') {
                continue;
            }
            if sets(l) {
                found.push(format!("{}:{}", f.display(), i + 1));
            }
        }
    }
    found
}

/// The system layer's bin dir when this account runs root's entry points
/// and has none of its own: no installs, no `go` entry point in its own
/// GOV_BIN_DIR, and the system one on PATH with gov's `go` in it. Advice to
/// install or select for itself would then shadow root's choice.
pub(super) fn system_only_bin(env: &Env, layout: &Layout) -> Option<PathBuf> {
    let layers = Layers::with_own(Some(layout.clone()));
    layers.user()?;
    let system_bin = layers.system().bin_dir();
    let own_bin = layout.bin_dir();
    let has_own_installs = !installed::list(layout).unwrap_or_default().is_empty();
    let has_own_go = matches!(entrypoints::inspect(&own_bin.join("go")), Existing::Ours(_));
    let system_go = matches!(
        entrypoints::inspect(&system_bin.join("go")),
        Existing::Ours(_)
    );
    let on_path = path_dirs(env).iter().any(|d| d == system_bin);
    (system_bin != own_bin && !has_own_installs && !has_own_go && system_go && on_path)
        .then(|| system_bin.to_path_buf())
}

fn path_checks(env: &Env, layout: &Layout, out: &mut Vec<Check>) {
    let system_bin = system_only_bin(env, layout);
    let bin = system_bin.as_deref().unwrap_or(layout.bin_dir());
    let dirs = path_dirs(env);
    let on_path = dirs.iter().any(|d| d == bin);
    if let Some(sys) = &system_bin {
        out.push(Check::new(
            ENV,
            "path.bin_dir",
            Status::Ok,
            format!(
                "the system layer's entry points in {} are on PATH and serve this account, which has none of its own (its GOV_BIN_DIR {} is used once it installs or selects for itself)",
                sys.display(),
                layout.bin_dir().display()
            ),
        ));
    } else if on_path {
        out.push(Check::new(
            ENV,
            "path.bin_dir",
            Status::Ok,
            format!("GOV_BIN_DIR {} is on PATH", bin.display()),
        ));
    } else {
        out.push(
            Check::new(ENV, "path.bin_dir", Status::Problem, format!("GOV_BIN_DIR {} is not on PATH", bin.display()))
                .advice(format!(
                    "add it first on PATH: `export PATH={}:$PATH` (or `eval \"$(gov init bash)\"`, `gov persist` for login shells)",
                    bin.display()
                )),
        );
    }
    for tool in crate::entry::shim::TOOLS {
        let ours = bin.join(tool);
        let ours_ok = matches!(entrypoints::inspect(&ours), Existing::Ours(_));
        let found: Vec<PathBuf> = dirs
            .iter()
            .map(|d| d.join(tool))
            .filter(|p| is_executable(p))
            .collect();
        let id = format!("path.{tool}");
        if !ours_ok {
            let what = match entrypoints::inspect(&ours) {
                Existing::Foreign(w) => format!("{} is {w}, not gov's entry point", ours.display()),
                _ => format!("gov's entry point {} does not exist", ours.display()),
            };
            out.push(
                Check::new(ENV, id, Status::Warning, what)
                    .advice("run `gov global <version>` to create it (with --force to move a foreign file aside)"),
            );
            continue;
        }
        match found.first() {
            None => out.push(
                Check::new(ENV, id, Status::Problem, format!("no `{tool}` on PATH"))
                    .advice(format!("put {} on PATH", bin.display())),
            ),
            Some(first) if first == &ours => {
                let shadowed: Vec<String> =
                    found[1..].iter().map(|p| p.display().to_string()).collect();
                let mut msg = format!("`{tool}` on PATH is gov's entry point {}", ours.display());
                if !shadowed.is_empty() {
                    msg.push_str(&format!(" (also on PATH, unused: {})", shadowed.join(", ")));
                }
                out.push(Check::new(ENV, id, Status::Ok, msg));
            }
            Some(_) => {
                let shadowing: Vec<&PathBuf> = found.iter().take_while(|p| **p != ours).collect();
                let before: Vec<String> = shadowing
                    .iter()
                    .map(|p| format!("{} ({})", p.display(), origin_of(env, layout, p)))
                    .collect();
                let advice = shadow_advice(env, layout, &shadowing, bin);
                out.push(
                    Check::new(
                        ENV,
                        id,
                        Status::Problem,
                        format!(
                            "`{tool}` on PATH is not gov's: shadowed by {}",
                            before.join(", then ")
                        ),
                    )
                    .advice(advice),
                );
            }
        }
    }
}

/// What to do about the `go` binaries found before gov's entry point,
/// specific to where they come from.
fn shadow_advice(env: &Env, layout: &Layout, shadowing: &[&PathBuf], bin: &Path) -> String {
    if shadowing.iter().any(|p| is_goenv_shim(env, p)) {
        return format!(
            "goenv's shims come first: remove `eval \"$(goenv init -)\"` (and goenv's PATH lines) from your shell startup files, \
             run `gov import ~/.goenv` to keep its versions and its global, then open a new shell with {} on PATH",
            bin.display()
        );
    }
    if shadowing
        .iter()
        .any(|p| gov_tree_version(layout, p).is_some())
    {
        return "run `eval \"$(gov env --unset)\"` (or open a new shell) to drop the tree's bin from PATH; \
                `eval \"$(gov env)\"` now follows the selection instead of copying it"
            .to_string();
    }
    format!(
        "put {} before them on PATH, or remove them (a distro package: `apt remove golang-go`; a hand install: `rm -rf /usr/local/go` after `gov import /usr/local/go`)",
        bin.display()
    )
}

fn goroot_checks(
    env: &Env,
    layout: &Layout,
    selected: Option<&Path>,
    installed_roots: &[PathBuf],
    out: &mut Vec<Check>,
) {
    match env.non_empty("GOROOT") {
        None => out.push(Check::new(
            ENV,
            "env.goroot",
            Status::Ok,
            "GOROOT is not set in the environment",
        )),
        Some(v) => {
            let setters = who_sets_value(env, "GOROOT", &v);
            let by = if setters.is_empty() {
                String::new()
            } else {
                format!(" (set in {})", setters.join(", "))
            };
            if let Some(tree) = gov_tree_version(layout, Path::new(&v)) {
                out.push(
                    Check::new(
                        ENV,
                        "env.goroot",
                        Status::Warning,
                        format!("GOROOT={v} is set in the environment: gov's own Go {tree} tree, a copy an older `gov env` made{by}"),
                    )
                    .advice("run `eval \"$(gov env --unset)\"` or open a new shell; gov sets GOROOT itself at each call, and this copy pins every `go` to that tree's standard library"),
                );
                return goroot_path_checks(env, installed_roots, out);
            }
            let matches_selected = selected.is_some_and(|s| Path::new(&v) == s);
            let status = if matches_selected {
                Status::Warning
            } else {
                Status::Problem
            };
            out.push(
                Check::new(ENV, "env.goroot", status, format!("GOROOT={v} is set in the environment{by}"))
                    .advice("remove that export: gov sets GOROOT for each version, and a fixed GOROOT makes every other version use that tree's standard library"),
            );
        }
    }
    goroot_path_checks(env, installed_roots, out);
}

fn goroot_path_checks(env: &Env, installed_roots: &[PathBuf], out: &mut Vec<Check>) {
    let gopath = env
        .var_os("GOPATH")
        .filter(|v| !v.is_empty())
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_else(|| env.home().map(|h| vec![h.join("go")]).unwrap_or_default());
    let mut roots: Vec<PathBuf> = installed_roots.to_vec();
    if let Some(v) = env.path("GOROOT") {
        roots.push(v);
    }
    let bad: Vec<String> = gopath
        .iter()
        .filter(|gp| roots.iter().any(|r| gp.starts_with(r)))
        .map(|gp| gp.display().to_string())
        .collect();
    if bad.is_empty() {
        out.push(Check::new(
            ENV,
            "env.gopath",
            Status::Ok,
            "GOPATH is outside every GOROOT",
        ));
    } else {
        out.push(
            Check::new(ENV, "env.gopath", Status::Problem, format!("GOPATH {} is inside a GOROOT", bad.join(", ")))
                .advice("set GOPATH elsewhere (default ~/go): Go refuses a GOPATH inside GOROOT, and an uninstall would delete it"),
        );
    }
    // Where `go install` puts tools.
    let user = goenv::user_env_file_in(env)
        .map(|p| goenv::read_env_file(&p))
        .unwrap_or_default();
    let gobin = env
        .var("GOBIN")
        .filter(|v| !v.is_empty())
        .or_else(|| user.get("GOBIN").cloned())
        .map(PathBuf::from)
        .or_else(|| gopath.first().map(|g| g.join("bin")));
    if let Some(gobin) = gobin {
        if path_dirs(env).iter().any(|d| d == &gobin) {
            out.push(Check::new(
                ENV,
                "path.gobin",
                Status::Ok,
                format!("tools from `go install` ({}) are on PATH", gobin.display()),
            ));
        } else {
            out.push(
                Check::new(
                    ENV,
                    "path.gobin",
                    Status::Warning,
                    format!(
                        "{} (where `go install` puts tools) is not on PATH",
                        gobin.display()
                    ),
                )
                .advice(format!("add it: export PATH=\"$PATH:{}\"", gobin.display())),
            );
        }
    }
}

/// Settings that override one another or weaken verification.
fn settings_checks(env: &Env, layout: &Layout, out: &mut Vec<Check>) {
    let settings = effective_settings(layout);
    gotoolchain_check(&settings, out);
    env_overrides_check(env, out);
    gosumdb_check(&settings, out);
    goprivate_check(&settings, out);
}

type Settings = BTreeMap<String, (String, String)>;

fn setting(settings: &Settings, key: &str) -> (String, String) {
    settings.get(key).cloned().unwrap_or_default()
}

/// GOTOOLCHAIN: whether a go.mod may switch to another Go.
fn gotoolchain_check(settings: &Settings, out: &mut Vec<Check>) {
    let get = |k: &str| setting(settings, k);
    // GOTOOLCHAIN that lets go.mod switch toolchains: `path` only to gov's
    // installed versions (their go<version> entry points), `auto` also to
    // downloaded ones.
    let (tc, tc_src) = get("GOTOOLCHAIN");
    if tc == "path" || tc.ends_with("+path") {
        out.push(Check::new(
            ENV,
            "settings.gotoolchain",
            Status::Ok,
            format!("GOTOOLCHAIN={tc} ({tc_src}): a go.mod may switch Go, but only to versions gov installed (their go<version> entry points); nothing is downloaded"),
        ));
    } else if tc == "auto" || tc.ends_with("+auto") {
        out.push(
            Check::new(ENV, "settings.gotoolchain", Status::Warning, format!("GOTOOLCHAIN={tc} ({tc_src}) lets a go.mod run another Go than the one gov selected, downloaded when gov has not installed it"))
                .advice("use GOTOOLCHAIN=path to switch only to versions gov installed, drop it for gov's policy (local; gov follows go.mod toolchain lines itself), or keep it knowingly"),
        );
    } else {
        out.push(Check::new(
            ENV,
            "settings.gotoolchain",
            Status::Ok,
            format!("GOTOOLCHAIN={tc} ({tc_src})"),
        ));
    }
}

/// Environment variables hiding `go env -w` values.
fn env_overrides_check(env: &Env, out: &mut Vec<Check>) {
    // An environment variable hiding a `go env -w` value (Go warns on -w).
    let user_file = goenv::user_env_file_in(env);
    let user = user_file
        .as_deref()
        .map(goenv::read_env_file)
        .unwrap_or_default();
    let mut hidden = Vec::new();
    for (k, v) in &user {
        if let Some(e) = env.var(k)
            && !e.is_empty()
            && &e != v
        {
            hidden.push(format!("{k} (environment {e:?} hides go env -w {v:?})"));
        }
    }
    if hidden.is_empty() {
        out.push(Check::new(
            ENV,
            "settings.env_overrides",
            Status::Ok,
            "no environment variable hides a `go env -w` value",
        ));
    } else {
        out.push(
            Check::new(ENV, "settings.env_overrides", Status::Warning, format!("environment variables override `go env -w`: {}", hidden.join("; ")))
                .advice("unset the variables (check ~/.bashrc, ~/.profile), or `go env -u` the file's values"),
        );
    }
}

/// Checksum verification of public modules.
fn gosumdb_check(settings: &Settings, out: &mut Vec<Check>) {
    let get = |k: &str| setting(settings, k);
    // Checksum verification off for public modules.
    let (sumdb, sumdb_src) = get("GOSUMDB");
    let (goproxy, _) = get("GOPROXY");
    let (nosumdb, nosumdb_src) = get("GONOSUMDB");
    if sumdb == "off" && goproxy != "off" {
        out.push(
            Check::new(ENV, "settings.gosumdb", Status::Warning, format!("GOSUMDB=off ({sumdb_src}): public modules are not checked against the checksum database"))
                .advice("use GOSUMDB=sum.golang.google.cn where sum.golang.org is blocked (`gov proxy use cn`), and GOPRIVATE for private modules"),
        );
    } else if nosumdb.split(',').any(|p| p.trim() == "*") {
        out.push(
            Check::new(
                ENV,
                "settings.gosumdb",
                Status::Warning,
                format!(
                    "GONOSUMDB=* ({nosumdb_src}) exempts every module from checksum verification"
                ),
            )
            .advice("list only your private module paths in GOPRIVATE/GONOSUMDB"),
        );
    } else {
        out.push(Check::new(
            ENV,
            "settings.gosumdb",
            Status::Ok,
            format!("GOSUMDB={sumdb} ({sumdb_src})"),
        ));
    }
}

/// Private module paths kept away from public services.
fn goprivate_check(settings: &Settings, out: &mut Vec<Check>) {
    let get = |k: &str| setting(settings, k);
    // GOPRIVATE patterns that an explicit GONOPROXY / GONOSUMDB drops.
    let (private, _) = get("GOPRIVATE");
    let (goproxy, _) = get("GOPROXY");
    let mut leaks = Vec::new();
    // Private modules through GOPROXY (GONOPROXY=none, `--private-via
    // proxy`) are fine while no public proxy is on the list.
    let public: Vec<String> = crate::settings::proxy::public_proxy_hosts();
    let public_on_list = goproxy.split([',', '|']).any(|u| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(|h| public.iter().any(|p| p == h)))
            .unwrap_or(false)
    });
    for key in ["GONOPROXY", "GONOSUMDB"] {
        let (v, src) = get(key);
        if src.starts_with("Go's default") || (key == "GONOPROXY" && !public_on_list) {
            continue;
        }
        let listed: Vec<&str> = v.split(',').map(str::trim).collect();
        for p in private.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if !listed.contains(&p) && !listed.contains(&"*") {
                leaks.push(format!("{key}={v:?} ({src}) omits GOPRIVATE pattern {p}"));
            }
        }
    }
    if leaks.is_empty() {
        out.push(Check::new(
            ENV,
            "settings.goprivate",
            Status::Ok,
            "GOPRIVATE, GONOPROXY and GONOSUMDB agree",
        ));
    } else {
        out.push(
            Check::new(ENV, "settings.goprivate", Status::Warning, format!("private module paths reach public services: {}", leaks.join("; ")))
                .advice("an explicit GONOPROXY/GONOSUMDB replaces GOPRIVATE's default: include the private patterns in it, or unset it"),
        );
    }
}

fn persistence_check(env: &Env, layout: &Layout, out: &mut Vec<Check>) {
    let system_bin = system_only_bin(env, layout);
    let bin = system_bin.as_deref().unwrap_or(layout.bin_dir());
    // Directories every login shell and systemd already have on PATH.
    let standard = ["/usr/local/bin", "/usr/bin", "/bin"];
    if standard.iter().any(|s| Path::new(s) == bin) {
        out.push(Check::new(
            ENV,
            "persist",
            Status::Ok,
            format!(
                "{} is on every default PATH (login shells, cron, systemd)",
                bin.display()
            ),
        ));
        return;
    }
    let home = env.home().unwrap_or_default();
    let mut found = Vec::new();
    for f in [".profile", ".bash_profile", ".bash_login", ".zprofile"] {
        if std::fs::read_to_string(home.join(f))
            .is_ok_and(|t| t.contains(crate::settings::persist::BEGIN))
        {
            found.push(f);
        }
    }
    let profile_d = Path::new("/etc/profile.d/gov.sh").exists();
    let envd = home.join(".config/environment.d/gov.conf").exists()
        || Path::new("/etc/environment.d/60-gov.conf").exists();
    if (found.is_empty() && !profile_d) || !envd {
        let mut missing = Vec::new();
        if found.is_empty() && !profile_d {
            missing.push("login shells (and cron jobs that source them)");
        }
        if !envd {
            missing.push("systemd user services");
        }
        out.push(
            Check::new(ENV, "persist", Status::Warning, format!("new logins won't find {}: not persisted for {}", bin.display(), missing.join(" or ")))
                .advice("run `gov persist` (as root for every user); system services should call $GOV_HOME/shims/<version>/go"),
        );
    } else {
        out.push(Check::new(
            ENV,
            "persist",
            Status::Ok,
            "gov's PATH is persisted for login shells and systemd user services",
        ));
    }
}

/// Environment checks.
pub fn checks(env: &Env, layout: &Layout) -> Vec<Check> {
    let mut out = Vec::new();
    path_checks(env, layout, &mut out);
    let layers = Layers::with_own(Some(layout.clone()));
    let selected = std::env::current_dir()
        .ok()
        .and_then(|cwd| select::select(&layers, &cwd).ok().flatten())
        .and_then(|s| select::resolve_installed(&layers, &s).ok())
        .map(|i| i.goroot);
    let roots: Vec<PathBuf> = installed::list_all(&layers)
        .map(|l| l.into_iter().map(|i| i.goroot).collect())
        .unwrap_or_default();
    goroot_checks(env, layout, selected.as_deref(), &roots, &mut out);
    settings_checks(env, layout, &mut out);
    persistence_check(env, layout, &mut out);
    out
}

fn go_version_of(goroot: &Path) -> Result<String, String> {
    let go = goroot.join("bin/go");
    let mut child = Command::new(&go)
        .arg("version")
        .current_dir(goroot)
        .env_remove("GOROOT")
        .env("GOTOOLCHAIN", "local")
        .env("GOENV", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", go.display()))?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            _ => {
                let _ = child.kill();
                return Err(format!("{} version did not answer in 10 s", go.display()));
            }
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "`go version` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What keeps cmd/go's PATH lookup from finding `version`'s `go<version>`
/// entry point, as a finding and its advice.
fn entry_point_problem(layout: &Layout, version: &GoVersion) -> Option<(String, String)> {
    let path = layout.bin_dir().join(version.go_name());
    match entrypoints::inspect(&path) {
        Existing::Ours(_) => None,
        Existing::Missing => Some((
            format!(
                "{version}: its entry point {} is missing, so a `go` that switches toolchains cannot find it",
                path.display()
            ),
            format!("`gov install {version}` adds it"),
        )),
        Existing::Foreign(what) => Some((
            format!(
                "{version}: {} is {what}, not gov's, so a `go` that switches toolchains runs that instead",
                path.display()
            ),
            format!("remove it, then `gov install {version}` puts gov's there"),
        )),
    }
}

/// Installed trees, leftovers, and the selection.
pub fn version_checks(env: &Env, layout: &Layout) -> Vec<Check> {
    let mut out = Vec::new();
    let list = installed::list(layout).unwrap_or_default();
    if list.is_empty() && system_only_bin(env, layout).is_some() {
        out.push(Check::new(
            VERSIONS,
            "versions.installed",
            Status::Ok,
            "no Go versions of this account's own: the system layer's serve it",
        ));
    } else if list.is_empty() {
        out.push(
            Check::new(
                VERSIONS,
                "versions.installed",
                Status::Warning,
                "no Go versions installed",
            )
            .advice("`gov install latest`"),
        );
    }
    let layers = Layers::with_own(Some(layout.clone()));
    for i in &list {
        out.push(tree_check(layout, &layers, i));
    }
    out.push(leftovers_check(layout));
    out.extend(selection_check(&layers));
    out
}

const VERSIONS: Section = Section::Versions;

/// One installed tree: it answers `go version` with its own version, its
/// shims and entry point are current.
fn tree_check(layout: &Layout, layers: &Layers, i: &installed::Installed) -> Check {
    let id = format!("versions.{}", i.version);
    let want = i.version.go_name();
    // Root runs no tree the entry points would refuse: reported, not run.
    if let Err(e) = crate::entry::guard_for_root(layers, &i.goroot, &["go"]) {
        return Check::new(
            VERSIONS,
            id,
            Status::Problem,
            format!("{}: not run: {}", i.version, e.message()),
        )
        .advice(e.advice().unwrap_or_default().to_string());
    }
    let line = match go_version_of(&i.goroot) {
        Ok(line) if line.split_whitespace().nth(2) == Some(want.as_str()) => line,
        // A tree that answers wrongly or not at all: reinstall it.
        other => {
            let finding = match other {
                Ok(line) => format!("{}: the tree answers {line:?}", i.version),
                Err(e) => format!("{} is broken: {e}", i.version),
            };
            return Check::new(VERSIONS, id, Status::Problem, finding)
                .advice(format!("reinstall it: `gov install --force {}`", i.version));
        }
    };
    if !crate::entry::shim::is_current(layout, i.version.as_str()) {
        return Check::new(
            VERSIONS,
            id,
            Status::Warning,
            format!("{}: its shims are missing or outdated", i.version),
        )
        .advice(format!("`gov install {}` rewrites them", i.version));
    }
    match entry_point_problem(layout, &i.version) {
        Some((finding, advice)) => {
            Check::new(VERSIONS, id, Status::Warning, finding).advice(advice)
        }
        None => Check::new(VERSIONS, id, Status::Ok, format!("{}: {line}", i.version)),
    }
}

fn leftovers_check(layout: &Layout) -> Check {
    let leftovers = installed::leftovers(layout);
    if leftovers.is_empty() {
        return Check::new(
            VERSIONS,
            "versions.leftovers",
            Status::Ok,
            "no leftovers of interrupted installs",
        );
    }
    Check::new(
        VERSIONS,
        "versions.leftovers",
        Status::Warning,
        format!(
            "leftovers of interrupted installs in {}: {}",
            layout.tmp_dir().display(),
            leftovers.join(", ")
        ),
    )
    .advice("the next `gov install` removes them")
}

/// The version selected in the working directory (none when it cannot be
/// read).
fn selection_check(layers: &Layers) -> Option<Check> {
    let cwd = std::env::current_dir().ok()?;
    let id = "versions.selected";
    Some(match select::select(layers, &cwd) {
        Ok(Some(sel)) => match select::resolve(layers, &sel) {
            Ok(r) => selected_check(&sel, &r),
            Err(e) => Check::new(VERSIONS, id, Status::Problem, e.message().to_string())
                .advice(e.advice().unwrap_or("gov install it").to_string()),
        },
        Ok(None) => Check::new(VERSIONS, id, Status::Warning, "no Go version is selected")
            .advice("`gov global <version>`"),
        Err(e) => Check::new(VERSIONS, id, Status::Problem, e.message().to_string())
            .advice(e.advice().unwrap_or("fix the selection file").to_string()),
    })
}

/// The selection here, flagged when go.mod's go line overrode it (the
/// selection file is stale for this module).
fn selected_check(sel: &select::Selection, r: &select::Resolved) -> Check {
    const V: Section = Section::Versions;
    let v = &r.installed.version;
    match &r.raised {
        None => Check::new(
            V,
            "versions.selected",
            Status::Ok,
            format!("selected here: {v} ({})", sel.source),
        ),
        Some(min) => Check::new(
            V,
            "versions.selected",
            Status::Warning,
            format!(
                "the selected Go {} ({}) is older than `go {}` in {}; Go {v} runs instead",
                sel.raw,
                sel.source,
                min.version,
                min.file.display()
            ),
        )
        .advice(format!(
            "select a version that meets it (`gov local {}` in the module), or lower the go line",
            min.line()
        )),
    }
}
