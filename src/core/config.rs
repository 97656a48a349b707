//! Where a setting's value comes from, and the one file format of the
//! layers' settings files. The keys themselves (names, defaults, kinds,
//! documentation) are `core::registry`'s.
//!
//! A value comes from the process environment when set and non-empty, else
//! from the layers' files, nearest first: the account's own
//! (`$GOV_HOME/config`, `$GOV_HOME/env`), then the system layer's
//! (`$GOV_SYSTEM_HOME/...`), else the registry's default. `gov config`
//! shows and changes gov's keys, `gov proxy` Go's.
//!
//! Both files are `KEY=VALUE` lines (go env's format) with `#` comments.
//! They are read by one bounded reader ([`read_layer_file`]), which also
//! accepts what older versions wrote (`KEY = VALUE`, indented lines), and
//! written by one writer ([`write_layer_file`]), which rewrites such a file
//! in the one format on its first change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::core::env::Env;
use crate::core::error::{Error, Result};
use crate::core::layers::Layers;
use crate::core::layout::Layout;
use crate::core::registry::{self, Holder, Store};

/// Every key a config file may hold (gov's own keys of the registry).
pub fn gov_keys() -> impl Iterator<Item = &'static registry::KeySpec> {
    registry::keys_in(Store::Config)
}

/// Where a set value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment,
    /// A layer's file (`system` tells which layer).
    File {
        path: PathBuf,
        system: bool,
    },
}

impl Origin {
    /// The holder this origin is.
    pub fn holder(&self) -> Holder {
        match self {
            Origin::Environment => Holder::Environment,
            Origin::File { system: true, .. } => Holder::System,
            Origin::File { system: false, .. } => Holder::Account,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment => f.write_str("the environment"),
            Origin::File { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// A key's effective value and where it came from, the default included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub value: String,
    /// `None`: the registry's default.
    pub origin: Option<Origin>,
}

impl Resolved {
    /// `environment`, `user`, `system` or `default`, as JSON names them.
    pub fn origin_name(&self) -> &'static str {
        self.origin
            .as_ref()
            .map_or("default", |o| o.holder().name())
    }
}

/// The largest settings file gov reads: a few dozen lines in practice.
pub const MAX_SETTINGS_FILE: u64 = 64 << 10;

/// Parses a settings file's text: `KEY=VALUE` lines; blank lines, `#`
/// comments and lines without an upper-case key are skipped. Spaces
/// around the key and value are dropped (older config files had them).
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.starts_with(|c: char| c.is_ascii_uppercase()) {
            out.insert(k.to_string(), v.trim().to_string());
        }
    }
    out
}

/// Reads a layer's settings file through the bounded reader: a missing
/// file is empty; a link, a non-regular or oversized file is refused, and
/// so, for root, is a file another account owns or may write (root would
/// otherwise take its mirrors and timeouts from that account).
pub fn read_layer_file(path: &Path) -> Result<BTreeMap<String, String>> {
    use std::os::unix::fs::OpenOptionsExt;
    // Every `go` call reads these: an absent file is learnt with one lstat,
    // which costs the kernel less than a failed open.
    if !crate::core::safe_read::present(path) {
        return Ok(BTreeMap::new());
    }
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refused(path, "is a symlink"));
        }
        Err(e) => return Err(crate::core::fsutil::permission_denied(path, e)),
    };
    if crate::core::perms::euid() == 0 {
        let meta = file
            .metadata()
            .map_err(|e| refused(path, "cannot be inspected").with_source(e))?;
        if let Some(why) = crate::core::perms::loose(&meta, 0, false) {
            return Err(refused(path, &why));
        }
    }
    let bytes = crate::core::safe_read::read_open(&file, path, MAX_SETTINGS_FILE)?;
    let text = crate::core::safe_read::decode(path, bytes)?;
    Ok(parse(&text))
}

fn refused(path: &Path, why: &str) -> Error {
    Error::invalid(format!(
        "refusing the settings file {}: {why}",
        crate::core::quote::shown(&path.to_string_lossy())
    ))
    .with_advice(format!(
        "gov writes this file itself: remove it (or fix its owner and mode) and set the values again; \
         as root: `chown root: {p}; chmod 0644 {p}`",
        p = path.display()
    ))
}

/// The header of each file kind: what changes it.
fn header(store: Store) -> &'static str {
    match store {
        Store::Config => {
            "# gov's settings for this layer; change with `gov config set KEY=VALUE`\n"
        }
        Store::Profile => "# gov's module settings (go env format); change with `gov proxy`.\n",
    }
}

