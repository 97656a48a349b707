//! `gov self-update`: replace the running gov with the release published
//! at GOV_RELEASE_BASE, the same artifacts install.sh uses.
//!
//! The tarball's sha256 is checked against the `.sha256` file published
//! beside it, and its signature (`.sig`) against the release keys built
//! into this gov (`install::release_sig`), before anything is written: the
//! host that serves a release cannot hand out a binary of its own. The new binary is written next to
//! the old one, synced, asked for its `--version` (so a binary that cannot
//! run on this host never replaces one that can), and renamed over the old
//! one: a `gov` that is running, or started at that moment, is always
//! either the old file or the new one.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::install::release_sig;
use crate::net::http::{self, RetryPolicy};

/// Where releases live unless GOV_RELEASE_BASE says otherwise; install.sh
/// carries the same default.
pub use crate::core::registry::DEFAULT_RELEASE_BASE;

/// Release artifacts are a few MiB; anything far larger is not one.
pub const MAX_ARTIFACT_BYTES: u64 = 256 * 1024 * 1024;

/// The Rust target triple release artifacts are named after.
pub fn target_triple() -> String {
    format!("{}-unknown-linux-gnu", std::env::consts::ARCH)
}

/// `gov-x86_64-unknown-linux-gnu.tar.gz` on x86_64.
pub fn artifact_name() -> String {
    format!("gov-{}.tar.gz", target_triple())
}

/// The release base from GOV_RELEASE_BASE, or the default.
pub fn release_base_from_env() -> String {
    crate::core::config::get("GOV_RELEASE_BASE")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_RELEASE_BASE.to_string())
}

/// What an update did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The file that was (or would have been) replaced.
    pub path: PathBuf,
    /// The artifact's URL.
    pub url: String,
    /// The artifact's verified sha256.
    pub sha256: String,
    /// The fingerprint (`SHA256:...`) of the release key that signed it.
    pub signed_by: String,
    /// `gov --version` of the published binary ("gov 0.1.0").
    pub new_version: String,
    /// False when the installed binary already was the published one.
    pub replaced: bool,
}

/// Fetches, verifies and installs the release at `base` over `target`
/// (normally [`std::env::current_exe`]). A release older than this gov is
/// refused unless `allow_downgrade`: a stale mirror or an attacker serving
/// an old, vulnerable gov must not roll it back without a word.
pub fn update(
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    base: &str,
    target: &Path,
    allow_downgrade: bool,
) -> Result<Outcome> {
    let base = base.trim().trim_end_matches('/');
    let url = format!("{base}/{}", artifact_name());
    let sum_url = format!("{url}.sha256");
    http::check_url(&url, "GOV_RELEASE_BASE")?;

    let sum_text = fetch(client, &sum_url, 4096)?;
    let expected = parse_sha256_file(&sum_text).ok_or_else(|| {
        Error::new(
            ErrorKind::Checksum,
            format!("{sum_url} does not hold a sha256 digest"),
        )
        .with_advice("check GOV_RELEASE_BASE: it must point at the directory scripts/dist produced")
    })?;
    let tarball = fetch(client, &url, MAX_ARTIFACT_BYTES)?;
    let actual = hex(&Sha256::digest(&tarball));
    if actual != expected {
        return Err(Error::new(
            ErrorKind::Checksum,
            format!(
                "checksum mismatch for {url}:\n    expected (from {}) {expected}\n    downloaded               {actual}",
                artifact_name() + ".sha256"
            ),
        )
        .with_advice(
            "nothing was changed; the download is corrupt or was tampered with: try again, and report it if it persists",
        ));
    }

    let sig = fetch(
        client,
        &format!("{url}.sig"),
        16 * release_sig::MAX_SIG_BYTES,
    )
    .map_err(|e| {
        e.with_advice(format!(
            "nothing was changed; gov's releases carry {}.sig, signed by one of: {}",
            artifact_name(),
            release_sig::fingerprints(&release_sig::trusted_keys())
        ))
    })?;
    let signed_by = release_sig::verify(&url, &tarball, &sig, &release_sig::trusted_keys())?;

    let binary = extract_binary(&tarball, &url)?;
    let replaced = match std::fs::read(target) {
        Ok(current) => current != binary,
        Err(_) => true,
    };
    let new_version = if replaced {
        let current = env!("CARGO_PKG_VERSION");
        replace_binary(target, &binary, &|new: &str| {
            refuse_downgrade(current, new, allow_downgrade)
        })?
    } else {
        format!("gov {}", env!("CARGO_PKG_VERSION"))
    };
    Ok(Outcome {
        path: target.to_path_buf(),
        url,
        sha256: actual,
        signed_by,
        new_version,
        replaced,
    })
}

