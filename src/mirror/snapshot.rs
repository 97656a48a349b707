//! A static snapshot of the checksum database at `sumdb/<name>/`, enough
//! for cmd/go to verify every module version the mirror publishes without
//! reaching the database: cmd/go asks `<GOPROXY>/sumdb/<name>/supported`
//! when GOSUMDB names no URL, then reads only lookups and tiles.
//!
//! ```text
//! sumdb/<name>/supported                        empty: "this proxy serves it"
//! sumdb/<name>/lookup/<module>@<version>        record id, record, the snapshot's signed head
//! sumdb/<name>/tile/8/<L>/<N>[.p/<W>]           the tiles proving those records in that head
//! sumdb/<name>/latest                           the signed head, written last
//! ```
//!
//! Every lookup carries the same signed tree head, so a host proves all of
//! them against one tree. A new head replaces the stored one only when the
//! tiles prove it extends it (kept in the snapshot, so hosts that saw the
//! old head prove the same); a head that does not is the database
//! misbehaving, and nothing is changed. Tiles are written only after they
//! hash up to the signed head.

use std::path::{Path, PathBuf};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::trust::client::{Fetch, escape};
use crate::trust::error::{ErrorKind as TrustKind, TrustError};
use crate::trust::note::{self, Verifier};
use crate::trust::tlog::{
    self, HashReader as _, TILE_HEIGHT, Tile, TileHashReader, TileSource, Tree,
};

/// The folder of every snapshot, below the mirror root.
pub const DIR: &str = "sumdb";

/// One authenticated record to publish.
#[derive(Debug, Clone)]
pub struct Record {
    pub module: String,
    pub version: String,
    pub id: u64,
    /// The record's lines, each ending in a newline.
    pub text: String,
}

/// The snapshot folder of database `name`.
pub fn folder(mirror: &Path, name: &str) -> PathBuf {
    mirror.join(DIR).join(name)
}

/// The lookup file's path below the snapshot folder.
pub fn lookup_path(module: &str, version: &str) -> Result<String> {
    Ok(format!("lookup/{}@{}", escape(module)?, escape(version)?))
}

/// Tiles from the snapshot folder; those missing come from `upstream`
/// (when given) and are written into the folder once authenticated.
struct SnapshotTiles<'a> {
    folder: &'a Path,
    upstream: Option<&'a dyn Fetch>,
    written: Result<()>,
}

impl TileSource for SnapshotTiles<'_> {
    fn read_tiles(&mut self, tiles: &[Tile]) -> std::result::Result<Vec<Vec<u8>>, TrustError> {
        tiles
            .iter()
            .map(|t| {
                let path = self.folder.join(t.path());
                match std::fs::read(&path) {
                    Ok(d) => Ok(d),
                    Err(_) => match self.upstream {
                        Some(up) => up.get(&t.path()),
                        None => Err(TrustError::missing(format!(
                            "the snapshot has no {}",
                            t.path()
                        ))),
                    },
                }
            })
            .collect()
    }

    fn save_tiles(&mut self, tiles: &[Tile], data: &[Vec<u8>]) {
        for (t, d) in tiles.iter().zip(data) {
            let path = self.folder.join(t.path());
            if self.written.is_ok() && !path.exists() {
                self.written = path
                    .parent()
                    .map_or(Ok(()), fsutil::create_dir_all)
                    .and_then(|()| fsutil::write_atomic_mode(&path, d, 0o644));
            }
        }
    }
}

/// The signed head stored in the snapshot, if any, checked again.
fn stored_head(folder: &Path, verifier: &Verifier) -> Result<Option<(Tree, Vec<u8>)>> {
    let path = folder.join("latest");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let tree = note::open(&bytes, verifier)
        .and_then(|n| note::parse_tree(&n.text))
        .map_err(|e| {
            Error::from(e).with_advice(format!(
                "{} is not a tree head signed by {}: remove the snapshot folder and sync again",
                path.display(),
                verifier.name()
            ))
        })?;
    Ok(Some((tree, bytes)))
}

