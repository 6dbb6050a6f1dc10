//! Batches for the print room: many cases of one kind issued at once on
//! every core, each into the register under its own reference, then three
//! outputs written to disk as they are produced: one print PDF (every mail
//! piece starting on an odd page, in postcode, school or input order), a ZIP
//! with one PDF per reference, and a manifest with each piece's pages.
//! A refused case never sinks the batch: its record carries the problem.
//! A batch interrupted by a stop is resumed from its recorded outcomes.

mod allow;
pub mod callback;
pub mod csv;
mod outputs;
pub mod print;
mod run;
mod sink;
mod splice;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::issue::IssueError;
use crate::register::{BatchState, Created, NewBatch, RecordState, Register, RegisterError};

/// Why a batch could not be run (a refused case is not a failure).
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The register failed.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// The outputs could not be written.
    #[error("writing the batch's files: {0}")]
    Io(#[from] std::io::Error),
    /// The print PDF could not be made.
    #[error(transparent)]
    Print(#[from] print::PrintError),
    /// The ZIP could not be written.
    #[error("writing documents.zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The stored request is unreadable.
    #[error("the batch request is not valid: {0}")]
    Request(String),
    /// The register's records could not be read while checking a case.
    #[error(transparent)]
    Records(#[from] crate::evidence::RecordsError),
    /// A case the batch had issued before a stop could not be read again.
    #[error(transparent)]
    Document(#[from] crate::document::DocumentError),
    /// The manifest could not be written.
    #[error("writing manifest.csv: {0}")]
    Manifest(#[from] ::csv::Error),
}

/// The order of the print PDF.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// By postcode, for the postal sort (the default).
    #[default]
    Postcode,
    /// By school, then postcode.
    School,
    /// As the cases were given.
    Input,
}

/// `POST /v1/batches`: the options, and the cases kept as the raw JSON
/// text they arrived as (borrowed from the input, never parsed into a tree
/// all at once), so a batch of any size costs little more memory than its
/// text.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest<'a> {
    /// The options.
    #[serde(flatten)]
    pub options: BatchOptions,
    /// The cases, each as for `POST /v1/documents/{kind}`.
    #[serde(borrow)]
    #[schemars(with = "Vec<Value>")]
    pub cases: Vec<&'a serde_json::value::RawValue>,
}

/// A batch's options, kept with it in the register.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BatchOptions {
    /// The document kind, e.g. `penalty-notice`.
    pub kind: String,
    /// A version pinned by name.
    #[serde(default)]
    pub version: Option<String>,
    /// The date that picks the version in force (default today).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// The order of the print PDF.
    #[serde(default)]
    pub order: Order,
    /// Put a separator sheet before each school's notices in the print PDF
    /// (it sorts by school, then postcode).
    #[serde(default)]
    pub separators: bool,
    /// Called with the batch's status (`POST`, JSON) when it is done or has
    /// failed, with retries; `http` or `https`.
    #[serde(default)]
    pub callback_url: Option<String>,
}

impl BatchOptions {
    /// Problems with the options themselves (the cases are checked one by
    /// one as the batch runs).
    pub fn problems(&self) -> Vec<crate::case::Problem> {
        let mut problems = Vec::new();
        if let Some(url) = &self.callback_url
            && let Err(why) = callback::check_url(url)
        {
            problems.push(crate::case::Problem::new("/callback_url", why));
        }
        if self.separators && self.order == Order::Input {
            problems.push(crate::case::Problem::new(
                "/separators",
                "separator sheets go between schools: use order `school` or `postcode` (which then sorts by school first)",
            ));
        }
        problems
    }
}

/// One case's outcome, as `GET /v1/batches/{id}` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordStatus {
    /// Its index in `cases`.
    pub index: usize,
    /// Issued or refused.
    pub status: RecordState,
    /// The first (usually only) reference issued for it.
    pub reference: Option<String>,
    /// Every reference issued for it (one per recipient).
    pub references: Vec<String>,
    /// Why it was refused: the same problem details as a single render.
    pub problem: Option<Value>,
}

/// How many of a batch's cases stand where.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    /// Issued.
    pub issued: usize,
    /// Refused.
    pub refused: usize,
    /// Not yet done.
    pub pending: usize,
}

/// Where a batch stands, without its records: `GET /v1/batches/{id}` adds a
/// page of them; the callback sends this.
#[derive(Debug, Clone, Serialize)]
pub struct BatchSummary {
    /// The batch's id.
    pub id: String,
    /// Where it stands.
    pub status: BatchState,
    /// Cases in it.
    pub total: usize,
    /// Cases finished (issued or refused).
    pub done: usize,
    /// Cases refused.
    pub failed: usize,
    /// Cases by outcome.
    pub counts: Counts,
    /// Documents issued (one per copy of each issued case).
    pub documents: usize,
    /// The callback's delivery, when the batch has a `callback_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<crate::register::CallbackState>,
    /// Why the batch failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The files a done batch has (none when every case was refused but
    /// the manifest, which lists the refusals).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<&'static str>,
}

