//! What the register of issued documents adds to a document, as the pipeline
//! sees it: one trait, [`Records`], in the spirit of Typst's `World`. The
//! pipeline never asks where the records come from; the register implements
//! the trait for documents the service issues, and a scratch register
//! seeded with a version's `sample-register.json` implements it for the
//! studio, `docket templates check` and the tests.
//!
//! Here too are the types the records and a court bundle's evidence are
//! made of: an issued document, an event on its timeline, a parent's
//! earlier notice, and the exhibits, chronology and warnings of a bundle.
//! They sit below both the register and the pipeline, so neither imports
//! the other.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Why the records could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    /// The store behind them failed (a database error, a full disk).
    #[error("the register could not be read: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored record could not be read back: corrupt data, named by row.
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
    /// No register was given where one is needed (a court bundle rendered
    /// without its exhibits).
    #[error("no register of issued documents was given")]
    Missing,
}

/// The register of issued documents as the pipeline reads it. Every method
/// reads; none changes the records.
pub trait Records: Send + Sync {
    /// One issued document, if the register holds it.
    fn document(&self, reference: &str) -> Result<Option<Issued>, RecordsError>;

    /// The stored PDF of a document, byte for byte.
    fn pdf(&self, reference: &str) -> Result<Vec<u8>, RecordsError>;

    /// Every document issued about a pupil, oldest first.
    fn history(&self, pupil_upn: &str) -> Result<Vec<Issued>, RecordsError>;

    /// A document's timeline, oldest first (its `issued` event first).
    fn timeline(&self, reference: &str) -> Result<Vec<Event>, RecordsError>;

    /// Earlier penalty notices to the parent whose name gives `person_key`
    /// (see [`person_key`]) for the pupil: for the limit of two in three
    /// years.
    fn prior_notices(
        &self,
        pupil_upn: &str,
        person_key: &str,
    ) -> Result<Vec<PriorNotice>, RecordsError>;

    /// The case an issued document was made from, as JSON (what it stated).
    fn case(&self, reference: &str) -> Result<serde_json::Value, RecordsError>;

    /// The offence period of an issued penalty notice, from its case.
    fn penalty_period(
        &self,
        reference: &str,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, RecordsError>;

    /// The last day an issued penalty notice could be paid, from the terms
    /// recorded when it was issued.
    fn last_day_to_pay(&self, reference: &str) -> Result<Option<NaiveDate>, RecordsError>;
}

/// No records at all: for documents that need none. A parent has no
/// earlier notices in it, and a document made with the register's evidence
/// refuses to render with it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRecords;

impl Records for NoRecords {
    fn document(&self, _: &str) -> Result<Option<Issued>, RecordsError> {
        Err(RecordsError::Missing)
    }
    fn pdf(&self, _: &str) -> Result<Vec<u8>, RecordsError> {
        Err(RecordsError::Missing)
    }
    fn history(&self, _: &str) -> Result<Vec<Issued>, RecordsError> {
        Err(RecordsError::Missing)
    }
    fn timeline(&self, _: &str) -> Result<Vec<Event>, RecordsError> {
        Err(RecordsError::Missing)
    }
    fn prior_notices(&self, _: &str, _: &str) -> Result<Vec<PriorNotice>, RecordsError> {
        Ok(Vec::new())
    }
    fn penalty_period(&self, _: &str) -> Result<Option<(NaiveDate, NaiveDate)>, RecordsError> {
        Err(RecordsError::Missing)
    }
    fn case(&self, _: &str) -> Result<serde_json::Value, RecordsError> {
        Err(RecordsError::Missing)
    }
    fn last_day_to_pay(&self, _: &str) -> Result<Option<NaiveDate>, RecordsError> {
        Err(RecordsError::Missing)
    }
}

/// What can happen to an issued document, in the order the law allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventName {
    /// It was issued (the first event of every timeline).
    Issued,
    /// The penalty was paid.
    Paid,
    /// The notice was withdrawn.
    Withdrawn,
    /// Prosecution began after non-payment.
    ProsecutionStarted,
    /// An earlier event was recorded in error and is superseded.
    Corrected,
    /// The authority decided to prosecute or withdraw a lapsed notice.
    Decision,
}

