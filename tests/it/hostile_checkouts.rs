//! Selection files an attacker (or an accident) can put in a checkout or a
//! parent directory: FIFOs, devices, huge sparse files, links to secrets,
//! byte-order marks, invalid UTF-8, terminal escapes, and files planted in
//! world-writable folders. Driven through the real `go` entry point.

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Account, Sandbox};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: Vec<u8>,
}

impl Run {
    fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `go version` in `cwd`; a run that takes longer than 10 s is a hang.
/// Output goes to files, so a flood cannot block the child.
fn go_version(sb: &Sandbox, cwd: &Path, env: &[(&str, &str)]) -> Run {
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (o, e) = (out_dir.path().join("out"), out_dir.path().join("err"));
    let file = |p: &Path| std::fs::File::create(p).unwrap_or_else(|e| panic!("{e}"));
    let mut cmd: Command = sb.env_cmd("go");
    cmd.arg("version")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(file(&o))
        .stderr(file(&e));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("go: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break s;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`go version` in {} hung", cwd.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        stdout: std::fs::read_to_string(&o)
            .unwrap_or_default()
            .trim()
            .to_string(),
        stderr: std::fs::read(&e).unwrap_or_default(),
    }
}

fn world() -> (Sandbox, PathBuf) {
    let sb = Sandbox::with_installed(&["1.22.5", "1.21.13"], "1.22.5");
    let work = sb.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    (sb, work)
}

fn project(work: &Path, name: &str) -> PathBuf {
    let p = work.join(name);
    std::fs::create_dir_all(p.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    p
}

const GLOBAL: &str = "go version go1.22.5 linux/amd64";
const PINNED: &str = "go version go1.21.13 linux/amd64";

/// Refused quickly, with exit 2, a short message without raw control bytes,
/// and the message is snapshot `name`.
fn assert_refused(r: &Run, name: &str) {
    assert_eq!(r.code, Some(2), "stdout {} stderr {}", r.stdout, r.err());
    assert!(r.stderr.len() < 2048, "{} bytes of stderr", r.stderr.len());
    assert!(
        !r.stderr
            .iter()
            .any(|b| *b == 0x1b || *b == 0 || *b == b'\r'),
        "raw control bytes in {:?}",
        r.err()
    );
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!(name, r.err());
}

#[test]
fn fifos_and_devices_are_refused_without_blocking() {
    let (sb, work) = world();
    let p = project(&work, "fifo");
    let fifo = p.join(".go-version");
    let ok = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo");
    assert_refused(&go_version(&sb, &p.join("sub"), &[]), "fifo");

    // A link to a device (endless zeros) is not followed.
    let p = project(&work, "zero");
    std::os::unix::fs::symlink("/dev/zero", p.join(".go-version"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_refused(&go_version(&sb, &p, &[]), "link_to_dev_zero");
}

#[test]
fn huge_sparse_selection_files_are_refused_unread() {
    let (sb, work) = world();
    for name in [".go-version", "go.mod", "go.work"] {
        let p = project(&work, &format!("sparse-{}", name.trim_start_matches('.')));
        let f = std::fs::File::create(p.join(name)).unwrap_or_else(|e| panic!("{e}"));
        f.set_len(64 << 20).unwrap_or_else(|e| panic!("{e}"));
        let r = go_version(&sb, &p.join("sub"), &[]);
        assert_refused(&r, &format!("huge_{}", name.trim_start_matches('.')));
    }
    // A real-sized go.mod with a toolchain line still selects.
    let p = project(&work, "bigmod");
    let mut text =
        String::from("module example.com/big\n\ngo 1.21\n\ntoolchain go1.21.13\n\nrequire (\n");
    for i in 0..2000 {
        text.push_str(&format!("\texample.com/dep{i} v1.2.{i}\n"));
    }
    text.push_str(")\n");
    std::fs::write(p.join("go.mod"), text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(go_version(&sb, &p.join("sub"), &[]).stdout, PINNED);
}

#[test]
fn links_to_secrets_are_not_followed_or_echoed() {
    let (sb, work) = world();
    let secret = "s3cr3t-token-in-ci";
    for target in ["/proc/self/environ", "/etc/shadow", "/etc/passwd"] {
        let p = project(&work, &format!("link{}", target.replace('/', "-")));
        std::os::unix::fs::symlink(target, p.join(".go-version")).unwrap_or_else(|e| panic!("{e}"));
        let r = go_version(&sb, &p.join("sub"), &[("CI_SECRET", secret)]);
        assert_refused(&r, &format!("link_to{}", target.replace('/', "_")));
        assert!(!r.err().contains(secret), "{}", r.err());
        assert!(!r.err().contains("root:"), "{}", r.err());
    }
    // A link to a shared .go-version (a monorepo's) is followed.
    let shared = project(&work, "shared");
    std::fs::write(shared.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    let p = project(&work, "uses-shared");
    std::os::unix::fs::symlink("../shared/.go-version", p.join(".go-version"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(go_version(&sb, &p.join("sub"), &[]).stdout, PINNED);
}

#[test]
fn encodings_bom_invalid_utf8_and_escapes() {
    let (sb, work) = world();
    let p = project(&work, "bom");
    std::fs::write(p.join(".go-version"), "\u{FEFF}1.21.13\r\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(go_version(&sb, &p.join("sub"), &[]).stdout, PINNED);

    let p = project(&work, "latin1");
    std::fs::write(p.join(".go-version"), b"1.21.13 \xE9t\xE9\n").unwrap_or_else(|e| panic!("{e}"));
    assert_refused(&go_version(&sb, &p, &[]), "not_utf8");

    // Terminal escapes in the content and in the directory name are
    // printed escaped, and a long line is cut.
    let p = project(&work, "dir\u{1b}[2Jname");
    let evil = format!("\u{1b}]0;owned\u{7}\u{1b}[31m1.x{}\n", "A".repeat(3000));
    std::fs::write(p.join(".go-version"), evil).unwrap_or_else(|e| panic!("{e}"));
    let r = go_version(&sb, &p, &[]);
    assert_refused(&r, "escapes_and_a_long_line");
}

#[cfg(feature = "tier-accounts")]
#[test]
fn files_planted_in_world_writable_folders_are_ignored() {
    let (sb, work) = world();
    std::fs::set_permissions(sb.dir.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let shared = work.join("tmp");
    std::fs::create_dir_all(shared.join("build")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let other = Account::create();
    for name in [".go-version", "go.mod"] {
        let text = if name == "go.mod" {
            "module x\n\ngo 1.21\n\ntoolchain go1.21.13\n"
        } else {
            "1.21.13\n"
        };
        let out = other.sh(&format!(
            "printf '%s' '{text}' > '{}'",
            shared.join(name).display()
        ));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            go_version(&sb, &shared.join("build"), &[]).stdout,
            GLOBAL,
            "{name}"
        );
        std::fs::remove_file(shared.join(name)).unwrap_or_else(|e| panic!("{e}"));
    }
    // One this account put there itself is honoured.
    std::fs::write(shared.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(go_version(&sb, &shared.join("build"), &[]).stdout, PINNED);
}

/// One rule for every selection file, before anything else is judged: an
/// entry another account put in a world-writable sticky folder is absent,
/// whatever it is (a file of any selection format, a FIFO, a folder, a
/// link judged by where the link itself lies) and whatever it would do
/// (steer the version, break every `go` below it, or displace the
/// checkout's own go.mod with a planted go.work).
#[cfg(feature = "tier-accounts")]
#[test]
fn planted_entries_of_any_kind_are_absent() {
    let (sb, work) = world();
    std::fs::set_permissions(sb.dir.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let shared = work.join("tmp");
    let build = shared.join("build");
    std::fs::create_dir_all(&build).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777))
        .unwrap_or_else(|e| panic!("{e}"));
    let other = Account::create();
    // The other account's own folder (not world-writable) with a
    // .go-version a planted link points to.
    let theirs = work.join("theirs");
    std::fs::create_dir_all(&theirs).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(theirs.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    other.chown(&theirs);
    other.chown(&theirs.join(".go-version"));
    let s = shared.display();
    let cases = [
        (
            ".tool-versions",
            format!("printf 'golang 1.21.13\\n' > {s}/.tool-versions"),
        ),
        (
            "mise.toml",
            format!("printf '[tools]\\ngo = \"1.21.13\"\\n' > {s}/mise.toml"),
        ),
        (
            ".mise.toml",
            format!("printf '[tools]\\ngo = \"1.21.13\"\\n' > {s}/.mise.toml"),
        ),
        (".go-version", format!("mkfifo {s}/.go-version")),
        (".tool-versions", format!("mkdir {s}/.tool-versions")),
        (
            ".go-version",
            format!("ln -s {}/.go-version {s}/.go-version", theirs.display()),
        ),
        (".go-version", format!("ln -s /etc/passwd {s}/.go-version")),
        (
            "mise.toml",
            format!("ln -s /proc/self/environ {s}/mise.toml"),
        ),
    ];
    for (name, plant) in &cases {
        let out = other.sh(plant);
        assert!(
            out.status.success(),
            "{plant}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = go_version(&sb, &build, &[]);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(0), GLOBAL),
            "{plant}: {}",
            r.err()
        );
        let p = shared.join(name);
        if p.is_dir() && !p.is_symlink() {
            std::fs::remove_dir(&p).unwrap_or_else(|e| panic!("{e}"));
        } else {
            std::fs::remove_file(&p).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    // A planted go.work does not put the checkout's own go.mod aside.
    std::fs::write(
        build.join("go.mod"),
        "module example.com/b\n\ngo 1.21\n\ntoolchain go1.21.13\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(go_version(&sb, &build, &[]).stdout, PINNED);
    let out = other.sh(&format!("printf 'go 1.21\\n' > {s}/go.work"));
    assert!(out.status.success());
    let r = go_version(&sb, &build, &[]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (Some(0), PINNED),
        "{}",
        r.err()
    );
    std::fs::remove_file(shared.join("go.work")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(build.join("go.mod")).unwrap_or_else(|e| panic!("{e}"));
    // What this account put there itself still selects, in every format.
    std::fs::write(shared.join(".tool-versions"), "golang 1.21.13\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(go_version(&sb, &build, &[]).stdout, PINNED);
}
