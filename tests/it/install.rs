//! Black-box tests of `gov install` and friends against a loopback mirror
//! serving generated tiny toolchains and a go.dev-format index.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use support::{Hostile, Sandbox, hostile_archive, run_program, toolchain_archive};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn shim_version(sb: &Sandbox, v: &str) -> String {
    let out = run_program(Command::new(sb.shim(v, "go")).arg("version"));
    assert!(out.status.success(), "shim failed: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn installs_verifies_and_writes_shims() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.21.13"]);
    let out = sb.gov(&["install", "1.22.5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("first_install", err);

    let goroot = sb.goroot("1.22.5");
    assert_eq!(
        std::fs::read_to_string(goroot.join("VERSION"))
            .unwrap_or_default()
            .lines()
            .next(),
        Some("go1.22.5")
    );
    assert_eq!(
        shim_version(&sb, "1.22.5"),
        "go version go1.22.5 linux/amd64"
    );
    // The shim sets GOROOT to its version.
    let out = run_program(Command::new(sb.shim("1.22.5", "go")).args(["env", "GOROOT"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        goroot.to_string_lossy()
    );
    let out = run_program(&mut Command::new(sb.shim("1.22.5", "gofmt")));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "gofmt go1.22.5"
    );

    // Modes and the in-tree symlink survive.
    let mode = |p: &str| {
        std::fs::metadata(goroot.join(p))
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0)
    };
    assert_eq!(mode("bin/go"), 0o755);
    assert_eq!(mode("VERSION"), 0o644);
    assert_eq!(mode("src"), 0o755);
    assert_eq!(
        std::fs::read_link(goroot.join("misc/link")).ok(),
        Some("../VERSION".into())
    );

    assert_eq!(sb.installed(), vec!["1.22.5"]);
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
    assert_eq!(sb.cached_archives().len(), 1);
}

#[test]
fn resolves_families_latest_and_prefixes() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.23rc1", "1.22.10", "1.22.2", "1.21.13"]);
    let err = stderr(&sb.gov(&["install", "1.22"]));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("install_of_a_family", err);
    let err = stderr(&sb.gov(&["install", "latest"]));
    // latest is the newest *stable*: 1.22.10, already there.
    insta::assert_snapshot!("install_of_latest_already_there", err);
    sb.ok(&["install", "go1.21.13"]);
    sb.ok(&["install", "1.23rc1"]);
    assert_eq!(sb.installed(), vec!["1.23rc1", "1.22.10", "1.21.13"]);
    // A family with only a pre-release is not resolved to it.
    let err = sb.fails(&["install", "1.23"], 1);
    insta::assert_snapshot!("family_with_only_a_prerelease", err);
}

#[test]
fn unknown_and_invalid_versions() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.10", "1.22.2", "1.21.13"]);
    let mut messages = String::new();
    let mut refused = |args: &[&str], code: i32| {
        let err = sb.fails(args, code);
        messages.push_str(&format!(
            "$ gov {} (exit {code})\n{}\n\n",
            args.join(" "),
            err.trim_end()
        ));
    };
    refused(&["install", "1.22.99"], 1);
    refused(&["install", "1.24"], 1);
    for bad in ["1.2x", "go", "1.22.05", "vv1.22", "v", "1.21.3rc1", "1"] {
        refused(&["install", bad], 2);
    }
    refused(&["install", "1.22.10", "--arch", "sparc"], 2);
    insta::assert_snapshot!("unknown_and_invalid_versions", messages);
    assert!(sb.installed().is_empty());
}

#[test]
fn reinstall_is_noop_and_force_swaps_atomically() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    sb.ok(&["install", "1.22.5"]);
    let marker = sb.goroot("1.22.5").join("marker");
    std::fs::write(&marker, "x").unwrap_or_else(|e| panic!("{e}"));
    let err = stderr(&sb.gov(&["install", "1.22.5"]));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("install_of_an_installed_version", err);
    assert!(marker.exists());
    let hits = sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz");
    let err = stderr(&sb.gov(&["install", "--force", "1.22.5"]));
    insta::assert_snapshot!("forced_reinstall_from_the_cache", err);
    assert!(!marker.exists(), "the old tree was replaced");
    assert_eq!(
        sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz"),
        hits,
        "no new download"
    );
    assert_eq!(
        shim_version(&sb, "1.22.5"),
        "go version go1.22.5 linux/amd64"
    );
    assert!(sb.tmp_entries().is_empty());
}

