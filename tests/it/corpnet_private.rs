//! Private modules on a company network, driven through gov's `go` entry
//! point with a real toolchain: a company proxy that wants a login serves
//! the only copy of a private module, a test checksum database vouches for
//! the public one, and `gov proxy use corp --private-via` decides where
//! the private one is fetched from.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::auth_goproxy::AuthGoProxy;
use support::sumdb::{self, ZipBuilder};
use support::{Sandbox, run_program};

const PRIVATE: &str = "git.corp.example/platform/lib";
const PUBLIC: &str = "example.com/greet";
const DOS_TIME: (u16, u16) = (0, 0x5821);

/// A sandbox with the real go1.22.10 installed through gov and global.
fn real_sandbox() -> Sandbox {
    let tarball = sumdb::go_fixture_tarball("1.22.10");
    let mirror = tarball.parent().unwrap_or_else(|| Path::new("/"));
    let sb = Sandbox::new();
    let index = std::fs::read(mirror.join("index.json"))
        .unwrap_or_else(|e| panic!("reading the fixture index: {e}"));
    sb.server.put("/dl/index.json", index);
    for v in ["1.22.10", "1.21.13"] {
        let name = format!("go{v}.linux-amd64.tar.gz");
        sb.server
            .put_file(&format!("/dl/{name}"), &mirror.join(&name));
    }
    sb.ok(&["install", "1.22.10"]);
    sb.ok(&["global", "1.22.10"]);
    sb
}

/// One module version in the GOPROXY layout: (path, body) pairs, and its
/// `zip` and `go.mod` hashes.
struct ModuleFiles {
    files: Vec<(String, Vec<u8>)>,
    zip_h1: String,
    mod_h1: String,
}

fn module(path: &str, version: &str, source: &str) -> ModuleFiles {
    let gomod = format!("module {path}\n\ngo 1.21\n");
    let pkg = path.rsplit('/').next().unwrap_or(path);
    let mut zip = ZipBuilder::default();
    zip.add(
        &format!("{path}@{version}/go.mod"),
        gomod.as_bytes(),
        0o644,
        DOS_TIME,
    );
    zip.add(
        &format!("{path}@{version}/{pkg}.go"),
        format!("package {pkg}\n\n{source}\n").as_bytes(),
        0o644,
        DOS_TIME,
    );
    let base = format!("/{path}/@v");
    ModuleFiles {
        files: vec![
            (format!("{base}/list"), format!("{version}\n").into_bytes()),
            (
                format!("{base}/{version}.info"),
                format!("{{\"Version\":\"{version}\",\"Time\":\"2024-01-02T03:04:05Z\"}}\n")
                    .into_bytes(),
            ),
            (format!("{base}/{version}.mod"), gomod.clone().into_bytes()),
            (format!("{base}/{version}.zip"), zip.finish()),
        ],
        zip_h1: zip.h1(),
        mod_h1: sumdb::go_mod_h1(gomod.as_bytes()),
    }
}

/// A shell through gov's entry points, with only what a login on the
/// build host would have (HOME, gov's variables) plus a fresh GOPATH.
fn go_sh(sb: &Sandbox, work: &Path, gopath: &Path, script: &str) -> Output {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/go-fixtures/gocache");
    let mut c = Command::new("sh");
    c.current_dir(work)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", sb.bin().display()))
        .env("GOCACHE", cache)
        .env("GOPATH", gopath)
        .env("GOFLAGS", "-modcacherw");
    for (k, v) in sb.std_cmd().get_envs() {
        if let (Some(k), Some(v)) = (k.to_str(), v)
            && (k.starts_with("GOV_") || k == "HOME" || k == "XDG_CONFIG_HOME")
        {
            c.env(k, v);
        }
    }
    run_program(c.arg("-c").arg(script))
}

