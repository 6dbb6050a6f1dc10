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
use crate::rules::{self, AttendanceFigures, penalty, steps};
use crate::templates::{Recipients, TemplateError, TemplateStore, Version};

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
    /// The document is made with the register's evidence (a court bundle),
    /// and none was given: a defect in the caller.
    #[error("{0} is made with the register of issued documents, and none was given")]
    NeedsRegister(String),
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
    /// Where it came from, as recorded in the PDF's metadata.
    pub provenance: Provenance,
}

/// What produced a document: recorded in its metadata (document information
/// and XMP keywords), sent in response headers, read back by `docket verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The kind.
    pub kind: String,
    /// The template version.
    pub version: String,
    /// The version's content hash.
    pub template_hash: String,
    /// The docket release that rendered it.
    pub docket: String,
    /// The hash of the case data (docket's canonical JSON of the parsed case,
    /// so key order and spacing do not matter).
    pub case_hash: String,
    /// The case's reference.
    pub reference: String,
}

impl Provenance {
    /// The PDF keywords that carry it, `name:value` each.
    pub fn keywords(&self) -> Vec<String> {
        vec![
            "docket".to_owned(),
            format!("kind:{}", self.kind),
            format!("version:{}", self.version),
            format!("reference:{}", self.reference),
            format!("template-hash:{}", self.template_hash),
            format!("docket-version:{}", self.docket),
            format!("case-hash:{}", self.case_hash),
        ]
    }

    /// Reads it back from PDF keywords; `None` if any part is missing.
    pub fn from_keywords<'a>(keywords: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut map = std::collections::BTreeMap::new();
        for k in keywords {
            if let Some((name, value)) = k.trim().split_once(':') {
                map.insert(name.to_owned(), value.to_owned());
            }
        }
        let mut take = |name: &str| map.remove(name);
        Some(Self {
            kind: take("kind")?,
            version: take("version")?,
            template_hash: take("template-hash")?,
            docket: take("docket-version")?,
            case_hash: take("case-hash")?,
            reference: take("reference")?,
        })
    }
}

/// The hash of a case, over docket's canonical JSON of it.
pub fn case_hash(case: &Case) -> String {
    crate::templates::sha256(&serde_json::to_vec(case).unwrap_or_default())
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
    /// Where the document comes from.
    pub provenance: Provenance,
}

/// Figures computed from the case by the rules, for templates to print.
/// Each is present when the case has the section it comes from.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
struct Figures {
    attendance: Option<AttendanceFigures>,
    pupil_age: Option<u32>,
    /// For a penalty notice: this recipient's terms.
    penalty: Option<PenaltyFigures>,
    /// For a request for penalty notices: the terms each parent would get.
    penalty_request: Option<Vec<PenaltyFigures>>,
    /// Every session of unauthorised absence in the register given, in order.
    unauthorised: Vec<MarkFigure>,
    /// The history, in date order.
    history: Vec<case::Step>,
    /// Whether the history shows a level 3 step (a contract or a formal
    /// attendance meeting).
    level_three_step: bool,
    evidence: Option<EvidenceFigures>,
    visit: Option<VisitFigures>,
    contract: Option<ContractFigures>,
    improvement: Option<steps::ImprovementPeriod>,
    /// The thresholds and periods of the edition's rules, for letters that
    /// explain them.
    rules: rules::RuleFacts,
    /// For a prosecution: the offence in words and the register extract of
    /// its period.
    court: Option<CourtFigures>,
    /// For a prosecution bundle: what the register adds (exhibits,
    /// chronology, warnings).
    bundle: Option<crate::bundle::BundleFigures>,
}

/// The offence charged and the register for its period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
struct CourtFigures {
    /// e.g. `section 444(1A) of the Education Act 1996`.
    section: &'static str,
    /// What the offence is, in plain terms.
    offence: &'static str,
    /// The register for the offence period, session by session.
    register: rules::court::RegisterExtract,
    /// The child's age on the first and last day of the period.
    age_from: Option<u32>,
    age_to: Option<u32>,
}

