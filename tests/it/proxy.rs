//! Proxy settings: validation, presets, precedence as seen by the tools gov
//! starts, persistence for login shells and systemd, and gov's own
//! downloads through HTTP proxies, corporate CAs and ~/.netrc.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{Sandbox, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn world() -> Sandbox {
    Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5")
}

fn profile(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.home().join("env")).unwrap_or_default()
}

/// Runs a shell script with the sandbox's environment and GOV_BIN_DIR on PATH.
fn shell(sb: &Sandbox, sh: &str, args: &[&str], script: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = sb.env_cmd(sh);
    cmd.args(args).arg(script);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_program(&mut cmd)
}

#[test]
fn invalid_settings_are_refused_and_change_nothing() {
    let sb = world();
    sb.ok(&["proxy", "use", "cn"]);
    let before = profile(&sb);
    let cases: &[&str] = &[
        "GOSUMDB=https://sum.golang.google.cn",
        "GOSUMDB=sum.example.com",
        "GOSUMDB=a b c",
        "GOPROXY=ftp://mirror.example",
        "GOPROXY=noproxy",
        "GOPROXY=",
        "GOPRIVATE=https://git.corp.example",
        "GONOSUMDB=a/[b",
        "GOFLAGS=mod=mod",
        "GOTOOLCHAIN=1.22.5",
        "GOMODCACHE=relative/dir",
        "GOCACHE=/proc/self",
        "GOMODCACHE=/sys/kernel",
        "GOMODCACHE=/data/../etc",
        "GOPROXY=https://goproxy.cn\\",
        "GOPROXY=https://a.example\\b,direct",
        "GOPATH=/x",
        "NOEQUALS",
    ];
    let mut messages = String::new();
    for pair in cases {
        // A valid pair first: the whole command must still change nothing.
        let err = sb.fails(&["proxy", "set", "GOPRIVATE=ok.example/*", pair], 2);
        assert_eq!(profile(&sb), before, "{pair} changed the profile");
        messages.push_str(&format!(
            "$ gov proxy set GOPRIVATE=ok.example/* {}\n{}\n\n",
            pair.escape_debug(),
            err.trim_end()
        ));
    }
    insta::assert_snapshot!("refused_settings", messages);
    sb.fails(&["proxy", "use", "nonesuch"], 2);
    sb.fails(&["proxy", "use", "corp"], 2);
    sb.fails(&["proxy", "use", "cn", "--url", "https://x.example"], 2);
    sb.fails(&["proxy", "unset", "GOPATH"], 2);
    assert_eq!(profile(&sb), before);
}

#[test]
fn every_form_cmd_go_accepts_is_accepted() {
    let sb = world();
    for pair in [
        "GOPROXY=https://proxy.golang.org,direct",
        "GOPROXY=https://goproxy.cn|https://proxy.golang.org|direct",
        "GOPROXY=goproxy.cn,direct",
        "GOPROXY=file:///srv/goproxy,off",
        "GOPROXY=off",
        "GOSUMDB=off",
        "GOSUMDB=sum.golang.org",
        "GOSUMDB=sum.golang.google.cn",
        "GOSUMDB=sum.golang.org https://sum.golang.google.cn",
        "GOSUMDB=sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        "GOSUMDB=PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW https://sumdb.example",
        "GOPRIVATE=git.corp.example/*,github.com/acme",
        "GONOPROXY=none",
        "GOINSECURE=*.intranet",
        "GOFLAGS=-mod=mod -trimpath",
        "GOTOOLCHAIN=go1.22.5+auto",
        "GOMODCACHE=/data/gomod",
        "GOCACHE=off",
    ] {
        sb.ok(&["proxy", "set", pair]);
        let (k, v) = pair.split_once('=').unwrap_or_default();
        assert!(profile(&sb).contains(&format!("{k}={v}\n")), "{pair}");
    }
}

