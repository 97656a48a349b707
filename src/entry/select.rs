//! Which Go version applies here, and why. Order:
//! `GOV_VERSION` > nearest `.go-version` (or `.tool-versions` / mise.toml
//! `go` entry, `entry::foreign`) upward > nearest go.work / go.mod
//! `toolchain` line (unless `GOV_GOMOD=0`) > the account's own global
//! selection > the system layer's. The version is then found in the
//! account's layer first, then the system layer.
//!
//! The module's `go` line is a minimum, as it is for Go itself: when the
//! selection (any source but `GOV_VERSION`) names an older version, the
//! newest installed version that meets it runs instead (see `resolve`).
//!
//! This runs on every `go` call through the entry points, so it does only
//! what selection needs: a few stats per directory level and small reads.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::fsutil;
use crate::core::installed;
use crate::core::layers::{Layer, Layers};
use crate::core::layout::Layout;
use crate::core::quote::{excerpt, shown};
use crate::core::safe_read;
use crate::core::version::{GoVersion, VersionRequest};
use crate::entry::foreign;

pub const VERSION_FILE: &str = ".go-version";

/// What made a version the selected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Env,
    VersionFile(PathBuf),
    Toolchain(PathBuf),
    Global(PathBuf),
    /// The system layer's global selection (below the account's own).
    SystemGlobal(PathBuf),
    /// The `go` line of a go.mod / go.work, when it raised the selection.
    GoLine(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => f.write_str("set by GOV_VERSION"),
            Source::VersionFile(p) => write!(f, "set by {}", shown(&p.to_string_lossy())),
            Source::Toolchain(p) => write!(
                f,
                "set by the toolchain line of {}",
                shown(&p.to_string_lossy())
            ),
            Source::Global(p) => write!(
                f,
                "set by the global selection {}",
                shown(&p.to_string_lossy())
            ),
            Source::SystemGlobal(p) => write!(
                f,
                "set by the system-wide global selection {}",
                shown(&p.to_string_lossy())
            ),
            Source::GoLine(p) => write!(
                f,
                "required by the go line of {}",
                shown(&p.to_string_lossy())
            ),
        }
    }
}

/// A selection before it is matched with what is installed.
#[derive(Debug, Clone)]
pub struct Selection {
    pub request: VersionRequest,
    /// The text as written, for messages.
    pub raw: String,
    pub source: Source,
    /// The module's `go` line, when one applies here.
    pub minimum: Option<Minimum>,
}

/// A go.mod / go.work `go` line: the oldest Go that may build the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minimum {
    pub version: GoVersion,
    pub file: PathBuf,
}

impl Minimum {
    /// The release line that meets it (`go 1.22.3` -> `1.22`), for installs.
    pub fn line(&self) -> VersionRequest {
        let (major, minor) = self.version.family();
        VersionRequest::Family { major, minor }
    }
}

fn env_nonempty(layers: &Layers, name: &str) -> Option<OsString> {
    layers.env().var_os(name).filter(|v| !v.is_empty())
}

/// The first meaningful line of a `.go-version` file (goenv's format: one
/// version, `1.22.5`, `go1.22.5` or `1.22`; blank lines and `#` comments
/// ignored).
pub fn parse_version_file(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

/// The version named by a go.mod / go.work `toolchain` line
/// (`toolchain go1.22.5`; `toolchain default` and `toolchain none` name
/// none).
pub fn parse_toolchain_line(text: &str) -> Option<String> {
    parse_module_lines(text).toolchain
}

/// The two lines of a go.mod / go.work selection cares about, read in one
/// pass.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ModuleLines {
    /// `go 1.22.0`: the minimum Go version.
    pub go: Option<GoVersion>,
    /// `toolchain go1.22.5`, as a version (`1.22.5`).
    pub toolchain: Option<String>,
}

/// The value of a top-level `<word> <value>` directive line, if `line` is one.
fn directive<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(word)?;
    rest.starts_with(char::is_whitespace).then(|| rest.trim())
}

