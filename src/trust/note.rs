//! Checksum database notes (golang.org/x/mod/sumdb/note): a signed text
//! whose signature lines are `— <name> <base64(key hash || signature)>`.
//! gov verifies the signed tree head a database serves at `/latest` with
//! the Ed25519 key GOSUMDB names, as `go` does.

use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

use crate::trust::key::VerifierKey;

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteCheck {
    /// Signed by the key; the text (tree head) is returned.
    Verified { text: String },
    /// Not a note at all.
    Malformed(String),
    /// No signature by a key with this name and hash.
    NoSignatureByKey,
    /// A signature by the key's name and hash that does not verify.
    BadSignature,
}

/// Verifies `note` against `key`.
pub fn verify(note: &str, key: &VerifierKey) -> NoteCheck {
    // The text ends at the last blank line; signatures follow.
    let Some(split) = note.rfind("\n\n") else {
        return NoteCheck::Malformed("no blank line before the signatures".into());
    };
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    if text.is_empty() {
        return NoteCheck::Malformed("empty text".into());
    }
    let Ok(vk) = VerifyingKey::from_bytes(&key.public_key) else {
        return NoteCheck::Malformed("the verifier key is not a valid Ed25519 key".into());
    };
    let mut seen_ours = false;
    let mut any = false;
    for line in sigs.lines() {
        if line.is_empty() {
            continue;
        }
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return NoteCheck::Malformed(format!("bad signature line {line:?}"));
        };
        let Some((name, b64)) = rest.split_once(' ') else {
            return NoteCheck::Malformed(format!("bad signature line {line:?}"));
        };
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
            return NoteCheck::Malformed(format!("bad signature encoding in {line:?}"));
        };
        if raw.len() < 5 {
            return NoteCheck::Malformed(format!("short signature in {line:?}"));
        }
        any = true;
        let hash = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
        if name != key.name || hash != key.key_hash {
            continue;
        }
        seen_ours = true;
        let Ok(sig) = Signature::from_slice(&raw[4..]) else {
            return NoteCheck::BadSignature;
        };
        if vk.verify(text.as_bytes(), &sig).is_ok() {
            return NoteCheck::Verified {
                text: text.to_string(),
            };
        }
    }
    if !any {
        return NoteCheck::Malformed("no signatures".into());
    }
    if seen_ours {
        NoteCheck::BadSignature
    } else {
        NoteCheck::NoSignatureByKey
    }
}

/// The tree size of a signed tree head (`go.sum database tree\n<N>\n<hash>\n`).
pub fn tree_size(text: &str) -> Option<u64> {
    let mut lines = text.lines();
    let _origin = lines.next()?;
    lines.next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::key::parse_verifier_key;

    // golang.org/x/mod/sumdb/note's documented example.
    const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const SIGNED_SIG: &str = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

    fn signed() -> String {
        format!("{TEXT}\n\u{2014} PeterNeumann {SIGNED_SIG}\n")
    }

    #[test]
    fn the_x_mod_example_verifies() {
        let key = parse_verifier_key(VKEY).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify(&signed(), &key),
            NoteCheck::Verified { text: TEXT.into() }
        );
    }

    /// Notes signed here (as the tests' own checksum database does) verify
    /// with a verifier key built the way Go builds one.
    #[test]
    fn a_database_of_our_own_key_verifies() {
        use ed25519_dalek::Signer;
        use sha2::{Digest, Sha256};
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let mut keydata = vec![1u8];
        keydata.extend_from_slice(sk.verifying_key().as_bytes());
        let mut h = Sha256::new();
        h.update(b"sum.test.example\n");
        h.update(&keydata);
        let hash = u32::from_be_bytes(h.finalize()[..4].try_into().unwrap_or([0; 4]));
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let vkey = format!("sum.test.example+{hash:08x}+{}", b64(&keydata));
        let key = parse_verifier_key(&vkey).unwrap_or_else(|e| panic!("{e}"));
        let text = "go.sum database tree\n7\nAAAA\n";
        let mut blob = hash.to_be_bytes().to_vec();
        blob.extend_from_slice(&sk.sign(text.as_bytes()).to_bytes());
        let note = format!("{text}\n\u{2014} sum.test.example {}\n", b64(&blob));
        assert_eq!(
            verify(&note, &key),
            NoteCheck::Verified { text: text.into() }
        );
        assert_eq!(tree_size(text), Some(7));
    }

    #[test]
    fn tampering_is_detected() {
        let key = parse_verifier_key(VKEY).unwrap_or_else(|e| panic!("{e}"));
        let tampered = signed().replace("cryptography", "cryptographY");
        assert_eq!(verify(&tampered, &key), NoteCheck::BadSignature);
        let other = parse_verifier_key(
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verify(&signed(), &other), NoteCheck::NoSignatureByKey);
        assert!(matches!(
            verify("no blank line", &key),
            NoteCheck::Malformed(_)
        ));
        assert_eq!(tree_size("go.sum database tree\n4242\nhash=\n"), Some(4242));
    }
}
