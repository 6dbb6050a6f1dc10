//! The penalty-notice rules applied to one parent of a case: the threshold
//! on the register, the notice to improve, the limit on earlier notices,
//! the amounts and dates (see [`crate::rules::penalty`]).

use chrono::NaiveDate;
use serde::Serialize;

use crate::case::{self, Case, Problem, Problems};
use crate::rules::{self, penalty};

/// What a penalty notice states (or a request would lead to), for one parent.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PenaltyFigures {
    /// Which parent (index into `parents`).
    pub parent: usize,
    /// The notice's number: the one the register reserved, or on a proof
    /// [`PROOF_NUMBER`], never a number the register does not hold.
    pub notice_number: Option<String>,
    /// The amounts and dates.
    #[serde(flatten)]
    pub terms: penalty::Terms,
    /// The register window in which the threshold is met.
    pub window: penalty::Window,
    /// Earlier notices that count toward the limit.
    pub counted_notices: Vec<NaiveDate>,
    /// The same earlier notices with their numbers, oldest first: a second
    /// notice names the one that makes it the higher amount.
    pub earlier_notices: Vec<EarlierNotice>,
    /// Why the recipient is a parent under s576 (for a version to print).
    pub parent_basis: crate::case::ParentBasis,
}

/// An earlier notice that counts toward the limit.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EarlierNotice {
    /// Its number.
    pub number: String,
    /// When it was issued.
    pub issued_on: NaiveDate,
}

/// What a proof of a penalty notice prints where the number goes: only the
/// register numbers notices, when they are issued.
pub const PROOF_NUMBER: &str = "PROOF - NOT ISSUED";

/// What the figures are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum For {
    /// A school's request for notices: no number, no payment address yet.
    Request,
    /// A proof of a notice: not issued, so it has no number.
    Notice,
    /// A notice the register will number when it is issued.
    IssuedNotice,
}

/// Applies the penalty-notice rules for the parent at `index`.
pub fn figures(
    case: &Case,
    edition: rules::Edition,
    index: usize,
    purpose: For,
) -> Result<PenaltyFigures, Problems> {
    let one = |pointer: String, detail: &str| Problems(vec![Problem::new(pointer, detail)]);
    let (Some(p), Some(attendance)) = (&case.penalty, &case.attendance) else {
        return Err(one("/penalty".into(), "is required for this document"));
    };
    let Some((k, notice)) = p
        .notices
        .iter()
        .enumerate()
        .find(|(_, n)| n.parent == index)
    else {
        return Err(Problems(vec![Problem::new(
            "/penalty/notices",
            format!("there is no notice for parent {index}"),
        )]));
    };
    if purpose != For::Request
        && case
            .authority
            .as_ref()
            .is_some_and(|a| a.payment_url.is_none())
    {
        return Err(one(
            "/authority/payment_url".into(),
            "is required on a penalty notice: it tells the parent where to pay",
        ));
    }
    if purpose != For::Request && notice.notice_number.is_some() {
        return Err(Problems(vec![Problem::refusal(
            format!("/penalty/notices/{k}/notice_number"),
            "penalty.number-from-register",
            "leave it out: the register gives each notice its number when it is issued, and a notice never prints any other",
        )]));
    }
    let Some(parent_basis) = case.parents.get(index).and_then(crate::case::Parent::basis) else {
        return Err(Problems(vec![Problem::refusal(
            format!("/parents/{index}/relationship"),
            "pn.parent-basis",
            "a penalty notice goes only to a parent under s576 Education Act 1996: the child's parent, someone with parental responsibility, or someone who has care of the child; say which (`parental_responsibility`, or `has_care`: true)",
        )]));
    };
    if attendance.sessions.is_empty() {
        return Err(one(
            "/attendance/sessions".into(),
            "a penalty notice needs the session-by-session register for the period",
        ));
    }
    let marks: Vec<penalty::Mark<'_>> = super::marks(case)
        .into_iter()
        .filter(|m| (p.offence_from..=p.offence_to).contains(&m.date))
        .collect();
    let refuse = |pointer: String, r: &penalty::Refusal| {
        Problems(vec![Problem::refusal(
            pointer,
            r.rule(),
            format!("{r}; {}", r.remedy()),
        )])
    };
    let window = penalty::threshold(edition, &marks)
        .map_err(|r| refuse("/attendance/sessions".into(), &r))?;
    penalty::check_notice_to_improve(
        edition,
        p.grounds == case::PenaltyGrounds::UnauthorisedHoliday,
        p.notice_to_improve_issued_on,
        p.requested_on,
    )
    .map_err(|r| refuse("/penalty/notice_to_improve_issued_on".into(), &r))?;
    let history: Vec<penalty::PriorNotice> = notice
        .previous_notices
        .iter()
        .map(|n| penalty::PriorNotice {
            issued_on: n.issued_on,
            withdrawn: n.withdrawn,
        })
        .collect();
    let terms = penalty::terms(edition, case.date, &history)
        .map_err(|r| refuse(format!("/penalty/notices/{k}/previous_notices"), &r))?;
    let counted_notices = penalty::counting_notices(&history, case.date);
    let mut earlier_notices: Vec<EarlierNotice> = notice
        .previous_notices
        .iter()
        .filter(|n| {
            penalty::counts_toward_limit(
                &penalty::PriorNotice {
                    issued_on: n.issued_on,
                    withdrawn: n.withdrawn,
                },
                case.date,
            )
        })
        .map(|n| EarlierNotice {
            number: n.notice_number.clone(),
            issued_on: n.issued_on,
        })
        .collect();
    earlier_notices.sort_by(|a, b| (a.issued_on, &a.number).cmp(&(b.issued_on, &b.number)));
    Ok(PenaltyFigures {
        parent: index,
        notice_number: (purpose == For::Notice).then(|| PROOF_NUMBER.to_owned()),
        parent_basis,
        terms,
        window,
        counted_notices,
        earlier_notices,
    })
}