pub fn parse_module_lines(text: &str) -> ModuleLines {
    let mut out = ModuleLines::default();
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if out.go.is_none()
            && let Some(v) = directive(line, "go")
        {
            // Malformed go lines are Go's to report; they set no minimum.
            out.go = GoVersion::parse(v).filter(|v| v.as_str().len() <= 32);
        } else if out.toolchain.is_none()
            && let Some(name) = directive(line, "toolchain")
        {
            // Custom toolchains are named go1.22.5-suffix; the suffix does
            // not change which release it is. `default` names none.
            out.toolchain = name
                .strip_prefix("go")
                .map(|v| v.split(['-', '+']).next().unwrap_or(v))
                .and_then(GoVersion::parse)
                .map(|v| v.to_string());
        }
        if out.go.is_some() && out.toolchain.is_some() {
            break;
        }
    }
    out
}

/// Selection files come from checkouts and parent directories: read only
/// small regular files, without blocking (see `core::safe_read`). Absent is
/// `None`; unreadable is a permission error, never "nothing selected".
fn read_small(path: &Path, max: u64) -> Result<Option<String>> {
    safe_read::read_text(path, max)
}

/// The same for the files met walking up from the working directory, where
/// a directory this account may not search (`sudo -u svc go version` run
/// in /root) hides nothing it could have used: skipped, as Go does. A file
/// that exists but cannot be read is still an error.
fn read_on_walk(path: &Path, max: u64) -> Result<Option<String>> {
    // Nearly every name probed on the walk is absent: learn that with the
    // cheapest call (see `safe_read::present`), open only what is there.
    if !safe_read::present(path) {
        return Ok(None);
    }
    match read_small(path, max) {
        Err(_) if std::fs::symlink_metadata(path).is_err() => Ok(None),
        other => other,
    }
}

/// Finds the selection for `cwd`. `None` when nothing selects a version.
pub fn select(layers: &Layers, cwd: &Path) -> Result<Option<Selection>> {
    if let Some(v) = env_nonempty(layers, "GOV_VERSION") {
        let raw = v.to_string_lossy().trim().to_string();
        let request = VersionRequest::parse(&raw).map_err(|e| {
            e.with_advice("GOV_VERSION must name a Go version, like 1.22.5 or 1.22")
        })?;
        return Ok(Some(Selection {
            request,
            raw,
            source: Source::Env,
            minimum: None,
        }));
    }

    let use_gomod = layers.env().var_os("GOV_GOMOD").is_none_or(|v| v != "0");
    // GOWORK=off disables workspaces; GOWORK=<file> names one.
    let gowork_env = env_nonempty(layers, "GOWORK");
    let use_gowork = gowork_env.is_none();
    let mut gowork: Option<PathBuf> = gowork_env
        .filter(|v| v != "off")
        .map(PathBuf::from)
        .filter(|_| use_gomod);
    let mut gomod: Option<PathBuf> = None;
    let mut version_file: Option<Selection> = None;
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        if version_file.is_none() {
            version_file = version_file_in(layers, d)?;
            if version_file.is_some() && !use_gomod {
                break;
            }
        }
        if use_gomod {
            if gowork.is_none() && use_gowork {
                let w = d.join("go.work");
                if safe_read::is_candidate_file(&w) {
                    gowork = Some(w);
                }
            }
            if gomod.is_none() {
                let m = d.join("go.mod");
                if safe_read::is_candidate_file(&m) {
                    gomod = Some(m);
                }
            }
        }
        dir = d.parent();
    }

    // In workspace mode (the nearest go.work) Go takes the go and toolchain
    // lines from go.work only; otherwise from the nearest go.mod.
    let module_file = gowork.or(gomod);
    let lines = match &module_file {
        Some(path) => read_on_walk(path, safe_read::MAX_MODULE_FILE)?
            .map(|t| parse_module_lines(&t))
            .unwrap_or_default(),
        None => ModuleLines::default(),
    };
    let minimum = match (&module_file, lines.go) {
        (Some(file), Some(version)) => Some(Minimum {
            version,
            file: file.clone(),
        }),
        _ => None,
    };
    let with_minimum = |mut sel: Selection| {
        sel.minimum = minimum.clone();
        Some(sel)
    };
    if let Some(sel) = version_file {
        return Ok(with_minimum(sel));
    }
    if let Some(path) = module_file
        && let Some(v) = lines.toolchain
        && let Ok(request) = VersionRequest::parse(&v)
    {
        return Ok(with_minimum(Selection {
            request,
            raw: format!("go{v}"),
            source: Source::Toolchain(path),
            minimum: None,
        }));
    }

    Ok(layered_global(layers)?.and_then(with_minimum))
}

