//! `gov mirror modules`: the module versions a build needs, in the same
//! static GOPROXY layout as the toolchains (`<module>/@v/{list,<v>.info,
//! <v>.mod,<v>.zip}`, paths case-encoded as cmd/go escapes them), each
//! fetched through GOPROXY and published only when its zip and go.mod hash
//! to the checksum database's record; the records go into the mirror's one
//! database snapshot (`snapshot`). A version already published and intact
//! is not fetched again.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use reqwest::header::HeaderMap;
use serde::Serialize;

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::install::proxy::ProxyEntry;
use crate::install::proxy::{self, Http, HttpFetch, ProxySettings};
use crate::mirror::snapshot::{self, Record};
use crate::mirror::sync::Failure;
use crate::mirror::{manifest, publish};
use crate::net::http::{self, RetryPolicy};
use crate::trust::client::{Client, escape};
use crate::trust::store::DiskStore;
use crate::trust::{dirhash, zipcheck};

/// A module zip's size limit, as cmd/go's.
const MAX_ZIP: u64 = zipcheck::MAX_ZIP_SIZE;
/// `.info` and `.mod` are small.
const MAX_SMALL: u64 = 16 << 20;

/// One module version to mirror.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModuleVersion {
    pub path: String,
    pub version: String,
}

/// What `gov mirror modules` did: the `--json` answer
/// (docs/reference/json/mirror-modules.json).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// The mirror directory.
    pub dir: String,
    /// Each module version asked for.
    pub modules: Vec<ModuleRow>,
    /// Module versions not published, and why.
    pub failed: Vec<Failure>,
    /// Bytes that came over the network for them.
    pub downloaded_bytes: u64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ModuleRow {
    pub module: String,
    pub version: String,
    /// `added` or `kept`.
    pub action: &'static str,
}

/// A module path as cmd/go accepts one for download: slash-separated
/// elements of letters, digits and `-._~`, none empty, none starting with
/// a dot, and a first element with a dot in it (a domain).
pub fn check_path(path: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid(format!("module path `{}`: {why}", shown(path)));
    if path.is_empty() || path.len() > 500 {
        return Err(bad("empty or too long"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
    if !path.chars().all(allowed) {
        return Err(bad("has a character module paths cannot hold"));
    }
    for elem in path.split('/') {
        if elem.is_empty() || elem.starts_with('.') || elem.ends_with('.') {
            return Err(bad(
                "has an empty element or one that starts or ends with a dot",
            ));
        }
    }
    if !path
        .split('/')
        .next()
        .is_some_and(|first| first.contains('.'))
    {
        return Err(bad("its first element is not a domain name"));
    }
    Ok(())
}

/// A canonical semantic version as module versions are: `vMAJOR.MINOR.PATCH`
/// with an optional `-prerelease` and only `+incompatible` as build.
pub fn check_version(version: &str) -> Result<()> {
    let bad = || {
        Error::invalid(format!(
            "`{}` is not a canonical module version",
            shown(version)
        ))
    };
    let rest = version.strip_prefix('v').ok_or_else(bad)?;
    let rest = rest.strip_suffix("+incompatible").unwrap_or(rest);
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let numeric = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3 || !parts.iter().all(|p| numeric(p)) || version.len() > 200 {
        return Err(bad());
    }
    if let Some(pre) = pre {
        let ident_ok = |s: &str| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (!s.bytes().all(|b| b.is_ascii_digit()) || numeric(s))
        };
        if !pre.split('.').all(ident_ok) {
            return Err(bad());
        }
    }
    Ok(())
}

fn shown(s: &str) -> String {
    crate::core::quote::shown(s)
}

fn module_version(path: &str, version: &str) -> Result<ModuleVersion> {
    check_path(path)?;
    check_version(version)?;
    Ok(ModuleVersion {
        path: path.to_string(),
        version: version.to_string(),
    })
}

/// The module versions of each input: a go.sum (every line), a go.mod
/// (its `require`s) or `module@version`.
pub fn parse_inputs(inputs: &[String]) -> Result<Vec<ModuleVersion>> {
    let mut out = BTreeSet::new();
    for input in inputs {
        let file = Path::new(input);
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let listed = match name.as_deref() {
            Some("go.sum") => parse_go_sum(&read_input(file)?)?,
            Some("go.mod") => parse_go_mod(&read_input(file)?)?,
            _ => {
                let (path, version) = input.rsplit_once('@').ok_or_else(|| {
                    Error::invalid(format!(
                        "`{}` is neither a go.sum, a go.mod nor module@version",
                        shown(input)
                    ))
                })?;
                vec![module_version(path, version)?]
            }
        };
        out.extend(listed);
    }
    Ok(out.into_iter().collect())
}

fn read_input(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).context(|| format!("reading {}", path.display()))?;
    if bytes.len() > 16 << 20 {
        return Err(Error::invalid(format!("{} is over 16 MiB", path.display())));
    }
    String::from_utf8(bytes).map_err(|_| Error::invalid(format!("{} is not UTF-8", path.display())))
}

/// `<module> <version>[/go.mod] h1:<hash>` lines.
fn parse_go_sum(text: &str) -> Result<Vec<ModuleVersion>> {
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [path, version, hash] = fields[..] else {
            return Err(Error::invalid(format!(
                "go.sum line {}: not `module version hash`",
                n + 1
            )));
        };
        if !hash.starts_with("h1:") {
            return Err(Error::invalid(format!(
                "go.sum line {}: no h1: hash",
                n + 1
            )));
        }
        let version = version.strip_suffix("/go.mod").unwrap_or(version);
        out.push(
            module_version(path, version)
                .map_err(|e| Error::invalid(format!("go.sum line {}: {}", n + 1, e.message())))?,
        );
    }
    Ok(out)
}

