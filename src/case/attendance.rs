//! Attendance over a period, the register session by session, and the facts
//! of a penalty notice (or of a school's request for one).

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
