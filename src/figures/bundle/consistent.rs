//! One case, one story: what each exhibit stated, from the case it was
//! issued with, against the bundle's own case. The Ombudsman finds fault
//! where a council's documents in one case disagree (LGO 25 004 015,
//! `../shared/docs/domain.md` §9); a disagreement is a warning naming
//! both documents and both values (`bundle.inconsistent-figures`), for a
//! prosecutor to explain or put right before the bundle is served.
//!
//! Compared where they can be: the attendance counts of an exhibit that
//! states the same period as the bundle, the pupil's date of birth, and a
//! penalty notice's offence period against the prosecution's.

use chrono::NaiveDate;
use serde_json::Value;

use crate::case::Case;
use crate::evidence::{Exhibit, Records, RecordsError, Warning};

/// The attendance counts a case states, by field.
const COUNTS: &[(&str, &str)] = &[
    ("possible_sessions", "possible sessions"),
    ("authorised_absences", "sessions of authorised absence"),
    ("unauthorised_absences", "sessions of unauthorised absence"),
];

fn day(value: &Value, pointer: &str) -> Option<NaiveDate> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// The warnings for every exhibit whose case disagrees with `case`.
pub(super) fn inconsistent(
    case: &Case,
    exhibits: &[Exhibit],
    records: &dyn Records,
) -> Result<Vec<Warning>, RecordsError> {
    let mut out = Vec::new();
    let Some(p) = &case.prosecution else {
        return Ok(out);
    };
    for e in exhibits {
        let Some(reference) = e.reference.as_deref() else {
            continue;
        };
        let stated = records.case(reference)?;
        let mut warn = |what: String| {
            out.push(Warning {
                rule: "bundle.inconsistent-figures".into(),
                detail: format!(
                    "exhibit {} ({reference}) {what}: check which is right before the bundle is served",
                    e.label
                ),
            });
        };
        if let Some(theirs) = day(&stated, "/pupil/date_of_birth")
            && theirs != case.pupil.date_of_birth
        {
            warn(format!(
                "gives the child's date of birth as {}; this bundle's case gives {}",
                long(theirs),
                long(case.pupil.date_of_birth)
            ));
        }
        if let Some(a) = &case.attendance
            && day(&stated, "/attendance/from") == Some(a.from)
            && day(&stated, "/attendance/to") == Some(a.to)
        {
            let ours = [
                a.possible_sessions,
                a.authorised_absences,
                a.unauthorised_absences,
            ];
            for ((field, words), ours) in COUNTS.iter().zip(ours) {
                let theirs = stated
                    .pointer(&format!("/attendance/{field}"))
                    .and_then(Value::as_u64);
                if let Some(theirs) = theirs
                    && theirs != u64::from(ours)
                {
                    warn(format!(
                        "states {theirs} {words} from {} to {}; this bundle's case states {ours} for the same period",
                        long(a.from),
                        long(a.to)
                    ));
                }
            }
        }
        if let (Some(from), Some(to)) = (
            day(&stated, "/penalty/offence_from"),
            day(&stated, "/penalty/offence_to"),
        ) && from <= p.offence_to
            && p.offence_from <= to
            && (from, to) != (p.offence_from, p.offence_to)
        {
            warn(format!(
                "is a penalty notice for {} to {}; the prosecution's offence period is {} to {}",
                long(from),
                long(to),
                long(p.offence_from),
                long(p.offence_to)
            ));
        }
    }
    Ok(out)
}
