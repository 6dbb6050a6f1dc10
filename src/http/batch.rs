//! Batches over HTTP: `POST /v1/batches` answers `202` at once and the work
//! runs in the background on every core; `GET /v1/batches/{id}` reports
//! progress and each case's outcome; the three files follow when it is done.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::problem::ApiError;
use crate::batch::{BatchError, BatchOptions, BatchRequest, OUTPUTS};
use crate::case::Problem;

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Register(r) => r.into(),
            other => Self::internal(&other),
        }
    }
}

/// Starts `id` in the background.
pub(super) fn spawn(state: &AppState, id: String) {
    let batches = state.batches.clone();
    let docket = state.docket();
    let workers = state.workers;
    tokio::task::spawn_blocking(move || {
        if let Err(e) = batches.run(&docket, &id, workers, &|_, _| {}) {
            tracing::error!(batch = %id, error = %e, "batch failed");
        } else {
            tracing::info!(batch = %id, "batch done");
        }
    });
}

/// Carries on with a finished batch's callback in the background.
pub(super) fn spawn_callback(state: &AppState, id: String) {
    let batches = state.batches.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = batches.resume_callback(&id) {
            tracing::error!(batch = %id, error = %e, "a callback could not be resumed");
        }
    });
}

/// The options of a CSV upload, from the query string.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CsvQuery {
    kind: Option<String>,
    version: Option<String>,
    as_of: Option<chrono::NaiveDate>,
    #[serde(default)]
    order: crate::batch::Order,
    #[serde(default)]
    separators: bool,
    callback_url: Option<String>,
}

/// `POST /v1/batches`: a JSON batch request, or a CSV file
/// (`Content-Type: text/csv`) with the options in the query string.
pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: axum::extract::RawQuery,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let by = headers
        .get("docket-requested-by")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("anonymous")
        .to_owned();
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let csv = match media.as_deref() {
        None => false,
        Some(m)
            if m == "application/json"
                || (m.starts_with("application/") && m.ends_with("+json")) =>
        {
            false
        }
        Some("text/csv") => true,
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "a batch is application/json or text/csv, not {}",
                other.unwrap_or("untyped")
            )));
        }
    };
    let docket = state.docket();
    let batches = state.batches.clone();
    // Parsing stores the cases one row each: a write to the register, so off
    // the async threads. JSON cases are borrowed from the body, never parsed
    // into one tree.
    let (id, existed) = tokio::task::spawn_blocking(move || -> Result<(String, bool), ApiError> {
        let check = |options: &BatchOptions| -> Result<(), ApiError> {
            docket
                .templates()
                .select_on(&options.kind, options.version.as_deref(), options.as_of)
                .map_err(|e| ApiError::from(crate::document::DocumentError::from(e)))?;
            let problems = options.problems();
            if problems.is_empty() {
                Ok(())
            } else {
                Err(ApiError::Invalid(problems))
            }
        };
        if csv {
            let q: CsvQuery = serde_urlencoded_query(query.0.as_deref().unwrap_or(""))?;
            let Some(kind) = q.kind else {
                return Err(ApiError::Invalid(vec![Problem::new(
                    "",
                    "a CSV batch names its document kind in the query: ?kind=penalty-notice",
                )]));
            };
            let options = BatchOptions {
                kind,
                version: q.version,
                as_of: q.as_of,
                order: q.order,
                separators: q.separators,
                callback_url: q.callback_url,
            };
            check(&options)?;
            let cases = crate::batch::csv::cases(&body).map_err(ApiError::Invalid)?;
            return Ok(batches.create_from(
                &options,
                &mut cases.iter().map(String::as_str),
                cases.len(),
                key.as_deref(),
                &by,
            )?);
        }
        let text = std::str::from_utf8(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not UTF-8 text: {e}")))?;
        let request: BatchRequest<'_> = serde_json::from_str(text).map_err(|e| {
            ApiError::Invalid(vec![Problem::new(
                "",
                format!("not a batch request ({{\"kind\", \"cases\": [...], \"order\"?, \"version\"?, \"as_of\"?, \"separators\"?, \"callback_url\"?}}): {e}"),
            )])
        })?;
        check(&request.options)?;
        if request.cases.is_empty() {
            return Err(ApiError::Invalid(vec![Problem::new(
                "/cases",
                "must list at least one case",
            )]));
        }
        Ok(batches.create(&request, key.as_deref(), &by)?)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    if !existed {
        spawn(&state, id.clone());
    }
    let mut response = (StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/batches/{id}")) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// The query string's options, or a problem naming what is wrong.
fn serde_urlencoded_query(query: &str) -> Result<CsvQuery, ApiError> {
    axum::extract::Query::<CsvQuery>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|e| ApiError::BadRequest(format!("the query string is not valid: {e}")))?,
    )
    .map(|q| q.0)
    .map_err(|e| {
        ApiError::Invalid(vec![Problem::new(
            "",
            format!("the query string: {}", e.body_text()),
        )])
    })
}

/// `GET /v1/templates/{kind}/{version}/batch.csv`: a CSV template for
/// batches of this document, its header naming every field of the sample
/// case and the sample as its one row.
pub(super) async fn csv_template(
    State(state): State<AppState>,
    Path((kind, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.check_draft(&kind, Some(&version), &headers)?;
    let docket = state.docket();
    let v = docket
        .templates()
        .select(&kind, Some(&version), chrono::NaiveDate::MIN)
        .map_err(|e| ApiError::from(crate::document::DocumentError::from(e)))?;
    let sample: serde_json::Value =
        serde_json::from_str(&v.sample).map_err(|e| ApiError::internal(&e))?;
    let text = crate::batch::csv::template(&sample);
    let mut response = text.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{kind}-{version}-batch.csv\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `GET /v1/batches/{id}`.
pub(super) async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let batches = state.batches.clone();
    let status = tokio::task::spawn_blocking(move || batches.status(&id))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(Json(status).into_response())
}

/// `GET /v1/batches/{id}/print.pdf`, `/documents.zip`, `/manifest.csv`.
pub(super) async fn file(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !OUTPUTS.contains(&name.as_str()) {
        return Err(ApiError::NotFound(format!(
            "a batch has no file {name}; it has {}",
            OUTPUTS.join(", ")
        )));
    }
    let batches = state.batches.clone();
    let id2 = id.clone();
    let status = tokio::task::spawn_blocking(move || batches.status(&id2))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    if status.status != "done" {
        return Err(ApiError::Conflict(format!(
            "batch {id} is {} ({} of {} cases done): its files are written when it is done",
            status.status, status.done, status.total
        )));
    }
    let path = state.batches.output(&id, &name);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let body = Body::from_stream(tokio_util_stream(file));
    let kind = match name.as_str() {
        "print.pdf" => "application/pdf",
        "documents.zip" => "application/zip",
        _ => "text/csv; charset=utf-8",
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"batch-{id}-{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The file as a stream of chunks, so a large print PDF is never held whole.
fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}
