//! Penalty notices for an excluded pupil found in a public place (Education
//! and Inspections Act 2006 s103 and s105): the parent of a pupil excluded
//! from school must make sure that, in school hours on the days the
//! school's notice named (the first five school days of the exclusion),
//! the pupil is not present in a public place without reasonable
//! justification; a penalty notice may be given instead of prosecution.
//!
//! Its amounts are its own: SI 2024/210 kept the old reg 4 amounts for s105
//! notices, £60 paid within 21 days and £120 within 28, when it moved s444A
//! notices to £80 and £160 (`../shared/docs/domain.md` §9, inferred from the
//! amendment and one council's page: (confirm) on legislation.gov.uk; the
//! constants are here to change). Its numbering (`EPN`) and history are its
//! own, never counted with attendance notices.

use chrono::NaiveDate;

use super::calendar::add_working_days;
use super::penalty::{
    DEEMED_SERVICE_WORKING_DAYS, FRAMEWORK_FROM, PRE_2024_PERIOD_COUNT, Payment, PeriodCount, Terms,
};

/// The lower amount, paid within [`LOWER_DAYS`]. (confirm)
pub const LOWER_PENCE: u32 = 6_000;
/// Days to pay the lower amount.
pub const LOWER_DAYS: u32 = 21;
/// The amount, paid within [`HIGHER_DAYS`]. (confirm)
pub const HIGHER_PENCE: u32 = 12_000;
/// Days to pay at all.
pub const HIGHER_DAYS: u32 = 28;
/// The duty covers at most the first five school days of an exclusion.
pub const FIRST_DAYS: usize = 5;

/// A notice's amounts and pay-by dates when issued on `issue_date`,
/// counted as the notices of its day are (from 19 August 2024 "beginning
/// with the date on which the notice is received").
pub fn terms(issue_date: NaiveDate) -> Terms {
    let received_on =
        add_working_days(issue_date, DEEMED_SERVICE_WORKING_DAYS).unwrap_or(issue_date);
    let period_count = if issue_date >= FRAMEWORK_FROM {
        PeriodCount::BeginningWithReceipt
    } else {
        PRE_2024_PERIOD_COUNT
    };
    Terms {
        sequence: 1,
        received_on,
        period_count,
        payments: vec![
            Payment {
                amount_pence: LOWER_PENCE,
                pay_by: period_count.last_day(received_on, LOWER_DAYS),
                within_days: LOWER_DAYS,
            },
            Payment {
                amount_pence: HIGHER_PENCE,
                pay_by: period_count.last_day(received_on, HIGHER_DAYS),
                within_days: HIGHER_DAYS,
            },
        ],
    }
}

/// Why an exclusion notice cannot be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExclusionRefusal {
    /// More than five days named, or a day before the exclusion began.
    #[error(
        "the duty covers only the first five school days of the exclusion, from its first day: name at most five days, none before it"
    )]
    Days,
    /// The pupil was found on a day the school's notice did not name.
    #[error(
        "the pupil was found on a day the school's notice to the parent did not name: the duty (s103) is only on the days it named"
    )]
    NotANamedDay,
    /// The parent was told of the days only after the pupil was found.
    #[error(
        "the school told the parent of the days only on or after the day the pupil was found: the duty starts once the parent has the school's notice (s104)"
    )]
    NotNotified,
}

impl ExclusionRefusal {
    /// The rule's identifier.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Days | Self::NotANamedDay => "epn.first-five-days",
            Self::NotNotified => "epn.parent-notified",
        }
    }
}

/// The checks of an exclusion notice's facts: the days named (at most five,
/// none before the exclusion began), the day found (one of them), and the
/// parent told before it.
pub fn check(
    from: NaiveDate,
    days: &[NaiveDate],
    found_on: NaiveDate,
    notified_on: NaiveDate,
) -> Vec<ExclusionRefusal> {
    let mut out = Vec::new();
    if days.is_empty() || days.len() > FIRST_DAYS || days.iter().any(|d| *d < from) {
        out.push(ExclusionRefusal::Days);
    }
    if !days.contains(&found_on) {
        out.push(ExclusionRefusal::NotANamedDay);
    }
    if notified_on >= found_on {
        out.push(ExclusionRefusal::NotNotified);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn its_amounts_are_its_own() {
        let t = terms(d("2026-11-30"));
        assert_eq!(t.received_on, d("2026-12-02"));
        let amounts: Vec<u32> = t.payments.iter().map(|p| p.amount_pence).collect();
        assert_eq!(amounts, [6_000, 12_000]);
        // Day 1 is the day of receipt: 21 days end on the 22nd.
        assert_eq!(t.payments[0].pay_by, d("2026-12-22"));
        assert_eq!(t.payments[1].pay_by, d("2026-12-29"));
    }

    #[test]
    fn only_the_named_days_after_notice() {
        let days = [d("2026-11-16"), d("2026-11-17")];
        assert!(check(d("2026-11-16"), &days, d("2026-11-17"), d("2026-11-13")).is_empty());
        let rules: Vec<&str> = check(d("2026-11-16"), &days, d("2026-11-18"), d("2026-11-18"))
            .iter()
            .map(ExclusionRefusal::rule)
            .collect();
        assert_eq!(rules, ["epn.first-five-days", "epn.parent-notified"]);
        let six: Vec<NaiveDate> = (16..22).map(|n| d(&format!("2026-11-{n}"))).collect();
        assert_eq!(
            check(d("2026-11-16"), &six, d("2026-11-16"), d("2026-11-13")),
            [ExclusionRefusal::Days]
        );
    }
}
