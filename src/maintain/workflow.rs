//! The workflow for changing wording without touching documents already
//! issued: `new` copies the newest version into a draft, `publish` checks
//! a draft and records it in the lock with its effective date.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{MaintainError, check_version, io};
use crate::document::Docket;
use crate::samples::Samples;
use crate::templates::lock::{LOCK_FILE, Published};
use crate::templates::{Integrity, META_FILE, TemplateError};

/// `docket templates new <kind>`: copies the newest version of `kind` into a
/// new draft (`kpas-1` → `kpas-2`) and returns its name and folder.
pub fn new_draft(root: &Path, kind: &str) -> Result<(String, PathBuf), MaintainError> {
    let docket = Docket::load(root)?;
    let store = docket.templates();
    let latest = store
        .kinds()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, versions)| versions.last().cloned())
        .ok_or_else(|| TemplateError::UnknownKind(kind.to_owned()))?;
    let name = next_name(&latest.version, |n| root.join(kind).join(n).exists());
    let dir = root.join(kind).join(&name);
    copy_dir(&latest.dir, &dir)?;
    Meta::read(&dir.join(META_FILE))?
        .set("effective_to", None)
        .set("draft", Some(toml_edit::value(true)))
        .write()?;
    Ok((name, dir))
}

/// `kpas-1` → `kpas-2`; a name without a number gets `-2`. Skips names taken.
fn next_name(current: &str, taken: impl Fn(&str) -> bool) -> String {
    let digits = current.len() - current.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (stem, n) = match current[digits..].parse::<u32>() {
        Ok(n) => (current[..digits].to_owned(), n),
        Err(_) => (format!("{current}-"), 1),
    };
    let mut next = n + 1;
    while taken(&format!("{stem}{next}")) {
        next += 1;
    }
    format!("{stem}{next}")
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), MaintainError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let kind = entry.file_type().map_err(io(&entry.path()))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// A `meta.toml`, edited in place: comments and the other keys stay as
/// they are (toml_edit).
struct Meta {
    path: PathBuf,
    doc: toml_edit::DocumentMut,
}

