//! `gov mirror modules`: the module versions of a go.sum, go.mod or
//! module@version, fetched through GOPROXY (a loopback proxy with its own
//! checksum database, tests/it/support/modproxy.rs), published in the
//! static GOPROXY layout with the database snapshot, incrementally; a
//! version the database does not vouch for is never published. With
//! nginx and a real go: `go build` with only GOPROXY=<mirror>.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::Sandbox;
use support::modproxy::{ModProxy, Module, Served};

const DB: &str = "sum.modules.test";
const SEED: [u8; 32] = [0x7e; 32];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn greet() -> Module {
    Module::new(
        "example.com/greet",
        "v1.0.0",
        &[(
            "greet.go",
            "package greet\n\nfunc Hello() string { return \"hello from greet\" }\n",
        )],
    )
}

fn upper() -> Module {
    Module::new(
        "example.com/Upper/quote",
        "v1.2.0",
        &[(
            "quote.go",
            "package quote\n\nfunc Quote() string { return \"quoted\" }\n",
        )],
    )
}

fn modules(sb: &Sandbox, px: &ModProxy, dir: &Path, inputs: &[&str]) -> Output {
    sb.cmd()
        .args(["mirror", "modules"])
        .arg(dir)
        .args(inputs)
        .arg("--json")
        .env("GOPROXY", px.url())
        .env("GOSUMDB", px.vkey())
        .output()
        .unwrap_or_else(|e| panic!("gov mirror modules: {e}"))
}

/// A project needing greet and Upper/quote, with its go.sum.
fn project(at: &Path) -> PathBuf {
    std::fs::create_dir_all(at).unwrap_or_else(|e| panic!("{e}"));
    let files = [
        (
            "go.mod",
            "module example.com/app\n\ngo 1.21\n\nrequire (\n\texample.com/Upper/quote v1.2.0\n\texample.com/greet v1.0.0\n)\n".to_string(),
        ),
        ("go.sum", format!("{}{}", greet().go_sum_lines(), upper().go_sum_lines())),
        (
            "main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/Upper/quote\"\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello(), quote.Quote()) }\n".to_string(),
        ),
    ];
    for (n, d) in files {
        std::fs::write(at.join(n), d).unwrap_or_else(|e| panic!("{e}"));
    }
    at.to_path_buf()
}

