//! Penalty notices for irregular attendance (Education Act 1996 s444A/B; the
//! Education (Penalty Notices) (England) Regulations 2007 as amended in 2024):
//! whether the threshold is met, how many earlier notices count, and the
//! amounts and dates a notice must state. Edition-aware: the KPAS edition
//! applies the national framework in force from 19 August 2024; the PIAS
//! edition the earlier Kent code (£60/£120, 10 sessions in 50 school days, one
//! notice per academic year).

use std::collections::BTreeSet;

use chrono::{Datelike, Days, IsoWeek, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::Edition;
use super::calendar::add_working_days;
use super::codes::{self, Category};

/// A posted notice is taken to be received on the second working day after
/// posting (local authority practice; not fixed by the regulations).
pub const DEEMED_SERVICE_WORKING_DAYS: u32 = 2;

/// Notices issued before the national framework began do not count toward
/// the limit of two in three years.
pub const FRAMEWORK_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2024, 8, 19) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// Unauthorised sessions that meet the threshold.
pub const THRESHOLD_SESSIONS: u32 = 10;

/// Days, counted from receipt, to pay the reduced amount.
pub const REDUCED_PAYMENT_DAYS: u32 = 21;

/// Days, counted from receipt, to pay the full amount.
pub const FULL_PAYMENT_DAYS: u32 = 28;

/// How a payment period is counted from the day the notice is received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PeriodCount {
    /// "The period of 21 days beginning with the date on which the notice
    /// is received" (reg 4 as amended from 19 August 2024): the day of
    /// receipt is day 1.
    BeginningWithReceipt,
    /// "Within 21 days of receipt of the notice" (reg 4 as amended in 2013,
    /// before the 2024 amendment replaced those words): the day after
    /// receipt is day 1, as "within N days of" an event is read in English
    /// law. (Confirm against the 2013 text on legislation.gov.uk: this is
    /// [`PRE_2024_PERIOD_COUNT`], one constant to change.)
    AfterReceipt,
}

fn beginning_with_receipt() -> PeriodCount {
    PeriodCount::BeginningWithReceipt
}

/// How notices issued before 19 August 2024 count their payment periods.
pub const PRE_2024_PERIOD_COUNT: PeriodCount = PeriodCount::AfterReceipt;

impl PeriodCount {
    /// The last day of an `n`-day period counted from `received_on`.
    pub fn last_day(self, received_on: NaiveDate, n: u32) -> NaiveDate {
        let offset = match self {
            Self::BeginningWithReceipt => n.saturating_sub(1),
            Self::AfterReceipt => n,
        };
        received_on
            .checked_add_days(Days::new(u64::from(offset)))
            .unwrap_or(received_on)
    }
}

/// How the threshold window is measured in `edition`, in words.
pub fn window_words(edition: Edition) -> &'static str {
    match edition {
        Edition::Kpas2024 => "10 school weeks",
        Edition::Pias => "50 school days",
    }
}

pub use super::codes::Mark;

/// An earlier penalty notice to the same parent for the same child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PriorNotice {
    /// When it was issued.
    pub issued_on: NaiveDate,
    /// Withdrawn notices never count.
    pub withdrawn: bool,
}

/// The stretch of register in which the threshold is met (or came closest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Window {
    /// First day with a mark in the window.
    pub from: NaiveDate,
    /// Last day with a mark in the window.
    pub to: NaiveDate,
    /// Qualifying unauthorised sessions in it.
    pub sessions: u32,
}

/// One amount and the last day it can be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Payment {
    /// In pence.
    pub amount_pence: u32,
    /// The last day to pay this amount.
    pub pay_by: NaiveDate,
    /// Days from receipt (the day of receipt is day 1) to `pay_by`.
    pub within_days: u32,
}

/// What a penalty notice must state about money and dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Terms {
    /// 1 for a first notice, 2 for a second within three years.
    pub sequence: u32,
    /// The day the notice is taken to be received.
    pub received_on: NaiveDate,
    /// How the payment periods are counted from that day. Terms stored
    /// before it was recorded were all counted from the day of receipt.
    #[serde(default = "beginning_with_receipt")]
    pub period_count: PeriodCount,
    /// The amounts in the order they apply: the reduced amount (if any) first.
    pub payments: Vec<Payment>,
}

