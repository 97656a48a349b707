//! Go version strings and requests: parsing never panics, what parses
//! prints back to itself, and the order is consistent.
#![no_main]
use gov::core::version::{GoVersion, VersionRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = VersionRequest::parse(text);
    let _ = GoVersion::parse_lenient(text);
    let (a, b) = text.split_once(' ').unwrap_or((text, "1.22.5"));
    if let (Some(x), Some(y)) = (GoVersion::parse(a), GoVersion::parse(b)) {
        assert_eq!(GoVersion::parse(&x.to_string()).as_ref(), Some(&x));
        assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
        assert_eq!(x.cmp(&x), std::cmp::Ordering::Equal);
    }
});
