//! Documents over HTTP: `POST /v1/documents/{kind}` renders a case (or
//! issues it, when asked or when the catalogue says it always is), and the
//! register's side: an issued document back byte for byte, a pupil's
//! history, a notice's status timeline, and its events.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::AppState;
use crate::document::{Purpose, Rendered, Request};
use crate::evidence::Warning;
use crate::issue::{Idempotency, IssuedCopy, Issuer, Posted, post};
use crate::register::EventKind;

/// The routes of documents and the register.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        // `{id}` is a kind when posting a case, a reference when reading an
        // issued document back.
        .route("/v1/documents/{id}", routing::post(create).get(pdf))
        .route("/v1/documents", routing::get(list))
        .route("/v1/documents/{id}/status", routing::get(status))
        .route("/v1/documents/{id}/events", routing::post(add_event))
}

/// Query parameters of `POST /v1/documents/{kind}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentQuery {
    version: Option<String>,
    as_of: Option<NaiveDate>,
    recipient: Option<usize>,
    /// Issue the document: store it in the register under its own
    /// reference (penalty notices always are).
    issue: Option<bool>,
}

/// The `Idempotency-Key` header: a token of at most 255 visible
/// characters, or none.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
        ));
    }
    Ok(Some(key.to_owned()))
}

/// Who is asking: the `Docket-Requested-By` header, else `anonymous`.
pub(super) fn requested_by(headers: &HeaderMap) -> String {
    headers
        .get("docket-requested-by")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or_else(|| "anonymous".to_owned(), |s| s.chars().take(120).collect())
}

/// The body as JSON, refused unless it says it is JSON.
pub(super) fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Value, ApiError> {
    check_json_content_type(headers)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(limit)
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
}

/// `POST /v1/documents/{kind}`: the case as JSON in, a PDF out (`200`), or
/// for a document that is issued, `201` with the issued copies.
async fn create(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    query: Result<Query<DocumentQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    check_json_content_type(&headers)?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(state.body_limit)
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    let case: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let key = idempotency_key(&headers)?;
    // The key's request: the document asked for, its options and the case.
    let request_sha256 = crate::digest::sha256(
        &[
            kind.as_bytes(),
            b"\n",
            format!("{query:?}").as_bytes(),
            b"\n",
            &body,
        ]
        .concat(),
    );
    let docket = state.docket();
    let register = Arc::clone(&state.register);
    let by = requested_by(&headers);
    let drafts = state.maintainer(&headers);
    // The caller's time limit holds until the issue reserves its first
    // number; from then the request runs to its end and says what it did.
    let posted = state
        .pool
        .run_committing(move |commit| {
            post(
                &docket,
                &register,
                &Request {
                    kind: &kind,
                    version: query.version.as_deref(),
                    as_of: query.as_of,
                    recipient: query.recipient,
                    case: &case,
                    purpose: Purpose::AsAsked {
                        issue: query.issue == Some(true),
                    },
                    drafts,
                },
                Issuer {
                    requested_by: &by,
                    batch: None,
                    idempotency: key.as_deref().map(|key| Idempotency {
                        caller: &by,
                        key,
                        request_sha256: &request_sha256,
                    }),
                    commit: Some(commit),
                },
            )
        })
        .await??;
    Ok(match posted {
        Posted::Rendered(rendered) => rendered_response(rendered),
        Posted::Issued(copies) => issued_response(&copies),
    })
}

