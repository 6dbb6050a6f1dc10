//! After a penalty notice's last day to pay: the notice has lapsed, and the
//! authority must decide to prosecute or withdraw it (SI 2007/1867 reg 9;
//! DfE: "the local authority must either prosecute for the original
//! offence or withdraw the notice"), within the six months a magistrates'
//! court allows for laying an information (Magistrates' Courts Act 1980
//! s127(1)). Pure: the register supplies the notice's terms and standing.
//!
//! The six months run from the last day of the offence period (for a
//! continuing offence, from the last day of its commission: Luton BC v
//! Altavon Luton Ltd [2019] EWHC 2415 (Admin), as summarised in
//! `../shared/docs/domain.md` §9). Local authorities debate the start
//! point, so it is [`LIMIT_FROM`], named, to confirm locally.

use chrono::{Months, NaiveDate};

pub use super::events::Decision;
use super::events::Standing;
use super::penalty::Terms;

/// How long after the offence an information may be laid (MCA 1980
/// s127(1)).
pub const LIMIT_MONTHS: u32 = 6;

/// Where the six months start. (confirm) The last day of the offence
/// period is the reading docket applies; see the module's note.
pub const LIMIT_FROM: &str = "the last day of the offence period";

/// Days a defendant has to answer a single justice procedure notice, from
/// the day it is served. (confirm) 21 days is what council guidance gives
/// (e.g. East Cambridgeshire); confirm against Criminal Procedure Rules
/// Part 24 before relying on it.
pub const SJP_RESPONSE_DAYS: u64 = 21;

/// The last day to answer a single justice procedure notice served on
/// `served`: [`SJP_RESPONSE_DAYS`] on, moved to the next working day when
/// that falls on a weekend or a bank holiday (as court time limits are;
/// confirm with the court), so a defendant is never given Christmas Day.
pub fn sjp_respond_by(served: NaiveDate) -> Option<NaiveDate> {
    let mut day = served.checked_add_days(chrono::Days::new(SJP_RESPONSE_DAYS))?;
    while !super::calendar::is_working_day(day) {
        day = day.succ_opt()?;
    }
    Some(day)
}

/// The last day an information for an offence ending on `offence_to` may
/// be laid: six calendar months on (a day that does not exist in the
/// later month is that month's last day).
pub fn limit_date(offence_to: NaiveDate) -> NaiveDate {
    offence_to
        .checked_add_months(Months::new(LIMIT_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// The last day the notice could be paid.
pub fn last_pay_by(terms: &Terms) -> Option<NaiveDate> {
    terms.payments.iter().map(|p| p.pay_by).max()
}

/// Whether a notice with `terms` has lapsed on `as_of`: its last day to
/// pay has passed and nothing (a payment, a withdrawal, a prosecution)
/// ended or moved it on.
pub fn lapsed(terms: &Terms, standing: &Standing, as_of: NaiveDate) -> bool {
    standing.ended.is_none()
        && standing.prosecuted.is_none()
        && last_pay_by(terms).is_some_and(|last| last < as_of)
}

/// Days from `as_of` to the six-month limit (negative once it has passed).
pub fn days_left(offence_to: NaiveDate, as_of: NaiveDate) -> i64 {
    (limit_date(offence_to) - as_of).num_days()
}

/// Why a decision cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefusal {
    /// The notice can still be paid on the day of the decision.
    #[error(
        "the notice can still be paid until {last}: a decision to prosecute or withdraw is made once the last day to pay has passed"
    )]
    NotLapsed {
        /// The last day to pay.
        last: NaiveDate,
    },
    /// The register holds no terms for the notice.
    #[error("the register holds no terms for this notice, so its last day to pay is not known")]
    NoTerms,
    /// A decision to prosecute after the six months for laying an
    /// information.
    #[error(
        "the information had to be laid by {laid_by} (six months from the last day of the offence period, Magistrates' Courts Act 1980 s127): the notice can only be withdrawn"
    )]
    OutOfTime {
        /// The last day an information could be laid.
        laid_by: NaiveDate,
    },
    /// A decision stands already.
    #[error("a decision to {what} was recorded on {on}; record a correction of it first")]
    Decided {
        /// `prosecute` or `withdraw`.
        what: &'static str,
        /// When.
        on: NaiveDate,
    },
}

impl DecisionRefusal {
    /// The rule's identifier, quoted in problem responses.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotLapsed { .. } | Self::NoTerms => "decision.not-lapsed",
            Self::Decided { .. } => "decision.already-decided",
            Self::OutOfTime { .. } => "mca.s127-time-limit",
        }
    }

    /// The field of the decision it is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotLapsed { .. } | Self::NoTerms => "/on",
            Self::Decided { .. } | Self::OutOfTime { .. } => "/decision",
        }
    }
}

