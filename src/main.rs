fn main() {
    // argv[0] first: as `go`, `gofmt` or `go1.22.10` gov is an entry point
    // and must not pay for anything else.
    let mut args = std::env::args_os();
    if let Some(arg0) = args.next()
        && let Some(invocation) = gov::entry::invocation(&arg0)
    {
        std::process::exit(gov::entry::run_invocation(
            invocation,
            args.collect(),
            gov::cli::install::auto_install,
        ));
    }
    // `COMPLETE=<shell> gov -- <words>`: a shell asking for completions
    // (before clap parses, which would reject the words).
    gov::cli::complete::complete_if_asked();
    std::process::exit(gov::cli::main());
}
