//! Per-invocation context: the environment the command reads, the layout,
//! the user interface, gov's settings (read on first use) and the HTTP
//! client, built only when a command needs the network (a warm
//! `list-remote` never pays for TLS setup).

use std::cell::{Cell, OnceCell};
use std::sync::Arc;

use reqwest::blocking::Client;

use crate::core::config::Settings;
use crate::core::env::Env;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::layers::Layers;
use crate::core::layout::{Layout, is_root};
use crate::core::report::Reporter;
use crate::net::http;
use crate::net::index::{self, Freshness, Index, IndexSource};

pub struct App {
    /// The caller's own layer: where its installs, selection and settings
    /// are written (the system layer for root).
    pub layout: Layout,
    pub ui: Arc<dyn Reporter>,
    /// The environment this command reads (the process's, or one given).
    pub env: Env,
    settings: OnceCell<Settings>,
    /// A dry run: read what is there, write nothing (not even caches).
    read_only: Cell<bool>,
    client: OnceCell<Client>,
    /// `--refresh`: the first index load of this run revalidates.
    refresh: Cell<bool>,
}

impl App {
    pub fn new(layout: Layout, ui: Arc<dyn Reporter>) -> App {
        App::with_env(layout, ui, Env::process())
    }

    /// An App reading `env` instead of the process environment.
    pub fn with_env(layout: Layout, ui: Arc<dyn Reporter>, env: Env) -> App {
        App {
            layout,
            ui,
            env,
            settings: OnceCell::new(),
            read_only: Cell::new(false),
            client: OnceCell::new(),
            refresh: Cell::new(false),
        }
    }

    /// From now on this run is a dry run: caches are read, not written.
    pub fn set_read_only(&self) {
        self.read_only.set(true);
    }

    /// The App for `env`: its layout is the one `env` names.
    pub fn from_env(ui: Arc<dyn Reporter>, env: Env) -> Result<App> {
        Ok(App::with_env(Layout::from_env(&env)?, ui, env))
    }

    /// gov's settings as this command sees them: its environment over the
    /// config files of its layers, read once.
    pub fn settings(&self) -> &Settings {
        self.settings
            .get_or_init(|| Settings::load(self.env.clone(), &self.layers()))
    }

    /// The layers this account reads, nearest first.
    pub fn layers(&self) -> Layers {
        Layers::with_own(Some(self.layout.clone())).in_env(self.env.clone())
    }

    /// The same App aimed at the system layer (`--system`): root only.
    pub fn system(&self, command: &str) -> Result<App> {
        if !is_root() {
            return Err(Error::new(
                ErrorKind::Permission,
                "the system layer belongs to root",
            )
            .with_advice(format!(
                "run it as root: `sudo gov {command} --system ...`; without --system it acts on your own layer ({})",
                self.layout.home().display()
            )));
        }
        Ok(App::with_env(
            self.layout.system_layer(),
            self.ui.clone(),
            self.env.clone(),
        ))
    }

    pub fn client(&self) -> Result<Client> {
        if let Some(c) = self.client.get() {
            return Ok(c.clone());
        }
        let c = http::build_client()?;
        Ok(self.client.get_or_init(|| c).clone())
    }

    /// The release index, warning when a stale cached copy had to do.
    pub fn index(&self, freshness: Freshness) -> Result<Index> {
        let freshness = if self.refresh.replace(false) {
            Freshness::Revalidate
        } else {
            freshness
        };
        let idx = index::load_with(
            &self.layout,
            &|| self.client(),
            freshness,
            !self.read_only.get(),
        )?;
        if let IndexSource::Stale { age, why } = &idx.source {
            self.ui.warn(&format!(
                "using the release index cached {} ago ({why})",
                index::describe_age(*age)
            ));
        }
        Ok(idx)
    }

    /// Makes the next index load revalidate with the server (`--refresh`).
    pub fn refresh_index(&self) {
        self.refresh.set(true);
    }

    /// Resolves against the index; a miss in a cached copy revalidates once,
    /// so a release published within the cache's TTL is still found.
    pub fn resolve(
        &self,
        req: &crate::core::version::VersionRequest,
        arch: &str,
    ) -> Result<(Index, index::Resolved)> {
        let idx = self.index(Freshness::Normal)?;
        match idx.resolve(req, arch) {
            Ok(r) => Ok((idx, r)),
            Err(e)
                if e.kind() == ErrorKind::NotFound
                    && matches!(idx.source, IndexSource::Cache { .. }) =>
            {
                let idx = self.index(Freshness::Revalidate)?;
                let r = idx.resolve(req, arch)?;
                Ok((idx, r))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::Store;

    /// A command's view of the settings comes from the App's environment
    /// and layers only: two Apps with different environments in one
    /// process disagree as two processes would.
    #[test]
    fn settings_come_from_the_apps_environment() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let layout = Layout::new(dir.path().join("home"), dir.path().join("bin"));
        let ui: Arc<dyn Reporter> = Arc::new(crate::core::report::Silent);
        let changes = [("GOV_INDEX_TTL".to_string(), Some("42".to_string()))];
        crate::core::config::update_layer_file(&layout, Store::Config, &changes, false)
            .unwrap_or_else(|e| panic!("{e}"));
        let quiet = App::with_env(
            layout.clone(),
            ui.clone(),
            Env::from_pairs([("HOME", "/x")]),
        );
        let loud = App::with_env(layout, ui, Env::from_pairs([("GOV_INDEX_TTL", "7")]));
        let r = quiet.settings().resolve("GOV_INDEX_TTL");
        assert_eq!((r.value.as_str(), r.origin_name()), ("42", "user"));
        let r = loud.settings().resolve("GOV_INDEX_TTL");
        assert_eq!((r.value.as_str(), r.origin_name()), ("7", "environment"));
        assert_eq!(
            quiet.settings().resolve("GOV_MIRROR").origin_name(),
            "default"
        );
    }
}
