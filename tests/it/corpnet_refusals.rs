//! Company-network settings gov refuses, each with the reason and the fix,
//! and without changing the profile: patterns Go would never match, and
//! credentials Go would refuse to send.

use crate::support;

use support::Sandbox;

#[test]
fn private_patterns_go_would_never_match_are_refused() {
    let sb = Sandbox::new();
    let corp = [
        "proxy",
        "use",
        "corp",
        "--url",
        "https://goproxy.corp.example",
    ];
    sb.ok(&[&corp[..], &["--private", "git.corp.example/*"]].concat());
    let profile = || std::fs::read_to_string(sb.home().join("env")).unwrap_or_default();
    let before = profile();
    let mut messages = String::new();
    let cases: Vec<Vec<&str>> = vec![
        [&corp[..], &["--private", ""]].concat(),
        [&corp[..], &["--private", ","]].concat(),
        [&corp[..], &["--private", " , /"]].concat(),
        [
            &corp[..],
            &["--private", "git.corp.example/*, github.com/acme"],
        ]
        .concat(),
        [&corp[..], &["--private", "git.corp example"]].concat(),
        vec!["proxy", "set", "GOPRIVATE=,,"],
        vec!["proxy", "set", "GONOSUMDB=a,\u{a0}b"],
        vec![
            "proxy",
            "use",
            "corp",
            "--url",
            "http://builder:s3cret@127.0.0.1:3000",
        ],
        vec![
            "proxy",
            "set",
            "GOPROXY=https://a.example|http://builder:s3cret@b.example,direct",
        ],
    ];
    for args in cases {
        let err = sb.fails(&args, 2);
        assert!(!err.contains("s3cret"), "{err}");
        messages.push_str(&format!("$ gov {}\n{}\n\n", args.join(" "), err.trim_end()));
    }
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("refused_private_patterns", messages);
    assert_eq!(profile(), before, "refused commands change nothing");
}

/// GOAUTH is kept like the other Go settings once it is one cmd/go would
/// run as meant; each hostile form is refused with its reason, the
/// profile untouched.
#[test]
fn goauth_is_checked_as_cmd_go_would_run_it() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let helpers = sb.dir.path().join("helpers");
    std::fs::create_dir_all(&helpers).unwrap_or_else(|e| panic!("{e}"));
    let helper = |name: &str, mode: u32| {
        let p = helpers.join(name);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{e}"));
        p.display().to_string()
    };
    let good = helper("goauth-corp", 0o755);
    let shared = helper("goauth-shared", 0o777);
    let plain = helper("goauth-data", 0o644);
    let value = format!("netrc; {good} --realm 'corp proxy'");
    sb.ok(&["proxy", "set", &format!("GOAUTH={value}")]);
    let profile = || std::fs::read_to_string(sb.home().join("env")).unwrap_or_default();
    assert!(
        profile().contains(&format!("GOAUTH={value}\n")),
        "{}",
        profile()
    );
    let before = profile();
    let dir = sb.dir.path().display().to_string();
    let mut messages = String::new();
    for v in [
        "".to_string(),
        "netrc;".to_string(),
        "off; netrc".to_string(),
        "git".to_string(),
        "git relative/dir".to_string(),
        format!("git {dir}/missing"),
        "goauth-helper-nowhere".to_string(),
        "./goauth-corp".to_string(),
        shared,
        plain,
        format!("{good} --realm=\"corp proxy\""),
        format!("{good} 'corp"),
        format!("{good} corp\\ proxy"),
    ] {
        let arg = format!("GOAUTH={v}");
        let err = sb.fails(&["proxy", "set", &arg], 2);
        messages.push_str(&format!("$ gov proxy set {arg:?}\n{}\n\n", err.trim_end()));
    }
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("refused_goauth", messages);
    assert_eq!(profile(), before, "refused values change nothing");
}

/// HTTPS_PROXY, HTTP_PROXY and NO_PROXY kept in a layer's profile: gov's
/// own downloads follow them (as every `go` gov runs does), and values Go
/// could not use are refused.
#[test]
fn proxy_variables_in_a_layer_reach_gov_s_downloads_and_hostile_ones_are_refused() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let fwd = support::ForwardProxy::start(sb.server.addr());
    sb.ok(&[
        "proxy",
        "set",
        &format!("HTTP_PROXY={}", fwd.url()),
        "NO_PROXY=.internal.example, 10.0.0.0/8",
    ]);
    let out = sb
        .cmd()
        .env("GOV_INDEX_URL", "http://mirror.test/dl/index.json")
        .env("GOV_MIRROR", "http://mirror.test/dl")
        .env("GOV_ALLOW_HTTP", "1")
        .env_remove("NO_PROXY")
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let urls = fwd.seen();
    assert!(
        urls.contains(&"http://mirror.test/dl/index.json".to_string()),
        "through the profile's proxy: {urls:?}"
    );
    let profile = std::fs::read_to_string(sb.home().join("env")).unwrap_or_default();
    let mut messages = String::new();
    for pair in [
        "HTTPS_PROXY=ftp://proxy.corp.example",
        "HTTPS_PROXY=http://",
        "HTTPS_PROXY=http://proxy corp:3128",
        "HTTP_PROXY=http://user:s3cret@proxy.corp.example:3128 x",
        "NO_PROXY=,",
        "NO_PROXY=https://goproxy.corp.example",
        "NO_PROXY=10.0.0.0/99",
    ] {
        let err = sb.fails(&["proxy", "set", pair], 2);
        assert!(!err.contains("s3cret"), "{err}");
        messages.push_str(&format!("$ gov proxy set {pair}\n{}\n\n", err.trim_end()));
    }
    assert_eq!(
        std::fs::read_to_string(sb.home().join("env")).unwrap_or_default(),
        profile
    );
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("refused_proxy_variables", messages);
}
