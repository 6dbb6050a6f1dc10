//! Batches over HTTP: `POST /v1/batches` answers `202` at once and the work
//! runs in the background on every core; `GET /v1/batches/{id}` reports
//! progress and each case's outcome; the three files follow when it is done,
//! served with `Content-Length`, `Range` and `ETag` so a large print file
//! can be fetched in parts or resumed.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use serde_json::json;
use tower::ServiceExt;

use super::auth::require;
use super::error::ApiError;
use super::state::AppState;
use crate::access::{Caller, Scope};
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;

use crate::batch::{BatchOptions, BatchRequest, Creation, OUTPUTS};
use crate::case::Problem;
use crate::register::{BatchState, RecordState};

/// The routes of batches.
pub(super) fn router(body_limit: usize) -> Router<AppState> {
    // The batch body limit (`--batch-body-limit`, by default `--body-limit`).
    Router::new()
        .route(
            "/v1/batches",
            routing::post(create).layer(axum::extract::DefaultBodyLimit::max(body_limit)),
        )
        .route("/v1/batches/{id}", routing::get(status))
        .route("/v1/batches/{id}/{file}", routing::get(file))
}

/// Starts batch `id` in the background.
///
/// At most `--max-running-batches` run at once; the others stay queued,
/// in the order they came, until one finishes.
pub(super) fn spawn(state: &AppState, id: String) {
    let batches = state.batches.clone();
    let docket = state.docket();
    let workers = state.workers;
    let slots = Arc::clone(&state.batch_slots);
    tokio::spawn(async move {
        let Ok(slot) = slots.acquire_owned().await else {
            return;
        };
        let ran = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            if let Err(e) = batches.run(&docket, &id, workers, &|_, _| {}) {
                tracing::error!(batch = %id, error = %e, "batch failed");
            } else {
                tracing::info!(batch = %id, "batch done");
            }
        })
        .await;
        if let Err(e) = ran {
            tracing::error!(error = %e, "a batch's thread stopped");
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
#[derive(Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvQuery {
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
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: axum::extract::RawQuery,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    require(&caller, Scope::Batches)?;
    // A batch issues every case: it needs what a single issue needs.
    require(&caller, Scope::DocumentsIssue)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let by = caller.actor();
    let schools = caller.schools().map(<[String]>::to_vec);
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    // A type a browser's form could send is refused: no cross-site
    // "simple request" can make a batch.
    let csv = match media.as_deref() {
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
    let body = body.map_err(|e| ApiError::unreadable(&e, state.batch_body_limit))?;
    let docket = state.docket();
    let batches = state.batches.clone();
    let drafts = state.maintainer(Some(&caller));
    let caller_reads = caller.may(Scope::RegisterRead);
    let caller_records = caller.may(Scope::RegisterEvents);
    let caller_decides = caller.may(Scope::RegisterDecide);
    // The key's request: what was sent and how.
    let request_sha256 = crate::digest::sha256(
        &[
            media.as_deref().unwrap_or("").as_bytes(),
            b"\n",
            query.0.as_deref().unwrap_or("").as_bytes(),
            b"\n",
            &body,
        ]
        .concat(),
    );
    // Reading stores the cases one row each: a write to the register, so off
    // the async threads. JSON cases are borrowed from the body and CSV rows
    // read one at a time, never all parsed at once.
    let created = tokio::task::spawn_blocking(move || -> Result<Creation, ApiError> {
        let check = |options: &BatchOptions| -> Result<(), ApiError> {
            if options.as_of.is_some() {
                return Err(ApiError::Invalid(vec![Problem::refusal(
                    "/as_of",
                    "issue.as-of",
                    "a batch issues every case under the version in force on the case's own date; as_of chooses a version for a proof only",
                )]));
            }
            if docket.templates().catalogue().uses_register(&options.kind)
                && !caller_reads
            {
                return Err(ApiError::Forbidden(format!(
                    "a batch of {} reads the register: it needs the register:read scope",
                    options.kind
                )));
            }
            let scope = match docket.templates().catalogue().records(&options.kind) {
                Some(
                    crate::templates::RecordsEvent::Withdrawn
                    | crate::templates::RecordsEvent::ProsecutionStarted,
                ) if !caller_records => {
                    Some("register:events")
                }
                Some(crate::templates::RecordsEvent::Decision) if !caller_decides => {
                    Some("register:decide")
                }
                _ => None,
            };
            if let Some(scope) = scope {
                return Err(ApiError::Forbidden(format!(
                    "issuing {} records an event on its notice: it needs the {scope} scope",
                    options.kind
                )));
            }
            let version = docket
                .templates()
                .select_on(&options.kind, options.version.as_deref(), None)?;
            if version.meta.draft && !drafts {
                return Err(ApiError::draft(&version.id()));
            }
            let problems = options.problems();
            if !problems.is_empty() {
                return Err(ApiError::Invalid(problems));
            }
            Ok(())
        };
        let key = key.as_deref().map(|k| (k, request_sha256.as_str()));
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
            let mut rows = crate::batch::csv::cases(&body).map_err(ApiError::Invalid)?;
            return Ok(batches.create(&options, &mut rows, key, &by, schools.as_deref())?);
        }
        // The query string carries a CSV batch's options; a JSON batch's
        // are in its body.
        let q: CsvQuery = serde_urlencoded_query(query.0.as_deref().unwrap_or(""))?;
        if q != CsvQuery::default() {
            return Err(ApiError::Invalid(vec![Problem::new(
                "",
                "a JSON batch gives its options in its body; the query string is for CSV batches",
            )]));
        }
        let text = std::str::from_utf8(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not UTF-8 text: {e}")))?;
        let request: BatchRequest<'_> = serde_json::from_str(text).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::BadRequest(format!("the body is not valid JSON: {e}"))
            } else {
                ApiError::Invalid(vec![Problem::new(
                    "",
                    format!("not a batch request ({{\"kind\", \"cases\": [...], \"order\"?, \"version\"?, \"separators\"?, \"callback_url\"?}}): {e}"),
                )])
            }
        })?;
        check(&request.options)?;
        let mut cases = request
            .cases
            .iter()
            .map(|c| Ok(std::borrow::Cow::Borrowed(c.get())));
        Ok(batches.create(&request.options, &mut cases, key, &by, schools.as_deref())?)
    })
    .await??;
    let (id, new) = match created {
        Creation::Made(id) => (id, true),
        Creation::Existing(id) => (id, false),
        Creation::KeyReused => {
            return Err(ApiError::Conflict(format!(
                "the Idempotency-Key `{}` was used with a different batch; send a new key for a new batch",
                headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
            )));
        }
        Creation::Refused(problems) => return Err(ApiError::Invalid(problems)),
        Creation::TooMany(n) => return Err(ApiError::TooManyBatches(n)),
    };
    if new {
        spawn(&state, id.clone());
    }
    let mut response = (StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response();
    // The trail's row names the batch.
    response.extensions_mut().insert(super::audit::AuditNote {
        references: vec![id.clone()],
        ..super::audit::AuditNote::default()
    });
    if let Ok(v) = HeaderValue::from_str(&format!("/v1/batches/{id}")) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// Refuses a batch the caller may not see as one that does not exist: a
/// school's key sees the batches made for its schools only.
async fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let Some(mine) = caller.schools().map(<[String]>::to_vec) else {
        return Ok(());
    };
    let register = std::sync::Arc::clone(&state.register);
    let batch = id.to_owned();
    let row = tokio::task::spawn_blocking(move || register.batch(&batch)).await?;
    let theirs = match row {
        Ok(row) => row.schools,
        Err(crate::register::RegisterError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    match theirs {
        Some(schools) if schools.iter().all(|s| mine.contains(s)) => Ok(()),
        _ => Err(ApiError::NotFound(format!("no batch has id {id}"))),
    }
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

/// `?page=&per_page=&status=` of a batch's status.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusQuery {
    page: Option<usize>,
    per_page: Option<usize>,
    status: Option<RecordState>,
}

/// `GET /v1/batches/{id}`: where it stands (counts by outcome always), and
/// one page of its records (`?page=1&per_page=100`, at most 1,000; only one
/// outcome with `?status=refused`).
async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<StatusQuery>, QueryRejection>,
    caller: Caller,
) -> Result<Response, ApiError> {
    require(&caller, Scope::Batches)?;
    let Query(q) =
        query.map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    visible(&state, &caller, &id).await?;
    let batches = state.batches.clone();
    let status = tokio::task::spawn_blocking(move || {
        batches.status(
            &id,
            q.page.unwrap_or(1),
            q.per_page.unwrap_or(crate::batch::PER_PAGE.0),
            q.status,
        )
    })
    .await??;
    Ok(Json(status).into_response())
}

/// `GET /v1/batches/{id}/print.pdf`, `/documents.zip`, `/manifest.csv`:
/// served from disk, never held whole, in parts when a `Range` is asked.
async fn file(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    caller: Caller,
    request: Request,
) -> Result<Response, ApiError> {
    require(&caller, Scope::Batches)?;
    visible(&state, &caller, &id).await?;
    if !OUTPUTS.contains(&name.as_str()) {
        return Err(ApiError::NotFound(format!(
            "a batch has no file {name}; it has {}",
            OUTPUTS.join(", ")
        )));
    }
    let batches = state.batches.clone();
    let id2 = id.clone();
    let status = tokio::task::spawn_blocking(move || batches.summary(&id2)).await??;
    if status.status != BatchState::Done {
        return Err(ApiError::Conflict(format!(
            "batch {id} is {} ({} of {} cases done): its files are written when it is done",
            status.status, status.done, status.total
        )));
    }
    if !status.files.contains(&name.as_str()) {
        return Err(ApiError::NotFound(format!(
            "batch {id} issued no documents (all {} cases were refused), so it has no {name}; manifest.csv lists the refusals",
            status.total
        )));
    }
    let kind = match name.as_str() {
        "print.pdf" => "application/pdf",
        "documents.zip" => "application/zip",
        _ => "text/csv; charset=utf-8",
    };
    let mime = HeaderValue::from_static(kind);
    let path = state.batches.output(&id, &name);
    // A batch's files are written once and never change, so the batch, the
    // file and its length make a strong validator.
    let length = tokio::fs::metadata(&path)
        .await
        .map_err(|e| ApiError::internal(&format!("batch {id} is done but its {name}: {e}")))?
        .len();
    let etag = format!("\"{id}-{name}-{length}\"");
    let matches = |headers: &HeaderMap, header: header::HeaderName| {
        headers
            .get(header)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    };
    if matches(request.headers(), header::IF_NONE_MATCH) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, v);
        }
        return Ok(response);
    }
    let mut request = request;
    // `If-Range` with another validator: the whole file, not a part of a
    // different one.
    if request.headers().contains_key(header::IF_RANGE)
        && !matches(request.headers(), header::IF_RANGE)
    {
        request.headers_mut().remove(header::RANGE);
    }
    let served = tower_http::services::ServeFile::new_with_mime(
        path,
        &kind.parse().map_err(|e| ApiError::internal(&e))?,
    )
    .oneshot(request)
    .await
    .map_err(|e| ApiError::internal(&e))?;
    if served.status() == StatusCode::NOT_FOUND {
        return Err(ApiError::internal(&format!(
            "batch {id} is done but its {name} is missing"
        )));
    }
    let mut response = served.map(axum::body::Body::new).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, mime);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"batch-{id}-{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
