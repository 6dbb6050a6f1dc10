//! Versioned letter templates as data: loading `letter-templates/`, choosing
//! the version in force on a date, and turning a case into Typst markup with
//! minijinja.
//!
//! ```text
//! letter-templates/
//!   _layout/<layout-version>/*.typ    shared letterhead, address block, footer
//!   <kind>/<version>/meta.toml        title, level, edition, sender, dates…
//!   <kind>/<version>/template.typ.j2  minijinja producing Typst markup
//!   <kind>/<version>/sample.json      a realistic, fictional case
//! ```
//!
//! Templates use `<< … >>` for values, `<% … %>` for tags and `<# … #>` for
//! comments, so that Typst's own `{`, `{{`, `{#` and `#` never clash with the
//! template language. Every printed value is escaped for Typst markup unless a
//! filter built the markup itself (see [`escape`]).

pub mod catalogue;
pub mod escape;
mod filters;
use filters::environment;
mod load;
pub mod lock;
mod toml_date;
mod version;

pub use catalogue::{Catalogue, Entry, Recipients, RecordsEvent};
use load::{check_slug, file_name, load_error, load_layouts, load_version, sorted_dirs};
pub use lock::{Integrity, Lock};
pub use version::{Meta, Sender, TranslationMeta, Version};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use minijinja::Environment;

/// Name of the template file in a version folder.
pub const TEMPLATE_FILE: &str = "template.typ.j2";
/// Name of the metadata file in a version folder.
pub const META_FILE: &str = "meta.toml";
/// Name of the sample case in a version folder.
pub const SAMPLE_FILE: &str = "sample.json";
/// The documents a sample needs in the register (a court bundle's
/// exhibits), issued into a scratch register before the sample renders.
pub const SAMPLE_REGISTER_FILE: &str = "sample-register.json";
/// Folder of shared layout versions, beside the kinds.
pub const LAYOUT_DIR: &str = "_layout";

/// What can go wrong loading or filling templates.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template folder could not be read or holds something malformed.
    #[error("{path}: {message}")]
    Load {
        /// The file or folder at fault.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// No such document kind.
    #[error("there is no document kind `{0}`")]
    UnknownKind(String),
    /// No such version of a kind.
    #[error("{kind} has no version `{version}`")]
    UnknownVersion {
        /// The kind.
        kind: String,
        /// The version asked for.
        version: String,
    },
    /// No version of the kind is in force on the date.
    #[error("no version of {kind} is in force on {as_of}")]
    NotInForce {
        /// The kind.
        kind: String,
        /// The date asked about.
        as_of: NaiveDate,
    },
    /// The template failed while filling it in: a defect in the template.
    #[error("{template}:{line}: {message}")]
    Fill {
        /// The template file, relative to the template root.
        template: String,
        /// The line in that file (0 if unknown).
        line: usize,
        /// What went wrong.
        message: String,
    },
}

pub use crate::rules::Edition;

/// A correction names a version of its kind and edition and covers
/// exactly its period.
fn check_corrections(dir: &Path, versions: &[Arc<Version>]) -> Result<(), TemplateError> {
    for v in versions {
        let Some(corrected) = v.meta.corrects.as_deref() else {
            continue;
        };
        let Some(c) = versions.iter().find(|c| c.version == corrected) else {
            return Err(load_error(
                &v.dir.join(META_FILE),
                format!(
                    "corrects `{corrected}`, which is not a version of {}",
                    v.kind
                ),
            ));
        };
        let ended = c.meta.effective_to.is_some();
        let same = c.meta.edition == v.meta.edition
            && c.meta.effective_from == v.meta.effective_from
            && c.meta.effective_to == v.meta.effective_to;
        if !ended || !same || c.meta.corrects.is_some() {
            return Err(load_error(
                dir,
                format!(
                    "{} corrects {}: a correction is of an ended version that is not itself a correction, in the same edition and for exactly its period ({} to {})",
                    v.id(),
                    c.id(),
                    c.meta.effective_from,
                    c.meta
                        .effective_to
                        .map_or_else(|| "now".to_owned(), |d| d.to_string())
                ),
            ));
        }
    }
    Ok(())
}

