//! The checks of the framework's later steps: dates in order (nothing
//! recorded as done after the document's date) and references to parents
//! that exist.

use chrono::NaiveDate;

use super::iso;
use crate::case::{Case, Problem};
use crate::rules;

/// Checks the sections of the framework's later steps: dates in order and
/// references to parents that exist.
pub(super) fn check_steps(case: &Case, problems: &mut Vec<Problem>) {
    let date = case.date;
    let mut push = |pointer: &str, detail: String| problems.push(Problem::new(pointer, detail));
    let mut not_after_document = |pointer: &str, day: NaiveDate, what: &str| {
        if day > date {
            push(
                pointer,
                format!("is after the document date ({}); {what}", iso(date)),
            );
        }
    };
    if let Some(day) = case
        .penalty
        .as_ref()
        .and_then(|p| p.notice_to_improve_issued_on)
    {
        not_after_document(
            "/penalty/notice_to_improve_issued_on",
            day,
            "record a notice to improve once it has been issued",
        );
    }
    for (i, step) in case.history.iter().flatten().enumerate() {
        not_after_document(
            &format!("/history/{i}/date"),
            step.date,
            "the history records what has already happened",
        );
    }
    if let Some(plan) = &case.plan {
        not_after_document(
            "/plan/meeting_date",
            plan.meeting_date,
            "the plan records a meeting already held",
        );
    }
    if let Some(contract) = &case.contract {
        not_after_document(
            "/contract/agreed_on",
            contract.agreed_on,
            "the contract is printed once agreed",
        );
    }
    if let Some(r) = &case.referral
        && let Some(on) = r.consent.on
    {
        not_after_document("/referral/consent/on", on, "consent is recorded once given");
    }
    if let Some(plan) = &case.plan {
        if plan.review_date <= plan.meeting_date {
            push(
                "/plan/review_date",
                format!("must be after the meeting ({})", iso(plan.meeting_date)),
            );
        }
        for (i, action) in plan.actions.iter().enumerate() {
            if action.by < plan.meeting_date {
                push(
                    &format!("/plan/actions/{i}/by"),
                    format!("is before the meeting ({})", iso(plan.meeting_date)),
                );
            }
        }
    }
    if let Some(e) = &case.evidence {
        let mut seen = std::collections::BTreeSet::new();
        for (i, item) in e.sessions.iter().enumerate() {
            let at = format!("/evidence/sessions/{i}");
            if !seen.insert((item.date, item.session)) {
                push(&at, "repeats a session already listed".into());
            }
            if item.date > date {
                push(
                    &format!("{at}/date"),
                    format!(
                        "is after the letter's date ({}); evidence is asked for past absences",
                        iso(date)
                    ),
                );
            }
            let Some(a) = &case.attendance else { continue };
            if item.date < a.from || item.date > a.to {
                push(
                    &format!("{at}/date"),
                    format!(
                        "is outside the attendance period ({} to {})",
                        iso(a.from),
                        iso(a.to)
                    ),
                );
            }
            let mark = a
                .sessions
                .iter()
                .find(|m| m.date == item.date && m.session == item.session);
            if let Some(m) = mark
                && rules::codes::lookup(&m.code, m.date)
                    .is_some_and(|(c, _)| c == rules::codes::Category::Present)
            {
                push(
                    &at,
                    format!(
                        "the register marks this session `{}`, present; only absences need evidence",
                        m.code
                    ),
                );
            }
        }
    }
    if let Some(v) = &case.visit {
        match v.outcome {
            crate::case::VisitOutcome::Planned => {
                let earliest = rules::calendar::add_working_days(
                    date,
                    rules::penalty::DEEMED_SERVICE_WORKING_DAYS,
                );
                if earliest.is_none_or(|e| v.date < e) {
                    push(
                        "/visit/date",
                        format!(
                            "is too soon: the letter is taken to arrive on the second working day after {}, so announce a visit on {} or later",
                            iso(date),
                            earliest.map_or_else(String::new, iso)
                        ),
                    );
                } else if !rules::calendar::is_working_day(v.date) {
                    push(
                        "/visit/date",
                        "is a weekend or bank holiday; visits are made on working days".into(),
                    );
                }
            }
            crate::case::VisitOutcome::NoAnswer if v.date > date => push(
                "/visit/date",
                format!(
                    "is after the letter's date ({}); a visit with nobody in is written up after it happens",
                    iso(date)
                ),
            ),
            crate::case::VisitOutcome::NoAnswer => {}
        }
    }
    if let Some(r) = &case.referral {
        if rules::normalise_postcode(&r.agency.address.postcode).is_none() {
            push(
                "/referral/agency/address/postcode",
                "is not a valid UK postcode".into(),
            );
        }
        let c = &r.consent;
        if c.given {
            match c.parent {
                None => push(
                    "/referral/consent/parent",
                    "is required when consent was given: which parent agreed".into(),
                ),
                Some(i)
                    if case
                        .parents
                        .get(i)
                        .is_none_or(|p| !p.parental_responsibility) =>
                {
                    push(
                        "/referral/consent/parent",
                        format!("must be a parent with parental responsibility; parent {i} is not"),
                    )
                }
                Some(_) => {}
            }
            if c.on.is_none() {
                push(
                    "/referral/consent/on",
                    "is required when consent was given: when they agreed".into(),
                );
            }
        }
    }
    if let Some(nti) = &case.improvement {
        for (i, c) in nti.closures.iter().enumerate() {
            if c.to < c.from {
                push(
                    &format!("/improvement/closures/{i}/to"),
                    format!("is before the first day of the closure ({})", iso(c.from)),
                );
            }
        }
    }
    if let Some(iv) = &case.interview {
        if let Err(e) = rules::check_meeting_date(date, iv.date) {
            push("/interview/date", e.to_string());
        }
        if iv.offence_from > iv.offence_to {
            push(
                "/interview/offence_to",
                format!(
                    "is before the start of the period ({})",
                    iso(iv.offence_from)
                ),
            );
        }
        if iv.offence_to > date {
            push(
                "/interview/offence_to",
                format!("is after the letter's date ({})", iso(date)),
            );
        }
    }
}
