//! `gov cache shared <dir> --group <g>`: a folder every member of a group
//! writes, setgid, with existing contents regrouped and links not
//! followed; and its refusals.

use crate::support::Sandbox;

use std::os::unix::fs::{MetadataExt, PermissionsExt};

fn egid() -> u32 {
    // SAFETY: getegid has no preconditions.
    unsafe { libc::getegid() }
}

#[test]
fn a_shared_cache_is_group_writable_and_setgid() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("shared/cache");
    // Something built before, private to its owner, and a planted link.
    std::fs::create_dir_all(dir.join("ab")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(dir.join("ab"), std::fs::Permissions::from_mode(0o700))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("ab/obj-d"), b"x").unwrap_or_else(|e| panic!("{e}"));
    let outside = sb.dir.path().join("outside");
    std::fs::write(&outside, b"keep").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap_or_else(|e| panic!("{e}"));

    let gid = egid().to_string();
    let d = dir.display().to_string();
    sb.ok(&["cache", "shared", &d, "--group", &gid]);
    let mode = |p: &std::path::Path| {
        std::fs::symlink_metadata(p)
            .map(|m| (m.mode() & 0o7777, m.gid()))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(mode(&dir).0 & 0o2070, 0o2070);
    assert_eq!(mode(&dir.join("ab")), (0o2770, egid()));
    assert_eq!(mode(&dir.join("ab/obj-d")).0 & 0o060, 0o060);
    assert_eq!(mode(&outside).0, 0o600, "the link's target is untouched");

    // A missing folder is created the same way.
    let fresh = sb.dir.path().join("fresh/cache");
    sb.ok(&[
        "cache",
        "shared",
        &fresh.display().to_string(),
        "--group",
        &gid,
    ]);
    assert_eq!(mode(&fresh).0 & 0o2070, 0o2070);
}

#[test]
fn hostile_shared_cache_requests_are_refused() {
    let sb = Sandbox::new();
    let gid = egid().to_string();
    let err = sb.fails(&["cache", "shared", "relative/dir", "--group", &gid], 2);
    assert!(err.contains("absolute"), "{err}");
    let d = sb.dir.path().join("c").display().to_string();
    let err = sb.fails(&["cache", "shared", &d, "--group", "no-such-group-xyz"], 2);
    assert!(err.contains("no group named"), "{err}");
    let link = sb.dir.path().join("link");
    std::os::unix::fs::symlink("/etc", &link).unwrap_or_else(|e| panic!("{e}"));
    let err = sb.fails(
        &[
            "cache",
            "shared",
            &link.display().to_string(),
            "--group",
            &gid,
        ],
        1,
    );
    assert!(err.contains("symbolic link"), "{err}");
}
