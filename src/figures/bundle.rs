//! A court bundle's rules applied to what the register holds: its
//! exhibits are the PDFs the parent was actually sent, byte for byte and
//! labelled (`RA/1`, `RA/2`...); its chronology adds every document issued
//! about the child and what became of it; the register decides three
//! refusals (an exhibit it does not hold, one about another pupil, a
//! penalty notice for the offence period that was paid or withdrawn) and
//! the warnings a prosecutor should read (no notice to improve on file, no
//! support step on record...).
//!
//! The result, [`Evidence`], goes into the render: its figures to the
//! template as `figures.bundle`, its files into the render's world at fixed
//! paths (`/exhibits/1.pdf`..., `/bundle/case.json`) that the template
//! places and attaches.

use chrono::NaiveDate;
use serde_json::Value;

use crate::case::{Case, InterviewOutcome, Parent, Problem, Prosecution, StepKind};
use crate::evidence::{
    BundleFigures, CASE_FILE, ChronologyRow, EventName, Evidence, Exhibit, Issued, MAX_EXHIBITS,
    Records, RecordsError, Warning, person_key,
};
use crate::rules::Edition;

/// Why the register's evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum GatherError {
    /// The case cannot support the bundle: each problem names its rule.
    #[error("the case cannot support a prosecution")]
    Refused(Vec<Problem>),
    /// The records could not be read.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// Files for the render's world: virtual path, bytes.
type Files = Vec<(String, Vec<u8>)>;

/// A document's title as its version's catalogue entry gives it (each
/// edition names its documents its own way): `(kind, version) → title`.
pub type Titles<'a> = dyn Fn(&str, &str) -> Option<String> + 'a;

/// A document kind's plain name, for the chronology.
fn kind_words(kind: &str) -> String {
    let words = kind.replace('-', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => words,
    }
}

fn step_words(kind: StepKind, edition: Edition) -> &'static str {
    let pias = edition == Edition::Pias;
    match kind {
        StepKind::Letter => "Letter",
        StepKind::Call => "Telephone call",
        StepKind::Meeting => "Meeting",
        StepKind::HomeVisit => "Home visit",
        StepKind::Referral => "Referral",
        StepKind::SupportPlan => "Support plan",
        StepKind::FormalMeeting => "Formal attendance meeting",
        StepKind::Contract if pias => "Parenting contract",
        StepKind::Contract => "Attendance contract",
        StepKind::NoticeToImprove => "Notice to improve",
        StepKind::PenaltyNotice if pias => "Fixed penalty notice",
        StepKind::PenaltyNotice => "Penalty notice",
        StepKind::Aim => "Attendance Improvement Meeting",
        StepKind::Interview => "Interview under caution",
        StepKind::Other => "Other",
    }
}

/// The initials exhibits are labelled with: given, else from the name
/// (titles such as `Ms` left out).
fn initials(case: &Case) -> String {
    let Some(p) = &case.prosecution else {
        return "EX".into();
    };
    if let Some(i) = &p.witness.initials {
        return i.clone();
    }
    const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr"];
    let letters: String = p
        .witness
        .name
        .split_whitespace()
        .filter(|w| !TITLES.contains(&w.trim_end_matches('.').to_lowercase().as_str()))
        .filter_map(|w| w.chars().find(char::is_ascii_alphabetic))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match letters.len() {
        0 => "EX".into(),
        1..=4 => letters,
        _ => format!("{}{}", &letters[..1], &letters[letters.len() - 1..]),
    }
}

