//! `docket serve`: the HTTP API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{EXIT_FAILED, batch_dir, fail, load};
use crate::http::{self, ServeOptions};

/// `docket serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DOCKET_ADDR", default_value = http::DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Largest request body, in bytes.
    #[arg(long, env = "DOCKET_BODY_LIMIT", default_value_t = http::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Largest batch body (`POST /v1/batches`), in bytes; by default the
    /// body limit. 10,000 penalty-notice cases with their registers are
    /// about 200 MiB of JSON.
    #[arg(long, env = "DOCKET_BATCH_BODY_LIMIT")]
    pub batch_body_limit: Option<usize>,
    /// Most cases in one batch.
    #[arg(long, env = "DOCKET_BATCH_MAX_CASES", default_value_t = crate::batch::DEFAULT_MAX_CASES)]
    pub batch_max_cases: usize,
    /// Most batches one caller may have queued or running at once.
    #[arg(long, env = "DOCKET_BATCHES_PER_CALLER", default_value_t = http::DEFAULT_BATCHES_PER_CALLER)]
    pub batches_per_caller: usize,
    /// Batches running at once, whoever asked; more wait, queued.
    #[arg(long, env = "DOCKET_MAX_RUNNING_BATCHES", default_value_t = http::DEFAULT_RUNNING_BATCHES)]
    pub max_running_batches: usize,
    /// Levels of nesting a case may have (deeper: 422, `limit.json-depth`).
    #[arg(long, env = "DOCKET_MAX_JSON_DEPTH", default_value_t = crate::case::limits::DEFAULT_JSON_DEPTH)]
    pub max_json_depth: usize,
    /// Items any one array of a case may hold (more: 422,
    /// `limit.array-length`); each field's schema may allow fewer.
    #[arg(long, env = "DOCKET_MAX_ARRAY_ITEMS", default_value_t = crate::case::limits::DEFAULT_ARRAY_ITEMS)]
    pub max_array_items: usize,
    /// Pages one document may have (more: 422, `limit.pages`).
    #[arg(long, env = "DOCKET_MAX_PAGES", default_value_t = crate::document::DEFAULT_MAX_PAGES)]
    pub max_pages: usize,
    /// Largest size of the register's file, in MiB: writes beyond it fail
    /// as on a full disk, and `/healthz` says so (default: no limit).
    #[arg(long, env = "DOCKET_DB_MAX_MIB")]
    pub db_max_mib: Option<u64>,
    /// Renders at once (default: the number of cores).
    #[arg(long, env = "DOCKET_WORKERS")]
    pub workers: Option<usize>,
    /// Renders that may wait for a worker before callers get 503.
    #[arg(long, env = "DOCKET_QUEUE", default_value_t = http::DEFAULT_QUEUE)]
    pub queue: usize,
    /// Time limit for one render, in milliseconds.
    #[arg(long, env = "DOCKET_RENDER_TIMEOUT_MS", default_value_t = 10_000)]
    pub render_timeout_ms: u64,
    /// Development mode for template maintainers, on a loopback address
    /// only: drafts render for every caller, edits under the template
    /// folder re-render the studio's open previews. Serves even if a
    /// published version's files have changed.
    #[arg(long)]
    pub dev: bool,
    /// The register of issued documents (SQLite; created and migrated on start).
    #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
    pub db: PathBuf,
    /// Replaced by API keys: `docket keys create --scope templates:draft`.
    #[arg(
        long,
        env = "DOCKET_MAINTAINER_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub maintainer_key: Option<String>,
    /// Serve TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "DOCKET_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "DOCKET_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Another `Host` the service answers to (`name` or `name:port`;
    /// repeat or comma separate). The bound address and `localhost` always
    /// are; any other is refused with 421.
    #[arg(long, env = "DOCKET_ALLOWED_HOST", value_delimiter = ',')]
    pub allowed_host: Vec<String>,
    /// A web origin whose pages may call the API (`https://case.example`;
    /// repeat or comma separate). Others are refused with 403.
    #[arg(long, env = "DOCKET_ALLOWED_ORIGIN", value_delimiter = ',')]
    pub allowed_origin: Vec<String>,
    /// A host batch callbacks may go to: `name`, `name:port`,
    /// `*.domain` or an IP address (repeat or comma separate). None by
    /// default: no callbacks.
    #[arg(long, env = "DOCKET_CALLBACK_ALLOW", value_delimiter = ',')]
    pub callback_allow: Vec<String>,
    /// Requests a second per key.
    #[arg(long, env = "DOCKET_RATE_LIMIT", default_value_t = http::DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
    /// Lookups by reference or UPN a second per key (and requests a second
    /// from an address without a usable key).
    #[arg(long, env = "DOCKET_LOOKUP_RATE_LIMIT", default_value_t = http::DEFAULT_LOOKUP_RATE_LIMIT)]
    pub lookup_rate_limit: u32,
    /// Seconds a client may take to send a request's header; also how long
    /// a kept-alive connection may sit idle.
    #[arg(long, env = "DOCKET_HEADER_TIMEOUT_SECS", default_value_t = http::DEFAULT_HEADER_TIMEOUT.as_secs())]
    pub header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body.
    #[arg(long, env = "DOCKET_BODY_TIMEOUT_SECS", default_value_t = http::DEFAULT_BODY_TIMEOUT.as_secs())]
    pub body_timeout_secs: u64,
    /// Connections open at once, at most.
    #[arg(long, env = "DOCKET_MAX_CONNECTIONS", default_value_t = http::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Also serve `GET /metrics` without a key on this address (loopback
    /// only: 127.0.0.1 or ::1), for a Prometheus on the same machine. On
    /// the main address `/metrics` needs a key with `metrics:read`.
    #[arg(long, env = "DOCKET_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Attempts to deliver a batch's callback.
    #[arg(long, env = "DOCKET_CALLBACK_ATTEMPTS", default_value_t = 6)]
    pub callback_attempts: u32,
    /// Wait after a batch callback's first failed attempt, in milliseconds;
    /// each later wait doubles.
    #[arg(long, env = "DOCKET_CALLBACK_FIRST_WAIT_MS", default_value_t = 2_000)]
    pub callback_first_wait_ms: u64,
}