/// Renders a settings file: the header, the registry's keys in its order,
/// then (config files only) other upper-case keys a user wrote, sorted. A
/// profile holds only the keys gov manages: it reaches every `go`.
pub fn render(store: Store, values: &BTreeMap<String, String>) -> Result<String> {
    let mut text = String::from(header(store));
    let known = registry::names_in(store);
    let others = values
        .keys()
        .filter(|k| store == Store::Config && !known.contains(&k.as_str()))
        .map(String::as_str);
    for k in known.iter().copied().chain(others) {
        let Some(v) = values.get(k) else { continue };
        if v.contains(['\n', '\r']) {
            return Err(Error::invalid(format!("{k} must be one line")));
        }
        text.push_str(&format!("{k}={v}\n"));
    }
    Ok(text)
}

/// Writes a layer's settings file (its `config` or its `env` profile) in
/// one atomic step, in the one format. A URL with credentials in it keeps
/// the file private (0600). The system layer, which every account reads,
/// refuses them: each account keeps its own secrets in its `~/.netrc`,
/// which gov and Go read.
pub fn write_layer_file(
    layout: &Layout,
    store: Store,
    values: &BTreeMap<String, String>,
) -> Result<()> {
    use crate::core::fsutil;
    let path = layout.home().join(store.file_name());
    let text = render(store, values)?;
    let private = crate::core::quote::holds_userinfo(&text);
    if private && layout.is_system() {
        return Err(Error::invalid(format!(
            "refusing credentials in a URL in {}: the system layer's settings are read by every account",
            path.display()
        ))
        .with_advice(
            "give the URL without `user:password@` and put the credentials in ~/.netrc of each account that needs them \
             (machine <host> login <user> password <secret>, mode 0600); gov and Go both read it",
        ));
    }
    fsutil::create_dir_all(layout.home())?;
    let mode = if private { 0o600 } else { fsutil::FILE_MODE };
    fsutil::write_atomic_mode(&path, text.as_bytes(), mode)
}

/// One layer's config file as read.
#[derive(Debug, Clone)]
struct LayerFile {
    path: PathBuf,
    system: bool,
    /// Empty when the file is missing or was refused.
    values: BTreeMap<String, String>,
    /// Why the file was not read, when it was refused.
    refused: Option<String>,
}

/// gov's settings as one process sees them: an environment and the config
/// files of its layers, read once.
#[derive(Debug, Clone)]
pub struct Settings {
    env: Env,
    files: Vec<LayerFile>,
}

impl Settings {
    /// The settings of `env` over the config files of `layers`, nearest
    /// first (one file when the account's layer is the system layer).
    pub fn load(env: Env, layers: &Layers) -> Settings {
        let files = layers
            .search()
            .map(|(layer, layout)| {
                let path = layout.config_file();
                let (values, refused) = match read_layer_file(&path) {
                    Ok(values) => (values, None),
                    Err(e) => (BTreeMap::new(), Some(e.to_string())),
                };
                LayerFile {
                    values,
                    refused,
                    system: layer == crate::core::layers::Layer::System,
                    path,
                }
            })
            .collect();
        Settings { env, files }
    }

    /// This process's settings, read on first use.
    pub fn process() -> &'static Settings {
        static SETTINGS: OnceLock<Settings> = OnceLock::new();
        SETTINGS.get_or_init(|| {
            let env = Env::process();
            Settings::load(env.clone(), &Layers::from_env(&env))
        })
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Every value of `key`, nearest first: the environment's, then each
    /// layer file's.
    pub fn lookup_all(&self, key: &str) -> Vec<(String, Origin)> {
        let spec = registry::key(key);
        let allowed = |h: Holder| spec.is_none_or(|s| s.may_be_held_by(h));
        let mut out = Vec::new();
        if allowed(Holder::Environment)
            && let Some(v) = self.env.non_empty(key)
        {
            out.push((v, Origin::Environment));
        }
        for f in &self.files {
            let origin = Origin::File {
                path: f.path.clone(),
                system: f.system,
            };
            if let Some(v) = f.values.get(key).filter(|v| !v.is_empty())
                && allowed(origin.holder())
            {
                out.push((v.clone(), origin));
            }
        }
        out
    }

    /// The value of `key` and where it came from.
    pub fn lookup(&self, key: &str) -> Option<(String, Origin)> {
        self.lookup_all(key).into_iter().next()
    }

    /// The effective value of `key`, the registry's default included.
    pub fn resolve(&self, key: &str) -> Resolved {
        match self.lookup(key) {
            Some((value, origin)) => Resolved {
                value,
                origin: Some(origin),
            },
            None => Resolved {
                value: registry::default_of(key).to_string(),
                origin: None,
            },
        }
    }

