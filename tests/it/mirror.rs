//! `gov mirror sync` and `gov mirror verify`, with a real nginx serving the
//! mirror (Debian's package, the shipped contrib/nginx configuration) and
//! the fault-injecting loopback server as the upstream (go.dev's index, the
//! archive mirrors and gov's release base). One real Go release (go1.22.10
//! from target/go-fixtures) goes all the way to a host that bootstraps with
//! `curl <mirror>/install.sh | sh`; small stand-in releases do the rest.

use crate::support;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::account::{as_test_user, chown_tree, is_root, test_user};
use support::nginx::Nginx;
use support::{IndexBuilder, IndexFile, Sandbox, ToolchainArchive, run_program, toolchain_archive};

const TRIPLE: &str = "x86_64-unknown-linux-gnu";
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const REAL: &str = "1.22.10";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", describe(out)))
}

/// gov's release artifacts, laid out as scripts/dist lays them out
/// (`gov-<triple>/gov` inside the tarball, sha256sum's format beside it),
/// made from the gov under test so that the hosts run this very build.
/// Built once per test process, under cargo's per-target scratch folder:
/// a static is never dropped, so a folder in /tmp would outlive the run.
pub(crate) fn gov_dist() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("gov-mirror-dist-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        let name = format!("gov-{TRIPLE}.tar.gz");
        let bin = assert_cmd::cargo::cargo_bin("gov");
        let file = std::fs::File::open(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(len);
        h.set_mode(0o755);
        h.set_mtime(1_719_946_677);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, format!("gov-{TRIPLE}/gov"), file)
            .unwrap_or_else(|e| panic!("tar: {e}"));
        let bytes = tar
            .into_inner()
            .and_then(|gz| gz.finish())
            .unwrap_or_else(|e| panic!("tar.gz: {e}"));
        std::fs::write(dir.path().join(&name), &bytes).unwrap_or_else(|e| panic!("write: {e}"));
        let sum = format!("{}  {name}\n", support::sha256_hex(&bytes));
        std::fs::write(dir.path().join(format!("{name}.sha256")), sum)
            .unwrap_or_else(|e| panic!("write: {e}"));
        sign(
            &dir.path().join(&name),
            &test_keys().join("current"),
            "gov-release",
        );
        dir
    })
    .path()
}

/// The tests' throwaway release keys (scripts/test-release-keys): `current`
/// signs the stand-in artifacts; gov under test trusts its public half
/// through GOV_TEST_RELEASE_KEYS (honoured by debug builds only).
pub(crate) fn test_keys() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = run_program(&mut Command::new(repo.join("scripts/test-release-keys")));
        assert!(out.status.success(), "{}", describe(&out));
        PathBuf::from(text(&out.stdout).trim())
    })
}

/// `ssh-keygen -Y sign`: writes `<file>.sig` with `key` and `namespace`.
fn sign(file: &Path, key: &Path, namespace: &str) {
    let _ = std::fs::remove_file(format!("{}.sig", file.display()));
    let out = run_program(
        Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", namespace, "-f"])
            .arg(key)
            .arg(file),
    );
    assert!(
        out.status.success(),
        "ssh-keygen -Y sign: {}",
        describe(&out)
    );
}

/// The real go1.22.10 archive and its entry in the fixture index. Missing
/// fixtures fail here, by name.
fn real_release() -> (PathBuf, IndexFile) {
    let mirror = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/go-fixtures/mirror");
    let index = std::fs::read(mirror.join("index.json")).unwrap_or_else(|e| {
        panic!(
            "the real toolchain fixtures are missing ({e}): run scripts/go-fixtures (scripts/test --deps does)"
        )
    });
    let releases: Vec<serde_json::Value> =
        serde_json::from_slice(&index).unwrap_or_else(|e| panic!("fixture index: {e}"));
    let name = format!("go{REAL}.linux-amd64.tar.gz");
    let f = releases
        .iter()
        .flat_map(|r| r["files"].as_array().cloned().unwrap_or_default())
        .find(|f| f["filename"] == name.as_str())
        .unwrap_or_else(|| panic!("the fixture index lacks {name}: run scripts/go-fixtures"));
    let path = mirror.join(&name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/go-fixtures",
        path.display()
    );
    (
        path,
        IndexFile {
            filename: name,
            os: "linux".into(),
            arch: "amd64".into(),
            version: format!("go{REAL}"),
            sha256: f["sha256"].as_str().unwrap_or_default().to_string(),
            size: f["size"].as_u64().unwrap_or_default(),
            kind: "archive".into(),
        },
    )
}

/// An upstream: the loopback server with an index, archives and gov's
/// release artifacts, and an empty mirror directory.
struct World {
    sb: Sandbox,
    mirror: PathBuf,
}

impl World {
    fn new() -> World {
        let sb = Sandbox::new();
        let dist = gov_dist();
        for name in [
            format!("gov-{TRIPLE}.tar.gz"),
            format!("gov-{TRIPLE}.tar.gz.sha256"),
            format!("gov-{TRIPLE}.tar.gz.sig"),
        ] {
            sb.server
                .put_file(&format!("/release/{name}"), &dist.join(&name));
        }
        let mirror = sb.dir.path().join("mirror");
        World { sb, mirror }
    }

    /// Publishes stand-ins (newest first; stable unless rc/beta).
    fn publish(&self, archives: &[&ToolchainArchive]) {
        let mut idx = IndexBuilder::new();
        for a in archives {
            idx.add_archive(a, !a.version.contains("rc"));
            self.sb
                .server
                .put(&format!("/dl/{}", a.filename), a.bytes.clone());
        }
        self.sb.server.put("/dl/index.json", idx.to_json());
    }

