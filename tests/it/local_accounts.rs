//! What another account on the same machine can do to gov's state: under
//! a permissive umask nothing gov creates is writable by others, lock files
//! cannot be opened by others, and root refuses state that another account
//! owns or can write (doctor reports it for every account). Real accounts
//! (useradd + setpriv); needs root, as CI runs.

use crate::support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use support::{Account, Sandbox, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
}

/// Runs gov in the sandbox under `umask`.
fn gov_with_umask(sb: &Sandbox, umask: &str, args: &[&str]) -> Output {
    let mut c = sb.env_cmd("sh");
    c.arg("-c")
        .arg(format!("umask {umask}; exec gov \"$@\""))
        .arg("sh")
        .args(args);
    let out = run_program(&mut c);
    assert!(
        out.status.success(),
        "gov {args:?} under umask {umask}: {}",
        text(&out.stderr)
    );
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

/// A sandbox whose top folder other accounts can enter (a tempdir is 0700),
/// as /usr/local is on a real machine.
fn shared_sandbox() -> Sandbox {
    let sb = Sandbox::new();
    chmod(sb.dir.path(), 0o755);
    sb
}

#[test]
fn a_permissive_umask_leaves_nothing_writable_by_other_accounts() {
    let sb = shared_sandbox();
    sb.publish_versions(&["1.22.5"]);
    for args in [
        &["install", "1.22.5"][..],
        &["global", "1.22.5"],
        &["proxy", "set", "GOPRIVATE=corp.example/*"],
    ] {
        gov_with_umask(&sb, "000", args);
    }
    let mut all = Vec::new();
    walk(&sb.home(), &mut all);
    walk(&sb.bin(), &mut all);
    assert!(all.len() > 10, "nothing installed? {all:?}");
    for p in &all {
        let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{e}"));
        if m.file_type().is_symlink() {
            continue;
        }
        assert_eq!(
            m.mode() & 0o022,
            0,
            "{} is writable by others (mode {:o})",
            p.display(),
            m.mode() & 0o7777
        );
    }
    let locks = sb.home().join("locks");
    assert_eq!(
        std::fs::metadata(&locks).map(|m| m.mode() & 0o777).ok(),
        Some(0o700)
    );
    for l in support::list_dir(&locks) {
        let m = std::fs::metadata(locks.join(&l)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.mode() & 0o777, 0o600, "lock file {l}");
    }
    assert_eq!(
        std::fs::metadata(sb.goroot("1.22.5"))
            .map(|m| m.mode() & 0o7777)
            .ok(),
        Some(0o755),
        "the published tree's root"
    );

    // The attack itself: another account swaps the tree root runs.
    let other = Account::create();
    let goroot = sb.goroot("1.22.5");
    let out = other.sh(&format!(
        "mv '{g}/bin' '{g}/bin.x' || mkdir '{g}/evil' || exit 3",
        g = goroot.display()
    ));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(goroot.join("bin/go").is_file());
}

#[test]
fn other_accounts_cannot_open_lock_files() {
    let sb = shared_sandbox();
    sb.publish_versions(&["1.22.5"]);
    sb.ok(&["install", "1.22.5"]);
    sb.ok(&["global", "1.22.5"]);
    let locks = sb.home().join("locks");
    let names = support::list_dir(&locks);
    assert!(names.iter().any(|n| n == "state.lock"), "{names:?}");
    let other = Account::create();
    for n in &names {
        let path = locks.join(n);
        // flock(1) opens read-only, which is all a lock needs.
        let out = other.sh(&format!("flock -n '{}' true", path.display()));
        assert!(
            !out.status.success(),
            "another account could flock {}",
            path.display()
        );
    }
    // A lock file an older gov left readable by all is tightened on use.
    chmod(&locks, 0o755);
    chmod(&locks.join("state.lock"), 0o644);
    sb.ok(&["global", "1.22.5"]);
    assert_eq!(
        std::fs::metadata(&locks).map(|m| m.mode() & 0o777).ok(),
        Some(0o700)
    );
    assert_eq!(
        std::fs::metadata(locks.join("state.lock"))
            .map(|m| m.mode() & 0o777)
            .ok(),
        Some(0o600)
    );
}

fn doctor_json(cmd: &mut std::process::Command) -> (Output, serde_json::Value) {
    let out = run_program(cmd.args(["doctor", "--offline", "--json"]));
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json: {e}: {}", text(&out.stdout)));
    (out, v)
}

fn permission_findings(v: &serde_json::Value) -> Vec<String> {
    v["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["id"] == "state.permissions" && c["status"] == "problem")
                .filter_map(|c| c["finding"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn root_refuses_state_another_account_owns_or_can_write() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let other = Account::create();
    let go = |sb: &Sandbox| run_program(sb.env_cmd("go").arg("version"));
    // The version's own entry point, as cmd/go runs it (argv[0] `go`).
    let go_v = |sb: &Sandbox| {
        use std::os::unix::process::CommandExt;
        run_program(
            sb.env_cmd(sb.bin().join("go1.22.5"))
                .arg0("go")
                .arg("version"),
        )
    };
    assert!(go(&sb).status.success());
    assert!(go_v(&sb).status.success());

    // A version's bin/ handed to another account: root's `go` refuses, and
    // so does its `go1.22.5`.
    let bin = sb.goroot("1.22.5").join("bin");
    other.chown(&bin);
    for out in [go(&sb), go_v(&sb)] {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.contains("refusing to run as root") && err.contains(&bin.display().to_string()),
            "{err}"
        );
        assert!(err.contains("chown root"), "advice: {err}");
    }
    let (out, v) = doctor_json(&mut sb.std_cmd());
    assert_eq!(out.status.code(), Some(1));
    let found = permission_findings(&v);
    assert!(
        found.iter().any(|f| f.contains("/bin: it is owned by uid")),
        "{found:?}"
    );
    std::os::unix::fs::chown(&bin, Some(0), Some(0)).unwrap_or_else(|e| panic!("{e}"));

    // A group-writable folder in GOV_HOME, then GOV_HOME itself writable
    // by all: every command that uses state refuses.
    for (path, mode, why) in [
        (sb.home().join("shims"), 0o775, "writable by its group"),
        (sb.home(), 0o757, "writable by every account"),
    ] {
        chmod(&path, mode);
        let err = sb.fails(&["list"], 1);
        assert!(
            err.contains("refusing to run as root") && err.contains(why),
            "{err}"
        );
        assert!(!go(&sb).status.success());
        assert!(!go_v(&sb).status.success());
        let (_, v) = doctor_json(&mut sb.std_cmd());
        assert!(
            permission_findings(&v).iter().any(|f| f.contains(why)),
            "{v}"
        );
        chmod(&path, 0o755);
    }
    assert!(go(&sb).status.success());
    sb.ok(&["list"]);
}

#[test]
fn doctor_reports_loose_state_for_every_account() {
    let sb = shared_sandbox();
    let other = Account::create();
    // The other account's own GOV_HOME, writable by its group.
    let home = sb.dir.path().join("other-home");
    std::fs::create_dir_all(home.join("versions")).unwrap_or_else(|e| panic!("{e}"));
    let bin = sb.dir.path().join("other-bin");
    std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
    for p in [&home, &home.join("versions"), &bin] {
        other.chown(p);
    }
    chmod(&home, 0o775);
    let mut cmd = other.command(assert_cmd::cargo::cargo_bin("gov"));
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .env("GOV_HOME", &home)
        .env("GOV_BIN_DIR", &bin);
    let (out, v) = doctor_json(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let found = permission_findings(&v);
    assert!(
        found
            .iter()
            .any(|f| f.contains(&home.display().to_string()) && f.contains("its group")),
        "{found:?}"
    );
    // Not refused for the account itself: its state is its own business.
    let mut list = other.command(assert_cmd::cargo::cargo_bin("gov"));
    list.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/nonexistent")
        .env("GOV_HOME", &home)
        .env("GOV_BIN_DIR", &bin)
        .arg("list");
    let out = run_program(&mut list);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A copy of the sandbox's installed 1.22.5 at `at`, whose `bin/go`
/// answers like the real one and leaves `marker` behind when it runs.
fn tree_with_marker(sb: &Sandbox, at: &Path, marker: &Path) {
    let out = run_program(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(sb.goroot("1.22.5"))
            .arg(at),
    );
    assert!(out.status.success(), "cp: {}", text(&out.stderr));
    std::fs::write(
        at.join("bin/go"),
        format!(
            "#!/bin/sh\ntouch '{}'\necho 'go version go1.22.5 linux/amd64'\n",
            marker.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    chmod(&at.join("bin/go"), 0o755);
}

#[test]
fn root_imports_another_accounts_tree_only_when_forced_and_never_runs_its_go() {
    let sb = shared_sandbox();
    sb.publish_versions(&["1.22.5"]);
    sb.ok(&["install", "1.22.5"]);
    let other = Account::create();
    let theirs = sb.dir.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap_or_else(|e| panic!("{e}"));
    let tree = theirs.join("go");
    let marker = sb.dir.path().join("their-go-ran");
    tree_with_marker(&sb, &tree, &marker);
    support::account::chown_tree(&theirs, other.uid, other.gid);
    let import = |home: &str, force: bool| {
        let mut c = sb.std_cmd();
        c.env("GOV_HOME", sb.dir.path().join(home)).arg("import");
        if force {
            c.arg("--force");
        }
        run_program(c.arg(&tree))
    };

    let out = import("refused", false);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("refusing to import as root")
            && err.contains(&format!("owned by uid {}", other.uid))
            && err.contains("--force"),
        "{err}"
    );
    assert!(!sb.dir.path().join("refused/versions/1.22.5").exists());
    assert!(!marker.exists(), "their go ran");

    // Told to: imported as root's own files, and still nothing of theirs ran.
    let out = import("forced", true);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("its go was not run"), "{err}");
    assert!(!marker.exists(), "their go ran");
    let go = sb.dir.path().join("forced/versions/1.22.5/bin/go");
    let m = std::fs::metadata(&go).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.uid(), m.mode() & 0o7777), (0, 0o755));

    // Root-owned, but one folder inside is writable by its group: refused.
    support::account::chown_tree(&theirs, 0, 0);
    chmod(&tree.join("src"), 0o775);
    let err = text(&import("group", false).stderr);
    assert!(
        err.contains("refusing to import as root") && err.contains("writable by its group"),
        "{err}"
    );
    assert!(!marker.exists(), "the go of a refused tree ran");
    // A file its owner kept private (a hard link to a secret, say) never
    // becomes readable by all, even when forced.
    chmod(&tree.join("src"), 0o755);
    chmod(&tree.join("src/fmt.go"), 0o600);
    let out = import("private", true);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not readable by every account"),
        "{}",
        text(&out.stderr)
    );
    assert!(!sb.dir.path().join("private/versions/1.22.5").exists());
}

fn check_finding(v: &serde_json::Value, id: &str) -> (String, String) {
    v["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_string(),
                c["finding"].as_str().unwrap_or_default().to_string(),
            )
        })
        .unwrap_or_else(|| panic!("no check {id} in {v}"))
}

