//! A loopback module proxy with a checksum database at `/sumdb/<name>/`
//! (its own Ed25519 key, real tiles over a log of a few hundred records or,
//! for trees of three tile levels, over 65536 (about 0.4 s of CPU to build),
//! switches that make it misbehave), and a packer that turns a Go release
//! tarball into a toolchain module zip the way Go's cmd/distpack does.
//! Packed zips are cached under target/ by the tarball's sha256, so a
//! release is packed once per machine, not once per test binary.
//!
//! The Merkle tree here is computed level by level, independently of gov's
//! storage-index code, so the two check each other; real `go` checks both
//! (tests/it/proxy_toolchains.rs runs go1.21.13 through this fixture).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};

pub const TOOLCHAIN: &str = "golang.org/toolchain";
pub const TOOLCHAIN_MOD: &str = "module golang.org/toolchain\n";

fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn leaf(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0]);
    h.update(data);
    h.finalize().into()
}

fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * b.len());
    for x in b {
        s.push(DIGITS[usize::from(x >> 4)] as char);
        s.push(DIGITS[usize::from(x & 15)] as char);
    }
    s
}

/// `h1:` over (name, content sha256) pairs, from the definition.
pub fn h1(files: &[(String, [u8; 32])]) -> String {
    let mut files = files.to_vec();
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut lines = String::new();
    for (name, sum) in &files {
        lines.push_str(&format!("{}  {name}\n", hex(sum)));
    }
    format!("h1:{}", STANDARD.encode(sha(lines.as_bytes())))
}

pub fn go_mod_h1(content: &[u8]) -> String {
    h1(&[("go.mod".to_string(), sha(content))])
}

/// An append-only log with every complete level kept.
#[derive(Clone)]
pub struct Log {
    pub records: Vec<String>,
    levels: Vec<Vec<[u8; 32]>>,
}

impl Log {
    pub fn new() -> Log {
        Log {
            records: Vec::new(),
            levels: vec![Vec::new()],
        }
    }

    pub fn push(&mut self, text: String) -> u64 {
        self.levels[0].push(leaf(text.as_bytes()));
        self.records.push(text);
        let mut l = 0;
        while self.levels[l].len().is_multiple_of(2) {
            let row = &self.levels[l];
            let h = node(&row[row.len() - 2], &row[row.len() - 1]);
            if self.levels.len() == l + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[l + 1].push(h);
            l += 1;
        }
        self.records.len() as u64 - 1
    }

    pub fn size(&self) -> u64 {
        self.records.len() as u64
    }

    /// RFC 6962 root of the leaves [lo, hi).
    fn mth(&self, lo: usize, hi: usize) -> [u8; 32] {
        let n = hi - lo;
        if n == 0 {
            return sha(b"");
        }
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            return self.levels[n.trailing_zeros() as usize][lo / n];
        }
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        node(&self.mth(lo, lo + k), &self.mth(lo + k, hi))
    }

    pub fn root(&self) -> [u8; 32] {
        self.mth(0, self.records.len())
    }

    /// Data of tile (height 8, level l, index n, width w) if the log has it.
    pub fn tile(&self, l: usize, n: u64, w: u64) -> Option<Vec<u8>> {
        let row = self.levels.get(8 * l)?;
        let start = usize::try_from(n.checked_mul(256)?).ok()?;
        let end = start.checked_add(usize::try_from(w).ok()?)?;
        if w == 0 || w > 256 || end > row.len() {
            return None;
        }
        Some(row[start..end].iter().flatten().copied().collect())
    }

    /// The log of the first n records (an older tree head of the same log).
    pub fn prefix(&self, n: u64) -> Log {
        let mut log = Log::new();
        for r in self.records.iter().take(n as usize) {
            log.push(r.clone());
        }
        log
    }

    /// The tiles a lying proxy forges so that record `id` reads as `text`:
    /// the record's level-0 tile with its hash replaced, then every full
    /// tile above with the entry of the tile below replaced by that tile's
    /// new hash, up to the first tile on the tree's right edge (which the
    /// signed root pins). Keyed by (level, index); all are full tiles. In a
    /// tree of more than 65536 records, a record among the first 65536
    /// takes two: levels 0 and 1.
    pub fn forged_path(&self, id: u64, text: &str) -> BTreeMap<(usize, u64), Vec<u8>> {
        let mut forged = BTreeMap::new();
        let (mut entry, mut hash) = (id, leaf(text.as_bytes()));
        for l in 0.. {
            let n = entry / 256;
            let Some(mut d) = self.tile(l, n, 256) else {
                break;
            };
            let at = (entry % 256) as usize * 32;
            d[at..at + 32].copy_from_slice(&hash);
            let mut row: Vec<[u8; 32]> = d
                .chunks(32)
                .map(|c| c.try_into().expect("32-byte chunks"))
                .collect();
            while row.len() > 1 {
                row = row.chunks(2).map(|p| node(&p[0], &p[1])).collect();
            }
            (entry, hash) = (n, row[0]);
            forged.insert((l, n), d);
        }
        forged
    }

    pub fn find(&self, module: &str, version: &str) -> Option<u64> {
        let prefix = format!("{module} {version} ");
        self.records
            .iter()
            .position(|r| r.starts_with(&prefix))
            .map(|i| i as u64)
    }
}

