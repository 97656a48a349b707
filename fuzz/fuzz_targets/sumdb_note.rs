//! Signed tree heads from a checksum database (or a proxy in front of one).
#![no_main]
use libfuzzer_sys::fuzz_target;

const KEY: &str = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

fuzz_target!(|data: &[u8]| {
    let Ok(key) = gov::trust::note::Verifier::parse(KEY) else {
        return;
    };
    let _ = gov::trust::note::open(data, &key);
    let _ = gov::trust::note::parse_note(data);
    let Ok(note) = std::str::from_utf8(data) else {
        return;
    };
    let _ = gov::trust::note::parse_tree(note);
    let _ = gov::trust::note::Verifier::parse(note);
});
