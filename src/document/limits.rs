//! The limits one request may reach ([`Limits`]), each a flag of `docket
//! serve`.

use crate::case;

/// What one request may ask of the service, each with a flag of `docket
/// serve`: case data past them is refused (422, by pointer and rule),
/// before anything else reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Levels of nesting in a case (`limit.json-depth`).
    pub json_depth: usize,
    /// Items in any one array of a case (`limit.array-length`).
    pub array_items: usize,
    /// Pages in one document (`limit.pages`).
    pub pages: usize,
}

/// Pages one document may have by default: the longest sample, a court
/// bundle with its exhibits, has a few dozen.
pub const DEFAULT_MAX_PAGES: usize = 500;

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_depth: case::limits::DEFAULT_JSON_DEPTH,
            array_items: case::limits::DEFAULT_ARRAY_ITEMS,
            pages: DEFAULT_MAX_PAGES,
        }
    }
}
