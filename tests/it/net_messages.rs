//! Network failures say what failed and where: the proxy actually used and
//! the variable it came from, the stage (DNS, connect, CONNECT, TLS), plain
//! words instead of resolver debug text, a mirror's 404 as a path problem,
//! and one line when a mirror falls back to the next.

use crate::support;

use support::{Sandbox, TestServer, toolchain_archive};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn no_debug_text(err: &str) {
    for bad in ["Query {", "query_type", "Os {", "kind: ", "hyper::"] {
        assert!(!err.contains(bad), "debug text `{bad}` in: {err}");
    }
}

#[test]
fn mirror_fallback_is_one_line_each_and_404_is_a_path_problem() {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.22.5", "amd64", 0);
    let mut idx = support::IndexBuilder::new();
    idx.add_archive(&a, true);
    sb.server.put("/dl/index.json", idx.to_json());
    let good = TestServer::start();
    good.put("/go/go1.22.5.linux-amd64.tar.gz", a.bytes.clone());
    let refused = support::start_refusing_port();
    let mirrors = format!(
        "http://127.0.0.1:{refused}/go,{}/wrong,{}/go",
        sb.server.url(),
        good.url()
    );
    let out = sb
        .cmd()
        .env("GOV_MIRROR", &mirrors)
        .env("GOV_HTTP_RETRIES", "0")
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let (refused, wrong, good) = (
        format!("127.0.0.1:{refused}"),
        sb.server.url().replace("http://", ""),
        good.url().replace("http://", ""),
    );
    let _redactions = support::snapshot::redactions_naming(&[
        (&refused, "[REFUSED-MIRROR]"),
        (&wrong, "[WRONG-PATH-MIRROR]"),
        (&good, "[GOOD-MIRROR]"),
    ]);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("mirror ")).collect();
    insta::assert_snapshot!("mirror_fallback_lines", lines.join("\n"));
    no_debug_text(&err);

    // Only a wrong path: exit 1, and the advice is about the path.
    let sb2 = Sandbox::new();
    sb2.server.put("/dl/index.json", idx.to_json());
    let out = sb2
        .cmd()
        .env("GOV_MIRROR", format!("{}/wrong", sb2.server.url()))
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    insta::assert_snapshot!("mirror_wrong_path", err);
}

/// `gov list-remote` against an index on a host that does not exist,
/// with `vars` set and no retry: what it says (it must fail, exit 1).
fn list_remote_unreachable(sb: &Sandbox, vars: &[(&str, &str)]) -> String {
    let mut cmd = sb.cmd();
    cmd.env_remove("NO_PROXY")
        .env("GOV_INDEX_URL", "https://index.gov-test.invalid/dl.json")
        .env("GOV_HTTP_RETRIES", "0")
        .args(["list-remote"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    err
}

#[test]
fn proxy_and_dns_failures_name_the_proxy_and_the_stage() {
    let sb = Sandbox::new();
    let refused = support::start_refusing_port();
    // A dead proxy: named with its variable, not "set HTTPS_PROXY".
    let dead = format!("http://user:secret@127.0.0.1:{refused}");
    let err = list_remote_unreachable(&sb, &[("HTTPS_PROXY", &dead)]);
    let _redactions =
        support::snapshot::redactions_naming(&[(&format!("127.0.0.1:{refused}"), "[DEAD-PROXY]")]);
    insta::assert_snapshot!("dead_proxy", err);
    assert!(
        !err.contains("secret"),
        "credentials stay out of messages: {err}"
    );
    no_debug_text(&err);

    // A proxy that refuses the tunnel (answers CONNECT with an error).
    let proxy = TestServer::start();
    let err = list_remote_unreachable(&sb, &[("https_proxy", &proxy.url())]);
    insta::assert_snapshot!("proxy_refuses_connect", err);

    // No proxy, a name that does not resolve: DNS, in words.
    let err = list_remote_unreachable(&sb, &[]);
    insta::assert_snapshot!("name_does_not_resolve", err);
    no_debug_text(&err);
}

/// doctor walks gov's own download path: the index and every mirror, stage
/// by stage, ending with a HEAD of the selected version's archive.
#[test]
fn doctor_checks_the_index_and_each_mirror_with_a_head_of_the_archive() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    sb.ok(&["proxy", "set", "GOPROXY=off", "GOSUMDB=off"]);
    // A mirror that serves another file under the same name.
    let liar = TestServer::start();
    liar.put("/go/go1.22.5.linux-amd64.tar.gz", b"short".to_vec());
    // Servers that do not answer HEAD (405, 501), one of which also
    // refuses the GET (403), and one failing (500).
    let name = "go1.22.5.linux-amd64.tar.gz";
    let archive = toolchain_archive("1.22.5", "amd64", 0);
    for (dir, head) in [("h405", 405), ("h501", 501), ("h500", 500)] {
        let path = format!("/{dir}/{name}");
        liar.put(&path, archive.bytes.clone());
        liar.answer_head(&path, head);
    }
    liar.fail_next(&format!("/h501/{name}"), 403, 5);
    let mirrors = format!(
        "{}/wrong,{}/dl,{}/go,{l}/h405,{l}/h501,{l}/h500",
        sb.server.url(),
        sb.server.url(),
        liar.url(),
        l = liar.url()
    );
    let mut cmd = sb.env_cmd("sh");
    cmd.args(["-c", "gov doctor --json"])
        .env("GOV_MIRROR", &mirrors);
    let out = support::run_program(&mut cmd);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    let by_id = |id: &str| {
        v["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["id"] == id).cloned())
            .unwrap_or_else(|| panic!("no {id} in {v:#}"))
    };
    for stage in ["dns", "tcp", "http"] {
        assert_eq!(by_id(&format!("download.index.{stage}"))["status"], "ok");
    }
    // The statuses are machine fields, compared; what each check says (its
    // finding and advice) is read by people, so it is snapshotted.
    let statuses = [
        ("download.mirror.http", "problem"),
        ("download.mirror.2.http", "ok"),
        ("download.mirror.3.http", "problem"),
        ("download.mirror.4.http", "ok"),
        ("download.mirror.5.http", "problem"),
        ("download.mirror.6.http", "problem"),
    ];
    let mut said = vec![support::snapshot::doctor_check(&by_id(
        "download.index.http",
    ))];
    for (id, status) in statuses {
        let check = by_id(id);
        assert_eq!(check["status"], status, "{check}");
        said.push(support::snapshot::doctor_check(&check));
    }
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("doctor_mirror_findings", said.join("\n"));
    assert_eq!(out.status.code(), Some(1), "problems make doctor exit 1");
}