/// One register mark with the meaning of its code.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
struct MarkFigure {
    date: NaiveDate,
    session: rules::codes::Session,
    code: String,
    meaning: &'static str,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
struct EvidenceFigures {
    /// The sessions asked about, in date order.
    sessions: Vec<case::EvidenceItem>,
    /// The last day to reply.
    reply_by: NaiveDate,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
struct VisitFigures {
    /// After a visit with nobody in: the last day to get in touch.
    contact_by: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
struct ContractFigures {
    /// The review meetings, in order.
    reviews: Vec<NaiveDate>,
    /// The last review, when the contract ends unless extended.
    ends_on: Option<NaiveDate>,
}

/// What a penalty notice states (or a request would lead to), for one parent.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
struct PenaltyFigures {
    /// Which parent (index into `parents`).
    parent: usize,
    notice_number: Option<String>,
    #[serde(flatten)]
    terms: penalty::Terms,
    /// The register window in which the threshold is met.
    window: penalty::Window,
    /// Earlier notices that count toward the limit.
    counted_notices: Vec<NaiveDate>,
}

/// What a template sees: the case, plus the recipient of this copy (for
/// letters to parents), the computed figures and facts about the document.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Context<'a> {
    #[serde(flatten)]
    case: &'a Case,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<&'a case::Parent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient_index: Option<usize>,
    figures: &'a Figures,
    document: DocumentFacts<'a>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct DocumentFacts<'a> {
    kind: &'a str,
    version: &'a str,
    title: &'a str,
    level: u8,
    edition: rules::Edition,
    sender: crate::templates::Sender,
    recipients: Recipients,
}

/// The JSON Schema of what a template sees (the case, `recipient`,
/// `figures`, `document`): `docket templates check` tests every variable a
/// template uses against it.
pub fn context_schema() -> &'static Value {
    static SCHEMA: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        serde_json::to_value(schemars::schema_for!(Context<'static>)).unwrap_or_default()
    });
    &SCHEMA
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
        self.prepare_with(request, true, None)
    }

    /// Checks the case for `request` against the schema and every rule, as
    /// [`Docket::prepare`] does, without filling the template (its `markup`
    /// is empty): the cheap check made before a number is reserved.
    pub fn check(&self, request: &Request<'_>) -> Result<Prepared, DocumentError> {
        self.prepare_with(request, false, None)
    }

    /// [`Docket::prepare`] with the register's evidence for a court bundle.
    pub fn prepare_evidenced(
        &self,
        request: &Request<'_>,
        evidence: Option<&crate::bundle::Evidence>,
    ) -> Result<Prepared, DocumentError> {
        self.prepare_with(request, true, evidence)
    }

