//! The real Go toolchains of the slow tier (scripts/go-fixtures makes them
//! once under target/go-fixtures).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The mirror holding real Go 1.22.10, made by scripts/go-fixtures if it is
/// not there yet.
pub fn real_go_mirror() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("scripts/go-fixtures"))
        .args(["--versions", "1.22.10"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/go-fixtures: {e}"));
    assert!(
        out.status.success(),
        "real Go toolchain fixtures could not be prepared: {}",
        super::describe(&out)
    );
    root.join("target/go-fixtures/mirror")
}
