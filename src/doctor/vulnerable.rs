//! Is the version selected here affected by a known vulnerability? Read
//! from the vulnerability data `gov outdated` cached (doctor stays fast and
//! never waits on the database), with the upgrade that fixes it.

use crate::app::App;
use crate::doctor::{Check, Section, Status};
use crate::lifecycle::layers;
use crate::lifecycle::outdated::{Evaluator, newest_of_line};
use crate::lifecycle::vulndb::{self, Mode};

const V: Section = Section::Versions;
const ID: &str = "versions.vulnerabilities";

pub fn checks(app: &App) -> Vec<Check> {
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let layers = layers::layers(app);
    let all = layers::installed(&layers).unwrap_or_default();
    let Some(sel) = crate::entry::select::select(&app.layers(), &cwd)
        .ok()
        .flatten()
    else {
        return Vec::new();
    };
    let Some(version) = layers::resolve(&sel.request, &all) else {
        return Vec::new();
    };
    let db = match vulndb::load(&app.layout, &|| app.client(), Mode::CachedOnly) {
        Ok(db) => db,
        Err(e) => {
            return vec![
                Check::new(V, ID, Status::Warning, e.to_string())
                    .advice(e.advice().unwrap_or("check GOV_VULNDB").to_string()),
            ];
        }
    };
    let Some(src) = db.sources.iter().find(|s| s.available()) else {
        return vec![Check::new(
            V,
            ID,
            Status::Skipped,
            "no vulnerability data cached yet: `gov outdated` fetches it",
        )];
    };
    let age = vulndb::describe_age(src.age_seconds.unwrap_or(0));
    let idx = crate::net::index::load_cached_only(&app.layout);
    let newest = idx.as_ref().and_then(|i| newest_of_line(i, &version));
    let found = Evaluator::new(&db.entries).affecting(&version, newest.as_ref());
    if found.is_empty() {
        return vec![Check::new(
            V,
            ID,
            Status::Ok,
            format!(
                "Go {version} ({}) has no known vulnerabilities (data checked {age} ago)",
                sel.source
            ),
        )];
    }
    let ids: Vec<&str> = found.iter().map(|v| &*v.id).collect();
    let finding = format!(
        "Go {version} ({}) has {} known vulnerabilit{}: {} (data checked {age} ago)",
        sel.source,
        found.len(),
        if found.len() == 1 { "y" } else { "ies" },
        ids.join(", ")
    );
    let fixed_by_newest = found.iter().all(|v| v.fixed_in_newest_patch == Some(true));
    let advice = match &newest {
        Some(n) if *n > version && fixed_by_newest => format!(
            "`gov upgrade {}` installs {n}, which fixes them, and moves the global selection",
            version.line()
        ),
        Some(n) if *n > version => format!(
            "`gov upgrade {}` installs {n}; some are fixed only in newer lines: `gov install latest`",
            version.line()
        ),
        _ => "fixed only in newer lines: `gov install latest`, then select it".to_string(),
    };
    vec![Check::new(V, ID, Status::Warning, finding).advice(advice)]
}
