//! Release artifacts and the installer, end to end.
//!
//! scripts/dist's output is served by a loopback server together with a
//! tiny Go release, and install.sh is run the way users run it,
//! `curl -fsSL .../install.sh | sh -s -- --yes --go 1.22.5 --proxy cn`,
//! under dash, busybox sh and bash, as root (in a private mount namespace
//! with its own /usr/local, so the real defaults are exercised) and as an
//! unprivileged user with a fresh HOME; with only wget; with tampered and
//! truncated downloads; twice in a row. `gov self-update` is tested against
//! the same artifacts.
//!
//! Releases are signed with throwaway keys (scripts/test-release-keys, kept
//! under target/): dist/ is signed with `current` and its gov and install.sh
//! also trust `next`, standing in for release-keys' next key.
//!
//! dist/ comes from running scripts/dist once per test process. It is
//! incremental: cargo rebuilds the release binary only when the sources
//! changed (about 50 s then, about 4 minutes from cold; .ci/run builds it
//! before the tests so this step finds it fresh). It needs cargo-zigbuild
//! and ziglang, which .ci/run installs. GOV_TEST_DIST=<dir> uses an existing
//! dist directory instead (built with GOV_SIGNING_KEY and GOV_DIST_EXTRA_KEYS
//! set to scripts/test-release-keys' `current` and `next.pub`, as .ci/run
//! does).

use crate::support;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::account::{USER, chown_tree, is_root, test_user};
use support::{Sandbox, describe, list_dir, run_program};

const GO: &str = "1.22.5";
const TRIPLE: &str = "x86_64-unknown-linux-gnu";
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn artifact() -> String {
    format!("gov-{TRIPLE}.tar.gz")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------
// The artifacts.

struct Dist {
    dir: PathBuf,
    /// scripts/test-release-keys' directory: `current` signed dist/, `next`
    /// is trusted too.
    keys: PathBuf,
    tarball_sig: Vec<u8>,
    tarball: Vec<u8>,
    sha256_file: Vec<u8>,
    install_sh: Vec<u8>,
    /// The gov binary inside the tarball.
    gov: Vec<u8>,
}

fn dist() -> &'static Dist {
    static DIST: OnceLock<Result<Dist, String>> = OnceLock::new();
    match DIST.get_or_init(load_dist) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

fn load_dist() -> Result<Dist, String> {
    let support::dist::SignedDist { dir, keys } = support::dist::build_signed()?;
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| {
            format!(
                "cannot read {}: {e}\nhint: run scripts/dist (or unset GOV_TEST_DIST)",
                dir.join(name).display()
            )
        })
    };
    let tarball = read(&artifact())?;
    let tarball_sig = read(&format!("{}.sig", artifact()))?;
    let sha256_file = read(&format!("{}.sha256", artifact()))?;
    let install_sh = read("install.sh")?;
    let gov =
        gov::install::self_update::extract_binary(&tarball, &artifact()).map_err(|e| e.report())?;
    Ok(Dist {
        dir,
        keys,
        tarball_sig,
        tarball,
        sha256_file,
        install_sh,
        gov,
    })
}

/// The tarball with one byte changed in the middle.
fn tampered(bytes: &[u8]) -> Vec<u8> {
    let mut t = bytes.to_vec();
    let i = t.len() / 2;
    t[i] ^= 0x55;
    t
}

// ---------------------------------------------------------------------------
// A world: a loopback server with the release artifacts under /release and a
// Go release index and archives under /dl.

struct World {
    sb: Sandbox,
}

impl World {
    fn new() -> World {
        let sb = Sandbox::new();
        sb.publish_versions(&[GO, "1.21.13"]);
        let w = World { sb };
        w.serve_tarball(dist().tarball.clone());
        w.sb.server.put(
            &format!("/release/{}.sha256", artifact()),
            dist().sha256_file.clone(),
        );
        w.sb.server
            .put("/release/install.sh", dist().install_sh.clone());
        w.serve_sig(dist().tarball_sig.clone());
        w
    }

    fn serve_sig(&self, bytes: Vec<u8>) {
        self.sb
            .server
            .put(&format!("/release/{}.sig", artifact()), bytes);
    }

    fn serve_sha256_of(&self, tarball: &[u8]) {
        let line = format!("{}  {}\n", support::sha256_hex(tarball), artifact());
        self.sb.server.put(
            &format!("/release/{}.sha256", artifact()),
            line.into_bytes(),
        );
    }

    fn serve_tarball(&self, bytes: Vec<u8>) {
        self.sb
            .server
            .put(&format!("/release/{}", artifact()), bytes);
    }

    fn base(&self) -> String {
        self.sb.server.url_for("/release")
    }

    fn tarball_hits(&self) -> usize {
        self.sb.server.hits(&format!("/release/{}", artifact()))
    }

    /// A fresh directory under the sandbox.
    fn dir(&self, name: &str) -> PathBuf {
        let d = self.sb.dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
        d
    }

    /// The environment every installer run gets (nothing else leaks in).
    fn env(&self) -> Vec<(String, String)> {
        [
            ("PATH", SYSTEM_PATH.to_string()),
            ("GOV_RELEASE_BASE", self.base()),
            ("GOV_INDEX_URL", self.sb.index_url()),
            ("GOV_MIRROR", self.sb.mirror()),
            ("GOV_HTTP_BACKOFF_MS", "5".to_string()),
            ("NO_PROXY", "*".to_string()),
            // Root's system layer is /usr/local by default: never the host's.
            (
                "GOV_SYSTEM_HOME",
                self.sb.system_home().display().to_string(),
            ),
            (
                "GOV_SYSTEM_BIN_DIR",
                self.sb.system_bin().display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// Runs `sh -c script` under `wrap` (a command prefix) with exactly `env`.
fn run_sh(wrap: &[String], script: &str, env: &[(String, String)]) -> Output {
    let mut cmd = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg("sh");
            c
        }
        None => Command::new("sh"),
    };
    cmd.arg("-c").arg(script).env_clear().current_dir("/");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_program(&mut cmd)
}

/// The `curl | sh` pipeline, followed by checks that print `key=value`.
fn pipeline(shell: &str, extra: &str) -> String {
    format!(
        r#"set -e
curl -fsSL "$GOV_RELEASE_BASE/install.sh" | {shell} -s -- --yes --go {GO} --proxy cn {extra}
echo "gov=$("$BIN/gov" --version)"
echo "go=$("$BIN/go" version)"
echo "goproxy=$("$BIN/go" env GOPROXY)"
echo "global=$("$BIN/gov" global)"
"#
    )
}

/// Runs the same install again: it succeeds, reports the same checks, says
/// gov is unchanged, and does not even rewrite the binary (same inode).
fn rerun_is_harmless(
    wrap: &[String],
    script: &str,
    env: &[(String, String)],
    first: &Output,
    gov: &Path,
) {
    let ino = std::fs::metadata(gov).map(|m| m.ino()).ok();
    let again = run_sh(wrap, script, env);
    assert!(again.status.success(), "second run:\n{}", describe(&again));
    assert_eq!(checks(&again), checks(first), "{}", describe(&again));
    assert!(
        text(&again.stderr).contains("(unchanged)"),
        "{}",
        describe(&again)
    );
    assert_eq!(std::fs::metadata(gov).map(|m| m.ino()).ok(), ino);
}

fn checks(out: &Output) -> BTreeMap<String, String> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_installed(out: &Output, bin: &str) {
    assert!(out.status.success(), "installer failed:\n{}", describe(out));
    let c = checks(out);
    let want = [
        ("gov", format!("gov {}", env!("CARGO_PKG_VERSION"))),
        ("go", format!("go version go{GO} linux/amd64")),
        ("goproxy", "https://goproxy.cn,direct".to_string()),
        ("global", GO.to_string()),
    ];
    for (k, v) in want {
        assert_eq!(
            c.get(k).map(String::as_str),
            Some(v.as_str()),
            "{k}:\n{}",
            describe(out)
        );
    }
    let err = text(&out.stderr);
    assert!(err.contains("verified sha256 "), "{err}");
    assert!(
        err.contains("verified signature: Good \"gov-release\" signature"),
        "{err}"
    );
    assert!(
        err.contains(&format!("gov {} at {bin}/gov", env!("CARGO_PKG_VERSION"))),
        "{err}"
    );
}

/// Whether this host lets root make a private mount namespace.
fn can_unshare() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        is_root()
            && Command::new("unshare")
                .args(["-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"])
                .output()
                .is_ok_and(|o| o.status.success())
    })
}

