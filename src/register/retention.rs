//! Retention: how long each kind of document is kept ([`Policy`], read
//! from `retention.toml` beside the templates: data, for the council's
//! records manager to set), which documents are past their period
//! ([`Register::due_for_purge`]), and purging them
//! ([`Register::purge`]): the document's row, case data, PDF and events
//! are deleted, and a tombstone stays (reference, kind, dates, hashes, the
//! rule), so every number is still accounted for and a request for a
//! purged document is answered as such ([`RegisterError::Purged`]).

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;

use super::{Register, RegisterError, date, now};

/// When a retention period starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Start {
    /// The document's date of issue, or the last event on its timeline if
    /// later (a payment, a withdrawal, a decision, an outcome).
    Issued,
    /// The day the pupil leaves compulsory education: the last Friday in
    /// June of the school year in which they turn 16 (Education Act 1996
    /// s8), from the date of birth in the document's case; or the issue
    /// date (or last event) if later.
    PupilLeaves,
}

impl Start {
    fn words(self) -> &'static str {
        match self {
            Self::Issued => "from issue (or its last event)",
            Self::PupilLeaves => "from the pupil leaving compulsory education",
        }
    }
}

/// One kind's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Whole years kept.
    pub years: u32,
    /// From when.
    pub from: Start,
}

impl Rule {
    /// The rule in words, as a tombstone records it.
    pub fn words(&self) -> String {
        format!("{} years {}", self.years, self.from.words())
    }
}

/// Who confirmed the policy, and when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The records manager (or other officer) who confirmed the periods.
    pub by: String,
    /// The day they did (a TOML date).
    pub on: toml::value::Datetime,
}

/// The retention policy: a default and a rule per kind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Who confirmed these periods; without it, `purge` only reports.
    #[serde(default)]
    pub confirmed: Option<Confirmation>,
    /// Every kind not named.
    pub default: Rule,
    /// Kinds with their own period.
    #[serde(default)]
    pub kinds: BTreeMap<String, Rule>,
}

/// Kinds the register counts towards a legal limit over three years (two
/// penalty notices to a parent for a child in three years: SI 2007/1867
/// reg 13A as amended by SI 2024/210); purging them sooner would let a
/// third notice through.
const COUNTED_FOR_THREE_YEARS: [&str; 2] = ["penalty-notice", "exclusion-penalty-notice"];

/// Why a policy cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not TOML of the right shape.
    #[error("the retention policy is not readable: {0}")]
    Parse(String),
    /// A period the law does not allow.
    #[error(
        "the retention policy keeps {kind} for {years} years: at least 3 are needed, as the register counts penalty notices over three years"
    )]
    TooShort {
        /// The kind.
        kind: String,
        /// Its years.
        years: u32,
    },
}

impl Policy {
    /// Reads a policy from its TOML.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let policy: Self = toml::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        for kind in COUNTED_FOR_THREE_YEARS {
            let rule = policy.rule(kind);
            if rule.years < 3 {
                return Err(PolicyError::TooShort {
                    kind: kind.to_owned(),
                    years: rule.years,
                });
            }
        }
        Ok(policy)
    }

    /// The rule for `kind`.
    pub fn rule(&self, kind: &str) -> Rule {
        self.kinds.get(kind).copied().unwrap_or(self.default)
    }
}

/// A document past its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Its reference.
    pub reference: String,
    /// Its kind.
    pub kind: String,
    /// Its date of issue.
    pub issued_on: NaiveDate,
    /// The day its period ran from.
    pub kept_from: NaiveDate,
    /// The day its period ended.
    pub due_on: NaiveDate,
    /// The rule, in words.
    pub rule: String,
}

/// A document kept although its kind's rule would purge it, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// Its reference.
    pub reference: String,
    /// Why it is kept.
    pub why: String,
}

/// What [`Register::due_for_purge`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Past their period.
    pub due: Vec<Due>,
    /// Kept for a reason the operator should see (no date of birth to
    /// count from).
    pub kept: Vec<Kept>,
    /// Documents looked at.
    pub looked_at: usize,
}

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// Documents purged (each now a tombstone).
    pub documents: usize,
    /// Their events.
    pub events: usize,
    /// Batches whose every document is now purged: their cases were
    /// deleted too, and their print files should go.
    pub batches: Vec<String>,
}

