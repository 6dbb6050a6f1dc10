//! What a template sees: the case, the recipient of this copy (for letters
//! to parents), the computed figures and facts about the document. Its JSON
//! Schema is what `docket templates check` tests every template variable
//! against.

use serde::Serialize;
use serde_json::Value;

use crate::case::{self, Case};
use crate::figures::Figures;
use crate::rules;
use crate::templates::catalogue::PackItem;
use crate::templates::{Recipients, Sender};

/// The context of one copy.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(super) struct Context<'a> {
    #[serde(flatten)]
    pub(super) case: &'a Case,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) recipient: Option<&'a case::Parent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) recipient_index: Option<usize>,
    pub(super) figures: &'a Figures,
    pub(super) document: DocumentFacts<'a>,
    /// The letter pack of the authority, for the document's sender: other
    /// languages and formats, textphone, privacy, complaints, independent
    /// help (from the catalogue).
    pub(super) pack: Vec<PackItem>,
}

/// Facts about the document, from its version and the catalogue.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(super) struct DocumentFacts<'a> {
    pub(super) kind: &'a str,
    pub(super) version: &'a str,
    pub(super) title: &'a str,
    pub(super) level: u8,
    pub(super) edition: rules::Edition,
    pub(super) sender: Sender,
    pub(super) recipients: Recipients,
    /// The security marking on every page (`OFFICIAL-SENSITIVE`), if any.
    pub(super) marking: Option<&'a str>,
    /// The language of this rendering, when it is a translation.
    pub(super) language: Option<&'a str>,
}

/// The JSON Schema of what a template sees (the case, `recipient`,
/// `figures`, `document`): `docket templates check` tests every variable a
/// template uses against it.
pub fn context_schema() -> &'static Value {
    static SCHEMA: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
        // Serialising a schema (a JSON value already) cannot fail; an empty
        // schema would make every variable unknown, which the check reports.
        serde_json::to_value(schemars::schema_for!(Context<'static>)).unwrap_or(Value::Null)
    });
    &SCHEMA
}
