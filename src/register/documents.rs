//! Issued documents: each stored under its reserved reference with its
//! template version and hash, its case, its PDF and the PDF's SHA-256, and
//! read back byte for byte.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Register, RegisterError, date, int, now};
use crate::evidence::{Event, EventName, Issued, PriorNotice, Records, RecordsError, Warning};

/// A document to store under a reserved reference.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    /// The reference reserved for it.
    pub reference: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Template version.
    pub version: &'a str,
    /// The version's content hash.
    pub template_hash: &'a str,
    /// The case as checked (docket's canonical JSON of it).
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
    pub warnings: &'a [Warning],
    /// A penalty notice's amounts and pay-by dates, to check payments by.
    pub terms: Option<&'a crate::rules::penalty::Terms>,
    /// Who asked for it: the key (or the command line) and for whom.
    pub by: &'a crate::access::Actor,
    /// The school's DfE URN, if the case gives it.
    pub school_urn: Option<&'a str>,
    /// The batch it belongs to, with its index there.
    pub batch: Option<(&'a str, usize)>,
}

/// The columns of an [`Issued`], read by [`issued_row`].
const ISSUED_COLUMNS: &str = "d.reference, d.kind, d.version, d.template_hash, d.case_hash, d.case_reference,
    d.pupil_upn, d.school, d.recipient_name, d.recipient_postcode, d.issued_on, d.served_on, d.pdf_sha256, d.requested_by,
    (SELECT event FROM events e WHERE e.reference = d.reference AND e.event != 'corrected'
        AND NOT EXISTS (SELECT 1 FROM events c WHERE c.supersedes = e.id)
        ORDER BY e.id DESC LIMIT 1), d.warnings, d.key_id, d.on_behalf_of, d.school_urn";

/// One row of [`ISSUED_COLUMNS`] as SQLite gives it, before its dates,
/// status and warnings are parsed.
struct IssuedRow {
    issued: Issued,
    issued_on: String,
    served_on: Option<String>,
    status: Option<String>,
    warnings: String,
}

fn issued_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssuedRow> {
    Ok(IssuedRow {
        issued: Issued {
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
            issued_on: NaiveDate::MIN,
            served_on: None,
            pdf_sha256: r.get(12)?,
            requested_by: r.get(13)?,
            key_id: r.get(16)?,
            on_behalf_of: r.get(17)?,
            school_urn: r.get(18)?,
            status: EventName::Issued,
            warnings: Vec::new(),
        },
        issued_on: r.get(10)?,
        served_on: r.get(11)?,
        status: r.get(14)?,
        warnings: r.get(15)?,
    })
}

impl IssuedRow {
    fn parse(self) -> Result<Issued, RegisterError> {
        let mut issued = self.issued;
        let reference = issued.reference.clone();
        let row = || format!("document {reference}");
        issued.issued_on = date(&self.issued_on, &row)?;
        issued.served_on = self.served_on.map(|d| date(&d, &row)).transpose()?;
        issued.status = match self.status.as_deref() {
            Some(name) => EventName::parse(name).ok_or_else(|| {
                RegisterError::Corrupt(format!("{}: `{name}` is not an event", row()))
            })?,
            None => {
                return Err(RegisterError::Corrupt(format!(
                    "{}: it has no `issued` event",
                    row()
                )));
            }
        };
        issued.warnings = serde_json::from_str(&self.warnings).map_err(|e| {
            RegisterError::Corrupt(format!("{}: its warnings are not readable: {e}", row()))
        })?;
        Ok(issued)
    }
}

impl Register {
    /// Stores a document under its reserved reference, with its `issued`
    /// event, in one transaction.
    pub fn store(&self, doc: &NewDocument<'_>) -> Result<(), RegisterError> {
        self.store_all(std::slice::from_ref(doc), &mut |_| Ok(()))
    }

