//! The HTTP layer's one error type, [`ApiError`], every conversion into it
//! from the layers below, and its RFC 9457 `application/problem+json`
//! rendering. This is the only place where errors become status codes.
//!
//! A defect (a template that does not compile, a register that fails) is a
//! `500` whose body gives only an id; the cause travels in the response's
//! extensions to [`log_errors`], the one middleware that logs it, never
//! with case data.

mod log;

pub use log::{InternalCause, Shed, StorageFault, log_errors};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::batch::{BatchError, Described};
use crate::case::Problem;
use crate::document::DocumentError;
use crate::evidence::RecordsError;
use crate::issue::IssueError;
use crate::maintain::MaintainError;
use crate::register::{RegisterError, Storage};
use crate::render::pool::PoolError;
use crate::templates::TemplateError;

/// Everything an HTTP request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `400 Bad Request`: the body or the query string cannot be read.
    #[error("{0}")]
    BadRequest(String),
    /// `401 Unauthorized` with `WWW-Authenticate: Bearer`: no key, or a
    /// key that is unknown, revoked or expired (`invalid`).
    #[error("{detail}")]
    Unauthorized {
        /// What to do about it.
        detail: String,
        /// Whether a key was given and is not usable (`error="invalid_token"`).
        invalid: bool,
    },
    /// `403 Forbidden`: the key lacks the scope needed (named), or a draft
    /// or the studio without development mode or `templates:draft`.
    #[error("{0}")]
    Forbidden(String),
    /// `421 Misdirected Request`: a `Host` the service does not answer to.
    #[error(
        "this service does not answer to that host name; its operators list the names it serves with --allowed-host"
    )]
    WrongHost,
    /// `403 Forbidden`: an `Origin` whose pages may not call the service.
    #[error(
        "requests from that web origin are refused; its operators list the origins allowed with --allowed-origin"
    )]
    WrongOrigin,
    /// `429 Too Many Requests` with `Retry-After` (seconds): the caller's
    /// rate limit.
    #[error("too many requests from this caller; try again in {0} s")]
    RateLimited(u64),
    /// `408 Request Timeout`: the body took too long to arrive.
    #[error("the request body took too long to arrive")]
    BodyTimedOut,
    /// `404 Not Found`: unknown kind, version, reference, or route.
    #[error("{0}")]
    NotFound(String),
    /// `410 Gone`: the document was purged at the end of its retention
    /// period; its tombstone is all that is left.
    #[error("{0}")]
    Purged(String),
    /// `409 Conflict`: an event that does not fit a document's timeline, or
    /// a batch's file asked for before the batch is done.
    #[error("{0}")]
    Conflict(String),
    /// `413 Content Too Large`: the body is over the configured limit.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// `415 Unsupported Media Type`: the body is not JSON (or CSV where
    /// CSV is taken).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// `405 Method Not Allowed`: the route takes other methods.
    #[error("this endpoint does not take that method")]
    MethodNotAllowed,
    /// `422 Unprocessable Content`: the case data is not valid.
    #[error("the case data is not valid")]
    Invalid(Vec<Problem>),
    /// `409 Conflict` with `Retry-After`: the same request is still being
    /// carried out.
    #[error("{0}")]
    InProgress(String),
    /// `429 Too Many Requests`: the caller has as many batches running as
    /// it may.
    #[error(
        "{0} batches of yours are queued or running, as many as one caller may have; wait for one to finish"
    )]
    TooManyBatches(usize),
    /// `507 Insufficient Storage`: the register's disk is full.
    #[error(
        "the register of issued documents is full, so nothing was recorded; the service's operators have to free space (quote {id})"
    )]
    RegisterFull {
        /// The id the caller is given and the log records.
        id: String,
    },
    /// `503 Service Unavailable`: the register cannot be written now.
    #[error(
        "the register of issued documents cannot be written now, so nothing was recorded; try again later (quote {id})"
    )]
    RegisterUnavailable {
        /// The id the caller is given and the log records.
        id: String,
    },
    /// `503 Service Unavailable`: the service's health check failed.
    #[error("degraded: {0}")]
    Degraded(String),
    /// `503 Service Unavailable`: the render queue is full or a render
    /// timed out: load shed, counted and summarised in the log rather than
    /// logged a line a request.
    #[error("{detail}")]
    Unavailable {
        /// What the caller is told.
        detail: String,
        /// Why, as the shed series labels it (`queue-full`, `timed-out`).
        shed: &'static str,
    },
    /// `500 Internal Server Error`: a defect in a template or in docket. The
    /// cause goes to the log under `id`; the caller gets only the id.
    #[error("internal error {id}")]
    Internal {
        /// Quoted in the response and the log, to find one in the other.
        id: String,
        /// What went wrong (never case data), for the log.
        cause: String,
    },
}

