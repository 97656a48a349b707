//! Core types every other folder builds on: Go versions and their order,
//! architectures, the typed on-disk layout and its layers (the account's own, the system's), errors (kind, cause chain,
//! advice), crash-safe filesystem primitives and OS file locks, the inventory
//! of installed trees, shell quoting, the reporting interface, the registry
//! of every setting (`registry`), where values come from and the one
//! format of the layers' settings files (`config`), and the process
//! environment as one value passed down (`env`).
//! Uses nothing else in gov.

pub mod arch;
pub mod config;
pub mod env;
pub mod error;
pub mod fsutil;
pub mod installed;
pub mod layers;
pub mod layout;
pub mod lock;
pub mod perms;
pub mod quote;
pub mod registry;
pub mod report;
pub mod safe_read;
pub mod shared_dir;
pub mod style;
pub mod suggest;
pub mod template;
pub mod version;
