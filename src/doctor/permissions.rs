//! Whether another account could change gov's state: GOV_HOME and the
//! folders above it, what is directly in it, GOV_BIN_DIR, and every
//! installed tree's `bin/`. Root refuses such state; doctor reports it for
//! every account.

use crate::core::installed;
use crate::core::layout::Layout;
use crate::core::perms;
use crate::doctor::{Check, Section, Status};

pub fn checks(layout: &Layout) -> Vec<Check> {
    let uid = perms::euid();
    let mut loose = perms::state_findings(layout, uid);
    for i in installed::list(layout).unwrap_or_default() {
        let bin = i.goroot.join("bin");
        for p in [
            i.goroot.clone(),
            bin.clone(),
            bin.join("go"),
            bin.join("gofmt"),
        ] {
            loose.extend(perms::check_one(&p, uid));
        }
    }
    if loose.is_empty() {
        return vec![Check::new(
            Section::Environment,
            "state.permissions",
            Status::Ok,
            format!(
                "{} and {} can be changed only by this account (or root)",
                layout.home().display(),
                layout.bin_dir().display()
            ),
        )];
    }
    loose
        .into_iter()
        .map(|l| {
            Check::new(
                Section::Environment,
                "state.permissions",
                Status::Problem,
                format!("{}: {}", l.path.display(), l.why),
            )
            .advice(format!(
                "another account could change the Go that runs here (root refuses to run from it): \
                 `chown {uid} {p}` and `chmod go-w {p}`",
                p = l.path.display()
            ))
        })
        .collect()
}
