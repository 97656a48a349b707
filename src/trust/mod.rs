//! Trust in what the network hands over beyond a checksum from the index:
//! checksum-database verifier keys and signed notes (and the proofs over
//! its log). Pure functions over bytes; uses `core` only.

pub mod key;
pub mod note;
