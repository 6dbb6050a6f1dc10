//! Documents over HTTP: `POST /v1/documents/{kind}` renders a case (or
//! issues it, when asked or when the catalogue says it always is); the
//! register's side is in `register`.

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

use super::audit::AuditNote;
use super::auth::require;
use super::error::ApiError;
use super::state::AppState;
use crate::access::{Caller, Scope};
use crate::document::{Purpose, Rendered, Request};
use crate::evidence::Warning;
use crate::issue::{Idempotency, IssuedCopy, Issuer, Posted, post};
use crate::templates::RecordsEvent;

/// The routes of documents and the register.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        // `{id}` is a kind when posting a case, a reference when reading an
        // issued document back.
        .route("/v1/documents/{id}", routing::post(create))
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
    /// A proof in this translation (a language code); an unreviewed one
    /// only for maintainers, as drafts are.
    translation: Option<String>,
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

/// The body as JSON, refused unless it says it is JSON.
pub(super) fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Value, ApiError> {
    check_json_content_type(headers)?;
    let body = body.map_err(|e| ApiError::unreadable(&e, limit))?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
}

/// `POST /v1/documents/{kind}`: the case as JSON in, a PDF out (`200`), or
/// for a document that is issued, `201` with the issued copies.
async fn create(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    query: Result<Query<DocumentQuery>, QueryRejection>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    let docket = state.docket();
    // The scope follows what the request does: issuing (asked for, or a
    // kind that always is) or a proof; a bundle also reads the register.
    let catalogue = docket.templates().catalogue();
    let issuing = query.issue == Some(true) || catalogue.always_issued(&kind);
    require(
        &caller,
        if issuing {
            Scope::DocumentsIssue
        } else {
            Scope::DocumentsRender
        },
    )?;
    let bundle = catalogue.uses_register(&kind);
    if bundle {
        require(&caller, Scope::RegisterRead)?;
    }
    // Issuing a withdrawal records an event; a decision to prosecute, the
    // decision.
    match catalogue.records(&kind).filter(|_| issuing) {
        Some(RecordsEvent::Withdrawn | RecordsEvent::ProsecutionStarted) => {
            require(&caller, Scope::RegisterEvents)?;
        }
        Some(RecordsEvent::Decision) => require(&caller, Scope::RegisterDecide)?,
        None => {}
    }
    check_json_content_type(&headers)?;
    let body = body.map_err(|e| ApiError::unreadable(&e, state.body_limit))?;
    let case: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let upn = case
        .pointer("/pupil/upn")
        .and_then(Value::as_str)
        .map(str::to_owned);
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
    let register = Arc::clone(&state.register);
    let by = caller.actor();
    let schools = caller.schools().map(<[String]>::to_vec);
    let drafts = state.maintainer(Some(&caller));
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
                    translation: query.translation.as_deref(),
                },
                Issuer {
                    by: &by,
                    schools: schools.as_deref(),
                    batch: None,
                    idempotency: key.as_deref().map(|key| Idempotency {
                        caller: by.identity(),
                        key,
                        request_sha256: &request_sha256,
                    }),
                    commit: Some(commit),
                },
            )
        })
        .await?;
    let posted = match posted {
        Ok(p) => p,
        // A school's key asking for another school's case: an access
        // refused, which the trail records.
        Err(e) => {
            let error = ApiError::from(e);
            let school = matches!(&error, ApiError::Invalid(problems)
                if problems.iter().any(|p| p.rule.as_deref() == Some("access.school")));
            let mut response = error.into_response();
            if school {
                response.extensions_mut().insert(AuditNote {
                    upn,
                    references: Vec::new(),
                    action: Some("issue"),
                });
            }
            return Ok(response);
        }
    };
    let (mut response, note) = match posted {
        Posted::Rendered(rendered) => (
            rendered_response(rendered),
            bundle.then(|| AuditNote {
                upn,
                references: Vec::new(),
                action: Some("bundle"),
            }),
        ),
        Posted::Issued(copies) => (
            issued_response(&copies),
            Some(AuditNote {
                upn,
                references: copies.iter().map(|c| c.reference.clone()).collect(),
                action: Some("issue"),
            }),
        ),
    };
    if let Some(note) = note {
        response.extensions_mut().insert(note);
    }
    Ok(response)
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
