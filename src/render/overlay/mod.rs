//! Overlays: pages of PDFs docket supplies to a render (a court bundle's
//! exhibits, as they were issued) drawn onto the pages of the exported PDF.
//!
//! Typst cannot embed PDF pages in a PDF/A export, so a template reserves
//! the place instead, with `#metadata((file: "/exhibits/1.pdf", page: 1,
//! x: 35.74, y: 50.0, width: 523.8)) <docket-overlay>` on the page (x and y
//! from the page's top left, in points). After export, each such page gets
//! the source page as a form XObject, scaled to `width`, with the objects it
//! uses (fonts, images, colour spaces) copied across. Nothing of the source
//! is re-typeset: the exhibit is the issued document's own content.
//!
//! A template that also places `#metadata(true) <docket-tagged-overlays>`
//! makes an accessible document (PDF/UA-1 as well as PDF/A-3b): each of its
//! overlays gives `alt`, the text of the exhibit's page, and the template
//! puts a `figure` with the same `alt` where the page is drawn. The drawn
//! page is then marked content of that figure's structure element (a new
//! MCID on the page, entered in the parent tree), and the source's own
//! marked-content operators are left out of the form (its structure tree
//! stays with the original, which is attached unchanged), so that every
//! piece of content on the page is tagged and nothing points at a structure
//! tree the document does not have.

use std::collections::{BTreeMap, HashMap};

mod tags;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use typst::foundations::{Label, Selector, Value};
use typst::introspection::MetadataElem;
use typst::utils::PicoStr;
use typst_layout::PagedDocument;

/// The label templates give the metadata of an overlay.
pub const LABEL: &str = "docket-overlay";

/// The label of the metadata that asks for tagged overlays.
pub const TAGGED_LABEL: &str = "docket-tagged-overlays";

/// One page of a supplied PDF to draw onto a page of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    /// The page of the document (0-based).
    pub target: usize,
    /// The supplied file's virtual path.
    pub file: String,
    /// The page of that file (1-based).
    pub page: usize,
    /// Left edge, from the page's left, in points.
    pub x: f64,
    /// Top edge, from the page's top, in points.
    pub y: f64,
    /// Width to scale the source page to, in points.
    pub width: f64,
    /// The page's text, as the alternative text of the figure it is drawn
    /// in (tagged overlays only).
    pub alt: Option<String>,
}

