//! The Python virtual environment that holds the test tools (ansible-core):
//! scripts/test makes it at target/test-venv, or at $GOV_TEST_VENV. A PEP 668
//! Python refuses pip installs of its own, so the tools never go there.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment's directory (it may not exist yet).
pub fn dir() -> PathBuf {
    std::env::var_os("GOV_TEST_VENV")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-venv"))
}

/// The caller's PATH with the environment's bin/ first, so `python3`,
/// `ansible-playbook` and `ansible-test` are the environment's.
pub fn path() -> OsString {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(dir().join("bin")).chain(std::env::split_paths(&inherited));
    std::env::join_paths(dirs).unwrap_or(inherited)
}

/// `name` from the environment's bin/ or else from PATH; a missing tool
/// fails the test and names the fix.
pub fn tool(name: &str) -> PathBuf {
    std::env::split_paths(&path())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is in neither {} nor PATH: the Ansible tests need ansible-core \
                 (scripts/test --deps installs it there)",
                dir().join("bin").display()
            )
        })
}
