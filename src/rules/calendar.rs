//! The calendar of England and Wales: bank holidays and working days, for
//! deemed service and any deadline a rule counts in working days.
//!
//! Bank holidays follow the Banking and Financial Dealings Act 1971 pattern,
//! with substitute weekdays when a fixed date falls at a weekend, plus the
//! one-off changes proclaimed since 2011. A holiday proclaimed after this
//! table was written must be added to `PROCLAIMED`; the tests pin the
//! published lists for 2024 to 2026.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// A (month, day) in some year.
type MonthDay = (u32, u32);

/// One-off changes by royal proclamation: (year, removed, added).
const PROCLAIMED: &[(i32, &[MonthDay], &[MonthDay])] = &[
    // Royal wedding.
    (2011, &[], &[(4, 29)]),
    // Diamond Jubilee: spring holiday moved to 4 June, 5 June added.
    (2012, &[(5, 28)], &[(6, 4), (6, 5)]),
    // VE Day 75: early May holiday moved to Friday 8 May.
    (2020, &[(5, 4)], &[(5, 8)]),
    // Platinum Jubilee: spring holiday moved to 2 June, 3 June added; the
    // State Funeral of Queen Elizabeth II on 19 September.
    (2022, &[(5, 30)], &[(6, 2), (6, 3), (9, 19)]),
    // Coronation of King Charles III.
    (2023, &[], &[(5, 8)]),
];

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Easter Sunday (Gregorian; anonymous algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn first_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
}

fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        ymd(year + 1, 1, 1)?
    } else {
        ymd(year, month + 1, 1)?
    };
    let last = next.pred_opt()?;
    let back = last.weekday().num_days_from_monday();
    last.checked_sub_days(Days::new(u64::from(back)))
}

/// The bank holidays of England and Wales in `year`, in date order.
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let mut days = Vec::with_capacity(10);
    // New Year's Day, or the Monday after when it falls at a weekend.
    if let Some(new_year) = ymd(year, 1, 1) {
        days.push(match new_year.weekday() {
            Weekday::Sat => new_year + Days::new(2),
            Weekday::Sun => new_year + Days::new(1),
            _ => new_year,
        });
    }
    if let Some(easter) = easter_sunday(year) {
        days.extend(easter.checked_sub_days(Days::new(2)));
        days.extend(easter.checked_add_days(Days::new(1)));
    }
    days.extend(first_monday(year, 5));
    days.extend(last_monday(year, 5));
    days.extend(last_monday(year, 8));
    // Christmas Day and Boxing Day, with substitutes after a weekend.
    if let (Some(christmas), Some(boxing)) = (ymd(year, 12, 25), ymd(year, 12, 26)) {
        match christmas.weekday() {
            Weekday::Fri => days.extend([christmas, christmas + Days::new(3)]),
            Weekday::Sat => days.extend([christmas + Days::new(2), christmas + Days::new(3)]),
            Weekday::Sun => days.extend([boxing, christmas + Days::new(2)]),
            _ => days.extend([christmas, boxing]),
        }
    }
    if let Some((_, removed, added)) = PROCLAIMED.iter().find(|(y, _, _)| *y == year) {
        days.retain(|d| !removed.contains(&(d.month(), d.day())));
        days.extend(added.iter().filter_map(|&(m, d)| ymd(year, m, d)));
    }
    days.sort();
    days
}

/// Whether `date` is a bank holiday in England and Wales.
pub fn is_bank_holiday(date: NaiveDate) -> bool {
    bank_holidays(date.year()).contains(&date)
}

/// Monday to Friday, and not a bank holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_bank_holiday(date)
}

/// The `n`-th working day after `date` (`date` itself never counts).
pub fn add_working_days(date: NaiveDate, n: u32) -> Option<NaiveDate> {
    nth_working_day(date, n, NaiveDate::succ_opt)
}

/// The `n`-th working day before `date` (`date` itself never counts).
pub fn sub_working_days(date: NaiveDate, n: u32) -> Option<NaiveDate> {
    nth_working_day(date, n, NaiveDate::pred_opt)
}

/// The `n`-th working day from `date`, stepping a day at a time by `step`.
fn nth_working_day(
    date: NaiveDate,
    n: u32,
    step: fn(&NaiveDate) -> Option<NaiveDate>,
) -> Option<NaiveDate> {
    let mut day = date;
    let mut left = n;
    while left > 0 {
        day = step(&day)?;
        if is_working_day(day) {
            left -= 1;
        }
    }
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::d;

    /// The published lists in the domain sheet (gov.uk), 2024 to 2027.
    #[test]
    fn bank_holidays_match_the_published_lists() {
        assert_eq!(
            bank_holidays(2024),
            [
                d(2024, 1, 1),
                d(2024, 3, 29),
                d(2024, 4, 1),
                d(2024, 5, 6),
                d(2024, 5, 27),
                d(2024, 8, 26),
                d(2024, 12, 25),
                d(2024, 12, 26)
            ]
        );
        assert_eq!(
            bank_holidays(2025),
            [
                d(2025, 1, 1),
                d(2025, 4, 18),
                d(2025, 4, 21),
                d(2025, 5, 5),
                d(2025, 5, 26),
                d(2025, 8, 25),
                d(2025, 12, 25),
                d(2025, 12, 26)
            ]
        );
        assert_eq!(
            bank_holidays(2026),
            [
                d(2026, 1, 1),
                d(2026, 4, 3),
                d(2026, 4, 6),
                d(2026, 5, 4),
                d(2026, 5, 25),
                d(2026, 8, 31),
                d(2026, 12, 25),
                d(2026, 12, 28)
            ]
        );
        assert_eq!(
            bank_holidays(2027),
            [
                d(2027, 1, 1),
                d(2027, 3, 26),
                d(2027, 3, 29),
                d(2027, 5, 3),
                d(2027, 5, 31),
                d(2027, 8, 30),
                d(2027, 12, 27),
                d(2027, 12, 28)
            ]
        );
    }

    #[test]
    fn proclaimed_changes() {
        let h2022 = bank_holidays(2022);
        assert!(
            h2022.contains(&d(2022, 6, 2))
                && h2022.contains(&d(2022, 6, 3))
                && h2022.contains(&d(2022, 9, 19))
        );
        assert!(!h2022.contains(&d(2022, 5, 30)));
        assert!(bank_holidays(2023).contains(&d(2023, 5, 8)));
        // New Year's Day 2022 was a Saturday: the holiday was Monday 3 January.
        assert!(h2022.contains(&d(2022, 1, 3)));
        // Christmas 2022 was a Sunday: Boxing Day Monday, substitute Tuesday 27.
        assert!(h2022.contains(&d(2022, 12, 26)) && h2022.contains(&d(2022, 12, 27)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Thursday 24 December 2026 + 2 working days: 25 (Fri) and 28 (Mon)
        // are holidays, so Tuesday 29 and Wednesday 30.
        assert_eq!(add_working_days(d(2026, 12, 24), 2), Some(d(2026, 12, 30)));
        // Friday + 2 working days = Tuesday.
        assert_eq!(add_working_days(d(2026, 11, 20), 2), Some(d(2026, 11, 24)));
        // Thursday before Good Friday 2026 (2 April) + 1 = Tuesday 7 April.
        assert_eq!(add_working_days(d(2026, 4, 2), 1), Some(d(2026, 4, 7)));
        assert_eq!(add_working_days(d(2026, 11, 23), 0), Some(d(2026, 11, 23)));
    }
}
