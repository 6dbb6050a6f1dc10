//! The first step of checking a request: whether it issues, which version
//! it is made with (once), and which translation a proof shows; and what
//! issuing adds (its own refusals, the register's earlier notices).

use std::sync::Arc;

use chrono::NaiveDate;
use serde_json::Value;

use super::{DocumentError, Purpose, Request};
use crate::case::{Case, PreviousNotice, Problem, Problems};
use crate::evidence::{Records, RecordsError, person_key};
use crate::templates::{TemplateStore, Version};

/// What [`choose`] decided.
pub(super) struct Choice {
    /// The request issues a document (not a proof).
    pub issuing: bool,
    /// Today, once for the whole check.
    pub today: NaiveDate,
    /// The version the document is made with.
    pub version: Arc<Version>,
    /// The translation a proof shows: its code and whether it was reviewed.
    pub translation: Option<(String, bool)>,
}

/// Chooses whether `request` issues, its version and its translation.
pub(super) fn choose(
    templates: &TemplateStore,
    request: &Request<'_>,
) -> Result<Choice, DocumentError> {
    let issuing = match request.purpose {
        Purpose::Proof => false,
        Purpose::AsAsked { issue } => issue || templates.catalogue().always_issued(request.kind),
        Purpose::Issue => true,
    };
    let today = chrono::Local::now().date_naive();
    // A proof uses the version in force on `as_of` (default today); an
    // issued document the version in force on its own date.
    let dated = request
        .case
        .get("date")
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if issuing && request.as_of.is_some() {
        return Err(Problems(vec![Problem::refusal(
            "",
            "issue.as-of",
            format!(
                "as_of chooses a version for a proof; an issued document is made with the version in force on its own date ({})",
                dated.map_or_else(|| "the case's `date`".to_owned(), |d| d.to_string())
            ),
        )])
        .into());
    }
    let on = if issuing {
        dated.or(Some(today))
    } else {
        request.as_of
    };
    let version = templates.select_on(request.kind, request.version, on)?;
    if version.meta.draft && !request.drafts {
        return Err(DocumentError::Draft(version.id()));
    }
    let translation = match request.translation {
        None => None,
        Some(_) if issuing => {
            return Err(Problems(vec![Problem::refusal(
                "",
                "issue.translation",
                "a named translation is for proofs: an issued letter comes in a reviewed translation to each parent whose language it is, with the English letter",
            )])
            .into());
        }
        Some(code) => match version.meta.translations.get(code) {
            Some(t) if !t.reviewed && !request.drafts => {
                return Err(DocumentError::Draft(format!(
                    "the `{code}` translation of {}",
                    version.id()
                )));
            }
            Some(t) => Some((code.to_owned(), t.reviewed)),
            None => return Err(DocumentError::NoTranslation(version.id(), code.to_owned())),
        },
    };
    Ok(Choice {
        issuing,
        today,
        version,
        translation,
    })
}

/// The refusals of issuing, beyond the case's own: a document dated after
/// today is not issued as if it were that day, and a document is issued
/// only under the version in force on its date (a historic or a future
/// version makes proofs, never documents that are sent).
pub(super) fn issuing_refusals(version: &Version, case: &Case, today: NaiveDate) -> Vec<Problem> {
    let mut out = Vec::new();
    if case.date > today {
        out.push(Problem::refusal(
            "/date",
            "case.date-in-future",
            format!(
                "is after today ({today}): a document is issued on its date, so issue it on that day or date it today"
            ),
        ));
    }
    if version.meta.draft {
        out.push(Problem::refusal(
            "",
            "template.not-in-force",
            format!(
                "{} is a draft: a draft makes proofs, never documents that are sent; publish it first",
                version.id()
            ),
        ));
    } else if !version.in_force_on(case.date) {
        let to = version
            .meta
            .effective_to
            .map_or_else(|| "now".to_owned(), |d| d.to_string());
        out.push(Problem::refusal(
            "/date",
            "template.not-in-force",
            format!(
                "{} is in force from {} to {to}, not on the document's date ({}): a document is issued under the version in force on its date; pin no version, or render a proof",
                version.id(),
                version.meta.effective_from,
                case.date
            ),
        ));
    }
    out
}

/// Issuing a penalty notice: only the asked-for parent's notice is issued
/// now; the notices go in parent order (the order of the copies); and a
/// parent the case gives no earlier notices for gets the register's, so the
/// limit of two in three years holds.
pub(super) fn add_register_history(
    case: &mut Case,
    only: Option<usize>,
    records: &dyn Records,
) -> Result<(), RecordsError> {
    let Case {
        penalty,
        parents,
        pupil,
        ..
    } = case;
    let Some(p) = penalty.as_mut() else {
        return Ok(());
    };
    if let Some(i) = only {
        p.notices.retain(|n| n.parent == i);
    }
    p.notices.sort_by_key(|n| n.parent);
    for notice in &mut p.notices {
        let Some(parent) = parents.get(notice.parent) else {
            continue;
        };
        if notice.previous_notices.is_empty() {
            let key = person_key(&parent.given_names, &parent.family_name);
            notice.previous_notices = records
                .prior_notices(&pupil.upn, &key)?
                .into_iter()
                .map(|n| PreviousNotice {
                    issued_on: n.issued_on,
                    notice_number: n.reference,
                    withdrawn: n.withdrawn,
                })
                .collect();
        }
    }
    Ok(())
}
