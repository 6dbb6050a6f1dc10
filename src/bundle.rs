//! Court bundles: what the register of issued documents adds to a
//! prosecution under s444 Education Act 1996. The exhibits are the PDFs the
//! parent was actually sent, taken byte for byte from the register and
//! labelled (`RA/1`, `RA/2`...); the chronology adds every document issued
//! about the child and what became of it; and the register decides two
//! refusals (an exhibit it does not hold, a penalty notice for the offence
//! period that was paid or withdrawn) and the warnings a prosecutor should
//! read (no notice to improve on file, no support step on record...).
//!
//! The result, [`Evidence`], goes into the render: its figures to the
//! template as `figures.bundle`, its files into the render's world at fixed
//! paths (`/exhibits/1.pdf`..., `/bundle/case.json`) that the template
//! places and attaches.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::case::{Case, InterviewOutcome, Problem, StepKind};
use crate::register::{Register, RegisterError, person_key};
use crate::rules::Edition;

/// Why the register's evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The case cannot support the bundle: each problem names its rule.
    #[error("the case cannot support a prosecution")]
    Refused(Vec<Problem>),
    /// The register failed.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// A stored PDF could not be read.
    #[error("an exhibit's PDF could not be read: {0}")]
    Pdf(String),
    /// The document itself could not be made.
    #[error(transparent)]
    Document(#[from] crate::DocumentError),
}

/// Renders (without issuing) the document `request` asks for: a court
/// bundle with `register`'s evidence, after the case's own checks; any other
/// document as it is. Returns the PDF and the bundle's warnings.
pub fn render(
    docket: &crate::Docket,
    register: &Register,
    request: &crate::Request<'_>,
) -> Result<(crate::Rendered, Vec<Warning>), BundleError> {
    let version = docket
        .templates()
        .select_on(request.kind, request.version, request.as_of)
        .map_err(crate::DocumentError::from)?;
    if !needs_register(&version.entry.sections) {
        return Ok((docket.render(request)?, Vec::new()));
    }
    docket.check(request)?;
    let evidence = gather(docket, register, request.case, version.meta.edition)?;
    let rendered = docket.render_evidenced(request, Some(&evidence))?;
    Ok((rendered, evidence.figures.warnings))
}

/// The most exhibits one bundle may hold (each is a fixed file path in the
/// render's world).
pub const MAX_EXHIBITS: usize = 40;

/// One exhibit, as the template sees it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Exhibit {
    /// Its label, e.g. `RA/1`.
    pub label: String,
    /// Its number in the bundle (1, 2...): the file is `/exhibits/{n}.pdf`.
    pub number: usize,
    /// The register's reference (none for the interview record).
    pub reference: Option<String>,
    /// What it is.
    pub description: String,
    /// The day it was issued.
    pub issued_on: Option<NaiveDate>,
    /// To whom.
    pub recipient: Option<String>,
    /// Pages (0 for the interview record, which the template typesets).
    pub pages: usize,
    /// The SHA-256 of the stored PDF, as the register holds it.
    pub sha256: Option<String>,
    /// The file the template places, page by page.
    pub file: Option<String>,
}

/// One line of the chronology.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ChronologyRow {
    /// When.
    pub date: NaiveDate,
    /// What happened.
    pub event: String,
    /// What came of it.
    pub outcome: Option<String>,
    /// The register's reference, if a document was issued.
    pub reference: Option<String>,
    /// Its exhibit label, if produced.
    pub exhibit: Option<String>,
}

/// A weaker gap in the case: the bundle is produced, and the prosecutor told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Warning {
    /// The rule, e.g. `bundle.no-notice-to-improve`.
    pub rule: &'static str,
    /// What is missing, in plain words.
    pub detail: String,
}

/// What the register adds to a bundle, for the template.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BundleFigures {
    /// Exhibits in order, the interview record last.
    pub exhibits: Vec<Exhibit>,
    /// The label of the interview record, when there is one.
    pub interview_exhibit: Option<String>,
    /// Every step, from the case and the register, in date order.
    pub chronology: Vec<ChronologyRow>,
    /// Weaker gaps.
    pub warnings: Vec<Warning>,
    /// The file of the case data attached to the bundle.
    pub case_file: String,
}

/// The register's evidence for one render.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// For the template.
    pub figures: BundleFigures,
    /// Files for the render's world: virtual path, bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The path of the case data attached to a bundle.
pub const CASE_FILE: &str = "/bundle/case.json";

