//! Who is calling: the gate every routed request passes. It reads
//! `Authorization: Bearer <key>`, looks the key up in the register (each
//! request, so a revocation takes effect at once), compares its secret in
//! constant time, applies the rate limits, and leaves the [`Caller`] in the
//! request for handlers to ask for. A handler asks for the scope it needs
//! with [`require`]; the gate itself refuses only a key that is given and
//! not usable.
//!
//! With no key ever made and the service on a loopback address (and only
//! then), callers without a key are [`Caller::Open`]: the README's first
//! command keeps working on a developer's machine.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::audit::Tried;
use super::error::ApiError;
use super::state::AppState;
use crate::access::{Caller, Scope, parse_token, secret_matches};

/// `Docket-Requested-By`: who inside the calling system asks, as plain
/// text of at most 120 characters, or nothing.
fn on_behalf_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("docket-requested-by")?.to_str().ok()?.trim();
    let clean: String = value
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

/// Whether a route is a lookup by reference or UPN, the requests an
/// enumerator makes, which get the tighter limit.
pub(super) fn is_lookup(method: &axum::http::Method, route: &str) -> bool {
    (method == axum::http::Method::GET
        && matches!(
            route,
            "/v1/documents/{id}"
                | "/v1/documents"
                | "/v1/documents/{id}/status"
                | "/v1/batches/{id}"
                | "/v1/batches/{id}/{file}"
        ))
        // An event's 404 or 422 says whether a reference exists.
        || (method == axum::http::Method::POST && route == "/v1/documents/{id}/events")
}

/// Whether a posted document reads the register (a court bundle, whose
/// exhibits are references): its refusals say which references exist, so
/// it is limited as a lookup.
fn reads_register(state: &AppState, method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && path
            .strip_prefix("/v1/documents/")
            .is_some_and(|kind| state.docket().templates().catalogue().uses_register(kind))
}

/// The gate (a route layer, so it knows the route). Identifies the caller,
/// applies the rate limits and leaves the caller for the handlers.
pub(super) async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let route = parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let lookup = is_lookup(&parts.method, &route)
        || (route == "/v1/documents/{id}"
            && reads_register(&state, &parts.method, parts.uri.path()));
    let mut tried = Tried {
        key_id: None,
        on_behalf_of: on_behalf_of(&parts.headers),
    };
    let peer = super::server::peer(&parts).map(|p| p.ip());
    let caller = identify(&state, &parts.headers, &mut tried).await;
    let guarded = parts.headers.contains_key(header::AUTHORIZATION)
        || super::audit::recorded(&parts.method, &route);
    let limited = match &caller {
        Ok(Some(c)) => state
            .access
            .limit(&format!("key {}", c.actor().identity()), lookup),
        // Without a usable key, on a route that needs one (or with a key
        // that does not work), the caller's address is what is limited, at
        // the lookups' rate: guessing keys is slow. Public routes
        // (`/healthz`, the catalogue) are not held back.
        _ if guarded => state.access.limit(&address(peer), true),
        _ => Ok(()),
    };
    // The response carries who it was for, for the audit trail outside.
    let answer = |mut response: Response, caller: Option<Caller>| {
        response.extensions_mut().insert(tried.clone());
        if let Some(c) = caller {
            response.extensions_mut().insert(c);
        }
        response
    };
    if let Err(e) = limited {
        return answer(e.into_response(), caller.ok().flatten());
    }
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return answer(e.into_response(), None),
    };
    if let Some(c) = &caller {
        parts.extensions.insert(c.clone());
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    answer(response, caller)
}

fn address(peer: Option<IpAddr>) -> String {
    peer.map_or_else(
        || "address unknown".to_owned(),
        |ip| format!("address {ip}"),
    )
}

/// The caller a request's headers make: a usable key, the open mode, or
/// nobody (`Ok(None)`); a key given but not usable is `Err` (401).
async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    tried: &mut Tried,
) -> Result<Option<Caller>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        let register = Arc::clone(&state.register);
        let access = Arc::clone(&state.access);
        let open = tokio::task::spawn_blocking(move || access.open_now(&register)).await??;
        return Ok(open.then(|| Caller::Open {
            on_behalf_of: tried.on_behalf_of.clone(),
        }));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::unauthorized("send the key as `Authorization: Bearer <key>`", true)
        })?;
    let (id, secret) = parse_token(token)
        .ok_or_else(|| ApiError::unauthorized("that is not a docket key", true))?;
    tried.key_id = Some(id.to_owned());
    let register = Arc::clone(&state.register);
    let id = id.to_owned();
    let key = tokio::task::spawn_blocking(move || register.key(&id)).await??;
    // An unknown id and a wrong secret get the same answer.
    let key = key
        .filter(|k| secret_matches(secret, &k.secret_sha256))
        .ok_or_else(|| ApiError::unauthorized("this key is not known", true))?;
    key.usable(chrono::Local::now().date_naive())
        .map_err(|why| ApiError::unauthorized(why, true))?;
    Ok(Some(Caller::Key {
        key: Box::new(key),
        on_behalf_of: tried.on_behalf_of.clone(),
    }))
}

/// The caller, for a handler that needs one: `401` without.
impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            ApiError::unauthorized(
                "this needs an API key: send it as `Authorization: Bearer <key>` (an administrator makes one with `docket keys create`)",
                false,
            )
        })
    }
}

/// The caller, if any, for a handler whose route is public.
impl OptionalFromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned())
    }
}

/// Refuses a caller without `scope`: `403` naming it.
pub(super) fn require(caller: &Caller, scope: Scope) -> Result<(), ApiError> {
    if caller.may(scope) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(match caller {
            Caller::Open { .. } => format!(
                "this needs the {scope} scope, which the open mode (no keys yet) never has: make a key with `docket keys create --scope {scope}`"
            ),
            Caller::Key { key, .. } => {
                format!(
                    "this needs the {scope} scope; key {} does not have it",
                    key.id
                )
            }
        }))
    }
}
