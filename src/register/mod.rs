//! The register of issued documents: an embedded SQLite database (created
//! and migrated on open; migrations in `migrations/`). It hands out
//! references (notice numbers with a check letter, sequential per year),
//! keeps every issued document with its template version, input case, PDF
//! and hashes, the status timeline of each notice, and the batches of the
//! print room with their callbacks.
//!
//! Numbers are never reused: a number is reserved in one transaction before
//! its document is rendered, and stored with the document in another. If
//! the process stops in between, the next start marks the number void with
//! the reason, so every number is either used or accounted for. Writes are
//! transactions; WAL journal, so a killed process loses nothing committed.
//!
//! The register implements [`crate::evidence::Records`], the pipeline's
//! one view of it. Data read back that does not parse is an error naming
//! its row ([`RegisterError::Corrupt`]), never a default.

mod api_keys;
mod audit;
mod batches;
mod documents;
mod events;
mod keys;
mod lapsed;
mod numbers;
mod outcomes;
mod retention;
mod scoped;
mod stage;
mod subject;
mod upkeep;

pub use audit::{AuditCheck, AuditQuery, AuditRow, NewAudit};
pub use batches::{
    BatchRecord, BatchRow, BatchState, CallbackState, CaseText, Created, NewBatch, RecordState,
};
pub use documents::NewDocument;
pub use events::{EventKind, MAX_DECIDER_TEXT, MAX_EVENT_TEXT, Refused, record_on_issue};
pub use keys::{KEY_LIFETIME, KeyState, complete_key_in};
pub use lapsed::{Lapsed, LapsedDecision};
pub use numbers::{Claim, NumberStatus, Series};
pub use retention::{Due, Kept, Plan, Policy, PolicyError, Purged, Rule, Start, Tombstone};
pub use scoped::Scoped;
pub use stage::{Related, Stage, Story};
pub use subject::SubjectAccess;
pub use upkeep::Verification;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{NaiveDate, Utc};
use rusqlite::Connection;

/// The migrations, in order; the database's `user_version` says how many
/// have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_register.sql"),
    include_str!("../../migrations/0002_batch_cases.sql"),
    include_str!("../../migrations/0003_batch_callbacks.sql"),
    include_str!("../../migrations/0004_document_warnings.sql"),
    include_str!("../../migrations/0005_callback_given_up.sql"),
    include_str!("../../migrations/0006_legal_state.sql"),
    include_str!("../../migrations/0007_access.sql"),
    include_str!("../../migrations/0008_decisions.sql"),
    include_str!("../../migrations/0009_retention.sql"),
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
    /// A register opened for a backup or a check is not at this build's
    /// schema version.
    #[error(
        "the register has schema version {found}, and this docket reads version {known}: open it once with this docket's `docket serve` (which migrates it) before backing it up or verifying it"
    )]
    Schema {
        /// The database's version.
        found: i64,
        /// This build's.
        known: usize,
    },
    /// No such document.
    #[error("no issued document has reference {0}")]
    NotFound(String),
    /// A stored record could not be read back: the row and why.
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
    /// An event that does not fit the document's timeline.
    #[error("{0}")]
    Conflict(String),
    /// A second penalty notice to the same parent for the same child and
    /// an overlapping offence period.
    #[error("penalty notice {reference} already covers this offence period")]
    Duplicate {
        /// The notice already issued (or being issued).
        reference: String,
        /// When it was issued, if it is stored yet.
        issued_on: Option<NaiveDate>,
    },
    /// The register's files could not be made private.
    #[error("the register's file: {0}")]
    Files(String),
    /// An event the law does not allow: its field and rule.
    #[error("{}: {} [{}]", .0.field, .0.detail, .0.rule)]
    Refused(events::Refused),
    /// The document was purged at the end of its retention period: only
    /// its tombstone is left.
    #[error("document {} was purged at {} under the retention policy ({}); its tombstone keeps the issued PDF's hash {}", .0.reference, .0.purged_at, .0.rule, .0.pdf_sha256)]
    Purged(Box<retention::Tombstone>),
}

