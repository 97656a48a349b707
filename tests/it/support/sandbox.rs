//! A private gov world for one test: its own GOV_HOME, GOV_BIN_DIR, HOME
//! and a loopback server publishing a go.dev-style index and archives.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::archive::{IndexBuilder, ToolchainArchive, toolchain_archive};
use super::server::TestServer;

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub server: TestServer,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// `cmd` set up to run a real `go` in `work` with nothing of this
    /// machine's environment: offline (GOPROXY=off), the sandbox's HOME
    /// and GOPATH, and the build cache the Go fixtures share.
    pub fn offline_go_env(&self, cmd: &mut std::process::Command, work: &Path) {
        let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/go-fixtures/gocache");
        cmd.current_dir(work)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.dir.path().join("user"))
            .env("GOCACHE", cache)
            .env("GOPATH", self.dir.path().join("gopath"))
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-modcacherw");
    }

    pub fn new() -> Sandbox {
        // Traversable by every account, as a real host's folders are: a
        // web server's workers or another account reach what a test
        // publishes under it (each test still gets its own folder).
        let dir = tempfile::Builder::new()
            .prefix("gov-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod: {e}"));
        for d in ["home", "bin", "user", "system", "sysbin"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap_or_else(|e| panic!("mkdir: {e}"));
        }
        let server = TestServer::start();
        // Release installs ask a mirror's `sumdb/<name>/` before the public
        // database: this one carries sum.golang.org with no record of the
        // sandbox's made-up releases, so an install never reaches the real
        // sum.golang.org (which would refuse them) and notes "no log proof".
        server.put("/dl/sumdb/sum.golang.org/supported", Vec::new());
        Sandbox { dir, server }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    /// The sandbox's system layer (GOV_SYSTEM_HOME).
    pub fn system_home(&self) -> PathBuf {
        self.dir.path().join("system")
    }
    /// The sandbox's system entry points (GOV_SYSTEM_BIN_DIR).
    pub fn system_bin(&self) -> PathBuf {
        self.dir.path().join("sysbin")
    }
    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }
    pub fn goroot(&self, v: &str) -> PathBuf {
        self.home().join("versions").join(v)
    }
    pub fn shim(&self, v: &str, tool: &str) -> PathBuf {
        self.home().join("shims").join(v).join(tool)
    }
    pub fn index_url(&self) -> String {
        self.server.url_for("/dl/index.json")
    }
    pub fn mirror(&self) -> String {
        self.server.url_for("/dl")
    }

    /// Publishes releases (newest first): archives under /dl/ and the index.
    pub fn publish(&self, releases: &[(&ToolchainArchive, bool)]) {
        let mut idx = IndexBuilder::new();
        for (a, stable) in releases {
            idx.add_archive(a, *stable);
            self.server
                .put(&format!("/dl/{}", a.filename), a.bytes.clone());
        }
        self.server.put("/dl/index.json", idx.to_json());
    }

    /// Publishes tiny toolchains for these versions (newest first, all
    /// stable unless they are pre-releases).
    pub fn publish_versions(&self, versions: &[&str]) -> Vec<ToolchainArchive> {
        let archives: Vec<ToolchainArchive> = versions
            .iter()
            .map(|v| toolchain_archive(v, "amd64", 0))
            .collect();
        let rel: Vec<(&ToolchainArchive, bool)> = archives
            .iter()
            .map(|a| (a, !a.version.contains("rc") && !a.version.contains("beta")))
            .collect();
        self.publish(&rel);
        archives
    }

    /// A sandbox with tiny toolchains of `versions` published and
    /// installed, and `global` made the global version.
    pub fn with_installed(versions: &[&str], global: &str) -> Sandbox {
        let sb = Sandbox::new();
        sb.publish_versions(versions);
        for v in versions {
            sb.ok(&["install", v]);
        }
        sb.ok(&["global", global]);
        sb
    }

    /// A gov command wired to this sandbox, isolated from the caller's env.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::from_std(self.std_cmd());
        c.timeout(std::time::Duration::from_secs(120));
        c
    }

    /// The same, as a std Command (to spawn and kill).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("gov"));
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("GOV_")
                || k.starts_with("GO")
                || k == "HTTPS_PROXY"
                || k == "https_proxy"
                || k == "HTTP_PROXY"
                || k == "http_proxy"
                || k == "ALL_PROXY"
            {
                c.env_remove(&k);
            }
        }
        c.env("HOME", self.dir.path().join("user"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("user/.config"))
            .env("GOV_HOME", self.home())
            .env("GOV_BIN_DIR", self.bin())
            // Never the host's /usr/local/gov: tests run as root in CI.
            .env("GOV_SYSTEM_HOME", self.system_home())
            .env("GOV_SYSTEM_BIN_DIR", self.system_bin())
            .env("GOV_INDEX_URL", self.index_url())
            .env("GOV_MIRROR", self.mirror())
            // Release sources only unless a test asks for auto or proxy: a
            // test's unreachable mirror must not send gov to proxy.golang.org.
            .env("GOV_SOURCE", "release")
            .env("GOV_HTTP_BACKOFF_MS", "5")
            .env("NO_PROXY", "*");
        c
    }

    /// Any program run in this sandbox: a clean environment holding only
    /// the sandbox's settings, and PATH = GOV_BIN_DIR, gov's directory,
    /// /usr/bin, /bin (what a user who set gov up would have).
    pub fn env_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let base = self.std_cmd();
        let mut cmd = std::process::Command::new(program);
        cmd.env_clear().current_dir(self.dir.path());
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        let gov = assert_cmd::cargo::cargo_bin("gov");
        let gov_dir = gov.parent().map(Path::to_path_buf).unwrap_or_default();
        cmd.env(
            "PATH",
            format!(
                "{}:{}:/usr/bin:/bin",
                self.bin().display(),
                gov_dir.display()
            ),
        );
        cmd
    }

    pub fn gov(&self, args: &[&str]) -> Output {
        self.cmd()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running gov: {e}"))
    }

    /// Runs gov and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.gov(args);
        assert!(
            out.status.success(),
            "gov {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs gov and asserts it exits with `code`; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.gov(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "gov {args:?}: expected exit {code}:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Installed versions per `gov list --json`.
    pub fn installed(&self) -> Vec<String> {
        let out = self.ok(&["list", "--json"]);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("list --json: {e}: {out}"));
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["version"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Entries left in GOV_HOME/tmp (staging, downloads, trash).
    pub fn tmp_entries(&self) -> Vec<String> {
        list_dir(&self.home().join("tmp"))
    }
    pub fn cached_archives(&self) -> Vec<String> {
        list_dir(&self.home().join("cache/downloads"))
    }
}

pub fn list_dir(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs a program, retrying ETXTBSY (a freshly written script can be
/// briefly "busy" while other test threads fork).
pub fn run_program(cmd: &mut std::process::Command) -> Output {
    for _ in 0..50 {
        match cmd.output() {
            Ok(o) => return o,
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("running {cmd:?}: {e}"),
        }
    }
    panic!("{cmd:?}: text file stayed busy")
}

/// Runs a program to completion and returns its output with its own peak
/// resident memory in KiB, as GNU time reports it. The program is started
/// by time, not by this test process: a child started here (vfork, then
/// exec) inherits this process's peak in its own ru_maxrss, and a test
/// binary holding large fixtures would then seem to measure them.
pub fn run_measured(cmd: &std::process::Command) -> (Output, u64) {
    let report = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    let mut timed = std::process::Command::new("/usr/bin/time");
    timed
        .arg("--format=%M")
        .arg("--output")
        .arg(report.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let output = run_program(&mut timed);
    let text = std::fs::read_to_string(report.path()).unwrap_or_default();
    // time writes "Command exited with non-zero status N" first when it fails.
    let peak = text
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak memory from GNU time: {text:?}"));
    (output, peak)
}
