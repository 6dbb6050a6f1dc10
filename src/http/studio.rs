//! The studio: a web page for template maintainers (`GET /studio`) and the
//! JSON endpoints behind it. Pick a kind and version (drafts included), edit
//! the case, see the pages, the problems by field and template errors with
//! their file and line; compare two versions' wording side by side. With
//! `docket serve --dev`, edits under the template folder reload the templates
//! and the open preview re-renders ([`watch()`]).
//!
//! The page itself holds no data; every endpoint behind it needs `--dev`
//! (loopback only) or a key with the `templates:draft` scope (401 or 403
//! otherwise), which the page asks for and keeps in the tab's session
//! storage. The studio only reads: nothing in it writes a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use super::error::ApiError;
use super::state::{AppState, Live, Reload};
use crate::access::{Caller, Scope};
use crate::case::Problem;
use crate::document::{Docket, DocumentError, Part, Purpose, Request};
use crate::render::{Pages, RenderError};
use crate::samples::Samples;
use crate::templates::TemplateError;

/// A cheap summary of every file under `root`: paths, sizes and times.
fn fingerprint(root: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            // Hidden files (editor swap files, `.git`) are not templates.
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(path),
                Ok(m) => out.push((path, m.len(), m.modified().ok())),
                Err(_) => {}
            }
        }
    }
    out.sort();
    out
}

/// `--dev`: looks for changes under `root` several times a second and
/// reloads the templates when something changed. Polling, not file-system
/// events: it works the same on every file system, including mounted ones,
/// and needs no dependency.
pub async fn watch(live: Arc<Live>, root: PathBuf) {
    let mut last = fingerprint(&root);
    let mut generation = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || fingerprint(&root))
                .await
                .unwrap_or_default()
        };
        if now == last {
            continue;
        }
        last = now;
        generation += 1;
        let root2 = root.clone();
        // A reload keeps the limits the service was started with.
        let limits = live.docket().limits();
        let loaded = tokio::task::spawn_blocking(move || {
            Docket::load(&root2).map(|d| d.with_limits(limits))
        })
        .await;
        let error = match loaded {
            Ok(Ok(docket)) => {
                live.replace(Arc::new(docket));
                tracing::info!(generation, "templates reloaded");
                None
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "changed templates do not load; keeping the last good ones");
                Some(e.to_string())
            }
            Err(e) => Some(e.to_string()),
        };
        live.reloads.send_replace(Reload { generation, error });
    }
}

/// The studio's routes.
pub(super) fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/studio", get(page))
        .route("/v1/studio/preview/{kind}", post(preview))
        .route("/v1/studio/diff/{kind}", get(diff))
        .route("/v1/studio/events", get(events))
}

fn require_maintainer(state: &AppState, caller: Option<&Caller>) -> Result<(), ApiError> {
    if state.dev {
        return Ok(());
    }
    let Some(caller) = caller else {
        return Err(ApiError::unauthorized(
            "the studio is for template maintainers: run `docket serve --dev`, or send a key with the templates:draft scope as `Authorization: Bearer <key>`",
            false,
        ));
    };
    super::auth::require(caller, Scope::TemplatesDraft)
}

/// `GET /studio`: the page (it holds no data; what it asks for needs a
/// maintainer's key outside development mode).
async fn page() -> Result<Response, ApiError> {
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        include_str!("assets/studio.html"),
    )
        .into_response())
}

/// `?version=` of the preview.
#[derive(Debug, Deserialize)]
struct PreviewQuery {
    version: Option<String>,
}

/// A template error, located.
#[derive(Debug, Serialize)]
struct TemplateFault {
    /// `template.typ.j2` (filling) or `main.typ` (the filled markup) or a
    /// layout file (typesetting).
    file: String,
    line: usize,
    message: String,
    /// For errors in the filled markup: the lines around it.
    excerpt: Option<String>,
}

/// What the studio shows for one edit.
#[derive(Debug, Serialize)]
struct Preview {
    version: Option<String>,
    copies: usize,
    millis: u64,
    /// Pages as `data:image/png;base64,…` URLs.
    pages: Vec<String>,
    problems: Vec<Problem>,
    faults: Vec<TemplateFault>,
}

