//! The pipeline from a request to a PDF: choose the template version, check
//! the case, compute the figures, fill the template once per recipient and
//! typeset the result. [`Docket`] is the one entry point the HTTP API and the
//! CLI share.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::case::{self, Case, Problem, Problems};
use crate::render::{DocumentInfo, RenderError, Renderer};
use crate::rules::{self, AttendanceFigures, penalty};
use crate::templates::{TemplateError, TemplateStore, Version};

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Unknown kind or version, none in force, or a template defect.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The case data is not valid for this document.
    #[error(transparent)]
    Invalid(#[from] Problems),
    /// Typst failed: a template defect.
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// What to render.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Document kind, e.g. `absence-concern-letter`.
    pub kind: &'a str,
    /// A version pinned by name; otherwise the one in force on `as_of`.
    pub version: Option<&'a str>,
    /// The date that picks the version in force (default: today).
    pub as_of: Option<NaiveDate>,
    /// Render the copy for this parent only (index into `parents`).
    pub recipient: Option<usize>,
    /// The case, as untrusted JSON.
    pub case: &'a Value,
}

/// A finished document.
#[derive(Debug)]
pub struct Rendered {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// The template version that produced it.
    pub version: Arc<Version>,
    /// A file name for it, e.g. `absence-concern-letter-ATT-2026-00412.pdf`.
    pub file_name: String,
    /// How many copies (recipients) it holds.
    pub copies: usize,
}

/// A checked case with its template filled in, ready to typeset.
#[derive(Debug)]
pub struct Prepared {
    /// The template version chosen.
    pub version: Arc<Version>,
    /// The filled template: Typst markup, one copy per recipient.
    pub markup: String,
    /// The PDF's metadata.
    pub info: DocumentInfo,
    /// How many copies (recipients) the markup holds.
    pub copies: usize,
    /// The case's reference.
    pub reference: String,
}

/// Figures computed from the case by the rules, for templates to print.
#[derive(Debug, Clone, Serialize)]
struct Figures {
    attendance: Option<AttendanceFigures>,
    pupil_age: Option<u32>,
    /// For a penalty notice: this recipient's terms.
    penalty: Option<PenaltyFigures>,
}

/// What a penalty notice states, for one recipient.
#[derive(Debug, Clone, Serialize)]
struct PenaltyFigures {
    notice_number: String,
    #[serde(flatten)]
    terms: penalty::Terms,
    /// The register window in which the threshold is met.
    window: penalty::Window,
    /// Earlier notices that count toward the limit.
    counted_notices: Vec<NaiveDate>,
}

/// What a template sees: the case, plus the recipient of this copy, the
/// computed figures and facts about the document itself.
#[derive(Debug, Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    case: &'a Case,
    recipient: &'a case::Parent,
    recipient_index: usize,
    figures: &'a Figures,
    document: DocumentFacts<'a>,
}

#[derive(Debug, Serialize)]
struct DocumentFacts<'a> {
    kind: &'a str,
    version: &'a str,
    title: &'a str,
    level: u8,
}

/// docket's core: the templates and the render engine.
#[derive(Debug)]
pub struct Docket {
    templates: TemplateStore,
    renderer: Renderer,
}

impl Docket {
    /// Loads the templates under `root` and prepares the render engine.
    pub fn load(root: &Path) -> Result<Self, TemplateError> {
        Ok(Self {
            templates: TemplateStore::load(root)?,
            renderer: Renderer::new(),
        })
    }

    /// The templates.
    pub fn templates(&self) -> &TemplateStore {
        &self.templates
    }

    /// The render engine.
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// Checks the case for `request` and fills the template, giving the
    /// version, the Typst markup and the PDF metadata, without typesetting.
    pub fn prepare(&self, request: &Request<'_>) -> Result<Prepared, DocumentError> {
        let as_of = request
            .as_of
            .unwrap_or_else(|| chrono::Local::now().date_naive());
        let version = self
            .templates
            .select(request.kind, request.version, as_of)?;
        let covers = |c: char| self.renderer.covers(c);
        let case = case::parse_case(request.case, &version.meta.requires, &covers)?;
        let per_notice = version.meta.requires.iter().any(|s| s == "penalty");
        let recipients = recipients(&case, request.recipient, per_notice)?;
        let base = figures(&case);
        let mut markup = String::new();
        for (n, &index) in recipients.iter().enumerate() {
            let mut figures = base.clone();
            if per_notice {
                figures.penalty = Some(penalty_figures(&case, version.meta.edition, index)?);
            }
            if n > 0 {
                // Each copy is its own mail piece: start it on a fresh sheet.
                markup.push_str("\n#pagebreak(to: \"odd\")\n");
            }
            let context = Context {
                case: &case,
                recipient: &case.parents[index],
                recipient_index: index,
                figures: &figures,
                document: DocumentFacts {
                    kind: &version.kind,
                    version: &version.version,
                    title: &version.meta.title,
                    level: version.meta.level,
                },
            };
            let value = minijinja::Value::from(minijinja::value::Serde(&context));
            markup.push_str(&self.templates.fill(&version, &value)?);
        }
        let recipient_part = match request.recipient {
            Some(i) => format!("/recipient-{i}"),
            None => String::new(),
        };
        let info = DocumentInfo {
            title: format!(
                "{} about {} {}",
                version.meta.title, case.pupil.given_names, case.pupil.family_name
            ),
            author: case.school.name.clone(),
            ident: format!("{}/{}{}", version.id(), case.reference, recipient_part),
            date: case.date,
            keywords: vec![
                "docket".to_owned(),
                format!("kind:{}", version.kind),
                format!("version:{}", version.version),
                format!("reference:{}", case.reference),
            ],
            subject: format!("{} ({})", version.meta.title, version.id()),
        };
        Ok(Prepared {
            version,
            markup,
            info,
            copies: recipients.len(),
            reference: case.reference,
        })
    }

