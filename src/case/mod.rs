//! The case: what a caller tells docket about a school, a pupil, the pupil's
//! parents and carers, and the facts a document needs. Owns the serde model,
//! its JSON Schema and the validation that turns untrusted JSON into a [`Case`].
//!
//! Every type rejects unknown fields, so a misspelt field is reported instead
//! of silently vanishing. Validation reports every problem at once (see
//! the `validate` module).

mod validate;

pub use validate::{Problem, Problems, parse_case, schema, schema_for, validate_value};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The optional sections a template version may require in `meta.toml`.
pub const SECTIONS: &[&str] = &[
    "attendance",
    "officer",
    "concern",
    "meeting",
    "authority",
    "penalty",
    "evidence",
    "visit",
    "referral",
    "plan",
    "contract",
    "improvement",
    "intervention",
    "interview",
    "history",
    "prosecution",
    "eso",
];

/// One case, as posted by a case tool: everything a document may print.
///
/// Sections other than `school`, `pupil` and `parents` are optional in the
/// schema; each template version says which ones it needs (`requires` in its
/// `meta.toml`) and validation reports the missing ones for that kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The sender's reference for this case, printed on every page and used to
    /// identify the PDF (e.g. `ATT/2026/00412`).
    #[schemars(
        length(min = 1, max = 40),
        regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")
    )]
    pub reference: String,
    /// The date the document is issued and printed with (ISO 8601, `YYYY-MM-DD`).
    pub date: NaiveDate,
    /// The school where the pupil is registered.
    pub school: School,
    /// The child the document is about.
    pub pupil: Pupil,
    /// Parents and carers (anyone with parental responsibility or care of the
    /// child, Education Act 1996 s576). At least one.
    #[schemars(length(min = 1, max = 6))]
    pub parents: Vec<Parent>,
    /// Attendance figures for a period.
    #[serde(default)]
    pub attendance: Option<Attendance>,
    /// The local authority's attendance officer on the case.
    #[serde(default)]
    pub officer: Option<Officer>,
    /// What the school is worried about and will do (absence concern letters).
    #[serde(default)]
    pub concern: Option<Concern>,
    /// A meeting the parents are invited to.
    #[serde(default)]
    pub meeting: Option<Meeting>,
    /// The local authority: who issues notices and receives payments.
    #[serde(default)]
    pub authority: Option<Authority>,
    /// The facts of a penalty notice, or of a request for one.
    #[serde(default)]
    pub penalty: Option<Penalty>,
    /// Absences the school asks the parents to explain or give evidence for.
    #[serde(default)]
    pub evidence: Option<EvidenceRequest>,
    /// A home visit, announced or made.
    #[serde(default)]
    pub visit: Option<Visit>,
    /// A referral to another agency (the Front Door).
    #[serde(default)]
    pub referral: Option<Referral>,
    /// A support plan agreed at a Targeting Support Meeting.
    #[serde(default)]
    pub plan: Option<SupportPlan>,
    /// An attendance (formerly parenting) contract.
    #[serde(default)]
    pub contract: Option<Contract>,
    /// A notice to improve: the support given and offered, and school
    /// closures in the improvement period.
    #[serde(default)]
    pub improvement: Option<NoticeToImprove>,
    /// A school's request for statutory attendance intervention.
    #[serde(default)]
    pub intervention: Option<InterventionRequest>,
    /// An interview under caution offered to a parent.
    #[serde(default)]
    pub interview: Option<Interview>,
    /// What has been done so far, in any order: letters, meetings, visits,
    /// plans, contracts, notices. Printed in date order.
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub history: Option<Vec<Step>>,
    /// A prosecution under s444 Education Act 1996: the bundle for the
    /// magistrates' court.
    #[serde(default)]
    pub prosecution: Option<Prosecution>,
    /// An application to the Family Court for an education supervision
    /// order (s36 Children Act 1989, s447 Education Act 1996).
    #[serde(default)]
    pub eso: Option<EsoApplication>,
}