// ---------------------------------------------------------------------------
// curl | sh, as root and as a user, under three shells.

/// As root, in a private mount namespace whose /usr/local is a sandbox
/// directory: the installer's and gov's root defaults (/usr/local/bin,
/// /usr/local/gov) are used for real. Without namespaces, GOV_BIN_DIR and
/// GOV_HOME point into the sandbox instead.
fn as_root(shell: &str) {
    assert!(
        is_root(),
        "the root install test needs root (tier-accounts)"
    );
    let w = World::new();
    let usr_local = w.dir("usr-local");
    let mut env = w.env();
    env.push(("HOME".into(), w.dir("root-home").display().to_string()));
    env.push(("TMPDIR".into(), w.dir("tmp").display().to_string()));
    let (wrap, bin, script) = if can_unshare() {
        // The real root defaults, inside the namespace's /usr/local.
        env.retain(|(k, _)| !k.starts_with("GOV_SYSTEM_"));
        let prefix = format!(
            "mount --bind '{}' /usr/local || exit 99\n",
            usr_local.display()
        );
        (
            vec!["unshare".to_string(), "-m".to_string()],
            "/usr/local/bin".to_string(),
            prefix + "BIN=/usr/local/bin\n" + &pipeline(shell, ""),
        )
    } else {
        eprintln!("no mount namespaces here: using GOV_BIN_DIR and GOV_HOME instead of /usr/local");
        let bin = usr_local.join("bin").display().to_string();
        env.push(("GOV_BIN_DIR".into(), bin.clone()));
        env.push((
            "GOV_HOME".into(),
            usr_local.join("gov").display().to_string(),
        ));
        // Root's system layer defaults to /usr/local too: keep it here.
        env.push((
            "GOV_SYSTEM_HOME".into(),
            usr_local.join("gov").display().to_string(),
        ));
        env.push(("GOV_SYSTEM_BIN_DIR".into(), bin.clone()));
        (
            vec![],
            bin.clone(),
            format!("BIN='{bin}'\n") + &pipeline(shell, ""),
        )
    };

    let out = run_sh(&wrap, &script, &env);
    assert_installed(&out, &bin);
    let err = text(&out.stderr);
    assert!(err.contains("installed gov"), "{err}");
    if can_unshare() {
        // /usr/local/bin is on PATH: no advice needed.
        assert!(!err.contains("not on PATH"), "{err}");
    }
    let gov = usr_local.join("bin/gov");
    assert_eq!(std::fs::read(&gov).ok().as_deref(), Some(&dist().gov[..]));
    assert!(
        usr_local
            .join("gov/versions")
            .join(GO)
            .join("bin/go")
            .is_file()
    );
    assert_eq!(
        list_dir(&w.dir("tmp")),
        Vec::<String>::new(),
        "temporary files left"
    );
    // Again: harmless, and gov is not even rewritten.
    rerun_is_harmless(&wrap, &script, &env, &out, &gov);
    assert_eq!(
        list_dir(&usr_local.join("gov/versions")),
        vec![GO.to_string()]
    );
}

/// As an unprivileged user with a fresh HOME and no GOV_* locations: gov
/// goes to ~/.local/bin, its state to ~/.local/share/gov, and the installer
/// prints the PATH line to add.
fn as_user(shell: &str, persist: bool) {
    let w = World::new();
    let home = tempfile::Builder::new()
        .prefix("gov-user-home-")
        .tempdir()
        .unwrap_or_else(|e| panic!("tempdir: {e}"));
    let tmp = home.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let wrap = if is_root() {
        let (uid, gid) = test_user();
        chown_tree(home.path(), uid, gid);
        vec![
            "setpriv".to_string(),
            format!("--reuid={uid}"),
            format!("--regid={gid}"),
            "--clear-groups".to_string(),
        ]
    } else {
        vec![]
    };
    let mut env = w.env();
    let h = home.path().display().to_string();
    env.push(("HOME".into(), h.clone()));
    env.push(("TMPDIR".into(), tmp.display().to_string()));
    let bin = format!("{h}/.local/bin");
    let extra = if persist { "--persist" } else { "" };
    let mut script = format!("BIN='{bin}'\n") + &pipeline(shell, extra);
    if persist {
        // A login shell started afterwards finds go.
        script.push_str("echo \"login_go=$(sh -lc 'command -v go')\"\n");
    }

    let out = run_sh(&wrap, &script, &env);
    assert_installed(&out, &bin);
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("export PATH=\"{bin}:$PATH\"")),
        "no PATH advice:\n{err}"
    );
    let gov = home.path().join(".local/bin/gov");
    assert_eq!(std::fs::read(&gov).ok().as_deref(), Some(&dist().gov[..]));
    let versions = home.path().join(".local/share/gov/versions");
    assert_eq!(list_dir(&versions), vec![GO.to_string()]);
    if is_root() {
        let (uid, _) = test_user();
        for p in [&gov, &versions.join(GO)] {
            let owner = std::fs::metadata(p).map(|m| m.uid()).ok();
            assert_eq!(owner, Some(uid), "{} is not owned by {USER}", p.display());
        }
    }
    if persist {
        assert_eq!(
            checks(&out).get("login_go").map(String::as_str),
            Some(format!("{bin}/go").as_str()),
            "{}",
            describe(&out)
        );
    }
    assert_eq!(list_dir(&tmp), Vec::<String>::new(), "temporary files left");
    let profile = || std::fs::read_to_string(home.path().join(".profile")).unwrap_or_default();
    let first_profile = profile();

    rerun_is_harmless(&wrap, &script, &env, &out, &gov);
    if persist {
        assert!(first_profile.contains(&bin), "~/.profile:\n{first_profile}");
    }
    assert_eq!(
        profile(),
        first_profile,
        "the second run changed ~/.profile"
    );
}