    /// `gov mirror sync <mirror> ARGS --json`, the release layout only (the
    /// stand-ins have no checksum-database records; the module layout is
    /// tested in gomirror_toolchains.rs).
    fn sync(&self, args: &[&str]) -> Output {
        let mut c = self.sb.cmd();
        c.args(["mirror", "sync"])
            .arg(&self.mirror)
            .args(["--modules", "off"])
            .args(args)
            .arg("--json")
            .env("GOV_RELEASE_BASE", self.sb.server.url_for("/release"))
            .env("GOV_TEST_RELEASE_KEYS", test_keys().join("current.pub"));
        c.output()
            .unwrap_or_else(|e| panic!("gov mirror sync: {e}"))
    }

    /// The same as an admin whose umask is 077 runs it (`sh -c`).
    fn sync_umask_077(&self, args: &[&str]) -> Output {
        let mut c = self.sb.env_cmd("sh");
        c.arg("-c")
            .arg("umask 077; exec gov mirror sync \"$@\" --modules off --json")
            .arg("sh")
            .arg(&self.mirror)
            .args(args)
            .env("GOV_RELEASE_BASE", self.sb.server.url_for("/release"))
            .env("GOV_TEST_RELEASE_KEYS", test_keys().join("current.pub"));
        run_program(&mut c)
    }

    fn sync_ok(&self, args: &[&str]) -> serde_json::Value {
        let out = self.sync(args);
        assert!(out.status.success(), "sync {args:?}:\n{}", describe(&out));
        support::schemas::follows("mirror-sync", &out.stdout);
        json(&out)
    }

    fn verify(&self) -> Output {
        self.sb
            .cmd()
            .args(["mirror", "verify"])
            .arg(&self.mirror)
            .env("GOV_TEST_RELEASE_KEYS", test_keys().join("current.pub"))
            .output()
            .unwrap_or_else(|e| panic!("gov mirror verify: {e}"))
    }

    /// The releases and file names index.json lists.
    fn listed(&self) -> Vec<String> {
        let idx: Vec<serde_json::Value> = serde_json::from_slice(
            &std::fs::read(self.mirror.join("index.json")).unwrap_or_default(),
        )
        .unwrap_or_default();
        idx.iter()
            .flat_map(|r| r["files"].as_array().cloned().unwrap_or_default())
            .filter_map(|f| f["filename"].as_str().map(str::to_string))
            .collect()
    }

    /// gov on a host pointed at `mirror` by environment (its own GOV_HOME).
    fn host(&self, name: &str, mirror: &str) -> Command {
        let home = self.sb.dir.path().join("hosts").join(name);
        let mut c = self.sb.std_cmd();
        c.env("GOV_HOME", home.join("gov"))
            .env("GOV_BIN_DIR", home.join("bin"))
            .env("HOME", &home)
            .env("GOV_INDEX_URL", format!("{mirror}/index.json"))
            .env("GOV_MIRROR", mirror);
        c
    }
}

/// (inode, mtime, ctime, size) of every entry, dot files included.
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, i64, i64, u64)> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            let t = |s: i64, n: i64| s * 1_000_000_000 + n;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                (
                    m.ino(),
                    t(m.mtime(), m.mtime_nsec()),
                    t(m.ctime(), m.ctime_nsec()),
                    m.len(),
                ),
            ))
        })
        .collect()
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
}

/// The mirror root is 0755 and every published file 0644; only sync's
/// own dot entries are private.
fn assert_published_modes(dir: &Path) {
    let mode = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.mode() & 0o7777);
    assert_eq!(mode(dir), 0o755, "{}", dir.display());
    for name in support::list_dir(dir) {
        let p = dir.join(&name);
        if name.starts_with('.') {
            continue;
        }
        assert_eq!(mode(&p), 0o644, "{}", p.display());
    }
}

