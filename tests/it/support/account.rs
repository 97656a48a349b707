//! Real local accounts for tests of what another user can do to gov's
//! state: created with useradd under a unique name, removed on drop; and
//! one shared unprivileged user (`USER`) for tests that only need to run
//! something as somebody other than root.
//! Needs root (CI runs as root); a test that needs one fails loudly
//! without it rather than passing silently.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use super::output::describe;

pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn id(flag: &str, name: &str) -> Option<u32> {
    let o = Command::new("id").args([flag, name]).output().ok()?;
    if !o.status.success() {
        return None;
    }
    String::from_utf8_lossy(&o.stdout).trim().parse().ok()
}

impl Account {
    /// A fresh system account with its own group and no home directory.
    pub fn create() -> Account {
        assert!(
            is_root(),
            "this test creates a real account and needs root (CI runs as root)"
        );
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "govt{}x{}",
            std::process::id() % 100_000,
            N.fetch_add(1, Ordering::Relaxed)
        );
        // useradd refuses while another holds /etc/passwd's lock: retry.
        let mut last = None;
        for _ in 0..50 {
            let out = Command::new("useradd")
                .args(["--system", "--user-group", "--no-create-home"])
                .args(["--shell", "/bin/sh", &name])
                .output()
                .unwrap_or_else(|e| panic!("useradd: {e}"));
            if out.status.success() {
                last = None;
                break;
            }
            last = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if let Some(err) = last {
            panic!("useradd {name}: {err}");
        }
        let uid = id("-u", &name).unwrap_or_else(|| panic!("no uid for {name}"));
        let gid = id("-g", &name).unwrap_or_else(|| panic!("no gid for {name}"));
        Account { name, uid, gid }
    }

    /// `program` run as this account (no supplementary groups).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.gid))
            .arg("--clear-groups")
            .arg(program);
        c
    }

    /// Runs `sh -c script` as this account.
    pub fn sh(&self, script: &str) -> Output {
        self.command("sh")
            .args(["-c", script])
            .current_dir("/")
            .output()
            .unwrap_or_else(|e| panic!("setpriv: {e}"))
    }

    pub fn chown(&self, path: &Path) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        for _ in 0..50 {
            let ok = Command::new("userdel")
                .arg(&self.name)
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

// One shared unprivileged account, created on first use.

pub const USER: &str = "govtest";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The unprivileged user's uid and gid, creating the user if needed.
pub fn test_user() -> (u32, u32) {
    static IDS: OnceLock<(u32, u32)> = OnceLock::new();
    *IDS.get_or_init(|| {
        let ids = || -> Option<(u32, u32)> {
            let id = |flag: &str| {
                let o = Command::new("id").args([flag, USER]).output().ok()?;
                o.status
                    .success()
                    .then(|| text(&o.stdout).trim().parse().ok())
                    .flatten()
            };
            Some((id("-u")?, id("-g")?))
        };
        if let Some(v) = ids() {
            return v;
        }
        let out = Command::new("useradd")
            .args([
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/bin/sh",
                USER,
            ])
            .output()
            .unwrap_or_else(|e| panic!("useradd: {e}"));
        // Another test process may have created it meanwhile.
        ids().unwrap_or_else(|| panic!("cannot create the user {USER}:\n{}", describe(&out)))
    })
}

pub fn chown_tree(dir: &Path, uid: u32, gid: u32) {
    let out = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("chown: {e}"));
    assert!(out.status.success(), "chown: {}", describe(&out));
}

/// The command prefix that runs a program as the test user when root
/// (`setpriv`), or nothing (already unprivileged).
pub fn as_test_user() -> Vec<String> {
    if !is_root() {
        return Vec::new();
    }
    let (uid, gid) = test_user();
    vec![
        "setpriv".to_string(),
        format!("--reuid={uid}"),
        format!("--regid={gid}"),
        "--clear-groups".to_string(),
    ]
}