/// Root with GOV_SYSTEM_BIN_DIR (and GOV_SYSTEM_HOME) set: gov goes there,
/// where gov itself puts root's entry points, and /usr/local/bin stays
/// untouched. Needs a mount namespace so a wrong default cannot reach the
/// host's /usr/local.
#[cfg(all(feature = "tier-release", feature = "tier-accounts"))]
#[test]
fn root_honours_gov_system_bin_dir() {
    assert!(
        can_unshare(),
        "needs root and mount namespaces (unshare -m), so a wrong default cannot reach the host's /usr/local"
    );
    let w = World::new();
    let usr_local = w.dir("usr-local");
    let sysbin = w.dir("sys-bin").display().to_string();
    let mut env = w.env();
    env.push(("HOME".into(), w.dir("root-home").display().to_string()));
    env.push(("TMPDIR".into(), w.dir("tmp").display().to_string()));
    env.push(("GOV_SYSTEM_BIN_DIR".into(), sysbin.clone()));
    env.push((
        "GOV_SYSTEM_HOME".into(),
        w.dir("sys-home").display().to_string(),
    ));
    let script = format!(
        "mount --bind '{}' /usr/local || exit 99\nBIN='{sysbin}'\n{}",
        usr_local.display(),
        pipeline("dash", "")
    );
    let out = run_sh(&["unshare".to_string(), "-m".to_string()], &script, &env);
    assert_installed(&out, &sysbin);
    assert_eq!(
        list_dir(&usr_local),
        Vec::<String>::new(),
        "nothing under /usr/local"
    );
}

#[cfg(all(feature = "tier-release", feature = "tier-accounts"))]
#[test]
fn dash_as_root() {
    as_root("dash");
}

#[cfg(all(feature = "tier-release", feature = "tier-accounts"))]
#[test]
fn busybox_sh_as_root() {
    as_root("busybox sh");
}

#[cfg(all(feature = "tier-release", feature = "tier-accounts"))]
#[test]
fn bash_as_root() {
    as_root("bash");
}

#[cfg(feature = "tier-release")]
#[test]
fn dash_as_user() {
    as_user("dash", false);
}

#[cfg(feature = "tier-release")]
#[test]
fn busybox_sh_as_user() {
    as_user("busybox sh", false);
}

#[cfg(feature = "tier-release")]
#[test]
fn bash_as_user_with_persist() {
    as_user("bash", true);
}

// ---------------------------------------------------------------------------
// Downloaders and checksum tools.

/// A directory of symlinks to `tools` (found on the system PATH), for a
/// PATH holding exactly those.
fn toolbox(dir: &Path, tools: &[&str]) -> String {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    for t in tools {
        let (name, target) = t.split_once('=').unwrap_or((t, t));
        let found = SYSTEM_PATH
            .split(':')
            .map(|d| Path::new(d).join(target))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("{target} is not installed"));
        std::os::unix::fs::symlink(&found, dir.join(name))
            .unwrap_or_else(|e| panic!("symlink {name}: {e}"));
    }
    dir.display().to_string()
}

/// What install.sh needs besides a downloader and a sha256 tool.
const BASE_TOOLS: &[&str] = &[
    "sh=dash", "uname", "id", "mktemp", "rm", "mkdir", "cp", "mv", "chmod", "tar", "gzip", "tr",
    "getconf",
];

fn restricted_run(w: &World, tools: &[&str], fetch: &str) -> (Output, PathBuf) {
    let all = [BASE_TOOLS, &["ssh-keygen", "wc"], tools].concat();
    restricted_run_with(w, &all, fetch, "")
}

/// install.sh with exactly `tools` on PATH and `args`.
fn restricted_run_with(w: &World, tools: &[&str], fetch: &str, args: &str) -> (Output, PathBuf) {
    let path = toolbox(&w.sb.dir.path().join("toolbox"), tools);
    let bin = w.dir("bin");
    let mut env = w.env();
    env.retain(|(k, _)| k != "PATH");
    env.push(("PATH".into(), path));
    env.push(("HOME".into(), w.dir("home-dir").display().to_string()));
    env.push(("TMPDIR".into(), w.dir("tmp").display().to_string()));
    env.push(("GOV_BIN_DIR".into(), bin.display().to_string()));
    env.push(("GOV_HOME".into(), w.sb.home().display().to_string()));
    let script = format!(
        r#"set -e
for t in curl wget sha256sum shasum openssl; do
    command -v "$t" >/dev/null 2>&1 && echo "has_$t=yes"
done
BIN='{bin}'
{fetch} "$GOV_RELEASE_BASE/install.sh" | sh -s -- --yes --go {GO} --proxy cn {args}
echo "gov=$("$BIN/gov" --version)"
echo "go=$("$BIN/go" version)"
echo "goproxy=$("$BIN/go" env GOPROXY)"
echo "global=$("$BIN/gov" global)"
"#,
        bin = bin.display()
    );
    (run_sh(&[], &script, &env), bin)
}

#[cfg(feature = "tier-release")]
#[test]
fn only_wget() {
    let w = World::new();
    let (out, bin) = restricted_run(&w, &["wget", "sha256sum"], "wget -qO-");
    let c = checks(&out);
    assert_eq!(
        c.get("has_curl"),
        None,
        "curl is visible:\n{}",
        describe(&out)
    );
    assert_eq!(c.get("has_wget").map(String::as_str), Some("yes"));
    assert_installed(&out, &bin.display().to_string());
    let agents: Vec<String> =
        w.sb.server
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/release/gov-"))
            .map(|r| r.header("user-agent").unwrap_or("").to_string())
            .collect();
    assert!(
        !agents.is_empty() && agents.iter().all(|a| a.starts_with("Wget")),
        "{agents:?}"
    );
}

#[cfg(feature = "tier-release")]
#[test]
fn openssl_when_there_is_no_sha256sum() {
    let w = World::new();
    let (out, bin) = restricted_run(&w, &["curl", "openssl"], "curl -fsSL");
    let c = checks(&out);
    assert_eq!(c.get("has_sha256sum"), None, "{}", describe(&out));
    assert_eq!(c.get("has_shasum"), None, "{}", describe(&out));
    assert_installed(&out, &bin.display().to_string());
}