/// All kinds and versions under one template root, and the environment that
/// fills them. Loaded once; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct TemplateStore {
    root: PathBuf,
    catalogue: Catalogue,
    lock: Lock,
    kinds: BTreeMap<String, Vec<Arc<Version>>>,
    env: Environment<'static>,
}

impl TemplateStore {
    /// Loads every kind and version under `root`, compiling each template so
    /// that syntax errors surface at start-up, not on a caller's request.
    pub fn load(root: &Path) -> Result<Self, TemplateError> {
        let mut env = environment();
        let catalogue = Catalogue::load(root)?;
        let lock = Lock::load(root)?;
        let layouts = load_layouts(&root.join(LAYOUT_DIR))?;
        let mut kinds = BTreeMap::new();
        for kind_dir in sorted_dirs(root)? {
            let kind = file_name(&kind_dir);
            if kind.starts_with(['_', '.']) {
                continue;
            }
            check_slug(&kind_dir, &kind)?;
            let mut versions = Vec::new();
            for version_dir in sorted_dirs(&kind_dir)? {
                let version = load_version(&kind, &version_dir, &layouts, &catalogue, &mut env)?;
                versions.push(Arc::new(version));
            }
            versions.sort_by(|a, b| {
                (a.meta.effective_from, &a.version).cmp(&(b.meta.effective_from, &b.version))
            });
            check_corrections(&kind_dir, &versions)?;
            if !versions.is_empty() {
                kinds.insert(kind, versions);
            }
        }
        if kinds.is_empty() {
            return Err(load_error(root, "holds no document kinds"));
        }
        Ok(Self {
            root: root.to_path_buf(),
            catalogue,
            lock,
            kinds,
            env,
        })
    }

    /// The folder the templates were loaded from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The lock file: the published versions.
    pub fn lock(&self) -> &Lock {
        &self.lock
    }

    /// Whether `version` is published and unchanged since.
    pub fn integrity(&self, version: &Version) -> Integrity {
        match self.lock.find(&version.kind, &version.version) {
            Some(locked) if locked.hash == version.content_hash => Integrity::Intact,
            Some(locked) => Integrity::Modified {
                files: lock::changed_files(&version.file_hashes, &locked.files),
            },
            None if version.meta.draft => Integrity::Draft,
            None => Integrity::Unpublished,
        }
    }

    /// Published versions whose files have changed since: `(kind@version,
    /// changed files)`. A service refuses to start on such a folder.
    pub fn modified(&self) -> Vec<(String, Vec<String>)> {
        self.kinds
            .values()
            .flatten()
            .filter_map(|v| match self.integrity(v) {
                Integrity::Modified { files } => Some((v.id(), files)),
                _ => None,
            })
            .collect()
    }