impl Meta {
    fn read(path: &Path) -> Result<Self, MaintainError> {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        let doc = text.parse().map_err(|e: toml_edit::TomlError| {
            MaintainError::Refused(format!("{}: {e}", path.display()))
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// Sets a top-level key, or with `None` removes it.
    fn set(&mut self, key: &str, value: Option<toml_edit::Item>) -> &mut Self {
        match value {
            Some(v) => self.doc[key] = v,
            None => {
                self.doc.remove(key);
            }
        }
        self
    }

    fn write(&self) -> Result<(), MaintainError> {
        write_atomic(&self.path, self.doc.to_string().as_bytes())
    }
}

/// A date as TOML writes it, bare: `effective_from = 2026-09-01`.
fn toml_date(date: NaiveDate) -> toml_edit::Item {
    use chrono::Datelike;
    let date = toml_edit::Date {
        year: u16::try_from(date.year()).unwrap_or(0),
        month: u8::try_from(date.month()).unwrap_or(0),
        day: u8::try_from(date.day()).unwrap_or(0),
    };
    toml_edit::value(toml_edit::Datetime {
        date: Some(date),
        time: None,
        offset: None,
    })
}

/// Writes beside the target and renames (tempfile), so a failure never
/// leaves half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MaintainError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.persist(path).map_err(|e| MaintainError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// What `publish` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published1 {
    /// The version published, `kind@version`.
    pub version: String,
    /// Its content hash.
    pub hash: String,
    /// The previous version, now ending the day before, if any.
    pub ends: Option<(String, NaiveDate)>,
}

/// `docket templates publish <kind> <version> --effective-from DATE`: checks
/// the draft, makes it the version in force from `from` (ending its
/// predecessor the day before) and records it in the lock.
pub fn publish(
    root: &Path,
    kind: &str,
    version: &str,
    from: NaiveDate,
) -> Result<Published1, MaintainError> {
    let docket = Docket::load(root)?;
    let store = docket.templates();
    let v = store.select(kind, Some(version), NaiveDate::MIN)?;
    match store.integrity(&v) {
        Integrity::Intact | Integrity::Modified { .. } => {
            return Err(MaintainError::Refused(format!(
                "{} is already published; make a new version with `docket templates new {kind}`",
                v.id()
            )));
        }
        Integrity::Draft | Integrity::Unpublished => {}
    }
    let edition = store.catalogue().edition(v.meta.edition).ok_or_else(|| {
        MaintainError::Refused(format!(
            "edition {} is not in the catalogue",
            v.meta.edition.slug()
        ))
    })?;
    if from < edition.from || edition.to.is_some_and(|to| from > to) {
        return Err(MaintainError::Refused(format!(
            "{from} is outside the {} edition ({} to {})",
            v.meta.edition.slug(),
            edition.from,
            edition
                .to
                .map_or_else(|| "now".to_owned(), |d| d.to_string())
        )));
    }
    let mut lock = store.lock().clone();
    if let Some(corrected) = v.meta.corrects.as_deref() {
        return publish_correction(root, &docket, &v, corrected, from, lock);
    }
    let predecessor = lock
        .published
        .iter()
        .filter(|p| p.kind == kind && p.edition == v.meta.edition)
        .max_by_key(|p| p.effective_from)
        .cloned();
    match &predecessor {
        Some(p) if p.effective_from >= from => {
            return Err(MaintainError::Refused(format!(
                "{kind}@{} is in force from {}; a new version must start later",
                p.version, p.effective_from
            )));
        }
        Some(p) if p.effective_to.is_some_and(|to| to < from) => {
            return Err(MaintainError::Refused(format!(
                "{kind}@{} ended on {}; publishing from {from} would leave a gap",
                p.version,
                p.effective_to.unwrap_or(from)
            )));
        }
        None if from != v.entry.since.unwrap_or(edition.from) => {
            return Err(MaintainError::Refused(match v.entry.since {
                Some(since) => format!(
                    "the first version of {kind} in the {} edition must start on {since}, the day the catalogue added it (`since`)",
                    v.meta.edition.slug()
                ),
                None => format!(
                    "the first version of {kind} in the {} edition must start with the edition, on {}",
                    v.meta.edition.slug(),
                    edition.from
                ),
            }));
        }
        _ => {}
    }
    let findings = check_version(&docket, &Samples::new(), &v);
    if !findings.is_empty() {
        return Err(MaintainError::Checks(findings));
    }
    let day_before = from.pred_opt().unwrap_or(from);
    let effective_to = predecessor
        .as_ref()
        .and_then(|p| p.effective_to)
        .or(edition.to);
    // The version's meta.toml: in force from `from`, no longer a draft.
    let mut meta = Meta::read(&v.dir.join(META_FILE))?;
    meta.set("draft", None)
        .set("effective_from", Some(toml_date(from)))
        .set("effective_to", effective_to.map(toml_date));
    let mut ends = None;
    if let Some(p) = &predecessor {
        let pred = store.select(kind, Some(&p.version), NaiveDate::MIN)?;
        Meta::read(&pred.dir.join(META_FILE))?
            .set("effective_to", Some(toml_date(day_before)))
            .write()?;
        for entry in &mut lock.published {
            if entry.kind == kind && entry.version == p.version {
                entry.effective_to = Some(day_before);
            }
        }
        ends = Some((pred.id(), day_before));
    }
    meta.write()?;
    lock.published.push(Published {
        kind: kind.to_owned(),
        version: version.to_owned(),
        edition: v.meta.edition,
        effective_from: from,
        effective_to,
        corrects: None,
        hash: v.content_hash.clone(),
        files: v.file_hashes.clone(),
    });
    let lock_path = root.join(LOCK_FILE);
    write_atomic(&lock_path, lock.to_text()?.as_bytes())?;
    Ok(Published1 {
        version: v.id(),
        hash: v.content_hash.clone(),
        ends,
    })
}

/// Publishes a correction of `corrected`: for exactly its period, which
/// stays as it was; the corrected version stays published.
fn publish_correction(
    root: &Path,
    docket: &Docket,
    v: &crate::templates::Version,
    corrected: &str,
    from: NaiveDate,
    mut lock: crate::templates::lock::Lock,
) -> Result<Published1, MaintainError> {
    let Some(c) = lock
        .published
        .iter()
        .find(|p| p.kind == v.kind && p.version == corrected)
        .cloned()
    else {
        return Err(MaintainError::Refused(format!(
            "{} corrects {corrected}, which is not published",
            v.id()
        )));
    };
    if c.effective_from != from || c.effective_to.is_none() {
        return Err(MaintainError::Refused(format!(
            "a correction covers exactly the period of the ended version it corrects: publish it from {}",
            c.effective_from
        )));
    }
    let findings = check_version(docket, &Samples::new(), v);
    if !findings.is_empty() {
        return Err(MaintainError::Checks(findings));
    }
    let mut meta = Meta::read(&v.dir.join(META_FILE))?;
    meta.set("draft", None)
        .set("effective_from", Some(toml_date(from)))
        .set("effective_to", c.effective_to.map(toml_date));
    meta.write()?;
    lock.published.push(Published {
        kind: v.kind.clone(),
        version: v.version.clone(),
        edition: v.meta.edition,
        effective_from: from,
        effective_to: c.effective_to,
        corrects: Some(corrected.to_owned()),
        hash: v.content_hash.clone(),
        files: v.file_hashes.clone(),
    });
    write_atomic(&root.join(LOCK_FILE), lock.to_text()?.as_bytes())?;
    Ok(Published1 {
        version: v.id(),
        hash: v.content_hash.clone(),
        ends: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_version_names() {
        assert_eq!(next_name("kpas-1", |_| false), "kpas-2");
        assert_eq!(next_name("kpas-9", |n| n == "kpas-10"), "kpas-11");
        assert_eq!(next_name("draft", |_| false), "draft-2");
    }

    #[test]
    fn toml_keys_are_set_and_removed_in_place() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("meta.toml");
        let text = "# comment\nedition = \"pias\"\neffective_from = 2017-04-01\ndraft = true\n";
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let mut meta = Meta::read(&path).unwrap_or_else(|e| panic!("{e}"));
        meta.set("draft", None);
        assert_eq!(
            meta.doc.to_string(),
            "# comment\nedition = \"pias\"\neffective_from = 2017-04-01\n"
        );
        meta.set(
            "effective_from",
            Some(toml_date(
                chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            )),
        )
        .set(
            "effective_to",
            Some(toml_date(
                chrono::NaiveDate::from_ymd_opt(2026, 8, 31).unwrap_or_default(),
            )),
        );
        meta.write().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "# comment\nedition = \"pias\"\neffective_from = 2025-01-01\neffective_to = 2026-08-31\n"
        );
    }
}
