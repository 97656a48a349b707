//! Checksum-database verifier keys, as GOSUMDB names them.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A checksum database verifier key `name+hash+keydata` (Go's
/// golang.org/x/mod/sumdb/note format): the hash is the first 4 bytes of
/// SHA-256(name + "\n" + keydata) in hex; keydata is base64 of an algorithm
/// byte (1 = Ed25519) and the 32-byte public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    pub key_hash: u32,
    pub public_key: [u8; 32],
}

pub fn parse_verifier_key(vkey: &str) -> std::result::Result<VerifierKey, String> {
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(hash), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("malformed verifier id".into());
    };
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains('+') {
        return Err("malformed verifier id".into());
    }
    if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("malformed verifier id".into());
    }
    let key_hash =
        u32::from_str_radix(hash, 16).map_err(|_| "malformed verifier id".to_string())?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| "malformed verifier id".to_string())?;
    if raw.len() != 33 || raw[0] != 1 {
        return Err("unknown verifier algorithm".into());
    }
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(&raw);
    let sum = h.finalize();
    let want = u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]);
    if want != key_hash {
        return Err("invalid verifier hash".into());
    }
    let mut public_key = [0u8; 32];
    public_key.copy_from_slice(&raw[1..]);
    Ok(VerifierKey {
        name: name.to_string(),
        key_hash,
        public_key,
    })
}