/// Whether documents with these sections need the register's evidence.
pub fn needs_register(sections: &[String]) -> bool {
    sections.iter().any(|s| s == "prosecution")
}

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
/// on its own), or refuses it, naming each rule.
pub fn gather(
    docket: &crate::Docket,
    register: &Register,
    case_json: &Value,
    edition: Edition,
) -> Result<Evidence, BundleError> {
    // A document's title as its version's catalogue entry gives it (each
    // edition names its documents its own way).
    let title = |kind: &str, version: &str| {
        docket
            .templates()
            .select(kind, Some(version), NaiveDate::MIN)
            .map(|v| v.entry.title.clone())
            .unwrap_or_else(|_| kind_words(kind))
    };
    let case: Case = serde_json::from_value(case_json.clone()).map_err(|e| {
        BundleError::Refused(vec![Problem::new("", format!("not a valid case: {e}"))])
    })?;
    let Some(p) = &case.prosecution else {
        return Err(BundleError::Refused(vec![Problem::new(
            "/prosecution",
            "is required for this document",
        )]));
    };
    let mut refusals = Vec::new();
    let mut warnings = Vec::new();
    let prefix = initials(&case);
    let defendant = case.parents.get(p.defendant);
    let defendant_key = defendant
        .map(|d| person_key(&d.given_names, &d.family_name))
        .unwrap_or_default();

    // Exhibits, from the register.
    let mut exhibits = Vec::new();
    let mut files = Vec::new();
    for (i, x) in p.exhibits.iter().enumerate().take(MAX_EXHIBITS) {
        let at = format!("/prosecution/exhibits/{i}/reference");
        let issued = match register.get(&x.reference) {
            Ok(d) => d,
            Err(RegisterError::NotFound(_)) => {
                refusals.push(Problem::refusal(
                    at,
                    "bundle.exhibit-not-found",
                    format!(
                        "no document with the reference {} was issued: an exhibit must be a document the parent was sent, from the register",
                        x.reference
                    ),
                ));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if issued.pupil_upn != case.pupil.upn {
            refusals.push(Problem::refusal(
                at,
                "bundle.exhibit-other-pupil",
                format!(
                    "{} was issued about another pupil (UPN {})",
                    x.reference, issued.pupil_upn
                ),
            ));
            continue;
        }
        let pdf = register.pdf(&x.reference)?;
        let pages = lopdf::Document::load_mem(&pdf)
            .map_err(|e| BundleError::Pdf(format!("{}: {e}", x.reference)))?
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
    let interview_exhibit = p
        .interview
        .as_ref()
        .filter(|iv| iv.outcome == InterviewOutcome::Attended && !iv.record.is_empty())
        .map(|iv| {
            let number = exhibits.len() + 1;
            let label = format!("{prefix}/{number}");
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
            label
        });

    // The chronology: the case's steps and every document issued about the
    // child, with what became of the notices.
    let history = register.history(&case.pupil.upn)?;
    let label_of = |reference: &str| {
        exhibits
            .iter()
            .find(|e| e.reference.as_deref() == Some(reference))
            .map(|e| e.label.clone())
    };
    let mut chronology: Vec<ChronologyRow> = p
        .chronology
        .iter()
        .map(|e| ChronologyRow {
            date: e.date,
            event: format!("{}: {}", step_words(e.kind, edition), e.summary),
            outcome: e.outcome.clone(),
            reference: None,
            exhibit: None,
        })
        .collect();
    let mut settled = Vec::new();
    for doc in &history {
        if doc.kind == "prosecution-bundle" || doc.issued_on > case.date {
            continue;
        }
        let events = register.timeline(&doc.reference)?;
        let outcome = events
            .iter()
            .filter(|e| e.event != "issued")
            .map(|e| match e.event.as_str() {
                "paid" => format!(
                    "paid on {}{}",
                    e.on.format("%-d %B %Y"),
                    e.amount_pence
                        .map(|p| format!(" (£{}.{:02})", p / 100, p % 100))
                        .unwrap_or_default()
                ),
                "withdrawn" => format!(
                    "withdrawn on {}{}",
                    e.on.format("%-d %B %Y"),
                    e.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                other => format!(
                    "{} on {}",
                    other.replace('-', " "),
                    e.on.format("%-d %B %Y")
                ),
            })
            .collect::<Vec<_>>();
        if doc.kind == "penalty-notice"
            && person_key(&doc.recipient_name, "").ends_with(&defendant_key)
            && events
                .iter()
                .any(|e| e.event == "paid" || e.event == "withdrawn")
            && penalty_period(register, &doc.reference)?
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
                    "Interview under caution of {}",
                    defendant
                        .map(|d| format!("{} {}", d.given_names, d.family_name))
                        .unwrap_or_default()
                ),
                outcome: Some("held and recorded".into()),
                reference: None,
                exhibit: interview_exhibit.clone(),
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

    for reference in settled {
        refusals.push(Problem::refusal(
            "/prosecution/offence_from",
            "bundle.penalty-notice-settled",
            format!(
                "penalty notice {reference} for this offence period was paid or withdrawn: a parent who paid cannot be prosecuted for the same absence, and a withdrawn notice ended the matter"
            ),
        ));
    }
    if !refusals.is_empty() {
        return Err(BundleError::Refused(refusals));
    }

    // Warnings.
    let has_kind = |kinds: &[&str], steps: &[StepKind]| {
        history.iter().any(|d| kinds.contains(&d.kind.as_str()))
            || p.chronology.iter().any(|e| steps.contains(&e.kind))
    };
    if edition == Edition::Kpas2024
        && !has_kind(&["notice-to-improve"], &[StepKind::NoticeToImprove])
    {
        warnings.push(Warning {
            rule: "bundle.no-notice-to-improve",
            detail: "no notice to improve is on file for this child: the court may ask whether the parent was warned and given time to improve".into(),
        });
    }
    if !has_kind(
        &[
            "attendance-contract",
            "parenting-contract",
            "formal-attendance-meeting-invitation",
        ],
        &[StepKind::Contract, StepKind::FormalMeeting],
    ) {
        warnings.push(Warning {
            rule: "bundle.no-support-on-record",
            detail: "no attendance contract or formal attendance meeting is on record: the bundle does not show that support was offered first".into(),
        });
    }
    if let Some(offer) = p
        .interview
        .as_ref()
        .and_then(|iv| iv.offer_reference.as_deref())
        && label_of(offer).is_none()
    {
        warnings.push(Warning {
            rule: "bundle.interview-offer-not-exhibited",
            detail: format!(
                "the letter offering the interview ({offer}) is not among the exhibits"
            ),
        });
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
        warnings.push(Warning {
            rule: "bundle.register-partial",
            detail: "the register marks given do not cover the whole offence period: the certificate shows only the days given".into(),
        });
    }

    files.push((
        CASE_FILE.to_owned(),
        serde_json::to_vec_pretty(case_json).unwrap_or_default(),
    ));
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

/// One document a sample needs in the register.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleDocument {
    kind: String,
    version: String,
    #[serde(default)]
    recipient: Option<usize>,
    case: Value,
    #[serde(default)]
    events: Vec<crate::register::EventKind>,
}

/// Issues what `version`'s sample needs (its `sample-register.json`) into
/// `register`, in order: a fresh register gives the same references every
/// time, the ones the sample cites.
pub fn seed_sample(
    docket: &crate::Docket,
    register: &Register,
    version: &crate::templates::Version,
) -> Result<Vec<String>, String> {
    let Some(text) = &version.sample_register else {
        return Ok(Vec::new());
    };
    let documents: Vec<SampleDocument> = serde_json::from_str(text)
        .map_err(|e| format!("{}: {e}", crate::templates::SAMPLE_REGISTER_FILE))?;
    let mut references = Vec::new();
    for (i, d) in documents.iter().enumerate() {
        let copies = crate::issue::issue(
            docket,
            register,
            &crate::issue::IssueRequest {
                kind: &d.kind,
                version: Some(&d.version),
                as_of: None,
                recipient: d.recipient,
                case: &d.case,
                requested_by: "sample",
                batch: None,
            },
        )
        .map_err(|e| match e {
            crate::issue::IssueError::Document(crate::DocumentError::Invalid(p)) => format!(
                "{} document {i} ({}): {}",
                crate::templates::SAMPLE_REGISTER_FILE,
                d.kind,
                p.0.iter()
                    .map(|p| format!("{} {}", p.pointer, p.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            other => format!(
                "{} document {i}: {other}",
                crate::templates::SAMPLE_REGISTER_FILE
            ),
        })?;
        for copy in copies {
            for event in &d.events {
                register
                    .add_event(&copy.reference, event, "sample")
                    .map_err(|e| e.to_string())?;
            }
            references.push(copy.reference);
        }
    }
    Ok(references)
}

/// The evidence for rendering `version`'s sample (or an edit of it) without
/// a real register: a scratch register seeded with what the sample needs.
pub fn sample_evidence(
    docket: &crate::Docket,
    version: &crate::templates::Version,
    case: &Value,
) -> Result<Evidence, BundleError> {
    let register = Register::in_memory()?;
    seed_sample(docket, &register, version)
        .map_err(|e| BundleError::Refused(vec![Problem::new("", e)]))?;
    gather(docket, &register, case, version.meta.edition)
}

/// The offence period of a penalty notice in the register, from its case.
fn penalty_period(
    register: &Register,
    reference: &str,
) -> Result<Option<(NaiveDate, NaiveDate)>, RegisterError> {
    let json = register.case_json(reference)?;
    let case: Value = serde_json::from_str(&json).unwrap_or_default();
    let date = |p: &str| {
        case.pointer(p)
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    Ok(date("/penalty/offence_from").zip(date("/penalty/offence_to")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(kind_words("notice-to-improve"), "Notice to improve");
    }
}
