//! The rules of the framework and of the law that docket applies to a case:
//! Unique Pupil Number check letters, UK postcodes, attendance percentages and
//! absence bands, and the timing of meetings here; the calendar of working
//! days ([`calendar`]), register codes ([`codes`]) and penalty notices
//! ([`penalty`]) in their own modules. Pure functions, no I/O, edition- and
//! date-aware; every figure a letter prints is computed here, never typed into
//! a template.

pub mod area;
pub mod calendar;
pub mod codes;
pub mod court;
pub mod events;
pub mod exclusion;
pub mod lapse;
pub mod penalty;
pub mod reference;
pub mod steps;

/// `d(2026, 11, 23)`: a date, for the worked examples in this module's tests.
#[cfg(test)]
pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_else(|| panic!("{y}-{m}-{day} is not a date"))
}

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use serde::Serialize;

/// Which edition of the framework applies.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Edition {
    /// PRU Inclusion & Attendance Support, in force until 31 August 2024.
    Pias,
    /// Kent PRU & Attendance Service, September 2024, in force from 1 September 2024.
    #[serde(rename = "kpas-2024")]
    Kpas2024,
}

impl Edition {
    /// The edition's name in files and URLs: `pias` or `kpas-2024`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Pias => "pias",
            Self::Kpas2024 => "kpas-2024",
        }
    }
}

/// The thresholds and periods of the rules in force in an edition, for
/// letters that explain them: a template prints these, never its own copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleFacts {
    /// Absence (percent of possible sessions) from which a pupil is at risk
    /// of persistent absence.
    pub at_risk_percent: u32,
    /// Absence from which a pupil is persistently absent.
    pub persistent_percent: u32,
    /// Absence from which a pupil is severely absent.
    pub severe_percent: u32,
    /// Unauthorised sessions that meet the penalty-notice threshold.
    pub penalty_threshold_sessions: u32,
    /// The window they must fall in, in words (`10 school weeks`).
    pub penalty_window: &'static str,
    /// Days from receipt to pay the reduced amount.
    pub penalty_reduced_days: u32,
    /// Days from receipt to pay the full amount.
    pub penalty_full_days: u32,
    /// Working days after posting on which a letter is taken to arrive.
    pub deemed_service_working_days: u32,
    /// School days in a notice to improve's improvement period.
    pub improvement_school_days: u32,
    /// Working days to send evidence for absences.
    pub evidence_reply_working_days: u32,
    /// Working days to get in touch after a visit found nobody in.
    pub visit_contact_working_days: u32,
    /// Working days' notice of a meeting, at least.
    pub meeting_notice_working_days: u32,
}

impl RuleFacts {
    /// The facts of `edition`.
    pub fn of(edition: Edition) -> Self {
        Self {
            at_risk_percent: AbsenceBand::AT_RISK_PERCENT,
            persistent_percent: AbsenceBand::PERSISTENT_PERCENT,
            severe_percent: AbsenceBand::SEVERE_PERCENT,
            penalty_threshold_sessions: penalty::THRESHOLD_SESSIONS,
            penalty_window: penalty::window_words(edition),
            penalty_reduced_days: penalty::REDUCED_PAYMENT_DAYS,
            penalty_full_days: penalty::FULL_PAYMENT_DAYS,
            deemed_service_working_days: penalty::DEEMED_SERVICE_WORKING_DAYS,
            improvement_school_days: steps::IMPROVEMENT_SCHOOL_DAYS,
            evidence_reply_working_days: steps::EVIDENCE_REPLY_WORKING_DAYS,
            visit_contact_working_days: steps::VISIT_CONTACT_WORKING_DAYS,
            meeting_notice_working_days: MEETING_MIN_NOTICE_WORKING_DAYS,
        }
    }
}

/// The 23 letters a UPN check character can take, indexed by value (no I, O, S).
const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// Why a Unique Pupil Number is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpnError {
    /// Not 13 characters of the right kinds.
    #[error("must be 13 characters: a check letter, 11 digits, then a digit or a letter")]
    Shape,
    /// Well formed, but the first character does not match the others.
    #[error("the check letter should be {expected}, not {found}")]
    CheckLetter {
        /// The check letter the other 12 characters call for.
        expected: char,
        /// The check letter given.
        found: char,
    },
}

