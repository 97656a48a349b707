//! Other managers' selection files, read as gov's own: asdf/mise
//! `.tool-versions` (`golang 1.22.5` or `go 1.22.5`) and mise's
//! `mise.toml` / `.mise.toml` (`[tools]` `go = "1.22"`), plus goenv's
//! `system`.
//!
//! These files come from repositories gov did not write, so they are read
//! as gov's own selection files are (`core::safe_read`: planted entries
//! absent, regular files only, bounded, links only to a file of the same
//! name or beside them), and excerpts in messages are escaped and cut short
//! (`core::quote::excerpt`).

use std::path::{Path, PathBuf};

use crate::core::env::Env;
use crate::core::error::Error;

/// Files read at each directory level, after `.go-version`.
pub const FILES: &[&str] = &[".tool-versions", "mise.toml", ".mise.toml"];

/// Selection files are a few lines; anything bigger is not one.
pub const MAX_BYTES: u64 = 64 * 1024;

/// The Go version a `.tool-versions` names (the first of `golang` / `go`'s
/// versions: asdf tries them in order, the first is the preferred one).
pub fn parse_tool_versions(text: &str) -> Option<&str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find_map(|l| {
            let mut words = l.split_whitespace();
            let tool = words.next()?;
            (tool == "golang" || tool == "go").then(|| words.next())?
        })
}

/// Strips TOML quotes from a bare or quoted key or string.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// The first string of a TOML value: `"1.22"`, `["1.22", "1.21"]` or
/// `{ version = "1.22" }`.
fn first_string(value: &str) -> Option<&str> {
    let v = value.trim();
    if let Some(rest) = v.strip_prefix('[') {
        return rest
            .split([',', ']'])
            .next()
            .map(unquote)
            .filter(|s| !s.is_empty());
    }
    if let Some(rest) = v.strip_prefix('{') {
        return rest.trim_end_matches('}').split(',').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (unquote(k) == "version").then(|| unquote(v))
        });
    }
    Some(unquote(v)).filter(|s| !s.is_empty())
}

/// The Go version a `mise.toml` names: `go` (or `golang`) in `[tools]`, or
/// `version` in `[tools.go]`. A deliberately small TOML subset: one
/// key per line, no multi-line values.
pub fn parse_mise_toml(text: &str) -> Option<&str> {
    let mut table = "";
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(h) = line.strip_prefix('[') {
            table = h.split(']').next().unwrap_or("").trim();
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        // Comments after a value (never inside the version strings gov accepts).
        let v = v.split(" #").next().unwrap_or(v);
        let key = unquote(k);
        let hit = match table {
            "tools" => key == "go" || key == "golang",
            "tools.go" | "tools.golang" | "tools.\"go\"" => key == "version",
            _ => false,
        };
        if hit {
            return first_string(v);
        }
    }
    None
}

/// The Go version named in `text`, read from `file` (whose name says its
/// format: `.tool-versions` or a mise file), `None` when it names none.
pub fn go_entry(file: &Path, text: &str) -> Option<String> {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let found = if name == ".tool-versions" {
        parse_tool_versions(text)
    } else {
        parse_mise_toml(text)
    };
    found.map(str::to_string)
}

/// goenv's `system` (the Go on PATH outside the version manager): gov runs
/// only trees it manages, so say how to make that one gov's.
pub fn system_hint(file: &Path, bin_dir: &Path, env: &Env) -> Error {
    let outside = system_go(bin_dir, env);
    let advice = match &outside {
        Some(go) => {
            let root = go
                .parent()
                .and_then(Path::parent)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            format!(
                "the Go on PATH outside gov is {}: `gov import {root}`, then write its version in {} (`gov local <version>`)",
                go.display(),
                file.display()
            )
        }
        None => format!(
            "no Go outside gov is on PATH; write a version in {} (`gov local <version>`)",
            file.display()
        ),
    };
    Error::invalid(format!(
        "{} says `system`, goenv's name for the Go on PATH outside the manager; gov runs only versions it manages",
        file.display()
    ))
    .with_advice(advice)
}

/// The first `go` on PATH that is not gov's entry point.
fn system_go(bin_dir: &Path, env: &Env) -> Option<PathBuf> {
    let gov = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    let path = env.var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| d != bin_dir)
        .map(|d| d.join("go"))
        .find(|p| p.is_file() && p.canonicalize().ok() != gov)
        .map(|p| p.canonicalize().unwrap_or(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_versions() {
        assert_eq!(
            parse_tool_versions("nodejs 20.1.0\ngolang 1.22.5 1.21.0 # pinned\n"),
            Some("1.22.5")
        );
        assert_eq!(parse_tool_versions("go 1.21.13\n"), Some("1.21.13"));
        assert_eq!(parse_tool_versions("golangci-lint 1.55\n"), None);
        assert_eq!(parse_tool_versions("golang\n"), None);
        assert_eq!(parse_tool_versions("# golang 1.2\n"), None);
    }

    #[test]
    fn mise_toml() {
        assert_eq!(parse_mise_toml("[tools]\ngo = \"1.22\"\n"), Some("1.22"));
        assert_eq!(
            parse_mise_toml(
                "[env]\ngo = \"x\"\n[tools]\nnode = \"20\"\n'go' = ['1.21.13', '1.22']\n"
            ),
            Some("1.21.13")
        );
        assert_eq!(
            parse_mise_toml("[tools]\ngo = { version = \"1.22.5\", os = [\"linux\"] }\n"),
            Some("1.22.5")
        );
        assert_eq!(
            parse_mise_toml("[tools.go]\nversion = \"1.20.14\" # x\n"),
            Some("1.20.14")
        );
        assert_eq!(parse_mise_toml("[tools]\ngolangci-lint = \"1\"\n"), None);
        assert_eq!(parse_mise_toml("go = \"1.22\"\n"), None, "outside [tools]");
    }
}
