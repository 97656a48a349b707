//! Typed paths under GOV_HOME and GOV_BIN_DIR. Nothing else in gov builds
//! state paths by hand, so the on-disk layout is described here only:
//!
//! ```text
//! $GOV_HOME/versions/<v>/          GOROOT of an installed version
//! $GOV_HOME/shims/<v>/{go,gofmt}   env shims of that version
//! $GOV_HOME/cache/index/           release index cache (per index URL)
//! $GOV_HOME/cache/downloads/       verified archives, named by sha256
//! $GOV_HOME/cache/sumdb/<db>/tile/  checksum-database tiles, authenticated
//!                                  again on every use
//! $GOV_HOME/sumdb/<db>/latest      newest verified signed tree head of a
//!                                  checksum database, replaced atomically
//! $GOV_HOME/cache/vulndb/          vulnerability database cache (per database URL)
//! $GOV_HOME/tmp/                   staging and trash, same filesystem as versions/
//! $GOV_HOME/locks/                 OS file locks
//! $GOV_HOME/config                 gov's own settings for this layer (core::config)
//! ```
//!
//! There are two layers. The system layer (GOV_SYSTEM_HOME, default
//! /usr/local/gov, with GOV_SYSTEM_BIN_DIR, default /usr/local/bin) is
//! root's; for root, GOV_HOME and GOV_BIN_DIR default to it. Every other
//! account has its own layer (GOV_HOME, default ~/.local/share/gov) and
//! reads the system layer below it.

use std::path::{Path, PathBuf};

use crate::core::env::Env;
use crate::core::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Layout {
    home: PathBuf,
    bin_dir: PathBuf,
    /// The system layer of the environment this layout was read from: a
    /// layout answers `is_system` and names the layer below it without
    /// reading the environment again.
    system_home: PathBuf,
    system_bin_dir: PathBuf,
}

/// True when running as root, which moves the defaults to /usr/local.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

pub const DEFAULT_SYSTEM_HOME: &str = "/usr/local/gov";
pub const DEFAULT_SYSTEM_BIN_DIR: &str = "/usr/local/bin";

/// The system layer's state directory (GOV_SYSTEM_HOME).
pub fn system_home(env: &Env) -> PathBuf {
    env.path("GOV_SYSTEM_HOME")
        .and_then(|p| absolute(p).ok())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SYSTEM_HOME))
}

/// The system layer's entry-point directory (GOV_SYSTEM_BIN_DIR).
pub fn system_bin_dir(env: &Env) -> PathBuf {
    env.path("GOV_SYSTEM_BIN_DIR")
        .and_then(|p| absolute(p).ok())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SYSTEM_BIN_DIR))
}