    /// Stores the documents of one request, each under its reserved
    /// reference with its `issued` event, and runs `then` (e.g. recording
    /// an idempotency key's outcome), all in one transaction: either every
    /// copy is stored or none is.
    pub fn store_all(
        &self,
        docs: &[NewDocument<'_>],
        then: &mut dyn FnMut(&Connection) -> Result<(), RegisterError>,
    ) -> Result<(), RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for doc in docs {
            store_in(&tx, doc)?;
        }
        then(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

/// Stores one document on `tx`.
fn store_in(tx: &Connection, doc: &NewDocument<'_>) -> Result<(), RegisterError> {
    {
        let sha = crate::digest::sha256(doc.pdf);
        let warnings = serde_json::to_string(doc.warnings)
            .map_err(|e| RegisterError::Corrupt(format!("warnings of {}: {e}", doc.reference)))?;
        let terms = doc
            .terms
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| RegisterError::Corrupt(format!("terms of {}: {e}", doc.reference)))?;
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
                issued_on, served_on, pdf, pdf_sha256, requested_by, created_at, batch_id, batch_index, warnings, terms_json,
                key_id, on_behalf_of, school_urn)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
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
                doc.recipient_index.map(int),
                doc.recipient_name,
                doc.recipient_name.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" "),
                doc.recipient_postcode,
                doc.issued_on.to_string(),
                doc.served_on.map(|d| d.to_string()),
                doc.pdf,
                sha,
                doc.by.name,
                created,
                doc.batch.map(|(id, _)| id),
                doc.batch.map(|(_, i)| int(i)),
                warnings,
                terms,
                doc.by.key_id,
                doc.by.on_behalf_of,
                doc.school_urn,
        ])?;
        tx.prepare_cached(
            "INSERT INTO events (reference, event, on_date, recorded_by, recorded_at, key_id, on_behalf_of) VALUES (?1, 'issued', ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![doc.reference, doc.issued_on.to_string(), doc.by.name, created, doc.by.key_id, doc.by.on_behalf_of])?;
        Ok(())
    }
}

/// The terms of a penalty notice as stored with it.
pub(super) fn parse_terms(
    reference: &str,
    text: &str,
) -> Result<crate::rules::penalty::Terms, RegisterError> {
    serde_json::from_str(text).map_err(|e| {
        RegisterError::Corrupt(format!(
            "document {reference}: its terms are not readable: {e}"
        ))
    })
}

/// One issued document, on `conn`.
pub(super) fn get_in(conn: &Connection, reference: &str) -> Result<Issued, RegisterError> {
    let sql = format!("SELECT {ISSUED_COLUMNS} FROM documents d WHERE d.reference = ?1");
    conn.prepare_cached(&sql)?
        .query_row(params![reference], issued_row)
        .optional()?
        .ok_or_else(|| super::retention::missing(conn, reference))?
        .parse()
}

/// A penalty notice's terms as stored with it, on `conn`.
pub(super) fn terms_in(
    conn: &Connection,
    reference: &str,
) -> Result<Option<crate::rules::penalty::Terms>, RegisterError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT terms_json FROM documents WHERE reference = ?1")?
        .query_row(params![reference], |r| r.get(0))
        .optional()?
        .flatten();
    text.map(|t| parse_terms(reference, &t)).transpose()
}

