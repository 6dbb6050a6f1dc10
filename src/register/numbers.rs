//! References: sequential per series and year, each with a check letter
//! (`PN26-000123K`), reserved before its document is rendered and then used
//! by it, or voided with the reason. None is reused or skipped unrecorded.

use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Register, RegisterError, now};
use crate::rules::reference;

/// A number series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Penalty notices of the KPAS edition: `PN26-000123K`.
    PenaltyNotice,
    /// Fixed penalty notices of the PIAS edition: `FPN24-000045X`.
    FixedPenaltyNotice,
    /// Exclusion penalty notices (s105 Education and Inspections Act 2006),
    /// numbered apart from attendance notices: `EPN26-000012X`.
    ExclusionNotice,
    /// Every other issued document: `DK26-000045X`.
    Document,
}

impl Series {
    /// The series an edition numbers its penalty notices in: each edition
    /// has one numbering, under the notice's own name (a PIAS fixed penalty
    /// notice is an `FPN`, a KPAS penalty notice a `PN`).
    pub fn penalty_notices(edition: crate::rules::Edition) -> Self {
        match edition {
            crate::rules::Edition::Pias => Self::FixedPenaltyNotice,
            crate::rules::Edition::Kpas2024 => Self::PenaltyNotice,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::PenaltyNotice => "PN",
            Self::FixedPenaltyNotice => "FPN",
            Self::ExclusionNotice => "EPN",
            Self::Document => "DK",
        }
    }
}

/// Where a reference stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberStatus {
    /// Handed out; its document is being made.
    Reserved,
    /// Its document is stored.
    Used,
    /// Its document never arrived: kept with the reason.
    Void,
}

impl NumberStatus {
    /// Its name in the register.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Used => "used",
            Self::Void => "void",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Reserved, Self::Used, Self::Void]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The offence a penalty notice is for, claimed with its number.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The child's UPN.
    pub pupil_upn: &'a str,
    /// The parent's name as a key (see [`crate::evidence::person_key`]).
    pub parent_key: &'a str,
    /// First day of the offence period.
    pub offence_from: NaiveDate,
    /// Last day of the offence period.
    pub offence_to: NaiveDate,
}

impl Register {
    /// Reserves the next reference of `series` for the year of `on`.
    pub fn reserve(&self, series: Series, on: NaiveDate) -> Result<String, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let reference = reserve_in(&tx, series, on)?;
        tx.commit()?;
        Ok(reference)
    }

    /// Reserves the next penalty notice number for the year of `on` and
    /// claims the offence it is for, in one transaction: refused with
    /// [`RegisterError::Duplicate`] when a notice to the same parent for
    /// the same child already covers any day of the period (one reserved
    /// by another request included; withdrawn notices do not count).
    pub fn reserve_notice(
        &self,
        series: Series,
        on: NaiveDate,
        claim: &Claim<'_>,
    ) -> Result<String, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: Option<(String, Option<String>)> = tx
            .prepare_cached(
                "SELECT c.reference, d.issued_on FROM notice_claims c
                   JOIN numbers n ON n.reference = c.reference
                   LEFT JOIN documents d ON d.reference = c.reference
                 WHERE c.pupil_upn = ?1
                   AND (c.parent_key = ?2 OR substr(c.parent_key, -length(?2) - 1) = ' ' || ?2)
                   AND n.status != 'void'
                   AND c.offence_from <= ?4 AND c.offence_to >= ?3
                   AND (n.series = 'EPN') = ?5
                   AND NOT EXISTS (SELECT 1 FROM events e WHERE e.reference = c.reference AND e.event = 'withdrawn'
                                     AND NOT EXISTS (SELECT 1 FROM events x WHERE x.supersedes = e.id))
                 ORDER BY c.offence_from LIMIT 1",
            )?
            .query_row(
                params![
                    claim.pupil_upn,
                    claim.parent_key,
                    claim.offence_from.to_string(),
                    claim.offence_to.to_string(),
                    // An exclusion notice's claim is on its own offence,
                    // never an attendance notice's.
                    series == Series::ExclusionNotice
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((reference, issued_on)) = existing {
            return Err(RegisterError::Duplicate {
                issued_on: issued_on
                    .map(|d| super::date(&d, &|| format!("document {reference}")))
                    .transpose()?,
                reference,
            });
        }
        let reference = reserve_in(&tx, series, on)?;
        tx.prepare_cached(
            "INSERT INTO notice_claims (reference, pupil_upn, parent_key, offence_from, offence_to)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            reference,
            claim.pupil_upn,
            claim.parent_key,
            claim.offence_from.to_string(),
            claim.offence_to.to_string()
        ])?;
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

    pub(super) fn void_abandoned(&self) -> Result<usize, RegisterError> {
        Ok(self.conn().execute(
            "UPDATE numbers SET status = 'void', note = 'reserved, but the process stopped before its document was stored'
             WHERE status = 'reserved'",
            [],
        )?)
    }

    /// Every reference handed out in a series and year, with its status and
    /// note: for audits (no number skipped without a record).
    pub fn numbers(
        &self,
        series: Series,
        year: i32,
    ) -> Result<Vec<(String, NumberStatus, Option<String>)>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT reference, status, note FROM numbers WHERE series = ?1 AND year = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![series.code(), year], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (reference, status, note) = row?;
            let status = NumberStatus::parse(&status).ok_or_else(|| {
                RegisterError::Corrupt(format!(
                    "number {reference}: `{status}` is not a number's status"
                ))
            })?;
            out.push((reference, status, note));
        }
        Ok(out)
    }
}

/// Reserves the next reference of `series` for the year of `on`, on `tx`.
fn reserve_in(tx: &Connection, series: Series, on: NaiveDate) -> Result<String, RegisterError> {
    let year = on.year();
    // A counter row is created for a series' first number of a year; the
    // first number is 1.
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
    Ok(reference)
}
