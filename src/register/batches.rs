//! Batches of the print room as the register keeps them: each batch's
//! options and cases (one row each, so any size is read back one case at a
//! time), each case's outcome, and the delivery of its callback.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Register, RegisterError, count, int, now};

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchState {
    /// Recorded, not started.
    Queued,
    /// Issuing its cases or writing its files.
    Running,
    /// Finished: its files are written.
    Done,
    /// Stopped by a failure of the register or of its files.
    Failed,
}

impl BatchState {
    /// Its name in the register and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Done, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Whether the batch has ended, done or failed.
    pub fn finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

impl std::fmt::Display for BatchState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one case of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordState {
    /// Its documents are issued.
    Issued,
    /// It was refused: its record carries the problem.
    Refused,
}

impl RecordState {
    /// Its name in the register and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Refused => "refused",
        }
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        [Self::Issued, Self::Refused]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A batch as the register keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// Its id.
    pub id: String,
    /// The document kind.
    pub kind: String,
    /// The request's options as posted (JSON).
    pub request_json: String,
    /// Where it stands.
    pub status: BatchState,
    /// Cases in it.
    pub total: usize,
    /// Who asked: the key (or the command line), and for whom.
    pub by: crate::access::Actor,
    /// The schools it may issue for (`None`: every school).
    pub schools: Option<Vec<String>>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Its callback's delivery, if it has a callback.
    pub callback: Option<CallbackState>,
}

/// Where a batch's callback stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallbackState {
    /// The URL called.
    pub url: String,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was delivered (a 2xx answer), if it was.
    pub delivered_at: Option<String>,
    /// Why the last attempt failed, until one succeeds.
    pub last_error: Option<String>,
    /// When it was given up (refused, or out of attempts), if it was.
    pub given_up_at: Option<String>,
}

/// The outcome for one case of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    /// Its index in the batch.
    pub index: usize,
    /// Issued or refused.
    pub status: RecordState,
    /// The references issued for it (one per copy).
    pub references: Vec<String>,
    /// Why it was refused: an RFC 9457 problem as JSON.
    pub problem: Option<String>,
}

/// A new batch, as [`Register::create_batch`] records it.
#[derive(Debug, Clone, Copy)]
pub struct NewBatch<'a> {
    /// Its id.
    pub id: &'a str,
    /// The caller's idempotency key, if any, with the hash of the request
    /// it came with.
    pub idempotency_key: Option<(&'a str, &'a str)>,
    /// The most cases it may hold.
    pub max_cases: usize,
    /// The most batches its caller may have queued or running.
    pub max_running: usize,
    /// The document kind.
    pub kind: &'a str,
    /// Its options (JSON).
    pub request_json: &'a str,
    /// Called when it ends.
    pub callback_url: Option<&'a str>,
    /// Who asked.
    pub by: &'a crate::access::Actor,
    /// The schools it may issue for (those of the key that made it).
    pub schools: Option<&'a [String]>,
}

/// What [`Register::create_batch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Recorded, with this many cases.
    Made(usize),
    /// The caller's key was given with this same request before: that
    /// batch's id.
    Existing(String),
    /// The caller's key was given with another request.
    KeyReused,
    /// The caller has as many batches queued or running as it may.
    TooMany(usize),
    /// The cases could not be read (each problem by row or column), or
    /// there were none, or too many: nothing was recorded.
    Refused(Vec<crate::case::Problem>),
}

/// A case of a new batch as it is read: its JSON text, or why its row
/// cannot be read at all.
pub type CaseText<'a> = Result<std::borrow::Cow<'a, str>, crate::case::Problem>;

