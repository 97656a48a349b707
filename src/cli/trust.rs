use super::answers::TrustList;
use crate::app::App;
use crate::core::error::Result;
use crate::settings::trust_store;

/// Company CAs every `go` gov runs (and gov itself) trusts, on top of the
/// system roots.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each layer keeps its added CAs and a bundle of the system roots plus\n\
those CAs ($GOV_HOME/trust/bundle.pem); its profile's SSL_CERT_FILE names\n\
the bundle, so entry points and shims hand it to every `go`. Root's\n\
changes (the system layer) reach every account.\n\n\
Examples:\n  sudo gov trust add /usr/local/share/ca-certificates/corp-root.pem\n  gov trust list\n  gov trust list --json\n  gov trust remove 3f5a...e1   # a fingerprint, or the PEM file again"
)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Add the CA certificate(s) of a PEM file.
    Add {
        #[arg(value_name = "CA.PEM")]
        file: std::path::PathBuf,
    },
    /// Remove CAs, by SHA-256 fingerprint or by the PEM file that added them.
    Remove {
        #[arg(value_name = "CA.PEM|FINGERPRINT")]
        what: String,
    },
    /// The CAs this layer added, and the bundle `go` uses.
    List {
        /// Machine-readable output (schema: docs/reference/json/trust-list.json).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let layers = app.layers();
    let refresh = || crate::lifecycle::layers::refresh_shims(&app.layout);
    match a.cmd {
        Cmd::Add { file } => {
            let bytes = trust_store::read_file(&file)?;
            let added = trust_store::add(&app.layout, &layers, (&bytes, &file), &refresh)?;
            if added.is_empty() {
                app.ui
                    .status(&format!("{} is already trusted", file.display()));
            }
            for ca in &added {
                app.ui.status(&format!(
                    "trusting {} (sha256 {})",
                    ca.subject, ca.fingerprint
                ));
            }
            say_bundle(app);
            Ok(())
        }
        Cmd::Remove { what } => {
            let gone = trust_store::remove(&app.layout, &layers, &what, &refresh)?;
            for ca in &gone {
                app.ui.status(&format!(
                    "no longer trusting {} (sha256 {})",
                    ca.subject, ca.fingerprint
                ));
            }
            say_bundle(app);
            Ok(())
        }
        Cmd::List { json } => {
            trust_store::refresh(&app.layout, &layers, &refresh)?;
            let cas = trust_store::list(&app.layout)?;
            let bundle = trust_store::bundle_path(&app.layout);
            let doc = TrustList {
                bundle: bundle.is_file().then_some(bundle),
                system_roots: trust_store::system_bundle().map(std::path::Path::to_path_buf),
                cas,
            };
            if json {
                return super::print_json(&doc);
            }
            for ca in &doc.cas {
                super::print_text(&format!(
                    "{}  {}  (until {})\n",
                    ca.fingerprint, ca.subject, ca.not_after
                ));
            }
            if doc.cas.is_empty() {
                app.ui.status("no CA added to this layer");
            }
            Ok(())
        }
    }
}

/// Where `go` now finds its roots.
fn say_bundle(app: &App) {
    let bundle = trust_store::bundle_path(&app.layout);
    if bundle.is_file() {
        app.ui.status(&format!(
            "every go gov runs uses {} (the system roots plus the added CAs) as SSL_CERT_FILE",
            bundle.display()
        ));
    } else {
        app.ui.status("no CA left: go uses the system roots alone");
    }
    if app.env.is_set(trust_store::KEY) {
        app.ui.warn("SSL_CERT_FILE is set in this shell's environment, which takes precedence over gov's bundle");
    }
}
