//! Checks a module zip the way x/mod's checkZip does, then stricter: every
//! name under `<module>@<version>/`, clean portable paths, no duplicate or
//! case-fold colliding names, a go.mod only at the root, the zip and its
//! content within 500 MiB (declared sizes and the bytes actually inflated),
//! CRCs, and no overlapping entries. While reading it computes the `h1:`
//! hash exactly as Go's dirhash.HashZip does (every entry, directory
//! entries included), so what is checked is what is hashed.
//!
//! [`unpack`] reads the entries a second time into a caller's sink and
//! requires each to have the content hashed by [`check_zip`].

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

use crate::core::quote::excerpt;

use flate2::{Decompress, FlushDecompress, Status};
use sha2::{Digest, Sha256};

use super::dirhash::Hash1;
use super::error::{Result, TrustError};

/// Largest zip accepted, and largest total content (x/mod's MaxZipFile).
pub const MAX_ZIP_SIZE: u64 = 500 << 20;
pub const MAX_CONTENT_SIZE: u64 = 500 << 20;
/// Largest go.mod at the module root (x/mod's MaxGoMod).
const MAX_GO_MOD: u64 = 16 << 20;
/// The central directory is read into memory; a real toolchain's is about
/// 1.3 MiB.
const MAX_CENTRAL_DIRECTORY: u64 = 16 << 20;
/// Bounds on names, a few times what real toolchain zips hold (go1.21.13 and
/// go1.22.10: about 9,500 files in 1,100 folders, paths below the prefix up
/// to 108 bytes, 12 elements deep, elements up to 80 bytes). x/mod sets none,
/// but without them a small zip of deep names costs memory and time that
/// grow with the square of a name's length.
pub const MAX_ENTRIES: u64 = 50_000;
pub const MAX_DIRS: usize = 10_000;
pub const MAX_PATH_LEN: usize = 512;
pub const MAX_DEPTH: usize = 32;
/// NAME_MAX on Linux.
pub const MAX_ELEM_LEN: usize = 255;

const SIG_LOCAL: u32 = 0x0403_4b50;
const SIG_CENTRAL: u32 = 0x0201_4b50;
const SIG_END: u32 = 0x0605_4b50;
const SIG_END64: u32 = 0x0606_4b50;
const SIG_END64_LOCATOR: u32 = 0x0706_4b50;

const METHOD_STORE: u16 = 0;
const METHOD_DEFLATE: u16 = 8;

/// Size limits, overridable for tests.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_zip: u64,
    pub max_content: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_zip: MAX_ZIP_SIZE,
            max_content: MAX_CONTENT_SIZE,
        }
    }
}

/// One entry of a checked zip.
#[derive(Clone, Debug)]
pub struct ZipEntry {
    /// The full name in the zip, prefix included.
    pub name: String,
    /// The path below the prefix; empty for the prefix's own directory.
    pub path: String,
    pub is_dir: bool,
    /// Unix permission bits if the zip records them (not to be relied on).
    pub mode: Option<u32>,
    pub size: u64,
    pub sha256: [u8; 32],
    method: u16,
    crc32: u32,
    compressed_size: u64,
    header_offset: u64,
}

/// A zip that passed every check, with its `h1:` hash.
#[derive(Clone, Debug)]
pub struct CheckedZip {
    pub prefix: String,
    pub entries: Vec<ZipEntry>,
    pub h1: String,
    /// Sum of the file sizes.
    pub content_size: u64,
}

impl CheckedZip {
    /// Entries that are files (not directories), in zip order.
    pub fn files(&self) -> impl Iterator<Item = &ZipEntry> {
        self.entries.iter().filter(|e| !e.is_dir)
    }
}

/// Receives the files of a zip being unpacked. Paths are relative, clean,
/// and checked; parent directories are the sink's to create.
pub trait UnpackSink {
    fn file(&mut self, path: &str, zip_mode: Option<u32>, content: &mut dyn Read) -> Result<()>;
}

/// Checks the zip for `module@version` and computes its `h1:` hash.
pub fn check_zip<R: Read + Seek>(r: &mut R, module: &str, version: &str) -> Result<CheckedZip> {
    check_zip_with_limits(r, module, version, Limits::default())
}

pub fn check_zip_with_limits<R: Read + Seek>(
    r: &mut R,
    module: &str,
    version: &str,
    limits: Limits,
) -> Result<CheckedZip> {
    check_zip_into(r, module, version, limits)
}