/// The error a request body gives when its time is up (`guard`'s body
/// deadline); read back as `408`.
#[derive(Debug, thiserror::Error)]
#[error("the request body took longer than {0:?} to arrive")]
pub struct BodyTimedOut(pub std::time::Duration);

impl ApiError {
    /// A draft asked for by someone who may not use drafts.
    pub fn draft(id: &str) -> Self {
        Self::Forbidden(format!(
            "{id} is a draft: drafts render only in development mode (`docket serve --dev`) or with a key that has the templates:draft scope"
        ))
    }

    /// `401`: `detail` says what to do; `invalid` when a key was given.
    pub fn unauthorized(detail: &str, invalid: bool) -> Self {
        Self::Unauthorized {
            detail: detail.to_owned(),
            invalid,
        }
    }

    /// A body that could not be read: too large (`413`, over `limit`), too
    /// slow (`408`), or broken (`400`).
    pub fn unreadable(e: &axum::extract::rejection::BytesRejection, limit: usize) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::TooLarge(limit);
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if s.is::<BodyTimedOut>() {
                return Self::BodyTimedOut;
            }
            source = s.source();
        }
        Self::BadRequest(e.body_text())
    }

    /// The register's storage failing, with an id for the caller and the log.
    fn storage(storage: Storage) -> Self {
        let id = uuid::Uuid::new_v4().to_string();
        match storage {
            Storage::Full => Self::RegisterFull { id },
            Storage::Unavailable => Self::RegisterUnavailable { id },
        }
    }

    /// A defect: the caller gets an id, the log the cause.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        Self::Internal {
            id: uuid::Uuid::new_v4().to_string(),
            cause: cause.to_string(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::WrongOrigin => StatusCode::FORBIDDEN,
            Self::WrongHost => StatusCode::MISDIRECTED_REQUEST,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::BodyTimedOut => StatusCode::REQUEST_TIMEOUT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Purged(_) => StatusCode::GONE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::InProgress(_) => StatusCode::CONFLICT,
            Self::TooManyBatches(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::RegisterFull { .. } => StatusCode::INSUFFICIENT_STORAGE,
            Self::RegisterUnavailable { .. } | Self::Degraded(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem_type(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "urn:docket:problem:bad-request",
            Self::Unauthorized { .. } => "urn:docket:problem:unauthorized",
            Self::Forbidden(_) => "urn:docket:problem:forbidden",
            Self::WrongHost => "urn:docket:problem:wrong-host",
            Self::WrongOrigin => "urn:docket:problem:wrong-origin",
            Self::RateLimited(_) => "urn:docket:problem:rate-limited",
            Self::BodyTimedOut => "urn:docket:problem:body-timeout",
            Self::NotFound(_) => "urn:docket:problem:not-found",
            Self::Purged(_) => "urn:docket:problem:purged",
            Self::Conflict(_) => "urn:docket:problem:conflict",
            Self::TooLarge(_) => "urn:docket:problem:too-large",
            Self::UnsupportedMediaType(_) => "urn:docket:problem:unsupported-media-type",
            Self::MethodNotAllowed => "urn:docket:problem:method-not-allowed",
            Self::Invalid(_) => "urn:docket:problem:invalid-case",
            Self::InProgress(_) => "urn:docket:problem:in-progress",
            Self::TooManyBatches(_) => "urn:docket:problem:too-many-batches",
            Self::RegisterFull { .. } => "urn:docket:problem:register-full",
            Self::RegisterUnavailable { .. } => "urn:docket:problem:register-unavailable",
            Self::Degraded(_) => "urn:docket:problem:degraded",
            Self::Unavailable { .. } => "urn:docket:problem:unavailable",
            Self::Internal { .. } => "urn:docket:problem:internal",
        }
    }

    /// The RFC 9457 body.
    fn body(&self) -> ProblemBody<'_> {
        let status = self.status();
        let (detail, instance, errors) = match self {
            Self::Invalid(problems) => (
                format!(
                    "{} problem{} with the case data; see `errors`",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                ),
                None,
                Some(problems.as_slice()),
            ),
            Self::Internal { id, .. } => (
                format!(
                    "docket could not produce the document because of a defect on our side; quote {id} when reporting it"
                ),
                Some(format!("urn:uuid:{id}")),
                None,
            ),
            Self::RegisterFull { id } | Self::RegisterUnavailable { id } => {
                (self.to_string(), Some(format!("urn:uuid:{id}")), None)
            }
            other => (other.to_string(), None, None),
        };
        ProblemBody {
            problem_type: self.problem_type(),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            instance,
            errors,
        }
    }
}