fn actions(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["files"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default().to_string(),
                f["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn gov_artifact() -> String {
    format!("gov-{TRIPLE}.tar.gz")
}

// ---------------------------------------------------------------------------
// The whole path: upstream -> sync -> nginx -> hosts.

#[cfg(all(feature = "tier-nginx", feature = "tier-toolchains"))]
#[test]
fn a_fleet_bootstraps_and_installs_from_the_mirror_through_nginx() {
    let w = World::new();
    let (real_path, real_entry) = real_release();
    let older = toolchain_archive("1.22.9", "amd64", 0);
    let rc = toolchain_archive("1.23rc1", "amd64", 0);
    let other = toolchain_archive("1.21.13", "amd64", 2 << 20);
    let mut idx = IndexBuilder::new();
    idx.add_archive(&rc, false)
        .add_release(REAL, true, vec![real_entry.clone()])
        .add_archive(&older, true)
        .add_archive(&other, true);
    w.sb.server.put("/dl/index.json", idx.to_json());
    w.sb.server
        .put_file(&format!("/dl/{}", real_entry.filename), &real_path);
    for a in [&older, &rc, &other] {
        w.sb.server
            .put(&format!("/dl/{}", a.filename), a.bytes.clone());
    }
    std::fs::create_dir_all(&w.mirror).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let nginx = Nginx::serve(&w.mirror);
    let url = nginx.url();

    // First sync: the newest patch of the two newest lines, gov, install.sh.
    let report = w.sync_ok(&["--lines", "2", "--url", &url]);
    let real_name = real_entry.filename.clone();
    assert_eq!(
        actions(&report),
        map(&[
            (&real_name, "added"),
            (&other.filename, "added"),
            (&gov_artifact(), "added"),
            ("install.sh", "added"),
        ]),
        "{report:#}"
    );
    assert_eq!(report["index_changed"], true);
    assert_eq!(report["failed"], serde_json::json!([]));
    assert_eq!(w.listed(), [real_name.clone(), other.filename.clone()]);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.mirror.join("index.json")).unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(index[0]["version"], "go1.22.10");
    assert_eq!(index[0]["files"][0]["sha256"], real_entry.sha256.as_str());
    assert_eq!(index[1]["files"][0]["sha256"], other.sha256.as_str());
    let ok = w.verify();
    assert!(ok.status.success(), "verify:\n{}", describe(&ok));

    // The mirror's installer is the project's, stamped, and shellcheck-clean.
    let sh = std::fs::read_to_string(w.mirror.join("install.sh")).unwrap_or_default();
    assert!(sh.contains(&format!("    mirror=\"{url}\"\n")), "{sh}");
    let lint = run_program(
        Command::new("shellcheck")
            .args(["-s", "sh"])
            .arg(w.mirror.join("install.sh")),
    );
    assert!(lint.status.success(), "shellcheck:\n{}", describe(&lint));

    // A fresh host: clean HOME, no GOV_* at all, an ordinary account.
    let upstream_hits = w.sb.server.requests().len();
    let home = tempfile::Builder::new()
        .prefix("gov-mirror-host-")
        .tempdir()
        .unwrap_or_else(|e| panic!("tempdir: {e}"));
    std::fs::create_dir_all(home.path().join("tmp")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    if is_root() {
        let (uid, gid) = test_user();
        chown_tree(home.path(), uid, gid);
    }
    // The module proxy this host could reach: the preset's default must
    // not send Go there while the mirror install.sh set is configured.
    let module_proxy = support::TestServer::start();
    let script = format!(
        r#"set -e
curl -fsSL "{url}/install.sh" | dash -s -- --yes --go {REAL} --proxy cn
bin="$HOME/.local/bin"
echo "go=$("$bin/go" version)"
echo "goproxy=$("$bin/go" env GOPROXY)"
echo "mirror=$("$bin/gov" config get GOV_MIRROR)"
echo "index=$("$bin/gov" config get GOV_INDEX_URL)"
echo "base=$("$bin/gov" config get GOV_RELEASE_BASE)"
"$bin/gov" install 1.21.13
echo "other=$("$bin/gov" exec 1.21.13 -- go version)"
"#
    );
    let wrap = as_test_user();
    let mut cmd = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg("sh");
            c
        }
        None => Command::new("sh"),
    };
    cmd.arg("-c")
        .arg(&script)
        .env_clear()
        .current_dir("/")
        .env("PATH", SYSTEM_PATH)
        .env("HOME", home.path())
        .env("TMPDIR", home.path().join("tmp"))
        .env("GOPROXY", module_proxy.url());
    let out = run_program(&mut cmd);
    assert!(out.status.success(), "host:\n{}", describe(&out));
    let lines: BTreeMap<String, String> = text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(
        lines.get("go").map(String::as_str),
        Some("go version go1.22.10 linux/amd64"),
        "{}",
        describe(&out)
    );
    assert_eq!(lines.get("goproxy"), Some(&module_proxy.url()));
    assert!(
        module_proxy.requests().is_empty(),
        "Go came from the module proxy, not the mirror: {:?}",
        module_proxy.requests()
    );
    assert_eq!(lines.get("mirror"), Some(&url));
    assert_eq!(lines.get("index"), Some(&format!("{url}/index.json")));
    assert_eq!(lines.get("base"), Some(&url));
    assert_eq!(
        lines.get("other").map(String::as_str),
        Some("go version go1.21.13 linux/amd64"),
        "{}",
        describe(&out)
    );
    // Everything came through nginx; the upstream saw nothing of the host.
    assert_eq!(
        w.sb.server.requests().len(),
        upstream_hits,
        "the host reached the upstream"
    );
    for path in [
        "/install.sh",
        &format!("/{}", gov_artifact()),
        "/index.json",
        &format!("/{real_name}"),
        &format!("/{}", other.filename),
    ] {
        assert!(
            nginx.hits(path).iter().any(|a| a.status == 200),
            "nginx served no {path}: {:?}",
            nginx.log()
        );
    }

    // Re-sync with nothing new: no file rewritten, nothing downloaded.
    let before = snapshot(&w.mirror);
    let archive_hits = w.sb.server.hits(&format!("/dl/{real_name}"));
    let again = w.sync_ok(&[]);
    assert!(actions(&again).values().all(|a| a == "kept"), "{again:#}");
    assert_eq!(again["index_changed"], false);
    assert_eq!(again["downloaded_bytes"], 0);
    assert_eq!(
        snapshot(&w.mirror),
        before,
        "a sync with nothing new changed files"
    );
    assert_eq!(w.sb.server.hits(&format!("/dl/{real_name}")), archive_hits);

    // Eight hosts at once through nginx, each verified.
    let archive_path = format!("/{}", other.filename);
    let served_before = nginx.hits(&archive_path).len();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut c = w.host(&format!("h{i}"), &url);
            c.args(["install", "1.21.13"]);
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap_or_else(|e| panic!("spawn: {e}"))
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap_or_else(|e| panic!("wait: {e}"));
        assert!(out.status.success(), "host {i}:\n{}", describe(&out));
        let mut go = w.host(&format!("h{i}"), &url);
        let v = run_program(go.args(["exec", "1.21.13", "--", "go", "version"]));
        assert_eq!(
            text(&v.stdout).trim(),
            "go version go1.21.13 linux/amd64",
            "host {i}"
        );
    }
    let served: Vec<_> = nginx
        .hits(&archive_path)
        .into_iter()
        .skip(served_before)
        .collect();
    assert_eq!(served.len(), 8, "{served:?}");
    assert!(
        served
            .iter()
            .all(|a| a.status == 200 && a.bytes == other.size()),
        "{served:?}"
    );
    assert!(
        !nginx.error_log().contains("[crit]"),
        "{}",
        nginx.error_log()
    );
}

