//! The audit trail's HTTP side: which routes are recorded and as what, and
//! the middleware that records them once each response is known, refused
//! attempts (401, 403, 404) included; answers over a rate limit (429) are
//! not, so refusals cannot grow the trail faster than the limit. A read of personal data whose
//! row cannot be written is not answered (`503`): nothing is seen
//! unrecorded.

use std::sync::Arc;

use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;
use crate::access::Caller;
use crate::register::NewAudit;

/// What a handler tells the trail about the records it touched: the
/// pupil, and the references (one row each) when there are several.
#[derive(Debug, Clone, Default)]
pub(super) struct AuditNote {
    /// The pupil's UPN.
    pub(super) upn: Option<String>,
    /// The references issued or read (one row per reference).
    pub(super) references: Vec<String>,
    /// What it was, when the route alone does not say (`render` or
    /// `bundle` for a posted document that was not issued).
    pub(super) action: Option<&'static str>,
}

/// What the gate found out about a request, kept for the audit trail even
/// when it was refused.
#[derive(Debug, Clone, Default)]
pub(super) struct Tried {
    /// The id of a key that was given, usable or not.
    pub(super) key_id: Option<String>,
    /// `Docket-Requested-By`, cleaned.
    pub(super) on_behalf_of: Option<String>,
}

/// How a route is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    /// Every request.
    Always(&'static str),
    /// Only refused ones (401, 403), and whatever its handler notes.
    Refused(&'static str),
}

/// The trail's name for each route that touches personal data or legal
/// state, or needs a scope.
fn record(method: &Method, route: &str) -> Option<Record> {
    use Record::{Always, Refused};
    Some(match (method.as_str(), route) {
        // Posting a case: issues are recorded (the handler notes them),
        // proofs only when refused; a bundle reads the register.
        ("POST", "/v1/documents/{id}") => Refused("render"),
        ("GET", "/v1/documents/{id}") => Always("reprint"),
        ("GET", "/v1/documents") => Always("history"),
        ("GET", "/v1/documents/{id}/status") => Always("status"),
        ("POST", "/v1/documents/{id}/events") => Always("event"),
        ("POST", "/v1/batches") => Always("batch"),
        ("GET", "/v1/batches/{id}") => Always("batch-status"),
        ("GET", "/v1/batches/{id}/{file}") => Always("batch-file"),
        ("GET", "/v1/keys") => Always("keys-list"),
        ("POST", "/v1/keys") => Always("key-create"),
        ("DELETE", "/v1/keys/{id}") => Always("key-revoke"),
        ("GET", "/v1/audit") => Always("audit-read"),
        ("POST", "/v1/studio/preview/{kind}") => Refused("studio"),
        ("GET", "/v1/studio/diff/{kind}") => Refused("studio"),
        _ => return None,
    })
}

/// Whether a route is one the trail records (and so one that needs a key).
pub(super) fn recorded(method: &Method, route: &str) -> bool {
    record(method, route).is_some()
}

fn refused(status: StatusCode) -> bool {
    matches!(status.as_u16(), 401 | 403)
}

/// Whether a route's reads are of personal data: those are not answered
/// if their row cannot be written.
fn is_read(method: &Method) -> bool {
    method == Method::GET
}

/// Records the request in the audit trail once its response is known.
pub(super) async fn trail(
    State(state): State<AppState>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let Some(how) = record(&method, &route) else {
        return next.run(request).await;
    };
    // The reference, batch or key the path names.
    let target = params
        .ok()
        .and_then(|p| p.iter().next().map(|(_, v)| v.to_owned()));
    let upn_query = (route == "/v1/documents")
        .then(|| query_upn(request.uri()))
        .flatten();
    let response = next.run(request).await;
    let status = response.status();
    // Answers over a rate limit are not recorded: the refusals before the
    // limit are, at most the limit's rate, so refusals cannot grow the
    // trail without bound.
    if status == StatusCode::TOO_MANY_REQUESTS {
        return response;
    }
    let note = response.extensions().get::<AuditNote>().cloned();
    let action = match (how, &note) {
        (
            _,
            Some(AuditNote {
                action: Some(a), ..
            }),
        ) => *a,
        (Record::Always(a), _) => a,
        (Record::Refused(a), Some(_)) => a,
        (Record::Refused(a), None) if refused(status) => a,
        (Record::Refused(_), None) => return response,
    };
    let tried = response
        .extensions()
        .get::<Tried>()
        .cloned()
        .unwrap_or_default();
    let caller = response.extensions().get::<Caller>().cloned();
    let (key_id, actor, on_behalf_of) = match &caller {
        Some(c) => {
            let a = c.actor();
            (a.key_id, a.name, a.on_behalf_of)
        }
        None => (tried.key_id, "no usable key".to_owned(), tried.on_behalf_of),
    };
    let note = note.unwrap_or_default();
    let upn = note.upn.or(upn_query);
    let targets: Vec<Option<String>> = if note.references.is_empty() {
        vec![target]
    } else {
        note.references.into_iter().map(Some).collect()
    };
    let rows: Vec<NewAudit> = targets
        .into_iter()
        .map(|target| NewAudit {
            key_id: key_id.clone(),
            actor: actor.clone(),
            on_behalf_of: on_behalf_of.clone(),
            action: action.to_owned(),
            method: method.as_str().to_owned(),
            route: route.clone(),
            target,
            pupil_upn: upn.clone(),
            outcome: status.as_u16(),
        })
        .collect();
    let register = Arc::clone(&state.register);
    let written = tokio::task::spawn_blocking(move || register.audit(&rows)).await;
    match written {
        Ok(Ok(())) => response,
        Ok(Err(e)) if is_read(&method) && status.is_success() => {
            tracing::error!(error = %e, "the audit trail could not be written: the read is not answered");
            ApiError::from(e).into_response()
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the audit trail could not be written");
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "the audit trail could not be written");
            if is_read(&method) && status.is_success() {
                ApiError::internal(&e).into_response()
            } else {
                response
            }
        }
    }
}

/// `pupil_upn` of a history's query string (decoded), if it has one.
fn query_upn(uri: &axum::http::Uri) -> Option<String> {
    let axum::extract::Query(q) =
        axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(uri)
            .ok()?;
    q.get("pupil_upn").map(|v| {
        v.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(13)
            .collect()
    })
}