    /// Why each refused config file was not read (the values shown then
    /// come from the other layers and the defaults).
    pub fn refusals(&self) -> Vec<&str> {
        self.files
            .iter()
            .filter_map(|f| f.refused.as_deref())
            .collect()
    }

    /// The config files that apply, nearest first, each with whether it is
    /// the system layer's.
    pub fn files(&self) -> Vec<(PathBuf, bool)> {
        self.files
            .iter()
            .map(|f| (f.path.clone(), f.system))
            .collect()
    }

    /// The values of the layer config file at `path`, as read.
    pub fn file_values(&self, path: &Path) -> BTreeMap<String, String> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.values.clone())
            .unwrap_or_default()
    }

    /// A whole number from `key`, else its default.
    pub fn number(&self, key: &str) -> u64 {
        self.lookup(key)
            .and_then(|(v, _)| v.trim().parse().ok())
            .unwrap_or_else(|| registry::number_default(key))
    }
}

/// The config files that apply to this process, nearest first.
pub fn files() -> Vec<(PathBuf, bool)> {
    Settings::process().files()
}

/// The value of `key` and where it came from, in this process.
pub fn lookup(key: &str) -> Option<(String, Origin)> {
    Settings::process().lookup(key)
}

/// Every value of `key` in this process, nearest first.
pub fn lookup_all(key: &str) -> Vec<(String, Origin)> {
    Settings::process().lookup_all(key)
}

/// The values of the layer config file at `path`, as this process read it.
pub fn file_values(path: &Path) -> BTreeMap<String, String> {
    Settings::process().file_values(path)
}

/// The value of `key`, from the environment or a config file.
pub fn get(key: &str) -> Option<String> {
    lookup(key).map(|(v, _)| v)
}

/// The value of `key`, else its default.
pub fn get_or_default(key: &str) -> String {
    Settings::process().resolve(key).value
}

/// A duration in seconds from `key` (a cache's TTL), else its default.
pub fn seconds(key: &str) -> std::time::Duration {
    std::time::Duration::from_secs(Settings::process().number(key))
}

/// Seconds since the epoch, as cache metadata records them (0 if the clock
/// is before 1970).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a change to one layer's settings file did (or would do).
#[derive(Debug, Clone)]
pub struct Updated {
    pub path: PathBuf,
    pub before: BTreeMap<String, String>,
    pub after: BTreeMap<String, String>,
}