/// The selection file of one directory: `.go-version`, else the `go`
/// entry of `.tool-versions` or a mise file.
fn version_file_in(layers: &Layers, d: &Path) -> Result<Option<Selection>> {
    let vf = d.join(VERSION_FILE);
    if let Some(text) = read_on_walk(&vf, safe_read::MAX_VERSION_FILE)?
        && let Some(line) = parse_version_file(&text)
    {
        return from_version_file(layers, vf, line).map(Some);
    }
    for name in foreign::FILES {
        let f = d.join(name);
        if let Some(text) = read_on_walk(&f, foreign::MAX_BYTES)?
            && let Some(v) = foreign::go_entry(&f, &text)
        {
            return from_version_file(layers, f, &v).map(Some);
        }
    }
    Ok(None)
}

fn from_version_file(layers: &Layers, vf: PathBuf, line: &str) -> Result<Selection> {
    if line == "system" {
        // Every layer's entry points count as gov's, not as "the system Go".
        let bin = layers.own().unwrap_or(layers.system()).bin_dir();
        return Err(foreign::system_hint(&vf, bin, layers.env()));
    }
    // The parse error repeats the text unescaped: only the excerpt is shown.
    let request = VersionRequest::parse(line).map_err(|_| {
        Error::invalid(format!(
            "{} says `{}`, which is not a Go version",
            shown(&vf.to_string_lossy()),
            excerpt(line, 64)
        ))
        .with_advice("write one version in it, like 1.22.5 (or run `gov local <version>` there)")
    })?;
    Ok(Selection {
        request,
        raw: line.to_string(),
        source: Source::VersionFile(vf),
        minimum: None,
    })
}

/// The account's own global selection, else the system layer's.
pub fn layered_global(layers: &Layers) -> Result<Option<Selection>> {
    for (_, layout) in layers.search() {
        if let Some(sel) = global(layout)? {
            return Ok(Some(sel));
        }
    }
    Ok(None)
}

/// The global selection of one layer, if one was made there.
pub fn global(layout: &Layout) -> Result<Option<Selection>> {
    let path = layout.global_file();
    let Some(text) = read_small(&path, safe_read::MAX_VERSION_FILE)? else {
        return Ok(None);
    };
    let Some(line) = parse_version_file(&text) else {
        return Ok(None);
    };
    let request = VersionRequest::parse(line).map_err(|e| {
        Error::new(ErrorKind::State, format!("{} is corrupt", path.display()))
            .with_source(e)
            .with_advice("run `gov global <version>` to set it again")
    })?;
    let source = if layout.is_system() {
        Source::SystemGlobal(path)
    } else {
        Source::Global(path)
    };
    Ok(Some(Selection {
        request,
        raw: line.to_string(),
        source,
        minimum: None,
    }))
}

/// Makes `version` the global selection in one atomic step.
pub fn set_global(layout: &Layout, version: &GoVersion) -> Result<()> {
    fsutil::create_dir_all(layout.home())?;
    fsutil::write_atomic(&layout.global_file(), format!("{version}\n").as_bytes())
}

/// Removes the layer's global selection; true when there was one.
pub fn unset_global(layout: &Layout) -> Result<bool> {
    let path = layout.global_file();
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(format!("removing {}", path.display()), e)),
    }
}

/// An installed version a selection resolved to. `raised` is set when the
/// module's `go` line replaced an older selection.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub installed: installed::Installed,
    pub raised: Option<Minimum>,
}

