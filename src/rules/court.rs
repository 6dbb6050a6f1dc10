//! The rules of the court documents: what an s444 prosecution and an
//! education supervision order application need, by edition, and the
//! register extract a head teacher certifies (s566 Education Act 1996):
//! every session of the offence period with its national code, and totals.

use chrono::NaiveDate;
use serde::Serialize;

use super::codes::{Category, Session, lookup};
use super::{AttendanceFigures, Edition, attendance_figures};
use crate::case::{Case, Offence, Problem, SessionMark};

/// A first education supervision order lasts a year (Children Act 1989
/// Schedule 3 paragraph 15(1)); longer needs an extension.
pub const ESO_FIRST_ORDER_MONTHS: u8 = 12;

/// The offences an edition prosecutes: KPAS under s444(1A) only; PIAS under
/// s444(1), (1A), or (1) as extended by s444ZA.
pub fn offences(edition: Edition) -> &'static [Offence] {
    match edition {
        Edition::Kpas2024 => &[Offence::S444_1a],
        Edition::Pias => &[Offence::S444_1, Offence::S444_1a, Offence::S444za],
    }
}

/// The words of an offence: the section, and what it is, in plain terms.
pub fn offence_words(offence: Offence) -> (&'static str, &'static str) {
    match offence {
        Offence::S444_1 => (
            "section 444(1) of the Education Act 1996",
            "being the parent of a child of compulsory school age who is a registered pupil at a school and who failed to attend it regularly",
        ),
        Offence::S444_1a => (
            "section 444(1A) of the Education Act 1996",
            "being the parent of a child of compulsory school age who is a registered pupil at a school and who failed to attend it regularly, knowing that the child was failing to attend regularly and failing without reasonable justification to cause the child to attend",
        ),
        Offence::S444za => (
            "section 444(1) of the Education Act 1996, as applied by section 444ZA",
            "being the parent of a child of compulsory school age who failed to attend regularly the education away from the school that the child was required to attend",
        ),
    }
}

/// The checks of a prosecution that depend on the edition: the offence it
/// may charge, and (KPAS) that an interview under caution was offered.
pub fn check_prosecution(case: &Case, edition: Edition) -> Vec<Problem> {
    let mut refusals = Vec::new();
    let Some(p) = &case.prosecution else {
        return refusals;
    };
    if !offences(edition).contains(&p.offence) {
        refusals.push(Problem::refusal(
            "/prosecution/offence",
            "bundle.offence-edition",
            match edition {
                Edition::Kpas2024 => {
                    "the KPAS framework prosecutes under section 444(1A) only".to_owned()
                }
                Edition::Pias => "not an offence this edition prosecutes".to_owned(),
            },
        ));
    }
    if edition == Edition::Kpas2024 && p.interview.is_none() {
        refusals.push(Problem::refusal(
            "/prosecution/interview",
            "bundle.pace-offered",
            "under the KPAS framework the parent is offered an interview under caution before a prosecution: record the offer and its outcome",
        ));
    }
    refusals
}

/// One mark in the register extract.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExtractMark {
    /// The national code.
    pub code: String,
    /// What it means.
    pub meaning: &'static str,
    /// Whether it is an unauthorised absence.
    pub unauthorised: bool,
}

/// One school day of the register extract.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExtractDay {
    /// The day.
    pub date: NaiveDate,
    /// The morning's mark, if recorded.
    pub am: Option<ExtractMark>,
    /// The afternoon's mark, if recorded.
    pub pm: Option<ExtractMark>,
}

/// How often a code appears in the extract.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CodeCount {
    /// The code.
    pub code: String,
    /// What it means.
    pub meaning: &'static str,
    /// Sessions with it.
    pub sessions: u32,
}

