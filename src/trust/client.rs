//! A checksum-database client, independent of how bytes are fetched or
//! stored: it looks up a module version, verifies the signed tree head,
//! proves the tree consistent with the last one seen for that database,
//! authenticates the record through tiles, and returns only lines taken
//! from the authenticated record that name exactly that module version.

use std::fmt;

use super::error::{ErrorKind, Result, TrustError};
use super::note::{self, Verifier};
use super::tlog::{
    self, HASH_SIZE, HashReader as _, TILE_HEIGHT, Tile, TileHashReader, TileSource, Tree,
};

/// Largest lookup answer accepted. Real ones are well under 1 KiB.
pub const MAX_LOOKUP_SIZE: usize = 64 * 1024;

/// Reads a path below the database's base URL: `lookup/<mod>@<ver>`,
/// `tile/8/...`. A server's "not found" should be [`ErrorKind::Missing`].
pub trait Fetch {
    fn get(&self, path: &str) -> Result<Vec<u8>>;
}

/// Tiles already authenticated once. Cached data is authenticated again on
/// every use, so a damaged cache causes an error, never a wrong answer.
pub trait TileCache {
    fn get(&self, tile: &Tile) -> Option<Vec<u8>>;
    fn put(&self, tile: &Tile, data: &[u8]);
}

/// A cache that keeps nothing.
pub struct NoTileCache;

impl TileCache for NoTileCache {
    fn get(&self, _: &Tile) -> Option<Vec<u8>> {
        None
    }
    fn put(&self, _: &Tile, _: &[u8]) {}
}

/// The last verified tree head per database, kept as its signed note so it
/// can be checked again when loaded and shown as evidence.
pub trait TreeHeadStore {
    fn load(&self, db: &str) -> Result<Option<Vec<u8>>>;
    /// Replaces the stored note; implementations should do it atomically.
    fn store(&self, db: &str, signed_note: &[u8]) -> Result<()>;
}

/// What a lookup proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub record_id: u64,
    /// The tree the record was proven in.
    pub tree: Tree,
    /// `<module> <version> h1:...` and `<module> <version>/go.mod h1:...`,
    /// exactly as in the authenticated record.
    pub lines: Vec<String>,
    /// The `h1:` of the module zip.
    pub zip_hash: String,
    /// The `h1:` of the module's go.mod.
    pub mod_hash: String,
}

/// The checksum-database client for one database.
pub struct Client<'a> {
    verifier: Verifier,
    fetch: &'a dyn Fetch,
    cache: &'a dyn TileCache,
    heads: &'a dyn TreeHeadStore,
}

impl fmt::Debug for Client<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("db", &self.verifier.id())
            .finish()
    }
}

impl<'a> Client<'a> {
    /// `vkey` is the database's verifier key; its name is the database name.
    pub fn new(
        vkey: &str,
        fetch: &'a dyn Fetch,
        cache: &'a dyn TileCache,
        heads: &'a dyn TreeHeadStore,
    ) -> Result<Self> {
        Ok(Self::with_verifier(
            Verifier::parse(vkey)?,
            fetch,
            cache,
            heads,
        ))
    }

    /// The same, with a key parsed already (GOSUMDB's).
    pub fn with_verifier(
        verifier: Verifier,
        fetch: &'a dyn Fetch,
        cache: &'a dyn TileCache,
        heads: &'a dyn TreeHeadStore,
    ) -> Self {
        Client {
            verifier,
            fetch,
            cache,
            heads,
        }
    }

    /// The database name (the key's name).
    pub fn name(&self) -> &str {
        self.verifier.name()
    }

    /// Looks up `module@version` and returns its verified hash lines.
    pub fn lookup(&self, module: &str, version: &str) -> Result<Lookup> {
        let what = format!("checksum database {}: {module}@{version}", self.name());
        self.lookup_inner(module, version)
            .map_err(|e| e.context(&what))
    }

