//! The HTTP API (axum): routes, handlers, request ids and tracing, the body
//! limit and graceful shutdown. Handlers only extract, hand the CPU work to the
//! render pool and map errors (see [`problem`]).

mod batch;
pub mod openapi;
pub mod problem;
mod register;
pub mod studio;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::document::{Docket, Request};
use crate::register::Register;
use crate::render::pool::RenderPool;
pub use problem::ApiError;

/// Default address to listen on.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default largest request body, in bytes.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Largest batch accepted (`POST /v1/batches`): 10,000 penalty-notice cases
/// with their session registers are about 200 MiB of JSON.
pub const DEFAULT_BATCH_BODY_LIMIT: usize = 512 * 1024 * 1024;
/// Default per-render time limit.
pub const DEFAULT_RENDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of renders that may wait for a worker.
pub const DEFAULT_QUEUE: usize = 64;

/// The request-id header, set on every request and echoed on every response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Renders running at once (default: the number of cores).
    pub workers: usize,
    /// Renders waiting for a worker before callers get 503.
    pub queue: usize,
    /// Time limit for one render.
    pub render_timeout: Duration,
    /// Development mode: drafts render and the studio is on for everyone.
    pub dev: bool,
    /// With this key (`Authorization: Bearer <key>`), a maintainer may render
    /// drafts and use the studio outside development mode.
    pub maintainer_key: Option<String>,
    /// The register of issued documents (an in-memory one if none is given).
    pub register: Option<Arc<Register>>,
    /// Where batches' files go (default: a folder under the system's
    /// temporary folder).
    pub batch_dir: Option<std::path::PathBuf>,
    /// How batches' callbacks are retried.
    pub callback_retry: crate::batch::callback::Retry,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            queue: DEFAULT_QUEUE,
            render_timeout: DEFAULT_RENDER_TIMEOUT,
            dev: false,
            maintainer_key: None,
            register: None,
            batch_dir: None,
            callback_retry: crate::batch::callback::Retry::default(),
        }
    }
}

#[derive(Clone)]
struct AppState {
    live: Arc<studio::Live>,
    register: Arc<Register>,
    batches: crate::batch::Batches,
    workers: usize,
    pool: RenderPool,
    body_limit: usize,
    dev: bool,
    maintainer_key: Option<Arc<str>>,
}

impl AppState {
    /// The templates in use now (they change only under `--dev`).
    fn docket(&self) -> Arc<Docket> {
        self.live.docket()
    }

    /// Whether this request may see drafts and the studio: in development
    /// mode, or with the maintainer key.
    fn maintainer(&self, headers: &HeaderMap) -> bool {
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
        // Compare in time independent of where the strings differ.
        given.len() == key.len()
            && given
                .bytes()
                .zip(key.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// Refuses a draft version to anyone but a maintainer.
    fn check_draft(
        &self,
        kind: &str,
        version: Option<&str>,
        headers: &HeaderMap,
    ) -> Result<(), ApiError> {
        let Some(name) = version else { return Ok(()) };
        let Ok(v) = self
            .docket()
            .templates()
            .select(kind, Some(name), chrono::NaiveDate::MIN)
        else {
            return Ok(()); // the render reports the unknown version
        };
        if v.meta.draft && !self.maintainer(headers) {
            return Err(ApiError::Forbidden(format!(
                "{} is a draft: drafts render only in development mode (`docket serve --dev`) or with the maintainer key",
                v.id()
            )));
        }
        Ok(())
    }
}

/// The router, with all middleware: build it once and serve it, or drive it
/// directly in tests.
pub fn app(docket: Arc<Docket>, options: &ServeOptions) -> Router {
    app_live(studio::Live::new(docket), options)
}

/// [`app`] serving templates that `--dev` may reload (see [`studio::watch`]).
pub fn app_live(live: Arc<studio::Live>, options: &ServeOptions) -> Router {
    let register = match &options.register {
        Some(r) => Arc::clone(r),
        None => match Register::in_memory() {
            Ok(r) => Arc::new(r),
            Err(e) => unreachable!("an in-memory SQLite database opens: {e}"),
        },
    };
    let batch_dir = options.batch_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("docket-batches-{}", std::process::id()))
    });
    let state = AppState {
        live,
        batches: crate::batch::Batches::new(Arc::clone(&register), batch_dir)
            .with_callback_retry(options.callback_retry),
        workers: options.workers,
        register,
        pool: RenderPool::new(options.workers, options.queue, options.render_timeout),
        body_limit: options.body_limit,
        dev: options.dev,
        maintainer_key: options.maintainer_key.as_deref().map(Arc::from),
    };
    // Batches a stop interrupted carry on from their recorded outcomes, and
    // callbacks it interrupted from their counted attempts.
    if tokio::runtime::Handle::try_current().is_ok() {
        for id in state.register.unfinished_batches().unwrap_or_default() {
            tracing::info!(batch = %id, "resuming a batch interrupted by a stop");
            batch::spawn(&state, id);
        }
        for (id, _) in state.register.pending_callbacks().unwrap_or_default() {
            tracing::info!(batch = %id, "resuming a callback interrupted by a stop");
            batch::spawn_callback(&state, id);
        }
    }
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .route("/v1/templates", get(list_templates))
        .route("/v1/templates/{kind}/{version}/sample", get(sample))
        .route("/v1/templates/{kind}/{version}/schema", get(case_schema))
        .route(
            "/v1/templates/{kind}/{version}/batch.csv",
            get(batch::csv_template),
        )
        // `{id}` is a kind when posting a case, a reference when reading an
        // issued document back.
        .route("/v1/documents/{id}", post(render_document).get(register::pdf))
        .route("/v1/documents", get(register::list))
        .route("/v1/documents/{id}/status", get(register::status))
        .route("/v1/documents/{id}/events", post(register::add_event))
        .route(
            "/v1/batches",
            post(batch::create).layer(DefaultBodyLimit::max(DEFAULT_BATCH_BODY_LIMIT)),
        )
        .route("/v1/batches/{id}", get(batch::status))
        .route("/v1/batches/{id}/{file}", get(batch::file))
        .route("/studio", get(studio::page))
        .route("/v1/studio/preview/{kind}", post(studio::preview))
        .route("/v1/studio/diff/{kind}", get(studio::diff))
        .route("/v1/studio/events", get(studio::events))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(options.body_limit))
        .with_state(state)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                // Method and path only: paths carry kinds, never case data.
                tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, then finishes the
