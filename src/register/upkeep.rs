//! Looking after the register's file while the service runs: a
//! consistent copy ([`Register::backup`], SQLite's online backup) and a
//! full check ([`Register::verify`]: SQLite's integrity check, every
//! stored PDF re-hashed, every number accounted for, the audit chain).
//!
//! Both open the file with [`Register::inspect`]: read-only, without
//! migrating it and without voiding the numbers a running service has
//! reserved (only the service's own start may do that).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use super::{AuditCheck, MIGRATIONS, Register, RegisterError};

/// What [`Register::verify`] found: each problem in words, naming its row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// Documents whose PDF was re-hashed.
    pub documents: usize,
    /// Numbers looked at.
    pub numbers: usize,
    /// Tombstones of purged documents.
    pub purged: usize,
    /// Rows of the audit trail whose chain was recomputed.
    pub audit_rows: usize,
    /// Numbers reserved and not yet used: a render in progress now, or a
    /// stop (the service's next start voids them, with the reason).
    pub reserved: Vec<String>,
    /// What is wrong; empty when the register is intact.
    pub problems: Vec<String>,
}

impl Register {
    /// Opens an existing register read-only, for a backup or a check: no
    /// migration, no voiding. Its schema must be this build's.
    pub fn inspect(path: &Path) -> Result<Self, RegisterError> {
        if !path.is_file() {
            return Err(RegisterError::Files(format!(
                "{}: no register file there",
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len();
        if usize::try_from(version).ok() != Some(known) {
            return Err(RegisterError::Schema {
                found: version,
                known,
            });
        }
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Copies the register to `to` with SQLite's online backup, in one
    /// step (one read transaction: a consistent snapshot however busy the
    /// service is), into a private temporary file beside `to` that is
    /// renamed into place only once complete and checked. An existing
    /// `to` is replaced only when the copy is whole.
    pub fn backup(&self, to: &Path) -> Result<u64, RegisterError> {
        let dir = to
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let partial = tempfile::Builder::new()
            .prefix(".docket-backup-")
            .tempfile_in(dir)
            .map_err(|e| RegisterError::Files(format!("{}: {e}", dir.display())))?;
        crate::files::private_file(partial.path())
            .map_err(|e| RegisterError::Files(format!("{}: {e}", partial.path().display())))?;
        {
            let mut copy = Connection::open(partial.path())?;
            let conn = self.conn();
            let backup = rusqlite::backup::Backup::new(&conn, &mut copy)?;
            // -1: every page in one step, under one read lock (a step of
            // some pages would start again each time the service wrote).
            let mut waits = 0;
            loop {
                match backup.step(-1)? {
                    rusqlite::backup::StepResult::Done => break,
                    rusqlite::backup::StepResult::More => {}
                    _ if waits < 100 => {
                        waits += 1;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    _ => {
                        return Err(RegisterError::Files(
                            "the register stayed locked for 10 s: the backup was not taken".into(),
                        ));
                    }
                }
            }
            drop(backup);
            drop(conn);
            // A copy is a plain file (no WAL beside it), checked before it
            // takes the name.
            copy.pragma_update(None, "journal_mode", "DELETE")?;
            let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if check != "ok" {
                return Err(RegisterError::Corrupt(format!(
                    "the backup copy failed SQLite's integrity check: {check}"
                )));
            }
        }
        let bytes = std::fs::metadata(partial.path())
            .map_err(|e| RegisterError::Files(format!("{}: {e}", partial.path().display())))?
            .len();
        partial
            .persist(to)
            .map_err(|e| RegisterError::Files(format!("{}: {}", to.display(), e.error)))?;
        Ok(bytes)
    }

    /// Checks everything the register can check about itself.
    pub fn verify(&self) -> Result<Verification, RegisterError> {
        let mut v = Verification::default();
        self.verify_sqlite(&mut v)?;
        self.verify_pdfs(&mut v)?;
        self.verify_numbers(&mut v)?;
        match self.verify_audit()? {
            AuditCheck::Intact { rows, .. } => v.audit_rows = rows,
            AuditCheck::Broken { seq, why } => {
                v.problems
                    .push(format!("the audit trail is broken at row {seq}: {why}"));
            }
        }
        Ok(v)
    }

    fn verify_sqlite(&self, v: &mut Verification) -> Result<(), RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if lines != ["ok"] {
            for line in lines {
                v.problems.push(format!("SQLite's integrity check: {line}"));
            }
        }
        let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let table: String = r.get(0)?;
            let rowid: Option<i64> = r.get(1)?;
            let parent: String = r.get(2)?;
            v.problems.push(format!(
                "{table} row {}: refers to a row of {parent} that does not exist",
                rowid.map_or_else(|| "?".to_owned(), |id| id.to_string())
            ));
        }
        Ok(())
    }

    /// Every stored PDF re-hashed, one at a time (bounded memory).
    fn verify_pdfs(&self, v: &mut Verification) -> Result<(), RegisterError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT reference, pdf, pdf_sha256 FROM documents ORDER BY reference")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let reference: String = r.get(0)?;
            let recorded: String = r.get(2)?;
            let pdf: Vec<u8> = r.get(1)?;
            if crate::digest::sha256(&pdf) != recorded {
                v.problems.push(format!(
                    "document {reference}: its stored PDF does not match the SHA-256 recorded when it was issued ({recorded}): it was altered or damaged"
                ));
            }
            v.documents += 1;
        }
        Ok(())
    }

    /// Every number used (by a document, or by a purged one's tombstone)
    /// or void with its reason, and every document on a used number.
    fn verify_numbers(&self, v: &mut Verification) -> Result<(), RegisterError> {
        let conn = self.conn();
        v.purged = conn.query_row("SELECT count(*) FROM purged", [], |r| r.get(0))?;
        let mut stmt = conn.prepare(
            "SELECT n.reference, n.status, n.note,
                    EXISTS (SELECT 1 FROM documents d WHERE d.reference = n.reference),
                    EXISTS (SELECT 1 FROM purged p WHERE p.reference = n.reference)
             FROM numbers n ORDER BY n.series, n.year, n.seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let reference: String = r.get(0)?;
            let status: String = r.get(1)?;
            let note: Option<String> = r.get(2)?;
            let (stored, purged): (bool, bool) = (r.get(3)?, r.get(4)?);
            v.numbers += 1;
            match status.as_str() {
                "used" if stored || purged => {}
                "used" => v.problems.push(format!(
                    "number {reference} is marked used, but no document or tombstone holds it"
                )),
                "void" if note.as_deref().is_some_and(|n| !n.trim().is_empty()) => {}
                "void" => v
                    .problems
                    .push(format!("number {reference} is void with no reason")),
                "reserved" => v.reserved.push(reference.clone()),
                other => v.problems.push(format!(
                    "number {reference} has an unknown status `{other}`"
                )),
            }
            if status != "used" && (stored || purged) {
                v.problems.push(format!(
                    "document {reference} is stored on a number marked {status}, not used"
                ));
            }
        }
        drop(rows);
        let orphans: Vec<String> = conn
            .prepare(
                "SELECT reference FROM documents WHERE reference NOT IN (SELECT reference FROM numbers)",
            )?
            .query_map(params![], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for reference in orphans {
            v.problems.push(format!(
                "document {reference} has no number in the register's numbers"
            ));
        }
        Ok(())
    }
}