/// Without ssh-keygen the signature cannot be checked: refused before any
/// download, unless --no-signature, which installs and says what is lost.
#[cfg(feature = "tier-release")]
#[test]
fn without_ssh_keygen_only_no_signature_installs() {
    let w = World::new();
    let tools = [BASE_TOOLS, &["curl", "sha256sum", "wc"]].concat();
    let (out, bin) = restricted_run_with(&w, &tools, "curl -fsSL", "");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("ssh-keygen") && err.contains("--no-signature"),
        "{err}"
    );
    assert!(!bin.join("gov").exists());
    assert_eq!(w.tarball_hits(), 0);

    // An ssh-keygen older than OpenSSH 8.1 (CentOS 7's) has no -Y: the same.
    std::fs::remove_dir_all(w.sb.dir.path().join("toolbox")).ok();
    let old = w.dir("old-ssh");
    std::fs::write(
        old.join("ssh-keygen"),
        "#!/bin/sh\necho 'ssh-keygen: illegal option -- Y' >&2\nexit 1\n",
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    std::fs::set_permissions(
        old.join("ssh-keygen"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap_or_else(|e| panic!("chmod: {e}"));
    let old_tool = format!("ssh-keygen={}", old.join("ssh-keygen").display());
    let with_old = [&tools[..], &[old_tool.as_str()]].concat();
    let (out, bin) = restricted_run_with(&w, &with_old, "curl -fsSL", "");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("OpenSSH 8.1"),
        "{}",
        describe(&out)
    );
    assert!(!bin.join("gov").exists());
    assert_eq!(w.tarball_hits(), 0);

    std::fs::remove_dir_all(w.sb.dir.path().join("toolbox")).ok();
    let (out, bin) = restricted_run_with(&w, &tools, "curl -fsSL", "--no-signature");
    assert!(out.status.success(), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(err.contains("warning: --no-signature"), "{err}");
    assert!(err.contains("could hand you any program"), "{err}");
    assert!(!err.contains("verified signature"), "{err}");
    assert_eq!(
        std::fs::read(bin.join("gov")).ok().as_deref(),
        Some(&dist().gov[..])
    );
}

#[cfg(feature = "tier-release")]
#[test]
fn no_sha256_tool_installs_nothing() {
    let w = World::new();
    let (out, bin) = restricted_run(&w, &["curl"], "curl -fsSL");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("none of sha256sum, shasum or openssl"),
        "{}",
        describe(&out)
    );
    assert!(!bin.join("gov").exists());
    assert_eq!(w.tarball_hits(), 0);
}

// ---------------------------------------------------------------------------
// Bad downloads.

fn simple_env(w: &World) -> (Vec<(String, String)>, PathBuf, PathBuf) {
    let bin = w.sb.dir.path().join("bin-dir");
    let tmp = w.dir("tmp");
    let mut env = w.env();
    env.push(("HOME".into(), w.dir("home-dir").display().to_string()));
    env.push(("TMPDIR".into(), tmp.display().to_string()));
    env.push(("GOV_BIN_DIR".into(), bin.display().to_string()));
    env.push(("GOV_HOME".into(), w.sb.home().display().to_string()));
    (env, bin, tmp)
}

const CURL_PIPE: &str =
    r#"curl -fsSL "$GOV_RELEASE_BASE/install.sh" | dash -s -- --yes --go 1.22.5 --proxy cn"#;

#[cfg(feature = "tier-release")]
#[test]
fn tampered_artifact_is_refused_before_anything_is_installed() {
    let w = World::new();
    let (env, bin, tmp) = simple_env(&w);
    std::fs::remove_dir_all(w.sb.home()).ok();

    for bad in [
        tampered(&dist().tarball),
        dist().tarball[..dist().tarball.len() / 2].to_vec(),
    ] {
        w.serve_tarball(bad);
        let out = run_sh(&[], CURL_PIPE, &env);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        let err = text(&out.stderr);
        assert!(err.contains("checksum mismatch"), "{err}");
        assert!(err.contains("nothing was installed"), "{err}");
        assert!(!bin.exists(), "GOV_BIN_DIR was created");
        assert!(!w.sb.home().exists(), "GOV_HOME was created");
        assert_eq!(list_dir(&tmp), Vec::<String>::new(), "temporary files left");
        assert_eq!(w.sb.server.hits("/dl/index.json"), 0, "Go was looked up");
    }

    // Over an installed gov: the installed one stays as it was.
    w.serve_tarball(dist().tarball.clone());
    let out = run_sh(&[], CURL_PIPE, &env);
    assert!(out.status.success(), "{}", describe(&out));
    let meta = std::fs::metadata(bin.join("gov")).map(|m| (m.ino(), m.mtime()));
    w.serve_tarball(tampered(&dist().tarball));
    let out = run_sh(&[], CURL_PIPE, &env);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        std::fs::metadata(bin.join("gov"))
            .map(|m| (m.ino(), m.mtime()))
            .ok(),
        meta.ok()
    );
    // What the first install put there, and nothing else.
    assert_eq!(list_dir(&bin), vec!["go", "go1.22.5", "gofmt", "gov"]);
}

#[cfg(feature = "tier-release")]
#[test]
fn a_bad_sha256_file_or_a_missing_artifact_installs_nothing() {
    let w = World::new();
    let (env, bin, _) = simple_env(&w);
    w.sb.server.put(
        &format!("/release/{}.sha256", artifact()),
        b"<html>not found</html>\n".to_vec(),
    );
    let out = run_sh(&[], CURL_PIPE, &env);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("does not hold a sha256 digest"),
        "{}",
        describe(&out)
    );
    assert!(!bin.exists());

    // A bare digest without a newline (dl.google.com's style) is fine.
    let bare = support::sha256_hex(&dist().tarball);
    w.sb.server.put(
        &format!("/release/{}.sha256", artifact()),
        bare.into_bytes(),
    );
    let out = run_sh(&[], CURL_PIPE, &env);
    assert!(out.status.success(), "{}", describe(&out));
    std::fs::remove_dir_all(&bin).unwrap_or_else(|e| panic!("rm: {e}"));

    w.sb.server
        .remove(&format!("/release/{}.sha256", artifact()));
    let out = run_sh(&[], CURL_PIPE, &env);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("cannot download"),
        "{}",
        describe(&out)
    );
    assert!(!bin.exists());
}

