//! A real `go` that is not gov's switches toolchains through gov's mirror:
//! go1.21.13 (extracted from its release tarball, run directly) with only
//! `GOPROXY=<nginx serving the synced mirror>` and GOSUMDB naming the test
//! database's key (no URL: go asks `<proxy>/sumdb/<name>/supported`) gets
//! go1.22.10 from the mirror's module layout, verified by the mirror's
//! checksum-database snapshot, and refuses it when one byte of the zip
//! changed. And with GOV_BIN_DIR on PATH and `GOTOOLCHAIN=path`, it runs
//! gov's installed go1.22.10 through its `go1.22.10` entry point.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::gomirror_toolchains::{describe, sync, verify};
use support::archive::ToolchainArchive;
use support::nginx::Nginx;
use support::sumdb::{Fixture, go_fixture_tarball, go1_22_10};
use support::{Sandbox, run_program};

const DB: &str = "sum.mirror.test";
const SEED: [u8; 32] = [0x3c; 32];
const MODVER: &str = "v0.0.1-go1.22.10.linux-amd64";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// go1.21.13's tree, extracted from the release tarball with tar.
pub(crate) fn plain_go(at: &Path) -> PathBuf {
    std::fs::create_dir_all(at).unwrap_or_else(|e| panic!("{e}"));
    let out = run_program(
        Command::new("tar")
            .arg("-xzf")
            .arg(go_fixture_tarball("1.21.13"))
            .arg("-C")
            .arg(at),
    );
    assert!(out.status.success(), "tar: {}", describe(&out));
    at.join("go/bin/go")
}

/// `go <args>` with a clean environment and a cold module cache under
/// `home`.
fn go(go: &Path, home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let work = home.join("work");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    let mut c = Command::new(go);
    c.args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("GOPATH", home.join("gopath"))
        .env("GOCACHE", home.join("cache"))
        .env("GOENV", home.join("goenv"))
        .env("GOFLAGS", "-modcacherw")
        .current_dir(&work);
    for (k, v) in env {
        c.env(k, v);
    }
    run_program(&mut c)
}

/// The real go1.22.10 archive published upstream, its module recorded in
/// the test database, synced into a mirror that nginx serves.
fn served_mirror() -> (Sandbox, Fixture, PathBuf, Nginx) {
    let sb = Sandbox::new();
    let tarball = go_fixture_tarball("1.22.10");
    let bytes = std::fs::read(&tarball).unwrap_or_else(|e| panic!("{e}"));
    let a = ToolchainArchive::finish("1.22.10", "amd64", bytes);
    sb.publish(&[(&a, true)]);
    let fx = Fixture::start(DB, SEED, vec![go1_22_10().clone()], 300);
    let dir = sb.dir.path().join("mirror");
    let out = sync(&sb, &fx, &dir);
    assert!(out.status.success(), "{}", describe(&out));
    let nginx = Nginx::serve(&dir);
    (sb, fx, dir, nginx)
}

