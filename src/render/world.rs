//! The Typst world of one render: the filled template as `/main.typ`, the
//! files of its template version and shared layout, the shared fonts and
//! standard library, and a fixed "today". Nothing else exists in it: no system
//! files, no packages, no network.

use std::collections::HashMap;

use typst::diag::{FileError, FileResult, PackageError};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use super::fonts::Fonts;

/// Parts shared by every render: built once at start-up.
#[derive(Debug)]
pub struct Shared {
    /// The standard library.
    pub library: LazyHash<Library>,
    /// Fonts and their book.
    pub fonts: Fonts,
    /// The id of the main file, the same for every render: file ids are
    /// interned for the life of the process and limited in number.
    pub main_id: FileId,
}

/// The files of one template version, parsed once and reused by every
/// render of that version.
#[derive(Debug, Default)]
pub struct VersionFiles {
    sources: HashMap<FileId, Source>,
    bytes: HashMap<FileId, Bytes>,
}

impl VersionFiles {
    /// Prepares `files` (virtual path → contents); `.typ` files are parsed.
    pub fn new(files: &std::collections::BTreeMap<String, Vec<u8>>) -> Self {
        let mut prepared = Self::default();
        for (path, data) in files {
            let Some(id) = file_id(path) else { continue };
            if let (true, Ok(text)) = (path.ends_with(".typ"), std::str::from_utf8(data)) {
                prepared
                    .sources
                    .insert(id, Source::new(id, text.to_owned()));
            }
            prepared.bytes.insert(id, Bytes::new(data.clone()));
        }
        prepared
    }
}

/// The id of a project file at `path` (e.g. `/layout/letter.typ`).
pub fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

/// One render's world.
pub struct LetterWorld<'a> {
    /// Library and fonts.
    pub shared: &'a Shared,
    /// The filled template.
    pub main: Source,
    /// The version's files and its layout's.
    pub files: &'a VersionFiles,
    /// The document's own date, so `datetime.today()` never reads the clock.
    pub today: Datetime,
    /// Files docket supplies to this render only (a court bundle's exhibits
    /// and case data), at fixed paths.
    pub extra: &'a HashMap<FileId, Bytes>,
}

/// Files for one render: virtual path → bytes. Paths must be fixed names
/// (file ids are interned for the life of the process).
pub fn extra_files(files: &[(String, Vec<u8>)]) -> HashMap<FileId, Bytes> {
    files
        .iter()
        .filter_map(|(path, data)| Some((file_id(path)?, Bytes::new(data.clone()))))
        .collect()
}

impl World for LetterWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        check_root(id)?;
        self.files
            .sources
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        check_root(id)?;
        self.files
            .bytes
            .get(&id)
            .or_else(|| self.extra.get(&id))
            .cloned()
            .ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// Packages are never downloaded: a template that imports one fails.
fn check_root(id: FileId) -> FileResult<()> {
    match id.root() {
        VirtualRoot::Project => Ok(()),
        VirtualRoot::Package(spec) => Err(FileError::Package(PackageError::Other(Some(
            format!("packages are not available to docket templates ({spec})").into(),
        )))),
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_without_slash().into())
}