/// The script is one function called on its last line: any prefix of it
/// does nothing at all.
#[cfg(feature = "tier-release")]
#[test]
fn a_truncated_script_runs_nothing() {
    let w = World::new();
    let (env, bin, _) = simple_env(&w);
    let full = &dist().install_sh;
    let last_line = full[..full.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Cuts all through the file, and at every byte of the line that calls
    // main (where a cut could drop the options but still call it).
    let mut cuts: Vec<usize> = (1..20).map(|k| full.len() * k / 20).collect();
    cuts.extend(last_line..full.len() - 1);
    for cut in cuts {
        w.sb.server.put("/release/install.sh", full[..cut].to_vec());
        for shell in ["dash", "busybox sh", "bash"] {
            let out = run_sh(
                &[],
                &CURL_PIPE.replace("dash -s", &format!("{shell} -s")),
                &env,
            );
            assert!(
                !bin.exists(),
                "cut at {cut} of {}, {shell}: {}",
                full.len(),
                describe(&out)
            );
            assert!(
                !text(&out.stderr).contains("gov-install:"),
                "cut at {cut}, {shell}: {}",
                describe(&out)
            );
        }
    }
    assert_eq!(w.tarball_hits(), 0);
}

// ---------------------------------------------------------------------------
// Options, URLs and platforms.

fn installer(w: &World, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let (mut env, _, _) = simple_env(w);
    for (k, v) in extra_env {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.to_string()));
    }
    let mut cmd = Command::new("dash");
    cmd.arg(dist().dir.join("install.sh"))
        .args(args)
        .env_clear()
        .envs(env);
    run_program(&mut cmd)
}

