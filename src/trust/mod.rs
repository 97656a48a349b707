//! Trust in what the network hands over beyond a checksum from the index:
//! the checksum database's verifier keys and signed notes, its transparency
//! log (RFC 6962 hashes, tiles, inclusion and consistency proofs), the
//! `h1:` directory hash (and the release archive's, as distpack packs it), module zip checks, a lookup client independent of
//! HTTP, and the tree heads and tiles it keeps on disk. Uses `core` only.

pub mod client;
pub mod dirhash;
pub mod distpack;
pub mod error;
pub mod note;
pub mod store;
pub mod tlog;
pub mod zipcheck;

pub use error::TrustError;