#[test]
fn a_plain_go_switches_toolchains_through_the_mirror_and_refuses_a_changed_zip() {
    let (sb, fx, dir, nginx) = served_mirror();
    assert!(verify(&sb, &dir).status.success());
    let go121 = plain_go(&sb.dir.path().join("plain"));
    let vkey = fx.vkey();
    let env = [
        ("GOPROXY", nginx.url()),
        ("GOSUMDB", vkey.clone()),
        ("GOTOOLCHAIN", "go1.22.10".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fx.clear_requests();
    let out = go(&go121, &sb.dir.path().join("host1"), &env, &["version"]);
    assert!(
        out.status.success() && text(&out.stdout).contains("go version go1.22.10 linux/amd64"),
        "{}\nnginx: {:?}",
        describe(&out),
        nginx.log()
    );
    // Everything came from the mirror: the database itself was not asked.
    assert_eq!(fx.requests(), Vec::<String>::new());
    assert!(!nginx.hits(&format!("/sumdb/{DB}/supported")).is_empty());
    assert!(
        !nginx
            .hits(&format!("/golang.org/toolchain/@v/{MODVER}.zip"))
            .is_empty()
    );

    // One byte of the mirror's zip changed: go refuses it.
    let zip = dir.join(format!("golang.org/toolchain/@v/{MODVER}.zip"));
    let mut b = std::fs::read(&zip).unwrap_or_else(|e| panic!("{e}"));
    let at = b.len() / 3;
    b[at] ^= 0x01;
    std::fs::write(&zip, &b).unwrap_or_else(|e| panic!("{e}"));
    let out = go(&go121, &sb.dir.path().join("host2"), &env, &["version"]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        !text(&out.stdout).contains("go1.22.10"),
        "{}",
        describe(&out)
    );
}

#[test]
fn go_with_gotoolchain_path_runs_govs_tree_until_it_is_uninstalled() {
    let sb = Sandbox::new();
    let tarball = go_fixture_tarball("1.22.10");
    let sha = support::sha256_hex(&std::fs::read(&tarball).unwrap_or_default());
    let out = sb
        .cmd()
        .args(["install", "--file"])
        .arg(&tarball)
        .args(["--sha256", &sha])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", describe(&out));
    assert!(sb.bin().join("go1.22.10").exists());
    let go121 = plain_go(&sb.dir.path().join("plain"));
    let home = sb.dir.path().join("host");
    std::fs::create_dir_all(home.join("work")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        home.join("work/go.mod"),
        "module example.com/p\n\ngo 1.22.10\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        home.join("work/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version(), runtime.GOROOT()) }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let path = format!("{}:/usr/bin:/bin", sb.bin().display());
    let gov_home = sb.home().to_string_lossy().into_owned();
    let gov_bin = sb.bin().to_string_lossy().into_owned();
    // GOPROXY=off: nothing may be downloaded; only PATH can satisfy go.mod.
    let env = [
        ("PATH", path.as_str()),
        ("GOTOOLCHAIN", "path"),
        ("GOPROXY", "off"),
        ("GOV_HOME", gov_home.as_str()),
        ("GOV_BIN_DIR", gov_bin.as_str()),
    ];
    let out = go(&go121, &home, &env, &["run", "."]);
    // gov's tree runs it (GOROOT is gov's versions/1.22.10).
    let root = sb.goroot("1.22.10");
    let real = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
    let printed = text(&out.stdout);
    let printed = printed.trim();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        [&root, &real]
            .iter()
            .any(|r| printed == format!("go1.22.10 {}", r.display())),
        "{}",
        describe(&out)
    );

    let out = sb.cmd().args(["uninstall", "1.22.10"]).output();
    assert!(out.is_ok_and(|o| o.status.success()));
    assert!(!sb.bin().join("go1.22.10").exists());
    let out = go(&go121, &home, &env, &["run", "."]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("go1.22.10") || text(&out.stderr).contains("1.22.10"),
        "{}",
        describe(&out)
    );
}

fn du(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => stack.push(e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// BENCHMARKS.md "Go's module protocol from the mirror": a sync with and
/// without the module layout and snapshot, and a cold cmd/go switch
/// through nginx. `cargo test --features tier-all --test it --
/// gomirror_switch::bench --ignored --nocapture`.
#[test]
#[ignore]
fn bench_module_layout_and_switch() {
    let sb = Sandbox::new();
    let tarball = go_fixture_tarball("1.22.10");
    let bytes = std::fs::read(&tarball).unwrap_or_else(|e| panic!("{e}"));
    let a = ToolchainArchive::finish("1.22.10", "amd64", bytes);
    sb.publish(&[(&a, true)]);
    let fx = Fixture::start(DB, SEED, vec![go1_22_10().clone()], 300);
    let keys = crate::mirror::test_keys();
    let timed_sync = |dir: &Path, modules: &str| {
        let started = std::time::Instant::now();
        let out = sb
            .cmd()
            .args(["mirror", "sync"])
            .arg(dir)
            .args([
                "--versions",
                "1.22.10",
                "--arch",
                "amd64",
                "--modules",
                modules,
                "--dist",
            ])
            .arg(crate::mirror::gov_dist())
            .env("GOSUMDB", format!("{} {}", fx.vkey(), fx.sumdb_url()))
            .env("GOV_TEST_RELEASE_KEYS", keys.join("current.pub"))
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{}", describe(&out));
        started.elapsed().as_secs_f64()
    };
    let plain = sb.dir.path().join("plain-mirror");
    let full = sb.dir.path().join("full-mirror");
    let t_plain = timed_sync(&plain, "off");
    let t_full = timed_sync(&full, "on");
    let t_again = timed_sync(&full, "on");
    println!(
        "sync --modules off: {t_plain:.2} s, {} bytes\nsync --modules on:  {t_full:.2} s, {} bytes\nre-sync, nothing new: {t_again:.2} s",
        du(&plain),
        du(&full)
    );
    let nginx = Nginx::serve(&full);
    let go121 = plain_go(&sb.dir.path().join("go121"));
    let vkey = fx.vkey();
    let env = [
        ("GOPROXY", nginx.url()),
        ("GOSUMDB", vkey),
        ("GOTOOLCHAIN", "go1.22.10".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for run in ["cold", "warm"] {
        let home = sb.dir.path().join("bench-host");
        let started = std::time::Instant::now();
        let out = go(&go121, &home, &env, &["version"]);
        assert!(out.status.success(), "{}", describe(&out));
        println!(
            "go version switching to go1.22.10 through nginx, {run} module cache: {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
}
