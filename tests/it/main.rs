//! docket's end-to-end tests: one test binary (as ripgrep has), one module
//! per theme. They drive the real router (`tower::ServiceExt::oneshot`),
//! the real Typst compile and, where it matters, the real binary and real
//! external tools (qpdf, pdfua, schemathesis, Chromium), and read the PDF's
//! text back. One binary links Typst once and shares one `Docket`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod after;
mod batch;
mod cli;
mod common;
mod conformance;
mod court;
mod documents;
mod faults;
mod hardening;
mod http_api;
mod injection;
mod lapsed;
mod legal_state;
mod maintain;
mod observability;
mod openapi;
mod penalty_notice;
mod render;
mod snapshots;
mod studio;
mod upkeep;
