//! Lapsed penalty notices: every issued notice whose last day to pay has
//! passed with no payment, withdrawal or prosecution recorded, oldest first,
//! with the decision it needs (or has) and the days left before the
//! six-month limit for laying an information ([`crate::rules::lapse`]).

use chrono::NaiveDate;
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{Register, RegisterError, date};
use crate::rules::lapse::{self, Decision};

/// A lapsed notice, as the Courts Team lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Lapsed {
    /// The notice's number.
    pub reference: String,
    /// Its kind: `penalty-notice`, or `exclusion-penalty-notice` (s105
    /// EIA 2006), each with its own numbering.
    pub kind: String,
    /// The pupil's UPN (the register is keyed by it).
    pub pupil_upn: String,
    /// The school, as the notice names it.
    pub school: String,
    /// The school's DfE URN, if the case gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub school_urn: Option<String>,
    /// The parent it was issued to.
    pub recipient: String,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The day it is taken to be received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_on: Option<NaiveDate>,
    /// The last day it could be paid.
    pub last_pay_by: NaiveDate,
    /// The offence period it is for.
    pub offence_from: NaiveDate,
    /// The last day of the offence period.
    pub offence_to: NaiveDate,
    /// The last day an information may be laid (six months on).
    pub information_by: NaiveDate,
    /// Days from `as_of` to `information_by` (negative once past).
    pub days_left: i64,
    /// The decision recorded, if any: prosecute or withdraw, and when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<LapsedDecision>,
}

/// The decision that stands on a lapsed notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LapsedDecision {
    /// Prosecute or withdraw.
    pub decision: Decision,
    /// The day it was made.
    pub on: NaiveDate,
    /// Who made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

/// The query of penalty notices with their terms and offence period.
const NOTICES: &str = "SELECT d.reference, d.pupil_upn, d.school, d.school_urn, d.recipient_name,
        d.issued_on, d.served_on, d.terms_json, c.offence_from, c.offence_to, d.kind
    FROM documents d JOIN notice_claims c ON c.reference = d.reference
    WHERE d.kind IN ('penalty-notice', 'exclusion-penalty-notice') AND d.terms_json IS NOT NULL";

/// One row of [`NOTICES`].
type Row = (
    (String, String, String, Option<String>, String),
    (String, Option<String>, String, String, String),
    String,
);

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
        (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?),
        r.get(10)?,
    ))
}

impl Register {
    /// Every penalty notice lapsed on `as_of`, oldest first (by its last
    /// day to pay, then its number).
    pub fn lapsed(&self, as_of: NaiveDate) -> Result<Vec<Lapsed>, RegisterError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("{NOTICES} ORDER BY d.issued_on, d.reference"))?;
        let rows = stmt.query_map([], read)?;
        let mut out = Vec::new();
        for row in rows {
            if let Some(lapsed) = entry(&conn, row?, as_of)? {
                out.push(lapsed);
            }
        }
        out.sort_by(|a, b| (a.last_pay_by, &a.reference).cmp(&(b.last_pay_by, &b.reference)));
        Ok(out)
    }

    /// The notice `reference` as the lapsed list gives it, if it is a
    /// penalty notice lapsed on `as_of`.
    pub fn lapse_of(
        &self,
        reference: &str,
        as_of: NaiveDate,
    ) -> Result<Option<Lapsed>, RegisterError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("{NOTICES} AND d.reference = ?1"))?
            .query_row(rusqlite::params![reference], read)
            .optional()?;
        match row {
            Some(row) => entry(&conn, row, as_of),
            None => Ok(None),
        }
    }
}

/// The lapsed entry of a notice's row, if it lapsed on `as_of`.
fn entry(
    conn: &rusqlite::Connection,
    row: Row,
    as_of: NaiveDate,
) -> Result<Option<Lapsed>, RegisterError> {
    let (
        (reference, pupil_upn, school, school_urn, recipient),
        (issued_on, served_on, terms, offence_from, offence_to),
        kind,
    ) = row;
    let at = || format!("penalty notice {reference}");
    let terms = super::documents::parse_terms(&reference, &terms)?;
    let timeline = super::events::timeline_in(conn, &reference)?;
    let standing = super::events::standing(&timeline);
    if !lapse::lapsed(&terms, &standing, as_of) {
        return Ok(None);
    }
    let Some(last_pay_by) = lapse::last_pay_by(&terms) else {
        return Ok(None);
    };
    let offence_to = date(&offence_to, &at)?;
    let decision = timeline
        .iter()
        .rev()
        .find(|e| e.superseded_by.is_none() && e.decision.is_some())
        .and_then(|e| {
            e.decision.map(|decision| LapsedDecision {
                decision,
                on: e.on,
                decided_by: e.decided_by.clone(),
            })
        });
    Ok(Some(Lapsed {
        kind,
        pupil_upn,
        school,
        school_urn,
        recipient,
        issued_on: date(&issued_on, &at)?,
        served_on: served_on.map(|d| date(&d, &at)).transpose()?,
        last_pay_by,
        offence_from: date(&offence_from, &at)?,
        offence_to,
        information_by: lapse::limit_date(offence_to),
        days_left: lapse::days_left(offence_to, as_of),
        decision,
        reference,
    }))
}
