//! What gov prints for shells to eval and writes for systemd, with paths
//! that are legal but hostile to quoting: every shell reads back exactly
//! the value, nothing runs, and paths with control characters are refused.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Sandbox, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Folder names a shell could misread: quotes, `$(...)`, backticks, a
/// backslash before a quote and one at the end.
const HOSTILE: &[&str] = &[
    r#"a b'c"d$(touch PWNED)e`touch PWNED`f$HOME"#,
    r"x\';touch PWNED;'",
    r"ends-in-backslash\",
];

/// A sandbox whose GOV_HOME and GOV_BIN_DIR are hostile folder names,
/// with 1.22.5 installed there.
fn hostile_world(name: &str) -> (Sandbox, PathBuf, PathBuf) {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let base = sb.dir.path().join(name);
    let (home, bin) = (base.join("home"), base.join(name));
    let out = sb
        .cmd()
        .env("GOV_HOME", &home)
        .env("GOV_BIN_DIR", &bin)
        .args(["install", "1.22.5"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    (sb, home, bin)
}

/// Runs `script` in `shell` with gov's sandbox environment and the hostile
/// locations; the working directory is fresh, so a stray `touch PWNED`
/// shows up there.
fn run_shell(sb: &Sandbox, shell: &str, home: &Path, bin: &Path, script: &str) -> (String, bool) {
    let cwd = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = sb.env_cmd(shell);
    cmd.env("GOV_HOME", home)
        .env("GOV_BIN_DIR", bin)
        .current_dir(cwd.path())
        .arg("-c")
        .arg(script);
    if shell == "fish" {
        cmd.env("XDG_CONFIG_HOME", cwd.path().join("cfg"))
            .env("XDG_DATA_HOME", cwd.path().join("data"));
    }
    let out = run_program(&mut cmd);
    assert!(
        out.status.success(),
        "{shell}: {}\n{script}",
        text(&out.stderr)
    );
    let pwned = cwd.path().join("PWNED").exists();
    (text(&out.stdout), pwned)
}

#[test]
fn gov_env_is_read_back_exactly_by_every_shell() {
    for name in HOSTILE {
        let (sb, home, bin) = hostile_world(name);
        // `gov env` hands the shell to gov's selection: GOV_VERSION, and
        // the (hostile) GOV_BIN_DIR first on PATH.
        for shell in ["sh", "dash", "bash", "zsh", "fish"] {
            let script = if shell == "fish" {
                "gov env --shell fish 1.22.5 | source; printf '%s\\n' $GOV_VERSION $PATH[1]"
            } else {
                &format!(
                    "eval \"$(gov env --shell {shell} 1.22.5)\"; printf '%s\\n' \"$GOV_VERSION\" \"${{PATH%%:*}}\""
                )
            };
            let (out, pwned) = run_shell(&sb, shell, &home, &bin, script);
            assert!(!pwned, "{shell} ran code from {name}");
            assert_eq!(
                out,
                format!("1.22.5\n{}\n", bin.display()),
                "{shell} with {name}"
            );
        }
    }
}

#[test]
fn gov_init_is_read_back_exactly_by_every_shell() {
    for name in HOSTILE {
        let (sb, home, bin) = hostile_world(name);
        for shell in ["bash", "zsh", "fish"] {
            let script = if shell == "fish" {
                "gov init fish | source; printf '%s\\n' $PATH[1]".to_string()
            } else {
                format!("eval \"$(gov init {shell})\"; printf '%s\\n' \"${{PATH%%:*}}\"")
            };
            let (out, pwned) = run_shell(&sb, shell, &home, &bin, &script);
            assert!(!pwned, "{shell} ran code from {name}");
            assert_eq!(out, format!("{}\n", bin.display()), "{shell} with {name}");
        }
    }
}

#[test]
fn environment_d_values_are_quoted_by_systemd_rules() {
    let name = r#"$HOME "q" back\slash"#;
    let (sb, home, bin) = hostile_world(name);
    let user = sb.dir.path().join("user");
    let out = sb
        .cmd()
        .env("GOV_HOME", &home)
        .env("GOV_BIN_DIR", &bin)
        .args(["persist", "--user"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let generator = Path::new(
        "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator",
    );
    assert!(
        generator.exists(),
        "systemd's environment.d generator is needed"
    );
    // The generator prints shell assignments; read them back with sh.
    let out = run_program(
        Command::new("sh")
            .arg("-c")
            .arg("eval \"$(\"$0\")\"; printf '%s\\n' \"$GOV_HOME\" \"${PATH%%:*}\"")
            .arg(generator)
            .env_clear()
            .env("HOME", &user)
            .env("XDG_CONFIG_HOME", user.join(".config"))
            .env("PATH", "/usr/bin:/bin"),
    );
    assert_eq!(
        text(&out.stdout),
        format!("{}\n{}\n", home.display(), bin.display()),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn control_characters_in_written_paths_are_refused() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let mut said = String::new();
    for (key, bad) in [
        ("GOV_HOME", "home\nLD_PRELOAD=/tmp/evil.so"),
        ("GOV_BIN_DIR", "bin\n# x"),
        ("GOV_HOME", "esc\u{1b}[2J"),
    ] {
        let path = sb.dir.path().join(bad);
        for args in [
            &["install", "1.22.5"][..],
            &["persist", "--user"],
            &["init", "bash"],
        ] {
            let out = sb
                .cmd()
                .env(key, &path)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(out.status.code(), Some(2), "{key}={bad:?} gov {args:?}");
            let err = text(&out.stderr);
            assert!(
                !err.contains('\n') || !err.contains("\nLD_PRELOAD"),
                "{err}"
            );
            said.push_str(&format!("$ {key}=... gov {}\n{err}\n", args.join(" ")));
        }
        assert!(!path.join("shims").exists(), "shims written under {bad:?}");
    }
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("control_characters_in_written_paths", said);
    let profile = sb.dir.path().join("user/.profile");
    assert!(
        !profile.exists(),
        "{}",
        std::fs::read_to_string(&profile).unwrap_or_default()
    );
}
