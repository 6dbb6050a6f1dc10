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
    /// Development mode for template maintainers: drafts render, the studio
    /// at /studio is on, and edits under the template folder re-render open
    /// previews. Serves even if a published version's files have changed.
    #[arg(long)]
    pub dev: bool,
    /// The register of issued documents (SQLite; created and migrated on start).
    #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
    pub db: PathBuf,
    /// Outside development mode, a maintainer who sends this key
    /// (`Authorization: Bearer <key>`) may render drafts and use the studio.
    #[arg(long, env = "DOCKET_MAINTAINER_KEY", hide_env_values = true)]
    pub maintainer_key: Option<String>,
    /// Attempts to deliver a batch's callback.
    #[arg(long, env = "DOCKET_CALLBACK_ATTEMPTS", default_value_t = 6)]
    pub callback_attempts: u32,
    /// Wait after a batch callback's first failed attempt, in milliseconds;
    /// each later wait doubles.
    #[arg(long, env = "DOCKET_CALLBACK_FIRST_WAIT_MS", default_value_t = 2_000)]
    pub callback_first_wait_ms: u64,
}

pub(super) fn serve(templates: &Path, args: ServeArgs) -> Result<(), u8> {
    let docket = Arc::new(load(templates)?);
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
        maintainer_key: args.maintainer_key.filter(|k| !k.is_empty()),
        register: Some(Arc::new(open_register(&args.db, args.db_max_mib)?)),
        batch_dir: Some(batch_dir(&args.db)),
        callback_retry: crate::batch::callback::Retry {
            attempts: args.callback_attempts.max(1),
            first_wait: std::time::Duration::from_millis(args.callback_first_wait_ms),
            ..Default::default()
        },
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
