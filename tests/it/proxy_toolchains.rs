//! Toolchains through the module proxy: gov against a loopback module proxy
//! and checksum database (tests/it/support/sumdb.rs) serving the real go1.22.10
//! packed as cmd/distpack packs it. The fixture itself is checked by real
//! Go: go1.21.13 switching to go1.22.10 through it must work.

use crate::support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

use support::archive::small_go1_22_10;
use support::sumdb::{Fixture, Tamper, go_fixture_tarball, go1_22_10};
use support::{Sandbox, run_program, start_refusing_port, toolchain_archive};

const DB: &str = "sum.fixture.test";
const SEED: [u8; 32] = [0x5a; 32];
const V: &str = "1.22.10";
const MODVER: &str = "v0.0.1-go1.22.10.linux-amd64";

/// 300 records of other modules around go1.22.10's.
fn fixture() -> Fixture {
    Fixture::start(DB, SEED, vec![go1_22_10().clone()], 300)
}

/// The same log around a small stand-in go1.22.10, for refusals: gov
/// must refuse before it would run anything from the zip.
fn small_fixture() -> Fixture {
    Fixture::start(DB, SEED, vec![small_go1_22_10().clone()], 300)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// gov with GOPROXY at the fixture and GOSUMDB naming only its key, so the
/// database's URL is found through the proxy's /sumdb/<name>/supported.
fn gov_via(sb: &Sandbox, fx: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = sb.cmd();
    c.env("GOPROXY", &fx.base).env("GOSUMDB", fx.vkey());
    for (k, v) in env {
        // An empty value removes the sandbox's own setting.
        if v.is_empty() {
            c.env_remove(k);
        } else {
            c.env(k, v);
        }
    }
    c.args(args)
        .output()
        .unwrap_or_else(|e| panic!("running gov: {e}"))
}

fn assert_ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

fn assert_exit(out: &Output, code: i32, what: &str) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: expected exit {code}:\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// Requests to the module proxy itself; release installs also ask its
/// checksum database (`/sumdb/`) for the log proof.
fn proxy_requests(fx: &Fixture) -> Vec<String> {
    fx.requests()
        .into_iter()
        .filter(|r| !r.contains("/sumdb/"))
        .collect()
}

fn zip_requested(fx: &Fixture) -> bool {
    fx.requests()
        .iter()
        .any(|r| r.ends_with(&format!("{MODVER}.zip")))
}

/// A Go command run with the sandbox's toolchain and shared build cache,
/// no network for modules.
fn go_cmd(sb: &Sandbox, program: &Path, work: &Path) -> Command {
    let mut c = Command::new(program);
    sb.offline_go_env(&mut c, work);
    c
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

#[cfg(feature = "tier-toolchains")]
#[test]
fn proxy_install_then_go_version_build_and_vet() {
    let fx = fixture();
    let sb = Sandbox::new();
    let out = gov_via(&sb, &fx, &["install", V, "--source", "proxy"], &[]);
    let err = assert_ok(&out, "gov install --source proxy");
    assert!(
        err.contains(&format!("h1 verified by checksum database {DB}")),
        "{err}"
    );
    let reqs = fx.requests();
    assert!(
        reqs.iter()
            .any(|r| r.starts_with(&format!("/sumdb/{DB}/tile/8/0/"))),
        "{reqs:?}"
    );
    for want in [
        format!("/sumdb/{DB}/supported"),
        format!("/sumdb/{DB}/lookup/golang.org/toolchain@{MODVER}"),
        format!("/golang.org/toolchain/@v/{MODVER}.zip"),
    ] {
        assert!(reqs.contains(&want), "no request {want}: {reqs:?}");
    }

    // The verified tree head is kept per database; tiles are cached.
    let latest = sb.home().join(format!("sumdb/{DB}/latest"));
    assert_eq!(
        std::fs::read(&latest).unwrap_or_else(|e| panic!("{}: {e}", latest.display())),
        fx.latest_note()
    );
    let tiles = sb.home().join(format!("cache/sumdb/{DB}/tile/8/0"));
    assert!(!support::list_dir(&tiles).is_empty(), "no cached tiles");

    // Unpacked as cmd/go unpacks: exec bits restored, go.mod files back.
    let goroot = sb.goroot(V);
    for exe in ["bin/go", "bin/gofmt", "pkg/tool/linux_amd64/compile"] {
        assert_eq!(mode(&goroot.join(exe)), 0o755, "{exe}");
    }
    assert_eq!(mode(&goroot.join("src/fmt/print.go")), 0o644);
    assert_eq!(
        std::fs::read(goroot.join("src/go.mod")).ok(),
        std::fs::read(goroot.join("src/_go.mod")).ok()
    );
    assert!(goroot.join("src/cmd/go.mod").is_file());
    assert!(!goroot.join("api").exists() && !goroot.join("test").exists());
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
    assert_eq!(sb.installed(), vec![V]);

    // The toolchain works: version, build and vet of a module.
    let work = sb.dir.path().join("hello");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(work.join("go.mod"), "module example.com/hello\n\ngo 1.22\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        work.join("main.go"),
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from proxy\") }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let shim = sb.shim(V, "go");
    let out = run_program(go_cmd(&sb, &shim, &work).arg("version"));
    assert_eq!(text(&out.stdout).trim(), "go version go1.22.10 linux/amd64");
    let out = run_program(go_cmd(&sb, &shim, &work).args(["build", "-o", "hello", "."]));
    assert_ok(&out, "go build");
    let out = run_program(&mut Command::new(work.join("hello")));
    assert_eq!(text(&out.stdout).trim(), "hello from proxy");
    let out = run_program(go_cmd(&sb, &shim, &work).args(["vet", "./..."]));
    assert_ok(&out, "go vet");
    // vet really runs its analyzers (pkg/tool/.../vet): a bad Printf fails.
    std::fs::write(
        work.join("bad.go"),
        "package main\n\nimport \"fmt\"\n\nfunc bad() { fmt.Printf(\"%d\\n\", \"x\") }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run_program(go_cmd(&sb, &shim, &work).args(["vet", "./..."]));
    assert!(
        !out.status.success() && text(&out.stderr).contains("Printf format %d"),
        "{}",
        text(&out.stderr)
    );
}

/// Every forged or missing answer is refused: exit 1, nothing installed,
/// nothing left in tmp/; answers refused at lookup cost no download.
#[test]
fn forged_answers_are_refused() {
    let fx = small_fixture();
    let cases = [
        (
            Tamper {
                zip: true,
                ..Tamper::default()
            },
            true,
        ),
        (
            Tamper {
                wrong_record: true,
                ..Tamper::default()
            },
            false,
        ),
        (
            Tamper {
                bad_signature: true,
                ..Tamper::default()
            },
            false,
        ),
        (
            Tamper {
                other_module_record: true,
                ..Tamper::default()
            },
            false,
        ),
        (
            Tamper {
                missing_record: true,
                ..Tamper::default()
            },
            false,
        ),
    ];
    let _redactions = support::snapshot::redactions();
    let mut messages = String::new();
    for (tamper, downloads) in cases {
        let sb = Sandbox::new();
        fx.set_tamper(tamper);
        fx.clear_requests();
        let out = gov_via(&sb, &fx, &["install", V, "--source", "proxy"], &[]);
        let err = assert_exit(&out, 1, &format!("{tamper:?}"));
        messages.push_str(&format!("{tamper:?}\n{}\n\n", err.trim_end()));
        assert!(sb.installed().is_empty(), "{tamper:?}");
        assert!(
            sb.tmp_entries().is_empty(),
            "{tamper:?}: {:?}",
            sb.tmp_entries()
        );
        assert!(!sb.home().join("shims").join(V).exists(), "{tamper:?}");
        assert_eq!(
            zip_requested(&fx),
            downloads,
            "{tamper:?}: {:?}",
            fx.requests()
        );
        if tamper.bad_signature {
            assert!(!sb.home().join(format!("sumdb/{DB}/latest")).exists());
        }
    }
    insta::assert_snapshot!("forged_answers", messages);
    fx.set_tamper(Tamper::default());
}

/// Seen tree A, then a bigger tree B inconsistent with it: a security
/// error naming both heads; the installed tree and the stored head stay.
#[test]
fn a_forked_log_is_a_security_error() {
    let fx = small_fixture();
    let sb = Sandbox::new();
    assert_ok(
        &gov_via(&sb, &fx, &["install", V, "--source", "proxy"], &[]),
        "first install",
    );
    let latest = sb.home().join(format!("sumdb/{DB}/latest"));
    let head_a = std::fs::read(&latest).unwrap_or_else(|e| panic!("{e}"));
    let goroot = sb.goroot(V);
    let ino = std::fs::metadata(&goroot).map(|m| m.ino()).unwrap_or(0);

    fx.set_tamper(Tamper {
        forked: true,
        ..Tamper::default()
    });
    fx.clear_requests();
    let out = gov_via(
        &sb,
        &fx,
        &["install", V, "--source", "proxy", "--force"],
        &[],
    );
    let err = assert_exit(&out, 1, "install against a forked log");
    assert!(err.contains("SECURITY ERROR"), "{err}");
    assert!(
        err.contains("tree #301 ") && err.contains("tree #321 "),
        "both tree heads are named: {err}"
    );
    assert!(!zip_requested(&fx), "{:?}", fx.requests());
    assert_eq!(
        std::fs::read(&latest).ok(),
        Some(head_a),
        "stored head kept"
    );
    assert_eq!(std::fs::metadata(&goroot).map(|m| m.ino()).ok(), Some(ino));
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
}

/// GOSUMDB=off refuses, from the environment or from `go env -w`;
/// GONOSUMDB and GOPRIVATE never skip verification.
#[test]
fn verification_cannot_be_turned_off() {
    let fx = small_fixture();
    let sb = Sandbox::new();
    let out = gov_via(
        &sb,
        &fx,
        &["install", V, "--source", "proxy"],
        &[("GOSUMDB", "off")],
    );
    let err = assert_exit(&out, 2, "GOSUMDB=off");
    assert!(
        err.contains("checksum database disabled by GOSUMDB=off (environment)"),
        "{err}"
    );
    assert!(fx.requests().is_empty(), "{:?}", fx.requests());

    // The `go env -w` file counts as Go counts it.
    let goenv = sb.dir.path().join("user/.config/go/env");
    std::fs::create_dir_all(goenv.parent().unwrap_or(Path::new("/")))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&goenv, "GOSUMDB=off\n").unwrap_or_else(|e| panic!("{e}"));
    let mut c = sb.cmd();
    c.env("GOPROXY", &fx.base)
        .args(["install", V, "--source", "proxy"]);
    let out = c.output().unwrap_or_else(|e| panic!("{e}"));
    let err = assert_exit(&out, 2, "GOSUMDB=off in go env -w");
    assert!(err.contains("go env -w"), "{err}");
    std::fs::remove_file(&goenv).unwrap_or_else(|e| panic!("{e}"));

    fx.set_tamper(Tamper {
        wrong_record: true,
        ..Tamper::default()
    });
    let out = gov_via(
        &sb,
        &fx,
        &["install", V, "--source", "proxy"],
        &[("GONOSUMDB", "golang.org")],
    );
    let err = assert_exit(&out, 1, "GONOSUMDB does not skip");
    assert!(err.contains("does not apply to toolchains"), "{err}");
    assert!(err.contains("record text is not record"), "{err}");
    fx.set_tamper(Tamper::default());
    assert!(sb.installed().is_empty());
}

/// auto (the default): the release index refuses connections, so the proxy
/// is used, and gov says so; GOV_SOURCE=release does not fall back.
#[cfg(feature = "tier-toolchains")]
#[test]
fn auto_falls_back_when_release_downloads_are_unreachable() {
    let fx = fixture();
    let sb = Sandbox::new();
    let dead = format!("http://127.0.0.1:{}/dl/index.json", start_refusing_port());

    let out = gov_via(
        &sb,
        &fx,
        &["install", V],
        &[("GOV_INDEX_URL", &dead), ("GOV_SOURCE", "release")],
    );
    assert_exit(&out, 1, "GOV_SOURCE=release with the index down");
    assert!(fx.requests().is_empty(), "{:?}", fx.requests());

    let out = gov_via(
        &sb,
        &fx,
        &["install", V],
        &[("GOV_INDEX_URL", &dead), ("GOV_SOURCE", "")],
    );
    let err = assert_ok(&out, "auto install with the index down");
    assert!(
        err.contains("release downloads are unreachable") && err.contains("from the module proxy"),
        "{err}"
    );
    assert!(
        err.contains("refused the connection"),
        "the cause is named: {err}"
    );
    assert!(zip_requested(&fx));
    assert_eq!(sb.installed(), vec![V]);
}

/// A checksum mismatch on the release path is an attack or corruption:
/// auto stops there and never asks the proxy.
#[test]
fn auto_does_not_fall_back_on_a_checksum_mismatch() {
    let fx = small_fixture();
    let sb = Sandbox::new();
    let honest = toolchain_archive(V, "amd64", 0);
    // Same size, one byte different (in gzip's trailer).
    let mut altered = honest.bytes.clone();
    let last = altered.len() - 5;
    altered[last] ^= 0x01;
    sb.publish(&[(&honest, true)]);
    sb.server.put(&format!("/dl/{}", honest.filename), altered);
    let out = gov_via(&sb, &fx, &["install", V], &[("GOV_SOURCE", "auto")]);
    let err = assert_exit(&out, 1, "release archive with a wrong sha256");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!err.contains("module proxy"), "{err}");
    assert!(proxy_requests(&fx).is_empty(), "{:?}", fx.requests());
    assert!(sb.installed().is_empty());
}

/// `@v/list` in Go's version order, other architectures dropped; GOPROXY's
/// `,` falls through on 404 only, `|` on any error; `off` refuses.
#[cfg(feature = "tier-toolchains")]
#[test]
fn list_remote_from_the_proxy() {
    let fx = fixture();
    fx.list_also(&[
        "v0.0.1-go1.21rc2.linux-amd64",
        "v0.0.1-go1.22.9.linux-amd64",
        "v0.0.1-go1.21.0.linux-amd64",
        "v0.0.1-go1.22.2.linux-amd64",
        "v0.0.1-go1.21.13.linux-amd64",
        "v0.0.1-go1.23.0.linux-arm64",
        "v0.0.1-go1.22.10.darwin-amd64",
        "not a version",
    ]);
    let sb = Sandbox::new();
    let out = gov_via(
        &sb,
        &fx,
        &["list-remote", "--source", "proxy", "--all"],
        &[],
    );
    assert_ok(&out, "list-remote --all");
    let lines: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "1.22.10", "1.22.9", "1.22.2", "1.21.13", "1.21.0", "1.21rc2"
        ]
    );
    let out = gov_via(&sb, &fx, &["list-remote", "--source", "proxy", "1.21"], &[]);
    assert_eq!(text(&out.stdout), "1.21.13\n1.21.0\n");
    let out = gov_via(
        &sb,
        &fx,
        &["list-remote", "--source", "proxy", "--json", "latest"],
        &[],
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v[0]["version"], "1.22.10");
    assert_eq!(v[0]["module_version"], MODVER);
    assert_eq!(v[0]["stable"], true);

    let refused = format!("http://127.0.0.1:{}", start_refusing_port());
    let missing = sb.server.url_for("/nothing-here");
    let list = |goproxy: &str| {
        gov_via(
            &sb,
            &fx,
            &["list-remote", "--source", "proxy"],
            &[("GOPROXY", goproxy)],
        )
    };
    assert_ok(&list(&format!("{missing},{}", fx.base)), "404 then fixture");
    assert_ok(
        &list(&format!("{refused}|{}", fx.base)),
        "refused | fixture",
    );
    let err = assert_exit(
        &list(&format!("{refused},{}", fx.base)),
        1,
        "refused , fixture",
    );
    assert!(err.contains("refused the connection"), "{err}");
    // A file:// proxy (a directory in the GOPROXY layout) works too.
    let dir = sb.dir.path().join("fileproxy/golang.org/toolchain/@v");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("list"), "v0.0.1-go1.21.13.linux-amd64\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("file://{}", sb.dir.path().join("fileproxy").display());
    let out = list(&url);
    assert_ok(&out, "file:// GOPROXY");
    assert_eq!(text(&out.stdout), "1.21.13\n");
    let err = assert_exit(&list("off"), 2, "GOPROXY=off");
    assert!(err.contains("disabled by GOPROXY=off"), "{err}");
}

