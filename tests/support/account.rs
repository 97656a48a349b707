//! Real accounts for tests that run something as an unprivileged user
//! (CI runs as root): one system user, created on first use.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

pub const USER: &str = "govtest";

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

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
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
