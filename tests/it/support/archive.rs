//! Builders for Go release archives (honest and hostile) and for a
//! go.dev/dl/?mode=json&include=all style release index.
//!
//! Everything here is deterministic: the same arguments always produce the
//! same bytes (and therefore the same SHA-256), except for hostile archives
//! whose bad entry carries a unique random name (see [`Hostile`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::Compression;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

/// mtime of every entry: 2024-07-02T18:57:57Z (the go1.22.5 release time).
pub const ARCHIVE_MTIME: u64 = 1_719_946_677;

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    s
}

/// A built `.tar.gz` plus what a test needs to publish it in an index.
#[derive(Clone, Debug)]
pub struct ToolchainArchive {
    /// Version without the "go" prefix, e.g. "1.22.5".
    pub version: String,
    /// GOARCH, e.g. "amd64".
    pub arch: String,
    /// "go1.22.5.linux-amd64.tar.gz".
    pub filename: String,
    /// The whole `.tar.gz` file.
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes` (what the index publishes).
    pub sha256: String,
    /// For hostile archives: the raw path of the bad entry exactly as stored
    /// in the tar header (for `WriteThroughSymlink`, the file written through
    /// the link). `None` for honest archives, `NotGzip` and `TruncatedGzip`.
    pub bad_entry: Option<String>,
    /// For hostile archives that try to write outside the extraction
    /// directory: where a vulnerable extractor would have created a file.
    /// Absolute for `Absolute` and `WriteThroughSymlink`; for `DotDot` it is
    /// relative to the extraction directory (`../gov-evil-<random>`, i.e. in
    /// the *parent* of the directory the archive is unpacked into).
    /// Tests can assert this path does not exist after a refused install.
    pub escape_path: Option<String>,
}

impl ToolchainArchive {
    /// "go1.22.5" form of the version.
    pub fn go_version(&self) -> String {
        format!("go{}", self.version)
    }

    /// Size of the `.tar.gz` in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Write the archive as `dir/<filename>` (e.g. for
    /// `TestServer::put_file`) and return that path.
    pub fn write_to(&self, dir: &Path) -> PathBuf {
        let path = dir.join(&self.filename);
        std::fs::write(&path, &self.bytes)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    pub fn finish(version: &str, arch: &str, bytes: Vec<u8>) -> ToolchainArchive {
        ToolchainArchive {
            version: version.to_string(),
            arch: arch.to_string(),
            filename: archive_filename(version, "linux", arch),
            sha256: sha256_hex(&bytes),
            bytes,
            bad_entry: None,
            escape_path: None,
        }
    }
}

/// "go1.22.5.linux-amd64.tar.gz" (`version` without the "go" prefix).
pub fn archive_filename(version: &str, os: &str, arch: &str) -> String {
    let ext = if os == "windows" { "zip" } else { "tar.gz" };
    format!("go{}.{os}-{arch}.{ext}", strip_go(version))
}

fn strip_go(version: &str) -> &str {
    version.strip_prefix("go").unwrap_or(version)
}

// ---------------------------------------------------------------------------
// Deterministic pseudo-random bytes (splitmix64): incompressible, cheap even
// in a debug build (8 bytes per step).

struct SplitMix(u64);

impl SplitMix {
    fn new(seed: &[u8]) -> SplitMix {
        // FNV-1a of the seed.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        SplitMix(h)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n + 8);
        while out.len() < n {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(n);
        out
    }
}

/// A short token that is unique across calls and processes, for names of
/// files a hostile archive tries to create outside the extraction dir.
fn unique_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut rng = SplitMix::new(format!("{}-{nanos}-{n}", std::process::id()).as_bytes());
    format!("{:012x}", rng.next_u64() & 0xffff_ffff_ffff)
}

// ---------------------------------------------------------------------------
// Archive contents.

fn go_script(version: &str, arch: &str) -> String {
    // `env GOROOT` resolves a symlinked $0 first (like os.Executable does for
    // the real go command), then prints the directory above bin/.
    format!(
        r#"#!/bin/sh
# Stand-in for the go command of go{version} linux/{arch}, made by gov's tests.
if [ "$1" = version ] && [ $# -eq 1 ]; then
    echo "go version go{version} linux/{arch}"
    exit 0
fi
if [ "$1" = env ] && [ $# -ge 2 ]; then
    ok=1
    shift
    for name in "$@"; do
        case "$name" in
            ''|[0-9]*|*[!A-Za-z0-9_]*) ok=0 ;;
        esac
    done
    if [ $ok = 1 ]; then
        for name in "$@"; do
            if [ "$name" = GOROOT ]; then
                self=$0
                while [ -L "$self" ]; do
                    link=$(readlink "$self") || break
                    case "$link" in
                        /*) self=$link ;;
                        *) self=$(dirname "$self")/$link ;;
                    esac
                done
                (cd "$(dirname "$self")/.." && pwd) || exit 1
            else
                eval "printf '%s\n' \"\${{$name-}}\""
            fi
        done
        exit 0
    fi
    set -- env "$@"
fi
echo "go{version} args: $*"
exit 0
"#
    )
}

const FMT_GO: &str = r#"// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Package fmt is a tiny stand-in made by gov's tests.
package fmt

func Sprint(a ...any) string { return "" }
"#;

/// One entry of a tar stream being built.
enum Item {
    Dir(String),
    File {
        path: String,
        mode: u32,
        data: Vec<u8>,
    },
    Symlink {
        path: String,
        target: String,
    },
    /// A 0644 regular file whose data is stored uncompressed in the gzip
    /// stream (at most one per archive).
    Incompressible {
        path: String,
        data: Vec<u8>,
    },
    /// A header written byte-for-byte (no path validation by the tar crate).
    Raw {
        header: Box<Header>,
        data: Vec<u8>,
    },
}

fn honest_items(version: &str, arch: &str, pad_bytes: usize) -> Vec<Item> {
    let v = strip_go(version);
    let tooldir = format!("go/pkg/tool/linux_{arch}/");
    let mut items = vec![
        Item::Dir("go/".into()),
        Item::File {
            path: "go/VERSION".into(),
            mode: 0o644,
            data: format!("go{v}\ntime 2024-07-02T18:57:57Z\n").into_bytes(),
        },
        Item::Dir("go/bin/".into()),
        Item::File {
            path: "go/bin/go".into(),
            mode: 0o755,
            data: go_script(v, arch).into_bytes(),
        },
        Item::File {
            path: "go/bin/gofmt".into(),
            mode: 0o755,
            data: format!("#!/bin/sh\necho \"gofmt go{v}\"\n").into_bytes(),
        },
        Item::Dir("go/pkg/".into()),
        Item::Dir("go/pkg/tool/".into()),
        Item::Dir(tooldir.clone()),
        Item::File {
            path: format!("{tooldir}compile"),
            mode: 0o755,
            data: format!("#!/bin/sh\necho \"compile version go{v}\"\n").into_bytes(),
        },
        Item::Dir("go/src/".into()),
        Item::File {
            path: "go/src/fmt.go".into(),
            mode: 0o644,
            data: FMT_GO.as_bytes().to_vec(),
        },
        // go/misc/ and go/lib/ deliberately have no directory entries: the
        // extractor must create missing parents itself.
        Item::Symlink {
            path: "go/misc/link".into(),
            target: "../VERSION".into(),
        },
    ];
    let mut rng = SplitMix::new(format!("gov-pad-{v}-{arch}").as_bytes());
    items.push(Item::Incompressible {
        path: "go/lib/pad.bin".into(),
        data: rng.bytes(pad_bytes),
    });
    items
}

fn base_header(kind: EntryType, mode: u32, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(ARCHIVE_MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// A GNU header whose name (and link name) bytes are copied in verbatim, so
/// "..", absolute paths and the like survive. Names must be < 100 bytes.
fn raw_header(name: &str, kind: EntryType, mode: u32, size: u64, link: Option<&str>) -> Header {
    assert!(name.len() < 100, "raw tar name too long: {name}");
    let mut h = base_header(kind, mode, size);
    {
        let gnu = h.as_gnu_mut().expect("new_gnu header");
        gnu.name = [0; 100];
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            assert!(link.len() < 100, "raw tar link name too long: {link}");
            gnu.linkname = [0; 100];
            gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
    }
    h.set_cksum();
    h
}

/// Tar + gzip the items.
///
/// The gzip container is assembled here: the tar stream is deflated at
/// level 6, except the data of the `Incompressible` item (the pad), which
/// goes into stored (uncompressed) deflate blocks -- just what zlib itself
/// emits for random data, but without running a debug-build compressor over
/// tens of megabytes. The result is an ordinary single-member gzip file.
fn build_tar_gz(items: Vec<Item>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    for item in items {
        let res = match item {
            Item::Dir(path) => {
                let mut h = base_header(EntryType::Directory, 0o755, 0);
                b.append_data(&mut h, path, std::io::empty())
            }
            Item::File { path, mode, data } => {
                let mut h = base_header(EntryType::Regular, mode, data.len() as u64);
                b.append_data(&mut h, path, &data[..])
            }
            Item::Incompressible { path, data } => {
                let mut h = base_header(EntryType::Regular, 0o644, data.len() as u64);
                b.append_data(&mut h, &path, &data[..])
            }
            Item::Symlink { path, target } => {
                let mut h = base_header(EntryType::Symlink, 0o777, 0);
                b.append_link(&mut h, path, target)
            }
            Item::Raw { header, data } => b.append(&header, &data[..]),
        };
        res.expect("writing tar entry to memory");
    }
    let tar = b.into_inner().expect("finishing tar");
    gzip(&tar)
}

/// Plain single-member gzip at the fastest level (random padding costs
/// little time at level 1).
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(data).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

/// A tiny but faithful go1.X linux/`arch` release archive
/// containing: everything under `go/`, a runnable `go/bin/go` shell
/// script, `go/bin/gofmt`, a tool under `go/pkg/tool/linux_<arch>/`, a
/// relative in-tree symlink `go/misc/link -> ../VERSION`, and
/// `go/lib/pad.bin` holding `pad_bytes` incompressible deterministic bytes.
/// `version` may be given with or without the "go" prefix.
pub fn toolchain_archive(version: &str, arch: &str, pad_bytes: usize) -> ToolchainArchive {
    let v = strip_go(version);
    ToolchainArchive::finish(v, arch, build_tar_gz(honest_items(v, arch, pad_bytes)))
}

/// Kinds of malicious or broken archives. Every tar-based kind is a complete
/// `.tar.gz` holding the normal honest tree (with `go/VERSION` and
/// `go/bin/go`) followed by the bad entry (or entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// Regular file `go/../../gov-evil-<random>`.
    DotDot,
    /// Regular file `/tmp/gov-evil-<random>`.
    Absolute,
    /// Regular file `other/file` (outside the `go/` prefix).
    OutsideGo,
    /// Hard link `go/bin/hl` -> `go/VERSION`.
    HardLink,
    /// Character device `go/dev/null`, major 1 minor 3.
    CharDevice,
    /// Block device `go/dev/sda`, major 8 minor 0.
    BlockDevice,
    /// FIFO `go/fifo`.
    Fifo,
    /// Symlink `go/esc` -> `../../../etc`.
    SymlinkEscape,
    /// Symlink `go/abs` -> `/etc/passwd`.
    SymlinkAbsolute,
    /// Two-step escape: symlink `go/d` -> `/tmp`, then regular file
    /// `go/d/gov-evil-<random>` (which would land in /tmp).
    WriteThroughSymlink,
    /// Regular file `go/bin/suid` with mode 04755. Not to be refused: the
    /// installed file must end up 0755 (setuid bit stripped).
    Setuid,
    /// Deterministic random bytes, not gzip at all.
    NotGzip,
    /// A valid honest archive cut at half its length.
    TruncatedGzip,
}

impl Hostile {
    /// All kinds, for table-driven tests.
    pub const ALL: [Hostile; 13] = [
        Hostile::DotDot,
        Hostile::Absolute,
        Hostile::OutsideGo,
        Hostile::HardLink,
        Hostile::CharDevice,
        Hostile::BlockDevice,
        Hostile::Fifo,
        Hostile::SymlinkEscape,
        Hostile::SymlinkAbsolute,
        Hostile::WriteThroughSymlink,
        Hostile::Setuid,
        Hostile::NotGzip,
        Hostile::TruncatedGzip,
    ];

    /// Whether an installer must refuse this archive (everything but
    /// `Setuid`).
    pub fn must_refuse(self) -> bool {
        self != Hostile::Setuid
    }
}

const EVIL_DATA: &[u8] = b"gov test: this file must never be written\n";

/// A hostile variant of [`toolchain_archive`] (no padding). `sha256` is the
/// correct checksum of the hostile bytes, so checksum verification passes
/// and the extractor is what must catch the problem.
pub fn hostile_archive(version: &str, arch: &str, kind: Hostile) -> ToolchainArchive {
    let v = strip_go(version);
    let mut items = honest_items(v, arch, 0);
    let file = |name: &str, mode: u32| Item::Raw {
        header: Box::new(raw_header(
            name,
            EntryType::Regular,
            mode,
            EVIL_DATA.len() as u64,
            None,
        )),
        data: EVIL_DATA.to_vec(),
    };
    let special = |name: &str, kind: EntryType, mode: u32, link: Option<&str>| Item::Raw {
        header: Box::new(raw_header(name, kind, mode, 0, link)),
        data: Vec::new(),
    };
    let (bad, escape): (Option<String>, Option<String>) = match kind {
        Hostile::NotGzip => {
            let mut rng = SplitMix::new(format!("gov-notgzip-{v}-{arch}").as_bytes());
            return ToolchainArchive::finish(v, arch, rng.bytes(4096));
        }
        Hostile::TruncatedGzip => {
            let mut bytes = build_tar_gz(items);
            bytes.truncate(bytes.len() / 2);
            return ToolchainArchive::finish(v, arch, bytes);
        }
        Hostile::DotDot => {
            let tok = unique_token();
            let name = format!("go/../../gov-evil-{tok}");
            items.push(file(&name, 0o644));
            (Some(name), Some(format!("../gov-evil-{tok}")))
        }
        Hostile::Absolute => {
            let name = format!("/tmp/gov-evil-{}", unique_token());
            items.push(file(&name, 0o644));
            (Some(name.clone()), Some(name))
        }
        Hostile::OutsideGo => {
            items.push(file("other/file", 0o644));
            (Some("other/file".into()), None)
        }
        Hostile::HardLink => {
            items.push(special(
                "go/bin/hl",
                EntryType::Link,
                0o644,
                Some("go/VERSION"),
            ));
            (Some("go/bin/hl".into()), None)
        }
        Hostile::CharDevice | Hostile::BlockDevice => {
            let (name, et, major, minor) = if kind == Hostile::CharDevice {
                ("go/dev/null", EntryType::Char, 1, 3)
            } else {
                ("go/dev/sda", EntryType::Block, 8, 0)
            };
            let mut h = raw_header(name, et, 0o666, 0, None);
            h.set_device_major(major)
                .expect("gnu header has device fields");
            h.set_device_minor(minor)
                .expect("gnu header has device fields");
            h.set_cksum();
            items.push(Item::Raw {
                header: Box::new(h),
                data: Vec::new(),
            });
            (Some(name.into()), None)
        }
        Hostile::Fifo => {
            items.push(special("go/fifo", EntryType::Fifo, 0o644, None));
            (Some("go/fifo".into()), None)
        }
        Hostile::SymlinkEscape => {
            items.push(special(
                "go/esc",
                EntryType::Symlink,
                0o777,
                Some("../../../etc"),
            ));
            (Some("go/esc".into()), None)
        }
        Hostile::SymlinkAbsolute => {
            items.push(special(
                "go/abs",
                EntryType::Symlink,
                0o777,
                Some("/etc/passwd"),
            ));
            (Some("go/abs".into()), None)
        }
        Hostile::WriteThroughSymlink => {
            let tok = unique_token();
            items.push(special("go/d", EntryType::Symlink, 0o777, Some("/tmp")));
            let name = format!("go/d/gov-evil-{tok}");
            items.push(file(&name, 0o644));
            (Some(name), Some(format!("/tmp/gov-evil-{tok}")))
        }
        Hostile::Setuid => {
            items.push(file("go/bin/suid", 0o4755));
            (Some("go/bin/suid".into()), None)
        }
    };
    let mut a = ToolchainArchive::finish(v, arch, build_tar_gz(items));
    a.bad_entry = bad;
    a.escape_path = escape;
    a
}

// ---------------------------------------------------------------------------
// go.dev/dl/?mode=json&include=all index.

/// One file of a release, serialized exactly like go.dev does (field order
/// included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndexFile {
    pub filename: String,
    /// "" for source files.
    pub os: String,
    /// "" for source files.
    pub arch: String,
    /// "go1.22.5".
    pub version: String,
    pub sha256: String,
    pub size: u64,
    /// "archive", "installer" or "source".
    pub kind: String,
}

impl IndexFile {
    /// The index entry describing `a` (os linux, kind archive).
    pub fn from_archive(a: &ToolchainArchive) -> IndexFile {
        IndexFile {
            filename: a.filename.clone(),
            os: "linux".into(),
            arch: a.arch.clone(),
            version: a.go_version(),
            sha256: a.sha256.clone(),
            size: a.size(),
            kind: "archive".into(),
        }
    }

    /// An entry with a made-up (but well-formed, deterministic) checksum
    /// and size, for files no test downloads. `kind` "source" gets empty
    /// os/arch and the "goX.src.tar.gz" name; "installer" gets ".msi" on
    /// windows and ".pkg" otherwise.
    pub fn dummy(version: &str, os: &str, arch: &str, kind: &str) -> IndexFile {
        let v = strip_go(version);
        let (os, arch, filename) = match kind {
            "source" => (String::new(), String::new(), format!("go{v}.src.tar.gz")),
            "installer" => {
                let ext = if os == "windows" { "msi" } else { "pkg" };
                (os.into(), arch.into(), format!("go{v}.{os}-{arch}.{ext}"))
            }
            _ => (os.into(), arch.into(), archive_filename(v, os, arch)),
        };
        let sha256 = sha256_hex(format!("dummy {filename}").as_bytes());
        let size = 60_000_000 + u64::from_str_radix(&sha256[..4], 16).unwrap_or(0);
        IndexFile {
            filename,
            os,
            arch,
            version: format!("go{v}"),
            sha256,
            size,
            kind: kind.into(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct Release {
    version: String,
    stable: bool,
    files: Vec<IndexFile>,
}

/// Builds the JSON served at `/dl/?mode=json&include=all`.
///
/// Releases are emitted in **insertion order** (go.dev lists newest first,
/// so add newest first). Unless [`IndexBuilder::without_extras`] is used,
/// each release also gets, for realism, dummy entries for the source
/// tarball, darwin-amd64/darwin-arm64 archives and windows-amd64 zip + msi
/// (skipped where the caller already supplied that filename). Extras are
/// appended after the caller's files.
#[derive(Clone, Debug)]
pub struct IndexBuilder {
    releases: Vec<Release>,
    extras: bool,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder::new()
    }
}

impl IndexBuilder {
    pub fn new() -> IndexBuilder {
        IndexBuilder {
            releases: Vec::new(),
            extras: true,
        }
    }

    /// Do not add the dummy source/darwin/windows files.
    pub fn without_extras(mut self) -> IndexBuilder {
        self.extras = false;
        self
    }

    /// Add a release; `version` with or without the "go" prefix
    /// ("1.22.5", "go1.23rc1").
    pub fn add_release(&mut self, version: &str, stable: bool, files: Vec<IndexFile>) -> &mut Self {
        let v = strip_go(version);
        let mut files = files;
        if self.extras {
            let extras = [
                IndexFile::dummy(v, "", "", "source"),
                IndexFile::dummy(v, "darwin", "amd64", "archive"),
                IndexFile::dummy(v, "darwin", "arm64", "archive"),
                IndexFile::dummy(v, "windows", "amd64", "archive"),
                IndexFile::dummy(v, "windows", "amd64", "installer"),
            ];
            for e in extras {
                if !files.iter().any(|f| f.filename == e.filename) {
                    files.push(e);
                }
            }
        }
        self.releases.push(Release {
            version: format!("go{v}"),
            stable,
            files,
        });
        self
    }

    /// Convenience: a release whose only linux file is `a`.
    pub fn add_archive(&mut self, a: &ToolchainArchive, stable: bool) -> &mut Self {
        self.add_release(&a.version, stable, vec![IndexFile::from_archive(a)])
    }

    /// The JSON array (pretty-printed, like go.dev).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.releases).expect("index serializes")
    }
}

/// A stand-in go1.22.10 (support::archive's generated tree, whose `go` is
/// a script) packed as the real one is: for the paths where gov refuses
/// what the proxy or the database answers, which never run the toolchain,
/// so they need no real Go and stay in the fast tier.
pub fn small_go1_22_10() -> &'static super::sumdb::Toolchain {
    static P: OnceLock<super::sumdb::Toolchain> = OnceLock::new();
    P.get_or_init(|| {
        let archive = toolchain_archive("1.22.10", "amd64", 0);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let tarball = dir.path().join(&archive.filename);
        let files_only = regular_files_only(&archive.bytes)
            .unwrap_or_else(|e| panic!("repacking {}: {e}", archive.filename));
        std::fs::write(&tarball, files_only)
            .unwrap_or_else(|e| panic!("{}: {e}", tarball.display()));
        super::sumdb::packed_toolchain(&tarball)
            .unwrap_or_else(|e| panic!("packing {}: {e}", tarball.display()))
    })
}

/// The `.tar.gz` with its directories and regular files only: a module zip
/// holds no links, and the generated tree has one.
fn regular_files_only(tgz: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut input = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut output = tar::Builder::new(gz);
    for entry in input.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if kind.is_file() || kind.is_dir() {
            let mut header = entry.header().clone();
            let path = entry.path()?.into_owned();
            output.append_data(&mut header, path, &mut entry)?;
        }
    }
    output.into_inner()?.finish()
}