/// A purged document's tombstone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tombstone {
    /// Its reference.
    pub reference: String,
    /// Its kind.
    pub kind: String,
    /// Its template version.
    pub version: String,
    /// Its date of issue.
    pub issued_on: String,
    /// The day it was purged (UTC time).
    pub purged_at: String,
    /// The rule it was purged under.
    pub rule: String,
    /// The SHA-256 of the PDF that was issued.
    pub pdf_sha256: String,
    /// The school's DfE URN, if its case gave it: who may be told.
    pub school_urn: Option<String>,
}

/// The day a period of `years` from `from` ends.
fn after_years(from: NaiveDate, years: u32) -> Option<NaiveDate> {
    from.checked_add_months(Months::new(years.checked_mul(12)?))
}

impl Register {
    /// Every document past its period under `policy` on `today`.
    pub fn due_for_purge(&self, policy: &Policy, today: NaiveDate) -> Result<Plan, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT d.reference, d.kind, d.issued_on,
                    (SELECT max(on_date) FROM events e WHERE e.reference = d.reference),
                    json_extract(d.case_json, '$.pupil.date_of_birth')
             FROM documents d ORDER BY d.issued_on, d.reference",
        )?;
        let mut rows = stmt.query([])?;
        let mut plan = Plan::default();
        while let Some(r) = rows.next()? {
            let reference: String = r.get(0)?;
            let kind: String = r.get(1)?;
            let row = || format!("document {reference}");
            let issued_on = date(&r.get::<_, String>(2)?, &row)?;
            let last_event = r
                .get::<_, Option<String>>(3)?
                .map(|d| date(&d, &row))
                .transpose()?;
            let birth = r.get::<_, Option<String>>(4)?;
            plan.looked_at += 1;
            let rule = policy.rule(&kind);
            let mut kept_from = last_event.map_or(issued_on, |e| e.max(issued_on));
            if rule.from == Start::PupilLeaves {
                let leaves = birth
                    .as_deref()
                    .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
                    .and_then(crate::rules::end_of_compulsory_school_age);
                let Some(leaves) = leaves else {
                    plan.kept.push(Kept {
                        reference,
                        why: "its case gives no date of birth to count from".into(),
                    });
                    continue;
                };
                kept_from = kept_from.max(leaves);
            }
            let Some(due_on) = after_years(kept_from, rule.years) else {
                continue;
            };
            if due_on <= today {
                plan.due.push(Due {
                    reference,
                    kind,
                    issued_on,
                    kept_from,
                    due_on,
                    rule: rule.words(),
                });
            }
        }
        Ok(plan)
    }

    /// Purges `due` (from [`Self::due_for_purge`]) in one transaction:
    /// each document's events, its batch case and its offence claim are
    /// deleted with it, and a tombstone is written in its place.
    /// `policy_sha256` names the policy file, `by` who purged.
    pub fn purge(
        &self,
        due: &[Due],
        policy_sha256: &str,
        by: &str,
    ) -> Result<Purged, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut purged = Purged::default();
        let mut batches = std::collections::BTreeSet::new();
        let at = now();
        for d in due {
            let events = tx.execute(
                "DELETE FROM events WHERE reference = ?1",
                params![d.reference],
            )?;
            let batch: Option<(Option<String>, Option<i64>)> = tx
                .query_row(
                    "SELECT batch_id, batch_index FROM documents WHERE reference = ?1",
                    params![d.reference],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((batch_id, batch_index)) = batch else {
                // Purged since the plan was made.
                continue;
            };
            tx.execute(
                "INSERT INTO purged (reference, kind, version, issued_on, kept_from, due_on, rule,
                                     policy_sha256, pdf_sha256, case_hash, school_urn, batch_id,
                                     events, purged_at, purged_by)
                 SELECT reference, kind, version, issued_on, ?2, ?3, ?4, ?5, pdf_sha256, case_hash,
                        school_urn, batch_id, ?6, ?7, ?8
                 FROM documents WHERE reference = ?1",
                params![
                    d.reference,
                    d.kept_from.to_string(),
                    d.due_on.to_string(),
                    format!("{}: {}", d.kind, d.rule),
                    policy_sha256,
                    i64::try_from(events).unwrap_or(i64::MAX),
                    at,
                    by
                ],
            )?;
            tx.execute(
                "DELETE FROM documents WHERE reference = ?1",
                params![d.reference],
            )?;
            tx.execute(
                "DELETE FROM notice_claims WHERE reference = ?1",
                params![d.reference],
            )?;
            if let (Some(id), Some(idx)) = (batch_id, batch_index) {
                tx.execute(
                    "DELETE FROM batch_cases WHERE batch_id = ?1 AND idx = ?2",
                    params![id, idx],
                )?;
                batches.insert(id);
            }
            purged.documents += 1;
            purged.events += events;
        }
        // A batch none of whose documents remain: its other cases (those
        // refused) go too; the print files are the caller's to remove.
        for id in batches {
            let left: i64 = tx.query_row(
                "SELECT count(*) FROM documents WHERE batch_id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            if left == 0 {
                tx.execute("DELETE FROM batch_cases WHERE batch_id = ?1", params![id])?;
                purged.batches.push(id);
            }
        }
        tx.commit()?;
        Ok(purged)
    }

    /// The tombstone of a purged document, if it was purged.
    pub fn tombstone(&self, reference: &str) -> Result<Option<Tombstone>, RegisterError> {
        tombstone_in(&self.conn(), reference)
    }
}

