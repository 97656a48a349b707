//! Each archive's detached OpenPGP signature, `<archive>.asc`, kept beside
//! it when upstream serves one, so hosts that require a signature proof
//! (`GOV_REQUIRE=signature`) can install from the mirror. The mirror does
//! not vouch for it: installs check it against the release key.

use std::path::Path;

use reqwest::header::HeaderMap;

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::fsutil;
use crate::net::http::{self, RetryPolicy};

/// Real signatures are under 1 KiB.
const MAX_SIGNATURE: u64 = 64 * 1024;

/// `<archive>.asc`.
pub fn name(archive: &str) -> String {
    format!("{archive}.asc")
}

/// Fetches `<archive>.asc` from the first mirror that answers, as the
/// archives fail over, and writes it beside the archive. `Ok(false)`: that
/// mirror answered 404/410 (the release has none). No mirror answering is
/// an error.
pub fn fetch(
    client: &reqwest::blocking::Client,
    dir: &Path,
    mirrors: &[String],
    archive: &str,
) -> Result<bool> {
    let sig = name(archive);
    let policy = RetryPolicy::from_env();
    let mut failures = Vec::new();
    for m in mirrors {
        let url = format!("{m}/{sig}");
        match http::get_or_failure(client, &url, &HeaderMap::new(), &policy) {
            Ok(resp) => {
                let body = http::read_capped(resp, MAX_SIGNATURE, &sig)
                    .map_err(|why| Error::new(ErrorKind::Network, format!("{url}: {why}")))?;
                if !body.starts_with(b"-----BEGIN PGP SIGNATURE-----") {
                    return Err(Error::new(
                        ErrorKind::BadArchive,
                        format!("{url} is not an ASCII-armoured OpenPGP signature"),
                    ));
                }
                let path = dir.join(&sig);
                if !crate::mirror::artifacts::same_content(&path, &body) {
                    fsutil::write_atomic_mode(&path, &body, 0o644)?;
                }
                return Ok(true);
            }
            Err(f) if f.is_not_found() => return Ok(false),
            Err(f) => failures.push(f),
        }
    }
    match failures.last() {
        None => Ok(false),
        Some(f) => Err(
            Error::new(ErrorKind::Network, format!("cannot fetch {sig}: {}", f.why))
                .with_advice(f.advice()),
        ),
    }
}
