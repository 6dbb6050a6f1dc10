//! Problems with untrusted input: each by the JSON pointer (RFC 6901) of the
//! field at fault, and, for refusals by a rule of the framework or the law,
//! the rule's name.

use serde::Serialize;

/// One thing wrong with the input, by the JSON pointer (RFC 6901) of the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// Where the problem is, e.g. `/pupil/upn`; empty for the whole document.
    pub pointer: String,
    /// What is wrong, in plain words.
    pub detail: String,
    /// The rule refused, for refusals by a rule of the framework or the law
    /// (e.g. `pn.max-two-in-three-years`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Problem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
            rule: None,
        }
    }

    /// A refusal by the named rule.
    pub fn refusal(pointer: impl Into<String>, rule: &str, detail: impl Into<String>) -> Self {
        Self {
            rule: Some(rule.to_owned()),
            ..Self::new(pointer, detail)
        }
    }
}

/// Every problem found in one input. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} problem(s) with the case data, the first at {}: {}", .0.len(), .0.first().map_or("", |p| p.pointer.as_str()), .0.first().map_or("", |p| p.detail.as_str()))]
pub struct Problems(pub Vec<Problem>);
