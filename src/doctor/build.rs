//! What breaks builds although every download works: a GOSUMDB that names
//! a URL where Go wants a database, modules turned off, a cross-compiling
//! environment, `-mod=vendor` without a vendor folder, caches this account
//! cannot write, and module paths that look private but reach the public
//! checksum database. Variables Go reads but gov does not manage (GOPATH,
//! GO111MODULE, GOOS, GOARCH) are read as cmd/go reads them: the
//! environment first, then `go env -w`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Check, Section, Status};
use crate::core::env::Env;
use crate::install::proxy::matches_prefix_patterns;
use crate::settings::goenv;

const ENV: Section = Section::Environment;

type Settings = BTreeMap<String, (String, String)>;

/// A Go variable gov does not manage: (value, where it comes from).
fn go_var(env: &Env, user: &BTreeMap<String, String>, key: &str) -> Option<(String, String)> {
    if let Some(v) = env.non_empty(key) {
        return Some((v, "environment".into()));
    }
    user.get(key)
        .filter(|v| !v.trim().is_empty())
        .map(|v| (v.clone(), "go env -w".into()))
}

fn setting<'a>(settings: &'a Settings, key: &str) -> (&'a str, &'a str) {
    settings
        .get(key)
        .map_or(("", ""), |(v, s)| (v.as_str(), s.as_str()))
}

/// Every check here, for the project in `cwd`.
pub fn checks(env: &Env, settings: &Settings, cwd: &Path) -> Vec<Check> {
    let user = goenv::user_env_file_in(env)
        .map(|p| goenv::read_env_file(&p))
        .unwrap_or_default();
    let module = find_go_mod(cwd);
    let mut out = vec![
        gosumdb_url_check(settings),
        modules_off_check(env, &user),
        cross_check(env, &user),
        vendor_check(settings, module.as_deref()),
    ];
    out.extend(writable_checks(env, &user, settings));
    if let Some(m) = &module {
        out.push(private_paths_check(settings, m));
    }
    out
}

/// `GOSUMDB=https://...`: cmd/go reads the first word as the database's
/// name or key, so every verified download fails ("malformed verifier id").
fn gosumdb_url_check(settings: &Settings) -> Check {
    let (v, src) = setting(settings, "GOSUMDB");
    let first = v.split_whitespace().next().unwrap_or("");
    if !(first.starts_with("https://") || first.starts_with("http://")) {
        return Check::new(
            ENV,
            "build.gosumdb",
            Status::Ok,
            "GOSUMDB names a checksum database",
        );
    }
    let undo = if src.starts_with("go env") {
        "`go env -u GOSUMDB` drops the `go env -w` value"
    } else {
        "set GOSUMDB to the database's name"
    };
    Check::new(
        ENV,
        "build.gosumdb",
        Status::Problem,
        format!(
            "GOSUMDB={v} ({src}) names a URL where Go expects a database name or key: every module download fails verifying (invalid GOSUMDB: malformed verifier id)"
        ),
    )
    .advice(format!(
        "{undo}; a URL goes after the name: GOSUMDB=\"sum.golang.org {first}\" (`gov proxy set`)"
    ))
}

/// GO111MODULE=off: every module-mode build fails.
fn modules_off_check(env: &Env, user: &BTreeMap<String, String>) -> Check {
    match go_var(env, user, "GO111MODULE") {
        Some((v, src)) if v.trim() == "off" => {
            let undo = if src == "environment" {
                "remove `export GO111MODULE=off` (check ~/.bashrc, ~/.profile, CI variables)"
            } else {
                "`go env -u GO111MODULE`"
            };
            Check::new(
                ENV,
                "build.modules",
                Status::Problem,
                format!("GO111MODULE=off ({src}): go.mod is ignored and module builds fail (GOPATH mode)"),
            )
            .advice(format!("{undo}; module mode is Go's default since 1.16"))
        }
        _ => Check::new(ENV, "build.modules", Status::Ok, "module mode is on"),
    }
}

