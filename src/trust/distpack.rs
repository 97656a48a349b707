//! The release archive and the toolchain module are one tree packed twice.
//! cmd/distpack (every release since go1.21rc2) writes the binary archive
//! (`go/...`) and the module zip of `golang.org/toolchain` from the same
//! filtered files: the zip is the archive's `go/` minus the top-level
//! `api/`, `doc/`, `misc/` and `test/`, with every `go.mod` renamed
//! `_go.mod` (a module zip may not hold nested modules), under the prefix
//! `golang.org/toolchain@v0.0.1-go<v>.linux-<goarch>/`.
//!
//! So the `h1:` the checksum database records for the module can be
//! computed from the archive while it streams, and the zip a module proxy
//! serves can be rebuilt from a verified archive.

use crate::core::version::GoVersion;

use super::dirhash::Hash1;
use super::error::Result;

/// The module every toolchain is a version of.
pub const TOOLCHAIN_MODULE: &str = "golang.org/toolchain";

/// Top-level folders of the archive the module leaves out.
const LEFT_OUT: &[&str] = &["api", "doc", "misc", "test"];

/// The first release distpack packed as a module.
const FIRST_MODULE_RELEASE: &str = "1.21rc2";

/// Go's GOARCH for gov's archive naming (`armv6l` archives are `arm`).
pub fn goarch(arch: &str) -> &str {
    if arch == "armv6l" { "arm" } else { arch }
}

/// `v0.0.1-go1.22.5.linux-amd64`.
pub fn module_version(version: &GoVersion, arch: &str) -> String {
    format!("v0.0.1-{}.linux-{}", version.go_name(), goarch(arch))
}

/// Whether `version` was also published as a toolchain module (older
/// releases were packed by hand and have no record in the log).
pub fn has_module(version: &GoVersion) -> bool {
    GoVersion::parse(FIRST_MODULE_RELEASE).is_some_and(|first| *version >= first)
}

/// How one release's archive entries are named inside its module zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleLayout {
    version: String,
    prefix: String,
}

impl ModuleLayout {
    /// The layout of `version` for `arch`, or None when the release has
    /// no module.
    pub fn new(version: &GoVersion, arch: &str) -> Option<Self> {
        if !has_module(version) {
            return None;
        }
        let modver = module_version(version, arch);
        Some(Self {
            prefix: format!("{TOOLCHAIN_MODULE}@{modver}/"),
            version: modver,
        })
    }

    /// The module version (`v0.0.1-go1.22.5.linux-amd64`).
    pub fn module_version(&self) -> &str {
        &self.version
    }

    /// `golang.org/toolchain@<module version>/`, the prefix of every name.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The zip name of the archive's regular file `archive_name`
    /// (`go/src/go.mod`), or None when distpack leaves the file out of the
    /// module (or it is not under `go/`).
    pub fn zip_name(&self, archive_name: &str) -> Option<String> {
        let rel = archive_name.strip_prefix("./").unwrap_or(archive_name);
        let rel = rel.strip_prefix("go/")?;
        let top = rel.split('/').next().unwrap_or(rel);
        if rel.is_empty() || rel.ends_with('/') || LEFT_OUT.contains(&top) {
            return None;
        }
        let renamed = match rel.rsplit_once('/') {
            Some((dir, "go.mod")) => format!("{dir}/_go.mod"),
            None if rel == "go.mod" => "_go.mod".to_string(),
            _ => rel.to_string(),
        };
        Some(format!("{}{renamed}", self.prefix))
    }
}

/// The module's `h1:`, accumulated from the archive's files as they stream.
#[derive(Debug, Clone)]
pub struct ArchiveHash1 {
    layout: ModuleLayout,
    files: Hash1,
}

impl ArchiveHash1 {
    pub fn new(layout: ModuleLayout) -> Self {
        Self {
            layout,
            files: Hash1::new(),
        }
    }

    pub fn layout(&self) -> &ModuleLayout {
        &self.layout
    }