/// Checks the zip and, in the same pass, writes its files (prefix
/// stripped) through `sinks.len()` threads: each opens its own handle of
/// the zip with `open` and inflates, hashes and writes a share of the
/// entries (balanced by size) into its own sink, so what is written is
/// exactly what is hashed. Names, sizes and collisions are checked before
/// the first byte reaches a sink; CRCs, sizes against the bytes and
/// overlaps as the entries are read. On an error the other workers stop at
/// their next entry, the error of the earliest failing entry is returned,
/// and the sinks may hold partial output, which the caller discards; the
/// returned `h1` must still be compared with the checksum database's
/// before the output is trusted.
pub fn check_and_unpack_parallel<R, S>(
    open: &(dyn Fn() -> io::Result<R> + Sync),
    module: &str,
    version: &str,
    sinks: &mut [S],
) -> Result<CheckedZip>
where
    R: Read + Seek,
    S: UnpackSink + Send,
{
    let mut r = open().map_err(io_err("opening zip"))?;
    let mut plan = plan_zip(&mut r, module, version, Limits::default())?;
    drop(r);
    let workers = sinks.len().max(1);
    // Greedy by size, with a per-file cost for the create and the metadata.
    let mut shares: Vec<Vec<(usize, &mut ZipEntry)>> = (0..workers).map(|_| Vec::new()).collect();
    let mut load = vec![0u64; workers];
    let mut order: Vec<(usize, &mut ZipEntry)> = plan.entries.iter_mut().enumerate().collect();
    order.sort_by_key(|(_, e)| std::cmp::Reverse(e.size));
    for (i, e) in order {
        let w = (0..workers).min_by_key(|&w| load[w]).unwrap_or(0);
        load[w] += e.size + 16 * 1024;
        shares[w].push((i, e));
    }
    for share in &mut shares {
        // Zip order within a share: reads go forward through the file.
        share.sort_by_key(|(i, _)| *i);
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let cd_offset = plan.cd_offset;
    let outcomes: Vec<WorkerOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .zip(sinks.iter_mut())
            .map(|(share, sink)| {
                let stop = &stop;
                scope.spawn(move || {
                    let mut r = open().map_err(|e| (0, io_err("opening zip")(e)))?;
                    let mut ranges = Vec::with_capacity(share.len());
                    for (i, e) in share {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        match read_one(&mut r, e, cd_offset, Some(&mut *sink)) {
                            Ok(range) => ranges.push(range),
                            Err(err) => {
                                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                                return Err((i, err));
                            }
                        }
                    }
                    Ok(ranges)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err((0, TrustError::io("a zip worker thread panicked"))))
            })
            .collect()
    });
    let mut ranges = Vec::with_capacity(plan.entries.len());
    let mut first_err: Option<(usize, TrustError)> = None;
    for outcome in outcomes {
        match outcome {
            Ok(r) => ranges.extend(r),
            Err((i, e)) => {
                if first_err.as_ref().is_none_or(|(j, _)| i < *j) {
                    first_err = Some((i, e));
                }
            }
        }
    }
    if let Some((_, e)) = first_err {
        return Err(e);
    }
    finish_zip(plan, ranges)
}

/// A worker's entry ranges, or the index of the entry it failed on.
type WorkerOutcome = std::result::Result<Vec<(u64, u64, u64)>, (usize, TrustError)>;

/// What the central directory promises, checked before any content is read.
struct Plan {
    prefix: String,
    entries: Vec<ZipEntry>,
    cd_offset: u64,
    content_size: u64,
}

fn check_zip_into<R: Read + Seek>(
    r: &mut R,
    module: &str,
    version: &str,
    limits: Limits,
) -> Result<CheckedZip> {
    let mut plan = plan_zip(r, module, version, limits)?;
    // Read every entry: this checks CRCs and sizes against the bytes, and
    // gives the hashes.
    let mut ranges = Vec::with_capacity(plan.entries.len());
    for e in &mut plan.entries {
        ranges.push(read_one(r, e, plan.cd_offset, None)?);
    }
    finish_zip(plan, ranges)
}

fn plan_zip<R: Read + Seek>(
    r: &mut R,
    module: &str,
    version: &str,
    limits: Limits,
) -> Result<Plan> {
    if module.is_empty()
        || version.is_empty()
        || module.contains(['@', ' ', '\n'])
        || version.contains(['/', '@', ' ', '\n'])
    {
        return Err(TrustError::malformed(format!(
            "invalid module version {module}@{version}"
        )));
    }
    let prefix = format!("{module}@{version}/");
    let len = r.seek(SeekFrom::End(0)).map_err(io_err("seeking zip"))?;
    if len > limits.max_zip {
        return Err(TrustError::malformed(format!(
            "module zip is too large ({len} bytes; limit is {} bytes)",
            limits.max_zip
        )));
    }
    let (cd_offset, cd_size, count) = find_central_directory(r, len)?;
    let mut entries = read_central_directory(r, cd_offset, cd_size, count)?;

    let mut collisions = Collisions::default();
    let mut content_size = 0u64;
    for e in &mut entries {
        let bad = |why: &str| TrustError::malformed(format!("zip entry {}: {why}", shown(&e.name)));
        let Some(rest) = e.name.strip_prefix(&prefix) else {
            return Err(bad(&format!("does not have prefix {}", shown(&prefix))));
        };
        let is_dir = rest.is_empty() || rest.ends_with('/');
        let path = rest.strip_suffix('/').unwrap_or(rest);
        if is_dir && e.size != 0 {
            return Err(bad("is a directory with content"));
        }
        if path.is_empty() {
            e.is_dir = true;
            continue;
        }
        check_file_path(path).map_err(|why| bad(&why))?;
        collisions.check(path, is_dir).map_err(|why| bad(&why))?;
        (e.is_dir, e.path) = (is_dir, path.to_string());
        if e.is_dir {
            continue;
        }
        let base = e.path.rsplit('/').next().unwrap_or(&e.path);
        if base.eq_ignore_ascii_case("go.mod") {
            if e.path != "go.mod" {
                return Err(bad("go.mod file not in module root directory"));
            }
            if e.size > MAX_GO_MOD {
                return Err(TrustError::malformed("go.mod file too large"));
            }
        }
        content_size = content_size
            .checked_add(e.size)
            .filter(|&s| s <= limits.max_content)
            .ok_or_else(|| {
                TrustError::malformed(format!(
                    "total uncompressed size of module contents too large (max size is {} bytes)",
                    limits.max_content
                ))
            })?;
    }

    Ok(Plan {
        prefix,
        entries,
        cd_offset,
        content_size,
    })
}

