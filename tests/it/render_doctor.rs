//! doctor's download path is probed once per endpoint: the `download.*`
//! checks and `toolchains.release` read the same answers.

use crate::support::Sandbox;

fn checks(out: &std::process::Output) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    v["checks"].as_array().cloned().unwrap_or_default()
}

fn status(checks: &[serde_json::Value], id: &str) -> String {
    checks
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no {id} in {checks:?}"))
        .to_string()
}

#[test]
fn the_index_and_the_archive_are_each_asked_for_once() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    sb.ok(&["proxy", "set", "GOPROXY=off", "GOSUMDB=off"]);
    sb.server.clear_requests();
    let out = sb.gov(&["doctor", "--json"]);
    let checks = checks(&out);
    for id in [
        "download.index.http",
        "download.mirror.http",
        "toolchains.release",
    ] {
        assert_eq!(status(&checks, id), "ok", "{id}: {checks:?}");
    }
    let archive = "/dl/go1.22.5.linux-amd64.tar.gz";
    let asked: Vec<String> = sb
        .server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(sb.server.hits("/dl/index.json"), 1, "{asked:?}");
    assert_eq!(sb.server.hits(archive), 1, "{asked:?}");

    // The mirror loses the archive: both sections say so from that one
    // answer, the release check with the advice the 404 calls for.
    sb.server.remove(archive);
    sb.server.clear_requests();
    let checks = self::checks(&sb.gov(&["doctor", "--json"]));
    assert_eq!(status(&checks, "download.mirror.http"), "problem");
    assert_eq!(status(&checks, "toolchains.release"), "warning");
    let release = checks
        .iter()
        .find(|c| c["id"] == "toolchains.release")
        .cloned()
        .unwrap_or_default();
    assert!(
        release["advice"]
            .as_str()
            .is_some_and(|a| a.contains("gov mirror sync")),
        "{release}"
    );
    assert_eq!(sb.server.hits(archive), 1);
}