/// A record of another module. Its hashes are the same for every filler
/// record (nothing fetches those modules), which keeps a log of 70000
/// records quick to build: one record hash and about one node hash each.
fn push_filler(log: &mut Log, i: usize, tag: &str) {
    static H1: OnceLock<String> = OnceLock::new();
    let h = H1.get_or_init(|| go_mod_h1(b"module example.com/filler\n"));
    let v = i % 7;
    log.push(format!(
        "example.com/{tag}{i} v1.{v}.0 {h}\nexample.com/{tag}{i} v1.{v}.0/go.mod {h}\n"
    ));
}

/// The same log signed by the same key with record 3 rewritten and 20
/// more records: a fork, inconsistent with every head of `log` past 3.
fn fork_of(log: &Log) -> Log {
    let mod_h1 = go_mod_h1(TOOLCHAIN_MOD.as_bytes());
    let mut fork = Log::new();
    for (i, r) in log.records.iter().enumerate() {
        if i == 3 {
            fork.push(record_text("evil.example/m", "v1.0.0", &mod_h1, &mod_h1));
        } else {
            fork.push(r.clone());
        }
    }
    for i in 0..20 {
        push_filler(&mut fork, i, "forked");
    }
    fork
}

/// Record text as sum.golang.org writes it.
pub fn record_text(module: &str, version: &str, zip_h1: &str, mod_h1: &str) -> String {
    format!("{module} {version} {zip_h1}\n{module} {version}/go.mod {mod_h1}\n")
}

/// What the servers do wrong, on purpose.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tamper {
    /// Serve a valid zip with one extra file (its h1 differs).
    pub zip: bool,
    /// Lookup answers carry the record with another h1 (not in the log).
    pub wrong_record: bool,
    /// Lookup answers carry another module's authentic record.
    pub other_module_record: bool,
    /// Lookups of toolchain versions answer 404.
    pub missing_record: bool,
    /// Serve a bigger log whose early records differ, signed by the same key.
    pub forked: bool,
    /// Tree notes carry a corrupted signature.
    pub bad_signature: bool,
    /// A proxy that lies with tiles: toolchain lookups answer a record with
    /// the tampered zip's h1 at the honest record's id, every full tile
    /// above it is forged to hash into the next (two tiles when the log has
    /// over 65536 records), and the tampered zip is served. Go's clients
    /// before x/mod v0.40.0 (go1.25.13, go1.26.6) accept it.
    pub forged_tiles: bool,
    /// Serve the log (or the fork) this many records short: a mirror that
    /// lags behind, signing an older tree head.
    pub lag: u64,
}

#[derive(Clone)]
pub struct Toolchain {
    pub version: String,
    pub zip: Arc<Vec<u8>>,
    pub tampered_zip: Arc<Vec<u8>>,
    pub info: String,
    pub zip_h1: String,
    pub tampered_zip_h1: String,
}

struct State {
    log: Log,
    /// What `tamper` serves instead of `log`, when it differs.
    served: Option<Log>,
    tamper: Tamper,
    toolchains: BTreeMap<String, Toolchain>,
    /// More `@v/list` lines (versions whose zips are not served).
    extra_list: Vec<String>,
    requests: Vec<String>,
}