/// GET of a whole (small) body, with retries; `file://` reads the file.
pub fn fetch(
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    url: &str,
    limit: u64,
) -> Result<Vec<u8>> {
    let parsed = http::check_url(url, "GOV_RELEASE_BASE")?;
    let too_big = || {
        Error::new(
            ErrorKind::Network,
            format!("{url} is larger than {limit} bytes: not a gov release artifact"),
        )
    };
    if parsed.scheme() == "file" {
        let path = parsed
            .to_file_path()
            .map_err(|()| Error::invalid(format!("`{url}` is not a local file URL")))?;
        let bytes = fs_err::read(&path).map_err(|e| {
            Error::new(
                ErrorKind::NotFound,
                format!("cannot read {}", path.display()),
            )
            .with_source(e)
            .with_advice(
                "check GOV_RELEASE_BASE: it must point at the directory scripts/dist produced",
            )
        })?;
        if bytes.len() as u64 > limit {
            return Err(too_big());
        }
        return Ok(bytes);
    }
    let client = client()?;
    let policy = RetryPolicy::from_env();
    let body = http::MirroredBody::open_one(&client, url, policy).map_err(|f| {
        let advice = if f.status() == Some(404) {
            format!(
                "no {} at {}: check GOV_RELEASE_BASE (it must point at the directory scripts/dist produced); \
                 other architectures are built from source: cargo install --locked --path .",
                artifact_name(),
                http::host_of(url)
            )
        } else {
            f.advice().to_string()
        };
        // A missing artifact is not the network's failure: a mirror sync
        // passes over another architecture's that was never built.
        let kind = if f.is_not_found() {
            ErrorKind::NotFound
        } else {
            ErrorKind::Network
        };
        Error::new(kind, format!("cannot download {url}: {}", f.why)).with_advice(advice)
    })?;
    let mut bytes = Vec::new();
    body.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::new(ErrorKind::Network, format!("reading {url}")).with_source(e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// The digest of a `.sha256` file: `<hex>` or sha256sum's `<hex>  <name>`.
pub fn parse_sha256_file(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let first = text.split_whitespace().next()?.to_ascii_lowercase();
    (first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit())).then_some(first)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `gov` executable from a release tarball: `gov-<triple>/gov` (or a
/// top-level `gov`), which must be a regular file.
pub fn extract_binary(tarball: &[u8], url: &str) -> Result<Vec<u8>> {
    let bad = |msg: String| {
        Error::new(ErrorKind::BadArchive, msg).with_advice(
            "nothing was changed; the release at GOV_RELEASE_BASE is not one scripts/dist built",
        )
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tarball));
    let entries = archive
        .entries()
        .map_err(|e| bad(format!("{url} is not a gzipped tar archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("{url}: unreadable archive: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| bad(format!("{url}: bad entry name: {e}")))?
            .into_owned();
        let parts: Vec<_> = path
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let is_gov = match parts.as_slice() {
            [name] => name == "gov",
            [dir, name] => name == "gov" && dir.starts_with("gov-"),
            _ => false,
        };
        if !is_gov {
            continue;
        }
        if !entry.header().entry_type().is_file() {
            return Err(bad(format!(
                "{url}: `{}` is not a regular file",
                path.display()
            )));
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_ARTIFACT_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{url}: reading `{}`: {e}", path.display())))?;
        return Ok(bytes);
    }
    Err(bad(format!("{url} holds no `gov` executable")))
}

/// `1.2.3` or `1.2.3-rc.1` as comparable parts: the numbers, then whether
/// it is a full release (a prerelease is older than its release).
fn release_order(version: &str) -> Option<(Vec<u64>, bool)> {
    let (core, pre) = match version.split_once('-') {
        Some((c, _)) => (c, true),
        None => (version, false),
    };
    let numbers = core
        .split('.')
        .map(|n| n.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    Some((numbers, !pre))
}

/// Refuses a `new_line` (`gov 0.1.0`) older than `current` unless allowed.
fn refuse_downgrade(current: &str, new_line: &str, allow: bool) -> Result<()> {
    let new = new_line
        .strip_prefix("gov ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_default();
    let older = match (release_order(new), release_order(current)) {
        (Some(n), Some(c)) => n < c,
        // A version gov cannot read is not known to be newer.
        _ => true,
    };
    if !older || allow {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::State,
        format!(
            "the published release is gov {}, older than this gov {current}; nothing was changed",
            crate::core::quote::excerpt(new, 40)
        ),
    )
    .with_advice(
        "a mirror may be stale, or serve an old release on purpose; to go back to it deliberately, run `gov self-update --allow-downgrade`",
    ))
}

/// Writes `binary` beside `target`, checks that it runs and that `accept`
/// takes its version, and renames it over `target`. Returns the new
/// binary's `--version` line.
fn replace_binary(
    target: &Path,
    binary: &[u8],
    accept: &dyn Fn(&str) -> Result<()>,
) -> Result<String> {
    use std::os::unix::fs::PermissionsExt;

    let dir = target.parent().unwrap_or(Path::new("."));
    let mode = std::fs::metadata(target)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o755)
        | 0o111;
    let tmp = fsutil::write_beside(target, binary, mode).map_err(|e| {
        if e.io_kind() == Some(std::io::ErrorKind::PermissionDenied) {
            e.with_advice(format!(
                "this user cannot write {}: run `sudo gov self-update`, or install gov for this user with install.sh (GOV_BIN_DIR=~/.local/bin)",
                dir.display()
            ))
        } else {
            e
        }
    })?;
    let result = probe_version(&tmp).and_then(|version| {
        accept(&version)?;
        std::fs::rename(&tmp, target).context(|| format!("replacing {}", target.display()))?;
        fsutil::fsync_dir(dir)?;
        Ok(version)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Runs `<binary> --version`; a binary that cannot run here (another
/// architecture, a glibc older than it needs) is refused.
fn probe_version(binary: &Path) -> Result<String> {
    let mut last = None;
    // A file written a moment ago can be briefly "text file busy" when
    // another thread of this process forks; retry that only.
    for _ in 0..50 {
        match std::process::Command::new(binary)
            .arg("--version")
            .env_remove("COMPLETE")
            .output()
        {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if out.status.success() && text.starts_with("gov ") {
                    return Ok(text);
                }
                return Err(Error::new(
                    ErrorKind::BadArchive,
                    format!(
                        "the downloaded gov does not run on this host ({}): {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                )
                .with_advice(
                    "nothing was changed; release builds need glibc 2.17 or later; otherwise build from source: cargo install --locked --path .",
                ));
            }
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => {
                return Err(Error::io(format!("running {}", binary.display()), e));
            }
        }
    }
    Err(Error::io(
        format!("running {}", binary.display()),
        last.unwrap_or_else(|| std::io::Error::other("text file busy")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_files() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_sha256_file(hex.as_bytes()), Some(hex.clone()));
        let line = format!(
            "{}  gov-x86_64-unknown-linux-gnu.tar.gz\n",
            hex.to_uppercase()
        );
        assert_eq!(parse_sha256_file(line.as_bytes()), Some(hex));
        assert_eq!(parse_sha256_file(b"not a digest"), None);
        assert_eq!(parse_sha256_file(b""), None);
    }

    #[test]
    fn downgrades_are_refused_unless_allowed() {
        assert!(refuse_downgrade("0.2.0", "gov 0.1.9", false).is_err());
        assert!(refuse_downgrade("0.2.0", "gov 0.1.9", true).is_ok());
        assert!(refuse_downgrade("0.2.0", "gov 0.2.0", false).is_ok());
        assert!(refuse_downgrade("0.2.0", "gov 0.10.0", false).is_ok());
        assert!(refuse_downgrade("0.2.0", "gov 0.2.0-rc.1", false).is_err());
        assert!(refuse_downgrade("0.2.0-rc.1", "gov 0.2.0", false).is_ok());
        assert!(refuse_downgrade("0.2.0", "gov \u{1b}[2J", false).is_err());
    }

    #[test]
    fn names() {
        assert!(artifact_name().starts_with("gov-"));
        assert!(artifact_name().ends_with("-unknown-linux-gnu.tar.gz"));
    }
}