    fn prepare_with(
        &self,
        request: &Request<'_>,
        fill: bool,
        evidence: Option<&crate::bundle::Evidence>,
    ) -> Result<Prepared, DocumentError> {
        let version = self
            .templates
            .select_on(request.kind, request.version, request.as_of)?;
        let covers = |c: char| self.renderer.covers(c);
        let entry = &version.entry;
        let case = case::parse_case(request.case, &entry.sections, &covers)?;
        let edition = version.meta.edition;
        let copies = recipients(&case, request.recipient, entry.recipients)?;
        let mut base = figures(&case, edition);
        base.bundle = evidence.map(|e| e.figures.clone());
        check_steps(&entry.sections, &base)?;
        let court = rules::court::check_prosecution(&case, edition);
        if !court.is_empty() {
            return Err(Problems(court).into());
        }
        if crate::bundle::needs_register(&entry.sections) && fill && evidence.is_none() {
            return Err(DocumentError::NeedsRegister(version.id()));
        }
        if entry.sections.iter().any(|s| s == "penalty") {
            if entry.recipients == Recipients::NoticedParents {
                // Checked per copy below, each with its own notice.
            } else {
                let all = case.penalty.iter().flat_map(|p| &p.notices);
                let mut terms = Vec::new();
                for notice in all {
                    terms.push(penalty_figures(&case, edition, notice.parent, false)?);
                }
                base.penalty_request = Some(terms);
            }
        }
        let mut markup = String::new();
        for (n, copy) in copies.iter().enumerate() {
            let mut figures = base.clone();
            if entry.recipients == Recipients::NoticedParents
                && let Some(index) = *copy
            {
                figures.penalty = Some(penalty_figures(&case, edition, index, true)?);
            }
            if !fill {
                continue;
            }
            if n > 0 {
                // Each copy is its own mail piece: start it on a fresh sheet.
                markup.push_str("\n#pagebreak(to: \"odd\")\n");
            }
            let context = Context {
                case: &case,
                recipient: copy.and_then(|i| case.parents.get(i)),
                recipient_index: *copy,
                figures: &figures,
                document: DocumentFacts {
                    kind: &version.kind,
                    version: &version.version,
                    title: &entry.title,
                    level: entry.level,
                    edition,
                    sender: entry.sender,
                    recipients: entry.recipients,
                },
            };
            let value = minijinja::Value::from(minijinja::value::Serde(&context));
            markup.push_str(&self.templates.fill(&version, &value)?);
        }
        let recipient_part = match request.recipient {
            Some(i) => format!("/recipient-{i}"),
            None => String::new(),
        };
        let provenance = Provenance {
            kind: version.kind.clone(),
            version: version.version.clone(),
            template_hash: version.content_hash.clone(),
            docket: env!("CARGO_PKG_VERSION").to_owned(),
            case_hash: case_hash(&case),
            reference: case.reference.clone(),
        };
        let info = DocumentInfo {
            title: format!(
                "{} about {} {}",
                version.entry.title, case.pupil.given_names, case.pupil.family_name
            ),
            author: case.school.name.clone(),
            ident: format!("{}/{}{}", version.id(), case.reference, recipient_part),
            date: case.date,
            keywords: provenance.keywords(),
            subject: format!("{} ({})", version.entry.title, version.id()),
            attachments: evidence.is_some(),
        };
        Ok(Prepared {
            version,
            markup,
            info,
            copies: copies.len(),
            reference: case.reference,
            provenance,
        })
    }

    /// The text of the document `request` asks for, in reading order (see
    /// [`crate::render::plain_text`]), without exporting a PDF.
    pub fn text(&self, request: &Request<'_>) -> Result<String, DocumentError> {
        let prepared = self.prepare(request)?;
        let document =
            self.renderer
                .compile(&prepared.version, prepared.markup, prepared.info.date)?;
        Ok(crate::render::plain_text(&document))
    }

    /// For a court bundle made from a version's sample (or an edit of it)
    /// outside the service: the evidence of a scratch register seeded with
    /// what the sample needs (`sample-register.json`). `None` for documents
    /// that need no register.
    pub fn sample_evidence(
        &self,
        request: &Request<'_>,
    ) -> Result<Option<crate::bundle::Evidence>, DocumentError> {
        let version = self
            .templates
            .select_on(request.kind, request.version, request.as_of)?;
        if !crate::bundle::needs_register(&version.entry.sections) {
            return Ok(None);
        }
        self.check(request)?;
        match crate::bundle::sample_evidence(self, &version, request.case) {
            Ok(e) => Ok(Some(e)),
            Err(crate::bundle::BundleError::Refused(p)) => Err(Problems(p).into()),
            Err(crate::bundle::BundleError::Document(d)) => Err(d),
            Err(e) => Err(DocumentError::NeedsRegister(format!(
                "{}: {e}",
                version.id()
            ))),
        }
    }

