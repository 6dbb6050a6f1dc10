//! What issuing a document records on the notice it is about, from the
//! catalogue's `records`: a withdrawal letter withdraws its notice, a
//! decision-to-prosecute record records the decision, a single justice
//! procedure pack starts the prosecution. The register records it in the
//! issue's own transaction, with every check of an event.

use crate::document::Checked;
use crate::register::{EventKind, MAX_DECIDER_TEXT};
use crate::rules::lapse::Decision;
use crate::templates::RecordsEvent;

/// The event issuing `checked` records on the notice it is about (the
/// catalogue's `records`), with the notice's number; `reference` is the
/// document's own.
pub(super) fn event(checked: &Checked, reference: &str) -> Option<(String, EventKind)> {
    let case = checked.case();
    let on = checked.date();
    match checked.version().entry.records? {
        RecordsEvent::Withdrawn => {
            let w = case.withdrawal.as_ref()?;
            let reason = w
                .explanation
                .clone()
                .unwrap_or_else(|| format!("withdrawal letter {reference}: {}", w.ground.words()));
            Some((
                w.notice.clone(),
                EventKind::Withdrawn {
                    ground: w.ground,
                    reason,
                    on,
                },
            ))
        }
        RecordsEvent::ProsecutionStarted => {
            let sjp = case.sjp.as_ref()?;
            Some((sjp.notice.clone(), EventKind::ProsecutionStarted { on }))
        }
        RecordsEvent::Decision => {
            let d = case.decision.as_ref()?;
            let by = format!("{}, {}", d.decided_by.name, d.decided_by.role);
            let decided_by = if by.chars().count() <= MAX_DECIDER_TEXT {
                by
            } else {
                d.decided_by.name.clone()
            };
            Some((
                d.notice.clone()?,
                EventKind::Decision {
                    decision: Decision::Prosecute,
                    reasons: format!(
                        "recorded in the decision to prosecute {reference}, with the evidence and the public-interest factors weighed"
                    ),
                    decided_by,
                    on,
                },
            ))
        }
    }
}
