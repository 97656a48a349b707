//! The `--json` answers, one serde struct each: the shapes scripts and the
//! Ansible collection read. Fields are added, never renamed or removed.
//! Each answer also derives `JsonSchema`; `gov schema` writes the schemas
//! into docs/reference/json/ (a test keeps them current), so this file is
//! where a field's documentation lives.
//!
//! A command that answers in JSON: put its struct here (or derive both
//! traits on the library type it prints), add it to [`described`], and run
//! `cargo run -- schema --dir docs/reference/json`. The commands that change
//! state wrap theirs in [`Answer`] through `machine::answer`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use crate::core::error::Error;

/// The version of every enveloped answer below.
pub const SCHEMA: u64 = 1;

/// The envelope of the answers of the commands that change state and of
/// `gov info`: `schema`, the command's own fields, and the warnings the
/// run collected instead of printing them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Answer<T> {
    /// Always 1; fields are added, never renamed.
    pub schema: u64,
    #[serde(flatten)]
    pub body: T,
    /// Warnings the run would have printed on stderr.
    pub warnings: Vec<String>,
}

/// An error as the `error` object of an answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorAnswer {
    /// The error's kind: usage, network, checksum, not-found, ...
    pub kind: String,
    pub message: String,
    /// The cause chain, outermost first.
    pub causes: Vec<String>,
    /// What to do next.
    pub advice: Option<String>,
}

impl ErrorAnswer {
    pub fn of(e: &Error) -> ErrorAnswer {
        ErrorAnswer {
            kind: e.kind().name().to_string(),
            message: e.message().to_string(),
            causes: e.causes(),
            advice: e.advice().map(str::to_string),
        }
    }
}

/// The answer of a `--json` run that failed (any of the enveloped
/// commands), with the fields that say what was done before the failure
/// (`results` of the installs that worked, for example).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Failure {
    pub schema: u64,
    /// Always false at the top level: see `results` for what did change.
    pub changed: bool,
    #[serde(flatten)]
    pub done: BTreeMap<String, serde_json::Value>,
    pub error: ErrorAnswer,
    /// The process's exit status: 1 failure, 2 usage or invalid input.
    pub exit_code: i32,
    pub warnings: Vec<String>,
}

/// `gov list --json`: one entry per installed version, this account's
/// layer first, then the system layer's.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Installed {
    pub version: String,
    pub goroot: PathBuf,
    /// The version `go` runs in the current directory.
    pub selected: bool,
    /// What selected it (`GOV_VERSION`, a `.go-version` path, the global
    /// file), when selected.
    pub selected_by: Option<String>,
    /// `user` or `system`.
    pub layer: String,
    /// What proved the tree when it was installed, among `sha256` (the
    /// release index), `log` (the checksum database) and `signature`
    /// (OpenPGP); `[]` for trees without a record (imported, or installed
    /// by a gov before 0.x recorded them).
    pub proofs: Vec<String>,
}

/// `gov list-remote --json`: a release in the index with its archive for
/// the architecture asked for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RemoteRelease {
    pub version: String,
    pub stable: bool,
    pub installed: bool,
    pub filename: String,
    pub sha256: String,
    pub size: u64,
}

/// `gov list-remote --source proxy --json`: a toolchain the module proxy
/// lists (`golang.org/toolchain`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProxyToolchain {
    pub version: String,
    pub stable: bool,
    pub installed: bool,
    /// `golang.org/toolchain`
    pub module: String,
    /// `v0.0.1-go1.22.5.linux-amd64`
    pub module_version: String,
}