    fn lookup_inner(&self, module: &str, version: &str) -> Result<Lookup> {
        let path = format!("lookup/{}@{}", escape(module)?, escape(version)?);
        let answer = self.fetch.get(&path).map_err(|e| e.context(&path))?;
        if answer.len() > MAX_LOOKUP_SIZE {
            return Err(TrustError::malformed(format!(
                "lookup answer is {} bytes, over the {MAX_LOOKUP_SIZE}-byte limit",
                answer.len()
            )));
        }
        let (id, text, signed) = parse_lookup(&answer)?;
        let note = note::open(signed, &self.verifier).map_err(|e| e.context("tree note"))?;
        let tree = note::parse_tree(&note.text)?;
        self.merge_tree_head(&tree, signed)?;

        if id >= tree.n {
            return Err(TrustError::inconsistent(format!(
                "record {id} is not in the signed tree of size {}",
                tree.n
            )));
        }
        let index = tlog::stored_hash_index(0, id);
        let leaf = match self.read_hash(&tree, index, true) {
            Err(e) if e.kind() == ErrorKind::Inconsistent => self.read_hash(&tree, index, false),
            r => r,
        }?;
        if leaf != tlog::record_hash(text.as_bytes()) {
            return Err(TrustError::forged(format!(
                "record text is not record {id} of the signed {tree}"
            )));
        }
        let (lines, zip_hash, mod_hash) = record_lines(text, module, version)?;
        Ok(Lookup {
            record_id: id,
            tree,
            lines,
            zip_hash,
            mod_hash,
        })
    }

    /// Proves `tree` consistent with the stored head and keeps the larger.
    fn merge_tree_head(&self, tree: &Tree, signed: &[u8]) -> Result<()> {
        let db = self.name();
        let Some(old_note) = self.heads.load(db)? else {
            return self.heads.store(db, signed);
        };
        let old = note::open(&old_note, &self.verifier)
            .and_then(|n| note::parse_tree(&n.text))
            .map_err(|e| e.context(format!("stored tree head of {db}")))?;
        let (older, newer) = if tree.n <= old.n {
            (tree, &old)
        } else {
            (&old, tree)
        };
        let consistent = if older.n == newer.n {
            older.hash == newer.hash
        } else if older.n == 0 {
            older.hash == tlog::empty_tree_hash()
        } else {
            self.extends(newer, older)?
        };
        if !consistent {
            return Err(TrustError::inconsistent(format!(
                "SECURITY ERROR: checksum database {db} misbehaved: its signed {old} \
                 (seen before) and its signed {tree} (now) cannot both be true; \
                 the log was forked or rewritten. Stop and report both tree heads \
                 to the database operator; do not trust its answers."
            )));
        }
        if tree.n > old.n {
            self.heads.store(db, signed)?;
        }
        Ok(())
    }

    /// One hash of `tree`, read through authenticated tiles.
    fn read_hash(&self, tree: &Tree, index: u64, use_cache: bool) -> Result<tlog::Hash> {
        let mut tiles = ClientTiles {
            client: self,
            use_cache,
        };
        let mut reader = TileHashReader::new(*tree, TILE_HEIGHT, &mut tiles);
        let hashes = reader.read_hashes(&[index])?;
        hashes
            .first()
            .copied()
            .ok_or_else(|| TrustError::missing("no hash returned"))
    }

    /// Whether `newer`'s tiles prove it contains `older`. Cached tiles were
    /// authenticated against an earlier tree; if they contradict `newer`,
    /// the answer is taken from the server's own tiles, so a fork shows up
    /// as a fork and not as a damaged cache.
    fn extends(&self, newer: &Tree, older: &Tree) -> Result<bool> {
        let mut cached = ClientTiles {
            client: self,
            use_cache: true,
        };
        let mut reader = TileHashReader::new(*newer, TILE_HEIGHT, &mut cached);
        match tlog::tree_hash(older.n, &mut reader) {
            Ok(h) => Ok(h == older.hash),
            Err(e) if e.kind() == ErrorKind::Inconsistent => {
                let mut fresh = ClientTiles {
                    client: self,
                    use_cache: false,
                };
                let mut reader = TileHashReader::new(*newer, TILE_HEIGHT, &mut fresh);
                Ok(tlog::tree_hash(older.n, &mut reader)? == older.hash)
            }
            Err(e) => Err(e),
        }
    }

    /// Fetches one tile: cached full, cached exact, served exact, and for a
    /// partial tile the served full one cut down (servers may drop partial
    /// tiles once the full one exists).
    fn read_tile(&self, tile: &Tile, use_cache: bool) -> Result<Vec<u8>> {
        let full = tile.full();
        let cut = |mut d: Vec<u8>| -> Result<Vec<u8>> {
            if d.len() != full.data_len() {
                return Err(TrustError::malformed(format!(
                    "tile {} has {} bytes, want {}",
                    full.path(),
                    d.len(),
                    full.data_len()
                )));
            }
            d.truncate(tile.data_len());
            Ok(d)
        };
        let cached = |t: &Tile| self.cache.get(t).filter(|d| d.len() == t.data_len());
        if let Some(d) = cached(&full).filter(|_| use_cache) {
            return cut(d);
        }
        if use_cache
            && !tile.is_full()
            && let Some(d) = cached(tile)
        {
            return Ok(d);
        }
        match self.fetch.get(&tile.path()) {
            Ok(d) => Ok(d),
            Err(e) if !tile.is_full() && e.kind() == ErrorKind::Missing => self
                .fetch
                .get(&full.path())
                .map_err(|e2| e2.context(full.path()))
                .and_then(cut),
            Err(e) => Err(e.context(tile.path())),
        }
    }
}

