//! GOPROXY, GOSUMDB, GOFLAGS, GOPRIVATE... values as `gov proxy set` gets
//! them: validation never panics, and an accepted value has no control
//! characters.
#![no_main]
use libfuzzer_sys::fuzz_target;

const KEYS: &[&str] = &[
    "GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE", "GOFLAGS",
    "GOTOOLCHAIN", "GOMODCACHE", "GOCACHE",
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let key = KEYS[first as usize % KEYS.len()];
    if gov::settings::proxy::validate(key, value).is_ok() {
        assert!(!value.chars().any(char::is_control), "{key}={value:?}");
    }
    let _ = gov::settings::goflags::check(value);
    let _ = gov::settings::proxy::parse_gosumdb(value);
});
