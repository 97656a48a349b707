//! `gov mirror sync` publishes every archive as a `golang.org/toolchain`
//! module version (`@v/list`, `.info`, `.mod`, `.zip`), packed as
//! cmd/distpack packs it and checked against the checksum database
//! (tests/it/support/sumdb.rs, whose log is built from the same trees);
//! a zip whose `h1:` the database does not record is never published.

use crate::support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use sha2::{Digest, Sha256};
use support::archive::small_go1_22_10;
use support::sumdb::{Fixture, TOOLCHAIN_MOD, Toolchain};
use support::{Sandbox, toolchain_archive};

const DB: &str = "sum.mirror.test";
const SEED: [u8; 32] = [0x3c; 32];
const MODVER: &str = "v0.0.1-go1.22.10.linux-amd64";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn describe(out: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A sandbox whose upstream serves the stand-in go1.22.10 (and its
/// signature), and a database that records `recorded`.
fn world(recorded: Toolchain) -> (Sandbox, Fixture, PathBuf) {
    let sb = Sandbox::new();
    let a = toolchain_archive("1.22.10", "amd64", 0);
    sb.publish(&[(&a, true)]);
    sb.server.put(
        &format!("/dl/{}.asc", a.filename),
        b"-----BEGIN PGP SIGNATURE-----\nstand-in\n-----END PGP SIGNATURE-----\n".to_vec(),
    );
    let fx = Fixture::start(DB, SEED, vec![recorded], 300);
    let dir = sb.dir.path().join("mirror");
    (sb, fx, dir)
}

pub(crate) fn sync(sb: &Sandbox, fx: &Fixture, dir: &Path) -> Output {
    let keys = crate::mirror::test_keys();
    sb.cmd()
        .args(["mirror", "sync"])
        .arg(dir)
        .args([
            "--versions",
            "1.22.10",
            "--arch",
            "amd64",
            "--json",
            "--dist",
        ])
        .arg(crate::mirror::gov_dist())
        .env("GOSUMDB", format!("{} {}", fx.vkey(), fx.sumdb_url()))
        .env("GOV_TEST_RELEASE_KEYS", keys.join("current.pub"))
        .output()
        .unwrap_or_else(|e| panic!("gov mirror sync: {e}"))
}

pub(crate) fn verify(sb: &Sandbox, dir: &Path) -> Output {
    let keys = crate::mirror::test_keys();
    sb.cmd()
        .args(["mirror", "verify"])
        .arg(dir)
        .env("GOV_TEST_RELEASE_KEYS", keys.join("current.pub"))
        .output()
        .unwrap_or_else(|e| panic!("gov mirror verify: {e}"))
}

/// The `h1:` of a zip on disk, computed here from its entries.
fn zip_h1(path: &Path) -> String {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut z = zip::ZipArchive::new(f).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut files = Vec::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap_or_else(|e| panic!("entry {i}: {e}"));
        let name = e
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|err| panic!("entry {i}: {err}"));
        let mut data = Vec::new();
        e.read_to_end(&mut data)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        files.push((name, Sha256::digest(&data).into()));
    }
    support::sumdb::h1(&files)
}

fn module_file(dir: &Path, ext: &str) -> PathBuf {
    dir.join(format!("golang.org/toolchain/@v/{MODVER}.{ext}"))
}

fn row<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .and_then(|f| f.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("no row for {name} in {report}"))
}

