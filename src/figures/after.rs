//! What follows a penalty notice, from the register (`../shared/docs/domain.md`
//! §9): the notice a withdrawal letter, a decision to prosecute or a single
//! justice procedure pack is about, as issued and as it stands now, and the
//! rules that depend on it, rechecked each time the document is rendered:
//!
//! - `pn.settled`: no further letter about a notice that was withdrawn, and
//!   no decision to prosecute on one that was paid (LGO 25 009 893: a
//!   "further letter in error" after payment);
//! - `sjp.settled`: no single justice procedure pack for a notice paid or
//!   withdrawn;
//! - `withdrawal.ground`: withdrawn as not paid (reg 9 of SI 2007/1867)
//!   only once its last day to pay has passed, and never once it was paid;
//! - `decision.not-lapsed`, `decision.already-decided`: a decision on a
//!   lapsed notice, once;
//! - `mca.s127-time-limit`: no decision to prosecute after six months from
//!   the end of the offence period (Magistrates' Courts Act 1980 s127(1)),
//!   a warning within 28 days of it;
//! - `bundle.decision-record`: a bundle or pack needs the decision to
//!   prosecute its defendant on record (LGO 21 010 042).

use chrono::NaiveDate;
use serde::Serialize;

use super::records::{GatherError, Titles, kind_words, outcome};
use crate::case::{Case, Offence, Parent, Problem, Route};
use crate::evidence::{ChronologyRow, EventName, Issued, Records, Warning, person_key};
use crate::rules::lapse::{self, Decision};

/// The kind of a decision-to-prosecute record.
pub const DECISION_KIND: &str = "decision-to-prosecute";

/// Days before the six-month limit from which a warning is given.
pub const S127_WARNING_DAYS: i64 = 28;

/// The penalty notice a document is about, as the register holds it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct NoticeFigures {
    /// Its number.
    pub number: String,
    /// The day it was issued (and posted).
    pub issued_on: NaiveDate,
    /// The day it was taken to be received.
    pub served_on: Option<NaiveDate>,
    /// Who it was issued to, as addressed.
    pub recipient: String,
    /// The postcode it was sent to.
    pub recipient_postcode: String,
    /// The offence period it was for.
    pub offence_from: Option<NaiveDate>,
    /// The last day of that period.
    pub offence_to: Option<NaiveDate>,
    /// The last day it could be paid.
    pub last_day_to_pay: Option<NaiveDate>,
    /// The amount paid, in pence, if it was paid (a withdrawal refunds it).
    pub paid_pence: Option<u32>,
    /// The day it was paid.
    pub paid_on: Option<NaiveDate>,
}

/// What a decision-to-prosecute record prints beyond the case.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DecisionFigures {
    /// e.g. `section 444(1) of the Education Act 1996`.
    pub section: &'static str,
    /// The offence in plain terms.
    pub offence: &'static str,
    /// The route in words.
    pub route: &'static str,
    /// The last day the information may be laid (MCA 1980 s127).
    pub laid_by: NaiveDate,
    /// Days from the decision to that day.
    pub days_left: i64,
    /// Where the six months are counted from (to confirm locally).
    pub limit_from: &'static str,
    /// The defendant's age on the day of the decision, if known.
    pub defendant_age: Option<u32>,
    /// Every document issued about the child, and what became of it.
    pub chronology: Vec<ChronologyRow>,
    /// What the decision-maker is told (close to the limit...).
    pub warnings: Vec<Warning>,
}

/// The decision-to-prosecute record a bundle or pack relies on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DecisionRecord {
    /// Its reference in the register.
    pub reference: String,
    /// The day of the decision.
    pub decided_on: NaiveDate,
    /// Who decided, as `name, role`.
    pub decided_by: String,
    /// The route chosen, in words.
    pub route: &'static str,
}

/// The route in words.
pub fn route_words(route: Route) -> &'static str {
    match route {
        Route::Requisition => "a written charge and a requisition to appear at court",
        Route::SingleJustice => "a written charge and a single justice procedure notice",
    }
}