/// The head to publish: upstream's `latest`, proven to extend the stored
/// one (whose proof tiles are then kept); the stored one when upstream
/// lags behind it.
fn choose_head(
    folder: &Path,
    verifier: &Verifier,
    upstream: &dyn Fetch,
) -> Result<(Tree, Vec<u8>)> {
    let signed = upstream
        .get("latest")
        .map_err(|e| Error::from(e.context("latest")))?;
    let tree = note::open(&signed, verifier)
        .and_then(|n| note::parse_tree(&n.text))
        .map_err(|e| {
            Error::from(e.context(format!("the signed tree head of {}", verifier.name())))
        })?;
    let Some((old, old_signed)) = stored_head(folder, verifier)? else {
        return Ok((tree, signed));
    };
    let (older, newer) = if tree.n <= old.n {
        (&tree, &old)
    } else {
        (&old, &tree)
    };
    let consistent = if older.n == newer.n {
        older.hash == newer.hash
    } else if older.n == 0 {
        true
    } else {
        let mut tiles = SnapshotTiles {
            folder,
            upstream: Some(upstream),
            written: Ok(()),
        };
        let mut reader = TileHashReader::new(*newer, TILE_HEIGHT, &mut tiles);
        // Tiles that contradict the newer head (kept ones included) are
        // the same fork, not damage.
        match tlog::tree_hash(older.n, &mut reader) {
            Ok(hash) => {
                tiles.written?;
                hash == older.hash
            }
            Err(e) if matches!(e.kind(), TrustKind::Inconsistent | TrustKind::Forged) => false,
            Err(e) => return Err(e.into()),
        }
    };
    if !consistent {
        return Err(Error::new(
            ErrorKind::Checksum,
            format!(
                "the checksum database {} misbehaved: the snapshot's signed {old} and its signed {tree} \
                 cannot both be true; the snapshot was left as it was",
                verifier.name()
            ),
        )
        .with_advice(
            "the log was forked or rewritten: do not publish from it; report both tree heads to the \
             database's operator",
        ));
    }
    Ok(if tree.n > old.n {
        (tree, signed)
    } else {
        (old, old_signed)
    })
}

/// Proves each record in `head` through tiles (fetched from `upstream`
/// where the snapshot lacks them) and returns its lookup answer.
fn prove(folder: &Path, head: &Tree, upstream: Option<&dyn Fetch>, r: &Record) -> Result<()> {
    if r.id >= head.n {
        return Err(Error::new(
            ErrorKind::Checksum,
            format!(
                "{}@{}: record {} is not in the snapshot's signed {head}",
                r.module, r.version, r.id
            ),
        ));
    }
    let mut tiles = SnapshotTiles {
        folder,
        upstream,
        written: Ok(()),
    };
    let leaf = TileHashReader::new(*head, TILE_HEIGHT, &mut tiles)
        .read_hashes(&[tlog::stored_hash_index(0, r.id)])
        .map_err(Error::from)?;
    tiles.written?;
    if leaf.first() != Some(&tlog::record_hash(r.text.as_bytes())) {
        return Err(Error::from(TrustError::forged(format!(
            "{}@{}: the record is not record {} of the signed {head}",
            r.module, r.version, r.id
        ))));
    }
    Ok(())
}

/// Publishes `records` (all of them already authenticated by a lookup)
/// under one signed head: tiles, lookups, `supported`, then `latest`.
pub fn publish(
    mirror: &Path,
    verifier: &Verifier,
    upstream: &dyn Fetch,
    records: &[Record],
) -> Result<Tree> {
    let folder = folder(mirror, verifier.name());
    fsutil::create_dir_all(&folder.join("lookup"))?;
    let (head, signed) = choose_head(&folder, verifier, upstream)?;
    // The lookups already served (the other modules, the toolchains) move
    // to the same head, so every answer carries one.
    let asked: std::collections::BTreeSet<(&str, &str)> = records
        .iter()
        .map(|r| (r.module.as_str(), r.version.as_str()))
        .collect();
    let served: Vec<Record> = lookup_files(&folder.join("lookup"))
        .iter()
        .filter_map(|p| served_record(p))
        .filter(|r| !asked.contains(&(r.module.as_str(), r.version.as_str())))
        .collect();
    for r in records.iter().chain(&served) {
        prove(&folder, &head, Some(upstream), r)?;
        let mut answer = format!("{}\n{}\n", r.id, r.text).into_bytes();
        answer.extend_from_slice(&signed);
        let path = folder.join(lookup_path(&r.module, &r.version)?);
        if let Some(parent) = path.parent() {
            fsutil::create_dir_all(parent)?;
        }
        if !crate::mirror::artifacts::same_content(&path, &answer) {
            fsutil::write_atomic_mode(&path, &answer, 0o644)?;
        }
    }
    let supported = folder.join("supported");
    if !supported.exists() {
        fsutil::write_atomic_mode(&supported, b"", 0o644)?;
    }
    if !crate::mirror::artifacts::same_content(&folder.join("latest"), &signed) {
        fsutil::write_atomic_mode(&folder.join("latest"), &signed, 0o644)?;
    }
    Ok(head)
}

