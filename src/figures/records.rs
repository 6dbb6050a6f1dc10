//! What the register's records read as, for the documents made with them
//! (a bundle, a pack, a decision record, a withdrawal): why they could not
//! be gathered, the titles of the documents they hold, and what became of
//! each, in words.

use crate::case::Problem;
use crate::evidence::{EventName, RecordsError};

/// Why the register's evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum GatherError {
    /// The case cannot support the bundle: each problem names its rule.
    #[error("the register does not support this document")]
    Refused(Vec<Problem>),
    /// The records could not be read.
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// A document's title as its version's catalogue entry gives it (each
/// edition names its documents its own way): `(kind, version) → title`.
pub type Titles<'a> = dyn Fn(&str, &str) -> Option<String> + 'a;

/// A document kind's plain name, for the chronology.
pub(super) fn kind_words(kind: &str) -> String {
    let words = kind.replace('-', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => words,
    }
}

/// What became of a document: its events after issue, in words.
pub(super) fn outcome(events: &[crate::evidence::Event]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.event != EventName::Issued)
        .map(|e| {
            let on = e.on.format("%-d %B %Y");
            match e.event {
                EventName::Paid => format!(
                    "paid on {on}{}",
                    e.amount_pence
                        .map(|p| format!(" (£{}.{:02})", p / 100, p % 100))
                        .unwrap_or_default()
                ),
                EventName::Withdrawn => format!(
                    "withdrawn on {on}{}",
                    e.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                other => format!("{} on {on}", other.as_str().replace('-', " ")),
            }
        })
        .collect()
}