/// Gathers the register's evidence for the bundle `case` (already checked
/// on its own; `posted` is the JSON it was posted as, attached to the
/// bundle as it came), or refuses it, naming each rule.
pub fn gather(
    case: &Case,
    posted: &Value,
    edition: Edition,
    records: &dyn Records,
    titles: &Titles<'_>,
) -> Result<Evidence, GatherError> {
    let title =
        |kind: &str, version: &str| titles(kind, version).unwrap_or_else(|| kind_words(kind));
    let Some(p) = &case.prosecution else {
        return Err(GatherError::Refused(vec![Problem::new(
            "/prosecution",
            "is required for this document",
        )]));
    };
    // `case::check` has made sure the defendant is one of the parents.
    let Some(defendant) = case.parents.get(p.defendant) else {
        return Err(GatherError::Refused(vec![Problem::new(
            "/prosecution/defendant",
            "is not one of the case's parents",
        )]));
    };
    let mut refusals = Vec::new();
    let (mut exhibits, mut files) = exhibits(case, p, records, &title, &mut refusals)?;
    let interview_exhibit = interview_exhibit(case, p, &mut exhibits);
    let history = records.history(&case.pupil.upn)?;
    let (chronology, settled) = chronology(
        case,
        p,
        defendant,
        edition,
        records,
        &history,
        &exhibits,
        interview_exhibit.as_deref(),
        &title,
    )?;
    for reference in settled {
        refusals.push(Problem::refusal(
            "/prosecution/offence_from",
            "bundle.penalty-notice-settled",
            format!(
                "penalty notice {reference} for this offence period was paid or withdrawn: a parent who paid cannot be prosecuted for the same absence, and a withdrawn notice ended the matter"
            ),
        ));
    }
    refusals.extend(unproduced(p, &chronology, &exhibits));
    if !refusals.is_empty() {
        return Err(GatherError::Refused(refusals));
    }
    let warnings = warnings(case, p, edition, &history, &exhibits);
    let attached = serde_json::to_vec_pretty(&served(posted, p.defendant))
        .map_err(|e| RecordsError::Corrupt(format!("the case to attach: {e}")))?;
    files.push((CASE_FILE.to_owned(), attached));
    Ok(Evidence {
        figures: BundleFigures {
            exhibits,
            interview_exhibit,
            chronology,
            warnings,
            case_file: CASE_FILE.to_owned(),
        },
        files,
    })
}

/// The case's sections a bundle relies on; every other section (a
/// referral to children's social care, a plan, a meeting) stays out of
/// what is served on the defence.
const SERVED_SECTIONS: &[&str] = &[
    "reference",
    "date",
    "school",
    "pupil",
    "parents",
    "attendance",
    "officer",
    "authority",
    "prosecution",
    "history",
];

/// What a parent other than the defendant keeps in the served case: who
/// they are to the child (the certificate of attendance names them), not
/// where they live or how to reach them.
const OTHER_PARENT_FIELDS: &[&str] = &[
    "title",
    "given_names",
    "family_name",
    "relationship",
    "parental_responsibility",
];