/// The `require` directives of a go.mod (single lines and blocks).
fn parse_go_mod(text: &str) -> Result<Vec<ModuleVersion>> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let spec = if in_block {
            if line == ")" {
                in_block = false;
                continue;
            }
            line
        } else if line == "require (" {
            in_block = true;
            continue;
        } else if let Some(rest) = line.strip_prefix("require ") {
            rest.trim()
        } else {
            continue;
        };
        let fields: Vec<&str> = spec.split_whitespace().collect();
        if let [path, version] = fields[..] {
            out.push(module_version(path.trim_matches('"'), version)?);
        } else if !spec.is_empty() {
            return Err(Error::invalid(format!(
                "go.mod: cannot read `require {}`",
                shown(spec)
            )));
        }
    }
    Ok(out)
}

/// `<escaped module>/@v/<escaped version>.<ext>`.
pub fn file_name(mv: &ModuleVersion, ext: &str) -> Result<String> {
    Ok(format!(
        "{}/@v/{}.{ext}",
        escape(&mv.path)?,
        escape(&mv.version)?
    ))
}

/// Mirrors `wanted` into `dir`.
pub fn mirror(app: &App, dir: &Path, wanted: &[ModuleVersion]) -> Result<Report> {
    fsutil::create_dir_all(dir)?;
    let _guard = publish::lock(dir, |m| app.ui.status(m))?;
    let ps = proxy::resolve_settings(app)?;
    let mut report = Report {
        dir: dir.display().to_string(),
        modules: Vec::new(),
        failed: Vec::new(),
        downloaded_bytes: 0,
    };
    let row = |mv: &ModuleVersion, action| ModuleRow {
        module: mv.path.clone(),
        version: mv.version.clone(),
        action,
    };
    let mut records = Vec::new();
    let mut pending = Vec::new();
    for mv in wanted {
        match intact(dir, &ps, mv) {
            Some(r) => {
                records.push(r);
                report.modules.push(row(mv, "kept"));
            }
            None => pending.push(mv),
        }
    }
    let head = snapshot::folder(dir, ps.verifier.name()).join("latest");
    // Nothing new: the network is not asked at all.
    if !pending.is_empty() || (!records.is_empty() && !head.exists()) {
        let net = Http::for_app(app)?;
        let base = proxy::sumdb_base(&net, &ps)?;
        let upstream = HttpFetch { net: &net, base };
        let store = DiskStore::new(&app.layout, ps.verifier.name());
        let client = Client::with_verifier(ps.verifier.clone(), &upstream, &store, &store);
        for mv in pending {
            app.ui
                .status(&format!("fetching {}@{}", mv.path, mv.version));
            match fetch_verified(&net, &ps, &client, dir, mv) {
                Ok((r, n)) => {
                    records.push(r);
                    report.downloaded_bytes += n;
                    report.modules.push(row(mv, "added"));
                }
                Err(e) => report.failed.push(Failure {
                    name: format!("{}@{}", mv.path, mv.version),
                    error: describe(&e),
                }),
            }
        }
        if !records.is_empty() {
            snapshot::publish(dir, &ps.verifier, &upstream, &records)?;
        }
    }
    write_lists(dir, &records)?;
    remember_key(app, dir, &ps)?;
    Ok(report)
}