/// The notice at `reference`, checked to be a penalty notice issued about
/// this pupil to `parent`; `at` and `parent_at` are the pointers refusals
/// name.
pub fn notice(
    case: &Case,
    records: &dyn Records,
    reference: &str,
    at: &str,
    parent: Option<(&Parent, String)>,
) -> Result<(NoticeFigures, Vec<crate::evidence::Event>), GatherError> {
    let unknown = || {
        GatherError::Refused(vec![Problem::refusal(
            at,
            "notice.unknown",
            format!(
                "no penalty notice numbered {reference} was issued about this pupil: give the number of a notice in the register"
            ),
        )])
    };
    let doc: Issued = records.document(reference)?.ok_or_else(unknown)?;
    if doc.kind != "penalty-notice" || doc.pupil_upn != case.pupil.upn {
        return Err(unknown());
    }
    if let Some((p, parent_at)) = parent {
        let key = person_key(&p.given_names, &p.family_name);
        if !person_key(&doc.recipient_name, "").ends_with(&key) {
            return Err(GatherError::Refused(vec![Problem::refusal(
                parent_at,
                "notice.recipient",
                format!(
                    "notice {reference} was issued to {}, not to {} {}",
                    doc.recipient_name, p.given_names, p.family_name
                ),
            )]));
        }
    }
    let events: Vec<crate::evidence::Event> = records
        .timeline(reference)?
        .into_iter()
        .filter(|e| e.superseded_by.is_none() && e.event != EventName::Corrected)
        .collect();
    let paid = events.iter().find(|e| e.event == EventName::Paid);
    let period = records.penalty_period(reference)?;
    Ok((
        NoticeFigures {
            number: doc.reference.clone(),
            issued_on: doc.issued_on,
            served_on: doc.served_on,
            recipient: doc.recipient_name.clone(),
            recipient_postcode: doc.recipient_postcode.clone(),
            offence_from: period.map(|p| p.0),
            offence_to: period.map(|p| p.1),
            last_day_to_pay: records.last_day_to_pay(reference)?,
            paid_pence: paid.and_then(|e| e.amount_pence),
            paid_on: paid.map(|e| e.on),
        },
        events,
    ))
}

/// The day the notice was withdrawn, if it was.
fn withdrawn_on(events: &[crate::evidence::Event]) -> Option<NaiveDate> {
    events
        .iter()
        .find(|e| e.event == EventName::Withdrawn)
        .map(|e| e.on)
}

/// A withdrawal letter's notice, and the rules on withdrawing it.
pub fn withdrawal(case: &Case, records: &dyn Records) -> Result<NoticeFigures, GatherError> {
    let Some(w) = &case.withdrawal else {
        return Err(required("withdrawal"));
    };
    let parent = case
        .parents
        .get(w.parent)
        .map(|p| (p, "/withdrawal/parent".to_owned()));
    let (notice, events) = notice(case, records, &w.notice, "/withdrawal/notice", parent)?;
    let mut refusals = Vec::new();
    if let Some(on) = withdrawn_on(&events) {
        refusals.push(settled(
            "/withdrawal/notice",
            &notice.number,
            "withdrawn",
            on,
            "pn.settled",
        ));
    }
    if w.ground == crate::rules::events::WithdrawalGround::NotProsecuted {
        if let Some(on) = notice.paid_on {
            refusals.push(Problem::refusal(
                "/withdrawal/ground",
                "withdrawal.ground",
                format!(
                    "notice {} was paid on {}: it cannot be withdrawn as not paid; if it should not have been issued, give that ground and the payment is refunded",
                    notice.number,
                    long(on)
                ),
            ));
        } else if let Some(last) = notice.last_day_to_pay.filter(|&l| case.date <= l) {
            refusals.push(Problem::refusal(
                "/withdrawal/ground",
                "withdrawal.ground",
                format!(
                    "notice {} can still be paid until {}: it is withdrawn as not paid (regulation 9) only after that day",
                    notice.number,
                    long(last)
                ),
            ));
        }
    }
    if refusals.is_empty() {
        Ok(notice)
    } else {
        Err(GatherError::Refused(refusals))
    }
}

