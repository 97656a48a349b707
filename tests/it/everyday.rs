//! Day-one commands people bring from goenv, mise and g: bare and multiple
//! installs, `gov use`, `current --bare`, `--refresh`, pinning globals,
//! `--unset`, `cache clean`, multi-uninstall, aliases, `v`-prefixed
//! versions, preset suggestions and list-remote's exit status.

use crate::support;

use support::{Sandbox, list_dir, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn sh(sb: &Sandbox, cwd: &std::path::Path, script: &str) -> std::process::Output {
    let mut cmd = sb.env_cmd("sh");
    cmd.current_dir(cwd).arg("-c").arg(script);
    run_program(&mut cmd)
}

#[test]
fn bare_and_multiple_installs_use_and_scripts() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.22.1", "1.21.13", "1.20.14"]);
    let proj = sb.dir.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap_or_else(|e| panic!("{e}"));

    // Nothing selected anywhere: bare install is a usage error with advice.
    let out = sh(&sb, &proj, "gov install");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("bare_install_with_nothing_selected", text(&out.stderr));

    // Bare install installs what .go-version selects; `v` prefix accepted.
    std::fs::write(proj.join(".go-version"), "v1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    let out = sh(&sb, &proj, "gov install");
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // First install with no global: says how to select it, selects nothing.
    insta::assert_snapshot!("first_install_from_go_version", err);
    sb.fails(&["global"], 1);

    // Several at once; one bad name fails before anything is installed.
    sb.fails(&["install", "1.20.14", "banana"], 2);
    assert_eq!(sb.installed(), vec!["1.21.13"]);
    // One missing release among several: the others install, exit 1.
    let err = sb.fails(&["install", "1.20.14", "1.19.99", "1.22.1"], 1);
    insta::assert_snapshot!("one_of_three_installs_fails", err);
    assert_eq!(sb.installed(), vec!["1.22.1", "1.21.13", "1.20.14"]);

    // gov use: installs and makes it the global.
    let out = sb.gov(&["use", "v1.22.5"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    insta::assert_snapshot!("use_installs_and_selects", err);
    assert_eq!(sb.ok(&["global"]).trim(), "1.22.5");

    // current --bare and which, for scripts; exec -- uses the selection.
    let out = sh(
        &sb,
        &proj,
        "gov current --bare && gov which && gov exec -- go version",
    );
    assert_eq!(
        text(&out.stdout),
        format!(
            "1.21.13\n{}\ngo version go1.21.13 linux/amd64",
            sb.goroot("1.21.13").join("bin/go").display()
        )
    );
}

#[test]
fn refresh_and_index_age_on_already_installed() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let hits = sb.server.hits("/dl/index.json");
    let err = sb.fails(&["install", "1.22.5", "--refresh"], 0);
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("already_installed_after_refresh", err);
    assert_eq!(
        sb.server.hits("/dl/index.json"),
        hits + 1,
        "--refresh asked the server"
    );
    // Within the TTL without --refresh: no request, and the age is stated.
    let err = sb.fails(&["install", "1.22"], 0);
    assert_eq!(sb.server.hits("/dl/index.json"), hits + 1);
    insta::assert_snapshot!("already_installed_with_the_index_age", err);
    sb.ok(&["list-remote", "--refresh"]);
    assert_eq!(sb.server.hits("/dl/index.json"), hits + 2);
}

#[test]
fn global_pins_unset_and_uninstall_many() {
    let _redactions = support::snapshot::redactions();
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5", "1.22.1", "1.21.13", "1.20.14"]);
    for v in ["1.22.1", "1.21.13", "1.20.14"] {
        sb.ok(&["install", v]);
    }
    // `gov global 1.22` pins the newest installed 1.22.x, and says so.
    let err = sb.fails(&["global", "1.22"], 0);
    insta::assert_snapshot!("global_of_a_line_pins_a_patch", err);
    sb.ok(&["install", "1.22.5"]);
    assert_eq!(sb.ok(&["global"]).trim(), "1.22.1", "a pin does not float");

    // --unset: no default; `go` then says what to do.
    sb.ok(&["global", "--unset"]);
    sb.fails(&["global"], 1);
    let out = sh(&sb, sb.dir.path(), "go version");
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("go_with_nothing_selected", text(&out.stderr));
    sb.ok(&["global", "--unset"]); // idempotent
    sb.ok(&["global", "1.22.5"]);

    // ls / rm aliases; several at once; a missing one among them exits 1.
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("ls_lists_the_installed", sb.ok(&["ls"]));
    let err = sb.fails(&["rm", "1.20.14", "1.18.1"], 1);
    insta::assert_snapshot!("uninstall_of_two_one_missing", err);
    assert_eq!(sb.installed(), vec!["1.22.5", "1.22.1", "1.21.13"]);
    // --all keeps the global.
    sb.ok(&["uninstall", "--all"]);
    assert_eq!(sb.installed(), vec!["1.22.5"]);
    sb.fails(&["uninstall"], 2);
}

#[test]
fn cache_clean_reports_what_it_freed_and_keeps_the_current_index() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5");
    let downloads = sb.home().join("cache/downloads");
    let index_dir = sb.home().join("cache/index");
    assert_eq!(
        list_dir(&downloads).len(),
        2,
        "installs fill the download cache"
    );
    let current = list_dir(&index_dir);
    assert!(!current.is_empty());
    std::fs::write(index_dir.join("0123456789abcdef.json"), vec![b'x'; 1000])
        .unwrap_or_else(|e| panic!("{e}"));
    // Hostile: a symlink in the cache pointing at a user's file is removed as
    // a link; its target survives.
    let precious = sb.dir.path().join("precious");
    std::fs::write(&precious, "keep").unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&precious, downloads.join("evil.tar.gz"))
        .unwrap_or_else(|e| panic!("{e}"));

    let dry: serde_json::Value =
        serde_json::from_str(&sb.ok(&["cache", "clean", "--dry-run", "--json"]))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dry["archives"], 2);
    assert_eq!(dry["index_copies"], 1);
    assert_eq!(list_dir(&downloads).len(), 3, "dry run removes nothing");

    let err = sb.fails(&["cache", "clean"], 0);
    insta::assert_snapshot!("cache_clean_frees", err);
    assert!(list_dir(&downloads).is_empty());
    assert_eq!(
        list_dir(&index_dir),
        current,
        "the current index copy stays"
    );
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap_or_default(),
        "keep"
    );
    assert_eq!(sb.installed(), vec!["1.22.5", "1.21.13"]);
    // Nothing left: still success, zero freed.
    let v: serde_json::Value = serde_json::from_str(&sb.ok(&["cache", "clean", "--json"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["bytes"], 0);
}

#[test]
fn list_remote_no_match_presets_and_aliases() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.23rc1", "1.22.5", "1.21.13", "1.19.5"]);
    // No stable 1.23: exit 1, pointing at --all for the pre-release.
    let err = sb.fails(&["ls-remote", "1.23"], 1);
    insta::assert_snapshot!("list_remote_no_stable_match", err);
    insta::assert_snapshot!(
        "list_remote_all_shows_the_pre_release",
        sb.ok(&["list-remote", "--all", "1.23"])
    );
    sb.fails(&["list-remote", "1.17"], 1);
    // The hint names a line that really is hidden by default.
    let out = sb.gov(&["list-remote"]);
    let listed = text(&out.stdout);
    let err = text(&out.stderr);
    assert!(!listed.contains("1.19.5"), "{listed}");
    insta::assert_snapshot!("list_remote_hidden_lines_hint", err);
    insta::assert_snapshot!(
        "list_remote_of_a_hidden_line",
        sb.ok(&["list-remote", "1.19"])
    );

    // A preset typo gets a suggestion; hostile names are escaped.
    let err = sb.fails(&["proxy", "use", "cn-aliyn"], 2);
    insta::assert_snapshot!("proxy_preset_typo", err);
    let err = sb.fails(&["proxy", "use", "\u{1b}[31mred"], 2);
    assert!(!err.contains('\u{1b}'), "{err}");
    insta::assert_snapshot!("proxy_preset_hostile_name", err);
}

