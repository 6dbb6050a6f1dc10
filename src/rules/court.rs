//! The rules of the court documents: what an s444 prosecution and an
//! education supervision order application need, by edition, and the
//! register extract a head teacher certifies (s566 Education Act 1996):
//! every session of the offence period with its national code, and totals.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::codes::{Category, Mark, Session, lookup};
use super::{AttendanceFigures, Edition, attendance_figures, compulsory_school_age};

/// A first education supervision order lasts a year (Children Act 1989
/// Schedule 3 paragraph 15(1)); longer needs an extension.
pub const ESO_FIRST_ORDER_MONTHS: u8 = 12;

/// The offence charged (Education Act 1996).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Offence {
    /// s444(1): a registered pupil of compulsory school age fails to attend
    /// regularly (strict liability).
    #[serde(rename = "s444(1)")]
    S444_1,
    /// s444(1A): as (1), and the parent knows and fails without reasonable
    /// justification to cause the child to attend.
    #[serde(rename = "s444(1A)")]
    S444_1a,
    /// s444(1) as extended by s444ZA to education the child is required to
    /// attend away from the school (e.g. alternative provision).
    #[serde(rename = "s444ZA")]
    S444za,
}

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

/// The period a check of compulsory school age is about, which decides the
/// rule it is refused under and how the refusal reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgePeriod {
    /// A penalty notice's offence period.
    PenaltyOffence,
    /// The period an interview under caution investigates.
    Investigation,
    /// A prosecution's offence period.
    ProsecutionOffence,
}

/// Why a step toward court cannot be taken. Each names the rule it applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CourtRefusal {
    /// The child was not of compulsory school age throughout the period
    /// (Education Act 1996 s8), so no s444 offence covers all of it.
    #[error("{}", school_age_words(*.0))]
    OutsideCompulsorySchoolAge(AgePeriod),
    /// No record that an education supervision order was considered (s447).
    #[error(
        "before prosecuting, the local authority must consider applying for an education supervision order (section 447(1) Education Act 1996): record when, by whom and why prosecution was chosen"
    )]
    EsoNotConsidered,
    /// No register marks for the offence period.
    #[error(
        "the certificate of attendance needs the register's marks, session by session, for the offence period; none are given for it"
    )]
    NoRegisterMarks,
    /// An offence the edition does not prosecute.
    #[error("{}", match .0 {
        Edition::Kpas2024 => "the KPAS framework prosecutes under section 444(1A) only",
        Edition::Pias => "not an offence this edition prosecutes",
    })]
    OffenceNotProsecuted(Edition),
    /// KPAS: no interview under caution offered.
    #[error(
        "under the KPAS framework the parent is offered an interview under caution before a prosecution: record the offer and its outcome"
    )]
    InterviewNotOffered,
    /// An ESO for a looked-after child (Children Act 1989 s36(6)).
    #[error(
        "an education supervision order cannot be made for a child who is being looked after by a local authority (section 36(6) Children Act 1989)"
    )]
    EsoLookedAfter,
    /// An ESO for a child not of compulsory school age (s36(3)).
    #[error(
        "an education supervision order can only be made for a child of compulsory school age (section 36(3) Children Act 1989)"
    )]
    EsoNotCompulsorySchoolAge,
    /// A first ESO longer than a year.
    #[error(
        "a first education supervision order lasts {} months at most (Children Act 1989 Schedule 3 paragraph 15); it can be extended later",
        ESO_FIRST_ORDER_MONTHS
    )]
    EsoTooLong,
}

fn school_age_words(period: AgePeriod) -> &'static str {
    match period {
        AgePeriod::PenaltyOffence => {
            "the pupil was not of compulsory school age throughout the offence period, so no offence under section 444 was committed in all of it; shorten the period"
        }
        AgePeriod::Investigation => {
            "the pupil was not of compulsory school age throughout the period under investigation, so no offence under section 444 was committed in all of it; shorten the period"
        }
        AgePeriod::ProsecutionOffence => {
            "the child was not of compulsory school age throughout the offence period, so no offence under section 444 was committed in all of it; shorten the period"
        }
    }
}

impl CourtRefusal {
    /// The rule's identifier, quoted in problem responses.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::OutsideCompulsorySchoolAge(AgePeriod::PenaltyOffence) => {
                "pn.compulsory-school-age"
            }
            Self::OutsideCompulsorySchoolAge(_) => "s444.compulsory-school-age",
            Self::EsoNotConsidered => "s447.eso-considered",
            Self::NoRegisterMarks => "s444.register-data",
            Self::OffenceNotProsecuted(_) => "bundle.offence-edition",
            Self::InterviewNotOffered => "bundle.pace-offered",
            Self::EsoLookedAfter => "eso.looked-after",
            Self::EsoNotCompulsorySchoolAge => "eso.compulsory-school-age",
            Self::EsoTooLong => "eso.duration",
        }
    }
}

