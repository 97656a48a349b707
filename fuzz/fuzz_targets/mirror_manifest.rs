//! A mirror's manifest (`.gov-mirror.json`), which whoever can write the
//! mirror folder can write: parsing never panics; every name kept is one
//! sync itself writes (no path, no dot file), so no stat, hash or prune
//! aimed by it can leave the mirror; a kept URL is one install.sh can hold;
//! and what gov would warn with holds no control character.
#![no_main]
use gov::mirror::manifest::{parse, valid_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (m, dropped) = parse(data);
    for (name, e) in &m.files {
        assert!(valid_name(name), "{name:?}");
        assert!(!name.contains('/') && !name.starts_with('.'), "{name:?}");
        if let Some(h) = &e.release {
            assert_eq!(&h.file.filename, name);
        }
    }
    if let Some(u) = &m.url {
        assert!(gov::mirror::artifacts::check_stamp_url(u).is_ok(), "{u:?}");
    }
    for why in &dropped {
        assert!(!why.chars().any(char::is_control), "{why:?}");
    }
});
