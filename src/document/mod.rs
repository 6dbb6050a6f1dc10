//! The pipeline from a request to a document, in two typed stages:
//!
//! 1. [`Docket::check`] chooses the template version (once), validates the
//!    case (once), computes every copy's figures by the rules and, where
//!    the catalogue says the document is made with the register, gathers
//!    its evidence from [`Records`]: a [`Checked`] value, or every problem.
//! 2. [`Docket::render`] fills the template for the copies asked for and
//!    typesets them in the format asked for (a PDF, its text, page images),
//!    trimming Typst's cache the same way for every caller. It is the one
//!    entry point the CLI, HTTP, batches, the studio and `templates check`
//!    render through.

mod checked;
mod choose;
mod context;
mod fill;
mod limits;
mod provenance;

pub use checked::{Checked, Copy};
pub use context::context_schema;
pub use limits::{DEFAULT_MAX_PAGES, Limits};
pub use provenance::{Provenance, canonical_json, case_hash};

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::Value;

use crate::case::{self, Problems};
use crate::evidence::{Records, RecordsError, Warning};
use crate::figures::{self, bundle::GatherError, penalty::For};
use crate::render::{Format, RenderError, Renderer};
use crate::telemetry::{self, Stage};
use crate::templates::{Recipients, TemplateError, TemplateStore, Version};
use choose::{Choice, add_register_history, issuing_refusals};

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// Unknown kind or version, none in force, or a template defect.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The case data is not valid for this document.
    #[error(transparent)]
    Invalid(#[from] Problems),
    /// Typst failed: a template defect.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The register's records could not be read.
    #[error(transparent)]
    Records(RecordsError),
    /// The document is made with the register's evidence (a court bundle),
    /// and no register was given: a defect in the caller.
    #[error("{0} is made with the register of issued documents, and none was given")]
    NeedsRegister(String),
    /// A copy that the checked request does not have, or a penalty notice
    /// rendered for issue before its number was set: a defect in the caller.
    #[error("copy {0} of the checked request cannot be rendered as asked")]
    NoSuchCopy(usize),
    /// A draft version, asked for by someone who may not use drafts.
    #[error("{0} is a draft")]
    Draft(String),
    /// A proof asked for in a translation the version does not have.
    #[error("{0} has no translation into `{1}`")]
    NoTranslation(String, String),
    /// The case could not be written as JSON (for its hash).
    #[error("the case could not be written as JSON: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// What the caller wants done with the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A proof: rendered, never issued (`docket render`, the studio, the
    /// templates' checks).
    Proof,
    /// As the caller asks, unless the catalogue says the document is always
    /// issued (a penalty notice needs its number from the register).
    AsAsked {
        /// Whether the caller asks for it to be issued.
        issue: bool,
    },
    /// Issued into the register (batches, a sample's register).
    Issue,
}

/// What to render.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Document kind, e.g. `absence-concern-letter`.
    pub kind: &'a str,
    /// A version pinned by name; otherwise the one in force on `as_of`.
    pub version: Option<&'a str>,
    /// The date that picks the version in force (default: today).
    pub as_of: Option<NaiveDate>,
    /// Render the copy for this parent only (index into `parents`).
    pub recipient: Option<usize>,
    /// The case, as untrusted JSON.
    pub case: &'a Value,
    /// Proof or issue.
    pub purpose: Purpose,
    /// Whether a draft version may be used (a maintainer's request).
    pub drafts: bool,
    /// A proof in this translation, reviewed or not (a maintainer's
    /// request); never allowed when issuing.
    pub translation: Option<&'a str>,
}

/// Which copies of a checked request to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Every copy, each starting on a fresh sheet: one file.
    All,
    /// One copy: one mail piece.
    Copy(usize),
}

/// How long the stages of one render took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Times {
    /// Filling the template.
    pub fill: Duration,
    /// Typst compile (evaluation and layout).
    pub compile: Duration,
    /// The output: PDF export (with any drawn-on pages), text or images.
    pub export: Duration,
}

/// A finished document.
#[derive(Debug)]
pub struct Rendered<T> {
    /// The output: the PDF's bytes, its text, or its pages as PNG.
    pub output: T,
    /// The template version that produced it.
    pub version: Arc<Version>,
    /// A file name for it, e.g. `absence-concern-letter-ATT-2026-00412.pdf`.
    pub file_name: String,
    /// How many copies (recipients) it holds.
    pub copies: usize,
    /// Where it came from, as recorded in the PDF's metadata.
    pub provenance: Provenance,
    /// The weaker gaps the register's evidence showed (court bundles).
    pub warnings: Vec<Warning>,
    /// How long each stage took.
    pub times: Times,
}

