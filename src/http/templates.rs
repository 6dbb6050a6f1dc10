//! What the service says about itself: health, the OpenAPI description and
//! its page, the catalogue, and each version's sample, schema and CSV
//! template.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use chrono::NaiveDate;

use super::error::ApiError;
use super::openapi;
use super::state::AppState;
use crate::access::Caller;
use crate::templates::Version;

/// The routes of the service's own description and the catalogue.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", routing::get(healthz))
        .route("/openapi.json", routing::get(openapi_json))
        .route("/docs", routing::get(docs_page))
        .route("/v1/templates", routing::get(list_templates))
        .route(
            "/v1/templates/{kind}/{version}/sample",
            routing::get(sample),
        )
        .route(
            "/v1/templates/{kind}/{version}/schema",
            routing::get(case_schema),
        )
        .route(
            "/v1/templates/{kind}/{version}/batch.csv",
            routing::get(csv_template),
        )
}

/// `GET /healthz`: `ok`, or `503` with a problem while the register
/// cannot be written (its disk full, its file read-only). The register is
/// tried at most once a second, so the check cannot load it.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    let recent = state
        .health
        .lock()
        .ok()
        .and_then(|h| h.clone())
        .filter(|(at, _)| at.elapsed() < std::time::Duration::from_secs(1));
    let result = match recent {
        Some((_, result)) => result,
        None => {
            let register = std::sync::Arc::clone(&state.register);
            let result = tokio::task::spawn_blocking(move || register.probe())
                .await?
                .map_err(|e| match e.storage() {
                    Some(crate::register::Storage::Full) => {
                        "the register's disk is full: issues, events and batches cannot be recorded"
                            .to_owned()
                    }
                    _ => format!("the register cannot be written: {e}"),
                });
            if let Ok(mut h) = state.health.lock() {
                *h = Some((std::time::Instant::now(), result.clone()));
            }
            result
        }
    };
    result.map(|()| "ok").map_err(ApiError::Degraded)
}

/// The fallback: a problem, not an empty 404.
pub(super) async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

/// A route asked with a method it does not take: a problem, not an empty 405.
pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// `GET /v1/templates`: the framework's catalogue, per edition and level,
/// with every version of every document.
async fn list_templates(
    State(state): State<AppState>,
) -> Json<Vec<crate::templates::catalogue::EditionOverview>> {
    Json(state.docket().templates().overview())
}

fn with_type(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

async fn openapi_json(State(state): State<AppState>) -> Result<Response, ApiError> {
    let doc = openapi::document(state.docket().templates());
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| ApiError::internal(&e))?;
    Ok(with_type("application/json", body))
}

async fn docs_page() -> Response {
    with_type("text/html; charset=utf-8", include_str!("assets/docs.html"))
}

/// The version named, if the caller may see it (drafts are for maintainers).
fn version(
    state: &AppState,
    kind: &str,
    version: &str,
    caller: Option<&Caller>,
) -> Result<std::sync::Arc<Version>, ApiError> {
    let v = state
        .docket()
        .templates()
        .select(kind, Some(version), NaiveDate::MIN)?;
    state.allow(&v, caller)?;
    Ok(v)
}

/// `GET /v1/templates/{kind}/{version}/schema`: the JSON Schema of the case
/// data the version needs.
async fn case_schema(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    caller: Option<Caller>,
) -> Result<Response, ApiError> {
    let v = version(&state, &kind, &name, caller.as_ref())?;
    let schema = crate::case::schema_for(&v.entry.sections, &v.entry.title);
    let body = serde_json::to_vec_pretty(&schema).map_err(|e| ApiError::internal(&e))?;
    Ok(with_type("application/schema+json", body))
}

/// `GET /v1/templates/{kind}/{version}/sample`: the version's sample case.
async fn sample(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    caller: Option<Caller>,
) -> Result<Response, ApiError> {
    let v = version(&state, &kind, &name, caller.as_ref())?;
    Ok(with_type("application/json", v.sample.clone()))
}

/// `GET /v1/templates/{kind}/{version}/batch.csv`: a CSV template for
/// batches of this document, its header naming every field of the sample
/// case and the sample as its one row.
async fn csv_template(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
    caller: Option<Caller>,
) -> Result<Response, ApiError> {
    let v = version(&state, &kind, &name, caller.as_ref())?;
    let sample: serde_json::Value =
        serde_json::from_str(&v.sample).map_err(|e| ApiError::internal(&e))?;
    let mut response = with_type(
        "text/csv; charset=utf-8",
        crate::batch::csv::template(&sample),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{kind}-{name}-batch.csv\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
