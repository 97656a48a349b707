//! The log proof of a release install. Every release since go1.21rc2 is
//! also the module `golang.org/toolchain@v0.0.1-go<v>.linux-<goarch>`,
//! packed by cmd/distpack from the same tree as the archive, and its `h1:`
//! is in the checksum database's public log. So while the archive streams
//! (the `h1:` comes from the digests the extraction computes), a thread
//! looks the module up with the same client and proofs proxy installs use
//! (signed tree head, inclusion through tiles, consistency with the stored
//! head), and the tree is published only if the two agree.
//!
//! A release older than distpack, GOSUMDB=off, or a database that does not
//! answer give no proof and a reason, never a refusal; a database that
//! answers with a forged or forked log, or a record the archive does not
//! match, refuses the install.

use crate::app::App;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::layout::Layout;
use crate::core::version::GoVersion;
use crate::install::plan::Plan;
use crate::install::proxy::{self, Got, Http, HttpFetch, ProxySettings};
use crate::install::unpack::FileDigests;
use crate::settings::proxy::{self as settings, SumDb};
use crate::trust::client::Client;
use crate::trust::distpack::{ArchiveHash1, ModuleLayout, TOOLCHAIN_MODULE};
use crate::trust::error::ErrorKind as TrustKind;
use crate::trust::store::DiskStore;

/// Why an install has no log proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The release predates toolchain modules.
    BeforeModules,
    /// GOSUMDB=off, with where it was set.
    Disabled(String),
    /// The database (or every way to it) did not answer.
    Unreachable(String),
    /// The database answered but holds no usable record.
    NoRecord(String),
}

/// Why there is no proof, in a sentence (after "no log proof: ").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoProof {
    pub missing: Missing,
    pub why: String,
}

impl NoProof {
    fn new(missing: Missing, why: String) -> NoProof {
        NoProof { missing, why }
    }
}

/// What the database said about the release's module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The record proven in the log: the `h1:` the tree must have.
    Record {
        db: String,
        zip_hash: String,
    },
    NoProof(NoProof),
}

/// A lookup ready to run on another thread: everything it needs from the
/// `App` is taken on the caller's thread.
pub struct Request {
    net: Http,
    settings: ProxySettings,
    mirrors: Vec<String>,
    layout: Layout,
    module_version: String,
}

/// The lookup for `plan`, or why there is none to make.
pub(crate) fn prepare(app: &App, plan: &Plan) -> std::result::Result<Request, NoProof> {
    request(app, &plan.version, &plan.arch, plan.local.is_none())
}

/// A lookup of `version`'s toolchain module for `arch` outside an install
/// (`gov outdated` asking whether a patch exists); the release mirrors'
/// `sumdb/` are asked first as for installs.
pub fn for_release(
    app: &App,
    version: &GoVersion,
    arch: &str,
) -> std::result::Result<Request, NoProof> {
    request(app, version, arch, true)
}

fn request(
    app: &App,
    version: &GoVersion,
    arch: &str,
    ask_mirrors: bool,
) -> std::result::Result<Request, NoProof> {
    let Some(layout) = ModuleLayout::new(version, arch) else {
        return Err(NoProof::new(
            Missing::BeforeModules,
            "it was released before toolchains were published as modules (go1.21rc2), which the checksum database records"
                .to_string(),
        ));
    };
    if let Some(from) = sumdb_disabled(app) {
        return Err(NoProof::new(
            Missing::Disabled(from.clone()),
            format!("the checksum database is disabled by GOSUMDB=off ({from})"),
        ));
    }
    let unusable =
        |e: Error| NoProof::new(Missing::Unreachable(e.message().into()), e.message().into());
    let settings = proxy::resolve_settings(app).map_err(unusable)?;
    let net = Http::for_app(app).map_err(unusable)?;
    let mirrors = if ask_mirrors {
        crate::install::mirrors().unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Request {
        net,
        settings,
        mirrors,
        layout: app.layout.clone(),
        module_version: layout.module_version().to_string(),
    })
}

/// Where GOSUMDB=off was set, when it is.
fn sumdb_disabled(app: &App) -> Option<String> {
    let eff = settings::effective(&app.layers(), None);
    let gosumdb = eff.iter().find(|e| e.key == "GOSUMDB")?;
    match settings::parse_gosumdb(&gosumdb.value) {
        Ok(SumDb::Off) => Some(gosumdb.source.clone()),
        _ => None,
    }
}

