//! A bundle's checks on what it relies on: every document the chronology
//! cites is produced (an exhibit or unused material), and the weaker gaps
//! a prosecutor should read.

use chrono::NaiveDate;

use crate::case::{Case, Problem, Prosecution, StepKind};
use crate::evidence::{ChronologyRow, Exhibit, Issued, Warning};
use crate::rules::Edition;

/// Within this many days of the six-month limit a bundle warns.
const S127_WARNING_DAYS: i64 = 28;

/// Steps that are documents: a bundle that relies on one must produce it.
const DOCUMENT_STEPS: &[StepKind] = &[
    StepKind::Letter,
    StepKind::Contract,
    StepKind::NoticeToImprove,
    StepKind::PenaltyNotice,
    StepKind::SupportPlan,
    StepKind::Referral,
];

/// Every document the chronology (and so the witness statement) relies on
/// must be an exhibit or in the schedule of unused material: a document
/// step without a reference, or a reference that is neither, is refused
/// (`bundle.relied-on-not-produced`).
pub(super) fn unproduced(
    p: &Prosecution,
    chronology: &[ChronologyRow],
    exhibits: &[Exhibit],
) -> Vec<Problem> {
    let scheduled = |r: &str| {
        p.unused_material
            .iter()
            .any(|u| u.reference.as_deref() == Some(r))
    };
    let produced = |r: &str| label_of(exhibits, r).is_some() || scheduled(r);
    let mut refusals = Vec::new();
    for (i, step) in p.chronology.iter().enumerate() {
        if DOCUMENT_STEPS.contains(&step.kind) && step.reference.is_none() {
            refusals.push(Problem::refusal(
                format!("/prosecution/chronology/{i}/reference"),
                "bundle.relied-on-not-produced",
                "this step is a document the bundle relies on: give its reference, and produce it as an exhibit or list it (with that reference) in the schedule of unused material",
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for row in chronology {
        let Some(reference) = row.reference.as_deref() else {
            continue;
        };
        if produced(reference) || !seen.insert(reference) {
            continue;
        }
        let at = p
            .chronology
            .iter()
            .position(|e| e.reference.as_deref() == Some(reference))
            .map_or_else(
                || "/prosecution/unused_material".to_owned(),
                |i| format!("/prosecution/chronology/{i}/reference"),
            );
        refusals.push(Problem::refusal(
            at,
            "bundle.relied-on-not-produced",
            format!(
                "the chronology relies on {reference} ({}, {}), which is neither an exhibit nor in the schedule of unused material: exhibit it, or list it there with `reference` {reference}",
                row.event,
                row.date.format("%-d %B %Y")
            ),
        ));
    }
    refusals
}

/// The label of the exhibit of a reference, if it was produced.
pub(super) fn label_of(exhibits: &[Exhibit], reference: &str) -> Option<String> {
    exhibits
        .iter()
        .find(|e| e.reference.as_deref() == Some(reference))
        .map(|e| e.label.clone())
}

/// The weaker gaps a prosecutor should read.
pub(super) fn warnings(
    case: &Case,
    p: &Prosecution,
    edition: Edition,
    history: &[Issued],
    exhibits: &[Exhibit],
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let mut warn = |rule: &str, detail: String| {
        warnings.push(Warning {
            rule: rule.to_owned(),
            detail,
        });
    };
    let has_kind = |kinds: &[&str], steps: &[StepKind]| {
        history.iter().any(|d| kinds.contains(&d.kind.as_str()))
            || p.chronology.iter().any(|e| steps.contains(&e.kind))
    };
    let laid_by = crate::rules::lapse::limit_date(p.offence_to);
    let left = (laid_by - case.date).num_days();
    if (0..=S127_WARNING_DAYS).contains(&left) {
        warn(
            "mca.s127-time-limit",
            format!(
                "the information must be laid by {} (six months from the last day of the offence period, Magistrates' Courts Act 1980 s127): {left} days from the bundle's date",
                laid_by.format("%-d %B %Y")
            ),
        );
    }
    if edition == Edition::Kpas2024
        && !has_kind(&["notice-to-improve"], &[StepKind::NoticeToImprove])
    {
        warn(
            "bundle.no-notice-to-improve",
            "no notice to improve is on file for this child: the court may ask whether the parent was warned and given time to improve".into(),
        );
    }
    if !has_kind(
        &[
            "attendance-contract",
            "parenting-contract",
            "formal-attendance-meeting-invitation",
        ],
        &[StepKind::Contract, StepKind::FormalMeeting],
    ) {
        warn(
            "bundle.no-support-on-record",
            "no attendance contract or formal attendance meeting is on record: the bundle does not show that support was offered first".into(),
        );
    }
    if let Some(offer) = p
        .interview
        .as_ref()
        .and_then(|iv| iv.offer_reference.as_deref())
        && label_of(exhibits, offer).is_none()
    {
        warn(
            "bundle.interview-offer-not-exhibited",
            format!("the letter offering the interview ({offer}) is not among the exhibits"),
        );
    }
    let marks: Vec<NaiveDate> = case
        .attendance
        .iter()
        .flat_map(|a| &a.sessions)
        .map(|m| m.date)
        .filter(|d| *d >= p.offence_from && *d <= p.offence_to)
        .collect();
    let (first, last) = (marks.iter().min(), marks.iter().max());
    let school_days = |from: NaiveDate, to: NaiveDate| {
        from.iter_days()
            .take_while(|d| *d < to)
            .any(crate::rules::calendar::is_working_day)
    };
    if first.is_some_and(|f| school_days(p.offence_from, *f))
        || last.is_some_and(|l| {
            school_days(
                l.succ_opt().unwrap_or(*l),
                p.offence_to.succ_opt().unwrap_or(p.offence_to),
            )
        })
    {
        warn(
            "bundle.register-partial",
            "the register marks given do not cover the whole offence period: the certificate shows only the days given".into(),
        );
    }
    warnings
}
