//! Hostile networks, mirrors and archives: redirects to plain http on any
//! hop, credentials over plain http, oversized index bodies, decompression
//! bombs, mirrors answering 200 with the wrong bytes, symlink chains that
//! leave the tree, escaping links and hostile VERSION files in `gov import`, and `gov uninstall`'s
//! rules.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::{ForwardProxy, Sandbox, ToolchainArchive, toolchain_archive};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sh(script: &str, cwd: &Path) {
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(cwd)
        .output()
        .unwrap_or_else(|e| panic!("sh: {e}"));
    assert!(out.status.success(), "{script}: {}", text(&out.stderr));
}

/// A copy of the installed Go 1.22.5 tree at `copy-<name>`, changed by
/// the shell command `change` run inside the copy.
fn tree_copy(sb: &Sandbox, name: &str, change: &str) -> PathBuf {
    let copy = sb.dir.path().join(format!("copy-{name}"));
    sh(
        &format!(
            "cp -a '{}' '{}' && cd '{}' && {change}",
            sb.goroot("1.22.5").display(),
            copy.display(),
            copy.display()
        ),
        sb.dir.path(),
    );
    copy
}

/// `gov import <copy>` into a home of its own (`import-<name>`).
fn import_fresh(sb: &Sandbox, name: &str, copy: &Path) -> std::process::Output {
    sb.cmd()
        .env("GOV_HOME", sb.dir.path().join(format!("import-{name}")))
        .arg("import")
        .arg(copy)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A release archive of `version` built with the system's tar from an
/// honest tiny toolchain plus `extra` (a shell script run in the unpacked
/// folder, next to `go/`).
fn doctored_archive(version: &str, extra: &str) -> ToolchainArchive {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let honest = toolchain_archive(version, "amd64", 0);
    std::fs::write(dir.path().join("a.tar.gz"), &honest.bytes).unwrap_or_else(|e| panic!("{e}"));
    sh(
        &format!("tar -xzf a.tar.gz && rm a.tar.gz && {extra} && tar -czf out.tar.gz go"),
        dir.path(),
    );
    let bytes = std::fs::read(dir.path().join("out.tar.gz")).unwrap_or_else(|e| panic!("{e}"));
    ToolchainArchive::finish(version, "amd64", bytes)
}

#[test]
fn redirects_to_plain_http_are_refused_on_every_hop() {
    let sb = Sandbox::new();
    let archives = sb.publish_versions(&["1.22.5"]);
    // The index, then an archive, redirect to plain http on a remote host.
    sb.server.redirect(
        "/dl/index.json",
        "http://mirror.gov-test.invalid/index.json",
    );
    let _redactions = support::snapshot::redactions();
    let err = sb.fails(&["list-remote"], 1);
    insta::assert_snapshot!("index_redirected_to_plain_http", err);
    sb.server.remove("/dl/index.json");
    sb.publish_versions(&["1.22.5"]);
    let path = format!("/dl/{}", archives[0].filename);
    sb.server
        .redirect(&path, "http://mirror.gov-test.invalid/go.tar.gz");
    let err = sb.fails(&["install", "1.22.5"], 1);
    insta::assert_snapshot!("archive_redirected_to_plain_http", err);
    assert!(sb.installed().is_empty());
    // A redirect that stays within the policy (loopback here) is followed.
    sb.server.put("/moved/go.tar.gz", archives[0].bytes.clone());
    sb.server
        .redirect(&path, &sb.server.url_for("/moved/go.tar.gz"));
    sb.ok(&["install", "1.22.5"]);
}

#[test]
fn netrc_credentials_never_travel_over_plain_http_to_a_remote_host() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let netrc = sb.dir.path().join("netrc");
    std::fs::write(
        &netrc,
        format!(
            "machine mirror.corp.example login ci password s3cret\nmachine 127.0.0.1:{} login ci password s3cret\n",
            sb.server.addr().port()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let proxy = ForwardProxy::start(sb.server.addr());
    // Plain http to a remote name (through a proxy, opted in): no secret.
    let out = sb
        .cmd()
        .env("NETRC", &netrc)
        .env("GOV_ALLOW_HTTP", "1")
        .env("HTTP_PROXY", proxy.url())
        .env("http_proxy", proxy.url())
        .env("NO_PROXY", "")
        .env("GOV_INDEX_URL", "http://mirror.corp.example/dl/index.json")
        .env("GOV_MIRROR", "http://mirror.corp.example/dl")
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen = proxy.seen();
    assert!(
        seen.iter().any(|s| s.contains("mirror.corp.example")),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|s| s.starts_with("AUTHORIZATION")),
        "credentials sent over plain http: {seen:?}"
    );
    // To loopback they are sent (a local mirror or test server).
    sb.server.clear_requests();
    let out = sb
        .cmd()
        .env("NETRC", &netrc)
        .args(["list-remote"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        sb.server
            .requests()
            .iter()
            .any(|r| r.header("authorization").is_some()),
        "loopback request without credentials"
    );
}

#[test]
fn an_oversized_index_body_is_refused() {
    let sb = Sandbox::new();
    // A valid index padded with 80 MB of whitespace: JSON parsers accept it.
    let honest = toolchain_archive("1.22.5", "amd64", 0);
    let mut idx = support::IndexBuilder::new();
    idx.add_archive(&honest, true);
    let mut body = idx.to_json();
    let close = body.pop().unwrap_or(b']');
    body.extend(std::iter::repeat_n(b' ', 80 << 20));
    body.push(close);
    sb.server.put("/dl/index.json", body);
    let err = sb.fails(&["list-remote"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("index_too_large", err);
}

#[test]
fn a_decompression_bomb_stops_early() {
    let sb = Sandbox::new();
    // 400 MB of zeros in a ~400 KB archive, with the right checksum in the
    // index: only the size bound can stop it.
    let bomb = doctored_archive("1.22.5", "truncate -s 400M go/lib/zeros");
    assert!(bomb.bytes.len() < 4 << 20, "{}", bomb.bytes.len());
    sb.publish(&[(&bomb, true)]);
    let t = Instant::now();
    let err = sb.fails(&["install", "1.22.5"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("decompression_bomb", err);
    assert!(t.elapsed() < Duration::from_secs(60));
    assert!(sb.installed().is_empty());
    assert_eq!(sb.tmp_entries(), Vec::<String>::new());
}

#[test]
fn a_mirror_serving_wrong_bytes_is_passed_over_and_every_failure_reported() {
    let sb = Sandbox::new();
    let a = &sb.publish_versions(&["1.22.5"])[0];
    let login = b"<html><body>Please log in</body></html>".to_vec();
    sb.server.put(&format!("/login/{}", a.filename), login);
    let mut same_size = a.bytes.clone();
    let mid = same_size.len() / 2;
    same_size[mid] ^= 0xff;
    sb.server.put(&format!("/stale/{}", a.filename), same_size);
    let mirrors = format!(
        "{},{},{}",
        sb.server.url_for("/login"),
        sb.server.url_for("/stale"),
        sb.mirror()
    );
    let out = sb
        .cmd()
        .env("GOV_MIRROR", &mirrors)
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("wrong_mirrors_skipped", err);
    assert_eq!(sb.installed(), vec!["1.22.5".to_string()]);
    // None right: exit 1, both reasons listed, nothing installed or cached.
    sb.ok(&["global", "1.22.5"]);
    let out = sb
        .cmd()
        .env(
            "GOV_MIRROR",
            format!(
                "{},{}",
                sb.server.url_for("/login"),
                sb.server.url_for("/stale")
            ),
        )
        .args(["install", "--force", "1.22.5"])
        .env("GOV_HOME", sb.dir.path().join("other-home"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    insta::assert_snapshot!("no_mirror_served_the_right_bytes", err);
}

#[test]
fn symlink_chains_that_leave_the_tree_are_refused() {
    let sb = Sandbox::new();
    // go/a/b -> .. (the tree root), go/c -> a/b/.. (lexically go/a, really
    // the folder above the tree).
    let evil = doctored_archive(
        "1.22.5",
        "mkdir -p go/a && ln -s .. go/a/b && ln -s a/b/.. go/c",
    );
    sb.publish(&[(&evil, true)]);
    let err = sb.fails(&["install", "1.22.5"], 1);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("symlink_chain_leaves_the_tree", err);
    assert!(sb.installed().is_empty());
}

#[test]
fn import_refuses_absolute_and_escaping_symlinks() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    for (name, target) in [("abs", "/etc/passwd"), ("up", "../../../outside")] {
        let copy = tree_copy(&sb, name, &format!("ln -s '{target}' 'misc-{name}'"));
        let out = import_fresh(&sb, name, &copy);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let _redactions = support::snapshot::redactions();
        insta::assert_snapshot!(format!("import_symlink_{name}"), text(&out.stderr));
    }
}

#[test]
fn import_refuses_special_files_without_blocking_on_them() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let copy = tree_copy(&sb, "fifo", "mkfifo src/pipe");
    let started = Instant::now();
    let out = import_fresh(&sb, "fifo", &copy);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("import_special_file", err);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(!sb.dir.path().join("import-fifo/versions/1.22.5").exists());
}

#[test]
fn import_reads_version_bounded_and_shows_it_escaped() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let escapes = b"\x1b]0;owned\x07go1.22.5\x1b[2J\n".to_vec();
    let huge = vec![b'9'; 8 << 20];
    for (name, version) in [("escapes", escapes), ("huge", huge)] {
        let copy = tree_copy(&sb, name, "true");
        std::fs::write(copy.join("VERSION"), &version).unwrap_or_else(|e| panic!("{e}"));
        let out = import_fresh(&sb, name, &copy);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", err.len());
        assert!(
            !err.contains('\x1b') && !err.contains('\x07'),
            "{name}: raw control characters on screen: {err:?}"
        );
        assert!(err.len() < 4096, "{name}: {} bytes of error", err.len());
        let _redactions = support::snapshot::redactions();
        insta::assert_snapshot!(format!("import_version_file_{name}"), err);
    }
}

#[test]
fn uninstall_has_one_rule_warns_about_running_builds_and_leaves_no_shims() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.21.13");
    for req in ["latest", "1.22"] {
        let err = sb.fails(&["uninstall", req], 2);
        insta::assert_snapshot!(format!("uninstall_{req}_is_ambiguous"), err);
    }
    assert_eq!(sb.installed().len(), 2);
    // A build running inside the tree: removed, with a warning naming it.
    let goroot = sb.goroot("1.22.5");
    let mut build = Command::new("sleep")
        .arg("30")
        .current_dir(&goroot)
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = sb.gov(&["uninstall", "1.22.5"]);
    let _ = build.kill();
    let _ = build.wait();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let pid = format!("process {}", build.id());
    let _redactions = support::snapshot::redactions_naming(&[(&pid, "process [PID]")]);
    insta::assert_snapshot!("uninstall_under_a_running_build", err);
    assert!(!sb.shim("1.22.5", "go").exists());
    // Shims an interrupted uninstall left behind are removed by the next run.
    let orphan: PathBuf = sb.home().join("shims/1.20.14");
    std::fs::create_dir_all(&orphan).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(orphan.join("go"), "#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
    sb.publish_versions(&["1.22.5"]);
    sb.ok(&["install", "1.22.5"]);
    assert!(!orphan.exists(), "orphaned shims kept");
}

/// Runs gov, killing it after `limit`: (exit code or None when killed,
/// stderr, how long it ran).
fn gov_within(
    sb: &Sandbox,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> (Option<i32>, String, Duration) {
    let mut cmd = sb.std_cmd();
    cmd.args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawning gov: {e}"));
    let code = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = start.elapsed();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    (code, err, took)
}

#[test]
fn every_request_meets_a_deadline_and_only_what_can_succeed_is_retried() {
    use support::{Misbehaviour, SlowServer};
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let deadline = [("GOV_HTTP_DEADLINE", "2")];
    let limit = Duration::from_secs(30);

    // An index that trickles a byte every 0.1 s: the idle timeout never
    // fires, the deadline does.
    // (The messages below name how far each trickle got, which varies
    // from run to run: only the setting they must name is checked.)
    let trickle = SlowServer::start(Misbehaviour::Trickle);
    let index = trickle.url_for("/index.json");
    let env = [deadline[0], ("GOV_INDEX_URL", &index)];
    let (code, err, took) = gov_within(&sb, &["list-remote"], &env, limit);
    assert_eq!(code, Some(1), "list-remote on a trickle ({took:?}): {err}");
    assert!(
        err.contains("deadline") && err.contains("GOV_HTTP_DEADLINE"),
        "{err}"
    );
    assert!(took < Duration::from_secs(15), "{took:?}");

    // An archive that trickles: its body falls below the minimum rate.
    let mirror = trickle.url_for("/dl");
    let env = [deadline[0], ("GOV_MIRROR", &mirror)];
    let (code, err, took) = gov_within(&sb, &["install", "1.22.5"], &env, limit);
    assert_eq!(code, Some(1), "install from a trickle ({took:?}): {err}");
    assert!(err.contains("GOV_HTTP_DEADLINE"), "{err}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    assert!(sb.installed().is_empty());
    // The version lock was released: the next install proceeds at once.
    sb.ok(&["install", "1.22.5"]);

    // A server that accepts and never answers: one attempt, one deadline.
    let silent = SlowServer::start(Misbehaviour::Silent);
    let index = silent.url_for("/index.json");
    let env = [deadline[0], ("GOV_INDEX_URL", &index)];
    let (code, err, took) = gov_within(&sb, &["list-remote"], &env, limit);
    assert_eq!(
        code,
        Some(1),
        "list-remote on a silent server ({took:?}): {err}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(silent.accepted(), 1, "a timeout was retried: {err}");

    // A TLS failure stays one on the next try: not retried.
    let plain = SlowServer::start(Misbehaviour::PlainText);
    let index = format!("https://127.0.0.1:{}/index.json", plain.port());
    let env = [("GOV_INDEX_URL", index.as_str())];
    let (code, err, _) = gov_within(&sb, &["list-remote"], &env, limit);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("TLS"), "{err}");
    assert_eq!(plain.accepted(), 1, "a TLS failure was retried: {err}");
}
