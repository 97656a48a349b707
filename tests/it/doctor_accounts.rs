//! Doctor for real accounts on a shared server (tier-accounts): an account
//! that uses only root's system layer is healthy, and doctor never advises
//! what would shadow root's choice.

use crate::layers::{Account, World, json};

/// `gov doctor --offline --json` as `who`, with `env`: (exit code, report).
fn doctor(w: &World, who: &Account, env: &[(&str, &str)]) -> (Option<i32>, serde_json::Value) {
    let out = who.run(w, "gov", &["doctor", "--offline", "--json"], env);
    (
        out.status.code(),
        json(&String::from_utf8_lossy(&out.stdout)),
    )
}

fn find<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no {id} in {v:#}"))
}

/// Every advice in the report, joined.
fn all_advice(v: &serde_json::Value) -> String {
    v["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["advice"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn an_account_on_the_system_layer_alone_is_healthy() {
    let w = World::new();
    w.publish(&["1.22.5"]);
    w.configure_system("022");
    w.root_ok("022", &["install", "1.22.5"]);
    w.root_ok("022", &["global", "1.22.5"]);
    let alice = Account::with_home(&w, "d");
    assert_eq!(
        alice.go(&w, &["version"]),
        "go version go1.22.5 linux/amd64"
    );
    // Her PATH is the world's: the system entry points, not ~/.local/bin.
    let (code, v) = doctor(&w, &alice, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    let bin = find(&v, "path.bin_dir");
    assert_eq!(bin["status"], "ok", "{bin:#}");
    assert!(
        bin["finding"]
            .as_str()
            .is_some_and(|f| f.contains(&w.sysbin().display().to_string())),
        "{bin:#}"
    );
    assert_eq!(find(&v, "path.go")["status"], "ok", "{v:#}");
    assert_eq!(find(&v, "versions.installed")["status"], "ok", "{v:#}");
    let advice = all_advice(&v);
    for shadowing in ["gov install latest", "gov global"] {
        assert!(!advice.contains(shadowing), "{shadowing}: {advice}");
    }

    // The broken twin: the system entry points are off her PATH, so no
    // `go` is found at all; doctor names her own bin dir missing from PATH.
    let path = format!("{}:/usr/bin:/bin", w.path("bin").display());
    let (code, v) = doctor(&w, &alice, &[("PATH", &path)]);
    assert_eq!(code, Some(1), "{v:#}");
    let bin = find(&v, "path.bin_dir");
    assert_eq!(bin["status"], "problem", "{bin:#}");
    assert!(
        bin["finding"]
            .as_str()
            .is_some_and(|f| f.contains(".local/bin") && f.contains("not on PATH")),
        "{bin:#}"
    );
}

/// An account asking for a version root already installed is told so and
/// gets no second copy, for `1.22` and `latest` as for `1.22.5`, in the dry
/// run as in the install; `--force` makes a copy of its own.
#[test]
fn installing_what_the_system_layer_has_needs_force() {
    let w = World::new();
    w.publish(&["1.22.5", "1.21.13"]);
    w.configure_system("022");
    w.root_ok("022", &["install", "1.22.5"]);
    let bob = Account::with_home(&w, "e");
    let own = bob
        .home
        .clone()
        .unwrap_or_default()
        .join(".local/share/gov/versions/1.22.5");
    for args in [
        &["install", "1.22.5"][..],
        &["install", "1.22"],
        &["install", "latest"],
        &["install", "--dry-run", "1.22"],
        &["install", "--dry-run", "latest"],
    ] {
        let out = bob.run(&w, "gov", args, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        assert!(
            err.contains("installed in the system layer") && err.contains("--force"),
            "{args:?}: {err}"
        );
        assert!(!own.exists(), "{args:?} made a second copy");
    }
    let dry = json(&bob.gov(&w, &["install", "--dry-run", "--json", "1.22"]));
    assert_eq!(dry["changed"], false, "{dry:#}");
    // A version the system layer lacks is installed as usual.
    bob.gov(&w, &["install", "1.21.13"]);
    bob.gov(&w, &["install", "--force", "1.22.5"]);
    assert!(own.join("bin/go").is_file());
}

/// Root's `gov proxy set GOCACHE=...` reaches every account; a folder only
/// root can write makes their builds fail, and doctor says so with the
/// fixes for a shared server. The account's own default cache is fine.
#[test]
fn a_cache_root_set_that_an_account_cannot_write_is_a_problem() {
    let w = World::new();
    w.publish(&["1.22.5"]);
    w.configure_system("022");
    w.root_ok("022", &["install", "1.22.5"]);
    w.root_ok("022", &["global", "1.22.5"]);
    let carol = Account::with_home(&w, "f");
    let (code, v) = doctor(&w, &carol, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(find(&v, "build.writable")["status"], "ok", "{v:#}");

    let shared = w.path("cache");
    std::fs::create_dir_all(&shared).unwrap_or_else(|e| panic!("{e}"));
    w.root_ok(
        "022",
        &["proxy", "set", &format!("GOCACHE={}", shared.display())],
    );
    let (code, v) = doctor(&w, &carol, &[]);
    assert_eq!(code, Some(1), "{v:#}");
    let c = find(&v, "build.writable.gocache");
    assert_eq!(c["status"], "problem", "{c:#}");
    let advice = c["advice"].as_str().unwrap_or_default();
    assert!(
        advice.contains("gov proxy unset GOCACHE")
            && advice.contains(&format!("gov cache shared {}", shared.display())),
        "{advice}"
    );

    // Root shares it with her group: her builds can write it, doctor agrees.
    let gid = carol.gid.to_string();
    w.root_ok(
        "022",
        &[
            "cache",
            "shared",
            &shared.display().to_string(),
            "--group",
            &gid,
        ],
    );
    let (code, v) = doctor(&w, &carol, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(find(&v, "build.writable")["status"], "ok", "{v:#}");
    let probe = shared.join("probe");
    carol.ok(&w, "touch", &[&probe.display().to_string()], &[]);
    let meta = std::fs::metadata(&probe).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        std::os::unix::fs::MetadataExt::gid(&meta),
        carol.gid,
        "setgid keeps the group"
    );
}