/// `gov info --json`: facts for inventories, read from local state only.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Info {
    pub gov_version: String,
    /// This account's GOV_HOME.
    pub home: PathBuf,
    pub bin_dir: PathBuf,
    /// Versions installed in this account's layer, newest first.
    pub installed: Vec<VersionTree>,
    /// The global selection (this account's, else the system's).
    pub global: Option<String>,
    /// The file that global selection comes from.
    pub global_source: Option<String>,
    /// Every layer this account reads, its own first.
    pub layers: Vec<LayerInfo>,
    /// `go` and `gofmt` in GOV_BIN_DIR, and `go<version>` for each version
    /// installed in this layer (the name cmd/go looks up in PATH).
    pub entry_points: BTreeMap<String, EntryPoint>,
    pub proxy: ProxyInfo,
    /// The document of `gov config show --json` (without `schema`).
    pub config: ConfigDocument,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionTree {
    pub version: String,
    pub goroot: PathBuf,
    /// What proved the tree when it was installed (as in `gov list --json`).
    pub proofs: Vec<String>,
    /// When they were checked, in seconds since the epoch; absent without
    /// a record.
    pub proven_at: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LayerInfo {
    /// `user` or `system`.
    pub layer: String,
    pub home: PathBuf,
    pub bin_dir: PathBuf,
    pub installed: Vec<VersionTree>,
    /// This layer's own global selection.
    pub global: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EntryPoint {
    pub path: PathBuf,
    /// `gov` (this gov), `other-gov`, `foreign` or `missing`.
    pub state: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ProxyInfo {
    /// gov's profile of module-proxy settings in this account's layer.
    pub profile: BTreeMap<String, String>,
    /// Every setting as `go` would see it here.
    pub effective: Vec<EffectiveSetting>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EffectiveSetting {
    pub key: String,
    pub value: String,
    /// Where it comes from, for people (with the file's path).
    pub source: String,
    /// For machines: `environment`, `go-env`, `user`, `system`, `policy`,
    /// `goroot` or `default`.
    pub origin: String,
}

/// `gov install --json` and `gov uninstall --json`: what was (or, with
/// `--dry-run`, would be) done for each version named.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Outcomes<T> {
    /// With one version named (or none, for `install`): its fields, also
    /// at the top level (as before several versions could be named).
    #[serde(flatten)]
    pub only: Option<T>,
    /// True when something was, or with `--dry-run` would be, written.
    pub changed: bool,
    pub dry_run: bool,
    /// One entry per version, in the order named.
    pub results: Vec<Outcome<T>>,
}

/// One version's entry in `results`: what was done, or why it failed.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Outcome<T> {
    Done(Done<T>),
    Failed(VersionFailed),
}

/// A version the command acted on (or found nothing to do for).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Done<T> {
    /// True when this version was, or would be, changed.
    pub changed: bool,
    #[serde(flatten)]
    pub fields: T,
}

/// A version that failed while others were tried.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionFailed {
    /// Always false.
    pub changed: bool,
    /// The version as given.
    pub requested: String,
    pub error: ErrorAnswer,
}

impl<T: Clone> Outcomes<T> {
    /// The answer over `results`; with `one` (a single version named) its
    /// fields at the top level too.
    pub fn of(one: bool, dry_run: bool, results: Vec<Outcome<T>>) -> Outcomes<T> {
        let only = match (one, results.first()) {
            (true, Some(Outcome::Done(d))) => Some(d.fields.clone()),
            _ => None,
        };
        Outcomes {
            only,
            changed: results
                .iter()
                .any(|r| matches!(r, Outcome::Done(d) if d.changed)),
            dry_run,
            results,
        }
    }
}

/// `gov install --json`: one version's fields.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InstallDone {
    /// `installed`, `reinstalled` or `already-installed`.
    pub action: &'static str,
    /// The version (or archive path, with `--file`) as given.
    pub requested: String,
    /// The version it resolved to.
    pub version: String,
    pub arch: String,
    pub goroot: PathBuf,
    /// Bytes downloaded (0 from the cache or a local archive).
    pub downloaded: u64,
    pub from_cache: bool,
    /// Whether the archive's checksum was checked.
    pub verified: bool,
    /// The proofs this install passed (as in `gov list --json`); `[]`
    /// when nothing was fetched. With `--dry-run`, the proofs expected.
    pub proofs: Vec<String>,
}

/// `gov uninstall --json`: one version's fields.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UninstallDone {
    /// `uninstalled`, or `not-installed` (only with `--missing-ok`).
    pub action: &'static str,
    /// The version as given.
    pub requested: String,
    /// The installed version it named; null when it was not installed.
    pub version: Option<String>,
}

/// `gov global <version> --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GlobalSet<'a> {
    /// True when the global file or an entry point was (or would be)
    /// written; a repaired link counts.
    pub changed: bool,
    pub dry_run: bool,
    /// `set` or `already-set`.
    pub action: &'static str,
    /// The version as given (`1.22` pins the newest installed 1.22.x).
    pub requested: String,
    pub version: &'a str,
    /// This layer's global before the change.
    pub before: Option<&'a str>,
    pub after: &'a str,
    /// The links created or replaced in GOV_BIN_DIR.
    pub entry_points: &'a [PathBuf],
}

/// `gov global --unset --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GlobalUnset {
    pub changed: bool,
    /// Always false (there is no `--dry-run` for `--unset`).
    pub dry_run: bool,
    /// `unset` or `not-set`.
    pub action: &'static str,
    /// The global that applies now (the system layer's), if any.
    pub global: Option<String>,
    /// Where that global comes from.
    pub source: Option<String>,
}

/// `gov global --json` without a version.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GlobalShow<'a> {
    /// What `go` falls back to here, if anything.
    pub global: Option<String>,
    /// Where it comes from.
    pub source: Option<String>,
    /// This layer's global file.
    pub file: &'a std::path::Path,
}

