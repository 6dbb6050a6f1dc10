//! Batches for the print room: many cases of one kind issued at once on
//! every core, each into the register under its own reference, then three
//! outputs written to disk as they are produced: one print PDF (every mail
//! piece starting on an odd page, in postcode, school or input order), a ZIP
//! with one PDF per reference, and a manifest with each piece's pages.
//! A refused case never sinks the batch: its record carries the problem.
//! A batch interrupted by a stop is resumed from its recorded outcomes.

pub mod callback;
pub mod csv;
pub mod print;
mod splice;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Docket, DocumentError};
use crate::issue::{IssueError, IssueRequest, issue};
use crate::register::{BatchRecord, Register, RegisterError};

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
    /// `issued` or `refused`.
    pub status: String,
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
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
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

/// Batches over one register, with their files under one folder.
#[derive(Debug, Clone)]
pub struct Batches {
    register: Arc<Register>,
    dir: PathBuf,
    retry: callback::Retry,
}

/// The problem of a refused case, as RFC 9457 JSON.
fn problem_json(e: &IssueError) -> Value {
    match e {
        IssueError::Document(DocumentError::Invalid(problems)) => serde_json::json!({
            "type": "urn:docket:problem:invalid-case",
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": format!("{} problem(s) with the case data; see `errors`", problems.0.len()),
            "errors": problems.0,
        }),
        IssueError::Document(DocumentError::Template(
            t @ (crate::templates::TemplateError::UnknownKind(_)
            | crate::templates::TemplateError::UnknownVersion { .. }
            | crate::templates::TemplateError::NotInForce { .. }),
        )) => serde_json::json!({
            "type": "urn:docket:problem:not-found", "title": "Not Found", "status": 404, "detail": t.to_string(),
        }),
        other => {
            let id = uuid::Uuid::new_v4();
            tracing::error!(error.id = %id, error = %other, "batch record failed");
            serde_json::json!({
                "type": "urn:docket:problem:internal", "title": "Internal Server Error", "status": 500,
                "detail": format!("docket could not produce this document because of a defect on our side; quote {id}"),
                "instance": format!("urn:uuid:{id}"),
            })
        }
    }
}