/// How the register's storage failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// The disk (or the register's size limit) is full.
    Full,
    /// The file cannot be written now: read-only, an I/O error, locked.
    Unavailable,
}

impl RegisterError {
    /// Whether this is the register's storage failing (the disk full, the
    /// file read-only or locked) rather than a defect or a caller's error.
    pub fn storage(&self) -> Option<Storage> {
        use rusqlite::ErrorCode;
        let Self::Sqlite(rusqlite::Error::SqliteFailure(e, _)) = self else {
            return None;
        };
        match e.code {
            ErrorCode::DiskFull => Some(Storage::Full),
            ErrorCode::ReadOnly
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::OutOfMemory => Some(Storage::Unavailable),
            _ => None,
        }
    }
}

impl From<RegisterError> for crate::evidence::RecordsError {
    fn from(e: RegisterError) -> Self {
        match e {
            RegisterError::Corrupt(why) => Self::Corrupt(why),
            other => Self::Unavailable(Box::new(other)),
        }
    }
}

/// Whether opening the register recovers from an earlier stop: voids the
/// numbers reserved and never used, releases idempotency keys claimed and
/// never completed. Only a process that issues may: another command
/// beside a running service would void the numbers it is using.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recover {
    Yes,
    No,
}

/// Room the health check wants left under a size limit: a few documents
/// (a letter is about 60 KB stored with its case), so it says full before
/// issues start failing.
const PROBE_ROOM: i64 = 1024 * 1024;

/// The register.
#[derive(Debug)]
pub struct Register {
    conn: Mutex<Connection>,
}

/// Creates the register's file, empty and readable by this user only, if
/// it does not exist yet.
/// An existing file is left for SQLite to open (read-only, if it is: the
/// health check then says so).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The time now, as the register records it.
fn now() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A date stored as `YYYY-MM-DD`, or the row's corruption: `row` names it.
fn date(text: &str, row: &dyn Fn() -> String) -> Result<NaiveDate, RegisterError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| RegisterError::Corrupt(format!("{}: `{text}` is not a date", row())))
}

/// A count or index stored as an integer, or the row's corruption.
fn count(value: i64, row: &dyn Fn() -> String) -> Result<usize, RegisterError> {
    usize::try_from(value)
        .map_err(|_| RegisterError::Corrupt(format!("{}: {value} is not a count", row())))
}

