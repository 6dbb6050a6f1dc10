//! The framework's steps before court: concern letters, meetings, evidence
//! requests, home visits, referrals, plans, contracts, notices to improve,
//! statutory intervention requests, interviews under caution, and the
//! history of what has been done.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::*;

/// The school's concern about attendance, for the absence concern letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Concern {
    /// What the school will do to help, one action per item.
    #[schemars(length(min = 1, max = 8), inner(length(min = 1, max = 300)))]
    pub school_actions: Vec<String>,
    /// Ask the parents for medical evidence for future illness absences.
    #[serde(default)]
    pub request_medical_evidence: bool,
}

/// A meeting the parents are invited to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    /// Day of the meeting.
    pub date: NaiveDate,
    /// Start time, 24-hour `HH:MM`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// Where it takes place, e.g. `the school's family room`.
    #[schemars(length(min = 1, max = 200))]
    pub place: String,
    /// Who will be there for the school or other services.
    #[schemars(length(min = 1, max = 8))]
    pub attendees: Vec<StaffMember>,
    /// What the meeting is for, one point per item.
    #[schemars(length(min = 1, max = 8), inner(length(min = 1, max = 300)))]
    pub purpose: Vec<String>,
    /// Whether the child is invited too.
    #[serde(default)]
    pub pupil_invited: bool,
}

/// A morning or afternoon on a given day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceItem {
    /// The day.
    pub date: NaiveDate,
    /// `AM` or `PM`.
    pub session: crate::rules::codes::Session,
    /// The reason the family gave, if any, e.g. `illness` or `dental
    /// appointment`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 120))]
    pub reason_given: Option<String>,
}

/// Absences the school asks the parents to explain or give evidence for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRequest {
    /// The sessions, in any order; printed in date order.
    #[schemars(length(min = 1, max = 60))]
    pub sessions: Vec<EvidenceItem>,
}

/// Whether a home visit is announced or has been made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VisitOutcome {
    /// The letter announces a visit still to come.
    Planned,
    /// The visit was made and nobody answered the door.
    NoAnswer,
}

/// A home visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// Day of the visit.
    pub date: NaiveDate,
    /// Time of the visit, 24-hour `HH:MM`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// Who visits (or visited).
    #[schemars(length(min = 1, max = 4))]
    pub visitors: Vec<StaffMember>,
    /// Announced, or made with nobody in.
    pub outcome: VisitOutcome,
    /// Why the school is visiting, one point per item.
    #[schemars(length(min = 1, max = 6), inner(length(min = 1, max = 300)))]
    pub purpose: Vec<String>,
}

/// Another organisation a document is sent to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    /// The organisation, e.g. `Kent County Council`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// The team, e.g. `Integrated Children's Services Front Door`.
    #[schemars(length(min = 1, max = 120))]
    pub team: String,
    /// Postal address.
    pub address: Address,
    /// E-mail address for referrals.
    #[schemars(length(min = 3, max = 254), email)]
    pub email: String,
}

/// The assessment a Front Door referral asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReferralService {
    /// An Early Help family assessment (support levels 3): needs the family's consent.
    EarlyHelp,
    /// A Social Care assessment (support level 4).
    SocialCare,
}

/// Whether the family agreed to the referral.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// Whether a parent with parental responsibility agreed.
    pub given: bool,
    /// Which parent agreed (index into `parents`).
    #[serde(default)]
    #[schemars(range(max = 5))]
    pub parent: Option<usize>,
    /// When they agreed.
    #[serde(default)]
    pub on: Option<NaiveDate>,
    /// Without consent: why the referral is made anyway (for a Social Care
    /// assessment, the concern for the child's safety).
    #[serde(default)]
    #[schemars(length(min = 1, max = 600))]
    pub reason_without: Option<String>,
}

/// A referral to the Front Door for an Early Help or Social Care assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// Where the referral goes.
    pub agency: Agency,
    /// The assessment asked for.
    pub service: ReferralService,
    /// The family's consent.
    pub consent: Consent,
    /// Why the school is referring, one point per item.
    #[schemars(length(min = 1, max = 8), inner(length(min = 1, max = 600)))]
    pub reasons: Vec<String>,
    /// What the child says, in their words where possible.
    #[serde(default)]
    #[schemars(length(min = 1, max = 1000))]
    pub child_views: Option<String>,
    /// What the parents or carers say.
    #[serde(default)]
    #[schemars(length(min = 1, max = 1000))]
    pub family_views: Option<String>,
    /// Other services already involved, e.g. `School nurse`.
    #[serde(default)]
    #[schemars(length(max = 8), inner(length(min = 1, max = 200)))]
    pub other_agencies: Vec<String>,
}

/// One agreed action: who does what by when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanAction {
    /// Who, e.g. `School`, `KPAS Officer`, `Mrs Brown`.
    #[schemars(length(min = 1, max = 120))]
    pub owner: String,
    /// What they will do.
    #[schemars(length(min = 1, max = 400))]
    pub action: String,
    /// When it will be done by.
    pub by: NaiveDate,
}

/// The joint school and local authority plan from a Targeting Support Meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportPlan {
    /// When the meeting was held.
    pub meeting_date: NaiveDate,
    /// Who took part.
    #[schemars(length(min = 1, max = 10))]
    pub attendees: Vec<StaffMember>,
    /// What is going well, one point per item.
    #[serde(default)]
    #[schemars(length(max = 8), inner(length(min = 1, max = 400)))]
    pub strengths: Vec<String>,
    /// What stands in the way of attendance, one point per item.
    #[schemars(length(min = 1, max = 8), inner(length(min = 1, max = 400)))]
    pub barriers: Vec<String>,
    /// What each party will do.
    #[schemars(length(min = 1, max = 12))]
    pub actions: Vec<PlanAction>,
    /// When the plan is reviewed (usually the next termly meeting).
    pub review_date: NaiveDate,
}