/// `gov proxy use --json` without a preset: the presets.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PresetList<'a> {
    pub presets: Vec<PresetRow<'a>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PresetRow<'a> {
    pub name: &'a str,
    pub about: &'a str,
    /// The settings it writes; null for `corp`, which is built from its
    /// flags.
    pub settings: Option<BTreeMap<&'a str, &'a str>>,
}

/// `gov proxy use|set|unset --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProxyChange<'a> {
    /// True when the profile was, or would be, written.
    pub changed: bool,
    pub dry_run: bool,
    /// `updated` or `unchanged`.
    pub action: &'static str,
    /// The preset applied (`use`), else null.
    pub preset: Option<&'a str>,
    /// The keys asked for: a value, or null to unset (a preset's settings
    /// for `use`).
    pub requested: BTreeMap<&'a str, Option<&'a str>>,
    pub changed_keys: Vec<String>,
    /// gov's profile before the change.
    pub before: &'a BTreeMap<String, String>,
    /// gov's profile after it (as it would be, with `--dry-run`).
    pub after: &'a BTreeMap<String, String>,
    /// The profile's path.
    pub profile: &'a std::path::Path,
}

/// One ranked proxy of `gov proxy check --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProxyCheck<'a> {
    /// 1 for the best.
    pub rank: usize,
    /// `configured` (GOPROXY here) or the preset it comes from.
    pub source: &'a str,
    pub url: &'a str,
    /// Every stage passed, up to an HTTP answer.
    pub ok: bool,
    /// How many stages (dns, tcp, tls, http) passed.
    pub stages_passed: usize,
    /// The stages' time added up, in milliseconds.
    pub ms: u64,
    /// `ok`, or the first stage that failed and why.
    pub detail: &'a str,
}

/// `gov config set|unset --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfigChange<'a> {
    /// True when the file was, or would be, written.
    pub changed: bool,
    pub dry_run: bool,
    /// `updated` or `unchanged`.
    pub action: &'static str,
    /// `user` or `system`.
    pub layer: &'static str,
    /// The config file's path.
    pub file: &'a std::path::Path,
    /// The keys asked for: a value, or null to unset.
    pub requested: BTreeMap<&'a str, Option<&'a str>>,
    pub changed_keys: Vec<String>,
    /// The file's settings before the change.
    pub before: &'a BTreeMap<String, String>,
    /// The file's settings after it (as they would be, with `--dry-run`).
    pub after: &'a BTreeMap<String, String>,
}

/// `gov config show --json` (and `config` in `gov info --json`): every
/// setting, the files read, and where toolchains come from.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfigDocument {
    pub settings: Vec<SettingRow>,
    /// The config files, nearest first.
    pub files: Vec<ConfigFile>,
    /// The source installs use and why; null when the settings are invalid.
    pub toolchain_source: Option<crate::install::ResolvedSource>,
}

/// One of gov's settings.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SettingRow {
    pub key: &'static str,
    /// The effective value (passwords in URLs redacted).
    pub value: String,
    /// `environment`, `user`, `system` or `default`.
    pub origin: &'static str,
    /// The file it comes from, when from a file.
    pub file: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfigFile {
    /// `user` or `system`.
    pub layer: &'static str,
    pub path: String,
    pub exists: bool,
}

/// `gov config show --json`: the document with its schema number (no
/// warnings: they go to stderr).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfigShow {
    /// Always 1.
    pub schema: u32,
    #[serde(flatten)]
    pub document: ConfigDocument,
}

/// `gov cache clean --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CacheClean {
    /// Cached archives removed (or, with `--dry-run`, that would be).
    pub archives: usize,
    /// Copies of the release index of other index URLs.
    pub index_copies: usize,
    /// Bytes freed (or that would be).
    pub bytes: u64,
    pub dry_run: bool,
}

/// One answer's schema, by the name of its file in docs/reference/json/.
pub struct Described {
    /// The file name without `.json`: `list`, `doctor`, ...
    pub name: &'static str,
    /// The command that answers with it.
    pub command: &'static str,
    pub schema: fn() -> schemars::Schema,
}

/// The schema of what `T` serializes to: a field is required unless serde
/// may leave it out, so an `Option` is a required field that may be null.
fn schema_of<T: JsonSchema>() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// The schema of an enveloped answer, described as its body is (the
/// envelope's own fields say what they are).
fn enveloped<T: JsonSchema>() -> schemars::Schema {
    let mut schema = schema_of::<Answer<T>>();
    if let Some(about) = schema_of::<T>().get("description").cloned() {
        schema.insert("description".into(), about);
    }
    schema
}

