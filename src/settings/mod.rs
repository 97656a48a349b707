//! Settings that shape every `go` gov starts: module-proxy values validated
//! as cmd/go parses them, presets, gov's profile file, Go's own env layers
//! (`go env -w`, `$GOROOT/go.env`), and persistence into login shells and
//! systemd, and the validation of every key of `core::registry`
//! (`registry`). Uses `core` (and `trust` for verifier keys' notes).

pub mod goauth;
pub mod goenv;
pub mod goflags;
pub mod persist;
pub mod proxy;
pub mod reference;
pub mod registry;
pub mod trust_store;
