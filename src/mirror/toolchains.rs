//! The mirror's release archives, also served as versions of the
//! `golang.org/toolchain` module, so a `go` that is not gov's can switch
//! toolchains (`GOTOOLCHAIN`) with `GOPROXY=<mirror>`:
//!
//! ```text
//! golang.org/toolchain/@v/list                                   every version held, in Go's order
//! golang.org/toolchain/@v/v0.0.1-go<v>.linux-<arch>.{info,mod,zip}
//! ```
//!
//! The zip is packed from the verified archive as cmd/distpack packs it
//! (`trust::distpack`), checked as cmd/go checks a module zip
//! (`trust::zipcheck`), and published only when its `h1:` and its go.mod's
//! equal the checksum database's record for that version: the database,
//! not the mirror, is what a host trusts. `list` is written after every
//! zip it names, the same way index.json follows the archives.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::version::GoVersion;
use crate::install::proxy::{self, ProxySettings};
use crate::mirror::manifest::{Held, Stat};
use crate::mirror::snapshot;
use crate::trust::dirhash;
use crate::trust::distpack::{ModuleLayout, TOOLCHAIN_MODULE};
use crate::trust::zipcheck;

/// Where the module's files live, below the mirror root.
pub const MODULE_DIR: &str = "golang.org/toolchain/@v";

/// The module's go.mod, as distpack writes it.
pub const GO_MOD: &[u8] = b"module golang.org/toolchain\n";

/// The largest archive entry packed (the real `go` binary is ~15 MiB).
const MAX_ENTRY: u64 = 512 << 20;

/// What sync published for one module version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleEntry {
    /// The archive the zip was packed from, and its sha256.
    pub archive: String,
    pub archive_sha256: String,
    /// The zip's `h1:`, equal to the checksum database's record.
    pub zip_h1: String,
    /// How the zip looked on disk right after it was written.
    pub zip: Stat,
}

/// One module version the mirror should serve: the held archive it comes
/// from.
pub struct Wanted<'a> {
    pub held: &'a Held,
    pub layout: ModuleLayout,
}

/// What happened to one module version.
pub enum Outcome {
    Kept(ModuleEntry),
    Written(ModuleEntry, u64),
    Failed(Error),
}

/// The module versions of the held archives (releases distpack packed).
pub fn wanted(held: &[Held]) -> Vec<Wanted<'_>> {
    held.iter()
        .filter_map(|h| {
            let (v, arch) = crate::install::parse_archive_name(&h.file.filename)?;
            Some(Wanted {
                held: h,
                layout: ModuleLayout::new(&v, &arch)?,
            })
        })
        .collect()
}

/// `golang.org/toolchain/@v/<module version>.<ext>`.
pub fn file_name(modver: &str, ext: &str) -> String {
    format!("{MODULE_DIR}/{modver}.{ext}")
}

/// Whether the published zip still is what sync wrote: trusted by its stat
/// when that is unchanged, else checked and hashed again.
fn still_published(dir: &Path, w: &Wanted, old: &ModuleEntry) -> Option<ModuleEntry> {
    if old.archive != w.held.file.filename || old.archive_sha256 != w.held.file.sha256 {
        return None;
    }
    let zip = dir.join(file_name(w.layout.module_version(), "zip"));
    let stat = Stat::of(&zip)?;
    let others_present = ["info", "mod"]
        .iter()
        .all(|ext| Stat::of(&dir.join(file_name(w.layout.module_version(), ext))).is_some());
    if !others_present {
        return None;
    }
    if stat == old.zip {
        return Some(old.clone());
    }
    let h1 = zip_h1(&zip, w.layout.module_version()).ok()?;
    (h1 == old.zip_h1).then(|| ModuleEntry {
        zip: stat,
        ..old.clone()
    })
}

/// The `h1:` of a zip on disk, after cmd/go's checks.
pub fn zip_h1(path: &Path, modver: &str) -> Result<String> {
    module_zip_h1(path, TOOLCHAIN_MODULE, modver)
}

