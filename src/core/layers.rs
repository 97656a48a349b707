//! The state layers one account sees, nearest first: its own (GOV_HOME,
//! where its writes go) and the system layer (GOV_SYSTEM_HOME, root's,
//! read by everyone). For root, by default, they are the same directory
//! and there is one layer. An account without any home has no layer of
//! its own and reads the system layer only.

use crate::core::env::Env;
use crate::core::layout::Layout;

/// Which layer something lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    User,
    System,
}

impl Layer {
    /// The name used in text and JSON (`"user"`, `"system"`).
    pub fn name(self) -> &'static str {
        match self {
            Layer::User => "user",
            Layer::System => "system",
        }
    }

    pub fn of(layout: &Layout) -> Layer {
        if layout.is_system() {
            Layer::System
        } else {
            Layer::User
        }
    }
}

/// One layer as a command sees it: which it is, its layout, and whether
/// this command writes it (only the caller's own layer is writable).
#[derive(Debug, Clone)]
pub struct LayerView {
    pub layer: Layer,
    pub layout: Layout,
    pub writable: bool,
}

impl LayerView {
    /// `"user"` or `"system"`.
    pub fn name(&self) -> &'static str {
        self.layer.name()
    }
}

#[derive(Debug, Clone)]
pub struct Layers {
    own: Option<Layout>,
    system: Layout,
    /// The environment the layers are read in: a selection made over
    /// them reads GOV_VERSION, GOWORK and the like from it.
    env: Env,
}

impl Layers {
    /// This process's layers from GOV_HOME / GOV_SYSTEM_HOME. Never fails:
    /// without a home the account reads the system layer alone.
    pub fn from_env(env: &Env) -> Layers {
        let own = Layout::from_env(env).ok();
        let system = Layout::system(env);
        let env = env.clone();
        Layers { own, system, env }
    }

    /// The layers above and below `own` (the caller's layer), read in the
    /// process environment: the system layer is the one `own` was read
    /// with.
    pub fn with_own(own: Option<Layout>) -> Layers {
        let env = Env::process();
        let system = match &own {
            Some(own) => own.system_layer(),
            None => Layout::system(&env),
        };
        Layers { own, system, env }
    }

    /// The same layers read in `env`.
    pub fn in_env(mut self, env: Env) -> Layers {
        self.env = env;
        self
    }

    /// The environment these layers are read in.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// An account layer at `own` over a system layer at `system` (their
    /// entry points in `bin/` of each): for tests and tools that build
    /// layers without reading the environment.
    pub fn from_homes(own: &std::path::Path, system: &std::path::Path) -> Layers {
        let system = Layout::new(system.to_path_buf(), system.join("bin"));
        let system = system
            .clone()
            .with_system(system.home().into(), system.bin_dir().into());
        Layers {
            own: Some(
                Layout::new(own.to_path_buf(), own.join("bin"))
                    .with_system(system.home().into(), system.bin_dir().into()),
            ),
            system,
            env: Env::process(),
        }
    }

    /// The caller's own layer (the system layer for root by default).
    pub fn own(&self) -> Option<&Layout> {
        self.own.as_ref()
    }

    pub fn system(&self) -> &Layout {
        &self.system
    }

    /// The account's layer when it is not the system layer.
    pub fn user(&self) -> Option<&Layout> {
        self.own.as_ref().filter(|l| l.home() != self.system.home())
    }

    /// The layers nearest first, each writable when it is the caller's own.
    pub fn views(&self) -> Vec<LayerView> {
        let own = self.own.as_ref().map(Layout::home);
        self.search()
            .map(|(layer, layout)| LayerView {
                layer,
                writable: Some(layout.home()) == own,
                layout: layout.clone(),
            })
            .collect()
    }

    /// The layers to read, nearest first.
    pub fn search(&self) -> impl Iterator<Item = (Layer, &Layout)> {
        self.user()
            .map(|l| (Layer::User, l))
            .into_iter()
            .chain(std::iter::once((Layer::System, &self.system)))
    }
}