/// Reads one entry into the sink (files only) or into nothing, checking it;
/// returns (header offset, data start, data end).
fn read_one<R: Read + Seek>(
    r: &mut R,
    e: &mut ZipEntry,
    cd_offset: u64,
    sink: Option<&mut (dyn UnpackSink + '_)>,
) -> Result<(u64, u64, u64)> {
    let mut sink_err = None;
    let (path, mode, is_dir) = (e.path.clone(), e.mode, e.is_dir);
    let mut sink = sink;
    let (start, end) = read_entry(r, e, cd_offset, &mut |content| match sink.as_mut() {
        Some(s) if !is_dir => s.file(&path, mode, content).map_err(|err| {
            sink_err = Some(err);
            io::Error::other("sink failed")
        }),
        _ => io::copy(content, &mut io::sink()).map(|_| ()),
    })
    .map_err(|err| sink_err.take().unwrap_or(err))?;
    Ok((e.header_offset, start, end))
}

/// Checks that no byte serves two entries and computes `h1:`.
fn finish_zip(plan: Plan, mut ranges: Vec<(u64, u64, u64)>) -> Result<CheckedZip> {
    ranges.sort_unstable();
    for pair in ranges.windows(2) {
        if pair[1].0 < pair[0].2 {
            return Err(TrustError::malformed("zip entries overlap"));
        }
    }
    let mut hash = Hash1::new();
    for e in &plan.entries {
        hash.add(&e.name, e.sha256)?;
    }
    Ok(CheckedZip {
        prefix: plan.prefix,
        entries: plan.entries,
        h1: hash.finish(),
        content_size: plan.content_size,
    })
}

/// Writes the files of a checked zip through `sink`, prefix stripped.
/// Each file must have exactly the content [`check_zip`] hashed; on error
/// the sink may hold partial output, which the caller discards.
pub fn unpack<R: Read + Seek>(
    r: &mut R,
    zip: &CheckedZip,
    sink: &mut dyn UnpackSink,
) -> Result<()> {
    let cd_limit = r.seek(SeekFrom::End(0)).map_err(io_err("seeking zip"))?;
    for e in zip.files() {
        let mut entry = e.clone();
        let mut sink_err = None;
        read_entry(r, &mut entry, cd_limit, &mut |content| {
            sink.file(&e.path, e.mode, content).map_err(|err| {
                sink_err = Some(err);
                io::Error::other("sink failed")
            })
        })
        .map_err(|err| sink_err.take().unwrap_or(err))?;
        if entry.sha256 != e.sha256 {
            return Err(TrustError::forged(format!(
                "zip entry {} changed since it was checked",
                shown(&e.name)
            )));
        }
    }
    Ok(())
}

fn io_err(what: &'static str) -> impl Fn(io::Error) -> TrustError {
    move |e| TrustError::io(format!("{what}: {e}"))
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: usize) -> Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset))
        .map_err(io_err("seeking zip"))?;
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            TrustError::malformed("zip is truncated")
        } else {
            TrustError::io(format!("reading zip: {e}"))
        }
    })?;
    Ok(buf)
}

/// Returns (offset, size, entry count) of the central directory.
fn find_central_directory<R: Read + Seek>(r: &mut R, len: u64) -> Result<(u64, u64, u64)> {
    const END_LEN: u64 = 22;
    if len < END_LEN {
        return Err(TrustError::malformed("not a zip file (too short)"));
    }
    let tail_len = len.min(END_LEN + 0xffff);
    let tail = read_at(r, len - tail_len, tail_len as usize)?;
    // The end record is the last signature whose comment reaches exactly
    // to the end of the file.
    let mut found = None;
    for i in (0..=tail.len() - END_LEN as usize).rev() {
        if u32_at(&tail, i) == SIG_END
            && i + END_LEN as usize + usize::from(u16_at(&tail, i + 20)) == tail.len()
        {
            found = Some(i);
            break;
        }
    }
    let i = found
        .ok_or_else(|| TrustError::malformed("not a zip file (no end of central directory)"))?;
    let end_pos = len - tail_len + i as u64;
    let e = &tail[i..];
    if u16_at(e, 4) != 0 || u16_at(e, 6) != 0 || u16_at(e, 8) != u16_at(e, 10) {
        return Err(TrustError::malformed(
            "multi-disk zip files are not supported",
        ));
    }
    let mut count = u64::from(u16_at(e, 10));
    let mut size = u64::from(u32_at(e, 12));
    let mut offset = u64::from(u32_at(e, 16));
    let mut dir_end = end_pos;
    if count == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
        if end_pos < 20 {
            return Err(TrustError::malformed("zip64 locator missing"));
        }
        let loc = read_at(r, end_pos - 20, 20)?;
        if u32_at(&loc, 0) != SIG_END64_LOCATOR {
            return Err(TrustError::malformed("zip64 locator missing"));
        }
        let end64_pos = u64_at(&loc, 8);
        if end64_pos.checked_add(56).is_none_or(|e| e > end_pos - 20) {
            return Err(TrustError::malformed("zip64 end record out of range"));
        }
        let e64 = read_at(r, end64_pos, 56)?;
        if u32_at(&e64, 0) != SIG_END64 || u64_at(&e64, 24) != u64_at(&e64, 32) {
            return Err(TrustError::malformed("bad zip64 end record"));
        }
        count = u64_at(&e64, 32);
        size = u64_at(&e64, 40);
        offset = u64_at(&e64, 48);
        dir_end = end64_pos;
    }
    if offset.checked_add(size).is_none_or(|e| e > dir_end) {
        return Err(TrustError::malformed("zip central directory out of range"));
    }
    if count > MAX_ENTRIES {
        return Err(TrustError::malformed(format!(
            "zip has {count} entries; a toolchain has about 10,000 and gov accepts at most {MAX_ENTRIES}"
        )));
    }
    if size > MAX_CENTRAL_DIRECTORY || count > size / 46 {
        return Err(TrustError::malformed(
            "zip central directory size is implausible",
        ));
    }
    Ok((offset, size, count))
}

