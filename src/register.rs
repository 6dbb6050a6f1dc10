//! The register of issued documents: an embedded SQLite database (created
//! and migrated on open; migrations in `migrations/`). It hands out
//! references (notice numbers with a check letter, sequential per year),
//! keeps every issued document with its template version, input case, PDF
//! and hashes, the status timeline of each notice, and the batches of the
//! print room.
//!
//! Numbers are never reused: a number is reserved in one transaction before
//! its document is rendered, and stored with the document in another. If
//! the process stops in between, the next start marks the number void with
//! the reason, so every number is either used or accounted for. Writes are
//! transactions; WAL journal, so a killed process loses nothing committed.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{Datelike, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::rules::reference;

/// The migrations, in order; the database's `user_version` says how many
/// have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_register.sql"),
    include_str!("../migrations/0002_batch_cases.sql"),
    include_str!("../migrations/0003_batch_callbacks.sql"),
    include_str!("../migrations/0004_document_warnings.sql"),
    include_str!("../migrations/0005_callback_given_up.sql"),
];

/// What can go wrong with the register.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// SQLite failed (disk, lock, corrupt file).
    #[error("register database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database is newer than this docket.
    #[error("the register has schema version {found}; this docket knows up to {known}")]
    TooNew {
        /// The database's version.
        found: i64,
        /// This build's newest migration.
        known: usize,
    },
    /// No such document.
    #[error("no issued document has reference {0}")]
    NotFound(String),
    /// A stored document could not be read back.
    #[error("a stored document could not be read: {0}")]
    Corrupt(String),
    /// An event that does not fit the document's timeline.
    #[error("{0}")]
    Conflict(String),
}

/// A number series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Penalty notices: `PN26-000123K`.
    PenaltyNotice,
    /// Every other issued document: `DK26-000045X`.
    Document,
}

impl Series {
    fn code(self) -> &'static str {
        match self {
            Self::PenaltyNotice => "PN",
            Self::Document => "DK",
        }
    }
}

/// A document to store under a reserved reference.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    /// The reference reserved for it.
    pub reference: &'a str,
    /// Kind and version.
    pub kind: &'a str,
    /// Template version.
    pub version: &'a str,
    /// The version's content hash.
    pub template_hash: &'a str,
    /// The case as posted (JSON text).
    pub case_json: &'a str,
    /// The case's hash.
    pub case_hash: &'a str,
    /// The caller's case reference.
    pub case_reference: &'a str,
    /// The pupil's UPN.
    pub pupil_upn: &'a str,
    /// The school's name.
    pub school: &'a str,
    /// Which parent (index into the case's `parents`), if a parent.
    pub recipient_index: Option<usize>,
    /// The recipient's name as printed.
    pub recipient_name: &'a str,
    /// The recipient's postcode.
    pub recipient_postcode: &'a str,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// Date the document is taken to be served (received), if it matters.
    pub served_on: Option<NaiveDate>,
    /// The PDF.
    pub pdf: &'a [u8],
    /// Warnings it was issued with (court bundles).
    pub warnings: &'a [crate::bundle::Warning],
    /// Who asked for it.
    pub requested_by: &'a str,
    /// The batch it belongs to, with its index there.
    pub batch: Option<(&'a str, usize)>,
}

/// An issued document as the register lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issued {
    /// Its reference.
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// Template version.
    pub version: String,
    /// The version's content hash.
    pub template_hash: String,
    /// The case's hash.
    pub case_hash: String,
    /// The caller's case reference.
    pub case_reference: String,
    /// The pupil's UPN.
    pub pupil_upn: String,
    /// The school.
    pub school: String,
    /// The recipient.
    pub recipient_name: String,
    /// The recipient's postcode.
    pub recipient_postcode: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// Date of deemed service.
    pub served_on: Option<NaiveDate>,
    /// SHA-256 of the PDF.
    pub pdf_sha256: String,
    /// Who asked for it.
    pub requested_by: String,
    /// The latest event: `issued`, `paid`, `withdrawn` or `prosecution-started`.
    pub status: String,
    /// Warnings it was issued with (court bundles): `{rule, detail}`.
    pub warnings: Vec<serde_json::Value>,
}

