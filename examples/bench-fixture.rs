//! The module proxy and checksum database of `scripts/bench --only proxy`
//! and `--only hostile-zip`: the tests' own fixture (tests/it/support/sumdb.rs,
//! with its Ed25519 key, RFC 6962 log, tiles and distpack packer), served
//! from a process the benchmark starts, so the benchmark carries no second
//! implementation of the log or the signatures.
//!
//!     bench-fixture <release tarball> [--hostile DEPTH,NAMES]
//!
//! Serves the toolchain module packed from the tarball (cached under
//! target/proxy-fixtures/ as the tests cache it), or with `--hostile` a zip
//! of NAMES entries whose names are `a/` repeated DEPTH times, recorded in
//! the checksum database so that only gov's zip checks stand in the way.
//! Prints one JSON line (`base`, `vkey`, `modver`, `zip_size`,
//! `content_size`), then serves until its standard input closes.

#[allow(dead_code)]
#[path = "../tests/it/support/sumdb.rs"]
mod sumdb;

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};

/// The database's name, and the filler records around the toolchain's.
const SUMDB_NAME: &str = "sum.bench.test";
const FILLER: usize = 300;

fn main() {
    if let Err(e) = run() {
        eprintln!("bench-fixture: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let tarball = PathBuf::from(
        args.next()
            .ok_or("usage: bench-fixture <tarball> [--hostile DEPTH,NAMES]")?,
    );
    let hostile = match (args.next().as_deref(), args.next()) {
        (None, _) => None,
        (Some("--hostile"), Some(spec)) => Some(parse_hostile(&spec)?),
        _ => return Err("usage: bench-fixture <tarball> [--hostile DEPTH,NAMES]".into()),
    };
    let real =
        sumdb::packed_toolchain(&tarball).map_err(|e| format!("{}: {e}", tarball.display()))?;
    let toolchain = match hostile {
        Some((depth, names)) => hostile_toolchain(&real, depth, names),
        None => real,
    };
    let modver = format!("v0.0.1-{}.linux-amd64", toolchain.version);
    let (zip_size, content_size) = (toolchain.zip.len(), content_size(&toolchain.zip)?);
    let seed: [u8; 32] = Sha256::digest(b"gov bench checksum database").into();
    let fixture = sumdb::Fixture::start(SUMDB_NAME, seed, vec![toolchain], FILLER);
    println!(
        "{}",
        serde_json::json!({
            "base": fixture.base,
            "vkey": fixture.vkey(),
            "modver": modver,
            "zip_size": zip_size,
            "content_size": content_size,
        })
    );
    // Serve until the benchmark closes our standard input (or exits).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    Ok(())
}

fn parse_hostile(spec: &str) -> Result<(usize, usize), String> {
    let (d, n) = spec.split_once(',').ok_or("--hostile takes DEPTH,NAMES")?;
    let num = |s: &str| {
        s.parse::<usize>()
            .map_err(|e| format!("--hostile {spec}: {e}"))
    };
    Ok((num(d)?, num(n)?))
}

/// A zip of the real toolchain's module version holding `VERSION` and
/// `names` files `depth` folders deep, with its own `h1:`.
fn hostile_toolchain(real: &sumdb::Toolchain, depth: usize, names: usize) -> sumdb::Toolchain {
    let prefix = format!("{}@v0.0.1-{}.linux-amd64/", sumdb::TOOLCHAIN, real.version);
    let mut zip = sumdb::ZipBuilder::default();
    let when = (0, (44 << 9) | (12 << 5) | 3); // 2024-12-03
    zip.add(
        &format!("{prefix}VERSION"),
        format!("{}\n", real.version).as_bytes(),
        0o644,
        when,
    );
    let deep = "a/".repeat(depth);
    for i in 0..names {
        zip.add(&format!("{prefix}{deep}{i}"), b"x", 0o644, when);
    }
    let data = Arc::new(zip.finish());
    sumdb::Toolchain {
        version: real.version.clone(),
        zip: data.clone(),
        tampered_zip: data,
        info: real.info.clone(),
        zip_h1: zip.h1(),
        tampered_zip_h1: zip.h1(),
    }
}

/// The sum of the uncompressed sizes in a zip's central directory.
fn content_size(zip: &[u8]) -> Result<u64, String> {
    let bad = || "the packed zip has no central directory".to_string();
    let end = zip.len().checked_sub(22).ok_or_else(bad)?;
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]);
    if u32_at(end) != 0x0605_4b50 {
        return Err(bad());
    }
    let (count, mut at) = (u16_at(end + 10), u32_at(end + 16) as usize);
    let mut total = 0u64;
    for _ in 0..count {
        if at + 46 > end || u32_at(at) != 0x0201_4b50 {
            return Err(bad());
        }
        total += u64::from(u32_at(at + 24));
        at += 46 + u16_at(at + 28) + u16_at(at + 30) + u16_at(at + 32);
    }
    Ok(total)
}
