//! Signatures on gov's own release artifacts: `<artifact>.sig` beside each
//! file scripts/dist writes, an SSH signature (OpenSSH's `SSHSIG` format)
//! with the namespace `gov-release`, made by one of the keys this gov was
//! built to trust: the repository's `release-keys` (the current key and the
//! next one, so a rotation does not strand installed copies) plus the keys
//! scripts/dist added at build time (the public half of the key it signed
//! with). Checked here without any outside tool, so `gov self-update` and
//! `gov mirror` need no ssh-keygen; install.sh checks the same files with
//! `ssh-keygen -Y verify`.

use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::core::error::{Error, ErrorKind, Result};

/// The SSH signature namespace of gov's releases: a signature made for
/// anything else (git commits, files signed for another purpose) with the
/// same key does not verify as a release.
pub const NAMESPACE: &str = "gov-release";

/// An ed25519 `.sig` is about 300 bytes; anything larger than this is not one.
pub const MAX_SIG_BYTES: u64 = 4096;

/// The repository's release keys, one OpenSSH public key a line.
const COMMITTED_KEYS: &str = include_str!("../../release-keys");

/// Keys scripts/dist adds at build time (`<type> <base64>` pairs, separated
/// by white space): the public half of the key it signs with.
const BUILD_KEYS: Option<&str> = option_env!("GOV_BUILD_EXTRA_RELEASE_KEYS");

/// The keys this gov trusts for its own releases.
pub fn trusted_keys() -> Vec<PublicKey> {
    let mut keys = parse_keys(COMMITTED_KEYS);
    let mut extra = parse_keys(BUILD_KEYS.unwrap_or_default());
    extra.extend(test_keys());
    for key in extra {
        if !keys.iter().any(|k| k.key_data() == key.key_data()) {
            keys.push(key);
        }
    }
    keys
}

/// Development builds only (debug assertions on, never a release build):
/// the public keys in the file named by GOV_TEST_RELEASE_KEYS, so the test
/// suite can sign with throwaway keys without rebuilding gov in release mode.
#[cfg(debug_assertions)]
fn test_keys() -> Vec<PublicKey> {
    crate::core::env::Env::process()
        .var_os("GOV_TEST_RELEASE_KEYS")
        .and_then(|path| std::fs::read_to_string(path).ok())
        .map(|text| parse_keys(&text))
        .unwrap_or_default()
}

#[cfg(not(debug_assertions))]
fn test_keys() -> Vec<PublicKey> {
    Vec::new()
}

/// The trusted keys beyond `release-keys`, as install.sh's
/// `extra_release_keys` holds them (`<type> <base64>` words), so an
/// install.sh this gov stamps trusts what it trusts.
pub fn extra_key_words() -> String {
    let committed = parse_keys(COMMITTED_KEYS);
    trusted_keys()
        .iter()
        .filter(|k| !committed.iter().any(|c| c.key_data() == k.key_data()))
        .filter_map(|k| k.to_openssh().ok())
        .map(|line| {
            line.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The OpenSSH public keys in `text`: `<type> <base64>` pairs, with an
/// optional comment after each on its line; lines starting with `#` are
/// comments. Words that are not a key are skipped.
pub fn parse_keys(text: &str) -> Vec<PublicKey> {
    let mut keys = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if !pair[0].starts_with("ssh-") {
                continue;
            }
            if let Ok(key) = PublicKey::from_openssh(&format!("{} {}", pair[0], pair[1])) {
                keys.push(key);
            }
        }
    }
    keys
}

/// `SHA256:...`, as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The fingerprints of `keys`, for messages.
pub fn fingerprints(keys: &[PublicKey]) -> String {
    keys.iter().map(fingerprint).collect::<Vec<_>>().join(", ")
}

/// Checks that `sig` (the bytes of `<name>.sig`) is a `gov-release`
/// signature over `data` by one of `keys`; returns the signing key's
/// fingerprint. `name` is what the messages call the artifact.
pub fn verify(name: &str, data: &[u8], sig: &[u8], keys: &[PublicKey]) -> Result<String> {
    let expected = || {
        format!(
            "expected a `{NAMESPACE}` signature by one of: {}",
            fingerprints(keys)
        )
    };
    let refuse = |what: String| {
        Error::new(
            ErrorKind::Checksum,
            format!("{name}.sig: {what}; {}", expected()),
        )
        .with_advice(
            "nothing was changed: the release is not one gov's keys signed (tampered with, \
             or from another builder); check where it came from (GOV_RELEASE_BASE, the mirror)",
        )
    };
    if sig.len() as u64 > MAX_SIG_BYTES {
        return Err(refuse(format!(
            "{} bytes, more than the {MAX_SIG_BYTES} a signature takes",
            sig.len()
        )));
    }
    let parsed = std::str::from_utf8(sig)
        .ok()
        .and_then(|text| SshSig::from_pem(text.trim()).ok())
        .ok_or_else(|| refuse("not an SSH signature (missing, truncated or garbled)".into()))?;
    if parsed.namespace() != NAMESPACE {
        return Err(refuse(format!(
            "made for the namespace `{}`, not for gov's releases",
            crate::core::quote::excerpt(parsed.namespace(), 40)
        )));
    }
    let Some(key) = keys.iter().find(|k| k.key_data() == parsed.public_key()) else {
        let signer = PublicKey::from(parsed.public_key().clone());
        return Err(refuse(format!(
            "signed by {}, a key gov does not trust",
            fingerprint(&signer)
        )));
    };
    key.verify(NAMESPACE, data, &parsed).map_err(|_| {
        refuse(format!(
            "the signature by {} does not match this file (it was signed over other bytes)",
            fingerprint(key)
        ))
    })?;
    Ok(fingerprint(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_keys_parse() {
        let keys = parse_keys(COMMITTED_KEYS);
        let lines = COMMITTED_KEYS
            .lines()
            .filter(|l| l.starts_with("ssh-"))
            .count();
        assert_eq!(keys.len(), lines);
        assert!(
            keys.len() >= 2,
            "release-keys needs a current and a next key"
        );
        assert!(trusted_keys().len() >= keys.len());
    }

    /// install.sh carries the same keys as `release-keys`.
    #[test]
    fn install_sh_trusts_the_committed_keys() {
        let script = include_str!("../../install.sh");
        let line = script
            .lines()
            .find_map(|l| l.strip_prefix("    release_keys='"))
            .and_then(|l| l.strip_suffix('\''))
            .unwrap_or_default();
        let in_script: Vec<_> = parse_keys(line).iter().map(fingerprint).collect();
        let committed: Vec<_> = parse_keys(COMMITTED_KEYS).iter().map(fingerprint).collect();
        assert_eq!(
            in_script, committed,
            "install.sh's release_keys line differs from release-keys"
        );
    }

    #[test]
    fn garbage_is_refused_with_the_keys_expected() {
        let keys = parse_keys(COMMITTED_KEYS);
        for sig in [
            &b""[..],
            b"-----BEGIN SSH SIGNATURE-----\nAAAA",
            &[b'x'; 5000],
        ] {
            let err = verify("gov.tar.gz", b"data", sig, &keys)
                .err()
                .map(|e| e.report())
                .unwrap_or_default();
            assert!(err.contains("gov.tar.gz.sig"), "{err}");
            assert!(err.contains(&fingerprint(&keys[0])), "{err}");
        }
    }
}