fn read_central_directory<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    size: u64,
    count: u64,
) -> Result<Vec<ZipEntry>> {
    let cd = read_at(r, offset, size as usize)?;
    let mut entries = Vec::with_capacity(count as usize);
    let mut p = 0usize;
    let bad = |why: &str| TrustError::malformed(format!("zip central directory: {why}"));
    for _ in 0..count {
        if cd.len() - p < 46 || u32_at(&cd, p) != SIG_CENTRAL {
            return Err(bad("bad entry header"));
        }
        let h = &cd[p..p + 46];
        let made_by = u16_at(h, 4);
        let flags = u16_at(h, 8);
        let method = u16_at(h, 10);
        let crc32 = u32_at(h, 16);
        let mut csize = u64::from(u32_at(h, 20));
        let mut usize_ = u64::from(u32_at(h, 24));
        let name_len = usize::from(u16_at(h, 28));
        let extra_len = usize::from(u16_at(h, 30));
        let comment_len = usize::from(u16_at(h, 32));
        let external = u32_at(h, 38);
        let mut header_offset = u64::from(u32_at(h, 42));
        let var_len = name_len + extra_len + comment_len;
        if cd.len() - p - 46 < var_len {
            return Err(bad("entry runs past the directory"));
        }
        let name_bytes = &cd[p + 46..p + 46 + name_len];
        let extra = &cd[p + 46 + name_len..p + 46 + name_len + extra_len];
        p += 46 + var_len;

        let name = std::str::from_utf8(name_bytes)
            .map_err(|_| bad("entry name is not UTF-8"))?
            .to_string();
        let name_shown = || shown(&name);
        if flags & 0x41 != 0 {
            return Err(bad(&format!("entry {} is encrypted", name_shown())));
        }
        if method != METHOD_STORE && method != METHOD_DEFLATE {
            return Err(bad(&format!(
                "entry {} uses compression method {method}",
                name_shown()
            )));
        }
        // zip64 sizes and offset, present only for fields saturated above.
        let mut x = 0;
        while x + 4 <= extra.len() {
            let id = u16_at(extra, x);
            let len = usize::from(u16_at(extra, x + 2));
            let field = extra
                .get(x + 4..x + 4 + len)
                .ok_or_else(|| bad("extra field runs past its entry"))?;
            if id == 1 {
                let mut f = 0;
                for v in [&mut usize_, &mut csize, &mut header_offset] {
                    if *v == 0xffff_ffff {
                        if f + 8 > field.len() {
                            return Err(bad("short zip64 extra field"));
                        }
                        *v = u64_at(field, f);
                        f += 8;
                    }
                }
            }
            x += 4 + len;
        }
        if method == METHOD_STORE && csize != usize_ {
            return Err(bad(&format!("stored entry {} has two sizes", name_shown())));
        }
        // Unix hosts keep the mode in the high half of the attributes.
        let mode = (made_by >> 8 == 3)
            .then_some(external >> 16)
            .filter(|m| *m != 0);
        entries.push(ZipEntry {
            name,
            path: String::new(),
            is_dir: false,
            mode,
            size: usize_,
            sha256: [0; 32],
            method,
            crc32,
            compressed_size: csize,
            header_offset,
        });
    }
    if p != cd.len() {
        return Err(bad("trailing bytes after the last entry"));
    }
    Ok(entries)
}

thread_local! {
    /// One raw-deflate state and input buffer per thread, reset for every
    /// entry: a decoder per entry (thousands in a toolchain) left the heap
    /// growing by ~12 KiB an entry.
    static INFLATE: std::cell::RefCell<(Decompress, Vec<u8>)> =
        std::cell::RefCell::new((Decompress::new(false), vec![0u8; 64 * 1024]));
}

/// Raw deflate over `src`, on the thread's reusable state.
struct Inflate<R> {
    src: R,
    pos: usize,
    end: usize,
    eof: bool,
    done: bool,
}

impl<R: Read> Inflate<R> {
    fn new(src: R) -> Self {
        INFLATE.with(|s| s.borrow_mut().0.reset(false));
        Inflate {
            src,
            pos: 0,
            end: 0,
            eof: false,
            done: false,
        }
    }
}

impl<R: Read> Read for Inflate<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        INFLATE.with(|state| {
            let mut state = state.borrow_mut();
            let (z, buf) = &mut *state;
            loop {
                if self.done {
                    return Ok(0);
                }
                if self.pos == self.end && !self.eof {
                    self.end = self.src.read(buf)?;
                    self.pos = 0;
                    self.eof = self.end == 0;
                }
                let (in0, out0) = (z.total_in(), z.total_out());
                let flush = if self.eof {
                    FlushDecompress::Finish
                } else {
                    FlushDecompress::None
                };
                let status = z
                    .decompress(&buf[self.pos..self.end], out, flush)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                self.pos += (z.total_in() - in0) as usize;
                let produced = (z.total_out() - out0) as usize;
                if status == Status::StreamEnd {
                    self.done = true;
                }
                if produced > 0 || self.done {
                    return Ok(produced);
                }
                if self.eof {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "deflate stream ends early",
                    ));
                }
            }
        })
    }
}

/// Counts, CRCs and hashes what passes through, and fails as soon as more
/// than the declared size comes out of the decompressor.
struct Meter<R> {
    inner: R,
    limit: u64,
    count: u64,
    crc: flate2::Crc,
    sha: Sha256,
    over: bool,
}

impl<R: Read> Read for Meter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            self.over = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "entry is larger than declared",
            ));
        }
        self.crc.update(&buf[..n]);
        self.sha.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads one entry's content through `consume`, then checks size and CRC