pub(super) fn serve(templates: &Path, args: ServeArgs) -> Result<(), u8> {
    if args.maintainer_key.is_some() {
        eprintln!("error: --maintainer-key (DOCKET_MAINTAINER_KEY) is replaced by API keys");
        eprintln!(
            "hint: `docket keys create --name \"Template maintainers\" --scope templates:draft`, then send the token as `Authorization: Bearer <token>`"
        );
        return Err(EXIT_FAILED);
    }
    let callback_allow = crate::batch::callback::Allow::parse(&args.callback_allow)
        .map_err(|e| fail(format!("--callback-allow: {e}")))?;
    let docket = Arc::new(load(templates)?.with_limits(crate::document::Limits {
        json_depth: args.max_json_depth.max(1),
        array_items: args.max_array_items.max(1),
        pages: args.max_pages.max(1),
    }));
    let modified = docket.templates().modified();
    for (version, files) in &modified {
        eprintln!(
            "{}: published version {version} has changed: {}",
            if args.dev { "warning" } else { "error" },
            files.join(", ")
        );
    }
    if !modified.is_empty() && !args.dev {
        eprintln!(
            "hint: published versions are immutable; `docket templates check` explains, or serve with --dev while editing"
        );
        return Err(EXIT_FAILED);
    }
    let defaults = ServeOptions::default();
    let options = ServeOptions {
        body_limit: args.body_limit,
        batch_body_limit: args.batch_body_limit,
        max_batch_cases: args.batch_max_cases,
        max_batches_per_caller: args.batches_per_caller,
        workers: args.workers.unwrap_or(defaults.workers),
        queue: args.queue,
        render_timeout: Duration::from_millis(args.render_timeout_ms),
        dev: args.dev,
        open: true,
        rate_limit: args.rate_limit,
        lookup_rate_limit: args.lookup_rate_limit,
        names: http::Names {
            hosts: args.allowed_host.clone(),
            origins: args.allowed_origin.clone(),
            tls: false,
            body_timeout: Some(Duration::from_secs(args.body_timeout_secs.max(1))),
        },
        limits: http::Limits {
            header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
            max_connections: args.max_connections.max(1),
        },
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        callback_allow,
        register: Some(Arc::new(open_register(&args.db, args.db_max_mib)?)),
        batch_dir: Some(batch_dir(&args.db)),
        callback_retry: crate::batch::callback::Retry {
            attempts: args.callback_attempts.max(1),
            first_wait: std::time::Duration::from_millis(args.callback_first_wait_ms),
            ..Default::default()
        },
        metrics_addr: args.metrics_addr,
        max_running_batches: args.max_running_batches.max(1),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    runtime
        .block_on(http::run(args.addr, docket, options))
        .map_err(|e| fail(format!("cannot serve on {}: {e}", args.addr)))
}

/// The register at `path`, limited to `max_mib` if given.
fn open_register(path: &Path, max_mib: Option<u64>) -> Result<crate::register::Register, u8> {
    let register = crate::register::Register::open(path)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    if let Some(mib) = max_mib {
        let limit = register
            .limit_size(mib.saturating_mul(1024 * 1024))
            .map_err(|e| fail(format!("{}: {e}", path.display())))?;
        tracing::info!(bytes = limit, "the register's size is limited");
    }
    Ok(register)
}
