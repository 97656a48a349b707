//! Per-invocation context: the layout, the user interface, and the HTTP
//! client, built only when a command needs the network (a warm `list-remote`
//! never pays for TLS setup).

use std::cell::OnceCell;
use std::sync::Arc;

use reqwest::blocking::Client;

use crate::core::error::{ErrorKind, Result};
use crate::core::layout::Layout;
use crate::core::report::Reporter;
use crate::net::http;
use crate::net::index::{self, Freshness, Index, IndexSource};

pub struct App {
    pub layout: Layout,
    pub ui: Arc<dyn Reporter>,
    client: OnceCell<Client>,
}

impl App {
    pub fn new(layout: Layout, ui: Arc<dyn Reporter>) -> App {
        App {
            layout,
            ui,
            client: OnceCell::new(),
        }
    }

    pub fn from_env(ui: Arc<dyn Reporter>) -> Result<App> {
        Ok(App::new(Layout::from_env()?, ui))
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
        let idx = index::load(&self.layout, &|| self.client(), freshness)?;
        if let IndexSource::Stale { age, why } = &idx.source {
            self.ui.warn(&format!(
                "using the release index cached {} ago ({why})",
                index::describe_age(*age)
            ));
        }
        Ok(idx)
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
