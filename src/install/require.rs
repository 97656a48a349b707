//! GOV_REQUIRE: the proofs every install must have. The nearest value
//! (environment, else the account's config) applies together with the
//! system layer's, so root sets a floor every account keeps: an account
//! may add proofs, never drop the system's.

use crate::core::config::{self, Origin};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::installed::Proof;

pub const KEY: &str = "GOV_REQUIRE";

/// A required proof, and where the requirement was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required {
    pub proof: Proof,
    pub from: String,
}

/// The proofs required of this account's installs.
pub fn required() -> Result<Vec<Required>> {
    let values = config::lookup_all(KEY);
    let nearest = values.first();
    let system = values
        .iter()
        .find(|(_, origin)| matches!(origin, Origin::File { system: true, .. }));
    let mut out: Vec<Required> = Vec::new();
    for (value, origin) in nearest.into_iter().chain(system) {
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let proof = Proof::parse(name).ok_or_else(|| {
                Error::invalid(format!(
                    "{KEY} names `{name}` ({origin}), which is not a proof gov checks"
                ))
                .with_advice("the proofs are sha256, log and signature, comma-separated")
            })?;
            if !out.iter().any(|r| r.proof == proof) {
                out.push(Required {
                    proof,
                    from: origin.to_string(),
                });
            }
        }
    }
    out.sort_by_key(|r| r.proof);
    Ok(out)
}

/// Refuses an install missing a required proof, naming each missing one
/// and why it is missing (`missing` holds the reasons the install knows).
pub(crate) fn check(
    version: &str,
    required: &[Required],
    passed: &[Proof],
    missing: &[(Proof, String)],
) -> Result<()> {
    let lacking: Vec<String> = required
        .iter()
        .filter(|r| !passed.contains(&r.proof))
        .map(|r| {
            let why = missing
                .iter()
                .find(|(p, _)| *p == r.proof)
                .map_or("it was not checked", |(_, why)| why.as_str());
            format!(
                "{} (required by {KEY} in {}): {why}",
                r.proof.as_str(),
                r.from
            )
        })
        .collect();
    if lacking.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Checksum,
        format!(
            "Go {version} lacks a required proof; nothing was installed:\n    {}",
            lacking.join("\n    ")
        ),
    )
    .with_advice(
        "make the proof reachable (the checksum database, the mirror's .asc files), or install from a \
         source that has it; `gov config show` says where GOV_REQUIRE is set",
    ))
}
