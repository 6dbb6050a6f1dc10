//! The timing and preconditions of the framework's steps short of a penalty
//! notice: how long parents have to reply to a letter, when an attendance
//! contract is reviewed, the improvement period of a notice to improve, who
//! must agree to a Front Door referral, and when a school may ask for
//! statutory attendance intervention.
//!
//! The periods here are working decisions of docket's framework (marked so
//! below) or come from the sources in `shared/docs/domain.md`; each lives in
//! one constant so that it can change in one place.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::AbsenceBand;
use super::calendar::{add_working_days, is_working_day, sub_working_days};
use super::penalty::DEEMED_SERVICE_WORKING_DAYS;

/// Working days parents have to send evidence for absences after the date of
/// the school's request (docket's working decision: two school weeks).
pub const EVIDENCE_REPLY_WORKING_DAYS: u32 = 10;

/// Working days parents have to get in touch after a home visit found
/// nobody in (docket's working decision: one school week).
pub const VISIT_CONTACT_WORKING_DAYS: u32 = 5;

/// School days in the improvement period of a notice to improve (Kent: 20
/// school days, KPAS penalty notice page).
pub const IMPROVEMENT_SCHOOL_DAYS: u32 = 20;

/// Reviews of an attendance contract fall 4 to 6 weeks apart (sources in
/// the domain sheet, §5); the case chooses within that range.
pub const CONTRACT_REVIEW_WEEKS: std::ops::RangeInclusive<u8> = 4..=6;

/// Working days before a meeting, an Attendance Improvement Meeting or an
/// interview by which the family is asked to say whether they can come, so
/// that a new time can be found (docket's working decision).
pub const INVITATION_REPLY_WORKING_DAYS_BEFORE: u32 = 2;

/// The day a letter posted on `letter` is expected to reach the family: the
/// deemed day of receipt by post.
pub fn arrives_on(letter: NaiveDate) -> Option<NaiveDate> {
    add_working_days(letter, DEEMED_SERVICE_WORKING_DAYS)
}

/// The day to reply to an invitation dated `letter` to something on
/// `event`: [`INVITATION_REPLY_WORKING_DAYS_BEFORE`] working days before
/// it, and never before the letter is expected to arrive.
pub fn invitation_reply_by(letter: NaiveDate, event: NaiveDate) -> Option<NaiveDate> {
    let before = sub_working_days(event, INVITATION_REPLY_WORKING_DAYS_BEFORE)?;
    Some(before.max(arrives_on(letter)?))
}

/// The date a reply is due, `working_days` after a letter dated `letter`.
pub fn reply_by(letter: NaiveDate, working_days: u32) -> Option<NaiveDate> {
    add_working_days(letter, working_days)
}

/// The first working day on or after `date`.
pub fn on_or_after_working_day(date: NaiveDate) -> Option<NaiveDate> {
    let mut day = date;
    while !is_working_day(day) {
        day = day.succ_opt()?;
    }
    Some(day)
}

/// The review dates of a contract agreed on `agreed_on`: every `every_weeks`
/// weeks, `reviews` times, each moved to the next working day when it falls
/// on a weekend or bank holiday.
pub fn contract_reviews(agreed_on: NaiveDate, every_weeks: u8, reviews: u8) -> Vec<NaiveDate> {
    (1..=u64::from(reviews))
        .filter_map(|k| {
            let due = agreed_on.checked_add_days(Days::new(k * 7 * u64::from(every_weeks)))?;
            on_or_after_working_day(due)
        })
        .collect()
}

/// The improvement period of a notice to improve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ImprovementPeriod {
    /// The day the notice is taken to be received; the period starts then.
    pub starts_on: NaiveDate,
    /// The last school day of the period.
    pub ends_on: NaiveDate,
    /// School days in the period.
    pub school_days: u32,
}

