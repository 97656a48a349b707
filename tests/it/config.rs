//! `gov config`: gov's own settings per layer, below the environment.

use crate::support;

use support::Sandbox;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A mirror kept in the account's config reaches later installs with no
/// GOV_* variable in the environment.
#[test]
fn a_mirror_in_the_config_file_is_used_without_environment() {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.22.5"]);
    let mut set = sb.cmd();
    set.args([
        "config",
        "set",
        &format!("GOV_MIRROR={}", sb.mirror()),
        &format!("GOV_INDEX_URL={}", sb.index_url()),
    ]);
    set.assert().success();
    let text = std::fs::read_to_string(sb.home().join("config")).expect("config written");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("config_file_after_set", text);

    let out = sb
        .cmd()
        .env_remove("GOV_MIRROR")
        .env_remove("GOV_INDEX_URL")
        .args(["install", "1.22.5"])
        .output()
        .expect("gov runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(sb.goroot("1.22.5").join("bin/go").exists());

    // show says where each value came from.
    let out = sb
        .cmd()
        .env_remove("GOV_MIRROR")
        .args(["config", "show", "--json"])
        .output()
        .expect("gov runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = |k: &str| {
        v["settings"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["key"] == k))
            .cloned()
            .unwrap_or_else(|| panic!("{k} missing from {v}"))
    };
    assert_eq!(row("GOV_MIRROR")["origin"], "user");
    assert_eq!(row("GOV_MIRROR")["value"], sb.mirror());
    assert_eq!(row("GOV_INDEX_URL")["origin"], "environment");
    assert_eq!(row("GOV_LOCK_TIMEOUT")["origin"], "default");
    assert_eq!(row("GOV_LOCK_TIMEOUT")["value"], "3600");

    // unset removes it; a second unset changes nothing.
    sb.ok(&["config", "unset", "GOV_MIRROR"]);
    let text = std::fs::read_to_string(sb.home().join("config")).expect("config");
    assert!(!text.contains("GOV_MIRROR"), "{text}");
    let err =
        String::from_utf8_lossy(&sb.gov(&["config", "unset", "GOV_MIRROR"]).stderr).into_owned();
    insta::assert_snapshot!("unset_of_an_unset_key", err);
}