/// The case as it is attached to the bundle, and so served on the defence
/// with it: only what the prosecution relies on about the defendant and
/// the child (data minimisation, UK GDPR art. 5(1)(c)).
pub fn served(posted: &Value, defendant: usize) -> Value {
    let Some(object) = posted.as_object() else {
        return posted.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in object {
        if !SERVED_SECTIONS.contains(&key.as_str()) {
            continue;
        }
        let value = match (key.as_str(), value) {
            ("parents", Value::Array(parents)) => Value::Array(
                parents
                    .iter()
                    .enumerate()
                    .map(|(i, parent)| match parent.as_object() {
                        Some(fields) if i != defendant => Value::Object(
                            fields
                                .iter()
                                .filter(|(k, _)| OTHER_PARENT_FIELDS.contains(&k.as_str()))
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        ),
                        _ => parent.clone(),
                    })
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// The exhibits the case cites, from the register, with their files; a
/// reference the register does not hold, or holds about another pupil, is
/// refused.
fn exhibits(
    case: &Case,
    p: &Prosecution,
    records: &dyn Records,
    title: &dyn Fn(&str, &str) -> String,
    refusals: &mut Vec<Problem>,
) -> Result<(Vec<Exhibit>, Files), GatherError> {
    let prefix = initials(case);
    let mut exhibits = Vec::new();
    let mut files = Vec::new();
    for (i, x) in p.exhibits.iter().enumerate().take(MAX_EXHIBITS) {
        let at = format!("/prosecution/exhibits/{i}/reference");
        let Some(issued) = records.document(&x.reference)? else {
            refusals.push(Problem::refusal(
                at,
                "bundle.exhibit-not-found",
                not_this_pupils(&x.reference),
            ));
            continue;
        };
        // Another pupil's document gets the same answer as one that does
        // not exist: a bundle is no way to learn whose a reference is.
        if issued.pupil_upn != case.pupil.upn {
            refusals.push(Problem::refusal(
                at,
                "bundle.exhibit-not-found",
                not_this_pupils(&x.reference),
            ));
            continue;
        }
        let pdf = records.pdf(&x.reference)?;
        let pages = lopdf::Document::load_mem(&pdf)
            .map_err(|e| RecordsError::Corrupt(format!("the PDF of {}: {e}", x.reference)))?
            .get_pages()
            .len();
        let number = exhibits.len() + 1;
        let file = format!("/exhibits/{number}.pdf");
        files.push((file.clone(), pdf));
        exhibits.push(Exhibit {
            label: format!("{prefix}/{number}"),
            number,
            reference: Some(x.reference.clone()),
            description: x
                .description
                .clone()
                .unwrap_or_else(|| title(&issued.kind, &issued.version)),
            issued_on: Some(issued.issued_on),
            recipient: Some(issued.recipient_name.clone()),
            pages,
            sha256: Some(issued.pdf_sha256.clone()),
            file: Some(file),
        });
    }
    if p.exhibits.len() > MAX_EXHIBITS {
        refusals.push(Problem::new(
            "/prosecution/exhibits",
            format!("a bundle holds at most {MAX_EXHIBITS} exhibits"),
        ));
    }
    Ok((exhibits, files))
}

/// The record of an attended interview under caution, as the last exhibit:
/// its label.
fn interview_exhibit(case: &Case, p: &Prosecution, exhibits: &mut Vec<Exhibit>) -> Option<String> {
    let iv = p
        .interview
        .as_ref()
        .filter(|iv| iv.outcome == InterviewOutcome::Attended && !iv.record.is_empty())?;
    let number = exhibits.len() + 1;
    let label = format!("{}/{number}", initials(case));
    exhibits.push(Exhibit {
        label: label.clone(),
        number,
        reference: None,
        description: "Record of the interview under caution".into(),
        issued_on: iv.held_on,
        recipient: None,
        pages: 0,
        sha256: None,
        file: None,
    });
    Some(label)
}

/// What became of a document: its events after issue, in words.
fn outcome(events: &[crate::evidence::Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event != EventName::Issued)
        .map(|e| {
            let on = e.on.format("%-d %B %Y");
            match e.event {
                EventName::Paid => format!(
                    "paid on {on}{}",
                    e.amount_pence
                        .map(|p| format!(" (£{}.{:02})", p / 100, p % 100))
                        .unwrap_or_default()
                ),
                EventName::Withdrawn => format!(
                    "withdrawn on {on}{}",
                    e.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                other => format!("{} on {on}", other.as_str().replace('-', " ")),
            }
        })
        .collect()
}

/// The chronology: the case's steps and every document issued about the
/// child, with what became of each, in date order; and the penalty notices
/// to the defendant for the offence period that were paid or withdrawn.
#[allow(clippy::too_many_arguments)]
fn chronology(
    case: &Case,
    p: &Prosecution,
    defendant: &Parent,
    edition: Edition,
    records: &dyn Records,
    history: &[Issued],
    exhibits: &[Exhibit],
    interview_exhibit: Option<&str>,
    title: &dyn Fn(&str, &str) -> String,
) -> Result<(Vec<ChronologyRow>, Vec<String>), GatherError> {
    let defendant_key = person_key(&defendant.given_names, &defendant.family_name);
    let label_of = |reference: &str| label_of(exhibits, reference);
    let mut chronology: Vec<ChronologyRow> = p
        .chronology
        .iter()
        .map(|e| ChronologyRow {
            date: e.date,
            event: format!("{}: {}", step_words(e.kind, edition), e.summary),
            outcome: e.outcome.clone(),
            reference: e.reference.clone(),
            exhibit: e.reference.as_deref().and_then(label_of),
        })
        .collect();
    let mut settled = Vec::new();
    for doc in history {
        if doc.kind == "prosecution-bundle" || doc.issued_on > case.date {
            continue;
        }
        // What stands: an event recorded in error, and its correction, are
        // left out.
        let events: Vec<crate::evidence::Event> = records
            .timeline(&doc.reference)?
            .into_iter()
            .filter(|e| e.superseded_by.is_none() && e.event != EventName::Corrected)
            .collect();
        let outcome = outcome(&events);
        if doc.kind == "penalty-notice"
            && person_key(&doc.recipient_name, "").ends_with(&defendant_key)
            && events.iter().any(|e| e.event.ends_the_matter())
            && records
                .penalty_period(&doc.reference)?
                .is_some_and(|(from, to)| from <= p.offence_to && to >= p.offence_from)
        {
            settled.push(doc.reference.clone());
        }
        chronology.push(ChronologyRow {
            date: doc.issued_on,
            event: format!(
                "{} sent to {}",
                title(&doc.kind, &doc.version),
                doc.recipient_name
            ),
            outcome: (!outcome.is_empty()).then(|| outcome.join("; ")),
            reference: Some(doc.reference.clone()),
            exhibit: label_of(&doc.reference),
        });
    }
    if let Some(iv) = &p.interview {
        let answer = match iv.outcome {
            InterviewOutcome::Attended => "accepted",
            InterviewOutcome::Declined => "declined",
            InterviewOutcome::NoResponse => "no response",
        };
        // The offer: its letter's row from the register if docket issued
        // it, else a row of its own.
        let letter = iv.offer_reference.as_deref().and_then(|r| {
            chronology
                .iter_mut()
                .find(|row| row.reference.as_deref() == Some(r))
        });
        match letter {
            Some(row) => {
                row.outcome = Some(match row.outcome.take() {
                    Some(o) => format!("{o}; {answer}"),
                    None => answer.to_owned(),
                });
            }
            None => chronology.push(ChronologyRow {
                date: iv.offered_on,
                event: "Interview under caution offered".into(),
                outcome: Some(answer.into()),
                reference: iv.offer_reference.clone(),
                exhibit: None,
            }),
        }
        if let (InterviewOutcome::Attended, Some(held)) = (iv.outcome, iv.held_on) {
            chronology.push(ChronologyRow {
                date: held,
                event: format!(
                    "Interview under caution of {} {}",
                    defendant.given_names, defendant.family_name
                ),
                outcome: Some("held and recorded".into()),
                reference: None,
                exhibit: interview_exhibit.map(str::to_owned),
            });
        }
    }
    if let Some(e) = &p.eso_considered {
        chronology.push(ChronologyRow {
            date: e.on,
            event: format!("Education supervision order considered by {}", e.by),
            outcome: Some("prosecution chosen (reasons below)".into()),
            reference: None,
            exhibit: None,
        });
    }
    chronology.sort_by_key(|row| row.date);
    Ok((chronology, settled))
}

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
fn unproduced(p: &Prosecution, chronology: &[ChronologyRow], exhibits: &[Exhibit]) -> Vec<Problem> {
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
fn label_of(exhibits: &[Exhibit], reference: &str) -> Option<String> {
    exhibits
        .iter()
        .find(|e| e.reference.as_deref() == Some(reference))
        .map(|e| e.label.clone())
}

/// The weaker gaps a prosecutor should read.
fn warnings(
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

/// The refusal of an exhibit that is not a document issued about this
/// pupil, whether it exists or not.
fn not_this_pupils(reference: &str) -> String {
    format!(
        "no document with the reference {reference} was issued about this pupil: an exhibit must be a document the parent was sent, from the register"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_case_holds_only_what_the_prosecution_relies_on() {
        let posted = serde_json::json!({
            "reference": "R1", "date": "2026-11-23",
            "pupil": {"given_names": "Ava"},
            "parents": [
                {"given_names": "Jo", "family_name": "Day", "relationship": "mother",
                 "parental_responsibility": true, "address": {"lines": ["1 High St"]}, "language": "pl"},
                {"given_names": "Sam", "family_name": "Day", "relationship": "father",
                 "parental_responsibility": true, "address": {"lines": ["9 Low Rd"]}}
            ],
            "referral": {"agency": "Front Door"},
            "prosecution": {"defendant": 1}
        });
        let served = served(&posted, 1);
        assert!(served.get("referral").is_none(), "{served}");
        assert_eq!(served["parents"][1], posted["parents"][1]);
        assert_eq!(
            served["parents"][0],
            serde_json::json!({"given_names": "Jo", "family_name": "Day", "relationship": "mother", "parental_responsibility": true})
        );
        assert_eq!(served["prosecution"], posted["prosecution"]);
    }

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(kind_words("notice-to-improve"), "Notice to improve");
    }
}