/// GOOS/GOARCH set away from the host: every build cross-compiles, and
/// `go run` / `go test` cannot run what they build.
fn cross_check(env: &Env, user: &BTreeMap<String, String>) -> Check {
    let host_arch = crate::trust::distpack::goarch(crate::core::arch::host());
    let mut differ = Vec::new();
    for (key, host) in [("GOOS", "linux"), ("GOARCH", host_arch)] {
        if let Some((v, src)) = go_var(env, user, key)
            && v.trim() != host
        {
            differ.push(format!("{key}={v} ({src}; this host is {host})"));
        }
    }
    if differ.is_empty() {
        return Check::new(ENV, "build.target", Status::Ok, "builds target this host");
    }
    Check::new(
        ENV,
        "build.target",
        Status::Warning,
        format!(
            "every build cross-compiles: {}; `go run` and `go test` cannot run what they build",
            differ.join(", ")
        ),
    )
    .advice("set them per command (`GOOS=windows go build`) instead of exporting them or `go env -w`; `go env -u GOOS GOARCH`")
}

/// The nearest go.mod at or above `dir`.
fn find_go_mod(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("go.mod"))
        .find(|p| p.is_file())
}

/// `-mod=vendor` in GOFLAGS with no vendor folder next to go.mod.
fn vendor_check(settings: &Settings, go_mod: Option<&Path>) -> Check {
    let (flags, src) = setting(settings, "GOFLAGS");
    let vendor = flags
        .split_whitespace()
        .any(|f| f == "-mod=vendor" || f == "--mod=vendor");
    let root = go_mod.and_then(Path::parent);
    match root {
        Some(root) if vendor && !root.join("vendor").is_dir() => Check::new(
            ENV,
            "build.vendor",
            Status::Problem,
            format!(
                "GOFLAGS has -mod=vendor ({src}) but {} has no vendor folder: builds fail (inconsistent vendoring)",
                root.display()
            ),
        )
        .advice("run `go mod vendor` in the module, or drop -mod=vendor from GOFLAGS (`gov proxy set GOFLAGS=...`)"),
        _ => Check::new(
            ENV,
            "build.vendor",
            Status::Ok,
            "GOFLAGS and the module's vendor folder agree",
        ),
    }
}

/// Whether this account may create or change files in `dir`: the nearest
/// existing folder at or above it must be writable (access(2), so ACLs and
/// read-only mounts count).
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Some(existing) = dir.ancestors().find(|d| d.exists()) else {
        return false;
    };
    let Ok(c) = std::ffi::CString::new(existing.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// GOCACHE, GOMODCACHE and every GOPATH entry must be writable: Go writes
/// each build and download there.
fn writable_checks(env: &Env, user: &BTreeMap<String, String>, settings: &Settings) -> Vec<Check> {
    let mut dirs: Vec<(String, PathBuf, String)> = Vec::new();
    for key in ["GOCACHE", "GOMODCACHE"] {
        let (v, src) = setting(settings, key);
        if !v.is_empty() && v != "off" {
            dirs.push((key.into(), PathBuf::from(v), src.into()));
        }
    }
    let gopath = go_var(env, user, "GOPATH").or_else(|| {
        env.home()
            .map(|h| (h.join("go").display().to_string(), "Go's default".into()))
    });
    if let Some((v, src)) = gopath {
        for p in std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()) {
            dirs.push(("GOPATH".into(), p, src.clone()));
        }
    }
    let bad: Vec<&(String, PathBuf, String)> =
        dirs.iter().filter(|(_, p, _)| !writable(p)).collect();
    if bad.is_empty() {
        let names: Vec<String> = dirs
            .iter()
            .map(|(k, p, _)| format!("{k} {}", p.display()))
            .collect();
        return vec![Check::new(
            ENV,
            "build.writable",
            Status::Ok,
            format!("writable: {}", names.join(", ")),
        )];
    }
    bad.into_iter()
        .map(|(key, p, src)| {
            Check::new(
                ENV,
                format!("build.writable.{}", key.to_ascii_lowercase()),
                Status::Problem,
                format!(
                    "{key} {} ({src}) is not writable by this account: builds fail with `permission denied`",
                    p.display()
                ),
            )
            .advice(writable_advice(key, p, src))
        })
        .collect()
}