impl Request {
    /// Runs the lookup. An error is a refusal: the database proved
    /// something false (a forged record, a forked log).
    pub fn run(&self) -> Result<Answer> {
        let name = self.settings.verifier.name().to_string();
        let base = match self.database_base() {
            Ok(b) => b,
            Err(why) => return Ok(Answer::NoProof(unreachable(&name, &why))),
        };
        let fetch = HttpFetch {
            net: &self.net,
            base: base.clone(),
        };
        let store = DiskStore::new(&self.layout, &name);
        let client = Client::with_verifier(self.settings.verifier.clone(), &fetch, &store, &store);
        let module = format!("{TOOLCHAIN_MODULE}@{}", self.module_version);
        match client.lookup(TOOLCHAIN_MODULE, &self.module_version) {
            Ok(found) => Ok(Answer::Record {
                db: name,
                zip_hash: found.zip_hash,
            }),
            Err(e) => match e.kind() {
                TrustKind::Io => Ok(Answer::NoProof(unreachable(&name, e.message()))),
                TrustKind::Missing | TrustKind::Malformed => Ok(Answer::NoProof(NoProof::new(
                    Missing::NoRecord(e.message().to_string()),
                    format!(
                        "the checksum database {name} at {base} has no usable record of {module}"
                    ),
                ))),
                TrustKind::Forged | TrustKind::Inconsistent => {
                    let err: Error = e.into();
                    Err(err.with_advice(format!(
                        "nothing was installed; the checksum database {name} at {base} answered with a \
                         forged or forked log: check GOSUMDB and the mirrors' sumdb/ folders, and report it"
                    )))
                }
            },
        }
    }

    /// GOSUMDB's URL when it names one; else the first release mirror
    /// serving `sumdb/<name>/supported` (a mirror carries the snapshot for
    /// air-gapped hosts), then the module proxies, then the database itself.
    fn database_base(&self) -> std::result::Result<String, String> {
        if let Some(url) = &self.settings.sumdb_url {
            return Ok(url.trim_end_matches('/').to_string());
        }
        let name = self.settings.verifier.name();
        for mirror in &self.mirrors {
            let base = format!("{mirror}/sumdb/{name}");
            if let Ok(Got::Found(_)) = proxy::get_small(&self.net, &format!("{base}/supported")) {
                return Ok(base);
            }
        }
        proxy::sumdb_base(&self.net, &self.settings).map_err(|e| e.message().to_string())
    }
}

/// The answer when no lookup was made (a second fill of the same stage).
pub fn not_asked() -> Answer {
    Answer::NoProof(NoProof::new(
        Missing::Unreachable(String::new()),
        "the checksum database was not asked".to_string(),
    ))
}

fn unreachable(db: &str, detail: &str) -> NoProof {
    NoProof::new(
        Missing::Unreachable(detail.to_string()),
        format!("the checksum database {db} did not answer"),
    )
}

/// The `h1:` of the release's toolchain module, from the digests the
/// extraction computed (no second read of the files).
pub fn tree_hash(plan_layout: ModuleLayout, digests: &FileDigests) -> Result<String> {
    let mut hash = ArchiveHash1::new(plan_layout);
    for (rel, d) in digests {
        hash.add(&format!("go/{rel}"), d.sha256)
            .map_err(Error::from)?;
    }
    Ok(hash.finish())
}

/// Compares the tree with the log's record: `Ok(true)` when proven,
/// `Ok(false)` when there is nothing to compare, an error naming both
/// hashes when they differ.
pub(crate) fn check(
    plan: &Plan,
    digests: &FileDigests,
    answer: &Answer,
    from: &str,
) -> Result<bool> {
    let Answer::Record { db, zip_hash } = answer else {
        return Ok(false);
    };
    let Some(layout) = ModuleLayout::new(&plan.version, &plan.arch) else {
        return Ok(false);
    };
    let module = format!("{TOOLCHAIN_MODULE}@{}", layout.module_version());
    let ours = tree_hash(layout, digests)?;
    if &ours == zip_hash {
        return Ok(true);
    }
    Err(Error::new(
        ErrorKind::Checksum,
        format!(
            "log mismatch for {} from {from}: the checksum database {db} records {module} as {zip_hash}, \
             but the archive's tree hashes to {ours}",
            plan.filename
        ),
    )
    .with_advice(
        "nothing was installed; the archive matches the release index but not the public log, so the \
         index and the mirror serve a release Go never published: use go.dev's index and dl.google.com \
         (GOV_INDEX_URL, GOV_MIRROR) and report the mirror",
    ))
}
