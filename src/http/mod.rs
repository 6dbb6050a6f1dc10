//! The HTTP API (axum). [`app`] builds the router and nothing else: one
//! router per area (documents and the register, batches, keys and the
//! audit trail, templates, the studio) merged, behind the gate that
//! identifies callers ([`auth`]) and the trail that records them
//! ([`audit`]), with the guards every request passes ([`guard`]), request
//! ids, tracing, the body limit and the one middleware that logs defects.
//! [`run`] serves it ([`server`]) and starts the work a stop interrupted.
//! Handlers only extract, authorise, hand the CPU work to the render pool
//! and map errors ([`error`] holds every conversion).

mod audit;
mod auth;
mod batch;
mod documents;
pub mod error;
pub mod guard;
mod keys;
pub mod metrics;
pub mod openapi;
mod register;
pub mod server;
mod state;
pub mod studio;
mod templates;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
pub use guard::Names;
pub use server::Limits;
pub use state::{DEFAULT_LOOKUP_RATE_LIMIT, DEFAULT_RATE_LIMIT};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::document::Docket;
use crate::register::{Register, RegisterError};
use crate::render::pool::RenderPool;
pub use error::ApiError;
use state::AppState;
pub use state::{Live, Reload};

/// Default address to listen on.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default largest request body, in bytes.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Batches running or queued per caller, at most, by default.
pub const DEFAULT_BATCHES_PER_CALLER: usize = 4;
/// Batches running at once, whoever asked, by default: each uses every
/// render worker, so more would only share the same cores.
pub const DEFAULT_RUNNING_BATCHES: usize = 2;
/// Default per-render time limit.
pub const DEFAULT_RENDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of renders that may wait for a worker.
pub const DEFAULT_QUEUE: usize = 64;
/// Default time limit for a request's header (and for an idle kept-alive
/// connection).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time limit for reading a request's body.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// Default most connections open at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The request-id header, set on every request and echoed on every response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Largest batch body accepted (`None`: as `body_limit`). 10,000
    /// penalty-notice cases with their session registers are about 200 MiB
    /// of JSON.
    pub batch_body_limit: Option<usize>,
    /// Most cases in one batch.
    pub max_batch_cases: usize,
    /// Most batches one caller may have queued or running at once.
    pub max_batches_per_caller: usize,
    /// Renders running at once (default: the number of cores).
    pub workers: usize,
    /// Renders waiting for a worker before callers get 503.
    pub queue: usize,
    /// Time limit for one render.
    pub render_timeout: Duration,
    /// Development mode: drafts render and the studio is on for everyone
    /// (loopback only: [`run`] refuses it elsewhere).
    pub dev: bool,
    /// Whether callers without a key are served while no key exists (the
    /// open mode): [`run`] allows it on loopback only.
    pub open: bool,
    /// Requests a second per caller.
    pub rate_limit: u32,
    /// Lookups by reference or UPN a second per caller (and requests a
    /// second from an address without a usable key).
    pub lookup_rate_limit: u32,
    /// The names served, the origins allowed, TLS, the body time limit.
    pub names: Names,
    /// Connection limits.
    pub limits: Limits,
    /// A certificate chain and its private key (PEM) to serve TLS with.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where batches' callbacks may go.
    pub callback_allow: crate::batch::callback::Allow,
    /// The register of issued documents (an in-memory one if none is given).
    pub register: Option<Arc<Register>>,
    /// Where batches' files go (default: a folder under the system's
    /// temporary folder).
    pub batch_dir: Option<std::path::PathBuf>,
    /// How batches' callbacks are retried.
    pub callback_retry: crate::batch::callback::Retry,
    /// A loopback address to serve `/metrics` on without a key (as well
    /// as `/metrics` with a `metrics:read` key on the main address).
    pub metrics_addr: Option<SocketAddr>,
    /// Batches running at once, at most; more wait, queued.
    pub max_running_batches: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            batch_body_limit: None,
            max_batch_cases: crate::batch::DEFAULT_MAX_CASES,
            max_batches_per_caller: DEFAULT_BATCHES_PER_CALLER,
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            queue: DEFAULT_QUEUE,
            render_timeout: DEFAULT_RENDER_TIMEOUT,
            dev: false,
            open: true,
            rate_limit: DEFAULT_RATE_LIMIT,
            lookup_rate_limit: DEFAULT_LOOKUP_RATE_LIMIT,
            names: Names {
                body_timeout: Some(DEFAULT_BODY_TIMEOUT),
                ..Names::default()
            },
            limits: Limits::default(),
            tls: None,
            callback_allow: crate::batch::callback::Allow::default(),
            register: None,
            batch_dir: None,
            callback_retry: crate::batch::callback::Retry::default(),
            metrics_addr: None,
            max_running_batches: DEFAULT_RUNNING_BATCHES,
        }
    }
}