/// What a partner agency will provide under a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerSupport {
    /// The agency, e.g. `Early Help`.
    #[schemars(length(min = 1, max = 120))]
    pub agency: String,
    /// What it will provide.
    #[schemars(length(min = 1, max = 400))]
    pub support: String,
}

/// An attendance contract (KPAS) or parenting contract (PIAS): a written,
/// voluntary agreement between the parents and the school.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// When it was agreed (the meeting).
    pub agreed_on: NaiveDate,
    /// What the parents will do, one point per item.
    #[schemars(length(min = 1, max = 10), inner(length(min = 1, max = 400)))]
    pub parent_actions: Vec<String>,
    /// What the pupil will do, if the pupil takes part.
    #[serde(default)]
    #[schemars(length(max = 8), inner(length(min = 1, max = 400)))]
    pub pupil_actions: Vec<String>,
    /// What the school will do, one point per item.
    #[schemars(length(min = 1, max = 10), inner(length(min = 1, max = 400)))]
    pub school_actions: Vec<String>,
    /// Support from partner agencies.
    #[serde(default)]
    #[schemars(length(max = 8))]
    pub partner_support: Vec<PartnerSupport>,
    /// Weeks between reviews: 4 to 6.
    #[schemars(range(min = 4, max = 6))]
    pub review_every_weeks: u8,
    /// How many review meetings the contract runs for: 1 to 4.
    #[schemars(range(min = 1, max = 4))]
    pub reviews: u8,
    /// Whether the pupil signs too.
    #[serde(default)]
    pub pupil_signs: bool,
}

/// A run of days the school is closed (a holiday or training days).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// First day closed.
    pub from: NaiveDate,
    /// Last day closed.
    pub to: NaiveDate,
}

/// A notice to improve: the parents' last chance to engage with support
/// before a penalty notice for unauthorised absence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeToImprove {
    /// Support the school and others have given so far.
    #[schemars(length(min = 1, max = 8), inner(length(min = 1, max = 400)))]
    pub support_given: Vec<String>,
    /// Support still on offer, including any not taken up.
    #[schemars(length(min = 1, max = 8), inner(length(min = 1, max = 400)))]
    pub support_offered: Vec<String>,
    /// Days the school is closed during the improvement period, which do not
    /// count as school days.
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub closures: Vec<Closure>,
}

/// The route a school asks the local authority to consider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Pathway {
    /// Let the attendance officer assess the pathway.
    Assess,
    /// Prosecution in the Magistrates' Court.
    Prosecution,
    /// An education supervision order from the Family Court.
    EducationSupervisionOrder,
}

/// A school's request for statutory attendance intervention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InterventionRequest {
    /// Why the school asks now, one point per item.
    #[schemars(length(min = 1, max = 8), inner(length(min = 1, max = 600)))]
    pub reasons: Vec<String>,
    /// The pathway the school suggests.
    pub pathway: Pathway,
    /// Anything the officer should know before contacting the family
    /// (health, language, safety on visits).
    #[serde(default)]
    #[schemars(length(min = 1, max = 1000))]
    pub family_circumstances: Option<String>,
    /// Other services involved with the family.
    #[serde(default)]
    #[schemars(length(max = 8), inner(length(min = 1, max = 200)))]
    pub other_agencies: Vec<String>,
}

/// An interview under caution (PACE 1984 Code C) offered to a parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interview {
    /// Day of the interview.
    pub date: NaiveDate,
    /// Start time, 24-hour `HH:MM`.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// Where, e.g. `Kent County Council, Sessions House, Maidstone`.
    #[schemars(length(min = 1, max = 200))]
    pub place: String,
    /// First day of the period of absence under investigation.
    pub offence_from: NaiveDate,
    /// Last day of that period.
    pub offence_to: NaiveDate,
    /// A language the parent needs an interpreter for, if any.
    #[serde(default)]
    #[schemars(length(min = 1, max = 60))]
    pub interpreter: Option<String>,
}

/// What kind of step a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// A letter to the parents.
    Letter,
    /// A telephone call or message.
    Call,
    /// A meeting with the family.
    Meeting,
    /// A home visit.
    HomeVisit,
    /// A referral to another service.
    Referral,
    /// A support plan (e.g. from a Targeting Support Meeting, or Early Help).
    SupportPlan,
    /// A formal attendance meeting (level 3).
    FormalMeeting,
    /// An attendance or parenting contract (level 3).
    Contract,
    /// A notice to improve.
    NoticeToImprove,
    /// A penalty notice.
    PenaltyNotice,
    /// An Attendance Improvement Meeting (level 4).
    Aim,
    /// An interview under caution.
    Interview,
    /// Anything else.
    Other,
}

/// One step taken with the family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// When.
    pub date: NaiveDate,
    /// What kind of step.
    pub kind: StepKind,
    /// What was done, in a sentence.
    #[schemars(length(min = 1, max = 400))]
    pub summary: String,
    /// What came of it.
    #[serde(default)]
    #[schemars(length(min = 1, max = 400))]
    pub outcome: Option<String>,
    /// The reference of the document sent, if any.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub reference: Option<String>,
}