/// A module proxy with a checksum database at `/sumdb/<name>/`.
pub struct Fixture {
    pub name: String,
    key: SigningKey,
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Fixture {
    /// Serves `toolchains` with `filler` records of other modules around
    /// theirs, signed by a key made from `seed`.
    pub fn start(name: &str, seed: [u8; 32], toolchains: Vec<Toolchain>, filler: usize) -> Fixture {
        let mut log = Log::new();
        for i in 0..filler / 2 {
            push_filler(&mut log, i, "mod");
        }
        let mod_h1 = go_mod_h1(TOOLCHAIN_MOD.as_bytes());
        for t in &toolchains {
            let v = format!("v0.0.1-{}.linux-amd64", t.version);
            log.push(record_text(TOOLCHAIN, &v, &t.zip_h1, &mod_h1));
        }
        for i in filler / 2..filler {
            push_filler(&mut log, i, "mod");
        }
        let state = Arc::new(Mutex::new(State {
            log,
            served: None,
            tamper: Tamper::default(),
            toolchains: toolchains
                .into_iter()
                .map(|t| (format!("v0.0.1-{}.linux-amd64", t.version), t))
                .collect(),
            extra_list: Vec::new(),
            requests: Vec::new(),
        }));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let fx = Fixture {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
            base,
            state,
        };
        let server = Server {
            name: fx.name.clone(),
            key: fx.key.clone(),
            state: fx.state.clone(),
        };
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = server.clone();
                thread::spawn(move || {
                    let _ = s.handle(conn);
                });
            }
        });
        fx
    }

    /// The verifier key, `<name>+<hash>+<key>`.
    pub fn vkey(&self) -> String {
        let (raw, kh) = key_hash(&self.name, &self.key);
        format!("{}+{}+{}", self.name, hex(&kh), STANDARD.encode(raw))
    }

    /// The checksum database's base URL.
    pub fn sumdb_url(&self) -> String {
        format!("{}/sumdb/{}", self.base, self.name)
    }

    pub fn set_tamper(&self, t: Tamper) {
        let mut st = self.lock();
        let short = |log: &Log| log.prefix(log.size().saturating_sub(t.lag));
        st.served = if t.forked {
            Some(short(&fork_of(&st.log)))
        } else if t.lag > 0 {
            Some(short(&st.log))
        } else {
            None
        };
        st.tamper = t;
    }

    /// Appends filler records, growing the honest log.
    pub fn grow(&self, n: usize) {
        let mut st = self.lock();
        let start = st.log.size() as usize;
        for i in start..start + n {
            let m = format!("example.com/late{i}");
            let t = record_text(
                &m,
                "v1.0.0",
                &go_mod_h1(m.as_bytes()),
                &go_mod_h1(m.as_bytes()),
            );
            st.log.push(t);
        }
    }

    /// Appends one record (`record_text`'s form) to the honest log: a
    /// module the database vouches for.
    pub fn push_record(&self, text: String) {
        self.lock().log.push(text);
    }

    /// Adds versions to `@v/list` only.
    pub fn list_also(&self, versions: &[&str]) {
        self.lock()
            .extra_list
            .extend(versions.iter().map(|v| v.to_string()));
    }

    /// Drops the recorded requests.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The signed tree note the database serves now.
    pub fn latest_note(&self) -> Vec<u8> {
        let server = Server {
            name: self.name.clone(),
            key: self.key.clone(),
            state: self.state.clone(),
        };
        let st = self.lock();
        server.signed_tree(st.served_log(), false)
    }

    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    pub fn log(&self) -> Log {
        self.lock().log.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// The log the servers answer from now.
    fn served_log(&self) -> &Log {
        self.served.as_ref().unwrap_or(&self.log)
    }

    /// The tiles `Tamper::forged_tiles` serves: the forged path above each
    /// toolchain's record (toolchains whose records share a tile are not
    /// forged consistently; the fixtures serve one toolchain).
    fn forged_tiles(&self) -> BTreeMap<(usize, u64), Vec<u8>> {
        let log = self.served_log();
        let mod_h1 = go_mod_h1(TOOLCHAIN_MOD.as_bytes());
        let mut forged = BTreeMap::new();
        for (v, t) in &self.toolchains {
            if let Some(id) = log.find(TOOLCHAIN, v) {
                let text = record_text(TOOLCHAIN, v, &t.tampered_zip_h1, &mod_h1);
                forged.extend(log.forged_path(id, &text));
            }
        }
        forged
    }
}

#[derive(Clone)]
struct Server {
    name: String,
    key: SigningKey,
    state: Arc<Mutex<State>>,
}

enum Body {
    Bytes(Vec<u8>),
    Shared(Arc<Vec<u8>>),
}

