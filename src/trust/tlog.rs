//! The checksum database's transparency log: RFC 6962 Merkle hashing, the
//! dense storage order of the log's hashes, tiles of height 8 as served
//! under `tile/8/<L>/<N>[.p/<W>]`, proofs, and authentication of every tile
//! against a signed tree head.
//!
//! A tile at level L holds up to 2^H consecutive hashes of tree level H*L.
//! Its hashes are trusted only once they hash up to the signed root: the
//! tiles on the right edge of the tree directly, the others through the
//! entry of their parent tile, which was checked first.

use std::collections::HashMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::error::{Result, TrustError};

pub const HASH_SIZE: usize = 32;

/// Tile height used by the Go checksum database and its clients.
pub const TILE_HEIGHT: u32 = 8;

/// Tree sizes and record ids above this are not valid (Go uses int64).
pub const MAX_TREE_SIZE: u64 = i64::MAX as u64;

/// A record or node hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// Parses canonical padded base64 of exactly 32 bytes.
    pub fn parse(s: &str) -> Result<Hash> {
        if s.len() != 44 {
            return Err(TrustError::malformed(format!("malformed hash {s:?}")));
        }
        let raw = STANDARD
            .decode(s)
            .map_err(|_| TrustError::malformed(format!("malformed hash {s:?}")))?;
        let arr: [u8; HASH_SIZE] = raw
            .try_into()
            .map_err(|_| TrustError::malformed(format!("malformed hash {s:?}")))?;
        Ok(Hash(arr))
    }

    pub fn from_slice(b: &[u8]) -> Option<Hash> {
        b.try_into().ok().map(Hash)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// A tree head: the number of records and the root hash.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Tree {
    pub n: u64,
    pub hash: Hash,
}

impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tree #{} {}", self.n, self.hash)
    }
}

/// The root of the empty tree: sha256 of nothing.
pub fn empty_tree_hash() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// sha256(0x00 || data).
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    Hash(h.finalize().into())
}

/// sha256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// (k, log2 k) for the largest power of two k with k < n, or (1, 0) for
/// n <= 2: the split point RFC 6962 uses.
fn maxpow2(n: u64) -> (u64, u32) {
    let l = if n <= 2 {
        0
    } else {
        63 - (n - 1).leading_zeros()
    };
    (1 << l, l)
}

/// Position of hash (level, n) in the log's dense storage order, where
/// record n's hash is followed by the hashes of the subtrees it completes.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    let mut n = n;
    for _ in 0..level {
        n = 2 * n + 1;
    }
    let mut i = 0u64;
    let mut m = n;
    while m > 0 {
        i += m;
        m >>= 1;
    }
    i + u64::from(level)
}

/// Inverse of [`stored_hash_index`].
pub fn split_stored_hash_index(index: u64) -> (u32, u64) {
    // stored_hash_index(0, n) lies in [n, 2n], so start from index/2.
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n);
    loop {
        // Record n adds its own hash and one per subtree it completes.
        let next = index_n + 1 + u64::from((n + 1).trailing_zeros());
        if next > index {
            break;
        }
        n += 1;
        index_n = next;
    }
    let level = (index - index_n) as u32;
    (level, n >> level)
}

/// Number of hashes stored for a tree of n records.
pub fn stored_hash_count(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let mut count = stored_hash_index(0, n - 1) + 1;
    let mut i = n - 1;
    while i & 1 != 0 {
        count += 1;
        i >>= 1;
    }
    count
}

/// Reads stored hashes by storage index.
pub trait HashReader {
    /// Returns exactly one hash per index, in order, or an error.
    fn read_hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>>;
}

/// A log kept in memory in storage order: for building test logs and for
/// servers.
impl HashReader for Vec<Hash> {
    fn read_hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.get(i).copied())
                    .ok_or_else(|| TrustError::missing(format!("no stored hash {i}")))
            })
            .collect()
    }
}

fn read_exact(r: &mut dyn HashReader, indexes: &[u64]) -> Result<Vec<Hash>> {
    let hashes = r.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(TrustError::malformed(format!(
            "hash reader returned {} hashes for {} indexes",
            hashes.len(),
            indexes.len()
        )));
    }
    Ok(hashes)
}

/// The hashes to store after record n (whose record hash is `h`), starting
/// at `stored_hash_index(0, n)`; reads the left siblings it completes.
pub fn stored_hashes_for_record_hash(n: u64, h: Hash, r: &mut dyn HashReader) -> Result<Vec<Hash>> {
    let m = (n + 1).trailing_zeros();
    let indexes: Vec<u64> = (0..m)
        .rev()
        .map(|i| stored_hash_index(i, (n >> i) - 1))
        .collect();
    let old = read_exact(r, &indexes)?;
    let mut hashes = vec![h];
    let mut h = h;
    for i in 0..m as usize {
        h = node_hash(&old[m as usize - 1 - i], &h);
        hashes.push(h);
    }
    Ok(hashes)
}

