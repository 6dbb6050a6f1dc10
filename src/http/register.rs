//! The register over HTTP: issuing (`POST /v1/documents/{kind}` with
//! `issue=true`, and penalty notices always), reading an issued document
//! back byte for byte, a pupil's history, and each notice's status timeline.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::problem::ApiError;
use super::{AppState, DocumentQuery};
use crate::issue::{IssueError, IssueRequest, issue as issue_documents};
use crate::register::{EventKind, RegisterError};

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::NotFound(r) => {
                Self::NotFound(format!("no issued document has reference {r}"))
            }
            RegisterError::Conflict(m) => Self::Conflict(m),
            other => Self::internal(&other),
        }
    }
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::Document(d) => d.into(),
            IssueError::Register(r) => r.into(),
        }
    }
}

/// Who is asking: the `Docket-Requested-By` header, else `anonymous`.
fn requested_by(headers: &HeaderMap) -> String {
    headers
        .get("docket-requested-by")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or_else(|| "anonymous".to_owned(), |s| s.chars().take(120).collect())
}

/// Issues a document: `201 Created`. One copy: the PDF itself, with its
/// reference in `Docket-Reference` and `Location`. Several copies (one per
/// parent): each is its own mail piece, so the body lists their references
/// and where to fetch each PDF.
pub(super) async fn issue(
    state: &AppState,
    kind: String,
    query: DocumentQuery,
    headers: &HeaderMap,
    case: Value,
) -> Result<Response, ApiError> {
    let docket = state.docket();
    let register = Arc::clone(&state.register);
    let by = requested_by(headers);
    let copies = state
        .pool
        .run(move || {
            issue_documents(
                &docket,
                &register,
                &IssueRequest {
                    kind: &kind,
                    version: query.version.as_deref(),
                    as_of: query.as_of,
                    recipient: query.recipient,
                    case: &case,
                    requested_by: &by,
                    batch: None,
                },
            )
        })
        .await??;
    let references: Vec<&str> = copies.iter().map(|c| c.reference.as_str()).collect();
    let mut response = match copies.as_slice() {
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
            if let Some(v) = super::warnings_header(&one.warnings) {
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
    Ok(response)
}

/// `GET /v1/documents/{reference}`: the PDF as issued, byte for byte.
pub(super) async fn pdf(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let register = Arc::clone(&state.register);
    let r = reference.clone();
    let (pdf, issued) = tokio::task::spawn_blocking(move || {
        Ok::<_, RegisterError>((register.pdf(&r)?, register.get(&r)?))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
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
pub(super) struct ListQuery {
    pupil_upn: String,
}

/// `GET /v1/documents?pupil_upn=…`: a pupil's history of issued documents.
pub(super) async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!("give the pupil as ?pupil_upn=…: {}", e.body_text()))
    })?;
    let register = Arc::clone(&state.register);
    let history = tokio::task::spawn_blocking(move || register.history(&query.pupil_upn))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok(Json(json!({ "documents": history })).into_response())
}

/// `GET /v1/documents/{reference}/status`: where a notice stands.
pub(super) async fn status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let register = Arc::clone(&state.register);
    let (issued, timeline) = tokio::task::spawn_blocking(move || {
        Ok::<_, RegisterError>((register.get(&reference)?, register.timeline(&reference)?))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
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

/// `POST /v1/documents/{reference}/events`: records `paid`, `withdrawn` or
/// `prosecution-started`; answers with the timeline.
pub(super) async fn add_event(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let event: EventKind = serde_json::from_slice(&body).map_err(|e| {
        ApiError::Invalid(vec![crate::case::Problem::new(
            "",
            format!("not an event docket knows ({{\"event\": \"paid\", \"amount_pence\", \"on\"}}, {{\"event\": \"withdrawn\", \"reason\", \"on\"}} or {{\"event\": \"prosecution-started\", \"on\"}}): {e}"),
        )])
    })?;
    let by = requested_by(&headers);
    let register = Arc::clone(&state.register);
    let timeline = tokio::task::spawn_blocking(move || register.add_event(&reference, &event, &by))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    Ok((StatusCode::CREATED, Json(json!({ "timeline": timeline }))).into_response())
}
