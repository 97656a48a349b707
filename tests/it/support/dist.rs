//! scripts/dist's release folder, built the one way every test needs it:
//! signed with the tests' throwaway keys (`scripts/test-release-keys`), as
//! `.ci/run` builds it, so a rerun costs seconds and every artifact has its
//! `.sig`. GOV_TEST_DIST=<dir> points at a folder built earlier instead.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The release folder and the folder of the throwaway keys that signed it.
pub struct SignedDist {
    pub dir: PathBuf,
    pub keys: PathBuf,
}

/// Builds (or reuses) the signed release folder; `Err` says why not.
pub fn build_signed() -> Result<SignedDist, String> {
    let keys_out = Command::new(repo().join("scripts/test-release-keys"))
        .output()
        .map_err(|e| format!("cannot run scripts/test-release-keys: {e}"))?;
    if !keys_out.status.success() {
        return Err(format!(
            "scripts/test-release-keys failed:\n{}",
            String::from_utf8_lossy(&keys_out.stderr)
        ));
    }
    let keys = PathBuf::from(String::from_utf8_lossy(&keys_out.stdout).trim());
    if let Some(d) = std::env::var_os("GOV_TEST_DIST") {
        return Ok(SignedDist {
            dir: PathBuf::from(d),
            keys,
        });
    }
    let started = std::time::Instant::now();
    let out = Command::new(repo().join("scripts/dist"))
        .current_dir(repo())
        .env("GOV_SIGNING_KEY", keys.join("current"))
        .env("GOV_DIST_EXTRA_KEYS", keys.join("next.pub"))
        .env_remove("GOV_DIST_OUT")
        .env_remove("GOV_DIST_TARGET")
        .env_remove("GOV_DIST_RELEASE_BASE")
        .output()
        .map_err(|e| format!("cannot run scripts/dist: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "scripts/dist failed, and these tests need the dist/ it builds.\n{stderr}\n\
             hint: or point GOV_TEST_DIST at a dist directory built earlier"
        ));
    }
    eprintln!(
        "scripts/dist took {:.1} s:\n{}",
        started.elapsed().as_secs_f64(),
        stderr
            .lines()
            .filter(|l| l.starts_with("scripts/dist:"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(SignedDist {
        dir: repo().join("dist"),
        keys,
    })
}
