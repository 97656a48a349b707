//! Shell completions, driven through real shells: bash through the
//! function its script registers (COMP_WORDS / COMP_CWORD / COMPREPLY),
//! fish through `complete -C`, zsh through its completion function with
//! `_describe` stubbed. Values are live: they change with what is installed,
//! selected and cached, and completing never touches the network.
//!
//! bash, zsh and fish must be installed (`.ci/run` installs zsh and fish);
//! a missing shell fails these tests rather than skipping them.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{Sandbox, run_program};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn gov_dir() -> PathBuf {
    let gov = assert_cmd::cargo::cargo_bin("gov");
    gov.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A sandbox publishing five releases (one a pre-release), two installed,
/// 1.22.5 global.
fn world() -> Sandbox {
    let sb = Sandbox::new();
    sb.publish_versions(&["1.23rc1", "1.22.5", "1.22.1", "1.21.13", "1.20.14"]);
    for v in ["1.22.5", "1.21.13"] {
        sb.ok(&["install", v]);
    }
    sb.ok(&["global", "1.22.5"]);
    sb
}

/// Runs `script` with `sh -c` in `cwd`, with the sandbox's environment and
/// gov (by name) on PATH, as a user's shell has it.
fn run_shell(sb: &Sandbox, sh: &str, cwd: &Path, script: &str) -> Output {
    let c = sb.std_cmd();
    let mut cmd = Command::new(sh);
    cmd.arg("-c").arg(script).current_dir(cwd).env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("PATH", format!("{}:/usr/bin:/bin", gov_dir().display()));
    require(sh);
    let out = run_program(&mut cmd);
    assert!(
        out.status.success(),
        "{sh} -c {script:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Fails loudly when a shell these tests drive is missing.
fn require(sh: &str) {
    if !["/usr/bin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(sh).is_file())
    {
        panic!("`{sh}` is not installed; the completion tests need it (apt-get install {sh})");
    }
}

/// Single-quotes for sh/bash/zsh.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Words of a command line as the shell splits them: a trailing space
/// starts a new, empty word.
fn words_of(line: &str) -> Vec<String> {
    let mut w: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    if line.ends_with(' ') {
        w.push(String::new());
    }
    w
}

/// Bash code that completes `line` (cursor at its end) by calling the
/// function `complete -p gov` names, as readline would, then prints
/// COMPREPLY one per line and a `--` line.
fn bash_completion_call(line: &str) -> String {
    let words = words_of(line);
    let cword = words.len() - 1;
    let cur = &words[cword];
    let prev = if cword > 0 { &words[cword - 1] } else { "" };
    let array: Vec<String> = words.iter().map(|w| q(w)).collect();
    format!(
        r#"
spec=$(complete -p gov) || {{ echo "gov has no completion" >&2; exit 3; }}
fn=$(printf '%s\n' "$spec" | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_LINE={line}
COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({array})
COMP_CWORD={cword}
COMP_TYPE=9
COMPREPLY=()
"$fn" gov {cur} {prev}
printf '%s\n' "${{COMPREPLY[@]}}" --
"#,
        line = q(line),
        array = array.join(" "),
        cur = q(cur),
        prev = q(prev),
    )
}

/// The replies printed by consecutive [`bash_completion_call`]s.
fn replies(out: &Output) -> Vec<Vec<String>> {
    let mut all = vec![Vec::new()];
    for l in text(&out.stdout).lines() {
        match l {
            "--" => all.push(Vec::new()),
            "" => {}
            v => all
                .last_mut()
                .unwrap_or_else(|| unreachable!())
                .push(v.to_string()),
        }
    }
    all.pop();
    all
}

/// Completes `line` in a new bash, in `cwd`, after `setup`.
fn bash_complete_in(sb: &Sandbox, cwd: &Path, setup: &str, line: &str) -> Vec<String> {
    let out = run_shell(
        sb,
        "bash",
        cwd,
        &format!("{setup}\n{}", bash_completion_call(line)),
    );
    replies(&out).into_iter().next().unwrap_or_default()
}

const SOURCE_BASH: &str = r#"source <(gov completions bash)"#;

fn bash_complete(sb: &Sandbox, line: &str) -> Vec<String> {
    bash_complete_in(sb, sb.dir.path(), SOURCE_BASH, line)
}

#[test]
fn bash_global_offers_exactly_the_installed_versions_live() {
    let sb = world();
    assert_eq!(bash_complete(&sb, "gov global "), ["1.22.5", "1.21.13"]);
    assert_eq!(bash_complete(&sb, "gov global 1.21"), ["1.21.13"]);
    // Options only once a dash is typed.
    assert_eq!(bash_complete(&sb, "gov global --f"), ["--force"]);
    // The same list for every command that takes an installed version.
    for cmd in ["local", "uninstall", "exec", "env", "shell"] {
        assert_eq!(
            bash_complete(&sb, &format!("gov {cmd} ")),
            ["1.22.5", "1.21.13"],
            "gov {cmd}"
        );
    }
    // Live: one shell, the script sourced once, the answers follow what
    // is installed.
    let script = format!(
        "{SOURCE_BASH}\n{}gov -q install 1.20.14\n{}gov -q uninstall 1.21.13\n{}",
        bash_completion_call("gov global "),
        bash_completion_call("gov global "),
        bash_completion_call("gov global "),
    );
    let out = run_shell(&sb, "bash", sb.dir.path(), &script);
    assert_eq!(
        replies(&out),
        [
            vec!["1.22.5", "1.21.13"],
            vec!["1.22.5", "1.21.13", "1.20.14"],
            vec!["1.22.5", "1.20.14"],
        ]
    );
}

#[test]
fn bash_script_runs_gov_by_absolute_path() {
    let sb = world();
    // Sourced with gov on PATH, completing after PATH lost it still works:
    // the script names the gov that printed it.
    let setup = format!("{SOURCE_BASH}\nexport PATH=/usr/bin:/bin");
    assert_eq!(
        bash_complete_in(&sb, sb.dir.path(), &setup, "gov uninstall "),
        ["1.22.5", "1.21.13"]
    );
    let script = run_shell(&sb, "sh", sb.dir.path(), "gov completions bash");
    let gov = assert_cmd::cargo::cargo_bin("gov");
    assert!(
        text(&script.stdout).contains(&gov.display().to_string()),
        "{}",
        text(&script.stdout)
    );
}

#[test]
fn bash_install_offers_cached_remote_versions_and_never_fetches() {
    let sb = world();
    // world() installed by exact version and left an index cache; start
    // from none.
    let cache = sb.home().join("cache/index");
    std::fs::remove_dir_all(&cache).unwrap_or_else(|e| panic!("{e}"));
    sb.server.clear_requests();
    assert_eq!(bash_complete(&sb, "gov install 1.2"), Vec::<String>::new());
    assert_eq!(bash_complete(&sb, "gov install "), Vec::<String>::new());
    assert_eq!(
        sb.server.requests().len(),
        0,
        "completion fetched: {:?}",
        sb.server.requests()
    );

    sb.ok(&["list-remote"]);
    sb.server.clear_requests();
    assert_eq!(
        bash_complete(&sb, "gov install 1.2"),
        ["1.23rc1", "1.22.5", "1.22.1", "1.21.13", "1.20.14"]
    );
    assert_eq!(bash_complete(&sb, "gov install 1.22"), ["1.22.5", "1.22.1"]);
    // An expired cache is still used as is: no revalidation at TAB.
    let setup = format!("export GOV_INDEX_TTL=0\n{SOURCE_BASH}");
    assert_eq!(
        bash_complete_in(&sb, sb.dir.path(), &setup, "gov install 1.21"),
        ["1.21.13"]
    );
    assert_eq!(sb.server.hits("/dl/index.json"), 0);
    assert_eq!(
        sb.server.requests().len(),
        0,
        "completion fetched: {:?}",
        sb.server.requests()
    );

    // The cache belongs to its index URL: another URL has none.
    let setup = format!("export GOV_INDEX_URL=http://127.0.0.1:9/other.json\n{SOURCE_BASH}");
    assert_eq!(
        bash_complete_in(&sb, sb.dir.path(), &setup, "gov install 1.2"),
        Vec::<String>::new()
    );
    // --arch values.
    assert_eq!(
        bash_complete(&sb, "gov install --arch arm"),
        ["arm64", "armv6l"]
    );
}

#[test]
fn bash_proxy_use_offers_the_presets() {
    let sb = Sandbox::new();
    assert_eq!(
        bash_complete(&sb, "gov proxy use "),
        [
            "official",
            "cn",
            "cn-aliyun",
            "goproxy-io",
            "google-cn",
            "direct",
            "offline",
            "corp"
        ]
    );
    assert_eq!(
        bash_complete(&sb, "gov proxy use go"),
        ["goproxy-io", "google-cn"]
    );
    // `proxy unset` offers the keys gov's profile sets.
    assert_eq!(bash_complete(&sb, "gov proxy unset "), Vec::<String>::new());
    sb.ok(&["proxy", "set", "GOPRIVATE=github.com/acme"]);
    assert_eq!(bash_complete(&sb, "gov proxy unset "), ["GOPRIVATE"]);
}

#[test]
fn bash_subcommands_by_prefix() {
    let sb = Sandbox::new();
    assert_eq!(bash_complete(&sb, "gov uni"), ["uninstall"]);
    assert_eq!(bash_complete(&sb, "gov list"), ["list", "list-remote"]);
    assert_eq!(bash_complete(&sb, "gov proxy u"), ["use", "unset"]);
    let all = bash_complete(&sb, "gov ");
    for c in ["install", "global", "completions", "init", "doctor"] {
        assert!(all.contains(&c.to_string()), "{c} missing from {all:?}");
    }
    assert!(all.iter().all(|c| !c.starts_with('-')), "{all:?}");
    assert_eq!(bash_complete(&sb, "gov init "), ["bash", "zsh", "fish"]);
    assert_eq!(bash_complete(&sb, "gov completions p"), ["powershell"]);
}

#[test]
fn bash_which_offers_the_tools_of_the_selected_version() {
    let sb = world();
    let here = sb.dir.path().to_path_buf();
    assert_eq!(
        bash_complete_in(&sb, &here, SOURCE_BASH, "gov which "),
        ["go", "gofmt", "compile"]
    );
    // A project pinned to 1.21.13, whose toolchain has one more tool.
    let proj = here.join("proj");
    std::fs::create_dir_all(&proj).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(proj.join(".go-version"), "1.21.13\n").unwrap_or_else(|e| panic!("{e}"));
    let vet = sb.goroot("1.21.13").join("pkg/tool/linux_amd64/vet");
    std::fs::write(&vet, "#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&vet, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        bash_complete_in(&sb, &proj, SOURCE_BASH, "gov which "),
        ["go", "gofmt", "compile", "vet"]
    );
    assert_eq!(
        bash_complete_in(&sb, &proj, SOURCE_BASH, "gov which v"),
        ["vet"]
    );
    assert_eq!(
        bash_complete_in(&sb, &here, SOURCE_BASH, "gov which v"),
        Vec::<String>::new()
    );
    // Nothing selected: nothing to offer.
    let bare = Sandbox::new();
    assert_eq!(bash_complete(&bare, "gov which "), Vec::<String>::new());
}

#[test]
fn bash_init_completes_the_gov_function() {
    let sb = world();
    let setup = r#"eval "$(gov init bash)"
[ "$(type -t gov)" = function ] || { echo "gov is not a function" >&2; exit 3; }"#;
    let here = sb.dir.path();
    assert_eq!(
        bash_complete_in(&sb, here, setup, "gov shell "),
        ["1.22.5", "1.21.13"]
    );
    assert_eq!(bash_complete_in(&sb, here, setup, "gov gl"), ["global"]);
    assert_eq!(
        bash_complete_in(&sb, here, setup, "gov proxy use c"),
        ["cn", "cn-aliyun", "corp"]
    );
    // The wrapper still works after completion was wired in.
    let out = run_shell(
        &sb,
        "bash",
        here,
        r#"eval "$(gov init bash)"; gov shell 1.21.13 && echo "$GOV_VERSION""#,
    );
    assert_eq!(text(&out.stdout).trim(), "1.21.13");
}

#[test]
fn zsh_scripts_parse_and_complete_live_versions() {
    let sb = world();
    let here = sb.dir.path();
    for (what, cmd) in [
        ("completions", "gov completions zsh"),
        ("init", "gov init zsh"),
    ] {
        let script = text(&run_shell(&sb, "sh", here, cmd).stdout);
        let file = here.join(format!("gov-{what}.zsh"));
        std::fs::write(&file, &script).unwrap_or_else(|e| panic!("{e}"));
        run_shell(
            &sb,
            "zsh",
            here,
            &format!("zsh -n {}", q(&file.to_string_lossy())),
        );
    }
    // Drive the completion function zsh would call, with compdef and
    // _describe stubbed (no interactive line editor here): _describe gets
    // the name of an array of `value:description` entries.
    let complete = |line: &str| -> Vec<String> {
        let words = words_of(line);
        let array: Vec<String> = words.iter().map(|w| q(w)).collect();
        let script = format!(
            r#"typeset -A registered
compdef() {{ registered[$2]=$1 }}
_describe() {{ print -rl -- "${{(@P)${{@[-1]}}}}" }}
eval "$(gov init zsh)"
[[ -n ${{registered[gov]}} ]] || {{ print -u2 "compdef was not called for gov"; exit 3 }}
words=({array})
CURRENT={current}
${{registered[gov]}}
"#,
            array = array.join(" "),
            current = words.len(),
        );
        let out = run_shell(&sb, "zsh", here, &script);
        text(&out.stdout).lines().map(str::to_string).collect()
    };
    assert_eq!(complete("gov global "), ["1.22.5:current", "1.21.13"]);
    assert_eq!(complete("gov install 1.22"), ["1.22.5:installed", "1.22.1"]);
    let offline = complete("gov proxy use offl");
    assert_eq!(offline.len(), 1, "{offline:?}");
    assert!(
        offline[0].starts_with("offline:no downloads"),
        "{offline:?}"
    );
}

/// Values people type after env --shell, exec <v>, proxy set and
/// list-remote, completed in real bash.
#[test]
fn bash_completes_shells_commands_keys_and_lines() {
    let sb = world();
    let here = sb.dir.path();
    assert_eq!(
        bash_complete_in(&sb, here, SOURCE_BASH, "gov env --shell f"),
        ["fish"]
    );
    // After the version: the selected Go's tools and commands on PATH.
    let cmds = bash_complete_in(&sb, here, SOURCE_BASH, "gov exec 1.22.5 gof");
    assert_eq!(cmds, ["gofmt"]);
    let cmds = bash_complete_in(&sb, here, SOURCE_BASH, "gov exec 1.22.5 bas");
    assert!(cmds.contains(&"bash".to_string()), "{cmds:?}");
    sb.ok(&["proxy", "set", "GOPROXY=https://goproxy.cn,direct"]);
    assert_eq!(
        bash_complete_in(&sb, here, SOURCE_BASH, "gov proxy set GOPRO"),
        ["GOPROXY="]
    );
    // The lines of the cached index (warmed by the installs of world()).
    assert_eq!(
        bash_complete_in(&sb, here, SOURCE_BASH, "gov list-remote 1.2"),
        ["1.23", "1.22", "1.21", "1.20"]
    );
}

/// `gov init zsh` before or after `compinit` (real compinit; the precmd
/// hooks zsh runs before the first prompt are run by hand, as a
/// non-interactive zsh shows no prompt).
#[test]
fn zsh_init_works_before_and_after_compinit() {
    let sb = world();
    let here = sb.dir.path();
    let zdot = here.join("zdot");
    std::fs::create_dir_all(&zdot).unwrap_or_else(|e| panic!("{e}"));
    let first_prompt = "for f in $precmd_functions; do $f; done";
    for (order, script) in [
        (
            "after",
            format!(
                "autoload -Uz compinit; compinit -u -d {d}/c1; eval \"$(gov init zsh)\"",
                d = zdot.display()
            ),
        ),
        (
            "before",
            format!(
                "eval \"$(gov init zsh)\"; autoload -Uz compinit; compinit -u -d {d}/c2; {first_prompt}",
                d = zdot.display()
            ),
        ),
    ] {
        let out = run_shell(
            &sb,
            "zsh",
            here,
            &format!(
                "{script}; print -r -- \"${{_comps[gov]-none}}\"; print -r -- \"${{precmd_functions[*]-}}\""
            ),
        );
        let o = text(&out.stdout);
        let lines: Vec<&str> = o.lines().collect();
        assert_eq!(
            lines.first().copied(),
            Some("_clap_dynamic_completer_gov"),
            "{order} compinit: {o}\n{}",
            text(&out.stderr)
        );
        assert!(
            !lines.get(1).unwrap_or(&"").contains("__gov"),
            "the one-shot hook removed itself: {o}"
        );
    }
}

#[test]
fn fish_scripts_parse_and_complete_live_versions() {
    let sb = world();
    let here = sb.dir.path();
    for cmd in ["gov completions fish", "gov init fish"] {
        let script = text(&run_shell(&sb, "sh", here, cmd).stdout);
        let file = here.join("gov.fish");
        std::fs::write(&file, &script).unwrap_or_else(|e| panic!("{e}"));
        run_shell(
            &sb,
            "fish",
            here,
            &format!("fish --no-execute {}", q(&file.to_string_lossy())),
        );
    }
    let complete = |setup: &str, line: &str| -> Vec<String> {
        let script = format!("{setup}\ncomplete -C {}", q(line));
        let out = run_shell(&sb, "fish", here, &script);
        text(&out.stdout).lines().map(str::to_string).collect()
    };
    let sourced = "gov completions fish | source";
    assert_eq!(
        complete(sourced, "gov global "),
        ["1.22.5\tcurrent", "1.21.13"]
    );
    assert_eq!(
        complete(sourced, "gov uni"),
        ["uninstall\tRemove installed versions"]
    );
    // Through `gov init fish`, where gov is a function.
    let init = "gov init fish | source; functions -q gov; or exit 3";
    assert_eq!(
        complete(init, "gov shell 1.2"),
        ["1.22.5\tcurrent", "1.21.13"]
    );
    sb.ok(&["uninstall", "1.21.13"]);
    assert_eq!(complete(init, "gov exec "), ["1.22.5\tcurrent"]);
}

#[test]
fn every_shell_gets_a_registration_script() {
    let sb = Sandbox::new();
    for sh in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = sb.ok(&["completions", sh]);
        // One fact in a script clap generates: it asks gov through COMPLETE.
        assert!(out.contains("COMPLETE"), "{sh}: {out}");
    }
    sb.fails(&["completions", "tcsh"], 2);
    // A completion request for a shell gov has no script for fails quietly
    // for the shell (non-zero, nothing on stdout).
    let out = sb
        .cmd()
        .env("COMPLETE", "tcsh")
        .args(["--", "gov", ""])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}

/// completions/ holds what `gov completions <shell> --packaged` prints, so
/// packagers can take the files from a checkout.
#[test]
fn packaged_scripts_in_the_checkout_are_current() {
    let sb = Sandbox::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "gov.bash"),
        ("zsh", "_gov"),
        ("fish", "gov.fish"),
        ("elvish", "gov.elv"),
        ("powershell", "_gov.ps1"),
    ] {
        let out = sb.ok(&["completions", shell, "--packaged"]);
        let want = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}"));
        assert_eq!(
            out, want,
            "completions/{file} is stale: run scripts/gen-completions"
        );
        assert!(
            !out.contains(env!("CARGO_MANIFEST_DIR")),
            "{file} names the build tree"
        );
    }
}
