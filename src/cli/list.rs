use serde_json::json;

use crate::app::App;
use crate::error::Result;
use crate::installed;

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
    if a.json {
        let items: Vec<_> = list
            .iter()
            .map(|i| json!({"version": i.version.as_str(), "goroot": i.goroot}))
            .collect();
        return super::print_json(&json!(items));
    }
    if list.is_empty() {
        app.ui
            .status("no Go versions installed; try `gov install latest`");
        return Ok(());
    }
    for i in &list {
        println!("{}", i.version);
    }
    Ok(())
}
