//! .go-version, go.mod and go.work content from a checkout: decoding and
//! parsing never panic, and what gov would echo holds no control character.
#![no_main]
use gov::core::quote::excerpt;
use gov::entry::select::{parse_toolchain_line, parse_version_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = gov::core::safe_read::decode(std::path::Path::new(".go-version"), data.to_vec())
    else {
        return;
    };
    if let Some(line) = parse_version_file(&text) {
        let shown = excerpt(line, 64);
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        let _ = gov::core::version::VersionRequest::parse(line);
    }
    let _ = parse_toolchain_line(&text);
});
