//! `gov persist` edits files that belong to the user: it changes only the
//! bytes of its own block, writes through a symlinked ~/.profile (dotfile
//! managers), keeps mode and owner, gives back the exact bytes on
//! `--remove`, and never drops lines when its end marker is missing.

use crate::support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use support::{Account, Sandbox};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_symlinked_private_profile_stays_a_link_keeps_its_mode_and_comes_back_exact() {
    let sb = Sandbox::new();
    let user = sb.dir.path().join("user");
    let dotfiles = sb.dir.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap_or_else(|e| panic!("{e}"));
    let target = dotfiles.join("profile");
    let link = user.join(".profile");
    std::os::unix::fs::symlink(&target, &link).unwrap_or_else(|e| panic!("{e}"));
    for original in [
        &b"export EDITOR=vi"[..],
        b"export EDITOR=vi\r\numask 077\r\n",
        b"export EDITOR=vi\n\n\n",
        b"",
    ] {
        std::fs::write(&target, original).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
        sb.ok(&["persist", "--user"]);
        let meta = std::fs::symlink_metadata(&link).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            meta.file_type().is_symlink(),
            "~/.profile was replaced by a file"
        );
        let with = read(&target);
        assert!(
            with.starts_with(original),
            "{:?}",
            String::from_utf8_lossy(&with)
        );
        assert!(String::from_utf8_lossy(&with).contains("# >>> gov >>>"));
        assert_eq!(
            std::fs::metadata(&target).map(|m| m.mode() & 0o777).ok(),
            Some(0o600)
        );
        sb.ok(&["persist", "--user", "--remove"]);
        assert_eq!(
            read(&target),
            original,
            "--remove of {:?}",
            String::from_utf8_lossy(original)
        );
        assert!(std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
    }
}

#[test]
fn a_missing_end_marker_loses_no_line() {
    let sb = Sandbox::new();
    let profile = sb.dir.path().join("user/.profile");
    let text = "export A=1\n# >>> gov >>> (managed by `gov persist`; remove with `gov persist --remove`)\nPATH=/old:$PATH\nexport IMPORTANT=keep-me\n";
    std::fs::write(&profile, text).unwrap_or_else(|e| panic!("{e}"));
    for args in [
        &["persist", "--user"][..],
        &["persist", "--user", "--remove"],
    ] {
        let err = sb.fails(args, 1);
        let _redactions = support::snapshot::redactions();
        insta::assert_snapshot!("profile_without_end_marker", err);
        assert_eq!(
            std::fs::read_to_string(&profile).ok().as_deref(),
            Some(text)
        );
    }
}

#[test]
fn root_editing_a_users_profile_leaves_it_theirs() {
    let sb = Sandbox::new();
    let other = Account::create();
    let profile = sb.dir.path().join("user/.profile");
    std::fs::write(&profile, "export A=1\n").unwrap_or_else(|e| panic!("{e}"));
    other.chown(&profile);
    sb.ok(&["persist", "--user"]);
    let m = std::fs::metadata(&profile).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.uid(), m.gid()), (other.uid, other.gid));
    assert_eq!(m.mode() & 0o777, 0o644);
}

/// Every entry under `dir` (itself included), links not followed.
fn owners_under(dir: &Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{e}"));
        out.push((p.display().to_string(), m.uid()));
        if m.is_dir() {
            for e in std::fs::read_dir(&p).unwrap_or_else(|e| panic!("{e}")) {
                stack.push(e.unwrap_or_else(|e| panic!("{e}")).path());
            }
        }
    }
    out
}

/// Root running `gov persist --user` for an account's home (HOME pointing
/// there, as `sudo` without -H or a provisioning tool leaves it) edits that
/// home as its owner: a ~/.profile linked to a root file is not written
/// through, everything created belongs to the account, and `--remove`
/// takes back a ~/.profile it created, but never the account's own.
#[test]
fn root_persists_into_an_accounts_home_as_that_account() {
    let sb = Sandbox::new();
    std::fs::set_permissions(sb.dir.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    let other = Account::create();
    let home = sb.dir.path().join("home-of-other");
    std::fs::create_dir(&home).unwrap_or_else(|e| panic!("{e}"));
    other.chown(&home);
    let root_file = sb.dir.path().join("root-only.conf");
    std::fs::write(&root_file, "root: keep me\n").unwrap_or_else(|e| panic!("{e}"));
    let profile = home.join(".profile");
    std::os::unix::fs::symlink(&root_file, &profile).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::lchown(&profile, Some(other.uid), Some(other.gid))
        .unwrap_or_else(|e| panic!("{e}"));
    let persist = |args: &[&str]| {
        let mut c = sb.cmd();
        c.env("HOME", &home)
            .env("SHELL", "/bin/sh")
            .env_remove("XDG_CONFIG_HOME")
            .arg("persist")
            .args(args);
        c.output().unwrap_or_else(|e| panic!("{e}"))
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();

    let out = persist(&["--user"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let _redactions = support::snapshot::redactions();
    insta::assert_snapshot!("profile_linked_to_roots_file", text(&out.stderr));
    assert_eq!(read(&root_file), b"root: keep me\n");
    let by_root: Vec<_> = owners_under(&home)
        .into_iter()
        .filter(|o| o.1 != other.uid)
        .collect();
    assert!(by_root.is_empty(), "{by_root:?}");

    // Without the link: created, and all of it the account's.
    std::fs::remove_file(&profile).unwrap_or_else(|e| panic!("{e}"));
    let out = persist(&["--user"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&read(&profile)).contains("# >>> gov >>>"));
    assert!(home.join(".config/environment.d/gov.conf").is_file());
    let by_root: Vec<_> = owners_under(&home)
        .into_iter()
        .filter(|o| o.1 != other.uid)
        .collect();
    assert!(by_root.is_empty(), "{by_root:?}");
    let out = persist(&["--user", "--remove"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !profile.exists(),
        "the ~/.profile gov created was left behind"
    );
    assert!(!home.join(".config/environment.d/gov.conf").exists());

    // The account's own empty ~/.profile stays, empty, after a round trip.
    let out = other.sh(&format!(": > '{}'", profile.display()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(persist(&["--user"]).status.success());
    assert!(persist(&["--user", "--remove"]).status.success());
    assert_eq!(read(&profile), b"");
    let m = std::fs::metadata(&profile).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.uid(), other.uid);
}