/// and records its sha256. Returns the entry's byte range in the zip.
fn read_entry<R: Read + Seek>(
    r: &mut R,
    e: &mut ZipEntry,
    data_limit: u64,
    consume: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
) -> Result<(u64, u64)> {
    let bad = |why: &str| TrustError::malformed(format!("zip entry {}: {why}", shown(&e.name)));
    let h = read_at(r, e.header_offset, 30)?;
    if u32_at(&h, 0) != SIG_LOCAL {
        return Err(bad("bad local header"));
    }
    if u16_at(&h, 8) != e.method {
        return Err(bad("local header disagrees with the central directory"));
    }
    let name_len = u64::from(u16_at(&h, 26));
    let extra_len = u64::from(u16_at(&h, 28));
    let name = read_at(r, e.header_offset + 30, name_len as usize)?;
    if name != e.name.as_bytes() {
        return Err(bad("local header has another name"));
    }
    let start = e.header_offset + 30 + name_len + extra_len;
    let end = start
        .checked_add(e.compressed_size)
        .filter(|&end| end <= data_limit)
        .ok_or_else(|| bad("data runs past the end of the entries"))?;
    r.seek(SeekFrom::Start(start))
        .map_err(io_err("seeking zip"))?;
    let raw = Read::take(&mut *r, e.compressed_size);
    let inner: Box<dyn Read + '_> = match e.method {
        METHOD_DEFLATE => Box::new(Inflate::new(raw)),
        _ => Box::new(raw),
    };
    let mut m = Meter {
        inner,
        limit: e.size,
        count: 0,
        crc: flate2::Crc::new(),
        sha: Sha256::new(),
        over: false,
    };
    let res = consume(&mut m).and_then(|_| io::copy(&mut m, &mut io::sink()).map(|_| ()));
    if m.over {
        return Err(bad("inflates to more than its declared size"));
    }
    if let Err(err) = res {
        return Err(if err.kind() == io::ErrorKind::Other {
            TrustError::io(format!("zip entry {}: {err}", shown(&e.name)))
        } else {
            bad(&format!("cannot read content: {err}"))
        });
    }
    if m.count != e.size {
        return Err(bad("content is shorter than its declared size"));
    }
    if m.crc.sum() != e.crc32 {
        return Err(bad("CRC-32 mismatch"));
    }
    e.sha256 = m.sha.finalize().into();
    Ok((start, end))
}

/// A name from the zip, quoted and clipped for a message.
fn shown(name: &str) -> String {
    format!("\"{}\"", excerpt(name, 120))
}

/// x/mod's rules for file paths in a module (clean, relative, portable),
/// within the bounds above; the length is checked before anything else
/// looks at the path.
pub fn check_file_path(path: &str) -> std::result::Result<(), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    if path.len() > MAX_PATH_LEN {
        return Err(format!(
            "path is longer than {MAX_PATH_LEN} bytes ({} bytes)",
            path.len()
        ));
    }
    if path.split('/').count() > MAX_DEPTH {
        return Err(format!("path is deeper than {MAX_DEPTH} folders"));
    }
    for elem in path.split('/') {
        check_elem(elem)?;
    }
    Ok(())
}

fn check_elem(elem: &str) -> std::result::Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element (absolute path or double slash)".into());
    }
    if elem.len() > MAX_ELEM_LEN {
        return Err(format!(
            "path element is longer than {MAX_ELEM_LEN} bytes ({} bytes)",
            elem.len()
        ));
    }
    let elem_shown = shown(elem);
    if elem.bytes().all(|b| b == b'.') {
        return Err(format!("invalid path element {elem_shown}"));
    }
    if elem.ends_with('.') {
        return Err(format!("trailing dot in path element {elem_shown}"));
    }
    for c in elem.chars() {
        let ok = if c.is_ascii() {
            c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c)
        } else {
            c.is_alphabetic()
        };
        if !ok {
            return Err(format!("invalid char {c:?} in {elem_shown}"));
        }
    }
    let short = elem.split('.').next().unwrap_or(elem);
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(short)) {
        return Err(format!(
            "{} disallowed as path element component on Windows",
            shown(short)
        ));
    }
    Ok(())
}

/// Case folding for collision checks: names equal under it would be one
/// file on case-insensitive file systems.
fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
        .collect()
}

/// The zip's tree of names, one node per element, each keyed by its
/// parent and its folded element: every element is folded and hashed once,
/// so checking a zip costs time and memory linear in its names' length.
#[derive(Default)]
struct Collisions {
    children: HashMap<(u32, String), u32>,
    nodes: Vec<Node>,
    dirs: usize,
}

/// An element as the zip first spelled it, and whether it is a folder.
struct Node {
    elem: Box<str>,
    is_dir: bool,
}

/// The parent of top-level elements.
const ROOT: u32 = u32::MAX;

impl Collisions {
    /// Adds `path` (checked by [`check_file_path`]): its folders may repeat,
    /// but no two names may be equal under case folding unless they are one
    /// folder, and no name may be both a file and a folder.
    fn check(&mut self, path: &str, is_dir: bool) -> std::result::Result<(), String> {
        let mut parent = ROOT;
        let mut start = 0;
        for elem in path.split('/') {
            let end = start + elem.len();
            let here = &path[..end];
            let elem_is_dir = is_dir || end < path.len();
            match self.children.get(&(parent, fold(elem))) {
                Some(&id) => {
                    let node = &self.nodes[id as usize];
                    if *node.elem != *elem {
                        let other = format!("{}{}", &path[..start], node.elem);
                        return Err(format!(
                            "case-insensitive file name collision: {} and {}",
                            shown(&other),
                            shown(here)
                        ));
                    }
                    if node.is_dir != elem_is_dir {
                        return Err(format!("{} is both a file and a directory", shown(here)));
                    }
                    if !elem_is_dir {
                        return Err(format!("multiple entries for file {}", shown(here)));
                    }
                    parent = id;
                }
                None => parent = self.add(parent, elem, elem_is_dir)?,
            }
            start = end + 1;
        }
        Ok(())
    }

    fn add(&mut self, parent: u32, elem: &str, is_dir: bool) -> std::result::Result<u32, String> {
        if is_dir {
            self.dirs += 1;
            if self.dirs > MAX_DIRS {
                return Err(format!(
                    "more than {MAX_DIRS} folders; a toolchain has about 1,100"
                ));
            }
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            elem: elem.into(),
            is_dir,
        });
        self.children.insert((parent, fold(elem)), id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::error::ErrorKind;
    use std::io::{Cursor, Write};

    fn crc32_of(data: &[u8]) -> u32 {
        let mut c = flate2::Crc::new();
        c.update(data);
        c.sum()
    }

    /// A small zip writer for tests: stored or deflated entries, optional
    /// lies in the declared sizes.
    pub(crate) struct TestZip {
        out: Vec<u8>,
        central: Vec<u8>,
        count: u16,
    }

    pub(crate) struct Entry<'a> {
        pub name: &'a str,
        pub data: &'a [u8],
        pub deflate: bool,
        pub declared_size: Option<u32>,
        pub crc: Option<u32>,
    }