#[cfg(feature = "tier-release")]
#[test]
fn help_and_usage_errors() {
    let w = World::new();
    let out = installer(&w, &["--help"], &[]);
    assert!(out.status.success(), "{}", describe(&out));
    let help = text(&out.stdout);
    for opt in [
        "--yes",
        "--go <version>",
        "--proxy <preset>",
        "--persist",
        "--no-signature",
        "GOV_RELEASE_BASE",
    ] {
        assert!(help.contains(opt), "{opt} missing from:\n{help}");
    }
    for (args, msg) in [
        (&["--bogus"][..], "unknown option '--bogus'"),
        (&["--go"][..], "--go needs a version"),
        (&["--go", "--yes"][..], "--go needs a version"),
        (&["--go", "1.22;rm"][..], "is not a Go version"),
        (&["--proxy"][..], "--proxy needs a preset"),
        (&["--go="][..], "--go needs a version"),
    ] {
        let out = installer(&w, args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", describe(&out));
        assert!(
            text(&out.stderr).contains(msg),
            "{args:?}: {}",
            describe(&out)
        );
    }
    assert_eq!(w.tarball_hits(), 0);

    // An unknown preset is caught by the downloaded gov before anything is
    // installed.
    let out = installer(&w, &["--yes", "--proxy", "nosuch", "--go", GO], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(err.contains("unknown preset `nosuch`"), "{err}");
    assert!(err.contains("nothing was installed"), "{err}");
    assert!(!w.sb.dir.path().join("bin-dir").exists());
    assert_eq!(w.sb.server.hits("/dl/index.json"), 0);
}

#[cfg(feature = "tier-release")]
#[test]
fn release_base_must_be_https_unless_loopback() {
    let w = World::new();
    for base in [
        "http://example.com/gov",
        "http://127.0.0.1.example.com/gov",
        "http://localhost@example.com/gov",
    ] {
        let out = installer(&w, &["--yes"], &[("GOV_RELEASE_BASE", base)]);
        assert_eq!(out.status.code(), Some(1), "{base}: {}", describe(&out));
        assert!(
            text(&out.stderr).contains("refusing plain http"),
            "{base}: {}",
            describe(&out)
        );
    }
    for base in ["ftp://example.com/gov", "/srv/gov"] {
        let out = installer(&w, &["--yes"], &[("GOV_RELEASE_BASE", base)]);
        assert_eq!(out.status.code(), Some(1), "{base}: {}", describe(&out));
        assert!(
            text(&out.stderr).contains("must be an https:// URL"),
            "{}",
            describe(&out)
        );
    }
}

#[cfg(feature = "tier-release")]
#[test]
fn unsupported_systems_are_named() {
    let w = World::new();
    let fake = w.dir("fake-uname");
    for (s, m, msg) in [
        ("Darwin", "arm64", "this is macOS"),
        ("FreeBSD", "amd64", "unsupported operating system: FreeBSD"),
        ("Linux", "mips", "unsupported architecture: mips"),
        ("Linux", "riscv64", "unsupported architecture: riscv64"),
    ] {
        let uname = fake.join("uname");
        std::fs::write(
            &uname,
            format!("#!/bin/sh\ncase $1 in -s) echo {s} ;; -m) echo {m} ;; esac\n"),
        )
        .unwrap_or_else(|e| panic!("write: {e}"));
        std::fs::set_permissions(&uname, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod: {e}"));
        let path = format!("{}:{SYSTEM_PATH}", fake.display());
        let out = installer(&w, &["--yes"], &[("PATH", &path)]);
        assert_eq!(out.status.code(), Some(1), "{s}/{m}: {}", describe(&out));
        let err = text(&out.stderr);
        assert!(err.contains(msg), "{s}/{m}: {err}");
        assert!(err.contains("hint: "), "{s}/{m}: {err}");
    }
    assert_eq!(w.tarball_hits(), 0);
}

/// Without --yes and without a terminal (a piped run in CI), the installer
/// does not wait for an answer.
#[cfg(feature = "tier-release")]
#[test]
fn no_terminal_never_prompts() {
    let w = World::new();
    let (env, bin, _) = simple_env(&w);
    let script =
        format!(r#"curl -fsSL "$GOV_RELEASE_BASE/install.sh" | setsid -w dash -s -- --go {GO}"#);
    let out = run_sh(&[], &script, &env);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(bin.join("gov").is_file());
    assert!(bin.join("go").exists());
}

/// On a terminal without --yes it asks, and "n" changes nothing.
#[cfg(feature = "tier-release")]
#[test]
fn a_terminal_is_asked() {
    let w = World::new();
    let (env, bin, _) = simple_env(&w);
    let install_sh = dist().dir.join("install.sh").display().to_string();
    for (answer, ok) in [("n", false), ("y", true)] {
        let script =
            format!("printf '{answer}\\n' | script -qec 'dash {install_sh} --go {GO}' /dev/null");
        let out = run_sh(&[], &script, &env);
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(all.contains("Proceed? [Y/n]"), "{}", describe(&out));
        assert_eq!(out.status.success(), ok, "{answer}: {}", describe(&out));
        assert_eq!(
            bin.join("gov").is_file(),
            ok,
            "{answer}: {}",
            describe(&out)
        );
        if !ok {
            assert!(all.contains("nothing was changed"), "{}", describe(&out));
            assert_eq!(w.tarball_hits(), 0);
        }
    }
}

// ---------------------------------------------------------------------------
// Signatures.

/// `ssh-keygen -Y sign` over `bytes` with `key` for `namespace`.
fn sign_bytes(dir: &Path, bytes: &[u8], key: &Path, namespace: &str) -> Vec<u8> {
    let file = dir.join("to-sign");
    let _ = std::fs::remove_file(dir.join("to-sign.sig"));
    std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("write: {e}"));
    let out = run_program(
        Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", namespace, "-f"])
            .arg(key)
            .arg(&file),
    );
    assert!(
        out.status.success(),
        "ssh-keygen -Y sign: {}",
        describe(&out)
    );
    std::fs::read(dir.join("to-sign.sig")).unwrap_or_default()
}

/// A fresh ed25519 key pair nobody trusts.
fn stranger_key(dir: &Path) -> PathBuf {
    let key = dir.join("stranger");
    let out = run_program(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key),
    );
    assert!(out.status.success(), "{}", describe(&out));
    key
}

/// `SHA256:...` of a public key file.
fn fingerprint(pub_file: &Path) -> String {
    let out = run_program(Command::new("ssh-keygen").arg("-l").arg("-f").arg(pub_file));
    text(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// The tarball with one byte changed and its `.sha256` regenerated, as by
/// whoever controls the release host: only the signature stands in the way.
/// Then every kind of bad `.sig`. Neither install.sh nor self-update
/// installs anything, and both name the file and the key they expected.
#[cfg(feature = "tier-release")]
#[test]
fn a_tampered_release_or_a_bad_signature_is_refused() {
    let w = World::new();
    let (env, bin, tmp) = simple_env(&w);
    let gov = gov_copy(&w, "self");
    let expected = fingerprint(&dist().keys.join("current.pub"));
    let scratch = w.dir("scratch");
    let stranger = stranger_key(&scratch);
    let current = dist().keys.join("current");
    let good = &dist().tarball;
    let other_file = sign_bytes(&scratch, &dist().install_sh, &current, "gov-release");
    // (what, the tarball served, its .sig: None for a 404)
    type Case<'a> = (&'a str, Vec<u8>, Option<Vec<u8>>);
    let cases: Vec<Case> = vec![
        ("tampered", tampered(good), Some(dist().tarball_sig.clone())),
        ("other file", good.clone(), Some(other_file)),
        (
            "namespace",
            good.clone(),
            Some(sign_bytes(&scratch, good, &current, "file")),
        ),
        (
            "stranger",
            good.clone(),
            Some(sign_bytes(&scratch, good, &stranger, "gov-release")),
        ),
        (
            "truncated",
            good.clone(),
            Some(dist().tarball_sig[..100].to_vec()),
        ),
        ("huge", good.clone(), Some(vec![b'A'; 5000])),
        ("missing", good.clone(), None),
    ];
    for (what, tarball, sig) in cases {
        w.serve_tarball(tarball.clone());
        w.serve_sha256_of(&tarball);
        match sig {
            Some(sig) => w.serve_sig(sig),
            None => w.sb.server.remove(&format!("/release/{}.sig", artifact())),
        }
        let out = run_sh(&[], CURL_PIPE, &env);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", describe(&out));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("{}.sig", artifact())),
            "{what}: {err}"
        );
        assert!(err.contains("nothing was installed"), "{what}: {err}");
        if what != "missing" {
            assert!(err.contains(&expected), "{what}: {err}");
        }
        assert!(!bin.exists(), "{what}: GOV_BIN_DIR was created");
        assert_eq!(list_dir(&tmp), Vec::<String>::new(), "temporary files left");

        let out = self_update(&w, &gov, &[]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", describe(&out));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("{}.sig", artifact())),
            "{what}: {err}"
        );
        assert!(err.contains(&expected), "{what}: {err}");
        assert!(err.contains("nothing was changed"), "{what}: {err}");
        assert_eq!(std::fs::read(&gov).ok().as_deref(), Some(&dist().gov[..]));
        assert_eq!(
            list_dir(gov.parent().unwrap_or(Path::new("/"))),
            vec!["gov"]
        );
    }
}

/// A release signed by the next key (release-keys' second line; here the
/// throwaway `next` that dist/ was told to trust) installs and updates:
/// rotating the signing key does not strand installed copies.
#[cfg(feature = "tier-release")]
#[test]
fn a_release_signed_by_the_next_key_is_accepted() {
    let w = World::new();
    let scratch = w.dir("scratch");
    let sig = sign_bytes(
        &scratch,
        &dist().tarball,
        &dist().keys.join("next"),
        "gov-release",
    );
    w.serve_sig(sig);
    let next = fingerprint(&dist().keys.join("next.pub"));
    let out = installer(&w, &["--yes"], &[]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stderr).contains(&next), "{}", describe(&out));
    let gov = gov_copy(&w, "self");
    let out = self_update(&w, &gov, &[]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains(&format!("signed by {next}")),
        "{}",
        describe(&out)
    );
}

// ---------------------------------------------------------------------------
// gov self-update.

/// A copy of dist/'s gov (it trusts the test keys), to be replaced.
fn gov_copy(w: &World, name: &str) -> PathBuf {
    let dir = w.dir(name);
    let path = dir.join("gov");
    std::fs::write(&path, &dist().gov).unwrap_or_else(|e| panic!("copying gov: {e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod: {e}"));
    path
}

fn self_update(w: &World, gov: &Path, args: &[&str]) -> Output {
    let base = w.sb.std_cmd();
    let mut cmd = Command::new(gov);
    cmd.arg("self-update").args(args).env_clear();
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("PATH", SYSTEM_PATH)
        .env("GOV_RELEASE_BASE", w.base());
    run_program(&mut cmd)
}

#[cfg(feature = "tier-release")]
#[test]
fn self_update_replaces_gov_atomically_and_verified() {
    let w = World::new();
    let gov = gov_copy(&w, "self");
    let meta = std::fs::metadata(&gov).unwrap_or_else(|e| panic!("stat: {e}"));

    // The published release is this very gov: its signature is checked,
    // and the file is left alone.
    let out = self_update(&w, &gov, &[]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("already the published release"),
        "{}",
        describe(&out)
    );
    assert_eq!(
        std::fs::metadata(&gov).map(|m| m.ino()).ok(),
        Some(meta.ino())
    );

    // A newer signed release replaces it by one rename.
    let newer = fake_release(&w.sb, "newer", "99.0.0");
    let out = self_update(&w, &gov, &["--base", &newer]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stderr).contains("updated "), "{}", describe(&out));
    let now = run_program(Command::new(&gov).arg("--version"));
    assert_eq!(text(&now.stdout).trim(), "gov 99.0.0");
    let meta = std::fs::metadata(&gov).unwrap_or_else(|e| panic!("stat: {e}"));
    assert_eq!(meta.permissions().mode() & 0o777, 0o755);
    assert_eq!(
        list_dir(gov.parent().unwrap_or(Path::new("/"))),
        vec!["gov"]
    );
}