/// The improvement period of a notice to improve issued (posted) on
/// `issued_on`: it starts on the day the notice is taken to be received and
/// runs for [`IMPROVEMENT_SCHOOL_DAYS`] school days, counting neither
/// weekends, bank holidays nor the school's closures (`closed`, inclusive
/// date ranges).
pub fn improvement_period(
    issued_on: NaiveDate,
    closed: &[(NaiveDate, NaiveDate)],
) -> Option<ImprovementPeriod> {
    let starts_on = add_working_days(issued_on, DEEMED_SERVICE_WORKING_DAYS)?;
    let school_day =
        |d: NaiveDate| is_working_day(d) && !closed.iter().any(|&(a, b)| (a..=b).contains(&d));
    let mut day = starts_on;
    let mut counted = u32::from(school_day(day));
    while counted < IMPROVEMENT_SCHOOL_DAYS {
        day = day.succ_opt()?;
        if school_day(day) {
            counted += 1;
        }
    }
    Some(ImprovementPeriod {
        starts_on,
        ends_on: day,
        school_days: IMPROVEMENT_SCHOOL_DAYS,
    })
}

/// Why a step of the framework cannot be taken yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepRefusal {
    /// Statutory intervention is for persistent or severe absence.
    #[error(
        "absence is {absent} of {possible} possible sessions ({absence_percent}%, below 10% exactly); statutory attendance intervention is for persistent (10% or more) or severe (50% or more) absence"
    )]
    NotPersistent {
        /// Sessions missed.
        absent: u32,
        /// Possible sessions.
        possible: u32,
        /// The pupil's absence, as printed (rounded: 9.96% prints as 10.0%,
        /// which is why the counts are given too).
        absence_percent: String,
    },
    /// Support first: level 3 must have been tried.
    #[error(
        "the history records no attendance contract or formal attendance meeting; statutory intervention is the last resort after the level 3 steps"
    )]
    NoLevelThreeStep,
    /// An Early Help assessment is voluntary.
    #[error(
        "an Early Help assessment needs the agreement of a parent with parental responsibility; record who agreed and when, or refer for a Social Care assessment if the child is at risk"
    )]
    EarlyHelpWithoutConsent,
    /// A referral without consent must say why.
    #[error(
        "the family has not agreed to this referral: say why it is made without their agreement in `reason_without`"
    )]
    NoReasonWithoutConsent,
}

impl StepRefusal {
    /// The rule's identifier, quoted in problem responses.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotPersistent { .. } => "sai.persistent-absence",
            Self::NoLevelThreeStep => "sai.support-first",
            Self::EarlyHelpWithoutConsent => "fd.early-help-consent",
            Self::NoReasonWithoutConsent => "fd.reason-without-consent",
        }
    }
}

/// Whether a school may ask for statutory attendance intervention: absence
/// must be persistent or severe, and the history must show a level 3 step
/// (an attendance or parenting contract, or a formal attendance meeting).
pub fn check_statutory_intervention(
    attendance: &super::AttendanceFigures,
    has_level_three_step: bool,
) -> Vec<StepRefusal> {
    let mut refusals = Vec::new();
    if !matches!(
        attendance.band,
        AbsenceBand::Persistent | AbsenceBand::Severe
    ) {
        refusals.push(StepRefusal::NotPersistent {
            absent: attendance.absent_sessions,
            possible: attendance.possible_sessions,
            absence_percent: attendance.absence_percent.clone(),
        });
    }
    if !has_level_three_step {
        refusals.push(StepRefusal::NoLevelThreeStep);
    }
    refusals
}

