use crate::app::App;
use crate::core::error::{Error, ErrorKind, IoContext, Result};
use crate::core::version::VersionRequest;
use crate::entry::select;

/// Print the selected version and what selected it.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  $ gov current\n  1.21.13 (set by /srv/app/.go-version)\n  $ gov current --bare      # the version alone, for scripts\n  1.21.13"
)]
pub struct Args {
    /// Print only the version.
    #[arg(long)]
    bare: bool,
}

/// Print the real path of a tool of the selected version.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gov which\n  gov which gofmt\n  gov which vet")]
pub struct WhichArgs {
    /// go, gofmt, or a tool under pkg/tool (vet, compile, cover...).
    #[arg(
        default_value = "go",
        add = clap_complete::ArgValueCandidates::new(crate::cli::complete::selected_tools)
    )]
    tool: String,
}

fn selected(app: &App) -> Result<(select::Selection, select::Resolved)> {
    let cwd = std::env::current_dir().context(|| "reading the working directory".to_string())?;
    let layers = app.layers();
    let sel = select::select(&layers, &cwd)?.ok_or_else(select::nothing_selected)?;
    let found = select::resolve(&layers, &sel)?;
    Ok((sel, found))
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let (sel, found) = selected(app)?;
    let version = &found.installed.version;
    if a.bare {
        println!("{version}");
        return Ok(());
    }
    match (&found.raised, &sel.request) {
        (Some(min), _) => println!(
            "{version} (go {} in {} needs it; the selected {} is older, {})",
            min.version,
            min.file.display(),
            sel.raw,
            sel.source
        ),
        (None, VersionRequest::Exact(_)) => println!("{version} ({})", sel.source),
        (None, _) => println!("{version} ({}, {})", sel.raw, sel.source),
    }
    Ok(())
}

pub fn which(app: &App, a: WhichArgs) -> Result<()> {
    let (_, found) = selected(app)?;
    let found = found.installed;
    if a.tool.contains('/') {
        return Err(Error::invalid(format!("`{}` is not a tool name", a.tool)));
    }
    let mut candidates = vec![found.goroot.join("bin").join(&a.tool)];
    if let Ok(rd) = std::fs::read_dir(found.goroot.join("pkg/tool")) {
        for d in rd.flatten() {
            candidates.push(d.path().join(&a.tool));
        }
    }
    match candidates.into_iter().find(|p| p.is_file()) {
        Some(p) => {
            println!("{}", p.display());
            Ok(())
        }
        None => Err(Error::new(
            ErrorKind::NotFound,
            format!("Go {} has no tool named `{}`", found.version, a.tool),
        )
        .with_advice(
            "tools live in $GOROOT/bin and $GOROOT/pkg/tool/<os_arch>; `go tool` lists them",
        )),
    }
}
