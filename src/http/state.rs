//! What every handler shares: the templates in use, the register, the
//! batches, the render pool, access control and the service's settings.

use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use tokio::sync::watch;

use super::auth::Access;
use super::error::ApiError;
use crate::access::Caller;
use crate::batch::Batches;
use crate::document::Docket;
use crate::register::Register;
use crate::render::pool::RenderPool;
use crate::samples::Samples;
use crate::templates::Version;

/// The templates being served, swapped whole when `--dev` sees a change.
#[derive(Debug)]
pub struct Live {
    docket: RwLock<Arc<Docket>>,
    pub(super) reloads: watch::Sender<Reload>,
}

/// What the studio's event stream reports after a change under the template
/// folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reload {
    /// Counts reloads since start.
    pub generation: u64,
    /// Why the changed templates could not be loaded (the old ones stay).
    pub error: Option<String>,
}

impl Live {
    /// Serves `docket`.
    pub fn new(docket: Arc<Docket>) -> Arc<Self> {
        Arc::new(Self {
            docket: RwLock::new(docket),
            reloads: watch::Sender::new(Reload::default()),
        })
    }

    /// The templates in use now.
    pub fn docket(&self) -> Arc<Docket> {
        match self.docket.read() {
            Ok(d) => Arc::clone(&d),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub(super) fn replace(&self, docket: Arc<Docket>) {
        match self.docket.write() {
            Ok(mut d) => *d = docket,
            Err(poisoned) => *poisoned.into_inner() = docket,
        }
    }
}

/// The register's health when last tried: when, and whether it could be
/// written (or why not).
pub(super) type Health = (std::time::Instant, Result<(), String>);

/// The state behind every route.
#[derive(Clone)]
pub(super) struct AppState {
    pub(super) live: Arc<Live>,
    pub(super) register: Arc<Register>,
    pub(super) batches: Batches,
    pub(super) samples: Arc<Samples>,
    pub(super) workers: usize,
    pub(super) pool: RenderPool,
    pub(super) body_limit: usize,
    pub(super) batch_body_limit: usize,
    pub(super) health: Arc<Mutex<Option<Health>>>,
    pub(super) dev: bool,
    pub(super) access: Arc<Access>,
}

impl AppState {
    /// The templates in use now (they change only under `--dev`).
    pub(super) fn docket(&self) -> Arc<Docket> {
        self.live.docket()
    }

    /// Whether this caller may see drafts and the studio: in development
    /// mode (loopback only), or with `templates:draft`.
    pub(super) fn maintainer(&self, caller: Option<&Caller>) -> bool {
        super::auth::maintainer(self, caller)
    }

    /// Refuses a draft version to anyone but a maintainer.
    pub(super) fn allow(&self, version: &Version, caller: Option<&Caller>) -> Result<(), ApiError> {
        if version.meta.draft && !self.maintainer(caller) {
            return Err(ApiError::draft(&version.id()));
        }
        Ok(())
    }
}