/// Something that happened to an issued document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EventKind {
    /// The penalty was paid.
    Paid {
        /// Amount in pence.
        amount_pence: u32,
        /// The day it was paid.
        on: NaiveDate,
    },
    /// The notice was withdrawn (it then never counts toward the limit).
    Withdrawn {
        /// Why.
        reason: String,
        /// The day it was withdrawn.
        on: NaiveDate,
    },
    /// Prosecution began after non-payment.
    ProsecutionStarted {
        /// The day.
        on: NaiveDate,
    },
}

/// One entry of a document's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// `issued`, `paid`, `withdrawn` or `prosecution-started`.
    pub event: String,
    /// The day it happened.
    pub on: NaiveDate,
    /// For payments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_pence: Option<u32>,
    /// For withdrawals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who recorded it.
    pub by: String,
    /// When it was recorded.
    pub recorded_at: String,
}

/// An earlier penalty notice to the same parent for the same child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorNotice {
    /// Its reference.
    pub reference: String,
    /// When it was issued.
    pub issued_on: NaiveDate,
    /// Whether it was withdrawn.
    pub withdrawn: bool,
}

/// The register.
#[derive(Debug)]
pub struct Register {
    conn: Mutex<Connection>,
}

fn now() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

/// A parent's name as a key: lower case, single spaces, so that the same
/// parent is found again whatever the spacing or case of the data.
pub fn person_key(given_names: &str, family_name: &str) -> String {
    format!("{given_names} {family_name}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Register {
    /// Opens (creating and migrating if need be) the register at `path`, and
    /// voids any number reserved by a process that stopped before using it.
    pub fn open(path: &Path) -> Result<Self, RegisterError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::setup(conn)
    }

    /// A register in memory, for tests.
    pub fn in_memory() -> Result<Self, RegisterError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Self, RegisterError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let applied = usize::try_from(version).unwrap_or(usize::MAX);
        if applied > MIGRATIONS.len() {
            return Err(RegisterError::TooNew {
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        let register = Self {
            conn: Mutex::new(conn),
        };
        let voided = register.void_abandoned()?;
        if voided > 0 {
            tracing::warn!(
                voided,
                "numbers reserved before a stop were never used: marked void"
            );
        }
        Ok(register)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        match self.conn.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Reserves the next reference of `series` for the year of `on`.
    pub fn reserve(&self, series: Series, on: NaiveDate) -> Result<String, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let year = on.year();
        let next: u32 = tx
            .prepare_cached("SELECT next FROM counters WHERE series = ?1 AND year = ?2")?
            .query_row(params![series.code(), year], |r| r.get(0))
            .optional()?
            .unwrap_or(1);
        tx.prepare_cached(
            "INSERT INTO counters (series, year, next) VALUES (?1, ?2, ?3)
             ON CONFLICT (series, year) DO UPDATE SET next = excluded.next",
        )?
        .execute(params![series.code(), year, next + 1])?;
        let reference = reference::format(series.code(), year, next);
        tx.prepare_cached(
            "INSERT INTO numbers (reference, series, year, seq, status, reserved_at) VALUES (?1, ?2, ?3, ?4, 'reserved', ?5)",
        )?
        .execute(params![reference, series.code(), year, next, now()])?;
        tx.commit()?;
        Ok(reference)
    }

    /// Gives up a reserved reference (its document could not be made): it
    /// stays on record as void, with `why`.
    pub fn void(&self, reference: &str, why: &str) -> Result<(), RegisterError> {
        self.conn().execute(
            "UPDATE numbers SET status = 'void', note = ?2 WHERE reference = ?1 AND status = 'reserved'",
            params![reference, why],
        )?;
        Ok(())
    }

    fn void_abandoned(&self) -> Result<usize, RegisterError> {
        Ok(self.conn().execute(
            "UPDATE numbers SET status = 'void', note = 'reserved, but the process stopped before its document was stored'
             WHERE status = 'reserved'",
            [],
        )?)
    }

    /// Stores a document under its reserved reference, with its `issued`
    /// event, in one transaction.
    pub fn store(&self, doc: &NewDocument<'_>) -> Result<(), RegisterError> {
        let sha = crate::templates::sha256(doc.pdf);
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let used = tx
            .prepare_cached(
                "UPDATE numbers SET status = 'used' WHERE reference = ?1 AND status = 'reserved'",
            )?
            .execute(params![doc.reference])?;
        if used != 1 {
            return Err(RegisterError::Conflict(format!(
                "{} is not a reserved reference",
                doc.reference
            )));
        }
        let created = now();
        tx.prepare_cached(
            "INSERT INTO documents (reference, kind, version, template_hash, docket_version, case_json, case_hash,
                case_reference, pupil_upn, school, recipient_index, recipient_name, recipient_key, recipient_postcode,
                issued_on, served_on, pdf, pdf_sha256, requested_by, created_at, batch_id, batch_index, warnings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        )?
        .execute(params![
                doc.reference,
                doc.kind,
                doc.version,
                doc.template_hash,
                env!("CARGO_PKG_VERSION"),
                doc.case_json,
                doc.case_hash,
                doc.case_reference,
                doc.pupil_upn,
                doc.school,
                doc.recipient_index.map(|i| i64::try_from(i).unwrap_or(-1)),
                doc.recipient_name,
                doc.recipient_name.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" "),
                doc.recipient_postcode,
                doc.issued_on.to_string(),
                doc.served_on.map(|d| d.to_string()),
                doc.pdf,
                sha,
                doc.requested_by,
                created,
                doc.batch.map(|(id, _)| id),
                doc.batch.map(|(_, i)| i64::try_from(i).unwrap_or(-1)),
                serde_json::to_string(doc.warnings).unwrap_or_else(|_| "[]".into()),
        ])?;
        tx.prepare_cached(
            "INSERT INTO events (reference, event, on_date, recorded_by, recorded_at) VALUES (?1, 'issued', ?2, ?3, ?4)",
        )?
        .execute(params![doc.reference, doc.issued_on.to_string(), doc.requested_by, created])?;
        tx.commit()?;
        Ok(())
    }

    /// The stored PDF of a document, byte for byte.
    pub fn pdf(&self, reference: &str) -> Result<Vec<u8>, RegisterError> {
        self.conn()
            .prepare_cached("SELECT pdf FROM documents WHERE reference = ?1")?
            .query_row(params![reference], |r| r.get(0))
            .optional()?
            .ok_or_else(|| RegisterError::NotFound(reference.to_owned()))
    }

    /// The case JSON a document was made from.
    pub fn case_json(&self, reference: &str) -> Result<String, RegisterError> {
        self.conn()
            .query_row(
                "SELECT case_json FROM documents WHERE reference = ?1",
                params![reference],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| RegisterError::NotFound(reference.to_owned()))
    }

    const ISSUED_COLUMNS: &str = "d.reference, d.kind, d.version, d.template_hash, d.case_hash, d.case_reference,
        d.pupil_upn, d.school, d.recipient_name, d.recipient_postcode, d.issued_on, d.served_on, d.pdf_sha256, d.requested_by,
        (SELECT event FROM events e WHERE e.reference = d.reference ORDER BY e.id DESC LIMIT 1), d.warnings";

    fn issued_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Issued> {
        Ok(Issued {
            reference: r.get(0)?,
            kind: r.get(1)?,
            version: r.get(2)?,
            template_hash: r.get(3)?,
            case_hash: r.get(4)?,
            case_reference: r.get(5)?,
            pupil_upn: r.get(6)?,
            school: r.get(7)?,
            recipient_name: r.get(8)?,
            recipient_postcode: r.get(9)?,
            issued_on: date(&r.get::<_, String>(10)?),
            served_on: r.get::<_, Option<String>>(11)?.map(|s| date(&s)),
            pdf_sha256: r.get(12)?,
            requested_by: r.get(13)?,
            status: r.get::<_, Option<String>>(14)?.unwrap_or_default(),
            warnings: serde_json::from_str(&r.get::<_, String>(15)?).unwrap_or_default(),
        })
    }

    /// One issued document.
    pub fn get(&self, reference: &str) -> Result<Issued, RegisterError> {
        let sql = format!(
            "SELECT {} FROM documents d WHERE d.reference = ?1",
            Self::ISSUED_COLUMNS
        );
        self.conn()
            .prepare_cached(&sql)?
            .query_row(params![reference], Self::issued_row)
            .optional()?
            .ok_or_else(|| RegisterError::NotFound(reference.to_owned()))
    }

    /// A pupil's history: every document issued about them, oldest first.
    pub fn history(&self, pupil_upn: &str) -> Result<Vec<Issued>, RegisterError> {
        let sql = format!(
            "SELECT {} FROM documents d WHERE d.pupil_upn = ?1 ORDER BY d.issued_on, d.reference",
            Self::ISSUED_COLUMNS
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params![pupil_upn], Self::issued_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Earlier penalty notices to the parent named `given family` for the
    /// pupil: for the limit of two in three years.
    pub fn prior_notices(
        &self,
        pupil_upn: &str,
        recipient_name_key: &str,
    ) -> Result<Vec<PriorNotice>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.reference, d.issued_on,
                    EXISTS (SELECT 1 FROM events e WHERE e.reference = d.reference AND e.event = 'withdrawn')
             FROM documents d
             WHERE d.kind = 'penalty-notice' AND d.pupil_upn = ?1
               AND (d.recipient_key = ?2 OR substr(d.recipient_key, -length(?2) - 1) = ' ' || ?2)
             ORDER BY d.issued_on",
        )?;
        let rows = stmt.query_map(params![pupil_upn, recipient_name_key], |r| {
            Ok(PriorNotice {
                reference: r.get(0)?,
                issued_on: date(&r.get::<_, String>(1)?),
                withdrawn: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records an event on a document's timeline.
    pub fn add_event(
        &self,
        reference: &str,
        event: &EventKind,
        by: &str,
    ) -> Result<Vec<Event>, RegisterError> {
        let issued = self.get(reference)?;
        let timeline = self.timeline(reference)?;
        let (name, on, amount, reason) = match event {
            EventKind::Paid { amount_pence, on } => ("paid", *on, Some(*amount_pence), None),
            EventKind::Withdrawn { reason, on } => ("withdrawn", *on, None, Some(reason.clone())),
            EventKind::ProsecutionStarted { on } => ("prosecution-started", *on, None, None),
        };
        if on < issued.issued_on {
            return Err(RegisterError::Conflict(format!(
                "{name} on {on} is before the document was issued ({})",
                issued.issued_on
            )));
        }
        let ended = timeline
            .iter()
            .find(|e| matches!(e.event.as_str(), "paid" | "withdrawn"));
        if let Some(end) = ended {
            return Err(RegisterError::Conflict(format!(
                "{reference} was already {} on {}; nothing can follow",
                end.event, end.on
            )));
        }
        if name == "prosecution-started" && issued.kind != "penalty-notice" {
            return Err(RegisterError::Conflict(
                "prosecution follows only an unpaid penalty notice".into(),
            ));
        }
        if name == "paid" && timeline.iter().any(|e| e.event == "prosecution-started") {
            return Err(RegisterError::Conflict(format!(
                "{reference} can no longer be paid: prosecution has started"
            )));
        }
        self.conn().execute(
            "INSERT INTO events (reference, event, on_date, amount_pence, reason, recorded_by, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![reference, name, on.to_string(), amount, reason, by, now()],
        )?;
        self.timeline(reference)
    }

    /// A document's timeline, oldest first.
    pub fn timeline(&self, reference: &str) -> Result<Vec<Event>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT event, on_date, amount_pence, reason, recorded_by, recorded_at FROM events
             WHERE reference = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![reference], |r| {
            Ok(Event {
                event: r.get(0)?,
                on: date(&r.get::<_, String>(1)?),
                amount_pence: r.get(2)?,
                reason: r.get(3)?,
                by: r.get(4)?,
                recorded_at: r.get(5)?,
            })
        })?;
        let events: Vec<Event> = rows.collect::<Result<_, _>>()?;
        if events.is_empty() {
            return Err(RegisterError::NotFound(reference.to_owned()));
        }
        Ok(events)
    }

    /// Every reference handed out in a series and year, with its status: for
    /// audits (no number skipped without a record).
    pub fn numbers(
        &self,
        series: Series,
        year: i32,
    ) -> Result<Vec<(String, String, Option<String>)>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT reference, status, note FROM numbers WHERE series = ?1 AND year = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![series.code(), year], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A batch as the register keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// Its id.
    pub id: String,
    /// The document kind.
    pub kind: String,
    /// The request as posted (JSON).
    pub request_json: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Cases in it.
    pub total: usize,
    /// Who asked.
    pub requested_by: String,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Its callback's delivery, if it has a callback.
    pub callback: Option<CallbackState>,
}

/// Where a batch's callback stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
    /// `issued` or `refused`.
    pub status: String,
    /// The references issued for it, comma-separated (one per copy).
    pub references: Vec<String>,
    /// Why it was refused: an RFC 9457 problem as JSON.
    pub problem: Option<String>,
}

impl Register {
    /// Records a new batch with its cases (one row each), or returns the one
    /// already made with the same idempotency key (`true` when it already
    /// existed).
    #[allow(clippy::too_many_arguments)]
    pub fn create_batch(
        &self,
        id: &str,
        idempotency_key: Option<&str>,
        kind: &str,
        request_json: &str,
        callback_url: Option<&str>,
        cases: &mut dyn Iterator<Item = &str>,
        total: usize,
        requested_by: &str,
    ) -> Result<(String, bool), RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if let Some(key) = idempotency_key {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT id FROM batches WHERE idempotency_key = ?1",
                    params![key],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(existing) = existing {
                return Ok((existing, true));
            }
        }
        tx.execute(
            "INSERT INTO batches (id, idempotency_key, kind, request_json, status, total, requested_by, created_at, callback_url)
             VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?8)",
            params![id, idempotency_key, kind, request_json, i64::try_from(total).unwrap_or(i64::MAX), requested_by, now(), callback_url],
        )?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO batch_cases (batch_id, idx, case_json) VALUES (?1, ?2, ?3)",
            )?;
            for (i, case) in cases.enumerate() {
                insert.execute(params![id, i64::try_from(i).unwrap_or(i64::MAX), case])?;
            }
        }
        tx.commit()?;
        Ok((id.to_owned(), false))
    }

    /// One case of a batch, as posted (JSON text).
    pub fn batch_case(&self, batch: &str, index: usize) -> Result<String, RegisterError> {
        self.conn()
            .prepare_cached("SELECT case_json FROM batch_cases WHERE batch_id = ?1 AND idx = ?2")?
            .query_row(
                params![batch, i64::try_from(index).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| RegisterError::NotFound(format!("case {index} of batch {batch}")))
    }

    /// One batch.
    pub fn batch(&self, id: &str) -> Result<BatchRow, RegisterError> {
        self.conn()
            .query_row(
                "SELECT id, kind, request_json, status, total, requested_by, error,
                        callback_url, callback_attempts, callback_delivered_at, callback_error,
                        callback_given_up_at
                 FROM batches WHERE id = ?1",
                params![id],
                |r| {
                    let url: Option<String> = r.get(7)?;
                    Ok(BatchRow {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        request_json: r.get(2)?,
                        status: r.get(3)?,
                        total: usize::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                        requested_by: r.get(5)?,
                        error: r.get(6)?,
                        callback: match url {
                            Some(url) => Some(CallbackState {
                                url,
                                attempts: u32::try_from(r.get::<_, i64>(8)?).unwrap_or(0),
                                delivered_at: r.get(9)?,
                                last_error: r.get(10)?,
                                given_up_at: r.get(11)?,
                            }),
                            None => None,
                        },
                    })
                },
            )
            .optional()?
            .ok_or_else(|| RegisterError::NotFound(format!("batch {id}")))
    }

    /// Sets a batch's status (and the error, when it failed).
    pub fn set_batch_status(
        &self,
        id: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), RegisterError> {
        let finished = matches!(status, "done" | "failed").then(now);
        self.conn().execute(
            "UPDATE batches SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            params![id, status, error, finished],
        )?;
        Ok(())
    }

    /// Records one attempt to deliver a batch's callback: `Ok(())` when it
    /// was delivered, else why not.
    pub fn record_callback(
        &self,
        id: &str,
        outcome: Result<(), &str>,
    ) -> Result<(), RegisterError> {
        let (delivered, error) = match outcome {
            Ok(()) => (Some(now()), None),
            Err(e) => (None, Some(e)),
        };
        self.conn().execute(
            "UPDATE batches SET callback_attempts = callback_attempts + 1,
                    callback_delivered_at = ?2, callback_error = ?3 WHERE id = ?1",
            params![id, delivered, error],
        )?;
        Ok(())
    }

    /// Records that a batch's callback is given up: it is not tried again.
    pub fn give_up_callback(&self, id: &str) -> Result<(), RegisterError> {
        self.conn().execute(
            "UPDATE batches SET callback_given_up_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    /// Finished batches whose callback a stop interrupted: neither delivered
    /// nor given up. Their ids and URLs, oldest first.
    pub fn pending_callbacks(&self) -> Result<Vec<(String, String)>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, callback_url FROM batches
             WHERE status IN ('done', 'failed') AND callback_url IS NOT NULL
               AND callback_delivered_at IS NULL AND callback_given_up_at IS NULL
             ORDER BY created_at",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records the outcome of one case of a batch.
    pub fn add_batch_record(&self, batch: &str, record: &BatchRecord) -> Result<(), RegisterError> {
        self.conn()
            .prepare_cached(
                "INSERT OR REPLACE INTO batch_records (batch_id, idx, status, reference, problem) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                batch,
                i64::try_from(record.index).unwrap_or(i64::MAX),
                record.status,
                record.references.join(","),
                record.problem
            ])?;
        Ok(())
    }

    /// The outcomes recorded so far, by index.
    pub fn batch_records(&self, batch: &str) -> Result<Vec<BatchRecord>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT idx, status, reference, problem FROM batch_records WHERE batch_id = ?1 ORDER BY idx",
        )?;
        let rows = stmt.query_map(params![batch], |r| {
            let refs: Option<String> = r.get(2)?;
            Ok(BatchRecord {
                index: usize::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                status: r.get(1)?,
                references: refs
                    .unwrap_or_default()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                problem: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Documents stored for a batch: `(index, recipient index, reference)`,
    /// to resume a case whose record was never written (a stop in between).
    pub fn batch_documents(
        &self,
        batch: &str,
    ) -> Result<Vec<(usize, Option<usize>, String)>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT batch_index, recipient_index, reference FROM documents WHERE batch_id = ?1 ORDER BY batch_index, reference",
        )?;
        let rows = stmt.query_map(params![batch], |r| {
            Ok((
                usize::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                r.get::<_, Option<i64>>(1)?
                    .and_then(|i| usize::try_from(i).ok()),
                r.get(2)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::d;

    fn doc<'a>(reference: &'a str, pdf: &'a [u8]) -> NewDocument<'a> {
        NewDocument {
            reference,
            kind: "penalty-notice",
            version: "kpas-1",
            template_hash: "sha256:t",
            case_json: "{}",
            case_hash: "sha256:c",
            case_reference: "ATT/1",
            pupil_upn: "W886200012345",
            school: "Oakfield",
            recipient_index: Some(0),
            recipient_name: "Ms Jane Brown",
            recipient_postcode: "ME15 7RY",
            issued_on: d(2026, 11, 23),
            served_on: Some(d(2026, 11, 25)),
            pdf,
            warnings: &[],
            requested_by: "test",
            batch: None,
        }
    }

    #[test]
    fn numbers_are_sequential_per_year_and_never_reused() {
        let r = Register::in_memory().unwrap_or_else(|e| panic!("{e}"));
        let a = r
            .reserve(Series::PenaltyNotice, d(2026, 3, 1))
            .unwrap_or_default();
        let b = r
            .reserve(Series::PenaltyNotice, d(2026, 3, 1))
            .unwrap_or_default();
        let c = r
            .reserve(Series::PenaltyNotice, d(2027, 1, 4))
            .unwrap_or_default();
        assert!(
            a.starts_with("PN26-000001")
                && b.starts_with("PN26-000002")
                && c.starts_with("PN27-000001")
        );
        r.void(&b, "render failed").unwrap_or_default();
        r.store(&doc(&a, b"%PDF-a"))
            .unwrap_or_else(|e| panic!("{e}"));
        // A void or used number cannot be stored again.
        assert!(r.store(&doc(&a, b"%PDF-x")).is_err());
        assert!(r.store(&doc(&b, b"%PDF-x")).is_err());
        let next = r
            .reserve(Series::PenaltyNotice, d(2026, 3, 2))
            .unwrap_or_default();
        assert!(next.starts_with("PN26-000003"), "{next}");
        let numbers = r.numbers(Series::PenaltyNotice, 2026).unwrap_or_default();
        let statuses: Vec<&str> = numbers.iter().map(|(_, s, _)| s.as_str()).collect();
        assert_eq!(statuses, ["used", "void", "reserved"]);
        assert_eq!(r.pdf(&a).unwrap_or_default(), b"%PDF-a");
    }

    #[test]
    fn timelines_follow_the_notice() {
        let r = Register::in_memory().unwrap_or_else(|e| panic!("{e}"));
        let a = r
            .reserve(Series::PenaltyNotice, d(2026, 11, 23))
            .unwrap_or_default();
        r.store(&doc(&a, b"%PDF")).unwrap_or_else(|e| panic!("{e}"));
        let before = EventKind::Paid {
            amount_pence: 8000,
            on: d(2026, 11, 1),
        };
        assert!(matches!(
            r.add_event(&a, &before, "x"),
            Err(RegisterError::Conflict(_))
        ));
        let t = r
            .add_event(
                &a,
                &EventKind::Paid {
                    amount_pence: 8000,
                    on: d(2026, 12, 1),
                },
                "finance",
            )
            .unwrap_or_default();
        assert_eq!(
            t.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            ["issued", "paid"]
        );
        // Paid is final.
        let w = EventKind::Withdrawn {
            reason: "x".into(),
            on: d(2026, 12, 2),
        };
        assert!(matches!(
            r.add_event(&a, &w, "x"),
            Err(RegisterError::Conflict(_))
        ));
        assert_eq!(r.get(&a).map(|i| i.status).unwrap_or_default(), "paid");
        assert!(matches!(
            r.add_event("PN26-999999A", &w, "x"),
            Err(RegisterError::NotFound(_))
        ));
    }

    #[test]
    fn prior_notices_find_the_parent_and_withdrawals() {
        let r = Register::in_memory().unwrap_or_else(|e| panic!("{e}"));
        let a = r
            .reserve(Series::PenaltyNotice, d(2026, 1, 5))
            .unwrap_or_default();
        r.store(&doc(&a, b"%PDF")).unwrap_or_else(|e| panic!("{e}"));
        r.add_event(
            &a,
            &EventKind::Withdrawn {
                reason: "wrong parent".into(),
                on: d(2026, 11, 30),
            },
            "t",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let prior = r
            .prior_notices("W886200012345", &person_key("Jane", "Brown"))
            .unwrap_or_default();
        assert_eq!(prior.len(), 1);
        assert!(prior[0].withdrawn);
        assert!(
            r.prior_notices("W886200012345", &person_key("John", "Brown"))
                .unwrap_or_default()
                .is_empty()
        );
    }

    #[test]
    fn abandoned_reservations_are_voided_on_open() {
        let dir = std::env::temp_dir().join(format!("docket-register-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("register.db");
        let _ = std::fs::remove_file(&path);
        {
            let r = Register::open(&path).unwrap_or_else(|e| panic!("{e}"));
            r.reserve(Series::PenaltyNotice, d(2026, 5, 5))
                .unwrap_or_default();
        }
        let r = Register::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let numbers = r.numbers(Series::PenaltyNotice, 2026).unwrap_or_default();
        assert_eq!(numbers.len(), 1);
        assert_eq!(numbers[0].1, "void");
        assert!(
            numbers[0]
                .2
                .as_deref()
                .unwrap_or_default()
                .contains("process stopped")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