#[test]
fn presets_and_corp() {
    let sb = world();
    let list = sb.ok(&["proxy", "use"]);
    for name in ["official", "cn", "direct", "offline", "corp"] {
        assert!(
            list.lines().any(|l| l.starts_with(name)),
            "{name} listed: {list}"
        );
    }
    sb.ok(&["proxy", "use", "offline"]);
    assert!(profile(&sb).contains("GOPROXY=off\nGOSUMDB=off\n"));
    sb.ok(&[
        "proxy",
        "use",
        "corp",
        "--url",
        "https://goproxy.corp.example",
        "--private",
        "git.corp.example/*",
    ]);
    let p = profile(&sb);
    assert!(
        p.contains("GOPROXY=https://goproxy.corp.example,direct\n"),
        "{p}"
    );
    assert!(p.contains("GOSUMDB=sum.golang.org\n"), "{p}");
    assert!(p.contains("GOPRIVATE=git.corp.example/*\n"), "{p}");
    let show = sb.ok(&["proxy", "show", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&show).unwrap_or_default();
    let row = |k: &str| {
        v.as_array()
            .and_then(|a| a.iter().find(|r| r["key"] == k).cloned())
            .unwrap_or_default()
    };
    assert_eq!(row("GOPRIVATE")["value"], "git.corp.example/*");
    assert!(
        row("GOPRIVATE")["source"]
            .as_str()
            .unwrap_or_default()
            .starts_with("gov profile")
    );
    assert_eq!(
        row("GONOSUMDB")["value"],
        "git.corp.example/*",
        "defaults to GOPRIVATE"
    );
    assert_eq!(row("GOTOOLCHAIN")["value"], "local");
    sb.ok(&["proxy", "unset", "GOPRIVATE"]);
    assert!(!profile(&sb).contains("GOPRIVATE"));
}

/// What the tools see: gov's profile, below the environment and the user's
/// `go env -w` file; through entry points and shims alike.
#[test]
fn tools_see_the_profile_below_user_settings() {
    let sb = world();
    sb.ok(&["proxy", "use", "cn"]);
    let shim = sb.shim("1.21.13", "go").display().to_string();
    for runner in ["go", shim.as_str()] {
        let see = |k: &str, env: &[(&str, &str)]| {
            text(&shell(&sb, "sh", &["-c"], &format!("{runner} env {k}"), env).stdout)
        };
        assert_eq!(see("GOPROXY", &[]), "https://goproxy.cn,direct", "{runner}");
        assert_eq!(see("GOSUMDB", &[]), "sum.golang.google.cn", "{runner}");
        assert_eq!(
            see("GOPROXY", &[("GOPROXY", "direct")]),
            "direct",
            "{runner}: env wins"
        );
        // An empty variable counts as unset, as in Go.
        assert_eq!(
            see("GOPROXY", &[("GOPROXY", "")]),
            "https://goproxy.cn,direct",
            "{runner}"
        );
        let cfg = sb.dir.path().join("user/.config/go");
        std::fs::create_dir_all(&cfg).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(cfg.join("env"), "GOPROXY=https://user.example\n")
            .unwrap_or_else(|e| panic!("{e}"));
        // gov leaves GOPROXY to Go, which reads the user's file itself.
        assert_eq!(see("GOPROXY", &[]), "", "{runner}: go env -w wins");
        assert_eq!(
            see("GOSUMDB", &[]),
            "sum.golang.google.cn",
            "{runner}: other keys still apply"
        );
        std::fs::remove_file(cfg.join("env")).unwrap_or_else(|e| panic!("{e}"));
    }
    // A change reaches every version at once.
    sb.ok(&["proxy", "use", "official"]);
    let out = shell(
        &sb,
        "sh",
        &["-c"],
        &format!("go env GOPROXY; {shim} env GOPROXY"),
        &[],
    );
    assert_eq!(
        text(&out.stdout),
        "https://proxy.golang.org,direct\nhttps://proxy.golang.org,direct"
    );
}

#[test]
fn persist_for_login_shells_and_systemd() {
    let sb = world();
    sb.ok(&["proxy", "use", "cn"]);
    let home = sb.dir.path().join("user");
    let profile_file = home.join(".profile");
    std::fs::write(&profile_file, "# mine\nexport EDITOR=vi\n").unwrap_or_else(|e| panic!("{e}"));
    sb.ok(&["persist", "--user"]);
    let first = std::fs::read_to_string(&profile_file).unwrap_or_default();
    assert!(first.starts_with("# mine\nexport EDITOR=vi\n"), "{first}");
    sb.ok(&["persist", "--user"]);
    assert_eq!(
        std::fs::read_to_string(&profile_file).unwrap_or_default(),
        first,
        "idempotent"
    );

    // Login shells with a minimal PATH find go and see gov's settings.
    for sh in ["bash", "sh"] {
        let mut c = Command::new(sh);
        c.args(["-lc", "command -v go; go env GOPROXY"])
            .current_dir(&home)
            .env_clear()
            .env("HOME", &home)
            .env("PATH", "/usr/bin:/bin");
        for (k, v) in sb.std_cmd().get_envs() {
            if let (Some(k), Some(v)) = (k.to_str(), v)
                && k.starts_with("GOV_")
            {
                c.env(k, v);
            }
        }
        let out = run_program(&mut c);
        assert_eq!(
            text(&out.stdout),
            format!(
                "{}\nhttps://goproxy.cn,direct",
                sb.bin().join("go").display()
            ),
            "{sh} -l: {}",
            text(&out.stderr)
        );
    }

    // systemd user services: parsed by systemd's own environment.d generator.
    let generator = Path::new(
        "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator",
    );
    assert!(
        generator.exists(),
        "systemd's environment.d generator is needed (apt-get install systemd)"
    );
    let out = run_program(
        Command::new(generator)
            .env_clear()
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("PATH", "/usr/bin:/bin"),
    );
    let env = text(&out.stdout);
    assert!(
        env.lines()
            .any(|l| l == format!("PATH={}:/usr/bin:/bin", sb.bin().display())),
        "{env}"
    );
    assert!(
        env.lines()
            .any(|l| l == format!("GOV_HOME={}", sb.home().display())),
        "{env}"
    );

    sb.ok(&["persist", "--user", "--remove"]);
    assert_eq!(
        std::fs::read_to_string(&profile_file).unwrap_or_default(),
        "# mine\nexport EDITOR=vi\n"
    );
    assert!(!home.join(".config/environment.d/gov.conf").exists());

    // System scope, under a chosen root: the system layer's entry points
    // (set up by root), found by a login shell with nothing of gov's in
    // its environment but what the snippet exports.
    sb.ok(&["install", "--system", "1.21.13"]);
    sb.ok(&["global", "--system", "1.21.13"]);
    sb.ok(&["proxy", "use", "--system", "cn"]);
    let root = sb.dir.path().join("root");
    sb.ok(&[
        "persist",
        "--system",
        "--root",
        root.to_str().unwrap_or_default(),
    ]);
    let script = root.join("etc/profile.d/gov.sh");
    let out = run_program(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                ". '{}'; go version; go env GOPROXY",
                script.display()
            ))
            .env_clear()
            .env("HOME", sb.dir.path().join("nobody"))
            .env("PATH", "/usr/bin:/bin"),
    );
    assert_eq!(
        text(&out.stdout),
        "go version go1.21.13 linux/amd64\nhttps://goproxy.cn,direct",
        "{}",
        text(&out.stderr)
    );
    let envd =
        std::fs::read_to_string(root.join("etc/environment.d/60-gov.conf")).unwrap_or_default();
    assert!(envd.contains("GOV_SYSTEM_HOME="), "{envd}");
    assert!(
        !envd.contains("GOV_HOME="),
        "never every account's own layer: {envd}"
    );
    // System services: the sandbox's system bin dir is not on systemd's
    // default PATH, so a manager drop-in puts it there.
    let manager = std::fs::read_to_string(root.join("etc/systemd/system.conf.d/60-gov.conf"))
        .unwrap_or_default();
    let sysbin = sb.dir.path().join("sysbin");
    assert!(
        manager.contains(&format!(
            "DefaultEnvironment=\"PATH={}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"",
            sysbin.display()
        )),
        "{manager}"
    );
    // What persist was given in the environment is kept in the system config.
    let cfg = std::fs::read_to_string(sb.system_home().join("config")).unwrap_or_default();
    assert!(
        cfg.contains(&format!("GOV_MIRROR={}", sb.mirror())),
        "{cfg}"
    );
    sb.ok(&[
        "persist",
        "--system",
        "--remove",
        "--root",
        root.to_str().unwrap_or_default(),
    ]);
    assert!(!script.exists());
    assert!(!root.join("etc/systemd/system.conf.d/60-gov.conf").exists());
}

