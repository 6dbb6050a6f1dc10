//! A version of a document kind: its `meta.toml` (edition, dates,
//! layout, translations, corrections) and what it is in force for.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Edition, Entry, TEMPLATE_FILE, toml_date};

/// Who sends a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Sender {
    /// The pupil's school.
    School,
    /// The local authority's attendance service (an attendance officer).
    LocalAuthority,
    /// The local authority's Courts Team.
    CourtsTeam,
}

/// A version's `meta.toml`: which edition it belongs to and when it is in
/// force. Its title, level, sender, recipients and sections come from the
/// catalogue entry for its kind and edition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Framework edition.
    pub edition: Edition,
    /// First day this version is in force.
    #[serde(with = "toml_date")]
    pub effective_from: NaiveDate,
    /// Last day this version is in force, if it has ended.
    #[serde(default, with = "toml_date::option")]
    pub effective_to: Option<NaiveDate>,
    /// The shared layout version the template imports as `/layout/…`.
    pub layout: String,
    /// Drafts are never chosen by date; they render only when asked for by name.
    #[serde(default)]
    pub draft: bool,
    /// A court bundle or pack of this version is refused without a
    /// decision-to-prosecute record for its defendant
    /// (`bundle.decision-record`); versions published before the record
    /// existed only warn.
    #[serde(default)]
    pub decision_record: bool,
    /// The version this one corrects: an ended version whose wording was
    /// wrong (a citation, say). A correction covers exactly the corrected
    /// version's period and is chosen in its place by date; the corrected
    /// version stays published, verifiable and renderable by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    /// Translations beside the English template, by language code (`pl`):
    /// each in `template.<code>.typ.j2`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, TranslationMeta>,
}

/// A translation of a version's template. Only a reviewed translation is
/// ever sent, and always with the English letter, which stays the
/// authoritative text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranslationMeta {
    /// The language's name in English, e.g. `Polish`.
    pub language: String,
    /// Whether a qualified translator has checked it against the English
    /// text. Until then it renders only in a proof that names it.
    #[serde(default)]
    pub reviewed: bool,
    /// Who reviewed it (needed when `reviewed`).
    #[serde(default)]
    pub reviewed_by: Option<String>,
    /// When it was reviewed (needed when `reviewed`).
    #[serde(default, with = "toml_date::option")]
    pub reviewed_on: Option<NaiveDate>,
}

/// One published or draft version of one document kind, loaded into memory.
#[derive(Debug)]
pub struct Version {
    /// The kind, e.g. `absence-concern-letter`.
    pub kind: String,
    /// The version name, e.g. `kpas-1`.
    pub version: String,
    /// Its metadata.
    pub meta: Meta,
    /// What the catalogue says of its kind in its edition.
    pub entry: Arc<Entry>,
    /// Its sample case, as JSON text.
    pub sample: String,
    /// What its sample needs in the register (`sample-register.json`), as
    /// JSON text: a list of `{kind, version, recipient?, case, events?}`.
    pub sample_register: Option<String>,
    /// Every file the Typst compile may read, by virtual path: the version's
    /// own files under `/` and the layout's under `/layout/`.
    pub files: Arc<BTreeMap<String, Vec<u8>>>,
    /// The version's content hash (`sha256:` + hex) over every file the
    /// render uses: its own files other than `meta.toml` and `sample.json`,
    /// the shared layout version it imports, and its edition and layout.
    pub content_hash: String,
    /// The hash of each of those files, by virtual path.
    pub file_hashes: BTreeMap<String, String>,
    /// Where the version's folder is.
    pub dir: PathBuf,
    /// Template name in the minijinja environment.
    pub(super) template_name: String,
    /// The translations' template names, by language code.
    pub(super) translation_names: BTreeMap<String, String>,
}

impl Version {
    /// `kind@version`, as in the `Docket-Template` header.
    pub fn id(&self) -> String {
        format!("{}@{}", self.kind, self.version)
    }

    /// The translation into `language` that may be sent: reviewed, and
    /// present.
    pub fn reviewed_translation(&self, language: &str) -> Option<&TranslationMeta> {
        self.meta
            .translations
            .get(language)
            .filter(|t| t.reviewed && self.translation_names.contains_key(language))
    }

    /// The template sources of the version: the English one first, then
    /// each translation, as `(name, minijinja template name)`.
    pub fn template_names(&self) -> impl Iterator<Item = (&str, &str)> {
        std::iter::once((TEMPLATE_FILE, self.template_name.as_str())).chain(
            self.translation_names
                .iter()
                .map(|(code, name)| (code.as_str(), name.as_str())),
        )
    }

    /// Whether the version is in force on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        !self.meta.draft
            && self.meta.effective_from <= date
            && self.meta.effective_to.is_none_or(|to| date <= to)
    }
}
