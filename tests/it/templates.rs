//! The templates under shims/ as gov renders them: every sh output passes
//! shellcheck, with awkward but legal paths (spaces, quotes, `$`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use gov::core::layout::Layout;

fn shellcheck(name: &str, script: &str) {
    let mut child = Command::new("shellcheck")
        .args(["--shell=sh", "--severity=style", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("shellcheck is needed for this test ({e}); scripts/test installs it")
        });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write to shellcheck");
    let out = child.wait_with_output().expect("shellcheck runs");
    assert!(
        out.status.success(),
        "{name} fails shellcheck:\n{}\n--- script ---\n{script}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Paths as gov renders them; the second is legal but hostile to quoting.
const PATHS: &[&str] = &["/usr/local/gov", "/srv/go tools/it's $HOME"];

fn has_placeholder(s: &str) -> bool {
    s.split('@')
        .skip(1)
        .step_by(2)
        .any(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
}

#[test]
fn env_shims_pass_shellcheck() {
    let home = Path::new(PATHS[0]);
    let user = Path::new(PATHS[1]);
    let own = user.join("env");
    // A user-layer shim names its own profile; a system-layer shim finds
    // the caller's at run time.
    for (layer, own) in [("user", Some(own.as_path())), ("system", None)] {
        for tool in ["go", "gofmt"] {
            let s = gov::entry::shim::render(
                "1.22.5",
                &home.join("versions/1.22.5"),
                tool,
                own,
                &home.join("env"),
            );
            assert!(s.starts_with("#!/bin/sh\n"));
            assert!(
                !has_placeholder(&s),
                "a placeholder was left unrendered:\n{s}"
            );
            shellcheck(&format!("the {layer} {tool} shim"), &s);
        }
    }
}

/// A stand-in `go` of 1.22.5 under `home` (`versions/1.22.5/bin/go`): the
/// shell `script`, executable.
fn fake_go(home: &Path, script: &str) {
    let bin = home.join("versions/1.22.5/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let fake = bin.join("go");
    std::fs::write(&fake, script).expect("write");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
}

/// Under a hostile but legal GOV_HOME the shim still runs its own tool with
/// its own GOROOT and reads gov's profile.
#[test]
fn env_shim_runs_under_a_hostile_home() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let home = tmp.path().join("go tools/it's $HOME");
    fake_go(
        &home,
        "#!/bin/sh\nprintf '%s|%s|%s' \"$GOROOT\" \"$GOPROXY\" \"$*\"\n",
    );
    std::fs::write(home.join("env"), "GOPROXY=https://goproxy.cn,direct\n").expect("profile");
    let s = gov::entry::shim::render(
        "1.22.5",
        &home.join("versions/1.22.5"),
        "go",
        Some(&home.join("env")),
        &tmp.path().join("no system profile"),
    );
    let shim = tmp.path().join("shim");
    std::fs::write(&shim, s).expect("write shim");
    let out = Command::new("sh")
        .arg(&shim)
        .args(["version", "a b"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", tmp.path())
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "{}|https://goproxy.cn,direct|version a b",
            home.join("versions/1.22.5").display()
        )
    );
}

/// The layers in sh, as in the Rust entry point: the environment, then
/// `go env -w`, then the account's profile, then the system profile. A
/// system-layer shim finds the account's profile from GOV_HOME or HOME when
/// it runs, and one run with no home at all still applies the system one.
#[test]
fn env_shim_applies_the_layers_in_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sys = tmp.path().join("system");
    fake_go(
        &sys,
        "#!/bin/sh\nprintf '%s|%s|%s|%s' \"$GOPROXY\" \"$GOPRIVATE\" \"$GOSUMDB\" \"$GOFLAGS\"\n",
    );
    std::fs::write(
        sys.join("env"),
        "GOPROXY=https://sys.example\nGOPRIVATE=sys.example/*\nGOSUMDB=off\nGOFLAGS=-sys\n",
    )
    .expect("system profile");
    let home = tmp.path().join("alice");
    let own = home.join(".local/share/gov");
    std::fs::create_dir_all(&own).expect("mkdir");
    std::fs::write(
        own.join("env"),
        "GOPROXY=https://own.example\nGOSUMDB=sum.golang.org\n",
    )
    .expect("own profile");
    std::fs::create_dir_all(home.join(".config/go")).expect("mkdir");
    std::fs::write(
        home.join(".config/go/env"),
        "GOSUMDB=sum.golang.google.cn\n",
    )
    .expect("go env -w file");
    let s = gov::entry::shim::render(
        "1.22.5",
        &sys.join("versions/1.22.5"),
        "go",
        None,
        &sys.join("env"),
    );
    let shim = tmp.path().join("shim");
    std::fs::write(&shim, s).expect("write shim");
    let run = |envs: &[(&str, &Path)], extra: &[(&str, &str)]| {
        let mut c = Command::new("sh");
        c.arg(&shim).env_clear().env("PATH", "/usr/bin:/bin");
        for (k, v) in envs {
            c.env(k, v);
        }
        for (k, v) in extra {
            c.env(k, v);
        }
        let out = c.output().expect("sh runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The account's profile over the system's; `go env -w` over both
    // (the shim leaves GOSUMDB to Go, which reads the file); the
    // environment over all.
    assert_eq!(
        run(&[("HOME", &home)], &[("GOFLAGS", "-env")]),
        "https://own.example|sys.example/*||-env"
    );
    // GOV_HOME names the account's layer when set.
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::fs::write(elsewhere.join("env"), "GOPROXY=https://elsewhere.example\n").expect("profile");
    assert_eq!(
        run(&[("HOME", &home), ("GOV_HOME", &elsewhere)], &[]),
        "https://elsewhere.example|sys.example/*||-sys"
    );
    // No home at all: the system profile alone.
    assert_eq!(run(&[], &[]), "https://sys.example|sys.example/*|off|-sys");
    // A hostile system profile: values are data, never run; keys that are
    // not variable names are skipped.
    let marker = tmp.path().join("ran");
    std::fs::write(
        sys.join("env"),
        format!(
            "GOPROXY=$(touch {m})`touch {m}`\nA;touch {m}=1\nGOFLAGS=-x ; touch {m}\nGOPRIVATE=*\n",
            m = marker.display()
        ),
    )
    .expect("hostile profile");
    assert_eq!(
        run(&[], &[]),
        format!(
            "$(touch {m})`touch {m}`|*||-x ; touch {m}",
            m = marker.display()
        )
    );
    assert!(!marker.exists(), "a profile value was executed");
}

#[test]
fn profile_snippet_passes_shellcheck_and_means_what_it_says() {
    let layout = Layout::new("/usr/local/gov".into(), "/usr/local/bin".into());
    let s = gov::settings::persist::sh_lines(&layout);
    assert!(!has_placeholder(&s), "{s}");
    shellcheck("the profile snippet", &format!("#!/bin/sh\n{s}"));
    // A hostile but legal directory lands on PATH verbatim, once.
    let bin = Path::new(PATHS[1]).join("bin");
    let layout = Layout::new(Path::new(PATHS[1]).join("home"), bin.clone());
    let s = gov::settings::persist::sh_lines(&layout);
    let script = format!("PATH=/usr/bin:/bin\n{s}{s}printf %s \"$PATH\"");
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}:/usr/bin:/bin", bin.display())
    );
}

#[test]
fn environment_d_lines_are_key_value() {
    let layout = Layout::new("/usr/local/gov".into(), "/usr/local/bin".into());
    let s = gov::settings::persist::environment_d_lines(&layout);
    assert!(s.starts_with("PATH=/usr/local/bin:${PATH}\n"), "{s}");
    for line in s.lines() {
        assert!(line.split_once('=').is_some(), "not KEY=VALUE: {line:?}");
    }
}