#[cfg(feature = "tier-release")]
#[test]
fn self_update_refuses_a_tampered_release() {
    let w = World::new();
    let gov = gov_copy(&w, "self");
    let before = std::fs::read(&gov).unwrap_or_default();
    w.serve_tarball(tampered(&dist().tarball));
    let out = self_update(&w, &gov, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(std::fs::read(&gov).unwrap_or_default(), before);
    assert_eq!(
        list_dir(gov.parent().unwrap_or(Path::new("/"))),
        vec!["gov"]
    );

    // Not a release at all: a 404 says where it looked.
    w.sb.server
        .remove(&format!("/release/{}.sha256", artifact()));
    let out = self_update(&w, &gov, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("404"), "{}", describe(&out));

    // Plain http to a remote host is refused before any request.
    let out = self_update(&w, &gov, &["--base", "http://example.com/gov"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("refusing plain http"),
        "{}",
        describe(&out)
    );
    assert_eq!(std::fs::read(&gov).unwrap_or_default(), before);
}

// ---------------------------------------------------------------------------
// The artifacts themselves.

#[cfg(feature = "tier-release")]
#[test]
fn dist_holds_what_a_release_needs() {
    let d = dist();
    let digest = gov::install::self_update::parse_sha256_file(&d.sha256_file)
        .unwrap_or_else(|| panic!("bad .sha256: {}", text(&d.sha256_file)));
    assert_eq!(digest, support::sha256_hex(&d.tarball));
    assert!(text(&d.sha256_file).ends_with(&format!("  {}\n", artifact())));

    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(d.dir.join(artifact()))
        .output()
        .unwrap_or_else(|e| panic!("tar: {e}"));
    let names = text(&listing.stdout);
    let top = format!("gov-{TRIPLE}");
    for f in [
        "gov",
        "README.md",
        "LICENSE",
        "man/man1/gov.1",
        "man/man1/gov-install.1",
        "completions/gov.bash",
        "completions/_gov",
        "completions/gov.fish",
    ] {
        assert!(
            names.lines().any(|l| l == format!("{top}/{f}")),
            "{f} missing:\n{names}"
        );
    }
    assert!(
        !names.contains("gov-man.1"),
        "the hidden man command got a page"
    );

    // The packaged install.sh is the repository's, stamped with the keys
    // dist/ was built to trust besides release-keys.
    let repo_sh = std::fs::read_to_string(repo().join("install.sh")).unwrap_or_default();
    let pair = |name: &str| {
        let line = std::fs::read_to_string(d.keys.join(name)).unwrap_or_default();
        line.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let stamped = format!(
        "    extra_release_keys='{} {}'",
        pair("current.pub"),
        pair("next.pub")
    );
    assert_eq!(
        text(&d.install_sh),
        repo_sh.replace("    extra_release_keys=''", &stamped),
        "dist/install.sh is stale: run scripts/dist"
    );

    // Both signed files verify as README.md says to check them by hand,
    // with release-keys plus the key dist/ was signed with.
    let allowed = d.keys.join("allowed_signers.test");
    let mut signers = String::new();
    let committed = std::fs::read_to_string(repo().join("release-keys")).unwrap_or_default();
    let signing = std::fs::read_to_string(d.keys.join("current.pub")).unwrap_or_default();
    for line in committed.lines().chain(signing.lines()) {
        if line.starts_with("ssh-") {
            signers.push_str(&format!("gov-release namespaces=\"gov-release\" {line}\n"));
        }
    }
    std::fs::write(&allowed, signers).unwrap_or_else(|e| panic!("write: {e}"));
    for name in [artifact(), "install.sh".to_string()] {
        let file = std::fs::File::open(d.dir.join(&name)).unwrap_or_else(|e| panic!("{e}"));
        let out = run_program(
            Command::new("ssh-keygen")
                .args([
                    "-Y",
                    "verify",
                    "-n",
                    "gov-release",
                    "-I",
                    "gov-release",
                    "-f",
                ])
                .arg(&allowed)
                .arg("-s")
                .arg(d.dir.join(format!("{name}.sig")))
                .stdin(file),
        );
        assert!(out.status.success(), "{name}: {}", describe(&out));
    }
    let license = std::fs::read_to_string(repo().join("LICENSE")).unwrap_or_default();
    assert!(license.starts_with("MIT License"));
    assert!(license.contains("Copyright (c) 2026 the gov authors"));

    // Runs on glibc 2.17: no newer symbol version is referenced (or, with
    // GOV_DIST_LINK=static, no glibc is loaded at all).
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let bin = dir.path().join("gov");
    std::fs::write(&bin, &d.gov).unwrap_or_else(|e| panic!("write: {e}"));
    let readelf = |flag: &str| {
        let out = Command::new("readelf")
            .args(["--wide", flag])
            .arg(&bin)
            .output()
            .unwrap_or_else(|e| panic!("readelf: {e}"));
        assert!(out.status.success(), "readelf {flag}: {}", describe(&out));
        text(&out.stdout)
    };
    if !readelf("--program-headers").contains("Requesting program interpreter") {
        eprintln!("dist holds a static gov: no glibc symbol versions to check");
        return;
    }
    let syms = readelf("--dyn-syms");
    let mut newest = (0u32, 0u32);
    for word in syms.split(|c: char| c.is_whitespace() || c == '@' || c == '(' || c == ')') {
        if let Some(v) = word.strip_prefix("GLIBC_")
            && let Some((a, b)) = v.split_once('.')
        {
            let b = b.split('.').next().unwrap_or("0");
            if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                newest = newest.max((a, b));
            }
        }
    }
    assert!(newest >= (2, 2), "no GLIBC_ versions found:\n{syms}");
    assert!(newest <= (2, 17), "needs GLIBC_{}.{}", newest.0, newest.1);
}

/// Bad signing inputs stop scripts/dist before it builds anything, and
/// leave no key folder behind in TMPDIR.
#[test]
fn dist_refuses_bad_signing_inputs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap_or_else(|e| panic!("{e}"));
    let rsa = dir.path().join("rsa.pub");
    std::fs::write(&rsa, "ssh-rsa AAAAB3NzaC1yc2E= someone\n").unwrap_or_else(|e| panic!("{e}"));
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, "not a key\n").unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("missing").display().to_string();
    let (rsa, garbage) = (rsa.display().to_string(), garbage.display().to_string());
    for (key, extra, msg) in [
        (missing.as_str(), "", "GOV_SIGNING_KEY: no such file"),
        (
            garbage.as_str(),
            "",
            "cannot read the public half of GOV_SIGNING_KEY",
        ),
        (
            "",
            rsa.as_str(),
            "'ssh-rsa' is not an ssh-ed25519 public key",
        ),
    ] {
        let out = run_program(
            Command::new(repo().join("scripts/dist"))
                .current_dir(repo())
                .env("GOV_DIST_OUT", dir.path().join("out"))
                .env("TMPDIR", &tmp)
                .env("GOV_SIGNING_KEY", key)
                .env("GOV_DIST_EXTRA_KEYS", extra),
        );
        assert_eq!(out.status.code(), Some(1), "{msg}: {}", describe(&out));
        assert!(text(&out.stderr).contains(msg), "{}", describe(&out));
        assert!(
            !text(&out.stderr).contains("building"),
            "{}",
            describe(&out)
        );
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "{msg}: left in TMPDIR: {left:?}");
    }
}

