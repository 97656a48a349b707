//! The Ansible collection in `ansible/`, driven for real: `ansible-test
//! sanity` on it, and `ansible-playbook` against several local hosts
//! (`ansible_connection=local`, each with its own GOV_HOME and GOV_BIN_DIR
//! through `environment:`), a loopback release index and mirror serving
//! stand-in toolchains, and, for the role, scripts/dist's release folder and
//! a real Go toolchain from target/go-fixtures.
//!
//! ansible-core comes from PyPI through `scripts/test --deps`; a missing
//! `ansible-playbook` or `ansible-test` fails these tests and says so.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use support::{Sandbox, describe, run_program};

const TRIPLE: &str = "x86_64-unknown-linux-gnu";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn gov() -> PathBuf {
    assert_cmd::cargo::cargo_bin("gov")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An Ansible program from the tests' Python environment (or PATH).
fn tool(name: &str) -> PathBuf {
    support::venv::tool(name)
}

/// The collection in the layout Ansible requires,
/// `<root>/ansible_collections/gov/toolchain/`, copied from `ansible/`.
fn collection(root: &Path) -> PathBuf {
    let dest = root.join("ansible_collections/gov/toolchain");
    std::fs::create_dir_all(dest.parent().unwrap_or(root)).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let out = run_program(
        Command::new("cp")
            .arg("-R")
            .arg(repo().join("ansible"))
            .arg(&dest),
    );
    assert!(
        out.status.success(),
        "copying the collection: {}",
        describe(&out)
    );
    dest
}

/// ansible-playbook's whole environment: nothing of the caller's GOV_* or
/// Ansible settings leaks in.
fn ansible_cmd(program: &str, root: &Path) -> Command {
    let mut c = Command::new(tool(program));
    c.env_clear()
        .env("PATH", support::venv::path())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("ANSIBLE_COLLECTIONS_PATH", root)
        .env("ANSIBLE_HOME", root.join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", root.join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", root.join("ansible-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        // Modules go over stdin instead of temp files: fewer steps per task.
        .env("ANSIBLE_PIPELINING", "1")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .env("NO_PROXY", "*")
        .current_dir(root);
    for k in [
        "PIP_CERT",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "PYENV_ROOT",
        "PYENV_VERSION",
    ] {
        if let Some(v) = std::env::var_os(k) {
            c.env(k, v);
        }
    }
    c
}

/// `host : ok=N changed=N unreachable=N failed=N ...` lines of the recap.
fn recap(out: &Output) -> BTreeMap<String, BTreeMap<String, u32>> {
    let stdout = text(&out.stdout);
    let mut hosts = BTreeMap::new();
    let mut in_recap = false;
    for line in stdout.lines() {
        if line.starts_with("PLAY RECAP") {
            in_recap = true;
            continue;
        }
        if !in_recap {
            continue;
        }
        let Some((host, counts)) = line.split_once(" : ") else {
            continue;
        };
        let counts = counts
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
            .collect();
        hosts.insert(host.trim().to_string(), counts);
    }
    assert!(!hosts.is_empty(), "no PLAY RECAP in:\n{}", describe(out));
    hosts
}

fn count(r: &BTreeMap<String, BTreeMap<String, u32>>, host: &str, what: &str) -> u32 {
    r.get(host)
        .and_then(|c| c.get(what))
        .copied()
        .unwrap_or_else(|| panic!("no {what} for {host} in {r:?}"))
}

/// The files under `dir`, relative, with symlink targets.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap_or(&p).display().to_string();
            match std::fs::read_link(&p) {
                Ok(t) => out.push(format!("{rel} -> {}", t.display())),
                Err(_) => out.push(rel),
            }
            if p.is_dir() && !p.is_symlink() {
                walk(base, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// ansible-test sanity

/// Sanity tests that must run (and pass) on the collection; a run that
/// silently skipped one of them fails here.
const SANITY: &[&str] = &[
    "ansible-doc",
    "compile",
    "ignores",
    "import",
    "line-endings",
    "pep8",
    "pylint",
    "runtime-metadata",
    "shebang",
    "symlinks",
    "validate-modules",
    "yamllint",
];

#[test]
fn ansible_test_sanity_passes() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let coll = collection(root.path());
    let python = run_program(
        Command::new(tool("python3"))
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]),
    );
    let python = text(&python.stdout).trim().to_string();
    let mut c = ansible_cmd("ansible-test", root.path());
    // ansible-test builds one venv per test from PyPI; scripts/test --deps
    // primes them, so this run needs no network.
    c.current_dir(&coll)
        .args(["sanity", "--color", "no", "--python", &python]);
    let out = run_program(&mut c);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "ansible-test sanity failed:\n{}",
        describe(&out)
    );
    for t in SANITY {
        assert!(
            all.contains(&format!("Running sanity test \"{t}\"")),
            "the sanity test {t} did not run:\n{all}"
        );
    }
}

// ---------------------------------------------------------------------------
// Playbooks against several local hosts

/// Hosts with their own directories under one temp root, an inventory
/// naming them, and the collection installed beside them.
struct Fleet {
    sb: Sandbox,
    root: PathBuf,
}

impl Fleet {
    fn new() -> Fleet {
        let sb = Sandbox::new();
        let root = sb.dir.path().join("ansible");
        std::fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{e}"));
        collection(&root);
        Fleet { sb, root }
    }

    fn host_dir(&self, host: &str) -> PathBuf {
        self.root.join("hosts").join(host)
    }
    fn home(&self, host: &str) -> PathBuf {
        self.host_dir(host).join("gov")
    }
    fn bin(&self, host: &str) -> PathBuf {
        self.host_dir(host).join("bin")
    }

    /// Writes an inventory: `hosts` with their directories and `vars` per
    /// host (`key=value` strings), all connected locally.
    fn inventory(&self, name: &str, hosts: &[(&str, &[&str])]) -> PathBuf {
        let mut ini = String::from("[fleet]\n");
        for (host, vars) in hosts {
            ini.push_str(&format!(
                "{host} gov_home={} gov_bin_dir={} {}\n",
                self.home(host).display(),
                self.bin(host).display(),
                vars.join(" ")
            ));
        }
        ini.push_str(
            "\n[fleet:vars]\nansible_connection=local\nansible_python_interpreter={{ ansible_playbook_python }}\n",
        );
        let path = self.root.join(name);
        std::fs::write(&path, ini).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    fn playbook(&self, name: &str, yaml: &str) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, yaml).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    fn run(&self, inventory: &Path, playbook: &Path, extra: &[&str]) -> Output {
        let mut c = ansible_cmd("ansible-playbook", &self.root);
        c.arg("-i")
            .arg(inventory)
            .arg(playbook)
            .arg("-e")
            .arg(format!(
                "gov={} index_url={} mirror={}",
                gov().display(),
                self.sb.index_url(),
                self.sb.mirror()
            ))
            .args(extra);
        run_program(&mut c)
    }

    /// `gov info --json` as the host sees it.
    fn info(&self, host: &str) -> serde_json::Value {
        let out = run_program(
            Command::new(gov())
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("HOME", self.host_dir(host))
                .env("GOV_HOME", self.home(host))
                .env("GOV_BIN_DIR", self.bin(host))
                .env("GOV_SYSTEM_HOME", self.host_dir(host).join("system"))
                .env("GOV_SYSTEM_BIN_DIR", self.host_dir(host).join("system-bin"))
                .args(["info", "--json"]),
        );
        assert!(out.status.success(), "{}", describe(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&out)))
    }
}

