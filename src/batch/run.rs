//! Running a batch: every case not yet done is issued on the batch's own
//! rayon pool (the pool Typst's parallel layout and PDF export then use),
//! each outcome recorded as it comes; a batch a stop interrupted carries on
//! from its records; then the outputs are written and the callback called.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::{BatchError, BatchOptions, Batches, callback};
use crate::case::{Problem, Problems};
use crate::document::{Docket, DocumentError, Purpose, Request};
use crate::issue::{IssueError, IssuedCopy, Issuer, issue};
use crate::register::NewAudit;
use crate::register::{BatchRecord, BatchState, RecordState};

/// How one case went, for the batch: issued, refused (recorded), or a
/// failure of the register that stops the batch.
enum Outcome {
    Issued(Vec<IssuedCopy>),
    Refused(IssueError),
    Failed(BatchError),
}

fn outcome(result: Result<Vec<IssuedCopy>, IssueError>) -> Outcome {
    match result {
        Ok(copies) => Outcome::Issued(copies),
        Err(IssueError::Register(e)) => Outcome::Failed(e.into()),
        Err(IssueError::Document(DocumentError::Records(e))) => Outcome::Failed(e.into()),
        Err(e) => Outcome::Refused(e),
    }
}

/// The request that issues one case (or one recipient of it) of a batch.
fn request_for<'a>(
    options: &'a BatchOptions,
    case: &'a Value,
    recipient: Option<usize>,
) -> Request<'a> {
    Request {
        kind: &options.kind,
        version: options.version.as_deref(),
        as_of: options.as_of,
        recipient,
        case,
        purpose: Purpose::Issue,
        // The batch's version was checked when it was made.
        drafts: true,
        translation: None,
    }
}