fn app(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("go.mod"), "module example.com/app\n\ngo 1.21\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.join("main.go"),
        format!(
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"{PUBLIC}\"\n\t\"{PRIVATE}\"\n)\n\n\
             func main() {{ fmt.Println(greet.Hello(), lib.Name()) }}\n"
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    dir.to_path_buf()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `--private-via proxy`: the private module comes from the company proxy
/// (its only copy, over HTTPS behind a login that `gov proxy login` stored
/// in .netrc for `host:port`), the public one is
/// checked against the checksum database, and the database never hears of
/// the private path. `--private-via direct` sends the private module to
/// version control instead (unreachable here), past the proxy.
#[test]
fn private_modules_come_through_the_company_proxy_and_stay_off_the_checksum_database() {
    let sb = real_sandbox();
    let certs = sb.dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap_or_else(|e| panic!("{e}"));
    let corp = AuthGoProxy::start_tls("builder", "s3cret-corp-token", &certs);
    let login = sb
        .cmd()
        .args(["proxy", "login", &corp.url(), "--user", "builder"])
        .write_stdin("s3cret-corp-token\n")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(login.status.success(), "{}", text(&login));
    assert!(!text(&login).contains("s3cret"), "{}", text(&login));
    let public = module(
        PUBLIC,
        "v1.0.0",
        "func Hello() string { return \"hello from greet\" }",
    );
    let private = module(PRIVATE, "v1.0.0", "func Name() string { return \"lib\" }");
    for (path, body) in public.files.iter().chain(&private.files) {
        corp.put(path, body.clone());
    }
    let db = sumdb::Fixture::start("sum.corp.test", [7; 32], Vec::new(), 40);
    db.push_record(sumdb::record_text(
        PUBLIC,
        "v1.0.0",
        &public.zip_h1,
        &public.mod_h1,
    ));
    // A later public version whose zip is not the one the database vouches
    // for: proof that public hashes really are checked against it.
    let forged = module(
        PUBLIC,
        "v1.0.1",
        "func Hello() string { return \"forged\" }",
    );
    let honest = module(
        PUBLIC,
        "v1.0.1",
        "func Hello() string { return \"honest\" }",
    );
    db.push_record(sumdb::record_text(
        PUBLIC,
        "v1.0.1",
        &honest.zip_h1,
        &honest.mod_h1,
    ));
    for (path, body) in forged.files.iter().skip(1) {
        corp.put(path, body.clone());
    }

    let use_corp = |via: &str| {
        sb.ok(&[
            "proxy",
            "use",
            "corp",
            "--url",
            &corp.url(),
            "--private",
            "git.corp.example",
            "--private-via",
            via,
        ]);
        sb.ok(&[
            "proxy",
            "set",
            &format!("GOSUMDB={} {}", db.vkey(), db.sumdb_url()),
        ]);
    };

    use_corp("proxy");
    let work = app(&sb.dir.path().join("app"));
    let gopath = sb.dir.path().join("gopath-proxy");
    // The company CA is not among the system roots: Go refuses the proxy
    // until `gov trust add` gives every go the system roots plus that CA.
    let out = go_sh(&sb, &work, &gopath, &format!("go get {PRIVATE}@v1.0.0"));
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("certificate signed by unknown authority"),
        "{all}"
    );
    let ca = corp.ca.clone().unwrap_or_default();
    sb.ok(&["trust", "add", &ca.display().to_string()]);
    let profile = std::fs::read_to_string(sb.home().join("env")).unwrap_or_default();
    assert!(
        profile.contains(&format!(
            "SSL_CERT_FILE={}\n",
            sb.home().join("trust/bundle.pem").display()
        )),
        "{profile}"
    );
    let bundle = std::fs::read_to_string(sb.home().join("trust/bundle.pem")).unwrap_or_default();
    let system = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    let count = |t: &str| t.matches("-----BEGIN CERTIFICATE-----").count();
    assert_eq!(
        count(&bundle),
        count(&system) + 1,
        "the system roots are kept"
    );
    let out = go_sh(
        &sb,
        &work,
        &gopath,
        &format!(
            "go env GOPRIVATE GONOPROXY GONOSUMDB && go get {PUBLIC}@v1.0.0 {PRIVATE}@v1.0.0 && go build -o app . && ./app"
        ),
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout)
        .unwrap_or_default()
        .lines()
        .collect();
    assert_eq!(
        lines,
        [
            "git.corp.example",
            "none",
            "git.corp.example",
            "hello from greet lib"
        ],
        "{all}"
    );
    let seen = corp.seen();
    assert!(
        seen.iter()
            .any(|s| s.path == format!("/{PRIVATE}/@v/v1.0.0.zip") && s.authorized),
        "the private zip came from the company proxy, logged in: {seen:?}"
    );
    assert!(seen.iter().all(|s| s.authorized), "{seen:?}");
    let asked = db.requests();
    assert!(
        asked
            .iter()
            .any(|r| r.contains(&format!("lookup/{PUBLIC}@v1.0.0"))),
        "the public module was looked up: {asked:?}"
    );
    assert!(
        !asked.iter().any(|r| r.contains("git.corp.example")),
        "the private path reached the checksum database: {asked:?}"
    );
    let sums = std::fs::read_to_string(work.join("go.sum")).unwrap_or_default();
    assert!(
        sums.contains(&format!("{PUBLIC} v1.0.0 {}", public.zip_h1)),
        "{sums}"
    );

    // A public zip the database does not vouch for is refused.
    let out = go_sh(&sb, &work, &gopath, &format!("go get {PUBLIC}@v1.0.1"));
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("SECURITY ERROR"), "{all}");

    // Straight from version control: the private module skips the proxy
    // (and fails here, where no version control host answers).
    use_corp("direct");
    let before = corp.seen().len();
    let work = app(&sb.dir.path().join("app-direct"));
    let out = go_sh(
        &sb,
        &work,
        &sb.dir.path().join("gopath-direct"),
        &format!("go env GONOPROXY && go get {PRIVATE}@v1.0.0"),
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.starts_with("git.corp.example\n"), "{all}");
    let later = &corp.seen()[before..];
    assert!(
        !later.iter().any(|s| s.path.contains("git.corp.example")),
        "{later:?}"
    );
    assert!(
        !db.requests().iter().any(|r| r.contains("git.corp.example")),
        "{:?}",
        db.requests()
    );
}
