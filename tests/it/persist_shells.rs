//! `gov persist` for zsh and fish users: real login shells find gov's
//! entry points although zsh logins skip ~/.profile and fish reads no
//! profile at all, and the hint names the user's own shell.

use crate::support;

use std::process::Command;

use support::{Sandbox, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn login(sb: &Sandbox, shell: &str, script: &str) -> std::process::Output {
    let home = sb.dir.path().join("user");
    let mut c = Command::new(shell);
    c.args(["-l", "-c", script])
        .current_dir(&home)
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("PATH", "/usr/bin:/bin");
    for (k, v) in sb.std_cmd().get_envs() {
        if let (Some(k), Some(v)) = (k.to_str(), v)
            && k.starts_with("GOV_")
        {
            c.env(k, v);
        }
    }
    run_program(&mut c)
}

#[test]
fn zsh_and_fish_logins_find_the_entry_points() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let home = sb.dir.path().join("user");
    let go = sb.bin().join("go").display().to_string();
    assert!(!home.join(".zprofile").exists());

    // A zsh user without ~/.zprofile.
    let out = sb
        .cmd()
        .args(["persist", "--user"])
        .env("SHELL", "/usr/bin/zsh")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("persist_for_zsh", err);
    let out = login(&sb, "zsh", "command -v go");
    assert_eq!(text(&out.stdout), go, "zsh -l: {}", text(&out.stderr));

    // A fish user: conf.d, in fish's own syntax.
    let out = sb
        .cmd()
        .args(["persist", "--user"])
        .env("SHELL", "/usr/bin/fish")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = text(&out.stderr);
    insta::assert_snapshot!("persist_for_fish", err);
    let conf = home.join(".config/fish/conf.d/gov.fish");
    assert!(conf.is_file(), "{err}");
    let out = login(&sb, "fish", "command -v go; go version");
    assert_eq!(
        text(&out.stdout),
        format!("{go}\ngo version go1.22.5 linux/amd64"),
        "fish -l: {}",
        text(&out.stderr)
    );
    // Twice adds nothing; fish's PATH holds the directory once.
    sb.ok(&["persist", "--user"]);
    let out = login(
        &sb,
        "fish",
        "source ~/.config/fish/conf.d/gov.fish; count (string match -- (dirname (command -v go)) $PATH)",
    );
    assert_eq!(text(&out.stdout), "1", "{}", text(&out.stderr));

    // --remove takes both out.
    sb.ok(&["persist", "--user", "--remove"]);
    assert!(!conf.exists());
    let zprofile = std::fs::read_to_string(home.join(".zprofile")).unwrap_or_default();
    assert!(!zprofile.contains("gov"), "{zprofile}");
    let out = login(&sb, "zsh", "command -v go || echo none");
    assert_eq!(text(&out.stdout), "none");
}

#[test]
fn system_scope_covers_zsh_and_fish_where_installed() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let root = sb.dir.path().join("root");
    std::fs::create_dir_all(root.join("etc/zsh")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(root.join("etc/zsh/zprofile"), "# distro\n").unwrap_or_else(|e| panic!("{e}"));
    let r = root.display().to_string();
    sb.ok(&["persist", "--system", "--root", &r]);
    let zp = std::fs::read_to_string(root.join("etc/zsh/zprofile")).unwrap_or_default();
    // The system layer's entry points (GOV_SYSTEM_BIN_DIR).
    let sysbin = sb.dir.path().join("sysbin").display().to_string();
    assert!(zp.starts_with("# distro\n") && zp.contains(&sysbin), "{zp}");
    assert!(
        !root.join("etc/fish").exists(),
        "fish not installed: nothing written"
    );
    sb.ok(&["persist", "--system", "--root", &r, "--remove"]);
    let zp = std::fs::read_to_string(root.join("etc/zsh/zprofile")).unwrap_or_default();
    assert_eq!(zp, "# distro\n");
}
