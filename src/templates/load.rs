//! Loading `letter-templates/` into memory: the shared layouts, each
//! version's files (symbolic links refused), its metadata checked against
//! the catalogue, and its content hash over every file that changes what
//! it renders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Environment;

use super::catalogue::{self, Catalogue};
use super::{
    LAYOUT_DIR, META_FILE, Meta, SAMPLE_FILE, SAMPLE_REGISTER_FILE, TEMPLATE_FILE, TemplateError,
    Version, sha256,
};

pub(super) fn load_error(path: &Path, message: impl Into<String>) -> TemplateError {
    TemplateError::Load {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

pub(super) fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, TemplateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| load_error(dir, e.to_string()))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| load_error(dir, e.to_string()))?;
        if entry
            .file_type()
            .map_err(|e| load_error(&entry.path(), e.to_string()))?
            .is_dir()
        {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

pub(super) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Kinds and versions appear in URLs and file names: keep them plain.
pub(super) fn check_slug(path: &Path, slug: &str) -> Result<(), TemplateError> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'))
        && !slug.starts_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(load_error(path, "names may use only a-z, 0-9, `-` and `.`"))
    }
}

/// Reads every regular file below `dir` into memory, keyed by its path under
/// `prefix`. Symbolic links are refused so a template cannot reach outside.
fn read_tree(
    dir: &Path,
    prefix: &str,
    out: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), TemplateError> {
    let entries = std::fs::read_dir(dir).map_err(|e| load_error(dir, e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| load_error(dir, e.to_string()))?;
        let path = entry.path();
        let name = file_name(&path);
        let kind = entry
            .file_type()
            .map_err(|e| load_error(&path, e.to_string()))?;
        if kind.is_symlink() {
            return Err(load_error(
                &path,
                "symbolic links are not allowed in templates",
            ));
        } else if kind.is_dir() {
            read_tree(&path, &format!("{prefix}{name}/"), out)?;
        } else {
            let bytes = std::fs::read(&path).map_err(|e| load_error(&path, e.to_string()))?;
            out.insert(format!("{prefix}{name}"), bytes);
        }
    }
    Ok(())
}

pub(super) fn load_layouts(
    dir: &Path,
) -> Result<BTreeMap<String, BTreeMap<String, Vec<u8>>>, TemplateError> {
    let mut layouts = BTreeMap::new();
    for layout_dir in sorted_dirs(dir)? {
        let name = file_name(&layout_dir);
        check_slug(&layout_dir, &name)?;
        let mut files = BTreeMap::new();
        read_tree(&layout_dir, "/layout/", &mut files)?;
        layouts.insert(name, files);
    }
    Ok(layouts)
}

pub(super) fn load_version(
    kind: &str,
    dir: &Path,
    layouts: &BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    catalogue: &Catalogue,
    env: &mut Environment<'static>,
) -> Result<Version, TemplateError> {
    let version = file_name(dir);
    check_slug(dir, &version)?;
    let read_text = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| load_error(&path, e.to_string()))
    };
    let meta_path = dir.join(META_FILE);
    let meta: Meta = toml::from_str(&read_text(META_FILE)?)
        .map_err(|e| load_error(&meta_path, e.to_string()))?;
    if meta.effective_to.is_some_and(|to| to < meta.effective_from) {
        return Err(load_error(
            &meta_path,
            "effective_to is before effective_from",
        ));
    }
    let entry = catalogue.entry(kind, meta.edition).ok_or_else(|| {
        load_error(
            &meta_path,
            format!(
                "the catalogue ({}) has no `{kind}` in edition `{}`; add it there first",
                catalogue::CATALOGUE_FILE,
                meta.edition.slug()
            ),
        )
    })?;
    if let Some(edition) = catalogue.edition(meta.edition) {
        let ends_in_time = match (edition.to, meta.effective_to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(e), Some(v)) => v <= e,
        };
        if meta.effective_from < edition.from || !ends_in_time {
            return Err(load_error(
                &meta_path,
                format!(
                    "its effective period must lie within the {} edition ({} to {})",
                    meta.edition.slug(),
                    edition.from,
                    edition
                        .to
                        .map_or_else(|| "now".to_owned(), |d| d.to_string())
                ),
            ));
        }
    }
    let layout_files = layouts.get(&meta.layout).ok_or_else(|| {
        load_error(
            &meta_path,
            format!("layout `{}` is not in {LAYOUT_DIR}/", meta.layout),
        )
    })?;
    let sample = read_text(SAMPLE_FILE)?;
    let source = read_text(TEMPLATE_FILE)?;
    let template_name = format!("{kind}/{version}/{TEMPLATE_FILE}");
    env.add_template_owned(template_name.clone(), source)
        .map_err(|e| {
            load_error(
                &dir.join(TEMPLATE_FILE),
                format!("line {}: {}", e.line().unwrap_or(0), e),
            )
        })?;
    let translation_names = load_translations(kind, &version, dir, &meta, env)?;
    let mut own = BTreeMap::new();
    read_tree(dir, "/", &mut own)?;
    if let Some(path) = own.keys().find(|p| p.starts_with("/layout/")) {
        return Err(load_error(
            dir,
            format!("`{path}` would hide the shared layout; rename the folder"),
        ));
    }
    let sample_register = own
        .get(&format!("/{SAMPLE_REGISTER_FILE}"))
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let mut files = layout_files.clone();
    files.extend(own);
    let (content_hash, file_hashes) = content_hash(&meta, &files);
    Ok(Version {
        content_hash,
        file_hashes,
        dir: dir.to_path_buf(),
        kind: kind.to_owned(),
        version,
        meta,
        entry: Arc::new(entry.clone()),
        sample,
        sample_register,
        files: Arc::new(files),
        template_name,
        translation_names,
    })
}