/// gov aimed at the remote name `mirror.test` (plain http, allowed), which
/// only `fwd` can reach: every request must go through the proxy.
fn through_proxy(sb: &Sandbox, fwd: &support::ForwardProxy) -> assert_cmd::Command {
    let mut cmd = sb.cmd();
    cmd.env("GOV_INDEX_URL", "http://mirror.test/dl/index.json")
        .env("GOV_MIRROR", "http://mirror.test/dl")
        .env("GOV_ALLOW_HTTP", "1")
        .env("HTTP_PROXY", fwd.url())
        .env_remove("NO_PROXY");
    cmd
}

#[test]
fn gov_downloads_honour_http_proxy_and_netrc() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let fwd = support::ForwardProxy::start(sb.server.addr());
    let netrc = sb.dir.path().join("netrc");
    std::fs::write(&netrc, "machine mirror.test login ci password s3cret\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = through_proxy(&sb, &fwd)
        .env("NETRC", &netrc)
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let urls = fwd.seen();
    assert!(
        urls.contains(&"http://mirror.test/dl/index.json".to_string()),
        "{urls:?}"
    );
    assert!(
        urls.contains(&"http://mirror.test/dl/go1.22.5.linux-amd64.tar.gz".to_string()),
        "{urls:?}"
    );
    // The proxy drops Authorization on the way, so check what gov sent it
    // by going direct with the same netrc.
    let sb2 = Sandbox::new();
    sb2.publish_versions(&["1.22.5"]);
    let netrc2 = sb2.dir.path().join("netrc");
    std::fs::write(
        &netrc2,
        format!(
            "machine 127.0.0.1:{} login ci password s3cret\n",
            sb2.server.addr().port()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = sb2
        .cmd()
        .env("NETRC", &netrc2)
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let req = sb2
        .server
        .requests()
        .into_iter()
        .find(|r| r.route == "/dl/index.json");
    assert_eq!(
        req.and_then(|r| r.header("authorization").map(str::to_string))
            .as_deref(),
        Some("Basic Y2k6czNjcmV0")
    );
}

/// For a URL with a port, the `machine host:port` entry serves, as cmd/go
/// matches it; the bare host's entry does not (Go would not send it).
#[test]
fn netrc_matches_host_and_port_as_go_does() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let port = sb.server.addr().port();
    let netrc = sb.dir.path().join("netrc");
    let sent = |entries: &str| {
        std::fs::write(&netrc, entries).unwrap_or_else(|e| panic!("{e}"));
        sb.server.clear_requests();
        let out = sb
            .cmd()
            .env("NETRC", &netrc)
            .args(["list-remote", "--refresh"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let index = sb
            .server
            .requests()
            .into_iter()
            .find(|r| r.route == "/dl/index.json");
        assert!(index.is_some(), "the index was fetched");
        index.and_then(|r| r.header("authorization").map(str::to_string))
    };
    let both = format!(
        "machine 127.0.0.1 login old password wrong\nmachine 127.0.0.1:{port} login ci password s3cret\n"
    );
    assert_eq!(
        sent(&both).as_deref(),
        Some("Basic Y2k6czNjcmV0"),
        "ci:s3cret"
    );
    let other_port = format!(
        "machine 127.0.0.1:{} login x password y\nmachine 127.0.0.1 login ci password s3cret\n",
        port.wrapping_add(1)
    );
    assert_eq!(sent(&other_port), None);
    let default_only = "default login ci password s3cret\n";
    assert_eq!(sent(default_only), None, "Go ignores `default`");
}

/// `gov proxy login` as an account: one run with the secret on standard
/// input writes entries gov (and Go, old and new) use, 0600, keeping the
/// file's other entries; the secret is never printed.
fn login(sb: &Sandbox, netrc: &Path, args: &[&str], stdin: &str) -> Output {
    sb.cmd()
        .env("NETRC", netrc)
        .args(["proxy", "login"])
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn proxy_login_writes_a_netrc_entry_both_use() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let url = sb.server.url_for("");
    let url = url.trim_end_matches('/');
    let port = sb.server.addr().port();
    let netrc = sb.dir.path().join("netrc");
    std::fs::write(
        &netrc,
        format!("machine git.corp.example login me password keep\nmachine 127.0.0.1:{port} login old password stale\ndefault login anon password x\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = login(&sb, &netrc, &[url, "--user", "ci"], "s3cret\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        shown.contains(&netrc.display().to_string()),
        "says where: {shown}"
    );
    assert_eq!(mode_of(&netrc), 0o600);
    let body = std::fs::read_to_string(&netrc).unwrap_or_default();
    assert!(
        body.contains("machine git.corp.example login me password keep\n"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "machine 127.0.0.1:{port} login ci password s3cret\n"
        )),
        "{body}"
    );
    assert!(
        !body.contains("machine 127.0.0.1 login"),
        "one entry, the one Go matches: {body}"
    );
    assert!(!body.contains("stale"), "{body}");
    assert!(body.ends_with("default login anon password x\n"), "{body}");
    let out = sb
        .cmd()
        .env("NETRC", &netrc)
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sent = sb
        .server
        .requests()
        .into_iter()
        .find(|r| r.route == "/dl/index.json")
        .and_then(|r| r.header("authorization").map(str::to_string));
    assert_eq!(sent.as_deref(), Some("Basic Y2k6czNjcmV0"), "ci:s3cret");

    // A bare-host entry (another service on that host) is another
    // machine: kept as it is. A file others could read is made 0600, and
    // the user told.
    std::fs::write(&netrc, "machine 127.0.0.1 login git password other\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&netrc, std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = login(&sb, &netrc, &[url, "--user", "ci"], "s3cret\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let _redactions = support::snapshot::redactions();
    // The warning alone: the line before it names whose netrc it is, which
    // depends on the account running the tests.
    let warned: Vec<String> = text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .map(str::to_string)
        .collect();
    insta::assert_snapshot!("login_keeps_another_services_entry", warned.join("\n"));
    assert_eq!(mode_of(&netrc), 0o600);
    let body = std::fs::read_to_string(&netrc).unwrap_or_default();
    assert!(
        body.contains("machine 127.0.0.1 login git password other\n"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "machine 127.0.0.1:{port} login ci password s3cret\n"
        )),
        "{body}"
    );

    // Hostile input: refused with 2, the file untouched.
    let before = std::fs::read(&netrc).unwrap_or_default();
    let cases: &[(&[&str], &str)] = &[
        (
            &["https://ci:tok@goproxy.corp.example", "--user", "ci"],
            "s\n",
        ),
        (
            &[
                "https://goproxy.corp.example\nmachine evil.example",
                "--user",
                "ci",
            ],
            "s\n",
        ),
        (&["http://goproxy.corp.example", "--user", "ci"], "s\n"),
        (&["ftp://goproxy.corp.example", "--user", "ci"], "s\n"),
        (&["https://goproxy.corp.example", "--user", "c i"], "s\n"),
        (
            &["https://goproxy.corp.example", "--user", "ci"],
            "two words\n",
        ),
        (&["https://goproxy.corp.example", "--user", "ci"], ""),
        (
            &[
                "https://goproxy.corp.example",
                "--user",
                "ci",
                "--password",
                "s",
            ],
            "",
        ),
        (
            &["https://goproxy.corp.example", "--user", "ci", "--system"],
            "s\n",
        ),
    ];
    let mut messages = String::new();
    for (args, stdin) in cases {
        let out = login(&sb, &netrc, args, stdin);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("tok@"), "{err}");
        assert_eq!(
            std::fs::read(&netrc).unwrap_or_default(),
            before,
            "{args:?}"
        );
        messages.push_str(&format!(
            "$ gov proxy login {} <<< {stdin:?}\n{}\n\n",
            args.join(" ").escape_debug(),
            err.trim_end()
        ));
    }
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("refused_logins", messages);
    // Root writing into another account's directory (sudo keeping HOME):
    // refused, nothing written.
    if euid_of_self() == 0 {
        let theirs = sb.dir.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = login(
            &sb,
            &theirs.join(".netrc"),
            &["https://goproxy.corp.example", "--user", "ci"],
            "s\n",
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let _redactions = support::snapshot::redactions();
        insta::assert_snapshot!("login_refuses_another_accounts_netrc", text(&out.stderr));
        assert!(!theirs.join(".netrc").exists());
    }
    // A netrc that is a symlink, or holds macros: refused, nothing changed.
    let real = sb.dir.path().join("real-netrc");
    std::fs::write(&real, "machine a.example login a password b\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let link = sb.dir.path().join("link-netrc");
    std::os::unix::fs::symlink(&real, &link).unwrap_or_else(|e| panic!("{e}"));
    let out = login(
        &sb,
        &link,
        &["https://goproxy.corp.example", "--user", "ci"],
        "s\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("login_refuses_a_linked_netrc", text(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
    assert_eq!(
        std::fs::read_to_string(&real).unwrap_or_default(),
        "machine a.example login a password b\n"
    );
    std::fs::write(
        &real,
        "macdef init\ncd /\n\nmachine a.example login a password b\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = login(
        &sb,
        &real,
        &["https://goproxy.corp.example", "--user", "ci"],
        "s\n",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    insta::assert_snapshot!("login_refuses_a_netrc_with_macros", text(&out.stderr));
}

/// Loopback is never proxied, as in Go: a mirror on 127.0.0.1 or localhost
/// (an SSH tunnel, in the field) is reached directly while HTTPS_PROXY and
/// HTTP_PROXY name a company proxy, with or without NO_PROXY.
#[test]
fn loopback_mirrors_bypass_the_proxy_variables() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let fwd = support::ForwardProxy::start(sb.server.addr());
    let localhost = sb.mirror().replace("127.0.0.1", "localhost");
    for (i, (mirror, no_proxy)) in [
        (sb.mirror(), None),
        (localhost.clone(), Some("corp.example")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut cmd = sb.cmd();
        cmd.env("GOV_INDEX_URL", format!("{mirror}/index.json"))
            .env("GOV_MIRROR", &mirror)
            .env("HTTPS_PROXY", fwd.url())
            .env("HTTP_PROXY", fwd.url())
            .env("GOV_HTTP_RETRIES", "0")
            .env_remove("NO_PROXY");
        if let Some(n) = no_proxy {
            cmd.env("no_proxy", n);
        }
        let args: &[&str] = if i == 0 {
            &["install", "1.22.5"]
        } else {
            &["install", "--force", "1.22.5"]
        };
        let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{mirror}: {}", text(&out.stderr));
    }
    // The checksum database (a remote name, asked for the log proof) does
    // go through the proxy; nothing for the loopback mirror does.
    let loopback: Vec<String> = fwd
        .seen()
        .into_iter()
        .filter(|c| c.contains("127.0.0.1") || c.contains("localhost"))
        .collect();
    assert_eq!(
        loopback,
        Vec::<String>::new(),
        "nothing went through the proxy"
    );
    // A remote name still goes through it.
    let out = through_proxy(&sb, &fwd)
        .args(["install", "--force", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!fwd.seen().is_empty());
}

/// An HTTPS index served by `openssl s_server` with a self-signed CA: refused
/// until SSL_CERT_FILE names the CA (a corporate CA, in the field).
#[test]
fn gov_downloads_trust_ssl_cert_file() {
    let sb = Sandbox::new();
    let archives = sb.publish_versions(&["1.22.5"]);
    let www = sb.dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap_or_else(|e| panic!("{e}"));
    archives[0].write_to(&www);
    let mut idx = support::IndexBuilder::new();
    idx.add_archive(&archives[0], true);
    std::fs::write(www.join("index.json"), idx.to_json()).unwrap_or_else(|e| panic!("{e}"));
    // A server certificate signed by a private CA (the corporate CA).
    let server = support::TlsServer::start(sb.dir.path(), &www);
    let cert = server.ca.clone();
    let base = server.url();
    let run = |cafile: Option<&PathBuf>| {
        let mut c = sb.cmd();
        c.env("GOV_INDEX_URL", format!("{base}/index.json"))
            .env("GOV_MIRROR", &base)
            .env("GOV_HTTP_RETRIES", "0")
            .env("SSL_CERT_DIR", sb.dir.path().join("no-certs"));
        match cafile {
            Some(f) => c.env("SSL_CERT_FILE", f),
            None => c.env("SSL_CERT_FILE", sb.dir.path().join("no-such-file.pem")),
        };
        c.args(["install", "1.22.5"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let out = run(None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    // Plain words for rustls' UnknownIssuer, with the stage, and advice on
    // corporate CAs.
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("install_from_an_untrusted_certificate", err);
    let out = run(Some(&cert));
    drop(server);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Runs gov with extra environment; returns (exit code, stdout + stderr).
fn gov_with(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = sb.std_cmd();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run_program(&mut cmd);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (out.status.code(), all)
}

fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn credentials_in_urls_are_never_shown_and_stay_private() {
    let sb = world();
    let secret = "s3cr3t-t0ken";
    let dead = support::start_refusing_port();
    let proxy_url = format!("https://alice:{secret}@goproxy.corp.example");
    let mirror_url = format!("http://bob:{secret}@127.0.0.1:{dead}/go");
    // The account's own layer: the files holding them are private.
    sb.ok(&["proxy", "set", &format!("GOPROXY={proxy_url},direct")]);
    assert_eq!(mode_of(&sb.home().join("env")), 0o600);
    sb.ok(&["config", "set", &format!("GOV_MIRROR={mirror_url}")]);
    assert_eq!(mode_of(&sb.home().join("config")), 0o600);
    // A user name alone may be a token too.
    sb.ok(&["proxy", "set", "GOPROXY=https://tok3n@goproxy.corp.example"]);
    assert_eq!(mode_of(&sb.home().join("env")), 0o600);
    sb.ok(&["proxy", "set", &format!("GOPROXY={proxy_url},direct")]);
    // Every way gov shows them, text and JSON, redacts as Go does (an
    // install fails on the dead mirror, with its URL in the error).
    sb.ok(&["cache", "clean"]);
    let env: &[(&str, &str)] = &[("GOV_MIRROR", &mirror_url)];
    for args in [
        &["proxy", "show"][..],
        &["proxy", "show", "--json"],
        &["config", "show"],
        &["config", "show", "--json"],
        &["doctor"],
        &["doctor", "--json"],
        &["proxy", "set", "GOPRIVATE=x.example", "--json"],
        &["proxy", "use", "cn", "--dry-run", "--json"],
        &["install", "1.21.13", "--force"],
        &["install", "1.21.13", "--force", "--json"],
    ] {
        let (_, all) = gov_with(&sb, args, env);
        assert!(
            !all.contains(secret),
            "gov {args:?} shows the secret:\n{all}"
        );
        if args[0] == "proxy" && args[1] == "show" {
            assert!(all.contains("alice:xxxxx@goproxy.corp.example"), "{all}");
        }
        if args[0] == "install" || args[0] == "doctor" {
            assert!(all.contains("bob:xxxxx@127.0.0.1"), "{all}");
        }
    }
    // Nothing gov keeps readable by others holds them (an index fetched
    // through a URL with credentials is cached under the redacted URL).
    let index = sb
        .index_url()
        .replace("http://", &format!("http://carol:{secret}@"));
    let (code, all) = gov_with(
        &sb,
        &["list-remote", "--refresh"],
        &[("GOV_INDEX_URL", &index)],
    );
    assert_eq!(code, Some(0), "{all}");
    let mut stack = vec![sb.home()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(secret))
            {
                assert_eq!(mode_of(&p), 0o600, "{} holds the secret", p.display());
            }
        }
    }
    // Removing the credentials makes the file readable again.
    sb.ok(&[
        "proxy",
        "set",
        "GOPROXY=https://goproxy.corp.example,direct",
    ]);
    assert_eq!(mode_of(&sb.home().join("env")), 0o644);
    // The system layer, read by every account, refuses them: .netrc is the
    // place, and nothing changes.
    sb.ok(&["proxy", "set", "--system", "GOPRIVATE=x.example"]);
    let before = std::fs::read_to_string(sb.system_home().join("env")).unwrap_or_default();
    for args in [
        vec!["proxy", "set", "--system", &format!("GOPROXY={proxy_url}")],
        vec!["proxy", "use", "corp", "--system", "--url", &proxy_url],
        vec![
            "config",
            "set",
            "--system",
            &format!("GOV_MIRROR={mirror_url}"),
        ],
    ] {
        let err = sb.fails(&args, 2);
        assert!(err.contains(".netrc"), "{err}");
        assert!(!err.contains(secret), "{err}");
    }
    let after = std::fs::read_to_string(sb.system_home().join("env")).unwrap_or_default();
    assert_eq!(before, after);
    assert!(!sb.system_home().join("config").exists());
}

/// A profile edited by hand (CRLF line ends, blanks around `=`) reads the
/// same in the shims (sh) as in the entry points (gov).
#[test]
fn a_hand_edited_profile_reads_the_same_in_shims_and_entry_points() {
    let sb = world();
    sb.ok(&["proxy", "use", "cn"]);
    std::fs::write(
        sb.home().join("env"),
        "# edited elsewhere\r\nGOPROXY = https://goproxy.cn,direct \r\nGOSUMDB=sum.golang.google.cn\r\nGOPRIVATE=\tcorp.example/*\r\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let shim = sb.shim("1.22.5", "go");
    let want = "https://goproxy.cn,direct|sum.golang.google.cn|corp.example/*";
    // `go` is the entry point on PATH, or a function running the shim.
    let script =
        "printf '%s|%s|%s' \"$(go env GOPROXY)\" \"$(go env GOSUMDB)\" \"$(go env GOPRIVATE)\"";
    let entry = shell(&sb, "sh", &["-c"], script, &[]);
    let mut got = vec![("entry point", text(&entry.stdout))];
    for runner in ["dash", "busybox sh", "bash"] {
        let mut parts = runner.split(' ');
        let program = parts.next().unwrap_or("sh");
        let mut args: Vec<String> = parts.map(str::to_string).collect();
        args.push("-c".into());
        args.push(format!(
            "go() {{ {runner} {} \"$@\"; }}; {script}",
            shim.display()
        ));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = shell(
            &sb,
            program,
            &refs[..refs.len() - 1],
            refs[refs.len() - 1],
            &[],
        );
        got.push((runner, text(&out.stdout)));
    }
    for (who, seen) in &got {
        assert_eq!(seen, want, "{who}: {got:?}");
    }
}

fn euid_of_self() -> u32 {
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    })
}
