//! The court sections' own checks on the case alone: dates in order and a
//! defendant who exists. Those that need the edition or the register are
//! made when the document is checked (`figures`) and its evidence gathered.

use super::iso;
use crate::case::{Case, Problem};

/// The court documents' own checks on the case alone (those that need the
/// register or the edition are made when the bundle is put together).
pub(super) fn check_court(case: &Case, problems: &mut Vec<Problem>) {
    let date = case.date;
    let mut push = |pointer: &str, detail: String| problems.push(Problem::new(pointer, detail));
    if let Some(p) = &case.prosecution {
        if p.offence_from > p.offence_to {
            push(
                "/prosecution/offence_to",
                format!(
                    "is before the start of the period ({})",
                    iso(p.offence_from)
                ),
            );
        }
        if p.offence_to > date {
            push(
                "/prosecution/offence_to",
                format!("is after the bundle's date ({})", iso(date)),
            );
        }
        if p.defendant >= case.parents.len() {
            push(
                "/prosecution/defendant",
                format!(
                    "parent {} does not exist: the case lists {} parent(s) or carer(s), numbered from 0",
                    p.defendant,
                    case.parents.len()
                ),
            );
        }
        for (i, e) in p.chronology.iter().enumerate() {
            if e.date > date {
                push(
                    &format!("/prosecution/chronology/{i}/date"),
                    format!(
                        "is after the bundle's date ({}); the chronology records what has happened",
                        iso(date)
                    ),
                );
            }
        }
        if let Some(iv) = &p.interview {
            if iv.outcome == crate::case::InterviewOutcome::Attended && iv.held_on.is_none() {
                push(
                    "/prosecution/interview/held_on",
                    "is required when the parent attended the interview".into(),
                );
            }
            if iv.outcome == crate::case::InterviewOutcome::Attended && iv.record.is_empty() {
                push("/prosecution/interview/record", "is required when the parent attended the interview: it is produced as an exhibit".into());
            }
            if iv.offered_on > date {
                push(
                    "/prosecution/interview/offered_on",
                    format!("is after the bundle's date ({})", iso(date)),
                );
            }
        }
        if let Some(e) = &p.eso_considered
            && e.on > date
        {
            push(
                "/prosecution/eso_considered/on",
                format!("is after the bundle's date ({})", iso(date)),
            );
        }
    }
    if let Some(e) = &case.eso {
        if e.social_care.on > date {
            push(
                "/eso/social_care/on",
                format!("is after the statement's date ({})", iso(date)),
            );
        }
        for (i, step) in e.support.iter().enumerate() {
            if step.date > date {
                push(
                    &format!("/eso/support/{i}/date"),
                    format!(
                        "is after the statement's date ({}); it records support already tried",
                        iso(date)
                    ),
                );
            }
        }
    }
}

/// The checks of the sections for what follows a notice, on the case
/// alone: parents that exist, dates in order and not after the document.
pub(super) fn check_after(case: &Case, problems: &mut Vec<Problem>) {
    let date = case.date;
    let parents = case.parents.len();
    let mut push = |pointer: &str, detail: String| problems.push(Problem::new(pointer, detail));
    let missing = |i: usize| {
        format!(
            "parent {i} does not exist: the case lists {parents} parent(s) or carer(s), numbered from 0"
        )
    };
    if let Some(w) = &case.withdrawal
        && w.parent >= parents
    {
        push("/withdrawal/parent", missing(w.parent));
    }
    if let Some(d) = &case.decision {
        if d.defendant >= parents {
            push("/decision/defendant", missing(d.defendant));
        }
        if d.offence_from > d.offence_to {
            push(
                "/decision/offence_to",
                format!(
                    "is before the start of the period ({})",
                    iso(d.offence_from)
                ),
            );
        }
        if d.offence_to > date {
            push(
                "/decision/offence_to",
                format!("is after the decision's date ({})", iso(date)),
            );
        }
        if d.eso_considered.on > date {
            push(
                "/decision/eso_considered/on",
                format!("is after the decision's date ({})", iso(date)),
            );
        }
    }
    if let Some(x) = &case.exclusion {
        for (i, n) in x.notices.iter().enumerate() {
            if n.parent >= parents {
                push(&format!("/exclusion/notices/{i}/parent"), missing(n.parent));
            }
        }
        if x.found_on > date {
            push(
                "/exclusion/found_on",
                format!("is after the notice's date ({})", iso(date)),
            );
        }
        if x.notified_on > date {
            push(
                "/exclusion/notified_on",
                format!("is after the notice's date ({})", iso(date)),
            );
        }
    }
}