#[test]
fn shell_scripts_are_shellcheck_clean() {
    let out = Command::new("shellcheck")
        .args(["-s", "sh"])
        .arg(repo().join("install.sh"))
        .arg(repo().join("scripts/dist"))
        .output()
        .unwrap_or_else(|e| {
            panic!("shellcheck: {e}\nhint: apt-get install shellcheck (.ci/run does)")
        });
    assert!(out.status.success(), "{}", describe(&out));
}

/// wget's --https-only does not cover redirects: each hop is checked by
/// install.sh itself. A hop that stays within the policy (loopback here)
/// is followed; one to plain http elsewhere is refused.
#[cfg(feature = "tier-release")]
#[test]
fn wget_redirect_hops_are_held_to_the_policy() {
    let w = World::new();
    let path = format!("/release/{}", artifact());
    w.sb.server.put("/moved/gov.tar.gz", dist().tarball.clone());
    w.sb.server
        .redirect(&path, &w.sb.server.url_for("/moved/gov.tar.gz"));
    let (out, bin) = restricted_run(&w, &["wget", "sha256sum"], "wget -qO-");
    assert_installed(&out, &bin.display().to_string());
    assert!(w.sb.server.hits("/moved/gov.tar.gz") > 0);

    let w = World::new();
    w.sb.server
        .redirect(&path, "http://gov-release.invalid/gov.tar.gz");
    let (out, bin) = restricted_run(&w, &["wget", "sha256sum"], "wget -qO-");
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("refusing a redirect"),
        "{}",
        describe(&out)
    );
    assert!(!bin.join("gov").exists());
}

// ---------------------------------------------------------------------------
// Downgrades, with a hand-made release.

/// A release at `/<dir>` whose `gov` is a script answering `gov <version>`,
/// signed with the test key dist/ was built to trust.
fn fake_release(sb: &Sandbox, dir: &str, version: &str) -> String {
    let work = sb.dir.path().join(format!("fake-{dir}"));
    let top = work.join(format!("gov-{TRIPLE}"));
    std::fs::create_dir_all(&top).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let script = format!("#!/bin/sh\n[ \"$1\" = --version ] && echo 'gov {version}'\nexit 0\n");
    std::fs::write(top.join("gov"), script).unwrap_or_else(|e| panic!("write: {e}"));
    std::fs::set_permissions(top.join("gov"), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod: {e}"));
    let out = run_program(
        Command::new("tar")
            .arg("-czf")
            .arg(work.join(artifact()))
            .arg("-C")
            .arg(&work)
            .arg(format!("gov-{TRIPLE}")),
    );
    assert!(out.status.success(), "{}", describe(&out));
    let tarball = std::fs::read(work.join(artifact())).unwrap_or_default();
    let sum = format!("{}  {}\n", support::sha256_hex(&tarball), artifact());
    let sig = sign_bytes(&work, &tarball, &dist().keys.join("current"), "gov-release");
    sb.server.put(&format!("/{dir}/{}", artifact()), tarball);
    sb.server
        .put(&format!("/{dir}/{}.sha256", artifact()), sum.into_bytes());
    sb.server.put(&format!("/{dir}/{}.sig", artifact()), sig);
    sb.server.url_for(&format!("/{dir}"))
}

fn repo_installer(shell: &str, base: &str, bin: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(shell);
    if shell == "busybox" {
        cmd.arg("sh");
    }
    cmd.arg(dist().dir.join("install.sh"))
        .args(args)
        .env_clear()
        .env("PATH", SYSTEM_PATH)
        .env("GOV_RELEASE_BASE", base)
        .env("GOV_BIN_DIR", bin)
        .env("NO_PROXY", "*");
    run_program(&mut cmd)
}

#[cfg(feature = "tier-release")]
#[test]
fn an_older_release_replaces_gov_only_when_asked() {
    let sb = Sandbox::new();
    let old = fake_release(&sb, "old", "0.0.1");

    // gov self-update.
    let gov = sb.dir.path().join("self/gov");
    std::fs::create_dir_all(sb.dir.path().join("self")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&gov, &dist().gov).unwrap_or_else(|e| panic!("copying gov: {e}"));
    std::fs::set_permissions(&gov, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod: {e}"));
    let before = std::fs::read(&gov).unwrap_or_default();
    let update = |args: &[&str]| {
        let cmd = sb.std_cmd();
        let mut c = Command::new(&gov);
        c.arg("self-update").args(args).env_clear();
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        c.env("PATH", SYSTEM_PATH).env("GOV_RELEASE_BASE", &old);
        run_program(&mut c)
    };
    let out = update(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("older than this gov") && err.contains("--allow-downgrade"),
        "{err}"
    );
    assert!(
        std::fs::read(&gov).unwrap_or_default() == before,
        "gov was replaced"
    );
    assert_eq!(list_dir(&sb.dir.path().join("self")), vec!["gov"]);
    let out = update(&["--allow-downgrade"]);
    assert!(out.status.success(), "{}", describe(&out));
    let now = run_program(Command::new(&gov).arg("--version"));
    assert_eq!(text(&now.stdout).trim(), "gov 0.0.1");

    // install.sh over a newer gov, under each shell it supports.
    for shell in ["dash", "busybox", "bash"] {
        let bin = sb.dir.path().join(format!("bin-{shell}"));
        std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
        let newer = "#!/bin/sh\necho 'gov 9.9.9'\n";
        std::fs::write(bin.join("gov"), newer).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(bin.join("gov"), std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = repo_installer(shell, &old, &bin, &["--yes"]);
        assert_eq!(out.status.code(), Some(1), "{shell}: {}", describe(&out));
        let err = text(&out.stderr);
        assert!(
            err.contains("newer than the gov 0.0.1") && err.contains("--allow-downgrade"),
            "{shell}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(bin.join("gov")).unwrap_or_default(),
            newer
        );
        assert_eq!(list_dir(&bin), vec!["gov"], "{shell}");
        let out = repo_installer(shell, &old, &bin, &["--yes", "--allow-downgrade"]);
        assert!(out.status.success(), "{shell}: {}", describe(&out));
        let now = run_program(Command::new(bin.join("gov")).arg("--version"));
        assert_eq!(text(&now.stdout).trim(), "gov 0.0.1", "{shell}");
        // Empty values are usage errors, not silently nothing.
        for args in [&["--go", ""][..], &["--proxy", ""]] {
            let out = repo_installer(shell, &old, &bin, args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{shell} {args:?}: {}",
                describe(&out)
            );
        }
    }
}
