//! Version selection through the entry points in GOV_BIN_DIR, driven by
//! real shells, with tiny generated toolchains.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use support::{Sandbox, run_program, toolchain_archive};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

/// A sandbox with three installed versions and 1.22.5 global.
fn world() -> Sandbox {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.22.1", "1.21.13", "1.20.14", "1.19.5"]);
    for v in ["1.22.5", "1.22.1", "1.21.13", "1.20.14"] {
        sb.ok(&["install", v]);
    }
    sb.ok(&["global", "1.22.5"]);
    sb
}

/// Runs a script in a real shell with GOV_BIN_DIR first on PATH and the
/// sandbox's gov environment.
fn shell(sb: &Sandbox, sh: &str, cwd: &Path, script: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = sb.env_cmd(sh);
    cmd.arg("-c").arg(script).current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_program(&mut cmd)
}

fn go_version_in(sb: &Sandbox, cwd: &Path, env: &[(&str, &str)]) -> String {
    let out = shell(sb, "sh", cwd, "go version", env);
    assert!(
        out.status.success(),
        "go version in {}: {}",
        cwd.display(),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn mkdirs(p: &Path) -> PathBuf {
    std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("{e}"));
    p.to_path_buf()
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn selection_order_env_version_file_gomod_global() {
    let sb = world();
    let root = mkdirs(&sb.dir.path().join("work"));
    let deep = mkdirs(&root.join("proj/a/b/c/d/e"));
    let v = |cwd: &Path, env: &[(&str, &str)]| go_version_in(&sb, cwd, env);

    // Global.
    assert_eq!(v(&root, &[]), "go version go1.22.5 linux/amd64");
    // A .go-version five levels up, goenv's format with a go prefix.
    write(&root.join("proj/.go-version"), "go1.21.13\n");
    assert_eq!(v(&deep, &[]), "go version go1.21.13 linux/amd64");
    let out = shell(&sb, "bash", &deep, "gov current", &[]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "1.21.13 (set by {})",
            root.join("proj/.go-version").display()
        )
    );
    // A nearer one wins; `1.22` means the newest installed 1.22.x.
    write(&root.join("proj/a/b/.go-version"), "1.22\n");
    assert_eq!(v(&deep, &[]), "go version go1.22.5 linux/amd64");
    // GOV_VERSION beats every file.
    assert_eq!(
        v(&deep, &[("GOV_VERSION", "1.20.14")]),
        "go version go1.20.14 linux/amd64"
    );

    // go.mod toolchain line (no .go-version anywhere above).
    let module = mkdirs(&root.join("mod/sub"));
    write(
        &root.join("mod/go.mod"),
        "module m\n\ngo 1.20\n\ntoolchain go1.20.14\n",
    );
    assert_eq!(v(&module, &[]), "go version go1.20.14 linux/amd64");
    let out = shell(&sb, "sh", &module, "gov current", &[]);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("current_from_the_toolchain_line", text(&out.stdout));
    // GOV_GOMOD=0 turns that off.
    assert_eq!(
        v(&module, &[("GOV_GOMOD", "0")]),
        "go version go1.22.5 linux/amd64"
    );
    // go.work governs over go.mod in workspace mode; GOWORK=off ignores it.
    write(
        &root.join("go.work"),
        "go 1.21\n\ntoolchain go1.21.13\n\nuse ./mod\n",
    );
    assert_eq!(v(&module, &[]), "go version go1.21.13 linux/amd64");
    assert_eq!(
        v(&module, &[("GOWORK", "off")]),
        "go version go1.20.14 linux/amd64"
    );
    // A .go-version beats a toolchain line.
    write(&root.join("mod/.go-version"), "1.22.1\n");
    assert_eq!(v(&module, &[]), "go version go1.22.1 linux/amd64");

    // gofmt follows the same selection.
    let out = shell(&sb, "bash", &deep, "gofmt", &[]);
    assert_eq!(text(&out.stdout), "gofmt go1.22.5");
    // which names the real binary.
    let out = shell(&sb, "sh", &module, "gov which gofmt", &[]);
    assert_eq!(
        text(&out.stdout),
        sb.goroot("1.22.1").join("bin/gofmt").display().to_string()
    );
}

#[test]
fn a_missing_version_says_who_asked_and_how_to_install() {
    let sb = world();
    let proj = mkdirs(&sb.dir.path().join("proj"));
    write(&proj.join(".go-version"), "1.19.5\n");
    let out = shell(&sb, "sh", &proj, "go version", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("missing_version_from_go_version_file", err);
    let out = shell(&sb, "sh", &proj, "gov current", &[]);
    assert_eq!(out.status.code(), Some(1));

    // A garbage .go-version is invalid input.
    write(&proj.join(".go-version"), "banana\n");
    let out = shell(&sb, "sh", &proj, "go version", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn auto_install_installs_once_under_racing_calls() {
    let sb = world();
    let proj = mkdirs(&sb.dir.path().join("proj"));
    write(&proj.join(".go-version"), "1.19.5\n");
    let path = "/dl/go1.19.5.linux-amd64.tar.gz";
    sb.server.delay_body(path, Duration::from_millis(30));
    let children: Vec<_> = (0..4)
        .map(|_| {
            let gov_dir = assert_cmd::cargo::cargo_bin("gov");
            let mut c = sb.std_cmd();
            c.env(
                "PATH",
                format!(
                    "{}:{}:/usr/bin:/bin",
                    sb.bin().display(),
                    gov_dir.parent().unwrap_or(Path::new("/")).display()
                ),
            )
            .env("GOV_AUTO_INSTALL", "1")
            .current_dir(&proj)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
            let mut cmd = Command::new("sh");
            cmd.arg("-c")
                .arg("go version")
                .current_dir(&proj)
                .env_clear();
            for (k, v) in c.get_envs() {
                if let Some(v) = v {
                    cmd.env(k, v);
                }
            }
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "go version go1.19.5 linux/amd64");
    }
    assert_eq!(sb.server.hits(path), 1, "installed once");
}

#[test]
fn global_prints_requires_installed_and_guards_uninstall() {
    let sb = world();
    assert_eq!(sb.ok(&["global"]).trim(), "1.22.5");
    let err = sb.fails(&["global", "1.19.5"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("global_of_a_missing_version", err);
    sb.fails(&["global", "nope"], 2);
    assert_eq!(
        sb.ok(&["global"]).trim(),
        "1.22.5",
        "a failed switch changes nothing"
    );
    // `1.21` means the newest installed 1.21.x, stored exactly.
    sb.ok(&["global", "1.21"]);
    assert_eq!(sb.ok(&["global"]).trim(), "1.21.13");
    let err = sb.fails(&["uninstall", "1.21.13"], 1);
    insta::assert_snapshot!("uninstall_of_the_global", err);
    assert!(sb.installed().contains(&"1.21.13".to_string()));
    insta::assert_snapshot!("list_marks_the_global", sb.ok(&["list"]));
}

#[test]
fn foreign_binaries_are_never_clobbered_silently() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    sb.ok(&["install", "1.22.5"]);
    let go = sb.bin().join("go");
    write(&go, "#!/bin/sh\necho hand-installed\n");
    std::os::unix::fs::symlink("/usr/lib/go-1.19/bin/gofmt", sb.bin().join("gofmt"))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = sb.fails(&["global", "1.22.5"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("foreign_binaries_in_the_way", err);
    assert_eq!(
        std::fs::read_to_string(&go).unwrap_or_default(),
        "#!/bin/sh\necho hand-installed\n"
    );
    insta::assert_snapshot!("nothing_was_selected", sb.fails(&["global"], 1));

    let out = sb.gov(&["global", "--force", "1.22.5"]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    let aside = sb.bin().join("go.before-gov");
    insta::assert_snapshot!("foreign_binaries_set_aside", err);
    assert_eq!(
        std::fs::read_to_string(&aside).unwrap_or_default(),
        "#!/bin/sh\necho hand-installed\n"
    );
    assert!(std::fs::read_link(sb.bin().join("gofmt.before-gov")).is_ok());
    let out = shell(&sb, "sh", sb.dir.path(), "go version", &[]);
    assert_eq!(text(&out.stdout), "go version go1.22.5 linux/amd64");
}

#[test]
fn import_adopts_an_existing_tree() {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.21.0", "amd64", 0);
    let src = mkdirs(&sb.dir.path().join("goenv/versions"));
    let tarball = a.write_to(&src);
    let st = Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-xzf")
        .arg(&tarball)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(st.success());
    let tree = src.join("go");
    sb.ok(&["import", tree.to_str().unwrap_or_default()]);
    assert_eq!(sb.installed(), vec!["1.21.0"]);
    let out = run_program(Command::new(sb.shim("1.21.0", "go")).arg("version"));
    assert_eq!(text(&out.stdout), "go version go1.21.0 linux/amd64");
    assert!(tree.join("bin/go").exists(), "the source is left alone");
    let err = sb.fails(&["import", tree.to_str().unwrap_or_default()], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("import_of_an_installed_version", err);
    // A folder of trees imports each one (here: already there, skipped).
    let out = sb.ok(&["import", src.to_str().unwrap_or_default()]);
    assert!(out.is_empty());
    // A file is no Go tree.
    sb.fails(&["import", tarball.to_str().unwrap_or_default()], 2);
}

#[test]
fn local_exec_and_env() {
    let sb = world();
    let proj = mkdirs(&sb.dir.path().join("proj"));
    let out = shell(
        &sb,
        "sh",
        &proj,
        "gov local 1.20.14 && cat .go-version && gov local && go version",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let o = text(&out.stdout);
    assert!(o.starts_with("1.20.14\n1.20.14 ("), "{o}");
    assert!(o.ends_with("go version go1.20.14 linux/amd64"), "{o}");
    let out = shell(&sb, "sh", &proj, "gov local 1.19.5", &[]);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("local_of_a_missing_version_warns", text(&out.stderr));
    let out = shell(&sb, "sh", &proj, "gov local --unset && go version", &[]);
    assert_eq!(text(&out.stdout), "go version go1.22.5 linux/amd64");

    // exec: the version's bin first on PATH, its GOROOT.
    let out = shell(
        &sb,
        "sh",
        &proj,
        "gov exec 1.21 -- sh -c 'command -v go; echo $GOROOT; go version'",
        &[],
    );
    let o = text(&out.stdout);
    let root = sb.goroot("1.21.13");
    assert_eq!(
        o,
        format!(
            "{}\n{}\ngo version go1.21.13 linux/amd64",
            root.join("bin/go").display(),
            root.display()
        )
    );
    let out = shell(&sb, "sh", &proj, "gov exec 1.18.1 -- true", &[]);
    assert_eq!(out.status.code(), Some(1));

    // env, evaluated by bash and by fish's syntax check.
    let out = shell(
        &sb,
        "bash",
        &proj,
        "eval \"$(gov env 1.20.14 --shell bash)\" && command -v go && go version",
        &[],
    );
    assert!(
        text(&out.stdout).ends_with("go version go1.20.14 linux/amd64"),
        "{}",
        text(&out.stdout)
    );
    let out = shell(&sb, "sh", &proj, "gov env 1.20.14 --shell fish", &[]);
    insta::assert_snapshot!("env_for_fish", text(&out.stdout));

    // exec without a version: the one selected here.
    let out = shell(
        &sb,
        "sh",
        &proj,
        "gov exec -- go version && gov exec -- sh -c 'echo $GOROOT'",
        &[],
    );
    assert_eq!(
        text(&out.stdout),
        format!(
            "go version go1.22.5 linux/amd64\n{}",
            sb.goroot("1.22.5").display()
        )
    );
    let out = shell(&sb, "sh", &proj, "gov exec --", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn init_wires_path_completions_and_gov_shell() {
    let sb = world();
    let proj = mkdirs(&sb.dir.path().join("proj"));
    // A PATH without GOV_BIN_DIR: init adds it.
    let gov = assert_cmd::cargo::cargo_bin("gov");
    let gov_dir = gov.parent().unwrap_or(Path::new("/")).display().to_string();
    let script = "eval \"$(gov init bash)\"; gov shell 1.21.13 && echo \"V=$GOV_VERSION\" && go version && gov current && complete -p gov >/dev/null && echo completes; gov shell --unset; go version";
    let mut c = sb.std_cmd();
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(script).current_dir(&proj).env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let _ = &mut c;
    cmd.env("PATH", format!("{gov_dir}:/usr/bin:/bin"));
    let out = run_program(&mut cmd);
    let o = text(&out.stdout);
    assert!(out.status.success(), "{o}\n{}", text(&out.stderr));
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines[0], "V=1.21.13");
    assert_eq!(lines[1], "go version go1.21.13 linux/amd64");
    assert_eq!(lines[2], "1.21.13 (set by GOV_VERSION)");
    assert_eq!(lines[3], "completes");
    assert_eq!(lines[4], "go version go1.22.5 linux/amd64");
    // Without the function, `gov shell` explains itself.
    let out = shell(&sb, "sh", &proj, "gov shell 1.21.13", &[]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("shell_without_the_function", text(&out.stderr));
    // zsh and fish scripts are produced (parsed by the shells in the
    // completions tests when they are installed).
    for sh in ["zsh", "fish"] {
        let out = shell(&sb, "sh", &proj, &format!("gov init {sh}"), &[]);
        // One fact in a long script: it exports the selection variable.
        assert!(text(&out.stdout).contains("GOV_VERSION"), "{sh}");
    }
    sb.fails(&["init", "tcsh"], 2);
}

#[test]
fn gotoolchain_policy_and_no_gopath() {
    let sb = world();
    let proj = mkdirs(&sb.dir.path().join("proj"));
    let env_of = |k: &str, extra: &[(&str, &str)]| {
        let out = shell(&sb, "sh", &proj, &format!("go env {k}"), extra);
        text(&out.stdout)
    };
    // Entry points: local unless the user chose.
    assert_eq!(env_of("GOTOOLCHAIN", &[]), "local");
    assert_eq!(env_of("GOTOOLCHAIN", &[("GOTOOLCHAIN", "auto")]), "auto");
    // gov never sets GOPATH or GOBIN.
    assert_eq!(env_of("GOPATH", &[]), "");
    assert_eq!(env_of("GOBIN", &[]), "");
    // `go env -w GOTOOLCHAIN=...` (the user's go env file) is respected.
    let cfg = mkdirs(&sb.dir.path().join("user/.config/go"));
    write(&cfg.join("env"), "GOTOOLCHAIN=go1.22.5+auto\n");
    assert_eq!(env_of("GOTOOLCHAIN", &[]), "");
    // The per-version sh shims apply the same policy.
    let shim = sb.shim("1.21.13", "go");
    let shim_env = |extra: &[(&str, &str)]| {
        let out = shell(
            &sb,
            "sh",
            &proj,
            &format!("{} env GOTOOLCHAIN", shim.display()),
            extra,
        );
        text(&out.stdout)
    };
    assert_eq!(shim_env(&[]), "");
    std::fs::remove_file(cfg.join("env")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shim_env(&[]), "local");
    assert_eq!(shim_env(&[("GOTOOLCHAIN", "auto")]), "auto");
    let goenv = sb.dir.path().join("custom-goenv");
    write(&goenv, "GOTOOLCHAIN=auto\n");
    assert_eq!(
        shim_env(&[("GOENV", goenv.to_str().unwrap_or_default())]),
        ""
    );
    assert_eq!(
        env_of(
            "GOTOOLCHAIN",
            &[("GOENV", goenv.to_str().unwrap_or_default())]
        ),
        ""
    );
}

/// The system calls `go version` makes through the entry point before it
/// execs the real tool, as strace reports them (one per line).
fn entry_syscalls(sb: &Sandbox, cwd: &Path) -> Vec<String> {
    let log = sb.dir.path().join("entry.strace");
    let mut cmd = sb.env_cmd("strace");
    cmd.args(["-f", "-qq", "-o"])
        .arg(&log)
        .arg(sb.bin().join("go"))
        .arg("version")
        .current_dir(cwd);
    let out = run_program(&mut cmd);
    assert!(
        out.status.success(),
        "strace (apt-get install strace) of go version: {}",
        text(&out.stderr)
    );
    let all = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{e}"));
    // Up to the exec of the real tool: the second execve of the process.
    let lines: Vec<String> = all.lines().map(str::to_string).collect();
    let real = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("execve("))
        .nth(1)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no exec of the real go in:\n{all}"));
    lines[..real].to_vec()
}

/// The hot path does only what a call needs: absent selection files are
/// learnt with one stat each (a failed open costs the kernel twice as
/// much), no directory is listed (as root the state checks name what they
/// check), and the language runtime's start-up (which reads
/// /proc/self/maps) is skipped.
#[test]
fn the_entry_point_stats_absent_names_and_lists_nothing() {
    let sb = world();
    let cwd = sb.dir.path().join("proj/internal/x");
    std::fs::create_dir_all(&cwd).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(sb.dir.path().join("proj/go.mod"), "module x\n\ngo 1.22\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let calls = entry_syscalls(&sb, &cwd);
    let shown = calls.join("\n");
    let failed_opens: Vec<&String> = calls
        .iter()
        .filter(|l| l.contains("open") && l.contains("ENOENT"))
        .collect();
    assert!(failed_opens.is_empty(), "opens of absent names:\n{shown}");
    assert!(
        !calls.iter().any(|l| l.contains("getdents")),
        "a directory listing:\n{shown}"
    );
    assert!(
        !calls.iter().any(|l| l.contains("/proc/self/maps")),
        "the runtime's start-up:\n{shown}"
    );
    // Every level up to / was looked at, and the go.mod found was read.
    assert!(
        calls
            .iter()
            .any(|l| l.contains("\"/.go-version\"") && l.contains("ENOENT")),
        "{shown}"
    );
    assert!(
        calls
            .iter()
            .any(|l| l.contains("open") && l.contains("proj/go.mod\"") && !l.contains("= -1")),
        "{shown}"
    );
}
