//! Company CAs for every `go` gov runs. For Go, `SSL_CERT_FILE` replaces
//! the system roots rather than adding to them, so a file holding only the
//! company CA would break public TLS. Each layer keeps the CAs added to it
//! (`$GOV_HOME/trust/ca/<sha256>.pem`) and a bundle of the system roots
//! plus the CAs of every layer it reads (`$GOV_HOME/trust/bundle.pem`);
//! its profile's `SSL_CERT_FILE` names that bundle, so entry points and
//! shims pass it to every `go`. The bundle is rebuilt whenever its CAs
//! change, and by [`refresh`] when the system roots are newer than it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use x509_cert::der::Decode as _;

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::layers::Layers;
use crate::core::layout::Layout;

/// The profile key the bundle is named by.
pub const KEY: &str = "SSL_CERT_FILE";

/// Where Linux distributions keep their root bundle, in the order Go's
/// crypto/x509 looks for it.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Largest certificate file gov reads.
const MAX_PEM: u64 = 4 << 20;

/// One CA a layer holds.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Ca {
    /// SHA-256 of the certificate (DER), lowercase hex.
    pub fingerprint: String,
    pub subject: String,
    /// Expiry, RFC 3339.
    pub not_after: String,
    pub file: PathBuf,
}

pub fn ca_dir(layout: &Layout) -> PathBuf {
    layout.home().join("trust/ca")
}

pub fn bundle_path(layout: &Layout) -> PathBuf {
    layout.home().join("trust/bundle.pem")
}

fn refused(shown: &Path, why: impl Into<String>) -> Error {
    Error::invalid(format!("{}: {}", shown.display(), why.into())).with_advice(
        "give the company CA's certificate in PEM (-----BEGIN CERTIFICATE-----), as your IT department publishes it",
    )
}

/// The CA certificates in `bytes`, each checked: PEM, no private key, and
/// a certificate that may sign others (basicConstraints CA:TRUE).
pub fn parse_cas(bytes: &[u8], shown: &Path) -> Result<Vec<(Vec<u8>, Ca)>> {
    if PrivateKeyDer::from_pem_slice(bytes).is_ok() {
        return Err(refused(
            shown,
            "holds a private key; gov takes certificates only (keep the key secret)",
        ));
    }
    let ders = CertificateDer::pem_slice_iter(bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| refused(shown, format!("is not readable PEM ({e})")))?;
    if ders.is_empty() {
        return Err(refused(shown, "holds no PEM certificate"));
    }
    ders.iter()
        .map(|der| describe(der.as_ref(), shown).map(|ca| (der.to_vec(), ca)))
        .collect()
}

fn describe(der: &[u8], shown: &Path) -> Result<Ca> {
    use x509_cert::ext::pkix::BasicConstraints;
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| {
        refused(
            shown,
            format!("holds a certificate that does not parse ({e})"),
        )
    })?;
    let tbs = &cert.tbs_certificate;
    let subject = tbs.subject.to_string();
    let is_ca = tbs
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == const_oid_basic_constraints())
        .and_then(|e| BasicConstraints::from_der(e.extn_value.as_bytes()).ok())
        .is_some_and(|b| b.ca);
    if !is_ca {
        return Err(refused(
            shown,
            format!(
                "`{subject}` is not a CA certificate (no basicConstraints CA:TRUE): a server's own certificate cannot vouch for others"
            ),
        ));
    }
    Ok(Ca {
        fingerprint: hex(&Sha256::digest(der)),
        subject,
        not_after: tbs.validity.not_after.to_string(),
        file: PathBuf::new(),
    })
}

fn const_oid_basic_constraints() -> x509_cert::der::asn1::ObjectIdentifier {
    x509_cert::der::asn1::ObjectIdentifier::new_unwrap("2.5.29.19")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Reads a certificate file the user names (a link is fine: distributions
/// keep CAs as links), capped.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| {
        Error::new(
            ErrorKind::NotFound,
            format!("cannot open {}", path.display()),
        )
        .with_source(e)
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read {}", path.display())).with_source(e)
        })?;
    if bytes.len() as u64 > MAX_PEM {
        return Err(refused(path, "is larger than any certificate file"));
    }
    Ok(bytes)
}

/// The CAs a layer holds, by fingerprint.
pub fn list(layout: &Layout) -> Result<Vec<Ca>> {
    let dir = ca_dir(layout);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut out = BTreeMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("pem") {
            continue;
        }
        let bytes = read_file(&path)?;
        for (_, mut ca) in parse_cas(&bytes, &path)? {
            ca.file = path.clone();
            out.insert(ca.fingerprint.clone(), ca);
        }
    }
    Ok(out.into_values().collect())
}

