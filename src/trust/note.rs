//! Signed notes as the Go checksum database writes them, and the tree head
//! they carry.
//!
//! A note is UTF-8 text ending in a newline, then a blank line, then one or
//! more signature lines `— <name> <base64(key hash || signature)>`. A
//! verifier key is `<name>+<8 hex digits key hash>+<base64(0x01 || Ed25519
//! public key)>`, where the key hash is the first four bytes of
//! sha256(name || "\n" || 0x01 || public key) and ties the key to its name.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use super::error::{Result, TrustError};
use super::tlog::{HASH_SIZE, Hash, Tree};

/// Largest note accepted: tree notes are under 200 bytes; the limit only
/// keeps a hostile server from making us scan megabytes.
pub const MAX_NOTE_SIZE: usize = 64 * 1024;

/// Most signature lines one note may carry (Go's limit too).
const MAX_SIGNATURES: usize = 100;

/// The algorithm byte that starts an Ed25519 verifier key.
const ALG_ED25519: u8 = 1;

/// The separator between a note's text and its signatures; U+2014 em dash.
const SIG_PREFIX: &str = "\u{2014} ";

/// First line of a tree head note.
const TREE_HEADER: &str = "go.sum database tree\n";

/// Key hash of a verifier key: the first four bytes, big-endian, of
/// sha256(name || "\n" || key), where key is the algorithm byte and the key.
pub fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// A name as Go's note package allows it: non-empty, no white space, no `+`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Formats the verifier key for an Ed25519 public key under `name`.
pub fn format_verifier_key(name: &str, key: &VerifyingKey) -> Result<String> {
    if !is_valid_name(name) {
        return Err(TrustError::malformed(format!("invalid key name {name:?}")));
    }
    let mut raw = Vec::with_capacity(33);
    raw.push(ALG_ED25519);
    raw.extend_from_slice(key.as_bytes());
    Ok(format!(
        "{name}+{:08x}+{}",
        key_hash(name, &raw),
        STANDARD.encode(&raw)
    ))
}

/// A parsed verifier key (GOSUMDB's `<name>+<hash>+<key>`): it checks
/// signatures made by one named key. The one key type of gov: GOSUMDB
/// parsing, doctor's `/latest` check and the lookup client all use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_hash: u32,
    // Boxed: the decompressed point is large, and keys travel in enums.
    key: Box<VerifyingKey>,
    text: String,
}

impl Verifier {
    /// Parses `<name>+<hex8>+<base64(0x01 || key32)>`, checking that the key
    /// hash matches the name and key.
    pub fn parse(vkey: &str) -> Result<Verifier> {
        let bad = |why: &str| TrustError::malformed(format!("verifier key {vkey:?}: {why}"));
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash16), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("want <name>+<key hash>+<key>"));
        };
        if !is_valid_name(name) {
            return Err(bad("invalid name"));
        }
        if hash16.len() != 8 || !hash16.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("key hash is not 8 hex digits"));
        }
        let hash = u32::from_str_radix(hash16, 16).map_err(|_| bad("key hash is not hex"))?;
        let raw = STANDARD
            .decode(key64)
            .map_err(|_| bad("key is not canonical base64"))?;
        if raw.is_empty() {
            return Err(bad("empty key"));
        }
        if key_hash(name, &raw) != hash {
            return Err(TrustError::forged(format!(
                "verifier key {vkey:?}: key hash {hash16} does not match the name and key"
            )));
        }
        if raw[0] != ALG_ED25519 {
            return Err(bad("unknown key algorithm"));
        }
        let bytes: [u8; 32] = raw[1..]
            .try_into()
            .map_err(|_| bad("Ed25519 key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not an Ed25519 point"))?;
        Ok(Verifier {
            name: name.to_string(),
            key_hash: hash,
            key: Box::new(key),
            text: vkey.to_string(),
        })
    }

    /// The key as it was written (`<name>+<hash>+<key>`).
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// `name+hash` as notes and error messages show a key.
    pub fn id(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_hash)
    }

    /// Checks an Ed25519 signature over `msg`, rejecting malleable forms.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(sig) else {
            return false;
        };
        self.key.verify_strict(msg, &sig).is_ok()
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: u32,
    pub signature: Vec<u8>,
}