/// A court, with its address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Court {
    /// e.g. `Maidstone Magistrates' Court`, `the Family Court at Canterbury`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Its address.
    pub address: Address,
}

/// The offence charged (Education Act 1996).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Offence {
    /// s444(1): a registered pupil of compulsory school age fails to attend
    /// regularly (strict liability).
    #[serde(rename = "s444(1)")]
    S444_1,
    /// s444(1A): as (1), and the parent knows and fails without reasonable
    /// justification to cause the child to attend.
    #[serde(rename = "s444(1A)")]
    S444_1a,
    /// s444(1) as extended by s444ZA to education the child is required to
    /// attend away from the school (e.g. alternative provision).
    #[serde(rename = "s444ZA")]
    S444za,
}

/// How the parent answered the offer of an interview under caution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InterviewOutcome {
    /// The parent came and was interviewed.
    Attended,
    /// The parent declined.
    Declined,
    /// The parent did not answer or did not come.
    NoResponse,
}

/// The interview under caution offered before the prosecution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleInterview {
    /// When the offer was made.
    pub offered_on: NaiveDate,
    /// The reference of the offer letter in the register, if docket issued it.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub offer_reference: Option<String>,
    /// What came of it.
    pub outcome: InterviewOutcome,
    /// When the interview was held (when attended).
    #[serde(default)]
    pub held_on: Option<NaiveDate>,
    /// The record of the interview, one paragraph per item (when attended):
    /// it becomes an exhibit.
    #[serde(default)]
    #[schemars(length(max = 60), inner(length(min = 1, max = 2000)))]
    pub record: Vec<String>,
}

/// The record that an education supervision order was considered before
/// prosecuting (s447(1) Education Act 1996).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EsoConsidered {
    /// When.
    pub on: NaiveDate,
    /// Who decided.
    #[schemars(length(min = 1, max = 120))]
    pub by: String,
    /// Why prosecution was chosen instead of (or as well as) an ESO.
    #[schemars(length(min = 1, max = 2000))]
    pub reasons: String,
}

/// A document from the register of issued documents, produced as an exhibit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExhibitRef {
    /// Its reference in the register, e.g. `DK26-000042X` or a notice number
    /// `PN26-000123K`.
    #[schemars(regex(pattern = r"^[A-Z]{2}[0-9]{2}-[0-9]{6}[A-Z]$"))]
    pub reference: String,
    /// What it is, e.g. `Letter inviting Mrs Whitfield to a formal attendance
    /// meeting`; by default the document's title.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub description: Option<String>,
}

/// An event for the chronology that is not a document in the register
/// (those are added from the register).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChronologyEntry {
    /// When.
    pub date: NaiveDate,
    /// What kind of step.
    pub kind: StepKind,
    /// What happened, in a sentence.
    #[schemars(length(min = 1, max = 400))]
    pub summary: String,
    /// What came of it.
    #[serde(default)]
    #[schemars(length(min = 1, max = 400))]
    pub outcome: Option<String>,
}

/// An item of unused material (non-sensitive) for disclosure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnusedItem {
    /// What it is.
    #[schemars(length(min = 1, max = 300))]
    pub description: String,
    /// Where it is kept.
    #[schemars(length(min = 1, max = 200))]
    pub location: String,
}

