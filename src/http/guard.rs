//! What every request passes before it is routed, and every response on
//! its way out: the `Host` allow-list (against DNS rebinding), the
//! `Origin` check (against cross-site requests), a plain request id, a
//! time limit for reading the body, and the headers that keep personal
//! data out of caches and pages out of frames.

use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Frame;

use super::REQUEST_ID;
use super::error::{ApiError, BodyTimedOut};

/// The names the service answers to, and the origins whose pages may call
/// it.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// `Host` values allowed: `name` (any port) or `name:port`; empty: any.
    pub hosts: Vec<String>,
    /// Origins (`https://case-tool.example`) whose pages may call the API
    /// besides the service's own.
    pub origins: Vec<String>,
    /// Serving over TLS: responses carry `Strict-Transport-Security`.
    pub tls: bool,
    /// The longest reading a request's body may take.
    pub body_timeout: Option<Duration>,
}

/// Whether `host` (a `Host` header) is one of `allowed`.
fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let name = match host.rsplit_once(':') {
        // `[::1]:8080`, `name:8080`; not the colons inside `[::1]`.
        Some((name, port)) if !port.contains(']') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host.as_str(),
    };
    allowed.iter().any(|a| {
        let a = a.to_ascii_lowercase();
        a == host || a == name
    })
}

/// Refuses a `Host` the service does not answer to (`421`) and an
/// `Origin` that is neither the service's own nor allowed (`403`), before
/// anything else is done with the request.
pub(super) async fn names(
    State(names): State<Arc<Names>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if !names.hosts.is_empty()
        && let Some(host) = &host
        && !host_allowed(host, &names.hosts)
    {
        return ApiError::WrongHost.into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("").trim().to_ascii_lowercase();
        let own = host.as_deref().is_some_and(|h| {
            let h = h.to_ascii_lowercase();
            origin == format!("http://{h}") || origin == format!("https://{h}")
        });
        let listed = names
            .origins
            .iter()
            .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(&origin));
        if !own && !listed {
            return ApiError::WrongOrigin.into_response();
        }
    }
    let mut request = request;
    // Only a request that has a body gets a deadline for it (a timer each).
    if let Some(limit) = names.body_timeout
        && !http_body::Body::is_end_stream(request.body())
    {
        request = request.map(|body| Body::new(Deadline::new(body, limit)));
    }
    next.run(request).await
}

/// Whether a client's request id is a plain token that cannot forge a log
/// line: 1 to 64 letters, digits, `-`, `_` or `.`.
fn plain_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Drops a request id that is not a plain token, so a fresh one is made.
pub(super) async fn plain_request_id(mut request: Request, next: Next) -> Response {
    if request
        .headers()
        .get(&REQUEST_ID)
        .is_some_and(|v| !plain_id(v))
    {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

/// The content security policy of `/studio` and `/docs`: their own inline
/// script and style (by hash), calls to this service only, no frames.
fn policy(page: &str) -> String {
    let hashes = |open: &str, close: &str| -> String {
        let mut out = String::new();
        let mut rest = page;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len()..];
            let Some(body_start) = after.find('>') else {
                break;
            };
            let body = &after[body_start + 1..];
            let Some(end) = body.find(close) else { break };
            use base64::Engine;
            use sha2::Digest;
            let digest = sha2::Sha256::digest(&body.as_bytes()[..end]);
            out.push_str(&format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
            rest = &body[end..];
        }
        out
    };
    format!(
        "default-src 'none'; script-src{}; style-src{}; img-src 'self' data: blob:; connect-src 'self'; frame-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hashes("<script", "</script>"),
        hashes("<style", "</style>")
    )
}

/// The policies of the two pages, computed once.
pub(super) static STUDIO_POLICY: LazyLock<String> =
    LazyLock::new(|| policy(include_str!("assets/studio.html")));
/// See [`STUDIO_POLICY`].
pub(super) static DOCS_POLICY: LazyLock<String> =
    LazyLock::new(|| policy(include_str!("assets/docs.html")));

/// Headers on every response: nothing is cached or sniffed, no page is
/// framed or leaks its address; HSTS over TLS; the pages' policies.
pub(super) async fn protect(
    State(names): State<Arc<Names>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let h: &mut HeaderMap = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if names.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    let csp = match path.as_str() {
        "/studio" => Some(STUDIO_POLICY.as_str()),
        "/docs" => Some(DOCS_POLICY.as_str()),
        _ => None,
    };
    if let Some(csp) = csp.and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// A body that fails once its deadline passes, however slowly its bytes
/// arrive (a per-read timeout would let one byte every few seconds pin a
/// connection for ever).
struct Deadline {
    body: Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
}

impl Deadline {
    fn new(body: Body, limit: Duration) -> Self {
        Self {
            body,
            sleep: Box::pin(tokio::time::sleep(limit)),
            limit,
        }
    }
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(this.limit)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_by_name_or_name_and_port() {
        let allowed = vec![
            "localhost:8080".to_owned(),
            "docket.kent.example".to_owned(),
        ];
        assert!(host_allowed("localhost:8080", &allowed));
        assert!(host_allowed("LOCALHOST:8080", &allowed));
        assert!(!host_allowed("localhost:9090", &allowed));
        assert!(host_allowed("docket.kent.example:443", &allowed));
        assert!(!host_allowed("attacker.example:8080", &allowed));
        assert!(host_allowed("[::1]:8080", &["[::1]:8080".to_owned()]));
    }

    #[test]
    fn request_ids_are_plain_tokens() {
        assert!(plain_id(&HeaderValue::from_static("abc-123_x.y")));
        assert!(!plain_id(&HeaderValue::from_static("a b")));
        assert!(!plain_id(&HeaderValue::from_static("x\" level=ERROR")));
        assert!(!plain_id(&HeaderValue::from_static("")));
    }

    #[test]
    fn the_policies_name_each_inline_script_and_style() {
        assert_eq!(STUDIO_POLICY.matches("'sha256-").count(), 2);
        assert_eq!(DOCS_POLICY.matches("'sha256-").count(), 2);
        assert!(!STUDIO_POLICY.contains("unsafe-inline"));
    }
}
