//! What the service tells its operators, and nothing about children:
//! metrics through the `metrics` facade (exported as Prometheus text by
//! [`install`] and [`render`]) and logs through `tracing` ([`init_logs`]:
//! text or one JSON object a line).
//!
//! Every series is named here, once, and every label is bounded: a route
//! as the router matched it (`/v1/documents/{kind}`, never the path asked
//! for), a document kind from the catalogue, a stage, a status code. No
//! label ever carries case data, a reference or a UPN. Layers below the
//! HTTP layer record through the functions here; with no recorder
//! installed (the CLI, the benchmark) each is a few loads and nothing else.
//!
//! Shed load is logged once when it starts and then summarised every
//! [`SHED_SUMMARY`] ([`shed`], [`summarise_shed`]), never a line a request.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

#[cfg(feature = "otel")]
pub mod otel;

/// Requests answered, by route, method and status.
pub const HTTP_REQUESTS: &str = "docket_http_requests_total";
/// Time to answer a request, by route.
pub const HTTP_DURATION: &str = "docket_http_request_duration_seconds";
/// Time in one stage of making a document, by stage and kind.
pub const STAGE_DURATION: &str = "docket_stage_duration_seconds";
/// Documents made, by kind and what they were (`proof`, `issued`).
pub const DOCUMENTS: &str = "docket_documents_total";
/// Time to make one document end to end (check, fill, compile, export), by kind.
pub const DOCUMENT_DURATION: &str = "docket_document_duration_seconds";
/// Requests refused for their case data (422), by kind.
pub const REFUSED: &str = "docket_documents_refused_total";
/// Renders waiting for a worker.
pub const QUEUE_DEPTH: &str = "docket_render_queue_depth";
/// Renders running now.
pub const IN_FLIGHT: &str = "docket_renders_in_flight";
/// Requests turned away: 503 (the render queue full, a render out of
/// time) or 429 (past a rate limit), by reason.
pub const SHED_TOTAL: &str = "docket_shed_total";
/// Batches finished, by status (`done`, `failed`).
pub const BATCHES: &str = "docket_batches_total";
/// A batch's cases, by outcome (`issued`, `refused`).
pub const BATCH_CASES: &str = "docket_batch_cases_total";
/// Time from a batch's start to its files being ready.
pub const BATCH_DURATION: &str = "docket_batch_duration_seconds";
/// Callback attempts, by result (`delivered`, `failed`, `refused`).
pub const CALLBACK_ATTEMPTS: &str = "docket_callback_attempts_total";
/// Callbacks given up after their last attempt.
pub const CALLBACK_GIVE_UPS: &str = "docket_callback_give_ups_total";
/// The register's file, in bytes.
pub const REGISTER_BYTES: &str = "docket_register_bytes";
/// Documents in the register.
pub const REGISTER_DOCUMENTS: &str = "docket_register_documents";

/// How often shed load is summarised in the log.
pub const SHED_SUMMARY: Duration = Duration::from_secs(10);

/// Histogram buckets for every `_seconds` series, in seconds: a letter
/// renders in about 10 ms, a bundle in about 100 ms, a batch in minutes.
const BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0,
    600.0,
];

/// One stage of making a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The case read and checked: schema, meaning, the rules.
    Validate,
    /// The template filled.
    Fill,
    /// Typst's compile and layout.
    Compile,
    /// The PDF (or text, or pages) written.
    Export,
    /// The issued copies stored in the register.
    Store,
}

impl Stage {
    /// Its label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::Fill => "fill",
            Self::Compile => "compile",
            Self::Export => "export",
            Self::Store => "store",
        }
    }
}

/// Why metrics could not be exported.
#[derive(Debug, thiserror::Error)]
#[error("the metrics recorder could not be installed: {0}")]
pub struct MetricsError(String);

static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the process's Prometheus recorder, once (later calls give the
/// same handle), and describes every series.
pub fn install() -> Result<&'static PrometheusHandle, MetricsError> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
                .map_err(|e| e.to_string())?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|e| e.to_string())?;
            describe();
            Ok(handle)
        })
        .as_ref()
        .map_err(|e| MetricsError(e.clone()))
}

/// Every series in Prometheus's text format (after the recorder's upkeep).
pub fn render(handle: &PrometheusHandle) -> String {
    handle.run_upkeep();
    handle.render()
}

