fn main() {
    // argv[0] first: as `go` or `gofmt` gov is an entry point and must
    // not pay for anything else.
    let mut args = std::env::args_os();
    if let Some(arg0) = args.next()
        && let Some(tool) = gov::entry::tool_for_argv0(&arg0)
    {
        std::process::exit(gov::entry::run(
            tool,
            args.collect(),
            gov::cli::install::auto_install,
        ));
    }
    // `COMPLETE=<shell> gov -- <words>`: a shell asking for completions
    // (before clap parses, which would reject the words).
    gov::cli::complete::complete_if_asked();
    std::process::exit(gov::cli::main());
}
