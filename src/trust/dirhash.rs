//! The `h1:` hash of a module's files, as go.sum and the checksum database
//! record it: for each file, sorted by name bytewise, the line
//! `<sha256 hex>  <name>\n`; the hash is base64 of the sha256 of all lines.
//! Zip names carry the `<module>@<version>/` prefix; a go.mod file alone is
//! hashed under the bare name `go.mod`.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::error::{Result, TrustError};

/// The `.mod` file of every toolchain module.
pub const TOOLCHAIN_GO_MOD: &str = "module golang.org/toolchain\n";

/// Its `h1:` hash, as the checksum database records it.
pub const TOOLCHAIN_GO_MOD_H1: &str = "h1:8wlg68NqwW7eMnI1aABk/C2pDYXj8mrMY4TyRfiLeS0=";

/// Collects (name, content hash) pairs in any order and produces `h1:`.
#[derive(Default, Debug, Clone)]
pub struct Hash1 {
    files: Vec<(String, [u8; 32])>,
}

impl Hash1 {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file by the sha256 of its content.
    pub fn add(&mut self, name: &str, sha256: [u8; 32]) -> Result<()> {
        // A newline would let one name forge the next line.
        if name.contains('\n') {
            return Err(TrustError::malformed(format!(
                "file name {name:?} contains a newline"
            )));
        }
        self.files.push((name.to_string(), sha256));
        Ok(())
    }

    /// Adds a file by reading its content.
    pub fn add_reader(&mut self, name: &str, r: &mut dyn Read) -> Result<()> {
        let sum = sha256_reader(r).map_err(|e| e.context(format!("hashing {name}")))?;
        self.add(name, sum)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The `h1:` hash of the files added.
    pub fn finish(mut self) -> String {
        self.files
            .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut h = Sha256::new();
        for (name, sum) in &self.files {
            h.update(hex(sum).as_bytes());
            h.update(b"  ");
            h.update(name.as_bytes());
            h.update(b"\n");
        }
        format!("h1:{}", STANDARD.encode(h.finalize()))
    }
}

/// `h1:` of a go.mod file's content, as go.sum's `/go.mod` lines hold it.
pub fn hash_go_mod(content: &[u8]) -> String {
    let mut h = Hash1::new();
    // The fixed name has no newline, so add cannot fail.
    h.files
        .push(("go.mod".to_string(), Sha256::digest(content).into()));
    h.finish()
}

/// sha256 of everything `r` yields.
pub fn sha256_reader(r: &mut dyn Read) -> Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(TrustError::io(e.to_string())),
        };
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_go_mod_vector() {
        assert_eq!(
            hash_go_mod(TOOLCHAIN_GO_MOD.as_bytes()),
            TOOLCHAIN_GO_MOD_H1
        );
    }

    #[test]
    fn order_and_format() {
        // Computed by hand from the definition, independently of Hash1.
        let files: [(&str, &[u8]); 3] =
            [("m@v1/b", b"bee\n"), ("m@v1/a", b"ay\n"), ("m@v1/B", b"")];
        let mut lines = String::new();
        let mut sorted = files;
        sorted.sort_by_key(|f| f.0);
        for (name, data) in sorted {
            lines.push_str(&format!("{}  {name}\n", hex(&Sha256::digest(data))));
        }
        let want = format!("h1:{}", STANDARD.encode(Sha256::digest(lines.as_bytes())));
        let mut h = Hash1::new();
        for (name, data) in files {
            h.add_reader(name, &mut &data[..]).unwrap();
        }
        assert_eq!(h.len(), 3);
        assert_eq!(h.finish(), want);
        assert!(lines.starts_with(&format!("{}  m@v1/B\n", hex(&Sha256::digest(b"")))));
    }

    #[test]
    fn empty_and_newlines() {
        // sha256 of nothing, base64.
        assert_eq!(
            Hash1::new().finish(),
            "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert!(Hash1::new().add("a\nb", [0; 32]).is_err());
    }
}
