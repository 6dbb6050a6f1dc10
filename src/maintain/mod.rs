//! Template maintenance: the checks behind `docket templates check` and the
//! workflow for changing wording without touching documents already issued:
//! `new` copies the latest version into a draft, `publish` checks a draft and
//! records it in the lock with its effective date, `diff` compares two
//! versions' wording. Published versions are immutable; see
//! [`crate::templates::lock`].

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::Value;

mod diff;
mod workflow;

pub use diff::{Run, diff_text, first_recipient, version_texts, word_diff};
pub use workflow::{Published1, new_draft, publish};

use crate::document::{Docket, DocumentError, Part, Purpose, Request, context_schema};
use crate::render::Pdf;
use crate::samples::Samples;
use crate::templates::lock::{LOCK_FILE, Published};
use crate::templates::{
    Integrity, LAYOUT_DIR, META_FILE, SAMPLE_FILE, TemplateError, TemplateStore, Version,
};

/// One thing `docket templates check` found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The version (`kind@version`), kind or file at fault.
    pub subject: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

fn finding(subject: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        subject: subject.into(),
        message: message.into(),
    }
}

/// Why a maintenance command failed.
#[derive(Debug, thiserror::Error)]
pub enum MaintainError {
    /// The templates could not be loaded, or a version does not exist.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A file could not be written or copied.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The command does not apply (e.g. publishing a published version).
    #[error("{0}")]
    Refused(String),
    /// The version fails its checks.
    #[error("{} problem(s):\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Checks(Vec<Finding>),
    /// A sample could not be rendered for a diff.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MaintainError + '_ {
    move |source| MaintainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs every check on the templates `docket` has loaded: published versions
/// unchanged and consistent with the lock, effective periods without
/// overlaps or gaps wherever the catalogue lists a document, every sample
/// valid and rendering, every template variable one the context supplies.
pub fn check(docket: &Docket) -> Vec<Finding> {
    check_into(docket, None)
}

/// [`check`], writing each sample's PDF (`kind@version.pdf`, a
/// translation's `kind@version.LANG.pdf`) into `out` when given, for a
/// maintainer to look at the pages.
pub fn check_into(docket: &Docket, out: Option<&std::path::Path>) -> Vec<Finding> {
    let store = docket.templates();
    let samples = Samples::new();
    let mut findings = Vec::new();
    for (_, versions) in store.kinds() {
        for version in versions {
            findings.extend(check_integrity(store, version));
            findings.extend(check_sample(docket, &samples, version, out));
        }
    }
    for locked in &store.lock().published {
        if store
            .select(&locked.kind, Some(&locked.version), NaiveDate::MIN)
            .is_err()
        {
            findings.push(finding(
                format!("{}@{}", locked.kind, locked.version),
                format!("is published in {LOCK_FILE} but its folder is missing; published versions must be kept"),
            ));
        }
    }
    findings.extend(check_periods(store));
    findings
}

/// The checks of one version on its own: its sample renders and its
/// template uses only variables the context supplies.
pub fn check_version(docket: &Docket, samples: &Samples, version: &Version) -> Vec<Finding> {
    check_sample(docket, samples, version, None)
}

fn check_sample(
    docket: &Docket,
    samples: &Samples,
    version: &Version,
    out: Option<&std::path::Path>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let id = version.id();
    let sample_path = version.dir.join(SAMPLE_FILE);
    match serde_json::from_str::<Value>(&version.sample) {
        Err(e) => findings.push(finding(
            sample_path.display().to_string(),
            format!("is not JSON: {e}"),
        )),
        Ok(case) => {
            // The English sample, then the sample in each translation.
            let languages = std::iter::once(None).chain(
                version
                    .meta
                    .translations
                    .keys()
                    .map(|code| Some(code.as_str())),
            );
            for translation in languages {
                let request = Request {
                    kind: &version.kind,
                    version: Some(&version.version),
                    as_of: None,
                    recipient: None,
                    case: &case,
                    purpose: Purpose::Proof,
                    drafts: true,
                    translation,
                };
                let rendered = samples
                    .records(docket, version)
                    .map_err(|e| DocumentError::NeedsRegister(format!("{id}: {e}")))
                    .and_then(|records| docket.check(&request, &*records))
                    .and_then(|checked| docket.render(&checked, Part::All, &Pdf));
                let which = translation.map_or_else(String::new, |code| format!(" (in `{code}`)"));
                match rendered {
                    Ok(r) => {
                        if let Some(dir) = out {
                            let name = match translation {
                                Some(code) => format!("{id}.{code}.pdf"),
                                None => format!("{id}.pdf"),
                            };
                            if let Err(e) = std::fs::write(dir.join(&name), &r.output) {
                                findings.push(finding(
                                    dir.join(name).display().to_string(),
                                    format!("could not be written: {e}"),
                                ));
                            }
                        }
                    }
                    Err(DocumentError::Invalid(problems)) => {
                        for p in problems.0 {
                            findings.push(finding(
                                sample_path.display().to_string(),
                                format!("{}{which}: {}", p.pointer, p.detail),
                            ));
                        }
                    }
                    Err(e) => findings.push(finding(
                        id.clone(),
                        format!("the sample does not render{which}: {e}"),
                    )),
                }
            }
        }
    }
    match docket.templates().undeclared_variables(version) {
        Ok(used) => {
            for path in used {
                if !resolves(context_schema(), &path) {
                    findings.push(finding(
                        version.dir.join(crate::templates::TEMPLATE_FILE).display().to_string(),
                        format!("uses `{path}`, which no case supplies (see the case schema and `figures`)"),
                    ));
                }
            }
        }
        Err(e) => findings.push(finding(id, e.to_string())),
    }
    findings
}

fn check_integrity(store: &TemplateStore, version: &Version) -> Vec<Finding> {
    let id = version.id();
    match store.integrity(version) {
        Integrity::Intact => {
            let mut findings = Vec::new();
            if let Some(locked) = store.lock().find(&version.kind, &version.version)
                && (locked.effective_from, locked.effective_to)
                    != (version.meta.effective_from, version.meta.effective_to)
            {
                findings.push(finding(
                    version.dir.join(META_FILE).display().to_string(),
                    format!(
                        "its effective dates differ from {LOCK_FILE} ({} to {}); only `docket templates publish` changes them",
                        locked.effective_from,
                        locked.effective_to.map_or_else(|| "…".to_owned(), |d| d.to_string())
                    ),
                ));
            }
            if version.meta.draft {
                findings.push(finding(
                    id,
                    "is published but marked `draft = true` in meta.toml",
                ));
            }
            findings
        }
        Integrity::Modified { files } => files
            .iter()
            .map(|file| {
                finding(
                    real_path(store.root(), version, file).display().to_string(),
                    format!(
                        "has changed since {id} was published; published versions are immutable: undo the change, or make a new version with `docket templates new {}`",
                        version.kind
                    ),
                )
            })
            .collect(),
        Integrity::Unpublished => vec![finding(
            id,
            format!(
                "is neither published nor a draft: publish it with `docket templates publish {} {} --effective-from DATE`, or add `draft = true` to its meta.toml",
                version.kind, version.version
            ),
        )],
        Integrity::Draft => Vec::new(),
    }
}

/// Where a version's virtual file lives on disk.
fn real_path(root: &Path, version: &Version, virtual_path: &str) -> PathBuf {
    match virtual_path.strip_prefix("/layout/") {
        Some(rest) => root.join(LAYOUT_DIR).join(&version.meta.layout).join(rest),
        None => version.dir.join(virtual_path.trim_start_matches('/')),
    }
}

/// Every document the catalogue lists for an edition has published versions
/// covering the edition's whole period, one at a time.
fn check_periods(store: &TemplateStore) -> Vec<Finding> {
    let mut findings = Vec::new();
    let catalogue = store.catalogue();
    for entry in &catalogue.documents {
        let Some(edition) = catalogue.edition(entry.edition) else {
            continue;
        };
        let subject = format!("{} ({})", entry.kind, entry.edition.slug());
        let mut published: Vec<&Published> = store
            .lock()
            .published
            .iter()
            .filter(|p| p.kind == entry.kind && p.edition == entry.edition)
            .collect();
        // A corrected version's period is its correction's: count it once.
        let corrected: Vec<String> = published
            .iter()
            .filter_map(|p| p.corrects.clone())
            .collect();
        published.retain(|p| !corrected.contains(&p.version));
        published.sort_by_key(|p| p.effective_from);
        let Some(first) = published.first() else {
            findings.push(finding(
                subject,
                "the catalogue lists this document but no version is published",
            ));
            continue;
        };
        let start = entry.since.unwrap_or(edition.from);
        if first.effective_from > start {
            findings.push(finding(
                &subject,
                format!(
                    "no version is in force from {start} (the {}) to {}",
                    if entry.since.is_some() {
                        "day the catalogue added it"
                    } else {
                        "edition's start"
                    },
                    first
                        .effective_from
                        .pred_opt()
                        .unwrap_or(first.effective_from)
                ),
            ));
        }
        for pair in published.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            match a.effective_to {
                None => findings.push(finding(
                    &subject,
                    format!(
                        "{} has no end date but {} starts on {}: their periods overlap",
                        a.version, b.version, b.effective_from
                    ),
                )),
                Some(to) if to >= b.effective_from => findings.push(finding(
                    &subject,
                    format!(
                        "{} (to {to}) and {} (from {}) overlap",
                        a.version, b.version, b.effective_from
                    ),
                )),
                Some(to) if to.checked_add_days(Days::new(1)) != Some(b.effective_from) => {
                    findings.push(finding(
                        &subject,
                        format!(
                            "no version is in force between {} (end of {}) and {} (start of {})",
                            to, a.version, b.effective_from, b.version
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(last) = published.last()
            && let Some(end) = last.effective_to
            && edition.to.is_none_or(|edition_end| end < edition_end)
        {
            findings.push(finding(
                &subject,
                format!(
                    "{} ends on {end} and no later version is published",
                    last.version
                ),
            ));
        }
    }
    findings
}

/// Whether a dotted path a template reads (`pupil.given_names`,
/// `figures.attendance.band`) exists in `schema`.
fn resolves(schema: &Value, path: &str) -> bool {
    let defs = schema.get("$defs");
    let deref = |node: &Value| -> Value {
        let mut node = node.clone();
        for _ in 0..16 {
            let Some(name) = node
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            else {
                break;
            };
            match defs.and_then(|d| d.get(name)) {
                Some(target) => node = target.clone(),
                None => break,
            }
        }
        node
    };
    fn step(node: &Value, segment: &str, deref: &dyn Fn(&Value) -> Value) -> Vec<Value> {
        let node = deref(node);
        let mut out = Vec::new();
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(branches) = node.get(key).and_then(Value::as_array) {
                for b in branches {
                    out.extend(step(b, segment, deref));
                }
            }
        }
        if let Some(p) = node.get("properties").and_then(|p| p.get(segment)) {
            out.push(p.clone());
        }
        if segment.parse::<usize>().is_ok()
            && let Some(items) = node.get("items")
        {
            out.push(items.clone());
        }
        out
    }
    let mut nodes = vec![schema.clone()];
    for segment in path.split('.') {
        nodes = nodes
            .iter()
            .flat_map(|n| step(n, segment, &deref))
            .collect();
        if nodes.is_empty() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_context_schema() {
        let schema = context_schema();
        for ok in [
            "pupil.given_names",
            "recipient",
            "school.attendance_lead.phone",
            "figures.attendance.band",
            "figures.rules.penalty_window",
            "figures.penalty.payments",
            "document.title",
            "meeting.attendees",
            "parents",
        ] {
            assert!(resolves(schema, ok), "{ok}");
        }
        for bad in [
            "pupil.nickname",
            "figures.nope",
            "no_such_thing",
            "document.kind.x",
        ] {
            assert!(!resolves(schema, bad), "{bad}");
        }
    }
}