/// The register for a period, as the certificate of attendance states it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RegisterExtract {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Each day with a mark, in order.
    pub days: Vec<ExtractDay>,
    /// Sessions of unauthorised absence.
    pub unauthorised_sessions: u32,
    /// Sessions of authorised absence.
    pub authorised_sessions: u32,
    /// Each code used, with its count, in order of first use.
    pub codes: Vec<CodeCount>,
    /// Attendance over the period, from the marks (none if no session was
    /// possible).
    pub figures: Option<AttendanceFigures>,
}

/// The register extract for `from..=to` from the case's marks.
pub fn register_extract(marks: &[SessionMark], from: NaiveDate, to: NaiveDate) -> RegisterExtract {
    let mut in_period: Vec<&SessionMark> = marks
        .iter()
        .filter(|m| m.date >= from && m.date <= to)
        .collect();
    in_period.sort_by_key(|m| (m.date, m.session));
    let mut days: Vec<ExtractDay> = Vec::new();
    let mut codes: Vec<CodeCount> = Vec::new();
    let (mut possible, mut authorised, mut unauthorised) = (0u32, 0u32, 0u32);
    for m in in_period {
        let (category, meaning) =
            lookup(&m.code, m.date).unwrap_or((Category::Administrative, "unknown code"));
        match category {
            Category::Present => possible += 1,
            Category::Authorised => {
                possible += 1;
                authorised += 1;
            }
            Category::Unauthorised => {
                possible += 1;
                unauthorised += 1;
            }
            Category::NotPossible | Category::Administrative => {}
        }
        match codes.iter_mut().find(|c| c.code == m.code) {
            Some(c) => c.sessions += 1,
            None => codes.push(CodeCount {
                code: m.code.clone(),
                meaning,
                sessions: 1,
            }),
        }
        let mark = ExtractMark {
            code: m.code.clone(),
            meaning,
            unauthorised: category == Category::Unauthorised,
        };
        if days.last().is_none_or(|d| d.date != m.date) {
            days.push(ExtractDay {
                date: m.date,
                am: None,
                pm: None,
            });
        }
        if let Some(day) = days.last_mut() {
            match m.session {
                Session::AM => day.am = Some(mark),
                Session::PM => day.pm = Some(mark),
            }
        }
    }
    RegisterExtract {
        from,
        to,
        days,
        unauthorised_sessions: unauthorised,
        authorised_sessions: authorised,
        codes,
        figures: attendance_figures(possible, authorised, unauthorised).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::d;

    fn mark(date: NaiveDate, session: Session, code: &str) -> SessionMark {
        SessionMark {
            date,
            session,
            code: code.into(),
        }
    }

    #[test]
    fn the_extract_keeps_the_period_and_counts_by_category() {
        let marks = vec![
            mark(d(2026, 10, 5), Session::AM, "/"),
            mark(d(2026, 10, 5), Session::PM, "\\"),
            mark(d(2026, 10, 6), Session::PM, "O"),
            mark(d(2026, 10, 6), Session::AM, "I"),
            mark(d(2026, 10, 7), Session::AM, "G"),
            mark(d(2026, 10, 7), Session::PM, "#"),
            mark(d(2026, 10, 12), Session::AM, "O"),
        ];
        let x = register_extract(&marks, d(2026, 10, 5), d(2026, 10, 9));
        assert_eq!(x.days.len(), 3);
        assert_eq!(x.days[1].am.as_ref().map(|m| m.code.as_str()), Some("I"));
        assert_eq!(x.days[1].pm.as_ref().map(|m| m.code.as_str()), Some("O"));
        assert_eq!(x.unauthorised_sessions, 2);
        assert_eq!(x.authorised_sessions, 1);
        let f = x.figures.unwrap_or_else(|| panic!("figures"));
        // `#` (school closed) is not a possible session.
        assert_eq!(f.possible_sessions, 5);
        assert_eq!(f.attendance_percent, "40.0");
    }

    #[test]
    fn kpas_prosecutes_under_1a_only() {
        assert_eq!(offences(Edition::Kpas2024), &[Offence::S444_1a]);
        assert!(offences(Edition::Pias).contains(&Offence::S444za));
    }
}