#[test]
fn checksum_mismatch_installs_nothing() {
    let sb = Sandbox::new();
    let good = toolchain_archive("1.22.5", "amd64", 0);
    let other = toolchain_archive("1.22.5", "amd64", 5000);
    sb.publish(&[(&good, true)]);
    // The mirror serves different bytes of the same size class.
    let mut evil = good.bytes.clone();
    let n = evil.len();
    evil[n / 2] ^= 0xff;
    sb.server
        .put("/dl/go1.22.5.linux-amd64.tar.gz", evil.clone());
    let err = sb.fails(&["install", "1.22.5"], 1);
    {
        let evil_sha256 = support::sha256_hex(&evil);
        let _redactions = support::snapshot::redactions_naming(&[
            (&good.sha256, "[EXPECTED-SHA256]"),
            (&evil_sha256, "[ACTUAL-SHA256]"),
        ]);
        insta::assert_snapshot!("checksum_mismatch", err);
    }
    assert!(sb.installed().is_empty());
    assert!(!sb.goroot("1.22.5").exists());
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
    assert!(sb.cached_archives().is_empty(), "bad bytes are not cached");
    assert!(!sb.shim("1.22.5", "go").exists());

    // A different file (another size) is refused before extraction.
    sb.server
        .put("/dl/go1.22.5.linux-amd64.tar.gz", other.bytes.clone());
    let err = sb.fails(&["install", "1.22.5"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("size_differs_from_the_index", err);
    assert!(sb.installed().is_empty());
}

#[test]
fn a_dropped_connection_resumes_with_range() {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.22.5", "amd64", 2 << 20);
    sb.publish(&[(&a, true)]);
    let path = "/dl/go1.22.5.linux-amd64.tar.gz";
    sb.server.truncate_next(path, 300_000, 1);
    sb.ok(&["install", "1.22.5"]);
    assert_eq!(sb.server.hits(path), 2);
    let resumed = sb
        .server
        .requests()
        .into_iter()
        .filter(|r| r.route == path)
        .nth(1);
    let range = resumed
        .as_ref()
        .and_then(|r| r.header("range"))
        .map(str::to_string);
    assert_eq!(range.as_deref(), Some("bytes=300000-"));
    assert_eq!(
        shim_version(&sb, "1.22.5"),
        "go version go1.22.5 linux/amd64"
    );
}

#[test]
fn a_body_that_stays_truncated_fails_cleanly() {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.22.5", "amd64", 1 << 20);
    sb.publish(&[(&a, true)]);
    sb.server
        .truncate_next("/dl/go1.22.5.linux-amd64.tar.gz", 100_000, 1000);
    let err = sb.fails(&["install", "1.22.5"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("download_that_stays_truncated", err);
    assert!(sb.installed().is_empty());
    assert!(sb.tmp_entries().is_empty(), "{:?}", sb.tmp_entries());
    assert!(sb.cached_archives().is_empty());
}

#[test]
fn transient_503_is_retried() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let path = "/dl/go1.22.5.linux-amd64.tar.gz";
    sb.server.fail_next(path, 503, 2);
    sb.server.fail_next("/dl/index.json", 502, 1);
    sb.ok(&["install", "1.22.5"]);
    assert_eq!(sb.server.hits(path), 3);
    assert_eq!(sb.server.hits("/dl/index.json"), 2);
}

#[test]
fn retries_are_bounded_and_tunable() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let path = "/dl/go1.22.5.linux-amd64.tar.gz";
    sb.server.fail_next(path, 503, 100);
    let out = sb
        .cmd()
        .env("GOV_HTTP_RETRIES", "2")
        .args(["install", "1.22.5"])
        .output();
    let out = out.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("retries_exhausted", err);
    assert_eq!(sb.server.hits(path), 3);
}

#[test]
fn mirrors_fail_over_on_404_refusal_and_5xx() {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.22.5", "amd64", 0);
    // The index is served by the main server; the archive only by a second.
    let mut idx = support::IndexBuilder::new();
    idx.add_archive(&a, true);
    sb.server.put("/dl/index.json", idx.to_json());
    let second = support::TestServer::start();
    second.put("/go/go1.22.5.linux-amd64.tar.gz", a.bytes.clone());
    let broken = support::TestServer::start();
    broken.fail_next("/x/go1.22.5.linux-amd64.tar.gz", 500, 1000);
    let refused = support::start_refusing_port();
    let mirrors = format!(
        "http://127.0.0.1:{refused}/go,{}/dl,{}/x,{}/go",
        sb.server.url(),
        broken.url(),
        second.url()
    );
    let out = sb
        .cmd()
        .env("GOV_MIRROR", &mirrors)
        .env("GOV_HTTP_RETRIES", "1")
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz"),
        1,
        "404 is not retried"
    );
    assert_eq!(
        broken.hits("/x/go1.22.5.linux-amd64.tar.gz"),
        2,
        "5xx retried once"
    );
    assert_eq!(second.hits("/go/go1.22.5.linux-amd64.tar.gz"), 1);
    assert_eq!(sb.installed(), vec!["1.22.5"]);
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let out = sb
        .cmd()
        .env("GOV_MIRROR", "http://mirror.example.invalid/go")
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("plain_http_mirror", stderr(&out));
    let out = sb
        .cmd()
        .env("GOV_INDEX_URL", "ftp://example.invalid/index.json")
        .args(["list-remote"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hostile_archives_are_refused_and_leave_nothing() {
    for kind in Hostile::ALL {
        let sb = Sandbox::new();
        let a = hostile_archive("1.22.5", "amd64", kind);
        sb.publish(&[(&a, true)]);
        let out = sb.gov(&["install", "1.22.5"]);
        let err = stderr(&out);
        if !kind.must_refuse() {
            assert!(out.status.success(), "{kind:?}: {err}");
            let m = std::fs::metadata(sb.goroot("1.22.5").join("bin/suid"))
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0);
            assert_eq!(m, 0o755, "setuid bit dropped");
            continue;
        }
        assert_eq!(
            out.status.code(),
            Some(1),
            "{kind:?} must be refused: {err}"
        );
        assert!(err.contains("error:"), "{kind:?}: {err}");
        assert!(sb.installed().is_empty(), "{kind:?}");
        assert!(!sb.goroot("1.22.5").exists(), "{kind:?}");
        assert!(
            sb.tmp_entries().is_empty(),
            "{kind:?}: {:?}",
            sb.tmp_entries()
        );
        assert!(sb.cached_archives().is_empty(), "{kind:?}");
        if let Some(escape) = &a.escape_path {
            let p = std::path::Path::new(escape);
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                sb.home().join("tmp/x").join(p)
            };
            assert!(!p.exists(), "{kind:?} wrote {}", p.display());
        }
        if let Some(bad) = &a.bad_entry {
            // The two-step escape is caught at its first step, the link.
            let first_step = if kind == Hostile::WriteThroughSymlink {
                "go/d`"
            } else {
                bad
            };
            assert!(
                err.contains(first_step),
                "{kind:?}: the error names the entry {bad}: {err}"
            );
        }
    }
}

#[test]
fn an_archive_that_lies_about_its_version_is_refused() {
    let sb = Sandbox::new();
    let mut a = toolchain_archive("1.22.4", "amd64", 0);
    a.filename = "go1.22.5.linux-amd64.tar.gz".into();
    a.version = "1.22.5".into();
    sb.publish(&[(&a, true)]);
    let err = sb.fails(&["install", "1.22.5"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("archive_lying_about_its_version", err);
    assert!(sb.installed().is_empty());
    assert!(sb.tmp_entries().is_empty());
}

#[test]
fn parallel_installs_of_one_version_download_once() {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.22.5", "amd64", 1 << 20);
    sb.publish(&[(&a, true)]);
    let path = "/dl/go1.22.5.linux-amd64.tar.gz";
    sb.server.delay_body(path, Duration::from_millis(40));
    // Warm the index cache so that every process goes straight for the lock.
    sb.ok(&["list-remote"]);
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut c = sb.std_cmd();
            c.args(["install", "1.22.5"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let mut installed = 0;
    let mut waited = 0;
    for o in &outs {
        let err = stderr(o);
        assert!(o.status.success(), "{err}");
        installed += err.contains("Installed Go 1.22.5") as usize;
        waited += err.contains("waiting for another gov process") as usize;
        if !err.contains("Installed Go 1.22.5") {
            assert!(err.contains("already installed"), "{err}");
        }
    }
    assert_eq!(installed, 1, "exactly one process did the work");
    assert!(waited >= 1, "the others said they were waiting");
    assert_eq!(sb.server.hits(path), 1, "one download");
    assert_eq!(
        shim_version(&sb, "1.22.5"),
        "go version go1.22.5 linux/amd64"
    );
}

#[test]
fn sigkill_mid_install_leaves_previous_state_and_next_run_recovers() {
    let sb = Sandbox::new();
    let old = toolchain_archive("1.21.13", "amd64", 0);
    let new = toolchain_archive("1.22.5", "amd64", 3 << 20);
    sb.publish(&[(&new, true), (&old, true)]);
    sb.ok(&["install", "1.21.13"]);
    let path = "/dl/go1.22.5.linux-amd64.tar.gz";

    // Kill at several moments of the download and extraction.
    for delay_ms in [150u64, 400, 900] {
        sb.server.delay_body(path, Duration::from_millis(20));
        let mut c = sb.std_cmd();
        let mut child = c
            .args(["install", "1.22.5"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        // No half version is listed or runnable; the old one still works.
        assert_eq!(
            sb.installed(),
            vec!["1.21.13"],
            "after kill at {delay_ms} ms"
        );
        assert!(!sb.goroot("1.22.5").exists());
        assert!(!sb.shim("1.22.5", "go").exists());
        assert_eq!(
            shim_version(&sb, "1.21.13"),
            "go version go1.21.13 linux/amd64"
        );
    }
    assert!(
        !sb.tmp_entries().is_empty(),
        "the kills left leftovers to clean"
    );

    sb.server.delay_body(path, Duration::ZERO);
    sb.ok(&["install", "1.22.5"]);
    assert_eq!(sb.installed(), vec!["1.22.5", "1.21.13"]);
    assert!(
        sb.tmp_entries().is_empty(),
        "leftovers cleaned: {:?}",
        sb.tmp_entries()
    );
    assert_eq!(
        shim_version(&sb, "1.22.5"),
        "go version go1.22.5 linux/amd64"
    );
}

#[test]
fn works_offline_from_a_warm_cache() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.21.13"]);
    sb.ok(&["install", "1.22.5"]);
    sb.ok(&["uninstall", "1.22.5"]);
    // The network goes away: index and archive requests now fail.
    sb.server.fail_next("/dl/index.json", 503, 1000);
    sb.server
        .fail_next("/dl/go1.22.5.linux-amd64.tar.gz", 503, 1000);
    // Within the TTL no request is made at all.
    let before = sb.server.hits("/dl/index.json");
    let out = sb.ok(&["list-remote"]);
    assert!(out.contains("1.22.5") && out.contains("1.21.13"), "{out}");
    assert_eq!(sb.server.hits("/dl/index.json"), before);
    // Past the TTL the stale copy is used, saying how old it is.
    let out = sb
        .cmd()
        .env("GOV_INDEX_TTL", "0")
        .env("GOV_HTTP_RETRIES", "0")
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("install_from_a_stale_index_copy", err);
}

#[test]
fn the_index_is_revalidated_with_etag() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    sb.ok(&["list-remote"]);
    sb.server.clear_requests();
    let out = sb
        .cmd()
        .env("GOV_INDEX_TTL", "0")
        .args(["list-remote"])
        .output();
    assert!(out.is_ok_and(|o| o.status.success()));
    let reqs = sb.server.requests();
    let r = reqs.iter().find(|r| r.route == "/dl/index.json");
    let etag = sb.server.etag("/dl/index.json");
    assert!(etag.is_some());
    assert_eq!(r.and_then(|r| r.header("if-none-match")), etag.as_deref());
    // A new release appears: a version missing from the warm cache triggers
    // one revalidation instead of a wrong "not found".
    sb.publish_versions(&["1.22.6", "1.22.5"]);
    sb.ok(&["install", "1.22.6"]);
}

#[test]
fn install_from_a_local_file() {
    let sb = Sandbox::new();
    let archives = sb.publish_versions(&["1.22.5", "1.21.13"]);
    let files = sb.dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap_or_else(|e| panic!("{e}"));
    let f22 = archives[0].write_to(&files);
    let f21 = archives[1].write_to(&files);

    // Verified against the index.
    let err = stderr(
        &sb.cmd()
            .args(["install", "--file"])
            .arg(&f22)
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("install_from_a_file", err);

    // Index unreachable and not cached: needs --sha256 or --no-verify.
    let offline = |args: &[&str]| {
        sb.cmd()
            .env(
                "GOV_INDEX_URL",
                format!(
                    "http://127.0.0.1:{}/index.json",
                    support::start_refusing_port()
                ),
            )
            .env("GOV_HTTP_RETRIES", "0")
            .args(args)
            .arg(&f21)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let out = offline(&["install", "--file"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("file_install_offline_without_a_checksum", stderr(&out));
    let bad = "0".repeat(64);
    let out = offline(&["install", "--sha256", &bad, "--file"]);
    insta::assert_snapshot!("file_install_with_a_wrong_checksum", stderr(&out));
    let out = offline(&["install", "--sha256", "xyz", "--file"]);
    assert_eq!(out.status.code(), Some(2));
    let out = offline(&["install", "--sha256", &archives[1].sha256, "--file"]);
    assert!(out.status.success(), "{}", stderr(&out));
    sb.ok(&["uninstall", "1.21.13"]);
    let out = offline(&["install", "--no-verify", "--file"]);
    assert!(out.status.success());
    insta::assert_snapshot!("file_install_without_verification", stderr(&out));
    assert_eq!(sb.installed(), vec!["1.22.5", "1.21.13"]);
}

#[test]
fn file_mirrors_serve_air_gapped_hosts() {
    let sb = Sandbox::new();
    let archives = sb.publish_versions(&["1.22.5"]);
    let dir = sb.dir.path().join("mirror");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    archives[0].write_to(&dir);
    std::fs::write(
        dir.join("index.json"),
        sb.server.requests().len().to_string(),
    )
    .ok();
    let mut idx = support::IndexBuilder::new();
    idx.add_archive(&archives[0], true);
    std::fs::write(dir.join("index.json"), idx.to_json()).unwrap_or_else(|e| panic!("{e}"));
    let out = sb
        .cmd()
        .env(
            "GOV_INDEX_URL",
            format!("file://{}/index.json", dir.display()),
        )
        .env("GOV_MIRROR", format!("file://{}", dir.display()))
        .args(["install", "1.22"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz"), 0);
    assert_eq!(
        shim_version(&sb, "1.22.5"),
        "go version go1.22.5 linux/amd64"
    );
}

#[test]
fn uninstall_removes_tree_and_shims() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.21.13"]);
    sb.ok(&["install", "1.22.5"]);
    sb.ok(&["install", "1.21.13"]);
    let err = sb.fails(&["uninstall", "1.20.1"], 1);
    insta::assert_snapshot!("uninstall_of_a_version_not_installed", err);
    sb.fails(&["uninstall", "bogus"], 2);
    sb.ok(&["uninstall", "1.21.13"]);
    assert_eq!(sb.installed(), vec!["1.22.5"]);
    assert!(!sb.shim("1.21.13", "go").exists());
    assert!(sb.tmp_entries().is_empty());
    // The archive stays cached: reinstalling costs no download.
    let hits = sb.server.hits("/dl/go1.21.13.linux-amd64.tar.gz");
    sb.ok(&["install", "1.21.13"]);
    assert_eq!(sb.server.hits("/dl/go1.21.13.linux-amd64.tar.gz"), hits);
}

#[test]
fn list_remote_filters_and_json() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.23rc1", "1.22.10", "1.22.2", "1.21.13", "1.20.14"]);
    sb.ok(&["install", "1.21.13"]);
    let out = sb.ok(&["list-remote"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec!["1.22.10", "1.22.2", "1.21.13      installed"],
        "{out}"
    );
    let all = sb.ok(&["list-remote", "--all"]);
    assert!(
        all.contains("1.23rc1      unstable") && all.contains("1.20.14"),
        "{all}"
    );
    let fam = sb.ok(&["list-remote", "1.20"]);
    assert_eq!(fam.trim(), "1.20.14");
    let json: serde_json::Value =
        serde_json::from_str(&sb.ok(&["list-remote", "--json", "--all"])).unwrap_or_default();
    let arr = json.as_array().cloned().unwrap_or_default();
    assert_eq!(arr.len(), 5);
    assert_eq!(arr[0]["version"], "1.23rc1");
    assert_eq!(arr[0]["stable"], false);
    assert_eq!(arr[3]["installed"], true);
    assert_eq!(arr[3]["filename"], "go1.21.13.linux-amd64.tar.gz");
    assert_eq!(arr[3]["sha256"].as_str().map(str::len), Some(64));
}

#[test]
fn version_flag_and_usage_errors() {
    let sb = Sandbox::new();
    let out = sb.ok(&["--version"]);
    assert!(out.starts_with("gov "), "{out}");
    sb.fails(&["install"], 2);
    sb.fails(&["frobnicate"], 2);
}

/// Every subcommand's --help shows at least one example.
#[test]
fn every_subcommand_help_has_an_example() {
    let sb = Sandbox::new();
    let top = sb.ok(&["--help"]);
    let mut names: Vec<String> = Vec::new();
    let mut in_commands = false;
    for line in top.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            let Some(name) = line.split_whitespace().next() else {
                break;
            };
            if !line.starts_with("  ") {
                break;
            }
            if name != "help" {
                names.push(name.to_string());
            }
        }
    }
    assert!(names.len() >= 18, "subcommands found: {names:?}");
    for name in &names {
        let help = sb.ok(&[name, "--help"]);
        assert!(
            help.contains("Example"),
            "`gov {name} --help` has no example:\n{help}"
        );
    }
    let proxy = sb.ok(&["proxy", "--help"]);
    assert!(proxy.contains("gov proxy use cn"), "{proxy}");
}

/// On a terminal a progress bar (bytes, rate, ETA); otherwise a line per
/// tenth and the summary line; `--quiet` prints nothing.
#[test]
fn progress_bar_only_on_a_terminal() {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.22.5", "amd64", 4 << 20);
    sb.publish(&[(&a, true)]);
    sb.server
        .delay_body("/dl/go1.22.5.linux-amd64.tar.gz", Duration::from_millis(15));
    let gov = assert_cmd::cargo::cargo_bin("gov");
    // `script` gives the command a pseudo-terminal.
    let mut c = sb.env_cmd("script");
    c.args([
        "-qec",
        &format!("{} install 1.22.5", gov.display()),
        "/dev/null",
    ]);
    let out = run_program(&mut c);
    let tty = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{tty}");
    assert!(tty.contains("go1.22.5 ["), "{tty}");
    assert!(tty.contains("MiB/") && tty.contains("eta"), "{tty}");
    assert!(tty.contains("Installed Go 1.22.5"), "{tty}");

    sb.ok(&["uninstall", "1.22.5"]);
    let out = sb.gov(&["install", "--force", "1.22.5"]);
    let err = stderr(&out);
    assert!(!err.contains("eta"), "no bar without a terminal: {err}");
    // For logs: one line per tenth of the download, then the summary.
    let progress: Vec<&str> = err.lines().filter(|l| l.contains("% (")).collect();
    let tenths: Vec<String> = (1..=10)
        .map(|t| format!("go1.22.5: {}% (", t * 10))
        .collect();
    assert_eq!(progress.len(), 10, "{err}");
    for (line, want) in progress.iter().zip(&tenths) {
        assert!(line.starts_with(want.as_str()), "{line} vs {want}: {err}");
    }
    assert!(!err.contains('\u{1b}'), "no escapes in logs: {err}");
    // The sandbox's GOSUMDB is unreachable: one note says so.
    assert_eq!(
        err.lines()
            .filter(|l| !l.is_empty() && !l.contains("% (") && !l.starts_with("no log proof"))
            .count(),
        2,
        "{err}"
    );
    let out = sb.gov(&["install", "--force", "--quiet", "1.22.5"]);
    assert_eq!(stderr(&out), "");
}

/// Every installed version gets `go<version>` in GOV_BIN_DIR (the name
/// cmd/go looks up in PATH before downloading a toolchain), also for the
/// system layer; it runs exactly that version whatever argv[0] it is given
/// (cmd/go execs it with its own argv[0]), and leaves with the version. A
/// file there that is not gov's is never replaced nor removed.
#[test]
fn version_entry_points_follow_installs_and_spare_foreign_files() {
    use std::os::unix::process::CommandExt;
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.10", "1.21.13"]);
    let hostile = sb.bin().join("go1.21.13");
    std::fs::write(&hostile, "#!/bin/sh\necho not gov\n").unwrap_or_else(|e| panic!("{e}"));
    sb.ok(&["install", "1.22.10"]);
    let out = sb.gov(&["install", "1.21.13"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("versioned_entry_point_not_gov_s", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&hostile).unwrap_or_default(),
        "#!/bin/sh\necho not gov\n"
    );
    assert!(!sb.bin().join("gofmt1.22.10").exists());
    // doctor names the version whose entry point is not gov's.
    let doc =
        String::from_utf8_lossy(&sb.gov(&["doctor", "--offline", "--json"]).stdout).to_string();
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
    let found = |id: &str| {
        v["checks"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == id))
            .cloned()
            .unwrap_or_default()
    };
    let hidden = found("versions.1.21.13");
    assert_eq!(hidden["status"], "warning", "{hidden}");
    assert!(
        hidden["finding"].to_string().contains("not gov's"),
        "{hidden}"
    );
    assert_eq!(found("versions.1.22.10")["status"], "ok", "{v}");
    // The global says 1.21.13; the entry point's name wins, under any argv[0].
    sb.ok(&["global", "1.21.13"]);
    let entry = sb.bin().join("go1.22.10");
    for arg0 in ["go1.22.10", "go", "/usr/local/go/bin/go"] {
        let out = run_program(sb.env_cmd(&entry).arg0(arg0).arg("version"));
        assert!(out.status.success(), "{arg0}: {}", stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("go1.22.10"),
            "{arg0}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // Its tree gone behind gov's back: a clear error, not another version.
    sb.ok(&["uninstall", "1.22.10"]);
    assert!(!entry.exists(), "uninstall removes go1.22.10");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("gov"), &entry)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run_program(sb.env_cmd(&entry).arg("version"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    insta::assert_snapshot!("versioned_entry_point_of_a_removed_tree", stderr(&out));
    std::fs::remove_file(&entry).unwrap_or_else(|e| panic!("{e}"));
    // Uninstall leaves the foreign file alone.
    sb.ok(&["install", "1.22.10"]);
    sb.ok(&["global", "1.22.10"]);
    sb.ok(&["uninstall", "1.21.13"]);
    assert!(hostile.exists(), "a file gov did not make is not removed");
    // The system layer's entry points go to GOV_SYSTEM_BIN_DIR.
    if support::account::is_root() {
        sb.ok(&["install", "--system", "1.21.13"]);
        assert!(sb.dir.path().join("sysbin/go1.21.13").exists());
        sb.ok(&["uninstall", "--system", "1.21.13"]);
        assert!(!sb.dir.path().join("sysbin/go1.21.13").exists());
    }
}

/// An account installing what the system layer already holds gets that
/// copy (nothing downloaded, told where it is); `--force` installs its own.
#[test]
fn a_version_in_the_system_layer_is_not_downloaded_again() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    sb.ok(&["install", "--system", "1.22.5"]);
    let archives = || {
        sb.server
            .requests()
            .iter()
            .filter(|r| r.route.ends_with(".tar.gz"))
            .count()
    };
    let fetched = archives();
    let out = sb
        .cmd()
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(err.contains("system layer"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert!(!sb.home().join("versions/1.22.5").exists());
    assert_eq!(archives(), fetched, "no second download");
    let json = sb.ok(&["install", "1.22.5", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(v["changed"], false, "{v}");
    assert_eq!(v["action"], "already-installed", "{v}");
    assert!(
        v["goroot"]
            .as_str()
            .unwrap_or("")
            .starts_with(&sb.system_home().display().to_string()),
        "{v}"
    );

    sb.ok(&["install", "--force", "1.22.5"]);
    assert!(sb.home().join("versions/1.22.5/bin").is_dir());
}

/// On a journaled filesystem (ext4 with its journal, XFS) an install waits
/// only for its own data: it never syncs the whole filesystem (`syncfs`
/// would also wait for every other process's dirty pages); it waits for
/// each file it wrote (`sync_file_range`) and commits with one fsync before
/// the tree is published. Elsewhere it syncs the filesystem once.
#[test]
fn install_syncs_its_own_files_not_the_filesystem() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let log = sb.dir.path().join("install.strace");
    let mut cmd = Command::new("strace");
    cmd.args([
        "-f",
        "-qq",
        "-e",
        "trace=syncfs,sync,fsync,fdatasync,sync_file_range",
        "-o",
    ])
    .arg(&log)
    .arg(assert_cmd::cargo::cargo_bin("gov"))
    .args(["install", "1.22.5"]);
    for (k, v) in sb.std_cmd().get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = run_program(&mut cmd);
    assert!(
        out.status.success(),
        "strace (apt-get install strace) of gov install: {}",
        stderr(&out)
    );
    let calls = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{e}"));
    assert!(!calls.contains(" sync("), "{calls}");
    if !gov::core::fsutil::syncs_own_data_only(sb.dir.path()) {
        // No journal vouches for the other files (an ext4 without one,
        // overlayfs...): the filesystem is synced whole, once.
        assert_eq!(calls.matches("syncfs(").count(), 1, "{calls}");
        return;
    }
    assert!(!calls.contains("syncfs("), "{calls}");
    let fsyncs = calls.lines().filter(|l| l.contains("fsync(")).count();
    let waits = calls
        .lines()
        .filter(|l| l.contains("sync_file_range(") && l.contains("WAIT_AFTER"))
        .count();
    let mut files = 0;
    let mut dirs = vec![sb.goroot("1.22.5")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{e}")) {
            let e = e.unwrap_or_else(|e| panic!("{e}"));
            let ft = e.file_type().unwrap_or_else(|e| panic!("{e}"));
            if ft.is_dir() {
                dirs.push(e.path());
            } else if ft.is_file() {
                files += 1;
            }
        }
    }
    assert!(
        fsyncs >= 1 && fsyncs + waits >= files,
        "{fsyncs} fsyncs and {waits} waits for {files} files:\n{calls}"
    );
}
