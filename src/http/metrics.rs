//! `GET /metrics`: the service's series in Prometheus's text format
//! ([`crate::telemetry`]), behind the `metrics:read` scope, or without a
//! key on a separate loopback-only address ([`serve`], `--metrics-addr`);
//! and [`record`], the middleware that counts and times every request by
//! the route the router matched.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Router, routing};

use super::auth::require;
use super::error::ApiError;
use super::state::AppState;
use crate::access::{Caller, Scope};
use crate::telemetry;

/// The route of `/metrics` behind the gate.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/metrics", routing::get(metrics))
}

/// `GET /metrics` with a key that has `metrics:read`.
async fn metrics(caller: Caller, State(state): State<AppState>) -> Result<Response, ApiError> {
    require(&caller, Scope::MetricsRead)?;
    exposition(&state).await
}

/// Every series, with the gauges read now: the render pool's load and the
/// register's size.
async fn exposition(state: &AppState) -> Result<Response, ApiError> {
    let handle = telemetry::install().map_err(|e| ApiError::internal(&e))?;
    let (waiting, running) = state.pool.load();
    telemetry::pool_load(waiting, running);
    let register = Arc::clone(&state.register);
    let (bytes, documents) = tokio::task::spawn_blocking(move || register.size()).await??;
    telemetry::register_size(bytes, documents);
    let mut response = telemetry::render(handle).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// Counts and times every request by the route the router matched (the
/// template, `/v1/documents/{kind}`, never the path asked for: no
/// reference or UPN becomes a label; `unmatched` for none), its method and
/// its status. Outside every other layer, so a request refused before
/// routing (413, 421, 408) is counted too.
pub(super) async fn record(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    telemetry::request(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Carries the route the router matched out on the response, for
/// [`record`] (which runs outside the router).
pub(super) async fn mark_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Why `--metrics-addr` cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum MetricsAddrError {
    /// Not a loopback address: it has no key in front of it.
    #[error(
        "--metrics-addr {0} is not a loopback address: the metrics listener has no key in front of it, so it serves on 127.0.0.1 or ::1 only (scrape through a proxy, or use /metrics with a metrics:read key)"
    )]
    NotLoopback(SocketAddr),
    /// The address could not be bound.
    #[error("--metrics-addr {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// Serves `GET /metrics` alone, without a key, on the loopback address
/// `addr`, until the process ends.
pub(super) async fn serve(
    addr: SocketAddr,
    state: AppState,
) -> Result<tokio::task::JoinHandle<()>, MetricsAddrError> {
    if !addr.ip().is_loopback() {
        return Err(MetricsAddrError::NotLoopback(addr));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| MetricsAddrError::Bind(addr, e))?;
    tracing::info!(addr = %addr, "metrics listening");
    let app = Router::new()
        .route(
            "/metrics",
            routing::get(|State(state): State<AppState>| async move { exposition(&state).await }),
        )
        .with_state(state);
    Ok(tokio::spawn(async move {
        let never = std::future::pending::<()>();
        if let Err(e) =
            super::server::serve(listener, app, None, super::Limits::default(), never).await
        {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    }))
}