/// Checks a Unique Pupil Number (DfE algorithm: characters 2–13 weighted by
/// their position, summed, modulo 23, give the check letter).
///
/// Permanent UPNs end in a digit; temporary ones end in a letter.
pub fn check_upn(upn: &str) -> Result<(), UpnError> {
    let bytes = upn.as_bytes();
    if bytes.len() != 13 || !upn.is_ascii() {
        return Err(UpnError::Shape);
    }
    let value = |b: u8| -> Option<u32> {
        if b.is_ascii_digit() {
            Some(u32::from(b - b'0'))
        } else {
            UPN_LETTERS
                .iter()
                .position(|&l| l == b)
                .and_then(|p| u32::try_from(p).ok())
        }
    };
    let first = bytes[0];
    if !UPN_LETTERS.contains(&first) || !bytes[1..12].iter().all(u8::is_ascii_digit) {
        return Err(UpnError::Shape);
    }
    let mut sum = 0u32;
    for (position, &b) in (2u32..).zip(&bytes[1..]) {
        sum += value(b).ok_or(UpnError::Shape)? * position;
    }
    let expected = char::from(UPN_LETTERS[(sum % 23) as usize]);
    let found = char::from(first);
    if expected == found {
        Ok(())
    } else {
        Err(UpnError::CheckLetter { expected, found })
    }
}

/// Royal Mail's postcode pattern (upper case, one space before the inward code).
static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(GIR 0AA|[A-PR-UWYZ]([A-HK-Y]([0-9][A-Z]?|[1-9][0-9])|[1-9]([0-9]|[A-HJKPSTUW])?) [0-9][ABD-HJLNP-UW-Z]{2})$",
    )
    .unwrap_or_else(|e| unreachable!("the postcode pattern is a valid regex: {e}"))
});

/// Normalises a UK postcode (trim, upper case, one space before the last
/// three characters) and returns it if it is a valid postcode.
pub fn normalise_postcode(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return None;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let formatted = format!("{outward} {inward}");
    POSTCODE.is_match(&formatted).then_some(formatted)
}

/// How worrying a pupil's absence is, by the share of possible sessions missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AbsenceBand {
    /// Under 5% of sessions missed.
    None,
    /// 5% to under 10%: at risk of persistent absence (local convention).
    AtRisk,
    /// 10% or more: persistently absent.
    Persistent,
    /// 50% or more: severely absent.
    Severe,
}

impl AbsenceBand {
    /// Absence (percent) from which a pupil is at risk of persistent absence
    /// (a local convention).
    pub const AT_RISK_PERCENT: u32 = 5;
    /// Absence (percent) from which a pupil is persistently absent.
    pub const PERSISTENT_PERCENT: u32 = 10;
    /// Absence (percent) from which a pupil is severely absent.
    pub const SEVERE_PERCENT: u32 = 50;

    /// Classifies `absences` out of `possible` sessions, comparing exact
    /// fractions (never a rounded percentage) with the thresholds.
    pub fn classify(absences: u32, possible: u32) -> Self {
        let (a, p) = (u64::from(absences) * 100, u64::from(possible));
        if a >= u64::from(Self::SEVERE_PERCENT) * p {
            Self::Severe
        } else if a >= u64::from(Self::PERSISTENT_PERCENT) * p {
            Self::Persistent
        } else if a >= u64::from(Self::AT_RISK_PERCENT) * p {
            Self::AtRisk
        } else {
            Self::None
        }
    }
}

/// Attendance figures for a period, derived from session counts.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AttendanceFigures {
    /// Sessions the pupil could have attended.
    pub possible_sessions: u32,
    /// Sessions attended.
    pub present_sessions: u32,
    /// Sessions missed, authorised and unauthorised.
    pub absent_sessions: u32,
    /// Attendance (present of possible sessions) as a percentage correctly
    /// rounded to one decimal place, e.g. `"86.4"` (86.36…).
    pub attendance_percent: String,
    /// Absence (absent of possible sessions) as a percentage correctly
    /// rounded to one decimal place, e.g. `"13.6"` (13.63…). The two may
    /// add up to 99.9 or 100.1: each is the arithmetic of the counts beside
    /// it, and bands are decided on exact fractions, never on these.
    pub absence_percent: String,
    /// School days missed (two sessions to a day), e.g. `"6.5"`.
    pub days_missed: String,
    /// The absence band.
    pub band: AbsenceBand,
}

/// Why attendance figures cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttendanceError {
    /// No possible sessions.
    #[error("there must be at least one possible session")]
    NoPossibleSessions,
    /// More absences than possible sessions.
    #[error("{absences} sessions of absence is more than the {possible} possible sessions")]
    TooManyAbsences {
        /// Authorised plus unauthorised absences.
        absences: u32,
        /// Possible sessions.
        possible: u32,
    },
}