fn describe(e: &Error) -> String {
    let mut s = e.message().to_string();
    for c in e.causes() {
        s.push_str(": ");
        s.push_str(&c);
    }
    s
}

/// The version is published and its zip and go.mod still hash to the
/// record the snapshot serves for it.
fn intact(dir: &Path, ps: &ProxySettings, mv: &ModuleVersion) -> Option<Record> {
    let folder = snapshot::folder(dir, ps.verifier.name());
    let lookup = folder.join(snapshot::lookup_path(&mv.path, &mv.version).ok()?);
    let record = snapshot::read_record(&lookup, &mv.path, &mv.version)?;
    let (zip_h1, mod_h1) = record_hashes(&record)?;
    let zip = dir.join(file_name(mv, "zip").ok()?);
    let go_mod = std::fs::read(dir.join(file_name(mv, "mod").ok()?)).ok()?;
    let info = dir.join(file_name(mv, "info").ok()?);
    let mut f = std::fs::File::open(zip).ok()?;
    let checked = zipcheck::check_zip(&mut f, &mv.path, &mv.version).ok()?;
    (checked.h1 == zip_h1 && dirhash::hash_go_mod(&go_mod) == mod_h1 && info.is_file())
        .then_some(record)
}

/// The zip and go.mod `h1:` of a record's text.
fn record_hashes(r: &Record) -> Option<(String, String)> {
    let zip = format!("{} {} ", r.module, r.version);
    let gomod = format!("{} {}/go.mod ", r.module, r.version);
    let find = |prefix: &str| {
        r.text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::to_string)
    };
    Some((find(&zip)?, find(&gomod)?))
}

