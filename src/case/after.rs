//! The sections of a case for what follows a penalty notice
//! (`../shared/docs/domain.md` §9): withdrawing a notice, the authority's
//! record of its decision to prosecute, and the single justice procedure
//! pack for an unpaid notice.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::*;
use crate::rules::events::WithdrawalGround;

/// A penalty notice the document is about, by its number in the register.
pub const NOTICE_PATTERN: &str = r"^[A-Z]{2,3}[0-9]{2}-[0-9]{6}[A-Z]$";

/// The withdrawal of a penalty notice (SI 2007/1867 reg 8, or reg 9 when it
/// was not paid and the authority does not prosecute). Issuing the letter
/// records the `withdrawn` event on the notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// The notice's number in the register, e.g. `PN27-000004H`.
    #[schemars(regex(pattern = r"^[A-Z]{2,3}[0-9]{2}-[0-9]{6}[A-Z]$"))]
    pub notice: String,
    /// The parent it was issued to: an index into `parents`. The letter
    /// goes to that parent only.
    #[schemars(range(max = 5))]
    pub parent: usize,
    /// The ground, from the closed list.
    pub ground: WithdrawalGround,
    /// What the authority found, in a sentence or two, printed after the
    /// ground (e.g. `The school has confirmed that the absence on 12 March
    /// was authorised.`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 600))]
    pub explanation: Option<String>,
}

/// How a prosecution is brought (Criminal Justice Act 2003 s29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Route {
    /// A written charge and a requisition to appear in court.
    Requisition,
    /// A written charge and a single justice procedure notice (s444(1) only,
    /// a defendant aged 18 or over: s29(2AA)).
    SingleJustice,
}

/// Whether the authority's own duty to arrange suitable education (s19
/// Education Act 1996) was in question, and what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EducationDuty {
    /// Whether it was in question (for example a child too ill to attend,
    /// or excluded).
    pub in_question: bool,
    /// What was found, in words.
    #[schemars(length(min = 1, max = 1000))]
    pub finding: String,
}

/// The person who made a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionMaker {
    /// Full name.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Role, e.g. `KPAS Courts Team Manager`.
    #[schemars(length(min = 1, max = 120))]
    pub role: String,
}

/// The authority's record of its decision to prosecute one parent: what the
/// Ombudsman finds missing when a decision was "not properly documented"
/// (LGO 21 010 042). The record is dated with the case's `date`, the day
/// of the decision; issuing it records the `decision` event (prosecute) on
/// the lapsed notice it follows, if it follows one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProsecutionDecision {
    /// The parent to be prosecuted: an index into `parents`.
    #[schemars(range(max = 5))]
    pub defendant: usize,
    /// The defendant's date of birth (needed for the single justice
    /// procedure: a defendant aged 18 or over).
    #[serde(default)]
    pub defendant_date_of_birth: Option<NaiveDate>,
    /// The offence to be charged.
    pub offence: Offence,
    /// First day of the offence period.
    pub offence_from: NaiveDate,
    /// Last day of the offence period.
    pub offence_to: NaiveDate,
    /// The unpaid penalty notice the decision follows, if it follows one.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Z]{2,3}[0-9]{2}-[0-9]{6}[A-Z]$"))]
    pub notice: Option<String>,
    /// How the prosecution will be brought.
    pub route: Route,
    /// The evidence relied on, one item each.
    #[schemars(length(min = 1, max = 30), inner(length(min = 1, max = 600)))]
    pub evidence: Vec<String>,
    /// Medical or other evidence the family gave, and how it was weighed;
    /// empty when none was given.
    #[serde(default)]
    #[schemars(length(max = 30), inner(length(min = 1, max = 1000)))]
    pub weighed: Vec<String>,
    /// How the family responded to the support offered, in words (the
    /// record adds the register's chronology).
    #[schemars(length(min = 1, max = 2000))]
    pub family_response: String,
    /// Whether an education supervision order was considered (s447) and why
    /// it was not applied for instead.
    pub eso_considered: EsoConsidered,
    /// Whether the authority's own duty under s19 was in question.
    pub education_duty: EducationDuty,
    /// The public-interest factors weighed, for and against, one each.
    #[schemars(length(min = 1, max = 20), inner(length(min = 1, max = 600)))]
    pub public_interest: Vec<String>,
    /// Who decided.
    pub decided_by: DecisionMaker,
}

/// Where a defendant answers a single justice procedure notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SjpReply {
    /// Who the reply goes to, e.g. `Single Justice Procedure, Kent
    /// Magistrates' Courts`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Its postal address.
    pub address: Address,
    /// A web address to reply online, if the court offers one.
    #[serde(default)]
    #[schemars(length(min = 4, max = 120))]
    pub online: Option<String>,
    /// A telephone number for questions about the notice.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub phone: Option<String>,
}

/// The single justice procedure pack for an unpaid penalty notice: the
/// written charge and notice (Criminal Justice Act 2003 s29), served with
/// the evidence at the same time (s29(3A)). The rest of the prosecution is
/// in the case's `prosecution` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sjp {
    /// The unpaid penalty notice, by its number; it must be one of the
    /// prosecution's exhibits.
    #[schemars(regex(pattern = r"^[A-Z]{2,3}[0-9]{2}-[0-9]{6}[A-Z]$"))]
    pub notice: String,
    /// Where the defendant replies.
    pub reply: SjpReply,
}

/// One notice to a parent of an excluded pupil.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExclusionNoticeFor {
    /// The parent: an index into `parents`.
    #[schemars(range(max = 5))]
    pub parent: usize,
    /// Never given by the caller: the register numbers each notice when it
    /// is issued (`EPN26-000001…`), and a proof prints `PROOF - NOT ISSUED`.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Z]{2,3}[0-9]{2}-[0-9]{6}[A-Z]$"))]
    pub notice_number: Option<String>,
}

/// An excluded pupil found in a public place in school hours on one of the
/// days the school's notice named (Education and Inspections Act 2006 s103,
/// s105): the facts of the penalty notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// The first day of the exclusion.
    pub from: NaiveDate,
    /// The days the school's notice to the parent named (the first five
    /// school days of the exclusion, at most), in order.
    #[schemars(length(min = 1, max = 5))]
    pub days: Vec<NaiveDate>,
    /// The day the school gave the parent that notice (s104).
    pub notified_on: NaiveDate,
    /// The day the pupil was found.
    pub found_on: NaiveDate,
    /// The time, `HH:MM`, in school hours.
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub found_at_time: String,
    /// The public place, e.g. `the bus station, Pudding Lane, Maidstone`.
    #[schemars(length(min = 1, max = 160))]
    pub found_at: String,
    /// Who found the pupil, e.g. `PC 4471 Stevens, Kent Police`.
    #[schemars(length(min = 1, max = 160))]
    pub found_by: String,
    /// One notice per parent.
    #[schemars(length(min = 1, max = 6))]
    pub notices: Vec<ExclusionNoticeFor>,
}