// ---------------------------------------------------------------------------
// nginx's headers, and gov's revalidation against them.

#[cfg(feature = "tier-nginx")]
#[test]
fn nginx_serves_the_mirror_with_the_documented_cache_policy() {
    let w = World::new();
    let a = toolchain_archive("1.22.5", "amd64", 1 << 20);
    w.publish(&[&a]);
    // The docroot as an admin under umask 077 makes it (and as gov 0.x's
    // lock left it: 0700, with its lock file inside).
    std::fs::create_dir(&w.mirror).unwrap_or_else(|e| panic!("mkdir: {e}"));
    chmod(&w.mirror, 0o700);
    std::fs::write(w.mirror.join(".gov-mirror.lock"), "").unwrap_or_else(|e| panic!("{e}"));
    let nginx = Nginx::serve(&w.mirror.clone());
    let out = w.sync_umask_077(&["--versions", "1.22.5", "--url", &nginx.url()]);
    assert!(out.status.success(), "sync:\n{}", describe(&out));
    assert!(
        text(&out.stderr).contains("readable by every account (it was 0700)"),
        "{}",
        describe(&out)
    );
    assert!(!w.mirror.join(".gov-mirror.lock").exists());
    assert_published_modes(&w.mirror);
    let fetch = |path: &str| {
        let out = run_program(
            Command::new("curl")
                .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
                .arg(format!("{}{path}", nginx.url())),
        );
        text(&out.stdout)
    };
    let served = ["/index.json", &format!("/{}", a.filename), "/install.sh"];
    for path in served {
        assert_eq!(fetch(path), "200", "{path}: {}", nginx.error_log());
    }
    // A cron re-sync (under the same umask) leaves it served.
    let b = toolchain_archive("1.22.6", "amd64", 1 << 20);
    w.publish(&[&b, &a]);
    let out = w.sync_umask_077(&["--versions", "1.22.5,1.22.6"]);
    assert!(out.status.success(), "re-sync:\n{}", describe(&out));
    assert_published_modes(&w.mirror);
    for path in served
        .iter()
        .copied()
        .chain([format!("/{}", b.filename).as_str()])
    {
        assert_eq!(fetch(path), "200", "{path}: {}", nginx.error_log());
    }
    let head = |path: &str, extra: &[&str]| -> String {
        let out = run_program(
            Command::new("curl")
                .args(["-sS", "-D", "-", "-o", "/dev/null"])
                .args(extra)
                .arg(format!("{}{path}", nginx.url())),
        );
        text(&out.stdout).to_ascii_lowercase()
    };
    let index = head("/index.json", &[]);
    assert!(index.starts_with("http/1.1 200"), "{index}");
    assert!(
        index.contains("cache-control: public, max-age=60, must-revalidate"),
        "{index}"
    );
    assert!(
        index.contains("etag: ") && index.contains("last-modified: "),
        "{index}"
    );
    let archive = head(
        &format!("/{}", a.filename),
        &["-H", "Accept-Encoding: gzip", "-H", "Range: bytes=100-"],
    );
    assert!(archive.starts_with("http/1.1 206"), "{archive}");
    assert!(
        archive.contains("cache-control: public, max-age=31536000, immutable"),
        "{archive}"
    );
    assert!(!archive.contains("content-encoding"), "{archive}");
    assert!(
        archive.contains(&format!(
            "content-range: bytes 100-{}/{}",
            a.size() - 1,
            a.size()
        )),
        "{archive}"
    );
    for hidden in ["/.gov-mirror.json", "/.gov-mirror.locks/sync.lock"] {
        assert!(
            head(hidden, &[]).starts_with("http/1.1 404"),
            "{hidden} is served"
        );
    }

    // gov revalidates the index with If-None-Match and takes the 304.
    let run = |ttl: &str| {
        let mut c = w.host("r", &nginx.url());
        let out = run_program(c.args(["list-remote"]).env("GOV_INDEX_TTL", ttl));
        assert!(out.status.success(), "{}", describe(&out));
        assert!(text(&out.stdout).contains("1.22.5"), "{}", describe(&out));
    };
    let base = nginx.hits("/index.json").len();
    run("0");
    run("0");
    run("3600");
    let seen: Vec<_> = nginx.hits("/index.json").into_iter().skip(base).collect();
    assert_eq!(
        seen.len(),
        2,
        "the cached copy within max-age was not used: {seen:?}"
    );
    assert_eq!(seen[0].status, 200);
    assert_eq!(seen[1].status, 304, "{seen:?}");
    assert!(seen[1].if_none_match.contains("-"), "{seen:?}");
}

// ---------------------------------------------------------------------------
// Tampering, verify, and the client's refusal.

