//! What every handler shares: the templates in use, the register, the
//! batches, the render pool, access control and the service's settings.

use std::sync::{Arc, Mutex, RwLock};

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use tokio::sync::watch;

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
    /// Batches running at once, at most (`--max-running-batches`).
    pub(super) batch_slots: Arc<tokio::sync::Semaphore>,
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
        self.dev || caller.is_some_and(|c| c.may(crate::access::Scope::TemplatesDraft))
    }

    /// Refuses a draft version to anyone but a maintainer.
    pub(super) fn allow(&self, version: &Version, caller: Option<&Caller>) -> Result<(), ApiError> {
        if version.meta.draft && !self.maintainer(caller) {
            return Err(ApiError::draft(&version.id()));
        }
        Ok(())
    }
}

/// The access settings and state every request shares.
#[derive(Debug)]
pub(super) struct Access {
    /// Whether callers without a key are served while no key exists
    /// (loopback only: `run` decides).
    open: bool,
    /// Set once a key is seen: keys are never deleted, so it stays set.
    keys_exist: AtomicBool,
    requests: DefaultKeyedRateLimiter<String>,
    lookups: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
    clock: DefaultClock,
}

/// Requests a second per caller, by default (above what two cores render,
/// so it holds back a runaway client, not a busy case tool).
pub const DEFAULT_RATE_LIMIT: u32 = 1000;
/// Lookups by reference or UPN a second per caller, by default.
pub const DEFAULT_LOOKUP_RATE_LIMIT: u32 = 20;

fn quota(per_second: u32) -> Quota {
    // A second's worth may come at once; the rate refills it.
    Quota::per_second(NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Access {
    /// Access with the open mode allowed or not, and the two rate limits
    /// (requests and lookups a second per caller).
    pub(super) fn new(open: bool, rate: u32, lookup_rate: u32) -> Self {
        Self {
            open,
            keys_exist: AtomicBool::new(false),
            requests: RateLimiter::keyed(quota(rate)),
            lookups: RateLimiter::keyed(quota(lookup_rate)),
            checks: AtomicU64::new(0),
            clock: DefaultClock::default(),
        }
    }

    /// Whether no key exists, so the open mode applies (asked of the
    /// register until a key is seen, so a key made with the CLI while the
    /// service runs closes it at once).
    pub(super) fn open_now(&self, register: &Register) -> Result<bool, ApiError> {
        if !self.open || self.keys_exist.load(Ordering::Relaxed) {
            return Ok(false);
        }
        if register.has_keys()? {
            self.keys_exist.store(true, Ordering::Relaxed);
            return Ok(false);
        }
        Ok(true)
    }

    /// Takes one request from `who`'s allowance (and a lookup's, for a
    /// lookup); the wait before the next if there is none left.
    pub(super) fn limit(&self, who: &str, lookup: bool) -> Result<(), ApiError> {
        // Forget callers not seen lately, now and then, so the limiters'
        // memory stays bounded whatever addresses call.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.requests.retain_recent();
            self.lookups.retain_recent();
        }
        let key = who.to_owned();
        let check = |limiter: &DefaultKeyedRateLimiter<String>| {
            limiter.check_key(&key).map_err(|not_until| {
                let wait = not_until.wait_time_from(self.clock.now());
                ApiError::RateLimited(wait.max(Duration::from_secs(1)).as_secs())
            })
        };
        check(&self.requests)?;
        if lookup {
            check(&self.lookups)?;
        }
        Ok(())
    }
}