/// The tombstone of `reference`, on `conn`.
pub(super) fn tombstone_in(
    conn: &rusqlite::Connection,
    reference: &str,
) -> Result<Option<Tombstone>, RegisterError> {
    Ok(conn
        .prepare_cached(
            "SELECT reference, kind, version, issued_on, purged_at, rule, pdf_sha256, school_urn
             FROM purged WHERE reference = ?1",
        )?
        .query_row(params![reference], |r| {
            Ok(Tombstone {
                reference: r.get(0)?,
                kind: r.get(1)?,
                version: r.get(2)?,
                issued_on: r.get(3)?,
                purged_at: r.get(4)?,
                rule: r.get(5)?,
                pdf_sha256: r.get(6)?,
                school_urn: r.get(7)?,
            })
        })
        .optional()?)
}

/// The error for a document not in the register: purged (with its
/// tombstone), or never issued.
pub(super) fn missing(conn: &rusqlite::Connection, reference: &str) -> RegisterError {
    match tombstone_in(conn, reference) {
        Ok(Some(t)) => RegisterError::Purged(Box::new(t)),
        Ok(None) => RegisterError::NotFound(reference.to_owned()),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
        default = { years = 2, from = "issued" }
        [kinds]
        penalty-notice = { years = 6, from = "pupil-leaves" }
        exclusion-penalty-notice = { years = 6, from = "issued" }
    "#;

    #[test]
    fn a_kind_without_its_own_rule_takes_the_default() {
        let policy = Policy::parse(POLICY).unwrap();
        assert_eq!(policy.rule("home-visit-letter").years, 2);
        assert_eq!(policy.rule("penalty-notice").from, Start::PupilLeaves);
        assert_eq!(policy.confirmed, None, "unconfirmed unless it says who");
    }

    #[test]
    fn penalty_notices_are_kept_at_least_three_years() {
        let short = POLICY.replacen("years = 6", "years = 2", 1);
        assert!(matches!(
            Policy::parse(&short),
            Err(PolicyError::TooShort { .. })
        ));
        let defaulted = "default = { years = 1, from = \"issued\" }";
        assert!(matches!(
            Policy::parse(defaulted),
            Err(PolicyError::TooShort { .. })
        ));
        assert!(matches!(
            Policy::parse("default = 3"),
            Err(PolicyError::Parse(_))
        ));
    }

    #[test]
    fn a_period_ends_on_the_same_day_years_later() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(after_years(d(2024, 2, 29), 2), Some(d(2026, 2, 28)));
        assert_eq!(after_years(d(2020, 9, 1), 6), Some(d(2026, 9, 1)));
    }

    #[test]
    fn the_shipped_policy_is_readable_and_unconfirmed() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/letter-templates/retention.toml"
        ))
        .unwrap();
        let policy = Policy::parse(&text).unwrap();
        assert_eq!(
            policy.confirmed, None,
            "the periods are the council's to confirm"
        );
        assert!(
            policy.rule("prosecution-bundle").years > policy.rule("absence-concern-letter").years
        );
    }
}