impl Register {
    /// Whether a document is stored under `reference`.
    pub fn holds(&self, reference: &str) -> Result<bool, RegisterError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM documents WHERE reference = ?1")?
            .query_row(params![reference], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The stored PDF of a document, byte for byte.
    pub fn pdf(&self, reference: &str) -> Result<Vec<u8>, RegisterError> {
        let conn = self.conn();
        conn.prepare_cached("SELECT pdf FROM documents WHERE reference = ?1")?
            .query_row(params![reference], |r| r.get(0))
            .optional()?
            .ok_or_else(|| super::retention::missing(&conn, reference))
    }

    /// The case JSON a document was made from.
    pub fn case_json(&self, reference: &str) -> Result<String, RegisterError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT case_json FROM documents WHERE reference = ?1",
            params![reference],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| super::retention::missing(&conn, reference))
    }

    /// A penalty notice's amounts and pay-by dates, as issued (none for
    /// other documents).
    pub fn terms(
        &self,
        reference: &str,
    ) -> Result<Option<crate::rules::penalty::Terms>, RegisterError> {
        terms_in(&self.conn(), reference)
    }

    /// One issued document.
    pub fn get(&self, reference: &str) -> Result<Issued, RegisterError> {
        get_in(&self.conn(), reference)
    }

    /// A pupil's history: every document issued about them, oldest first.
    pub fn history(&self, pupil_upn: &str) -> Result<Vec<Issued>, RegisterError> {
        let sql = format!(
            "SELECT {ISSUED_COLUMNS} FROM documents d WHERE d.pupil_upn = ?1 ORDER BY d.issued_on, d.reference"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params![pupil_upn], issued_row)?;
        rows.map(|row| row?.parse()).collect()
    }

    /// Earlier penalty notices to the parent whose name gives
    /// `recipient_name_key` for the pupil: for the limit of two in three
    /// years.
    pub fn prior_notices(
        &self,
        pupil_upn: &str,
        recipient_name_key: &str,
    ) -> Result<Vec<PriorNotice>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.reference, d.issued_on,
                    EXISTS (SELECT 1 FROM events e WHERE e.reference = d.reference AND e.event = 'withdrawn'
                              AND NOT EXISTS (SELECT 1 FROM events c WHERE c.supersedes = e.id))
             FROM documents d
             WHERE d.kind = 'penalty-notice' AND d.pupil_upn = ?1
               AND (d.recipient_key = ?2 OR substr(d.recipient_key, -length(?2) - 1) = ' ' || ?2)
             ORDER BY d.issued_on",
        )?;
        let rows = stmt.query_map(params![pupil_upn, recipient_name_key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (reference, issued_on, withdrawn) = row?;
            let issued_on = date(&issued_on, &|| format!("document {reference}"))?;
            out.push(PriorNotice {
                reference,
                issued_on,
                withdrawn,
            });
        }
        Ok(out)
    }

    /// The offence period of a stored penalty notice, from its case.
    pub fn penalty_period(
        &self,
        reference: &str,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, RegisterError> {
        let json = self.case_json(reference)?;
        let case: serde_json::Value = serde_json::from_str(&json).map_err(|e| {
            RegisterError::Corrupt(format!("document {reference}: its case is not JSON: {e}"))
        })?;
        let row = || format!("document {reference}");
        let day = |pointer: &str| {
            case.pointer(pointer)
                .and_then(serde_json::Value::as_str)
                .map(|d| date(d, &row))
                .transpose()
        };
        Ok(day("/penalty/offence_from")?.zip(day("/penalty/offence_to")?))
    }
}

impl Records for Register {
    fn document(&self, reference: &str) -> Result<Option<Issued>, RecordsError> {
        match self.get(reference) {
            Ok(d) => Ok(Some(d)),
            Err(RegisterError::NotFound(_) | RegisterError::Purged(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn pdf(&self, reference: &str) -> Result<Vec<u8>, RecordsError> {
        Ok(Register::pdf(self, reference)?)
    }

    fn history(&self, pupil_upn: &str) -> Result<Vec<Issued>, RecordsError> {
        Ok(Register::history(self, pupil_upn)?)
    }

    fn timeline(&self, reference: &str) -> Result<Vec<Event>, RecordsError> {
        Ok(Register::timeline(self, reference)?)
    }

    fn prior_notices(
        &self,
        pupil_upn: &str,
        person_key: &str,
    ) -> Result<Vec<PriorNotice>, RecordsError> {
        Ok(Register::prior_notices(self, pupil_upn, person_key)?)
    }

    fn penalty_period(
        &self,
        reference: &str,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, RecordsError> {
        Ok(Register::penalty_period(self, reference)?)
    }

    fn case(&self, reference: &str) -> Result<serde_json::Value, RecordsError> {
        let json = self.case_json(reference)?;
        serde_json::from_str(&json).map_err(|e| {
            RecordsError::Corrupt(format!("document {reference}: its case is not JSON: {e}"))
        })
    }

    fn last_day_to_pay(&self, reference: &str) -> Result<Option<NaiveDate>, RecordsError> {
        Ok(self
            .terms(reference)?
            .as_ref()
            .and_then(crate::rules::lapse::last_pay_by))
    }
}