/// `GET /v1/batches/{id}`: the summary and one page of records.
#[derive(Debug, Clone, Serialize)]
pub struct BatchStatus {
    /// Where it stands.
    #[serde(flatten)]
    pub summary: BatchSummary,
    /// The page (1 is the first).
    pub page: usize,
    /// Records per page.
    pub per_page: usize,
    /// Pages of records so far.
    pub pages: usize,
    /// The records of this page, by index.
    pub records: Vec<RecordStatus>,
}

/// The files a finished batch has.
pub const OUTPUTS: &[&str] = &["print.pdf", "documents.zip", "manifest.csv"];

/// The most cases a batch may hold, by default.
pub const DEFAULT_MAX_CASES: usize = 100_000;

/// Records per page of a batch's status, by default and at most.
pub const PER_PAGE: (usize, usize) = (100, 1000);

/// How a refused case is described in its record: the problem details a
/// single request would have been answered with (RFC 9457 JSON), and for a
/// defect the id it is logged under. The HTTP layer, which assigns the
/// statuses, supplies it.
pub type Describe = fn(IssueError) -> Described;

/// A refused case's problem.
#[derive(Debug, Clone)]
pub struct Described {
    /// The problem details, as JSON.
    pub problem: Value,
    /// For a defect in docket or a template: the id quoted in the problem
    /// and the cause, to log.
    pub internal: Option<(String, String)>,
}

/// What creating a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Creation {
    /// A new batch: its id.
    Made(String),
    /// The caller sent this request with this key before: that batch's id.
    Existing(String),
    /// The caller's key was used with another request.
    KeyReused,
    /// The caller has as many batches queued or running as it may.
    TooMany(usize),
    /// Its cases cannot be read, or there are none, or too many.
    Refused(Vec<crate::case::Problem>),
}

/// Batches over one register, with their files under one folder.
#[derive(Debug, Clone)]
pub struct Batches {
    register: Arc<Register>,
    dir: PathBuf,
    retry: callback::Retry,
    allow: callback::Allow,
    describe: Describe,
    max_cases: usize,
    max_running: usize,
    /// Failures a full or broken register could not record, kept until
    /// they can be (and written beside the batch's files for the next start).
    unrecorded: Arc<Mutex<HashMap<String, String>>>,
}

/// The file beside a batch's outputs that holds a failure the register
/// could not record.
const FAILURE_FILE: &str = "failure.txt";

impl Batches {
    /// Batches in `register`, their files under `dir`; refused cases
    /// described by `describe`.
    pub fn new(register: Arc<Register>, dir: PathBuf, describe: Describe) -> Self {
        Self {
            register,
            dir,
            retry: callback::Retry::default(),
            allow: callback::Allow::default(),
            describe,
            max_cases: DEFAULT_MAX_CASES,
            max_running: usize::MAX,
            unrecorded: Arc::default(),
        }
    }

