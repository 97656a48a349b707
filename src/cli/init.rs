use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::quote::{check_no_control, for_shell};

/// Print the shell setup: PATH, completions, and the `gov shell` function.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  eval \"$(gov init bash)\"     # in ~/.bashrc\n  eval \"$(gov init zsh)\"      # in ~/.zshrc\n  gov init fish | source      # in ~/.config/fish/config.fish"
)]
pub struct Args {
    /// bash, zsh or fish.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::init_shells))]
    shell: String,
}

/// Use a version in this shell only (sets GOV_VERSION; needs `gov init`).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  gov shell 1.21.13\n  gov shell --unset")]
pub struct ShellArgs {
    /// An installed version.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::cli::complete::installed_versions))]
    version: Option<String>,
    /// Go back to the usual selection.
    #[arg(long, conflicts_with = "version")]
    unset: bool,
    /// Print the exact version to set (used by the shell function).
    #[arg(long, hide = true)]
    print: bool,
}

/// Print a completion script.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The scripts run this gov (by its absolute path) at each TAB; --packaged\nscripts run the `gov` found on PATH instead, as distribution packages need.\nThe checkout's completions/ folder holds the packaged scripts.\n\nExamples:\n  gov completions bash > /etc/bash_completion.d/gov\n  gov completions fish > ~/.config/fish/completions/gov.fish\n  gov completions zsh --packaged > /usr/share/zsh/vendor-completions/_gov"
)]
pub struct CompletionsArgs {
    shell: clap_complete::Shell,
    /// Run the `gov` found on PATH at completion time, not this binary.
    #[arg(long)]
    packaged: bool,
}

pub fn run(app: &App, a: Args) -> Result<()> {
    let bin_dir = app.layout.bin_dir().to_string_lossy();
    check_no_control("GOV_BIN_DIR", &bin_dir)?;
    let bin = for_shell(&a.shell, &bin_dir);
    let script = match a.shell.as_str() {
        "bash" | "zsh" => {
            // The completion script inline: one gov run at shell start.
            let completions = if a.shell == "bash" {
                completion_script("bash")?
            } else {
                zsh_completions(&completion_script("zsh")?)
            };
            format!(
                r#"# gov shell setup ({shell}): eval "$(gov init {shell})"
case ":$PATH:" in
  *:{bin}:*) ;;
  *) export PATH={bin}:"$PATH" ;;
esac
gov() {{
  if [ "${{1-}}" = shell ]; then
    shift
    if [ "${{1-}}" = --unset ]; then unset GOV_VERSION; return 0; fi
    __gov_v="$(command gov shell --print "$@")" || return
    export GOV_VERSION="$__gov_v"
    unset __gov_v
  else
    command gov "$@"
  fi
}}
{completions}
"#,
                shell = a.shell
            )
        }
        "fish" => {
            let completions = completion_script("fish")?;
            format!(
                r#"# gov shell setup (fish): gov init fish | source
if not contains -- {bin} $PATH
    set -gx PATH {bin} $PATH
end
function gov
    if test (count $argv) -ge 1; and test "$argv[1]" = shell
        if test (count $argv) -ge 2; and test "$argv[2]" = --unset
            set -e GOV_VERSION
            return 0
        end
        set -l v (command gov shell --print $argv[2..-1]); or return
        set -gx GOV_VERSION $v
    else
        command gov $argv
    end
end
{completions}"#
            )
        }
        other => {
            return Err(Error::invalid(format!("unsupported shell `{other}`"))
                .with_advice("use bash, zsh or fish; other shells can use `gov env`"));
        }
    };
    print!("{script}");
    Ok(())
}

pub fn shell(app: &App, a: ShellArgs) -> Result<()> {
    if !a.print {
        return Err(Error::new(
            ErrorKind::State,
            "`gov shell` changes the current shell, which needs the function from `gov init`",
        )
        .with_advice(
            "add `eval \"$(gov init bash)\"` to ~/.bashrc (zsh: ~/.zshrc, fish: `gov init fish | source`), \
             or set it by hand: export GOV_VERSION=<version>",
        ));
    }
    if a.unset {
        return Ok(());
    }
    let Some(v) = a.version else {
        return Err(Error::invalid("name a version: gov shell <version>"));
    };
    let found = super::exec::find_installed(app, &v)?;
    println!("{}", found.version);
    Ok(())
}

/// zsh's completion registration, working whether `gov init zsh` comes
/// before or after `compinit`: with compdef already there it registers at
/// once, otherwise at the first prompt (a one-shot precmd hook), by which
/// time ~/.zshrc has run compinit.
fn zsh_completions(script: &str) -> String {
    format!(
        r#"__gov_register_completion() {{
{script}
}}
if (( $+functions[compdef] )); then
  __gov_register_completion
  unfunction __gov_register_completion
else
  __gov_completion_hook() {{
    add-zsh-hook -d precmd __gov_completion_hook
    (( $+functions[compdef] )) && __gov_register_completion
    unfunction __gov_register_completion __gov_completion_hook 2>/dev/null
  }}
  autoload -Uz add-zsh-hook
  add-zsh-hook precmd __gov_completion_hook
fi"#,
        script = script.trim_end()
    )
}

/// The registration script of gov's dynamic completions for `shell`.
fn completion_script(shell: &str) -> Result<String> {
    crate::cli::complete::registration(shell).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot produce the {shell} completion script"),
        )
        .with_source(e)
    })
}

pub fn completions(a: CompletionsArgs) -> Result<()> {
    let script = if a.packaged {
        crate::cli::complete::registration_with(&a.shell.to_string(), "gov")
    } else {
        crate::cli::complete::registration(&a.shell.to_string())
    };
    let script = script.map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot produce the {} completion script", a.shell),
        )
        .with_source(e)
    })?;
    print!("{script}");
    Ok(())
}
