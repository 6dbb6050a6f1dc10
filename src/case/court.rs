//! The court sections of a case: a prosecution under s444 Education Act 1996
//! (the bundle for the magistrates' court) and an application for an
//! education supervision order.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::*;

/// A court, with its address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Court {
    /// e.g. `Maidstone Magistrates' Court`, `the Family Court at Canterbury`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Its address.
    pub address: Address,
    /// The court's own case number (in a magistrates' court, the URN),
    /// once it has given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 40),
        regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9/._ -]*$")
    )]
    pub case_number: Option<String>,
    /// The date of the hearing, once listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hearing_on: Option<NaiveDate>,
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
    #[schemars(regex(pattern = r"^[A-Z]{2,3}[0-9]{2}-[0-9]{6}[A-Z]$"))]
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
    /// The document the step made or relies on, when there is one: a
    /// register reference produced as an exhibit, or the reference an item
    /// of unused material gives (a signed contract kept on paper, say).
    /// A court bundle refuses a document step that is neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 60))]
    pub reference: Option<String>,
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
    /// The reference of the document it is (a register reference, or the
    /// one a chronology step gives), so the bundle can tell that every
    /// document it relies on is exhibited or scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 60))]
    pub reference: Option<String>,
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
    /// The defendant's date of birth, for the cover (the court identifies
    /// the defendant by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defendant_date_of_birth: Option<NaiveDate>,
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