/// `part` of `whole` as a percentage correctly rounded to one decimal place
/// (halves up): 40 of 70 is `"57.1"`, 25 of 30 `"83.3"`, 1 of 16 `"6.3"`.
/// `whole` is not zero.
pub fn percent(part: u32, whole: u32) -> String {
    let (part, whole) = (u64::from(part), u64::from(whole.max(1)));
    // Tenths of a percent, rounded: ⌊(1000·part / whole) + ½⌋.
    let tenths = (2000 * part + whole) / (2 * whole);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Computes the figures a letter prints from session counts.
pub fn attendance_figures(
    possible: u32,
    authorised: u32,
    unauthorised: u32,
) -> Result<AttendanceFigures, AttendanceError> {
    if possible == 0 {
        return Err(AttendanceError::NoPossibleSessions);
    }
    let absent = authorised.saturating_add(unauthorised);
    if absent > possible {
        return Err(AttendanceError::TooManyAbsences {
            absences: absent,
            possible,
        });
    }
    let present = possible - absent;
    Ok(AttendanceFigures {
        possible_sessions: possible,
        present_sessions: present,
        absent_sessions: absent,
        attendance_percent: percent(present, possible),
        absence_percent: percent(absent, possible),
        days_missed: if absent.is_multiple_of(2) {
            (absent / 2).to_string()
        } else {
            format!("{}.5", absent / 2)
        },
        band: AbsenceBand::classify(absent, possible),
    })
}

/// The child's age in whole years on `on`.
pub fn age_on(date_of_birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    on.years_since(date_of_birth)
}

/// Whether a child born on `date_of_birth` is of compulsory school age on
/// `on`: from the first prescribed day (31 December, 31 March or 31 August)
/// on or after the fifth birthday, until the last Friday in June of the
/// school year in which the child turns 16 (Education Act 1996 s8).
pub fn compulsory_school_age(date_of_birth: NaiveDate, on: NaiveDate) -> bool {
    let Some(fifth) = date_of_birth
        .with_year(date_of_birth.year() + 5)
        .or_else(|| {
            // 29 February: the birthday falls on 1 March in other years.
            NaiveDate::from_ymd_opt(date_of_birth.year() + 5, 3, 1)
        })
    else {
        return false;
    };
    let prescribed = [(3, 31), (8, 31), (12, 31)]
        .iter()
        .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(fifth.year(), m, d))
        .find(|day| *day >= fifth);
    let Some(start) = prescribed else {
        return false;
    };
    let Some(end) = end_of_compulsory_school_age(date_of_birth) else {
        return false;
    };
    (start..=end).contains(&on)
}

/// The last day of compulsory school age for a child born on
/// `date_of_birth`: the last Friday in June of the school year (1
/// September to 31 August) in which the child turns 16 (Education Act 1996
/// s8). Retention periods that run from the pupil leaving count from it.
pub fn end_of_compulsory_school_age(date_of_birth: NaiveDate) -> Option<NaiveDate> {
    let sixteenth = date_of_birth
        .with_year(date_of_birth.year() + 16)
        .or_else(|| NaiveDate::from_ymd_opt(date_of_birth.year() + 16, 3, 1))?;
    let school_year_end = if sixteenth.month() >= 9 {
        sixteenth.year() + 1
    } else {
        sixteenth.year()
    };
    last_friday_in_june(school_year_end)
}

/// The fewest working days between a letter and the meeting it invites
/// parents to: two for the post to arrive and three to arrange work or
/// childcare. A working assumption, kept here so it can change in one place.
pub const MEETING_MIN_NOTICE_WORKING_DAYS: u32 = 5;

/// Why a meeting date does not work with the letter's date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeetingDateError {
    /// The meeting is on or before the letter's date.
    #[error("must be after the letter's date ({letter})")]
    NotAfterLetter {
        /// The letter's date.
        letter: NaiveDate,
    },
    /// Too little notice.
    #[error(
        "gives too little notice: allow at least {min} working days after the letter's date, so {earliest} or later"
    )]
    TooLittleNotice {
        /// The minimum, in working days.
        min: u32,
        /// The earliest date that gives enough notice.
        earliest: NaiveDate,
    },
    /// A Saturday or Sunday.
    #[error("falls on a {weekday}; meetings with parents are on weekdays")]
    Weekend {
        /// The day of the week.
        weekday: &'static str,
    },
    /// A bank holiday.
    #[error("is a bank holiday")]
    BankHoliday,
}

