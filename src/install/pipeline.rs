//! The one streaming pass of an install:
//!
//! ```text
//! [source thread]  bytes -> sha256 + size check + progress (+ tee to cache)
//!        | chunks
//! [inflate thread] gunzip
//!        | chunks
//! [caller thread]  tar -> safe extraction into the staging dir
//! ```
//!
//! Three threads keep both cores busy (hashing and network on one, inflate on
//! another, file creation overlapping both), and the archive is never held in
//! memory: at most a few bounded channel slots of it.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use flate2::read::MultiGzDecoder;
use std::sync::Arc;

use crate::core::report::Progress;
use sha2::{Digest, Sha256};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::install::unpack::{self, Limits, Stats};

const CHUNK: usize = 256 * 1024;
const SLOTS: usize = 16;

/// What came out of the pass: the digest of every source byte, and the
/// extraction's result. The caller checks the digest first: a mismatch
/// explains any extraction error.
#[derive(Debug)]
pub struct Outcome {
    pub sha256: String,
    pub bytes: u64,
    pub extracted: Result<Stats>,
}

/// Reads chunks from a channel; EOF when the sender hangs up.
struct ChannelReader {
    rx: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    fn new(rx: Receiver<Vec<u8>>) -> Self {
        ChannelReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        }
    }

    fn drain(&mut self) {
        while self.rx.recv().is_ok() {}
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.rx.recv() {
                Ok(c) => {
                    self.chunk = c;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A stage either fails on its own or was cancelled because a later stage
/// stopped listening; only the former is a cause worth reporting.
enum StageError {
    Cancelled,
    Failed(Error),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Source stage. Keeps hashing to the end even when the extractor gave up,
/// so that a corrupt download is reported as a checksum mismatch rather
/// than as a puzzling archive error.
fn source_stage(
    mut src: Box<dyn Read + Send>,
    mut tee: Option<File>,
    tx: SyncSender<Vec<u8>>,
    progress: Arc<dyn Progress>,
    max_bytes: u64,
) -> std::result::Result<(String, u64), StageError> {
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    let mut tx = Some(tx);
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let n = match src.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(StageError::Failed(
                    Error::new(
                        ErrorKind::Network,
                        format!("the download failed after {total} bytes"),
                    )
                    .with_source(e),
                ));
            }
        };
        chunk.truncate(n);
        total += n as u64;
        if total > max_bytes {
            return Err(StageError::Failed(Error::new(
                ErrorKind::Checksum,
                format!("the download is larger than the {max_bytes} bytes the release index announces"),
            ).with_advice("the mirror serves a different file; try another mirror (GOV_MIRROR)")));
        }
        hasher.update(&chunk);
        progress.advance(n as u64);
        if let Some(f) = tee.as_mut() {
            f.write_all(&chunk)
                .context(|| "writing the download cache".to_string())
                .map_err(StageError::Failed)?;
        }
        if let Some(sender) = &tx
            && sender.send(chunk).is_err()
        {
            // The extractor stopped: finish the hash, skip the cache.
            tx = None;
            tee = None;
        }
    }
    if let Some(f) = tee.as_mut() {
        f.flush()
            .context(|| "writing the download cache".to_string())
            .map_err(StageError::Failed)?;
    }
    Ok((hex(&hasher.finalize()), total))
}

fn inflate_stage(
    rx: Receiver<Vec<u8>>,
    tx: SyncSender<Vec<u8>>,
) -> std::result::Result<(), StageError> {
    let mut gz = MultiGzDecoder::new(ChannelReader::new(rx));
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let mut filled = 0;
        // Fill whole chunks: the decoder returns small reads.
        while filled < CHUNK {
            match gz.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(StageError::Failed(
                        Error::new(ErrorKind::BadArchive, "the archive is not valid gzip data")
                            .with_source(e)
                            .with_advice("the download may be corrupt; nothing was installed"),
                    ));
                }
            }
        }
        if filled == 0 {
            break;
        }
        chunk.truncate(filled);
        if tx.send(chunk).is_err() {
            return Err(StageError::Cancelled);
        }
    }
    // Let the source finish hashing any trailing bytes.
    gz.into_inner().drain();
    Ok(())
}

/// Runs the pass: `src` into `dest` (an empty directory). Returns the sha256
/// of every byte read from `src`. The caller compares it with the index and
/// discards `dest` on a mismatch.
pub fn run(
    src: Box<dyn Read + Send>,
    tee: Option<File>,
    progress: Arc<dyn Progress>,
    max_bytes: u64,
    dest: &Path,
) -> Result<Outcome> {
    let (raw_tx, raw_rx) = sync_channel::<Vec<u8>>(SLOTS);
    let (tar_tx, tar_rx) = sync_channel::<Vec<u8>>(SLOTS);

    let source = std::thread::Builder::new()
        .name("gov-source".into())
        .spawn(move || source_stage(src, tee, raw_tx, progress, max_bytes))
        .context(|| "starting the download thread".to_string())?;
    let inflate = std::thread::Builder::new()
        .name("gov-inflate".into())
        .spawn(move || inflate_stage(raw_rx, tar_tx))
        .context(|| "starting the decompression thread".to_string())?;

    let mut reader = ChannelReader::new(tar_rx);
    let known = (max_bytes != u64::MAX).then_some(max_bytes);
    let extracted = unpack::unpack(&mut reader, dest, Limits::for_archive(known));
    if extracted.is_ok() {
        // Trailing zero blocks after the tar end marker.
        reader.drain();
    }
    drop(reader);

    let joined_source = source.join();
    let joined_inflate = inflate.join();
    let panic = || Error::new(ErrorKind::Io, "an install thread crashed");
    let (sha256, bytes) = match joined_source.map_err(|_| panic())? {
        Ok(v) => v,
        Err(StageError::Failed(e)) => return Err(e),
        // The source never reports cancellation: it hashes to the end.
        Err(StageError::Cancelled) => return Err(panic()),
    };
    // A gzip error explains the tar error it causes.
    let extracted = match joined_inflate.map_err(|_| panic())? {
        Err(StageError::Failed(e)) => Err(e),
        _ => extracted,
    };
    Ok(Outcome {
        sha256,
        bytes,
        extracted,
    })
}