/// The fixture is what real Go accepts: go1.21.13 (installed by gov from
/// the release tarball) switches to go1.22.10 through it.
#[cfg(feature = "tier-toolchains")]
#[test]
fn real_go_switches_toolchains_through_the_fixture() {
    let fx = fixture();
    let sb = Sandbox::new();
    let tarball = go_fixture_tarball("1.21.13");
    let out = sb
        .cmd()
        .args(["install", "--file"])
        .arg(&tarball)
        .args([
            "--sha256",
            &support::sha256_hex(&std::fs::read(&tarball).unwrap_or_default()),
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ok(&out, "installing go1.21.13 from its tarball");
    let go = sb.goroot("1.21.13").join("bin/go");
    let home = sb.dir.path().join("gohome");
    std::fs::create_dir_all(home.join("work")).unwrap_or_else(|e| panic!("{e}"));
    let out = run_program(
        Command::new(&go)
            .arg("version")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("GOPATH", home.join("gopath"))
            .env("GOCACHE", home.join("cache"))
            .env("GOENV", home.join("goenv"))
            .env("GOFLAGS", "-modcacherw")
            .env("GOTOOLCHAIN", "go1.22.10")
            .env("GOPROXY", &fx.base)
            .env("GOSUMDB", format!("{} {}", fx.vkey(), fx.sumdb_url()))
            .current_dir(home.join("work")),
    );
    assert!(
        out.status.success() && text(&out.stdout).contains("go version go1.22.10 linux/amd64"),
        "real Go rejected the fixture:\nstdout: {}\nstderr: {}\nrequests: {:?}",
        text(&out.stdout),
        text(&out.stderr),
        fx.requests()
    );
    let reqs = fx.requests();
    assert!(reqs.iter().any(|r| r.ends_with(&format!("{MODVER}.zip"))));
    assert!(reqs.iter().any(|r| r.contains("/lookup/")));
    assert!(reqs.iter().any(|r| r.contains("/tile/8/")));
    assert!(home.join(format!("gopath/pkg/sumdb/{DB}/latest")).is_file());
}

fn doctor_checks(out: &Output) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json: {e}: {}", text(&out.stdout)));
    v["checks"].as_array().cloned().unwrap_or_default()
}

fn by_id<'a>(checks: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    checks
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {checks:?}"))
}