/// The prosecution of one parent for one child's absence: everything the
/// bundle for the magistrates' court states beyond the rest of the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prosecution {
    /// The court.
    pub court: Court,
    /// The defendant: an index into `parents`.
    #[schemars(range(max = 5))]
    pub defendant: usize,
    /// The offence charged. The KPAS edition prosecutes under s444(1A) only.
    pub offence: Offence,
    /// First day of the offence period.
    pub offence_from: NaiveDate,
    /// Last day of the offence period.
    pub offence_to: NaiveDate,
    /// The bundle's own reference, e.g. `KPAS/PROS/2026/0042`.
    #[schemars(
        length(min = 1, max = 40),
        regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")
    )]
    pub bundle_reference: String,
    /// The witness (the attendance officer) whose s9 statement the bundle
    /// holds; `officer` gives the contact details.
    pub witness: Witness,
    /// The head teacher who signs the certificate of attendance (by default
    /// `school.head_teacher`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 120))]
    pub certifying_head_teacher: Option<String>,
    /// How the defendant is known to have parental responsibility or care of
    /// the child (s576), e.g. `Named as mother on the school's admission form
    /// dated 2 September 2021`.
    #[schemars(length(min = 1, max = 600))]
    pub parental_responsibility_evidence: String,
    /// How the child's date of birth is known, e.g. `Birth certificate seen
    /// by the school on admission`.
    #[schemars(length(min = 1, max = 600))]
    pub age_evidence: String,
    /// The record that an ESO was considered (s447).
    #[serde(default)]
    pub eso_considered: Option<EsoConsidered>,
    /// The interview under caution offered.
    #[serde(default)]
    pub interview: Option<BundleInterview>,
    /// Documents the parent was sent, produced from the register.
    #[schemars(length(max = 40))]
    pub exhibits: Vec<ExhibitRef>,
    /// Steps not in the register (meetings, visits, calls, the AIM...).
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub chronology: Vec<ChronologyEntry>,
    /// Unused material (non-sensitive) for disclosure.
    #[serde(default)]
    #[schemars(length(max = 60))]
    pub unused_material: Vec<UnusedItem>,
}

/// A witness making a statement under s9 Criminal Justice Act 1967.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// Full name.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Occupation, e.g. `Attendance Officer, Kent County Council`.
    #[schemars(length(min = 1, max = 160))]
    pub occupation: String,
    /// The initials exhibits are labelled with (e.g. `RA` for `RA/1`); by
    /// default from the name.
    #[serde(default)]
    #[schemars(length(min = 1, max = 4), regex(pattern = r"^[A-Z]{1,4}$"))]
    pub initials: Option<String>,
    /// The witness's own account, one paragraph per item: how they came to
    /// the case and what they did. The bundle adds the exhibits and figures.
    #[schemars(length(min = 1, max = 40), inner(length(min = 1, max = 2000)))]
    pub account: Vec<String>,
}

/// An application for an education supervision order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EsoApplication {
    /// The court applied to.
    pub court: Court,
    /// Whether the child is being looked after by a local authority (an ESO
    /// cannot then be made, s36(6) Children Act 1989).
    pub looked_after: bool,
    /// Support tried, and how the family responded, in date order.
    #[schemars(length(min = 1, max = 30))]
    pub support: Vec<ChronologyEntry>,
    /// Why an ESO is appropriate now, one paragraph per item.
    #[schemars(length(min = 1, max = 12), inner(length(min = 1, max = 2000)))]
    pub reasons: Vec<String>,
    /// The consultation with children's social care (s36(8)).
    pub social_care: SocialCareConsultation,
    /// The proposed supervisor.
    pub supervisor: Officer,
    /// What the supervision would aim at, one objective per item.
    #[schemars(length(min = 1, max = 12), inner(length(min = 1, max = 600)))]
    pub plan: Vec<String>,
    /// The order's length sought, in months: up to 12 for a first order
    /// (Children Act 1989 Sch 3 para 15).
    #[schemars(range(min = 1, max = 36))]
    pub duration_months: u8,
    /// The child's views, if known.
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub child_views: Option<String>,
    /// The parents' views, if known.
    #[serde(default)]
    #[schemars(length(min = 1, max = 2000))]
    pub parent_views: Option<String>,
}

/// The consultation with children's social care before applying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialCareConsultation {
    /// When.
    pub on: NaiveDate,
    /// Who was consulted, e.g. `Children's Social Work Services, Swale`.
    #[schemars(length(min = 1, max = 200))]
    pub with: String,
    /// What they said.
    #[schemars(length(min = 1, max = 2000))]
    pub outcome: String,
}

