//! Names in a toolchain module zip: each input line is one entry's path
//! below the module prefix (a line starting with `|` is a whole name, prefix
//! not added; a path ending in `/` is a folder). The checker's verdict must
//! equal a plain pairwise model of the same rules (valid paths within the
//! bounds, no two names equal under case folding unless they are one
//! folder, no name both a file and a folder, go.mod only at the root), and
//! every refusal's message stays short however long the names are.
#![no_main]
use std::io::Cursor;

use gov::trust::zipcheck::{self, MAX_DEPTH, MAX_ELEM_LEN, MAX_PATH_LEN};
use libfuzzer_sys::fuzz_target;

const MODULE: &str = "golang.org/toolchain";
const VERSION: &str = "v0.0.1-go1.22.10.linux-amd64";
const PREFIX: &str = "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/";

fuzz_target!(|data: &[u8]| {
    let names: Vec<Vec<u8>> = data
        .split(|&b| b == b'\n')
        .take(64)
        .map(|line| match line.strip_prefix(b"|") {
            Some(whole) => whole.to_vec(),
            None => [PREFIX.as_bytes(), line].concat(),
        })
        .filter(|n| n.len() <= usize::from(u16::MAX))
        .collect();
    let zip = stored_zip(&names);
    let verdict = zipcheck::check_zip(&mut Cursor::new(&zip), MODULE, VERSION);
    if let Err(e) = &verdict {
        assert!(e.message().len() < 1_000, "{} bytes", e.message().len());
    }
    assert_eq!(
        verdict.is_ok(),
        model_accepts(&names),
        "{:?}",
        verdict.err()
    );
});

/// The rules, written the slow and obvious way.
fn model_accepts(names: &[Vec<u8>]) -> bool {
    let mut items: Vec<(String, bool)> = Vec::new();
    for raw in names {
        let Ok(name) = std::str::from_utf8(raw) else {
            return false;
        };
        let Some(rest) = name.strip_prefix(PREFIX) else {
            return false;
        };
        let is_dir = rest.is_empty() || rest.ends_with('/');
        let path = rest.strip_suffix('/').unwrap_or(rest);
        if path.is_empty() {
            continue;
        }
        if zipcheck::check_file_path(path).is_err() {
            return false;
        }
        let elems: Vec<&str> = path.split('/').collect();
        assert!(path.len() <= MAX_PATH_LEN && elems.len() <= MAX_DEPTH);
        assert!(elems.iter().all(|e| e.len() <= MAX_ELEM_LEN));
        let base = elems[elems.len() - 1];
        if !is_dir && base.eq_ignore_ascii_case("go.mod") && path != "go.mod" {
            return false;
        }
        for i in 1..elems.len() {
            items.push((elems[..i].join("/"), true));
        }
        items.push((path.to_string(), is_dir));
    }
    items.sort();
    items.dedup_by(|a, b| a.1 && b.1 && a.0 == b.0);
    let folded: Vec<String> = items.iter().map(|(p, _)| fold(p)).collect();
    for (i, (a, a_dir)) in items.iter().enumerate() {
        for (j, (b, b_dir)) in items.iter().enumerate().skip(i + 1) {
            if folded[i] == folded[j] && (a != b || a_dir != b_dir || !*a_dir) {
                return false;
            }
        }
    }
    true
}

fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
        .collect()
}

/// A zip of stored entries: folders empty, files one byte.
fn stored_zip(names: &[Vec<u8>]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for name in names {
        let (data, crc): (&[u8], u32) = if name.ends_with(b"/") {
            (b"", 0)
        } else {
            (b"x", 0x8cdc_1683)
        };
        let offset = out.len() as u32;
        let mut fixed = Vec::new();
        fixed.extend(20u16.to_le_bytes()); // version needed
        fixed.extend(0u16.to_le_bytes()); // flags
        fixed.extend(0u16.to_le_bytes()); // stored
        fixed.extend([0u8; 4]); // time, date
        fixed.extend(crc.to_le_bytes());
        fixed.extend((data.len() as u32).to_le_bytes());
        fixed.extend((data.len() as u32).to_le_bytes());
        fixed.extend((name.len() as u16).to_le_bytes());
        fixed.extend(0u16.to_le_bytes()); // extra
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(&fixed);
        out.extend(name);
        out.extend(data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(0x0314u16.to_le_bytes()); // made by unix
        central.extend(&fixed);
        central.extend([0u8; 6]); // comment, disk, internal attributes
        central.extend((0o100644u32 << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(name);
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((names.len() as u16).to_le_bytes());
    out.extend((names.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}