    /// Renders a document.
    pub fn render(&self, request: &Request<'_>) -> Result<Rendered, DocumentError> {
        let prepared = self.prepare(request)?;
        let pdf = self
            .renderer
            .render(&prepared.version, prepared.markup, &prepared.info)?;
        let file_name = format!(
            "{}-{}.pdf",
            prepared.version.kind,
            file_safe(&prepared.reference)
        );
        Ok(Rendered {
            pdf,
            version: prepared.version,
            file_name,
            copies: prepared.copies,
        })
    }
}

/// The parents a document goes to: the one asked for, or every parent or
/// carer with parental responsibility; for a penalty notice, each parent the
/// notices name.
fn recipients(case: &Case, only: Option<usize>, per_notice: bool) -> Result<Vec<usize>, Problems> {
    let noticed: Vec<usize> = match (&case.penalty, per_notice) {
        (Some(p), true) => {
            let mut v: Vec<usize> = p.notices.iter().map(|n| n.parent).collect();
            v.sort_unstable();
            v
        }
        _ => Vec::new(),
    };
    match only {
        Some(i) if per_notice && !noticed.contains(&i) => Err(Problems(vec![Problem::new(
            "/penalty/notices",
            format!("there is no notice for recipient {i}; add one with \"parent\": {i}"),
        )])),
        Some(i) if i < case.parents.len() => Ok(vec![i]),
        Some(i) => Err(Problems(vec![Problem::new(
            "/parents",
            format!(
                "recipient {i} does not exist: the case lists {} parent(s) or carer(s), numbered from 0",
                case.parents.len()
            ),
        )])),
        None if per_notice => Ok(noticed),
        None => Ok((0..case.parents.len())
            .filter(|&i| case.parents[i].parental_responsibility)
            .collect()),
    }
}

/// Applies the penalty-notice rules for the parent at `index`: the threshold
/// on the register, the limit on earlier notices, the amounts and dates.
fn penalty_figures(
    case: &Case,
    edition: rules::Edition,
    index: usize,
) -> Result<PenaltyFigures, Problems> {
    let (Some(p), Some(attendance)) = (&case.penalty, &case.attendance) else {
        return Err(Problems(vec![Problem::new(
            "/penalty",
            "is required for this document",
        )]));
    };
    let Some((k, notice)) = p
        .notices
        .iter()
        .enumerate()
        .find(|(_, n)| n.parent == index)
    else {
        return Err(Problems(vec![Problem::new(
            "/penalty/notices",
            format!("there is no notice for parent {index}"),
        )]));
    };
    if attendance.sessions.is_empty() {
        return Err(Problems(vec![Problem::new(
            "/attendance/sessions",
            "a penalty notice needs the session-by-session register for the period",
        )]));
    }
    let marks: Vec<penalty::Mark<'_>> = attendance
        .sessions
        .iter()
        .filter(|m| (p.offence_from..=p.offence_to).contains(&m.date))
        .map(|m| penalty::Mark {
            date: m.date,
            session: m.session,
            code: &m.code,
        })
        .collect();
    let refuse = |pointer: String, r: &penalty::Refusal| {
        Problems(vec![Problem::refusal(
            pointer,
            r.rule(),
            format!("{r}; {}", r.remedy()),
        )])
    };
    let window = penalty::threshold(edition, &marks)
        .map_err(|r| refuse("/attendance/sessions".into(), &r))?;
    let history: Vec<penalty::PriorNotice> = notice
        .previous_notices
        .iter()
        .map(|n| penalty::PriorNotice {
            issued_on: n.issued_on,
            withdrawn: n.withdrawn,
        })
        .collect();
    let terms = penalty::terms(edition, case.date, &history)
        .map_err(|r| refuse(format!("/penalty/notices/{k}/previous_notices"), &r))?;
    Ok(PenaltyFigures {
        notice_number: notice.notice_number.clone(),
        terms,
        window,
        counted_notices: penalty::counting_notices(&history, case.date),
    })
}

fn figures(case: &Case) -> Figures {
    Figures {
        attendance: case.attendance.as_ref().and_then(|a| {
            rules::attendance_figures(
                a.possible_sessions,
                a.authorised_absences,
                a.unauthorised_absences,
            )
            .ok()
        }),
        pupil_age: rules::age_on(case.pupil.date_of_birth, case.date),
        penalty: None,
    }
}

/// A reference made safe for a file name: `ATT/2026/00412` → `ATT-2026-00412`.
fn file_safe(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
