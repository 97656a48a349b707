use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::installed;
use crate::core::lock;
use crate::core::version::VersionRequest;
use crate::entry::entrypoints;
use crate::entry::select;

/// Show or set the default Go version.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov global 1.22.5\n  gov global 1.22     # the newest installed 1.22.x\n  gov global          # print it"
)]
pub struct Args {
    /// An installed version; omit to print the current global version.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: Option<String>,
    /// Move a foreign go/gofmt in GOV_BIN_DIR aside instead of stopping.
    #[arg(long)]
    force: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let layout = &app.layout;
    let Some(v) = a.version else {
        return match select::global(layout)? {
            Some(sel) => {
                println!("{}", sel.raw);
                Ok(())
            }
            None => Err(
                Error::new(ErrorKind::NotFound, "no global Go version is set")
                    .with_advice("set one with `gov global <version>`"),
            ),
        };
    };
    let req = VersionRequest::parse(&v)?;
    let Some(found) = installed::find(layout, &req)? else {
        return Err(
            Error::new(ErrorKind::NotFound, format!("Go {req} is not installed"))
                .with_advice(format!("install it first: `gov install {req}`")),
        );
    };
    let _guard = lock::acquire(&layout.state_lock(), "to change the selection", |m| {
        app.ui.status(m)
    })?;
    for (from, to) in entrypoints::ensure(layout, a.force)? {
        app.ui.warn(&format!(
            "moved {} aside to {}",
            from.display(),
            to.display()
        ));
    }
    select::set_global(layout, &found.version)?;
    app.ui
        .status(&format!("Global Go version: {}", found.version));
    if !entrypoints::on_path(layout.bin_dir()) {
        app.ui.warn(&format!(
            "{} is not on PATH; add it (e.g. `eval \"$(gov init bash)\"` in ~/.bashrc)",
            layout.bin_dir().display()
        ));
    }
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(Some(sel)) = select::select(layout, &cwd)
        && !matches!(sel.source, select::Source::Global(_))
    {
        app.ui
            .status(&format!("note: here Go {} is {}", sel.raw, sel.source));
    }
    Ok(())
}
