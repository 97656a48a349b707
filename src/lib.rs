//! gov: a Go toolchain manager. The binary (`main.rs`) is a thin CLI over
//! this library. Folders are the architecture, lowest first; each may use
//! the ones above it in this list, never the ones below:
//!
//! - `core`: versions, architectures, the on-disk layout and what is
//!   installed in it, errors, filesystem primitives and locks, quoting, and
//!   the [`core::report::Reporter`] interface through which the library
//!   talks (it never prints).
//! - `net`: HTTP policy (https, proxies, netrc, retries, mirrors) and the
//!   release index.
//! - `trust`: checksum-database keys, notes and proofs.
//! - `settings`: module-proxy settings, Go's own env layers, persistence.
//! - `entry`: the `go`/`gofmt` hot path: version selection, entry points,
//!   env shims.
//! - `install`: putting trees under `versions/` (release archives, import)
//!   and gov's own self-update.
//! - `lifecycle`: outdated, upgrade and prune; the Go vulnerability
//!   database.
//! - `mirror`: a static mirror for a fleet (sync from upstream, verify).
//! - `doctor`: checks with findings and advice.
//! - `cli`: argument parsing, completions and all terminal output.
//!
//! `app` is the per-invocation context (layout, reporter, lazy HTTP client)
//! shared by commands.

pub mod app;
pub mod cli;
pub mod core;
pub mod doctor;
pub mod entry;
pub mod install;
pub mod lifecycle;
pub mod mirror;
pub mod net;
pub mod settings;
pub mod trust;

pub use crate::core::error::{Error, ErrorKind, Result};
