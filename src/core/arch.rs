//! The host's architecture in Go's naming (GOARCH, with `armv6l` for the
//! 32-bit ARM archives go.dev publishes).

use crate::core::error::{Error, Result};

/// Every Linux architecture go.dev publishes archives for.
pub const KNOWN: &[&str] = &[
    "amd64", "arm64", "386", "armv6l", "ppc64le", "ppc64", "s390x", "riscv64", "loong64", "mips",
    "mipsle", "mips64", "mips64le",
];

/// The architecture gov was built for, which is the host's.
pub fn host() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "armv6l",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loong64",
        "mips" => "mips",
        "mips64" => "mips64",
        other => other,
    }
}

/// Validates a user's `--arch`, accepting Go's and the kernel's spellings.
pub fn parse(input: &str) -> Result<String> {
    let a = input.trim().to_ascii_lowercase();
    let go = match a.as_str() {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" | "armv8" => "arm64",
        "i386" | "i686" | "x86" => "386",
        "arm" | "armv6" | "armv7" | "armv7l" => "armv6l",
        "loongarch64" => "loong64",
        other => other,
    };
    if KNOWN.contains(&go) {
        Ok(go.to_string())
    } else {
        Err(Error::invalid(format!("unknown architecture `{input}`"))
            .with_advice(format!("use one of: {}", KNOWN.join(", "))))
    }
}

/// Can this host run binaries of `arch`? Used to decide whether a freshly
/// unpacked toolchain can be asked for its version.
pub fn runs_on_host(arch: &str) -> bool {
    arch == host() || (host() == "amd64" && arch == "386")
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::parse("x86_64").ok().as_deref(), Some("amd64"));
        assert_eq!(super::parse("armv7l").ok().as_deref(), Some("armv6l"));
        assert!(super::parse("sparc").is_err());
        assert!(super::KNOWN.contains(&super::host()));
    }
}