/// A note whose text was verified by the expected key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Every signature line, ours first-verified and any others unverified.
    pub signatures: Vec<NoteSignature>,
}

/// Splits a note into its text and signature lines without verifying.
pub fn parse_note(msg: &[u8]) -> Result<Note> {
    if msg.len() > MAX_NOTE_SIZE {
        return Err(TrustError::malformed(format!(
            "note is {} bytes, over the {MAX_NOTE_SIZE}-byte limit",
            msg.len()
        )));
    }
    let msg =
        std::str::from_utf8(msg).map_err(|_| TrustError::malformed("note is not valid UTF-8"))?;
    if msg.chars().any(|c| c < ' ' && c != '\n') {
        return Err(TrustError::malformed("note contains control characters"));
    }
    // The text may itself hold blank lines only if signatures cannot: the
    // last blank line is the split, as in Go.
    let split = msg
        .rfind("\n\n")
        .ok_or_else(|| TrustError::malformed("note has no blank line before its signatures"))?;
    let (text, sigs) = (&msg[..split + 1], &msg[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(TrustError::malformed(
            "note signatures missing or not newline-terminated",
        ));
    }
    let mut signatures = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(TrustError::malformed("note has too many signatures"));
        }
        let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(|| {
            TrustError::malformed(format!(
                "note signature line {line:?} does not start with '— '"
            ))
        })?;
        let (name, b64) = rest.split_once(' ').ok_or_else(|| {
            TrustError::malformed(format!("note signature line {line:?} has no signature"))
        })?;
        if !is_valid_name(name) || b64.is_empty() {
            return Err(TrustError::malformed(format!(
                "note signature line {line:?} is malformed"
            )));
        }
        let raw = STANDARD.decode(b64).map_err(|_| {
            TrustError::malformed(format!("note signature by {name} is not canonical base64"))
        })?;
        if raw.len() < 5 {
            return Err(TrustError::malformed(format!(
                "note signature by {name} is too short"
            )));
        }
        signatures.push(NoteSignature {
            name: name.to_string(),
            key_hash: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            signature: raw[4..].to_vec(),
        });
    }
    Ok(Note {
        text: text.to_string(),
        signatures,
    })
}

/// Parses a note and verifies it was signed by `verifier`. Signatures by
/// other keys (witnesses, a rotated key) are kept but not trusted; every
/// signature that claims our key must verify.
pub fn open(msg: &[u8], verifier: &Verifier) -> Result<Note> {
    let note = parse_note(msg)?;
    let mut verified = false;
    for sig in &note.signatures {
        if sig.name != verifier.name() || sig.key_hash != verifier.key_hash() {
            continue;
        }
        if !verifier.verify(note.text.as_bytes(), &sig.signature) {
            return Err(TrustError::forged(format!(
                "invalid signature for key {}",
                verifier.id()
            )));
        }
        verified = true;
    }
    if !verified {
        let seen: Vec<String> = note
            .signatures
            .iter()
            .map(|s| format!("{}+{:08x}", s.name, s.key_hash))
            .collect();
        return Err(TrustError::missing(format!(
            "note has no signature by {} (signed by: {})",
            verifier.id(),
            seen.join(", ")
        )));
    }
    Ok(note)
}

/// Formats a tree head as the text of a tree note.
pub fn format_tree(tree: &Tree) -> String {
    format!("{TREE_HEADER}{}\n{}\n", tree.n, tree.hash)
}

