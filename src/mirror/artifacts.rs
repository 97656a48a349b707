//! gov's own release artifacts in the mirror (`gov-<triple>.tar.gz` and its
//! `.sha256` and `.sig`, what install.sh and `gov self-update` fetch), taken
//! from a local `dist/` built by scripts/dist or from GOV_RELEASE_BASE, each
//! checked against its `.sha256` before it is written, and its signature
//! against the release keys built into this gov; and the mirror's
//! `install.sh`: the installer this gov carries, stamped with the mirror's
//! URL so a host that runs it installs gov from the mirror and points its
//! config there.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::core::error::{Error, ErrorKind, Result};
use crate::install::release_sig;
use crate::install::self_update::{self, MAX_ARTIFACT_BYTES};
use crate::mirror::hex;

/// The installer as this gov's source tree has it.
const INSTALL_SH: &str = include_str!("../../install.sh");

/// Where gov's artifacts come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A directory scripts/dist wrote.
    Dist(PathBuf),
    /// A release base URL (GOV_RELEASE_BASE).
    Base(String),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Dist(d) => d.display().to_string(),
            Source::Base(b) => b.clone(),
        }
    }
}

/// The Rust target triples of gov's builds for these Go architectures
/// (gov is built for x86_64 and aarch64 Linux).
pub fn triples_for(arches: &[String]) -> Vec<String> {
    let mut out: Vec<String> = arches
        .iter()
        .filter_map(|a| match a.as_str() {
            "amd64" => Some("x86_64"),
            "arm64" => Some("aarch64"),
            _ => None,
        })
        .map(|a| format!("{a}-unknown-linux-gnu"))
        .collect();
    out.dedup();
    out
}

pub fn artifact_name(triple: &str) -> String {
    format!("gov-{triple}.tar.gz")
}

/// The published digest of an artifact (its `.sha256` file).
pub fn expected_sha256(
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    source: &Source,
    name: &str,
) -> Result<String> {
    let sum_name = format!("{name}.sha256");
    let bytes = read(client, source, &sum_name, 4096)?;
    self_update::parse_sha256_file(&bytes).ok_or_else(|| {
        Error::new(
            ErrorKind::Checksum,
            format!(
                "{sum_name} from {} holds no sha256 digest",
                source.describe()
            ),
        )
        .with_advice("it must be a file scripts/dist produced")
    })
}

/// The artifact's bytes, refused unless they hash to `sha256`.
pub fn fetch_verified(
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    source: &Source,
    name: &str,
    sha256: &str,
) -> Result<Vec<u8>> {
    let bytes = read(client, source, name, MAX_ARTIFACT_BYTES)?;
    let got = hex(&Sha256::digest(&bytes));
    if got != sha256 {
        return Err(Error::new(
            ErrorKind::Checksum,
            format!(
                "checksum mismatch for {name} from {}: its .sha256 says {sha256}, the file hashes to {got}",
                source.describe()
            ),
        )
        .with_advice("nothing was written for it; rebuild dist/ with scripts/dist or check GOV_RELEASE_BASE"));
    }
    Ok(bytes)
}

