//! The case: what a caller tells docket about a school, a pupil, the pupil's
//! parents and carers, and the facts a document needs. Owns the serde model,
//! its JSON Schema and the validation that turns untrusted JSON into a [`Case`].
//!
//! Every type rejects unknown fields, so a misspelt field is reported instead
//! of silently vanishing. Validation reports every problem at once (see
//! [`validate`]).

mod validate;

pub use validate::{Problem, Problems, parse_case, schema, validate_value};

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
    /// The facts of a penalty notice.
    #[serde(default)]
    pub penalty: Option<Penalty>,
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
    /// Web address of the online payment service.
    #[schemars(length(min = 1, max = 200))]
    pub payment_url: String,
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
    /// The notice's number, quoted when paying.
    #[schemars(
        length(min = 1, max = 40),
        regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9/._-]*$")
    )]
    pub notice_number: String,
    /// Earlier notices to this parent for this child (all of them; docket
    /// decides which count).
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub previous_notices: Vec<PreviousNotice>,
}

/// The facts of a penalty notice.
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
