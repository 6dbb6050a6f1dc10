//! Figures: the rules applied to a typed case. [`compute`] gives what a
//! template prints (percentages, bands, ages, deadlines, review dates, a
//! penalty notice's amounts and dates, a court's register extract), every
//! one computed by [`crate::rules`], never typed into a template; the
//! refusals ([`refusals`], [`check_steps`], [`check_court`],
//! [`penalty::figures`]) turn the rules' typed refusals into problems at
//! the JSON pointer of the field they concern; [`bundle::gather`] applies a
//! court bundle's rules to what the register holds.
//!
//! `rules` takes plain values and knows nothing of the case; `case` checks
//! the case's shape and knows nothing of the rules' refusals; this layer
//! joins the two.

pub mod after;
pub mod bundle;
mod checks;
pub mod exclusion;
pub mod penalty;
mod records;

pub use checks::{check_court, check_steps, outside_area, refusals};
pub use penalty::PenaltyFigures;

use chrono::NaiveDate;
use serde::Serialize;

use crate::case::{self, Case};
use crate::evidence::BundleFigures;
use crate::rules::{self, AttendanceFigures, steps};

/// Figures computed from the case by the rules, for templates to print.
/// Each is present when the case has the section it comes from.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Figures {
    /// Attendance over the case's period: percentages, days missed, band.
    pub attendance: Option<AttendanceFigures>,
    /// The pupil's age on the document's date.
    pub pupil_age: Option<u32>,
    /// For a penalty notice: this recipient's terms.
    pub penalty: Option<PenaltyFigures>,
    /// For an exclusion penalty notice: this recipient's terms.
    pub exclusion: Option<exclusion::ExclusionFigures>,
    /// For a request for penalty notices: the terms each parent would get.
    pub penalty_request: Option<Vec<PenaltyFigures>>,
    /// Every session of unauthorised absence in the register given, in order.
    pub unauthorised: Vec<MarkFigure>,
    /// The history, in date order.
    pub history: Vec<case::Step>,
    /// Whether the history shows a level 3 step (a contract or a formal
    /// attendance meeting).
    pub level_three_step: bool,
    /// For a request for evidence: the sessions and the reply date.
    pub evidence: Option<EvidenceFigures>,
    /// For a home-visit letter: the date to get in touch by.
    pub visit: Option<VisitFigures>,
    /// For a contract: its review dates.
    pub contract: Option<ContractFigures>,
    /// For a notice to improve: the improvement period.
    pub improvement: Option<steps::ImprovementPeriod>,
    /// The thresholds and periods of the edition's rules, for letters that
    /// explain them.
    pub rules: rules::RuleFacts,
    /// For a prosecution: the offence in words and the register extract of
    /// its period.
    pub court: Option<CourtFigures>,
    /// For a prosecution bundle: what the register adds (exhibits,
    /// chronology, warnings).
    pub bundle: Option<BundleFigures>,
    /// For a letter or record about an issued penalty notice (a
    /// withdrawal, a decision to prosecute, a single justice procedure
    /// pack): the notice as the register holds it.
    pub notice: Option<after::NoticeFigures>,
    /// For a decision-to-prosecute record: the limit, the route, the
    /// chronology from the register.
    pub decision: Option<after::DecisionFigures>,
    /// For a single justice procedure pack: its dates.
    pub sjp: Option<SjpFigures>,
    /// For a bundle or pack: the decision to prosecute on record.
    pub decision_record: Option<after::DecisionRecord>,
    /// The day a letter posted on the document's date is expected to
    /// arrive (the deemed day of receipt by post).
    pub arrives_on: Option<NaiveDate>,
    /// For an invitation (a meeting, an Attendance Improvement Meeting, an
    /// interview): the day to say whether the family can come.
    pub invitation: Option<InvitationFigures>,
}

/// The dates of a single justice procedure pack.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SjpFigures {
    /// The day the pack, posted on its date, is taken to be served.
    pub served_on: NaiveDate,
    /// The last day to reply to the notice (served, plus
    /// [`rules::lapse::SJP_RESPONSE_DAYS`], on a working day).
    pub respond_by: NaiveDate,
    /// How many days the defendant has to reply.
    pub response_days: u64,
}