/// Storage indexes of the maximal complete subtrees covering [lo, hi),
/// left to right.
fn sub_tree_index(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let (k, level) = maxpow2(hi - lo + 1);
        debug_assert_eq!(lo & (k - 1), 0);
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

/// Combines the hashes from [`sub_tree_index`] (lo, hi) into the subtree's
/// hash, returning the hashes left over.
fn sub_tree_hash(mut lo: u64, hi: u64, hashes: &[Hash]) -> Result<(Hash, &[Hash])> {
    let mut count = 0;
    while lo < hi {
        let (k, _) = maxpow2(hi - lo + 1);
        count += 1;
        lo += k;
    }
    if count == 0 || hashes.len() < count {
        return Err(TrustError::malformed("too few hashes for subtree"));
    }
    let mut h = hashes[count - 1];
    for i in (0..count - 1).rev() {
        h = node_hash(&hashes[i], &h);
    }
    Ok((h, &hashes[count..]))
}

/// Root hash of the tree of the first n records.
pub fn tree_hash(n: u64, r: &mut dyn HashReader) -> Result<Hash> {
    if n == 0 {
        return Ok(empty_tree_hash());
    }
    let mut indexes = Vec::new();
    sub_tree_index(0, n, &mut indexes);
    let hashes = read_exact(r, &indexes)?;
    let (h, rest) = sub_tree_hash(0, n, &hashes)?;
    debug_assert!(rest.is_empty());
    Ok(h)
}

fn leaf_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    if lo + 1 == hi {
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        leaf_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need);
    }
}

fn leaf_proof(lo: u64, hi: u64, n: u64, hashes: &[Hash]) -> Result<(Vec<Hash>, &[Hash])> {
    if lo + 1 == hi {
        return Ok((Vec::new(), hashes));
    }
    let (k, _) = maxpow2(hi - lo);
    let (mut p, sibling, rest) = if n < lo + k {
        let (p, rest) = leaf_proof(lo, lo + k, n, hashes)?;
        let (th, rest) = sub_tree_hash(lo + k, hi, rest)?;
        (p, th, rest)
    } else {
        let (th, rest) = sub_tree_hash(lo, lo + k, hashes)?;
        let (p, rest) = leaf_proof(lo + k, hi, n, rest)?;
        (p, th, rest)
    };
    p.push(sibling);
    Ok((p, rest))
}

/// The RFC 6962 audit path for record n in the tree of size t.
pub fn prove_record(t: u64, n: u64, r: &mut dyn HashReader) -> Result<Vec<Hash>> {
    if n >= t || t > MAX_TREE_SIZE {
        return Err(TrustError::malformed(format!(
            "record {n} is not in a tree of size {t}"
        )));
    }
    let mut indexes = Vec::new();
    leaf_proof_index(0, t, n, &mut indexes);
    let hashes = read_exact(r, &indexes)?;
    Ok(leaf_proof(0, t, n, &hashes)?.0)
}

fn run_record_proof(p: &[Hash], lo: u64, hi: u64, n: u64, leaf: Hash) -> Option<Hash> {
    if lo + 1 == hi {
        return p.is_empty().then_some(leaf);
    }
    let (last, p) = p.split_last()?;
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        Some(node_hash(&run_record_proof(p, lo, lo + k, n, leaf)?, last))
    } else {
        Some(node_hash(last, &run_record_proof(p, lo + k, hi, n, leaf)?))
    }
}

/// Checks that `proof` shows record n with hash `leaf` in tree `tree`.
pub fn check_record(proof: &[Hash], tree: &Tree, n: u64, leaf: Hash) -> Result<()> {
    if n >= tree.n || tree.n > MAX_TREE_SIZE {
        return Err(TrustError::malformed(format!(
            "record {n} is not in a tree of size {}",
            tree.n
        )));
    }
    match run_record_proof(proof, 0, tree.n, n, leaf) {
        Some(h) if h == tree.hash => Ok(()),
        _ => Err(TrustError::forged(format!(
            "record {n} is not proven to be in {tree}"
        ))),
    }
}

fn tree_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    if n == hi {
        if lo != 0 {
            sub_tree_index(lo, hi, need);
        }
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        tree_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need);
    }
}

fn tree_proof(lo: u64, hi: u64, n: u64, hashes: &[Hash]) -> Result<(Vec<Hash>, &[Hash])> {
    if n == hi {
        if lo == 0 {
            return Ok((Vec::new(), hashes));
        }
        let (th, rest) = sub_tree_hash(lo, hi, hashes)?;
        return Ok((vec![th], rest));
    }
    let (k, _) = maxpow2(hi - lo);
    let (mut p, th, rest) = if n <= lo + k {
        let (p, rest) = tree_proof(lo, lo + k, n, hashes)?;
        let (th, rest) = sub_tree_hash(lo + k, hi, rest)?;
        (p, th, rest)
    } else {
        let (th, rest) = sub_tree_hash(lo, lo + k, hashes)?;
        let (p, rest) = tree_proof(lo + k, hi, n, rest)?;
        (p, th, rest)
    };
    p.push(th);
    Ok((p, rest))
}

/// The RFC 6962 consistency proof that the tree of size t extends the
/// tree of size n.
pub fn prove_tree(t: u64, n: u64, r: &mut dyn HashReader) -> Result<Vec<Hash>> {
    if n < 1 || n > t || t > MAX_TREE_SIZE {
        return Err(TrustError::malformed(format!(
            "no consistency proof from size {n} to size {t}"
        )));
    }
    let mut indexes = Vec::new();
    tree_proof_index(0, t, n, &mut indexes);
    let hashes = read_exact(r, &indexes)?;
    Ok(tree_proof(0, t, n, &hashes)?.0)
}

