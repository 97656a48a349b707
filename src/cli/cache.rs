//! `gov cache clean`, `gov cache shared`.

use crate::app::App;
use crate::core::error::Result;
use crate::install::cache;

/// Manage gov's caches (downloaded archives, release index copies).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov cache clean             # drop cached archives and stale index copies\n  gov cache clean --dry-run   # only say what it would free\n  gov cache clean --json"
)]
pub struct Args {
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CacheCommand {
    /// Remove cached archives and index copies of other index URLs.
    #[command(
        after_help = "Installed versions are not touched; the current release index copy is kept.\n\nExamples:\n  gov cache clean\n  gov cache clean --dry-run"
    )]
    Clean {
        /// Count, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Machine-readable result (schema: docs/reference/json/cache-clean.json).
        #[arg(long)]
        json: bool,
    },
    /// Set up a folder every member of a group writes (a shared GOCACHE or
    /// GOMODCACHE on a build server): group-owned, group-writable, setgid.
    #[command(
        after_help = "Existing contents are regrouped and made group-writable; links are not followed.\nMembers need umask 002 so what they create stays group-writable.\n\nExamples:\n  gov cache shared /var/cache/go-build --group builders\n  gov proxy set GOCACHE=/var/cache/go-build"
    )]
    Shared {
        /// The folder (absolute; created when missing).
        dir: std::path::PathBuf,
        /// The group whose members share it (name or number).
        #[arg(long)]
        group: String,
    },
}

pub fn run(app: &App, a: Args) -> Result<()> {
    match a.command {
        CacheCommand::Shared { dir, group } => {
            let s = crate::core::shared_dir::share(&dir, &group)?;
            app.ui.status(&format!(
                "{} belongs to group {} (gid {}), group-writable, its folders setgid ({} entr{} changed)",
                s.dir.display(),
                s.group,
                s.gid,
                s.changed,
                if s.changed == 1 { "y" } else { "ies" }
            ));
            app.ui.status(&format!(
                "next: members build with umask 002 (systemd UMask=0002, `umask 002` in CI scripts); `gov proxy set GOCACHE={}` (for a shared GOMODCACHE also GOFLAGS=-modcacherw: Go makes module files read-only)",
                s.dir.display()
            ));
            Ok(())
        }
        CacheCommand::Clean { dry_run, json } => {
            let c = cache::clean(&app.layout, dry_run)?;
            if json {
                return super::print_json(&super::answers::CacheClean {
                    archives: c.archives,
                    index_copies: c.index_copies,
                    bytes: c.bytes,
                    dry_run,
                });
            }
            let verb = if dry_run { "Would free" } else { "Freed" };
            app.ui.status(&format!(
                "{verb} {} ({} cached archive{}, {} stale index cop{})",
                crate::core::report::human_bytes(c.bytes),
                c.archives,
                if c.archives == 1 { "" } else { "s" },
                c.index_copies,
                if c.index_copies == 1 { "y" } else { "ies" },
            ));
            Ok(())
        }
    }
}
