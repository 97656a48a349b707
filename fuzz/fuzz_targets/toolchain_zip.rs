//! Toolchain module zips from a proxy: checking never panics, an accepted
//! zip's every path is clean and under the prefix, and the parallel
//! check-and-unpack agrees with the serial check on verdict and hash.
#![no_main]
use std::io::{Cursor, Read};

use gov::trust::TrustError;
use gov::trust::zipcheck::{self, Limits, UnpackSink};
use libfuzzer_sys::fuzz_target;

const MODULE: &str = "golang.org/toolchain";
const VERSION: &str = "v0.0.1-go1.22.10.linux-amd64";

#[derive(Default)]
struct Mem(Vec<(String, Vec<u8>)>);

impl UnpackSink for Mem {
    fn file(&mut self, path: &str, _: Option<u32>, r: &mut dyn Read) -> Result<(), TrustError> {
        let mut v = Vec::new();
        r.take(1 << 20)
            .read_to_end(&mut v)
            .map_err(|e| TrustError::io(e.to_string()))?;
        self.0.push((path.to_string(), v));
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_zip: 1 << 20,
        max_content: 1 << 20,
    };
    let serial =
        zipcheck::check_zip_with_limits(&mut Cursor::new(data), MODULE, VERSION, limits);
    if let Ok(z) = &serial {
        for e in &z.entries {
            assert!(e.name.starts_with(&z.prefix), "{:?}", e.name);
            if !e.path.is_empty() {
                assert!(zipcheck::check_file_path(&e.path).is_ok(), "{:?}", e.path);
            }
        }
        if z.content_size <= 1 << 20 {
            let open = || Ok(Cursor::new(data));
            let mut sinks = [Mem::default(), Mem::default()];
            let parallel = zipcheck::check_and_unpack_parallel(&open, MODULE, VERSION, &mut sinks);
            assert_eq!(parallel.map(|p| p.h1).ok(), Some(z.h1.clone()));
        }
    }
});
