//! One archive into the mirror: streamed from the upstream mirrors (with
//! failover and in-transfer resume from `net::http`) into `.<name>.partial`,
//! hashed as it arrives, and renamed to its release name only when size and
//! sha256 equal the upstream index's. A partial left by an interrupted sync
//! is continued with a Range request; its bytes are hashed again first, and
//! if the whole then does not match, the download starts over once (the
//! partial may have come from a file upstream has since replaced).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use reqwest::blocking::Client;
use sha2::{Digest, Sha256};

use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::report::Progress;
use crate::mirror::{hex, partial_name};
use crate::net::http::{MirrorUrls, MirroredBody, RetryPolicy};

/// Bytes written between two writeback kicks.
const WRITEBACK_EVERY: u64 = 8 * 1024 * 1024;

/// What one download cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetched {
    /// Bytes that came over the network.
    pub downloaded: u64,
    /// Bytes a partial from an earlier run already held.
    pub resumed_from: u64,
}

/// What to fetch and what it must be.
pub struct Target<'a> {
    pub name: &'a str,
    pub sha256: &'a str,
    pub size: u64,
    /// The file's URL on each upstream mirror, in order.
    pub urls: Vec<String>,
}

/// Fetches `t` into `dir` under its name. On error nothing is left under
/// the final name; a partial that may be continued is kept only after a
/// network failure (never after a checksum mismatch).
pub fn fetch(
    client: &Client,
    dir: &Path,
    t: &Target,
    progress: &Arc<dyn Progress>,
) -> Result<Fetched> {
    let partial = dir.join(partial_name(t.name));
    match attempt(client, &partial, t, progress) {
        Ok(f) => publish(dir, &partial, t.name).map(|()| f),
        Err((e, resumed)) if e.kind() == ErrorKind::Checksum && resumed > 0 => {
            let _ = std::fs::remove_file(&partial);
            let f = attempt(client, &partial, t, progress).map_err(|(e, _)| e)?;
            publish(dir, &partial, t.name).map(|()| f)
        }
        Err((e, _)) => Err(e),
    }
}

fn publish(dir: &Path, partial: &Path, name: &str) -> Result<()> {
    let dest = dir.join(name);
    std::fs::rename(partial, &dest).context(|| format!("renaming {} into place", partial.display()))
}

/// One pass; the error carries how many bytes came from an old partial.
fn attempt(
    client: &Client,
    partial: &Path,
    t: &Target,
    progress: &Arc<dyn Progress>,
) -> std::result::Result<Fetched, (Error, u64)> {
    let mut hasher = Sha256::new();
    let (mut out, mut have) = open_partial(partial, t.size).map_err(|e| (e, 0))?;
    if have > 0 && hash_prefix(&mut out, &mut hasher).is_err() {
        out = replace_partial(partial).map_err(|e| (e, 0))?;
        hasher = Sha256::new();
        have = 0;
    }
    let resumed_from = have;
    let fail = |e: Error| (e, resumed_from);
    progress.advance(have);

    let mut downloaded = 0u64;
    if have < t.size {
        let (mut body, total, url) = open_source(client, &t.urls, have).map_err(fail)?;
        if let Some(total) = total
            && total != t.size
        {
            let _ = std::fs::remove_file(partial);
            return Err(fail(
                Error::new(
                    ErrorKind::Checksum,
                    format!(
                        "{url} serves {total} bytes for {}, but the upstream index says {}",
                        t.name, t.size
                    ),
                )
                .with_advice("that server holds a different file; fix or drop it from GOV_MIRROR"),
            ));
        }
        let into = Partial {
            file: &mut out,
            hasher: &mut hasher,
            path: partial,
            have,
        };
        downloaded = stream(&mut body, &url, into, t, progress).map_err(fail)?;
        have += downloaded;
    }
    if have != t.size {
        return Err(fail(Error::new(
            ErrorKind::Network,
            format!(
                "the download of {} ended after {have} of {} bytes",
                t.name, t.size
            ),
        )));
    }
    let got = hex(&hasher.finalize());
    if got != t.sha256 {
        let _ = std::fs::remove_file(partial);
        return Err(fail(
            Error::new(
                ErrorKind::Checksum,
                format!(
                    "checksum mismatch for {}: the upstream index says sha256 {}, the bytes served hash to {got}",
                    t.name, t.sha256
                ),
            )
            .with_advice("nothing was published for it; the upstream mirror serves a corrupt or altered file"),
        ));
    }
    out.set_permissions(std::fs::Permissions::from_mode(0o644))
        .and_then(|()| out.sync_all())
        .context(|| format!("syncing {}", partial.display()))
        .map_err(fail)?;
    Ok(Fetched {
        downloaded,
        resumed_from,
    })
}

