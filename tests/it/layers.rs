//! Shared servers with real accounts: root installs into the system layer,
//! other accounts (made here with useradd; CI runs as root) run go and gov
//! through setpriv with a minimal `env -i` environment.
//!
//! Reachability: tempfile makes 0700 directories under /tmp, which other
//! accounts cannot traverse, so each test's world is a directory under
//! /var/tmp opened to 0755, holding a copy of the gov binary (the cargo
//! target dir may sit below a private directory), the system layer
//! (GOV_SYSTEM_HOME, GOV_SYSTEM_BIN_DIR: the host's /usr/local is never
//! touched) and the accounts' homes.

use crate::support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use support::{TestServer, run_program, toolchain_archive};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn mkdir(p: &Path, mode: u32) {
    std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
}

pub(crate) struct World {
    dir: tempfile::TempDir,
    server: TestServer,
}

impl World {
    pub(crate) fn new() -> World {
        assert_eq!(
            unsafe_geteuid(),
            0,
            "tests/it/layers.rs creates accounts and needs root (tier-accounts; CI runs as root)"
        );
        let dir = tempfile::Builder::new()
            .prefix("gov-layers-")
            .tempdir_in("/var/tmp")
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        mkdir(dir.path(), 0o755);
        for d in ["bin", "home", "work", "roothome"] {
            mkdir(&dir.path().join(d), 0o755);
        }
        let gov = dir.path().join("bin/gov");
        std::fs::copy(assert_cmd::cargo::cargo_bin("gov"), &gov)
            .unwrap_or_else(|e| panic!("copying gov: {e}"));
        std::fs::set_permissions(&gov, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod gov: {e}"));
        World {
            dir,
            server: TestServer::start(),
        }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    pub(crate) fn system(&self) -> PathBuf {
        self.path("system")
    }
    pub(crate) fn sysbin(&self) -> PathBuf {
        self.path("sysbin")
    }
    fn work(&self) -> PathBuf {
        self.path("work")
    }

    /// What every process here gets: the system layer's location (in real
    /// life the defaults), PATH with the system entry points first.
    fn base_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "PATH".into(),
                format!(
                    "{}:{}:/usr/bin:/bin",
                    self.sysbin().display(),
                    self.path("bin").display()
                ),
            ),
            (
                "GOV_SYSTEM_HOME".into(),
                self.system().display().to_string(),
            ),
            (
                "GOV_SYSTEM_BIN_DIR".into(),
                self.sysbin().display().to_string(),
            ),
            ("GOV_HTTP_BACKOFF_MS".into(), "5".into()),
            ("NO_PROXY".into(), "*".into()),
        ]
    }

    /// Publishes stand-in toolchains and points the system layer's config
    /// at them, so every account's installs use this server.
    pub(crate) fn publish(&self, versions: &[&str]) {
        let mut idx = support::IndexBuilder::new();
        for v in versions {
            let a = toolchain_archive(v, "amd64", 0);
            idx.add_archive(&a, true);
            self.server
                .put(&format!("/dl/{}", a.filename), a.bytes.clone());
        }
        self.server.put("/dl/index.json", idx.to_json());
    }

    pub(crate) fn configure_system(&self, umask: &str) {
        self.root_ok(
            umask,
            &[
                "config",
                "set",
                &format!("GOV_INDEX_URL={}", self.server.url_for("/dl/index.json")),
                &format!("GOV_MIRROR={}", self.server.url_for("/dl")),
            ],
        );
    }

    /// Root, as after `sudo -i`: its own layer is the system layer.
    fn root_cmd(&self, umask: &str, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("/bin/sh");
        c.arg("-c")
            .arg("umask \"$0\"; exec \"$@\"")
            .arg(umask)
            .arg(program)
            .args(args)
            .env_clear()
            .current_dir(self.work())
            .env("HOME", self.path("roothome"));
        for (k, v) in self.base_env() {
            c.env(k, v);
        }
        c
    }

    fn root(&self, umask: &str, args: &[&str]) -> Output {
        run_program(&mut self.root_cmd(umask, "gov", args))
    }

    pub(crate) fn root_ok(&self, umask: &str, args: &[&str]) -> String {
        let out = self.root(umask, args);
        assert!(
            out.status.success(),
            "root: gov {args:?}: {}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }
}

fn unsafe_geteuid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// useradd and userdel lock /etc/passwd; one at a time.
static ACCOUNTS: Mutex<()> = Mutex::new(());

pub(crate) struct Account {
    name: String,
    uid: u32,
    pub(crate) gid: u32,
    pub(crate) home: Option<PathBuf>,
}

impl Account {
    /// A login account with a home under the world.
    pub(crate) fn with_home(world: &World, tag: &str) -> Account {
        let name = unique_name(tag);
        let home = world.path("home").join(&name);
        Account::add(
            &name,
            &[
                "--create-home",
                "--home-dir",
                &home.display().to_string(),
                "--shell",
                "/bin/sh",
                "--user-group",
            ],
            Some(home),
        )
    }

    /// A service account like `nobody`: home /nonexistent, no shell.
    fn homeless(tag: &str) -> Account {
        let name = unique_name(tag);
        Account::add(
            &name,
            &[
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
            ],
            None,
        )
    }

    fn add(name: &str, flags: &[&str], home: Option<PathBuf>) -> Account {
        let _g = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let out = Command::new("useradd")
            .args(flags)
            .arg(name)
            .output()
            .unwrap_or_else(|e| panic!("useradd: {e}"));
        assert!(
            out.status.success(),
            "useradd {name}: {}",
            text(&out.stderr)
        );
        let id = |flag: &str| -> u32 {
            let out = Command::new("id")
                .arg(flag)
                .arg(name)
                .output()
                .unwrap_or_else(|e| panic!("id: {e}"));
            text(&out.stdout)
                .parse()
                .unwrap_or_else(|e| panic!("id {flag} {name}: {e}"))
        };
        Account {
            name: name.to_string(),
            uid: id("-u"),
            gid: id("-g"),
            home,
        }
    }

    /// `program args` as this account, with only `env` (plus the world's
    /// base) in its environment. HOME is the account's home unless `env`
    /// names one; a homeless account gets none unless given.
    fn cmd(&self, world: &World, program: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .arg("--clear-groups")
            .arg("--")
            .arg("env")
            .arg("-i");
        let mut vars = world.base_env();
        if let Some(h) = &self.home {
            vars.push(("HOME".into(), h.display().to_string()));
        }
        for (k, v) in env {
            vars.retain(|(vk, _)| vk != k);
            if !v.is_empty() {
                vars.push((k.to_string(), v.to_string()));
            }
        }
        for (k, v) in vars {
            c.arg(format!("{k}={v}"));
        }
        c.arg(program).args(args).current_dir(world.work());
        c
    }

    pub(crate) fn run(
        &self,
        world: &World,
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        run_program(&mut self.cmd(world, program, args, env))
    }

    pub(crate) fn ok(
        &self,
        world: &World,
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> String {
        let out = self.run(world, program, args, env);
        assert!(
            out.status.success(),
            "{}: {program} {args:?}: {}\n{}",
            self.name,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    pub(crate) fn go(&self, world: &World, args: &[&str]) -> String {
        self.ok(world, "go", args, &[])
    }

    pub(crate) fn gov(&self, world: &World, args: &[&str]) -> String {
        self.ok(world, "gov", args, &[])
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _g = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        let mut c = Command::new("userdel");
        if self.home.is_some() {
            c.arg("--remove");
        }
        let _ = c.arg(&self.name).output();
    }
}

fn unique_name(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("gv{tag}{:x}{n}", std::process::id() & 0xfffff)
}

/// Every file and directory under `root` that is group- or world-writable,
/// or that another account could not read (directories: list and enter).
fn bad_modes(root: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.mode() & 0o7777;
        // The locks folder is the one private part of a layer: an account
        // that could open a lock file could flock it and stall gov.
        if meta.is_dir() && p.file_name().is_some_and(|n| n == "locks") {
            if mode != 0o700 {
                bad.push(format!("{:o} {} (locks must be 0700)", mode, p.display()));
            }
            continue;
        }
        let readable = if meta.is_dir() {
            mode & 0o005 == 0o005
        } else {
            mode & 0o004 != 0
        };
        if mode & 0o022 != 0 || !readable {
            bad.push(format!("{:o} {}", mode, p.display()));
        }
        if meta.is_dir()
            && let Ok(rd) = std::fs::read_dir(&p)
        {
            stack.extend(rd.flatten().map(|e| e.path()));
        }
    }
    bad
}

/// Files owned by `uid` in the places any account can write: the
/// world-writable directories, the world, /home and /nonexistent.
fn files_owned_by(uid: u32, world: &World) -> Vec<String> {
    let mut roots = vec![world.dir.path().to_path_buf()];
    for r in [
        "/tmp",
        "/var/tmp",
        "/dev/shm",
        "/run",
        "/home",
        "/nonexistent",
    ] {
        if Path::new(r).exists() {
            roots.push(PathBuf::from(r));
        }
    }
    let out = Command::new("find")
        .args(&roots)
        .args(["-xdev", "-uid", &uid.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("find: {e}"));
    text(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

pub(crate) fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// The origin `gov proxy show --json` gives for `key`.
fn proxy_origin(shown: &str, key: &str) -> (String, String) {
    let v = json(shown);
    let row = v
        .as_array()
        .and_then(|a| a.iter().find(|r| r["key"] == key))
        .unwrap_or_else(|| panic!("{key} missing: {shown}"));
    (
        row["value"].as_str().unwrap_or_default().to_string(),
        row["origin"].as_str().unwrap_or_default().to_string(),
    )
}

/// `gov doctor --offline --json` as `who`: (status, finding) of check `id`.
fn doctor(w: &World, who: &Account, id: &str) -> (String, String) {
    let out = who.run(w, "gov", &["doctor", "--offline", "--json"], &[]);
    let v = json(&String::from_utf8_lossy(&out.stdout));
    let c = v["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("no {id} in {v:#}"));
    (
        c["status"].as_str().unwrap_or_default().to_string(),
        c["finding"].as_str().unwrap_or_default().to_string(),
    )
}

/// Root sets up the system layer under a strict umask; a teammate uses it
/// as it is, then makes choices of its own that touch nobody else.
#[test]
fn the_system_layer_serves_every_account_and_each_keeps_its_own() {
    let w = World::new();
    w.publish(&["1.22.5", "1.21.13", "1.20.14"]);
    w.configure_system("077");
    w.root_ok("077", &["install", "1.22.5"]);
    w.root_ok("077", &["install", "1.21.13"]);
    w.root_ok("077", &["global", "1.22.5"]);
    w.root_ok("077", &["proxy", "use", "cn"]);
    assert_eq!(bad_modes(&w.system()), Vec::<String>::new(), "umask 077");
    assert_eq!(bad_modes(&w.sysbin()), Vec::<String>::new());

    let alice = Account::with_home(&w, "a");
    let bob = Account::with_home(&w, "b");
    // The system global, version and proxy settings, with no setup at all.
    for who in [&alice, &bob] {
        assert_eq!(who.go(&w, &["version"]), "go version go1.22.5 linux/amd64");
        assert_eq!(who.go(&w, &["env", "GOPROXY"]), "https://goproxy.cn,direct");
        let shown = who.gov(&w, &["proxy", "show", "--json"]);
        assert_eq!(
            proxy_origin(&shown, "GOPROXY"),
            ("https://goproxy.cn,direct".into(), "system".into())
        );
        // gov's own settings come from the system layer's config too.
        let cfg = json(&who.gov(&w, &["config", "show", "--json"]));
        let mirror = cfg["settings"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["key"] == "GOV_MIRROR"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(mirror["origin"], "system", "{cfg}");
        // Root's preset does not override the mirror root configured.
        let source = &cfg["toolchain_source"];
        assert_eq!(source["decided_by"], "GOV_MIRROR", "{cfg}");
        assert_eq!(
            source["origin"],
            w.system().join("config").display().to_string(),
            "{cfg}"
        );
    }
    // The system layer's shim, run by an account, applies its settings too.
    let shim = w.system().join("shims/1.22.5/go");
    let shim = shim.to_str().unwrap_or_default();
    assert_eq!(
        alice.ok(&w, shim, &["env", "GOPROXY"], &[]),
        "https://goproxy.cn,direct"
    );
    let listed = json(&alice.gov(&w, &["list", "--json"]));
    let layers = support::answers::version_layers(&listed);
    assert_eq!(
        layers,
        [
            ("1.22.5".to_string(), "system".to_string()),
            ("1.21.13".to_string(), "system".to_string())
        ]
    );
    assert!(
        alice.gov(&w, &["list"]).contains("1.21.13 [system]"),
        "text output marks the layer"
    );

    let (st, finding) = doctor(&w, &alice, "layers.system");
    assert_eq!(st, "ok", "{finding}");
    assert_eq!(doctor(&w, &alice, "layers.global").0, "ok");
    let (_, finding) = doctor(&w, &alice, "layers.version");
    assert!(finding.contains("system layer"), "{finding}");

    // Alice chooses for herself: her install, global and proxy.
    alice.gov(&w, &["install", "1.20.14"]);
    alice.gov(&w, &["global", "1.20.14"]);
    alice.gov(
        &w,
        &["proxy", "set", "GOPROXY=https://proxy.alice.example,direct"],
    );
    let alice_home = alice.home.clone().unwrap_or_default();
    let alice_layer = alice_home.join(".local/share/gov");
    assert!(alice_layer.join("versions/1.20.14/bin/go").is_file());
    let alice_bin = alice_home.join(".local/bin");
    // Her own entry points (`gov global` made them in ~/.local/bin).
    let path = format!("{}:/usr/bin:/bin", alice_bin.display());
    assert_eq!(
        alice.ok(&w, "go", &["version"], &[("PATH", &path)]),
        "go version go1.20.14 linux/amd64"
    );
    // The system `go` entry point follows her choice as well.
    assert_eq!(
        alice.go(&w, &["version"]),
        "go version go1.20.14 linux/amd64"
    );
    assert_eq!(
        alice.go(&w, &["env", "GOPROXY"]),
        "https://proxy.alice.example,direct"
    );
    // doctor: which layer decided, and her global shadowing root's.
    let (st, finding) = doctor(&w, &alice, "layers.global");
    assert_eq!(st, "warning", "{finding}");
    assert!(
        finding.contains("shadows the system global 1.22.5"),
        "{finding}"
    );
    let (_, finding) = doctor(&w, &alice, "layers.settings");
    assert!(
        finding.contains("GOPROXY from gov profile")
            && finding.contains("GOSUMDB from system profile"),
        "{finding}"
    );
    // A system version, selected by her own .go-version, with her proxy.
    let proj = w.work().join("alice-proj");
    mkdir(&proj, 0o755);
    std::fs::write(proj.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    let mut c = alice.cmd(&w, "go", &["version"], &[]);
    c.current_dir(&proj);
    assert_eq!(
        text(&run_program(&mut c).stdout),
        "go version go1.21.13 linux/amd64"
    );
    // GOV_AUTO_INSTALL installs what a project asks for into the caller's
    // own layer, never the system's.
    let proj = w.work().join("bob-proj");
    mkdir(&proj, 0o755);
    std::fs::write(proj.join(".go-version"), "1.20.14\n").unwrap_or_else(|e| panic!("{e}"));
    let mut c = bob.cmd(&w, "go", &["version"], &[("GOV_AUTO_INSTALL", "1")]);
    c.current_dir(&proj);
    let out = run_program(&mut c);
    assert_eq!(
        text(&out.stdout),
        "go version go1.20.14 linux/amd64",
        "{}",
        text(&out.stderr)
    );
    let bob_home = bob.home.clone().unwrap_or_default();
    assert!(
        bob_home
            .join(".local/share/gov/versions/1.20.14/bin/go")
            .is_file()
    );
    assert!(!w.system().join("versions/1.20.14").exists());
    // Nobody else is touched.
    assert_eq!(bob.go(&w, &["version"]), "go version go1.22.5 linux/amd64");
    assert_eq!(bob.go(&w, &["env", "GOPROXY"]), "https://goproxy.cn,direct");
    let out = run_program(&mut w.root_cmd("022", "go", &["version"]));
    assert_eq!(text(&out.stdout), "go version go1.22.5 linux/amd64");
    assert_eq!(
        files_owned_by(alice.uid, &w)
            .iter()
            .filter(|f| !f.starts_with(&alice_home.display().to_string()))
            .count(),
        0,
        "alice wrote only in her home"
    );

    // The system layer is root's: refused with advice, exit 1, unchanged.
    for args in [
        &["global", "--system", "1.21.13"][..],
        &["install", "--system", "1.20.14"],
        &["uninstall", "--system", "1.21.13"],
        &["proxy", "use", "--system", "official"],
        &["config", "set", "--system", "GOV_HTTP_RETRIES=1"],
    ] {
        let out = alice.run(&w, "gov", args, &[]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("sudo gov"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // Dropping her global falls back to the system's.
    alice.gov(&w, &["global", "--unset"]);
    assert_eq!(
        alice.go(&w, &["version"]),
        "go version go1.22.5 linux/amd64"
    );
    // A `sudo gov` that kept her GOV_HOME is refused: root does not run
    // from state another account owns.
    let mut c = w.root_cmd("022", "gov", &["proxy", "set", "GOFLAGS=-mod=mod"]);
    c.env("GOV_HOME", &alice_layer);
    let out = run_program(&mut c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("refusing to run as root"),
        "{}",
        text(&out.stderr)
    );
    // A root-owned file in her layer (left by an older gov run that way).
    let _ = std::fs::remove_file(alice_layer.join("env"));
    std::fs::write(alice_layer.join("env"), "GOFLAGS=-mod=mod\n").unwrap_or_else(|e| panic!("{e}"));
    let (st, finding) = doctor(&w, &alice, "layers.user");
    assert_eq!(st, "problem", "{finding}");
    assert!(finding.contains("owned by someone else"), "{finding}");
    let out = alice.run(&w, "gov", &["uninstall", "1.22.5"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("system layer"),
        "{}",
        text(&out.stderr)
    );
    assert!(w.system().join("versions/1.22.5/bin/go").is_file());
    assert_eq!(bob.go(&w, &["version"]), "go version go1.22.5 linux/amd64");
}

/// `sudo gov ...` keeps HOME (and SUDO_USER) of the caller on many systems:
/// gov acts on the system layer and leaves nothing of root's in that home.
#[test]
fn sudo_acts_on_the_system_layer_and_leaves_the_callers_home_alone() {
    let w = World::new();
    w.publish(&["1.22.5", "1.21.13"]);
    let alice = Account::with_home(&w, "s");
    let home = alice.home.clone().unwrap_or_default();
    // Her own `go env -w` file, which a sudo'd gov may read but not write.
    alice.ok(
        &w,
        "mkdir",
        &["-p", &home.join(".config/go").display().to_string()],
        &[],
    );
    let sudo = |args: &[&str]| {
        let mut c = w.root_cmd("022", "gov", args);
        c.env("HOME", &home)
            .env("SUDO_USER", &alice.name)
            .env("SUDO_UID", alice.uid.to_string())
            .env("USER", "root");
        let out = run_program(&mut c);
        // doctor may find problems of this bare world; it must still run.
        assert!(
            out.status.success() || args[0] == "doctor",
            "sudo gov {args:?}: {}",
            text(&out.stderr)
        );
    };
    sudo(&[
        "config",
        "set",
        &format!("GOV_INDEX_URL={}", w.server.url_for("/dl/index.json")),
        &format!("GOV_MIRROR={}", w.server.url_for("/dl")),
    ]);
    sudo(&["install", "1.22.5"]);
    sudo(&["install", "--system", "1.21.13"]);
    sudo(&["global", "1.22.5"]);
    sudo(&["proxy", "use", "cn"]);
    sudo(&["list"]);
    sudo(&["doctor", "--offline"]);
    let out = Command::new("find")
        .arg(&home)
        .args(["-xdev", "-uid", "0"])
        .output()
        .unwrap_or_else(|e| panic!("find: {e}"));
    assert_eq!(
        text(&out.stdout),
        "",
        "root-owned files in the caller's home"
    );
    assert!(w.system().join("versions/1.21.13/bin/go").is_file());
    assert_eq!(
        alice.go(&w, &["version"]),
        "go version go1.22.5 linux/amd64"
    );
}

/// A service account without a home (home /nonexistent, or no HOME at
/// all) runs the system layer's go and writes nothing anywhere; asked to
/// install, it explains why it cannot.
#[test]
fn a_homeless_service_account_runs_go_and_writes_nothing() {
    let w = World::new();
    w.publish(&["1.22.5", "1.21.13"]);
    w.configure_system("022");
    w.root_ok("022", &["install", "1.22.5"]);
    w.root_ok("022", &["global", "1.22.5"]);
    w.root_ok("022", &["proxy", "use", "cn"]);
    let svc = Account::homeless("h");
    for home in ["", "/nonexistent"] {
        let env = [("HOME", home)];
        let out = svc.ok(&w, "go", &["version"], &env);
        assert_eq!(out, "go version go1.22.5 linux/amd64", "HOME={home:?}");
        assert_eq!(
            svc.ok(&w, "go", &["env", "GOPROXY"], &env),
            "https://goproxy.cn,direct"
        );
        svc.ok(&w, "gov", &["list"], &env);
        svc.ok(&w, "gov", &["proxy", "show"], &env);
        svc.ok(&w, "gov", &["current"], &env);
        // A selection it cannot satisfy: explained, not attempted.
        let proj = w.work().join("needs-1.21");
        mkdir(&proj, 0o755);
        std::fs::write(proj.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
        let mut c = svc.cmd(
            &w,
            "go",
            &["version"],
            &[("HOME", home), ("GOV_AUTO_INSTALL", "1")],
        );
        c.current_dir(&proj);
        let out = run_program(&mut c);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("GOV_HOME") && err.contains("sudo gov install"),
            "HOME={home:?}: {err}"
        );
        let out = svc.run(&w, "gov", &["install", "1.21.13"], &env);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("cannot write gov's layer"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(files_owned_by(svc.uid, &w), Vec::<String>::new());
}

/// Under umask 000 root's files would be world-writable unless gov sets
/// modes itself; another account keeps working.
#[test]
fn root_under_umask_000_leaves_nothing_writable_by_others() {
    let w = World::new();
    w.publish(&["1.22.5"]);
    w.configure_system("000");
    w.root_ok("000", &["install", "1.22.5"]);
    w.root_ok("000", &["global", "1.22.5"]);
    w.root_ok("000", &["proxy", "set", "GOPRIVATE=git.corp.example/*"]);
    assert_eq!(bad_modes(&w.system()), Vec::<String>::new(), "umask 000");
    assert_eq!(bad_modes(&w.sysbin()), Vec::<String>::new());
    let carol = Account::with_home(&w, "u");
    assert_eq!(
        carol.go(&w, &["version"]),
        "go version go1.22.5 linux/amd64"
    );
    assert_eq!(carol.go(&w, &["env", "GOPRIVATE"]), "git.corp.example/*");
}

/// A system layer others cannot read is a permission problem with advice,
/// never "no Go version is selected".
#[test]
fn an_unreadable_system_layer_is_reported_as_such() {
    let w = World::new();
    w.publish(&["1.22.5"]);
    w.configure_system("022");
    w.root_ok("022", &["install", "1.22.5"]);
    w.root_ok("022", &["global", "1.22.5"]);
    let dave = Account::with_home(&w, "r");
    let global = w.system().join("global");
    let root_doctor = |w: &World| {
        let out = w.root("022", &["doctor", "--offline", "--json"]);
        let v = json(&String::from_utf8_lossy(&out.stdout));
        v["checks"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == "layers.system"))
            .map(|c| c["status"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    assert_eq!(root_doctor(&w), "ok");
    std::fs::set_permissions(&global, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = dave.run(&w, "go", &["version"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("permission denied") && err.contains(&global.display().to_string()),
        "{err}"
    );
    assert!(!err.contains("no Go version is selected"), "{err}");
    // Walking up from a directory it may not search (as after
    // `sudo -u dave go version` in /root) hides nothing: the global applies.
    // A .go-version that exists but cannot be read is an error.
    std::fs::set_permissions(&global, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let private = w.work().join("private");
    mkdir(&private, 0o700);
    std::fs::write(private.join(".go-version"), "1.19.1\n").unwrap_or_else(|e| panic!("{e}"));
    let mut c = dave.cmd(&w, "go", &["version"], &[]);
    c.current_dir(&private);
    let out = run_program(&mut c);
    assert_eq!(
        text(&out.stdout),
        "go version go1.22.5 linux/amd64",
        "{}",
        text(&out.stderr)
    );
    let secret = w.work().join("secret");
    mkdir(&secret, 0o755);
    let vf = secret.join(".go-version");
    std::fs::write(&vf, "1.22.5\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&vf, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut c = dave.cmd(&w, "go", &["version"], &[]);
    c.current_dir(&secret);
    let out = run_program(&mut c);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("permission denied") && err.contains(&vf.display().to_string()),
        "{err}"
    );
    std::fs::set_permissions(&global, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    // Root's doctor sees what the others cannot read.
    assert_eq!(root_doctor(&w), "problem");
    std::fs::set_permissions(&global, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let versions = w.system().join("versions");
    std::fs::set_permissions(&versions, std::fs::Permissions::from_mode(0o700))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = dave.run(&w, "go", &["version"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("permission denied") && err.contains("versions"),
        "{err}"
    );
    std::fs::set_permissions(&versions, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    // A system layer others could write to: any account could swap
    // everyone's Go. doctor says so.
    let go = w.system().join("versions/1.22.5/bin/go");
    std::fs::set_permissions(&go, std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = w.root("022", &["doctor", "--offline", "--json"]);
    let v = json(&String::from_utf8_lossy(&out.stdout));
    let c = v["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == "layers.system_writable"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(c["status"], "problem", "{v:#}");
    assert!(
        c["finding"]
            .as_str()
            .unwrap_or_default()
            .contains(&go.display().to_string()),
        "{c}"
    );
    // A corrupt system global (hand-edited): an error naming the file.
    std::fs::write(&global, "not a version\n").unwrap_or_else(|e| panic!("{e}"));
    let out = dave.run(&w, "go", &["version"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("{} is corrupt", global.display())),
        "{err}"
    );
}

/// A real Go, installed by root, run by a teammate and by a homeless
/// service account: its own `go version` and `go env` see the system
/// layer's settings, and the service account still writes nothing.
#[cfg(feature = "tier-toolchains")]
#[test]
fn a_real_go_from_the_system_layer_for_other_accounts() {
    let mirror = support::go_fixtures::real_go_mirror();
    let w = World::new();
    let url = |p: &Path| format!("file://{}", p.display());
    w.root_ok(
        "077",
        &[
            "config",
            "set",
            &format!("GOV_INDEX_URL={}", url(&mirror.join("index.json"))),
            &format!("GOV_MIRROR={}", url(&mirror)),
        ],
    );
    w.root_ok("077", &["install", "1.22.10"]);
    w.root_ok("077", &["global", "1.22.10"]);
    w.root_ok("077", &["proxy", "use", "cn"]);
    assert_eq!(bad_modes(&w.system()), Vec::<String>::new());
    let erin = Account::with_home(&w, "g");
    let svc = Account::homeless("gs");
    for (who, env) in [
        (&erin, &[][..]),
        (&svc, &[("HOME", "")][..]),
        (&svc, &[("HOME", "/nonexistent")][..]),
    ] {
        assert_eq!(
            who.ok(&w, "go", &["version"], env),
            "go version go1.22.10 linux/amd64"
        );
        assert_eq!(
            who.ok(&w, "go", &["env", "GOPROXY"], env),
            "https://goproxy.cn,direct"
        );
        assert_eq!(
            who.ok(&w, "go", &["env", "GOSUMDB"], env),
            "sum.golang.google.cn"
        );
        assert_eq!(
            who.ok(&w, "go", &["env", "GOROOT"], env),
            w.system().join("versions/1.22.10").display().to_string()
        );
    }
    // Her `go env -w` wins over the system profile, as Go's own layers do.
    erin.go(&w, &["env", "-w", "GOPROXY=https://erin.example,direct"]);
    assert_eq!(
        erin.go(&w, &["env", "GOPROXY"]),
        "https://erin.example,direct"
    );
    assert_eq!(
        svc.ok(&w, "go", &["env", "GOPROXY"], &[]),
        "https://goproxy.cn,direct"
    );
    assert_eq!(files_owned_by(svc.uid, &w), Vec::<String>::new());
}
