//! GOAUTH (Go 1.24 and later): how cmd/go finds credentials for https
//! fetches. A `;`-separated list of `off` (alone), `netrc`, `git <dir>`
//! or a helper command whose words cmd/go splits with its own rules
//! (`cmd/internal/quoted`: spaces separate, a field may be wrapped in `'`
//! or `"`, nothing is escaped). Checked here so that a value gov stores is
//! one cmd/go runs as the user meant: a helper that exists, is executable
//! and cannot be swapped by another account (it sees every URL Go asks
//! credentials for, and its answer is sent there).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::core::error::{Error, Result};

fn bad(value: &str, why: impl Into<String>) -> Error {
    Error::invalid(format!(
        "invalid GOAUTH=\"{}\": {}",
        crate::core::quote::shown(value),
        why.into()
    ))
}

/// Splits one command as cmd/go's `quoted.Split` does, refusing what it
/// would split differently from a shell (a quote inside a word, a quoted
/// field glued to the next, a backslash it does not unescape, an
/// unterminated quote).
pub fn split_words(command: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut rest = command.trim_start_matches([' ', '\t']);
    while !rest.is_empty() {
        if rest.contains('\\') {
            return Err(
                "a backslash: cmd/go does not unescape anything, so it would stay in the word"
                    .into(),
            );
        }
        let first = rest.as_bytes()[0];
        if first == b'"' || first == b'\'' {
            let quote = first as char;
            let Some(end) = rest[1..].find(quote) else {
                return Err(format!("an unterminated {quote} string"));
            };
            words.push(rest[1..1 + end].to_string());
            rest = &rest[end + 2..];
            if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
                return Err(format!(
                    "text right after a {quote}-quoted field: cmd/go would make it a separate word"
                ));
            }
        } else {
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            let word = &rest[..end];
            if word.contains(['"', '\'']) {
                return Err(format!(
                    "a quote inside the word `{word}`: cmd/go unquotes only whole fields"
                ));
            }
            words.push(word.to_string());
            rest = &rest[end..];
        }
        rest = rest.trim_start_matches([' ', '\t']);
    }
    Ok(words)
}

/// Where cmd/go would find `program` (`exec.LookPath`): itself when it
/// holds a `/`, else the first match on PATH.
fn look_path(program: &str, path_var: Option<&str>) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    path_var?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
}

/// A helper command: a regular, executable file no other account can
/// replace.
fn check_helper(value: &str, program: &str, path_var: Option<&str>) -> Result<()> {
    let Some(path) = look_path(program, path_var) else {
        return Err(
            bad(value, format!("the helper `{program}` is not on PATH")).with_advice(
                "give the helper's absolute path, e.g. GOAUTH=/usr/local/bin/goauth-corp",
            ),
        );
    };
    if program.contains('/') && !path.is_absolute() {
        return Err(bad(
            value,
            format!(
                "`{program}` is relative: it would be looked up in each build's working directory"
            ),
        )
        .with_advice("give the helper's absolute path"));
    }
    let meta = std::fs::metadata(&path).map_err(|e| {
        bad(
            value,
            format!("the helper {} cannot be read", path.display()),
        )
        .with_source(e)
    })?;
    let mode = meta.permissions().mode();
    if !meta.is_file() || mode & 0o111 == 0 {
        return Err(bad(
            value,
            format!("the helper {} is not an executable file", path.display()),
        )
        .with_advice(format!("chmod 0755 {}", path.display())));
    }
    if mode & 0o022 != 0 {
        return Err(bad(
            value,
            format!(
                "the helper {} is writable by other accounts (mode {:04o}): any of them could replace it and collect the credentials",
                path.display(),
                mode & 0o7777
            ),
        )
        .with_advice(format!("chmod go-w {}", path.display())));
    }
    Ok(())
}

/// Validates GOAUTH as cmd/go would run it; `path_var` is the PATH helper
/// names are looked up in.
pub fn validate(value: &str, path_var: Option<&str>) -> Result<()> {
    let commands: Vec<&str> = value.split(';').map(str::trim).collect();
    for command in &commands {
        let words = split_words(command).map_err(|why| {
            bad(value, format!("`{command}` holds {why}"))
                .with_advice("quote a whole word with ' or \", or put the command in a script and name the script")
        })?;
        let Some(first) = words.first() else {
            return Err(bad(
                value,
                "an empty command (GOAUTH lists commands separated by `;`)",
            )
            .with_advice("use netrc, git <absolute dir>, off, or a helper command"));
        };
        match first.as_str() {
            "off" if commands.len() > 1 => {
                return Err(bad(value, "`off` cannot be combined with other commands"));
            }
            "off" | "netrc" if words.len() == 1 => {}
            "off" | "netrc" => {
                return Err(bad(value, format!("`{first}` takes no arguments")));
            }
            "git" => {
                let dir = match words.as_slice() {
                    [_, dir] if Path::new(dir).is_absolute() => Path::new(dir),
                    _ => {
                        return Err(bad(
                            value,
                            "`git` needs one absolute path to a git working directory",
                        )
                        .with_advice("GOAUTH='git /srv/src/corp-repo'"));
                    }
                };
                if !dir.is_dir() {
                    return Err(bad(value, format!("{} is not a directory", dir.display())));
                }
            }
            program => check_helper(value, program, path_var)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_cmd_go_splits_them() {
        assert_eq!(
            split_words(r#"/bin/helper --realm 'corp proxy' "a b""#),
            Ok(vec![
                "/bin/helper".to_string(),
                "--realm".into(),
                "corp proxy".into(),
                "a b".into()
            ])
        );
        for hostile in [
            r#"/bin/helper --opt="a b""#,
            "/bin/helper 'unterminated",
            r#"/bin/helper 'a'b"#,
            r"/bin/helper a\ b",
        ] {
            assert!(split_words(hostile).is_err(), "{hostile}");
        }
    }

    #[test]
    fn forms_cmd_go_accepts() {
        let path = Some("/usr/bin:/bin");
        for ok in [
            "netrc",
            "off",
            "git /",
            "netrc; git /tmp",
            "/bin/sh -c true",
            "sh",
        ] {
            assert!(validate(ok, path).is_ok(), "{ok}");
        }
        for refused in [
            "",
            ";",
            "netrc;",
            "off; netrc",
            "netrc extra",
            "git",
            "git relative/dir",
            "git /nonexistent-dir-for-gov",
            "no-such-helper-for-gov",
            "/nonexistent/helper",
            "./helper",
            "/etc/passwd",
            "/bin/sh -c 'echo",
        ] {
            let e = validate(refused, path).expect_err(refused);
            assert_eq!(e.kind().exit_code(), 2, "{refused}");
        }
    }

    #[test]
    fn a_helper_others_could_replace_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let helper = dir.path().join("helper");
        std::fs::write(&helper, "#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
        let set = |mode| {
            std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let value = helper.display().to_string();
        set(0o755);
        assert!(validate(&value, None).is_ok());
        set(0o775);
        let e = validate(&value, None).expect_err("group-writable");
        assert!(e.advice().unwrap_or_default().contains("chmod go-w"));
        set(0o644);
        assert!(validate(&value, None).is_err(), "not executable");
    }
}
