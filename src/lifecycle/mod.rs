//! Keeping installed Go patched: `outdated` (newest patch per line, line
//! support, known vulnerabilities from the Go vulnerability database),
//! `upgrade` (newest patch, global selection moved within its line) and
//! `prune` (superseded patches nothing selects). Owns the vulnerability
//! database client and its cache, the OSV range reading, and the view of
//! installed versions and selections across state layers. Uses `core`,
//! `net`, `entry` (selection) and `install` (installs and removals).

pub mod layers;
pub mod osv;
pub mod outdated;
pub mod prune;
pub mod selection;
pub mod semver;
pub mod upgrade;
pub mod vulndb;
