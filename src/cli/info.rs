use std::collections::BTreeMap;

use super::answers::{EffectiveSetting, EntryPoint, Info, LayerInfo, ProxyInfo, VersionTree};
use crate::app::App;
use crate::core::error::Result;
use crate::core::installed;
use crate::core::layout::Layout;
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
    /// Answer with one JSON document (schema: docs/reference/json/info.json).
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
    let layer_doc: Vec<LayerInfo> = layers
        .search()
        .map(|(layer, l)| LayerInfo {
            layer: layer.name().to_string(),
            home: l.home().to_path_buf(),
            bin_dir: l.bin_dir().to_path_buf(),
            installed: versions(l),
            global: select::global(l).ok().flatten().map(|s| s.raw),
        })
        .collect();
    let effective = proxy::effective(&layers, select::current_goroot(&layers).as_deref())
        .into_iter()
        .map(|s| EffectiveSetting {
            key: s.key.to_string(),
            value: s.value,
            source: s.source,
            origin: s.origin.to_string(),
        })
        .collect();
    let doc = Info {
        gov_version: env!("CARGO_PKG_VERSION").to_string(),
        home: layout.home().to_path_buf(),
        bin_dir: layout.bin_dir().to_path_buf(),
        installed: versions(layout),
        global_source: global.as_ref().map(|s| s.source.to_string()),
        global: global.map(|s| s.raw),
        layers: layer_doc,
        entry_points: entry_points(layout),
        proxy: ProxyInfo {
            profile: proxy::read_profile(layout),
            effective,
        },
        config: super::config::document(app),
    };
    if a.json {
        return super::machine::of(app).answer(doc);
    }
    super::print_json(&doc)
}

/// `go` and `gofmt` in GOV_BIN_DIR, and the `go<version>` of each version
/// installed in the layer (what cmd/go's PATH lookup finds): this gov's,
/// another gov's, someone else's, or missing.
fn entry_points(layout: &Layout) -> BTreeMap<String, EntryPoint> {
    let gov = entrypoints::gov_binary().ok();
    let versioned: Vec<String> = installed::list(layout)
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.version.go_name())
        .collect();
    TOOLS
        .iter()
        .map(|t| t.to_string())
        .chain(versioned)
        .map(|tool| {
            let path = layout.bin_dir().join(&tool);
            let state = match entrypoints::inspect(&path) {
                entrypoints::Existing::Missing => "missing",
                entrypoints::Existing::Ours(t) if Some(&t) == gov.as_ref() => "gov",
                entrypoints::Existing::Ours(_) => "other-gov",
                entrypoints::Existing::Foreign(_) => "foreign",
            };
            let entry = EntryPoint {
                path,
                state: state.to_string(),
            };
            (tool, entry)
        })
        .collect()
}

/// The versions installed in one layer, newest first (an unreadable
/// directory reads as none: facts never fail).
fn versions(layout: &Layout) -> Vec<VersionTree> {
    installed::list(layout)
        .unwrap_or_default()
        .into_iter()
        .map(|i| {
            let proven = i.proofs();
            VersionTree {
                version: i.version.as_str().to_string(),
                goroot: i.goroot,
                proven_at: proven.iter().map(|p| p.at).max(),
                proofs: proven.into_iter().map(|p| p.proof).collect(),
            }
        })
        .collect()
}
