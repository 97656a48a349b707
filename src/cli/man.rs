use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;

use crate::core::error::{Error, ErrorKind, Result};

/// Print gov's man page (roff), or write every page into a directory.
#[derive(Debug, clap::Args)]
#[command(after_help = "Used by scripts/dist:\n  gov man > gov.1\n  gov man --dir man/man1")]
pub struct Args {
    /// Write gov.1 and one gov-<command>.1 per command into DIR.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let failed = |e| Error::new(ErrorKind::Io, "cannot write the man pages").with_source(e);
    if let Some(dir) = a.dir {
        crate::core::fsutil::create_dir_all(&dir)?;
        return clap_mangen::generate_to(super::Cli::command(), &dir).map_err(failed);
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(super::Cli::command())
        .render(&mut page)
        .map_err(failed)?;
    std::io::stdout().write_all(&page).map_err(failed)
}
