//! `gov uninstall`: an installed version disappears with one rename under
//! its lock (and the state lock, so no racing `gov global` selects it),
//! then its files are deleted from tmp/.

use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::fsutil;
use crate::core::version::{GoVersion, VersionRequest};
use crate::core::{installed, lock};
use crate::entry::entrypoints;

/// Removes an installed version: it disappears with one rename, then its
/// files are deleted from tmp/.
pub fn uninstall(app: &App, req: &VersionRequest) -> Result<GoVersion> {
    refuse_ambiguous(&app.layout, req)?;
    // The global check and the removal happen under the state lock, so a
    // racing `gov global` cannot select the version being removed.
    let _state = lock::acquire(&app.layout.state_lock(), "to change the selection", |m| {
        app.ui.status(m)
    })?;
    let version = check_uninstall(app, req)?;
    remove(app, &version)?;
    Ok(version)
}

/// What `gov uninstall --all` removes: every installed version but the
/// global one.
pub fn all_but_global(app: &App) -> Result<Vec<GoVersion>> {
    let global = crate::entry::select::global(&app.layout)?;
    Ok(installed::list(&app.layout)?
        .into_iter()
        .filter(|i| {
            !global
                .as_ref()
                .is_some_and(|g| g.request.matches(&i.version))
        })
        .map(|i| i.version)
        .collect())
}

/// One rule: removal names an exact version. `latest` and `1.22` both mean
/// "whatever is newest", which is never what a removal should guess.
fn refuse_ambiguous(layout: &crate::core::layout::Layout, req: &VersionRequest) -> Result<()> {
    if matches!(req, VersionRequest::Exact(_)) {
        return Ok(());
    }
    let hint = installed::find(layout, req)?
        .map(|f| format!("did you mean `gov uninstall {}`?", f.version))
        .unwrap_or_else(|| "see `gov list` for the installed versions".into());
    Err(Error::invalid(format!(
        "`{req}` is ambiguous for uninstall: name the exact version"
    ))
    .with_advice(hint))
}

/// The exact installed version an uninstall of `req` would remove, or the
/// reason it would be refused (ambiguous, not installed, the global one).
/// Reads only, takes no lock: this is also the dry run.
pub fn check_uninstall(app: &App, req: &VersionRequest) -> Result<GoVersion> {
    let layout = &app.layout;
    refuse_ambiguous(layout, req)?;
    let Some(found) = installed::find(layout, req)? else {
        let have: Vec<String> = installed::list(layout)?
            .iter()
            .map(|i| i.version.to_string())
            .collect();
        if !layout.is_system()
            && let Some(sys) = installed::find(&layout.system_layer(), req)?
        {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "Go {} is installed in the system layer, not in yours",
                    sys.version
                ),
            )
            .with_advice(format!(
                "the system layer belongs to root: `sudo gov uninstall --system {}`",
                sys.version
            )));
        }
        return Err(
            Error::new(ErrorKind::NotFound, format!("Go {req} is not installed")).with_advice(
                if have.is_empty() {
                    "no versions are installed".to_string()
                } else {
                    format!("installed: {}", have.join(", "))
                },
            ),
        );
    };
    if let Some(global) = crate::entry::select::global(layout)?
        && global.request.matches(&found.version)
    {
        let others: Vec<String> = installed::list(layout)?
            .into_iter()
            .filter(|i| i.version != found.version)
            .map(|i| i.version.to_string())
            .collect();
        return Err(Error::new(
                ErrorKind::State,
                format!("Go {} is the global version; removing it would break `go`", found.version),
            )
            .with_advice(match others.first() {
                Some(o) => format!("switch first, e.g. `gov global {o}`, then uninstall"),
                None => "install and select another version first (`gov install latest && gov global latest`)".into(),
            }));
    }
    Ok(found.version)
}

fn remove(app: &App, found: &GoVersion) -> Result<()> {
    let layout = &app.layout;
    let version = found.as_str().to_string();
    let _guard = crate::install::transaction::lock_version(app, &version)?;
    let goroot = layout.version_dir(&version);
    for (pid, what) in installed::processes_using(&goroot) {
        app.ui.warn(&format!(
            "Go {version} is in use by process {pid} ({what}); it keeps running from the removed files until it exits"
        ));
    }
    fsutil::create_dir_all(&layout.tmp_dir())?;
    let trash = layout
        .tmp_dir()
        .join(installed::tmp_name(&version, "trash"));
    let shim_trash = layout
        .tmp_dir()
        .join(installed::tmp_name(&version, "shims"));
    // Shims go first, then the tree, each in one rename into tmp/: a kill at
    // any point leaves either an installed version (whose shims the next
    // install or `gov doctor` restores) or nothing, never shims without a
    // tree; what is in tmp/ is removed by the next run. The entry point
    // goes before both, so cmd/go never finds one without its tree.
    entrypoints::remove_version(layout, found)?;
    let shims = layout.shim_dir(&version);
    if shims.exists() {
        std::fs::rename(&shims, &shim_trash).context(|| format!("removing {}", shims.display()))?;
        fsutil::fsync_dir(&layout.shims_dir())?;
    }
    installed::forget_proofs(layout, &version)?;
    std::fs::rename(&goroot, &trash).context(|| format!("removing {}", goroot.display()))?;
    fsutil::fsync_dir(&layout.versions_dir())?;
    fsutil::remove_tree(&shim_trash)?;
    fsutil::remove_tree(&trash)
}
