// The C `main`, not the standard runtime's: as `go`, `gofmt` or
// `go1.22.10`, gov runs on every toolchain call and must start about as
// fast as a C wrapper that only execs. The runtime's set-up costs a dozen
// system calls such a call never needs (a stack-overflow handler whose
// set-up reads /proc/self/maps, a poll of fds 0-2, SIGPIPE); the CLI gets
// the parts it relies on below. (Arguments still come from the standard
// library, which records them before `main` on Linux.)
#![no_main]

use std::ffi::{c_char, c_int};

#[unsafe(no_mangle)]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    // argv[0] first: as an entry point gov must not pay for anything else.
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
    runtime_setup_for_the_cli();
    // `COMPLETE=<shell> gov -- <words>`: a shell asking for completions
    // (before clap parses, which would reject the words).
    gov::cli::complete::complete_if_asked();
    // process::exit flushes stdout, as returning from Rust's main would.
    std::process::exit(gov::cli::main())
}

/// What the standard runtime would have done before `main`, for the CLI:
/// fds 0-2 open (a closed stdout must not become the lock file gov opens
/// next, and then receive its output), and SIGPIPE ignored, so a closed
/// pipe is an error gov reports rather than a silent death.
fn runtime_setup_for_the_cli() {
    for fd in 0..3 {
        // SAFETY: fcntl(F_GETFD) only queries the descriptor table.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1;
        if closed {
            // SAFETY: the path is a NUL-terminated literal; open returns
            // the lowest free descriptor, which is `fd`.
            unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN has no other effect.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
