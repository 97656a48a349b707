//! gov's integration tests: one binary, so the shared fixtures in
//! [`support`] compile once. Each module covers one area; slow modules and
//! tests sit behind the `tier-*` features (docs/dev/testing.md).

mod support;

mod ansible;
mod architecture;
mod completions;
mod config;
mod doctor;
mod env_shell;
mod everyday;
mod hostile_checkouts;
mod hostile_network;
mod install;
mod installer;
mod layers;
mod lifecycle;
mod local_accounts;
mod machine;
mod migrate;
mod mirror;
mod net_messages;
mod persist_files;
mod persist_shells;
mod properties;
mod proxy;
mod proxy_toolchains;
mod proxy_values;
mod real_toolchains;
mod select;
mod shell_output;
mod support_selftest;
mod templates;