fn read(
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    source: &Source,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>> {
    match source {
        Source::Dist(dir) => {
            let p = dir.join(name);
            let len = std::fs::metadata(&p).map(|m| m.len()).map_err(|e| {
                Error::new(ErrorKind::NotFound, format!("{} is missing", p.display()))
                    .with_source(e)
                    .with_advice("build it with scripts/dist")
            })?;
            if len > limit {
                return Err(Error::new(
                    ErrorKind::BadArchive,
                    format!(
                        "{} is larger than {limit} bytes: not a gov release artifact",
                        p.display()
                    ),
                ));
            }
            std::fs::read(&p).map_err(|e| Error::io(format!("reading {}", p.display()), e))
        }
        Source::Base(base) => {
            let url = format!("{}/{name}", base.trim_end_matches('/'));
            self_update::fetch(client, &url, limit)
        }
    }
}

/// The signature (`<name>.sig`) of the artifact at `artifact`, fetched from
/// `source` and refused unless it verifies over that file with the release
/// keys built into this gov.
pub fn fetch_signature(
    client: &dyn Fn() -> Result<reqwest::blocking::Client>,
    source: &Source,
    name: &str,
    artifact: &Path,
) -> Result<Vec<u8>> {
    let keys = release_sig::trusted_keys();
    let sig = read(
        client,
        source,
        &format!("{name}.sig"),
        16 * release_sig::MAX_SIG_BYTES,
    )
    .map_err(|e| {
        e.with_advice(format!(
            "gov's releases carry a .sig beside each artifact, signed by one of: {}; \
                 sign dist/ with GOV_SIGNING_KEY=... scripts/dist, or check GOV_RELEASE_BASE",
            release_sig::fingerprints(&keys)
        ))
    })?;
    let bytes = std::fs::read(artifact)
        .map_err(|e| Error::io(format!("reading {}", artifact.display()), e))?;
    release_sig::verify(name, &bytes, &sig, &keys)?;
    Ok(sig)
}

/// Checks a URL can be written into install.sh: http(s) only, no
/// characters the shell would interpret inside double quotes.
pub fn check_stamp_url(url: &str) -> Result<String> {
    let url = url.trim().trim_end_matches('/').to_string();
    let parsed = crate::net::http::check_url(&url, "--url")?;
    if parsed.scheme() == "file" {
        return Err(Error::invalid(format!(
            "--url `{url}` is a file URL; hosts reach the mirror over https"
        )));
    }
    if url
        .chars()
        .any(|c| matches!(c, '"' | '\\' | '$' | '`') || c.is_control() || c == ' ')
    {
        return Err(Error::invalid(format!(
            "--url `{}` holds characters that cannot go into install.sh",
            url.escape_debug()
        )));
    }
    Ok(url)
}

/// install.sh with the mirror's URL stamped in as its release base and its
/// mirror (or unstamped, installing from GOV_RELEASE_BASE, without one), and
/// with the release keys this gov trusts.
pub fn installer(url: Option<&str>) -> Vec<u8> {
    let mut out = String::with_capacity(INSTALL_SH.len() + 128);
    for line in INSTALL_SH.lines() {
        match url {
            Some(u) if line.starts_with("    default_base=\"") => {
                out.push_str(&format!("    default_base=\"{u}\""));
            }
            Some(u) if line == "    mirror=\"\"" => out.push_str(&format!("    mirror=\"{u}\"")),
            // The keys this gov trusts beyond release-keys (those
            // scripts/dist built it with), so hosts check what it checks.
            _ if line == "    extra_release_keys=''" => {
                out.push_str(&format!(
                    "    extra_release_keys='{}'",
                    release_sig::extra_key_words()
                ));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// sha256sum's format.
pub fn sha256_line(sha256: &str, name: &str) -> Vec<u8> {
    format!("{sha256}  {name}\n").into_bytes()
}

/// Whether `path` holds exactly `bytes`.
pub fn same_content(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|b| b == bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installer_is_stamped_in_both_places() {
        let s = String::from_utf8(installer(Some("https://m.example/go"))).unwrap_or_default();
        assert!(s.contains("\n    default_base=\"https://m.example/go\"\n"));
        assert!(s.contains("\n    mirror=\"https://m.example/go\"\n"));
        assert_eq!(installer(None), INSTALL_SH.as_bytes());
    }

    #[test]
    fn stamp_urls_are_checked() {
        assert_eq!(
            check_stamp_url("https://m.example/go/").ok().as_deref(),
            Some("https://m.example/go")
        );
        for bad in [
            "https://m.example/$(id)",
            "https://m.example/\"x",
            "file:///srv/go",
            "ftp://m/x",
            "http://m.example/go",
        ] {
            assert!(check_stamp_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn triples() {
        let a = |v: &[&str]| triples_for(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            a(&["amd64", "386", "arm64"]),
            ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
        );
        assert!(a(&["riscv64"]).is_empty());
    }
}
