//! docket turns school-attendance case data into the letters and legal
//! documents of a local authority's attendance framework, typeset as PDF.
//!
//! # Steps
//! 1. [`document::Docket::check`]: the template version in force is chosen
//!    ([`templates`]); the untrusted JSON is checked against the case
//!    schema and its meaning ([`case`]); the rules of the law and the
//!    framework are applied ([`figures`], over the pure [`rules`]), every
//!    problem reported by JSON pointer; a court bundle's evidence is
//!    gathered from the register through the one seam, [`evidence::Records`].
//! 2. [`document::Docket::render`], the one render entry point: the
//!    template is filled with minijinja, every value escaped for Typst, and
//!    [`render`] compiles it in-process and exports an archival, accessible
//!    PDF (PDF/A-2b + PDF/UA-1), or its text, or page images.
//! 3. [`issue`]: a document that is sent is stored in the [`register`],
//!    one reference per mail piece, numbers reserved and used or voided.
//!
//! # Layout
//! - [`rules`]: the law's and the framework's rules as pure functions of
//!   plain values (UPN, postcodes, attendance figures and bands, dates,
//!   penalty notices, court).
//! - [`case`]: the case model, its JSON Schema and its checks of shape.
//! - [`evidence`]: what the register adds, as the pipeline sees it: the
//!   [`evidence::Records`] trait and the types records and evidence are
//!   made of.
//! - [`figures`]: the rules applied to a typed case, with pointers.
//! - [`templates`]: versioned templates as data, the template environment
//!   and escaping.
//! - [`render`]: the Typst world, fonts, PDF export and the render pool.
//! - [`document`]: the pipeline ([`document::Docket`]).
//! - [`register`]: the SQLite register of issued documents, numbers,
//!   timelines and batches; implements [`evidence::Records`].
//! - [`issue`]: issuing into the register, one reference per mail piece.
//! - [`samples`]: scratch registers seeded for samples (the studio,
//!   `templates check`, tests).
//! - [`batch`]: batches for the print room (print PDF, ZIP, manifest).
//! - [`maintain`]: template maintenance: checks, new drafts, publishing, diffs.
//! - [`verify`]: reading a PDF's provenance back and checking its template.
//! - [`digest`]: SHA-256 digests as docket writes them.
//! - [`telemetry`]: metrics (Prometheus) and logs (text or JSON), with no
//!   case data in either.
//! - [`access`]: API keys, scopes, schools and the caller a request is made
//!   by; [`files`]: files and folders only the service's user can read.
//! - [`http`]: the HTTP API; [`cli`]: the command line.

// The OpenAPI document is one `serde_json::json!` literal, deeper than the
// default macro recursion limit allows.
#![recursion_limit = "256"]

pub mod access;
pub mod batch;
pub mod case;
pub mod cli;
pub mod digest;
pub mod document;
pub mod evidence;
pub mod figures;
pub mod files;
pub mod http;
pub mod issue;
pub mod maintain;
pub mod register;
pub mod render;
pub mod rules;
pub mod samples;
pub mod telemetry;
pub mod templates;
pub mod verify;

pub use document::{Checked, Docket, DocumentError, Limits, Part, Purpose, Rendered, Request};
