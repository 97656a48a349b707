//! Doctor's checks of what breaks builds although downloads work, each
//! with its healthy twin: a `,` GOPROXY chain whose first proxy is down,
//! GOSUMDB naming a URL through `go env -w`, GO111MODULE=off, exported
//! GOOS/GOARCH, `-mod=vendor` without a vendor folder, private-looking
//! module paths that reach the public checksum database.

use crate::doctor::{check, doctor, goproxy, world};
use crate::support;

fn finding(v: &serde_json::Value, id: &str) -> (String, String, String) {
    let c = check(v, id, None);
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    (s("status"), s("finding"), s("advice"))
}

#[test]
fn a_comma_after_a_dead_first_proxy_ends_the_chain() {
    let sb = world();
    let gp = goproxy();
    let dead = format!(
        "http://127.0.0.1:{}",
        support::server::start_refusing_port()
    );
    let comma = format!("{dead},{},direct", gp.url());
    let env = [("GOPROXY", comma.as_str()), ("GOSUMDB", "off")];
    let (out, v) = doctor(&sb, &[], &env);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let (status, what, fix) = finding(&v, "goproxy.chain");
    assert_eq!(status, "problem", "{what}");
    assert!(what.contains(&dead) && what.contains("404/410"), "{what}");
    assert!(fix.contains(&format!("{dead}|{}", gp.url())), "{fix}");

    // With `|` Go moves on: slower, not broken.
    let pipe = format!("{dead}|{},direct", gp.url());
    let (out, v) = doctor(&sb, &[], &[("GOPROXY", &pipe), ("GOSUMDB", "off")]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(finding(&v, "goproxy.chain").0, "warning");
}

#[test]
fn gosumdb_naming_a_url_through_go_env_w_is_a_problem() {
    let sb = world();
    let goenv = sb.dir.path().join("go-env");
    std::fs::write(&goenv, "GOSUMDB=https://sum.golang.org\n").unwrap_or_else(|e| panic!("{e}"));
    let g = goenv.display().to_string();
    let (out, v) = doctor(&sb, &["--offline"], &[("GOENV", &g)]);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let (status, what, fix) = finding(&v, "build.gosumdb");
    assert_eq!(status, "problem", "{what}");
    assert!(what.contains("go env -w"), "{what}");
    assert!(fix.contains("go env -u GOSUMDB"), "{fix}");

    std::fs::write(&goenv, "GOSUMDB=sum.golang.org https://sum.golang.org\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, v) = doctor(&sb, &["--offline"], &[("GOENV", &g)]);
    assert_eq!(finding(&v, "build.gosumdb").0, "ok");
}

#[test]
fn modules_off_and_a_foreign_target_are_named() {
    let sb = world();
    let (out, v) = doctor(
        &sb,
        &["--offline"],
        &[("GO111MODULE", "off"), ("GOOS", "windows")],
    );
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let (status, what, _) = finding(&v, "build.modules");
    assert_eq!(status, "problem", "{what}");
    let (status, what, fix) = finding(&v, "build.target");
    assert_eq!(status, "warning", "{what}");
    assert!(
        what.contains("GOOS=windows (environment; this host is linux)"),
        "{what}"
    );
    assert!(fix.contains("go env -u"), "{fix}");

    let (out, v) = doctor(
        &sb,
        &["--offline"],
        &[("GO111MODULE", "on"), ("GOOS", "linux")],
    );
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(finding(&v, "build.modules").0, "ok");
    assert_eq!(finding(&v, "build.target").0, "ok");
}

#[test]
fn vendor_mode_needs_a_vendor_folder() {
    let sb = world();
    let root = sb.dir.path();
    std::fs::write(root.join("go.mod"), "module example.com/app\n\ngo 1.22\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let env = [("GOFLAGS", "-mod=vendor")];
    let (out, v) = doctor(&sb, &["--offline"], &env);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let (status, _, fix) = finding(&v, "build.vendor");
    assert_eq!(status, "problem");
    assert!(fix.contains("go mod vendor"), "{fix}");
    std::fs::create_dir(root.join("vendor")).unwrap_or_else(|e| panic!("{e}"));
    let (_, v) = doctor(&sb, &["--offline"], &env);
    assert_eq!(finding(&v, "build.vendor").0, "ok");
}

#[test]
fn private_looking_paths_outside_goprivate_are_named() {
    let sb = world();
    let root = sb.dir.path();
    std::fs::write(
        root.join("go.mod"),
        "module gitlab/team/app\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/text v0.14.0\n\tgit.corp.internal/lib v1.0.0\n)\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (_, v) = doctor(&sb, &["--offline"], &[]);
    let (status, what, fix) = finding(&v, "build.private_paths");
    assert_eq!(status, "warning", "{what}");
    assert!(
        what.contains("gitlab/team/app")
            && what.contains("git.corp.internal/lib")
            && !what.contains("golang.org"),
        "{what}"
    );
    assert!(fix.contains("GOPRIVATE=git.corp.internal,gitlab"), "{fix}");
    let (_, v) = doctor(
        &sb,
        &["--offline"],
        &[("GOPRIVATE", "gitlab,git.corp.internal")],
    );
    assert_eq!(finding(&v, "build.private_paths").0, "ok");
}