/// Returns the (old, new) subtree hashes the proof implies.
fn run_tree_proof(p: &[Hash], lo: u64, hi: u64, n: u64, old: Hash) -> Option<(Hash, Hash)> {
    if n == hi {
        if lo == 0 {
            return p.is_empty().then_some((old, old));
        }
        return (p.len() == 1).then(|| (p[0], p[0]));
    }
    let (last, p) = p.split_last()?;
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        let (oh, th) = run_tree_proof(p, lo, lo + k, n, old)?;
        Some((oh, node_hash(&th, last)))
    } else {
        let (oh, th) = run_tree_proof(p, lo + k, hi, n, old)?;
        Some((node_hash(last, &oh), node_hash(last, &th)))
    }
}

/// Checks that `proof` shows `newer` extends `older`.
pub fn check_tree(proof: &[Hash], newer: &Tree, older: &Tree) -> Result<()> {
    if older.n < 1 || older.n > newer.n || newer.n > MAX_TREE_SIZE {
        return Err(TrustError::malformed(format!(
            "no consistency proof from size {} to size {}",
            older.n, newer.n
        )));
    }
    match run_tree_proof(proof, 0, newer.n, older.n, older.hash) {
        Some((oh, th)) if oh == older.hash && th == newer.hash => Ok(()),
        _ => Err(TrustError::inconsistent(format!(
            "{newer} is not proven to extend {older}"
        ))),
    }
}

/// A tile: W consecutive hashes of tree level H*L, starting at hash N*2^H
/// of that level. W = 2^H is a full tile; less is a partial one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Tile {
    pub h: u32,
    pub l: u32,
    pub n: u64,
    pub w: u32,
}

impl Tile {
    pub fn full_width(&self) -> u32 {
        1 << self.h
    }

    pub fn is_full(&self) -> bool {
        self.w == self.full_width()
    }

    /// The same tile at full width.
    pub fn full(&self) -> Tile {
        Tile {
            w: self.full_width(),
            ..*self
        }
    }

    /// Size in bytes of this tile's data.
    pub fn data_len(&self) -> usize {
        self.w as usize * HASH_SIZE
    }

    /// `tile/H/L/NNN[.p/W]`, with N in three-digit groups, all but the last
    /// prefixed `x`.
    pub fn path(&self) -> String {
        let mut n = self.n;
        let mut s = format!("{:03}", n % 1000);
        while n >= 1000 {
            n /= 1000;
            s = format!("x{:03}/{s}", n % 1000);
        }
        let partial = if self.is_full() {
            String::new()
        } else {
            format!(".p/{}", self.w)
        };
        format!("tile/{}/{}/{s}{partial}", self.h, self.l)
    }

    /// Parses a hash tile path, accepting only the spelling [`Tile::path`]
    /// produces.
    pub fn parse_path(path: &str) -> Result<Tile> {
        let bad = || TrustError::malformed(format!("malformed tile path {path:?}"));
        let small = |s: &str, max: u64| -> Option<u64> {
            if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse::<u64>().ok().filter(|&v| v <= max)
        };
        let mut f: Vec<&str> = path.split('/').collect();
        if f.len() < 4 || f[0] != "tile" {
            return Err(bad());
        }
        let h = small(f[1], 30).filter(|&h| h >= 1).ok_or_else(bad)? as u32;
        let l = small(f[2], 63).ok_or_else(bad)? as u32;
        let mut w = 1u32 << h;
        let second_last = f[f.len() - 2];
        if let Some(stem) = second_last.strip_suffix(".p") {
            let ww = small(f[f.len() - 1], u64::from(w)).ok_or_else(bad)? as u32;
            if ww == 0 || ww >= w {
                return Err(bad());
            }
            w = ww;
            let k = f.len() - 2;
            f[k] = stem;
            f.pop();
        }
        let mut n = 0u64;
        for part in &f[3..] {
            let digits = part.strip_prefix('x').unwrap_or(part);
            let d = small(digits, 999).ok_or_else(bad)?;
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(d))
                .ok_or_else(bad)?;
        }
        let t = Tile { h, l, n, w };
        if t.path() != path {
            return Err(bad());
        }
        Ok(t)
    }

    /// The narrowest tile of height h holding the hash at `index`, and the
    /// byte range of the tile data that hashes to it.
    pub fn for_index(h: u32, index: u64) -> (Tile, usize, usize) {
        let (level, n) = split_stored_hash_index(index);
        let l = level / h;
        let sub = level - l * h; // level within the tile
        let tn = (n << sub) >> h;
        let within = n - ((tn << h) >> sub); // n within the tile at that level
        let tile = Tile {
            h,
            l,
            n: tn,
            w: ((within + 1) << sub) as u32,
        };
        let start = ((within << sub) as usize) * HASH_SIZE;
        let end = (((within + 1) << sub) as usize) * HASH_SIZE;
        (tile, start, end)
    }

    /// This tile's k-th ancestor among the tiles of a tree of size n, at
    /// the width that tree gives it; None if the tree has no such tile.
    fn parent(&self, k: u32, n: u64) -> Option<Tile> {
        let mut t = *self;
        t.l += k;
        t.n >>= k * t.h;
        t.w = 1 << t.h;
        let shift = t.l * t.h;
        let max = if shift >= 64 { 0 } else { n >> shift };
        let start = t.n << t.h;
        if start + u64::from(t.w) >= max {
            if start >= max {
                return None;
            }
            t.w = (max - start) as u32;
        }
        Some(t)
    }
}

