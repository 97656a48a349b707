//! A loopback module proxy for ordinary modules, with a checksum database
//! at `/sumdb/<name>/` (its own key, a real log around their records),
//! served as static files by [`TestServer`]: the upstream `gov mirror
//! modules` fetches from. A module can be served with another zip than
//! the one recorded (`liar`), or served but never recorded.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};

use super::TestServer;
use super::sumdb::{Log, ZipBuilder, go_mod_h1, record_text};

/// One module version: its files (below the module root) and go.mod.
pub struct Module {
    pub path: String,
    pub version: String,
    pub go_mod: String,
    pub files: Vec<(String, String)>,
}

impl Module {
    pub fn new(path: &str, version: &str, files: &[(&str, &str)]) -> Module {
        Module {
            path: path.to_string(),
            version: version.to_string(),
            go_mod: format!("module {path}\n\ngo 1.21\n"),
            files: files
                .iter()
                .map(|(n, d)| (n.to_string(), d.to_string()))
                .collect(),
        }
    }

    /// The module zip and its `h1:`.
    pub fn zip(&self, extra: Option<(&str, &str)>) -> (Vec<u8>, String) {
        let prefix = format!("{}@{}/", self.path, self.version);
        let mut z = ZipBuilder::default();
        z.add(
            &format!("{prefix}go.mod"),
            self.go_mod.as_bytes(),
            0o644,
            (0, 0x21),
        );
        for (n, d) in self
            .files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_str()))
            .chain(extra)
        {
            z.add(&format!("{prefix}{n}"), d.as_bytes(), 0o644, (0, 0x21));
        }
        (z.finish(), z.h1())
    }

    /// `path@version` lines for go.sum.
    pub fn go_sum_lines(&self) -> String {
        format!(
            "{p} {v} {z}\n{p} {v}/go.mod {m}\n",
            p = self.path,
            v = self.version,
            z = self.zip(None).1,
            m = go_mod_h1(self.go_mod.as_bytes())
        )
    }
}

/// How the proxy treats a module.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Honest,
    /// Serves a zip with one more file than the recorded one.
    Liar,
    /// Served, but the database has no record of it.
    Unrecorded,
}

/// Go's case-encoding (`!` + lower case).
pub fn escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub struct ModProxy {
    pub server: TestServer,
    pub name: String,
    key: SigningKey,
}

impl ModProxy {
    pub fn start(name: &str, seed: [u8; 32], modules: &[(&Module, Served)]) -> ModProxy {
        let server = TestServer::start();
        let key = SigningKey::from_bytes(&seed);
        let mut log = Log::new();
        for i in 0..200 {
            let m = format!("example.org/filler{i}");
            log.push(record_text(
                &m,
                "v1.0.0",
                &go_mod_h1(m.as_bytes()),
                &go_mod_h1(b"x"),
            ));
        }
        let mut ids = BTreeMap::new();
        for (m, served) in modules {
            if *served != Served::Unrecorded {
                let text = record_text(
                    &m.path,
                    &m.version,
                    &m.zip(None).1,
                    &go_mod_h1(m.go_mod.as_bytes()),
                );
                ids.insert(
                    (m.path.clone(), m.version.clone()),
                    (log.push(text.clone()), text),
                );
            }
        }
        let p = ModProxy {
            server,
            name: name.to_string(),
            key,
        };
        let note = p.signed_tree(&log);
        for (m, served) in modules {
            let base = format!("/{}/@v/{}", escape(&m.path), escape(&m.version));
            let zip = match served {
                Served::Liar => m.zip(Some(("backdoor.go", "package x\n"))).0,
                _ => m.zip(None).0,
            };
            p.server.put(&format!("{base}.zip"), zip);
            p.server
                .put(&format!("{base}.mod"), m.go_mod.clone().into_bytes());
            let info = format!(
                "{{\"Version\":\"{}\",\"Time\":\"2024-01-02T03:04:05Z\"}}",
                m.version
            );
            p.server.put(&format!("{base}.info"), info.into_bytes());
            p.server.put(
                &format!("/{}/@v/list", escape(&m.path)),
                format!("{}\n", m.version).into_bytes(),
            );
            if let Some((id, text)) = ids.get(&(m.path.clone(), m.version.clone())) {
                let mut answer = format!("{id}\n{text}\n").into_bytes();
                answer.extend(&note);
                let lookup = format!(
                    "/sumdb/{name}/lookup/{}@{}",
                    escape(&m.path),
                    escape(&m.version)
                );
                p.server.put(&lookup, answer);
            }
        }
        p.server
            .put(&format!("/sumdb/{name}/supported"), Vec::new());
        p.server.put(&format!("/sumdb/{name}/latest"), note);
        p.put_tiles(&log);
        p
    }

    /// Every tile of the log's tree, full and partial.
    fn put_tiles(&self, log: &Log) {
        let n = log.size();
        let mut level = 0usize;
        loop {
            let count = n >> (8 * level);
            if count == 0 {
                break;
            }
            for t in 0..=(count / 256) {
                let w = if t < count / 256 { 256 } else { count % 256 };
                if w == 0 {
                    continue;
                }
                if let Some(d) = log.tile(level, t, w) {
                    let path = format!("/sumdb/{}/{}", self.name, tile_path(level, t, w));
                    self.server.put(&path, d);
                }
            }
            level += 1;
        }
    }

    fn signed_tree(&self, log: &Log) -> Vec<u8> {
        let text = format!(
            "go.sum database tree\n{}\n{}\n",
            log.size(),
            STANDARD.encode(log.root())
        );
        let kh = self.key_hash();
        let mut sig = kh.to_vec();
        sig.extend(self.key.sign(text.as_bytes()).to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, STANDARD.encode(sig)).into_bytes()
    }

    fn key_hash(&self) -> [u8; 4] {
        let mut raw = vec![1u8];
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        h.update(b"\n");
        h.update(&raw);
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    /// `<name>+<hash>+<key>`.
    pub fn vkey(&self) -> String {
        let mut raw = vec![1u8];
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        let hash: String = self.key_hash().iter().map(|b| format!("{b:02x}")).collect();
        format!("{}+{hash}+{}", self.name, STANDARD.encode(raw))
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn sumdb_url(&self) -> String {
        self.server.url_for(&format!("/sumdb/{}", self.name))
    }
}

/// `tile/8/L/NNN[.p/W]`.
fn tile_path(l: usize, n: u64, w: u64) -> String {
    let mut rest = n;
    let mut s = format!("{:03}", rest % 1000);
    while rest >= 1000 {
        rest /= 1000;
        s = format!("x{:03}/{s}", rest % 1000);
    }
    let partial = if w == 256 {
        String::new()
    } else {
        format!(".p/{w}")
    };
    format!("tile/8/{l}/{s}{partial}")
}