impl Updated {
    /// The keys whose value differs, sorted.
    pub fn changed_keys(&self) -> Vec<String> {
        let mut keys: Vec<&String> = self.before.keys().chain(self.after.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.retain(|k| self.before.get(*k) != self.after.get(*k));
        keys.into_iter().cloned().collect()
    }

    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// A change: a value to set, or `None` to remove the key.
pub type Change = (String, Option<String>);

/// Applies `changes` to `before`.
pub fn apply_changes(
    before: &BTreeMap<String, String>,
    changes: &[Change],
) -> BTreeMap<String, String> {
    let mut out = before.clone();
    for (k, v) in changes {
        match v {
            Some(v) => out.insert(k.clone(), v.clone()),
            None => out.remove(k),
        };
    }
    out
}

/// Changes keys of one layer's settings file in one atomic write (none
/// when nothing changes, or with `dry_run`). The file is read through
/// [`read_layer_file`], so a refused file is never rewritten.
pub fn update_layer_file(
    layout: &Layout,
    store: Store,
    changes: &[Change],
    dry_run: bool,
) -> Result<Updated> {
    let path = layout.home().join(store.file_name());
    let before = read_layer_file(&path)?;
    let after = apply_changes(&before, changes);
    let u = Updated {
        path,
        before,
        after,
    };
    if u.changed() && !dry_run {
        write_layer_file(layout, store, &u.after)?;
    }
    Ok(u)
}

/// What [`save_from_env`] asked for and did.
#[derive(Debug, Clone)]
pub struct Saved {
    /// gov's keys the environment sets, in registry order.
    pub requested: Vec<Change>,
    pub updated: Updated,
}

impl Saved {
    pub fn changed(&self) -> bool {
        self.updated.changed()
    }
}

/// Writes gov's settings that `env` sets into the config file of `layout`,
/// so processes without that environment (cron, services) agree. Values
/// are taken as given, trimmed; a value on several lines is skipped.
pub fn save_from_env(env: &Env, layout: &Layout) -> Result<Saved> {
    let requested: Vec<Change> = gov_keys()
        .filter_map(|k| {
            env.var(k.name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty() && !v.contains(['\n', '\r']))
                .map(|v| (k.name.to_string(), Some(v)))
        })
        .collect();
    let updated = if requested.is_empty() {
        let path = layout.config_file();
        Updated {
            path,
            before: BTreeMap::new(),
            after: BTreeMap::new(),
        }
    } else {
        update_layer_file(layout, Store::Config, &requested, false)?
    };
    Ok(Saved { requested, updated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_both_older_formats() {
        // What `gov config set` wrote, with spaces a hand edit added.
        let m = parse("# c\n\nGOV_MIRROR = https://m/go\n  GOV_INDEX_URL=file:///x\n");
        assert_eq!(
            m.get("GOV_MIRROR").map(String::as_str),
            Some("https://m/go")
        );
        assert_eq!(m.len(), 2);
        // What `gov proxy` wrote (go env's format).
        let m = parse("# gov's module settings\nGOPROXY=https://goproxy.cn,direct\nlower=1\n=x\n");
        assert_eq!(
            m.get("GOPROXY").map(String::as_str),
            Some("https://goproxy.cn,direct")
        );
        assert_eq!(m.len(), 1, "{m:?}");
    }

    #[test]
    fn render_round_trips_in_registry_order() {
        let mut m = BTreeMap::new();
        m.insert(
            "GOV_MIRROR".to_string(),
            "https://a/go,https://b/go".to_string(),
        );
        m.insert("GOV_INDEX_URL".to_string(), "file:///i".to_string());
        m.insert("GOV_ZZZ".to_string(), "kept".to_string());
        let text = render(Store::Config, &m).unwrap_or_default();
        assert_eq!(parse(&text), m);
        assert!(
            text.find("GOV_INDEX_URL") < text.find("GOV_MIRROR"),
            "{text}"
        );
        // A profile holds only the keys gov manages, and one line each.
        let mut p = BTreeMap::new();
        p.insert("GOSUMDB".to_string(), "off".to_string());
        p.insert("GOPROXY".to_string(), "off".to_string());
        p.insert("LD_PRELOAD".to_string(), "/x.so".to_string());
        let text = render(Store::Profile, &p).unwrap_or_default();
        assert!(text.ends_with("GOPROXY=off\nGOSUMDB=off\n"), "{text}");
        p.insert("GOFLAGS".to_string(), "-a\n-b".to_string());
        assert!(render(Store::Profile, &p).is_err());
    }

    fn settings_with(env: Env, account: &Path, system: &Path) -> Settings {
        let layers = Layers::from_homes(account, system);
        Settings::load(env, &layers)
    }

    #[test]
    fn provenance_environment_account_system_default() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (acct, sys) = (dir.path().join("acct"), dir.path().join("sys"));
        for (d, text) in [
            (&acct, "GOV_INDEX_TTL=5\n"),
            (&sys, "GOV_INDEX_TTL=60\nGOV_MIRROR=https://sys/go\n"),
        ] {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(d.join("config"), text).unwrap_or_else(|e| panic!("{e}"));
        }
        let env = Env::from_pairs([("GOV_LOCK_TIMEOUT", "7"), ("GOV_SOURCE", "  ")]);
        let s = settings_with(env, &acct, &sys);
        let r = s.resolve("GOV_LOCK_TIMEOUT");
        assert_eq!((r.value.as_str(), r.origin_name()), ("7", "environment"));
        let r = s.resolve("GOV_INDEX_TTL");
        assert_eq!((r.value.as_str(), r.origin_name()), ("5", "user"));
        let r = s.resolve("GOV_MIRROR");
        assert_eq!(
            (r.value.as_str(), r.origin_name()),
            ("https://sys/go", "system")
        );
        // A blank environment value counts as unset.
        let r = s.resolve("GOV_SOURCE");
        assert_eq!((r.value.as_str(), r.origin_name()), ("auto", "default"));
        assert_eq!(s.number("GOV_HTTP_RETRIES"), 3);
        assert_eq!(s.lookup_all("GOV_INDEX_TTL").len(), 2);
    }

    #[test]
    fn hostile_files_are_refused_not_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let big = dir.path().join("big");
        std::fs::write(&big, "GOV_MIRROR=x\n".repeat(10_000)).unwrap_or_else(|e| panic!("{e}"));
        assert!(read_layer_file(&big).is_err(), "oversized");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/etc/passwd", &link).unwrap_or_else(|e| panic!("{e}"));
        assert!(read_layer_file(&link).is_err(), "symlink");
        assert!(read_layer_file(&dir.path().join("missing")).is_ok_and(|m| m.is_empty()));
    }
}