#[test]
fn a_go_sum_is_mirrored_verified_case_encoded_and_incrementally() {
    let sb = Sandbox::new();
    let (g, u) = (greet(), upper());
    let px = ModProxy::start(DB, SEED, &[(&g, Served::Honest), (&u, Served::Honest)]);
    let app = project(&sb.dir.path().join("app"));
    let dir = sb.dir.path().join("mirror");
    let sum = app.join("go.sum");
    let out = modules(&sb, &px, &dir, &[sum.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", describe(&out));
    support::schemas::follows("mirror-modules", &out.stdout);
    for f in [
        "example.com/greet/@v/v1.0.0.zip",
        "example.com/greet/@v/v1.0.0.mod",
        "example.com/greet/@v/v1.0.0.info",
        "example.com/greet/@v/list",
        "example.com/!upper/quote/@v/v1.2.0.zip",
        "example.com/!upper/quote/@v/list",
        "sumdb/sum.modules.test/supported",
        "sumdb/sum.modules.test/latest",
        "sumdb/sum.modules.test/lookup/example.com/greet@v1.0.0",
        "sumdb/sum.modules.test/lookup/example.com/!upper/quote@v1.2.0",
    ] {
        assert!(dir.join(f).is_file(), "{f} is missing");
    }
    assert_eq!(
        std::fs::read(dir.join("example.com/greet/@v/v1.0.0.zip")).unwrap_or_default(),
        g.zip(None).0
    );
    let verify = || {
        sb.cmd()
            .args(["mirror", "verify"])
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| panic!("gov mirror verify: {e}"))
    };
    assert!(verify().status.success(), "{}", describe(&verify()));
    let zip = dir.join("example.com/greet/@v/v1.0.0.zip");
    let honest = std::fs::read(&zip).unwrap_or_default();
    let bad =
        support::sumdb::append_entry(&honest, "example.com/greet@v1.0.0/x.go", b"package greet\n")
            .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&zip, bad).unwrap_or_else(|e| panic!("{e}"));
    let v = verify();
    assert_eq!(v.status.code(), Some(1), "{}", describe(&v));
    assert!(
        text(&v.stderr).contains("example.com/greet/@v/v1.0.0.zip"),
        "{}",
        describe(&v)
    );
    // A re-run repairs it (fetched again, verified).
    let out = modules(&sb, &px, &dir, &[sum.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(verify().status.success());

    // Again, with the go.mod too: nothing is fetched.
    let before = px.server.requests().len();
    let gomod = app.join("go.mod");
    let out = modules(
        &sb,
        &px,
        &dir,
        &[
            sum.to_str().unwrap_or_default(),
            gomod.to_str().unwrap_or_default(),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let actions: Vec<&str> = report["modules"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions, ["kept", "kept"], "{report}");
    let asked: Vec<String> = px.server.requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(asked, Vec::<String>::new());
}

#[test]
fn modules_the_database_does_not_vouch_for_are_never_published() {
    let sb = Sandbox::new();
    let liar = Module::new("example.com/liar", "v1.0.0", &[("l.go", "package liar\n")]);
    let unknown = Module::new(
        "example.com/unknown",
        "v1.0.0",
        &[("u.go", "package unknown\n")],
    );
    let px = ModProxy::start(
        DB,
        SEED,
        &[(&liar, Served::Liar), (&unknown, Served::Unrecorded)],
    );
    let dir = sb.dir.path().join("mirror");
    for m in ["example.com/liar@v1.0.0", "example.com/unknown@v1.0.0"] {
        let out = modules(&sb, &px, &dir, &[m]);
        assert_eq!(out.status.code(), Some(1), "{m}: {}", describe(&out));
        assert!(
            text(&out.stderr).contains("not published"),
            "{}",
            describe(&out)
        );
    }
    for m in ["liar", "unknown"] {
        let published: Vec<String> = std::fs::read_dir(dir.join(format!("example.com/{m}/@v")))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(published, Vec::<String>::new(), "{m}");
    }
}

#[test]
fn hostile_inputs_are_refused_before_anything_is_fetched() {
    let sb = Sandbox::new();
    let px = ModProxy::start(DB, SEED, &[]);
    let dir = sb.dir.path().join("mirror");
    let bad_sum = sb.dir.path().join("go.sum");
    std::fs::write(&bad_sum, "example.com/a v1.0 h1:AAAA=\n").unwrap_or_else(|e| panic!("{e}"));
    for input in [
        bad_sum.to_str().unwrap_or_default(),
        "example.com/../etc@v1.0.0",
        "example.com/a@v1.0.0/../../x",
        "nodomain/a@v1.0.0",
        "example.com/a",
    ] {
        let out = modules(&sb, &px, &dir, &[input]);
        assert_eq!(out.status.code(), Some(2), "{input}: {}", describe(&out));
    }
    assert_eq!(px.server.requests().len(), 0);
    assert!(!dir.join("example.com").exists());
}

#[cfg(all(feature = "tier-nginx", feature = "tier-toolchains"))]
#[test]
fn go_builds_with_only_the_mirror_and_refuses_a_tampered_module() {
    let sb = Sandbox::new();
    let (g, u) = (greet(), upper());
    let px = ModProxy::start(DB, SEED, &[(&g, Served::Honest), (&u, Served::Honest)]);
    let app = project(&sb.dir.path().join("app"));
    let dir = sb.dir.path().join("mirror");
    let out = modules(
        &sb,
        &px,
        &dir,
        &[app.join("go.sum").to_str().unwrap_or_default()],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let nginx = support::nginx::Nginx::serve(&dir);
    let go121 = crate::gomirror_switch::plain_go(&sb.dir.path().join("plain"));
    let go = |home: &str, args: &[&str]| {
        let home = sb.dir.path().join(home);
        let mut c = std::process::Command::new(&go121);
        c.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("GOPATH", home.join("gopath"))
            .env("GOCACHE", home.join("cache"))
            .env("GOENV", home.join("goenv"))
            .env("GOFLAGS", "-modcacherw")
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", nginx.url())
            .env("GOSUMDB", px.vkey())
            .current_dir(&app);
        support::run_program(&mut c)
    };
    let before = px.server.requests().len();
    let out = go("h1", &["run", "."]);
    assert!(
        out.status.success(),
        "{}\nnginx: {:?}",
        describe(&out),
        nginx.log()
    );
    assert_eq!(text(&out.stdout).trim(), "hello from greet quoted");
    assert_eq!(px.server.requests().len(), before, "the upstream was asked");

    // A tampered zip on the mirror: go refuses it against go.sum, and
    // without go.sum against the database (the mirror's snapshot).
    let zip = dir.join("example.com/greet/@v/v1.0.0.zip");
    let bad = support::sumdb::append_entry(
        &g.zip(None).0,
        "example.com/greet@v1.0.0/x.go",
        b"package greet\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&zip, bad).unwrap_or_else(|e| panic!("{e}"));
    let refused = |out: &Output| {
        let err = text(&out.stderr);
        !out.status.success() && err.contains("SECURITY ERROR") && err.contains("example.com/greet")
    };
    let out = go("h2", &["run", "."]);
    assert!(refused(&out), "{}", describe(&out));
    std::fs::remove_file(app.join("go.sum")).unwrap_or_else(|e| panic!("{e}"));
    let out = go("h3", &["mod", "download", "example.com/greet@v1.0.0"]);
    assert!(refused(&out), "{}", describe(&out));
}