/// The service: its state, from which the router is built and the
/// interrupted work resumed.
#[derive(Clone)]
pub struct Service {
    state: AppState,
    names: Arc<Names>,
}

impl Service {
    /// The service for `live` templates with `options`; a register in
    /// memory if none is given.
    pub fn new(live: Arc<Live>, options: &ServeOptions) -> Result<Self, RegisterError> {
        let register = match &options.register {
            Some(r) => Arc::clone(r),
            None => Arc::new(Register::in_memory()?),
        };
        if let Err(e) = crate::telemetry::install() {
            tracing::warn!(error = %e, "metrics are not recorded");
        }
        let batch_dir = options.batch_dir.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("docket-batches-{}", std::process::id()))
        });
        Ok(Self {
            state: AppState {
                live,
                batches: crate::batch::Batches::new(
                    Arc::clone(&register),
                    batch_dir,
                    error::describe,
                )
                .with_callback_retry(options.callback_retry)
                .with_callback_allow(options.callback_allow.clone())
                .with_max_cases(options.max_batch_cases)
                .with_max_running(options.max_batches_per_caller),
                samples: Arc::new(crate::samples::Samples::new()),
                workers: options.workers,
                register,
                pool: RenderPool::new(options.workers, options.queue, options.render_timeout),
                batch_slots: Arc::new(tokio::sync::Semaphore::new(
                    options.max_running_batches.max(1),
                )),
                body_limit: options.body_limit,
                batch_body_limit: options.batch_body_limit.unwrap_or(options.body_limit),
                health: Arc::default(),
                dev: options.dev,
                access: Arc::new(state::Access::new(
                    options.open,
                    options.rate_limit,
                    options.lookup_rate_limit,
                )),
            },
            names: Arc::new(options.names.clone()),
        })
    }

    /// The router, with all middleware. Building it has no side effects:
    /// drive it directly in tests, or serve it.
    pub fn router(&self) -> Router {
        Router::new()
            .merge(templates::router())
            .merge(documents::router())
            .merge(register::router())
            .merge(batch::router(self.state.batch_body_limit))
            .merge(studio::router())
            .merge(keys::router())
            .merge(metrics::router())
            // Inside: the gate identifies the caller; outside it, the trail
            // records the request, refused or not.
            .route_layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                auth::gate,
            ))
            .route_layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                audit::trail,
            ))
            .route_layer(axum::middleware::from_fn(metrics::mark_route))
            .fallback(templates::not_found)
            .method_not_allowed_fallback(templates::method_not_allowed)
            .layer(DefaultBodyLimit::max(self.state.body_limit))
            .with_state(self.state.clone())
            .layer(axum::middleware::from_fn(error::log_errors))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&self.names),
                guard::names,
            ))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &axum::http::Request<_>| {
                        let id = request
                            .headers()
                            .get(&REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        // Method and path only: paths carry kinds and
                        // references, never case data.
                        tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
                    })
                    .on_response(log_response)
                    // Defects are logged once, by `log_errors`; shed load
                    // is summarised: no second line at ERROR for a 5xx.
                    .on_failure(()),
            )
            .layer(axum::middleware::from_fn(metrics::record))
            .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
            .layer(axum::middleware::from_fn(guard::plain_request_id))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&self.names),
                guard::protect,
            ))
    }

    /// Carries on with what a stop interrupted: batches from their recorded
    /// outcomes, callbacks from their counted attempts. Needs a tokio
    /// runtime; the work runs in the background.
    pub fn resume(&self) -> Result<(), RegisterError> {
        let state = &self.state;
        for id in state.register.unfinished_batches()? {
            match state.batches.record_failure_left_by_a_stop(&id) {
                Ok(true) => {
                    tracing::warn!(batch = %id, "a batch failed before the stop and its failure could not be recorded then: recorded now");
                    continue;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(batch = %id, error = %e, "a batch's unrecorded failure could not be read");
                }
            }
            tracing::info!(batch = %id, "resuming a batch interrupted by a stop");
            batch::spawn(state, id);
        }
        for (id, _) in state.register.pending_callbacks()? {
            tracing::info!(batch = %id, "resuming a callback interrupted by a stop");
            batch::spawn_callback(state, id);
        }
        Ok(())
    }
}

/// One line a response, at info, inside the request's span: its status
/// and how long it took. Shed load (503, the render queue full; 429, a
/// rate limit) gets no line of its own: it is counted and summarised
/// ([`crate::telemetry::shed`]).
fn log_response(
    response: &axum::http::Response<axum::body::Body>,
    latency: Duration,
    _span: &tracing::Span,
) {
    if response.extensions().get::<error::Shed>().is_some() {
        return;
    }
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "answered"
    );
}

