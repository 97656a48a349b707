//! A Go vulnerability database in the real format (go.dev/security/vulndb/api):
//! `index/db.json`, `index/modules.json`, `ID/<id>.json`, each also as
//! `.json.gz`, built from OSV entries and published on a [`TestServer`] or
//! written to a directory (for `file://` URLs).

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use super::server::TestServer;

/// One OSV entry and the modules it concerns (as modules.json lists them).
#[derive(Clone, Debug)]
pub struct OsvEntry {
    pub id: String,
    pub modified: String,
    pub body: Value,
    /// (module path, latest fixed version) for index/modules.json.
    pub modules: Vec<(String, Option<String>)>,
}

/// `events` like `[("introduced","0"),("fixed","1.21.11")]`.
pub fn range(events: &[(&str, &str)]) -> Value {
    let ev: Vec<Value> = events.iter().map(|(k, v)| json!({ *k: *v })).collect();
    json!({"type": "SEMVER", "events": ev})
}

impl OsvEntry {
    /// An entry for `module` (`stdlib`, `toolchain`, or a real module path)
    /// with the given SEMVER ranges.
    pub fn new(id: &str, module: &str, ranges: Vec<Value>, summary: &str) -> OsvEntry {
        let fixed = ranges
            .iter()
            .flat_map(|r| r["events"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e["fixed"].as_str().map(str::to_string))
            .next_back();
        let modified = "2024-06-04T17:18:22Z".to_string();
        let body = json!({
            "schema_version": "1.3.1",
            "id": id,
            "modified": modified,
            "published": "2024-06-04T17:18:22Z",
            "aliases": [format!("CVE-2024-{}", &id[id.len() - 4..])],
            "summary": summary,
            "details": format!("{summary}.\n\nMore details."),
            "affected": [{
                "package": {"name": module, "ecosystem": "Go"},
                "ranges": ranges,
                "ecosystem_specific": {"imports": [{"path": "net/http", "symbols": ["Server.Serve"]}]}
            }],
            "references": [{"type": "FIX", "url": "https://go.dev/cl/1"}],
            "database_specific": {"url": format!("https://pkg.go.dev/vuln/{id}")}
        });
        OsvEntry {
            id: id.to_string(),
            modified,
            body,
            modules: vec![(module.to_string(), fixed)],
        }
    }

    /// Adds a second affected module with the same ranges.
    pub fn also(mut self, module: &str) -> OsvEntry {
        let mut second = self.body["affected"][0].clone();
        second["package"]["name"] = json!(module);
        if let Some(a) = self.body["affected"].as_array_mut() {
            a.push(second);
        }
        let fixed = self.modules[0].1.clone();
        self.modules.push((module.to_string(), fixed));
        self
    }

    pub fn withdrawn(mut self) -> OsvEntry {
        self.body["withdrawn"] = json!("2024-07-01T00:00:00Z");
        self
    }

    /// A new `modified` time (in the entry and the index).
    pub fn modified_at(mut self, t: &str) -> OsvEntry {
        self.modified = t.to_string();
        self.body["modified"] = json!(t);
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).expect("entry serializes")
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("gzip to memory");
    enc.finish().expect("gzip to memory")
}

/// The files of a database: relative path -> bytes.
#[derive(Clone, Debug, Default)]
pub struct VulnDb {
    pub entries: Vec<OsvEntry>,
    pub modified: String,
}

impl VulnDb {
    pub fn new(entries: Vec<OsvEntry>) -> VulnDb {
        let modified = entries
            .iter()
            .map(|e| e.modified.clone())
            .max()
            .unwrap_or_else(|| "2024-01-01T00:00:00Z".into());
        VulnDb { entries, modified }
    }

    pub fn db_json(&self) -> Vec<u8> {
        serde_json::to_vec(&json!({"modified": self.modified})).expect("db")
    }

    pub fn modules_json(&self) -> Vec<u8> {
        let mut paths: Vec<String> = self
            .entries
            .iter()
            .flat_map(|e| e.modules.iter().map(|m| m.0.clone()))
            .collect();
        paths.sort();
        paths.dedup();
        let modules: Vec<Value> = paths
            .iter()
            .map(|p| {
                let vulns: Vec<Value> = self
                    .entries
                    .iter()
                    .filter_map(|e| {
                        let m = e.modules.iter().find(|m| &m.0 == p)?;
                        let mut v = json!({"id": e.id, "modified": e.modified});
                        if let Some(f) = &m.1 {
                            v["fixed"] = json!(f);
                        }
                        Some(v)
                    })
                    .collect();
                json!({"path": p, "vulns": vulns})
            })
            .collect();
        serde_json::to_vec(&modules).expect("modules")
    }

    /// Every file, plain: (relative path without extension, bytes).
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = vec![
            ("index/db".to_string(), self.db_json()),
            ("index/modules".to_string(), self.modules_json()),
        ];
        for e in &self.entries {
            out.push((format!("ID/{}", e.id), e.bytes()));
        }
        out
    }

    /// Serves `.json` and (when `gz`) `.json.gz` of every file under `prefix`.
    pub fn publish(&self, server: &TestServer, prefix: &str, gz: bool) {
        for (p, bytes) in self.files() {
            if gz {
                server.put(&format!("{prefix}/{p}.json.gz"), gzip(&bytes));
            }
            server.put(&format!("{prefix}/{p}.json"), bytes);
        }
    }

    /// Writes the files under `dir`: plain `.json`, or only `.json.gz`.
    pub fn write_to(&self, dir: &Path, gz_only: bool) {
        for (p, bytes) in self.files() {
            let (path, data) = if gz_only {
                (dir.join(format!("{p}.json.gz")), gzip(&bytes))
            } else {
                (dir.join(format!("{p}.json")), bytes)
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir: {e}"));
            }
            std::fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        }
    }
}
