//! The checksum database's state on disk, per layer (under GOV_HOME): the
//! newest verified signed tree head of each database, replaced atomically,
//! and the tiles already authenticated, as a cache. Both are checked again
//! when read, so a damaged file costs a download or an error, never a
//! wrong answer.

use crate::core::fsutil;
use crate::core::layout::Layout;

use super::client::{TileCache, TreeHeadStore};
use super::error::{Result, TrustError};
use super::note::MAX_NOTE_SIZE;
use super::tlog::Tile;

/// Tree heads and tiles of one layout.
pub struct DiskStore<'a> {
    layout: &'a Layout,
    db: String,
}

impl<'a> DiskStore<'a> {
    /// The store of database `db` (the verifier key's name).
    pub fn new(layout: &'a Layout, db: &str) -> Self {
        DiskStore {
            layout,
            db: db.to_string(),
        }
    }
}

impl TreeHeadStore for DiskStore<'_> {
    fn load(&self, db: &str) -> Result<Option<Vec<u8>>> {
        let path = self.layout.sumdb_latest(db);
        match std::fs::read(&path) {
            Ok(b) if b.len() <= MAX_NOTE_SIZE => Ok(Some(b)),
            Ok(_) => Err(TrustError::malformed(format!(
                "{} is larger than any tree head",
                path.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TrustError::io(format!("reading {}: {e}", path.display()))),
        }
    }

    fn store(&self, db: &str, signed_note: &[u8]) -> Result<()> {
        let path = self.layout.sumdb_latest(db);
        let write = || -> crate::core::error::Result<()> {
            if let Some(dir) = path.parent() {
                fsutil::create_dir_all(dir)?;
            }
            fsutil::write_atomic(&path, signed_note)
        };
        write().map_err(|e| TrustError::io(format!("{}: {}", e.message(), e.causes().join(": "))))
    }
}

impl TileCache for DiskStore<'_> {
    fn get(&self, tile: &Tile) -> Option<Vec<u8>> {
        std::fs::read(self.layout.sumdb_tile(&self.db, &tile.path())).ok()
    }

    /// Best effort: a tile that cannot be cached is fetched again next time.
    fn put(&self, tile: &Tile, data: &[u8]) {
        let path = self.layout.sumdb_tile(&self.db, &tile.path());
        if let Some(dir) = path.parent()
            && fsutil::create_dir_all(dir).is_ok()
        {
            let _ = fsutil::write_atomic(&path, data);
        }
    }
}
