//! Batches for the print room: many cases of one kind issued at once on
//! every core, each into the register under its own reference, then three
//! outputs written to disk as they are produced: one print PDF (every mail
//! piece starting on an odd page, in postcode, school or input order), a ZIP
//! with one PDF per reference, and a manifest with each piece's pages.
//! A refused case never sinks the batch: its record carries the problem.
//! A batch interrupted by a stop is resumed from its recorded outcomes.

pub mod callback;
pub mod csv;
mod outputs;
pub mod print;
mod run;
mod sink;
mod splice;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::issue::IssueError;
use crate::register::{BatchState, NewBatch, RecordState, Register, RegisterError};

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

/// `GET /v1/batches/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct BatchStatus {
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
    /// The callback's delivery, when the batch has a `callback_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<crate::register::CallbackState>,
    /// Why the batch failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each case finished so far.
    pub records: Vec<RecordStatus>,
}

/// The files a finished batch has.
pub const OUTPUTS: &[&str] = &["print.pdf", "documents.zip", "manifest.csv"];

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

/// Batches over one register, with their files under one folder.
#[derive(Debug, Clone)]
pub struct Batches {
    register: Arc<Register>,
    dir: PathBuf,
    retry: callback::Retry,
    describe: Describe,
}

impl Batches {
    /// Batches in `register`, their files under `dir`; refused cases
    /// described by `describe`.
    pub fn new(register: Arc<Register>, dir: PathBuf, describe: Describe) -> Self {
        Self {
            register,
            dir,
            retry: callback::Retry::default(),
            describe,
        }
    }

    /// Retries callbacks as `retry` says.
    pub fn with_callback_retry(mut self, retry: callback::Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Where a batch's file is.
    pub fn output(&self, id: &str, name: &str) -> PathBuf {
        self.dir.join(id).join(name)
    }

    /// Records a new batch (or finds the one with the same idempotency key):
    /// `(id, already existed)`.
    pub fn create(
        &self,
        request: &BatchRequest<'_>,
        idempotency_key: Option<&str>,
        requested_by: &str,
    ) -> Result<(String, bool), BatchError> {
        self.create_from(
            &request.options,
            &mut request.cases.iter().map(|c| c.get()),
            request.cases.len(),
            idempotency_key,
            requested_by,
        )
    }

    /// Records a new batch of `total` cases, each as JSON text (e.g. read
    /// from CSV), or finds the one with the same idempotency key.
    pub fn create_from(
        &self,
        options: &BatchOptions,
        cases: &mut dyn Iterator<Item = &str>,
        total: usize,
        idempotency_key: Option<&str>,
        requested_by: &str,
    ) -> Result<(String, bool), BatchError> {
        let id = uuid::Uuid::new_v4().to_string();
        let json =
            serde_json::to_string(options).map_err(|e| BatchError::Request(e.to_string()))?;
        Ok(self.register.create_batch(
            &NewBatch {
                id: &id,
                idempotency_key,
                kind: &options.kind,
                request_json: &json,
                callback_url: options.callback_url.as_deref(),
                total,
                requested_by,
            },
            cases,
        )?)
    }

    /// Where a batch stands.
    pub fn status(&self, id: &str) -> Result<BatchStatus, BatchError> {
        let row = self.register.batch(id)?;
        let mut records = Vec::new();
        for r in self.register.batch_records(id)? {
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
            id: row.id,
            status: row.status,
            total: row.total,
            done: records.len(),
            failed: records
                .iter()
                .filter(|r| r.status == RecordState::Refused)
                .count(),
            error: row.error,
            callback: row.callback,
            records,
        })
    }
}
