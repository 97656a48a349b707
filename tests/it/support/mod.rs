//! Shared helpers for gov's integration tests: a fault-injecting loopback
//! HTTP server ([`server`]) and builders for Go release archives and the
//! go.dev release index ([`archive`]).
//!
//! Declared once in tests/it/main.rs; a test module uses it with
//! `use crate::support;`. Each module uses only a
//! subset, hence the allows below.
#![allow(dead_code, unused_imports)]

pub mod account;
pub mod answers;
pub mod archive;
pub mod auth_goproxy;
pub mod dist;
pub mod forward_proxy;
pub mod go_fixtures;
pub mod modproxy;
pub mod nginx;
pub mod output;
pub mod sandbox;
pub mod schemas;
pub mod server;
pub mod slow;
pub mod snapshot;
pub mod sumdb;
pub mod tls;
pub mod venv;
pub mod vulndb;

pub use account::Account;
pub use archive::{
    ARCHIVE_MTIME, Hostile, IndexBuilder, IndexFile, ToolchainArchive, archive_filename,
    hostile_archive, sha256_hex, toolchain_archive,
};
pub use forward_proxy::ForwardProxy;
pub use output::describe;
pub use sandbox::{Sandbox, list_dir, run_measured, run_program};
pub use server::{RecordedRequest, TestServer, http_date, parse_http_date, start_refusing_port};
pub use slow::{Misbehaviour, SlowServer};
pub use tls::TlsServer;
pub use vulndb::{OsvEntry, VulnDb, range};