/// `$XDG_DATA_HOME` when absolute, else `~/.local/share` (the XDG rule).
fn data_dir(env: &Env) -> Option<PathBuf> {
    env.path("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| home_dir(env).map(|h| h.join(".local").join("share")))
}

/// `$HOME`, else the account's home in the password database.
fn home_dir(env: &Env) -> Option<PathBuf> {
    env.home().or_else(passwd_home)
}

/// The home directory getpwuid_r gives this account (HOME unset).
fn passwd_home() -> Option<PathBuf> {
    use std::ffi::CStr;
    use std::os::unix::ffi::OsStrExt;
    let mut buf = vec![0u8; 4096];
    // SAFETY: passwd is plain data; zeroed is a valid (empty) value.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to live storage of the stated size;
    // getpwuid_r writes only into `pw` and `buf`.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut pw,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() || pw.pw_dir.is_null() {
        return None;
    }
    // SAFETY: pw_dir points into `buf`, NUL-terminated by getpwuid_r.
    let dir = unsafe { CStr::from_ptr(pw.pw_dir) };
    let dir = std::ffi::OsStr::from_bytes(dir.to_bytes());
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

impl Layout {
    /// The layout from GOV_HOME / GOV_BIN_DIR in `env`, or the defaults
    /// for this user.
    pub fn from_env(env: &Env) -> Result<Layout> {
        let root = is_root();
        let home = match env.path("GOV_HOME") {
            Some(p) => p,
            None if root => system_home(env),
            None => data_dir(env).map(|d| d.join("gov")).ok_or_else(no_home)?,
        };
        let bin_dir = match env.path("GOV_BIN_DIR") {
            Some(p) => p,
            None if root => system_bin_dir(env),
            None => home_dir(env)
                .map(|d| d.join(".local").join("bin"))
                .ok_or_else(no_home)?,
        };
        Ok(Layout::new(absolute(home)?, absolute(bin_dir)?)
            .with_system(system_home(env), system_bin_dir(env)))
    }

    /// The system layer of `env`.
    pub fn system(env: &Env) -> Layout {
        let (home, bin_dir) = (system_home(env), system_bin_dir(env));
        Layout::new(home.clone(), bin_dir.clone()).with_system(home, bin_dir)
    }

    /// The system layer below this layout (itself, for the system layer).
    pub fn system_layer(&self) -> Layout {
        let (home, bin_dir) = (self.system_home.clone(), self.system_bin_dir.clone());
        Layout::new(home.clone(), bin_dir.clone()).with_system(home, bin_dir)
    }

    /// True when this layout is the system layer.
    pub fn is_system(&self) -> bool {
        self.home == self.system_home
    }

    /// gov's own settings for this layer.
    pub fn config_file(&self) -> PathBuf {
        self.home.join("config")
    }

    /// A layout at `home` over the default system layer (/usr/local).
    pub fn new(home: PathBuf, bin_dir: PathBuf) -> Layout {
        Layout {
            home,
            bin_dir,
            system_home: PathBuf::from(DEFAULT_SYSTEM_HOME),
            system_bin_dir: PathBuf::from(DEFAULT_SYSTEM_BIN_DIR),
        }
    }

    /// The same layout over the system layer at `home` / `bin_dir`.
    pub fn with_system(mut self, home: PathBuf, bin_dir: PathBuf) -> Layout {
        self.system_home = home;
        self.system_bin_dir = bin_dir;
        self
    }

    pub fn home(&self) -> &Path {
        &self.home
    }
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }
    pub fn versions_dir(&self) -> PathBuf {
        self.home.join("versions")
    }
    /// GOROOT of an installed version (the archive's `go/` folder).
    pub fn version_dir(&self, version: &str) -> PathBuf {
        self.versions_dir().join(version)
    }
    pub fn shims_dir(&self) -> PathBuf {
        self.home.join("shims")
    }
    pub fn shim_dir(&self, version: &str) -> PathBuf {
        self.shims_dir().join(version)
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.home.join("cache")
    }
    pub fn index_cache_dir(&self) -> PathBuf {
        self.cache_dir().join("index")
    }
    /// Cached entries of the Go vulnerability database, one folder per URL.
    pub fn vulndb_cache_dir(&self) -> PathBuf {
        self.cache_dir().join("vulndb")
    }
    pub fn downloads_dir(&self) -> PathBuf {
        self.cache_dir().join("downloads")
    }
    /// A verified archive in the download cache.
    pub fn cached_archive(&self, sha256: &str) -> PathBuf {
        self.downloads_dir().join(format!("{sha256}.tar.gz"))
    }
    /// State kept for one checksum database: its newest verified tree head.
    pub fn sumdb_latest(&self, db: &str) -> PathBuf {
        self.home.join("sumdb").join(path_safe(db)).join("latest")
    }
    /// Tiles of one checksum database; `tile` is the tile's own path
    /// (`tile/8/0/x001/234.p/5`), already in canonical form.
    pub fn sumdb_tile(&self, db: &str, tile: &str) -> PathBuf {
        self.cache_dir()
            .join("sumdb")
            .join(path_safe(db))
            .join(tile)
    }
    /// Staging and trash; on the same filesystem as `versions/` so that a
    /// finished tree appears with one rename.
    pub fn tmp_dir(&self) -> PathBuf {
        self.home.join("tmp")
    }
    pub fn locks_dir(&self) -> PathBuf {
        self.home.join("locks")
    }
    /// The global selection: one line with a version, replaced atomically.
    pub fn global_file(&self) -> PathBuf {
        self.home.join("global")
    }
    /// Lock for changes of the selection and entry points.
    pub fn state_lock(&self) -> PathBuf {
        self.lock_file("state")
    }
    pub fn lock_file(&self, name: &str) -> PathBuf {
        self.locks_dir().join(format!("{name}.lock"))
    }
}

