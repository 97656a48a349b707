//! Tar entries from a mirror, after gunzip: extraction never panics and
//! never creates anything outside its destination.
#![no_main]
use gov::install::unpack::{Limits, unpack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(root) = tempfile::tempdir() else {
        return;
    };
    let dest = root.path().join("go");
    if std::fs::create_dir(&dest).is_err() {
        return;
    }
    let limits = Limits {
        max_bytes: 1 << 20,
        max_entries: 1000,
    };
    let _ = unpack(data, &dest, limits);
    // Only `go/` may exist beside the destination.
    let names: Vec<_> = std::fs::read_dir(root.path())
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec![std::ffi::OsString::from("go")]);
});