fn writable_advice(key: &str, dir: &Path, src: &str) -> String {
    let dir = dir.display();
    if src.contains("system") {
        return format!(
            "a setting of the system layer names a folder every account shares: root can drop it so each account gets Go's own default (`gov proxy unset {key}`), or share the folder with the builders' group (`gov cache shared {dir} --group <group>`, and umask 002 in their builds)"
        );
    }
    format!("point {key} at a folder this account owns, or fix the folder's owner and mode")
}

/// Module paths in go.mod that look private (no dot in the first element,
/// or an intranet suffix) but are not exempt from the public checksum
/// database: cmd/go sends their names to it and fails to verify them.
fn private_paths_check(settings: &Settings, go_mod: &Path) -> Check {
    let text = crate::core::safe_read::read_text(go_mod, 1 << 20)
        .ok()
        .flatten()
        .unwrap_or_default();
    let (nosumdb, _) = setting(settings, "GONOSUMDB");
    let (gosumdb, _) = setting(settings, "GOSUMDB");
    let exposed: Vec<String> = module_paths(&text)
        .into_iter()
        .filter(|p| looks_private(p) && !matches_prefix_patterns(nosumdb, p))
        .collect();
    if exposed.is_empty() || gosumdb == "off" {
        return Check::new(
            ENV,
            "build.private_paths",
            Status::Ok,
            format!(
                "{}: no private-looking module path reaches the checksum database",
                go_mod.display()
            ),
        );
    }
    let globs: Vec<String> = exposed
        .iter()
        .map(|p| p.split('/').next().unwrap_or(p).to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Check::new(
        ENV,
        "build.private_paths",
        Status::Warning,
        format!(
            "{} names module paths that look private but are not in GOPRIVATE/GONOSUMDB: {}; their names go to the public checksum database, which cannot verify them",
            go_mod.display(),
            exposed.join(", ")
        ),
    )
    .advice(format!(
        "`gov proxy set GOPRIVATE={}` (or `gov proxy use corp --private ...`)",
        globs.join(",")
    ))
}

/// The module path and every required or replacing module path of a go.mod.
fn module_paths(go_mod: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<&str> = None;
    for raw in go_mod.lines() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if line == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = match block {
            Some(b) => (b, line),
            None => match line.split_once(char::is_whitespace) {
                Some((v, r)) if r.trim() == "(" => {
                    block = Some(v);
                    continue;
                }
                Some((v, r)) => (v, r.trim()),
                None => continue,
            },
        };
        if matches!(verb, "module" | "require" | "replace")
            && let Some(p) = rest.split_whitespace().next()
        {
            let p = p.trim_matches('"');
            if !p.starts_with('.') && !p.starts_with('/') && !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// No dot in the first element (`gitlab/team/lib`, `corp/x`), or a first
/// element under a suffix no public DNS resolves.
fn looks_private(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    const INTRANET: &[&str] = &[
        ".local",
        ".internal",
        ".corp",
        ".lan",
        ".intranet",
        ".home.arpa",
    ];
    !first.contains('.') || INTRANET.iter().any(|s| first.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_paths_in_lines_and_blocks() {
        let m = "module corp/app // ours\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/text v0.14.0\n\tgit.corp.internal/lib v1.0.0 // indirect\n)\nrequire rsc.io/quote v1.5.2\nreplace corp/old => ../old\nreplace x.example/y v1.0.0 => corp/y v1.0.1\n";
        assert_eq!(
            module_paths(m),
            [
                "corp/app",
                "golang.org/x/text",
                "git.corp.internal/lib",
                "rsc.io/quote",
                "corp/old",
                "x.example/y"
            ]
        );
    }

    #[test]
    fn what_looks_private() {
        assert!(looks_private("corp/app"));
        assert!(looks_private("git.corp.internal/lib"));
        assert!(!looks_private("github.com/a/b"));
        assert!(!looks_private("golang.org/x/text"));
    }
}
