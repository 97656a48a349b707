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