/// A school (or pupil referral unit, or alternative provision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct School {
    /// The school's name as it should appear in the letterhead.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Postal address.
    pub address: Address,
    /// Main telephone number.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
    /// Main e-mail address.
    #[schemars(length(min = 3, max = 254), email)]
    pub email: String,
    /// Head teacher (or person in charge).
    #[schemars(length(min = 1, max = 120))]
    pub head_teacher: String,
    /// The member of staff parents should contact about attendance; usually
    /// the senior attendance champion, who signs school letters.
    pub attendance_lead: StaffMember,
}

/// A named member of staff with their role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// Full name, e.g. `Mrs Sarah Okafor`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Role, e.g. `Deputy Head and Senior Attendance Champion`.
    #[schemars(length(min = 1, max = 120))]
    pub role: String,
    /// Direct telephone number, if different from the school's.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub phone: Option<String>,
    /// Direct e-mail address.
    #[serde(default)]
    #[schemars(length(min = 3, max = 254), email)]
    pub email: Option<String>,
}

/// A UK postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street lines (house number and street, locality), one to three.
    #[schemars(length(min = 1, max = 3), inner(length(min = 1, max = 60)))]
    pub lines: Vec<String>,
    /// Post town.
    #[schemars(length(min = 1, max = 40))]
    pub town: String,
    /// Postcode, e.g. `ME14 1XQ`. Any case and spacing is accepted; it is
    /// printed in the standard form.
    #[schemars(length(min = 5, max = 10))]
    pub postcode: String,
}

/// The child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pupil {
    /// Legal forename(s).
    #[schemars(length(min = 1, max = 80))]
    pub given_names: String,
    /// Legal surname.
    #[schemars(length(min = 1, max = 80))]
    pub family_name: String,
    /// The name the child is known by, used in running text if given.
    #[serde(default)]
    #[schemars(length(min = 1, max = 80))]
    pub known_as: Option<String>,
    /// Unique Pupil Number: 13 characters with a check letter first.
    #[schemars(length(min = 13, max = 13))]
    pub upn: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// National curriculum year group: 0 for Reception, 1 to 13.
    #[schemars(range(min = 0, max = 13))]
    pub year_group: u8,
    /// Where the child lives, when a document must state it (penalty
    /// notices); by default the recipient's address.
    #[serde(default)]
    pub address: Option<Address>,
}

/// A parent or carer (Education Act 1996 s576).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// Title, if the parent uses one: `Mr`, `Mrs`, `Ms`, `Miss`, `Mx`, `Dr`…
    #[serde(default)]
    #[schemars(length(min = 1, max = 20))]
    pub title: Option<String>,
    /// Forename(s).
    #[schemars(length(min = 1, max = 80))]
    pub given_names: String,
    /// Surname.
    #[schemars(length(min = 1, max = 80))]
    pub family_name: String,
    /// Relationship to the child.
    pub relationship: Relationship,
    /// Whether this person holds parental responsibility.
    pub parental_responsibility: bool,
    /// Where letters to this person are posted.
    pub address: Address,
}

/// How a parent or carer is related to the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Relationship {
    /// Mother.
    Mother,
    /// Father.
    Father,
    /// Step-parent.
    StepParent,
    /// Adoptive parent.
    AdoptiveParent,
    /// Foster carer.
    FosterCarer,
    /// Special guardian or legal guardian.
    Guardian,
    /// Grandparent.
    Grandparent,
    /// Any other person with care of the child.
    Carer,
}