impl Server {
    fn signed_tree(&self, log: &Log, bad: bool) -> Vec<u8> {
        let text = format!(
            "go.sum database tree\n{}\n{}\n",
            log.size(),
            STANDARD.encode(log.root())
        );
        let (_, kh) = key_hash(&self.name, &self.key);
        let mut sig = kh.to_vec();
        sig.extend(self.key.sign(text.as_bytes()).to_bytes());
        if bad {
            sig[10] ^= 0x40;
        }
        format!("{text}\n\u{2014} {} {}\n", self.name, STANDARD.encode(sig)).into_bytes()
    }

    fn route(&self, path: &str) -> (u16, Body) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.requests.push(path.to_string());
        let not_found = (404, Body::Bytes(b"not found\n".to_vec()));
        let tamper = st.tamper;
        if let Some(rest) = path.strip_prefix("/golang.org/toolchain/@v/") {
            if rest == "list" {
                let list: String = st
                    .toolchains
                    .keys()
                    .chain(&st.extra_list)
                    .map(|v| format!("{v}\n"))
                    .collect();
                return (200, Body::Bytes(list.into_bytes()));
            }
            let Some((ver, ext)) = rest.rsplit_once('.') else {
                return not_found;
            };
            let Some(t) = st.toolchains.get(ver) else {
                return not_found;
            };
            return match ext {
                "info" => (200, Body::Bytes(t.info.clone().into_bytes())),
                "mod" => (200, Body::Bytes(TOOLCHAIN_MOD.as_bytes().to_vec())),
                "zip" if tamper.zip || tamper.forged_tiles => {
                    (200, Body::Shared(t.tampered_zip.clone()))
                }
                "zip" => (200, Body::Shared(t.zip.clone())),
                _ => not_found,
            };
        }
        let Some(rest) = path.strip_prefix(&format!("/sumdb/{}/", self.name)) else {
            return not_found;
        };
        let log = st.served_log();
        if rest == "supported" {
            return (200, Body::Bytes(Vec::new()));
        }
        if rest == "latest" {
            return (
                200,
                Body::Bytes(self.signed_tree(log, tamper.bad_signature)),
            );
        }
        if let Some(key) = rest.strip_prefix("lookup/") {
            let Some((m, v)) = key.rsplit_once('@') else {
                return not_found;
            };
            let (m, v) = (unescape(m), unescape(v));
            if tamper.missing_record && m == TOOLCHAIN {
                return not_found;
            }
            let Some(mut id) = log.find(&m, &v) else {
                return not_found;
            };
            if tamper.other_module_record {
                id = 0;
            }
            let mut text = log.records[id as usize].clone();
            if tamper.forged_tiles
                && let Some(t) = st.toolchains.get(&v)
            {
                text = record_text(
                    &m,
                    &v,
                    &t.tampered_zip_h1,
                    &go_mod_h1(TOOLCHAIN_MOD.as_bytes()),
                );
            }
            if tamper.wrong_record {
                text = record_text(
                    &m,
                    &v,
                    &go_mod_h1(b"wrong"),
                    &go_mod_h1(TOOLCHAIN_MOD.as_bytes()),
                );
            }
            let mut body = format!("{id}\n{text}\n").into_bytes();
            body.extend(self.signed_tree(log, tamper.bad_signature));
            return (200, Body::Bytes(body));
        }
        if let Some(tile) = rest.strip_prefix("tile/8/") {
            let tile = parse_tile(tile);
            if tamper.forged_tiles
                && let Some((l, n, 256)) = tile
                && let Some(d) = st.forged_tiles().remove(&(l, n))
            {
                return (200, Body::Bytes(d));
            }
            return match tile.and_then(|(l, n, w)| log.tile(l, n, w)) {
                Some(d) => (200, Body::Bytes(d)),
                None => not_found,
            };
        }
        not_found
    }

    fn handle(&self, conn: TcpStream) -> io::Result<()> {
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
                break;
            }
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("");
        let target = parts.next().unwrap_or("/");
        let path = target.split('?').next().unwrap_or(target);
        let (status, body) = self.route(path);
        let reason = if status == 200 { "OK" } else { "Not Found" };
        let body: &[u8] = match &body {
            Body::Bytes(b) => b,
            Body::Shared(b) => b,
        };
        let mut out = io::BufWriter::new(conn);
        write!(
            out,
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        if method != "HEAD" {
            out.write_all(body)?;
        }
        out.flush()
    }
}