/// Hash of the complete subtree whose leaves are the hashes in `data`
/// (a power-of-two count).
fn tile_hash(data: &[u8]) -> Hash {
    if data.len() == HASH_SIZE {
        let mut h = [0u8; HASH_SIZE];
        h.copy_from_slice(data);
        return Hash(h);
    }
    let mid = data.len() / 2;
    node_hash(&tile_hash(&data[..mid]), &tile_hash(&data[mid..]))
}

/// The hash at `index`, taken from `tile`'s data.
pub fn hash_from_tile(tile: &Tile, data: &[u8], index: u64) -> Result<Hash> {
    if tile.h < 1 || tile.h > 30 || tile.l > 63 || tile.w < 1 || tile.w > tile.full_width() {
        return Err(TrustError::malformed(format!(
            "invalid tile {}",
            tile.path()
        )));
    }
    if data.len() != tile.data_len() {
        return Err(TrustError::malformed(format!(
            "tile {} has {} bytes, want {}",
            tile.path(),
            data.len(),
            tile.data_len()
        )));
    }
    let (t1, start, end) = Tile::for_index(tile.h, index);
    if t1.l != tile.l || t1.n != tile.n || t1.w > tile.w {
        return Err(TrustError::malformed(format!(
            "hash {index} is in tile {}, not {}",
            t1.path(),
            tile.path()
        )));
    }
    Ok(tile_hash(&data[start..end]))
}

/// The data of `tile`, read from a log in storage order (for servers).
pub fn read_tile_data(tile: &Tile, r: &mut dyn HashReader) -> Result<Vec<u8>> {
    let start = tile.n << tile.h;
    let indexes: Vec<u64> = (0..u64::from(tile.w))
        .map(|i| stored_hash_index(tile.h * tile.l, start + i))
        .collect();
    let hashes = read_exact(r, &indexes)?;
    Ok(hashes.iter().flat_map(|h| h.0).collect())
}

/// Where tile data comes from: a cache, a server.
pub trait TileSource {
    /// Returns data for each tile, in order. Data need not be trusted: the
    /// reader checks its length and authenticates it before use.
    fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>>;

    /// Called with tiles that were just authenticated, for caching.
    fn save_tiles(&mut self, tiles: &[Tile], data: &[Vec<u8>]);
}

/// The tiles needed to return `indexes` from the tree of size `n`, in an
/// order where every tile comes after the tile that authenticates it. The
/// first `roots` tiles are authenticated by the tree hash itself.
struct TilePlan {
    tiles: Vec<Tile>,
    /// (tile position, storage index) of each hash combined into the root.
    root_hashes: Vec<(usize, u64)>,
    /// Tile position of each requested index.
    index_tiles: Vec<usize>,
}

fn plan(h: u32, n: u64, indexes: &[u64]) -> Result<TilePlan> {
    let mut order: HashMap<Tile, usize> = HashMap::new();
    let mut tiles = Vec::new();
    let mut root_hashes = Vec::new();
    let mut stx = Vec::new();
    sub_tree_index(0, n, &mut stx);
    for &x in &stx {
        let tile = Tile::for_index(h, x).0;
        let tile = tile
            .parent(0, n)
            .ok_or_else(|| TrustError::malformed("tree hash tile outside the tree"))?;
        let pos = *order.entry(tile).or_insert_with(|| {
            tiles.push(tile);
            tiles.len() - 1
        });
        root_hashes.push((pos, x));
    }
    let limit = stored_hash_index(0, n);
    let mut index_tiles = Vec::with_capacity(indexes.len());
    for &x in indexes {
        if x >= limit {
            return Err(TrustError::malformed(format!(
                "hash {x} is not in a tree of size {n}"
            )));
        }
        let tile = Tile::for_index(h, x).0;
        // Climb until a tile already planned; it authenticates the path.
        let mut k = 0;
        loop {
            if k > 64 {
                return Err(TrustError::malformed(format!(
                    "no authenticated ancestor for hash {x} in tree of size {n}"
                )));
            }
            if tile.parent(k, n).is_some_and(|p| order.contains_key(&p)) {
                break;
            }
            k += 1;
        }
        // Then add the tiles below it, parents first. Tiles with a parent
        // tile are complete, by construction of the tiling.
        for j in (0..k).rev() {
            let p = tile
                .parent(j, n)
                .ok_or_else(|| TrustError::malformed("tile outside the tree"))?;
            if !p.is_full() {
                return Err(TrustError::malformed(format!(
                    "partial tile {} below a parent in tree of size {n}",
                    p.path()
                )));
            }
            order.insert(p, tiles.len());
            tiles.push(p);
        }
        let own = tile
            .parent(0, n)
            .and_then(|t| order.get(&t).copied())
            .ok_or_else(|| TrustError::malformed("lost tile of a requested hash"))?;
        index_tiles.push(own);
    }
    Ok(TilePlan {
        tiles,
        root_hashes,
        index_tiles,
    })
}

/// The tiles needed to compute the root hash of the tree of size n.
pub fn tiles_for_tree_hash(h: u32, n: u64) -> Result<Vec<Tile>> {
    Ok(plan(h, n, &[])?.tiles)
}

