//! An exclusion penalty notice's figures (Education and Inspections Act
//! 2006 s105): its own amounts and pay-by dates ([`rules::exclusion`]), the
//! recipient's ground under s576, and the refusals of its rules, at the
//! pointers of the fields they concern.

use chrono::NaiveDate;
use serde::Serialize;

use super::penalty::{For, PROOF_NUMBER};
use crate::case::{Case, ParentBasis, Problem, Problems};
use crate::rules::{self, exclusion, penalty::Terms};

/// What one exclusion notice states beyond the case.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ExclusionFigures {
    /// Which parent (index into `parents`).
    pub parent: usize,
    /// The notice's number: the register's, or on a proof the words
    /// `PROOF - NOT ISSUED`.
    pub notice_number: Option<String>,
    /// The amounts and dates.
    #[serde(flatten)]
    pub terms: Terms,
    /// Why the recipient is a parent under s576.
    pub parent_basis: ParentBasis,
    /// The pupil's age on the day found.
    pub age_on_day: Option<u32>,
    /// The last day named in the school's notice.
    pub last_named_day: Option<NaiveDate>,
}

/// The figures of parent `index`'s notice, or the refusals of its rules.
pub fn figures(case: &Case, index: usize, purpose: For) -> Result<ExclusionFigures, Problems> {
    let Some(x) = &case.exclusion else {
        return Err(Problems(vec![Problem::new(
            "/exclusion",
            "is required for this document",
        )]));
    };
    let Some((k, notice)) = x
        .notices
        .iter()
        .enumerate()
        .find(|(_, n)| n.parent == index)
    else {
        return Err(Problems(vec![Problem::new(
            "/exclusion/notices",
            format!("there is no notice for parent {index}"),
        )]));
    };
    let mut problems = Vec::new();
    if notice.notice_number.is_some() {
        problems.push(Problem::refusal(
            format!("/exclusion/notices/{k}/notice_number"),
            "penalty.number-from-register",
            "leave it out: the register gives each notice its number when it is issued, and a notice never prints any other",
        ));
    }
    if case
        .authority
        .as_ref()
        .is_some_and(|a| a.payment_url.is_none())
    {
        problems.push(Problem::new(
            "/authority/payment_url",
            "is required on a penalty notice: it tells the parent where to pay",
        ));
    }
    for r in exclusion::check(x.from, &x.days, x.found_on, x.notified_on) {
        let at = match r {
            exclusion::ExclusionRefusal::Days => "/exclusion/days",
            exclusion::ExclusionRefusal::NotANamedDay => "/exclusion/found_on",
            exclusion::ExclusionRefusal::NotNotified => "/exclusion/notified_on",
        };
        problems.push(Problem::refusal(at, r.rule(), r.to_string()));
    }
    if !rules::compulsory_school_age(case.pupil.date_of_birth, x.found_on) {
        problems.push(Problem::refusal(
            "/pupil/date_of_birth",
            "epn.school-age",
            "the duty is for a pupil of compulsory school age: on the day found, this pupil was not",
        ));
    }
    let basis = case.parents.get(index).and_then(crate::case::Parent::basis);
    if basis.is_none() {
        problems.push(Problem::refusal(
            format!("/parents/{index}/relationship"),
            "pn.parent-basis",
            "a penalty notice goes only to a parent under s576 Education Act 1996: the child's parent, someone with parental responsibility, or someone who has care of the child; say which (`parental_responsibility`, or `has_care`: true)",
        ));
    }
    let Some(parent_basis) = basis.filter(|_| problems.is_empty()) else {
        return Err(Problems(problems));
    };
    Ok(ExclusionFigures {
        parent: index,
        notice_number: match purpose {
            For::IssuedNotice => None,
            For::Notice | For::Request => Some(PROOF_NUMBER.to_owned()),
        },
        terms: exclusion::terms(case.date),
        parent_basis,
        age_on_day: rules::age_on(case.pupil.date_of_birth, x.found_on),
        last_named_day: x.days.iter().max().copied(),
    })
}
