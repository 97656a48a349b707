//! The layers an account reads: who owns its own, whether every account
//! can read the system layer, and which layer decided the version and each
//! setting.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{Check, Section, Status};
use crate::core::config;
use crate::core::installed;
use crate::core::layers::Layers;
use crate::core::layout::Layout;
use crate::entry::select;
use crate::settings::proxy;

const L: Section = Section::Layers;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// What is wrong with the system layer's modes.
#[derive(Default)]
struct Exposure {
    /// Another account could not read these (files: o+r; directories:
    /// o+rx; the directories above the layer: o+x).
    unreadable: Vec<PathBuf>,
    /// Someone other than root could change these (group/world-writable,
    /// or owned by another account): they could swap every account's Go.
    writable: Vec<PathBuf>,
}

fn exposure(home: &Path) -> Exposure {
    let mut x = Exposure::default();
    let meta = |p: &Path| std::fs::metadata(p).ok();
    for anc in home.ancestors().skip(1) {
        if let Some(m) = meta(anc)
            && m.mode() & 0o001 == 0
        {
            x.unreadable.push(anc.to_path_buf());
        }
    }
    let mut check = |p: PathBuf| {
        let Some(m) = meta(&p) else {
            return;
        };
        let readable = if m.is_dir() {
            m.mode() & 0o005 == 0o005
        } else {
            m.mode() & 0o004 != 0
        };
        if !readable {
            x.unreadable.push(p.clone());
        }
        if m.mode() & 0o022 != 0 || m.uid() != 0 {
            x.writable.push(p);
        }
    };
    check(home.to_path_buf());
    let layout = Layout::new(home.to_path_buf(), PathBuf::new());
    for p in [
        layout.versions_dir(),
        layout.shims_dir(),
        layout.global_file(),
        layout.config_file(),
        proxy::profile_path(&layout),
    ] {
        check(p);
    }
    for i in installed::list(&layout).unwrap_or_default() {
        let v = i.version.to_string();
        check(i.goroot.clone());
        check(i.goroot.join("bin"));
        check(i.goroot.join("bin/go"));
        check(layout.shim_dir(&v));
        check(layout.shim_dir(&v).join("go"));
    }
    x
}

fn listed(paths: &[PathBuf]) -> String {
    let mut shown: Vec<String> = paths
        .iter()
        .take(5)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 5 {
        shown.push("...".into());
    }
    shown.join(", ")
}

fn system_check(system: &Layout, out: &mut Vec<Check>) {
    let home = system.home();
    if !home.exists() {
        out.push(Check::new(
            L,
            "layers.system",
            Status::Ok,
            format!(
                "no system layer at {} (root has installed nothing for every account)",
                home.display()
            ),
        ));
        return;
    }
    let x = exposure(home);
    if !x.writable.is_empty() {
        out.push(
            Check::new(
                L,
                "layers.system_writable",
                Status::Problem,
                format!(
                    "accounts other than root could change the system layer: {}",
                    listed(&x.writable)
                ),
            )
            .advice(format!(
                "as root: `chown -R root: {home} && chmod -R go-w {home}`, then reinstall the versions (`gov install --force`) if you cannot trust them",
                home = home.display()
            )),
        );
    }
    let bad = x.unreadable;
    if bad.is_empty() {
        let n = installed::list(system).map(|l| l.len()).unwrap_or(0);
        out.push(Check::new(
            L,
            "layers.system",
            Status::Ok,
            format!(
                "system layer {}: readable by every account ({n} version(s))",
                home.display()
            ),
        ));
    } else {
        out.push(
            Check::new(
                L,
                "layers.system",
                Status::Problem,
                format!(
                    "other accounts cannot read the system layer: {}",
                    listed(&bad)
                ),
            )
            .advice(format!(
                "as root: `chmod -R a+rX {}` (gov writes it readable by all; a hand copy or a chmod changed it); their `go` fails with a permission error until then",
                home.display()
            )),
        );
    }
}

