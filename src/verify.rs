//! `docket verify`: reads the provenance a PDF carries in its metadata (see
//! [`crate::document::Provenance`]) and says which template version
//! produced it and whether that version is still intact: its files hash to
//! what the PDF recorded, and the lock still lists it with that hash.

use chrono::NaiveDate;
use serde::Serialize;

use crate::document::Provenance;
use crate::templates::{Integrity, TemplateStore};

/// Why a PDF's provenance could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Not a PDF lopdf can read.
    #[error("not a readable PDF: {0}")]
    Pdf(String),
    /// A PDF without docket's provenance keywords.
    #[error("the PDF carries no docket provenance (kind, version and hashes in its keywords)")]
    NoProvenance,
}

/// What `docket verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// What the PDF says produced it.
    pub provenance: Provenance,
    /// The state of that template version here.
    pub status: Status,
}

/// The state of the version that produced a PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum Status {
    /// Published, unchanged, and the same content the PDF was made from.
    Intact,
    /// The version's files differ from what the PDF was made from.
    Changed {
        /// The files changed since publication, if the lock knows.
        files: Vec<String>,
    },
    /// The version exists but was never published (a draft when rendered).
    Unpublished,
    /// No such kind or version in these templates.
    Unknown,
}

impl Verification {
    /// Whether the document can be reproduced exactly from these templates.
    pub fn intact(&self) -> bool {
        self.status == Status::Intact
    }
}

/// Reads the provenance of `pdf` and checks it against `store`.
pub fn verify(store: &TemplateStore, pdf: &[u8]) -> Result<Verification, VerifyError> {
    let provenance = read_provenance(pdf)?;
    let status = match store.select(&provenance.kind, Some(&provenance.version), NaiveDate::MIN) {
        Err(_) => Status::Unknown,
        Ok(version) => match store.integrity(&version) {
            Integrity::Intact if version.content_hash == provenance.template_hash => Status::Intact,
            Integrity::Intact => Status::Changed { files: Vec::new() },
            Integrity::Modified { files } => Status::Changed { files },
            Integrity::Draft | Integrity::Unpublished => Status::Unpublished,
        },
    };
    Ok(Verification { provenance, status })
}

/// The provenance keywords of a PDF's document information dictionary.
pub fn read_provenance(pdf: &[u8]) -> Result<Provenance, VerifyError> {
    let doc = lopdf::Document::load_mem(pdf).map_err(|e| VerifyError::Pdf(e.to_string()))?;
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(|o| o.as_reference())
        .and_then(|r| doc.get_dictionary(r))
        .map_err(|_| VerifyError::NoProvenance)?;
    let keywords = match info.get(b"Keywords") {
        Ok(lopdf::Object::String(bytes, _)) => decode_text_string(bytes),
        _ => return Err(VerifyError::NoProvenance),
    };
    Provenance::from_keywords(keywords.split(',')).ok_or(VerifyError::NoProvenance)
}

/// A PDF text string: UTF-16BE after a byte-order mark, else PDFDocEncoding
/// (read as Latin-1, which agrees with it on every character docket writes).
fn decode_text_string(bytes: &[u8]) -> String {
    match bytes {
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_strings_decode_both_ways() {
        assert_eq!(
            decode_text_string(b"kind:x, version:y"),
            "kind:x, version:y"
        );
        assert_eq!(decode_text_string(&[0xFE, 0xFF, 0, b'a', 0, b':']), "a:");
    }

    #[test]
    fn provenance_round_trips_through_keywords() {
        let p = Provenance {
            kind: "penalty-notice".into(),
            version: "kpas-1".into(),
            template_hash: "sha256:ab".into(),
            docket: "0.1.0".into(),
            case_hash: "sha256:cd".into(),
            reference: "PN/2026/1".into(),
        };
        let joined = p.keywords().join(", ");
        assert_eq!(Provenance::from_keywords(joined.split(',')), Some(p));
        assert_eq!(Provenance::from_keywords("kind:x".split(',')), None);
    }
}
