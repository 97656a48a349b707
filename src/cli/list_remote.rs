use super::answers::{ProxyToolchain, RemoteRelease};
use crate::app::App;
use crate::core::arch;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::installed;
use crate::core::version::VersionRequest;
use crate::net::index::Freshness;

/// List the releases available for download.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "By default: the stable releases of the two supported Go lines.\n\nExamples:\n  gov list-remote\n  gov list-remote 1.21\n  gov list-remote --all --json\n  gov ls-remote --refresh\n  gov list-remote --source proxy   # golang.org/toolchain versions on GOPROXY"
)]
pub struct Args {
    /// Only this family (1.22) or version.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::remote_lines))]
    filter: Option<String>,
    /// Include pre-releases and archived (unsupported) lines.
    #[arg(long)]
    all: bool,
    /// Architecture whose archives to list.
    #[arg(long, default_value_t = arch::host().to_string())]
    arch: String,
    /// Machine-readable output (schemas: docs/reference/json/list-remote.json,
    /// list-remote-proxy.json).
    #[arg(long)]
    json: bool,
    /// Revalidate the cached release index with the server now.
    #[arg(long)]
    refresh: bool,
    /// release: the release index; proxy: the module proxy's
    /// golang.org/toolchain versions (`@v/list`).
    #[arg(long, value_name = "SOURCE", value_parser = ["release", "proxy"], default_value = "release")]
    source: String,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let arch = arch::parse(&a.arch)?;
    let filter = a.filter.as_deref().map(VersionRequest::parse).transpose()?;
    if a.source == "proxy" {
        return run_proxy(app, &a, &arch, filter.as_ref());
    }
    let freshness = if a.refresh {
        Freshness::Revalidate
    } else {
        Freshness::Normal
    };
    let idx = app.index(freshness)?;
    let supported = idx.supported_families();
    let installed: Vec<String> = installed::list_all(&app.layers())?
        .into_iter()
        .map(|i| i.version.to_string())
        .collect();

    let mut hidden = 0usize;
    let mut rows = Vec::new();
    for (v, r) in idx.releases() {
        let Some(file) = r.files.iter().find(|f| f.arch == arch) else {
            continue;
        };
        let shown = match &filter {
            Some(VersionRequest::Latest) => Some(v) == idx.latest(),
            Some(f) => f.matches(v) && (a.all || r.stable || matches!(f, VersionRequest::Exact(_))),
            None => a.all || (r.stable && supported.contains(&v.family())),
        };
        if !shown {
            hidden += 1;
            continue;
        }
        rows.push((v, r, file));
    }

    if a.json {
        let items: Vec<RemoteRelease> = rows
            .iter()
            .map(|(v, r, f)| RemoteRelease {
                version: v.as_str().to_string(),
                stable: r.stable,
                installed: installed.iter().any(|i| i == v.as_str()),
                filename: f.filename.clone(),
                sha256: f.sha256.clone(),
                size: f.size,
            })
            .collect();
        return super::print_json(&items);
    }
    let mut out = String::new();
    for (v, r, _) in &rows {
        let mut notes = Vec::new();
        if installed.iter().any(|i| i == v.as_str()) {
            notes.push("installed");
        }
        if !r.stable {
            notes.push("unstable");
        }
        if notes.is_empty() {
            out.push_str(&format!("{v}\n"));
        } else {
            out.push_str(&format!("{v:<12} {}\n", notes.join(", ")));
        }
    }
    print!("{out}");
    if rows.is_empty() {
        return Err(no_match(&idx, filter.as_ref(), &arch, a.all));
    }
    if hidden > 0 && !a.all && filter.is_none() {
        let example = newest_hidden_line(&idx, &supported, &arch)
            .map(|l| format!(", `gov list-remote {l}` that line"))
            .unwrap_or_default();
        app.ui.status(&format!(
            "({hidden} older or pre-release versions hidden; --all lists them{example})"
        ));
    }
    Ok(())
}