/// Checks that a meeting on `meeting` can be offered in a letter dated `letter`.
pub fn check_meeting_date(letter: NaiveDate, meeting: NaiveDate) -> Result<(), MeetingDateError> {
    if meeting <= letter {
        return Err(MeetingDateError::NotAfterLetter { letter });
    }
    match meeting.weekday() {
        chrono::Weekday::Sat => {
            return Err(MeetingDateError::Weekend {
                weekday: "Saturday",
            });
        }
        chrono::Weekday::Sun => return Err(MeetingDateError::Weekend { weekday: "Sunday" }),
        _ => {}
    }
    if calendar::is_bank_holiday(meeting) {
        return Err(MeetingDateError::BankHoliday);
    }
    match calendar::add_working_days(letter, MEETING_MIN_NOTICE_WORKING_DAYS) {
        Some(earliest) if meeting < earliest => Err(MeetingDateError::TooLittleNotice {
            min: MEETING_MIN_NOTICE_WORKING_DAYS,
            earliest,
        }),
        _ => Ok(()),
    }
}

fn last_friday_in_june(year: i32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, 6, 30)?;
    let back = (last.weekday().num_days_from_monday() + 7 - 4) % 7;
    last.checked_sub_days(chrono::Days::new(u64::from(back)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_worked_examples_from_the_domain_sheet() {
        assert_eq!(check_upn("B801200005001"), Ok(()));
        assert_eq!(check_upn("W886200012345"), Ok(()));
        assert_eq!(
            check_upn("A886200012345"),
            Err(UpnError::CheckLetter {
                expected: 'W',
                found: 'A'
            })
        );
    }

    #[test]
    fn upn_shape_errors() {
        for bad in [
            "",
            "W88620001234",
            "W8862000123456",
            "I886200012345",
            "W88620001234I",
            "W88620001A345",
            "Ŵ88620001234",
        ] {
            assert_eq!(check_upn(bad), Err(UpnError::Shape), "{bad}");
        }
    }

    #[test]
    fn temporary_upn_ending_in_a_letter() {
        // Body 88620001234 + 'A' (value 0): find its check letter and accept it.
        let body = "88620001234A";
        let letter = UPN_LETTERS
            .iter()
            .map(|&l| format!("{}{body}", char::from(l)))
            .find(|u| check_upn(u).is_ok());
        assert!(letter.is_some());
    }

    #[test]
    fn postcodes_normalise_and_validate() {
        assert_eq!(normalise_postcode("me141xq").as_deref(), Some("ME14 1XQ"));
        assert_eq!(normalise_postcode(" CT1  1AA ").as_deref(), Some("CT1 1AA"));
        for ok in [
            "EC1A 1BB", "W1A 1HQ", "BL0 9AA", "GIR 0AA", "M1 1AA", "DN55 1PT",
        ] {
            assert_eq!(normalise_postcode(ok).as_deref(), Some(ok));
        }
        for bad in [
            "QA1 1AA",
            "ME14 1XC",
            "ME14",
            "12345",
            "ME14 1XQQ",
            "ΜΕ14 1XQ",
        ] {
            assert_eq!(normalise_postcode(bad), None, "{bad}");
        }
    }

    #[test]
    fn bands_use_exact_thresholds() {
        assert_eq!(AbsenceBand::classify(9, 100), AbsenceBand::AtRisk);
        assert_eq!(AbsenceBand::classify(10, 100), AbsenceBand::Persistent);
        assert_eq!(AbsenceBand::classify(4, 100), AbsenceBand::None);
        assert_eq!(AbsenceBand::classify(5, 100), AbsenceBand::AtRisk);
        assert_eq!(AbsenceBand::classify(50, 100), AbsenceBand::Severe);
        // 9.96% is not persistent absence, though it prints, correctly
        // rounded, as 10.0%: the band is decided on the exact fraction.
        assert_eq!(AbsenceBand::classify(249, 2500), AbsenceBand::AtRisk);
        let f = attendance_figures(2500, 249, 0).unwrap();
        assert_eq!(
            (f.absence_percent.as_str(), f.attendance_percent.as_str()),
            ("10.0", "90.0")
        );
        assert_eq!(f.band, AbsenceBand::AtRisk);
    }

    #[test]
    fn figures_to_one_place_that_add_up_to_100() {
        let f = attendance_figures(132, 10, 8).unwrap();
        assert_eq!(f.present_sessions, 114);
        assert_eq!(f.attendance_percent, "86.4"); // 86.3636…
        assert_eq!(f.absence_percent, "13.6");
        assert_eq!(f.days_missed, "9");
        assert_eq!(f.band, AbsenceBand::Persistent);
        assert_eq!(attendance_figures(8, 0, 1).unwrap().absence_percent, "12.5");
        // 1 in 16 is 6.25% absence and 93.75% attendance: each rounded on
        // its own (halves up), so the two add up to 100.1.
        let f = attendance_figures(16, 1, 0).unwrap();
        assert_eq!(
            (f.absence_percent.as_str(), f.attendance_percent.as_str()),
            ("6.3", "93.8")
        );
        // The cases the legal adviser found printed wrong.
        for (present, possible, printed) in [(40, 70, "57.1"), (25, 30, "83.3"), (131, 146, "89.7")]
        {
            let f = attendance_figures(possible, possible - present, 0).unwrap();
            assert_eq!(f.attendance_percent, printed, "{present} of {possible}");
        }
        assert_eq!(attendance_figures(2, 1, 0).unwrap().days_missed, "0.5");
        assert_eq!(
            attendance_figures(10, 6, 6),
            Err(AttendanceError::TooManyAbsences {
                absences: 12,
                possible: 10
            })
        );
        assert_eq!(
            attendance_figures(0, 0, 0),
            Err(AttendanceError::NoPossibleSessions)
        );
    }

    #[test]
    fn compulsory_school_age_boundaries() {
        // Born 15 May 2015: fifth birthday 15 May 2020, so of compulsory age
        // from 31 August 2020; turns 16 on 15 May 2031, so until the last
        // Friday in June 2031 (27 June).
        let dob = d(2015, 5, 15);
        assert!(!compulsory_school_age(dob, d(2020, 8, 30)));
        assert!(compulsory_school_age(dob, d(2020, 8, 31)));
        assert!(compulsory_school_age(dob, d(2031, 6, 27)));
        assert!(!compulsory_school_age(dob, d(2031, 6, 28)));
        // Born 1 October 2010: turns 16 in October 2026, school year ends June 2027.
        assert!(compulsory_school_age(d(2010, 10, 1), d(2027, 6, 1)));
        assert_eq!(last_friday_in_june(2027), Some(d(2027, 6, 25)));
    }

    #[test]
    fn meeting_dates() {
        let letter = d(2026, 11, 23); // a Monday
        assert!(check_meeting_date(letter, d(2026, 11, 30)).is_ok());
        assert!(check_meeting_date(letter, d(2026, 11, 28)).is_err()); // Saturday
        assert!(check_meeting_date(letter, d(2026, 11, 27)).is_err()); // 4 days
        assert!(check_meeting_date(letter, d(2026, 11, 23)).is_err());
        assert!(check_meeting_date(letter, d(2026, 11, 20)).is_err());
        // Five working days from Wednesday 23 December 2026 skip Christmas,
        // Boxing Day's substitute (Monday 28th) and New Year's Day.
        let wednesday = d(2026, 12, 23);
        assert_eq!(
            check_meeting_date(wednesday, d(2026, 12, 31)),
            Err(MeetingDateError::TooLittleNotice {
                min: 5,
                earliest: d(2027, 1, 4)
            })
        );
        assert!(check_meeting_date(wednesday, d(2027, 1, 4)).is_ok());
        assert_eq!(
            check_meeting_date(d(2027, 4, 19), d(2027, 5, 3)),
            Err(MeetingDateError::BankHoliday)
        );
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(d(2015, 5, 15), d(2026, 5, 14)), Some(10));
        assert_eq!(age_on(d(2015, 5, 15), d(2026, 5, 15)), Some(11));
    }

    #[test]
    fn every_percentage_is_the_rounded_quotient_of_its_counts() {
        for whole in 1..=400u32 {
            for part in 0..=whole {
                let printed: f64 = percent(part, whole).parse().unwrap();
                let exact = f64::from(part) * 100.0 / f64::from(whole);
                // Within half a tenth, and a half rounds up.
                assert!(
                    (printed - exact).abs() <= 0.05 + 1e-9,
                    "{part}/{whole}: {printed} for {exact}"
                );
                let tenths_x2 = u64::from(part) * 2000 / u64::from(whole);
                if u64::from(part) * 2000 % u64::from(whole) == 0 && tenths_x2 % 2 == 1 {
                    assert!(printed > exact, "{part}/{whole}: a half rounds up");
                }
            }
        }
    }
}