/// How a refused case of a batch is recorded: the problem a single request
/// with it would have been answered with.
pub fn describe(e: IssueError) -> Described {
    let error = ApiError::from(e);
    Described {
        problem: serde_json::to_value(error.body()).unwrap_or(Value::Null),
        internal: match error {
            ApiError::Internal { id, cause } => Some((id, cause)),
            _ => None,
        },
    }
}

impl From<TemplateError> for ApiError {
    fn from(e: TemplateError) -> Self {
        match e {
            TemplateError::UnknownKind(_)
            | TemplateError::UnknownVersion { .. }
            | TemplateError::NotInForce { .. } => Self::NotFound(e.to_string()),
            e => Self::internal(&e),
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Invalid(problems) => Self::Invalid(problems.0),
            DocumentError::Template(t) => t.into(),
            DocumentError::Draft(id) => Self::draft(&id),
            e @ DocumentError::NoTranslation(..) => Self::NotFound(e.to_string()),
            DocumentError::Records(RecordsError::Unavailable(cause)) => {
                match cause
                    .downcast_ref::<RegisterError>()
                    .and_then(RegisterError::storage)
                {
                    Some(storage) => Self::storage(storage),
                    None => Self::internal(&cause),
                }
            }
            e => Self::internal(&e),
        }
    }
}

impl ApiError {
    /// A register error as `caller` may see it: a purged document of a
    /// school the caller's key is not for is answered as one that does not
    /// exist, as it would have been before it was purged.
    pub fn register_for(caller: &crate::access::Caller, e: RegisterError) -> Self {
        match &e {
            RegisterError::Purged(t) if !caller.sees_school(t.school_urn.as_deref()) => {
                Self::NotFound(format!("no issued document has reference {}", t.reference))
            }
            _ => e.into(),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        if let Some(storage) = e.storage() {
            return Self::storage(storage);
        }
        match e {
            RegisterError::NotFound(r) => {
                Self::NotFound(format!("no issued document has reference {r}"))
            }
            e @ RegisterError::Purged(_) => Self::Purged(e.to_string()),
            RegisterError::Conflict(m) => Self::Conflict(m),
            RegisterError::Refused(r) => {
                Self::Invalid(vec![Problem::refusal(r.field, r.rule, r.detail)])
            }
            e @ RegisterError::Duplicate { .. } => Self::Conflict(e.to_string()),
            other => Self::internal(&other),
        }
    }
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> Self {
        match e {
            IssueError::Document(d) => d.into(),
            IssueError::Register(r) => r.into(),
            IssueError::Refused(p) => Self::Invalid(p.0),
            e @ IssueError::TimedOut => Self::Unavailable {
                detail: e.to_string(),
                shed: "timed-out",
            },
            e @ IssueError::KeyReused(_) => Self::Conflict(e.to_string()),
            e @ IssueError::KeyInProgress(_) => Self::InProgress(e.to_string()),
        }
    }
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Register(r) => r.into(),
            BatchError::Document(d) => d.into(),
            other => Self::internal(&other),
        }
    }
}

impl From<MaintainError> for ApiError {
    fn from(e: MaintainError) -> Self {
        match e {
            MaintainError::Template(t) => t.into(),
            MaintainError::Document(d) => d.into(),
            other => Self::internal(&other),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy => Self::Unavailable {
                detail: e.to_string(),
                shed: "queue-full",
            },
            PoolError::TimedOut(_) => Self::Unavailable {
                detail: e.to_string(),
                shed: "timed-out",
            },
            PoolError::Failed => Self::internal(&e),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(&e)
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
        // A body of strings and numbers always serialises.
        let json = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Self::RateLimited(seconds) = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
        } else if matches!(
            status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
        ) || matches!(self, Self::InProgress(_))
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Self::Unauthorized { invalid, .. } = &self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(if *invalid {
                    "Bearer realm=\"docket\", error=\"invalid_token\""
                } else {
                    "Bearer realm=\"docket\""
                }),
            );
        }
        match &self {
            Self::Unavailable { shed, .. } => {
                response.extensions_mut().insert(Shed(shed));
            }
            // A flood past the rate limit is shed load too: counted and
            // summarised, not a line a request.
            Self::RateLimited(_) => {
                response.extensions_mut().insert(Shed("rate-limited"));
            }
            _ => {}
        }
        if let Self::RegisterFull { id } | Self::RegisterUnavailable { id } = &self {
            response.extensions_mut().insert(StorageFault {
                id: id.clone(),
                what: self.to_string(),
            });
        }
        if let Self::Internal { id, cause } = self {
            response
                .extensions_mut()
                .insert(InternalCause { id, cause });
        }
        response
    }
}