/// A translation's file name: `template.<code>.typ.j2`.
pub(super) fn translation_file(code: &str) -> String {
    format!("template.{code}.typ.j2")
}

/// Loads each translation `meta.toml` lists (a file for every entry, an
/// entry for every file, a reviewer for every reviewed one) into `env`.
fn load_translations(
    kind: &str,
    version: &str,
    dir: &Path,
    meta: &Meta,
    env: &mut Environment<'static>,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let meta_path = dir.join(META_FILE);
    let entries = std::fs::read_dir(dir).map_err(|e| load_error(dir, e.to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|e| load_error(dir, e.to_string()))?;
        let name = file_name(&entry.path());
        if let Some(code) = name
            .strip_prefix("template.")
            .and_then(|n| n.strip_suffix(".typ.j2"))
            && !meta.translations.contains_key(code)
        {
            return Err(load_error(
                &entry.path(),
                format!(
                    "a translation `{code}` that meta.toml does not list under [translations.{code}]"
                ),
            ));
        }
    }
    let mut names = BTreeMap::new();
    for (code, t) in &meta.translations {
        let valid = (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase());
        if !valid || code == "en" {
            return Err(load_error(
                &meta_path,
                format!(
                    "translation `{code}`: use a two- or three-letter lower-case language code other than `en`"
                ),
            ));
        }
        if t.reviewed && (t.reviewed_by.is_none() || t.reviewed_on.is_none()) {
            return Err(load_error(
                &meta_path,
                format!(
                    "translation `{code}` is marked reviewed: say who reviewed it (reviewed_by) and when (reviewed_on)"
                ),
            ));
        }
        let file = translation_file(code);
        let path = dir.join(&file);
        let source =
            std::fs::read_to_string(&path).map_err(|e| load_error(&path, e.to_string()))?;
        let name = format!("{kind}/{version}/{file}");
        env.add_template_owned(name.clone(), source)
            .map_err(|e| load_error(&path, format!("line {}: {}", e.line().unwrap_or(0), e)))?;
        names.insert(code.clone(), name);
    }
    Ok(names)
}

/// Files of a version folder that do not change what it renders: its
/// metadata (whose effective dates change when a successor is published) and
/// its sample.
fn outside_hash(path: &str) -> bool {
    path == format!("/{META_FILE}")
        || path == format!("/{SAMPLE_FILE}")
        || path == format!("/{SAMPLE_REGISTER_FILE}")
}

/// The content hash of a version and the hash of each file it covers. The
/// version's hash is over its edition and layout and, in path order, each
/// file's path and hash.
fn content_hash(
    meta: &Meta,
    files: &BTreeMap<String, Vec<u8>>,
) -> (String, BTreeMap<String, String>) {
    let file_hashes: BTreeMap<String, String> = files
        .iter()
        .filter(|(path, _)| !outside_hash(path))
        .map(|(path, bytes)| (path.clone(), sha256(bytes)))
        .collect();
    let mut manifest = format!(
        "docket template version\nedition {}\nlayout {}\n",
        meta.edition.slug(),
        meta.layout
    );
    for (path, hash) in &file_hashes {
        manifest.push_str(&format!("{hash} {path}\n"));
    }
    (sha256(manifest.as_bytes()), file_hashes)
}