/// `L/NNN[.p/W]` with x-prefixed three-digit groups, as Go writes it.
fn parse_tile(s: &str) -> Option<(usize, u64, u64)> {
    let (l, rest) = s.split_once('/')?;
    let l: usize = l.parse().ok()?;
    let (num, w) = match rest.split_once(".p/") {
        Some((num, w)) => {
            let w: u64 = w.parse().ok()?;
            if w == 0 || w >= 256 || w.to_string() != rest.rsplit('/').next()? {
                return None;
            }
            (num, w)
        }
        None => (rest, 256),
    };
    let groups: Vec<&str> = num.split('/').collect();
    let mut n = 0u64;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() {
            g.strip_prefix('x')?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n * 1000 + digits.parse::<u64>().ok()?;
    }
    Some((l, n, w))
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut bang = false;
    for c in s.chars() {
        if bang {
            out.push(c.to_ascii_uppercase());
            bang = false;
        } else if c == '!' {
            bang = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// A zip writer: deflated entries with sizes in the local headers.
#[derive(Clone, Default)]
pub struct ZipBuilder {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u32,
    pub hashes: Vec<(String, [u8; 32])>,
}

impl ZipBuilder {
    pub fn add(&mut self, name: &str, data: &[u8], mode: u32, dos_time: (u16, u16)) {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        enc.write_all(data).expect("deflate to memory");
        let body = enc.finish().expect("deflate to memory");
        let crc = crc32(data);
        let offset = self.out.len() as u32;
        let (time, date) = dos_time;
        let o = &mut self.out;
        o.extend(0x0403_4b50u32.to_le_bytes());
        o.extend(20u16.to_le_bytes());
        o.extend(0x0800u16.to_le_bytes()); // UTF-8 names
        o.extend(8u16.to_le_bytes());
        o.extend(time.to_le_bytes());
        o.extend(date.to_le_bytes());
        o.extend(crc.to_le_bytes());
        o.extend((body.len() as u32).to_le_bytes());
        o.extend((data.len() as u32).to_le_bytes());
        o.extend((name.len() as u16).to_le_bytes());
        o.extend(0u16.to_le_bytes());
        o.extend(name.as_bytes());
        o.extend(&body);
        let c = &mut self.central;
        c.extend(0x0201_4b50u32.to_le_bytes());
        c.extend((0x0300u16 | 20).to_le_bytes());
        c.extend(20u16.to_le_bytes());
        c.extend(0x0800u16.to_le_bytes());
        c.extend(8u16.to_le_bytes());
        c.extend(time.to_le_bytes());
        c.extend(date.to_le_bytes());
        c.extend(crc.to_le_bytes());
        c.extend((body.len() as u32).to_le_bytes());
        c.extend((data.len() as u32).to_le_bytes());
        c.extend((name.len() as u16).to_le_bytes());
        c.extend([0u8; 8]);
        c.extend(((0o100000 | mode) << 16).to_le_bytes());
        c.extend(offset.to_le_bytes());
        c.extend(name.as_bytes());
        self.count += 1;
        self.hashes.push((name.to_string(), sha(data)));
    }

    pub fn finish(&self) -> Vec<u8> {
        let mut o = self.out.clone();
        let cd_offset = o.len() as u32;
        o.extend(&self.central);
        o.extend(0x0605_4b50u32.to_le_bytes());
        o.extend([0u8; 4]);
        o.extend((self.count as u16).to_le_bytes());
        o.extend((self.count as u16).to_le_bytes());
        o.extend((self.central.len() as u32).to_le_bytes());
        o.extend(cd_offset.to_le_bytes());
        o.extend(0u16.to_le_bytes());
        o
    }

    pub fn h1(&self) -> String {
        h1(&self.hashes)
    }
}

/// distpack's pattern match: path.Match per element, with a leading `**/`
/// or trailing `/**` matching any number of elements.
fn amatch(pattern: &str, name: &str) -> bool {
    if let Some(rest) = pattern.strip_prefix("**/") {
        let parts: Vec<&str> = name.split('/').collect();
        return (0..parts.len()).any(|i| amatch(rest, &parts[i..].join("/")));
    }
    if let Some(stem) = pattern.strip_suffix("/**") {
        let n = stem.split('/').count();
        let parts: Vec<&str> = name.split('/').collect();
        return parts.len() > n && amatch(stem, &parts[..n].join("/"));
    }
    let p: Vec<&str> = pattern.split('/').collect();
    let n: Vec<&str> = name.split('/').collect();
    p.len() == n.len()
        && p.iter()
            .zip(&n)
            .all(|(p, n)| glob(p.as_bytes(), n.as_bytes()))
}

/// `*` and `?` within one path element.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// distpack's mode rule; the go command does not trust it, but keep it.
fn mode_for(name: &str) -> u32 {
    let exec = name.starts_with("bin/")
        || name.starts_with("pkg/tool/")
        || [".bash", ".sh", ".pl", ".rc"]
            .iter()
            .any(|s| name.ends_with(s))
        || amatch("**/go_?*_?*_exec", name);
    if exec { 0o755 } else { 0o644 }
}

/// Whether distpack's module form keeps this GOROOT-relative file.
pub fn distpack_keeps(name: &str, goos_goarch: &str, minor: u32) -> bool {
    const BASE_REMOVE: &[&str] = &[
        ".git/**",
        ".gitattributes",
        ".github/**",
        ".gitignore",
        ".jj/**",
        "VERSION.cache",
        "misc/cgo/*/_obj/**",
        "**/.DS_Store",
        "**/*.exe~",
        "src/cmd/dist/dist",
        "src/cmd/dist/dist.exe",
    ];
    const MOD_REMOVE: &[&str] = &["api/**", "doc/**", "misc/**", "test/**"];
    if BASE_REMOVE
        .iter()
        .chain(MOD_REMOVE)
        .any(|p| amatch(p, name))
    {
        return false;
    }
    if let Some(b) = name.strip_prefix("bin/") {
        // Only the host's go and gofmt are added back.
        return b == "go" || b == "gofmt";
    }
    if name.starts_with("pkg/") {
        if name.starts_with("pkg/include/") {
            return true;
        }
        let Some(tool) = name.strip_prefix(&format!("pkg/tool/{goos_goarch}/")) else {
            return false;
        };
        let tool = tool.strip_suffix(".exe").unwrap_or(tool);
        // Go 1.25 kept only the tools build actions need; before, all but
        // the tools that only build releases.
        return if minor >= 25 {
            matches!(
                tool,
                "asm"
                    | "cgo"
                    | "compile"
                    | "cover"
                    | "export"
                    | "fix"
                    | "link"
                    | "preprofile"
                    | "vet"
            )
        } else {
            !matches!(tool, "api" | "dist" | "distpack" | "metadata")
        };
    }
    true
}

/// The toolchain module of a Go release tarball (`go/...` entries, as
/// go.dev publishes it), packed once per machine: the zip and its `h1:`
/// are cached under target/proxy-fixtures/ by the tarball's sha256.
pub fn packed_toolchain(tarball: &Path) -> io::Result<Toolchain> {
    let bytes = fs::read(tarball)?;
    let key = hex(&sha(&bytes));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/proxy-fixtures");
    let zip_path = dir.join(format!("{key}.zip"));
    let meta_path = dir.join(format!("{key}.meta"));
    let cached = fs::read_to_string(&meta_path)
        .ok()
        .and_then(|m| {
            let l: Vec<String> = m.lines().map(str::to_string).collect();
            <[String; 4]>::try_from(l).ok()
        })
        .and_then(|meta| Some((meta, fs::read(&zip_path).ok()?)));
    let ([version, time, zip_h1, tampered_zip_h1], zip) = match cached {
        Some(c) => c,
        None => {
            let (version, time, mut zip) = pack_tarball(&bytes)?;
            let h1 = zip.h1();
            let data = zip.finish();
            let modver = format!("v0.0.1-{version}.linux-amd64");
            zip.hashes.push((backdoor_name(&modver), sha(BACKDOOR)));
            let tampered_h1 = zip.h1();
            fs::create_dir_all(&dir)?;
            // Written beside, then renamed: parallel test binaries never
            // read half a zip.
            let tmp = dir.join(format!("{key}.zip.{}", std::process::id()));
            fs::write(&tmp, &data)?;
            fs::rename(&tmp, &zip_path)?;
            let tmp = dir.join(format!("{key}.meta.{}", std::process::id()));
            fs::write(&tmp, format!("{version}\n{time}\n{h1}\n{tampered_h1}\n"))?;
            fs::rename(&tmp, &meta_path)?;
            ([version, time, h1, tampered_h1], data)
        }
    };
    let modver = format!("v0.0.1-{version}.linux-amd64");
    let tampered = append_entry(&zip, &backdoor_name(&modver), BACKDOOR)?;
    Ok(Toolchain {
        zip_h1,
        tampered_zip_h1,
        zip: Arc::new(zip),
        tampered_zip: Arc::new(tampered),
        info: format!("{{\"Version\":\"{modver}\", \"Time\":\"{time}\"}}\n"),
        version,
    })
}

/// The file a tampered toolchain zip carries on top of the real ones.
pub const BACKDOOR: &[u8] = b"#!/bin/sh\necho owned\n";

/// Its name in the zip of toolchain module version `modver`.
pub fn backdoor_name(modver: &str) -> String {
    format!("{TOOLCHAIN}@{modver}/bin/backdoor")
}

/// Packs the tarball's `go/` tree the way distpack's module form does.
fn pack_tarball(tgz: &[u8]) -> io::Result<(String, String, ZipBuilder)> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    for entry in ar.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        let path = entry.path()?.to_string_lossy().into_owned();
        let Some(rel) = path.strip_prefix("go/") else {
            continue;
        };
        if kind.is_dir() || rel.is_empty() {
            continue;
        }
        if !kind.is_file() {
            return Err(io::Error::other(format!(
                "{path}: not a regular file (distpack packs files only)"
            )));
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data)?;
        files.push((rel.to_string(), data));
    }
    let version_file = files
        .iter()
        .find(|(n, _)| n == "VERSION")
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
        .ok_or_else(|| io::Error::other("no go/VERSION in the tarball"))?;
    let mut lines = version_file.lines();
    let version = lines.next().unwrap_or("").trim().to_string();
    let time = lines
        .find_map(|l| l.strip_prefix("time "))
        .unwrap_or("2000-01-01T00:00:00Z")
        .to_string();
    let minor: u32 = version
        .strip_prefix("go1.")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| io::Error::other(format!("unexpected VERSION {version:?}")))?;
    let prefix = format!("{TOOLCHAIN}@v0.0.1-{version}.linux-amd64/");
    files.retain(|(rel, _)| distpack_keeps(rel, "linux_amd64", minor));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let dos = dos_time(&time);
    let mut zip = ZipBuilder::default();
    for (rel, data) in &files {
        let mut name = format!("{prefix}{rel}");
        if name.ends_with("/go.mod") {
            name.truncate(name.len() - "go.mod".len());
            name.push_str("_go.mod");
        }
        zip.add(&name, data, mode_for(rel), dos);
    }
    Ok((version, time, zip))
}