/// What an invitation asks of the family.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InvitationFigures {
    /// The last day to say whether they can come, or to ask for another time.
    pub reply_by: NaiveDate,
}

/// The offence charged and the register for its period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CourtFigures {
    /// e.g. `section 444(1A) of the Education Act 1996`.
    pub section: &'static str,
    /// What the offence is, in plain terms.
    pub offence: &'static str,
    /// The register for the offence period, session by session.
    pub register: rules::court::RegisterExtract,
    /// The child's age on the first day of the period.
    pub age_from: Option<u32>,
    /// The child's age on the last day of the period.
    pub age_to: Option<u32>,
    /// The last day the information may be laid (Magistrates' Courts Act
    /// 1980 s127: six months).
    pub laid_by: NaiveDate,
    /// Where the six months are counted from (to confirm locally).
    pub limit_from: &'static str,
}

/// One register mark with the meaning of its code.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MarkFigure {
    /// The day.
    pub date: NaiveDate,
    /// Morning or afternoon.
    pub session: rules::codes::Session,
    /// The national code.
    pub code: String,
    /// What the code means.
    pub meaning: &'static str,
}

/// What a request for evidence of absence states.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EvidenceFigures {
    /// The sessions asked about, in date order.
    pub sessions: Vec<case::EvidenceItem>,
    /// The last day to reply.
    pub reply_by: NaiveDate,
}

/// What a home-visit letter states.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VisitFigures {
    /// After a visit with nobody in: the last day to get in touch.
    pub contact_by: Option<NaiveDate>,
}

/// What a contract states about its reviews.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ContractFigures {
    /// The review meetings, in order.
    pub reviews: Vec<NaiveDate>,
    /// The last review, when the contract ends unless extended.
    pub ends_on: Option<NaiveDate>,
}

/// The marks of a case's register as the rules take them.
pub fn marks(case: &Case) -> Vec<rules::codes::Mark<'_>> {
    case.attendance
        .iter()
        .flat_map(|a| &a.sessions)
        .map(|m| rules::codes::Mark {
            date: m.date,
            session: m.session,
            code: &m.code,
        })
        .collect()
}

/// The figures every copy of a document shares, from the case's sections.
pub fn compute(case: &Case, edition: rules::Edition) -> Figures {
    let mut history = case.history.clone().unwrap_or_default();
    history.sort_by_key(|step| step.date);
    let level_three_step = history.iter().any(|step| {
        matches!(
            step.kind,
            case::StepKind::Contract | case::StepKind::FormalMeeting
        )
    });
    let mut unauthorised = case
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
    unauthorised.sort_by_key(|m| (m.date, m.session));
    Figures {
        // A case's counts are checked to add up before figures are made
        // (`case::check`), so the figures cannot fail here.
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
        exclusion: None,
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
            CourtFigures {
                section,
                offence,
                register: rules::court::register_extract(
                    &marks(case),
                    p.offence_from,
                    p.offence_to,
                ),
                age_from: rules::age_on(case.pupil.date_of_birth, p.offence_from),
                age_to: rules::age_on(case.pupil.date_of_birth, p.offence_to),
                laid_by: rules::lapse::limit_date(p.offence_to),
                limit_from: rules::lapse::LIMIT_FROM,
            }
        }),
        bundle: None,
        notice: None,
        decision: None,
        decision_record: None,
        sjp: case
            .sjp
            .as_ref()
            .and_then(|_| steps::arrives_on(case.date))
            .and_then(|served_on| {
                Some(SjpFigures {
                    served_on,
                    respond_by: rules::lapse::sjp_respond_by(served_on)?,
                    response_days: rules::lapse::SJP_RESPONSE_DAYS,
                })
            }),
        arrives_on: steps::arrives_on(case.date),
        invitation: case
            .meeting
            .as_ref()
            .map(|m| m.date)
            .or(case.interview.as_ref().map(|i| i.date))
            .and_then(|event| steps::invitation_reply_by(case.date, event))
            .map(|reply_by| InvitationFigures { reply_by }),
    }
}
