use std::io::Write;
use std::path::{Path, PathBuf};

use super::answers::{self, Described};
use crate::core::error::{Error, ErrorKind, Result};

/// Print the JSON schema of a `--json` answer, or write them all.
///
/// The schemas are generated from the answers' types; the checkout's
/// docs/reference/json/ holds them (a test keeps them current).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  gov schema doctor\n  gov schema --dir docs/reference/json   # every schema and the README listing them"
)]
pub struct Args {
    /// The answer, by its file's name in docs/reference/json/: list, info, install, doctor, ...
    #[arg(required_unless_present = "dir")]
    name: Option<String>,
    /// Write <name>.json for every answer, and README.md listing them, into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "name")]
    dir: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let all = answers::described();
    if let Some(dir) = &a.dir {
        return write_all(dir, &all);
    }
    let name = a.name.unwrap_or_default();
    let Some(d) = all.iter().find(|d| d.name == name) else {
        let names: Vec<&str> = all.iter().map(|d| d.name).collect();
        return Err(Error::invalid(format!("no answer named `{name}`"))
            .with_advice(format!("one of: {}", names.join(", "))));
    };
    let text = render(d)?;
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("cannot write to stdout", e))
}

/// One schema as its file holds it.
fn render(d: &Described) -> Result<String> {
    let mut schema = (d.schema)();
    schema.insert("title".into(), d.command.into());
    let mut text = serde_json::to_string_pretty(&schema).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot encode the schema of {}", d.name),
        )
        .with_source(e)
    })?;
    text.push('\n');
    Ok(text)
}

fn write_all(dir: &Path, all: &[Described]) -> Result<()> {
    crate::core::fsutil::create_dir_all(dir)?;
    let write = |name: String, text: String| {
        crate::core::fsutil::write_atomic(&dir.join(name), text.as_bytes())
    };
    for d in all {
        write(format!("{}.json", d.name), render(d)?)?;
    }
    write("README.md".to_string(), readme(all))
}

/// The reference's index: each answer, its command and its file.
pub fn readme(all: &[Described]) -> String {
    let mut out = String::from(
        "# JSON answers\n\n\
         The `--json` answers of gov's commands, one JSON Schema (draft 2020-12) per\n\
         answer, generated from the types that produce them (`src/cli/answers.rs`,\n\
         `src/doctor/mod.rs` and the library reports they print). Fields are added,\n\
         never renamed or removed; the enveloped answers carry `\"schema\": 1`. Every\n\
         field a schema marks required is always there (`null` where it has no value).\n\n\
         Regenerate after changing an answer (a test fails while these files are stale):\n\n\
         ```sh\n\
         cargo run -- schema --dir docs/reference/json   # or scripts/gen-docs\n\
         ```\n\n\
         | answer | command | schema |\n\
         |---|---|---|\n",
    );
    for d in all {
        // A command in code; `|` escaped so it stays in its cell.
        let command = if d.command.starts_with("gov ") {
            format!("`{}`", d.command.replace('|', "\\|"))
        } else {
            d.command.to_string()
        };
        out.push_str(&format!(
            "| {} | {command} | [{n}.json]({n}.json) |\n",
            d.name,
            n = d.name
        ));
    }
    out.push_str(
        "\nThe enveloped answers (`info` and the commands that change state: `install`,\n\
         `uninstall`, `global`, `proxy use|set|unset`, `config set|unset`) put their\n\
         fields between `schema` and `warnings`; when such a run fails, its answer is\n\
         `failure.json` instead, with the exit code.\n",
    );
    out
}