/// An index or count as SQLite stores it (every count docket keeps fits).
fn int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Register {
    /// Opens (creating and migrating if need be) the register at `path`, and
    /// voids any number reserved by a process that stopped before using it.
    /// The file, its WAL and its shared-memory file are readable by the
    /// service's user only (SQLite gives the WAL the database's mode).
    pub fn open(path: &Path) -> Result<Self, RegisterError> {
        Self::open_as(path, Recover::Yes)
    }

    /// Opens (creating and migrating if need be) the register at `path`
    /// beside a service that may be running on it: numbers it has reserved
    /// are left alone (only an issuing process's start voids abandoned
    /// ones). For commands that issue nothing: keys, the audit trail,
    /// decisions, purges, subject access.
    pub fn open_beside(path: &Path) -> Result<Self, RegisterError> {
        Self::open_as(path, Recover::No)
    }

    fn open_as(path: &Path, recover: Recover) -> Result<Self, RegisterError> {
        create_private(path)
            .map_err(|e| RegisterError::Files(format!("{}: {e}", path.display())))?;
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let register = Self::setup(conn, recover)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::PathBuf::from(name);
            if file.exists() {
                crate::files::private_file(&file)
                    .map_err(|e| RegisterError::Files(format!("{}: {e}", file.display())))?;
            }
        }
        Ok(register)
    }

    /// A register in memory, for tests and samples.
    pub fn in_memory() -> Result<Self, RegisterError> {
        Self::setup(Connection::open_in_memory()?, Recover::Yes)
    }

    fn setup(mut conn: Connection, recover: Recover) -> Result<Self, RegisterError> {
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
        if recover == Recover::No {
            return Ok(register);
        }
        let voided = register.void_abandoned()?;
        if voided > 0 {
            tracing::warn!(
                voided,
                "numbers reserved before a stop were never used: marked void"
            );
        }
        // A key claimed by a request that a stop cut off issued nothing
        // (its documents and its outcome are stored in one transaction).
        register.release_abandoned_keys()?;
        Ok(register)
    }

    /// Whether the register can take a write now: a small write is
    /// committed and removed. `Err` says why not (the disk full, the file
    /// read-only); the next check tries again, so the answer recovers by
    /// itself when space returns.
    pub fn probe(&self) -> Result<(), RegisterError> {
        let conn = self.conn();
        // A 64 KiB write needs new pages, so a full disk or a register at
        // its size limit shows.
        conn.execute(
            "INSERT INTO health_probe (filler) VALUES (zeroblob(65536))",
            [],
        )?;
        conn.execute("DELETE FROM health_probe", [])?;
        // Under a size limit, the probe's pages can be reused ones: say
        // full while there is not room for a long document as well.
        let room: i64 = conn.query_row(
            "SELECT (m.max_page_count - c.page_count + f.freelist_count) * s.page_size
             FROM pragma_max_page_count() m, pragma_page_count() c,
                  pragma_freelist_count() f, pragma_page_size() s",
            [],
            |r| r.get(0),
        )?;
        if room < PROBE_ROOM {
            return Err(RegisterError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
                Some(format!("{room} bytes left under the register's size limit")),
            )));
        }
        Ok(())
    }

    /// Limits the register's file to about `bytes` (SQLite's
    /// `max_page_count`): writes beyond it fail as a full disk would.
    /// Gives the limit in effect, in bytes.
    pub fn limit_size(&self, bytes: u64) -> Result<u64, RegisterError> {
        let conn = self.conn();
        let page: u64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let wanted = (bytes / page.max(1)).max(1);
        let set: u64 = conn.query_row(&format!("PRAGMA max_page_count = {wanted}"), [], |r| {
            r.get(0)
        })?;
        Ok(set * page)
    }

    /// The register's size: its pages in bytes, and the documents in it.
    pub fn size(&self) -> Result<(u64, u64), RegisterError> {
        let conn = self.conn();
        let bytes: u64 = conn.query_row(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| r.get(0),
        )?;
        let documents: u64 = conn.query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?;
        Ok((bytes, documents))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection as SQLite
        // left it (every write is a transaction), so it is safe to go on.
        match self.conn.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Actor;
    use crate::evidence::{EventName, person_key};

    static TEST: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(|| Actor::cli("test"));
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
            terms: None,
            by: &TEST,
            school_urn: None,
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

    /// The terms of the notice the tests store: £80 by 15 December 2026,
    /// £160 by 22 December.
    fn terms() -> crate::rules::penalty::Terms {
        use crate::rules::penalty::{Payment, Terms};
        Terms {
            sequence: 1,
            received_on: d(2026, 11, 25),
            period_count: crate::rules::penalty::PeriodCount::BeginningWithReceipt,
            payments: vec![
                Payment {
                    amount_pence: 8000,
                    pay_by: d(2026, 12, 15),
                    within_days: 21,
                },
                Payment {
                    amount_pence: 16000,
                    pay_by: d(2026, 12, 22),
                    within_days: 28,
                },
            ],
        }
    }

    fn refused_rule(
        result: Result<Vec<crate::evidence::Event>, RegisterError>,
    ) -> Option<&'static str> {
        match result {
            Err(RegisterError::Refused(r)) => Some(r.rule),
            _ => None,
        }
    }

    #[test]
    fn timelines_follow_the_notice_as_the_law_allows() {
        let r = Register::in_memory().unwrap_or_else(|e| panic!("{e}"));
        let a = r
            .reserve(Series::PenaltyNotice, d(2026, 11, 23))
            .unwrap_or_default();
        let terms = terms();
        r.store(&NewDocument {
            terms: Some(&terms),
            ..doc(&a, b"%PDF")
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let today = d(2026, 12, 31);
        let paid = |pence, on| EventKind::Paid {
            amount_pence: pence,
            on,
        };
        // Before issue, after today, the wrong amount.
        assert_eq!(
            refused_rule(r.add_event(&a, &paid(8000, d(2026, 11, 1)), &Actor::cli("x"), today)),
            Some("event.date")
        );
        assert_eq!(
            refused_rule(r.add_event(
                &a,
                &paid(8000, d(2026, 12, 1)),
                &Actor::cli("x"),
                d(2026, 11, 30)
            )),
            Some("event.date")
        );
        assert_eq!(
            refused_rule(r.add_event(&a, &paid(1, d(2026, 12, 1)), &Actor::cli("x"), today)),
            Some("event.amount")
        );
        let t = r
            .add_event(
                &a,
                &paid(8000, d(2026, 12, 1)),
                &Actor::cli("finance"),
                today,
            )
            .unwrap_or_default();
        assert_eq!(
            t.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            ["issued", "paid"]
        );
        // Paid is final (only a notice that should never have been issued
        // is withdrawn after payment, and refunded), but a mistake is
        // corrected, and both stay on the timeline.
        let w = EventKind::Withdrawn {
            ground: crate::rules::events::WithdrawalGround::NotProsecuted,
            reason: "x".into(),
            on: d(2026, 12, 2),
        };
        assert_eq!(
            refused_rule(r.add_event(&a, &w, &Actor::cli("x"), today)),
            Some("event.sequence")
        );
        assert_eq!(r.get(&a).map(|i| i.status).ok(), Some(EventName::Paid));
        let correction = EventKind::Corrected {
            supersedes: t[1].id,
            reason: "the payment was another notice's".into(),
            on: d(2026, 12, 2),
        };
        let t = r
            .add_event(&a, &correction, &Actor::cli("finance"), today)
            .unwrap_or_default();
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].superseded_by, Some(t[2].id));
        assert_eq!(r.get(&a).map(|i| i.status).ok(), Some(EventName::Issued));
        // A correction cannot be corrected, nor anything twice.
        assert_eq!(
            refused_rule(r.add_event(&a, &correction, &Actor::cli("x"), today)),
            Some("event.correction")
        );
        // Not paid after all, and still payable: withdrawn on a ground of
        // reg 8 (as not paid, reg 9, only once the last day has passed).
        assert_eq!(
            refused_rule(r.add_event(&a, &w, &Actor::cli("x"), today)),
            Some("event.sequence")
        );
        let w8 = EventKind::Withdrawn {
            ground: crate::rules::events::WithdrawalGround::MaterialError,
            reason: "x".into(),
            on: d(2026, 12, 2),
        };
        let t = r
            .add_event(&a, &w8, &Actor::cli("x"), today)
            .unwrap_or_default();
        assert_eq!(t.last().map(|e| e.event), Some(EventName::Withdrawn));
        assert!(matches!(
            r.add_event("PN26-999999A", &w8, &Actor::cli("x"), today),
            Err(RegisterError::NotFound(_))
        ));
    }

    #[test]
    fn a_second_notice_for_the_same_offence_is_refused_at_its_number() {
        let r = Register::in_memory().unwrap_or_else(|e| panic!("{e}"));
        let claim = Claim {
            pupil_upn: "W886200012345",
            parent_key: "jane brown",
            offence_from: d(2026, 9, 7),
            offence_to: d(2026, 10, 16),
        };
        let first = r
            .reserve_notice(Series::PenaltyNotice, d(2026, 11, 23), &claim)
            .unwrap_or_default();
        // Overlapping, while the first is only reserved.
        let overlapping = Claim {
            offence_from: d(2026, 10, 16),
            offence_to: d(2026, 11, 20),
            ..claim
        };
        assert!(matches!(
            r.reserve_notice(Series::PenaltyNotice, d(2026, 11, 24), &overlapping),
            Err(RegisterError::Duplicate { reference, .. }) if reference == first
        ));
        // Another parent, or the next period, is a notice of its own.
        let other = Claim {
            parent_key: "adam brown",
            ..claim
        };
        assert!(
            r.reserve_notice(Series::PenaltyNotice, d(2026, 11, 24), &other)
                .is_ok()
        );
        let next = Claim {
            offence_from: d(2026, 10, 19),
            offence_to: d(2026, 11, 20),
            ..claim
        };
        assert!(
            r.reserve_notice(Series::PenaltyNotice, d(2026, 11, 24), &next)
                .is_ok()
        );
        // A voided number claims nothing.
        r.void(&first, "render failed")
            .unwrap_or_else(|e| panic!("{e}"));
        let again = Claim {
            offence_from: d(2026, 9, 1),
            offence_to: d(2026, 9, 30),
            ..claim
        };
        assert!(
            r.reserve_notice(Series::PenaltyNotice, d(2026, 11, 24), &again)
                .is_ok()
        );
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
                ground: crate::rules::events::WithdrawalGround::WrongRecipient,
                reason: "wrong parent".into(),
                on: d(2026, 11, 30),
            },
            &Actor::cli("t"),
            d(2026, 12, 1),
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
    fn a_full_register_refuses_writes_and_says_so_until_it_has_room() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let r = Register::open(&dir.path().join("r.db")).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.probe().is_ok());
        // No free pages left from the probe: the file is exactly full.
        r.conn()
            .execute_batch("VACUUM")
            .unwrap_or_else(|e| panic!("{e}"));
        let pages: u64 = r
            .conn()
            .pragma_query_value(None, "page_count", |row| row.get(0))
            .unwrap_or(0);
        let page: u64 = r
            .conn()
            .pragma_query_value(None, "page_size", |row| row.get(0))
            .unwrap_or(4096);
        r.limit_size(pages * page).unwrap_or_else(|e| panic!("{e}"));
        let full = r.probe().err();
        assert_eq!(
            full.as_ref().and_then(RegisterError::storage),
            Some(Storage::Full),
            "{full:?}"
        );
        r.limit_size(1 << 30).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.probe().is_ok());
        // Room for the probe's own pages (reused), but not for a document:
        // full too, before issues start failing.
        r.limit_size(pages * page + 512 * 1024)
            .unwrap_or_else(|e| panic!("{e}"));
        let nearly = r.probe().err();
        assert_eq!(
            nearly.as_ref().and_then(RegisterError::storage),
            Some(Storage::Full),
            "{nearly:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_register_is_made_and_kept_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("register.db");
        let mode = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.permissions().mode() & 0o777);
        drop(Register::open(&path).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(mode(&path), 0o600);
        // A register others could read is narrowed when it is opened.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .unwrap_or_else(|e| panic!("{e}"));
        let r = Register::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(&path), 0o600);
        for side in ["register.db-wal", "register.db-shm"] {
            let p = dir.path().join(side);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{side}");
            }
        }
        drop(r);
    }

    #[test]
    fn abandoned_reservations_are_voided_on_open() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("register.db");
        {
            let r = Register::open(&path).unwrap_or_else(|e| panic!("{e}"));
            r.reserve(Series::PenaltyNotice, d(2026, 5, 5))
                .unwrap_or_default();
        }
        let r = Register::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let numbers = r.numbers(Series::PenaltyNotice, 2026).unwrap_or_default();
        assert_eq!(numbers.len(), 1);
        assert_eq!(numbers[0].1, NumberStatus::Void);
        assert!(
            numbers[0]
                .2
                .as_deref()
                .unwrap_or_default()
                .contains("process stopped")
        );
    }
}