/// One problem `check` found.
pub type Problem = (String, String);

/// Re-checks a snapshot offline: `latest` signed by `verifier`, and every
/// lookup answer carrying that head and proven by the snapshot's own tiles.
/// Returns the records proven (module, version, zip h1) and the problems.
pub fn check(mirror: &Path, verifier: &Verifier) -> (Vec<(String, String, String)>, Vec<Problem>) {
    let folder = folder(mirror, verifier.name());
    let mut problems = Vec::new();
    let mut proven = Vec::new();
    let rel = |p: &Path| p.strip_prefix(mirror).unwrap_or(p).display().to_string();
    let (head, signed) = match stored_head(&folder, verifier) {
        Ok(Some(h)) => h,
        Ok(None) => {
            problems.push((rel(&folder.join("latest")), "missing".to_string()));
            return (proven, problems);
        }
        Err(e) => {
            problems.push((rel(&folder.join("latest")), e.message().to_string()));
            return (proven, problems);
        }
    };
    for path in lookup_files(&folder.join("lookup")) {
        match check_lookup(&folder, &head, &signed, &path) {
            Ok(p) => proven.push(p),
            Err(e) => problems.push((rel(&path), e.message().to_string())),
        }
    }
    (proven, problems)
}

/// Every regular file below `lookup/` (module paths hold slashes).
fn lookup_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// One lookup file: its head is the snapshot's, its record is proven, and
/// it names the module version its path does.
fn check_lookup(
    folder: &Path,
    head: &Tree,
    signed: &[u8],
    path: &Path,
) -> Result<(String, String, String)> {
    let bytes = std::fs::read(path).context(|| format!("reading {}", path.display()))?;
    let bad = |why: String| Error::new(ErrorKind::Checksum, why);
    let ((id, text), note) =
        split_answer(&bytes).ok_or_else(|| bad("not a lookup answer".to_string()))?;
    if note != signed {
        return Err(bad("its tree head is not the snapshot's latest".to_string()));
    }
    let first = text.lines().next().unwrap_or_default();
    let mut words = first.split(' ');
    let (Some(module), Some(version), Some(h1)) = (words.next(), words.next(), words.next()) else {
        return Err(bad("the record has no hash line".to_string()));
    };
    let key = path
        .strip_prefix(folder)
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if key != lookup_path(module, version)? {
        return Err(bad(format!("it holds the record of {module}@{version}")));
    }
    let r = Record {
        module: module.to_string(),
        version: version.to_string(),
        id,
        text: text.clone(),
    };
    prove(folder, head, None, &r).map_err(|e| match e.kind() {
        ErrorKind::NotFound => bad(format!("not proven: {}", e.message())),
        _ => e,
    })?;
    Ok((r.module, r.version, h1.to_string()))
}

/// The record a lookup file holds, when it is for `module@version`
/// (trusted only after [`publish`] proves it again).
pub fn read_record(path: &Path, module: &str, version: &str) -> Option<Record> {
    let bytes = std::fs::read(path).ok()?;
    let (id, text) = split_answer(&bytes)?.0;
    let prefix = format!("{module} {version} ");
    text.starts_with(&prefix).then(|| Record {
        module: module.to_string(),
        version: version.to_string(),
        id,
        text,
    })
}

/// The record a lookup file holds, named by its own first line.
fn served_record(path: &Path) -> Option<Record> {
    let bytes = std::fs::read(path).ok()?;
    let (id, text) = split_answer(&bytes)?.0;
    let mut words = text.lines().next()?.split(' ');
    let (module, version) = (words.next()?.to_string(), words.next()?.to_string());
    Some(Record {
        module,
        version,
        id,
        text,
    })
}

/// `<id>\n<record>\n<signed note>` → ((id, record), note).
fn split_answer(bytes: &[u8]) -> Option<((u64, String), &[u8])> {
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let id = std::str::from_utf8(&bytes[..nl])
        .ok()?
        .parse::<u64>()
        .ok()?;
    let rest = &bytes[nl + 1..];
    let end = rest.windows(2).position(|w| w == b"\n\n")?;
    let text = std::str::from_utf8(&rest[..end + 1]).ok()?.to_string();
    Some(((id, text), &rest[end + 2..]))
}

/// Whether a trust error means a tile or lookup is simply absent.
pub fn is_missing(e: &TrustError) -> bool {
    e.kind() == TrustKind::Missing
}
