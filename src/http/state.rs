//! What every handler shares: the templates in use, the register, the
//! batches, the render pool and the service's settings; and who may see
//! drafts and the studio.

use std::sync::{Arc, Mutex, RwLock};

use axum::http::{HeaderMap, header};
use serde::Serialize;
use subtle::ConstantTimeEq;
use tokio::sync::watch;

use super::error::ApiError;
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
    pub(super) maintainer_key: Option<Arc<str>>,
}

impl AppState {
    /// The templates in use now (they change only under `--dev`).
    pub(super) fn docket(&self) -> Arc<Docket> {
        self.live.docket()
    }

    /// Whether this request may see drafts and the studio: in development
    /// mode, or with the maintainer key (compared in constant time).
    pub(super) fn maintainer(&self, headers: &HeaderMap) -> bool {
        if self.dev {
            return true;
        }
        let Some(key) = &self.maintainer_key else {
            return false;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        bool::from(given.as_bytes().ct_eq(key.as_bytes()))
    }

    /// Refuses a draft version to anyone but a maintainer.
    pub(super) fn allow(&self, version: &Version, headers: &HeaderMap) -> Result<(), ApiError> {
        if version.meta.draft && !self.maintainer(headers) {
            return Err(ApiError::draft(&version.id()));
        }
        Ok(())
    }
}