/// A decision-to-prosecute record: its notice (if it follows one), its
/// chronology from the register, and the rules on deciding.
pub fn decision(
    case: &Case,
    records: &dyn Records,
    titles: &Titles<'_>,
) -> Result<(DecisionFigures, Option<NoticeFigures>), GatherError> {
    let Some(d) = &case.decision else {
        return Err(required("decision"));
    };
    let mut refusals = Vec::new();
    let laid_by = lapse::limit_date(d.offence_to);
    if case.date > laid_by {
        refusals.push(late("/decision/offence_to", laid_by, d.offence_to));
    }
    if d.route == Route::SingleJustice {
        refusals.extend(sjp_offence(
            d.offence,
            d.defendant_date_of_birth,
            case.date,
            "/decision",
        ));
    }
    let mut figures_notice = None;
    if let Some(reference) = &d.notice {
        let parent = case
            .parents
            .get(d.defendant)
            .map(|p| (p, "/decision/defendant".to_owned()));
        let (notice, events) = notice(case, records, reference, "/decision/notice", parent)?;
        if let Some(on) = notice.paid_on {
            refusals.push(settled(
                "/decision/notice",
                &notice.number,
                "paid",
                on,
                "pn.settled",
            ));
        } else if let Some(on) = withdrawn_on(&events) {
            refusals.push(settled(
                "/decision/notice",
                &notice.number,
                "withdrawn",
                on,
                "pn.settled",
            ));
        } else if let Some(last) = notice.last_day_to_pay.filter(|&l| case.date <= l) {
            refusals.push(Problem::refusal(
                "/decision/notice",
                "decision.not-lapsed",
                format!(
                    "notice {} can still be paid until {}: decide only after that day",
                    notice.number,
                    long(last)
                ),
            ));
        }
        if let Some(e) = events
            .iter()
            .filter(|e| e.event == EventName::Decision)
            .find(|e| e.decision == Some(Decision::Withdraw))
        {
            refusals.push(Problem::refusal(
                "/decision/notice",
                "decision.already-decided",
                format!(
                    "the decision on notice {} was already made on {}: withdraw",
                    notice.number,
                    long(e.on)
                ),
            ));
        }
        if let (Some(from), Some(to)) = (notice.offence_from, notice.offence_to)
            && (from, to) != (d.offence_from, d.offence_to)
        {
            refusals.push(Problem::refusal(
                "/decision/offence_from",
                "decision.notice-period",
                format!(
                    "the prosecution is for the offence the notice was for: notice {} covers {} to {}",
                    notice.number,
                    long(from),
                    long(to)
                ),
            ));
        }
        figures_notice = Some(notice);
    }
    if !refusals.is_empty() {
        return Err(GatherError::Refused(refusals));
    }
    let (section, offence) = crate::rules::court::offence_words(d.offence);
    let days_left = (laid_by - case.date).num_days();
    let mut warnings = Vec::new();
    if days_left <= S127_WARNING_DAYS {
        warnings.push(Warning {
            rule: "mca.s127-time-limit".into(),
            detail: format!(
                "the information must be laid by {} (six months from {}, Magistrates' Courts Act 1980 s127): {days_left} days from the decision",
                long(laid_by),
                lapse::LIMIT_FROM
            ),
        });
    }
    let title =
        |kind: &str, version: &str| titles(kind, version).unwrap_or_else(|| kind_words(kind));
    let mut chronology = Vec::new();
    for doc in records.history(&case.pupil.upn)? {
        if doc.issued_on > case.date || COURT_KINDS.contains(&doc.kind.as_str()) {
            continue;
        }
        let events: Vec<crate::evidence::Event> = records
            .timeline(&doc.reference)?
            .into_iter()
            .filter(|e| e.superseded_by.is_none() && e.event != EventName::Corrected)
            .collect();
        let outcome = outcome(&events);
        chronology.push(ChronologyRow {
            date: doc.issued_on,
            event: format!(
                "{} sent to {}",
                title(&doc.kind, &doc.version),
                doc.recipient_name
            ),
            outcome: (!outcome.is_empty()).then(|| outcome.join("; ")),
            reference: Some(doc.reference),
            exhibit: None,
        });
    }
    Ok((
        DecisionFigures {
            section,
            offence,
            route: route_words(d.route),
            laid_by,
            days_left,
            limit_from: lapse::LIMIT_FROM,
            defendant_age: d
                .defendant_date_of_birth
                .and_then(|b| crate::rules::age_on(b, case.date)),
            chronology,
            warnings,
        },
        figures_notice,
    ))
}