/// Folds the histograms' recent samples into their buckets. The recorder
/// keeps each sample until then, so a service nobody scrapes would grow by
/// a few dozen bytes a request: the server calls this every
/// [`SHED_SUMMARY`].
pub fn upkeep() {
    if let Some(Ok(handle)) = HANDLE.get() {
        handle.run_upkeep();
    }
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "Requests answered, by route, method and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer a request, by route."
    );
    describe_histogram!(
        STAGE_DURATION,
        Unit::Seconds,
        "Time in one stage of making a document (validate, fill, compile, export, store), by kind."
    );
    describe_counter!(
        DOCUMENTS,
        "Documents made, by kind and purpose (proof or issued)."
    );
    describe_histogram!(
        DOCUMENT_DURATION,
        Unit::Seconds,
        "Time to make one document from its case data, by kind."
    );
    describe_counter!(
        REFUSED,
        "Requests refused for their case data (422), by kind."
    );
    describe_gauge!(QUEUE_DEPTH, "Renders waiting for a worker.");
    describe_gauge!(IN_FLIGHT, "Renders running now.");
    describe_counter!(
        SHED_TOTAL,
        "Requests turned away (503, or 429 past a rate limit), by reason."
    );
    describe_counter!(BATCHES, "Batches finished, by status.");
    describe_counter!(BATCH_CASES, "Batch cases, by outcome (issued or refused).");
    describe_histogram!(
        BATCH_DURATION,
        Unit::Seconds,
        "Time from a batch's start to its files."
    );
    describe_counter!(CALLBACK_ATTEMPTS, "Batch callback attempts, by result.");
    describe_counter!(
        CALLBACK_GIVE_UPS,
        "Batch callbacks given up after their last attempt."
    );
    describe_gauge!(
        REGISTER_BYTES,
        Unit::Bytes,
        "The register's file, in bytes."
    );
    describe_gauge!(REGISTER_DOCUMENTS, "Documents in the register.");
}

