//! A static mirror of Go releases for a fleet: one directory that any web
//! server (or object store) serves as it is, built and checked by
//! `gov mirror sync` and `gov mirror verify`.
//!
//! ```text
//! <dir>/index.json                    go.dev's index format, listing exactly the archives held
//! <dir>/go<v>.linux-<arch>.tar.gz     release archives under their release file names
//! <dir>/go<v>.linux-<arch>.tar.gz.asc their OpenPGP signatures, when upstream has them
//! <dir>/gov-<triple>.tar.gz(.sha256, .sig)  gov's own release artifacts (self-update, install.sh)
//! <dir>/install.sh                    the installer, stamped with the mirror's URL
//! <dir>/golang.org/toolchain/@v/     the archives as toolchain module versions (`toolchains`)
//! <dir>/sumdb/<name>/               the checksum database's answers for them (`snapshot`)
//! <dir>/.gov-mirror.json              the manifest: what sync wrote and how it looked on disk
//! <dir>/.<name>.partial               a download in progress, resumed by the next sync
//! <dir>/.gov-mirror.locks/            sync's lock (0700: the docroot's mode is left alone)
//! ```
//!
//! Everything published is readable by every account (folders 0755, files
//! 0644, whatever the umask), as a web server's workers need: `publish`.
//!
//! Invariants: `index.json` is replaced last, by one rename, and names only
//! files that are complete and verified, so a host never sees an index
//! naming a missing file; pruned files go only after the index that no
//! longer names them is published. Checksums come from the upstream index,
//! never from the server that sent the bytes.
//!
//! Uses `core`, `net` and `install` (archive names, gov's release artifacts).

pub mod artifacts;
pub mod fetch;
pub mod manifest;
pub mod modules;
pub mod publish;
pub mod select;
pub mod signatures;
pub mod snapshot;
pub mod sync;
pub mod toolchains;
pub mod verify;

/// The published index's file name.
pub const INDEX: &str = "index.json";
/// The installer's file name.
pub const INSTALLER: &str = "install.sh";

/// The temporary name of a download of `name` (hidden: web servers are told
/// not to serve dot files).
pub fn partial_name(name: &str) -> String {
    format!(".{name}.partial")
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `work` on every item, on at most `jobs` threads (downloads, hashing);
/// the results in the items' order. `None` only where a worker stopped
/// early (it panicked, which the scope then reports).
pub(crate) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = work(item);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}
