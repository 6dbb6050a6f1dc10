//! docket turns school-attendance case data into the letters and legal
//! documents of a local authority's attendance framework, typeset as PDF.
//!
//! # Steps
//! 1. [`case`]: untrusted JSON is checked against the case schema and the
//!    rules, and every problem is reported by JSON pointer.
//! 2. [`templates`]: the version of the document in force on the date is
//!    chosen and filled in with minijinja, every value escaped for Typst.
//! 3. [`render`]: Typst compiles the markup in-process and exports an
//!    archival, accessible PDF (PDF/A-2b + PDF/UA-1).
//!
//! # Layout
//! - [`case`]: the case model, its JSON Schema and validation.
//! - [`rules`]: the framework's and the law's rules (UPN, postcodes,
//!   attendance figures and bands, dates).
//! - [`templates`]: versioned templates as data, the template environment and
//!   escaping.
//! - [`render`]: the Typst world, fonts, PDF export and the render pool.
//! - [`document`]: the pipeline that ties them together ([`document::Docket`]).
//! - [`maintain`]: template maintenance: checks, new drafts, publishing, diffs.
//! - [`verify`]: reading a PDF's provenance back and checking its template.
//! - [`register`]: the SQLite register of issued documents and notice numbers;
//!   [`issue`]: issuing documents into it, one reference per mail piece;
//!   [`batch`]: batches for the print room (print PDF, ZIP, manifest);
//!   [`bundle`]: what the register adds to a court bundle (exhibits,
//!   chronology, refusals and warnings).
//! - [`http`]: the HTTP API; [`cli`]: the command line.

// The OpenAPI document is one `serde_json::json!` literal, deeper than the
// default macro recursion limit allows.
#![recursion_limit = "256"]

pub mod batch;
pub mod bundle;
pub mod case;
pub mod cli;
pub mod document;
pub mod http;
pub mod issue;
pub mod maintain;
pub mod register;
pub mod render;
pub mod rules;
pub mod templates;
pub mod verify;

pub use document::{Docket, DocumentError, Rendered, Request};
