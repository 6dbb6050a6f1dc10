//! The lock file, `letter-templates/templates.lock`: for every published
//! version, its effective period, its content hash and the hash of each file
//! it uses. A published version is immutable: `docket templates check` fails
//! when its files no longer match, and `docket verify` says whether the
//! version that produced a PDF is still intact. Written only by `docket
//! templates publish`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Edition, TemplateError, load_error, toml_date};

/// Name of the lock file at the template root.
pub const LOCK_FILE: &str = "templates.lock";

const HEADER: &str = "# Published template versions: written by `docket templates publish`.\n\
# Do not edit by hand. A published version's files never change: make a new\n\
# version with `docket templates new <kind>` instead.\n\n";

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    /// The kind.
    pub kind: String,
    /// The version.
    pub version: String,
    /// Its edition.
    pub edition: Edition,
    /// First day in force.
    #[serde(with = "toml_date")]
    pub effective_from: NaiveDate,
    /// Last day in force, once replaced.
    #[serde(
        default,
        with = "toml_date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub effective_to: Option<NaiveDate>,
    /// The ended version it corrects, for exactly that version's period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    /// The version's content hash when published.
    pub hash: String,
    /// The hash of each file it uses, by virtual path.
    pub files: BTreeMap<String, String>,
}

/// The lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Every published version, by kind and then effective date.
    #[serde(default)]
    pub published: Vec<Published>,
}

impl Lock {
    /// Reads the lock under `root`; no file means nothing is published yet.
    pub fn load(root: &Path) -> Result<Self, TemplateError> {
        let path = root.join(LOCK_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| load_error(&path, e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(load_error(&path, e.to_string())),
        }
    }

    /// The entry for `kind` and `version`, if published.
    pub fn find(&self, kind: &str, version: &str) -> Option<&Published> {
        self.published
            .iter()
            .find(|p| p.kind == kind && p.version == version)
    }

    /// The lock as written to disk, entries sorted by kind and date.
    pub fn to_text(&self) -> Result<String, TemplateError> {
        let mut sorted = self.clone();
        sorted.published.sort_by(|a, b| {
            (&a.kind, a.effective_from, &a.version).cmp(&(&b.kind, b.effective_from, &b.version))
        });
        let body = toml::to_string(&sorted)
            .map_err(|e| load_error(Path::new(LOCK_FILE), e.to_string()))?;
        Ok(format!("{HEADER}{body}"))
    }
}

/// Whether a version is published and, if so, whether its files still match
/// the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Integrity {
    /// Published and unchanged.
    Intact,
    /// Published, but files have changed since.
    Modified {
        /// The files added, removed or changed, by virtual path.
        files: Vec<String>,
    },
    /// A draft: not published, renders only when asked for by name.
    Draft,
    /// Neither a draft nor in the lock.
    Unpublished,
}

/// Compares a version's file hashes with its lock entry: the paths that
/// differ, were added or were removed.
pub fn changed_files(
    now: &BTreeMap<String, String>,
    locked: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut changed: Vec<String> = now
        .iter()
        .filter(|(path, hash)| locked.get(*path) != Some(*hash))
        .map(|(path, _)| path.clone())
        .collect();
    changed.extend(locked.keys().filter(|p| !now.contains_key(*p)).cloned());
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_files_names_edits_additions_and_removals() {
        let locked: BTreeMap<String, String> = [("/a", "1"), ("/b", "2"), ("/c", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut now = locked.clone();
        assert!(changed_files(&now, &locked).is_empty());
        now.insert("/b".into(), "9".into());
        now.remove("/c");
        now.insert("/d".into(), "4".into());
        assert_eq!(changed_files(&now, &locked), ["/b", "/c", "/d"]);
    }

    #[test]
    fn the_lock_round_trips_through_toml() {
        let lock = Lock {
            published: vec![Published {
                kind: "absence-concern-letter".into(),
                version: "kpas-1".into(),
                edition: Edition::Kpas2024,
                effective_from: NaiveDate::from_ymd_opt(2024, 9, 1).unwrap_or_default(),
                effective_to: None,
                corrects: None,
                hash: "sha256:00".into(),
                files: [("/template.typ.j2".to_owned(), "sha256:01".to_owned())].into(),
            }],
        };
        let text = lock.to_text().unwrap_or_default();
        assert!(text.starts_with("# Published"));
        assert_eq!(toml::from_str::<Lock>(&text).ok(), Some(lock));
    }
}