/// docket's core: the templates and the render engine.
#[derive(Debug)]
pub struct Docket {
    templates: TemplateStore,
    renderer: Renderer,
    limits: Limits,
}

impl Docket {
    /// Loads the templates under `root` and prepares the render engine.
    pub fn load(root: &Path) -> Result<Self, TemplateError> {
        Ok(Self {
            templates: TemplateStore::load(root)?,
            renderer: Renderer::new(),
            limits: Limits::default(),
        })
    }

    /// The same, with `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self.renderer.set_max_pages(limits.pages);
        self
    }

    /// Its limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The templates.
    pub fn templates(&self) -> &TemplateStore {
        &self.templates
    }

    /// Whether the fonts can print `c`.
    pub fn covers(&self, c: char) -> bool {
        self.renderer.covers(c)
    }

    /// Checks `request` once: chooses the version, validates the case,
    /// computes each copy's figures and, for a document the catalogue says
    /// is made with the register, gathers its evidence from `records`.
    /// Issuing a penalty notice also takes each parent's earlier notices
    /// from `records` when the case gives none.
    pub fn check(
        &self,
        request: &Request<'_>,
        records: &dyn Records,
    ) -> Result<Checked, DocumentError> {
        let choice = choose::choose(&self.templates, request)?;
        let _span = tracing::info_span!(
            "check",
            kind = %choice.version.kind,
            version = %choice.version.version
        )
        .entered();
        let started = Instant::now();
        let kind = choice.version.kind.clone();
        let checked = self.check_chosen(request, records, choice);
        telemetry::stage(Stage::Validate, &kind, started.elapsed());
        if let Err(DocumentError::Invalid(_)) = &checked {
            telemetry::refused(&kind);
        }
        checked
    }

    /// [`check`](Self::check) once the version is chosen.
    fn check_chosen(
        &self,
        request: &Request<'_>,
        records: &dyn Records,
        choice: Choice,
    ) -> Result<Checked, DocumentError> {
        let Choice {
            issuing,
            today,
            version,
            translation,
        } = choice;
        let entry = Arc::clone(&version.entry);
        let edition = version.meta.edition;
        let noticed = entry.recipients == Recipients::NoticedParents;
        let covers = |c: char| self.renderer.covers(c);
        let mut case = {
            let _span = tracing::info_span!("validate").entered();
            let beyond = case::limits::check(
                request.case,
                self.limits.json_depth,
                self.limits.array_items,
            );
            if !beyond.is_empty() {
                return Err(DocumentError::Invalid(Problems(beyond)));
            }
            case::parse(request.case, &entry.sections, &covers)?
        };
        if issuing && noticed {
            add_register_history(&mut case, request.recipient, records)
                .map_err(DocumentError::Records)?;
        }
        let mut problems = case::check(&case);
        problems.extend(figures::refusals(&case));
        if issuing {
            problems.extend(issuing_refusals(&version, &case, today));
        }
        if !problems.is_empty() {
            return Err(Problems(problems).into());
        }
        let recipients = checked::recipients(&case, request.recipient, entry.recipients)?;
        let mut base = figures::compute(&case, edition);
        figures::check_steps(&entry.sections, &base)?;
        figures::check_court(&case, edition)?;
        let mut files = Vec::new();
        if entry.uses_register {
            let titles = |kind: &str, version: &str| {
                self.templates
                    .select(kind, Some(version), NaiveDate::MIN)
                    .ok()
                    .map(|v| v.entry.title.clone())
            };
            let gathered = if case.prosecution.is_some() {
                figures::bundle::gather(
                    &case,
                    request.case,
                    edition,
                    records,
                    &titles,
                    version.meta.decision_record,
                )
                .map(|g| {
                    base.decision_record = g.decision_record;
                    base.notice = g.notice;
                    base.bundle = Some(g.evidence.figures);
                    files = g.evidence.files;
                })
            } else if case.decision.is_some() {
                figures::after::decision(&case, records, &titles).map(|(d, notice)| {
                    base.decision = Some(d);
                    base.notice = notice;
                })
            } else {
                figures::after::withdrawal(&case, records).map(|n| base.notice = Some(n))
            };
            gathered.map_err(|e| match e {
                GatherError::Refused(p) => DocumentError::Invalid(Problems(p)),
                GatherError::Records(RecordsError::Missing) => {
                    DocumentError::NeedsRegister(version.id())
                }
                GatherError::Records(r) => DocumentError::Records(r),
            })?;
        }
        if entry.sections.iter().any(|s| s == "penalty") && !noticed {
            let parents: Vec<usize> = case
                .penalty
                .iter()
                .flat_map(|p| &p.notices)
                .map(|n| n.parent)
                .collect();
            let mut terms = Vec::new();
            for parent in parents {
                terms.push(figures::penalty::figures(
                    &case,
                    edition,
                    parent,
                    For::Request,
                )?);
            }
            base.penalty_request = Some(terms);
        }
        let mut copies = Vec::new();
        for recipient in recipients {
            let penalty = match recipient {
                Some(index) if noticed => {
                    let purpose = if issuing {
                        For::IssuedNotice
                    } else {
                        For::Notice
                    };
                    Some(figures::penalty::figures(&case, edition, index, purpose)?)
                }
                _ => None,
            };
            let exclusion = match recipient {
                Some(index) if entry.recipients == Recipients::ExcludedParents => {
                    let purpose = if issuing {
                        For::IssuedNotice
                    } else {
                        For::Notice
                    };
                    Some(figures::exclusion::figures(&case, index, purpose)?)
                }
                _ => None,
            };
            copies.push(Copy {
                recipient,
                penalty,
                exclusion,
            });
        }
        let mut notes = checked::notes(
            &version,
            &case,
            issuing,
            self.templates().catalogue().authority.as_ref(),
        );
        if let Some((code, false)) = &translation {
            notes.push(Warning {
                rule: "translation.unreviewed".into(),
                detail: format!(
                    "the `{code}` translation of {} has not been reviewed: this proof shows it, and it is never sent",
                    version.id()
                ),
            });
        }
        Ok(Checked {
            version,
            case,
            copies,
            figures: base,
            files,
            issuing,
            only: request.recipient,
            notes,
            translation: translation.map(|(code, _)| code),
        })
    }

    /// The copies `request` gives (the parent of each, for letters to
    /// parents), from the case's shape alone: for resuming a batch whose
    /// case was checked when it was first issued.
    pub fn recipients(&self, request: &Request<'_>) -> Result<Vec<Option<usize>>, DocumentError> {
        let version = self
            .templates
            .select_on(request.kind, request.version, request.as_of)?;
        let covers = |c: char| self.renderer.covers(c);
        let case = case::parse(request.case, &version.entry.sections, &covers)?;
        Ok(checked::recipients(
            &case,
            request.recipient,
            version.entry.recipients,
        )?)
    }

    /// Renders `part` of a checked request in `format` ([`crate::render::Pdf`],
    /// [`crate::render::Text`] or [`crate::render::Pages`]).
    pub fn render<F: Format>(
        &self,
        checked: &Checked,
        part: Part,
        format: &F,
    ) -> Result<Rendered<F::Output>, DocumentError> {
        let version = &checked.version;
        let _span = tracing::info_span!("render", kind = %version.kind, version = %version.version)
            .entered();
        let started = Instant::now();
        let markup = {
            let _span = tracing::info_span!("fill").entered();
            self.markup(checked, part)?
        };
        let fill = started.elapsed();
        let provenance = checked.provenance()?;
        let info = checked.info(part, &provenance);
        let (output, stages) = self
            .renderer
            .typeset(version, markup, &info, &checked.files, format)
            .map_err(|e| match e {
                // Too long a document is the case's doing (too many
                // sessions, exhibits, recipients): refused, by rule.
                RenderError::TooManyPages { .. } => {
                    DocumentError::Invalid(Problems(vec![case::Problem::refusal(
                        "",
                        "limit.pages",
                        e.to_string(),
                    )]))
                }
                other => other.into(),
            })?;
        telemetry::stage(Stage::Fill, &version.kind, fill);
        telemetry::stage(Stage::Compile, &version.kind, stages.compile);
        telemetry::stage(Stage::Export, &version.kind, stages.export);
        telemetry::document(&version.kind, checked.issuing, started.elapsed());
        Ok(Rendered {
            output,
            version: Arc::clone(version),
            file_name: format!(
                "{}-{}.pdf",
                version.kind,
                file_safe(&checked.case.reference)
            ),
            copies: checked.indices(part)?.len(),
            provenance,
            warnings: checked.warnings(),
            times: Times {
                fill,
                compile: stages.compile,
                export: stages.export,
            },
        })
    }
}

/// A reference made safe for a file name: `ATT/2026/00412` → `ATT-2026-00412`.
fn file_safe(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
