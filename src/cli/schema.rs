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
    /// The answer: list, list-remote, list-remote-proxy, info, doctor, failure.
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
    if let Some(top) = schema.as_object_mut() {
        top.values_mut().for_each(require_every_field);
        require_in(top);
    }
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

/// Marks every property of every object required: the answers always
/// carry each field (null when it has no value), which schemars cannot
/// tell from an `Option`.
fn require_every_field(node: &mut serde_json::Value) {
    match node {
        serde_json::Value::Object(map) => {
            require_in(map);
            map.values_mut().for_each(require_every_field);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(require_every_field),
        _ => {}
    }
}

fn require_in(schema: &mut serde_json::Map<String, serde_json::Value>) {
    if let Some(serde_json::Value::Object(props)) = schema.get("properties") {
        let names = props.keys().cloned().map(serde_json::Value::String);
        schema.insert("required".into(), names.collect());
    }
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
         `src/doctor/mod.rs`). Fields are added, never renamed or removed; the\n\
         enveloped answers carry `\"schema\": 1`. Every field a schema lists is always\n\
         present (`null` where it has no value).\n\n\
         Regenerate after changing an answer (a test fails while these files are stale):\n\n\
         ```sh\n\
         cargo run -- schema --dir docs/reference/json\n\
         ```\n\n\
         | answer | command | schema |\n\
         |---|---|---|\n",
    );
    for d in all {
        out.push_str(&format!(
            "| {} | `{}` | [{n}.json]({n}.json) |\n",
            d.name,
            d.command,
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
