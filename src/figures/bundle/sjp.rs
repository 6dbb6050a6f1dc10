//! What a single justice procedure pack adds to a bundle's evidence: its
//! penalty notice, served with it as an exhibit, issued to the defendant,
//! lapsed unpaid and not withdrawn (`sjp.notice`, `sjp.settled`), and what
//! gathering gives the pipeline.

use super::checks::label_of;
use super::{GatherError, after};
use crate::case::{Case, Parent, Problem};
use crate::evidence::{Evidence, Exhibit, Records};

/// What gathering a bundle's or pack's evidence gives.
#[derive(Debug)]
pub struct Gathered {
    /// The exhibits, chronology and warnings, and the files to attach.
    pub evidence: Evidence,
    /// The decision to prosecute on record for the defendant.
    pub decision_record: Option<after::DecisionRecord>,
    /// A single justice procedure pack's notice, as the register holds it.
    pub notice: Option<after::NoticeFigures>,
}

/// A single justice procedure pack's notice: one of its exhibits, issued
/// to the defendant, lapsed unpaid and not withdrawn (`sjp.settled`,
/// rechecked at every render).
pub(super) fn sjp_notice(
    case: &Case,
    records: &dyn Records,
    sjp: &crate::case::Sjp,
    defendant: &Parent,
    exhibits: &[Exhibit],
    refusals: &mut Vec<Problem>,
) -> Result<Option<after::NoticeFigures>, GatherError> {
    if label_of(exhibits, &sjp.notice).is_none() {
        refusals.push(Problem::refusal(
            "/sjp/notice",
            "sjp.notice",
            format!(
                "the penalty notice {} must be served with the pack: list it in `prosecution.exhibits`",
                sjp.notice
            ),
        ));
        return Ok(None);
    }
    let (notice, events) = match after::notice(
        case,
        records,
        &sjp.notice,
        "/sjp/notice",
        Some((defendant, "/prosecution/defendant".to_owned())),
    ) {
        Ok(found) => found,
        Err(GatherError::Refused(p)) => {
            refusals.extend(p);
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let ended = events
        .iter()
        .find(|e| e.event.ends_the_matter())
        .map(|e| (e.event.as_str(), e.on));
    if let Some((what, on)) = ended {
        refusals.push(Problem::refusal(
            "/sjp/notice",
            "sjp.settled",
            format!(
                "penalty notice {} was {what} on {}: a notice paid or withdrawn cannot go to court",
                notice.number,
                on.format("%-d %B %Y")
            ),
        ));
    } else if let Some(last) = notice.last_day_to_pay.filter(|&l| case.date <= l) {
        refusals.push(Problem::refusal(
            "/sjp/notice",
            "sjp.settled",
            format!(
                "penalty notice {} can still be paid until {}: it goes to court only once that day has passed unpaid",
                notice.number,
                last.format("%-d %B %Y")
            ),
        ));
    }
    Ok(Some(notice))
}