/// The partial being written: the open file, the hash of what it holds,
/// its path and how many bytes it holds.
struct Partial<'a> {
    file: &'a mut File,
    hasher: &'a mut Sha256,
    path: &'a Path,
    have: u64,
}

/// Appends the body to the partial (which holds `have` bytes), hashing
/// and counting as it goes; returns the bytes received. Past the size the
/// index gives, the partial is removed; after a network failure it is
/// kept, for the next sync to continue.
fn stream(
    body: &mut dyn Read,
    url: &str,
    into: Partial<'_>,
    t: &Target,
    progress: &Arc<dyn Progress>,
) -> Result<u64> {
    let Partial {
        file: out,
        hasher,
        path: partial,
        mut have,
    } = into;
    let mut downloaded = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    let mut unflushed = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => return Ok(downloaded),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Network,
                    format!("the download of {} failed after {} bytes", t.name, have),
                )
                .with_source(e));
            }
        };
        if have + n as u64 > t.size {
            let _ = std::fs::remove_file(partial);
            return Err(Error::new(
                ErrorKind::Checksum,
                format!(
                    "{url} sends more than the {} bytes the upstream index gives {}",
                    t.size, t.name
                ),
            ));
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .context(|| format!("writing {}", partial.display()))?;
        have += n as u64;
        downloaded += n as u64;
        progress.advance(n as u64);
        // Writeback starts while the download goes on, so the fsync
        // before the rename finds little left to flush.
        unflushed += n as u64;
        if unflushed >= WRITEBACK_EVERY {
            crate::core::fsutil::start_writeback(out);
            unflushed = 0;
        }
    }
}

/// The bytes from `start` on: a `file://` mirror that has the file is read
/// directly; the http(s) ones go through `MirroredBody` (failover, retries,
/// resume). Returns the reader, the whole file's size if known, and the URL.
fn open_source(
    client: &Client,
    urls: &[String],
    start: u64,
) -> Result<(Box<dyn Read>, Option<u64>, String)> {
    use std::io::{Seek, SeekFrom};
    let urls = MirrorUrls::sort(urls.to_vec(), &urls.join(", "))?;
    if let Some((path, url)) = urls.local {
        let mut f = File::open(&path).context(|| format!("opening {}", path.display()))?;
        let len = f.metadata().ok().map(|m| m.len());
        f.seek(SeekFrom::Start(start))
            .context(|| format!("reading {}", path.display()))?;
        return Ok((Box::new(f), len, url));
    }
    let body = MirroredBody::open_from(client, urls.remote, RetryPolicy::from_env(), start)?;
    let total = body.content_length();
    let url = body.url().to_string();
    Ok((Box::new(body), total, url))
}

/// Mode of a partial while it is written: nobody else may change bytes
/// that were hashed already. It becomes 0644 once complete.
const PARTIAL_MODE: u32 = 0o600;

/// Opens the partial left by an earlier run to continue it, never through
/// a link: only a regular file this account owns with no other name (a
/// hard link would make gov write into another file) and no bigger than
/// the target is continued; anything else is replaced by a new empty one.
/// Returns the file (read and append) and how many bytes it holds.
fn open_partial(partial: &Path, size: u64) -> Result<(File, u64)> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let existing = OpenOptions::new()
        .read(true)
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(partial);
    let Ok(f) = existing else {
        return Ok((replace_partial(partial)?, 0));
    };
    let meta = f
        .metadata()
        .context(|| format!("inspecting {}", partial.display()))?;
    let ours = meta.is_file()
        && meta.uid() == crate::core::perms::euid()
        && meta.nlink() == 1
        && meta.len() <= size;
    if !ours {
        drop(f);
        return Ok((replace_partial(partial)?, 0));
    }
    f.set_permissions(std::fs::Permissions::from_mode(PARTIAL_MODE))
        .context(|| format!("setting the mode of {}", partial.display()))?;
    Ok((f, meta.len()))
}

/// Removes whatever has the partial's name and creates it anew, empty
/// (so it is only written), with [`PARTIAL_MODE`], never through a link.
fn replace_partial(partial: &Path) -> Result<File> {
    crate::core::fsutil::remove_tree(partial)?;
    crate::core::perms::create_file(partial, PARTIAL_MODE)
}

/// Hashes what the open partial holds, from its start.
fn hash_prefix(f: &mut File, hasher: &mut Sha256) -> std::io::Result<()> {
    use std::io::Seek;
    f.seek(std::io::SeekFrom::Start(0))?;
    hash_reader(f, hasher)
}

fn hash_reader(f: &mut impl Read, hasher: &mut Sha256) -> std::io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match f.read(&mut buf)? {
            0 => return Ok(()),
            n => hasher.update(&buf[..n]),
        }
    }
}

/// The sha256 of a whole file.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut h = Sha256::new();
    hash_reader(&mut File::open(path)?, &mut h)?;
    Ok(hex(&h.finalize()))
}
