//! A checksum-database lookup against a server that signs only honest tree
//! heads but lies everywhere else: lookup answers, record ids, tiles, sizes.
//! Whatever it sends, a lookup that succeeds returns the honest hash of the
//! module asked for.
#![no_main]
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use gov::trust::TrustError;
use gov::trust::client::{Client, Fetch, TileCache, TreeHeadStore};
use gov::trust::note;
use gov::trust::tlog::{self, Hash, Tile, Tree};
use libfuzzer_sys::fuzz_target;

const NAME: &str = "sum.fuzz.test";
const RECORDS: u64 = 300;

struct Log {
    key: SigningKey,
    vkey: String,
    records: Vec<String>,
    stored: Vec<Hash>,
}

fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let key = SigningKey::from_bytes(&[7; 32]);
        let vkey = note::format_verifier_key(NAME, &key.verifying_key()).expect("key");
        let mut records = Vec::new();
        let mut stored = Vec::new();
        for i in 0..RECORDS {
            let h = tlog::record_hash(format!("zip {i}").as_bytes());
            let g = tlog::record_hash(format!("mod {i}").as_bytes());
            let text =
                format!("example.com/m{i} v1.0.0 h1:{h}\nexample.com/m{i} v1.0.0/go.mod h1:{g}\n");
            let more = tlog::stored_hashes_for_record_hash(i, tlog::record_hash(text.as_bytes()), &mut stored)
                .expect("stored hashes");
            stored.extend(more);
            records.push(text);
        }
        Log {
            key,
            vkey,
            records,
            stored,
        }
    })
}

fn signed_tree(n: u64) -> Vec<u8> {
    let l = log();
    let mut stored = l.stored.clone();
    let tree = Tree {
        n,
        hash: tlog::tree_hash(n, &mut stored).expect("tree hash"),
    };
    let text = note::format_tree(&tree);
    let key_hash = note::Verifier::parse(&l.vkey).expect("vkey").key_hash();
    let mut sig = key_hash.to_be_bytes().to_vec();
    sig.extend(l.key.sign(text.as_bytes()).to_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(sig);
    format!("{text}\n\u{2014} {NAME} {b64}\n").into_bytes()
}

/// Lies drawn from the fuzzer's bytes.
struct Liar {
    size: u64,
    flags: u8,
    noise: Vec<u8>,
    answer_id: u64,
}

impl Fetch for Liar {
    fn get(&self, path: &str) -> Result<Vec<u8>, TrustError> {
        let l = log();
        if path.starts_with("lookup/") {
            if self.flags & 1 != 0 {
                let mut a = self.noise.clone();
                if self.flags & 2 != 0 {
                    a.extend(signed_tree(self.size));
                }
                return Ok(a);
            }
            let id = self.answer_id % self.size;
            let mut a = format!("{}\n{}\n", self.answer_id, l.records[id as usize]).into_bytes();
            a.extend(signed_tree(self.size));
            return Ok(a);
        }
        let tile = Tile::parse_path(path)?;
        let mut stored = l.stored.clone();
        let start = tile.n << tile.h;
        if start + u64::from(tile.w) > self.size >> (tile.l * tile.h) {
            return Err(TrustError::missing("no such tile"));
        }
        let mut d = tlog::read_tile_data(&tile, &mut stored)?;
        if self.flags & 4 != 0 && !self.noise.is_empty() {
            for (i, b) in d.iter_mut().enumerate() {
                *b ^= self.noise[i % self.noise.len()];
            }
        }
        if self.flags & 8 != 0 {
            d.truncate(self.noise.len());
        }
        Ok(d)
    }
}

#[derive(Default)]
struct Mem {
    tiles: RefCell<HashMap<Tile, Vec<u8>>>,
    heads: RefCell<HashMap<String, Vec<u8>>>,
}

impl TileCache for Mem {
    fn get(&self, t: &Tile) -> Option<Vec<u8>> {
        self.tiles.borrow().get(t).cloned()
    }
    fn put(&self, t: &Tile, d: &[u8]) {
        self.tiles.borrow_mut().insert(*t, d.to_vec());
    }
}

impl TreeHeadStore for Mem {
    fn load(&self, db: &str) -> Result<Option<Vec<u8>>, TrustError> {
        Ok(self.heads.borrow().get(db).cloned())
    }
    fn store(&self, db: &str, n: &[u8]) -> Result<(), TrustError> {
        self.heads.borrow_mut().insert(db.to_string(), n.to_vec());
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let size = 1 + u64::from(u16::from_le_bytes([data[0], data[1]])) % RECORDS;
    let seen = u64::from(u16::from_le_bytes([data[2], data[3]])) % (RECORDS + 1);
    let want = u64::from(u16::from_le_bytes([data[4], data[5]])) % size;
    let flags = data[6];
    let answer_id = if flags & 16 != 0 {
        u64::from(data[7]) % RECORDS
    } else {
        want
    };
    let liar = Liar {
        size,
        flags,
        noise: data[8..].to_vec(),
        answer_id,
    };
    let mem = Mem::default();
    if seen > 0 {
        mem.heads
            .borrow_mut()
            .insert(NAME.to_string(), signed_tree(seen));
    }
    let Ok(client) = Client::new(&log().vkey, &liar, &mem, &mem) else {
        return;
    };
    let module = format!("example.com/m{want}");
    if let Ok(found) = client.lookup(&module, "v1.0.0") {
        let honest = tlog::record_hash(format!("zip {want}").as_bytes());
        assert_eq!(found.zip_hash, format!("h1:{honest}"), "a lie was accepted");
    }
});