impl EventName {
    /// Its name in the register and in JSON: `issued`, `paid`, `withdrawn`,
    /// `prosecution-started`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Paid => "paid",
            Self::Withdrawn => "withdrawn",
            Self::ProsecutionStarted => "prosecution-started",
            Self::Corrected => "corrected",
            Self::Decision => "decision",
        }
    }

    /// The event named `name` in the register, if docket knows it.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Issued,
            Self::Paid,
            Self::Withdrawn,
            Self::ProsecutionStarted,
            Self::Corrected,
            Self::Decision,
        ]
        .into_iter()
        .find(|e| e.as_str() == name)
    }

    /// Whether nothing may follow it (a paid or withdrawn notice).
    pub fn ends_the_matter(self) -> bool {
        matches!(self, Self::Paid | Self::Withdrawn)
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An issued document as the register lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issued {
    /// Its reference.
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// Template version.
    pub version: String,
    /// The version's content hash.
    pub template_hash: String,
    /// The case's hash.
    pub case_hash: String,
    /// The caller's case reference.
    pub case_reference: String,
    /// The pupil's UPN.
    pub pupil_upn: String,
    /// The school.
    pub school: String,
    /// The recipient.
    pub recipient_name: String,
    /// The recipient's postcode.
    pub recipient_postcode: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// Date of deemed service.
    pub served_on: Option<NaiveDate>,
    /// SHA-256 of the PDF.
    pub pdf_sha256: String,
    /// Who asked for it: the key's name, `cli:<user>` or `open`.
    pub requested_by: String,
    /// The key it was issued with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Who inside the calling system asked (`Docket-Requested-By`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// The school's DfE URN, if the case gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub school_urn: Option<String>,
    /// The latest event.
    pub status: EventName,
    /// Warnings it was issued with (court bundles).
    pub warnings: Vec<Warning>,
}

/// One entry of a document's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Its id on the timeline (a correction names the one it supersedes).
    pub id: i64,
    /// What happened.
    pub event: EventName,
    /// The day it happened.
    pub on: NaiveDate,
    /// For payments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_pence: Option<u32>,
    /// For withdrawals: the ground.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground: Option<crate::rules::events::WithdrawalGround>,
    /// For withdrawals and corrections: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a decision: prosecute or withdraw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::rules::lapse::Decision>,
    /// For a decision: who made it (a named officer and role).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// For a correction: the event it supersedes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<i64>,
    /// For an event recorded in error: the correction that supersedes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<i64>,
    /// Who recorded it.
    pub by: String,
    /// When it was recorded.
    pub recorded_at: String,
}

/// An earlier penalty notice to the same parent for the same child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorNotice {
    /// Its reference.
    pub reference: String,
    /// When it was issued.
    pub issued_on: NaiveDate,
    /// Whether it was withdrawn.
    pub withdrawn: bool,
}

/// A parent's name as a key: lower case, single spaces, so that the same
/// parent is found again whatever the spacing or case of the data.
pub fn person_key(given_names: &str, family_name: &str) -> String {
    format!("{given_names} {family_name}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The most exhibits one bundle may hold (each is a fixed file path in the
/// render's world).
pub const MAX_EXHIBITS: usize = 40;

/// The path of the case data attached to a bundle.
pub const CASE_FILE: &str = "/bundle/case.json";

/// One exhibit, as the template sees it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Exhibit {
    /// Its label, e.g. `RA/1`.
    pub label: String,
    /// Its number in the bundle (1, 2...): the file is `/exhibits/{n}.pdf`.
    pub number: usize,
    /// The register's reference (none for the interview record).
    pub reference: Option<String>,
    /// What it is.
    pub description: String,
    /// The day it was issued.
    pub issued_on: Option<NaiveDate>,
    /// To whom.
    pub recipient: Option<String>,
    /// Pages (0 for the interview record, which the template typesets).
    pub pages: usize,
    /// The SHA-256 of the stored PDF, as the register holds it.
    pub sha256: Option<String>,
    /// The file the template places, page by page.
    pub file: Option<String>,
    /// Each page's text, for the alternative text of the figure an
    /// accessible bundle draws the page in (none for the interview record).
    pub page_text: Vec<String>,
}

/// One line of the chronology.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ChronologyRow {
    /// When.
    pub date: NaiveDate,
    /// What happened.
    pub event: String,
    /// What came of it.
    pub outcome: Option<String>,
    /// The register's reference, if a document was issued.
    pub reference: Option<String>,
    /// Its exhibit label, if produced.
    pub exhibit: Option<String>,
}

/// A weaker gap in the case: the bundle is produced, and the prosecutor told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    /// The rule, e.g. `bundle.no-notice-to-improve`.
    pub rule: String,
    /// What is missing, in plain words.
    pub detail: String,
}

/// What the register adds to a bundle, for the template.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BundleFigures {
    /// Exhibits in order, the interview record last.
    pub exhibits: Vec<Exhibit>,
    /// The label of the interview record, when there is one.
    pub interview_exhibit: Option<String>,
    /// Every step, from the case and the register, in date order.
    pub chronology: Vec<ChronologyRow>,
    /// Weaker gaps.
    pub warnings: Vec<Warning>,
    /// The file of the case data attached to the bundle.
    pub case_file: String,
}

/// The register's evidence for one document.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// For the template.
    pub figures: BundleFigures,
    /// Files for the render's world: virtual path, bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip() {
        for e in [
            EventName::Issued,
            EventName::Paid,
            EventName::Withdrawn,
            EventName::ProsecutionStarted,
            EventName::Corrected,
        ] {
            assert_eq!(EventName::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_value(e).ok(),
                Some(serde_json::Value::from(e.as_str()))
            );
        }
        assert_eq!(EventName::parse("lost"), None);
    }

    #[test]
    fn person_keys_ignore_spacing_and_case() {
        assert_eq!(person_key(" Jane  Mary", "BROWN "), "jane mary brown");
    }
}