/// The `h1:` of any module's zip on disk, after cmd/go's checks.
pub fn module_zip_h1(path: &Path, module: &str, version: &str) -> Result<String> {
    let mut f = std::fs::File::open(path).context(|| format!("opening {}", path.display()))?;
    let checked = zipcheck::check_zip(&mut f, module, version).map_err(|e| {
        let why = format!("{} is not a module zip go accepts", path.display());
        Error::new(ErrorKind::Checksum, why).with_source(e)
    })?;
    Ok(checked.h1)
}

/// Brings the module layout to `wanted`: kept when intact, else looked up
/// in the checksum database, packed, checked and published; then the
/// database snapshot (when anything changed) and `list`. Returns each
/// version's outcome, in `wanted`'s order, and the database's key. A snapshot the database's
/// answers cannot extend stops the sync (nothing listed).
pub fn publish(
    app: &App,
    dir: &Path,
    wanted: &[Wanted],
    old: &BTreeMap<String, ModuleEntry>,
) -> Result<(Vec<Outcome>, Option<String>)> {
    if wanted.is_empty() {
        write_list(dir, &[])?;
        return Ok((Vec::new(), None));
    }
    let ps = match proxy::resolve_settings(app) {
        Ok(ps) => ps,
        Err(e) => {
            write_list(dir, &[])?;
            let failed = wanted.iter().map(|_| Outcome::Failed(clone_error(&e)));
            return Ok((failed.collect(), None));
        }
    };
    let mut outcomes = Vec::new();
    let mut records = Vec::new();
    for w in wanted {
        let modver = w.layout.module_version();
        let kept = old.get(modver).and_then(|o| still_published(dir, w, o));
        let outcome = match (kept, published_record(dir, &ps, modver)) {
            (Some(e), Some(r)) => {
                records.push(r);
                Outcome::Kept(e)
            }
            _ => match publish_one(app, &ps, dir, w) {
                Ok((e, n, r)) => {
                    records.push(r);
                    Outcome::Written(e, n)
                }
                Err(e) => Outcome::Failed(e),
            },
        };
        outcomes.push(outcome);
    }
    let changed = outcomes.iter().any(|o| matches!(o, Outcome::Written(..)));
    let head = snapshot::folder(dir, ps.verifier.name()).join("latest");
    if !records.is_empty() && (changed || !head.exists()) {
        let net = proxy::Http::for_app(app)?;
        let base = proxy::sumdb_base(&net, &ps)?;
        let upstream = proxy::HttpFetch { net: &net, base };
        snapshot::publish(dir, &ps.verifier, &upstream, &records)?;
    }
    let mut listed: Vec<(GoVersion, String)> = wanted
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| !matches!(o, Outcome::Failed(_)))
        .filter_map(|(w, _)| {
            let v = crate::install::parse_archive_name(&w.held.file.filename)?.0;
            Some((v, w.layout.module_version().to_string()))
        })
        .collect();
    listed.sort();
    listed.dedup();
    write_list(dir, &listed)?;
    Ok((outcomes, Some(ps.verifier.text().to_string())))
}

/// The record the snapshot already serves for this version, if its lookup
/// file is there and readable (it is proven again whenever the head moves).
fn published_record(dir: &Path, ps: &ProxySettings, modver: &str) -> Option<snapshot::Record> {
    let folder = snapshot::folder(dir, ps.verifier.name());
    let path = folder.join(snapshot::lookup_path(TOOLCHAIN_MODULE, modver).ok()?);
    snapshot::read_record(&path, TOOLCHAIN_MODULE, modver)
}

/// `@v/list`: one version a line, in Go's version order (then by arch).
fn write_list(dir: &Path, listed: &[(GoVersion, String)]) -> Result<()> {
    let text: String = listed.iter().map(|(_, m)| format!("{m}\n")).collect();
    let path = dir.join(MODULE_DIR).join("list");
    if listed.is_empty() && !path.exists() {
        return Ok(());
    }
    if !crate::mirror::artifacts::same_content(&path, text.as_bytes()) {
        fsutil::create_dir_all(&dir.join(MODULE_DIR))?;
        fsutil::write_atomic_mode(&path, text.as_bytes(), 0o644)?;
    }
    Ok(())
}

