//! Where a penalty notice stands, in one word, and the documents issued
//! about it since (a withdrawal letter, the decision to prosecute, the
//! single justice procedure pack, a bundle that exhibits it): the status
//! answer's story of a notice after it was issued.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Register, RegisterError};
use crate::rules::lapse::{self, Decision};

/// Where a penalty notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Issued, and it can still be paid.
    Issued,
    /// Paid: the matter is ended.
    Paid,
    /// The last day to pay passed unpaid: it needs a decision.
    Lapsed,
    /// The authority decided to prosecute; proceedings have not started.
    DecidedProsecute,
    /// The authority decided to withdraw it; the letter is not yet issued.
    DecidedWithdraw,
    /// Withdrawn (by letter, when one was issued).
    Withdrawn,
    /// The single justice procedure notice and written charge were served.
    SjpServed,
    /// Prosecution started (by requisition or otherwise).
    ProsecutionStarted,
}

/// A document issued about a notice after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Related {
    /// Its kind, e.g. `penalty-notice-withdrawal`.
    pub kind: String,
    /// Its reference.
    pub reference: String,
    /// The day it was issued.
    pub issued_on: NaiveDate,
}

/// A notice's story: where it stands and what was issued about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Story {
    /// Where it stands.
    pub stage: Stage,
    /// The documents issued about it, oldest first.
    pub documents: Vec<Related>,
}

/// The kinds issued about a notice, and where each names it.
const ABOUT: &[(&str, &str)] = &[
    ("penalty-notice-withdrawal", "/withdrawal/notice"),
    ("decision-to-prosecute", "/decision/notice"),
    ("sjp-notice", "/sjp/notice"),
];

impl Register {
    /// The story of the penalty notice `reference` on `as_of`, or none for
    /// a document that is not a penalty notice.
    pub fn story(&self, reference: &str, as_of: NaiveDate) -> Result<Option<Story>, RegisterError> {
        let issued = self.get(reference)?;
        if !matches!(
            issued.kind.as_str(),
            "penalty-notice" | "exclusion-penalty-notice"
        ) {
            return Ok(None);
        }
        let mut documents = Vec::new();
        for doc in self.history(&issued.pupil_upn)? {
            let pointer = ABOUT
                .iter()
                .find(|(kind, _)| *kind == doc.kind)
                .map(|a| a.1);
            if pointer.is_none() && doc.kind != "prosecution-bundle" {
                continue;
            }
            let case: serde_json::Value = serde_json::from_str(&self.case_json(&doc.reference)?)
                .map_err(|e| {
                    RegisterError::Corrupt(format!(
                        "document {}: its case is not JSON: {e}",
                        doc.reference
                    ))
                })?;
            let names_it = match pointer {
                Some(pointer) => {
                    case.pointer(pointer).and_then(serde_json::Value::as_str) == Some(reference)
                }
                // A bundle names the notice among its exhibits.
                None => case
                    .pointer("/prosecution/exhibits")
                    .and_then(serde_json::Value::as_array)
                    .is_some_and(|a| a.iter().any(|e| e["reference"].as_str() == Some(reference))),
            };
            if names_it {
                documents.push(Related {
                    kind: doc.kind,
                    reference: doc.reference,
                    issued_on: doc.issued_on,
                });
            }
        }
        let timeline = self.timeline(reference)?;
        let standing = super::events::standing(&timeline);
        let served = documents.iter().any(|d| d.kind == "sjp-notice");
        let lapsed = self
            .terms(reference)?
            .is_some_and(|t| lapse::lapsed(&t, &standing, as_of));
        let stage = match (standing.ended, standing.prosecuted, standing.decided) {
            (Some(("withdrawn", _)), _, _) => Stage::Withdrawn,
            (Some(_), _, _) => Stage::Paid,
            (None, Some(_), _) if served => Stage::SjpServed,
            (None, Some(_), _) => Stage::ProsecutionStarted,
            (None, None, Some((Decision::Prosecute, _))) => Stage::DecidedProsecute,
            (None, None, Some((Decision::Withdraw, _))) => Stage::DecidedWithdraw,
            (None, None, None) if lapsed => Stage::Lapsed,
            (None, None, None) => Stage::Issued,
        };
        Ok(Some(Story { stage, documents }))
    }
}
