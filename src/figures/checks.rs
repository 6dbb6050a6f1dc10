//! The rules that refuse a document outright, each refusal at the JSON
//! pointer of the field it concerns and with the rule's name.

use crate::case::{Case, Problem, Problems, ReferralService};
use crate::rules::court::{self, AgePeriod, CourtRefusal};
use crate::rules::{self, Edition, steps};

use super::Figures;
use crate::evidence::Warning;

fn court_refusal(at: &str, r: &CourtRefusal) -> Problem {
    Problem::refusal(at, r.rule(), r.to_string())
}

/// The refusals any well-formed case may meet whatever its document: a
/// period outside compulsory school age, a referral without the consent it
/// needs, a prosecution with no ESO considered or no register marks, an ESO
/// the Children Act does not allow. In the order the case reads.
pub fn refusals(case: &Case) -> Vec<Problem> {
    let mut out = Vec::new();
    let dob = case.pupil.date_of_birth;
    if let Some(p) = &case.penalty
        && let Some(r) =
            court::check_school_age(dob, p.offence_from, p.offence_to, AgePeriod::PenaltyOffence)
    {
        out.push(court_refusal("/pupil/date_of_birth", &r));
    }
    if let Some(r) = &case.referral
        && let Err(refusal) = steps::check_referral_consent(
            r.service == ReferralService::EarlyHelp,
            r.consent.given,
            r.consent.reason_without.is_some(),
        )
    {
        out.push(Problem::refusal(
            "/referral/consent",
            refusal.rule(),
            refusal.to_string(),
        ));
    }
    if let Some(iv) = &case.interview
        && let Some(r) = court::check_school_age(
            dob,
            iv.offence_from,
            iv.offence_to,
            AgePeriod::Investigation,
        )
    {
        out.push(court_refusal("/pupil/date_of_birth", &r));
    }
    if let Some(p) = &case.prosecution {
        if let Some(r) = court::check_school_age(
            dob,
            p.offence_from,
            p.offence_to,
            AgePeriod::ProsecutionOffence,
        ) {
            out.push(court_refusal("/prosecution/offence_from", &r));
        }
        if p.eso_considered.is_none() {
            out.push(court_refusal(
                "/prosecution/eso_considered",
                &CourtRefusal::EsoNotConsidered,
            ));
        }
        let in_period = super::marks(case)
            .iter()
            .filter(|m| m.date >= p.offence_from && m.date <= p.offence_to)
            .count();
        if in_period == 0 {
            out.push(court_refusal(
                "/attendance/sessions",
                &CourtRefusal::NoRegisterMarks,
            ));
        }
    }
    if let Some(e) = &case.eso {
        let of_age = rules::compulsory_school_age(dob, case.date);
        for r in court::check_eso(e.looked_after, of_age, e.duration_months) {
            let at = match r {
                CourtRefusal::EsoLookedAfter => "/eso/looked_after",
                CourtRefusal::EsoTooLong => "/eso/duration_months",
                _ => "/pupil/date_of_birth",
            };
            out.push(court_refusal(at, &r));
        }
    }
    out
}

/// The rules of the framework's steps that decide whether this document may
/// be produced at all (statutory intervention), for the sections it needs.
pub fn check_steps(sections: &[String], figures: &Figures) -> Result<(), Problems> {
    let needs = |s: &str| sections.iter().any(|x| x == s);
    let mut problems = Vec::new();
    if needs("intervention")
        && let Some(attendance) = &figures.attendance
    {
        for r in steps::check_statutory_intervention(attendance, figures.level_three_step) {
            let at = match r {
                steps::StepRefusal::NoLevelThreeStep => "/history",
                _ => "/attendance",
            };
            problems.push(Problem::refusal(at, r.rule(), r.to_string()));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// The checks of a prosecution that depend on the edition: the offence it
/// may charge, and (KPAS) that an interview under caution was offered.
pub fn check_court(case: &Case, edition: Edition) -> Result<(), Problems> {
    let Some(p) = &case.prosecution else {
        return Ok(());
    };
    // A single justice procedure pack is for s444(1), which needs no
    // interview under caution; a bundle charges what the edition prosecutes.
    let mut problems: Vec<Problem> = if case.sjp.is_some() {
        super::after::sjp_offence(
            p.offence,
            p.defendant_date_of_birth,
            case.date,
            "/prosecution",
        )
    } else {
        court::check_offence(edition, p.offence, p.interview.is_some())
            .iter()
            .map(|r| {
                let at = match r {
                    CourtRefusal::InterviewNotOffered => "/prosecution/interview",
                    _ => "/prosecution/offence",
                };
                court_refusal(at, r)
            })
            .collect()
    };
    // Only a parent under s576 commits the s444 offence.
    if let Some(parent) = case.parents.get(p.defendant)
        && parent.basis().is_none()
    {
        problems.push(Problem::refusal(
            format!("/parents/{}/relationship", p.defendant),
            "pn.parent-basis",
            "the defendant must be a parent under s576 Education Act 1996: the child's parent, someone with parental responsibility, or someone who has care of the child; say which (`parental_responsibility`, or `has_care`: true)",
        ));
    }
    // MCA 1980 s127(1): six months to lay the information.
    let laid_by = rules::lapse::limit_date(p.offence_to);
    if case.date > laid_by {
        problems.push(super::after::late(
            "/prosecution/offence_to",
            laid_by,
            p.offence_to,
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// The warning for a pupil who lives outside the authority's area (`area`,
/// postcode areas, districts and sectors; empty: no area configured): the
/// pupil's own address, else the first parent's.
pub fn outside_area(case: &Case, authority: &str, area: &[String]) -> Option<Warning> {
    let (pointer, postcode) = match &case.pupil.address {
        Some(a) => ("/pupil/address/postcode", a.postcode.as_str()),
        None => (
            "/parents/0/address/postcode",
            case.parents.first()?.address.postcode.as_str(),
        ),
    };
    if rules::area::in_area(postcode, area) {
        return None;
    }
    Some(Warning {
        rule: "case.outside-area".into(),
        detail: format!(
            "{postcode} ({pointer}) is outside {authority}'s area: check that this authority is the one to write, and that the case is not another authority's"
        ),
    })
}