impl Batches {
    /// Batches in `register`, their files under `dir`.
    pub fn new(register: Arc<Register>, dir: PathBuf) -> Self {
        Self {
            register,
            dir,
            retry: callback::Retry::default(),
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
            &id,
            idempotency_key,
            &options.kind,
            &json,
            options.callback_url.as_deref(),
            cases,
            total,
            requested_by,
        )?)
    }

    /// Where a batch stands.
    pub fn status(&self, id: &str) -> Result<BatchStatus, BatchError> {
        let row = self.register.batch(id)?;
        let records: Vec<RecordStatus> = self
            .register
            .batch_records(id)?
            .into_iter()
            .map(|r| RecordStatus {
                index: r.index,
                status: r.status,
                reference: r.references.first().cloned(),
                references: r.references,
                problem: r.problem.and_then(|p| serde_json::from_str(&p).ok()),
            })
            .collect();
        Ok(BatchStatus {
            id: row.id,
            status: row.status,
            total: row.total,
            done: records.len(),
            failed: records.iter().filter(|r| r.status == "refused").count(),
            error: row.error,
            callback: row.callback,
            records,
        })
    }

    /// Runs a batch to the end: issues every case not yet done (on `workers`
    /// threads), then writes the outputs. `progress` hears (done, total).
    pub fn run(
        &self,
        docket: &Docket,
        id: &str,
        workers: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(), BatchError> {
        let result = self.run_inner(docket, id, workers, progress);
        match &result {
            Ok(()) => self.register.set_batch_status(id, "done", None)?,
            Err(e) => self
                .register
                .set_batch_status(id, "failed", Some(&e.to_string()))?,
        }
        let url = self.register.batch(id)?.callback.map(|c| c.url);
        if let Some(url) = url {
            let body = callback::payload(&self.status(id)?);
            callback::deliver(&self.register, id, &url, &body, self.retry);
        }
        result
    }

    /// Carries on calling back a finished batch whose callback a stop
    /// interrupted (see [`Register::pending_callbacks`]). Blocks until it is
    /// delivered or given up.
    pub fn resume_callback(&self, id: &str) -> Result<(), BatchError> {
        let Some(callback) = self.register.batch(id)?.callback else {
            return Ok(());
        };
        let body = callback::payload(&self.status(id)?);
        callback::deliver(&self.register, id, &callback.url, &body, self.retry);
        Ok(())
    }

    fn run_inner(
        &self,
        docket: &Docket,
        id: &str,
        workers: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(), BatchError> {
        let row = self.register.batch(id)?;
        let request: BatchOptions = serde_json::from_str(&row.request_json)
            .map_err(|e| BatchError::Request(e.to_string()))?;
        // One case (or one recipient of it) into the register, under this batch.
        let issue_case = |index: usize, case: &Value, recipient: Option<usize>| {
            issue(
                docket,
                &self.register,
                &IssueRequest {
                    kind: &request.kind,
                    version: request.version.as_deref(),
                    as_of: request.as_of,
                    recipient,
                    case,
                    requested_by: &row.requested_by,
                    batch: Some((id, index)),
                },
            )
        };
        let case = |index: usize| -> Result<Value, BatchError> {
            let text = self.register.batch_case(id, index)?;
            serde_json::from_str(&text).map_err(|e| BatchError::Request(e.to_string()))
        };
        self.register.set_batch_status(id, "running", None)?;
        // Resume: cases with a record are done; a case whose documents were
        // stored but whose record was not (a stop in between) gets its record
        // from the register rather than being issued twice.
        let mut done: std::collections::BTreeSet<usize> = self
            .register
            .batch_records(id)?
            .iter()
            .map(|r| r.index)
            .collect();
        type Stored = Vec<(Option<usize>, String)>;
        let mut stored: std::collections::BTreeMap<usize, Stored> = Default::default();
        for (index, recipient, reference) in self.register.batch_documents(id)? {
            stored
                .entry(index)
                .or_default()
                .push((recipient, reference));
        }
        for (index, have) in stored {
            if done.contains(&index) {
                continue;
            }
            // Issue the copies the stop left out (e.g. the second parent's
            // notice), then record the case with all of them.
            let case = &case(index)?;
            let recipients = docket
                .templates()
                .select_on(&request.kind, request.version.as_deref(), request.as_of)
                .map(|v| crate::issue::copies(case, v.entry.recipients))
                .unwrap_or_default();
            let mut references: Vec<String> = have.iter().map(|(_, r)| r.clone()).collect();
            for missing in recipients
                .iter()
                .filter(|r| !have.iter().any(|(h, _)| h == *r))
            {
                match issue_case(index, case, *missing) {
                    Ok(copies) => references.extend(copies.into_iter().map(|c| c.reference)),
                    Err(IssueError::Register(e)) => return Err(e.into()),
                    Err(e) => {
                        tracing::error!(batch = %id, index, error = %e, "a resumed copy could not be issued")
                    }
                }
            }
            done.insert(index);
            self.register.add_batch_record(
                id,
                &BatchRecord {
                    index,
                    status: "issued".into(),
                    references,
                    problem: None,
                },
            )?;
        }
        let started = std::time::Instant::now();
        let pending: Vec<usize> = (0..row.total).filter(|i| !done.contains(i)).collect();
        let total = row.total;
        let finished = AtomicUsize::new(done.len());
        let next = AtomicUsize::new(0);
        let failure: std::sync::Mutex<Option<RegisterError>> = std::sync::Mutex::new(None);
        progress(done.len(), total);
        // The workers run on a rayon pool of their own: Typst hands parts of
        // each compile and PDF export to the current rayon pool, so they are
        // done by the same threads instead of a second set competing for the
        // cores (which cost a fifth of the time in context switches).
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers.max(1))
            .thread_name(|i| format!("docket-batch-{i}"))
            .build()
            .map_err(|e| BatchError::Io(std::io::Error::other(e)))?;
        pool.scope(|scope| {
            for _ in 0..workers.max(1) {
                scope.spawn(|_| {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&index) = pending.get(k) else { break };
                        if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                            break;
                        }
                        let this = match case(index) {
                            Ok(c) => c,
                            Err(BatchError::Register(e)) => {
                                if let Ok(mut f) = failure.lock() {
                                    *f = Some(e);
                                }
                                break;
                            }
                            Err(_) => Value::Null,
                        };
                        // (Each render trims Typst's cache after its compile.)
                        let outcome = issue_case(index, &this, None);
                        let record = match outcome {
                            Ok(copies) => BatchRecord {
                                index,
                                status: "issued".into(),
                                references: copies.into_iter().map(|c| c.reference).collect(),
                                problem: None,
                            },
                            Err(IssueError::Register(e)) => {
                                if let Ok(mut f) = failure.lock() {
                                    *f = Some(e);
                                }
                                break;
                            }
                            Err(e) => BatchRecord {
                                index,
                                status: "refused".into(),
                                references: Vec::new(),
                                problem: Some(problem_json(&e).to_string()),
                            },
                        };
                        if let Err(e) = self.register.add_batch_record(id, &record) {
                            if let Ok(mut f) = failure.lock() {
                                *f = Some(e);
                            }
                            break;
                        }
                        progress(finished.fetch_add(1, Ordering::Relaxed) + 1, total);
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().ok().flatten() {
            return Err(e.into());
        }
        tracing::info!(batch = %id, seconds = started.elapsed().as_secs_f64(), "cases issued");
        let started = std::time::Instant::now();
        self.write_outputs(id, &request, workers)?;
        tracing::info!(batch = %id, seconds = started.elapsed().as_secs_f64(), "outputs written");
        Ok(())
    }

    /// Writes print.pdf, documents.zip and manifest.csv, each to a temporary
    /// name first, so a file that exists is complete.
    fn write_outputs(
        &self,
        id: &str,
        options: &BatchOptions,
        workers: usize,
    ) -> Result<(), BatchError> {
        let dir = self.dir.join(id);
        std::fs::create_dir_all(&dir)?;
        let records = self.register.batch_records(id)?;
        // Every issued piece with its sort key.
        let mut pieces = Vec::new();
        for r in records.iter().filter(|r| r.status == "issued") {
            for reference in &r.references {
                let issued = self.register.get(reference)?;
                pieces.push((r.index, issued));
            }
        }
        let postcode = |p: &str| p.to_ascii_uppercase().replace(' ', "");
        // Separator sheets go between schools, so the pieces are then in
        // school order whatever order was asked for.
        let order = if options.separators {
            Order::School
        } else {
            options.order
        };
        match order {
            Order::Postcode => pieces.sort_by(|(ia, a), (ib, b)| {
                (postcode(&a.recipient_postcode), ia, &a.reference).cmp(&(
                    postcode(&b.recipient_postcode),
                    ib,
                    &b.reference,
                ))
            }),
            Order::School => pieces.sort_by(|(ia, a), (ib, b)| {
                (&a.school, postcode(&a.recipient_postcode), ia, &a.reference).cmp(&(
                    &b.school,
                    postcode(&b.recipient_postcode),
                    ib,
                    &b.reference,
                ))
            }),
            Order::Input => {
                pieces.sort_by(|(ia, a), (ib, b)| (ia, &a.reference).cmp(&(ib, &b.reference)))
            }
        }
        let tmp = |name: &str| dir.join(format!(".{name}.partial"));
        let print_file = BufWriter::new(File::create(tmp("print.pdf"))?);
        let mut printer = print::PrintWriter::new(print_file)?;
        let zip_file = BufWriter::new(File::create(tmp("documents.zip"))?);
        let mut zip = zip::ZipWriter::new(zip_file);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(zip::DateTime::default());
        let mut manifest = BufWriter::new(File::create(tmp("manifest.csv"))?);
        writeln!(
            manifest,
            "reference,recipient,postcode,first_page,last_page,status"
        )?;
        // Reading each PDF back and parsing it is most of the work: helpers
        // do it ahead, in order, while this thread writes what is ready.
        // Pieces in flight are bounded, so memory is too.
        let next = AtomicUsize::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (send, receive) = std::sync::mpsc::sync_channel(4 * workers.max(1));
        std::thread::scope(|scope| -> Result<(), BatchError> {
            for _ in 0..workers.max(1) {
                let send = send.clone();
                let (next, stop, pieces) = (&next, &stop, &pieces);
                scope.spawn(move || {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some((_, issued)) = pieces.get(k) else {
                            break;
                        };
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let parsed = self
                            .register
                            .pdf(&issued.reference)
                            .map_err(BatchError::from)
                            .and_then(|pdf| Ok(print::Parsed::new(pdf)?));
                        if send.send((k, parsed)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(send);
            let mut ready = std::collections::BTreeMap::new();
            let mut written = 0;
            // Each school's notices, for its separator sheet.
            let mut per_school: std::collections::HashMap<&str, (usize, &str, &str)> =
                Default::default();
            for (_, issued) in &pieces {
                let e = per_school.entry(issued.school.as_str()).or_insert((
                    0,
                    &issued.reference,
                    &issued.reference,
                ));
                e.0 += 1;
                e.2 = &issued.reference;
            }
            let mut school: Option<&str> = None;
            let result = (|| {
                for (k, parsed) in receive.iter() {
                    ready.insert(k, parsed);
                    while let Some(parsed) = ready.remove(&written) {
                        let parsed = parsed?;
                        let issued = &pieces[written].1;
                        if options.separators && school != Some(issued.school.as_str()) {
                            school = Some(issued.school.as_str());
                            let (count, from, to) = per_school
                                .get(issued.school.as_str())
                                .copied()
                                .unwrap_or((0, "", ""));
                            printer.separator(
                                &issued.school,
                                &[
                                    format!(
                                        "{count} {} in this section",
                                        if count == 1 {
                                            "mail piece"
                                        } else {
                                            "mail pieces"
                                        }
                                    ),
                                    format!("First {from}, last {to}"),
                                    format!("Document: {}", options.kind),
                                    format!("Batch {id}"),
                                ],
                            )?;
                        }
                        zip.start_file(format!("{}.pdf", issued.reference), stored)?;
                        zip.write_all(parsed.pdf())?;
                        let (first, last) = printer.append_parsed(parsed)?;
                        writeln!(
                            manifest,
                            "{},{},{},{first},{last},issued",
                            csv(&issued.reference),
                            csv(&issued.recipient_name),
                            csv(&issued.recipient_postcode)
                        )?;
                        written += 1;
                    }
                }
                Ok(())
            })();
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
                // Let the helpers finish their piece and see the stop.
                for _ in receive.iter() {}
            }
            result
        })?;
        // Refused cases are listed too: the recipient column says which case
        // and why.
        for r in records.iter().filter(|r| r.status == "refused") {
            let why: Value = r
                .problem
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or_default();
            let first = why["errors"][0]["pointer"]
                .as_str()
                .map(|p| format!("{p} {}", why["errors"][0]["detail"].as_str().unwrap_or("")))
                .unwrap_or_else(|| why["detail"].as_str().unwrap_or("").to_owned());
            writeln!(
                manifest,
                ",{},,,,refused",
                csv(&format!("case {}: {first}", r.index))
            )?;
        }
        printer.finish()?.flush()?;
        zip.finish()?.flush()?;
        manifest.flush()?;
        for name in OUTPUTS {
            std::fs::rename(tmp(name), dir.join(name))?;
        }
        Ok(())
    }
}

/// A CSV field, quoted when it needs to be (RFC 4180); a leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so that a spreadsheet never runs it.
fn csv(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("Smith, Jo"), "\"Smith, Jo\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("=cmd()"), "'=cmd()");
    }
}
