//! `gov proxy set` with values that would break every go command: GOFLAGS
//! judged the way a real Go 1.22 judges it (a differential test against
//! the toolchain fixture), and raw values with control characters.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::Sandbox;

/// A real Go 1.22.10 unpacked from the fixture mirror (prepared by
/// scripts/go-fixtures; fails loudly when it cannot be).
fn real_go(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("scripts/go-fixtures"))
        .args(["--versions", "1.22.10"])
        .output()
        .unwrap_or_else(|e| panic!("scripts/go-fixtures: {e}"));
    assert!(
        out.status.success(),
        "real Go fixtures unavailable: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tarball = root.join("target/go-fixtures/mirror/go1.22.10.linux-amd64.tar.gz");
    let ok = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "unpacking {}", tarball.display());
    dir.join("go/bin/go")
}

/// Does Go accept GOFLAGS=`value` for a build?
fn go_accepts(go: &Path, work: &Path, value: &str) -> bool {
    let out = Command::new(go)
        .args(["build", "-n", "."])
        .current_dir(work)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", work)
        .env("GOCACHE", work.join("cache"))
        .env("GOPATH", work.join("gopath"))
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", value)
        .output()
        .unwrap_or_else(|e| panic!("go: {e}"));
    out.status.success()
}

#[cfg(feature = "tier-toolchains")]
#[test]
fn goflags_are_judged_as_real_go_judges_them() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let go = real_go(tmp.path());
    let work = tmp.path().join("m");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(work.join("go.mod"), "module m\n\ngo 1.22\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(work.join("main.go"), "package main\n\nfunc main() {}\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let sb = Sandbox::new();
    let profile = sb.home().join("env");
    let mut refused = 0;
    for value in [
        "-mod=mod",
        "-mod=bogus",
        "-nosuchflag",
        "--",
        "-",
        "-=x",
        "---x",
        "mod=mod",
        "-trimpath",
        "-trimpath=maybe",
        "-ldflags",
        "-ldflags=-s",
        "--mod=readonly",
        "-race=false",
        "-count=1",
        "-buildvcs=sometimes",
        "-buildvcs=auto",
        "-covermode=x",
        "-covermode=atomic",
        "-p=x",
        "-p=4",
        "-C=/tmp",
        "-tags=a,b -v",
        "-modcacherw -mod=vendorz",
    ] {
        let before = std::fs::read(&profile).ok();
        let out = sb.gov(&["proxy", "set", &format!("GOFLAGS={value}")]);
        let expect = go_accepts(&go, &work, value);
        assert_eq!(
            out.status.success(),
            expect,
            "GOFLAGS={value}: go {}, gov {}",
            if expect { "accepts" } else { "refuses" },
            String::from_utf8_lossy(&out.stderr)
        );
        if !expect {
            refused += 1;
            assert_eq!(out.status.code(), Some(2));
            assert_eq!(std::fs::read(&profile).ok(), before, "profile changed");
        }
    }
    assert!(refused >= 10, "the list lost its hostile values");
}

#[test]
fn raw_values_with_control_characters_are_refused() {
    let sb = Sandbox::new();
    sb.ok(&["proxy", "set", "GOPRIVATE=corp.example/*"]);
    let profile = sb.home().join("env");
    let before = std::fs::read(&profile).unwrap_or_else(|e| panic!("{e}"));
    for pair in [
        "GOPRIVATE=corp.example/*\r",
        "GOFLAGS=-v\r",
        "GONOSUMDB=a.example\u{1b}[31m",
        "GOPROXY=https://proxy.example\u{7}",
        "GOPROXY=https://proxy.example\r\nGOFLAGS=-toolexec=/tmp/x",
        "GOFLAGS=-v\t-x",
    ] {
        let out = sb.gov(&["proxy", "set", pair]);
        assert_eq!(out.status.code(), Some(2), "{pair:?} accepted");
        let err = &out.stderr;
        assert!(
            String::from_utf8_lossy(err).contains("control character"),
            "{pair:?}"
        );
        assert!(
            !err.iter().any(|b| *b == 0x1b || *b == b'\r' || *b == 7),
            "raw bytes echoed"
        );
        assert_eq!(
            std::fs::read(&profile).ok().as_ref(),
            Some(&before),
            "{pair:?}"
        );
    }
}