/// The system layer's file is read below the account's own.
#[test]
fn the_system_layer_is_below_the_account() {
    let sb = Sandbox::new();
    std::fs::write(
        sb.system_home().join("config"),
        "GOV_MIRROR=https://system.example/go\nGOV_INDEX_TTL=60\n",
    )
    .expect("write");
    std::fs::write(sb.home().join("config"), "GOV_INDEX_TTL=5\n").expect("write");
    let get = |k: &str| {
        let out = sb
            .cmd()
            .env_remove("GOV_MIRROR")
            .args(["config", "get", k])
            .output()
            .expect("run");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(get("GOV_MIRROR"), "https://system.example/go");
    assert_eq!(get("GOV_INDEX_TTL"), "5");
    let show = String::from_utf8_lossy(
        &sb.cmd()
            .env_remove("GOV_MIRROR")
            .args(["config", "show"])
            .output()
            .expect("run")
            .stdout,
    )
    .into_owned();
    // One row of the whole settings table: its origin column.
    assert!(show.contains("system ("), "{show}");

    if is_root() {
        sb.ok(&["config", "set", "--system", "GOV_LOCK_TIMEOUT=10"]);
        let text = std::fs::read_to_string(sb.system_home().join("config")).expect("read");
        insta::assert_snapshot!("system_config_file_after_set", text);
        // Another account may not write it.
        let out = sb
            .std_cmd()
            .env("HOME", "/nonexistent")
            .args(["config", "set", "--system", "GOV_LOCK_TIMEOUT=1"])
            .output_as_nobody();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        insta::assert_snapshot!(
            "system_config_set_by_another_account",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        let err = sb.fails(&["config", "set", "--system", "GOV_LOCK_TIMEOUT=1"], 1);
        insta::assert_snapshot!("system_config_set_by_another_account", err);
    }
}

trait AsNobody {
    fn output_as_nobody(&mut self) -> std::process::Output;
}

impl AsNobody for std::process::Command {
    /// Runs the command as `nobody` through setpriv (root only).
    fn output_as_nobody(&mut self) -> std::process::Output {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(self.get_program())
            .args(self.get_args());
        for (k, v) in self.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.current_dir("/");
        c.output().expect("setpriv runs (util-linux)")
    }
}

#[test]
fn hostile_and_mistaken_values_are_refused() {
    let sb = Sandbox::new();
    let mut messages = String::new();
    for args in [
        vec!["config", "set", "GOV_MIRRORS=https://x/go"],
        vec!["config", "set", "GOV_MIRROR"],
        vec!["config", "set", "GOV_MIRROR=ftp://x/go"],
        vec!["config", "set", "GOV_MIRROR=https://a/go,,https://b/go"],
        vec![
            "config",
            "set",
            "GOV_MIRROR=https://x/go\nLD_PRELOAD=/tmp/x.so",
        ],
        vec!["config", "set", "GOV_INDEX_TTL=soon"],
        vec!["config", "set", "GOV_ALLOW_HTTP=maybe"],
        vec!["config", "get", "PATH"],
        vec!["config", "set", "GOV_MIRROR=\u{1b}[2Jhttps://x"],
    ] {
        let err = sb.fails(&args, 2);
        assert!(
            !err.contains('\u{1b}'),
            "escape sequences must not reach the terminal: {err:?}"
        );
        messages.push_str(&format!(
            "$ gov {}\n{}\n\n",
            args.join(" ").escape_debug(),
            err.trim_end()
        ));
    }
    insta::assert_snapshot!("refused_values", messages);
    assert!(!sb.home().join("config").exists(), "nothing was written");

    // A damaged file: unknown and malformed lines are ignored, known keys used.
    std::fs::write(
        sb.home().join("config"),
        "garbage\nGOV_NOPE=1\n=x\nGOV_INDEX_TTL=7\n\0\n",
    )
    .expect("write");
    let out = sb.ok(&["config", "get", "GOV_INDEX_TTL"]);
    assert_eq!(out.trim(), "7");
    // Setting keeps the user's other lines' keys (it rewrites known ones only).
    sb.ok(&["config", "set", "GOV_LOCK_TIMEOUT=9"]);
    let text = std::fs::read_to_string(sb.home().join("config")).expect("read");
    insta::assert_snapshot!("damaged_config_file_rewritten", text);
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `set`/`unset --json [--dry-run]`: what changed, for orchestrators; a dry
/// run writes nothing; a refused value is a failure document, exit 2.
#[test]
fn set_and_unset_answer_in_json() {
    let sb = Sandbox::new();
    let run = |args: &[&str]| {
        sb.cmd()
            .env_remove("GOV_MIRROR")
            .args(args)
            .output()
            .expect("gov runs")
    };
    let config = sb.home().join("config");

    let out = run(&[
        "config",
        "set",
        "GOV_MIRROR=https://m.example/go",
        "--json",
        "--dry-run",
    ]);
    assert!(out.status.success());
    let v = json_of(&out);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["changed"], true, "{v:#}");
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["action"], "updated");
    assert_eq!(v["changed_keys"], serde_json::json!(["GOV_MIRROR"]));
    assert_eq!(v["after"]["GOV_MIRROR"], "https://m.example/go");
    assert!(!config.exists(), "a dry run writes nothing");

    let out = run(&["config", "set", "GOV_MIRROR=https://m.example/go", "--json"]);
    let v = json_of(&out);
    assert_eq!(
        (v["changed"].clone(), v["dry_run"].clone()),
        (true.into(), false.into())
    );
    assert_eq!(v["layer"], "user");
    assert_eq!(v["file"], config.display().to_string());
    let text = std::fs::read_to_string(&config).expect("written");
    insta::assert_snapshot!("config_file_after_set_json", text);

    // Again: nothing changes, and the answer says so.
    let v = json_of(&run(&[
        "config",
        "set",
        "GOV_MIRROR=https://m.example/go",
        "--json",
    ]));
    assert_eq!(v["changed"], false, "{v:#}");
    assert_eq!(v["action"], "unchanged");
    assert_eq!(v["changed_keys"], serde_json::json!([]));

    let v = json_of(&run(&["config", "unset", "GOV_MIRROR", "--json"]));
    assert_eq!(v["changed"], true, "{v:#}");
    assert_eq!(v["requested"]["GOV_MIRROR"], serde_json::Value::Null);
    assert_eq!(v["before"]["GOV_MIRROR"], "https://m.example/go");
    assert!(v["after"].get("GOV_MIRROR").is_none(), "{v:#}");

    // A hostile value: a failure document, nothing written.
    let out = run(&[
        "config",
        "set",
        "GOV_MIRROR=https://x/go\nLD_PRELOAD=/x.so",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out);
    assert_eq!(v["changed"], false);
    assert_eq!(v["exit_code"], 2);
    assert_eq!(v["error"]["kind"], "invalid-input", "{v:#}");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    assert!(!text.contains("LD_PRELOAD"), "{text}");
}

fn mode_of(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Files an older gov (or a hand edit) wrote keep working, and the first
/// change rewrites each in the one format: the config file with its spaces
/// around `=` and indented lines, the profile in go env's format with its
/// old header.
#[test]
fn older_settings_files_are_read_and_migrated_on_first_write() {
    let sb = Sandbox::new();
    let config = sb.home().join("config");
    let profile = sb.home().join("env");
    std::fs::create_dir_all(sb.home()).expect("home");
    std::fs::write(
        &config,
        "# gov settings\n  GOV_INDEX_TTL = 5\nGOV_HTTP_RETRIES= 7\n\n# note\nGOV_NOT_A_KEY=kept\n",
    )
    .expect("write config");
    std::fs::write(
        &profile,
        "# gov's module settings (go env format); change with `gov proxy`.\nGOPROXY=https://goproxy.cn,direct\nGOSUMDB=sum.golang.google.cn\n",
    )
    .expect("write profile");
    assert_eq!(sb.ok(&["config", "get", "GOV_INDEX_TTL"]).trim(), "5");
    assert_eq!(sb.ok(&["config", "get", "GOV_HTTP_RETRIES"]).trim(), "7");

    sb.ok(&["config", "set", "GOV_LOCK_TIMEOUT=9"]);
    let text = std::fs::read_to_string(&config).expect("read config");
    assert_eq!(
        text,
        "# gov's settings for this layer; change with `gov config set KEY=VALUE`\n\
         GOV_INDEX_TTL=5\nGOV_LOCK_TIMEOUT=9\nGOV_HTTP_RETRIES=7\nGOV_NOT_A_KEY=kept\n"
    );
    assert_eq!(mode_of(&config), 0o644);

    sb.ok(&["proxy", "set", "GOPRIVATE=git.corp.example/*"]);
    let text = std::fs::read_to_string(&profile).expect("read profile");
    assert_eq!(
        text,
        "# gov's module settings (go env format); change with `gov proxy`.\n\
         GOPROXY=https://goproxy.cn,direct\nGOSUMDB=sum.golang.google.cn\nGOPRIVATE=git.corp.example/*\n"
    );
    assert_eq!(mode_of(&profile), 0o644);
}

/// A settings file that is a link, too large, or (for root) another
/// account's is not read, and a change refuses to rewrite it.
#[test]
fn hostile_settings_files_are_refused() {
    let sb = Sandbox::new();
    let config = sb.home().join("config");
    std::fs::create_dir_all(sb.home()).expect("home");
    let elsewhere = sb.home().join("elsewhere");
    std::fs::write(&elsewhere, "GOV_INDEX_TTL=1\n").expect("write");
    std::os::unix::fs::symlink(&elsewhere, &config).expect("link");
    assert_eq!(sb.ok(&["config", "get", "GOV_INDEX_TTL"]).trim(), "3600");
    let shown = sb.gov(&["config", "show"]);
    let warned = String::from_utf8_lossy(&shown.stderr);
    assert!(shown.status.success(), "{warned}");
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("show_warns_of_a_linked_config", warned);
    let err = sb.fails(&["config", "set", "GOV_INDEX_TTL=2"], 2);
    insta::assert_snapshot!("set_refuses_a_linked_config", err);
    assert_eq!(
        std::fs::read_to_string(&elsewhere).expect("read"),
        "GOV_INDEX_TTL=1\n",
        "the link's target is untouched"
    );
    std::fs::remove_file(&config).expect("unlink");

    let big = format!("GOV_INDEX_TTL=4\n{}", "# padding\n".repeat(10_000));
    std::fs::write(&config, &big).expect("write");
    assert_eq!(sb.ok(&["config", "get", "GOV_INDEX_TTL"]).trim(), "3600");
    let err = sb.fails(&["config", "set", "GOV_LOCK_TIMEOUT=2"], 2);
    insta::assert_snapshot!("set_refuses_an_oversize_config", err);
    assert_eq!(std::fs::read_to_string(&config).expect("read"), big);

    if is_root() {
        // The account's own layer is guarded as a whole (see perms); the
        // system layer's file, which root also reads, by the reader.
        std::fs::remove_file(&config).expect("remove");
        let system = sb.system_home().join("config");
        std::fs::write(&system, "GOV_INDEX_TTL=4\n").expect("write");
        std::os::unix::fs::chown(&system, Some(65534), Some(65534)).expect("chown");
        let out = sb.ok(&["config", "show"]);
        assert!(
            out.contains("GOV_INDEX_TTL") && !out.contains("system ("),
            "{out}"
        );
        assert_eq!(sb.ok(&["config", "get", "GOV_INDEX_TTL"]).trim(), "3600");
        let err = sb.fails(&["config", "set", "--system", "GOV_LOCK_TIMEOUT=2"], 2);
        insta::assert_snapshot!("set_refuses_a_system_config_of_another_account", err);
        assert_eq!(
            std::fs::read_to_string(&system).expect("read"),
            "GOV_INDEX_TTL=4\n"
        );
        // The same for the system profile: no account's GOPROXY reaches root's go.
        let profile = sb.system_home().join("env");
        std::fs::write(&profile, "GOPROXY=https://evil.example\n").expect("write");
        std::os::unix::fs::chown(&profile, Some(65534), Some(65534)).expect("chown");
        let show = sb.ok(&["proxy", "show"]);
        assert!(!show.contains("evil.example"), "{show}");
    }
}
