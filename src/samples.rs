//! Registers for samples: a court bundle is made with what the register
//! holds, so rendering its sample (or an edit of it) outside the service
//! needs a register holding what the sample cites. Each version may ship a
//! `sample-register.json` listing the documents to issue, in order, into a
//! scratch register; a fresh register gives the same references every time,
//! the ones the sample cites. [`Samples`] seeds one per version once and
//! keeps it, for the studio, `docket templates check`, the benchmark and
//! the tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::document::{Docket, DocumentError, Purpose, Request};
use crate::evidence::{NoRecords, Records};
use crate::issue::{IssueError, Issuer, issue};
use crate::register::{EventKind, Register, RegisterError};
use crate::templates::{SAMPLE_REGISTER_FILE, Version};

/// Why a sample's register could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// `sample-register.json` is not a list of documents.
    #[error("{SAMPLE_REGISTER_FILE}: {0}")]
    File(String),
    /// A document it lists could not be issued.
    #[error("{SAMPLE_REGISTER_FILE} document {index} ({kind}): {why}")]
    Document {
        /// Its place in the list.
        index: usize,
        /// Its kind.
        kind: String,
        /// Why not.
        why: String,
    },
    /// The scratch register failed.
    #[error(transparent)]
    Register(#[from] RegisterError),
}

/// One document a sample needs in the register.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleDocument {
    kind: String,
    version: String,
    #[serde(default)]
    recipient: Option<usize>,
    case: Value,
    #[serde(default)]
    events: Vec<EventKind>,
}

/// Issues what `version`'s sample needs (its `sample-register.json`) into
/// `register`, in order, and returns the references issued.
pub fn seed(
    docket: &Docket,
    register: &Register,
    version: &Version,
) -> Result<Vec<String>, SampleError> {
    let Some(text) = &version.sample_register else {
        return Ok(Vec::new());
    };
    let documents: Vec<SampleDocument> =
        serde_json::from_str(text).map_err(|e| SampleError::File(e.to_string()))?;
    let mut references = Vec::new();
    for (index, d) in documents.iter().enumerate() {
        let failed = |why: String| SampleError::Document {
            index,
            kind: d.kind.clone(),
            why,
        };
        let copies = issue(
            docket,
            register,
            &Request {
                kind: &d.kind,
                version: Some(&d.version),
                as_of: None,
                recipient: d.recipient,
                case: &d.case,
                purpose: Purpose::Issue,
                drafts: true,
                translation: None,
            },
            Issuer::new(&crate::access::Actor::cli("sample")),
        )
        .map_err(|e| match e {
            IssueError::Document(DocumentError::Invalid(p)) => failed(
                p.0.iter()
                    .map(|p| format!("{} {}", p.pointer, p.detail))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => failed(other.to_string()),
        })?;
        for copy in copies {
            for event in &d.events {
                register
                    .add_event(
                        &copy.reference,
                        event,
                        &crate::access::Actor::cli("sample"),
                        chrono::Local::now().date_naive(),
                    )
                    .map_err(|e| failed(e.to_string()))?;
            }
            references.push(copy.reference);
        }
    }
    Ok(references)
}

/// The scratch registers of samples, one per version, seeded on first use
/// and kept while the version's files stay the same.
#[derive(Debug, Default)]
pub struct Samples {
    registers: Mutex<HashMap<String, Arc<Register>>>,
}

impl Samples {
    /// No registers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The records for rendering `version`'s sample, or an edit of it: its
    /// seeded register, or none for a version whose sample needs none.
    pub fn records(
        &self,
        docket: &Docket,
        version: &Version,
    ) -> Result<Arc<dyn Records>, SampleError> {
        let Some(text) = &version.sample_register else {
            return Ok(Arc::new(NoRecords));
        };
        // Keyed by the version and what it renders with, so an edit under
        // `--dev` seeds afresh.
        let key = format!(
            "{}\n{}\n{}",
            version.id(),
            version.content_hash,
            crate::digest::sha256(text.as_bytes())
        );
        let cached = self
            .registers
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned());
        if let Some(register) = cached {
            return Ok(register);
        }
        let register = Arc::new(Register::in_memory()?);
        seed(docket, &register, version)?;
        if let Ok(mut map) = self.registers.lock() {
            map.insert(key, Arc::clone(&register));
        }
        Ok(register)
    }
}
