//! `gov env` in real shells: it hands the shell to gov's selection instead
//! of copying GOROOT, PATH and proxy values, re-running adds nothing, and
//! `--unset` undoes it. Doctor recognises gov's own trees on PATH.

use crate::support;

use std::path::Path;
use std::process::Output;

use support::{Sandbox, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

/// PATH without GOV_BIN_DIR: gov itself, then the system.
fn bare_path() -> String {
    let gov = assert_cmd::cargo::cargo_bin("gov");
    let dir = gov.parent().unwrap_or(Path::new("/")).display().to_string();
    format!("{dir}:/usr/bin:/bin")
}

fn run_shell(sb: &Sandbox, sh: &str, script: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = sb.env_cmd(sh);
    cmd.env("PATH", bare_path()).arg("-c").arg(script);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_program(&mut cmd)
}

#[test]
fn env_follows_gov_rerun_is_idempotent_and_unset_undoes() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5");
    let script = r#"
        before="$PATH"
        eval "$(gov env 1.21.13)" || exit 9
        go version
        gov current --bare
        after_one="$PATH"
        eval "$(gov env 1.21.13)"
        eval "$(gov env 1.21.13)"
        [ "$after_one" = "$PATH" ] && echo once
        # not snapshotted: a later proxy change applies at the next call
        gov proxy set GOPROXY=https://after.example,direct >/dev/null 2>&1
        go env GOPROXY
        [ -z "${GOROOT-}" ] && echo no-goroot
        eval "$(gov env --unset)"
        [ "$before" = "$PATH" ] && echo restored
        echo "${GOV_VERSION-unset}"
        eval "$(gov env)"
        go version
    "#;
    let out = run_shell(&sb, "bash", script, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "go version go1.21.13 linux/amd64\n1.21.13\nonce\nhttps://after.example,direct\nno-goroot\nrestored\nunset\ngo version go1.22.5 linux/amd64"
    );

    // fish: the same through its own syntax.
    let script = r#"
        set before $PATH
        gov env 1.21.13 --shell fish | source
        go version
        gov env 1.21.13 --shell fish | source
        test (count $PATH) -eq (math (count $before) + 1); and echo once
        gov env --unset --shell fish | source
        test (string join : $before) = (string join : $PATH); and echo restored
    "#;
    let out = run_shell(&sb, "fish", script, &[]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout),
        "go version go1.21.13 linux/amd64\nonce\nrestored"
    );

    // Hostile input: an unknown shell and an uninstalled version are
    // errors that print nothing to eval.
    let out = sb.gov(&["env", "--shell", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!("env_for_an_unknown_shell", text(&out.stderr));
    let out = sb.gov(&["env", "1.19.5"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!("env_for_a_version_not_installed", text(&out.stderr));
}

/// A shell left over from the old, snapshotting `gov env`: a tree's bin on
/// PATH and GOROOT exported. Doctor names them as gov's own, and `gov env`
/// cleans them up.
#[test]
fn snapshots_of_gov_trees_are_named_and_cleaned() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5");
    let root = sb.goroot("1.21.13");
    let path = format!(
        "{}:{}:{}",
        root.join("bin").display(),
        sb.bin().display(),
        bare_path()
    );
    let goroot = root.display().to_string();
    let env = [("PATH", path.as_str()), ("GOROOT", goroot.as_str())];
    let mut cmd = sb.env_cmd("bash");
    cmd.args(["-c", "gov doctor --offline --json"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run_program(&mut cmd);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let checks = v["checks"].as_array().cloned().unwrap_or_default();
    let by_id = |id: &str| {
        checks
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {v}"))
    };
    // What doctor says of the stale tree on PATH and in GOROOT.
    let said = [
        support::snapshot::doctor_check(&by_id("path.go")),
        support::snapshot::doctor_check(&by_id("env.goroot")),
    ];
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("doctor_on_a_stale_gov_env", said.join("\n"));

    // `gov env` drops the stale entries and GOROOT.
    let mut cmd = sb.env_cmd("bash");
    cmd.args([
        "-c",
        "eval \"$(gov env)\" && echo \"$PATH\" && echo \"${GOROOT-none}\" && go version",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run_program(&mut cmd);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let o = text(&out.stdout);
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines[0], format!("{}:{}", sb.bin().display(), bare_path()));
    assert_eq!(lines[1], "none");
    assert_eq!(lines[2], "go version go1.22.5 linux/amd64");
}

/// goenv's shims ahead of gov: named, with goenv-specific advice.
#[test]
fn doctor_names_goenv_shims() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let shims = sb.dir.path().join("user/.goenv/shims");
    std::fs::create_dir_all(&shims).unwrap_or_else(|e| panic!("{e}"));
    let shim = shims.join("go");
    std::fs::write(&shim, "#!/usr/bin/env bash\nexec goenv exec go \"$@\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let path = format!("{}:{}:{}", shims.display(), sb.bin().display(), bare_path());
    let mut cmd = sb.env_cmd("sh");
    cmd.args(["-c", "gov doctor --offline --json"])
        .env("PATH", path);
    let out = run_program(&mut cmd);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let go = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "path.go").cloned())
        .unwrap_or_else(|| panic!("{v}"));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!(
        "doctor_on_goenv_shims_first",
        support::snapshot::doctor_check(&go)
    );
}
