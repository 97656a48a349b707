//! gov's integration tests: one binary, so the shared fixtures in
//! [`support`] compile once. Each module covers one area. Without features
//! this is the fast tier; modules and tests that need something real (a Go
//! toolchain, root and accounts, nginx, ansible, the release build) sit
//! behind the `tier-*` features (docs/dev/testing.md). Helpers of gated
//! tests are unused below `tier-all`, hence the `allow`s; CI's clippy runs
//! with `--features tier-all` too, where they are checked.

mod support;

#[cfg(feature = "tier-ansible")]
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod ansible;
mod architecture;
mod completions;
mod config;
mod corpnet_http_proxy_install;
#[cfg(feature = "tier-toolchains")]
mod corpnet_private;
mod corpnet_refusals;
mod corpnet_trust;
mod docs;
mod doctor;
#[cfg(feature = "tier-accounts")]
mod doctor_accounts;
mod doctor_advice;
mod doctor_builds;
mod doctor_layouts;
mod doctor_shared_cache;
mod env_shell;
mod everyday;
mod function_length;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod gomirror_modules;
#[cfg(all(feature = "tier-nginx", feature = "tier-toolchains"))]
mod gomirror_switch;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod gomirror_toolchains;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod hostile_checkouts;
mod hostile_network;
mod install;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod installer;
#[cfg(feature = "tier-accounts")]
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod layers;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod lifecycle;
#[cfg(feature = "tier-accounts")]
mod local_accounts;
mod machine;
mod migrate;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod mirror;
mod net_messages;
mod persist_files;
mod persist_shells;
mod proofs_log;
mod proofs_outdated;
mod proofs_require;
mod proofs_verify;
mod properties;
mod proxy;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod proxy_toolchains;
#[cfg_attr(not(feature = "tier-all"), allow(dead_code, unused_imports))]
mod proxy_values;
#[cfg(feature = "tier-toolchains")]
mod real_toolchains;
mod render_doctor;
mod render_schemas;
mod select;
mod shell_output;
mod support_selftest;
mod templates;