/// Why a penalty notice cannot be issued. Each names the rule it applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Fewer qualifying sessions than the threshold in any window.
    #[error(
        "the threshold is not met: at most {best} qualifying unauthorised sessions in any {window}, and {needed} are needed"
    )]
    ThresholdNotMet {
        /// The most found in one window.
        best: u32,
        /// The threshold.
        needed: u32,
        /// How the window is measured.
        window: &'static str,
    },
    /// Two notices already count in the three years before this one.
    #[error(
        "two penalty notices for this child were already issued to this parent in the three years before {issue_date} (on {first} and {second}); a third cannot be issued"
    )]
    ThirdInThreeYears {
        /// The date of the notice being considered.
        issue_date: NaiveDate,
        /// The earlier notices that count.
        first: NaiveDate,
        /// The later of them.
        second: NaiveDate,
    },
    /// KPAS edition: a notice for unauthorised absence other than a
    /// term-time holiday needs a notice to improve first.
    #[error(
        "no notice to improve is recorded before the request on {requested_on}; under the national framework a penalty notice for unauthorised absence (other than a term-time holiday) follows a notice to improve"
    )]
    NoNoticeToImprove {
        /// When the school asked for the notice.
        requested_on: NaiveDate,
    },
    /// The notice to improve was issued after the request for the notice.
    #[error(
        "the notice to improve is dated {issued_on}, after the request for a penalty notice on {requested_on}"
    )]
    NoticeToImproveTooLate {
        /// When the notice to improve was issued.
        issued_on: NaiveDate,
        /// When the school asked for the penalty notice.
        requested_on: NaiveDate,
    },
    /// PIAS edition: one fixed penalty notice per academic year.
    #[error(
        "a fixed penalty notice for this child was already issued to this parent on {previous}, in the same academic year"
    )]
    AlreadyThisAcademicYear {
        /// The earlier notice.
        previous: NaiveDate,
    },
}

impl Refusal {
    /// The rule's identifier, quoted in problem responses.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::ThresholdNotMet { .. } => "pn.threshold",
            Self::ThirdInThreeYears { .. } => "pn.max-two-in-three-years",
            Self::AlreadyThisAcademicYear { .. } => "fpn.one-per-academic-year",
            Self::NoNoticeToImprove { .. } | Self::NoticeToImproveTooLate { .. } => {
                "pn.notice-to-improve"
            }
        }
    }

    /// What would make the case eligible, or what to do instead.
    pub fn remedy(&self) -> &'static str {
        match self {
            Self::ThresholdNotMet { .. } => {
                "a notice can be considered once the pupil has 10 qualifying unauthorised sessions within the window; keep supporting the family in the meantime"
            }
            Self::ThirdInThreeYears { .. } => {
                "consider a prosecution under section 444 or an education supervision order instead; withdrawn notices do not count"
            }
            Self::AlreadyThisAcademicYear { .. } => {
                "consider a statutory intervention request (prosecution or an education supervision order) instead"
            }
            Self::NoNoticeToImprove { .. } | Self::NoticeToImproveTooLate { .. } => {
                "issue a notice to improve (20 school days) and ask for a penalty notice only if it does not work; give its date in `penalty.notice_to_improve_issued_on`"
            }
        }
    }
}

/// Whether a notice on these grounds may follow the notice to improve given
/// (if any). Under the KPAS edition (the national framework), unauthorised
/// absence other than a term-time holiday needs a notice to improve issued no
/// later than the school's request; holidays and the PIAS edition need none.
pub fn check_notice_to_improve(
    edition: Edition,
    holiday: bool,
    notice_to_improve: Option<NaiveDate>,
    requested_on: NaiveDate,
) -> Result<(), Refusal> {
    if edition == Edition::Pias || holiday {
        return Ok(());
    }
    match notice_to_improve {
        None => Err(Refusal::NoNoticeToImprove { requested_on }),
        Some(issued_on) if issued_on > requested_on => Err(Refusal::NoticeToImproveTooLate {
            issued_on,
            requested_on,
        }),
        Some(_) => Ok(()),
    }
}

/// The earlier notices that count toward the limit on `issue_date`: not
/// withdrawn, issued on or after 19 August 2024, and within the three years
/// before it.
pub fn counting_notices(history: &[PriorNotice], issue_date: NaiveDate) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = history
        .iter()
        .filter(|n| counts_toward_limit(n, issue_date))
        .map(|n| n.issued_on)
        .collect();
    dates.sort();
    dates
}