/// The installed version a selection resolves to, or an error naming the
/// version, who asked for it and how to install it.
pub fn resolve_installed(layers: &Layers, sel: &Selection) -> Result<installed::Installed> {
    resolve(layers, sel).map(|r| r.installed)
}

/// Resolves `sel` against what is installed, honouring the `go` line: a
/// selection older than it gives way to the newest installed version that
/// meets it; with none installed, the error names what to install.
pub fn resolve(layers: &Layers, sel: &Selection) -> Result<Resolved> {
    let found = find_requested(layers, sel)?;
    let Some(min) = &sel.minimum else {
        return found
            .map(|installed| Resolved {
                installed,
                raised: None,
            })
            .ok_or_else(|| not_installed(sel));
    };
    match found {
        Some(f) if f.version >= min.version => Ok(Resolved {
            installed: f,
            raised: None,
        }),
        None if !request_below(&sel.request, &min.version) => Err(not_installed(sel)),
        _ => match newest_meeting(layers, &min.version)? {
            Some(installed) => Ok(Resolved {
                installed,
                raised: Some(min.clone()),
            }),
            None => Err(below_minimum(sel, min)),
        },
    }
}

fn find_requested(layers: &Layers, sel: &Selection) -> Result<Option<installed::Installed>> {
    if let VersionRequest::Exact(v) = &sel.request {
        // Fast path for the common case: one stat per layer, no listing.
        for (layer, layout) in layers.search() {
            let dir = layout.version_dir(v.as_str());
            if dir.join("bin").is_dir() {
                return Ok(Some(installed::Installed {
                    version: v.clone(),
                    goroot: dir,
                    layer,
                }));
            }
        }
    }
    installed::find_in(layers, &sel.request)
}

/// Can no version `req` names meet `min`?
fn request_below(req: &VersionRequest, min: &GoVersion) -> bool {
    match req {
        VersionRequest::Latest => false,
        VersionRequest::Exact(v) => v < min,
        VersionRequest::Family { major, minor } => {
            let (min_major, min_minor) = min.family();
            let lang = |a: &str, b: &str| GoVersion::parse(&format!("{a}.{b}"));
            lang(major, minor) < lang(&min_major, &min_minor)
        }
    }
}

/// The newest installed version at or above `min`: stable releases first.
fn newest_meeting(layers: &Layers, min: &GoVersion) -> Result<Option<installed::Installed>> {
    let mut meeting: Vec<installed::Installed> = installed::list_all(layers)?
        .into_iter()
        .filter(|i| i.version >= *min)
        .collect();
    meeting.sort_by(|a, b| b.version.cmp(&a.version));
    let stable = meeting.iter().position(|i| !i.version.is_prerelease());
    Ok(match stable {
        Some(i) => meeting.into_iter().nth(i),
        None => meeting.into_iter().next(),
    })
}

/// What to install so that `sel` resolves: the selection itself, or the
/// release line of the `go` line when the selection is too old for it.
pub fn install_target(layers: &Layers, sel: &Selection) -> Selection {
    if let Some(min) = &sel.minimum {
        let found = find_requested(layers, sel).ok().flatten();
        let too_old = match &found {
            Some(f) => f.version < min.version,
            None => request_below(&sel.request, &min.version),
        };
        if too_old {
            return Selection {
                request: min.line(),
                raw: min.line().to_string(),
                source: Source::GoLine(min.file.clone()),
                minimum: Some(min.clone()),
            };
        }
    }
    sel.clone()
}

/// The selection is older than the module's `go` line and nothing installed
/// meets it.
pub fn below_minimum(sel: &Selection, min: &Minimum) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "{} requires go >= {}, but the selected Go {} ({}) is older and no installed version meets it",
            min.file.display(),
            min.version,
            sel.raw,
            sel.source
        ),
    )
    .with_advice(format!(
        "run `gov install {}` (or set GOV_AUTO_INSTALL=1 to install it on first use)",
        min.line()
    ))
}