    impl<'a> Entry<'a> {
        pub fn new(name: &'a str, data: &'a [u8]) -> Self {
            Entry {
                name,
                data,
                deflate: true,
                declared_size: None,
                crc: None,
            }
        }
    }

    impl TestZip {
        pub fn new() -> Self {
            TestZip {
                out: Vec::new(),
                central: Vec::new(),
                count: 0,
            }
        }

        pub fn add(&mut self, e: Entry<'_>) -> &mut Self {
            let crc = e.crc.unwrap_or_else(|| crc32_of(e.data));
            let body = if e.deflate {
                let mut enc =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                enc.write_all(e.data).unwrap();
                enc.finish().unwrap()
            } else {
                e.data.to_vec()
            };
            let usize_ = e.declared_size.unwrap_or(e.data.len() as u32);
            let csize = if e.deflate { body.len() as u32 } else { usize_ };
            let method: u16 = if e.deflate { 8 } else { 0 };
            let offset = self.out.len() as u32;
            let o = &mut self.out;
            o.extend(SIG_LOCAL.to_le_bytes());
            o.extend(20u16.to_le_bytes());
            o.extend(0u16.to_le_bytes());
            o.extend(method.to_le_bytes());
            o.extend([0u8; 4]);
            o.extend(crc.to_le_bytes());
            o.extend(csize.to_le_bytes());
            o.extend(usize_.to_le_bytes());
            o.extend((e.name.len() as u16).to_le_bytes());
            o.extend(0u16.to_le_bytes());
            o.extend(e.name.as_bytes());
            o.extend(&body);
            let c = &mut self.central;
            c.extend(SIG_CENTRAL.to_le_bytes());
            c.extend((0x0300u16 | 20).to_le_bytes());
            c.extend(20u16.to_le_bytes());
            c.extend(0u16.to_le_bytes());
            c.extend(method.to_le_bytes());
            c.extend([0u8; 4]);
            c.extend(crc.to_le_bytes());
            c.extend(csize.to_le_bytes());
            c.extend(usize_.to_le_bytes());
            c.extend((e.name.len() as u16).to_le_bytes());
            c.extend([0u8; 8]);
            c.extend((0o100644u32 << 16).to_le_bytes());
            c.extend(offset.to_le_bytes());
            c.extend(e.name.as_bytes());
            self.count += 1;
            self
        }

        pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
            self.add(Entry::new(name, data))
        }