/// Adds the CAs of `bytes` (read from `shown`) to `layout`'s layer; every
/// certificate is checked before anything is written, so a refused file
/// leaves the bundle as it was. Returns the CAs that were new.
pub fn add(
    layout: &Layout,
    layers: &Layers,
    (bytes, shown): (&[u8], &Path),
    after_write: &dyn Fn() -> Result<()>,
) -> Result<Vec<Ca>> {
    let cas = parse_cas(bytes, shown)?;
    let dir = ca_dir(layout);
    crate::core::fsutil::create_dir_all(&dir)?;
    let mut added = Vec::new();
    for (der, mut ca) in cas {
        let file = dir.join(format!("{}.pem", ca.fingerprint));
        if !file.exists() {
            crate::core::fsutil::write_atomic_mode(&file, pem(&der).as_bytes(), 0o644)?;
            ca.file = file;
            added.push(ca);
        }
    }
    rebuild(layout, layers, after_write)?;
    Ok(added)
}

/// Removes the CAs named by `what`: a fingerprint (64 hex digits, `:`
/// allowed) or a PEM file whose certificates to drop. Returns them.
pub fn remove(
    layout: &Layout,
    layers: &Layers,
    what: &str,
    after_write: &dyn Fn() -> Result<()>,
) -> Result<Vec<Ca>> {
    let wanted: Vec<String> = {
        let compact: String = what.chars().filter(|c| *c != ':').collect();
        if compact.len() == 64 && compact.chars().all(|c| c.is_ascii_hexdigit()) {
            vec![compact.to_ascii_lowercase()]
        } else {
            let path = Path::new(what);
            let bytes = read_file(path)?;
            parse_cas(&bytes, path)?
                .into_iter()
                .map(|(_, ca)| ca.fingerprint)
                .collect()
        }
    };
    let held = list(layout)?;
    let gone: Vec<Ca> = held
        .into_iter()
        .filter(|ca| wanted.contains(&ca.fingerprint))
        .collect();
    if gone.is_empty() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "no CA added to {} matches `{}`",
                layout.home().display(),
                crate::core::quote::shown(what)
            ),
        )
        .with_advice("`gov trust list` shows the added CAs and their fingerprints"));
    }
    for ca in &gone {
        std::fs::remove_file(&ca.file).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot remove {}", ca.file.display()),
            )
            .with_source(e)
        })?;
    }
    rebuild(layout, layers, after_write)?;
    Ok(gone)
}

/// The first system root bundle that exists, as Go would find it.
pub fn system_bundle() -> Option<&'static Path> {
    SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file())
}

/// Rebuilds the bundle when the system roots changed after it was written.
pub fn refresh(
    layout: &Layout,
    layers: &Layers,
    after_write: &dyn Fn() -> Result<()>,
) -> Result<bool> {
    let bundle = bundle_path(layout);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = match (modified(&bundle), system_bundle().and_then(modified)) {
        (Some(ours), Some(system)) => system > ours,
        _ => false,
    };
    if stale {
        rebuild(layout, layers, after_write)?;
    }
    Ok(stale)
}

/// Writes the bundle (system roots, then the CAs of every layer `layers`
/// reads) and points the layer's profile at it; with no CA left, removes
/// both.
fn rebuild(layout: &Layout, layers: &Layers, after_write: &dyn Fn() -> Result<()>) -> Result<()> {
    let mut cas = list(layout)?;
    for (_, other) in layers.search() {
        if other.home() != layout.home() {
            cas.extend(list(other).unwrap_or_default());
        }
    }
    let bundle = bundle_path(layout);
    let change = if cas.is_empty() {
        let _ = std::fs::remove_file(&bundle);
        (KEY.to_string(), None)
    } else {
        let mut text = String::new();
        if let Some(system) = system_bundle() {
            let bytes = read_file(system)?;
            for der in CertificateDer::pem_slice_iter(&bytes).flatten() {
                text.push_str(&pem(der.as_ref()));
            }
        }
        for ca in &cas {
            text.push_str(&format!("# added by gov trust: {}\n", ca.subject));
            text.push_str(&read_file(&ca.file).map(|b| String::from_utf8_lossy(&b).into_owned())?);
        }
        crate::core::fsutil::write_atomic_mode(&bundle, text.as_bytes(), 0o644)?;
        (KEY.to_string(), Some(bundle.display().to_string()))
    };
    crate::settings::proxy::update_profile(layout, &[change], false, &|_| {}, after_write)?;
    Ok(())
}