/// The module proxy's toolchains for `arch`, newest first in Go's version
/// order, with the same filters as the release index.
fn run_proxy(app: &App, a: &Args, arch: &str, filter: Option<&VersionRequest>) -> Result<()> {
    let mut versions = crate::install::proxy::list_versions(app, arch)?;
    versions.reverse();
    let installed: Vec<String> = installed::list_all(&app.layers())?
        .into_iter()
        .map(|i| i.version.to_string())
        .collect();
    let mut supported: Vec<(String, String)> = Vec::new();
    for v in versions.iter().filter(|v| !v.is_prerelease()) {
        if supported.len() < 2 && !supported.contains(&v.family()) {
            supported.push(v.family());
        }
    }
    let latest = versions.iter().find(|v| !v.is_prerelease());
    let mut hidden = 0usize;
    let rows: Vec<_> = versions
        .iter()
        .filter(|v| {
            let stable = !v.is_prerelease();
            let shown = match filter {
                Some(VersionRequest::Latest) => Some(*v) == latest,
                Some(f) => {
                    f.matches(v) && (a.all || stable || matches!(f, VersionRequest::Exact(_)))
                }
                None => a.all || (stable && supported.contains(&v.family())),
            };
            if !shown {
                hidden += 1;
            }
            shown
        })
        .collect();
    if a.json {
        let items: Vec<ProxyToolchain> = rows
            .iter()
            .map(|v| ProxyToolchain {
                version: v.as_str().to_string(),
                stable: !v.is_prerelease(),
                installed: installed.iter().any(|i| i == v.as_str()),
                module: crate::install::proxy::TOOLCHAIN_MODULE.to_string(),
                module_version: crate::install::proxy::module_version(v, arch),
            })
            .collect();
        return super::print_json(&items);
    }
    let mut out = String::new();
    for v in &rows {
        let mut notes = Vec::new();
        if installed.iter().any(|i| i == v.as_str()) {
            notes.push("installed");
        }
        if v.is_prerelease() {
            notes.push("unstable");
        }
        if notes.is_empty() {
            out.push_str(&format!("{v}\n"));
        } else {
            out.push_str(&format!("{v:<12} {}\n", notes.join(", ")));
        }
    }
    print!("{out}");
    if rows.is_empty() {
        app.ui.status("no matching toolchains on the module proxy");
    }
    if hidden > 0 && !a.all && filter.is_none() {
        app.ui.status(&format!(
            "({hidden} older or pre-release versions hidden; --all lists them)"
        ));
    }
    Ok(())
}

/// The newest release line that the default listing hides (an archived
/// line with stable releases for this architecture).
fn newest_hidden_line(
    idx: &crate::net::index::Index,
    supported: &[(String, String)],
    arch: &str,
) -> Option<String> {
    idx.releases()
        .filter(|(v, r)| {
            r.stable && !supported.contains(&v.family()) && r.files.iter().any(|f| f.arch == arch)
        })
        .map(|(v, _)| v)
        .max()
        .map(|v| {
            let (major, minor) = v.family();
            format!("{major}.{minor}")
        })
}

/// Nothing matched: exit 1, pointing at `--all` when pre-releases would.
fn no_match(
    idx: &crate::net::index::Index,
    filter: Option<&VersionRequest>,
    arch: &str,
    all: bool,
) -> Error {
    let what = filter.map_or("no releases are listed".to_string(), |f| {
        format!("no release matches {f}")
    });
    let unstable = filter.map_or(0, |f| {
        idx.releases()
            .filter(|(v, r)| !r.stable && f.matches(v) && r.files.iter().any(|x| x.arch == arch))
            .count()
    });
    let advice = if unstable > 0 && !all {
        format!(
            "{unstable} pre-release(s) match: `gov list-remote --all{}` lists them",
            filter.map(|f| format!(" {f}")).unwrap_or_default()
        )
    } else {
        "`gov list-remote --all` lists every release; `--refresh` revalidates the index".to_string()
    };
    Error::new(ErrorKind::NotFound, format!("{what} for linux/{arch}")).with_advice(advice)
}