fn excerpt(markup: &str, line: usize) -> Option<String> {
    if line == 0 {
        return None;
    }
    let lines: Vec<&str> = markup.lines().collect();
    let from = line.saturating_sub(3);
    let to = (line + 2).min(lines.len());
    Some(
        (from..to)
            .map(|i| {
                let mark = if i + 1 == line { ">" } else { " " };
                format!("{mark}{:>5} | {}", i + 1, lines.get(i).unwrap_or(&""))
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// `POST /v1/studio/preview/{kind}`: the pages for a case as PNGs, or the
/// problems and template errors; always 200 when the studio may answer.
async fn preview(
    State(state): State<AppState>,
    UrlPath(kind): UrlPath<String>,
    Query(query): Query<PreviewQuery>,
    caller: Option<Caller>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_maintainer(&state, caller.as_ref())?;
    let docket = state.docket();
    let case: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Ok(axum::Json(Preview {
                version: None,
                copies: 0,
                millis: 0,
                pages: Vec::new(),
                problems: vec![Problem::new("", format!("not valid JSON: {e}"))],
                faults: Vec::new(),
            })
            .into_response());
        }
    };
    let samples = std::sync::Arc::clone(&state.samples);
    let preview = state
        .pool
        .run(move || preview_of(&docket, &samples, &kind, query.version.as_deref(), &case))
        .await??;
    Ok(axum::Json(preview).into_response())
}

/// A fault with no file or line.
fn fault(message: String) -> TemplateFault {
    TemplateFault {
        file: String::new(),
        line: 0,
        message,
        excerpt: None,
    }
}

/// The preview of one edit: pages, or the problems and template faults.
fn preview_of(
    docket: &Docket,
    samples: &Samples,
    kind: &str,
    version: Option<&str>,
    case: &Value,
) -> Result<Preview, ApiError> {
    let start = Instant::now();
    let mut out = Preview {
        version: None,
        copies: 0,
        millis: 0,
        pages: Vec::new(),
        problems: Vec::new(),
        faults: Vec::new(),
    };
    // A court bundle's sample renders with its sample's register.
    let chosen = docket.templates().select_on(kind, version, None)?;
    let records = match samples.records(docket, &chosen) {
        Ok(r) => r,
        Err(e) => {
            out.faults.push(fault(e.to_string()));
            return Ok(out);
        }
    };
    let request = Request {
        kind,
        version: Some(&chosen.version),
        as_of: None,
        recipient: None,
        case,
        purpose: Purpose::Proof,
        drafts: true,
        translation: None,
    };
    let checked = match docket.check(&request, &*records) {
        Ok(c) => c,
        Err(DocumentError::Invalid(p)) => {
            out.problems = p.0;
            return Ok(out);
        }
        Err(e @ DocumentError::Template(_)) => return Err(e.into()),
        Err(e) => {
            out.faults.push(fault(e.to_string()));
            return Ok(out);
        }
    };
    out.version = Some(checked.version().id());
    out.copies = checked.copies().len();
    match docket.render(&checked, Part::All, &Pages { pixel_per_pt: 1.5 }) {
        Ok(rendered) => {
            let engine = base64::engine::general_purpose::STANDARD;
            out.pages = rendered
                .output
                .iter()
                .map(|png| format!("data:image/png;base64,{}", engine.encode(png)))
                .collect();
        }
        Err(DocumentError::Template(TemplateError::Fill {
            template,
            line,
            message,
        })) => out.faults.push(TemplateFault {
            file: template,
            line,
            message,
            excerpt: None,
        }),
        Err(e @ DocumentError::Template(_)) => return Err(e.into()),
        Err(DocumentError::Render(RenderError::Compile(diags) | RenderError::Export(diags))) => {
            // The lines around a fault in the filled markup.
            let markup = docket.markup(&checked, Part::All).unwrap_or_default();
            out.faults = diags
                .into_iter()
                .map(|d| TemplateFault {
                    excerpt: (d.file == "main.typ")
                        .then(|| excerpt(&markup, d.line))
                        .flatten(),
                    file: d.file,
                    line: d.line,
                    message: d.message,
                })
                .collect();
        }
        Err(e) => out.faults.push(fault(e.to_string())),
    }
    out.millis = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(out)
}

/// `?from=&to=` of the comparison.
#[derive(Debug, Deserialize)]
struct DiffQuery {
    from: String,
    to: String,
}

/// `GET /v1/studio/diff/{kind}?from=&to=`: the word-level differences
/// between two versions' rendered text.
async fn diff(
    State(state): State<AppState>,
    UrlPath(kind): UrlPath<String>,
    Query(query): Query<DiffQuery>,
    caller: Option<Caller>,
) -> Result<Response, ApiError> {
    require_maintainer(&state, caller.as_ref())?;
    let docket = state.docket();
    let samples = std::sync::Arc::clone(&state.samples);
    let runs = state
        .pool
        .run(move || {
            crate::maintain::version_texts(&docket, &samples, &kind, &query.from, &query.to)
                .map(|(a, b)| crate::maintain::word_diff(&a, &b))
        })
        .await??;
    Ok(axum::Json(serde_json::json!({ "runs": runs })).into_response())
}

/// `GET /v1/studio/events`: a server-sent event each time `--dev` reloads
/// the templates.
/// Development mode only: an event stream cannot send a key, and outside
/// `--dev` templates do not reload.
async fn events(State(state): State<AppState>) -> Result<Response, ApiError> {
    if !state.dev {
        return Err(ApiError::NotFound(
            "template reloads are reported in development mode (`docket serve --dev`) only".into(),
        ));
    }
    let mut rx = state.live.reloads.subscribe();
    rx.mark_unchanged();
    let stream = async_stream(rx);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn async_stream(
    rx: watch::Receiver<Reload>,
) -> impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let reload = rx.borrow_and_update().clone();
        let event = Event::default()
            .event("reload")
            .json_data(&reload)
            .unwrap_or_default();
        Some((Ok(event), rx))
    })
}
