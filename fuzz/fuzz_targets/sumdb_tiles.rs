//! Tile paths and tile data from a checksum database or a proxy: parsing
//! never panics, what parses prints back to itself, and a hash is only
//! taken from a tile of the right size.
#![no_main]
use gov::trust::tlog::{self, Tile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(64));
    let Ok(path) = std::str::from_utf8(head) else {
        return;
    };
    let _ = tlog::Hash::parse(path);
    let Ok(tile) = Tile::parse_path(path) else {
        return;
    };
    assert_eq!(Tile::parse_path(&tile.path()).ok(), Some(tile), "{path:?}");
    let index = rest
        .get(..8)
        .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    if tlog::hash_from_tile(&tile, rest, index).is_ok() {
        assert_eq!(rest.len(), tile.data_len());
    }
    let _ = tlog::tiles_for_inclusion(tile.h, index % (1 << 40), 1 + index % (1 << 40));
    let _ = tlog::tiles_for_consistency(tile.h, index >> 24, index >> 20);
});