/// Every answer with a generated schema, in the order the reference lists
/// them.
pub fn described() -> Vec<Described> {
    vec![
        Described {
            name: "list",
            command: "gov list --json",
            schema: schema_of::<Vec<Installed>>,
        },
        Described {
            name: "list-remote",
            command: "gov list-remote --json",
            schema: schema_of::<Vec<RemoteRelease>>,
        },
        Described {
            name: "list-remote-proxy",
            command: "gov list-remote --source proxy --json",
            schema: schema_of::<Vec<ProxyToolchain>>,
        },
        Described {
            name: "info",
            command: "gov info --json",
            schema: enveloped::<Info>,
        },
        Described {
            name: "doctor",
            command: "gov doctor --json",
            schema: schema_of::<crate::doctor::Report>,
        },
        Described {
            name: "verify",
            command: "gov verify --json",
            schema: schema_of::<Verified>,
        },
        Described {
            name: "install",
            command: "gov install --json",
            schema: enveloped::<Outcomes<InstallDone>>,
        },
        Described {
            name: "uninstall",
            command: "gov uninstall --json",
            schema: enveloped::<Outcomes<UninstallDone>>,
        },
        Described {
            name: "global",
            command: "gov global VERSION --json",
            schema: enveloped::<GlobalSet<'static>>,
        },
        Described {
            name: "global-unset",
            command: "gov global --unset --json",
            schema: enveloped::<GlobalUnset>,
        },
        Described {
            name: "global-show",
            command: "gov global --json",
            schema: enveloped::<GlobalShow<'static>>,
        },
        Described {
            name: "proxy-change",
            command: "gov proxy use|set|unset --json",
            schema: enveloped::<ProxyChange<'static>>,
        },
        Described {
            name: "proxy-presets",
            command: "gov proxy use --json",
            schema: enveloped::<PresetList<'static>>,
        },
        Described {
            name: "proxy-show",
            command: "gov proxy show --json",
            schema: schema_of::<Vec<crate::settings::proxy::Effective>>,
        },
        Described {
            name: "proxy-check",
            command: "gov proxy check --json",
            schema: schema_of::<Vec<ProxyCheck<'static>>>,
        },
        Described {
            name: "config-change",
            command: "gov config set|unset --json",
            schema: enveloped::<ConfigChange<'static>>,
        },
        Described {
            name: "config-show",
            command: "gov config show --json",
            schema: schema_of::<ConfigShow>,
        },
        Described {
            name: "cache-clean",
            command: "gov cache clean --json",
            schema: schema_of::<CacheClean>,
        },
        Described {
            name: "outdated",
            command: "gov outdated --json",
            schema: schema_of::<crate::lifecycle::outdated::Report>,
        },
        Described {
            name: "upgrade",
            command: "gov upgrade --json",
            schema: schema_of::<crate::lifecycle::upgrade::Report>,
        },
        Described {
            name: "prune",
            command: "gov prune --json",
            schema: schema_of::<crate::lifecycle::prune::Report>,
        },
        Described {
            name: "mirror-sync",
            command: "gov mirror sync --json",
            schema: schema_of::<crate::mirror::sync::Report>,
        },
        Described {
            name: "mirror-modules",
            command: "gov mirror modules --json",
            schema: schema_of::<crate::mirror::modules::Report>,
        },
        Described {
            name: "mirror-verify",
            command: "gov mirror verify --json",
            schema: schema_of::<crate::mirror::verify::Report>,
        },
        Described {
            name: "trust-list",
            command: "gov trust list --json",
            schema: schema_of::<TrustList>,
        },
        Described {
            name: "failure",
            command: "any enveloped `--json` command that fails",
            schema: schema_of::<Failure>,
        },
    ]
}

/// `gov verify --json`: each tree checked against its install's manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Verified {
    /// Every tree checked is intact (unrecorded trees do not count).
    pub intact: bool,
    /// Every file was hashed (false with `--quick`: sizes and mtimes).
    pub full: bool,
    pub trees: Vec<VerifiedTree>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifiedTree {
    pub version: String,
    /// `intact`, `changed`, or `unrecorded` (no manifest: imported, or
    /// installed by an older gov).
    pub state: String,
    /// Files whose content (or, with `--quick`, size or mtime) differs.
    pub changed: Vec<String>,
    /// Regular files the install did not write.
    pub added: Vec<String>,
    /// Files the install wrote that are gone.
    pub removed: Vec<String>,
    /// Whether the tree still hashes to the checksum database's `h1:`
    /// recorded at install; null when not compared (`--quick`, no log
    /// proof).
    pub log_matches: Option<bool>,
}

/// `gov trust list --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TrustList {
    /// The bundle `go` uses (absent while no CA is added).
    pub bundle: Option<std::path::PathBuf>,
    /// The system root bundle the bundle starts with.
    pub system_roots: Option<std::path::PathBuf>,
    /// The CAs this layer added.
    pub cas: Vec<crate::settings::trust_store::Ca>,
}
