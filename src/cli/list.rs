use super::answers::Installed;
use crate::app::App;
use crate::core::error::Result;
use crate::core::installed;
use crate::entry::select;

/// List installed versions.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Both layers are listed: this account's own versions first, then the system\n\
layer's (marked [system]); `go` looks in the same order.\n\nExamples:\n  gov list\n  gov list --json"
)]
pub struct Args {
    /// Machine-readable output (schema: docs/reference/json/list.json).
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let layers = app.layers();
    let list = installed::list_all(&layers)?;
    // The selection for this directory; a broken one must not hide the list.
    let selection = std::env::current_dir()
        .ok()
        .and_then(|cwd| select::select(&layers, &cwd).ok().flatten());
    let selected = selection
        .as_ref()
        .and_then(|s| select::resolve_installed(&layers, s).ok())
        .map(|i| i.goroot);
    let two_layers = layers.user().is_some();
    if a.json {
        let items: Vec<Installed> = list
            .iter()
            .map(|i| {
                let is_sel = selected.as_ref() == Some(&i.goroot);
                Installed {
                    version: i.version.as_str().to_string(),
                    goroot: i.goroot.clone(),
                    selected: is_sel,
                    selected_by: selection
                        .as_ref()
                        .filter(|_| is_sel)
                        .map(|s| s.source.to_string()),
                    layer: i.layer.name().to_string(),
                    proofs: i.proof_names(),
                }
            })
            .collect();
        return super::print_json(&items);
    }
    if list.is_empty() {
        app.ui
            .status("no Go versions installed; try `gov install latest`");
        return Ok(());
    }
    for i in &list {
        let mark = if two_layers && i.layer == crate::core::layers::Layer::System {
            " [system]"
        } else {
            ""
        };
        let proofs = i.proof_names();
        let proven = if proofs.is_empty() {
            String::new()
        } else {
            format!("  [{}]", proofs.join(" "))
        };
        match &selection {
            Some(sel) if selected.as_ref() == Some(&i.goroot) => {
                println!("* {}{mark} ({}){proven}", i.version, sel.source)
            }
            _ => println!("  {}{mark}{proven}", i.version),
        }
    }
    Ok(())
}