/// doctor's toolchains section: release, proxy only, or neither, and how
/// the checksum database is reached.
#[cfg(feature = "tier-toolchains")]
#[test]
fn doctor_says_where_toolchains_can_come_from() {
    let fx = fixture();
    let sb = Sandbox::new();
    let dead = format!("http://127.0.0.1:{}/dl/index.json", start_refusing_port());
    // auto: the summary judges the fallback only when installs use it.
    let env = [
        ("GOV_INDEX_URL", dead.as_str()),
        ("GOV_DOCTOR_TIMEOUT", "2"),
        ("GOV_SOURCE", "auto"),
    ];

    let out = gov_via(&sb, &fx, &["doctor", "--json"], &env);
    let checks = doctor_checks(&out);
    let release = by_id(&checks, "toolchains.release");
    assert_eq!(release["status"], "warning", "{release}");
    assert_eq!(release["section"], "toolchains");
    let proxy = by_id(&checks, "toolchains.proxy");
    assert_eq!(proxy["status"], "ok", "{proxy}");
    assert!(proxy["finding"].as_str().unwrap_or("").contains(&fx.base));
    let sumdb = by_id(&checks, "toolchains.sumdb");
    assert_eq!(sumdb["status"], "ok", "{sumdb}");
    assert!(
        sumdb["finding"]
            .as_str()
            .unwrap_or("")
            .contains("reachable through the module proxy"),
        "{sumdb}"
    );
    let summary = by_id(&checks, "toolchains");
    assert_eq!(summary["status"], "warning", "{summary}");
    assert!(
        summary["finding"]
            .as_str()
            .unwrap_or("")
            .contains("only through the module proxy"),
        "{summary}"
    );

    // Neither: the proxy refuses connections too.
    let refused = format!("http://127.0.0.1:{}", start_refusing_port());
    let out = gov_via(
        &sb,
        &fx,
        &["doctor", "--json"],
        &[
            env[0],
            env[1],
            ("GOPROXY", &refused),
            ("GOSUMDB", &format!("{} {}", fx.vkey(), fx.sumdb_url())),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let checks = doctor_checks(&out);
    assert_eq!(by_id(&checks, "toolchains")["status"], "problem");
    let sumdb = by_id(&checks, "toolchains.sumdb");
    assert!(
        sumdb["finding"]
            .as_str()
            .unwrap_or("")
            .contains("at the URL GOSUMDB names"),
        "{sumdb}"
    );

    // The index lists a release the mirror does not hold (404): the
    // advice is to sync the mirror, not to check the network.
    sb.publish_versions(&["1.22.10"]);
    sb.server.remove("/dl/go1.22.10.linux-amd64.tar.gz");
    let out = gov_via(&sb, &fx, &["doctor", "--json"], &[env[1]]);
    let checks = doctor_checks(&out);
    let release = by_id(&checks, "toolchains.release");
    let advice = release["advice"].as_str().unwrap_or("");
    assert!(
        advice.contains("gov mirror sync") && !advice.contains("check the network"),
        "{release}"
    );

    // Release downloads work: ok, whatever the proxy does.
    sb.publish_versions(&["1.22.10"]);
    let out = gov_via(&sb, &fx, &["doctor", "--json"], &[env[1]]);
    let checks = doctor_checks(&out);
    assert_eq!(by_id(&checks, "toolchains.release")["status"], "ok");
    assert_eq!(by_id(&checks, "toolchains")["status"], "ok");
}

/// `gov proxy use cn` is the one-line setup for a host that cannot reach
/// Google: module settings in gov's profile and, recorded as the preset's
/// implied default (GOV_PRESET=cn), toolchains from the proxy without
/// trying release downloads, as long as nothing else was chosen.
#[cfg(feature = "tier-toolchains")]
#[test]
fn the_china_preset_sends_toolchains_through_the_proxy() {
    let fx = fixture();
    let sb = Sandbox::new();
    sb.ok(&["proxy", "use", "cn"]);
    let profile = std::fs::read_to_string(sb.home().join("env")).unwrap_or_default();
    assert!(
        profile.contains("GOPROXY=https://goproxy.cn,direct\n")
            && profile.contains("GOSUMDB=sum.golang.google.cn\n"),
        "{profile}"
    );
    let config = std::fs::read_to_string(sb.home().join("config")).unwrap_or_default();
    assert!(config.contains("GOV_PRESET=cn\n"), "{config}");
    assert!(!config.contains("GOV_SOURCE"), "{config}");

    // No release source set: the preset's default applies. (The
    // environment's GOPROXY/GOSUMDB at the fixture win over the profile.)
    fx.set_tamper(Tamper {
        missing_record: true,
        ..Tamper::default()
    });
    let unset = [
        ("GOV_SOURCE", ""),
        ("GOV_MIRROR", ""),
        ("GOV_INDEX_URL", ""),
    ];
    let out = gov_via(&sb, &fx, &["install", V], &unset);
    assert_exit(&out, 1, "install with the cn preset");
    assert!(
        fx.requests().iter().any(|r| r.contains("/lookup/")),
        "{:?}",
        fx.requests()
    );
    let release: Vec<String> = sb.server.requests().into_iter().map(|r| r.path).collect();
    assert!(
        release.is_empty(),
        "release sources were tried: {release:?}"
    );
    fx.set_tamper(Tamper::default());
}

/// A release source set explicitly beats the preset's implied default,
/// wherever it is set; GOV_SOURCE set by a user beats both. A config file
/// that an older `gov proxy use cn` left (GOV_SOURCE=proxy, no marker)
/// counts as the preset's, and the next `gov proxy use` rewrites it.
#[cfg(feature = "tier-toolchains")]
#[test]
fn an_explicit_release_source_beats_the_presets_default() {
    // The log holds the small go1.22.10 the sandbox serves.
    let fx = small_fixture();
    let sb = Sandbox::new();
    sb.publish_versions(&[V]);
    sb.ok(&["proxy", "use", "cn"]);
    let source = |env: &[(&str, &str)]| -> serde_json::Value {
        let out = gov_via(&sb, &fx, &["config", "show", "--json"], env);
        assert_ok(&out, "config show");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
        v["toolchain_source"].clone()
    };
    let s = source(&[("GOV_SOURCE", "")]);
    assert_eq!(s["source"], "auto", "{s:#}");
    assert_eq!(s["decided_by"], "GOV_MIRROR", "{s:#}");
    assert_eq!(s["origin"], "environment", "{s:#}");

    // The sandbox sets GOV_MIRROR/GOV_INDEX_URL in the environment.
    let out = gov_via(&sb, &fx, &["install", V], &[("GOV_SOURCE", "")]);
    assert_ok(&out, "install with a mirror and the cn preset");
    assert!(proxy_requests(&fx).is_empty(), "{:?}", fx.requests());
    sb.ok(&["uninstall", V]);

    // An older gov's `proxy use cn` wrote GOV_SOURCE=proxy: the same.
    std::fs::write(sb.home().join("config"), "GOV_SOURCE=proxy\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let s = source(&[("GOV_SOURCE", "")]);
    assert_eq!(s["decided_by"], "GOV_MIRROR", "{s:#}");
    let out = gov_via(&sb, &fx, &["install", V], &[("GOV_SOURCE", "")]);
    assert_ok(&out, "install with an older preset's config");
    assert!(proxy_requests(&fx).is_empty(), "{:?}", fx.requests());
    sb.ok(&["uninstall", V]);
    let unset = [
        ("GOV_SOURCE", ""),
        ("GOV_MIRROR", ""),
        ("GOV_INDEX_URL", ""),
    ];
    let s = source(&unset);
    assert_eq!(s["source"], "proxy", "{s:#}");
    assert_eq!(s["decided_by"], "GOV_PRESET", "{s:#}");
    assert!(
        s["reason"]
            .as_str()
            .unwrap_or("")
            .contains("older `gov proxy use cn`"),
        "{s:#}"
    );
    sb.ok(&["proxy", "use", "cn"]);
    let config = std::fs::read_to_string(sb.home().join("config")).unwrap_or_default();
    assert_eq!(
        config
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["GOV_PRESET=cn"]
    );
    // Another preset drops the implied default.
    sb.ok(&["proxy", "use", "official"]);
    assert_eq!(source(&unset)["decided_by"], "default");

    // A preset gov does not know: refused by `config set` (exit 2), and
    // not obeyed when written into the file by hand.
    let err = sb.fails(&["config", "set", "GOV_PRESET=../../evil"], 2);
    assert!(err.contains("GOV_PRESET takes one of cn"), "{err}");
    std::fs::write(sb.home().join("config"), "GOV_PRESET=../../evil\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(source(&unset)["decided_by"], "default");
    std::fs::remove_file(sb.home().join("config")).unwrap_or_else(|e| panic!("{e}"));

    // A user's own GOV_SOURCE=proxy (the profile is not the cn preset's)
    // is explicit: it wins over the mirror.
    sb.ok(&["config", "set", "GOV_SOURCE=proxy"]);
    let s = source(&[("GOV_SOURCE", "")]);
    assert_eq!(s["source"], "proxy", "{s:#}");
    assert_eq!(s["decided_by"], "GOV_SOURCE", "{s:#}");
    let out = gov_via(&sb, &fx, &["install", V], &[("GOV_SOURCE", "")]);
    assert_ok(&out, "install with GOV_SOURCE=proxy");
    assert!(
        fx.requests().iter().any(|r| r.ends_with(".zip")),
        "{:?}",
        fx.requests()
    );
}

/// `--dry-run` asks the source the install would use: a range resolves
/// against the proxy's `@v/list`, auto previews the proxy when release
/// downloads are unreachable, GOSUMDB=off is refused as it is for the
/// install, and nothing is downloaded or written.
#[cfg(feature = "tier-toolchains")]
#[test]
fn dry_run_previews_the_proxy_source() {
    let fx = fixture();
    let sb = Sandbox::new();
    let out = gov_via(
        &sb,
        &fx,
        &[
            "install",
            "1.22",
            "--source",
            "proxy",
            "--dry-run",
            "--json",
        ],
        &[],
    );
    assert_ok(&out, "dry run through the proxy");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    assert_eq!(v["version"], V, "{v:#}");
    assert_eq!(v["action"], "installed", "{v:#}");
    assert_eq!(v["dry_run"], true, "{v:#}");
    assert!(
        fx.requests().iter().any(|r| r.ends_with("/@v/list")),
        "{:?}",
        fx.requests()
    );
    assert!(!zip_requested(&fx));

    let dead = format!("http://127.0.0.1:{}/dl/index.json", start_refusing_port());
    let out = gov_via(
        &sb,
        &fx,
        &["install", V, "--dry-run"],
        &[("GOV_INDEX_URL", &dead), ("GOV_SOURCE", "auto")],
    );
    let err = assert_ok(&out, "auto dry run with the index down");
    assert!(err.contains("would come from the module proxy"), "{err}");
    assert!(err.contains("dry run: would install Go 1.22.10"), "{err}");

    let out = gov_via(
        &sb,
        &fx,
        &["install", V, "--source", "proxy", "--dry-run"],
        &[("GOSUMDB", "off")],
    );
    let err = assert_exit(&out, 2, "dry run with GOSUMDB=off");
    assert!(err.contains("GOSUMDB=off"), "{err}");

    // A range the proxy does not list is "not found" (exit 1).
    let out = gov_via(
        &sb,
        &fx,
        &["install", "1.19", "--source", "proxy", "--dry-run"],
        &[],
    );
    let err = assert_exit(&out, 1, "dry run of an unlisted range");
    assert!(err.contains("lists no Go 1.19 toolchain"), "{err}");
    assert!(!zip_requested(&fx));
    assert!(sb.installed().is_empty());
    assert!(!sb.home().join("versions").join(V).exists());
}

/// Every folder and file of a proxy install gets an exact mode, whatever
/// the umask: nothing group- or world-writable under `umask 000` (another
/// account could swap the `go` root runs), and everything readable by every
/// account under `umask 077` (a system layer is shared).
#[cfg(feature = "tier-toolchains")]
#[test]
fn proxy_installs_ignore_the_umask() {
    use std::os::unix::process::CommandExt;
    let fx = fixture();
    for umask in [0o000, 0o077] {
        let sb = Sandbox::new();
        let mut c = sb.std_cmd();
        c.env("GOPROXY", &fx.base)
            .env("GOSUMDB", fx.vkey())
            .args(["install", V, "--source", "proxy"]);
        // SAFETY: umask is async-signal-safe and touches only this process.
        unsafe {
            c.pre_exec(move || {
                libc::umask(umask);
                Ok(())
            });
        }
        let out = run_program(&mut c);
        assert_ok(&out, &format!("proxy install under umask {umask:03o}"));
        let goroot = sb.home().join("versions").join(V);
        let mut stack = vec![goroot.clone()];
        let mut seen = 0;
        while let Some(p) = stack.pop() {
            let m = std::fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{e}"));
            let bits = m.mode() & 0o7777;
            seen += 1;
            if m.is_dir() {
                assert_eq!(bits, 0o755, "umask {umask:03o}: {}", p.display());
                for e in std::fs::read_dir(&p).unwrap_or_else(|e| panic!("{e}")) {
                    stack.push(e.unwrap_or_else(|e| panic!("{e}")).path());
                }
            } else {
                assert!(
                    bits == 0o644 || bits == 0o755,
                    "umask {umask:03o}: {} has mode {bits:o}",
                    p.display()
                );
            }
        }
        assert!(seen > 1000, "walked {seen} entries");
        assert_eq!(mode(&goroot.join("bin/go")), 0o755);
    }
}

/// A small zip whose few names are 32,000 characters deep (`a/a/a/...`): the
/// names are refused before any work that grows with them, at a fraction of
/// a real toolchain's memory, the message is clipped, and nothing is left
/// in GOV_HOME's tmp.
#[test]
fn a_zip_of_deep_names_is_refused_cheaply() {
    use support::sumdb::{Toolchain, ZipBuilder};
    const HOSTILE: &str = "go1.22.11";
    let modver = "v0.0.1-go1.22.11.linux-amd64";
    let prefix = format!("golang.org/toolchain@{modver}/");
    let mut zip = ZipBuilder::default();
    zip.add(
        &format!("{prefix}VERSION"),
        b"go1.22.11\n",
        0o644,
        (0, 0x21),
    );
    for i in 0..4 {
        let deep = format!("{prefix}{}{i}", "a/".repeat(16_000));
        zip.add(&deep, b"x", 0o644, (0, 0x21));
    }
    let bytes = std::sync::Arc::new(zip.finish());
    assert!(
        bytes.len() > 250_000 && bytes.len() < 300_000,
        "{}",
        bytes.len()
    );
    let hostile = Toolchain {
        version: HOSTILE.into(),
        zip: bytes.clone(),
        tampered_zip: bytes,
        info: format!("{{\"Version\":\"{modver}\", \"Time\":\"2024-12-03T00:00:00Z\"}}\n"),
        zip_h1: zip.h1(),
        tampered_zip_h1: zip.h1(),
    };
    let fx = Fixture::start(DB, SEED, vec![hostile], 50);
    let sb = Sandbox::new();
    let mut c = sb.std_cmd();
    c.env("GOPROXY", &fx.base)
        .env("GOSUMDB", fx.vkey())
        .args(["install", "1.22.11", "--source", "proxy"]);
    let started = std::time::Instant::now();
    let (out, peak_kib) = support::run_measured(&c);
    let took = started.elapsed();
    let err = assert_exit(&out, 1, "installing a zip of deep names");
    assert!(err.contains("path is longer than"), "{err}");
    assert!(err.contains("hint:"), "no advice: {err}");
    assert!(
        err.len() < 2_000,
        "the message is not clipped: {} bytes",
        err.len()
    );
    assert!(
        peak_kib < 32 * 1024,
        "peak RSS {peak_kib} KiB refusing a 257 KB zip"
    );
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    assert!(sb.installed().is_empty());
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
}

/// A checksum database that trickles its answer a byte at a time held a
/// proxy install (and its version lock) forever: the deadline ends it.
#[cfg(feature = "tier-toolchains")]
#[test]
fn a_trickling_checksum_database_meets_the_deadline() {
    let fx = fixture();
    let sb = Sandbox::new();
    let trickle = support::SlowServer::start(support::Misbehaviour::Trickle);
    let gosumdb = format!("{} {}", fx.vkey(), trickle.url_for(""));
    let start = std::time::Instant::now();
    let out = sb
        .cmd()
        .timeout(std::time::Duration::from_secs(30))
        .env("GOPROXY", &fx.base)
        .env("GOSUMDB", &gosumdb)
        .env("GOV_HTTP_DEADLINE", "2")
        .args(["install", V, "--source", "proxy"])
        .output()
        .unwrap_or_else(|e| panic!("running gov: {e}"));
    let took = start.elapsed();
    let err = assert_exit(&out, 1, "install with a trickling checksum database");
    assert!(err.contains("GOV_HTTP_DEADLINE"), "{err}");
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    assert!(trickle.accepted() >= 1);
    assert!(sb.installed().is_empty());
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
}

/// A proxy forges the two tiles above the toolchain's record in a log of
/// 70001 records, where tile level 2 is the top, so that an answer with the
/// tampered zip's h1 seems proven (CVE-2026-56865: Go's clients before
/// go1.25.13/go1.26.6 install that zip). gov refuses before the download
/// and caches no forged tile.
#[test]
fn two_forged_tiles_over_a_tall_log_are_refused() {
    let fx = Fixture::start(DB, SEED, vec![small_go1_22_10().clone()], 70_000);
    let log = fx.log();
    assert_eq!(log.size(), 70_001);
    assert_eq!(log.find("golang.org/toolchain", MODVER), Some(35_000));
    fx.set_tamper(Tamper {
        forged_tiles: true,
        ..Tamper::default()
    });
    let sb = Sandbox::new();
    let out = gov_via(&sb, &fx, &["install", V, "--source", "proxy"], &[]);
    let err = assert_exit(&out, 1, "install through two forged tiles");
    assert!(
        err.contains("tile tile/8/1/000 does not hash to its entry in tile/8/2/000.p/1"),
        "{err}"
    );
    assert!(err.contains("hint:"), "no advice: {err}");
    let reqs = fx.requests();
    for forged in ["tile/8/0/136", "tile/8/1/000"] {
        assert!(
            reqs.contains(&format!("/sumdb/{DB}/{forged}")),
            "the forged {forged} was not asked for: {reqs:?}"
        );
        let cached = sb.home().join(format!("cache/sumdb/{DB}/{forged}"));
        assert!(!cached.exists(), "{} was cached", cached.display());
    }
    assert!(!zip_requested(&fx), "{reqs:?}");
    assert!(sb.installed().is_empty());
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
    // The signed head itself is authentic: it is kept.
    let latest = sb.home().join(format!("sumdb/{DB}/latest"));
    assert_eq!(std::fs::read(&latest).ok(), Some(fx.latest_note()));
}

/// A mirror may lag: an older tree head that is a prefix of the stored one
/// is accepted and the stored head kept; an older head of a forked log is
/// a security error, and nothing changes.
#[test]
fn an_older_tree_head_must_be_a_prefix_of_the_stored_one() {
    let fx = small_fixture();
    let sb = Sandbox::new();
    let install = || {
        gov_via(
            &sb,
            &fx,
            &["install", V, "--source", "proxy", "--force"],
            &[],
        )
    };
    assert_ok(&install(), "first install");
    let latest = sb.home().join(format!("sumdb/{DB}/latest"));
    let stored = || text(&std::fs::read(&latest).unwrap_or_else(|e| panic!("{e}")));
    let head = stored();

    fx.set_tamper(Tamper {
        lag: 40,
        ..Tamper::default()
    });
    assert!(text(&fx.latest_note()).contains("\n261\n"));
    assert_ok(&install(), "install from a mirror 40 records behind");
    assert_eq!(stored(), head, "head kept");

    // The fork is 321 records long; 40 short, its head is older than ours.
    fx.set_tamper(Tamper {
        lag: 40,
        forked: true,
        ..Tamper::default()
    });
    fx.clear_requests();
    let goroot = sb.goroot(V);
    let ino = std::fs::metadata(&goroot).map(|m| m.ino()).unwrap_or(0);
    let err = assert_exit(&install(), 1, "install from an older forked head");
    assert!(err.contains("SECURITY ERROR"), "{err}");
    assert!(
        err.contains("tree #301 ") && err.contains("tree #281 "),
        "both tree heads are named: {err}"
    );
    assert!(!zip_requested(&fx), "{:?}", fx.requests());
    assert_eq!(stored(), head, "head kept");
    assert_eq!(std::fs::metadata(&goroot).map(|m| m.ino()).ok(), Some(ino));
    fx.set_tamper(Tamper::default());
}
