//! GOFLAGS as cmd/go parses it (`base.InitGOFLAGS` / `SetFromGOFLAGS`):
//! space-separated `-flag[=value]` entries, each a flag some go command
//! knows. A value cmd/go would reject breaks every go command that knows
//! the flag, so gov refuses it when it is set, not when a build fails.

/// Flags cmd/go accepts in GOFLAGS (the union over its commands, checked
/// against Go 1.22 and later), with what each needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `-x` or `-x=true|false|1|0|t|f...`
    Bool,
    /// Only `-x=value`.
    Value,
    /// Build and test flags that take a value in GOFLAGS' own syntax; the
    /// go command checks them per command.
    Any,
}

const FLAGS: &[(&str, Kind)] = &[
    // Build flags (`go help build`).
    ("a", Kind::Bool),
    ("asan", Kind::Bool),
    ("asmflags", Kind::Value),
    ("buildmode", Kind::Value),
    ("buildvcs", Kind::Value),
    ("compiler", Kind::Value),
    ("cover", Kind::Bool),
    ("covermode", Kind::Value),
    ("coverpkg", Kind::Value),
    ("gccgoflags", Kind::Value),
    ("gcflags", Kind::Value),
    ("installsuffix", Kind::Value),
    ("json", Kind::Bool),
    ("ldflags", Kind::Value),
    ("linkshared", Kind::Bool),
    ("mod", Kind::Value),
    ("modcacherw", Kind::Bool),
    ("modfile", Kind::Value),
    ("msan", Kind::Bool),
    ("n", Kind::Bool),
    ("o", Kind::Value),
    ("overlay", Kind::Value),
    ("p", Kind::Value),
    ("pgo", Kind::Value),
    ("pkgdir", Kind::Value),
    ("race", Kind::Bool),
    ("tags", Kind::Value),
    ("toolexec", Kind::Value),
    ("trimpath", Kind::Bool),
    ("v", Kind::Bool),
    ("work", Kind::Bool),
    ("x", Kind::Bool),
    // Flags of other commands (test, vet, list, get, mod, work, clean...).
    ("bench", Kind::Any),
    ("benchmem", Kind::Any),
    ("benchtime", Kind::Any),
    ("blockprofile", Kind::Any),
    ("blockprofilerate", Kind::Any),
    ("c", Kind::Any),
    ("cache", Kind::Any),
    ("compat", Kind::Any),
    ("compiled", Kind::Any),
    ("count", Kind::Any),
    ("coverprofile", Kind::Any),
    ("cpu", Kind::Any),
    ("cpuprofile", Kind::Any),
    ("d", Kind::Any),
    ("deps", Kind::Any),
    ("dropexclude", Kind::Any),
    ("dropreplace", Kind::Any),
    ("droprequire", Kind::Any),
    ("dropretract", Kind::Any),
    ("dropuse", Kind::Any),
    ("e", Kind::Any),
    ("exclude", Kind::Any),
    ("exec", Kind::Any),
    ("export", Kind::Any),
    ("f", Kind::Any),
    ("failfast", Kind::Any),
    ("find", Kind::Any),
    ("fix", Kind::Any),
    ("fmt", Kind::Any),
    ("fullpath", Kind::Any),
    ("fuzz", Kind::Any),
    ("fuzzcache", Kind::Any),
    ("fuzzminimizetime", Kind::Any),
    ("fuzztime", Kind::Any),
    ("go", Kind::Any),
    ("i", Kind::Any),
    ("insecure", Kind::Any),
    ("list", Kind::Any),
    ("m", Kind::Any),
    ("memprofile", Kind::Any),
    ("memprofilerate", Kind::Any),
    ("modcache", Kind::Any),
    ("module", Kind::Any),
    ("mutexprofile", Kind::Any),
    ("mutexprofilefraction", Kind::Any),
    ("outputdir", Kind::Any),
    ("parallel", Kind::Any),
    ("print", Kind::Any),
    ("r", Kind::Any),
    ("replace", Kind::Any),
    ("require", Kind::Any),
    ("retract", Kind::Any),
    ("retracted", Kind::Any),
    ("reuse", Kind::Any),
    ("run", Kind::Any),
    ("short", Kind::Any),
    ("shuffle", Kind::Any),
    ("skip", Kind::Any),
    ("t", Kind::Any),
    ("test", Kind::Any),
    ("testcache", Kind::Any),
    ("timeout", Kind::Any),
    ("tool", Kind::Any),
    ("toolchain", Kind::Any),
    ("trace", Kind::Any),
    ("u", Kind::Any),
    ("use", Kind::Any),
    ("vendor", Kind::Any),
    ("versions", Kind::Any),
    ("vet", Kind::Any),
    ("vettool", Kind::Any),
    ("w", Kind::Any),
];