/// A request answered.
pub fn request(route: &str, method: &str, status: u16, elapsed: Duration) {
    counter!(HTTP_REQUESTS, "route" => route.to_owned(), "method" => method.to_owned(), "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_DURATION, "route" => route.to_owned()).record(elapsed.as_secs_f64());
}

/// Time spent in `stage` making a document of `kind`.
pub fn stage(stage: Stage, kind: &str, elapsed: Duration) {
    histogram!(STAGE_DURATION, "stage" => stage.as_str(), "kind" => kind.to_owned())
        .record(elapsed.as_secs_f64());
}

/// A document of `kind` made from its case data in `elapsed`: a proof
/// (`issued` false) or an issued copy.
pub fn document(kind: &str, issued: bool, elapsed: Duration) {
    let purpose = if issued { "issued" } else { "proof" };
    counter!(DOCUMENTS, "kind" => kind.to_owned(), "purpose" => purpose).increment(1);
    histogram!(DOCUMENT_DURATION, "kind" => kind.to_owned()).record(elapsed.as_secs_f64());
}

/// A request for `kind` refused for its case data.
pub fn refused(kind: &str) {
    counter!(REFUSED, "kind" => kind.to_owned()).increment(1);
}

/// The render pool's load now.
pub fn pool_load(waiting: usize, running: usize) {
    gauge!(QUEUE_DEPTH).set(waiting as f64);
    gauge!(IN_FLIGHT).set(running as f64);
}

/// The register's size now.
pub fn register_size(bytes: u64, documents: u64) {
    gauge!(REGISTER_BYTES).set(bytes as f64);
    gauge!(REGISTER_DOCUMENTS).set(documents as f64);
}

/// A batch finished (`done` or `failed`) after `elapsed`, with its cases'
/// outcomes.
pub fn batch(status: &'static str, issued: u64, refused: u64, elapsed: Duration) {
    counter!(BATCHES, "status" => status).increment(1);
    counter!(BATCH_CASES, "outcome" => "issued").increment(issued);
    counter!(BATCH_CASES, "outcome" => "refused").increment(refused);
    histogram!(BATCH_DURATION).record(elapsed.as_secs_f64());
}

/// A callback attempt's result: `delivered`, `failed` (to be retried) or
/// `refused` (not retried).
pub fn callback_attempt(result: &'static str) {
    counter!(CALLBACK_ATTEMPTS, "result" => result).increment(1);
}

/// A callback given up.
pub fn callback_given_up() {
    counter!(CALLBACK_GIVE_UPS).increment(1);
}

/// Requests shed since the last summary, and whether shedding is going on.
#[derive(Debug, Default)]
struct ShedLog {
    count: AtomicU64,
    shedding: AtomicBool,
}

impl ShedLog {
    const fn new() -> Self {
        Self {
            count: AtomicU64::new(0),
            shedding: AtomicBool::new(false),
        }
    }

    /// Counts one; whether shedding has just started.
    fn one(&self) -> bool {
        self.count.fetch_add(1, Ordering::Relaxed);
        !self.shedding.swap(true, Ordering::Relaxed)
    }

    /// How many since the last call, and whether shedding has ended (none
    /// since the last call, after some).
    fn take(&self) -> (u64, bool) {
        let shed = self.count.swap(0, Ordering::Relaxed);
        let ended = shed == 0 && self.shedding.swap(false, Ordering::Relaxed);
        (shed, ended)
    }
}

static SHED: ShedLog = ShedLog::new();

/// A request turned away for `reason` (503: `queue-full`, `timed-out`;
/// 429: `rate-limited`): counted, and logged at warn only when shedding
/// starts;
/// [`summarise_shed`] says how many followed.
pub fn shed(reason: &'static str) {
    counter!(SHED_TOTAL, "reason" => reason).increment(1);
    if SHED.one() {
        tracing::warn!(
            reason,
            "shedding load: requests are refused (503 or 429) with Retry-After; summarised every {} s",
            SHED_SUMMARY.as_secs()
        );
    }
}

/// Logs how many requests were shed since the last call (at warn), or
/// that shedding has ended; nothing while all is well. The server calls it
/// every [`SHED_SUMMARY`].
pub fn summarise_shed() {
    match SHED.take() {
        (0, true) => tracing::info!("load shedding has ended"),
        (0, false) => {}
        (shed, _) => tracing::warn!(
            shed,
            "shed {shed} requests (503 or 429) in the last {} s",
            SHED_SUMMARY.as_secs()
        ),
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object a line, with the spans it was in, for log shippers.
    Json,
}

/// Starts logging to standard error in `format`, filtered by `RUST_LOG`
/// (default `info`). Built with the `otel` feature, and with
/// `OTEL_EXPORTER_OTLP_ENDPOINT` set, the same spans also go to an
/// OpenTelemetry collector ([`otel`]); call [`shutdown`] before the
/// process ends so the last of them are sent.
pub fn init_logs(format: LogFormat) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let registry = tracing_subscriber::registry().with(lines);
    #[cfg(feature = "otel")]
    let registry = registry.with(otel::layer());
    registry.with(filter).init();
}

/// Sends the spans not yet exported (with the `otel` feature; nothing
/// otherwise).
pub fn shutdown() {
    #[cfg(feature = "otel")]
    otel::shutdown();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exported_text_names_each_series_recorded() {
        let handle = install().unwrap();
        stage(
            Stage::Compile,
            "absence-concern-letter",
            Duration::from_millis(7),
        );
        document("absence-concern-letter", false, Duration::from_millis(9));
        shed("queue-full");
        let text = render(handle);
        assert!(text.contains("docket_stage_duration_seconds_bucket{stage=\"compile\",kind=\"absence-concern-letter\""), "{text}");
        assert!(
            text.contains(
                "docket_documents_total{kind=\"absence-concern-letter\",purpose=\"proof\"}"
            ),
            "{text}"
        );
        assert!(
            text.contains("docket_shed_total{reason=\"queue-full\"}"),
            "{text}"
        );
        // Installing again gives the same handle.
        assert!(std::ptr::eq(install().unwrap(), handle));
    }

    #[test]
    fn shedding_is_logged_when_it_starts_then_summarised() {
        let log = ShedLog::new();
        let starts = (0..1000).filter(|_| log.one()).count();
        assert_eq!(
            starts, 1,
            "one line when shedding starts, not one a request"
        );
        assert_eq!(log.take(), (1000, false));
        assert_eq!(log.take(), (0, true), "then: shedding has ended");
        assert_eq!(log.take(), (0, false), "and then nothing");
        assert!(log.one(), "a new flood is logged again");
    }
}