/// Whether a child born on `date_of_birth` was of compulsory school age on
/// every day of `from..=to` (checked at both ends: the age only grows).
pub fn check_school_age(
    date_of_birth: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
    period: AgePeriod,
) -> Option<CourtRefusal> {
    let throughout =
        compulsory_school_age(date_of_birth, from) && compulsory_school_age(date_of_birth, to);
    (!throughout).then_some(CourtRefusal::OutsideCompulsorySchoolAge(period))
}

/// The checks of a prosecution that depend on the edition: the offence it
/// may charge, and (KPAS) that an interview under caution was offered.
pub fn check_offence(
    edition: Edition,
    offence: Offence,
    interview_offered: bool,
) -> Vec<CourtRefusal> {
    let mut refusals = Vec::new();
    if !offences(edition).contains(&offence) {
        refusals.push(CourtRefusal::OffenceNotProsecuted(edition));
    }
    if edition == Edition::Kpas2024 && !interview_offered {
        refusals.push(CourtRefusal::InterviewNotOffered);
    }
    refusals
}

/// The limits on an education supervision order application: not for a
/// looked-after child, only for a child of compulsory school age on the
/// statement's date, a first order of a year at most.
pub fn check_eso(
    looked_after: bool,
    of_compulsory_school_age: bool,
    duration_months: u8,
) -> Vec<CourtRefusal> {
    let mut refusals = Vec::new();
    if looked_after {
        refusals.push(CourtRefusal::EsoLookedAfter);
    }
    if !of_compulsory_school_age {
        refusals.push(CourtRefusal::EsoNotCompulsorySchoolAge);
    }
    if duration_months > ESO_FIRST_ORDER_MONTHS {
        refusals.push(CourtRefusal::EsoTooLong);
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
pub fn register_extract(marks: &[Mark<'_>], from: NaiveDate, to: NaiveDate) -> RegisterExtract {
    let mut in_period: Vec<&Mark<'_>> = marks
        .iter()
        .filter(|m| m.date >= from && m.date <= to)
        .collect();
    in_period.sort_by_key(|m| (m.date, m.session));
    let mut days: Vec<ExtractDay> = Vec::new();
    let mut codes: Vec<CodeCount> = Vec::new();
    let (mut possible, mut authorised, mut unauthorised) = (0u32, 0u32, 0u32);
    for m in in_period {
        let (category, meaning) =
            lookup(m.code, m.date).unwrap_or((Category::Administrative, "unknown code"));
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
                code: m.code.to_owned(),
                meaning,
                sessions: 1,
            }),
        }
        let mark = ExtractMark {
            code: m.code.to_owned(),
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

    fn mark(date: NaiveDate, session: Session, code: &'static str) -> Mark<'static> {
        Mark {
            date,
            session,
            code,
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
    fn refusals_name_their_rules() {
        let period = (d(2026, 9, 7), d(2026, 10, 16));
        // Born 1 September 2010: 16 in the school year 2026/27, so past
        // compulsory school age from the last Friday in June 2027 only.
        assert_eq!(
            check_school_age(d(2010, 9, 1), period.0, period.1, AgePeriod::PenaltyOffence),
            None
        );
        let too_old = check_school_age(d(2009, 9, 1), period.0, period.1, AgePeriod::Investigation);
        assert_eq!(
            too_old.as_ref().map(CourtRefusal::rule),
            Some("s444.compulsory-school-age")
        );
        let rules: Vec<&str> = check_offence(Edition::Kpas2024, Offence::S444_1, false)
            .iter()
            .map(CourtRefusal::rule)
            .collect();
        assert_eq!(rules, ["bundle.offence-edition", "bundle.pace-offered"]);
        assert!(check_offence(Edition::Pias, Offence::S444_1, false).is_empty());
        let rules: Vec<&str> = check_eso(true, false, 13)
            .iter()
            .map(CourtRefusal::rule)
            .collect();
        assert_eq!(
            rules,
            [
                "eso.looked-after",
                "eso.compulsory-school-age",
                "eso.duration"
            ]
        );
    }

    #[test]
    fn kpas_prosecutes_under_1a_only() {
        assert_eq!(offences(Edition::Kpas2024), &[Offence::S444_1a]);
        assert!(offences(Edition::Pias).contains(&Offence::S444za));
    }
}
