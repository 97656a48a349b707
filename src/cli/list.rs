use serde_json::json;

use crate::app::App;
use crate::core::error::Result;
use crate::core::installed;
use crate::entry::select;

/// List installed versions.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  gov list --json")]
pub struct Args {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let list = installed::list(&app.layout)?;
    // The selection for this directory; a broken one must not hide the list.
    let selection = std::env::current_dir()
        .ok()
        .and_then(|cwd| select::select(&app.layout, &cwd).ok().flatten());
    let selected = selection
        .as_ref()
        .and_then(|s| select::resolve_installed(&app.layout, s).ok())
        .map(|i| i.version);
    if a.json {
        let items: Vec<_> = list
            .iter()
            .map(|i| {
                let is_sel = selected.as_ref() == Some(&i.version);
                json!({
                    "version": i.version.as_str(),
                    "goroot": i.goroot,
                    "selected": is_sel,
                    "selected_by": selection.as_ref().filter(|_| is_sel).map(|s| s.source.to_string()),
                })
            })
            .collect();
        return super::print_json(&json!(items));
    }
    if list.is_empty() {
        app.ui
            .status("no Go versions installed; try `gov install latest`");
        return Ok(());
    }
    for i in &list {
        match (&selected, &selection) {
            (Some(v), Some(sel)) if *v == i.version => println!("* {} ({})", i.version, sel.source),
            _ => println!("  {}", i.version),
        }
    }
    Ok(())
}