/// The tiles needed to prove record i is in the tree of size n.
pub fn tiles_for_inclusion(h: u32, i: u64, n: u64) -> Result<Vec<Tile>> {
    if i >= n {
        return Err(TrustError::malformed(format!(
            "record {i} is not in a tree of size {n}"
        )));
    }
    Ok(plan(h, n, &[stored_hash_index(0, i)])?.tiles)
}

/// The tiles of the tree of size m needed to prove it extends size n.
pub fn tiles_for_consistency(h: u32, n: u64, m: u64) -> Result<Vec<Tile>> {
    if n > m {
        return Err(TrustError::malformed(format!(
            "a tree of size {m} cannot extend one of size {n}"
        )));
    }
    let mut indexes = Vec::new();
    sub_tree_index(0, n, &mut indexes);
    Ok(plan(h, m, &indexes)?.tiles)
}

/// Reads hashes of a signed tree through tiles, authenticating every tile
/// it uses against the tree hash before returning anything from it.
pub struct TileHashReader<'a> {
    tree: Tree,
    height: u32,
    source: &'a mut dyn TileSource,
}

impl<'a> TileHashReader<'a> {
    pub fn new(tree: Tree, height: u32, source: &'a mut dyn TileSource) -> Self {
        TileHashReader {
            tree,
            height,
            source,
        }
    }
}

impl HashReader for TileHashReader<'_> {
    fn read_hashes(&mut self, indexes: &[u64]) -> Result<Vec<Hash>> {
        let n = self.tree.n;
        if n == 0 || n > MAX_TREE_SIZE {
            return Err(TrustError::malformed(format!(
                "cannot read hashes from a tree of size {n}"
            )));
        }
        let p = plan(self.height, n, indexes)?;
        let data = self.source.read_tiles(&p.tiles)?;
        if data.len() != p.tiles.len() {
            return Err(TrustError::malformed(format!(
                "tile source returned {} tiles, want {}",
                data.len(),
                p.tiles.len()
            )));
        }
        for (t, d) in p.tiles.iter().zip(&data) {
            if d.len() != t.data_len() {
                return Err(TrustError::malformed(format!(
                    "tile {} has {} bytes, want {}",
                    t.path(),
                    d.len(),
                    t.data_len()
                )));
            }
        }
        authenticate(&self.tree, &p, &data)?;
        self.source.save_tiles(&p.tiles, &data);

        indexes
            .iter()
            .zip(&p.index_tiles)
            .map(|(&x, &pos)| hash_from_tile(&p.tiles[pos], &data[pos], x))
            .collect()
    }
}