    /// [`Docket::text`] with the register's evidence.
    pub fn text_evidenced(
        &self,
        request: &Request<'_>,
        evidence: Option<&crate::bundle::Evidence>,
    ) -> Result<String, DocumentError> {
        let prepared = self.prepare_with(request, true, evidence)?;
        let files = evidence.map(|e| e.files.as_slice()).unwrap_or_default();
        let document = self.renderer.compile_with(
            &prepared.version,
            prepared.markup,
            prepared.info.date,
            files,
        )?;
        Ok(crate::render::plain_text(&document))
    }

    /// Renders a document.
    pub fn render(&self, request: &Request<'_>) -> Result<Rendered, DocumentError> {
        self.render_evidenced(request, None)
    }

    /// Renders a document with the register's evidence (a court bundle's
    /// exhibits and chronology; see [`crate::bundle::gather`]).
    pub fn render_evidenced(
        &self,
        request: &Request<'_>,
        evidence: Option<&crate::bundle::Evidence>,
    ) -> Result<Rendered, DocumentError> {
        let prepared = self.prepare_with(request, true, evidence)?;
        let files = evidence.map(|e| e.files.as_slice()).unwrap_or_default();
        let (pdf, _) =
            self.renderer
                .render_with(&prepared.version, prepared.markup, &prepared.info, files)?;
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
            provenance: prepared.provenance,
        })
    }
}

/// The copies of a document: for letters to parents, the parent of each
/// copy (the one asked for, or every parent or carer with parental
/// responsibility, or for a penalty notice each parent the notices name);
/// otherwise one copy with no parent.
fn recipients(
    case: &Case,
    only: Option<usize>,
    to: Recipients,
) -> Result<Vec<Option<usize>>, Problems> {
    let noticed: Vec<usize> = match (&case.penalty, to) {
        (Some(p), Recipients::NoticedParents) => {
            let mut v: Vec<usize> = p.notices.iter().map(|n| n.parent).collect();
            v.sort_unstable();
            v
        }
        _ => Vec::new(),
    };
    let one = |detail: String| Err(Problems(vec![Problem::new("", detail)]));
    match only {
        Some(_) if !to.per_parent() => one(format!(
            "this document has a single copy ({}); it cannot be rendered for one recipient",
            match to {
                Recipients::Authority => "to the local authority",
                Recipients::Agency => "to the agency referred to",
                _ => "a record signed by the parties",
            }
        )),
        Some(i) if to == Recipients::NoticedParents && !noticed.contains(&i) => {
            Err(Problems(vec![Problem::new(
                "/penalty/notices",
                format!("there is no notice for recipient {i}; add one with \"parent\": {i}"),
            )]))
        }
        Some(i) if i < case.parents.len() => Ok(vec![Some(i)]),
        Some(i) => Err(Problems(vec![Problem::new(
            "/parents",
            format!(
                "recipient {i} does not exist: the case lists {} parent(s) or carer(s), numbered from 0",
                case.parents.len()
            ),
        )])),
        None if to == Recipients::NoticedParents => Ok(noticed.into_iter().map(Some).collect()),
        None if to == Recipients::Parents => Ok((0..case.parents.len())
            .filter(|&i| case.parents[i].parental_responsibility)
            .map(Some)
            .collect()),
        None => Ok(vec![None]),
    }
}