/// A copy of `zip` with one more (deflated) entry: a well-formed zip whose
/// `h1:` differs, as a proxy that slipped a file in would serve.
pub fn append_entry(zip: &[u8], name: &str, data: &[u8]) -> io::Result<Vec<u8>> {
    let bad = || io::Error::other("not a zip this fixture wrote");
    let end = zip.len().checked_sub(22).ok_or_else(bad)?;
    if zip[end..end + 4] != 0x0605_4b50u32.to_le_bytes() {
        return Err(bad());
    }
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let count = u16_at(zip, end + 10);
    let cd_size = u32_at(zip, end + 12) as usize;
    let cd_offset = u32_at(zip, end + 16) as usize;
    let mut one = ZipBuilder::default();
    one.add(name, data, 0o755, (0, 0x21));
    let one_zip = one.finish();
    let one_local_len = u32_at(&one_zip, one_zip.len() - 22 + 16) as usize;
    let one_central = &one_zip[one_local_len..one_zip.len() - 22];
    let mut out = zip[..cd_offset].to_vec();
    let new_local_at = out.len() as u32;
    out.extend(&one_zip[..one_local_len]);
    let new_cd_at = out.len() as u32;
    out.extend(&zip[cd_offset..cd_offset + cd_size]);
    let mut central = one_central.to_vec();
    central[42..46].copy_from_slice(&new_local_at.to_le_bytes());
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((count + 1).to_le_bytes());
    out.extend((count + 1).to_le_bytes());
    out.extend(((cd_size + central.len()) as u32).to_le_bytes());
    out.extend(new_cd_at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    Ok(out)
}

/// The real go1.22.10 toolchain module, packed from the release tarball
/// of target/go-fixtures (scripts/go-fixtures), once per test process.
pub fn go1_22_10() -> &'static Toolchain {
    static P: OnceLock<Toolchain> = OnceLock::new();
    P.get_or_init(|| {
        let tarball = go_fixture_tarball("1.22.10");
        packed_toolchain(&tarball).unwrap_or_else(|e| panic!("packing {}: {e}", tarball.display()))
    })
}