/// Looks the version up, fetches its files through GOPROXY, checks them
/// against the record, then publishes them (zip last).
fn fetch_verified(
    net: &Http,
    ps: &ProxySettings,
    client: &Client,
    dir: &Path,
    mv: &ModuleVersion,
) -> Result<(Record, u64)> {
    let found = client.lookup(&mv.path, &mv.version)?;
    let folder = dir.join(format!("{}/@v", escape(&mv.path)?));
    fsutil::create_dir_all(&folder)?;
    let staged = folder.join(crate::mirror::partial_name(&format!(
        "{}.zip",
        escape(&mv.version)?
    )));
    let result = (|| {
        let go_mod = get(net, ps, &file_name(mv, "mod")?, MAX_SMALL, None)?;
        if dirhash::hash_go_mod(&go_mod) != found.mod_hash {
            return Err(mismatch(mv, "go.mod"));
        }
        let info = get(net, ps, &file_name(mv, "info")?, MAX_SMALL, None)?;
        let info = canonical_info(&info, &mv.version)?;
        get(net, ps, &file_name(mv, "zip")?, MAX_ZIP, Some(&staged))?;
        let mut f =
            std::fs::File::open(&staged).context(|| format!("opening {}", staged.display()))?;
        let checked = zipcheck::check_zip(&mut f, &mv.path, &mv.version).map_err(Error::from)?;
        if checked.h1 != found.zip_hash {
            return Err(mismatch(mv, "zip"));
        }
        fsutil::write_atomic_mode(&dir.join(file_name(mv, "mod")?), &go_mod, 0o644)?;
        fsutil::write_atomic_mode(&dir.join(file_name(mv, "info")?), &info, 0o644)?;
        let zip = dir.join(file_name(mv, "zip")?);
        std::fs::rename(&staged, &zip).context(|| format!("publishing {}", zip.display()))?;
        fsutil::fsync_dir(&folder)?;
        let size = std::fs::metadata(&zip).map_or(0, |m| m.len());
        Ok(size + go_mod.len() as u64 + info.len() as u64)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    let record = Record {
        module: mv.path.clone(),
        version: mv.version.clone(),
        id: found.record_id,
        text: found.lines.iter().map(|l| format!("{l}\n")).collect(),
    };
    Ok((record, result?))
}

fn mismatch(mv: &ModuleVersion, what: &str) -> Error {
    Error::new(
        ErrorKind::Checksum,
        format!(
            "{}@{}: the proxy's {what} does not match the checksum database's record; not published",
            mv.path, mv.version
        ),
    )
    .with_advice("the module proxy serves something the database never recorded: check GOPROXY and report it to its operator")
}

/// `{"Version":..., "Time":...}` with the version asked for.
fn canonical_info(bytes: &[u8], version: &str) -> Result<Vec<u8>> {
    #[derive(serde::Deserialize)]
    struct Info {
        #[serde(rename = "Version")]
        version: String,
        #[serde(rename = "Time", default)]
        time: Option<String>,
    }
    let info: Info = serde_json::from_slice(bytes).map_err(|e| {
        Error::new(ErrorKind::BadArchive, "the proxy's .info is not JSON").with_source(e)
    })?;
    if info.version != version {
        return Err(Error::new(
            ErrorKind::BadArchive,
            format!(
                "the proxy's .info names {}, not {version}",
                shown(&info.version)
            ),
        ));
    }
    let out = serde_json::json!({"Version": version, "Time": info.time});
    let mut v = serde_json::to_vec(&out)
        .map_err(|e| Error::new(ErrorKind::Io, "writing .info").with_source(e))?;
    v.push(b'\n');
    Ok(v)
}

/// GET `<proxy>/<rel>` through GOPROXY's list as cmd/go walks it: 404/410
/// asks the next entry, another failure the next only after `|`. Into
/// memory, or into `to` when given (then returns empty).
fn get(
    net: &Http,
    ps: &ProxySettings,
    rel: &str,
    limit: u64,
    to: Option<&Path>,
) -> Result<Vec<u8>> {
    let mut tried = Vec::new();
    for entry in &ps.proxies {
        let ProxyEntry::Url { url, any_error } = entry else {
            break;
        };
        let full = format!("{url}/{rel}");
        match http::get_stream_or_failure(
            &net.client,
            &full,
            &HeaderMap::new(),
            &RetryPolicy::from_env(),
        ) {
            Ok(resp) => return read_body(resp, limit, &full, to),
            Err(f) if f.is_not_found() || *any_error => tried.push(f.why),
            Err(f) => {
                tried.push(f.why);
                break;
            }
        }
    }
    Err(Error::new(
        ErrorKind::Network,
        format!(
            "no module proxy in GOPROXY served {rel}: {}",
            tried.join("; ")
        ),
    )
    .with_advice(format!(
        "GOPROXY={} ({}); only proxy URLs are asked (not `direct`)",
        ps.goproxy.0, ps.goproxy.1
    )))
}

fn read_body(
    resp: reqwest::blocking::Response,
    limit: u64,
    url: &str,
    to: Option<&Path>,
) -> Result<Vec<u8>> {
    let Some(path) = to else {
        return http::read_capped(resp, limit, url)
            .map_err(|why| Error::new(ErrorKind::Network, why));
    };
    let mut file = fsutil::create_file_mode(path, 0o644)?;
    let n = std::io::copy(&mut resp.take(limit + 1), &mut file)
        .context(|| format!("downloading {url}"))?;
    if n > limit {
        return Err(Error::new(
            ErrorKind::BadArchive,
            format!("{url} is over {} MiB", limit >> 20),
        ));
    }
    file.sync_all()
        .context(|| format!("writing {}", path.display()))?;
    Ok(Vec::new())
}

/// Each module's `@v/list`: what it held plus what was published now, in
/// semantic-version order.
fn write_lists(dir: &Path, records: &[Record]) -> Result<()> {
    let mut by_module: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.module != crate::trust::distpack::TOOLCHAIN_MODULE)
    {
        by_module
            .entry(&r.module)
            .or_default()
            .insert(r.version.clone());
    }
    for (module, versions) in by_module {
        let path: PathBuf = dir.join(format!("{}/@v/list", escape(module)?));
        let mut all: BTreeSet<String> = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter(|l| check_version(l).is_ok())
            .map(str::to_string)
            .collect();
        all.extend(versions);
        let mut sorted: Vec<String> = all.into_iter().collect();
        sorted.sort_by_key(|v| crate::lifecycle::semver::SemVer::parse(v));
        let text: String = sorted.iter().map(|v| format!("{v}\n")).collect();
        if !crate::mirror::artifacts::same_content(&path, text.as_bytes()) {
            fsutil::write_atomic_mode(&path, text.as_bytes(), 0o644)?;
        }
    }
    Ok(())
}

/// The manifest keeps the key the snapshot was proven with, for verify.
fn remember_key(app: &App, dir: &Path, ps: &ProxySettings) -> Result<()> {
    let mut m = manifest::read(dir, &|w| app.ui.warn(w));
    let key = ps.verifier.text().to_string();
    if m.sumdb_key.as_deref() != Some(&key) {
        m.sumdb_key = Some(key);
        manifest::write(dir, &m)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_paths_are_checked_as_cmd_go_does() {
        for ok in [
            "v1.2.3",
            "v0.0.0-20240101000000-abcdefabcdef",
            "v2.0.0+incompatible",
            "v1.0.0-rc.1",
        ] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1.2.3",
            "v1.2",
            "v01.2.3",
            "v1.2.3-",
            "v1.2.3+build",
            "v1.2.3/../x",
            "latest",
            "v1.2.3-01",
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        for ok in ["golang.org/x/text", "example.com/A/b_c~d"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "example.com/../etc",
            "example.com/.x",
            "x/y",
            "/example.com",
            "example.com//x",
            "ex ample.com",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn go_sum_and_go_mod_name_their_module_versions() {
        let sum = "example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0/go.mod h1:y=\n";
        let got = parse_go_sum(sum).unwrap_or_default();
        assert_eq!(got.len(), 2);
        assert!(parse_go_sum("example.com/a v1.0 h1:x=\n").is_err());
        let m = "module m\n\nrequire example.com/b v1.2.3\nrequire (\n\texample.com/c v0.1.0 // indirect\n)\n";
        let got = parse_go_mod(m).unwrap_or_default();
        let names: Vec<String> = got
            .iter()
            .map(|m| format!("{}@{}", m.path, m.version))
            .collect();
        assert_eq!(names, ["example.com/b@v1.2.3", "example.com/c@v0.1.0"]);
    }
}