/// The layer a selection's source belongs to, when it is a global one.
pub fn global_layer(source: &Source) -> Option<Layer> {
    match source {
        Source::Global(_) => Some(Layer::User),
        Source::SystemGlobal(_) => Some(Layer::System),
        _ => None,
    }
}

pub fn not_installed(sel: &Selection) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "Go {} is selected ({}) but not installed",
            sel.raw, sel.source
        ),
    )
    .with_advice(format!(
        "run `gov install {}`, or set GOV_AUTO_INSTALL=1 to install selected versions on first use",
        sel.request
    ))
}

/// No selection at all.
pub fn nothing_selected() -> Error {
    Error::new(ErrorKind::NotFound, "no Go version is selected")
        .with_advice("choose one with `gov global <version>` (after `gov install <version>`), or write a .go-version file")
}

/// The GOROOT a `go` started in the working directory would use, if any
/// (for showing which `$GOROOT/go.env` applies).
pub fn current_goroot(layers: &Layers) -> Option<std::path::PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let sel = select(layers, &cwd).ok().flatten()?;
    resolve_installed(layers, &sel).ok().map(|i| i.goroot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_lines() {
        let m = "module x\n\ngo 1.21\n\ntoolchain go1.22.5 // pinned\n";
        assert_eq!(parse_toolchain_line(m).as_deref(), Some("1.22.5"));
        assert_eq!(parse_toolchain_line("go 1.21\n").as_deref(), None);
        assert_eq!(parse_toolchain_line("toolchain default\n").as_deref(), None);
        // `toolchain none` (what `go get toolchain@none` means) names none:
        // the go line and the global decide.
        assert_eq!(parse_toolchain_line("toolchain none\n").as_deref(), None);
        let m = parse_module_lines("go 1.22.3\ntoolchain none\n");
        assert_eq!(m.go.map(|v| v.to_string()).as_deref(), Some("1.22.3"));
        assert_eq!(
            parse_toolchain_line("toolchain go1.23rc1\n").as_deref(),
            Some("1.23rc1")
        );
        assert_eq!(
            parse_toolchain_line("toolchain go1.22.5-custom\n").as_deref(),
            Some("1.22.5")
        );
        assert_eq!(parse_toolchain_line("toolchainx go1.2\n").as_deref(), None);
    }

    #[test]
    fn go_lines() {
        let m = parse_module_lines("module x\n\ngo 1.22.0 // min\n\ntoolchain go1.22.5\n");
        assert_eq!(m.go.map(|v| v.to_string()).as_deref(), Some("1.22.0"));
        assert_eq!(m.toolchain.as_deref(), Some("1.22.5"));
        let m = parse_module_lines("module x\nrequire go.uber.org/zap v1.0.0\ngo 1.21\n");
        assert_eq!(m.go.map(|v| v.to_string()).as_deref(), Some("1.21"));
        // Hostile or malformed lines set nothing.
        assert_eq!(parse_module_lines("go banana\n").go, None);
        assert_eq!(parse_module_lines("gox 1.22\n").go, None);
        assert_eq!(
            parse_module_lines(&format!("go 1.{}\n", "9".repeat(100))).go,
            None
        );
        assert_eq!(parse_module_lines("\u{0}go 1.22\n").go, None);
    }

    #[test]
    fn request_below_minimum() {
        let v = |s: &str| GoVersion::parse(s).unwrap_or_else(|| panic!("{s}"));
        let r = |s: &str| VersionRequest::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert!(request_below(&r("1.21.13"), &v("1.22.0")));
        assert!(!request_below(&r("1.22.0"), &v("1.22.0")));
        assert!(request_below(&r("1.21"), &v("1.22")));
        assert!(!request_below(&r("1.22"), &v("1.22.5")));
        assert!(!request_below(&r("latest"), &v("1.99")));
        assert!(request_below(&r("1.22rc1"), &v("1.22.0")));
    }

    #[test]
    fn version_files() {
        assert_eq!(parse_version_file("\n# pinned\n 1.22.5 \n"), Some("1.22.5"));
        assert_eq!(parse_version_file("\n\n"), None);
    }
}