/// A proof: `200` with the PDF and where it came from.
fn rendered_response(rendered: Box<Rendered<Vec<u8>>>) -> Response {
    let disposition = format!("inline; filename=\"{}\"", rendered.file_name);
    let mut response = rendered.output.into_response();
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
    if let Some(v) = warnings_header(&rendered.warnings) {
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
    response
}

/// Issued: `201 Created`. One copy: the PDF itself, with its reference in
/// `Docket-Reference` and `Location`. Several copies (one per parent): each
/// is its own mail piece, so the body lists their references and where to
/// fetch each PDF.
fn issued_response(copies: &[IssuedCopy]) -> Response {
    let references: Vec<&str> = copies.iter().map(|c| c.reference.as_str()).collect();
    let mut response = match copies {
        [one] => {
            let mut r = (StatusCode::CREATED, one.pdf.clone()).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            if let Ok(v) =
                HeaderValue::from_str(&format!("inline; filename=\"{}.pdf\"", one.reference))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            if let Ok(v) = HeaderValue::from_str(&one.template) {
                h.insert(HeaderName::from_static("docket-template"), v);
            }
            if let Some(v) = warnings_header(&one.warnings) {
                h.insert(HeaderName::from_static("docket-warnings"), v);
            }
            r
        }
        many => (
            StatusCode::CREATED,
            Json(json!({
                "documents": many.iter().map(|c| json!({
                    "reference": c.reference,
                    "recipient": c.recipient,
                    "template": c.template,
                    "href": format!("/v1/documents/{}", c.reference),
                })).collect::<Vec<_>>()
            })),
        )
            .into_response(),
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&references.join(", ")) {
        h.insert(HeaderName::from_static("docket-reference"), v);
    }
    if let [one] = references.as_slice()
        && let Ok(v) = HeaderValue::from_str(&format!("/v1/documents/{one}"))
    {
        h.insert(header::LOCATION, v);
    }
    response
}

/// `Docket-Warnings`: the rules of a court bundle's weaker gaps, comma
/// separated (the details are in the register's status of an issued bundle).
fn warnings_header(warnings: &[Warning]) -> Option<HeaderValue> {
    if warnings.is_empty() {
        return None;
    }
    let rules: Vec<&str> = warnings.iter().map(|w| w.rule.as_str()).collect();
    HeaderValue::from_str(&rules.join(", ")).ok()
}

/// Refuses a body that does not say it is JSON.
pub(super) fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
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

/// `GET /v1/documents/{reference}`: the PDF as issued, byte for byte.
async fn pdf(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let register = Arc::clone(&state.register);
    let r = reference.clone();
    let (pdf, issued) = tokio::task::spawn_blocking(move || {
        Ok::<_, ApiError>((register.pdf(&r)?, register.get(&r)?))
    })
    .await??;
    let mut response = pdf.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{reference}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    for (name, value) in [
        ("docket-reference", issued.reference.as_str()),
        (
            "docket-template",
            &format!("{}@{}", issued.kind, issued.version),
        ),
        ("docket-template-hash", issued.template_hash.as_str()),
        ("docket-case-hash", issued.case_hash.as_str()),
        ("docket-pdf-sha256", issued.pdf_sha256.as_str()),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    }
    Ok(response)
}

/// `?pupil_upn=` of the history.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    pupil_upn: String,
}

/// `GET /v1/documents?pupil_upn=…`: a pupil's history of issued documents.
async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!("give the pupil as ?pupil_upn=…: {}", e.body_text()))
    })?;
    let register = Arc::clone(&state.register);
    let history = tokio::task::spawn_blocking(move || register.history(&query.pupil_upn)).await??;
    Ok(Json(json!({ "documents": history })).into_response())
}

/// `GET /v1/documents/{reference}/status`: where a notice stands.
async fn status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let register = Arc::clone(&state.register);
    let (issued, timeline) = tokio::task::spawn_blocking(move || {
        Ok::<_, ApiError>((register.get(&reference)?, register.timeline(&reference)?))
    })
    .await??;
    Ok(Json(json!({
        "reference": issued.reference,
        "kind": issued.kind,
        "status": issued.status,
        "issued_on": issued.issued_on,
        "served_on": issued.served_on,
        "recipient": issued.recipient_name,
        "warnings": issued.warnings,
        "timeline": timeline,
    }))
    .into_response())
}

/// `POST /v1/documents/{reference}/events`: records `paid`, `withdrawn`,
/// `prosecution-started` or `corrected`, if the law allows it; answers
/// with the timeline.
async fn add_event(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(&headers, body, state.body_limit)?;
    let event: EventKind = serde_path_to_error::deserialize(&value).map_err(|e| {
        let pointer: String = e.path().iter().map(|seg| format!("/{seg}")).collect();
        ApiError::Invalid(vec![crate::case::Problem::new(
            pointer,
            format!("not an event docket knows ({{\"event\": \"paid\", \"amount_pence\", \"on\"}}, {{\"event\": \"withdrawn\", \"ground\", \"reason\", \"on\"}}, {{\"event\": \"prosecution-started\", \"on\"}} or {{\"event\": \"corrected\", \"supersedes\", \"reason\", \"on\"}}): {}", e.inner()),
        )])
    })?;
    // Its text is checked as a case's is: it may be printed in a bundle.
    let docket = state.docket();
    if let Some((at, text)) = event.text() {
        let problems = crate::case::check_text(at, text, crate::register::MAX_EVENT_TEXT, &|c| {
            docket.covers(c)
        });
        if !problems.is_empty() {
            return Err(ApiError::Invalid(problems));
        }
    }
    let by = requested_by(&headers);
    let register = Arc::clone(&state.register);
    let today = chrono::Local::now().date_naive();
    let timeline =
        tokio::task::spawn_blocking(move || register.add_event(&reference, &event, &by, today))
            .await??;
    Ok((StatusCode::CREATED, Json(json!({ "timeline": timeline }))).into_response())
}
