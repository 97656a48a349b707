//! Property tests over generated inputs (a seeded generator, so a failure
//! names its seed and replays): the parsers of untrusted input never panic,
//! and the invariants gov relies on hold for every generated case. The
//! fuzz/ targets explore the same parsers without a time limit.

use gov::core::quote::{excerpt, shown};
use gov::core::version::GoVersion;
use gov::settings::persist::{BEGIN, with_block};

/// SplitMix64: small, fast, reproducible.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    /// A string over `alphabet`, up to `max` pieces long.
    fn text(&mut self, alphabet: &[&str], max: u64) -> String {
        (0..self.below(max + 1))
            .map(|_| self.pick(alphabet))
            .collect()
    }
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        (0..self.below(max + 1))
            .map(|_| self.next() as u8)
            .collect()
    }
}

const CASES: u64 = 3000;

fn each(mut f: impl FnMut(&mut Gen)) {
    for seed in 0..CASES {
        let mut g = Gen(seed);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut g)));
        if r.is_err() {
            panic!("property failed for seed {seed}");
        }
    }
}

fn version_text(g: &mut Gen) -> String {
    let n = || ["0", "1", "2", "9", "10", "21", "22", "100"];
    let mut s = format!("{}.{}", g.pick(&["1", "2"]), g.pick(&n()));
    if g.below(2) == 0 {
        s.push_str(&format!(".{}", g.pick(&n())));
    } else if g.below(2) == 0 {
        s.push_str(&format!(
            "{}{}",
            g.pick(&["rc", "beta", "alpha"]),
            g.pick(&["1", "2"])
        ));
    }
    s
}

#[test]
fn versions_print_back_and_order_consistently() {
    each(|g| {
        let (a, b, c) = (version_text(g), version_text(g), version_text(g));
        let (Some(x), Some(y), Some(z)) = (
            GoVersion::parse(&a),
            GoVersion::parse(&b),
            GoVersion::parse(&c),
        ) else {
            panic!("generated versions must parse: {a} {b} {c}");
        };
        assert_eq!(GoVersion::parse(&x.to_string()).as_ref(), Some(&x));
        assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
        if x <= y && y <= z {
            assert!(x <= z, "{x} <= {y} <= {z}");
        }
        // Arbitrary text never panics the parsers.
        let junk = g.text(
            &[
                "1",
                ".",
                "go",
                "rc",
                "-",
                "+",
                "é",
                "\0",
                " ",
                "99999999999999999999",
            ],
            12,
        );
        let _ = GoVersion::parse(&junk);
        let _ = gov::core::version::VersionRequest::parse(&junk);
    });
}

#[test]
fn persisted_blocks_come_off_byte_for_byte() {
    each(|g| {
        let text = g.text(
            &["a", "b", " ", "\n", "\r\n", "\n\n", "#", ">>>", "x=1\n"],
            20,
        );
        if text.contains(BEGIN) {
            return;
        }
        let body = g.text(&["PATH=x\n", "export A=1\n"], 3);
        let added = with_block(&text, Some(&body)).unwrap_or_else(|e| panic!("{e}"));
        assert!(added.starts_with(&text));
        let again = with_block(&added, Some(&body)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, added, "not idempotent");
        assert_eq!(
            with_block(&added, None).ok().as_deref(),
            Some(text.as_str())
        );
    });
}

#[test]
fn echoed_text_never_carries_control_characters() {
    each(|g| {
        let raw: String = g
            .bytes(200)
            .into_iter()
            .map(|b| char::from_u32(u32::from(b) * 37 % 0x2100).unwrap_or('?'))
            .collect();
        for s in [shown(&raw), excerpt(&raw, 16)] {
            assert!(!s.chars().any(|c| c.is_control()), "{s:?}");
            assert!(!s.contains('\u{202E}'), "{s:?}");
        }
        assert!(excerpt(&raw, 16).chars().count() <= 16 * 10 + 1);
    });
}

#[test]
fn untrusted_parsers_never_panic() {
    each(|g| {
        let words = [
            "machine", "login", "password", "default", "macdef", "host", "\n", " ", "\t", "x",
        ];
        let _ = gov::net::netrc::parse(&g.text(&words, 20));
        let flags = [
            "-", "--", "=", "mod", "vendor", "x", " ", "trimpath", "test.v", "C", "p", "1",
        ];
        let value = g.text(&flags, 10);
        if gov::settings::goflags::check(&value).is_ok() {
            // Accepted entries are flags, each starting with one or two dashes.
            for e in value.split_whitespace() {
                assert!(e.starts_with('-') && !e.starts_with("---"), "{value:?}");
            }
        }
        let proxy = [
            "https://",
            "http://",
            "direct",
            "off",
            ",",
            "|",
            "p.example",
            "/",
            "file://",
        ];
        let _ = gov::settings::proxy::validate("GOPROXY", &g.text(&proxy, 8));
        let _ = gov::settings::proxy::parse_gosumdb(
            &g.text(&["sum.golang.org", "+", " ", "https://x", "off", "a"], 6),
        );
        let json = [
            "[",
            "]",
            "{",
            "}",
            "\"version\"",
            ":",
            ",",
            "\"go1.22.5\"",
            "\"files\"",
            "1",
            "null",
        ];
        let _ = gov::net::index::parse_releases(g.text(&json, 30).as_bytes(), "https://go.dev/dl/");
        let note = [
            "go.sum database tree\n",
            "5\n",
            "\n",
            "— sum.golang.org ",
            "AAAA",
            "=\n",
            "x",
        ];
        if let Ok(key) = gov::trust::note::Verifier::parse(
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        ) {
            let _ = gov::trust::note::open(g.text(&note, 10).as_bytes(), &key);
        }
    });
}

#[test]
fn random_tar_streams_never_write_outside_the_tree() {
    // Fewer cases: each unpacks into a fresh directory.
    for seed in 0..200 {
        let mut g = Gen(seed);
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dest = root.path().join("go");
        std::fs::create_dir(&dest).unwrap_or_else(|e| panic!("{e}"));
        // A valid header now and then, so extraction gets past the first entry.
        let mut data = Vec::new();
        for _ in 0..g.below(4) {
            let mut h = tar::Header::new_gnu();
            let name = g.pick(&["go/a", "go/../x", "/etc/x", "go/b/c", "go/l", "go/l/x"]);
            let _ = h.set_path(name);
            h.set_entry_type(match g.below(4) {
                0 => tar::EntryType::Symlink,
                1 => tar::EntryType::Directory,
                _ => tar::EntryType::Regular,
            });
            let _ = h.set_link_name(g.pick(&["..", "../..", "a", "/etc", "b/../.."]));
            h.set_size(0);
            h.set_cksum();
            data.extend_from_slice(h.as_bytes());
        }
        data.extend(g.bytes(2048));
        let limits = gov::install::unpack::Limits {
            max_bytes: 1 << 20,
            max_entries: 100,
        };
        let _ = gov::install::unpack::unpack(&data[..], &dest, limits);
        let names: Vec<_> = std::fs::read_dir(root.path())
            .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names, vec![std::ffi::OsString::from("go")], "seed {seed}");
    }
}