#[test]
fn root_runs_no_go_another_account_controls_through_doctor_exec_or_shims() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let other = Account::create();
    let marker = sb.dir.path().join("their-go-ran");
    let goroot = sb.goroot("1.22.5");
    std::fs::write(
        goroot.join("bin/go"),
        format!(
            "#!/bin/sh\ntouch '{}'\necho 'go version go1.22.5 linux/amd64'\n",
            marker.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    other.chown(&goroot.join("bin/go"));

    let out = run_program(sb.std_cmd().args(["exec", "1.22.5", "--", "go", "version"]));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "gov exec: {err}");
    assert!(err.contains("refusing to run as root"), "{err}");
    let out = run_program(sb.env_cmd(sb.shim("1.22.5", "go")).arg("version"));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the shim: {err}");
    assert!(
        err.contains("refusing to run as root") && err.contains("bin/go"),
        "{err}"
    );
    let (_, v) = doctor_json(&mut sb.std_cmd());
    let (status, finding) = check_finding(&v, "versions.1.22.5");
    assert!(
        status == "problem" && finding.contains("not run") && finding.contains("owned by uid"),
        "{status}: {finding}"
    );
    assert!(!marker.exists(), "root ran the other account's go");

    // A whole layer the other account owns: doctor reports, runs nothing.
    std::os::unix::fs::chown(goroot.join("bin/go"), Some(0), Some(0))
        .unwrap_or_else(|e| panic!("{e}"));
    support::account::chown_tree(&sb.home(), other.uid, other.gid);
    let (_, v) = doctor_json(&mut sb.std_cmd());
    let (status, finding) = check_finding(&v, "versions.1.22.5");
    assert!(
        status == "problem" && finding.contains("not run"),
        "{finding}"
    );
    assert!(
        !marker.exists(),
        "root ran a go from another account's layer"
    );

    // Root's again: the same tree runs (ownership was the only reason).
    support::account::chown_tree(&sb.home(), 0, 0);
    let out = run_program(sb.env_cmd(sb.shim("1.22.5", "go")).arg("version"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(marker.exists());
}