/// Whether a Front Door referral may go ahead with the consent recorded:
/// Early Help needs a parent's agreement; a Social Care referral may go
/// without it, but must say why.
pub fn check_referral_consent(
    early_help: bool,
    consent_given: bool,
    reason_without: bool,
) -> Result<(), StepRefusal> {
    match (early_help, consent_given, reason_without) {
        (_, true, _) => Ok(()),
        (true, false, _) => Err(StepRefusal::EarlyHelpWithoutConsent),
        (false, false, true) => Ok(()),
        (false, false, false) => Err(StepRefusal::NoReasonWithoutConsent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_ask_for_a_reply_two_working_days_before_and_after_arrival() {
        // Letter Monday 23 November 2026, arriving Wednesday 25th.
        let letter = crate::rules::d(2026, 11, 23);
        assert_eq!(arrives_on(letter), Some(crate::rules::d(2026, 11, 25)));
        // Meeting Thursday 3 December: reply by Tuesday 1 December.
        assert_eq!(
            invitation_reply_by(letter, crate::rules::d(2026, 12, 3)),
            Some(crate::rules::d(2026, 12, 1))
        );
        // Over a weekend: meeting Monday 30 November, reply by Thursday 26th.
        assert_eq!(
            invitation_reply_by(letter, crate::rules::d(2026, 11, 30)),
            Some(crate::rules::d(2026, 11, 26))
        );
        // A meeting too soon for two days' notice: reply on arrival.
        assert_eq!(
            invitation_reply_by(letter, crate::rules::d(2026, 11, 26)),
            Some(crate::rules::d(2026, 11, 25))
        );
        // Over Christmas: meeting Tuesday 29 December 2026; 25th and 28th are
        // bank holidays (Boxing Day on a Saturday moves to Monday 28th).
        assert_eq!(
            invitation_reply_by(letter, crate::rules::d(2026, 12, 29)),
            Some(crate::rules::d(2026, 12, 23))
        );
    }
    use crate::rules::d;

    #[test]
    fn replies_are_due_in_working_days() {
        // Friday 18 December 2026: Christmas, Boxing Day (substitute Monday
        // 28th) and New Year's Day fall in the ten working days.
        assert_eq!(
            reply_by(d(2026, 12, 18), EVIDENCE_REPLY_WORKING_DAYS),
            Some(d(2027, 1, 6))
        );
        assert_eq!(
            reply_by(d(2026, 11, 23), VISIT_CONTACT_WORKING_DAYS),
            Some(d(2026, 11, 30))
        );
    }

    #[test]
    fn contract_reviews_land_on_working_days() {
        // Agreed Tuesday 14 April 2026, every 6 weeks, 3 reviews: 26 May,
        // 7 July, 18 August 2026. Every 5 weeks from Friday 24 April 2026
        // hits Friday 29 May, 3 July; Monday 25 May (bank holiday) moves.
        assert_eq!(
            contract_reviews(d(2026, 4, 14), 6, 3),
            vec![d(2026, 5, 26), d(2026, 7, 7), d(2026, 8, 18)]
        );
        assert_eq!(
            contract_reviews(d(2026, 4, 20), 5, 1),
            vec![d(2026, 5, 26)],
            "Monday 25 May 2026 is the spring bank holiday"
        );
    }

    #[test]
    fn improvement_period_counts_school_days_from_receipt() {
        // Posted Monday 12 January 2026, received Wednesday 14th; 20 school
        // days with no closures end on Tuesday 10 February.
        let p = improvement_period(d(2026, 1, 12), &[]);
        assert_eq!(
            p,
            Some(ImprovementPeriod {
                starts_on: d(2026, 1, 14),
                ends_on: d(2026, 2, 10),
                school_days: 20
            })
        );
        // Half term 16–20 February 2026 pushes the end of a period posted
        // on Monday 2 February past the closure: received Wed 4th; 8 school
        // days to the 13th, closed the next week, 12 more to 10 March.
        let half_term = [(d(2026, 2, 16), d(2026, 2, 20))];
        assert_eq!(
            improvement_period(d(2026, 2, 2), &half_term).map(|p| p.ends_on),
            Some(d(2026, 3, 10))
        );
    }

    #[test]
    fn statutory_intervention_needs_persistent_absence_and_level_three() {
        let figures = |absent| super::super::attendance_figures(2500, absent, 0).unwrap();
        assert!(check_statutory_intervention(&figures(300), true).is_empty());
        let refusals = check_statutory_intervention(&figures(187), false);
        let rules: Vec<_> = refusals.iter().map(StepRefusal::rule).collect();
        assert_eq!(rules, ["sai.persistent-absence", "sai.support-first"]);
        // 249 of 2500 is 9.96%: printed 10.0%, and still not persistent;
        // the refusal gives the counts so it does not read as a contradiction.
        let just_under = check_statutory_intervention(&figures(249), true);
        assert_eq!(
            just_under[0].to_string(),
            "absence is 249 of 2500 possible sessions (10.0%, below 10% exactly); statutory attendance intervention is for persistent (10% or more) or severe (50% or more) absence"
        );
    }

    #[test]
    fn early_help_needs_consent_social_care_needs_a_reason_without_it() {
        assert_eq!(check_referral_consent(true, true, false), Ok(()));
        assert_eq!(
            check_referral_consent(true, false, true),
            Err(StepRefusal::EarlyHelpWithoutConsent)
        );
        assert_eq!(check_referral_consent(false, false, true), Ok(()));
        assert_eq!(
            check_referral_consent(false, false, false).map_err(|r| r.rule()),
            Err("fd.reason-without-consent")
        );
    }
}