#[test]
fn archives_are_published_as_toolchain_modules_the_database_records() {
    let (sb, fx, dir) = world(small_go1_22_10().clone());
    let out = sync(&sb, &fx, &dir);
    assert!(out.status.success(), "{}", describe(&out));
    support::schemas::follows("mirror-sync", &out.stdout);
    let zip_name = format!("golang.org/toolchain/@v/{MODVER}.zip");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(row(&report, &zip_name)["action"], "added");
    assert_eq!(row(&report, &zip_name)["kind"], "module");

    let zip = module_file(&dir, "zip");
    assert_eq!(zip_h1(&zip), small_go1_22_10().zip_h1, "the zip's h1");
    let read =
        |p: PathBuf| text(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
    assert_eq!(read(module_file(&dir, "mod")), TOOLCHAIN_MOD);
    assert_eq!(
        read(module_file(&dir, "info")),
        format!("{{\"Version\":\"{MODVER}\",\"Time\":\"2024-07-02T18:57:57Z\"}}\n")
    );
    assert_eq!(
        read(dir.join("golang.org/toolchain/@v/list")),
        format!("{MODVER}\n")
    );
    assert!(
        read(dir.join("go1.22.10.linux-amd64.tar.gz.asc"))
            .starts_with("-----BEGIN PGP SIGNATURE-----"),
        "the archive's signature is kept beside it"
    );
    let db = dir.join("sumdb").join(DB);
    assert_eq!(read(db.join("supported")), "");
    let lookup = read(db.join(format!("lookup/golang.org/toolchain@{MODVER}")));
    let latest = read(db.join("latest"));
    assert!(lookup.ends_with(&latest), "one signed head: {lookup}");
    assert!(lookup.contains(&small_go1_22_10().zip_h1), "{lookup}");
    assert!(db.join("tile/8/0").is_dir(), "the proving tiles are kept");
    let verify = verify(&sb, &dir);
    assert!(verify.status.success(), "{}", describe(&verify));

    use std::os::unix::fs::MetadataExt;
    let mode = |p: &Path| std::fs::metadata(p).map(|m| m.mode() & 0o7777).unwrap_or(0);
    assert_eq!(mode(&zip), 0o644);
    assert_eq!(mode(&dir.join("golang.org/toolchain/@v")), 0o755);

    // Again: nothing is packed or rewritten, and the database is not asked.
    let ino = std::fs::metadata(&zip).map(|m| m.ino()).unwrap_or(0);
    fx.clear_requests();
    let out = sync(&sb, &fx, &dir);
    assert!(out.status.success(), "{}", describe(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(row(&report, &zip_name)["action"], "kept");
    assert_eq!(std::fs::metadata(&zip).map(|m| m.ino()).unwrap_or(1), ino);
    assert_eq!(fx.requests(), Vec::<String>::new());
}

#[test]
fn a_zip_the_database_does_not_record_is_not_published() {
    let honest = small_go1_22_10().clone();
    // The log records another h1 for this version (a zip with a file more).
    let other = Toolchain {
        zip_h1: honest.tampered_zip_h1.clone(),
        ..honest
    };
    let (sb, fx, dir) = world(other);
    let out = sync(&sb, &fx, &dir);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains(MODVER) && err.contains("checksum database") && err.contains("not published"),
        "{err}"
    );
    for ext in ["zip", "info", "mod"] {
        assert!(!module_file(&dir, ext).exists(), "{ext} was published");
    }
    let list = std::fs::read(dir.join("golang.org/toolchain/@v/list")).unwrap_or_default();
    assert!(!text(&list).contains(MODVER), "list: {}", text(&list));
    let leftovers: Vec<String> = std::fs::read_dir(dir.join("golang.org/toolchain/@v"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "list")
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
    // The archive itself is verified by the index's sha256 and stays listed.
    let index = std::fs::read(dir.join("index.json")).unwrap_or_default();
    assert!(text(&index).contains("go1.22.10.linux-amd64.tar.gz"));
}

#[test]
fn an_unreachable_database_publishes_no_module() {
    let (sb, _fx, dir) = world(small_go1_22_10().clone());
    let dead = format!("http://127.0.0.1:{}", support::start_refusing_port());
    let keys = crate::mirror::test_keys();
    let fx = Fixture::start(DB, SEED, vec![], 1);
    let out = sb
        .cmd()
        .args(["mirror", "sync"])
        .arg(&dir)
        .args(["--versions", "1.22.10", "--arch", "amd64", "--dist"])
        .arg(crate::mirror::gov_dist())
        .env("GOSUMDB", format!("{} {dead}", fx.vkey()))
        .env("GOV_HTTP_RETRIES", "0")
        .env("GOV_TEST_RELEASE_KEYS", keys.join("current.pub"))
        .output()
        .unwrap_or_else(|e| panic!("gov mirror sync: {e}"));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(!module_file(&dir, "zip").exists());
}

#[test]
fn verify_names_a_changed_zip_and_a_snapshot_that_does_not_prove_it() {
    let (sb, fx, dir) = world(small_go1_22_10().clone());
    let out = sync(&sb, &fx, &dir);
    assert!(out.status.success(), "{}", describe(&out));
    let verify = || verify(&sb, &dir);
    // One more file in the zip: still a valid zip, another h1.
    let zip = module_file(&dir, "zip");
    let honest = std::fs::read(&zip).unwrap_or_default();
    let bad = support::sumdb::append_entry(
        &honest,
        &support::sumdb::backdoor_name(MODVER),
        support::sumdb::BACKDOOR,
    );
    // The zip crate's writer is not the fixture's: a changed byte instead
    // when the fixture cannot extend it.
    let bad = bad.unwrap_or_else(|_| {
        let mut b = honest.clone();
        let at = b.len() / 2;
        b[at] ^= 1;
        b
    });
    std::fs::write(&zip, &bad).unwrap_or_else(|e| panic!("{e}"));
    let out = verify();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains(&format!("{MODVER}.zip")),
        "{}",
        describe(&out)
    );
    std::fs::write(&zip, &honest).unwrap_or_else(|e| panic!("{e}"));
    assert!(verify().status.success());

    // A proving tile changed: the lookup is no longer proven.
    let tile = dir.join("sumdb").join(DB).join("tile/8/0/001");
    let tile = if tile.exists() {
        tile
    } else {
        dir.join("sumdb").join(DB).join("tile/8/0/000")
    };
    let mut t = std::fs::read(&tile).unwrap_or_else(|e| panic!("{}: {e}", tile.display()));
    t[5] ^= 0x80;
    std::fs::write(&tile, &t).unwrap_or_else(|e| panic!("{e}"));
    let out = verify();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(text(&out.stderr).contains("snapshot"), "{}", describe(&out));
}

#[test]
fn the_snapshot_head_moves_only_to_a_head_proven_to_extend_it() {
    let (sb, fx, dir) = world(small_go1_22_10().clone());
    let latest = || std::fs::read(dir.join("sumdb").join(DB).join("latest")).unwrap_or_default();
    assert!(sync(&sb, &fx, &dir).status.success());
    let first = latest();

    // The log grew: a re-published version moves the head, proven.
    fx.grow(300);
    let _ = std::fs::remove_file(module_file(&dir, "zip"));
    let out = sync(&sb, &fx, &dir);
    assert!(out.status.success(), "{}", describe(&out));
    let second = latest();
    assert_ne!(first, second);
    assert!(verify(&sb, &dir).status.success());

    // A forked log, seen by an admin whose own gov has no tree head yet:
    // the snapshot's head is what refuses it.
    fx.set_tamper(support::sumdb::Tamper {
        forked: true,
        ..Default::default()
    });
    let _ = std::fs::remove_file(module_file(&dir, "zip"));
    let keys = crate::mirror::test_keys();
    let out = sb
        .cmd()
        .args(["mirror", "sync"])
        .arg(&dir)
        .arg("--dist")
        .arg(crate::mirror::gov_dist())
        .env("GOV_HOME", sb.dir.path().join("another-admin"))
        .env("GOSUMDB", format!("{} {}", fx.vkey(), fx.sumdb_url()))
        .env("GOV_TEST_RELEASE_KEYS", keys.join("current.pub"))
        .output()
        .unwrap_or_else(|e| panic!("gov mirror sync: {e}"));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("misbehaved"),
        "{}",
        describe(&out)
    );
    assert_eq!(latest(), second, "the snapshot's head was kept");
}

/// Status, content type and cache policy nginx (contrib/nginx) answers.
#[cfg(feature = "tier-nginx")]
fn headers(url: &str) -> (String, String, String) {
    let out = support::run_program(
        std::process::Command::new("curl")
            .args(["-sS", "-D", "-", "-o", "/dev/null"])
            .arg(url),
    );
    let head = text(&out.stdout).to_ascii_lowercase();
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, field("content-type"), field("cache-control"))
}