/// Parses the text of a tree note: exactly the header line, the size in
/// canonical decimal, and the base64 root hash, each ending in a newline.
pub fn parse_tree(text: &str) -> Result<Tree> {
    let bad = |why: &str| TrustError::malformed(format!("malformed tree note: {why}"));
    // Header + 19 digits + 44 base64 characters + newlines is under 100.
    if text.len() > 256 {
        return Err(bad("too long"));
    }
    let rest = text
        .strip_prefix(TREE_HEADER)
        .ok_or_else(|| bad("wrong header"))?;
    let rest = rest
        .strip_suffix('\n')
        .ok_or_else(|| bad("no final newline"))?;
    let mut lines = rest.split('\n');
    let (Some(size), Some(hash), None) = (lines.next(), lines.next(), lines.next()) else {
        return Err(bad("want exactly three lines"));
    };
    let n = parse_decimal(size).ok_or_else(|| bad("size is not a canonical decimal number"))?;
    let hash = Hash::parse(hash).map_err(|_| bad("root hash is not base64 of 32 bytes"))?;
    Ok(Tree { n, hash })
}

/// A decimal number in 0..2^63 with no sign, no leading zeros, no spaces:
/// the only spelling Go writes, and the only one Go reads back.
pub(crate) fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    let n: u64 = s.parse().ok()?;
    (n <= i64::MAX as u64).then_some(n)
}

