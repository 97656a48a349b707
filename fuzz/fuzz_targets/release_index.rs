//! The go.dev release index format (what a mirror or proxy serves).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gov::net::index::parse_releases(data, "https://go.dev/dl/?mode=json&include=all");
});