    /// The framework's catalogue of documents.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The versions of `kind` in `edition`, oldest first.
    pub fn versions_of(&self, kind: &str, edition: Edition) -> Vec<Arc<Version>> {
        self.kinds
            .get(kind)
            .map(|vs| {
                vs.iter()
                    .filter(|v| v.meta.edition == edition)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The catalogue with the versions of each document, by edition (newest
    /// first) and level.
    pub fn overview(&self) -> Vec<catalogue::EditionOverview> {
        let c = &self.catalogue;
        c.editions
            .iter()
            .rev()
            .map(|e| catalogue::EditionOverview {
                edition: e.id,
                name: e.name.clone(),
                from: e.from,
                to: e.to,
                levels: c
                    .levels
                    .iter()
                    .map(|(&level, name)| catalogue::LevelOverview {
                        level,
                        name: name.clone(),
                        documents: c
                            .documents
                            .iter()
                            .filter(|d| d.edition == e.id && d.level == level)
                            .map(|d| catalogue::DocumentOverview {
                                kind: d.kind.clone(),
                                title: d.title.clone(),
                                sender: d.sender,
                                recipients: d.recipients,
                                sections: d.sections.clone(),
                                summary: d.summary.clone(),
                                versions: self
                                    .versions_of(&d.kind, e.id)
                                    .iter()
                                    .map(|v| catalogue::VersionOverview {
                                        version: v.version.clone(),
                                        effective_from: v.meta.effective_from,
                                        effective_to: v.meta.effective_to,
                                        draft: v.meta.draft,
                                    })
                                    .collect(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Every kind with its versions, oldest first.
    pub fn kinds(&self) -> impl Iterator<Item = (&str, &[Arc<Version>])> {
        self.kinds.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Chooses a version: the one named, or else the one in force on `as_of`.
    pub fn select(
        &self,
        kind: &str,
        version: Option<&str>,
        as_of: NaiveDate,
    ) -> Result<Arc<Version>, TemplateError> {
        let _span = tracing::debug_span!("select", kind).entered();
        let versions = self
            .kinds
            .get(kind)
            .ok_or_else(|| TemplateError::UnknownKind(kind.to_owned()))?;
        let found = match version {
            Some(name) => versions.iter().find(|v| v.version == name).ok_or_else(|| {
                TemplateError::UnknownVersion {
                    kind: kind.to_owned(),
                    version: name.to_owned(),
                }
            })?,
            // The newest version in force wins where periods overlap; a
            // version corrected by a published one is never chosen by date.
            None => versions
                .iter()
                .rev()
                .filter(|v| {
                    !versions.iter().any(|c| {
                        !c.meta.draft && c.meta.corrects.as_deref() == Some(v.version.as_str())
                    })
                })
                .find(|v| v.in_force_on(as_of))
                .ok_or_else(|| TemplateError::NotInForce {
                    kind: kind.to_owned(),
                    as_of,
                })?,
        };
        Ok(Arc::clone(found))
    }

    /// [`select`](Self::select) on `as_of`, or today (the local date) if
    /// none is given: how every request picks its version.
    pub fn select_on(
        &self,
        kind: &str,
        version: Option<&str>,
        as_of: Option<NaiveDate>,
    ) -> Result<Arc<Version>, TemplateError> {
        let as_of = as_of.unwrap_or_else(|| chrono::Local::now().date_naive());
        self.select(kind, version, as_of)
    }

    /// The variables a version's templates (the English one and every
    /// translation) read from their context, as dotted paths
    /// (`pupil.given_names`), excluding those each sets itself.
    pub fn undeclared_variables(
        &self,
        version: &Version,
    ) -> Result<std::collections::BTreeSet<String>, TemplateError> {
        // A variable `set` inside an `if` is visible after it (as in Jinja),
        // but the analysis reports it: leave out every name the template sets.
        static SET: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"<%-?\s*set\s+([A-Za-z_][A-Za-z0-9_]*)")
                .unwrap_or_else(|e| unreachable!("a valid pattern: {e}"))
        });
        let mut out = std::collections::BTreeSet::new();
        for (_, name) in version.template_names() {
            let template = self
                .env
                .get_template(name)
                .map_err(|e| fill_error(name, &e))?;
            let assigned: std::collections::BTreeSet<&str> = SET
                .captures_iter(template.source())
                .filter_map(|c| c.get(1).map(|m| m.as_str()))
                .collect();
            out.extend(
                template
                    .undeclared_variables(true)
                    .into_iter()
                    .filter(|path| !assigned.contains(path.split('.').next().unwrap_or_default())),
            );
        }
        Ok(out)
    }

    /// Fills a version's template with `context`, giving Typst markup.
    pub fn fill(
        &self,
        version: &Version,
        context: &minijinja::Value,
    ) -> Result<String, TemplateError> {
        self.fill_named(&version.template_name, context)
    }

    /// Fills `version`'s translation into `language` with `context`.
    pub fn fill_translation(
        &self,
        version: &Version,
        language: &str,
        context: &minijinja::Value,
    ) -> Result<String, TemplateError> {
        let name = version
            .translation_names
            .get(language)
            .ok_or_else(|| TemplateError::Fill {
                template: version.template_name.clone(),
                line: 0,
                message: format!("{} has no translation into `{language}`", version.id()),
            })?;
        self.fill_named(name, context)
    }

    fn fill_named(&self, name: &str, context: &minijinja::Value) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| fill_error(name, &e))?;
        template.render(context).map_err(|e| fill_error(name, &e))
    }
}

fn fill_error(name: &str, e: &minijinja::Error) -> TemplateError {
    TemplateError::Fill {
        template: e.name().unwrap_or(name).to_owned(),
        line: e.line().unwrap_or(0),
        message: e
            .detail()
            .map_or_else(|| e.kind().to_string(), str::to_owned),
    }
}

pub use crate::digest::sha256;