/// One version: the database's record first (nothing is packed for a
/// version it does not vouch for), then the zip, checked against it.
fn publish_one(
    app: &App,
    ps: &ProxySettings,
    dir: &Path,
    w: &Wanted,
) -> Result<(ModuleEntry, u64, snapshot::Record)> {
    let modver = w.layout.module_version();
    let (found, base) = proxy::lookup(app, ps, modver)?;
    let mod_h1 = dirhash::hash_go_mod(GO_MOD);
    if found.mod_hash != mod_h1 {
        return Err(mismatch(modver, "go.mod", &mod_h1, &found.mod_hash, &base));
    }
    let folder = dir.join(MODULE_DIR);
    fsutil::create_dir_all(&folder)?;
    let staged = folder.join(crate::mirror::partial_name(&format!("{modver}.zip")));
    let archive = dir.join(&w.held.file.filename);
    let packed = pack(&archive, &w.layout, &staged).and_then(|time| {
        let h1 = zip_h1(&staged, modver)?;
        Ok((time, h1))
    });
    let (time, h1) = match packed {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    if h1 != found.zip_hash {
        let _ = std::fs::remove_file(&staged);
        return Err(mismatch(modver, "zip", &h1, &found.zip_hash, &base));
    }
    let info = format!("{{\"Version\":\"{modver}\",\"Time\":\"{time}\"}}\n");
    fsutil::write_atomic_mode(&dir.join(file_name(modver, "info")), info.as_bytes(), 0o644)?;
    fsutil::write_atomic_mode(&dir.join(file_name(modver, "mod")), GO_MOD, 0o644)?;
    let zip_path = dir.join(file_name(modver, "zip"));
    std::fs::rename(&staged, &zip_path).context(|| format!("publishing {}", zip_path.display()))?;
    fsutil::fsync_dir(&folder)?;
    let zip = Stat::of(&zip_path)
        .ok_or_else(|| Error::new(ErrorKind::Io, format!("{} vanished", zip_path.display())))?;
    let size = zip.size;
    let record = snapshot::Record {
        module: TOOLCHAIN_MODULE.to_string(),
        version: modver.to_string(),
        id: found.record_id,
        text: found.lines.iter().map(|l| format!("{l}\n")).collect(),
    };
    let entry = ModuleEntry {
        archive: w.held.file.filename.clone(),
        archive_sha256: w.held.file.sha256.clone(),
        zip_h1: h1,
        zip,
    };
    Ok((entry, size, record))
}

/// The settings' error again, for every version it stops.
fn clone_error(e: &Error) -> Error {
    let out = Error::new(e.kind(), e.message().to_string());
    match e.advice() {
        Some(a) => out.with_advice(a.to_string()),
        None => out,
    }
}

fn mismatch(modver: &str, what: &str, ours: &str, db: &str, base: &str) -> Error {
    Error::new(
        ErrorKind::Checksum,
        format!(
            "{TOOLCHAIN_MODULE}@{modver}: the {what} packed from the archive has {ours}, \
             but the checksum database ({base}) records {db}; not published"
        ),
    )
    .with_advice(
        "the archive and the database disagree: do not serve this toolchain; check GOV_MIRROR \
         and GOSUMDB, and report it if both are the official ones",
    )
}

/// Packs the archive's files into a module zip at `out` as distpack does,
/// and returns the release time for `.info` (from go/VERSION).
fn pack(archive: &Path, layout: &ModuleLayout, out: &Path) -> Result<String> {
    let what = || format!("packing {} as a module", archive.display());
    let file = std::fs::File::open(archive).context(what)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let sink = fsutil::create_file_mode(out, 0o644)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(sink));
    let mut version_file = Vec::new();
    let mut stamp = zip::DateTime::default();
    for entry in tar.entries().context(what)? {
        let mut entry = entry.context(what)?;
        let name = entry.path().context(what)?.to_string_lossy().into_owned();
        let kind = entry.header().entry_type();
        let Some(zip_name) = layout.zip_name(&name) else {
            continue;
        };
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(Error::new(
                ErrorKind::Checksum,
                format!(
                    "{name} in {} is not a regular file: distpack packs none",
                    archive.display()
                ),
            ));
        }
        let mut data = Vec::new();
        (&mut entry)
            .take(MAX_ENTRY + 1)
            .read_to_end(&mut data)
            .context(what)?;
        if data.len() as u64 > MAX_ENTRY {
            return Err(Error::new(
                ErrorKind::Checksum,
                format!("{name} is over 512 MiB"),
            ));
        }
        if zip_name.ends_with("/VERSION") && zip_name == format!("{}VERSION", layout.prefix()) {
            version_file = data.clone();
            stamp = dos_time(&release_time(&version_file)).unwrap_or_default();
        }
        let mode = entry.header().mode().unwrap_or(0o644) & 0o777;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(if mode & 0o111 != 0 { 0o755 } else { 0o644 })
            .last_modified_time(stamp);
        zip.start_file(zip_name.as_str(), options)
            .map_err(|e| zip_error(out, e))?;
        zip.write_all(&data).context(what)?;
    }
    let mut w = zip.finish().map_err(|e| zip_error(out, e))?;
    w.flush().context(what)?;
    w.get_ref().sync_all().context(what)?;
    Ok(release_time(&version_file))
}