/// Whether a decision dated `on` may be recorded on a notice with `terms`
/// as it stands. The event rules ([`super::events::check`]) have already
/// refused a notice that was paid or withdrawn.
///
/// A decision to prosecute after the six-month limit for the offence
/// period ending `offence_to` is refused: the notice can only be withdrawn.
pub fn check_decision(
    decision: Decision,
    on: NaiveDate,
    terms: Option<&Terms>,
    offence_to: Option<NaiveDate>,
    standing: &Standing,
) -> Result<(), DecisionRefusal> {
    if let Some((what, when)) = standing.decided {
        return Err(DecisionRefusal::Decided {
            what: what.as_str(),
            on: when,
        });
    }
    if let Some(begun) = standing.prosecuted {
        return Err(DecisionRefusal::Decided {
            what: "prosecute (prosecution began)",
            on: begun,
        });
    }
    let last = terms
        .and_then(last_pay_by)
        .ok_or(DecisionRefusal::NoTerms)?;
    if on <= last {
        return Err(DecisionRefusal::NotLapsed { last });
    }
    if decision == Decision::Prosecute
        && let Some(laid_by) = offence_to.map(limit_date)
        && on > laid_by
    {
        return Err(DecisionRefusal::OutOfTime { laid_by });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_date_is_a_working_day() {
        // Served Friday 4 December 2026: 21 days on is Christmas Day, so
        // the last day is Tuesday 29 December (Boxing Day's substitute is
        // Monday 28th).
        assert_eq!(sjp_respond_by(d("2026-12-04")), Some(d("2026-12-29")));
        assert_eq!(sjp_respond_by(d("2026-11-02")), Some(d("2026-11-23")));
    }
    use crate::rules::penalty::{Payment, PeriodCount};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn terms() -> Terms {
        Terms {
            sequence: 1,
            received_on: d("2026-11-03"),
            period_count: PeriodCount::BeginningWithReceipt,
            payments: vec![
                Payment {
                    amount_pence: 8000,
                    pay_by: d("2026-11-23"),
                    within_days: 21,
                },
                Payment {
                    amount_pence: 16000,
                    pay_by: d("2026-11-30"),
                    within_days: 28,
                },
            ],
        }
    }

    #[test]
    fn six_calendar_months_from_the_last_day_of_the_offence() {
        assert_eq!(limit_date(d("2026-10-23")), d("2027-04-23"));
        // 31 August + 6 months: there is no 31 February.
        assert_eq!(limit_date(d("2026-08-31")), d("2027-02-28"));
        assert_eq!(days_left(d("2026-10-23"), d("2027-04-22")), 1);
        assert_eq!(days_left(d("2026-10-23"), d("2027-04-24")), -1);
    }

    #[test]
    fn a_notice_lapses_the_day_after_its_last_day_to_pay() {
        let open = Standing::default();
        assert!(!lapsed(&terms(), &open, d("2026-11-30")));
        assert!(lapsed(&terms(), &open, d("2026-12-01")));
        let paid = Standing {
            ended: Some(("paid", d("2026-11-20"))),
            ..Standing::default()
        };
        assert!(!lapsed(&terms(), &paid, d("2026-12-01")));
        let prosecuted = Standing {
            prosecuted: Some(d("2026-12-01")),
            ..Standing::default()
        };
        assert!(!lapsed(&terms(), &prosecuted, d("2026-12-02")));
    }

    #[test]
    fn a_decision_waits_for_the_lapse_and_is_made_once() {
        let t = terms();
        let open = Standing::default();
        assert_eq!(
            check_decision(Decision::Prosecute, d("2026-11-30"), Some(&t), None, &open),
            Err(DecisionRefusal::NotLapsed {
                last: d("2026-11-30")
            })
        );
        assert_eq!(
            check_decision(Decision::Prosecute, d("2026-12-01"), Some(&t), None, &open),
            Ok(())
        );
        assert_eq!(
            check_decision(Decision::Prosecute, d("2026-12-01"), None, None, &open)
                .map_err(|e| e.rule()),
            Err("decision.not-lapsed")
        );
        let decided = Standing {
            decided: Some((Decision::Withdraw, d("2026-12-01"))),
            ..Standing::default()
        };
        let refused = check_decision(
            Decision::Prosecute,
            d("2026-12-02"),
            Some(&t),
            None,
            &decided,
        )
        .unwrap_err();
        assert_eq!(refused.rule(), "decision.already-decided");
        let prosecuted = Standing {
            prosecuted: Some(d("2026-12-01")),
            ..Standing::default()
        };
        assert!(
            check_decision(
                Decision::Prosecute,
                d("2026-12-02"),
                Some(&t),
                None,
                &prosecuted
            )
            .is_err()
        );
        // Six months after the offence ended (16 October 2026): withdraw only.
        let late = d("2027-04-17");
        let offence_to = Some(d("2026-10-16"));
        assert_eq!(
            check_decision(Decision::Prosecute, late, Some(&t), offence_to, &open)
                .map_err(|e| e.rule()),
            Err("mca.s127-time-limit")
        );
        assert_eq!(
            check_decision(
                Decision::Prosecute,
                d("2027-04-16"),
                Some(&t),
                offence_to,
                &open
            ),
            Ok(())
        );
        assert_eq!(
            check_decision(Decision::Withdraw, late, Some(&t), offence_to, &open),
            Ok(())
        );
    }
}
