//! Keys and the audit trail over HTTP: `GET`/`POST /v1/keys` and
//! `DELETE /v1/keys/{id}` (`keys:admin`), and `GET /v1/audit`
//! (`audit:read`), which answers "who looked at this child's records, and
//! when" for a subject access request.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::audit::AuditNote;
use super::auth::require;
use super::error::ApiError;
use super::state::AppState;
use crate::access::{Caller, KeyRequest, Scope, key_problems, parse_scopes};
use crate::case::Problem;
use crate::register::{AuditQuery, RegisterError};

/// The routes of keys and the audit trail.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/keys", routing::get(list).post(create))
        .route("/v1/keys/{id}", routing::delete(revoke))
        .route("/v1/audit", routing::get(audit))
}

/// `GET /v1/keys`: every key, never a secret.
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    require(&caller, Scope::KeysAdmin)?;
    let register = Arc::clone(&state.register);
    let keys = tokio::task::spawn_blocking(move || register.keys()).await??;
    Ok(Json(json!({ "keys": keys })).into_response())
}

/// The body of `POST /v1/keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKeyBody {
    name: String,
    scopes: Vec<String>,
    #[serde(default)]
    schools: Option<Vec<String>>,
    #[serde(default)]
    expires_on: Option<NaiveDate>,
}

/// `POST /v1/keys`: a new key; the token is in this answer and nowhere
/// else, ever.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(&caller, Scope::KeysAdmin)?;
    let value = super::documents::json_body(&headers, body, state.body_limit)?;
    let asked: NewKeyBody = serde_path_to_error::deserialize(&value).map_err(|e| {
        let pointer: String = e.path().iter().map(|seg| format!("/{seg}")).collect();
        ApiError::Invalid(vec![Problem::new(
            pointer,
            format!("not a key request ({{\"name\", \"scopes\": [...], \"schools\"?: [...], \"expires_on\"?}}): {}", e.inner()),
        )])
    })?;
    let scopes = parse_scopes(&asked.scopes.join(",")).map_err(|unknown| {
        ApiError::Invalid(vec![Problem::new(
            "/scopes",
            format!(
                "not scopes docket knows: {}; the scopes are {}",
                unknown.join(", "),
                Scope::ALL.map(Scope::as_str).join(", ")
            ),
        )])
    })?;
    let request = KeyRequest {
        name: asked.name,
        scopes,
        schools: asked.schools,
        expires_on: asked.expires_on,
    };
    let problems = key_problems(&request, chrono::Local::now().date_naive());
    if !problems.is_empty() {
        return Err(ApiError::Invalid(
            problems
                .into_iter()
                .map(|(field, detail)| {
                    let at = if field == "expires" {
                        "expires_on"
                    } else {
                        field
                    };
                    Problem::new(format!("/{at}"), detail)
                })
                .collect(),
        ));
    }
    let register = Arc::clone(&state.register);
    let by = caller.actor().to_string();
    let (key, token) =
        tokio::task::spawn_blocking(move || register.create_key(&request, &by)).await??;
    let mut response = (
        StatusCode::CREATED,
        Json(json!({ "key": key, "token": token })),
    )
        .into_response();
    response.extensions_mut().insert(AuditNote {
        references: vec![key.id],
        ..AuditNote::default()
    });
    Ok(response)
}

/// `DELETE /v1/keys/{id}`: revokes a key at once (its rows keep naming it).
async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    require(&caller, Scope::KeysAdmin)?;
    let register = Arc::clone(&state.register);
    let by = caller.actor().to_string();
    let key = id.clone();
    let revoked = tokio::task::spawn_blocking(move || register.revoke_key(&key, &by)).await?;
    match revoked {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(RegisterError::NotFound(_)) => Err(ApiError::NotFound(format!("no key has id {id}"))),
        Err(e) => Err(e.into()),
    }
}

/// `?upn=&from=&to=&limit=` of the trail.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrailQuery {
    upn: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: Option<usize>,
}

/// `GET /v1/audit?upn=…&from=…&to=…`: the trail's rows, oldest first.
async fn audit(
    State(state): State<AppState>,
    query: Result<Query<TrailQuery>, QueryRejection>,
    caller: Caller,
) -> Result<Response, ApiError> {
    require(&caller, Scope::AuditRead)?;
    let Query(q) =
        query.map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::Invalid(vec![Problem::new(
            "/limit",
            "limit is 1 to 10,000 rows",
        )]));
    }
    let upn = q.upn.clone();
    let query = AuditQuery {
        upn: q.upn,
        from: q.from.map(|d| d.to_string()),
        to: q.to.map(|d| d.to_string()),
        limit,
    };
    let register = Arc::clone(&state.register);
    let rows = tokio::task::spawn_blocking(move || register.audit_rows(&query)).await??;
    // A full page may not be all: the next starts after its last row's time.
    let truncated = rows.len() == limit;
    let mut response = Json(json!({ "rows": rows, "truncated": truncated })).into_response();
    response.extensions_mut().insert(AuditNote {
        upn,
        ..AuditNote::default()
    });
    Ok(response)
}