        pub fn finish(&self) -> Vec<u8> {
            let mut o = self.out.clone();
            let cd_offset = o.len() as u32;
            o.extend(&self.central);
            o.extend(SIG_END.to_le_bytes());
            o.extend([0u8; 4]);
            o.extend(self.count.to_le_bytes());
            o.extend(self.count.to_le_bytes());
            o.extend((self.central.len() as u32).to_le_bytes());
            o.extend(cd_offset.to_le_bytes());
            o.extend(0u16.to_le_bytes());
            o
        }
    }

    const M: &str = "golang.org/toolchain";
    const V: &str = "v0.0.1-go1.22.10.linux-amd64";
    const P: &str = "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/";

    fn check(zip: &[u8]) -> Result<CheckedZip> {
        check_zip(&mut Cursor::new(zip), M, V)
    }

    fn err_of(zip: &[u8]) -> TrustError {
        check(zip).unwrap_err()
    }

    /// A sink that keeps every file in memory.
    #[derive(Default)]
    struct Mem(Vec<(String, Vec<u8>)>);

    impl UnpackSink for Mem {
        fn file(&mut self, path: &str, _: Option<u32>, r: &mut dyn Read) -> Result<()> {
            let mut v = Vec::new();
            r.read_to_end(&mut v)
                .map_err(|e| TrustError::io(e.to_string()))?;
            self.0.push((path.to_string(), v));
            Ok(())
        }
    }

    #[test]
    fn good_zip_and_hash() {
        let z = TestZip::new()
            .file(&format!("{P}bin/go"), b"\x7fELF go")
            .file(&format!("{P}VERSION"), b"go1.22.10\n")
            .add(Entry {
                deflate: false,
                ..Entry::new(&format!("{P}src/_go.mod"), b"module std\n")
            })
            .file(&format!("{P}src/"), b"")
            .finish();
        let c = check(&z).unwrap();
        assert_eq!(c.files().count(), 3);
        assert_eq!(c.content_size, 7 + 10 + 11);
        // The hash is over every entry, directories too, as Go's HashZip.
        let mut h = Hash1::new();
        for (n, d) in [
            ("bin/go", &b"\x7fELF go"[..]),
            ("VERSION", b"go1.22.10\n"),
            ("src/_go.mod", b"module std\n"),
            ("src/", b""),
        ] {
            h.add(&format!("{P}{n}"), Sha256::digest(d).into()).unwrap();
        }
        assert_eq!(c.h1, h.finish());

        let mut sink = Mem(Vec::new());
        unpack(&mut Cursor::new(&z), &c, &mut sink).unwrap();
        let names: Vec<&str> = sink.0.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, ["bin/go", "VERSION", "src/_go.mod"]);
        assert_eq!(sink.0[1].1, b"go1.22.10\n");

        // A sink that reads only part still gets the rest checked; a sink
        // error comes back as it was.
        struct Failing;
        impl UnpackSink for Failing {
            fn file(&mut self, _: &str, _: Option<u32>, _: &mut dyn Read) -> Result<()> {
                Err(TrustError::io("disk full"))
            }
        }
        let err = unpack(&mut Cursor::new(&z), &c, &mut Failing).unwrap_err();
        assert_eq!(err.message(), "disk full");

        // Checked and unpacked in one pass: the same files, the same hash,
        // and a name that fails the checks reaches the sink not at all.
        let open = || Ok(Cursor::new(z.as_slice()));
        let mut one = [Mem(Vec::new())];
        let c1 = check_and_unpack_parallel(&open, M, V, &mut one).unwrap();
        assert_eq!(c1.h1, c.h1);
        assert_eq!(one[0].0, sink.0);
        let bad = TestZip::new()
            .file(&format!("{P}VERSION"), b"go1.22.10\n")
            .file(&format!("{P}../escape"), b"x")
            .finish();
        let open_bad = || Ok(Cursor::new(bad.as_slice()));
        let mut none = [Mem(Vec::new())];
        assert!(check_and_unpack_parallel(&open_bad, M, V, &mut none).is_err());
        assert!(
            none[0].0.is_empty(),
            "nothing written before the names are checked"
        );
        let err = check_and_unpack_parallel(&open, M, V, &mut [Failing]).unwrap_err();
        assert_eq!(err.message(), "disk full");

        // The zip changing between check and unpack is caught.
        let mut z2 = z.clone();
        let c2 = c.clone();
        let pos = z2.windows(10).position(|w| w == b"module std").unwrap();
        z2[pos] = b'M';
        assert!(unpack(&mut Cursor::new(&z2), &c2, &mut Mem(Vec::new())).is_err());
    }

    #[test]
    fn parallel_matches_serial() {
        let mut t = TestZip::new();
        let bodies: Vec<Vec<u8>> = (0..40)
            .map(|i| vec![b'a' + (i % 26) as u8; 100 * i])
            .collect();
        let names: Vec<String> = (0..40).map(|i| format!("{P}pkg/f{i:02}")).collect();
        for i in 0..40 {
            // f25 stored, so a test below can flip one of its bytes.
            t.add(Entry {
                deflate: i != 25,
                ..Entry::new(&names[i], &bodies[i])
            });
        }
        t.file(&format!("{P}pkg/"), b"");
        let z = t.finish();
        let serial = check(&z).unwrap();
        let open = || Ok(Cursor::new(z.as_slice()));
        for workers in [1, 2, 3, 7] {
            let mut sinks: Vec<Mem> = (0..workers).map(|_| Mem::default()).collect();
            let c = check_and_unpack_parallel(&open, M, V, &mut sinks).unwrap();
            assert_eq!(c.h1, serial.h1, "{workers} workers");
            let mut got: Vec<_> = sinks.into_iter().flat_map(|s| s.0).collect();
            got.sort();
            assert_eq!(got.len(), 40);
            assert_eq!(got[3], ("pkg/f03".to_string(), vec![b'd'; 300]));
            assert!(
                got.iter()
                    .all(|(n, v)| v.len() == 100 * n[5..].parse::<usize>().unwrap())
            );
        }

        // A corrupt entry fails the whole zip whichever worker reads it,
        // and the others stop; names are refused before any worker starts.
        let mut bad = z.clone();
        let pos = bad.windows(3).position(|w| w == b"zzz").unwrap() + 100;
        bad[pos] ^= 1;
        let open_bad = || Ok(Cursor::new(bad.as_slice()));
        let mut sinks: Vec<Mem> = (0..2).map(|_| Mem::default()).collect();
        let err = check_and_unpack_parallel(&open_bad, M, V, &mut sinks).unwrap_err();
        assert!(err.message().contains("f25"), "{}", err.message());
        let escape = TestZip::new()
            .file(&format!("{P}VERSION"), b"go1.22.10\n")
            .file(&format!("{P}../escape"), b"x")
            .finish();
        let open_esc = || Ok(Cursor::new(escape.as_slice()));
        let mut sinks: Vec<Mem> = (0..2).map(|_| Mem::default()).collect();
        assert!(check_and_unpack_parallel(&open_esc, M, V, &mut sinks).is_err());
        assert!(sinks.iter().all(|s| s.0.is_empty()));
    }

    #[test]
    fn bad_names() {
        for name in [
            "golang.org/toolchain@v0.0.1-go1.22.9.linux-amd64/VERSION".to_string(),
            "VERSION".into(),
            format!("/{P}VERSION"),
            format!("{P}../VERSION"),
            format!("{P}a/../VERSION"),
            format!("{P}./VERSION"),
            format!("{P}a//VERSION"),
            format!("{P}/etc/passwd"),
            format!("{P}a\\b"),
            format!("{P}a:b"),
            format!("{P}a\tb"),
            format!("{P}trailing."),
            format!("{P}src/NUL.txt"),
            format!("{P}src/go.mod"),
            format!("{P}GO.MOD"),
            format!("{P}a*b"),
        ] {
            let z = TestZip::new().file(&name, b"x").finish();
            assert_eq!(err_of(&z).kind(), ErrorKind::Malformed, "{name}");
        }
        // Non-UTF-8 name.
        let mut z = TestZip::new().file(&format!("{P}ab"), b"x").finish();
        for i in 0..z.len() - 1 {
            if &z[i..i + 2] == b"ab" {
                z[i] = 0xff;
            }
        }
        assert_eq!(err_of(&z).kind(), ErrorKind::Malformed);
        // Root go.mod is allowed.
        check(
            &TestZip::new()
                .file(&format!("{P}go.mod"), b"module x\n")
                .finish(),
        )
        .unwrap();
    }

    #[test]
    fn duplicates_and_collisions() {
        for (a, b) in [
            ("bin/go", "bin/go"),
            ("bin/go", "BIN/go"),
            ("bin/go", "bin/Go"),
            ("bin", "bin/go"),
            ("bin/go", "bin/go/"),
            ("a/k", "a/\u{212a}"), // Kelvin sign folds to k
        ] {
            let z = TestZip::new()
                .file(&format!("{P}{a}"), b"1")
                .file(&format!("{P}{b}"), b"")
                .finish();
            let e = err_of(&z);
            assert_eq!(e.kind(), ErrorKind::Malformed, "{a} {b}");
        }
        check(
            &TestZip::new()
                .file(&format!("{P}bin/"), b"")
                .file(&format!("{P}bin/go"), b"1")
                .file(&format!("{P}bin/"), b"")
                .finish(),
        )
        .unwrap();
    }

    #[test]
    fn sizes_and_bytes() {
        let name = format!("{P}big");
        let data = vec![b'a'; 100_000];
        // A declared size smaller than what inflates: stopped at the limit.
        let z = TestZip::new()
            .add(Entry {
                declared_size: Some(10),
                ..Entry::new(&name, &data)
            })
            .finish();
        assert!(err_of(&z).message().contains("more than its declared size"));
        // Declared larger than actual.
        let z = TestZip::new()
            .add(Entry {
                declared_size: Some(100_001),
                ..Entry::new(&name, &data)
            })
            .finish();
        assert!(err_of(&z).message().contains("shorter"));
        // Bad CRC.
        let z = TestZip::new()
            .add(Entry {
                crc: Some(1),
                ..Entry::new(&name, &data)
            })
            .finish();
        assert!(err_of(&z).message().contains("CRC"));
        // Limits on content and zip size.
        let z = TestZip::new()
            .file(&name, &data)
            .file(&format!("{P}b2"), &data)
            .finish();
        let small = Limits {
            max_zip: MAX_ZIP_SIZE,
            max_content: 150_000,
        };
        let e = check_zip_with_limits(&mut Cursor::new(&z), M, V, small).unwrap_err();
        assert!(e.message().contains("too large"), "{e}");
        let tiny = Limits {
            max_zip: 100,
            max_content: MAX_CONTENT_SIZE,
        };
        let e = check_zip_with_limits(&mut Cursor::new(&z), M, V, tiny).unwrap_err();
        assert!(e.message().contains("too large"), "{e}");
        // A zip bomb declaring a huge size is refused before inflating.
        let z = TestZip::new()
            .add(Entry {
                declared_size: Some(u32::MAX - 1),
                ..Entry::new(&name, &data)
            })
            .finish();
        assert!(err_of(&z).message().contains("too large"));
    }

    #[test]
    fn truncated_and_garbage() {
        let z = TestZip::new()
            .file(&format!("{P}a"), b"hello")
            .file(&format!("{P}b"), b"world")
            .finish();
        for cut in [0, 10, z.len() / 2, z.len() - 1] {
            assert!(check(&z[..cut]).is_err(), "cut {cut}");
        }
        let mut junk = z.clone();
        junk.extend(b"trailing");
        assert!(check(&junk).is_err());
        assert!(check(b"PK\x05\x06 not a zip at all........").is_err());
        // Two central entries pointing at one local entry.
        let mut t = TestZip::new();
        t.file(&format!("{P}a"), b"hello");
        let one = t.central.clone();
        t.central.extend(&one);
        t.count = 2;
        assert!(check(&t.finish()).is_err());
    }

    /// Names, depth, folders and entries are bounded to a few times what
    /// a real toolchain holds (see the limits' comments), and a refused
    /// name is clipped in the message.
    #[test]
    fn names_and_counts_are_bounded() {
        let long = format!("{P}{}", "a".repeat(MAX_PATH_LEN + 1));
        let deep = format!("{P}{}x", "a/".repeat(MAX_DEPTH));
        let wide = format!("{P}{}", "e".repeat(MAX_ELEM_LEN + 1));
        let hostile = format!("{P}{}x", "a/".repeat(16_000));
        for (name, want) in [
            (&long, "path is longer than 512 bytes"),
            (&deep, "path is deeper than 32 folders"),
            (&wide, "path element is longer than 255 bytes"),
            (&hostile, "path is longer than 512 bytes"),
        ] {
            let z = TestZip::new().file(name, b"x").finish();
            let e = err_of(&z);
            assert_eq!(e.kind(), ErrorKind::Malformed);
            assert!(e.message().contains(want), "{}", e.message());
            assert!(
                e.message().len() < 600,
                "not clipped: {}",
                e.message().len()
            );
        }
        let outside = "x/".repeat(20_000);
        let e = err_of(&TestZip::new().file(&outside, b"x").finish());
        assert!(
            e.message().len() < 600,
            "not clipped: {}",
            e.message().len()
        );
        // At the limits exactly: accepted.
        let at = |s: &str| format!("{P}{s}");
        let z = TestZip::new()
            .file(&at(&"a".repeat(MAX_ELEM_LEN)), b"x")
            .file(&at(&format!("{}x", "b/".repeat(MAX_DEPTH - 1))), b"x")
            .file(
                &at(&format!(
                    "{}/{}/{}",
                    "c".repeat(200),
                    "d".repeat(200),
                    "e".repeat(110)
                )),
                b"x",
            )
            .finish();
        check(&z).unwrap();

        // More entries than a real toolchain could need: refused before
        // the central directory is read.
        let mut t = TestZip::new();
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("{P}f{i}")).collect();
        for n in &names {
            t.add(Entry {
                deflate: false,
                ..Entry::new(n, b"")
            });
        }
        let e = err_of(&t.finish());
        assert!(e.message().contains("entries"), "{}", e.message());
        // As many folders: refused.
        let mut t = TestZip::new();
        let names: Vec<String> = (0..=MAX_DIRS).map(|i| format!("{P}d{i}/f")).collect();
        for n in &names {
            t.add(Entry {
                deflate: false,
                ..Entry::new(n, b"")
            });
        }
        let e = err_of(&t.finish());
        assert!(e.message().contains("folders"), "{}", e.message());
    }
}
