use serde_json::json;

use crate::app::App;
use crate::core::error::Result;
use crate::core::installed;
use crate::entry::{entrypoints, select, shim::TOOLS};
use crate::settings::proxy;

/// Facts for inventories: versions, global, entry points, settings.
///
/// One document for orchestrators and reports, read from local state only.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Reads only local state: no network.\n\nExamples:\n  gov info --json\n  gov info --json | jq -r '.installed[].version'"
)]
pub struct Args {
    /// Answer with one JSON document (schema: see README).
    #[arg(long)]
    pub(crate) json: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let layout = &app.layout;
    let layers = app.layers();
    // A corrupt global file is a fact to report, not a reason to fail.
    let global = match select::layered_global(&layers) {
        Ok(g) => g,
        Err(e) => {
            app.ui.warn(&e.to_string());
            None
        }
    };
    let layer_doc: Vec<_> = layers
        .search()
        .map(|(layer, l)| {
            let own_global = select::global(l).ok().flatten().map(|s| s.raw);
            json!({
                "layer": layer.name(),
                "home": l.home(),
                "bin_dir": l.bin_dir(),
                "installed": versions(l),
                "global": own_global,
            })
        })
        .collect();
    let gov = entrypoints::gov_binary().ok();
    let entry_points: serde_json::Map<String, serde_json::Value> = TOOLS
        .iter()
        .map(|tool| {
            let path = layout.bin_dir().join(tool);
            let state = match entrypoints::inspect(&path) {
                entrypoints::Existing::Missing => "missing",
                entrypoints::Existing::Ours(t) if Some(&t) == gov.as_ref() => "gov",
                entrypoints::Existing::Ours(_) => "other-gov",
                entrypoints::Existing::Foreign(_) => "foreign",
            };
            (tool.to_string(), json!({"path": path, "state": state}))
        })
        .collect();
    let effective: Vec<_> = proxy::effective(&layers, select::current_goroot(&layers).as_deref())
        .into_iter()
        .map(|s| json!({"key": s.key, "value": s.value, "source": s.source, "origin": s.origin}))
        .collect();
    let doc = json!({
        "gov_version": env!("CARGO_PKG_VERSION"),
        "home": layout.home(),
        "bin_dir": layout.bin_dir(),
        "installed": versions(layout),
        "global": global.as_ref().map(|s| s.raw.clone()),
        "global_source": global.as_ref().map(|s| s.source.to_string()),
        "layers": layer_doc,
        "entry_points": entry_points,
        "proxy": {
            "profile": proxy::read_profile(layout),
            "effective": effective,
        },
        "config": super::config::document(app),
    });
    if a.json {
        return super::machine::answer(doc);
    }
    super::print_json(&doc)
}

/// The versions installed in one layer, newest first (an unreadable
/// directory reads as none: facts never fail).
fn versions(layout: &crate::core::layout::Layout) -> Vec<serde_json::Value> {
    installed::list(layout)
        .unwrap_or_default()
        .iter()
        .map(|i| json!({"version": i.version.as_str(), "goroot": i.goroot}))
        .collect()
}