    /// Retries callbacks as `retry` says.
    pub fn with_callback_retry(mut self, retry: callback::Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Lets callbacks go to the hosts `allow` lists (none by default).
    pub fn with_callback_allow(mut self, allow: callback::Allow) -> Self {
        self.allow = allow;
        self
    }

    /// Takes at most `max` cases a batch.
    pub fn with_max_cases(mut self, max: usize) -> Self {
        self.max_cases = max.max(1);
        self
    }

    /// Lets one caller have at most `max` batches queued or running.
    pub fn with_max_running(mut self, max: usize) -> Self {
        self.max_running = max.max(1);
        self
    }

    /// Where a batch's file is.
    pub fn output(&self, id: &str, name: &str) -> PathBuf {
        self.dir.join(id).join(name)
    }

    /// Records a new batch of cases (each as JSON text, read one at a time),
    /// or finds the one the caller made with the same key and request.
    pub fn create(
        &self,
        options: &BatchOptions,
        cases: &mut dyn Iterator<Item = crate::register::CaseText<'_>>,
        idempotency_key: Option<(&str, &str)>,
        by: &crate::access::Actor,
        schools: Option<&[String]>,
    ) -> Result<Creation, BatchError> {
        if let Some(url) = &options.callback_url
            && let Err(why) = self.allow.names(url)
        {
            return Ok(Creation::Refused(vec![crate::case::Problem::refusal(
                "/callback_url",
                "callback.allow",
                why,
            )]));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let json =
            serde_json::to_string(options).map_err(|e| BatchError::Request(e.to_string()))?;
        let created = self.register.create_batch(
            &NewBatch {
                id: &id,
                idempotency_key,
                max_cases: self.max_cases,
                max_running: self.max_running,
                kind: &options.kind,
                request_json: &json,
                callback_url: options.callback_url.as_deref(),
                by,
                schools,
            },
            cases,
        )?;
        Ok(match created {
            Created::Made(_) => Creation::Made(id),
            Created::Existing(id) => Creation::Existing(id),
            Created::KeyReused => Creation::KeyReused,
            Created::TooMany(n) => Creation::TooMany(n),
            Created::Refused(problems) => Creation::Refused(problems),
        })
    }

    /// Where a batch stands, without its records.
    pub fn summary(&self, id: &str) -> Result<BatchSummary, BatchError> {
        let row = self.register.batch(id)?;
        let (issued, refused) = self.register.batch_counts(id)?;
        let unrecorded = self.unrecorded.lock().ok().and_then(|m| m.get(id).cloned());
        let (status, error) = match unrecorded {
            Some(why) => (BatchState::Failed, Some(why)),
            None => (row.status, row.error),
        };
        let files = if status == BatchState::Done {
            if issued == 0 {
                vec!["manifest.csv"]
            } else {
                OUTPUTS.to_vec()
            }
        } else {
            Vec::new()
        };
        Ok(BatchSummary {
            documents: if issued == 0 {
                0
            } else {
                self.register.batch_documents_count(id)?
            },
            id: row.id,
            status,
            total: row.total,
            done: issued + refused,
            failed: refused,
            counts: Counts {
                issued,
                refused,
                pending: row.total.saturating_sub(issued + refused),
            },
            callback: row.callback,
            error,
            files,
        })
    }

    /// Where a batch stands, with page `page` (from 1) of `per_page`
    /// records, of one outcome only if `only` says so.
    pub fn status(
        &self,
        id: &str,
        page: usize,
        per_page: usize,
        only: Option<RecordState>,
    ) -> Result<BatchStatus, BatchError> {
        let summary = self.summary(id)?;
        let per_page = per_page.clamp(1, PER_PAGE.1);
        let page = page.max(1);
        let shown = match only {
            Some(RecordState::Issued) => summary.counts.issued,
            Some(RecordState::Refused) => summary.counts.refused,
            None => summary.done,
        };
        let mut records = Vec::new();
        let offset = (page - 1).saturating_mul(per_page);
        for r in self
            .register
            .batch_records_from(id, only, offset, per_page)?
        {
            let problem = match r.problem {
                Some(p) => Some(serde_json::from_str(&p).map_err(|e| {
                    RegisterError::Corrupt(format!(
                        "record {} of batch {id}: its problem is not JSON: {e}",
                        r.index
                    ))
                })?),
                None => None,
            };
            records.push(RecordStatus {
                index: r.index,
                status: r.status,
                reference: r.references.first().cloned(),
                references: r.references,
                problem,
            });
        }
        Ok(BatchStatus {
            summary,
            page,
            per_page,
            pages: shown.div_ceil(per_page),
            records,
        })
    }

    /// Marks `id` failed with `why`. When the register cannot take it, the
    /// failure is kept in memory (the status shows it) and beside the
    /// batch's files, and recorded at the next start.
    fn fail(&self, id: &str, why: &str) {
        if let Err(e) = self
            .register
            .set_batch_status(id, BatchState::Failed, Some(why))
        {
            tracing::error!(batch = %id, error = %e, "the batch's failure could not be recorded; kept until it can be");
            if let Ok(mut m) = self.unrecorded.lock() {
                m.insert(id.to_owned(), why.to_owned());
            }
            let dir = self.dir.join(id);
            if let Err(e) = crate::files::private_dir(&dir)
                .and_then(|()| std::fs::write(dir.join(FAILURE_FILE), why))
                .and_then(|()| crate::files::private_file(&dir.join(FAILURE_FILE)))
            {
                tracing::error!(batch = %id, error = %e, "the batch's failure could not be written beside its files either");
            }
        }
    }

    /// At start: a batch whose failure could not be recorded before the
    /// stop is marked failed with its reason, and is not resumed. Whether
    /// `id` was such a batch.
    pub fn record_failure_left_by_a_stop(&self, id: &str) -> Result<bool, BatchError> {
        let path = self.dir.join(id).join(FAILURE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(why) => {
                self.register
                    .set_batch_status(id, BatchState::Failed, Some(why.trim()))?;
                std::fs::remove_file(&path)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
