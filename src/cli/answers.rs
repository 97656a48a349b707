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
    /// `go` and `gofmt` in GOV_BIN_DIR.
    pub entry_points: BTreeMap<String, EntryPoint>,
    pub proxy: ProxyInfo,
    /// The document of `gov config show --json`.
    pub config: serde_json::Value,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionTree {
    pub version: String,
    pub goroot: PathBuf,
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

/// One answer's schema, by the name of its file in docs/reference/json/.
pub struct Described {
    /// The file name without `.json`: `list`, `doctor`, ...
    pub name: &'static str,
    /// The command that answers with it.
    pub command: &'static str,
    pub schema: fn() -> schemars::Schema,
}

fn schema_of<T: JsonSchema>() -> schemars::Schema {
    schemars::schema_for!(T)
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
            schema: schema_of::<Answer<Info>>,
        },
        Described {
            name: "doctor",
            command: "gov doctor --json",
            schema: schema_of::<crate::doctor::Report>,
        },
        Described {
            name: "failure",
            command: "any enveloped `--json` command that fails",
            schema: schema_of::<Failure>,
        },
    ]
}