#[cfg(feature = "tier-nginx")]
#[test]
fn a_tampered_archive_is_named_by_verify_refused_by_hosts_and_repaired_by_sync() {
    let w = World::new();
    let a = toolchain_archive("1.22.5", "amd64", 1 << 20);
    let b = toolchain_archive("1.21.13", "amd64", 0);
    w.publish(&[&a, &b]);
    // gov's artifacts from a local dist/ this time.
    let report = w.sync_ok(&[
        "--versions",
        "1.22.5,1.21.13",
        "--dist",
        &gov_dist().display().to_string(),
    ]);
    assert_eq!(
        actions(&report).get(&gov_artifact()).map(String::as_str),
        Some("added")
    );
    // --dist is remembered: the release base is not asked again.
    w.sb.server.clear_requests();
    let again = w.sync_ok(&[]);
    assert_eq!(
        actions(&again).get(&gov_artifact()).map(String::as_str),
        Some("kept")
    );
    assert_eq!(
        w.sb.server
            .hits(&format!("/release/{}.sha256", gov_artifact())),
        0
    );
    let nginx = Nginx::serve(&w.mirror);

    // Same size, one byte changed.
    let path = w.mirror.join(&a.filename);
    let mut bytes = std::fs::read(&path).unwrap_or_default();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("write: {e}"));
    std::fs::remove_file(w.mirror.join(&b.filename)).unwrap_or_else(|e| panic!("rm: {e}"));

    let out = w.verify();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{}: checksum", a.filename)), "{err}");
    assert!(err.contains(&format!("{}: missing", b.filename)), "{err}");
    let mut c = w.sb.cmd();
    let out = c
        .args(["mirror", "verify", "--json"])
        .arg(&w.mirror)
        .env("GOV_TEST_RELEASE_KEYS", test_keys().join("current.pub"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    support::schemas::follows("mirror-verify", &out.stdout);
    let v = json(&out);
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(2), "{v:#}");

    let mut host = w.host("t", &nginx.url());
    let out = run_program(host.args(["install", "1.22.5"]));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("checksum mismatch"),
        "{}",
        describe(&out)
    );
    let versions = w.sb.dir.path().join("hosts/t/gov/versions");
    assert!(
        support::list_dir(&versions).is_empty(),
        "something was installed"
    );

    // A sync notices (the stat changed), fetches both again.
    let fixed = w.sync_ok(&[]);
    let acts = actions(&fixed);
    assert_eq!(
        acts.get(&a.filename).map(String::as_str),
        Some("replaced"),
        "{fixed:#}"
    );
    assert_eq!(
        acts.get(&b.filename).map(String::as_str),
        Some("added"),
        "{fixed:#}"
    );
    assert!(w.verify().status.success());

    // gov's signature: one by a key gov does not trust, one for another
    // namespace, garbage, none: each named by verify; a sync restores it.
    let sig = w.mirror.join(format!("{}.sig", gov_artifact()));
    let stranger = w.sb.dir.path().join("stranger");
    let keygen = run_program(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&stranger),
    );
    assert!(keygen.status.success(), "{}", describe(&keygen));
    let artifact = w.mirror.join(gov_artifact());
    let copy = w.sb.dir.path().join(gov_artifact());
    std::fs::copy(&artifact, &copy).unwrap_or_else(|e| panic!("copy: {e}"));
    for (key, namespace, why) in [
        (&stranger, "gov-release", "a key gov does not trust"),
        (&test_keys().join("current"), "file", "namespace `file`"),
    ] {
        sign(&copy, key, namespace);
        std::fs::copy(format!("{}.sig", copy.display()), &sig)
            .unwrap_or_else(|e| panic!("copy: {e}"));
        let out = w.verify();
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("{}.sig: signature", gov_artifact())),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
    }
    std::fs::write(&sig, "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = w.verify();
    assert!(
        text(&out.stderr).contains("truncated"),
        "{}",
        describe(&out)
    );
    std::fs::remove_file(&sig).unwrap_or_else(|e| panic!("rm: {e}"));
    let out = w.verify();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("missing"), "{}", describe(&out));
    w.sync_ok(&[]);
    assert!(w.verify().status.success());
}

// ---------------------------------------------------------------------------
// Prune, dry run and the guard.

