//! The HTTP layer's one error type and its RFC 9457 `application/problem+json`
//! rendering. This is the only place where errors become status codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::case::Problem;
use crate::document::DocumentError;
use crate::render::pool::PoolError;
use crate::templates::TemplateError;

/// Everything an HTTP request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `400 Bad Request`: the body or the query string cannot be read.
    #[error("{0}")]
    BadRequest(String),
    /// `403 Forbidden`: a draft or the studio without development mode or
    /// the maintainer key.
    #[error("{0}")]
    Forbidden(String),
    /// `404 Not Found`: unknown kind, version, or route.
    #[error("{0}")]
    NotFound(String),
    /// `409 Conflict`: an event that does not fit a document's timeline.
    #[error("{0}")]
    Conflict(String),
    /// `413 Content Too Large`: the body is over the configured limit.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// `415 Unsupported Media Type`: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// `422 Unprocessable Content`: the case data is not valid.
    #[error("the case data is not valid")]
    Invalid(Vec<Problem>),
    /// `503 Service Unavailable`: the render queue is full or a render timed out.
    #[error("{0}")]
    Unavailable(String),
    /// `500 Internal Server Error`: a defect in a template or in docket. The
    /// detail goes to the log under `id`; the caller gets only the id.
    #[error("internal error {id}")]
    Internal {
        /// Quoted in the response and the log, to find one in the other.
        id: String,
    },
}

impl ApiError {
    /// Logs an internal failure (never case data) and returns the error the
    /// caller sees.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4().to_string();
        tracing::error!(error.id = %id, error = %cause, "internal error");
        Self::Internal { id }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem_type(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "urn:docket:problem:bad-request",
            Self::Forbidden(_) => "urn:docket:problem:forbidden",
            Self::NotFound(_) => "urn:docket:problem:not-found",
            Self::Conflict(_) => "urn:docket:problem:conflict",
            Self::TooLarge(_) => "urn:docket:problem:too-large",
            Self::UnsupportedMediaType(_) => "urn:docket:problem:unsupported-media-type",
            Self::Invalid(_) => "urn:docket:problem:invalid-case",
            Self::Unavailable(_) => "urn:docket:problem:unavailable",
            Self::Internal { .. } => "urn:docket:problem:internal",
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Invalid(problems) => Self::Invalid(problems.0),
            DocumentError::Template(
                e @ (TemplateError::UnknownKind(_)
                | TemplateError::UnknownVersion { .. }
                | TemplateError::NotInForce { .. }),
            ) => Self::NotFound(e.to_string()),
            DocumentError::Template(e) => Self::internal(&e),
            DocumentError::Render(e) => Self::internal(&e),
            e @ DocumentError::NeedsRegister(_) => Self::internal(&e),
        }
    }
}

impl From<crate::bundle::BundleError> for ApiError {
    fn from(e: crate::bundle::BundleError) -> Self {
        match e {
            crate::bundle::BundleError::Refused(problems) => Self::Invalid(problems),
            crate::bundle::BundleError::Register(r) => r.into(),
            crate::bundle::BundleError::Document(d) => d.into(),
            other => Self::internal(&other),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy | PoolError::TimedOut(_) => Self::Unavailable(e.to_string()),
            PoolError::Failed => Self::internal(&e),
        }
    }
}

/// The RFC 9457 body.
#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    problem_type: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [Problem]>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (detail, instance, errors) = match &self {
            Self::Invalid(problems) => (
                format!(
                    "{} problem{} with the case data; see `errors`",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                ),
                None,
                Some(problems.as_slice()),
            ),
            Self::Internal { id } => (
                format!(
                    "docket could not produce the document because of a defect on our side; quote {id} when reporting it"
                ),
                Some(format!("urn:uuid:{id}")),
                None,
            ),
            other => (other.to_string(), None, None),
        };
        let body = ProblemBody {
            problem_type: self.problem_type(),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            instance,
            errors,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