impl Batches {
    /// Runs a batch to the end: issues every case not yet done (on `workers`
    /// threads), then writes the outputs. `progress` hears (done, total).
    pub fn run(
        &self,
        docket: &Docket,
        id: &str,
        workers: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<(), BatchError> {
        let started = std::time::Instant::now();
        let result = self.run_inner(docket, id, workers, progress);
        match &result {
            Ok(()) => {
                if let Err(e) = self.register.set_batch_status(id, BatchState::Done, None) {
                    self.fail(id, &format!("its end could not be recorded: {e}"));
                    return Err(e.into());
                }
            }
            Err(e) => self.fail(id, &e.to_string()),
        }
        let summary = self.summary(id)?;
        crate::telemetry::batch(
            if result.is_ok() { "done" } else { "failed" },
            summary.counts.issued as u64,
            summary.counts.refused as u64,
            started.elapsed(),
        );
        let url = self.register.batch(id)?.callback.map(|c| c.url);
        if let Some(url) = url {
            let body = callback::payload(&summary);
            callback::deliver(&self.register, id, (&url, &self.allow), &body, self.retry);
        }
        result
    }

    /// Carries on calling back a finished batch whose callback a stop
    /// interrupted (see [`crate::register::Register::pending_callbacks`]).
    /// Blocks until it is delivered or given up.
    pub fn resume_callback(&self, id: &str) -> Result<(), BatchError> {
        let Some(callback) = self.register.batch(id)?.callback else {
            return Ok(());
        };
        let body = callback::payload(&self.summary(id)?);
        callback::deliver(
            &self.register,
            id,
            (&callback.url, &self.allow),
            &body,
            self.retry,
        );
        Ok(())
    }

    /// The record of a refused case, its problem described as a single
    /// request would have been answered; a defect is logged under its id.
    fn refused(&self, id: &str, index: usize, e: IssueError) -> BatchRecord {
        let described = (self.describe)(e);
        if let Some((error_id, cause)) = &described.internal {
            tracing::error!(batch = %id, index, error.id = %error_id, error = %cause, "batch record failed");
        }
        BatchRecord {
            index,
            status: RecordState::Refused,
            references: Vec::new(),
            problem: Some(described.problem.to_string()),
        }
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
                &request_for(&request, case, recipient),
                Issuer {
                    batch: Some((id, index)),
                    schools: row.schools.as_deref(),
                    ..Issuer::new(&row.by)
                },
            )
        };
        // A stored case was valid JSON when the batch was made; one that no
        // longer reads is refused with the reason, like any bad case.
        let case = |index: usize| -> Result<Result<Value, IssueError>, BatchError> {
            let text = self.register.batch_case(id, index)?;
            Ok(serde_json::from_str(&text).map_err(|e| {
                IssueError::Document(DocumentError::Invalid(Problems(vec![Problem::new(
                    "",
                    format!("the case could not be read back from the register: {e}"),
                )])))
            }))
        };
        self.register
            .set_batch_status(id, BatchState::Running, None)?;
        // Resume: cases with a record are done; a case whose documents were
        // stored but whose record was not (a stop in between) gets its record
        // from the register rather than being issued twice.
        let mut done: BTreeSet<usize> = self
            .register
            .batch_records(id)?
            .iter()
            .map(|r| r.index)
            .collect();
        let mut stored: BTreeMap<usize, Vec<(Option<usize>, String)>> = BTreeMap::new();
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
            let case = case(index)?.map_err(|e| BatchError::Request(e.to_string()))?;
            let recipients = docket.recipients(&request_for(&request, &case, None))?;
            let mut references: Vec<String> = have.iter().map(|(_, r)| r.clone()).collect();
            for missing in recipients
                .iter()
                .filter(|r| !have.iter().any(|(h, _)| h == *r))
            {
                match outcome(issue_case(index, &case, *missing)) {
                    Outcome::Issued(copies) => {
                        references.extend(copies.into_iter().map(|c| c.reference));
                    }
                    Outcome::Failed(e) => return Err(e),
                    Outcome::Refused(e) => {
                        tracing::error!(batch = %id, index, error = %e, "a resumed copy could not be issued");
                    }
                }
            }
            done.insert(index);
            self.register.add_batch_record(
                id,
                &BatchRecord {
                    index,
                    status: RecordState::Issued,
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
        let failure: Mutex<Option<BatchError>> = Mutex::new(None);
        let fail = |e: BatchError| {
            if let Ok(mut f) = failure.lock() {
                f.get_or_insert(e);
            }
        };
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
                        // A poisoned lock means a worker panicked: stop too.
                        if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                            break;
                        }
                        let (result, upn) = match case(index) {
                            Ok(Ok(c)) => {
                                let upn = c
                                    .pointer("/pupil/upn")
                                    .and_then(Value::as_str)
                                    .map(str::to_owned);
                                (issue_case(index, &c, None), upn)
                            }
                            Ok(Err(unreadable)) => (Err(unreadable), None),
                            Err(e) => {
                                fail(e);
                                break;
                            }
                        };
                        let record = match outcome(result) {
                            Outcome::Issued(copies) => BatchRecord {
                                index,
                                status: RecordState::Issued,
                                references: copies.into_iter().map(|c| c.reference).collect(),
                                problem: None,
                            },
                            Outcome::Failed(e) => {
                                fail(e);
                                break;
                            }
                            Outcome::Refused(e) => self.refused(id, index, e),
                        };
                        if let Err(e) = self.register.add_batch_record(id, &record) {
                            fail(e.into());
                            break;
                        }
                        // Each issued reference in the audit trail, as the
                        // batch's maker's, about its pupil.
                        let rows: Vec<NewAudit> = record
                            .references
                            .iter()
                            .map(|reference| NewAudit {
                                key_id: row.by.key_id.clone(),
                                actor: row.by.name.clone(),
                                on_behalf_of: row.by.on_behalf_of.clone(),
                                action: "issue".to_owned(),
                                method: "batch".to_owned(),
                                route: format!("/v1/batches/{id}"),
                                target: Some(reference.clone()),
                                pupil_upn: upn.clone(),
                                outcome: 201,
                            })
                            .collect();
                        if let Err(e) = self.register.audit(&rows) {
                            fail(e.into());
                            break;
                        }
                        progress(finished.fetch_add(1, Ordering::Relaxed) + 1, total);
                    }
                });
            }
        });
        match failure.into_inner() {
            Ok(Some(e)) => return Err(e),
            Ok(None) => {}
            Err(_) => return Err(BatchError::Request("a batch worker panicked".into())),
        }
        tracing::info!(batch = %id, seconds = started.elapsed().as_secs_f64(), "cases issued");
        let started = std::time::Instant::now();
        self.write_outputs(id, &request, workers)?;
        tracing::info!(batch = %id, seconds = started.elapsed().as_secs_f64(), "outputs written");
        Ok(())
    }
}
