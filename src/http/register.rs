//! The register's side over HTTP: an issued document back byte for byte,
//! a pupil's history, a notice's status timeline, and its events. Each
//! needs its scope; a school's key sees only its schools' records, and
//! anything else is answered as not found.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use serde::Deserialize;
use serde_json::json;

use super::audit::AuditNote;
use super::auth::require;
use super::documents::json_body;
use super::error::ApiError;
use super::state::AppState;
use crate::access::{Caller, Scope};
use crate::register::EventKind;

/// The routes of the register (`POST /v1/documents/{kind}` shares the
/// first path: see `documents`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/documents/{id}", routing::get(pdf))
        .route("/v1/documents", routing::get(list))
        .route("/v1/documents/{id}/status", routing::get(status))
        .route("/v1/documents/{id}/events", routing::post(add_event))
        .route("/v1/documents/{id}/decision", routing::post(add_decision))
        .route("/v1/notices/lapsed", routing::get(lapsed))
}

/// A document the caller may not see is answered as one that does not
/// exist (the trail still records whose it was).
fn hidden(reference: &str, upn: &str) -> Response {
    about(
        ApiError::NotFound(format!("no issued document has reference {reference}")).into_response(),
        upn,
    )
}

/// `response` with the pupil it was about, for the trail.
fn about(mut response: Response, upn: &str) -> Response {
    response.extensions_mut().insert(AuditNote {
        upn: Some(upn.to_owned()),
        ..AuditNote::default()
    });
    response
}

/// `GET /v1/documents/{reference}`: the PDF as issued, byte for byte.
async fn pdf(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    require(&caller, Scope::RegisterRead)?;
    let register = Arc::clone(&state.register);
    let r = reference.clone();
    let issued = tokio::task::spawn_blocking(move || register.get(&r))
        .await?
        .map_err(|e| ApiError::register_for(&caller, e))?;
    if !caller.sees_school(issued.school_urn.as_deref()) {
        return Ok(hidden(&reference, &issued.pupil_upn));
    }
    let register = Arc::clone(&state.register);
    let r = reference.clone();
    let pdf = tokio::task::spawn_blocking(move || register.pdf(&r)).await??;
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
    Ok(about(response, &issued.pupil_upn))
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
    caller: Caller,
) -> Result<Response, ApiError> {
    require(&caller, Scope::RegisterRead)?;
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!("give the pupil as ?pupil_upn=…: {}", e.body_text()))
    })?;
    let register = Arc::clone(&state.register);
    let upn = query.pupil_upn.clone();
    let mut history = tokio::task::spawn_blocking(move || register.history(&upn)).await??;
    // A school's key sees its schools' documents only, and a pupil with
    // none of them is not known to it.
    history.retain(|d| caller.sees_school(d.school_urn.as_deref()));
    if history.is_empty() && caller.schools().is_some() {
        return Ok(about(
            ApiError::NotFound("no documents about that pupil are known to this key".into())
                .into_response(),
            &query.pupil_upn,
        ));
    }
    Ok(about(
        Json(json!({ "documents": history })).into_response(),
        &query.pupil_upn,
    ))
}

/// `GET /v1/documents/{reference}/status`: where a notice stands.
async fn status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    require(&caller, Scope::RegisterRead)?;
    let register = Arc::clone(&state.register);
    let r = reference.clone();
    let today = chrono::Local::now().date_naive();
    let seen_by = caller.clone();
    let (issued, timeline, lapsed, story) = tokio::task::spawn_blocking(move || {
        Ok::<_, ApiError>((
            register
                .get(&r)
                .map_err(|e| ApiError::register_for(&seen_by, e))?,
            register.timeline(&r)?,
            register.lapse_of(&r, today)?,
            register.story(&r, today)?,
        ))
    })
    .await??;
    if !caller.sees_school(issued.school_urn.as_deref()) {
        return Ok(hidden(&reference, &issued.pupil_upn));
    }
    let upn = issued.pupil_upn.clone();
    Ok(about(
        Json(json!({
            "reference": issued.reference,
            "kind": issued.kind,
            "status": issued.status,
            "issued_on": issued.issued_on,
            "served_on": issued.served_on,
            "recipient": issued.recipient_name,
            "warnings": issued.warnings,
            // A penalty notice whose last day to pay passed unpaid: the
            // decision it needs (or has) and the six-month limit.
            "lapsed": lapsed.map(|l| json!({
                "last_pay_by": l.last_pay_by,
                "information_by": l.information_by,
                "days_left": l.days_left,
                "decision": l.decision,
            })),
            "timeline": timeline,
            // A penalty notice's stage (issued, paid, lapsed, decided-…,
            // withdrawn, sjp-served, prosecution-started) and the
            // documents issued about it since.
            "stage": story.as_ref().map(|s| s.stage),
            "about_it": story.map(|s| s.documents),
        }))
        .into_response(),
        &upn,
    ))
}

