use crate::app::App;
use crate::core::error::{Error, Result};
use crate::install::self_update;

/// Replace this gov with the published release (verified, atomic).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Downloads gov-<arch>-unknown-linux-gnu.tar.gz, its .sha256 and its .sig from the \
release base, checks the digest and the signature (by one of the release keys built into this \
gov), and renames the new binary over this one; on any failure this gov is kept.\n\n\
A release older than this gov is refused unless --allow-downgrade.\n\n\
Examples:\n  gov self-update\n  GOV_RELEASE_BASE=https://mirror.example/gov gov self-update\n  gov self-update --allow-downgrade   # go back to an older release on purpose"
)]
pub struct Args {
    /// Where the release artifacts live (https; http only to loopback).
    #[arg(long, value_name = "URL", env = "GOV_RELEASE_BASE")]
    base: Option<String>,
    /// Install the published release even when it is older than this gov.
    #[arg(long)]
    allow_downgrade: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let base = a
        .base
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        // GOV_RELEASE_BASE from gov's config files too (a mirror's
        // install.sh writes it there).
        .unwrap_or_else(self_update::release_base_from_env);
    let exe = std::env::current_exe()
        .map_err(|e| Error::io("cannot find the running gov executable", e))?;
    app.ui.status(&format!(
        "checking {}/{}",
        base.trim_end_matches('/'),
        self_update::artifact_name()
    ));
    let out = self_update::update(&|| app.client(), &base, &exe, a.allow_downgrade)?;
    if out.replaced {
        app.ui.status(&format!(
            "updated {}: gov {} -> {} (sha256 {}, signed by {})",
            out.path.display(),
            env!("CARGO_PKG_VERSION"),
            out.new_version,
            out.sha256,
            out.signed_by
        ));
    } else {
        app.ui.status(&format!(
            "{} is already the published release ({}, sha256 {}, signed by {})",
            out.path.display(),
            out.new_version,
            out.sha256,
            out.signed_by
        ));
    }
    Ok(())
}