/// requests in flight.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// Binds `addr` and serves until shut down.
pub async fn run(
    addr: SocketAddr,
    docket: Arc<Docket>,
    options: ServeOptions,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "docket listening");
    let root = docket.templates().root().to_path_buf();
    let live = studio::Live::new(docket);
    if options.dev {
        tracing::info!(templates = %root.display(), "development mode: drafts render, the studio is at /studio, template edits reload");
        tokio::spawn(studio::watch(Arc::clone(&live), root));
    }
    serve(listener, app_live(live, &options)).await
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

async fn healthz() -> &'static str {
    "ok"
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

/// `GET /v1/templates`: the framework's catalogue, per edition and level,
/// with every version of every document.
async fn list_templates(
    State(state): State<AppState>,
) -> Json<Vec<crate::templates::catalogue::EditionOverview>> {
    Json(state.docket().templates().overview())
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    let doc = openapi::document(state.docket().templates());
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        serde_json::to_vec_pretty(&doc).unwrap_or_default(),
    )
        .into_response()
}

async fn docs_page() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        include_str!("assets/docs.html"),
    )
        .into_response()
}

/// `GET /v1/templates/{kind}/{version}/schema`: the JSON Schema of the case
/// data the version needs.
async fn case_schema(
    State(state): State<AppState>,
    Path((kind, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.check_draft(&kind, Some(&version), &headers)?;
    let v = state
        .docket()
        .templates()
        .select(&kind, Some(&version), chrono::NaiveDate::MIN)
        .map_err(|e| ApiError::from(crate::document::DocumentError::from(e)))?;
    let schema = crate::case::schema_for(&v.entry.sections, &v.entry.title);
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/schema+json"),
        )],
        serde_json::to_vec_pretty(&schema).unwrap_or_default(),
    )
        .into_response())
}

async fn sample(
    State(state): State<AppState>,
    Path((kind, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.check_draft(&kind, Some(&version), &headers)?;
    let version = state
        .docket()
        .templates()
        .select(&kind, Some(&version), chrono::NaiveDate::MIN)
        .map_err(|e| ApiError::from(crate::document::DocumentError::from(e)))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        version.sample.clone(),
    )
        .into_response())
}

/// Query parameters of `POST /v1/documents/{kind}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentQuery {
    version: Option<String>,
    as_of: Option<NaiveDate>,
    recipient: Option<usize>,
    /// Issue the document: store it in the register under its own
    /// reference. Penalty notices are always issued.
    issue: Option<bool>,
}

async fn render_document(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    query: Result<Query<DocumentQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    state.check_draft(&kind, query.version.as_deref(), &headers)?;
    check_json_content_type(&headers)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(state.body_limit)
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    let case: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let docket = state.docket();
    let always = docket
        .templates()
        .select_on(&kind, query.version.as_deref(), query.as_of)
        .is_ok_and(|v| v.entry.recipients == crate::templates::Recipients::NoticedParents);
    if always || query.issue == Some(true) {
        return register::issue(&state, kind, query, &headers, case).await;
    }
    let register = Arc::clone(&state.register);
    let (rendered, warnings) = state
        .pool
        .run(move || -> Result<_, ApiError> {
            let request = Request {
                kind: &kind,
                version: query.version.as_deref(),
                as_of: query.as_of,
                recipient: query.recipient,
                case: &case,
            };
            Ok(crate::bundle::render(&docket, &register, &request)?)
        })
        .await??;
    let disposition = format!("inline; filename=\"{}\"", rendered.file_name);
    let mut response = rendered.pdf.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&rendered.version.id()) {
        h.insert(HeaderName::from_static("docket-template"), v);
    }
    h.insert(
        HeaderName::from_static("docket-copies"),
        HeaderValue::from(rendered.copies),
    );
    if let Some(v) = warnings_header(&warnings) {
        h.insert(HeaderName::from_static("docket-warnings"), v);
    }
    let p = &rendered.provenance;
    for (name, value) in [
        ("docket-template-hash", &p.template_hash),
        ("docket-version", &p.docket),
        ("docket-case-hash", &p.case_hash),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    }
    Ok(response)
}

/// `Docket-Warnings`: the rules of a court bundle's weaker gaps, comma
/// separated (the details are in the register's status of an issued bundle).
fn warnings_header(warnings: &[crate::bundle::Warning]) -> Option<HeaderValue> {
    if warnings.is_empty() {
        return None;
    }
    let rules: Vec<&str> = warnings.iter().map(|w| w.rule).collect();
    HeaderValue::from_str(&rules.join(", ")).ok()
}

fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        Ok(())
    } else if mime.is_empty() {
        Err(ApiError::UnsupportedMediaType(
            "send the case as JSON with `Content-Type: application/json`".into(),
        ))
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "`{mime}` is not accepted; send the case as `application/json`"
        )))
    }
}