/// Attendance over a period, in sessions (a session is a morning or an
/// afternoon).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// Sessions the pupil could have attended (excludes sessions when
    /// attendance was not required or not possible).
    #[schemars(range(min = 1, max = 2000))]
    pub possible_sessions: u32,
    /// Sessions of authorised absence (illness, appointments, leave granted…).
    #[schemars(range(max = 2000))]
    pub authorised_absences: u32,
    /// Sessions of unauthorised absence.
    #[schemars(range(max = 2000))]
    pub unauthorised_absences: u32,
    /// Of the authorised absences, how many were recorded as illness (code I).
    #[serde(default)]
    #[schemars(range(max = 2000))]
    pub illness_absences: u32,
    /// Session-by-session register marks for the period, where a document
    /// needs them (penalty notices, certificates of attendance).
    #[serde(default)]
    #[schemars(length(max = 1000))]
    pub sessions: Vec<SessionMark>,
}

/// One register mark: a morning or afternoon and its national code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionMark {
    /// The day.
    pub date: NaiveDate,
    /// `AM` or `PM`.
    pub session: crate::rules::codes::Session,
    /// The national attendance code, e.g. `/`, `I`, `O`, `G`.
    #[schemars(length(min = 1, max = 2))]
    pub code: String,
}

/// The local authority named on notices: it issues them and receives payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// The council, e.g. `Kent County Council`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// The team that issues notices, e.g. `KPAS Courts Team`.
    #[schemars(length(min = 1, max = 120))]
    pub team: String,
    /// Address for payment and correspondence.
    pub address: Address,
    /// Telephone number for questions and payment by card.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
    /// E-mail address for correspondence.
    #[schemars(length(min = 3, max = 254), email)]
    pub email: String,
    /// Web address of the online payment service (needed on penalty notices).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub payment_url: Option<String>,
}

/// Why a penalty notice is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PenaltyGrounds {
    /// Leave in term time that the head teacher did not authorise (code G).
    UnauthorisedHoliday,
    /// Unauthorised absence that continued after a notice to improve.
    UnauthorisedAbsence,
}

/// An earlier penalty notice to the same parent for the same child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousNotice {
    /// When it was issued.
    pub issued_on: NaiveDate,
    /// Its notice number.
    #[schemars(length(min = 1, max = 40))]
    pub notice_number: String,
    /// Whether it was withdrawn (withdrawn notices do not count).
    #[serde(default)]
    pub withdrawn: bool,
}

/// The notice for one parent: each parent liable gets their own notice, with
/// its own number, and their own history counts toward the limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParentNotice {
    /// Which parent (index into `parents`).
    #[schemars(range(max = 5))]
    pub parent: usize,
    /// The notice's number, quoted when paying. Needed on the notice itself;
    /// a school's request has none yet.
    #[serde(default)]
    #[schemars(
        length(min = 1, max = 40),
        regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")
    )]
    pub notice_number: Option<String>,
    /// Earlier notices to this parent for this child (all of them; docket
    /// decides which count).
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub previous_notices: Vec<PreviousNotice>,
}

/// The facts of a penalty notice, or of a school's request for one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Penalty {
    /// First day of the period in which the offence was committed.
    pub offence_from: NaiveDate,
    /// Last day of that period.
    pub offence_to: NaiveDate,
    /// Why the notice is issued.
    pub grounds: PenaltyGrounds,
    /// When the school asked for the notice.
    pub requested_on: NaiveDate,
    /// One entry per parent who is to receive a notice.
    #[schemars(length(min = 1, max = 6))]
    pub notices: Vec<ParentNotice>,
    /// When the notice to improve that preceded this notice was issued.
    /// Under the KPAS edition a notice for unauthorised absence (not a
    /// term-time holiday) needs one.
    #[serde(default)]
    pub notice_to_improve_issued_on: Option<NaiveDate>,
}

/// The local authority's attendance officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// Full name.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Job title, e.g. `KPAS Officer`.
    #[schemars(length(min = 1, max = 120))]
    pub title: String,
    /// Telephone number.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
    /// E-mail address.
    #[schemars(length(min = 3, max = 254), email)]
    pub email: String,
}

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