/// Why overlays could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// The template's metadata is not an overlay.
    #[error("an overlay's metadata needs file, page, x, y and width: {0}")]
    Metadata(String),
    /// The file is not one docket supplied to this render.
    #[error("{0} is not a file supplied to this render")]
    UnknownFile(String),
    /// A PDF could not be read or written.
    #[error("overlay: {0}")]
    Pdf(#[from] lopdf::Error),
    /// A tagged overlay's figure is not in the structure tree.
    #[error("no figure in the structure tree has the alternative text of the overlay of {0}")]
    NoFigure(String),
    /// The structure tree is not in the form the export writes.
    #[error("the structure tree cannot take a tagged overlay: {0}")]
    Structure(&'static str),
    /// The source has no such page.
    #[error("{file} has no page {page}")]
    NoPage {
        /// The file.
        file: String,
        /// The page asked for.
        page: usize,
    },
}

fn label(name: &str) -> Result<Selector, OverlayError> {
    Label::new(PicoStr::intern(name))
        .map(Selector::Label)
        .ok_or_else(|| OverlayError::Metadata(format!("`{name}` is not a valid label")))
}

/// Whether the document asks for tagged overlays (an accessible bundle).
pub fn tagged(document: &PagedDocument) -> Result<bool, OverlayError> {
    use typst::introspection::Introspector;
    Ok(!document
        .introspector()
        .query(&label(TAGGED_LABEL)?)
        .is_empty())
}

/// The overlays a compiled document asks for.
pub fn requested(document: &PagedDocument) -> Result<Vec<Overlay>, OverlayError> {
    use typst::introspection::Introspector;
    let introspector = document.introspector();
    let selector = label(LABEL)?;
    let mut out = Vec::new();
    for content in introspector.query(&selector) {
        let Some(meta) = content.to_packed::<MetadataElem>() else {
            continue;
        };
        let Some(location) = content.location() else {
            continue;
        };
        let Some(page) = introspector.page(location) else {
            continue;
        };
        let Value::Dict(dict) = &meta.value else {
            return Err(OverlayError::Metadata(format!("{:?}", meta.value)));
        };
        let get = |key: &str| dict.get(key).ok().cloned();
        let number = |key: &str| match get(key) {
            Some(Value::Int(i)) => Some(i as f64),
            Some(Value::Float(f)) => Some(f),
            _ => None,
        };
        let (Some(Value::Str(file)), Some(source_page), Some(x), Some(y), Some(width)) = (
            get("file"),
            number("page"),
            number("x"),
            number("y"),
            number("width"),
        ) else {
            return Err(OverlayError::Metadata(format!("{:?}", meta.value)));
        };
        let alt = match get("alt") {
            Some(Value::Str(alt)) => Some(alt.to_string()),
            None | Some(Value::None) => None,
            Some(other) => return Err(OverlayError::Metadata(format!("alt: {other:?}"))),
        };
        out.push(Overlay {
            target: page.get() - 1,
            file: file.to_string(),
            page: source_page as usize,
            x,
            y,
            width,
            alt,
        });
    }
    Ok(out)
}

/// Copies `id` and everything it refers to from `from` into `to`, once
/// (`map` remembers what was copied); page-tree links are not followed.
fn import(
    from: &Document,
    to: &mut Document,
    id: ObjectId,
    map: &mut HashMap<ObjectId, ObjectId>,
) -> Result<ObjectId, OverlayError> {
    if let Some(new) = map.get(&id) {
        return Ok(*new);
    }
    let new = to.new_object_id();
    map.insert(id, new);
    let mut object = from.get_object(id)?.clone();
    rewrite(from, to, &mut object, map)?;
    to.objects.insert(new, object);
    Ok(new)
}

fn rewrite(
    from: &Document,
    to: &mut Document,
    object: &mut Object,
    map: &mut HashMap<ObjectId, ObjectId>,
) -> Result<(), OverlayError> {
    match object {
        Object::Reference(id) => *id = import(from, to, *id, map)?,
        Object::Array(items) => {
            for item in items {
                rewrite(from, to, item, map)?;
            }
        }
        Object::Dictionary(d) => rewrite_dict(from, to, d, map)?,
        Object::Stream(s) => rewrite_dict(from, to, &mut s.dict, map)?,
        _ => {}
    }
    Ok(())
}

fn rewrite_dict(
    from: &Document,
    to: &mut Document,
    dict: &mut Dictionary,
    map: &mut HashMap<ObjectId, ObjectId>,
) -> Result<(), OverlayError> {
    // A structure parent or page link would drag in the source's page tree.
    for key in [&b"Parent"[..], b"StructParent", b"StructParents", b"P"] {
        dict.remove(key);
    }
    for (_, value) in dict.iter_mut() {
        rewrite(from, to, value, map)?;
    }
    Ok(())
}

/// A source page as a form XObject in `to`: its content (decoded and
/// joined; without its marked-content operators when `untag`) with its
/// resources, bounded by its media box.
fn page_form(
    from: &Document,
    to: &mut Document,
    file: &str,
    page: usize,
    untag: bool,
    map: &mut HashMap<ObjectId, ObjectId>,
) -> Result<(ObjectId, f64, f64), OverlayError> {
    let pages = from.get_pages();
    let page_id = *pages
        .get(&(page as u32))
        .ok_or_else(|| OverlayError::NoPage {
            file: file.to_owned(),
            page,
        })?;
    let mut content = from.get_page_content(page_id)?;
    if untag {
        content = tags::untagged(&content)?;
    }
    let page_dict = from.get_dictionary(page_id)?;
    let media_box = page_dict.get(b"MediaBox").ok().cloned().unwrap_or_else(|| {
        Object::Array(vec![
            0.into(),
            0.into(),
            Object::Real(595.28),
            Object::Real(841.89),
        ])
    });
    let (source_width, source_height) = match &media_box {
        Object::Array(v) if v.len() == 4 => {
            let n = |o: &Object| o.as_float().map(f64::from).ok();
            (
                n(&v[2]).zip(n(&v[0])).map_or(595.28, |(a, b)| a - b),
                n(&v[3]).zip(n(&v[1])).map_or(841.89, |(a, b)| a - b),
            )
        }
        _ => (595.28, 841.89),
    };
    let mut resources = match page_dict.get(b"Resources") {
        Ok(Object::Reference(id)) => Object::Dictionary(from.get_dictionary(*id)?.clone()),
        Ok(other) => other.clone(),
        Err(_) => Object::Dictionary(Dictionary::new()),
    };
    rewrite(from, to, &mut resources, map)?;
    let mut dict = Dictionary::new();
    dict.set("Type", Object::Name(b"XObject".to_vec()));
    dict.set("Subtype", Object::Name(b"Form".to_vec()));
    dict.set("BBox", media_box);
    dict.set("Resources", resources);
    let mut stream = Stream::new(dict, content);
    // Deterministic, like the rest of the PDF.
    let _ = stream.compress();
    let id = to.add_object(Object::Stream(stream));
    Ok((id, source_width, source_height))
}

/// Draws `overlays` onto `pdf`, taking the sources from `files` (virtual
/// path → bytes). With `show_title`, PDF readers are also told to show the
/// document's title rather than its file name (the PDF/UA export does that
/// by itself; a document exported without it asks for it here). Returns
/// the new PDF.
///
/// With `tagged`, every overlay must give its `alt`, and each is drawn as
/// marked content of the figure with that alternative text.
pub fn apply(
    pdf: &[u8],
    overlays: &[Overlay],
    files: &[(String, Vec<u8>)],
    show_title: bool,
    tagged: bool,
) -> Result<Vec<u8>, OverlayError> {
    if overlays.is_empty() && !show_title {
        return Ok(pdf.to_vec());
    }
    let mut doc = Document::load_mem(pdf)?;
    let mut tree = if tagged {
        Some(tags::Tree::read(&doc)?)
    } else {
        None
    };
    if show_title {
        let catalog = doc.catalog_mut()?;
        let mut prefs = match catalog.get(b"ViewerPreferences") {
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        prefs.set("DisplayDocTitle", Object::Boolean(true));
        catalog.set("ViewerPreferences", Object::Dictionary(prefs));
    }
    let targets: BTreeMap<u32, ObjectId> = doc.get_pages();
    let mut sources: HashMap<&str, (Document, HashMap<ObjectId, ObjectId>)> = HashMap::new();
    for (n, overlay) in overlays.iter().enumerate() {
        let bytes = files
            .iter()
            .find(|(path, _)| *path == overlay.file)
            .map(|(_, b)| b)
            .ok_or_else(|| OverlayError::UnknownFile(overlay.file.clone()))?;
        if !sources.contains_key(overlay.file.as_str()) {
            sources.insert(
                overlay.file.as_str(),
                (Document::load_mem(bytes)?, HashMap::new()),
            );
        }
        let Some((source, map)) = sources.get_mut(overlay.file.as_str()) else {
            continue;
        };
        let (form, source_width, source_height) =
            page_form(source, &mut doc, &overlay.file, overlay.page, tagged, map)?;
        let Some(&page_id) = targets.get(&(overlay.target as u32 + 1)) else {
            continue;
        };
        let page_height = doc
            .get_dictionary(page_id)?
            .get(b"MediaBox")
            .ok()
            .and_then(|b| b.as_array().ok())
            .and_then(|b| b.get(3))
            .and_then(|h| h.as_float().ok())
            .map_or(841.89, f64::from);
        let scale = overlay.width / source_width;
        let bottom = page_height - overlay.y - source_height * scale;
        let name = format!("DocketOverlay{n}");
        let mut draw = format!(
            "q {scale:.6} 0 0 {scale:.6} {:.3} {bottom:.3} cm /{name} Do Q\n",
            overlay.x
        );
        if let Some(tree) = tree.as_mut() {
            let alt = overlay
                .alt
                .as_deref()
                .ok_or_else(|| OverlayError::Metadata(format!("{} needs alt", overlay.file)))?;
            let mcid = tree.mark(&mut doc, page_id, alt, &overlay.file)?;
            draw = format!("/Figure <</MCID {mcid}>> BDC\n{draw}EMC\n");
        }
        let draw_id = doc.add_object(Object::Stream(Stream::new(
            Dictionary::new(),
            draw.into_bytes(),
        )));
        // The page's own resources, made its own (they may be shared), with
        // the form added.
        let page = doc.get_dictionary(page_id)?.clone();
        let mut resources = match page.get(b"Resources") {
            Ok(Object::Reference(id)) => doc.get_dictionary(*id)?.clone(),
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        let mut xobjects = match resources.get(b"XObject") {
            Ok(Object::Reference(id)) => doc.get_dictionary(*id)?.clone(),
            Ok(Object::Dictionary(d)) => d.clone(),
            _ => Dictionary::new(),
        };
        xobjects.set(name.as_bytes().to_vec(), Object::Reference(form));
        resources.set("XObject", Object::Dictionary(xobjects));
        let contents = match page.get(b"Contents") {
            Ok(Object::Array(items)) => {
                let mut items = items.clone();
                items.push(Object::Reference(draw_id));
                items
            }
            Ok(other) => vec![other.clone(), Object::Reference(draw_id)],
            Err(_) => vec![Object::Reference(draw_id)],
        };
        let page = doc.get_dictionary_mut(page_id)?;
        page.set("Resources", Object::Dictionary(resources));
        page.set("Contents", Object::Array(contents));
    }
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| OverlayError::Pdf(lopdf::Error::IO(e)))?;
    Ok(out)
}