/// A database name (`host[/path]`) as one path component: bytes outside
/// `[A-Za-z0-9._-]` and a leading dot are %-escaped, so no name can climb
/// out of its folder or collide with another.
fn path_safe(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, b) in name.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0);
        if plain {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn no_home() -> Error {
    Error::new(
        crate::core::error::ErrorKind::State,
        "cannot find a home directory for gov's state",
    )
    .with_advice("set GOV_HOME and GOV_BIN_DIR explicitly")
}

fn absolute(p: PathBuf) -> Result<PathBuf> {
    if p.is_absolute() {
        return Ok(p);
    }
    std::path::absolute(&p)
        .map_err(|e| Error::invalid(format!("cannot make {} absolute", p.display())).with_source(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_read_from_the_env_it_is_given() {
        let env = Env::from_pairs([
            ("HOME", "/h"),
            ("XDG_DATA_HOME", "/data"),
            ("GOV_SYSTEM_HOME", "/sys/gov"),
            ("GOV_SYSTEM_BIN_DIR", "/sys/bin"),
        ]);
        let l = Layout::from_env(&env).expect("a home");
        let sys = l.system_layer();
        assert_eq!(sys.home(), Path::new("/sys/gov"));
        assert_eq!(sys.bin_dir(), Path::new("/sys/bin"));
        assert!(sys.is_system());
        if is_root() {
            // Root's own layer is the system layer, whatever HOME says.
            assert_eq!((l.home(), l.bin_dir()), (sys.home(), sys.bin_dir()));
            assert!(l.is_system());
            return;
        }
        assert_eq!(l.home(), Path::new("/data/gov"));
        assert_eq!(l.bin_dir(), Path::new("/h/.local/bin"));
        assert!(!l.is_system());
        // A relative XDG_DATA_HOME is ignored, as the XDG rule says.
        let env = Env::from_pairs([("HOME", "/h"), ("XDG_DATA_HOME", "rel")]);
        let l = Layout::from_env(&env).expect("a home");
        assert_eq!(l.home(), Path::new("/h/.local/share/gov"));
        assert_eq!(l.system_layer().home(), Path::new(DEFAULT_SYSTEM_HOME));
    }

    #[test]
    fn a_home_at_the_system_home_is_the_system_layer() {
        let env = Env::from_pairs([("GOV_SYSTEM_HOME", "/s"), ("GOV_HOME", "/s")]);
        assert!(Layout::from_env(&env).expect("GOV_HOME set").is_system());
        let env = Env::from_pairs([("GOV_SYSTEM_HOME", "/s"), ("GOV_HOME", "/own")]);
        assert!(!Layout::from_env(&env).expect("GOV_HOME set").is_system());
    }

    #[test]
    fn database_names_stay_in_their_folder() {
        let l = Layout::new("/g".into(), "/b".into());
        assert_eq!(
            l.sumdb_latest("sum.golang.org"),
            Path::new("/g/sumdb/sum.golang.org/latest")
        );
        assert_eq!(
            l.sumdb_latest("../x/y"),
            Path::new("/g/sumdb/%2E.%2Fx%2Fy/latest")
        );
        assert_eq!(
            l.sumdb_tile("a.example/db", "tile/8/0/000"),
            Path::new("/g/cache/sumdb/a.example%2Fdb/tile/8/0/000")
        );
    }
}