/// `POST /v1/documents/{reference}/events`: records `paid`, `withdrawn`,
/// `prosecution-started`, `decision` or `corrected`, if the law allows it;
/// answers with the timeline.
async fn add_event(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(&caller, Scope::RegisterEvents)?;
    let value = json_body(&headers, body, state.body_limit)?;
    match value.get("event").and_then(serde_json::Value::as_str) {
        // Putting a mistake right is for a privileged key only.
        Some("corrected") => require(&caller, Scope::RegisterCorrect)?,
        Some("decision") => require(&caller, Scope::RegisterDecide)?,
        _ => {}
    }
    record(state, reference, caller, value).await
}

/// `POST /v1/documents/{reference}/decision`: the decision on a lapsed
/// notice (`prosecute` or `withdraw`, the reasons, who decided and when),
/// an event on its timeline.
async fn add_decision(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(&caller, Scope::RegisterDecide)?;
    let mut value = json_body(&headers, body, state.body_limit)?;
    let Some(fields) = value.as_object_mut() else {
        return Err(ApiError::Invalid(vec![crate::case::Problem::new(
            "",
            "a decision is a JSON object: {\"decision\": \"prosecute\" or \"withdraw\", \"reasons\", \"decided_by\", \"on\"}",
        )]));
    };
    if fields.contains_key("event") {
        return Err(ApiError::Invalid(vec![crate::case::Problem::new(
            "/event",
            "is not a field of a decision: this route records a decision only",
        )]));
    }
    // Named here: a tagged event's own errors do not say which field.
    if let Some(decision) = fields.get("decision")
        && decision
            .as_str()
            .and_then(crate::rules::lapse::Decision::parse)
            .is_none()
    {
        return Err(ApiError::Invalid(vec![crate::case::Problem::new(
            "/decision",
            "is `prosecute` or `withdraw`",
        )]));
    }
    fields.insert("event".into(), "decision".into());
    record(state, reference, caller, value).await
}

/// Records the event in `value` on `reference`, for a caller who may.
async fn record(
    state: AppState,
    reference: String,
    caller: Caller,
    value: serde_json::Value,
) -> Result<Response, ApiError> {
    // A document the caller may not see cannot be changed by it either.
    let register = Arc::clone(&state.register);
    let r = reference.clone();
    let issued = tokio::task::spawn_blocking(move || register.get(&r))
        .await?
        .map_err(|e| ApiError::register_for(&caller, e))?;
    if !caller.sees_school(issued.school_urn.as_deref()) {
        return Ok(hidden(&reference, &issued.pupil_upn));
    }
    let event: EventKind = serde_path_to_error::deserialize(&value).map_err(|e| {
        let pointer: String = e.path().iter().map(|seg| format!("/{seg}")).collect();
        ApiError::Invalid(vec![crate::case::Problem::new(
            pointer,
            format!("not an event docket knows ({{\"event\": \"paid\", \"amount_pence\", \"on\"}}, {{\"event\": \"withdrawn\", \"ground\", \"reason\", \"on\"}}, {{\"event\": \"prosecution-started\", \"on\"}}, {{\"event\": \"decision\", \"decision\", \"reasons\", \"decided_by\", \"on\"}} or {{\"event\": \"corrected\", \"supersedes\", \"reason\", \"on\"}}): {}", e.inner()),
        )])
    })?;
    // Its text is checked as a case's is: it may be printed in a bundle.
    let docket = state.docket();
    let problems = event.text_problems(&|c| docket.covers(c));
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    let by = caller.actor();
    let register = Arc::clone(&state.register);
    let today = chrono::Local::now().date_naive();
    let timeline =
        tokio::task::spawn_blocking(move || register.add_event(&reference, &event, &by, today))
            .await??;
    Ok(about(
        (StatusCode::CREATED, Json(json!({ "timeline": timeline }))).into_response(),
        &issued.pupil_upn,
    ))
}

/// `?as_of=` of the lapsed list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LapsedQuery {
    as_of: Option<chrono::NaiveDate>,
}

/// `GET /v1/notices/lapsed?as_of=DATE`: every penalty notice whose last day
/// to pay has passed unpaid, with nothing else recorded, oldest first,
/// with the days left before the six-month limit. A school's key sees its
/// schools' notices only.
async fn lapsed(
    State(state): State<AppState>,
    query: Result<Query<LapsedQuery>, QueryRejection>,
    caller: Caller,
) -> Result<Response, ApiError> {
    require(&caller, Scope::RegisterDecide)?;
    let Query(query) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "give the day as ?as_of=YYYY-MM-DD (default today): {}",
            e.body_text()
        ))
    })?;
    let as_of = query
        .as_of
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let register = Arc::clone(&state.register);
    let mut notices = tokio::task::spawn_blocking(move || register.lapsed(as_of)).await??;
    notices.retain(|n| caller.sees_school(n.school_urn.as_deref()));
    // The trail records every notice the list showed.
    let references = notices.iter().map(|n| n.reference.clone()).collect();
    let mut response = Json(json!({
        "as_of": as_of,
        "limit_from": crate::rules::lapse::LIMIT_FROM,
        "notices": notices,
    }))
    .into_response();
    response.extensions_mut().insert(AuditNote {
        references,
        ..AuditNote::default()
    });
    Ok(response)
}
