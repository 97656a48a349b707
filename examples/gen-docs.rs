//! Writes the generated references (`docs/reference/cli.md`,
//! `docs/reference/settings.md`) from the code. Run by `scripts/gen-docs`;
//! `tests/it/docs.rs` fails when the files in the checkout are stale.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (rel, text) in gov::cli::reference::generated_files() {
        let path = root.join(rel);
        let tmp = path.with_extension("md.tmp");
        let written = std::fs::create_dir_all(path.parent().unwrap_or(root))
            .and_then(|()| std::fs::write(&tmp, text))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        println!("{rel}");
    }
}