/// The README's removal steps (with the sandbox's paths) leave nothing of
/// gov behind, and the user's own `go env -w` file stays.
#[test]
fn documented_full_removal_leaves_nothing() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    sb.ok(&["persist", "--user"]);
    let goenv = sb.dir.path().join("user/.config/go/env");
    std::fs::create_dir_all(goenv.parent().unwrap_or(sb.dir.path()))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&goenv, "GOFLAGS=-mod=mod\n").unwrap_or_else(|e| panic!("{e}"));
    let gov_copy = sb.dir.path().join("user/gov");
    std::fs::copy(assert_cmd::cargo::cargo_bin("gov"), &gov_copy).unwrap_or_else(|e| panic!("{e}"));
    let script = format!(
        "gov persist --remove --user && find \"$GOV_BIN_DIR\" -maxdepth 1 -lname '*/gov' ! -name gov -delete && rm -rf \"$GOV_HOME\" && rm -f {}",
        gov_copy.display()
    );
    let out = sh(&sb, sb.dir.path(), &script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!sb.home().exists());
    assert!(list_dir(&sb.bin()).is_empty(), "{:?}", list_dir(&sb.bin()));
    let profile = std::fs::read_to_string(sb.dir.path().join("user/.profile")).unwrap_or_default();
    assert!(!profile.contains("gov"), "{profile}");
    assert!(!gov_copy.exists());
    assert_eq!(
        std::fs::read_to_string(&goenv).unwrap_or_default(),
        "GOFLAGS=-mod=mod\n"
    );
}