/// The router for `docket` with `options`: [`Service::router`].
pub fn app(docket: Arc<Docket>, options: &ServeOptions) -> Result<Router, RegisterError> {
    Ok(Service::new(Live::new(docket), options)?.router())
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, then finishes the
/// requests in flight.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    server::serve(listener, app, None, Limits::default(), shutdown_signal()).await
}

/// Why the service could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound, or serving failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The register could not be read to resume interrupted work.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] server::TlsError),
    /// Off loopback with no key: anyone who reaches the port would be open.
    #[error(
        "{0} is not a loopback address and the register has no API key, so anyone who can reach it could read children's records; create a key first with `docket keys create --name NAME --scope SCOPES`, or serve on 127.0.0.1"
    )]
    NoKeys(SocketAddr),
    /// `--metrics-addr` could not be served.
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsAddrError),
    /// `--dev` off loopback.
    #[error(
        "--dev opens drafts and the studio to every caller, so it serves on a loopback address only (127.0.0.1 or ::1), not {0}"
    )]
    DevOffLoopback(SocketAddr),
}

/// The `Host` names served on `addr` by default: the address itself and
/// `localhost`, with its port (none on an unspecified address, whose names
/// only the operator knows: `--allowed-host`).
pub fn default_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    if addr.ip().is_unspecified() {
        return Vec::new();
    }
    let mut hosts = vec![addr.to_string(), format!("localhost:{port}")];
    if addr.ip().is_loopback() {
        hosts.push(format!("127.0.0.1:{port}"));
        hosts.push(format!("[::1]:{port}"));
    }
    hosts
}

/// Binds `addr`, resumes the work a stop interrupted, and serves until shut
/// down.
pub async fn run(
    addr: SocketAddr,
    docket: Arc<Docket>,
    options: ServeOptions,
) -> Result<(), ServeError> {
    let mut options = options;
    let loopback = addr.ip().is_loopback();
    if options.dev && !loopback {
        return Err(ServeError::DevOffLoopback(addr));
    }
    let register = match &options.register {
        Some(r) => Arc::clone(r),
        None => Arc::new(Register::in_memory()?),
    };
    options.register = Some(Arc::clone(&register));
    let has_keys = register.has_keys()?;
    if !loopback && !has_keys {
        return Err(ServeError::NoKeys(addr));
    }
    // Behind a proxy (names or origins given) or over TLS, loopback is not
    // the only way in: the open mode is for a developer's machine only.
    let exposed = !options.names.hosts.is_empty()
        || !options.names.origins.is_empty()
        || options.tls.is_some();
    options.open = loopback && options.open && !exposed;
    if !has_keys {
        if options.open {
            tracing::warn!(
                "no API keys exist: serving on loopback without access control (the open mode); create one with `docket keys create` and every caller will need a key"
            );
        } else {
            tracing::warn!(
                "no API keys exist and the open mode is off (--allowed-host, --allowed-origin or TLS given): every request that needs a key is refused until one is made with `docket keys create`"
            );
        }
    }
    let tls = match &options.tls {
        Some((cert, key)) => Some(server::tls_acceptor(cert, key)?),
        None => None,
    };
    options.names.tls = tls.is_some();
    if options.names.hosts.is_empty() && addr.ip().is_unspecified() {
        tracing::warn!(
            "serving on an unspecified address without --allowed-host: any Host header is accepted"
        );
    } else {
        options.names.hosts.extend(default_hosts(addr));
    }
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, tls = tls.is_some(), "docket listening");
    let root = docket.templates().root().to_path_buf();
    let live = Live::new(docket);
    if options.dev {
        tracing::info!(templates = %root.display(), "development mode: drafts render, the studio is at /studio, template edits reload");
        tokio::spawn(studio::watch(Arc::clone(&live), root));
    }
    let service = Service::new(live, &options)?;
    if let Some(at) = options.metrics_addr {
        metrics::serve(at, service.state.clone()).await?;
    }
    // Every 10 s: shed load summarised, histograms' samples folded in.
    tokio::spawn(async {
        let mut every = tokio::time::interval(crate::telemetry::SHED_SUMMARY);
        every.tick().await;
        loop {
            every.tick().await;
            crate::telemetry::summarise_shed();
            crate::telemetry::upkeep();
        }
    });
    service.resume()?;
    Ok(server::serve(
        listener,
        service.router(),
        tls,
        options.limits,
        shutdown_signal(),
    )
    .await?)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