/// The rules of the framework's steps that decide whether this document may
/// be produced at all (statutory intervention), for the sections it needs.
fn check_steps(sections: &[String], figures: &Figures) -> Result<(), Problems> {
    let needs = |s: &str| sections.iter().any(|x| x == s);
    let mut problems = Vec::new();
    if needs("intervention")
        && let Some(attendance) = &figures.attendance
    {
        for r in steps::check_statutory_intervention(
            attendance.band,
            &attendance.absence_percent,
            figures.level_three_step,
        ) {
            let at = match r {
                steps::StepRefusal::NoLevelThreeStep => "/history",
                _ => "/attendance",
            };
            problems.push(Problem::refusal(at, r.rule(), r.to_string()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// Applies the penalty-notice rules for the parent at `index`: the threshold
/// on the register, the notice to improve, the limit on earlier notices, the
/// amounts and dates. `issuing` is set for the notice itself (which needs its
/// number), not for a school's request.
fn penalty_figures(
    case: &Case,
    edition: rules::Edition,
    index: usize,
    issuing: bool,
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
    if issuing
        && case
            .authority
            .as_ref()
            .is_some_and(|a| a.payment_url.is_none())
    {
        return Err(Problems(vec![Problem::new(
            "/authority/payment_url",
            "is required on a penalty notice: it tells the parent where to pay",
        )]));
    }
    if issuing && notice.notice_number.is_none() {
        return Err(Problems(vec![Problem::new(
            format!("/penalty/notices/{k}/notice_number"),
            "is required on a penalty notice",
        )]));
    }
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
    penalty::check_notice_to_improve(
        edition,
        p.grounds == case::PenaltyGrounds::UnauthorisedHoliday,
        p.notice_to_improve_issued_on,
        p.requested_on,
    )
    .map_err(|r| refuse("/penalty/notice_to_improve_issued_on".into(), &r))?;
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
        parent: index,
        notice_number: notice.notice_number.clone(),
        terms,
        window,
        counted_notices: penalty::counting_notices(&history, case.date),
    })
}

fn figures(case: &Case, edition: rules::Edition) -> Figures {
    let mut history = case.history.clone().unwrap_or_default();
    history.sort_by_key(|step| step.date);
    let level_three_step = history.iter().any(|step| {
        matches!(
            step.kind,
            case::StepKind::Contract | case::StepKind::FormalMeeting
        )
    });
    let unauthorised = case
        .attendance
        .iter()
        .flat_map(|a| &a.sessions)
        .filter_map(|m| {
            let (category, meaning) = rules::codes::lookup(&m.code, m.date)?;
            (category == rules::codes::Category::Unauthorised).then(|| MarkFigure {
                date: m.date,
                session: m.session,
                code: m.code.clone(),
                meaning,
            })
        })
        .collect::<Vec<_>>();
    let mut unauthorised = unauthorised;
    unauthorised.sort_by_key(|m| (m.date, m.session));
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
        penalty_request: None,
        unauthorised,
        history,
        level_three_step,
        evidence: case.evidence.as_ref().and_then(|e| {
            let mut sessions = e.sessions.clone();
            sessions.sort_by_key(|s| (s.date, s.session));
            Some(EvidenceFigures {
                sessions,
                reply_by: steps::reply_by(case.date, steps::EVIDENCE_REPLY_WORKING_DAYS)?,
            })
        }),
        visit: case.visit.as_ref().map(|v| VisitFigures {
            contact_by: match v.outcome {
                case::VisitOutcome::NoAnswer => {
                    steps::reply_by(case.date, steps::VISIT_CONTACT_WORKING_DAYS)
                }
                case::VisitOutcome::Planned => None,
            },
        }),
        contract: case.contract.as_ref().map(|c| {
            let reviews = steps::contract_reviews(c.agreed_on, c.review_every_weeks, c.reviews);
            ContractFigures {
                ends_on: reviews.last().copied(),
                reviews,
            }
        }),
        improvement: case.improvement.as_ref().and_then(|nti| {
            let closed: Vec<_> = nti.closures.iter().map(|c| (c.from, c.to)).collect();
            steps::improvement_period(case.date, &closed)
        }),
        rules: rules::RuleFacts::of(edition),
        court: case.prosecution.as_ref().map(|p| {
            let (section, offence) = rules::court::offence_words(p.offence);
            let marks = case
                .attendance
                .as_ref()
                .map(|a| a.sessions.as_slice())
                .unwrap_or_default();
            CourtFigures {
                section,
                offence,
                register: rules::court::register_extract(marks, p.offence_from, p.offence_to),
                age_from: rules::age_on(case.pupil.date_of_birth, p.offence_from),
                age_to: rules::age_on(case.pupil.date_of_birth, p.offence_to),
            }
        }),
        bundle: None,
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