#[cfg(feature = "tier-nginx")]
#[test]
fn nginx_serves_the_module_layout_and_the_snapshot_with_their_types_and_lifetimes() {
    let (sb, fx, dir) = world(small_go1_22_10().clone());
    let out = sync(&sb, &fx, &dir);
    assert!(out.status.success(), "{}", describe(&out));
    let nginx = support::nginx::Nginx::serve(&dir);
    let year = "public, max-age=31536000, immutable";
    let minute = "public, max-age=60, must-revalidate";
    let v = format!("/golang.org/toolchain/@v/{MODVER}");
    let db = format!("/sumdb/{DB}");
    let lookup = format!("{db}/lookup/golang.org/toolchain@{MODVER}");
    let mut expected = vec![
        (
            "/golang.org/toolchain/@v/list".to_string(),
            "text/plain; charset=utf-8",
            minute,
        ),
        (format!("{v}.zip"), "application/zip", year),
        (format!("{v}.info"), "application/json", year),
        (format!("{v}.mod"), "text/plain; charset=utf-8", year),
        (
            format!("{db}/supported"),
            "text/plain; charset=utf-8",
            minute,
        ),
        (format!("{db}/latest"), "text/plain; charset=utf-8", minute),
        (lookup, "text/plain; charset=utf-8", minute),
        (
            "/go1.22.10.linux-amd64.tar.gz.asc".to_string(),
            "application/octet-stream",
            year,
        ),
    ];
    // The snapshot's tiles: full ones for a year, partial ones briefly.
    let tiles = dir.join("sumdb").join(DB).join("tile/8/0");
    for e in std::fs::read_dir(&tiles).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.ends_with(".p") {
            for w in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
                let w = w.file_name().to_string_lossy().into_owned();
                let path = format!("{db}/tile/8/0/{n}/{w}");
                expected.push((path, "application/octet-stream", minute));
            }
        } else {
            let path = format!("{db}/tile/8/0/{n}");
            expected.push((path, "application/octet-stream", year));
        }
    }
    assert!(
        expected
            .iter()
            .any(|(p, _, c)| p.contains("/tile/") && *c == year)
    );
    assert!(
        expected
            .iter()
            .any(|(p, _, c)| p.contains(".p/") && *c == minute)
    );
    for (path, ctype, cache) in &expected {
        let got = headers(&format!("{}{path}", nginx.url()));
        assert_eq!(
            got,
            ("200".to_string(), ctype.to_string(), cache.to_string()),
            "{path}: {}",
            nginx.error_log()
        );
    }
    let partial = format!("/golang.org/toolchain/@v/.{MODVER}.zip.partial");
    std::fs::write(dir.join(&partial[1..]), b"x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(headers(&format!("{}{partial}", nginx.url())).0, "404");
}

/// `gov info` lists each installed version's `go<version>` entry point.
#[test]
fn info_lists_the_versioned_entry_points() {
    let sb = Sandbox::with_installed(&["1.22.10", "1.21.13"], "1.22.10");
    let info = |sb: &Sandbox| -> serde_json::Value {
        let out = sb.cmd().args(["info", "--json"]).output();
        let out = out.unwrap_or_else(|e| panic!("gov info: {e}"));
        serde_json::from_slice(&out.stdout).unwrap_or_default()
    };
    let v = info(&sb);
    for name in ["go", "gofmt", "go1.22.10", "go1.21.13"] {
        assert_eq!(v["entry_points"][name]["state"], "gov", "{name}: {v}");
    }
    sb.ok(&["uninstall", "1.21.13"]);
    let v = info(&sb);
    assert!(v["entry_points"].get("go1.21.13").is_none(), "{v}");
}