#[test]
fn prune_with_dry_run_and_a_guard_against_emptying_the_mirror() {
    let w = World::new();
    let rel: Vec<ToolchainArchive> = ["1.23.1", "1.22.5", "1.21.13", "1.20.14"]
        .iter()
        .map(|v| toolchain_archive(v, "amd64", 0))
        .collect();
    w.publish(&rel.iter().collect::<Vec<_>>());
    w.sync_ok(&["--versions", "1.23.1,1.22.5,1.21.13,1.20.14"]);
    assert_eq!(w.listed().len(), 4);

    // Narrowing without --prune keeps what is held, still listed.
    let kept = w.sync_ok(&["--versions", "1.23.1,1.22.5,1.21.13"]);
    assert_eq!(
        actions(&kept).get(&rel[3].filename).map(String::as_str),
        Some("kept")
    );
    assert_eq!(w.listed().len(), 4);

    let before = snapshot(&w.mirror);
    let dry = w.sync_ok(&[
        "--versions",
        "1.23.1,1.22.5,1.21.13",
        "--prune",
        "--dry-run",
    ]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["index_changed"], true);
    assert_eq!(
        actions(&dry).get(&rel[3].filename).map(String::as_str),
        Some("removed")
    );
    assert_eq!(snapshot(&w.mirror), before, "--dry-run changed the mirror");

    let pruned = w.sync_ok(&["--versions", "1.23.1,1.22.5,1.21.13", "--prune"]);
    assert_eq!(
        actions(&pruned).get(&rel[3].filename).map(String::as_str),
        Some("removed")
    );
    assert!(!w.mirror.join(&rel[3].filename).exists());
    assert_eq!(
        w.listed(),
        [
            rel[0].filename.clone(),
            rel[1].filename.clone(),
            rel[2].filename.clone()
        ]
    );

    // Two of three would go: refused, nothing touched.
    let before = snapshot(&w.mirror);
    let out = w.sync(&["--versions", "1.23.1", "--prune"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("would remove 2 of the 3"),
        "{}",
        describe(&out)
    );
    assert!(text(&out.stderr).contains("--force"), "{}", describe(&out));
    assert_eq!(snapshot(&w.mirror), before);
    let forced = w.sync_ok(&["--versions", "1.23.1", "--prune", "--force"]);
    assert_eq!(
        forced["files"]
            .as_array()
            .map(|f| f.iter().filter(|x| x["action"] == "removed").count()),
        Some(2)
    );
    assert_eq!(w.listed(), vec![rel[0].filename.clone()]);
    assert!(w.verify().status.success());
}

// ---------------------------------------------------------------------------
// A hostile or broken upstream.

#[test]
fn upstream_entries_that_name_paths_or_lie_about_checksums_are_not_mirrored() {
    let w = World::new();
    let good = toolchain_archive("1.22.5", "amd64", 0);
    let liar = toolchain_archive("1.21.13", "amd64", 0);
    let mut idx = IndexBuilder::new().without_extras();
    let mut escape = IndexFile::from_archive(&toolchain_archive("1.23.0", "amd64", 0));
    escape.filename = "../escaped.tar.gz".into();
    let mut slash = IndexFile::from_archive(&toolchain_archive("1.23.0", "arm64", 0));
    slash.filename = "sub/go1.23.0.linux-arm64.tar.gz".into();
    let mut wrong = IndexFile::from_archive(&liar);
    wrong.sha256 = support::sha256_hex(b"something else");
    idx.add_release("1.23.0", true, vec![escape, slash])
        .add_release("1.22.5", true, vec![IndexFile::from_archive(&good)])
        .add_release("1.21.13", true, vec![wrong]);
    w.sb.server.put("/dl/index.json", idx.to_json());
    for a in [&good, &liar] {
        w.sb.server
            .put(&format!("/dl/{}", a.filename), a.bytes.clone());
    }
    w.sb.server
        .put("/dl/sub/go1.23.0.linux-arm64.tar.gz", good.bytes.clone());
    w.sb.server.put("/escaped.tar.gz", good.bytes.clone());

    let out = w.sync(&[
        "--versions",
        "1.23.0,1.22.5,1.21.13",
        "--arch",
        "amd64,arm64",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("`../escaped.tar.gz`, which is not a plain file name"),
        "{err}"
    );
    assert!(err.contains("sub/go1.23.0.linux-arm64.tar.gz"), "{err}");
    assert!(
        err.contains(&format!("checksum mismatch for {}", liar.filename)),
        "{err}"
    );
    // The good one is published, the others nowhere.
    assert_eq!(w.listed(), vec![good.filename.clone()]);
    assert!(!w.sb.dir.path().join("escaped.tar.gz").exists());
    assert!(!w.mirror.join("sub").exists());
    let names: Vec<String> = snapshot(&w.mirror).into_keys().collect();
    assert!(!names.iter().any(|n| n.contains("1.21.13")), "{names:?}");
    assert!(w.verify().status.success());
}

#[test]
fn truncated_transfers_resume_within_a_sync_and_across_syncs_with_failover() {
    let w = World::new();
    let a = toolchain_archive("1.22.5", "amd64", 3 << 20);
    let b = toolchain_archive("1.21.13", "amd64", 3 << 20);
    w.publish(&[&a, &b]);
    let path_a = format!("/dl/{}", a.filename);
    // The connection drops half way: resumed with a Range request.
    w.sb.server.truncate_next(&path_a, a.size() / 2, 1);
    // An earlier sync was killed after 1 MiB of b.
    std::fs::create_dir_all(&w.mirror).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let mut part = std::fs::File::create(w.mirror.join(format!(".{}.partial", b.filename)))
        .unwrap_or_else(|e| panic!("create: {e}"));
    part.write_all(&b.bytes[..1 << 20])
        .unwrap_or_else(|e| panic!("write: {e}"));
    drop(part);

    // The first upstream mirror refuses connections: the next one serves.
    let dead = format!("http://127.0.0.1:{}/dl", support::start_refusing_port());
    let mut c = w.sb.cmd();
    let out = c
        .args(["mirror", "sync"])
        .arg(&w.mirror)
        .args(["--versions", "1.22.5,1.21.13", "--modules", "off", "--json"])
        .env("GOV_RELEASE_BASE", w.sb.server.url_for("/release"))
        .env("GOV_MIRROR", format!("{dead},{}", w.sb.mirror()))
        .env("GOV_TEST_RELEASE_KEYS", test_keys().join("current.pub"))
        .output()
        .unwrap_or_else(|e| panic!("sync: {e}"));
    assert!(out.status.success(), "{}", describe(&out));
    let report = json(&out);
    let files = report["files"].as_array().cloned().unwrap_or_default();
    let entry = |n: &str| {
        files
            .iter()
            .find(|f| f["name"] == n)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(entry(&a.filename)["action"], "added");
    assert_eq!(entry(&b.filename)["resumed_from"], 1 << 20);
    assert_eq!(entry(&b.filename)["downloaded"], b.size() - (1 << 20));
    let ranges: Vec<String> =
        w.sb.server
            .requests()
            .iter()
            .filter_map(|r| r.header("range").map(|h| format!("{} {h}", r.path)))
            .collect();
    assert!(
        ranges.contains(&format!("{path_a} bytes={}-", a.size() / 2)),
        "{ranges:?}"
    );
    assert!(
        ranges.contains(&format!("/dl/{} bytes={}-", b.filename, 1 << 20)),
        "{ranges:?}"
    );
    assert!(w.verify().status.success());
    assert!(!snapshot(&w.mirror).keys().any(|n| n.ends_with(".partial")));
}

/// A partial planted as a link (by whoever can write the mirror folder) is
/// replaced, never followed or appended to; partials are private while
/// written, whatever the umask.
#[test]
fn planted_partials_are_not_followed_and_partials_ignore_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    let a = toolchain_archive("1.22.5", "amd64", 1 << 20);
    let b = toolchain_archive("1.21.13", "amd64", 1 << 20);
    w.publish(&[&a, &b]);
    std::fs::create_dir_all(&w.mirror).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let outside = w.sb.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let victim = outside.join("victim");
    let linked = outside.join("linked");
    for f in [&victim, &linked] {
        std::fs::write(f, &b.bytes[..1000]).unwrap_or_else(|e| panic!("write: {e}"));
    }
    // a's partial is a symlink out of the mirror, b's a hard link.
    std::os::unix::fs::symlink(&victim, w.mirror.join(format!(".{}.partial", a.filename)))
        .unwrap_or_else(|e| panic!("symlink: {e}"));
    std::fs::hard_link(&linked, w.mirror.join(format!(".{}.partial", b.filename)))
        .unwrap_or_else(|e| panic!("link: {e}"));
    // b's transfer drops for good half way: its partial stays behind.
    let path_b = format!("/dl/{}", b.filename);
    w.sb.server.truncate_next(&path_b, 100_000, 1000);
    let mut c = std::process::Command::new("sh");
    c.arg("-c")
        .arg("umask 000; exec \"$@\"")
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin("gov"))
        .args(["mirror", "sync"])
        .arg(&w.mirror)
        .args(["--versions", "1.22.5,1.21.13", "--modules", "off", "--json"]);
    for (k, v) in w.sb.std_cmd().get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env("GOV_RELEASE_BASE", w.sb.server.url_for("/release"))
        .env("GOV_TEST_RELEASE_KEYS", test_keys().join("current.pub"))
        .env("GOV_HTTP_RETRIES", "1");
    let out = run_program(&mut c);
    assert!(!out.status.success(), "{}", describe(&out));
    for f in [&victim, &linked] {
        let now = std::fs::read(f).unwrap_or_else(|e| panic!("read: {e}"));
        assert!(
            now == b.bytes[..1000],
            "{} was written through",
            f.display()
        );
    }
    let got = w.mirror.join(&a.filename);
    let meta = std::fs::symlink_metadata(&got).unwrap_or_else(|e| panic!("{e}"));
    assert!(meta.is_file(), "{}", describe(&out));
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let part = w.mirror.join(format!(".{}.partial", b.filename));
    let meta = std::fs::symlink_metadata(&part).unwrap_or_else(|e| panic!("{e}"));
    assert!(meta.is_file() && meta.nlink() == 1, "{meta:?}");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_huge_or_malformed_upstream_index_changes_nothing() {
    let w = World::new();
    let a = toolchain_archive("1.22.5", "amd64", 0);
    w.publish(&[&a]);
    w.sync_ok(&["--versions", "1.22.5"]);
    let before = snapshot(&w.mirror);
    let mut huge = b"[".to_vec();
    huge.resize(33 << 20, b' ');
    huge.push(b']');
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("huge", huge, "larger than 32 MiB"),
        (
            "not a list",
            br#"{"version": "go1.22.5"}"#.to_vec(),
            "not in go.dev's JSON format",
        ),
        (
            "cut short",
            br#"[{"version": "go1.22.5", "stable": true, "fi"#.to_vec(),
            "not in go.dev's JSON format",
        ),
        (
            "html",
            b"<html>captive portal</html>".to_vec(),
            "not in go.dev's JSON format",
        ),
    ];
    for (what, body, says) in cases {
        w.sb.server.put("/dl/index.json", body);
        let out = w.sync(&[]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", describe(&out));
        assert!(
            text(&out.stderr).contains(says),
            "{what}: {}",
            describe(&out)
        );
        assert_eq!(snapshot(&w.mirror), before, "{what} changed the mirror");
    }
    // An archive larger than the index says is cut off, not published.
    let mut idx = IndexBuilder::new();
    let mut small = IndexFile::from_archive(&a);
    small.size -= 10;
    idx.add_release("1.22.5", true, vec![small]);
    w.sb.server.put("/dl/index.json", idx.to_json());
    let out = w.sync(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("serves"), "{}", describe(&out));
}

#[test]
fn usage_errors_exit_2() {
    let w = World::new();
    let a = toolchain_archive("1.22.5", "amd64", 0);
    w.publish(&[&a]);
    let mut messages = String::new();
    for args in [
        &["--url", "https://m.example/$(reboot)"][..],
        &["--url", "ftp://m.example/"][..],
        &["--lines", "0"][..],
        &["--arch", "sparc"][..],
        &["--versions", "1.22.x"][..],
    ] {
        let out = w.sync(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", describe(&out));
        messages.push_str(&format!(
            "$ gov mirror sync MIRROR {} --json\n{}\n\n",
            args.join(" "),
            text(&out.stderr).trim_end()
        ));
    }
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("sync_usage_errors", messages);
    assert!(!w.mirror.join("index.json").exists());
    let out = w.verify();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}

#[test]
fn verify_refuses_an_index_that_names_paths_or_is_not_an_index() {
    let w = World::new();
    let a = toolchain_archive("1.22.5", "amd64", 0);
    w.publish(&[&a]);
    w.sync_ok(&["--versions", "1.22.5"]);
    let index = w.mirror.join("index.json");
    let good = std::fs::read_to_string(&index).unwrap_or_default();
    // A file outside the directory that does hash right must still be refused.
    std::fs::write(w.sb.dir.path().join(&a.filename), &a.bytes).unwrap_or_else(|e| panic!("{e}"));
    let hostile = good.replace(
        &format!("\"filename\": \"{}\"", a.filename),
        &format!("\"filename\": \"../{}\"", a.filename),
    );
    assert_ne!(hostile, good);
    std::fs::write(&index, hostile).unwrap_or_else(|e| panic!("{e}"));
    let out = w.verify();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("verify_unsafe_name", text(&out.stderr));
    std::fs::write(&index, "<html>").unwrap_or_else(|e| panic!("{e}"));
    let out = w.verify();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    insta::assert_snapshot!("verify_not_an_index", text(&out.stderr));
    // A sync puts the real one back.
    w.sync_ok(&[]);
    assert_eq!(std::fs::read_to_string(&index).unwrap_or_default(), good);
    assert!(w.verify().status.success());
}

// ---------------------------------------------------------------------------
// A manifest someone else wrote: names, links and paths in it.

fn manifest_of(w: &World) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(w.mirror.join(".gov-mirror.json")).unwrap_or_default())
        .unwrap_or_else(|e| panic!("manifest: {e}"))
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec(v).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A `--dist` folder holding a gov artifact that is not the real one.
fn impostor_dist(at: &Path) -> PathBuf {
    std::fs::create_dir_all(at).unwrap_or_else(|e| panic!("{e}"));
    let name = format!("gov-{TRIPLE}.tar.gz");
    let bytes = b"not the gov you published".to_vec();
    std::fs::write(at.join(&name), &bytes).unwrap_or_else(|e| panic!("{e}"));
    let sum = format!("{}  {name}\n", support::sha256_hex(&bytes));
    std::fs::write(at.join(format!("{name}.sha256")), sum).unwrap_or_else(|e| panic!("{e}"));
    at.to_path_buf()
}

#[test]
fn prune_takes_no_path_link_or_dist_from_a_manifest() {
    let w = World::new();
    let rel: Vec<ToolchainArchive> = ["1.22.5", "1.21.13"]
        .iter()
        .map(|v| toolchain_archive(v, "amd64", 0))
        .collect();
    w.publish(&rel.iter().collect::<Vec<_>>());
    w.sync_ok(&["--versions", "1.22.5,1.21.13"]);
    let outside = w.sb.dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap_or_else(|e| panic!("{e}"));
    let victims = [
        outside.join("go1.20.1.linux-amd64.tar.gz"),
        outside.join("id_ed25519"),
    ];
    for v in &victims {
        std::fs::write(v, "keep me").unwrap_or_else(|e| panic!("{e}"));
    }
    // Entries naming a file outside the mirror, relatively and absolutely,
    // shaped like a held archive so a prune would pick them.
    let mut m = manifest_of(&w);
    let held = m["files"][&rel[1].filename].clone();
    m["files"]["../outside/go1.20.1.linux-amd64.tar.gz"] = held.clone();
    m["files"][victims[1].to_string_lossy().as_ref()] = held;
    let manifest = w.mirror.join(".gov-mirror.json");
    write_json(&manifest, &m);
    let out = w.sync(&["--versions", "1.22.5", "--prune", "--force"]);
    assert!(out.status.success(), "{}", describe(&out));
    for v in &victims {
        assert!(v.exists(), "prune removed {}", v.display());
    }
    let err = text(&out.stderr);
    assert!(err.contains("not a file sync writes"), "{err}");
    assert!(!w.mirror.join(&rel[1].filename).exists(), "the real prune");
    assert_eq!(w.listed(), vec![rel[0].filename.clone()]);

    // gov's artifact comes from a manifest's `dist` only when the manifest
    // is the caller's: not through a link, not from another account's file.
    let artifact = w.mirror.join(format!("gov-{TRIPLE}.tar.gz"));
    let published = std::fs::read(&artifact).unwrap_or_else(|e| panic!("{e}"));
    let mut m = manifest_of(&w);
    m["dist"] = serde_json::json!(impostor_dist(&w.sb.dir.path().join("impostor")));
    let elsewhere = w.sb.dir.path().join("elsewhere.json");
    write_json(&elsewhere, &m);
    std::fs::remove_file(&manifest).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&elsewhere, &manifest).unwrap_or_else(|e| panic!("{e}"));
    let out = w.sync(&["--versions", "1.22.5"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("a link is never followed"),
        "{}",
        describe(&out)
    );
    assert_eq!(std::fs::read(&artifact).ok().as_ref(), Some(&published));

    let other = support::Account::create();
    write_json(&manifest, &m);
    other.chown(&manifest);
    let out = w.sync(&["--versions", "1.22.5"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("is ignored"),
        "{}",
        describe(&out)
    );
    assert_eq!(std::fs::read(&artifact).ok().as_ref(), Some(&published));

    // As root, a mirror folder another account owns is named.
    other.chown(&w.mirror);
    let out = w.sync(&["--versions", "1.22.5"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("the mirror folder") && err.contains(&format!("owned by uid {}", other.uid)),
        "{err}"
    );
    std::os::unix::fs::chown(&w.mirror, Some(0), Some(0)).unwrap_or_else(|e| panic!("{e}"));
}
