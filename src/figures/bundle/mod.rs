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

mod checks;
mod consistent;
mod served;
mod sjp;

use serde_json::Value;

use crate::case::{Case, InterviewOutcome, Parent, Problem, Prosecution, StepKind};
use crate::evidence::{
    BundleFigures, CASE_FILE, ChronologyRow, EventName, Evidence, Exhibit, Issued, MAX_EXHIBITS,
    Records, RecordsError, person_key,
};
use crate::rules::Edition;

use super::after;
pub use super::records::{GatherError, Titles};
use super::records::{kind_words, outcome};
use checks::{label_of, unproduced, warnings};
pub use served::served;
pub use sjp::Gathered;
use sjp::sjp_notice;

/// Files for the render's world: virtual path, bytes.
type Files = Vec<(String, Vec<u8>)>;

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
    decision_required: bool,
) -> Result<Gathered, GatherError> {
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
    // LGO 21 010 042: the decision to prosecute must be on record.
    let decision_record = after::decision_record(
        records,
        &history,
        defendant,
        (p.offence_from, p.offence_to),
        case.date,
    )?;
    let no_record = format!(
        "no decision to prosecute {} {} for this offence period is on record: issue the decision-to-prosecute record first",
        defendant.given_names, defendant.family_name
    );
    if decision_record.is_none() && decision_required {
        refusals.push(Problem::refusal(
            "/prosecution/defendant",
            "bundle.decision-record",
            no_record.clone(),
        ));
    }
    let notice = match &case.sjp {
        Some(sjp) => sjp_notice(case, records, sjp, defendant, &exhibits, &mut refusals)?,
        None => None,
    };
    if !refusals.is_empty() {
        return Err(GatherError::Refused(refusals));
    }
    let mut warnings = warnings(case, p, edition, &history, &exhibits);
    if decision_record.is_none() {
        warnings.push(crate::evidence::Warning {
            rule: "bundle.decision-record".into(),
            detail: no_record,
        });
    }
    warnings.extend(consistent::inconsistent(case, &exhibits, records)?);
    let attached = serde_json::to_vec_pretty(&served(posted, p.defendant))
        .map_err(|e| RecordsError::Corrupt(format!("the case to attach: {e}")))?;
    files.push((CASE_FILE.to_owned(), attached));
    Ok(Gathered {
        evidence: Evidence {
            figures: BundleFigures {
                exhibits,
                interview_exhibit,
                chronology,
                warnings,
                case_file: CASE_FILE.to_owned(),
            },
            files,
        },
        decision_record,
        notice,
    })
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
        let document = lopdf::Document::load_mem(&pdf)
            .map_err(|e| RecordsError::Corrupt(format!("the PDF of {}: {e}", x.reference)))?;
        let page_text = page_texts(&document);
        let pages = page_text.len();
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
            page_text,
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

/// Each page's text, in reading order as the PDF draws it, with its white
/// space made single: the alternative text of the page where an accessible
/// bundle draws it. A page whose text cannot be read says so.
fn page_texts(document: &lopdf::Document) -> Vec<String> {
    document
        .get_pages()
        .keys()
        .map(|&n| match document.extract_text(&[n]) {
            Ok(text) => tidy(&text),
            Err(e) => {
                tracing::warn!(page = n, error = %e, "an exhibit page's text could not be read");
                format!(
                    "Page {n}: its text could not be read; the original is attached to this bundle."
                )
            }
        })
        .collect()
}

/// Extracted text with its white space made single and no space before
/// a comma, full stop, semicolon, colon or closing bracket (the PDF places
/// words, not the spaces between them).
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let glued = word.starts_with([',', '.', ';', ':', ')']);
        if !out.is_empty() && !glued {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
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
        page_text: Vec::new(),
    });
    Some(label)
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
        // A record is made, not sent.
        let event = if doc.kind == after::DECISION_KIND {
            format!("{} made", title(&doc.kind, &doc.version))
        } else {
            format!(
                "{} sent to {}",
                title(&doc.kind, &doc.version),
                doc.recipient_name
            )
        };
        chronology.push(ChronologyRow {
            date: doc.issued_on,
            event,
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
    fn extracted_text_reads_as_sentences() {
        assert_eq!(
            tidy("Hockers Lane ,  Maidstone\n ME14 5JT . Dear Mrs Garside ,"),
            "Hockers Lane, Maidstone ME14 5JT. Dear Mrs Garside,"
        );
    }

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(kind_words("notice-to-improve"), "Notice to improve");
    }
}