/// A real release tarball from target/go-fixtures/mirror; missing is a
/// failure, not a skip (scripts/test --deps prepares it).
pub fn go_fixture_tarball(version: &str) -> PathBuf {
    static PREPARED: OnceLock<()> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/go-fixtures");
        let out = std::process::Command::new("python3")
            .arg(&script)
            .args(["--versions", "1.22.10,1.21.13"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "real Go toolchain fixtures could not be prepared:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "target/go-fixtures/mirror/go{version}.linux-amd64.tar.gz"
    ));
    assert!(
        p.is_file(),
        "real Go fixture missing: {} (run scripts/go-fixtures, or scripts/test --deps)",
        p.display()
    );
    p
}

/// MS-DOS (time, date) of an RFC 3339 UTC timestamp.
fn dos_time(rfc3339: &str) -> (u16, u16) {
    let num = |r: std::ops::Range<usize>| -> u16 {
        rfc3339.get(r).and_then(|s| s.parse().ok()).unwrap_or(0)
    };
    let (y, mo, d) = (num(0..4), num(5..7), num(8..10));
    let (h, mi, s) = (num(11..13), num(14..16), num(17..19));
    (
        (h << 11) | (mi << 5) | (s / 2),
        ((y.saturating_sub(1980)) << 9) | (mo << 5) | d,
    )
}