/// Authenticates every planned tile against the signed `tree`, or fails.
///
/// A tile becomes trusted in one of two ways only: it lies on the tree's
/// right edge and its hashes, every byte of them, combine into the signed
/// root; or its own hash equals its entry in a parent tile trusted already.
/// The chain is followed however tall the tree is, so a forged tile cannot
/// hide below a forged parent (Go's client before x/mod v0.40.0 skipped
/// some tiles when the right edge shared tiles, CVE-2026-56865).
fn authenticate(tree: &Tree, p: &TilePlan, data: &[Vec<u8>]) -> Result<()> {
    let mut trusted = vec![false; p.tiles.len()];

    // The right-edge tiles: the root hashes use all of their bytes.
    let mut root: Option<Hash> = None;
    for &(pos, x) in p.root_hashes.iter().rev() {
        let h = hash_from_tile(&p.tiles[pos], &data[pos], x)?;
        root = Some(match root {
            None => h,
            Some(r) => node_hash(&h, &r),
        });
    }
    if root != Some(tree.hash) {
        return Err(TrustError::inconsistent(format!(
            "downloaded tiles do not hash to the signed {tree}"
        )));
    }
    for &(pos, _) in &p.root_hashes {
        trusted[pos] = true;
    }

    // Every other tile is full and hashes to its entry in its parent,
    // which the plan puts earlier, so it is trusted by the time it is used.
    let n = tree.n;
    let positions: HashMap<Tile, usize> =
        p.tiles.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    for (i, tile) in p.tiles.iter().enumerate() {
        if trusted[i] {
            continue;
        }
        if !tile.is_full() {
            return Err(TrustError::malformed(format!(
                "partial tile {} is not on the right edge of the {tree}",
                tile.path()
            )));
        }
        let parent = tile
            .parent(1, n)
            .ok_or_else(|| TrustError::malformed("tile without a parent"))?;
        let j = *positions
            .get(&parent)
            .filter(|&&j| trusted[j])
            .ok_or_else(|| TrustError::malformed("tile planned before its parent"))?;
        let want = hash_from_tile(
            &parent,
            &data[j],
            stored_hash_index(parent.l * parent.h, tile.n),
        )?;
        if tile_hash(&data[i]) != want {
            return Err(TrustError::inconsistent(format!(
                "tile {} does not hash to its entry in {} of the signed {tree}",
                tile.path(),
                parent.path(),
            )));
        }
        trusted[i] = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::error::ErrorKind;

    fn hex(s: &str) -> Hash {
        let mut h = [0u8; 32];
        for (i, b) in h.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        Hash(h)
    }

    /// A log in storage order, with the tree head after each record.
    struct Log {
        stored: Vec<Hash>,
        leaves: Vec<Hash>,
    }

    impl Log {
        fn new(records: impl IntoIterator<Item = Vec<u8>>) -> Log {
            let mut log = Log {
                stored: Vec::new(),
                leaves: Vec::new(),
            };
            for (i, r) in records.into_iter().enumerate() {
                let h = record_hash(&r);
                let more = stored_hashes_for_record_hash(i as u64, h, &mut log.stored).unwrap();
                assert_eq!(log.stored.len() as u64, stored_hash_index(0, i as u64));
                log.stored.extend(more);
                log.leaves.push(h);
                assert_eq!(log.stored.len() as u64, stored_hash_count(i as u64 + 1));
            }
            log
        }

        fn tree(&mut self, n: u64) -> Tree {
            Tree {
                n,
                hash: tree_hash(n, &mut self.stored).unwrap(),
            }
        }
    }

    /// Straight from RFC 6962's definition, as an independent reference.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_tree_hash(),
            1 => leaves[0],
            n => {
                let k = maxpow2(n as u64).0 as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn ct_leaves() -> Vec<Vec<u8>> {
        vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            vec![0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            (0x60..=0x6f).collect(),
        ]
    }

    const CT_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn rfc6962_vectors() {
        assert_eq!(
            empty_tree_hash(),
            hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        let mut log = Log::new(ct_leaves());
        for (i, root) in CT_ROOTS.iter().enumerate() {
            assert_eq!(log.tree(i as u64 + 1).hash, hex(root), "size {}", i + 1);
        }
        let tree = log.tree(8);
        // Published audit paths for leaves 0 and 5 of the 8-leaf tree.
        let p0 = [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]
        .map(hex);
        let p5 = [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]
        .map(hex);
        assert_eq!(prove_record(8, 0, &mut log.stored).unwrap(), p0);
        assert_eq!(prove_record(8, 5, &mut log.stored).unwrap(), p5);
        check_record(&p0, &tree, 0, log.leaves[0]).unwrap();
        check_record(&p5, &tree, 5, log.leaves[5]).unwrap();
        assert!(check_record(&p5, &tree, 4, log.leaves[5]).is_err());
        assert!(check_record(&p0, &tree, 0, log.leaves[1]).is_err());
        // Go's tree note test: RecordHash("hello world").
        assert_eq!(
            record_hash(b"hello world").to_string(),
            "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
        );
    }

    #[test]
    fn storage_index_round_trips() {
        for level in 0..10 {
            for n in 0..300 {
                let i = stored_hash_index(level, n);
                assert_eq!(split_stored_hash_index(i), (level, n));
            }
        }
        for i in 0..5000 {
            let (l, n) = split_stored_hash_index(i);
            assert_eq!(stored_hash_index(l, n), i);
        }
    }

    #[test]
    fn proofs_over_many_sizes() {
        let mut log = Log::new((0..130u32).map(|i| format!("leaf {i}").into_bytes()));
        for t in 1..=130u64 {
            let tree = log.tree(t);
            assert_eq!(tree.hash, mth(&log.leaves[..t as usize]));
            for n in 0..t {
                let p = prove_record(t, n, &mut log.stored).unwrap();
                check_record(&p, &tree, n, log.leaves[n as usize]).unwrap();
                if n > 0 {
                    assert!(check_record(&p, &tree, n - 1, log.leaves[n as usize]).is_err());
                }
            }
            for n in 1..=t {
                let older = log.tree(n);
                let p = prove_tree(t, n, &mut log.stored).unwrap();
                check_tree(&p, &tree, &older).unwrap();
                let wrong = Tree {
                    n,
                    hash: record_hash(b"x"),
                };
                assert!(check_tree(&p, &tree, &wrong).is_err());
            }
        }
    }

    #[test]
    fn tile_paths() {
        let t = Tile {
            h: 3,
            l: 4,
            n: 1234067,
            w: 1,
        };
        assert_eq!(t.path(), "tile/3/4/x001/x234/067.p/1");
        assert_eq!(t.full().path(), "tile/3/4/x001/x234/067");
        for p in [
            "tile/8/0/000",
            "tile/8/0/000.p/1",
            "tile/8/1/x001/x234/067.p/255",
            "tile/8/2/999",
            "tile/3/4/x001/x234/067",
        ] {
            assert_eq!(Tile::parse_path(p).unwrap().path(), p);
        }
        for p in [
            "tile/8/0/1",
            "tile/8/0/0001",
            "tile/8/0/x000/001",
            "tile/8/0/001/002",
            "tile/8/0/000.p/256",
            "tile/8/0/000.p/0",
            "tile/8/0/000.p/007",
            "tile/8/data/000",
            "tile/8/-1/000",
            "tile/31/0/000",
            "tile/0/0/000",
            "tile/8/0/",
            "tile/8/0/x1000/000",
            "tiles/8/0/000",
            "tile/8/0/+01",
        ] {
            assert!(Tile::parse_path(p).is_err(), "{p}");
        }
    }

    /// Serves tiles from a log, optionally damaged, counting what it served.
    struct Tiles<'a> {
        log: &'a mut Log,
        h: u32,
        corrupt: Option<Tile>,
        short: Option<Tile>,
        /// Tiles served instead of the log's, as a lying proxy would.
        forged: HashMap<Tile, Vec<u8>>,
        served: Vec<Tile>,
        saved: usize,
    }

    impl TileSource for Tiles<'_> {
        fn read_tiles(&mut self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
            self.served.extend_from_slice(tiles);
            tiles
                .iter()
                .map(|t| {
                    if let Some(d) = self.forged.get(t) {
                        return Ok(d.clone());
                    }
                    let mut d = read_tile_data(t, &mut self.log.stored)?;
                    if self.corrupt == Some(*t) {
                        let k = d.len() - 1;
                        d[k] ^= 1;
                    }
                    if self.short == Some(*t) {
                        d.truncate(d.len() - HASH_SIZE);
                    }
                    Ok(d)
                })
                .collect()
        }

        fn save_tiles(&mut self, tiles: &[Tile], _data: &[Vec<u8>]) {
            self.saved += tiles.len();
        }
    }

    fn tiles(log: &mut Log, h: u32) -> Tiles<'_> {
        Tiles {
            log,
            h,
            corrupt: None,
            short: None,
            forged: HashMap::new(),
            served: Vec::new(),
            saved: 0,
        }
    }

    #[test]
    fn tile_reader_authenticates() {
        // Height 2 makes every shape of the tiling appear in a small log.
        let mut log = Log::new((0..100u32).map(|i| format!("leaf {i}").into_bytes()));
        let trees: Vec<Tree> = (1..=100).map(|n| log.tree(n)).collect();
        for tree in &trees {
            let n = tree.n;
            for i in 0..n {
                let mut src = tiles(&mut log, 2);
                let h = src.h;
                let mut r = TileHashReader::new(*tree, h, &mut src);
                let got = r.read_hashes(&[stored_hash_index(0, i)]).unwrap();
                assert_eq!(got[0], src.log.leaves[i as usize]);
                assert_eq!(src.saved, src.served.len());
                let plan = tiles_for_inclusion(2, i, n).unwrap();
                assert_eq!(plan, src.served);
            }
            for older in &trees[..n as usize] {
                let mut src = tiles(&mut log, 2);
                let mut r = TileHashReader::new(*tree, 2, &mut src);
                assert_eq!(tree_hash(older.n, &mut r).unwrap(), older.hash);
            }
        }
    }

    #[test]
    fn every_byte_of_every_tile_is_checked() {
        let mut log = Log::new((0..700u32).map(|i| format!("rec {i}").into_bytes()));
        for (n, i) in [
            (700u64, 3u64),
            (700, 699),
            (512, 17),
            (300, 299),
            (257, 256),
            (65, 1),
        ] {
            let tree = log.tree(n);
            let plan = tiles_for_inclusion(TILE_HEIGHT, i, n).unwrap();
            for t in &plan {
                for short in [false, true] {
                    let mut src = tiles(&mut log, TILE_HEIGHT);
                    if short {
                        src.short = Some(*t);
                    } else {
                        src.corrupt = Some(*t);
                    }
                    let mut r = TileHashReader::new(tree, TILE_HEIGHT, &mut src);
                    let err = r.read_hashes(&[stored_hash_index(0, i)]).unwrap_err();
                    let want = if short {
                        ErrorKind::Malformed
                    } else {
                        ErrorKind::Inconsistent
                    };
                    assert_eq!(err.kind(), want, "{} n={n} i={i}", t.path());
                    assert_eq!(src.saved, 0);
                }
            }
        }
    }

    /// The tiles a lying proxy forges so that record i of the tree of size
    /// n reads as `leaf`: the record's tile with that entry replaced, then
    /// every full ancestor with the entry of the tile below replaced by its
    /// new hash. It stops at the first tile on the tree's right edge, which
    /// the signed root pins; every forged tile hashes into its forged
    /// parent, so only a check that reaches that pinned tile sees the lie.
    fn forge_record(log: &mut Log, h: u32, n: u64, i: u64, leaf: Hash) -> Vec<(Tile, Vec<u8>)> {
        let mut forged = Vec::new();
        let (tile, _, _) = Tile::for_index(h, stored_hash_index(0, i));
        let mut tile = tile.parent(0, n).unwrap();
        let (mut entry, mut hash) = (i, leaf);
        while tile.is_full() {
            let mut d = read_tile_data(&tile, &mut log.stored).unwrap();
            let at = (entry % (1 << h)) as usize * HASH_SIZE;
            d[at..at + HASH_SIZE].copy_from_slice(&hash.0);
            (entry, hash) = (tile.n, tile_hash(&d));
            forged.push((tile, d));
            tile = tile.parent(1, n).unwrap();
        }
        forged
    }

    /// Reads record i's hash with `forged` served in place of the log's
    /// tiles; returns the error and whether anything was cached.
    fn read_forged(
        log: &mut Log,
        h: u32,
        n: u64,
        i: u64,
        forged: Vec<(Tile, Vec<u8>)>,
    ) -> (Result<Vec<Hash>>, usize) {
        let tree = log.tree(n);
        let mut src = tiles(log, h);
        src.forged = forged.into_iter().collect();
        let got = TileHashReader::new(tree, h, &mut src).read_hashes(&[stored_hash_index(0, i)]);
        (got, src.saved)
    }

    #[test]
    fn forged_tiles_are_refused_at_every_height() {
        // Heights 1 to 3 give trees of 100 records up to seven tile levels,
        // so forged chains of one to six tiles all occur. Every size at
        // height 2, a few telling ones at the others.
        let mut log = Log::new((0..100u32).map(|i| format!("leaf {i}").into_bytes()));
        let evil = record_hash(b"evil");
        let mut chains = [0usize; 7];
        let sizes = |h: u32| -> Vec<u64> {
            match h {
                2 => (1..=100).collect(),
                _ => vec![1, 2, 8, 9, 17, 31, 33, 48, 64, 65, 97, 100],
            }
        };
        for h in 1..=3 {
            for n in sizes(h) {
                for i in 0..n {
                    let forged = forge_record(&mut log, h, n, i, evil);
                    chains[forged.len()] += 1;
                    if forged.is_empty() {
                        continue;
                    }
                    let what = format!(
                        "h={h} n={n} i={i} forged {:?}",
                        forged.iter().map(|t| t.0.path()).collect::<Vec<_>>()
                    );
                    let (got, saved) = read_forged(&mut log, h, n, i, forged);
                    assert_eq!(got.unwrap_err().kind(), ErrorKind::Inconsistent, "{what}");
                    assert_eq!(saved, 0, "{what}");
                }
            }
        }
        assert!(chains.iter().all(|&c| c > 0), "{chains:?}");
    }

    #[test]
    fn forged_tiles_are_refused_in_a_tree_of_three_levels() {
        // Height 8, as the Go checksum database serves: over 65536 records
        // level 1 is not the top, and a record in the first 65536 can be
        // forged with two tiles (levels 0 and 1) that hash into each other.
        let n = 70_001u64;
        let mut log = Log::new((0..n).map(|i| format!("rec {i}").into_bytes()));
        let evil = record_hash(b"evil");
        for (i, want) in [
            (0u64, 2usize),
            (35_000, 2),
            (65_535, 2),
            (65_536, 1),
            (69_999, 0),
        ] {
            let forged = forge_record(&mut log, TILE_HEIGHT, n, i, evil);
            let paths: Vec<String> = forged.iter().map(|t| t.0.path()).collect();
            assert_eq!(forged.len(), want, "record {i}: {paths:?}");
            let (honest, _) = read_forged(&mut log, TILE_HEIGHT, n, i, Vec::new());
            assert_eq!(honest.unwrap(), [log.leaves[i as usize]]);
            if want == 0 {
                continue;
            }
            let (got, saved) = read_forged(&mut log, TILE_HEIGHT, n, i, forged);
            let err = got.unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::Inconsistent,
                "record {i}: {paths:?}: {err}"
            );
            assert_eq!(saved, 0, "record {i}");
        }
        // One wrong byte in any tile of the plan, the partial tiles on the
        // right edge of every level included, is caught too.
        let plan = tiles_for_inclusion(TILE_HEIGHT, 35_000, n).unwrap();
        let paths: Vec<String> = plan.iter().map(Tile::path).collect();
        assert_eq!(
            paths,
            [
                "tile/8/2/000.p/1",
                "tile/8/1/001.p/17",
                "tile/8/0/273.p/113",
                "tile/8/1/000",
                "tile/8/0/136"
            ]
        );
        let tree = log.tree(n);
        for t in plan {
            let mut src = tiles(&mut log, TILE_HEIGHT);
            src.corrupt = Some(t);
            let got = TileHashReader::new(tree, TILE_HEIGHT, &mut src)
                .read_hashes(&[stored_hash_index(0, 35_000)]);
            assert_eq!(
                got.unwrap_err().kind(),
                ErrorKind::Inconsistent,
                "{}",
                t.path()
            );
            assert_eq!(src.saved, 0, "{}", t.path());
        }
    }

    #[test]
    fn tile_plans_at_height_8() {
        let paths = |ts: Vec<Tile>| ts.iter().map(Tile::path).collect::<Vec<_>>();
        assert_eq!(
            paths(tiles_for_tree_hash(8, 300).unwrap()),
            ["tile/8/1/000.p/1", "tile/8/0/001.p/44"]
        );
        assert_eq!(
            paths(tiles_for_inclusion(8, 5, 300).unwrap()),
            ["tile/8/1/000.p/1", "tile/8/0/001.p/44", "tile/8/0/000"]
        );
        assert_eq!(
            paths(tiles_for_consistency(8, 300, 600).unwrap()),
            ["tile/8/1/000.p/2", "tile/8/0/002.p/88", "tile/8/0/001"]
        );
        assert!(tiles_for_inclusion(8, 300, 300).is_err());
        assert!(tiles_for_consistency(8, 301, 300).is_err());
    }

    #[test]
    fn wrong_tree_is_rejected() {
        let mut log = Log::new((0..300u32).map(|i| format!("rec {i}").into_bytes()));
        let mut tree = log.tree(300);
        tree.hash = record_hash(b"forged");
        let mut src = tiles(&mut log, 8);
        let mut r = TileHashReader::new(tree, 8, &mut src);
        assert_eq!(
            r.read_hashes(&[0]).unwrap_err().kind(),
            ErrorKind::Inconsistent
        );
        let tree = log.tree(300);
        let mut src = tiles(&mut log, 8);
        let mut r = TileHashReader::new(tree, 8, &mut src);
        assert_eq!(
            r.read_hashes(&[stored_hash_index(0, 300)])
                .unwrap_err()
                .kind(),
            ErrorKind::Malformed
        );
    }
}
