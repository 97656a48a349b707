//! Moving from goenv, golang.org/dl, g, asdf and mise: `gov import` of their
//! folders, goenv's `system`, and the `go` entries of `.tool-versions` and
//! mise.toml, with hostile versions of each file.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::{Sandbox, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn mkdirs(p: &Path) -> PathBuf {
    std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("{e}"));
    p.to_path_buf()
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap_or_else(|e| panic!("{e}"));
}

fn copy_tree(from: &Path, to: &Path) {
    mkdirs(to.parent().unwrap_or(Path::new("/")));
    let out = run_program(std::process::Command::new("cp").arg("-a").arg(from).arg(to));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn sh(sb: &Sandbox, cwd: &Path, script: &str) -> std::process::Output {
    let mut cmd = sb.env_cmd("sh");
    cmd.current_dir(cwd).arg("-c").arg(script);
    run_program(&mut cmd)
}

#[test]
fn import_goenv_sdk_and_g_folders() {
    // Real (tiny) Go trees, made by installing them in another sandbox.
    let donor = Sandbox::with_installed(&["1.22.5", "1.21.13", "1.20.14"], "1.22.5");
    let sb = Sandbox::new();
    let user = sb.dir.path().join("user");
    let goenv = user.join(".goenv");
    copy_tree(&donor.goroot("1.22.5"), &goenv.join("versions/1.22.5"));
    copy_tree(&donor.goroot("1.21.13"), &goenv.join("versions/1.21.13"));
    write(&goenv.join("version"), "1.21.13\n");
    // Hostile: a link in the collection to a tree elsewhere is not followed;
    // a stray directory and file are ignored.
    std::os::unix::fs::symlink(donor.goroot("1.20.14"), goenv.join("versions/1.20"))
        .unwrap_or_else(|e| panic!("{e}"));
    mkdirs(&goenv.join("versions/junk"));
    write(&goenv.join("versions/README"), "x");

    let out = sb.gov(&["import", &goenv.display().to_string()]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("import_goenv", err);
    assert_eq!(sb.installed(), vec!["1.22.5", "1.21.13"]);
    assert_eq!(sb.ok(&["global"]).trim(), "1.21.13");
    // Again: nothing to do, and it says so.
    let out = sb.gov(&["import", &goenv.display().to_string()]);
    assert!(out.status.success());
    insta::assert_snapshot!("import_goenv_again", text(&out.stderr));

    // golang.org/dl's ~/sdk and g's ~/.g/versions.
    copy_tree(&donor.goroot("1.20.14"), &user.join("sdk/go1.20.14"));
    sb.ok(&["import", &user.join("sdk").display().to_string()]);
    let g = user.join(".g/versions");
    copy_tree(&donor.goroot("1.22.5"), &g.join("1.22.5"));
    let out = sb.gov(&["import", &user.join(".g").display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sb.installed(), vec!["1.22.5", "1.21.13", "1.20.14"]);
    // Imported trees run.
    let out = sh(&sb, sb.dir.path(), "go version");
    assert_eq!(text(&out.stdout), "go version go1.21.13 linux/amd64");

    // A folder with no trees: exit 2 with the forms that work.
    let empty = mkdirs(&user.join("empty"));
    let err = sb.fails(&["import", &empty.display().to_string()], 2);
    insta::assert_snapshot!("import_a_folder_without_trees", err);
}

#[test]
fn tool_versions_mise_and_system() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13", "1.20.14"], "1.22.5");
    let root = mkdirs(&sb.dir.path().join("w"));
    let v = |cwd: &Path| {
        let out = sh(&sb, cwd, "go version");
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let asdf = mkdirs(&root.join("asdf/sub"));
    write(
        &root.join("asdf/.tool-versions"),
        "nodejs 20.1.0\ngolang 1.21.13 1.20.14\n",
    );
    assert_eq!(v(&asdf), "go version go1.21.13 linux/amd64");
    let out = sh(&sb, &asdf, "gov current");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("current_from_tool_versions", text(&out.stdout));

    let mise = mkdirs(&root.join("mise"));
    write(
        &mise.join("mise.toml"),
        "[env]\nGO = \"x\"\n\n[tools]\ngo = \"1.20\"\n",
    );
    assert_eq!(v(&mise), "go version go1.20.14 linux/amd64");
    write(&mise.join(".go-version"), "1.22.5\n");
    assert_eq!(
        v(&mise),
        "go version go1.22.5 linux/amd64",
        ".go-version first"
    );

    // goenv's `system`: a clear error naming the Go outside gov and the fix.
    let sys = mkdirs(&root.join("sys"));
    write(&sys.join(".go-version"), "system\n");
    let fake = mkdirs(&sb.dir.path().join("usr-local-go/bin"));
    std::fs::copy(sb.goroot("1.20.14").join("bin/go"), fake.join("go"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = sb.env_cmd("sh");
    let path = format!(
        "{}:{}",
        std::env::var("PATH").unwrap_or_default(),
        fake.display()
    );
    let path = format!("{}:{path}", sb.bin().display());
    cmd.current_dir(&sys)
        .args(["-c", "go version"])
        .env("PATH", path);
    let out = run_program(&mut cmd);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("system_selection_is_not_gov_s", err);
}

#[test]
fn hostile_foreign_selection_files() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let root = mkdirs(&sb.dir.path().join("h"));
    let _redactions = support::snapshot::redactions();
    let fails = |dir: &Path, name: &str| {
        let t = Instant::now();
        let out = sh(&sb, dir, "go version");
        assert!(t.elapsed() < Duration::from_secs(10), "did not block");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", dir.display());
        assert!(!err.contains('\u{1b}'), "escaped: {err}");
        insta::assert_snapshot!(name, err);
    };
    // A FIFO would block a naive read forever.
    let fifo = mkdirs(&root.join("fifo"));
    let out = run_program(std::process::Command::new("mkfifo").arg(fifo.join(".tool-versions")));
    assert!(out.status.success());
    fails(&fifo, "foreign_selection_fifo");
    // Too big.
    let big = mkdirs(&root.join("big"));
    write(&big.join("mise.toml"), &"# x\n".repeat(40_000));
    fails(&big, "foreign_selection_too_big");
    // A link out of its directory.
    let link = mkdirs(&root.join("link"));
    let outside = sb.dir.path().join("outside-tool-versions");
    write(&outside, "golang 1.22.5\n");
    std::os::unix::fs::symlink(&outside, link.join(".tool-versions"))
        .unwrap_or_else(|e| panic!("{e}"));
    fails(&link, "foreign_selection_link_outside");
    // Terminal escapes in a version are shown escaped.
    let esc = mkdirs(&root.join("esc"));
    write(&esc.join(".tool-versions"), "golang \u{1b}[31m1.22\n");
    fails(&esc, "foreign_selection_escapes");
    // A link inside its own directory is fine.
    let inside = mkdirs(&root.join("inside"));
    write(&inside.join("versions.txt"), "go 1.22.5\n");
    std::os::unix::fs::symlink("versions.txt", inside.join(".tool-versions"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = sh(&sb, &inside, "go version");
    assert_eq!(
        text(&out.stdout),
        "go version go1.22.5 linux/amd64",
        "{}",
        text(&out.stderr)
    );
}