/// A GET over loopback, for tests of the client against the fixture.
pub fn http_get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let rest = url.strip_prefix("http://").ok_or("not http")?;
    let (host, path) = rest.split_once('/').ok_or("no path")?;
    let mut conn = TcpStream::connect(host).map_err(|e| e.to_string())?;
    write!(
        conn,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut resp = Vec::new();
    conn.read_to_end(&mut resp).map_err(|e| e.to_string())?;
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no header end")?;
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    Ok((status, resp[split + 4..].to_vec()))
}

/// A note verifier key's encoded form (`1` for Ed25519, then the public
/// key) and its key hash: the first four bytes of SHA-256 over the name, a
/// newline and that encoding, as golang.org/x/mod/sumdb/note defines it.
fn key_hash(name: &str, key: &SigningKey) -> (Vec<u8>, [u8; 4]) {
    let mut raw = vec![1u8];
    raw.extend_from_slice(key.verifying_key().as_bytes());
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(&raw);
    let digest = h.finalize();
    let mut kh = [0u8; 4];
    kh.copy_from_slice(&digest[..4]);
    (raw, kh)
}

#[cfg(test)]
mod self_tests {
    use super::*;

    #[test]
    fn distpack_rules() {
        for (name, keep) in [
            ("src/go.mod", true),
            ("api/go1.txt", false),
            ("doc/go_spec.html", false),
            ("misc/wasm/x.js", false),
            ("test/run.go", false),
            ("bin/go", true),
            ("bin/gofmt", true),
            ("bin/linux_arm64/go", false),
            ("pkg/obj/x", false),
            ("pkg/linux_amd64/runtime.a", false),
            ("pkg/include/textflag.h", true),
            ("pkg/tool/linux_amd64/compile", true),
            ("pkg/tool/linux_amd64/pprof", true),
            ("pkg/tool/linux_amd64/api", false),
            ("pkg/tool/linux_amd64/dist", false),
            ("pkg/tool/linux_arm64/compile", false),
            ("src/cmd/dist/dist", false),
            ("src/.DS_Store", false),
            ("VERSION", true),
        ] {
            assert_eq!(distpack_keeps(name, "linux_amd64", 22), keep, "{name}");
        }
        assert!(!distpack_keeps(
            "pkg/tool/linux_amd64/pprof",
            "linux_amd64",
            25
        ));
        assert_eq!(mode_for("src/make.bash"), 0o755);
        assert_eq!(mode_for("misc/wasm/go_js_wasm_exec"), 0o755);
        assert_eq!(mode_for("src/go.mod"), 0o644);
        assert_eq!(parse_tile("0/x001/x234/067.p/5"), Some((0, 1234067, 5)));
        assert_eq!(parse_tile("1/000"), Some((1, 0, 256)));
        assert_eq!(parse_tile("0/1"), None);
    }
}