    /// Counts one regular file of the archive by the sha256 of its content;
    /// files the module leaves out are ignored.
    pub fn add(&mut self, archive_name: &str, sha256: [u8; 32]) -> Result<()> {
        match self.layout.zip_name(archive_name) {
            Some(name) => self.files.add(&name, sha256),
            None => Ok(()),
        }
    }

    /// Files counted so far.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The `h1:` the checksum database should hold for the module.
    pub fn finish(self) -> String {
        self.files.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn v(s: &str) -> GoVersion {
        GoVersion::parse(s).expect("test version")
    }

    fn layout(s: &str) -> ModuleLayout {
        ModuleLayout::new(&v(s), "amd64").expect("has a module")
    }

    #[test]
    fn releases_before_distpack_have_no_module() {
        for old in ["1.20.14", "1.21rc1", "1.21", "1.19"] {
            assert!(!has_module(&v(old)), "{old}");
            assert!(ModuleLayout::new(&v(old), "amd64").is_none(), "{old}");
        }
        for new in ["1.21rc2", "1.21.0", "1.22.10", "1.27rc1"] {
            assert!(has_module(&v(new)), "{new}");
        }
    }

    #[test]
    fn module_versions_use_go_arch_names() {
        let l = ModuleLayout::new(&v("1.22.5"), "armv6l").expect("module");
        assert_eq!(l.module_version(), "v0.0.1-go1.22.5.linux-arm");
        assert_eq!(
            l.prefix(),
            "golang.org/toolchain@v0.0.1-go1.22.5.linux-arm/"
        );
    }

    #[test]
    fn zip_names_follow_distpack() {
        let l = layout("1.22.10");
        let p = l.prefix().to_string();
        let name = |a: &str| l.zip_name(a);
        assert_eq!(name("go/bin/go"), Some(format!("{p}bin/go")));
        assert_eq!(name("./go/VERSION"), Some(format!("{p}VERSION")));
        assert_eq!(name("go/src/go.mod"), Some(format!("{p}src/_go.mod")));
        assert_eq!(
            name("go/src/cmd/go/testdata/mod/go.mod"),
            Some(format!("{p}src/cmd/go/testdata/mod/_go.mod"))
        );
        // Only the exact base name is renamed.
        assert_eq!(
            name("go/src/x/notgo.mod"),
            Some(format!("{p}src/x/notgo.mod"))
        );
        for gone in [
            "go/api/go1.txt",
            "go/doc/go_spec.html",
            "go/misc/wasm/x.js",
            "go/test/a.go",
        ] {
            assert_eq!(name(gone), None, "{gone}");
        }
        // Same names below the top level stay.
        assert_eq!(name("go/src/test/x.go"), Some(format!("{p}src/test/x.go")));
        for outside in ["bin/go", "go/", "other/go/VERSION", "go"] {
            assert_eq!(name(outside), None, "{outside}");
        }
    }

    #[test]
    fn archive_hash_equals_the_hash_of_the_zip_names() {
        let files: &[(&str, &[u8])] = &[
            ("go/VERSION", b"go1.22.10\n"),
            ("go/src/go.mod", b"module std\n"),
            ("go/api/go1.txt", b"pkg fmt\n"),
            ("go/bin/go", b"\x7fELF"),
        ];
        let mut streamed = ArchiveHash1::new(layout("1.22.10"));
        for (name, data) in files.iter().rev() {
            streamed
                .add(name, Sha256::digest(data).into())
                .expect("add");
        }
        assert_eq!(streamed.len(), 3);
        let p = "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/";
        let mut direct = Hash1::new();
        for (name, data) in [
            ("VERSION", &b"go1.22.10\n"[..]),
            ("src/_go.mod", b"module std\n"),
            ("bin/go", b"\x7fELF"),
        ] {
            direct
                .add(&format!("{p}{name}"), Sha256::digest(data).into())
                .expect("add");
        }
        assert_eq!(streamed.finish(), direct.finish());
    }
}