// Keeps the size constant honest where it is used for decoding.
const _: () = assert!(HASH_SIZE == 32);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::error::ErrorKind;
    use crate::trust::tlog;
    use ed25519_dalek::{Signer as _, SigningKey};

    // The example of Go's note package documentation.
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter_msg() -> String {
        format!("{PETER_TEXT}\n{PETER_SIG}")
    }

    fn sign(text: &str, name: &str, key: &SigningKey) -> String {
        let vk = format_verifier_key(name, &key.verifying_key()).unwrap();
        let v = Verifier::parse(&vk).unwrap();
        let mut raw = v.key_hash().to_be_bytes().to_vec();
        raw.extend_from_slice(&key.sign(text.as_bytes()).to_bytes());
        format!("{text}\n— {name} {}\n", STANDARD.encode(raw))
    }

    #[test]
    fn go_example_verifies() {
        let v = Verifier::parse(PETER_VKEY).unwrap();
        assert_eq!(v.name(), "PeterNeumann");
        assert_eq!(v.key_hash(), 0xc74f20a3);
        let n = open(peter_msg().as_bytes(), &v).unwrap();
        assert_eq!(n.text, PETER_TEXT);
        assert_eq!(n.signatures.len(), 1);
    }

    #[test]
    fn other_signers_are_kept_but_not_needed() {
        let peter = Verifier::parse(PETER_VKEY).unwrap();
        let enoch = Verifier::parse(ENOCH_VKEY).unwrap();
        let msg = format!("{PETER_TEXT}\n{ENOCH_SIG}{PETER_SIG}");
        assert_eq!(open(msg.as_bytes(), &peter).unwrap().signatures.len(), 2);
        assert!(open(msg.as_bytes(), &enoch).is_ok());
        let only_enoch = format!("{PETER_TEXT}\n{ENOCH_SIG}");
        let err = open(only_enoch.as_bytes(), &peter).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Missing);
    }

    #[test]
    fn key_format_round_trips() {
        let sk = SigningKey::from_bytes(&[7; 32]);
        let vk = format_verifier_key("example.test/db", &sk.verifying_key()).unwrap();
        let v = Verifier::parse(&vk).unwrap();
        assert_eq!(v.name(), "example.test/db");
        let msg = sign("hello\n", "example.test/db", &sk);
        assert_eq!(open(msg.as_bytes(), &v).unwrap().text, "hello\n");
    }

    #[test]
    fn bad_keys() {
        for k in [
            "",
            "PeterNeumann",
            "PeterNeumann+c74f20a3",
            "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3x+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            // Go's own bad-key vectors: wrong length and unknown algorithm,
            // each with a key hash adjusted to match.
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ] {
            assert_eq!(
                Verifier::parse(k).unwrap_err().kind(),
                ErrorKind::Malformed,
                "{k}"
            );
        }
        // Right format, wrong key hash.
        let err =
            Verifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forged);
    }

    #[test]
    fn forged_and_malformed_notes() {
        let v = Verifier::parse(PETER_VKEY).unwrap();
        // Changed text.
        let msg = peter_msg().replace("answer", "ANSWER");
        assert_eq!(
            open(msg.as_bytes(), &v).unwrap_err().kind(),
            ErrorKind::Forged
        );
        // A flipped signature bit.
        let msg = peter_msg().replace("x08go/ZJ", "x08go/ZK");
        assert_eq!(
            open(msg.as_bytes(), &v).unwrap_err().kind(),
            ErrorKind::Forged
        );
        // Wrong key hash in the signature: not ours, so unsigned.
        let msg = peter_msg().replace("x08go/", "x08gp/");
        assert_eq!(
            open(msg.as_bytes(), &v).unwrap_err().kind(),
            ErrorKind::Missing
        );
        // A bad signature under our key next to a good one is still forged.
        let bad = PETER_SIG.replace("x08go/ZJ", "x08go/ZK");
        let msg = format!("{PETER_TEXT}\n{PETER_SIG}{bad}");
        assert_eq!(
            open(msg.as_bytes(), &v).unwrap_err().kind(),
            ErrorKind::Forged
        );
        for msg in [
            PETER_TEXT.to_string(),
            format!("{PETER_TEXT}\n"),
            format!("{PETER_TEXT}\n{}", PETER_SIG.trim_end()),
            format!("{PETER_TEXT}\n{}", PETER_SIG.replace('—', "-")),
            format!(
                "{PETER_TEXT}\n{}",
                PETER_SIG.replace("PeterNeumann ", "PeterNeumann")
            ),
            format!("{PETER_TEXT}\n{}", PETER_SIG.replace("AM=", "AM")),
            // Non-canonical base64: the last character's unused bits set.
            format!("{PETER_TEXT}\n{}", PETER_SIG.replace("AM=", "AN=")),
            format!("{PETER_TEXT}\n— PeterNeumann AAAA\n"),
            format!("{PETER_TEXT}\r\n{PETER_SIG}"),
            format!("x\u{1}\n\n{PETER_SIG}"),
            format!("{}\n\n{PETER_SIG}", "a".repeat(MAX_NOTE_SIZE)),
            format!("{PETER_TEXT}\n{}", PETER_SIG.repeat(101)),
        ] {
            assert_eq!(
                open(msg.as_bytes(), &v).unwrap_err().kind(),
                ErrorKind::Malformed,
                "{msg:?}"
            );
        }
        assert!(open(b"\xff\n\nx\n", &v).is_err());
    }

    #[test]
    fn tree_notes() {
        // Go's tlog test vector: the hash is RecordHash("hello world").
        let text =
            "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
        let tree = parse_tree(text).unwrap();
        assert_eq!(tree.n, 123456789012);
        assert_eq!(tree.hash, tlog::record_hash(b"hello world"));
        assert_eq!(format_tree(&tree), text);
        assert_eq!(
            parse_tree("go.sum database tree\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
                .unwrap()
                .n,
            0
        );
        let h = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";
        for bad in [
            format!("not-{text}"),
            format!("{text}extra\n"),
            format!("{text}JOE"),
            format!("go.sum database tree\n12\n{h}"),
            "go.sum database tree\n12\n".to_string(),
            format!("go.sum database tree\n0xabcdef\n{h}\n"),
            format!("go.sum database tree\n012\n{h}\n"),
            format!("go.sum database tree\n+12\n{h}\n"),
            format!("go.sum database tree\n-1\n{h}\n"),
            format!("go.sum database tree\n 12\n{h}\n"),
            format!("go.sum database tree\n9223372036854775808\n{h}\n"),
            format!("go.sum database tree\n12\n{}\n", &h[..43]),
            "go.sum database tree\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n"
                .to_string(),
            "go.sum database tree\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb1=\n".to_string(),
            format!("go.sum database tree\n12\n{h}\n{}", "x".repeat(300)),
        ] {
            assert_eq!(
                parse_tree(&bad).unwrap_err().kind(),
                ErrorKind::Malformed,
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_tree("go.sum database tree\n9223372036854775807\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n").unwrap().n,
            i64::MAX as u64
        );
    }
}
