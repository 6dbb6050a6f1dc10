//! The case: what a caller tells docket about a school, a pupil, the pupil's
//! parents and carers, and the facts a document needs. Owns the serde model,
//! its JSON Schema, and the checks that turn untrusted JSON into a [`Case`]:
//! [`parse`] (the schema, the text, the sections a document needs) and
//! [`check`] (meaning: check letters, postcodes, counts, dates in order).
//! Refusals by a rule of the law or the framework are `figures`' to make.
//!
//! Every type rejects unknown fields, so a misspelt field is reported instead
//! of silently vanishing. Every problem is reported at once, by JSON pointer.

mod after;
mod attendance;
mod checks;
mod court;
pub mod limits;
mod people;
mod problem;
mod schema;
mod steps;

pub use after::*;
pub use attendance::*;
pub use checks::check;
pub use court::*;
pub use people::*;
pub use problem::{Problem, Problems};
pub use schema::{check_text, parse, schema, schema_for, validate_value};
pub use steps::*;

pub use crate::rules::codes::Session;
pub use crate::rules::court::Offence;

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
    "withdrawal",
    "decision",
    "sjp",
    "exclusion",
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
    /// The withdrawal of a penalty notice.
    // Left out when absent, so that the canonical JSON (and the case hash)
    // of every case made before these sections existed is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
    /// The authority's decision to prosecute one parent.
    // Left out when absent, so that the canonical JSON (and the case hash)
    // of every case made before these sections existed is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ProsecutionDecision>,
    /// The single justice procedure for an unpaid penalty notice.
    // Left out when absent, so that the canonical JSON (and the case hash)
    // of every case made before these sections existed is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sjp: Option<Sjp>,
    /// An excluded pupil found in a public place: a penalty notice under
    /// s105 Education and Inspections Act 2006.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusion: Option<Exclusion>,
}