fn user_check(layers: &Layers, out: &mut Vec<Check>) {
    let Some(user) = layers.user() else {
        out.push(Check::new(
            L,
            "layers.user",
            Status::Ok,
            "this account's layer is the system layer",
        ));
        return;
    };
    let home = user.home();
    let Ok(meta) = std::fs::metadata(home) else {
        out.push(Check::new(
            L,
            "layers.user",
            Status::Ok,
            format!(
                "no layer of its own yet ({}); the system layer applies",
                home.display()
            ),
        ));
        return;
    };
    let me = euid();
    let mut foreign: Vec<String> = Vec::new();
    if meta.uid() != me {
        foreign.push(format!("{} (uid {})", home.display(), meta.uid()));
    }
    if let Ok(rd) = std::fs::read_dir(home) {
        for e in rd.flatten() {
            if let Ok(m) = e.metadata()
                && m.uid() != me
            {
                foreign.push(format!("{} (uid {})", e.path().display(), m.uid()));
            }
        }
    }
    if foreign.is_empty() {
        let n = installed::list(user).map(|l| l.len()).unwrap_or(0);
        out.push(Check::new(
            L,
            "layers.user",
            Status::Ok,
            format!(
                "own layer {} ({n} version(s)), read before the system layer",
                home.display()
            ),
        ));
    } else {
        foreign.truncate(5);
        out.push(
            Check::new(
                L,
                "layers.user",
                Status::Problem,
                format!("this account's layer is owned by someone else: {}", foreign.join(", ")),
            )
            .advice(format!(
                "give it back: `sudo chown -R {me} {}` (a `sudo gov` run with this GOV_HOME wrote there; use `sudo gov ... --system` for the system layer)",
                home.display()
            )),
        );
    }
}

fn global_check(layers: &Layers, out: &mut Vec<Check>) {
    let own = layers.user().and_then(|l| select::global(l).ok().flatten());
    let system = select::global(layers.system()).ok().flatten();
    let check = match (own, system) {
        (Some(o), Some(s)) if o.raw != s.raw => Check::new(
            L,
            "layers.global",
            Status::Warning,
            format!(
                "this account's global {} ({}) shadows the system global {}",
                o.raw, o.source, s.raw
            ),
        )
        .advice("keep it knowingly, or follow the system's: `gov global --unset`"),
        (Some(o), _) => Check::new(
            L,
            "layers.global",
            Status::Ok,
            format!("global {} from this account's layer", o.raw),
        ),
        (None, Some(s)) => Check::new(
            L,
            "layers.global",
            Status::Ok,
            format!("global {} from the system layer", s.raw),
        ),
        (None, None) => Check::new(L, "layers.global", Status::Ok, "no global in any layer"),
    };
    out.push(check);
}

fn decided_checks(layers: &Layers, out: &mut Vec<Check>) {
    if let Some(cwd) = std::env::current_dir().ok()
        && let Ok(Some(sel)) = select::select(layers, &cwd)
        && let Ok(found) = select::resolve_installed(layers, &sel)
    {
        out.push(Check::new(
            L,
            "layers.version",
            Status::Ok,
            format!(
                "Go {} here: {}, installed in the {} layer ({})",
                found.version,
                sel.source,
                found.layer.name(),
                found.goroot.display()
            ),
        ));
    }
    let goroot = select::current_goroot(layers);
    let mut from: Vec<String> = proxy::effective(layers, goroot.as_deref())
        .into_iter()
        .filter(|e| !matches!(e.origin, "default" | "policy"))
        .map(|e| format!("{} from {}", e.key, e.source))
        .collect();
    for k in config::gov_keys() {
        if let Some((_, origin)) = config::lookup(k.name) {
            let what = match origin {
                config::Origin::Environment => "the environment".to_string(),
                config::Origin::File { path, system } => format!(
                    "the {} config ({})",
                    if system { "system" } else { "user" },
                    path.display()
                ),
            };
            from.push(format!("{} from {what}", k.name));
        }
    }
    let finding = if from.is_empty() {
        "every setting has its default".to_string()
    } else {
        format!("settings: {}", from.join("; "))
    };
    out.push(Check::new(L, "layers.settings", Status::Ok, finding));
}

/// The layer checks.
pub fn checks(layout: &Layout) -> Vec<Check> {
    let layers = Layers::with_own(Some(layout.clone()));
    let mut out = Vec::new();
    system_check(layers.system(), &mut out);
    user_check(&layers, &mut out);
    global_check(&layers, &mut out);
    decided_checks(&layers, &mut out);
    out
}
