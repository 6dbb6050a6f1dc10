//! National attendance register codes and what each counts as (School
//! Attendance (Pupil Registration) (England) Regulations 2024, reg 10; the
//! 2006 codes for registers kept before 19 August 2024).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The day the 2024 registration regulations and codes came into force.
pub const CODES_2024_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2024, 8, 19) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// A morning or an afternoon: one register each.
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
    Deserialize,
    schemars::JsonSchema,
)]
pub enum Session {
    /// Morning.
    AM,
    /// Afternoon.
    PM,
}

/// One register mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark<'a> {
    /// The day.
    pub date: NaiveDate,
    /// Morning or afternoon.
    pub session: Session,
    /// The national code, e.g. `O`.
    pub code: &'a str,
}

/// What a register mark counts as in attendance statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Present (counts as attendance).
    Present,
    /// Authorised absence.
    Authorised,
    /// Unauthorised absence.
    Unauthorised,
    /// Not a possible session (attendance not required or not possible).
    NotPossible,
    /// Administrative: not counted at all.
    Administrative,
}

/// The codes in force from 19 August 2024, with their category and meaning.
const CODES_2024: &[(&str, Category, &str)] = &[
    ("/", Category::Present, "present (morning)"),
    ("\\", Category::Present, "present (afternoon)"),
    ("L", Category::Present, "late, before the register closed"),
    (
        "K",
        Category::Present,
        "education arranged by the local authority",
    ),
    ("V", Category::Present, "educational visit or trip"),
    ("P", Category::Present, "approved sporting activity"),
    ("W", Category::Present, "work experience"),
    (
        "B",
        Category::Present,
        "other approved educational activity",
    ),
    (
        "D",
        Category::NotPossible,
        "attending another school where also registered",
    ),
    (
        "C1",
        Category::Authorised,
        "leave for a regulated performance or employment abroad",
    ),
    ("M", Category::Authorised, "medical or dental appointment"),
    (
        "J1",
        Category::Authorised,
        "interview for employment or another institution",
    ),
    ("S", Category::Authorised, "study leave"),
    (
        "X",
        Category::NotPossible,
        "not of compulsory school age, not required to attend",
    ),
    ("C2", Category::Authorised, "part-time timetable"),
    (
        "C",
        Category::Authorised,
        "leave in exceptional circumstances",
    ),
    ("T", Category::Authorised, "parent travelling for work"),
    ("R", Category::Authorised, "religious observance"),
    ("I", Category::Authorised, "illness"),
    (
        "E",
        Category::Authorised,
        "suspended or excluded, no alternative provision",
    ),
    (
        "Q",
        Category::NotPossible,
        "no access arrangements by the local authority",
    ),
    ("Y1", Category::NotPossible, "transport not available"),
    ("Y2", Category::NotPossible, "widespread travel disruption"),
    (
        "Y3",
        Category::NotPossible,
        "part of the school premises closed",
    ),
    ("Y4", Category::NotPossible, "whole school site closed"),
    ("Y5", Category::NotPossible, "in criminal justice detention"),
    ("Y6", Category::NotPossible, "public health guidance or law"),
    ("Y7", Category::NotPossible, "other unavoidable cause"),
    (
        "G",
        Category::Unauthorised,
        "holiday not agreed by the school",
    ),
    ("N", Category::Unauthorised, "reason not yet given"),
    ("O", Category::Unauthorised, "other unauthorised absence"),
    (
        "U",
        Category::Unauthorised,
        "arrived after the register closed",
    ),
    ("Z", Category::Administrative, "not yet on roll"),
    ("#", Category::Administrative, "planned school closure"),
];

/// Codes of the 2006 regulations that the 2024 set retired or changed.
const CODES_2006_ONLY: &[(&str, Category, &str)] = &[
    ("H", Category::Authorised, "holiday agreed by the school"),
    ("F", Category::Authorised, "agreed extended family holiday"),
    ("J", Category::Authorised, "interview"),
    (
        "Y",
        Category::NotPossible,
        "unable to attend due to exceptional circumstances",
    ),
];

/// The category and meaning of `code` in a register kept on `date`, or
/// `None` if the code was not in use then.
pub fn lookup(code: &str, date: NaiveDate) -> Option<(Category, &'static str)> {
    let current = CODES_2024.iter().find(|(c, _, _)| *c == code);
    let found = if date >= CODES_2024_FROM {
        current
    } else {
        // Before the 2024 set: the 2006 codes (the 2024 additions C1, C2,
        // J1, K, Q and Y1–Y7 did not exist yet).
        const NEW_IN_2024: &[&str] = &[
            "C1", "C2", "J1", "K", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7",
        ];
        CODES_2006_ONLY
            .iter()
            .find(|(c, _, _)| *c == code)
            .or(current.filter(|(c, _, _)| !NEW_IN_2024.contains(c)))
    };
    found.map(|(_, category, meaning)| (*category, *meaning))
}

/// The unauthorised codes the national penalty-notice threshold counts.
pub const PENALTY_CODES: &[&str] = &["G", "N", "O", "U"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::d;

    #[test]
    fn codes_by_date() {
        assert_eq!(
            lookup("G", d(2026, 1, 5)).map(|c| c.0),
            Some(Category::Unauthorised)
        );
        assert_eq!(
            lookup("I", d(2026, 1, 5)).map(|c| c.0),
            Some(Category::Authorised)
        );
        assert_eq!(
            lookup("Y4", d(2026, 1, 5)).map(|c| c.0),
            Some(Category::NotPossible)
        );
        assert_eq!(lookup("H", d(2026, 1, 5)), None);
        assert_eq!(
            lookup("H", d(2023, 1, 5)).map(|c| c.0),
            Some(Category::Authorised)
        );
        assert_eq!(lookup("Y1", d(2023, 1, 5)), None);
        assert_eq!(
            lookup("G", d(2023, 1, 5)).map(|c| c.0),
            Some(Category::Unauthorised)
        );
        assert_eq!(lookup("Q1", d(2026, 1, 5)), None);
    }
}