impl Register {
    /// Records a new batch with its cases (one row each, read one at a time
    /// so a batch of any size costs little memory), all or nothing; or
    /// finds the one the caller made with the same idempotency key and
    /// request (keys older than [`super::KEY_LIFETIME`] start afresh).
    pub fn create_batch(
        &self,
        batch: &NewBatch<'_>,
        cases: &mut dyn Iterator<Item = CaseText<'_>>,
    ) -> Result<Created, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let scoped = batch
            .idempotency_key
            .map(|(key, _)| format!("{}\n{key}", batch.by.identity()));
        if let (Some(scoped), Some((_, sha))) = (&scoped, batch.idempotency_key) {
            let cutoff = (chrono::Utc::now() - super::KEY_LIFETIME)
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            // An expired key no longer names its batch.
            tx.execute(
                "UPDATE batches SET idempotency_key = NULL WHERE idempotency_key = ?1 AND created_at < ?2",
                params![scoped, cutoff],
            )?;
            let existing: Option<(String, Option<String>)> = tx
                .query_row(
                    "SELECT id, request_sha256 FROM batches WHERE idempotency_key = ?1",
                    params![scoped],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match existing {
                Some((id, Some(theirs))) if theirs == sha => return Ok(Created::Existing(id)),
                Some(_) => return Ok(Created::KeyReused),
                None => {}
            }
        }
        let schools = batch
            .schools
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| RegisterError::Corrupt(e.to_string()))?;
        let running: i64 = tx.query_row(
            "SELECT COUNT(*) FROM batches WHERE COALESCE(key_id, requested_by) = ?1 AND status IN ('queued', 'running')",
            params![batch.by.identity()],
            |r| r.get(0),
        )?;
        if count(running, &|| format!("batches of {}", batch.by))? >= batch.max_running {
            return Ok(Created::TooMany(batch.max_running));
        }
        tx.execute(
            "INSERT INTO batches (id, idempotency_key, kind, request_json, status, total, requested_by, created_at, callback_url, request_sha256,
                key_id, on_behalf_of, schools)
             VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                batch.id,
                scoped,
                batch.kind,
                batch.request_json,
                batch.by.name,
                now(),
                batch.callback_url,
                batch.idempotency_key.map(|(_, sha)| sha),
                batch.by.key_id,
                batch.by.on_behalf_of,
                schools,
            ],
        )?;
        let mut problems = Vec::new();
        let mut total = 0;
        {
            let mut insert = tx.prepare(
                "INSERT INTO batch_cases (batch_id, idx, case_json) VALUES (?1, ?2, ?3)",
            )?;
            for case in cases {
                match case {
                    Ok(text) if problems.is_empty() => {
                        if total == batch.max_cases {
                            problems.push(crate::case::Problem::new(
                                "/cases",
                                format!(
                                    "a batch holds at most {} cases; split it",
                                    batch.max_cases
                                ),
                            ));
                            break;
                        }
                        insert.execute(params![batch.id, int(total), text.as_ref()])?;
                        total += 1;
                    }
                    Ok(_) => {}
                    Err(problem) => problems.push(problem),
                }
            }
        }
        if total == 0 && problems.is_empty() {
            problems.push(crate::case::Problem::new(
                "/cases",
                "must list at least one case",
            ));
        }
        if !problems.is_empty() {
            // Dropping the transaction rolls it back: nothing is recorded.
            return Ok(Created::Refused(problems));
        }
        tx.execute(
            "UPDATE batches SET total = ?2 WHERE id = ?1",
            params![batch.id, int(total)],
        )?;
        tx.commit()?;
        Ok(Created::Made(total))
    }

    /// How many cases of a batch are issued and refused so far.
    pub fn batch_counts(&self, batch: &str) -> Result<(usize, usize), RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT status, COUNT(*) FROM batch_records WHERE batch_id = ?1 GROUP BY status",
        )?;
        let rows = stmt.query_map(params![batch], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let (mut issued, mut refused) = (0, 0);
        for row in rows {
            let (status, n) = row?;
            let n = count(n, &|| format!("records of batch {batch}"))?;
            match RecordState::parse(&status) {
                Some(RecordState::Issued) => issued = n,
                Some(RecordState::Refused) => refused = n,
                None => {
                    return Err(RegisterError::Corrupt(format!(
                        "batch {batch}: `{status}` is not an outcome"
                    )));
                }
            }
        }
        Ok((issued, refused))
    }

    /// One case of a batch, as posted (JSON text).
    pub fn batch_case(&self, batch: &str, index: usize) -> Result<String, RegisterError> {
        self.conn()
            .prepare_cached("SELECT case_json FROM batch_cases WHERE batch_id = ?1 AND idx = ?2")?
            .query_row(params![batch, int(index)], |r| r.get(0))
            .optional()?
            .ok_or_else(|| RegisterError::NotFound(format!("case {index} of batch {batch}")))
    }

    /// One batch.
    pub fn batch(&self, id: &str) -> Result<BatchRow, RegisterError> {
        let row = self
            .conn()
            .query_row(
                "SELECT id, kind, request_json, status, total, requested_by, error,
                        callback_url, callback_attempts, callback_delivered_at, callback_error,
                        callback_given_up_at, key_id, on_behalf_of, schools
                 FROM batches WHERE id = ?1",
                params![id],
                |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, Option<String>>(6)?,
                        ),
                        (
                            r.get::<_, Option<String>>(7)?,
                            r.get::<_, i64>(8)?,
                            r.get::<_, Option<String>>(9)?,
                            r.get::<_, Option<String>>(10)?,
                            r.get::<_, Option<String>>(11)?,
                        ),
                        (
                            r.get::<_, Option<String>>(12)?,
                            r.get::<_, Option<String>>(13)?,
                            r.get::<_, Option<String>>(14)?,
                        ),
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| RegisterError::NotFound(format!("batch {id}")))?;
        let ((id, kind, request_json, status, total, requested_by, error), callback, access) = row;
        let at = || format!("batch {id}");
        let (key_id, on_behalf_of, schools) = access;
        let schools = schools
            .map(|s| serde_json::from_str::<Vec<String>>(&s))
            .transpose()
            .map_err(|e| RegisterError::Corrupt(format!("{}: schools: {e}", at())))?;
        let status = BatchState::parse(&status).ok_or_else(|| {
            RegisterError::Corrupt(format!("{}: `{status}` is not a batch's status", at()))
        })?;
        let (url, attempts, delivered_at, last_error, given_up_at) = callback;
        let callback = match url {
            Some(url) => Some(CallbackState {
                url,
                attempts: u32::try_from(attempts).map_err(|_| {
                    RegisterError::Corrupt(format!("{}: {attempts} callback attempts", at()))
                })?,
                delivered_at,
                last_error,
                given_up_at,
            }),
            None => None,
        };
        Ok(BatchRow {
            total: count(total, &at)?,
            id,
            kind,
            request_json,
            status,
            by: crate::access::Actor {
                key_id,
                name: requested_by,
                on_behalf_of,
            },
            schools,
            error,
            callback,
        })
    }

    /// Sets a batch's status (and the error, when it failed).
    pub fn set_batch_status(
        &self,
        id: &str,
        status: BatchState,
        error: Option<&str>,
    ) -> Result<(), RegisterError> {
        let finished = status.finished().then(now);
        self.conn().execute(
            "UPDATE batches SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            params![id, status.as_str(), error, finished],
        )?;
        Ok(())
    }

    /// Batches that were queued or running when the service last stopped.
    pub fn unfinished_batches(&self) -> Result<Vec<String>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id FROM batches WHERE status IN ('queued', 'running') ORDER BY created_at",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