/// The fleet playbook: every host gets its versions, the global one, the
/// cn preset and a private pattern, then reports its facts.
const FLEET: &str = r#"
- name: Go on every host
  hosts: fleet
  gather_facts: false
  environment:
    GOV_HOME: "{{ gov_home }}"
    GOV_BIN_DIR: "{{ gov_bin_dir }}"
    GOV_SYSTEM_HOME: "{{ gov_home }}/../system"
    GOV_SYSTEM_BIN_DIR: "{{ gov_home }}/../system-bin"
    GOV_INDEX_URL: "{{ index_url }}"
    GOV_MIRROR: "{{ mirror }}"
    GOV_HTTP_BACKOFF_MS: "5"
  tasks:
    - name: Go versions
      gov.toolchain.go_version:
        version: "{{ item }}"
        gov_path: "{{ gov }}"
      loop: "{{ go_versions.split(',') }}"

    - name: The global version
      gov.toolchain.go_version:
        version: "{{ go_global }}"
        global: true
        gov_path: "{{ gov }}"
      register: selected

    - name: The module proxy preset
      gov.toolchain.go_proxy:
        preset: cn
        gov_path: "{{ gov }}"

    - name: Private modules
      gov.toolchain.go_proxy:
        settings:
          GOPRIVATE: git.corp.example/*
        gov_path: "{{ gov }}"

    - name: Facts
      gov.toolchain.gov_info:
        gov_path: "{{ gov }}"

    - name: The facts agree with what was asked
      ansible.builtin.assert:
        that:
          - ansible_facts.gov.global == selected.version
          - ansible_facts.gov.proxy.profile.GOPROXY == 'https://goproxy.cn,direct'
          - ansible_facts.gov.installed | length == go_versions.split(',') | length
"#;

#[test]
fn fleet_converges_then_stays_put_check_mode_writes_nothing_and_bad_versions_fail_alone() {
    let f = Fleet::new();
    f.sb.publish_versions(&["1.22.5", "1.22.4", "1.21.13"]);
    let play = f.playbook("fleet.yml", FLEET);
    let web: &[&str] = &["go_versions=1.22,1.21.13", "go_global=1.22"];
    let db: &[&str] = &["go_versions=1.21.13", "go_global=1.21.13"];
    let inv = f.inventory("fleet.ini", &[("web1", web), ("web2", web), ("db1", db)]);

    // First run: every host changes, none fails.
    let out = f.run(&inv, &play, &[]);
    assert!(out.status.success(), "{}", describe(&out));
    let r = recap(&out);
    for host in ["web1", "web2", "db1"] {
        assert_eq!(count(&r, host, "failed"), 0, "{host}: {r:?}");
        assert!(count(&r, host, "changed") >= 4, "{host}: {r:?}");
    }
    for (host, versions, global) in [
        ("web1", vec!["1.22.5", "1.21.13"], "1.22.5"),
        ("web2", vec!["1.22.5", "1.21.13"], "1.22.5"),
        ("db1", vec!["1.21.13"], "1.21.13"),
    ] {
        let info = f.info(host);
        let have: Vec<&str> = info["installed"]
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["version"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(have, versions, "{host}: {info}");
        assert_eq!(info["global"], global, "{host}: {info}");
        assert_eq!(info["entry_points"]["go"]["state"], "gov", "{host}: {info}");
        assert_eq!(
            info["proxy"]["profile"]["GOSUMDB"], "sum.golang.google.cn",
            "{host}"
        );
        assert_eq!(
            info["proxy"]["profile"]["GOPRIVATE"], "git.corp.example/*",
            "{host}"
        );
        // The host's own `go` entry point runs its global version.
        let go = run_program(
            Command::new(f.bin(host).join("go"))
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("HOME", f.host_dir(host))
                .env("GOV_HOME", f.home(host))
                .env("GOV_BIN_DIR", f.bin(host))
                .arg("version"),
        );
        assert!(
            text(&go.stdout).contains(&format!("go{global} ")),
            "{host}: {}",
            describe(&go)
        );
    }
    let downloads = f.sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz");
    assert_eq!(downloads, 2, "one download per web host");

    // Second run: nothing to do anywhere, nothing downloaded.
    let out = f.run(&inv, &play, &[]);
    assert!(out.status.success(), "{}", describe(&out));
    let r = recap(&out);
    for host in ["web1", "web2", "db1"] {
        assert_eq!(
            count(&r, host, "changed"),
            0,
            "{host} changed on a re-run:\n{}",
            text(&out.stdout)
        );
    }
    assert_eq!(
        f.sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz"),
        downloads
    );

    // Check mode with a fresh host: it reports what it would change and
    // nothing is written on it; the converged hosts report no change.
    let inv2 = f.inventory("fleet-new.ini", &[("web1", web), ("web3", web)]);
    std::fs::create_dir_all(f.host_dir("web3")).unwrap_or_else(|e| panic!("{e}"));
    let web1_before = tree(&f.host_dir("web1"));
    let out = f.run(&inv2, &play, &["--check", "--diff"]);
    // The facts check fails on the fresh host, which has nothing installed
    // yet: everything up to it ran in check mode.
    let r = recap(&out);
    assert_eq!(count(&r, "web1", "changed"), 0, "{}", text(&out.stdout));
    assert_eq!(count(&r, "web1", "failed"), 0, "{}", text(&out.stdout));
    assert!(count(&r, "web3", "changed") >= 4, "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\"installed\": false") || stdout.contains("installed: false"),
        "no diff shown:\n{stdout}"
    );
    assert_eq!(
        tree(&f.host_dir("web3")),
        Vec::<String>::new(),
        "check mode wrote on the fresh host"
    );
    assert_eq!(
        tree(&f.host_dir("web1")),
        web1_before,
        "check mode changed a converged host"
    );
    assert_eq!(
        f.sb.server.hits("/dl/go1.22.5.linux-amd64.tar.gz"),
        downloads,
        "check mode downloaded"
    );

    // Bad versions: those hosts fail with gov's own message and exit code,
    // the others converge; no traceback anywhere.
    let inv3 = f.inventory(
        "fleet-bad.ini",
        &[
            ("web1", web),
            ("typo", &["go_versions=1.x", "go_global=1.22"]),
            ("gone", &["go_versions=1.99.1", "go_global=1.22"]),
        ],
    );
    let out = f.run(&inv3, &play, &[]);
    assert!(!out.status.success(), "{}", describe(&out));
    let r = recap(&out);
    let stdout = text(&out.stdout);
    assert_eq!(count(&r, "web1", "failed"), 0, "{stdout}");
    assert_eq!(count(&r, "typo", "failed"), 1, "{stdout}");
    assert_eq!(count(&r, "gone", "failed"), 1, "{stdout}");
    // The module checks a version's shape before gov runs.
    assert!(stdout.contains("'1.x' is not a Go version"), "{stdout}");
    assert!(
        stdout.contains("no stable Go 1.99.x release in the index") || stdout.contains("1.99.1"),
        "{stdout}"
    );
    assert!(!stdout.contains("Traceback"), "{stdout}");
    assert!(
        f.info("typo")["installed"]
            .as_array()
            .is_some_and(|a| a.is_empty())
    );
}

// ---------------------------------------------------------------------------
// The role: gov itself from a release folder, then a real Go

/// scripts/dist's signed output (built once per test process;
/// GOV_TEST_DIST=<dir> uses an existing one), as tests/it/installer.rs uses it.
fn signed_dist() -> &'static support::dist::SignedDist {
    static DIST: OnceLock<Result<support::dist::SignedDist, String>> = OnceLock::new();
    match DIST.get_or_init(support::dist::build_signed) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

fn dist() -> &'static Path {
    &signed_dist().dir
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn artifact() -> String {
    format!("gov-{TRIPLE}.tar.gz")
}

/// The real Go 1.22.10 from target/go-fixtures (scripts/test --deps makes
/// it); missing fixtures fail loudly.
fn serve_real_go(sb: &Sandbox) {
    let mirror = repo().join("target/go-fixtures/mirror");
    let index = std::fs::read(mirror.join("index.json")).unwrap_or_else(|e| {
        panic!(
            "the real Go fixtures are missing ({e}): run scripts/go-fixtures (scripts/test --deps)"
        )
    });
    sb.server.put("/dl/index.json", index);
    let name = "go1.22.10.linux-amd64.tar.gz";
    sb.server
        .put_file(&format!("/dl/{name}"), &mirror.join(name));
}

/// What every role host shares: the Go to roll out and where it comes from.
const ROLE_VARS: &str = r#"
gov_environment:
  GOV_INDEX_URL: "{{ index_url }}"
  GOV_MIRROR: "{{ mirror }}"
  GOV_SYSTEM_HOME: "{{ gov_home }}/../system"
  GOV_SYSTEM_BIN_DIR: "{{ gov_home }}/../system-bin"
  GOV_HTTP_BACKOFF_MS: "5"
gov_versions: ["1.22.10"]
gov_global: "1.22"
gov_proxy_preset: cn
gov_proxy_settings:
  GOPRIVATE: git.corp.example/*
"#;

const ROLE: &str = r#"
- name: gov and Go on every host
  hosts: fleet
  gather_facts: false
  roles:
    - role: gov.toolchain.gov
"#;

// The role installs scripts/dist's gov and a real Go.
#[cfg(all(feature = "tier-release", feature = "tier-toolchains"))]
#[test]
fn role_bootstraps_gov_from_a_release_folder_verified_then_rolls_out_a_real_go() {
    let f = Fleet::new();
    serve_real_go(&f.sb);
    let dist = dist();
    let tarball = std::fs::read(dist.join(artifact())).unwrap_or_else(|e| panic!("{e}"));
    let sums = std::fs::read(dist.join(format!("{}.sha256", artifact())))
        .unwrap_or_else(|e| panic!("{e}"));
    f.sb.server
        .put(&format!("/release/{}", artifact()), tarball.clone());
    f.sb.server
        .put(&format!("/release/{}.sha256", artifact()), sums.clone());
    // A release folder whose tarball was altered after its digest was published.
    let mut tampered = tarball.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 0x55;
    f.sb.server
        .put(&format!("/tampered/{}", artifact()), tampered);
    f.sb.server
        .put(&format!("/tampered/{}.sha256", artifact()), sums.clone());

    // A release folder whose digest file is an error page.
    f.sb.server
        .put(&format!("/junk/{}", artifact()), tarball.clone());
    f.sb.server.put(
        &format!("/junk/{}.sha256", artifact()),
        b"<html><body>Not Found</body></html>\n".to_vec(),
    );

    let vars = f.root.join("role-vars.yml");
    std::fs::write(&vars, ROLE_VARS).unwrap_or_else(|e| panic!("{e}"));
    let extra = format!("@{}", vars.display());
    let play = f.playbook("role.yml", ROLE);
    let host = |name: &str, base: &str, more: &[&str]| -> Vec<String> {
        let mut v = vec![
            format!("gov_release_base={}", f.sb.server.url_for(base)),
            format!(
                "gov_install_dir={}",
                f.host_dir(name).join("opt/bin").display()
            ),
            format!("gov_cache_dir={}", f.host_dir(name).join("cache").display()),
        ];
        v.extend(more.iter().map(|s| s.to_string()));
        v
    };
    let pinned_wrong = format!("gov_release_sha256={}", "ab".repeat(32));
    let app1 = host("app1", "/release", &[]);
    let bad1 = host("bad1", "/tampered", &[]);
    let pin1 = host("pin1", "/release", &[&pinned_wrong]);
    let junk1 = host("junk1", "/junk", &[]);
    let (a, b, p, j) = (strs(&app1), strs(&bad1), strs(&pin1), strs(&junk1));
    let inv = f.inventory(
        "role.ini",
        &[("app1", &a), ("bad1", &b), ("pin1", &p), ("junk1", &j)],
    );

    let out = f.run(&inv, &play, &["-e", &extra]);
    let stdout = text(&out.stdout);
    let r = recap(&out);
    assert_eq!(count(&r, "app1", "failed"), 0, "{}", describe(&out));
    assert!(count(&r, "app1", "changed") >= 6, "{stdout}");
    // The altered tarball is refused by its checksum; nothing is installed.
    assert_eq!(count(&r, "bad1", "failed"), 1, "{stdout}");
    assert!(
        stdout.contains("The checksum for") && stdout.contains("did not match"),
        "{stdout}"
    );
    assert!(!f.host_dir("bad1").join("opt/bin/gov").exists());
    // A digest pinned in the inventory that the release does not match:
    // stopped before downloading anything.
    assert_eq!(count(&r, "pin1", "failed"), 1, "{stdout}");
    assert!(
        stdout.contains("not the pinned gov_release_sha256"),
        "{stdout}"
    );
    assert!(
        !f.host_dir("pin1")
            .join("cache")
            .join(text(&sums).split_whitespace().next().unwrap_or(""))
            .join(artifact())
            .exists()
    );

    // A digest file that holds no digest: stopped, nothing downloaded.
    assert_eq!(count(&r, "junk1", "failed"), 1, "{stdout}");
    assert!(stdout.contains("which is not a sha256 digest"), "{stdout}");
    assert_eq!(f.sb.server.hits(&format!("/junk/{}", artifact())), 0);

    // app1 runs the released gov, byte for byte, and a real Go through it.
    let installed = f.host_dir("app1").join("opt/bin/gov");
    let released = {
        let unpacked = f.host_dir("check");
        std::fs::create_dir_all(&unpacked).unwrap_or_else(|e| panic!("{e}"));
        let out = run_program(
            Command::new("tar")
                .arg("-xzf")
                .arg(dist.join(artifact()))
                .arg("-C")
                .arg(&unpacked),
        );
        assert!(out.status.success(), "{}", describe(&out));
        std::fs::read(unpacked.join(format!("gov-{TRIPLE}/gov"))).unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(
        std::fs::read(&installed).ok().as_deref(),
        Some(&released[..]),
        "the installed gov is not the released one"
    );
    let go = |args: &[&str]| -> String {
        let out = run_program(
            Command::new(f.bin("app1").join("go"))
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("HOME", f.host_dir("app1"))
                .env("GOV_HOME", f.home("app1"))
                .env("GOV_BIN_DIR", f.bin("app1"))
                .env("GOV_SYSTEM_HOME", f.host_dir("app1").join("system"))
                .env("GOV_SYSTEM_BIN_DIR", f.host_dir("app1").join("system-bin"))
                .args(args),
        );
        assert!(out.status.success(), "go {args:?}: {}", describe(&out));
        text(&out.stdout).trim().to_string()
    };
    assert_eq!(go(&["version"]), "go version go1.22.10 linux/amd64");
    assert_eq!(go(&["env", "GOPROXY"]), "https://goproxy.cn,direct");
    assert_eq!(go(&["env", "GOPRIVATE"]), "git.corp.example/*");

    // A re-run: no download, no change.
    let hits = f.sb.server.hits(&format!("/release/{}", artifact()));
    let inv_app = f.inventory("role-app.ini", &[("app1", &a)]);
    let out = f.run(&inv_app, &play, &["-e", &extra]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        count(&recap(&out), "app1", "changed"),
        0,
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        f.sb.server.hits(&format!("/release/{}", artifact())),
        hits,
        "a re-run downloaded gov again"
    );

    // Check mode on a fresh host reports the bootstrap and writes nothing.
    let new1 = host("new1", "/release", &[]);
    let n = strs(&new1);
    let inv_new = f.inventory("role-new.ini", &[("app1", &a), ("new1", &n)]);
    std::fs::create_dir_all(f.host_dir("new1")).unwrap_or_else(|e| panic!("{e}"));
    let out = f.run(&inv_new, &play, &["-e", &extra, "--check"]);
    assert!(out.status.success(), "{}", describe(&out));
    let r = recap(&out);
    assert_eq!(count(&r, "app1", "changed"), 0, "{}", text(&out.stdout));
    assert!(count(&r, "new1", "changed") >= 1, "{}", text(&out.stdout));
    assert_eq!(
        tree(&f.host_dir("new1")),
        Vec::<String>::new(),
        "check mode wrote on the fresh host"
    );
    assert_eq!(
        f.sb.server.hits(&format!("/release/{}", artifact())),
        hits,
        "check mode downloaded gov"
    );
}

// ---------------------------------------------------------------------------
// Module edges, asserted inside one playbook

const EDGES: &str = r#"
- name: Module edges
  hosts: fleet
  gather_facts: false
  environment:
    GOV_HOME: "{{ gov_home }}"
    GOV_BIN_DIR: "{{ gov_bin_dir }}"
    GOV_SYSTEM_HOME: "{{ gov_home }}/../system"
    GOV_SYSTEM_BIN_DIR: "{{ gov_home }}/../system-bin"
    GOV_INDEX_URL: "{{ index_url }}"
    GOV_MIRROR: "{{ mirror }}"
  tasks:
    - name: A global version
      gov.toolchain.go_version: {version: 1.22.5, global: true, gov_path: "{{ gov }}"}

    - name: A program that is not gov answers with text
      gov.toolchain.go_version: {version: 1.22.5, gov_path: "{{ impostor }}"}
      register: impostor_run
      ignore_errors: true
    - name: gov_path that does not exist
      gov.toolchain.gov_info: {gov_path: /nonexistent/gov}
      register: missing_run
      ignore_errors: true
    - name: A value cmd/go would refuse
      gov.toolchain.go_proxy: {settings: {GOSUMDB: "https://sum.golang.google.cn"}, gov_path: "{{ gov }}"}
      register: refused
      ignore_errors: true
    - name: Removing the global version
      gov.toolchain.go_version: {version: 1.22.5, state: absent, gov_path: "{{ gov }}"}
      register: global_removal
      ignore_errors: true
    - name: Global with state=absent
      gov.toolchain.go_version: {version: 1.22.5, state: absent, global: true, gov_path: "{{ gov }}"}
      register: contradiction
      ignore_errors: true
    - name: The failures say what gov said
      ansible.builtin.assert:
        that:
          - impostor_run is failed and 'did not answer with JSON' in impostor_run.msg
          - missing_run is failed and 'not an executable' in missing_run.msg
          - refused is failed and refused.rc == 2 and refused.gov_error.kind == 'invalid-input'
          - "'sum.golang.google.cn' in refused.msg"
          - global_removal is failed and global_removal.rc == 1 and global_removal.gov_error.kind == 'state'
          - "'is the global version' in global_removal.msg"
          - contradiction is failed

    - name: Preset, then one of its keys changed by hand
      gov.toolchain.go_proxy: {preset: cn, gov_path: "{{ gov }}"}
    - name: Someone's own checksum database
      gov.toolchain.go_proxy: {settings: {GOSUMDB: sum.golang.org}, gov_path: "{{ gov }}"}
    - name: Removing the preset leaves values that are not the preset's
      gov.toolchain.go_proxy: {preset: cn, state: absent, gov_path: "{{ gov }}"}
      register: preset_gone
    - name: Removing it again changes nothing
      gov.toolchain.go_proxy: {preset: cn, state: absent, gov_path: "{{ gov }}"}
      register: preset_gone_again
    - name: A corp preset with its options, in check mode with a diff
      gov.toolchain.go_proxy:
        preset: corp
        url: https://goproxy.corp.example
        private: git.corp.example/*
        fallback: true
        gov_path: "{{ gov }}"
      check_mode: true
      diff: true
      register: corp
    - name: Facts after all that
      gov.toolchain.gov_info: {gov_path: "{{ gov }}"}

    - name: Install, remove, remove again
      gov.toolchain.go_version: {version: 1.21.13, gov_path: "{{ gov }}"}
    - name: Remove
      gov.toolchain.go_version: {version: 1.21.13, state: absent, gov_path: "{{ gov }}"}
      register: removed
    - name: Remove again
      gov.toolchain.go_version: {version: 1.21.13, state: absent, gov_path: "{{ gov }}"}
      register: removed_again
    - name: Everything as asked
      ansible.builtin.assert:
        that:
          - preset_gone is changed
          - "preset_gone.profile == {'GOSUMDB': 'sum.golang.org'}"
          - preset_gone_again is not changed
          - corp is changed
          - corp.diff.after.GOPROXY == 'https://goproxy.corp.example,https://proxy.golang.org,direct'
          - corp.diff.after.GOPRIVATE == 'git.corp.example/*'
          - "ansible_facts.gov.proxy.profile == {'GOSUMDB': 'sum.golang.org'}"
          - removed is changed and removed.version == '1.21.13'
          - removed_again is not changed and removed_again.action == 'not-installed'

    - name: A company proxy with credentials in its URL
      gov.toolchain.go_proxy:
        settings: {GOPROXY: "https://alice:{{ url_secret }}@goproxy.corp.example,direct"}
        gov_path: "{{ gov }}"
      diff: true
      register: with_credentials
    - name: The same with a value gov refuses
      gov.toolchain.go_proxy:
        settings: {GOPROXY: "https://alice:{{ url_secret }}@goproxy.corp.example", GOSUMDB: "https://x"}
        gov_path: "{{ gov }}"
      register: refused_with_credentials
      ignore_errors: true
    - name: Facts with credentials configured
      gov.toolchain.gov_info: {gov_path: "{{ gov }}"}
      register: info_with_credentials
    - name: No result holds the password
      ansible.builtin.assert:
        that:
          - with_credentials is changed
          - "'alice:xxxxx@goproxy.corp.example' in with_credentials.profile.GOPROXY"
          - refused_with_credentials is failed
          - url_secret not in (with_credentials | to_json)
          - url_secret not in (refused_with_credentials | to_json)
          - url_secret not in (info_with_credentials | to_json)
    - name: Private modules through the company proxy
      gov.toolchain.go_proxy: &corp_via_proxy
        preset: corp
        url: https://goproxy.corp.example
        private: git.corp.example/*
        private_via: proxy
        gov_path: "{{ gov }}"
      register: via_proxy
    - name: The same again
      gov.toolchain.go_proxy: *corp_via_proxy
      register: via_proxy_again
    - name: Straight from version control, in check mode
      gov.toolchain.go_proxy:
        preset: corp
        url: https://goproxy.corp.example
        private: git.corp.example/*
        private_via: direct
        gov_path: "{{ gov }}"
      check_mode: true
      diff: true
      register: via_direct_check
    - name: Check mode wrote nothing
      gov.toolchain.go_proxy: *corp_via_proxy
      register: via_proxy_after_check
    - name: A routing that does not exist
      gov.toolchain.go_proxy: {preset: corp, url: "https://goproxy.corp.example", private: "a/*", private_via: vpn, gov_path: "{{ gov }}"}
      register: via_vpn
      ignore_errors: true
    - name: A routing with plain settings
      gov.toolchain.go_proxy: {settings: {GOPRIVATE: "a/*"}, private_via: direct, gov_path: "{{ gov }}"}
      register: via_settings
      ignore_errors: true
    - name: Through the proxy with the public fallback
      gov.toolchain.go_proxy: {preset: corp, url: "https://goproxy.corp.example", private: "a/*", private_via: proxy, fallback: true, gov_path: "{{ gov }}"}
      register: via_fallback
      ignore_errors: true
    - name: Patterns Go would never match
      gov.toolchain.go_proxy: {preset: corp, url: "https://goproxy.corp.example", private: "a/*, b/*", gov_path: "{{ gov }}"}
      register: via_spaces
      ignore_errors: true
    - name: Private routing as asked
      ansible.builtin.assert:
        that:
          - via_proxy is changed
          - via_proxy.profile.GONOPROXY == 'none'
          - via_proxy.profile.GONOSUMDB == 'git.corp.example/*'
          - via_proxy.profile.GOPRIVATE == 'git.corp.example/*'
          - via_proxy_again is not changed
          - via_direct_check is changed
          - via_direct_check.changed_keys == ['GONOPROXY']
          - via_direct_check.diff.after.GONOPROXY == 'git.corp.example/*'
          - via_proxy_after_check is not changed
          - via_vpn is failed and 'private_via' in via_vpn.msg
          - via_settings is failed and 'belong to preset=corp' in via_settings.msg
          - via_fallback is failed and via_fallback.rc == 2 and 'proxy.golang.org' in via_fallback.msg
          - via_spaces is failed and via_spaces.rc == 2 and 'holds a space' in via_spaces.msg

    - name: A go that is not gov's where the entry point goes
      ansible.builtin.copy: {content: "echo not gov\n", dest: "{{ gov_bin_dir }}/go", mode: "0755"}
    - name: Installed, then making it global fails
      gov.toolchain.go_version: {version: 1.21.13, global: true, gov_path: "{{ gov }}"}
      register: half_done
      ignore_errors: true
    - name: That go goes again
      ansible.builtin.file: {path: "{{ gov_bin_dir }}/go", state: absent}
    - name: A version that is an option of gov uninstall
      gov.toolchain.go_version: {version: "--all", state: absent, gov_path: "{{ gov }}"}
      register: dash_all
      ignore_errors: true
    - name: A version that is an option of gov install
      gov.toolchain.go_version: {version: "--force", gov_path: "{{ gov }}"}
      register: dash_force
      ignore_errors: true
    - name: A preset that is an option of gov proxy use
      gov.toolchain.go_proxy: {preset: "--url=https://evil.example", gov_path: "{{ gov }}"}
      register: dash_preset
      ignore_errors: true
    - name: A setting name that is an option of gov proxy set
      gov.toolchain.go_proxy: {settings: {"--dry-run": "x"}, gov_path: "{{ gov }}"}
      register: dash_key
      ignore_errors: true
    - name: A value that starts with a dash is a value
      gov.toolchain.go_proxy: {settings: {GOFLAGS: "-mod=mod"}, gov_path: "{{ gov }}"}
      register: dash_value
    - name: Still installed
      gov.toolchain.go_version: {version: 1.21.13, gov_path: "{{ gov }}"}
      register: still
    - name: Options stay options and values stay values
      ansible.builtin.assert:
        that:
          - half_done is failed and half_done is changed
          - dash_all is failed and dash_all is not changed and 'not a Go version' in dash_all.msg
          - dash_force is failed and 'not a Go version' in dash_force.msg
          - dash_preset is failed and 'not a preset name' in dash_preset.msg
          - dash_key is failed and 'not a setting name' in dash_key.msg
          - dash_value is changed and dash_value.profile.GOFLAGS == '-mod=mod'
          - still is not changed
    - name: Clean up
      gov.toolchain.go_version: {version: 1.21.13, state: absent, gov_path: "{{ gov }}"}
"#;

#[test]
fn modules_fail_with_gov_s_message_and_absent_removes_only_what_is_theirs() {
    let f = Fleet::new();
    f.sb.publish_versions(&["1.22.5", "1.21.13"]);
    let impostor = f.root.join("impostor");
    std::fs::write(&impostor, "#!/bin/sh\necho 'Installed Go!'\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(
        &impostor,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let play = f.playbook("edges.yml", EDGES);
    let inv = f.inventory("edges.ini", &[("edge1", &[])]);
    let out = f.run(
        &inv,
        &play,
        &[
            "-e",
            &format!("impostor={}", impostor.display()),
            "-e",
            "url_secret=s3cr3t-t0ken",
        ],
    );
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("s3cr3t-t0ken"), "{stdout}");
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(count(&recap(&out), "edge1", "failed"), 0, "{stdout}");
    assert!(!stdout.contains("Traceback"), "{stdout}");
    assert!(!f.home("edge1").join("versions/1.21.13").exists());
}

/// A gov mirror (`gov mirror sync` with gov's own artifacts from dist/),
/// served on loopback: the role installs gov and a real Go from it alone,
/// and a re-run changes nothing.
// The role installs scripts/dist's gov and a real Go.
#[cfg(all(feature = "tier-release", feature = "tier-toolchains"))]
#[test]
fn role_bootstraps_gov_from_a_gov_mirror() {
    let f = Fleet::new();
    serve_real_go(&f.sb);
    let dir = f.sb.dir.path().join("mirror");
    let out = run_program(
        Command::new(gov())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", f.sb.dir.path().join("user"))
            .env("GOV_HOME", f.sb.dir.path().join("mirror-home"))
            .env("GOV_SYSTEM_HOME", f.sb.dir.path().join("system"))
            .env("GOV_SYSTEM_BIN_DIR", f.sb.dir.path().join("system-bin"))
            .env("GOV_INDEX_URL", f.sb.index_url())
            .env("GOV_MIRROR", f.sb.mirror())
            .env("NO_PROXY", "*")
            // The debug gov trusts the throwaway key dist was signed with.
            .env(
                "GOV_TEST_RELEASE_KEYS",
                signed_dist().keys.join("current.pub"),
            )
            .args(["mirror", "sync"])
            .arg(&dir)
            .args([
                "--versions",
                "1.22.10",
                "--arch",
                "amd64",
                "--modules",
                "off",
                "--dist",
            ])
            .arg(dist())
            .args(["--url", &f.sb.server.url_for("/mirror")]),
    );
    assert!(out.status.success(), "gov mirror sync: {}", describe(&out));
    for name in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
    {
        f.sb.server
            .put_file(&format!("/mirror/{name}"), &dir.join(&name));
    }
    let vars = f.root.join("role-vars.yml");
    std::fs::write(&vars, ROLE_VARS).unwrap_or_else(|e| panic!("{e}"));
    let extra = format!("@{}", vars.display());
    let play = f.playbook("role.yml", ROLE);
    let m1: Vec<String> = vec![
        format!("gov_mirror={}", f.sb.server.url_for("/mirror/")),
        format!(
            "gov_install_dir={}",
            f.host_dir("m1").join("opt/bin").display()
        ),
        format!("gov_cache_dir={}", f.host_dir("m1").join("cache").display()),
    ];
    let m = strs(&m1);
    let inv = f.inventory("mirror.ini", &[("m1", &m)]);
    let go_hits = f.sb.server.hits("/dl/go1.22.10.linux-amd64.tar.gz");

    let out = f.run(&inv, &play, &["-e", &extra]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        count(&recap(&out), "m1", "changed") >= 6,
        "{}",
        text(&out.stdout)
    );
    // Everything came from the mirror: gov, the index and the Go archive.
    assert_eq!(f.sb.server.hits(&format!("/mirror/{}", artifact())), 1);
    assert_eq!(f.sb.server.hits("/mirror/go1.22.10.linux-amd64.tar.gz"), 1);
    assert_eq!(
        f.sb.server.hits("/dl/go1.22.10.linux-amd64.tar.gz"),
        go_hits,
        "Go came from upstream, not the mirror"
    );
    let go = run_program(
        Command::new(f.bin("m1").join("go"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", f.host_dir("m1"))
            .env("GOV_HOME", f.home("m1"))
            .env("GOV_BIN_DIR", f.bin("m1"))
            .env("GOV_SYSTEM_HOME", f.host_dir("m1").join("system"))
            .env("GOV_SYSTEM_BIN_DIR", f.host_dir("m1").join("system-bin"))
            .arg("version"),
    );
    assert_eq!(
        text(&go.stdout).trim(),
        "go version go1.22.10 linux/amd64",
        "{}",
        describe(&go)
    );

    // The mirror stays in gov's settings on the host: a later `gov` run
    // with no GOV_* variable uses it.
    let mirror = f.sb.server.url_for("/mirror");
    let config = std::fs::read_to_string(f.home("m1").join("config"))
        .unwrap_or_else(|e| panic!("gov's config on the host: {e}"));
    assert!(
        config.contains(&format!("GOV_MIRROR={mirror}\n")),
        "{config}"
    );
    assert!(
        config.contains(&format!("GOV_INDEX_URL={mirror}/index.json\n")),
        "{config}"
    );
    let got = run_program(
        Command::new(f.host_dir("m1").join("opt/bin/gov"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", f.host_dir("m1"))
            .env("GOV_HOME", f.home("m1"))
            .env("GOV_SYSTEM_HOME", f.host_dir("m1").join("system"))
            .env("GOV_SYSTEM_BIN_DIR", f.host_dir("m1").join("system-bin"))
            .args(["config", "get", "GOV_MIRROR"]),
    );
    assert_eq!(text(&got.stdout).trim(), mirror, "{}", describe(&got));

    let out = f.run(&inv, &play, &["-e", &extra]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        count(&recap(&out), "m1", "changed"),
        0,
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        f.sb.server.hits(&format!("/mirror/{}", artifact())),
        1,
        "a re-run downloaded gov again"
    );
}