struct ClientTiles<'c, 'a> {
    client: &'c Client<'a>,
    use_cache: bool,
}

impl TileSource for ClientTiles<'_, '_> {
    fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
        tiles
            .iter()
            .map(|t| self.client.read_tile(t, self.use_cache))
            .collect()
    }

    fn save_tiles(&mut self, tiles: &[Tile], data: &[Vec<u8>]) {
        for (t, d) in tiles.iter().zip(data) {
            self.client.cache.put(t, d);
        }
    }
}

/// Splits `<id>\n<record text>\n<signed note>`.
fn parse_lookup(answer: &[u8]) -> Result<(u64, &str, &[u8])> {
    let bad = |why: &str| TrustError::malformed(format!("malformed lookup answer: {why}"));
    let nl = answer
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("no record id"))?;
    let id = std::str::from_utf8(&answer[..nl])
        .ok()
        .and_then(note::parse_decimal)
        .ok_or_else(|| bad("record id is not a decimal number"))?;
    let rest = &answer[nl + 1..];
    let end = rest
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| bad("record text is not followed by a blank line"))?;
    let text = std::str::from_utf8(&rest[..end + 1]).map_err(|_| bad("record is not UTF-8"))?;
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(bad("record contains control characters"));
    }
    Ok((id, text, &rest[end + 2..]))
}

/// The record's lines, all of which must be for `module version`: one zip
/// hash line and one go.mod hash line, each `h1:` of 32 bytes.
fn record_lines(text: &str, module: &str, version: &str) -> Result<(Vec<String>, String, String)> {
    let zip_prefix = format!("{module} {version} ");
    let mod_prefix = format!("{module} {version}/go.mod ");
    let mut zip_hash = None;
    let mut mod_hash = None;
    let mut lines = Vec::new();
    for line in text.lines() {
        let (slot, hash) = if let Some(h) = line.strip_prefix(&zip_prefix) {
            (&mut zip_hash, h)
        } else if let Some(h) = line.strip_prefix(&mod_prefix) {
            (&mut mod_hash, h)
        } else {
            return Err(TrustError::forged(format!(
                "record is not for {module} {version}: it holds {line:?}"
            )));
        };
        let valid = hash
            .strip_prefix("h1:")
            .is_some_and(|b| tlog::Hash::parse(b).is_ok());
        if !valid {
            return Err(TrustError::malformed(format!(
                "record line {line:?} has no valid h1: hash"
            )));
        }
        if slot.replace(hash.to_string()).is_some() {
            return Err(TrustError::malformed(format!(
                "record has two lines like {line:?}"
            )));
        }
        lines.push(line.to_string());
    }
    match (zip_hash, mod_hash) {
        (Some(z), Some(m)) => Ok((lines, z, m)),
        (None, _) => Err(TrustError::missing(format!(
            "record has no line \"{module} {version} h1:...\""
        ))),
        (_, None) => Err(TrustError::missing(format!(
            "record has no line \"{module} {version}/go.mod h1:...\""
        ))),
    }
}