/// Whether an earlier notice counts toward the limit on `issue_date`.
pub fn counts_toward_limit(notice: &PriorNotice, issue_date: NaiveDate) -> bool {
    let start = issue_date
        .checked_sub_months(Months::new(36))
        .unwrap_or(NaiveDate::MIN);
    !notice.withdrawn
        && notice.issued_on >= FRAMEWORK_FROM
        && notice.issued_on >= start
        && notice.issued_on <= issue_date
}

fn academic_year(date: NaiveDate) -> i32 {
    if date.month() >= 9 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// The amounts and dates of a notice issued (posted) on `issue_date`, or why
/// it cannot be issued.
pub fn terms(
    edition: Edition,
    issue_date: NaiveDate,
    history: &[PriorNotice],
) -> Result<Terms, Refusal> {
    let received_on =
        add_working_days(issue_date, DEEMED_SERVICE_WORKING_DAYS).unwrap_or(issue_date);
    // The national framework binds every notice issued from 19 August 2024,
    // whichever edition of the local framework was then in force; before it,
    // each period is counted by the words of the regulations then in force.
    let national = edition == Edition::Kpas2024 || issue_date >= FRAMEWORK_FROM;
    let count = if national {
        PeriodCount::BeginningWithReceipt
    } else {
        PRE_2024_PERIOD_COUNT
    };
    let day = |n: u32| count.last_day(received_on, n);
    match national {
        true => {
            let counted = counting_notices(history, issue_date);
            match counted.as_slice() {
                [] => Ok(Terms {
                    sequence: 1,
                    received_on,
                    period_count: count,
                    payments: vec![
                        Payment {
                            amount_pence: 8_000,
                            pay_by: day(REDUCED_PAYMENT_DAYS),
                            within_days: REDUCED_PAYMENT_DAYS,
                        },
                        Payment {
                            amount_pence: 16_000,
                            pay_by: day(FULL_PAYMENT_DAYS),
                            within_days: FULL_PAYMENT_DAYS,
                        },
                    ],
                }),
                [_] => Ok(Terms {
                    sequence: 2,
                    received_on,
                    period_count: count,
                    payments: vec![Payment {
                        amount_pence: 16_000,
                        pay_by: day(FULL_PAYMENT_DAYS),
                        within_days: FULL_PAYMENT_DAYS,
                    }],
                }),
                [.., first, second] => Err(Refusal::ThirdInThreeYears {
                    issue_date,
                    first: *first,
                    second: *second,
                }),
            }
        }
        false => {
            let same_year = history
                .iter()
                .filter(|n| {
                    !n.withdrawn
                        && n.issued_on <= issue_date
                        && academic_year(n.issued_on) == academic_year(issue_date)
                })
                .map(|n| n.issued_on)
                .max();
            if let Some(previous) = same_year {
                return Err(Refusal::AlreadyThisAcademicYear { previous });
            }
            Ok(Terms {
                sequence: 1,
                received_on,
                period_count: count,
                payments: vec![
                    Payment {
                        amount_pence: 6_000,
                        pay_by: day(REDUCED_PAYMENT_DAYS),
                        within_days: REDUCED_PAYMENT_DAYS,
                    },
                    Payment {
                        amount_pence: 12_000,
                        pay_by: day(FULL_PAYMENT_DAYS),
                        within_days: FULL_PAYMENT_DAYS,
                    },
                ],
            })
        }
    }
}

/// Finds the window with the most qualifying unauthorised sessions and says
/// whether it meets the threshold.
///
/// KPAS: codes G, N, O and U within any 10 consecutive school weeks (a school
/// week is any week with at least one session; the window may span holidays,
/// terms and school years). PIAS: any unauthorised code within 50 consecutive
/// school days.
pub fn threshold(edition: Edition, marks: &[Mark<'_>]) -> Result<Window, Refusal> {
    let qualifies = |m: &Mark<'_>| match edition {
        Edition::Kpas2024 => codes::PENALTY_CODES.contains(&m.code),
        Edition::Pias => matches!(
            codes::lookup(m.code, m.date),
            Some((Category::Unauthorised, _))
        ),
    };
    let open = |m: &Mark<'_>| m.code != "#";
    let (units, needed_window, label): (Vec<NaiveDate>, usize, &'static str) = match edition {
        Edition::Kpas2024 => {
            let weeks: BTreeSet<IsoWeek> = marks
                .iter()
                .filter(|m| open(m))
                .map(|m| m.date.iso_week())
                .collect();
            // Represent each school week by its Monday.
            let mondays = weeks
                .iter()
                .filter_map(|w| {
                    NaiveDate::from_isoywd_opt(w.year(), w.week(), chrono::Weekday::Mon)
                })
                .collect();
            (mondays, 10, window_words(edition))
        }
        Edition::Pias => {
            let days: BTreeSet<NaiveDate> =
                marks.iter().filter(|m| open(m)).map(|m| m.date).collect();
            (days.into_iter().collect(), 50, window_words(edition))
        }
    };
    let unit_of = |date: NaiveDate| match edition {
        Edition::Kpas2024 => date
            .checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
            .unwrap_or(date),
        Edition::Pias => date,
    };
    if units.is_empty() {
        return Err(Refusal::ThresholdNotMet {
            best: 0,
            needed: THRESHOLD_SESSIONS,
            window: label,
        });
    }
    let mut best: Option<Window> = None;
    let span = needed_window.min(units.len()).max(1);
    for start in 0..units.len().saturating_sub(span) + 1 {
        let (first, last) = (units[start], units[start + span - 1]);
        let inside: Vec<&Mark<'_>> = marks
            .iter()
            .filter(|m| (first..=last).contains(&unit_of(m.date)))
            .collect();
        let sessions =
            u32::try_from(inside.iter().filter(|m| qualifies(m)).count()).unwrap_or(u32::MAX);
        let from = inside.iter().map(|m| m.date).min().unwrap_or(first);
        let to = inside.iter().map(|m| m.date).max().unwrap_or(last);
        if best.as_ref().is_none_or(|b| sessions > b.sessions) {
            best = Some(Window { from, to, sessions });
        }
    }
    match best {
        Some(w) if w.sessions >= THRESHOLD_SESSIONS => Ok(w),
        other => Err(Refusal::ThresholdNotMet {
            best: other.map_or(0, |w| w.sessions),
            needed: THRESHOLD_SESSIONS,
            window: label,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::codes::Session;

    #[test]
    fn unauthorised_absence_needs_a_notice_to_improve_under_kpas_only() {
        let asked = d(2026, 3, 2);
        assert_eq!(
            check_notice_to_improve(Edition::Kpas2024, false, None, asked),
            Err(Refusal::NoNoticeToImprove {
                requested_on: asked
            })
        );
        assert_eq!(
            check_notice_to_improve(Edition::Kpas2024, false, Some(d(2026, 1, 19)), asked),
            Ok(())
        );
        assert_eq!(
            check_notice_to_improve(Edition::Kpas2024, false, Some(d(2026, 3, 3)), asked)
                .map_err(|r| r.rule()),
            Err("pn.notice-to-improve")
        );
        // Term-time holidays go straight to a notice; PIAS had no such step.
        assert_eq!(
            check_notice_to_improve(Edition::Kpas2024, true, None, asked),
            Ok(())
        );
        assert_eq!(
            check_notice_to_improve(Edition::Pias, false, None, asked),
            Ok(())
        );
    }
    use crate::rules::d;

    /// A register from `from` for `weeks` weeks of Monday–Friday, both
    /// sessions, all present, skipping the weeks in `holidays` (Mondays).
    fn register(
        from: NaiveDate,
        weeks: u64,
        holidays: &[NaiveDate],
    ) -> Vec<(NaiveDate, Session, String)> {
        let mut out = Vec::new();
        for w in 0..weeks {
            let monday = from + Days::new(7 * w);
            if holidays.contains(&monday) {
                continue;
            }
            for day in 0..5 {
                let date = monday + Days::new(day);
                out.push((date, Session::AM, "/".to_owned()));
                out.push((date, Session::PM, "\\".to_owned()));
            }
        }
        out
    }

    fn marks(reg: &[(NaiveDate, Session, String)]) -> Vec<Mark<'_>> {
        reg.iter()
            .map(|(date, session, code)| Mark {
                date: *date,
                session: *session,
                code,
            })
            .collect()
    }

    fn absent(reg: &mut [(NaiveDate, Session, String)], n: usize, every: usize, code: &str) {
        for i in 0..n {
            reg[i * every].2 = code.to_owned();
        }
    }

    #[test]
    fn exactly_ten_sessions_meets_the_threshold() {
        let mut reg = register(d(2026, 9, 7), 10, &[]);
        absent(&mut reg, 10, 9, "O");
        let w = threshold(Edition::Kpas2024, &marks(&reg)).unwrap();
        assert_eq!(w.sessions, 10);
        reg[0].2 = "/".to_owned();
        let err = threshold(Edition::Kpas2024, &marks(&reg)).unwrap_err();
        assert_eq!(
            err,
            Refusal::ThresholdNotMet {
                best: 9,
                needed: 10,
                window: "10 school weeks"
            }
        );
        assert_eq!(err.rule(), "pn.threshold");
    }

    #[test]
    fn authorised_absence_does_not_count() {
        let mut reg = register(d(2026, 9, 7), 10, &[]);
        absent(&mut reg, 12, 7, "I");
        assert!(threshold(Edition::Kpas2024, &marks(&reg)).is_err());
    }

    /// Half-term has no sessions, so ten school weeks span eleven calendar
    /// weeks: absences either side of it count together.
    #[test]
    fn a_window_spans_half_term() {
        let half_term = d(2026, 10, 26);
        let mut reg = register(d(2026, 9, 21), 11, &[half_term]);
        // 5 sessions in the first week, 5 in the last school week.
        for mark in reg.iter_mut().take(5) {
            mark.2 = "G".to_owned();
        }
        let n = reg.len();
        for i in 0..5 {
            reg[n - 1 - i].2 = "U".to_owned();
        }
        let w = threshold(Edition::Kpas2024, &marks(&reg)).unwrap();
        assert_eq!(
            (w.from, w.to, w.sessions),
            (d(2026, 9, 21), d(2026, 12, 4), 10)
        );
        // Without the holiday the same absences are eleven school weeks apart.
        let mut reg = register(d(2026, 9, 21), 11, &[]);
        for mark in reg.iter_mut().take(5) {
            mark.2 = "G".to_owned();
        }
        let n = reg.len();
        for i in 0..5 {
            reg[n - 1 - i].2 = "U".to_owned();
        }
        assert!(threshold(Edition::Kpas2024, &marks(&reg)).is_err());
    }

    #[test]
    fn pias_counts_fifty_school_days() {
        let mut reg = register(d(2023, 9, 4), 12, &[]);
        // 10 unauthorised sessions spread over 60 school days: no 50-day window holds them all...
        for i in 0..10 {
            reg[i * 12].2 = "O".to_owned();
        }
        assert!(threshold(Edition::Pias, &marks(&reg)).is_err());
        // ...but 10 within 50 school days do.
        let mut reg = register(d(2023, 9, 4), 12, &[]);
        for i in 0..10 {
            reg[i * 9].2 = "O".to_owned();
        }
        assert_eq!(threshold(Edition::Pias, &marks(&reg)).unwrap().sessions, 10);
    }

    #[test]
    fn no_marks_in_the_period_is_a_refusal_not_a_panic() {
        assert!(threshold(Edition::Kpas2024, &[]).is_err());
        let closed = [Mark {
            date: d(2026, 9, 7),
            session: Session::AM,
            code: "#",
        }];
        assert!(threshold(Edition::Kpas2024, &closed).is_err());
        assert!(threshold(Edition::Pias, &closed).is_err());
    }

    #[test]
    fn first_notice_amounts_and_dates() {
        // Posted Monday 23 November 2026: received Wednesday 25 November.
        let t = terms(Edition::Kpas2024, d(2026, 11, 23), &[]).unwrap();
        assert_eq!(t.sequence, 1);
        assert_eq!(t.received_on, d(2026, 11, 25));
        assert_eq!(
            t.payments,
            [
                Payment {
                    amount_pence: 8_000,
                    pay_by: d(2026, 12, 15),
                    within_days: 21
                },
                Payment {
                    amount_pence: 16_000,
                    pay_by: d(2026, 12, 22),
                    within_days: 28
                }
            ]
        );
    }

    /// Posted on Christmas Eve 2026: Christmas Day (Friday) and the Boxing
    /// Day substitute (Monday 28) are not working days.
    #[test]
    fn deemed_service_skips_bank_holidays() {
        let t = terms(Edition::Kpas2024, d(2026, 12, 24), &[]).unwrap();
        assert_eq!(t.received_on, d(2026, 12, 30));
        assert_eq!(t.payments[0].pay_by, d(2027, 1, 19));
        assert_eq!(t.payments[1].pay_by, d(2027, 1, 26));
    }

    /// The payment periods are calendar days: a last day that falls on a
    /// bank holiday (Easter Monday 29 March 2027) is not moved.
    #[test]
    fn a_pay_by_date_on_a_bank_holiday_stands() {
        // Received Tuesday 9 March 2027 → day 21 is Monday 29 March.
        let t = terms(Edition::Kpas2024, d(2027, 3, 5), &[]).unwrap();
        assert_eq!(t.received_on, d(2027, 3, 9));
        assert_eq!(t.payments[0].pay_by, d(2027, 3, 29));
        assert!(super::super::calendar::is_bank_holiday(
            t.payments[0].pay_by
        ));
    }

    #[test]
    fn second_and_third_notices() {
        let one = [PriorNotice {
            issued_on: d(2025, 3, 10),
            withdrawn: false,
        }];
        let t = terms(Edition::Kpas2024, d(2026, 11, 23), &one).unwrap();
        assert_eq!(t.sequence, 2);
        assert_eq!(
            t.payments,
            [Payment {
                amount_pence: 16_000,
                pay_by: d(2026, 12, 22),
                within_days: 28
            }]
        );
        let two = [
            one[0],
            PriorNotice {
                issued_on: d(2026, 1, 12),
                withdrawn: false,
            },
        ];
        let err = terms(Edition::Kpas2024, d(2026, 11, 23), &two).unwrap_err();
        assert_eq!(err.rule(), "pn.max-two-in-three-years");
        // A withdrawn notice does not count; nor does one issued before the framework.
        let mixed = [
            PriorNotice {
                issued_on: d(2025, 3, 10),
                withdrawn: true,
            },
            PriorNotice {
                issued_on: d(2024, 6, 1),
                withdrawn: false,
            },
            PriorNotice {
                issued_on: d(2026, 1, 12),
                withdrawn: false,
            },
        ];
        assert_eq!(
            terms(Edition::Kpas2024, d(2026, 11, 23), &mixed)
                .unwrap()
                .sequence,
            2
        );
        // Three years on, the first no longer counts.
        assert_eq!(
            terms(Edition::Kpas2024, d(2028, 3, 11), &two)
                .unwrap()
                .sequence,
            2
        );
        assert!(terms(Edition::Kpas2024, d(2028, 3, 10), &two).is_err());
    }

    /// Between 19 and 31 August 2024 the PIAS edition was still in force
    /// locally, but the national amounts already applied.
    #[test]
    fn the_national_amounts_apply_from_19_august_2024() {
        let before = terms(Edition::Pias, d(2024, 8, 16), &[]).unwrap();
        assert_eq!(before.payments[0].amount_pence, 6_000);
        let after = terms(Edition::Pias, d(2024, 8, 19), &[]).unwrap();
        assert_eq!(after.payments[0].amount_pence, 8_000);
        assert_eq!(after.payments[1].amount_pence, 16_000);
    }

    #[test]
    fn pias_rates_and_one_per_academic_year() {
        let t = terms(Edition::Pias, d(2023, 11, 20), &[]).unwrap();
        assert_eq!(t.payments[0].amount_pence, 6_000);
        assert_eq!(t.payments[1].amount_pence, 12_000);
        let earlier = [PriorNotice {
            issued_on: d(2023, 9, 20),
            withdrawn: false,
        }];
        assert_eq!(
            terms(Edition::Pias, d(2023, 11, 20), &earlier)
                .unwrap_err()
                .rule(),
            "fpn.one-per-academic-year"
        );
        // Last academic year's notice does not block this year's.
        let last_year = [PriorNotice {
            issued_on: d(2023, 6, 20),
            withdrawn: false,
        }];
        assert!(terms(Edition::Pias, d(2023, 11, 20), &last_year).is_ok());
    }
}
