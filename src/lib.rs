//! gov: a Go toolchain manager. The binary (`main.rs`) is a thin CLI over
//! this library.

pub mod adopt;
pub mod app;
pub mod arch;
pub mod cli;
pub mod complete;
pub mod doctor;
pub mod entry;
pub mod entrypoints;
pub mod error;
pub mod fsutil;
pub mod goenv;
pub mod http;
pub mod index;
pub mod install;
pub mod installed;
pub mod layout;
pub mod lock;
pub mod netrc;
pub mod persist;
pub mod pipeline;
pub mod proxy;
pub mod select;
pub mod self_update;
pub mod shim;
pub mod sumdb;
pub mod ui;
pub mod unpack;
pub mod version;

pub use error::{Error, ErrorKind, Result};