/// Go's case-encoding of module paths and versions in URLs: each upper-case
/// letter becomes `!` and its lower case.
pub fn escape(s: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else if c == '!' || !(c.is_ascii_graphic()) {
            return Err(TrustError::malformed(format!(
                "cannot escape {s:?} for a URL"
            )));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

// Tiles are HASH_SIZE-byte hashes; keep the import meaningful.
const _: () = assert!(HASH_SIZE == 32);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::tlog::{Hash, read_tile_data, stored_hashes_for_record_hash};
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use ed25519_dalek::{Signer as _, SigningKey};
    use std::cell::RefCell;
    use std::collections::HashMap;

    const M: &str = "golang.org/toolchain";
    const V: &str = "v0.0.1-go1.22.10.linux-amd64";
    const H_ZIP: &str = "h1:Lgw5SCJ0JrXNLj4nAQyCl8DA8bp8i8c8wcG0kxnxAmg=";

    /// An in-memory checksum database with knobs for misbehaving.
    struct Db {
        name: String,
        key: SigningKey,
        records: Vec<String>,
        stored: Vec<Hash>,
        /// Size of the tree the server signs and serves tiles for.
        size: u64,
        drop_partial: bool,
        corrupt_tile: Option<String>,
        /// Lookup answers by module@version overriding honest ones.
        answers: HashMap<String, Vec<u8>>,
        /// Tile data by path overriding the log's, as a lying proxy serves.
        tiles: HashMap<String, Vec<u8>>,
        fetched: RefCell<Vec<String>>,
    }

    impl Db {
        fn new(name: &str, seed: u8) -> Db {
            Db {
                name: name.to_string(),
                key: SigningKey::from_bytes(&[seed; 32]),
                records: Vec::new(),
                stored: Vec::new(),
                size: 0,
                drop_partial: false,
                corrupt_tile: None,
                answers: HashMap::new(),
                tiles: HashMap::new(),
                fetched: RefCell::new(Vec::new()),
            }
        }

        fn vkey(&self) -> String {
            note::format_verifier_key(&self.name, &self.key.verifying_key()).unwrap()
        }

        fn add(&mut self, text: String) -> u64 {
            let id = self.records.len() as u64;
            let h = tlog::record_hash(text.as_bytes());
            let more = stored_hashes_for_record_hash(id, h, &mut self.stored).unwrap();
            self.stored.extend(more);
            self.records.push(text);
            self.size = id + 1;
            id
        }

        fn fill(&mut self, n: usize, tag: &str) {
            for i in 0..n {
                let h = tlog::record_hash(format!("{tag}{i}").as_bytes());
                self.add(format!(
                    "example.com/m{i} v1.0.{i} h1:{h}\nexample.com/m{i} v1.0.{i}/go.mod h1:{h}\n"
                ));
            }
        }

        fn toolchain(&mut self, version: &str, zip: &str) -> u64 {
            self.add(format!(
                "{M} {version} {zip}\n{M} {version}/go.mod {}\n",
                crate::trust::dirhash::TOOLCHAIN_GO_MOD_H1
            ))
        }

        fn tree(&mut self) -> Tree {
            let n = self.size;
            Tree {
                n,
                hash: tlog::tree_hash(n, &mut self.stored).unwrap(),
            }
        }

        fn signed_tree(&mut self) -> Vec<u8> {
            let tree = self.tree();
            sign(&note::format_tree(&tree), &self.name, &self.key)
        }

        fn answer(&mut self, id: u64) -> Vec<u8> {
            let mut a = format!("{id}\n{}\n", self.records[id as usize]).into_bytes();
            a.extend(self.signed_tree());
            a
        }
    }

    fn sign(text: &str, name: &str, key: &SigningKey) -> Vec<u8> {
        let vk = note::format_verifier_key(name, &key.verifying_key()).unwrap();
        let kh = Verifier::parse(&vk).unwrap().key_hash();
        let mut raw = kh.to_be_bytes().to_vec();
        raw.extend(key.sign(text.as_bytes()).to_bytes());
        format!("{text}\n\u{2014} {name} {}\n", STANDARD.encode(raw)).into_bytes()
    }

    struct Server(RefCell<Db>);

    impl Fetch for Server {
        fn get(&self, path: &str) -> Result<Vec<u8>> {
            let mut db = self.0.borrow_mut();
            db.fetched.borrow_mut().push(path.to_string());
            if let Some(key) = path.strip_prefix("lookup/") {
                if let Some(a) = db.answers.get(key) {
                    return Ok(a.clone());
                }
                let (m, v) = key.split_once('@').unwrap();
                let prefix = format!("{m} {v} ");
                let id = db
                    .records
                    .iter()
                    .take(db.size as usize)
                    .position(|r| r.starts_with(&prefix))
                    .ok_or_else(|| TrustError::missing("not found"))?;
                return Ok(db.answer(id as u64));
            }
            if let Some(d) = db.tiles.get(path) {
                return Ok(d.clone());
            }
            let tile = Tile::parse_path(path)?;
            let start = tile.n << tile.h;
            let avail = db.size >> (tile.l * tile.h);
            let full_exists = start + u64::from(tile.full_width()) <= avail;
            if start + u64::from(tile.w) > avail
                || (db.drop_partial && !tile.is_full() && full_exists)
            {
                return Err(TrustError::missing("no such tile"));
            }
            let mut d = read_tile_data(&tile, &mut db.stored)?;
            if db.corrupt_tile.as_deref() == Some(path) {
                d[0] ^= 0x80;
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
        fn load(&self, db: &str) -> Result<Option<Vec<u8>>> {
            Ok(self.heads.borrow().get(db).cloned())
        }
        fn store(&self, db: &str, n: &[u8]) -> Result<()> {
            self.heads.borrow_mut().insert(db.to_string(), n.to_vec());
            Ok(())
        }
    }

    fn setup() -> (Server, Mem, String) {
        let mut db = Db::new("sum.example.test", 3);
        db.fill(150, "a");
        db.toolchain(V, H_ZIP);
        db.fill(149, "b");
        let vkey = db.vkey();
        (Server(RefCell::new(db)), Mem::default(), vkey)
    }

    fn stored_tree(mem: &Mem, name: &str) -> u64 {
        let n = mem.heads.borrow().get(name).cloned().unwrap();
        let note = String::from_utf8(n).unwrap();
        note.lines().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn honest_lookup() {
        let (srv, mem, vkey) = setup();
        let c = Client::new(&vkey, &srv, &mem, &mem).unwrap();
        let l = c.lookup(M, V).unwrap();
        assert_eq!(l.record_id, 150);
        assert_eq!(l.tree.n, 300);
        assert_eq!(l.zip_hash, H_ZIP);
        assert_eq!(l.mod_hash, crate::trust::dirhash::TOOLCHAIN_GO_MOD_H1);
        assert_eq!(l.lines[0], format!("{M} {V} {H_ZIP}"));
        assert_eq!(stored_tree(&mem, "sum.example.test"), 300);
        // The tiles came from the server once, then from the cache.
        let fetched = srv.0.borrow().fetched.borrow().len();
        assert_eq!(fetched, 1 + 3);
        c.lookup(M, V).unwrap();
        assert_eq!(srv.0.borrow().fetched.borrow().len(), fetched + 1);
    }

    #[test]
    fn growing_log_is_proven_consistent() {
        let (srv, mem, vkey) = setup();
        let c = Client::new(&vkey, &srv, &mem, &mem).unwrap();
        c.lookup(M, V).unwrap();
        {
            let mut db = srv.0.borrow_mut();
            db.fill(300, "c");
            db.toolchain("v0.0.1-go1.21.13.linux-amd64", H_ZIP);
            // Partial tiles disappear once full ones exist.
            db.drop_partial = true;
        }
        let l = c.lookup(M, "v0.0.1-go1.21.13.linux-amd64").unwrap();
        assert_eq!(l.tree.n, 601);
        assert_eq!(stored_tree(&mem, "sum.example.test"), 601);
        // An answer signed for an older, smaller tree is still fine.
        let old = {
            let mut db = srv.0.borrow_mut();
            db.drop_partial = false;
            db.size = 300;
            let a = db.answer(150);
            db.size = 601;
            a
        };
        srv.0.borrow_mut().answers.insert(format!("{M}@{V}"), old);
        assert_eq!(c.lookup(M, V).unwrap().tree.n, 300);
        assert_eq!(stored_tree(&mem, "sum.example.test"), 601);
    }

    #[test]
    fn forked_log_is_a_security_error() {
        let (srv, mem, vkey) = setup();
        let c = Client::new(&vkey, &srv, &mem, &mem).unwrap();
        c.lookup(M, V).unwrap();
        // Same key, a log whose record 7 differs, and bigger.
        let mut fork = Db::new("sum.example.test", 3);
        fork.fill(7, "a");
        fork.add("evil.example/m v1.0.0 h1:x\n".into());
        fork.fill(142, "a");
        fork.toolchain(V, "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        fork.fill(200, "b");
        let before = mem.heads.borrow().clone();
        let srv2 = Server(RefCell::new(fork));
        let c2 = Client::new(&vkey, &srv2, &mem, &mem).unwrap();
        let err = c2.lookup(M, V).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Inconsistent);
        let msg = err.to_string();
        assert!(msg.contains("SECURITY ERROR"), "{msg}");
        assert!(
            msg.contains("tree #300 ") && msg.contains("tree #351 "),
            "{msg}"
        );
        assert_eq!(
            *mem.heads.borrow(),
            before,
            "the forked head must not be kept"
        );
        // A fork of the same size is caught without any tile.
        let mut same = Db::new("sum.example.test", 3);
        same.fill(150, "x");
        same.toolchain(V, H_ZIP);
        same.fill(149, "b");
        let srv3 = Server(RefCell::new(same));
        let c3 = Client::new(&vkey, &srv3, &mem, &mem).unwrap();
        assert!(
            c3.lookup(M, V)
                .unwrap_err()
                .to_string()
                .contains("SECURITY ERROR")
        );
    }

    #[test]
    fn hostile_answers() {
        let (srv, mem, vkey) = setup();
        let c = Client::new(&vkey, &srv, &mem, &mem).unwrap();
        let key = format!("{M}@{V}");
        let honest = srv.0.borrow_mut().answer(150);
        let honest_s = String::from_utf8(honest.clone()).unwrap();
        let set = |a: Vec<u8>| {
            srv.0.borrow_mut().answers.insert(key.clone(), a);
        };
        let check = |want: ErrorKind, what: &str| {
            let e = c.lookup(M, V).unwrap_err();
            assert_eq!(e.kind(), want, "{what}: {e}");
        };

        // Another module's record, authentic and in the tree: the flaw of
        // older clients, which took whatever lines matched.
        let a3 = srv.0.borrow_mut().answer(3);
        set(a3);
        check(ErrorKind::Forged, "other module's record");

        // A record that mentions the module but lacks the zip line.
        let mut db = Db::new("sum.example.test", 3);
        db.fill(10, "a");
        db.add(format!(
            "{M} {V}/go.mod {}\n",
            crate::trust::dirhash::TOOLCHAIN_GO_MOD_H1
        ));
        let vk2 = db.vkey();
        let a = db.answer(10);
        let srv2 = Server(RefCell::new(db));
        let mem2 = Mem::default();
        srv2.0.borrow_mut().answers.insert(key.clone(), a);
        let e = Client::new(&vk2, &srv2, &mem2, &mem2)
            .unwrap()
            .lookup(M, V)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Missing, "{e}");

        // Record text changed: not the record in the tree.
        set(honest_s.replace("h1:Lgw5", "h1:Lgw6").into_bytes());
        check(ErrorKind::Forged, "changed record");
        // Record id pointing elsewhere.
        set(honest_s.replacen("150\n", "151\n", 1).into_bytes());
        check(ErrorKind::Forged, "wrong id");
        // Record id at or past the tree size.
        set(honest_s.replacen("150\n", "300\n", 1).into_bytes());
        check(ErrorKind::Inconsistent, "id = size");
        set(honest_s.replacen("150\n", "99999999999\n", 1).into_bytes());
        check(ErrorKind::Inconsistent, "id > size");
        set(honest_s.replacen("150\n", "0150\n", 1).into_bytes());
        check(ErrorKind::Malformed, "leading zero id");
        // Truncated and oversized answers.
        for cut in [0, 3, 10, honest.len() / 2, honest.len() - 1] {
            set(honest[..cut].to_vec());
            assert!(c.lookup(M, V).is_err(), "cut at {cut}");
        }
        let mut big = honest.clone();
        big.extend(vec![b'a'; MAX_LOOKUP_SIZE]);
        set(big);
        check(ErrorKind::Malformed, "oversized");
        // Bad signature: another key with the same name.
        let mut other = Db::new("sum.example.test", 9);
        other.fill(300, "a");
        let forged = format!("150\n{}\n", srv.0.borrow().records[150]);
        let mut f = forged.into_bytes();
        f.extend(other.signed_tree());
        set(f);
        check(ErrorKind::Missing, "other key");
        // A signature that claims our key hash but does not verify.
        let sig_start = honest_s.rfind(' ').unwrap() + 1;
        let mut bad = honest_s.clone();
        bad.replace_range(sig_start + 8..sig_start + 12, "AAAA");
        set(bad.into_bytes());
        check(ErrorKind::Forged, "bad signature");
        // A tile that does not hash to the tree.
        set(honest.clone());
        mem.tiles.borrow_mut().clear();
        srv.0.borrow_mut().corrupt_tile = Some("tile/8/0/000".into());
        check(ErrorKind::Inconsistent, "corrupt tile");
        srv.0.borrow_mut().corrupt_tile = None;
        // A damaged cache gives neither a wrong answer nor a lasting
        // failure: the server's tiles are authenticated and replace it.
        c.lookup(M, V).unwrap();
        for d in mem.tiles.borrow_mut().values_mut() {
            d[5] ^= 1;
        }
        c.lookup(M, V).unwrap();
        let fetched = srv.0.borrow().fetched.borrow().len();
        c.lookup(M, V).unwrap();
        assert_eq!(srv.0.borrow().fetched.borrow().len(), fetched + 1);
    }

    /// 70001 records at height 8, so tile level 2 is the top: records
    /// before 65536 sit below a full level-1 tile. The toolchain is 35000.
    fn tall_db() -> Db {
        let mut db = Db::new("sum.example.test", 3);
        db.fill(35_000, "a");
        db.toolchain(V, H_ZIP);
        db.fill(35_000, "b");
        db
    }

    const EVIL_ZIP: &str = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    /// The full tile at `path` of `db`, with entry `at` set to `h`.
    fn forged_tile(db: &mut Db, path: &str, at: u64, h: Hash) -> Vec<u8> {
        let tile = Tile::parse_path(path).unwrap();
        let mut d = read_tile_data(&tile, &mut db.stored).unwrap();
        let at = (at % 256) as usize * HASH_SIZE;
        d[at..at + HASH_SIZE].copy_from_slice(&h.0);
        d
    }

    fn hash_of_tile(d: &[u8]) -> Hash {
        let mut row: Vec<Hash> = d
            .chunks(HASH_SIZE)
            .map(|c| Hash::from_slice(c).unwrap())
            .collect();
        while row.len() > 1 {
            row = row
                .chunks(2)
                .map(|p| tlog::node_hash(&p[0], &p[1]))
                .collect();
        }
        row[0]
    }

    #[test]
    fn two_forged_tiles_over_a_tall_tree_are_refused() {
        // A proxy answers the lookup with a record carrying its own zip
        // hash, and forges the two tiles above it (levels 0 and 1) so that
        // each hashes into the next; only the level-2 tile, pinned by the
        // signed root, disagrees. Go's client before x/mod v0.40.0 took it.
        let mut db = tall_db();
        let vkey = db.vkey();
        let text = format!(
            "{M} {V} {EVIL_ZIP}\n{M} {V}/go.mod {}\n",
            crate::trust::dirhash::TOOLCHAIN_GO_MOD_H1
        );
        let mut answer = format!("35000\n{text}\n").into_bytes();
        answer.extend(db.signed_tree());
        let level0 = forged_tile(
            &mut db,
            "tile/8/0/136",
            35_000,
            tlog::record_hash(text.as_bytes()),
        );
        let level1 = forged_tile(&mut db, "tile/8/1/000", 136, hash_of_tile(&level0));
        db.answers.insert(format!("{M}@{V}"), answer);
        db.tiles.insert("tile/8/0/136".into(), level0);
        db.tiles.insert("tile/8/1/000".into(), level1);
        let srv = Server(RefCell::new(db));
        let mem = Mem::default();
        let c = Client::new(&vkey, &srv, &mem, &mem).unwrap();
        let err = c.lookup(M, V).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Inconsistent, "{err}");
        assert!(
            err.to_string()
                .contains("tile tile/8/1/000 does not hash to its entry in tile/8/2/000.p/1"),
            "{err}"
        );
        assert!(
            mem.tiles.borrow().keys().all(|t| t.l == 2 || !t.is_full()),
            "a forged tile was cached: {:?}",
            mem.tiles
                .borrow()
                .keys()
                .map(Tile::path)
                .collect::<Vec<_>>()
        );
        // The honest answer over the same tiles is still fine.
        srv.0.borrow_mut().answers.clear();
        srv.0.borrow_mut().tiles.clear();
        assert_eq!(c.lookup(M, V).unwrap().zip_hash, H_ZIP);
    }

    #[test]
    fn an_older_head_must_be_a_prefix_of_the_stored_one() {
        let mut db = tall_db();
        let vkey = db.vkey();
        // The same log, 10001 records shorter: a mirror that lags.
        let lagging = {
            db.size = 60_000;
            let a = db.answer(35_000);
            db.size = 70_001;
            a
        };
        // A log signed by the same key whose record 3 differs, 60000 long.
        let mut fork = Db::new("sum.example.test", 3);
        for (i, r) in db.records.iter().take(60_000).enumerate() {
            fork.add(if i == 3 {
                "evil.example/m v1.0.0 h1:x\n".into()
            } else {
                r.clone()
            });
        }
        let forked = fork.answer(35_000);
        let fork_l8 = tlog::tree_hash(256, &mut fork.stored).unwrap();
        let fork_l1 = read_tile_data(
            &Tile::parse_path("tile/8/1/000.p/234").unwrap(),
            &mut fork.stored,
        )
        .unwrap();
        // The full level-1 tile of the stored tree, rewritten so that the
        // fork's first 60000 records seem to be its prefix.
        let level1 = forged_tile(&mut db, "tile/8/1/000", 0, fork_l8);
        let srv = Server(RefCell::new(db));
        let mem = Mem::default();
        let c = Client::new(&vkey, &srv, &NoTileCache, &mem).unwrap();
        c.lookup(M, V).unwrap();
        let stored = mem.heads.borrow().clone();
        assert_eq!(stored_tree(&mem, "sum.example.test"), 70_001);

        let key = format!("{M}@{V}");
        srv.0.borrow_mut().answers.insert(key.clone(), lagging);
        let l = c.lookup(M, V).unwrap();
        assert_eq!((l.tree.n, l.zip_hash.as_str()), (60_000, H_ZIP));
        assert_eq!(*mem.heads.borrow(), stored, "the newer head is kept");

        // The fork's older head: its tiles are honest for it, but it is not
        // a prefix of the stored head, with or without forged tiles.
        srv.0.borrow_mut().answers.insert(key.clone(), forked);
        srv.0
            .borrow_mut()
            .tiles
            .insert("tile/8/1/000.p/234".into(), fork_l1);
        let err = c.lookup(M, V).unwrap_err();
        assert!(err.to_string().contains("SECURITY ERROR"), "{err}");
        assert!(err.to_string().contains("tree #60000 "), "{err}");
        srv.0
            .borrow_mut()
            .tiles
            .insert("tile/8/1/000".into(), level1);
        let err = c.lookup(M, V).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Inconsistent, "{err}");
        assert!(
            err.to_string()
                .contains("tile tile/8/1/000 does not hash to its entry"),
            "{err}"
        );
        assert_eq!(*mem.heads.borrow(), stored, "the newer head is kept");
    }

    #[test]
    fn authentic_records_without_the_requested_lines_are_refused() {
        // Each record is in the log and proven; what it says is not an
        // answer for M V (the class of CVE-2026-42501).
        let g = crate::trust::dirhash::TOOLCHAIN_GO_MOD_H1;
        let cases = [
            ("empty record", String::new()),
            ("go.mod line only", format!("{M} {V}/go.mod {g}\n")),
            ("zip line only", format!("{M} {V} {H_ZIP}\n")),
            (
                "another module",
                format!("example.com/m v1.0.0 {H_ZIP}\nexample.com/m v1.0.0/go.mod {g}\n"),
            ),
            (
                "another version",
                format!(
                    "{M} v0.0.1-go1.22.9.linux-amd64 {H_ZIP}\n{M} v0.0.1-go1.22.9.linux-amd64/go.mod {g}\n"
                ),
            ),
            (
                "a version extending it",
                format!("{M} {V}.x {H_ZIP}\n{M} {V}.x/go.mod {g}\n"),
            ),
            (
                "an unrelated line too",
                format!("{M} {V} {H_ZIP}\n{M} {V}/go.mod {g}\nexample.com/m v1.0.0 {H_ZIP}\n"),
            ),
        ];
        for (what, text) in cases {
            let mut db = Db::new("sum.example.test", 3);
            db.fill(20, "a");
            let id = db.add(text);
            db.fill(5, "b");
            let vkey = db.vkey();
            let answer = db.answer(id);
            db.answers.insert(format!("{M}@{V}"), answer);
            let srv = Server(RefCell::new(db));
            let mem = Mem::default();
            let err = Client::new(&vkey, &srv, &mem, &mem)
                .unwrap()
                .lookup(M, V)
                .unwrap_err();
            // An empty record cannot even be framed in an answer.
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::Forged | ErrorKind::Missing | ErrorKind::Malformed
                ),
                "{what}: {err}"
            );
            assert!(
                err.to_string().contains(&format!("{M}@{V}")),
                "{what}: {err}"
            );
        }
    }

    #[test]
    fn wrong_tile_sizes() {
        struct Short<'s>(&'s Server);
        impl Fetch for Short<'_> {
            fn get(&self, path: &str) -> Result<Vec<u8>> {
                let mut d = self.0.get(path)?;
                if path.starts_with("tile/") {
                    d.pop();
                }
                Ok(d)
            }
        }
        let (srv, mem, vkey) = setup();
        let short = Short(&srv);
        let e = Client::new(&vkey, &short, &NoTileCache, &mem)
            .unwrap()
            .lookup(M, V)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Malformed, "{e}");
    }

    #[test]
    fn escaping_and_record_lines() {
        assert_eq!(escape("github.com/Azure/x").unwrap(), "github.com/!azure/x");
        assert!(escape("a b").is_err());
        let h = H_ZIP;
        let ok = format!("{M} {V} {h}\n{M} {V}/go.mod {h}\n");
        assert_eq!(record_lines(&ok, M, V).unwrap().1, h);
        for bad in [
            format!("{M} {V} {h}\n"),
            format!("{M} {V}/go.mod {h}\n"),
            format!("{M} {V} {h}\n{M} {V} {h}\n{M} {V}/go.mod {h}\n"),
            format!("{M} {V} h1:short\n{M} {V}/go.mod {h}\n"),
            format!("{M} {V}x {h}\n{M} {V}/go.mod {h}\n"),
            format!("{M} {V} {h}\n{M} {V}/go.mod {h}\nother v1 {h}\n"),
        ] {
            assert!(record_lines(&bad, M, V).is_err(), "{bad}");
        }
    }
}