fn is_go_bool(v: &str) -> bool {
    matches!(
        v,
        "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false" | "False"
    )
}

/// Values cmd/go checks while parsing GOFLAGS.
fn check_value(name: &str, value: &str) -> Result<(), String> {
    let one_of = |allowed: &[&str], what: &str| {
        if allowed.contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "-{name}={value} is not {what} (one of {})",
                allowed.join(", ")
            ))
        }
    };
    match name {
        "mod" => one_of(&["", "mod", "readonly", "vendor"], "a module mode"),
        "covermode" => one_of(&["set", "count", "atomic"], "a cover mode"),
        "buildmode" => one_of(
            &[
                "archive",
                "c-archive",
                "c-shared",
                "default",
                "exe",
                "pie",
                "plugin",
                "shared",
            ],
            "a build mode",
        ),
        "buildvcs" if value != "auto" && !is_go_bool(value) => {
            Err(format!("-buildvcs={value} is neither auto nor true/false"))
        }
        "p" if value.parse::<i64>().is_err() => Err(format!("-p={value} is not a number")),
        _ => Ok(()),
    }
}

/// Checks one GOFLAGS value; the error says which entry is wrong and why.
pub fn check(value: &str) -> Result<(), String> {
    for entry in value.split_whitespace() {
        // cmd/go: "-", "--", "-=x", "---x" and words without a dash are
        // not flags.
        let name_and_value = entry
            .strip_prefix("--")
            .or_else(|| entry.strip_prefix('-'))
            .filter(|r| !r.is_empty() && !r.starts_with('-') && !r.starts_with('='))
            .ok_or_else(|| format!("`{entry}` is not a flag"))?;
        let (name, val) = match name_and_value.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (name_and_value, None),
        };
        if name == "C" {
            return Err("-C must come first on a command line and cannot be in GOFLAGS".into());
        }
        // Flags of a test binary pass through `go test`.
        if name.starts_with("test.") {
            continue;
        }
        let Some((_, kind)) = FLAGS.iter().find(|(n, _)| *n == name) else {
            return Err(format!("no go command knows the flag -{name}"));
        };
        match (kind, val) {
            (Kind::Bool, Some(v)) if !is_go_bool(v) => {
                return Err(format!(
                    "-{name} is a boolean flag; `{v}` is not true or false"
                ));
            }
            (Kind::Value, None) => return Err(format!("-{name} needs a value (-{name}=...)")),
            (_, Some(v)) => check_value(name, v)?,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn as_cmd_go_parses_it() {
        for ok in [
            "-mod=mod",
            "-trimpath -tags=netgo,osusergo",
            "--mod=readonly",
            "-race=false -count=1 -v",
            "-buildvcs=auto",
            "-test.v",
            "",
        ] {
            assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok));
        }
        for bad in [
            "-nosuchflag",
            "-mod=bogus",
            "--",
            "-",
            "-=x",
            "---x",
            "mod=mod",
            "-trimpath=maybe",
            "-ldflags",
            "-buildvcs=sometimes",
            "-covermode=x",
            "-p=x",
            "-C=/tmp",
        ] {
            assert!(check(bad).is_err(), "{bad} accepted");
        }
    }
}