/// The court documents, left out of a decision record's chronology.
const COURT_KINDS: &[&str] = &[
    DECISION_KIND,
    "prosecution-bundle",
    "sjp-notice",
    "eso-application",
];

/// `sjp.offence`: a single justice procedure notice only for a summary
/// offence not punishable with imprisonment, against a person aged 18 or
/// over (Criminal Justice Act 2003 s29(2AA)): s444(1) by a defendant
/// whose date of birth shows it.
pub fn sjp_offence(
    offence: Offence,
    date_of_birth: Option<NaiveDate>,
    on: NaiveDate,
    at: &str,
) -> Vec<Problem> {
    let mut refusals = Vec::new();
    if offence != Offence::S444_1 {
        refusals.push(Problem::refusal(
            format!("{at}/offence"),
            "sjp.offence",
            "the single justice procedure is only for an offence that cannot be punished with prison: section 444(1); section 444(1A) carries up to three months' imprisonment, so it goes to court by requisition",
        ));
    }
    match date_of_birth.and_then(|b| crate::rules::age_on(b, on)) {
        Some(age) if age >= 18 => {}
        Some(age) => refusals.push(Problem::refusal(
            format!("{at}/defendant_date_of_birth"),
            "sjp.offence",
            format!("the defendant is {age}: the single justice procedure is only for a defendant aged 18 or over"),
        )),
        None => refusals.push(Problem::refusal(
            format!("{at}/defendant_date_of_birth"),
            "sjp.offence",
            "is required: the single justice procedure is only for a defendant aged 18 or over, and the date of birth shows it",
        )),
    }
    refusals
}

/// The decision-to-prosecute record for the parent `defendant` for an
/// offence period overlapping `from`..`to`, issued by `on`: the latest.
pub fn decision_record(
    records: &dyn Records,
    history: &[Issued],
    defendant: &Parent,
    period: (NaiveDate, NaiveDate),
    on: NaiveDate,
) -> Result<Option<DecisionRecord>, crate::evidence::RecordsError> {
    let key = person_key(&defendant.given_names, &defendant.family_name);
    let mut found = None;
    for doc in history
        .iter()
        .filter(|d| d.kind == DECISION_KIND && d.issued_on <= on)
    {
        let case = records.case(&doc.reference)?;
        let Ok(decided) = serde_json::from_value::<Case>(case) else {
            return Err(crate::evidence::RecordsError::Corrupt(format!(
                "document {}: its case is not a case",
                doc.reference
            )));
        };
        let Some(d) = &decided.decision else { continue };
        let Some(p) = decided.parents.get(d.defendant) else {
            continue;
        };
        if person_key(&p.given_names, &p.family_name) == key
            && d.offence_from <= period.1
            && d.offence_to >= period.0
        {
            found = Some(DecisionRecord {
                reference: doc.reference.clone(),
                decided_on: decided.date,
                decided_by: format!("{}, {}", d.decided_by.name, d.decided_by.role),
                route: route_words(d.route),
            });
        }
    }
    Ok(found)
}

fn required(section: &str) -> GatherError {
    GatherError::Refused(vec![Problem::new(
        format!("/{section}"),
        "is required for this document",
    )])
}

fn settled(at: &str, number: &str, what: &str, on: NaiveDate, rule: &str) -> Problem {
    Problem::refusal(
        at,
        rule,
        format!(
            "penalty notice {number} was {what} on {}: that ended the matter, so no further letter or step about it can be issued",
            long(on)
        ),
    )
}

/// `mca.s127-time-limit`, refused.
pub fn late(at: &str, laid_by: NaiveDate, offence_to: NaiveDate) -> Problem {
    Problem::refusal(
        at,
        "mca.s127-time-limit",
        format!(
            "the information had to be laid by {} (six months from {}, the last day of the offence period: Magistrates' Courts Act 1980 s127); a prosecution for this period can no longer be brought",
            long(laid_by),
            long(offence_to)
        ),
    )
}

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}
