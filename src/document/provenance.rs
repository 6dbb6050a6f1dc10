//! What produced a document: recorded in its metadata (document information
//! and XMP keywords), sent in response headers, read back by `docket verify`.

use serde::Serialize;

use crate::case::Case;

/// What produced a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The kind.
    pub kind: String,
    /// The template version.
    pub version: String,
    /// The version's content hash.
    pub template_hash: String,
    /// The docket release that rendered it.
    pub docket: String,
    /// The hash of the case data (docket's canonical JSON of the parsed case,
    /// so key order and spacing do not matter).
    pub case_hash: String,
    /// The case's reference.
    pub reference: String,
}

impl Provenance {
    /// The PDF keywords that carry it, `name:value` each.
    pub fn keywords(&self) -> Vec<String> {
        vec![
            "docket".to_owned(),
            format!("kind:{}", self.kind),
            format!("version:{}", self.version),
            format!("reference:{}", self.reference),
            format!("template-hash:{}", self.template_hash),
            format!("docket-version:{}", self.docket),
            format!("case-hash:{}", self.case_hash),
        ]
    }

    /// Reads it back from PDF keywords; `None` if any part is missing.
    pub fn from_keywords<'a>(keywords: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut map = std::collections::BTreeMap::new();
        for k in keywords {
            if let Some((name, value)) = k.trim().split_once(':') {
                map.insert(name.to_owned(), value.to_owned());
            }
        }
        let mut take = |name: &str| map.remove(name);
        Some(Self {
            kind: take("kind")?,
            version: take("version")?,
            template_hash: take("template-hash")?,
            docket: take("docket-version")?,
            case_hash: take("case-hash")?,
            reference: take("reference")?,
        })
    }
}

/// The canonical JSON of a case: what its hash covers and what the register
/// stores.
pub fn canonical_json(case: &Case) -> Result<String, serde_json::Error> {
    serde_json::to_string(case)
}

/// The hash of a case, over docket's canonical JSON of it.
pub fn case_hash(case: &Case) -> Result<String, serde_json::Error> {
    Ok(crate::digest::sha256(canonical_json(case)?.as_bytes()))
}
