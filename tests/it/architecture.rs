//! The source tree keeps the shape its folders' opening comments describe:
//! folders depend only on folders below them, and only the CLI (plus the
//! entry point's single error line) writes to the terminal.

use std::path::{Path, PathBuf};

/// Lowest first; a folder may use the ones before it.
const LAYERS: &[&str] = &[
    "core",
    "net",
    "trust",
    "settings",
    "entry",
    "install",
    "lifecycle",
    "mirror",
    "doctor",
    "cli",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn folder_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).ok()?;
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_str()?.to_string();
    parts.next().map(|_| first)
}

#[test]
fn folders_only_use_folders_below_them() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut bad = Vec::new();
    for f in &files {
        let Some(folder) = folder_of(f) else { continue };
        let rank = LAYERS
            .iter()
            .position(|l| *l == folder)
            .unwrap_or_else(|| panic!("{folder}/ is not in LAYERS: say where it sits"));
        let text = std::fs::read_to_string(f).expect("read");
        for (i, other) in LAYERS.iter().enumerate().skip(rank + 1) {
            if text.contains(&format!("crate::{other}::"))
                || text.contains(&format!("crate::{other};"))
            {
                bad.push(format!(
                    "{} uses crate::{other} ({} is below {other})",
                    f.display(),
                    folder
                ));
            }
            let _ = i;
        }
        // app/ is the context of commands: low layers must not need it.
        if rank < LAYERS.iter().position(|l| *l == "install").unwrap()
            && text.contains("crate::app")
        {
            bad.push(format!("{} uses crate::app", f.display()));
        }
    }
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn every_folder_opens_with_what_it_owns() {
    for layer in LAYERS {
        let m = src().join(layer).join("mod.rs");
        let text = std::fs::read_to_string(&m).unwrap_or_else(|e| panic!("{}: {e}", m.display()));
        assert!(
            text.starts_with("//! "),
            "{} must open with a //! comment",
            m.display()
        );
    }
    let loose: Vec<_> = std::fs::read_dir(src())
        .expect("src")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(loose.len() <= 4, "too many loose files in src/: {loose:?}");
}

#[test]
fn only_the_cli_talks_to_the_terminal() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let needles = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "indicatif",
        "stdout()",
        "stderr()",
    ];
    let mut bad = Vec::new();
    for f in &files {
        if folder_of(f).as_deref() == Some("cli") || f.ends_with("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for needle in needles {
                if code.contains(needle) {
                    bad.push(format!("{}:{}: {}", f.display(), n + 1, code));
                }
            }
        }
    }
    // The entry point's one-line error is the single exception.
    let entry = src().join("entry/mod.rs");
    let allowed = |l: &String| {
        l.starts_with(&format!("{}:", entry.display()))
            && l.contains("eprintln!(\"gov ({tool}): {}\"")
    };
    let bad: Vec<_> = bad.into_iter().filter(|l| !allowed(l)).collect();
    assert!(
        bad.is_empty(),
        "terminal output outside cli/:\n{}",
        bad.join("\n")
    );
}

/// Files still reading the process environment directly, each with why.
/// Every other file reads it through `core::env::Env`, so a command can run
/// in-process with an environment of its own.
/// Empty today; an entry needs a reason beside it.
const DIRECT_ENV_READS_ALLOWED: &[(&str, &str)] = &[];

/// A direct read of the process environment on this line of code.
fn reads_env_directly(code: &str) -> bool {
    const NEEDLES: [&str; 4] = [
        "std::env::var",
        "libc::getenv",
        "use std::env;",
        "std::env::{",
    ];
    if NEEDLES.iter().any(|n| code.contains(n)) {
        return true;
    }
    // `env::var(` after `use std::env`, but not `app.env.var(`.
    code.match_indices("env::var").any(|(i, _)| {
        !code[..i].ends_with('.') && !code[..i].ends_with("core::") && !code[..i].ends_with("std::")
    })
}

#[test]
fn the_environment_is_read_through_env_only() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut bad = Vec::new();
    let mut still_reading = std::collections::BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(src()).expect("under src");
        let rel = rel.to_string_lossy().into_owned();
        if rel == "core/env.rs" {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") || !reads_env_directly(code) {
                continue;
            }
            if DIRECT_ENV_READS_ALLOWED.iter().any(|(p, _)| *p == rel) {
                still_reading.insert(rel.clone());
            } else {
                bad.push(format!("src/{rel}:{}: {code}", n + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the environment read outside core::env (take an `Env`: the App's, or `Env::process()` where a process-wide read is the point):\n{}",
        bad.join("\n")
    );
    let stale: Vec<_> = DIRECT_ENV_READS_ALLOWED
        .iter()
        .filter(|(p, _)| !still_reading.contains(*p))
        .map(|(p, _)| *p)
        .collect();
    assert!(
        stale.is_empty(),
        "these files no longer read the environment directly: remove them from DIRECT_ENV_READS_ALLOWED: {stale:?}"
    );
}

#[test]
fn direct_env_reads_are_recognised() {
    assert!(reads_env_directly(r#"std::env::var_os("PATH")"#));
    assert!(reads_env_directly(r#"if let Ok(v) = env::var("HOME") {"#));
    assert!(reads_env_directly("for (k, v) in std::env::vars() {"));
    assert!(reads_env_directly("unsafe { libc::getenv(name.as_ptr()) }"));
    assert!(!reads_env_directly(r#"app.env.var_os("GOROOT")"#));
    assert!(!reads_env_directly(r#"env.var("GOV_AUTO_INSTALL")"#));
    assert!(!reads_env_directly("use crate::core::env::Env;"));
    assert!(!reads_env_directly("std::env::split_paths(&path)"));
}
