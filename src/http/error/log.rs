//! What a response tells the log, carried in its extensions from
//! [`super::ApiError`]'s rendering to [`log_errors`], the one middleware
//! that logs errors: a defect's cause and a storage failure, each once with
//! the id the caller was given; shed load counted and summarised.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// The register's storage failing (507, 503), carried to the logging
/// middleware: the operators' to fix, logged once with the caller's id.
#[derive(Debug, Clone)]
pub struct StorageFault {
    /// The id the caller was given.
    pub id: String,
    /// What failed.
    pub what: String,
}

/// The cause of a `500`, carried in the response's extensions to the
/// logging middleware.
#[derive(Debug, Clone)]
pub struct InternalCause {
    /// The id the caller was given.
    pub id: String,
    /// What went wrong.
    pub cause: String,
}

/// Marks a response that shed load (503, or 429 past a rate limit), for the one middleware that
/// logs: counted and summarised ([`crate::telemetry::shed`]), never a line
/// a request.
#[derive(Debug, Clone, Copy)]
pub struct Shed(pub &'static str);

/// Logs every defect a response reports, once, with its id: the one place
/// errors are logged (inside the request's span, so with its request id).
pub async fn log_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(InternalCause { id, cause }) = response.extensions().get::<InternalCause>() {
        tracing::error!(error.id = %id, error = %cause, "internal error");
    }
    if let Some(StorageFault { id, what }) = response.extensions().get::<StorageFault>() {
        tracing::error!(error.id = %id, error = %what, "the register cannot be written");
    }
    if let Some(Shed(reason)) = response.extensions().get::<Shed>() {
        crate::telemetry::shed(reason);
    }
    response
}