/// Colour only on a terminal and never with NO_COLOR; ASCII marks outside
/// UTF-8 locales (LC_ALL=C).
#[test]
fn colour_and_ascii_follow_the_terminal_and_locale() {
    let sb = Sandbox::with_installed(&["1.22.5"], "1.22.5");
    let gov = assert_cmd::cargo::cargo_bin("gov");
    let in_pty = |env: &[(&str, &str)]| {
        let mut c = sb.env_cmd("script");
        c.args([
            "-qec",
            &format!("{} doctor --offline", gov.display()),
            "/dev/null",
        ]);
        for (k, v) in env {
            c.env(k, v);
        }
        String::from_utf8_lossy(&run_program(&mut c).stdout).to_string()
    };
    // Facts about the marks and escapes inside doctor's long report (its
    // wording is snapshotted in render_doctor).
    let coloured = in_pty(&[("LANG", "C.UTF-8")]);
    assert!(coloured.contains("\u{1b}[32m✓\u{1b}[0m"), "{coloured}");
    let plain = in_pty(&[("LANG", "C.UTF-8"), ("NO_COLOR", "1")]);
    assert!(!plain.contains("\u{1b}["), "{plain}");
    assert!(plain.contains("✓"), "{plain}");
    let ascii = in_pty(&[("LANG", "C.UTF-8"), ("LC_ALL", "C"), ("NO_COLOR", "1")]);
    assert!(ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains("  + "), "{ascii}");
    // Not a terminal: no colour even without NO_COLOR.
    let mut c = sb.env_cmd("sh");
    c.args(["-c", "gov doctor --offline"])
        .env("LANG", "C.UTF-8");
    let piped = String::from_utf8_lossy(&run_program(&mut c).stdout).to_string();
    assert!(!piped.contains('\u{1b}') && piped.contains("✓"), "{piped}");
}

/// `gov global` decides whether the version is installed only once it
/// holds the state lock: an uninstall that held the lock meanwhile cannot
/// leave a global naming nothing.
#[test]
fn global_checks_what_is_installed_under_the_state_lock() {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5");
    let lock = sb.home().join("locks/state.lock");
    // Another gov holds the state lock (as `gov uninstall` does) until the
    // file `release` appears.
    let release = sb.dir.path().join("release");
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .arg("sh")
        .arg("-c")
        .arg("while [ ! -e \"$0\" ]; do sleep 0.05; done")
        .arg(&release)
        .spawn()
        .unwrap_or_else(|e| panic!("flock: {e}"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let global = sb
        .std_cmd()
        .args(["global", "1.21.13"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("gov global: {e}"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    // The uninstall under the lock: the tree disappears.
    std::fs::rename(sb.goroot("1.21.13"), sb.dir.path().join("gone"))
        .unwrap_or_else(|e| panic!("rename: {e}"));
    std::fs::write(&release, "").unwrap_or_else(|e| panic!("{e}"));
    let _ = holder.wait();
    let out = global
        .wait_with_output()
        .unwrap_or_else(|e| panic!("gov global: {e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("global_of_a_version_uninstalled_meanwhile", err);
    assert_eq!(sb.ok(&["global"]).trim(), "1.22.5");
}