fn zip_error(out: &Path, e: zip::result::ZipError) -> Error {
    Error::new(ErrorKind::Io, format!("writing {}", out.display())).with_source(e)
}

/// go/VERSION's `time` line (`go1.22.10\ntime 2024-11-26T20:45:18Z\n`), or
/// the epoch of zip times when the archive has none.
fn release_time(version_file: &[u8]) -> String {
    String::from_utf8_lossy(version_file)
        .lines()
        .find_map(|l| l.strip_prefix("time "))
        .map(str::trim)
        .filter(|t| dos_time(t).is_some())
        .unwrap_or("1980-01-01T00:00:00Z")
        .to_string()
}

/// An RFC 3339 UTC time as a zip time.
fn dos_time(rfc3339: &str) -> Option<zip::DateTime> {
    let num = |r: std::ops::Range<usize>| rfc3339.get(r)?.parse::<u16>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    zip::DateTime::from_date_and_time(y, mo as u8, d as u8, h as u8, mi as u8, s as u8).ok()
}

/// The module files of versions no longer held (after `list` stopped
/// naming them).
pub fn remove_stale(dir: &Path, keep: &BTreeMap<String, ModuleEntry>) -> Result<Vec<PathBuf>> {
    let folder = dir.join(MODULE_DIR);
    let mut removed = Vec::new();
    for e in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some((modver, ext)) = name.rsplit_once('.') else {
            continue;
        };
        let ours = matches!(ext, "info" | "mod" | "zip" | "partial")
            && modver.trim_start_matches('.').starts_with("v0.0.1-go");
        let modver = modver.trim_start_matches('.').trim_end_matches(".zip");
        if ours && !keep.contains_key(modver) && e.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(e.path()).context(|| format!("removing {name}"))?;
            removed.push(e.path());
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_time_comes_from_version_or_the_zip_epoch() {
        assert_eq!(
            release_time(b"go1.22.10\ntime 2024-11-26T20:45:18Z\n"),
            "2024-11-26T20:45:18Z"
        );
        assert_eq!(release_time(b"go1.22.10\n"), "1980-01-01T00:00:00Z");
        assert_eq!(
            release_time(b"go1\ntime nonsense\n"),
            "1980-01-01T00:00:00Z"
        );
        assert!(dos_time("2024-11-26T20:45:18Z").is_some());
        assert!(dos_time("2024-13-26T20:45:18Z").is_none());
    }
}
