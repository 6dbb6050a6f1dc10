//! The print room's PDF: the issued PDFs one after another, each starting
//! on an odd page (a blank verso pads a document with an odd page count, so
//! duplex printing never puts two mail pieces on one sheet). Written to disk
//! as it goes, one input document in memory at a time, so memory stays
//! bounded however many notices a batch holds.

use std::io::{self, Write};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::sink::Sink;
use super::splice::{RefSite, Spliced, splice};

/// Why the print PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// A stored PDF could not be read.
    #[error("an issued PDF could not be read: {0}")]
    Pdf(#[from] lopdf::Error),
    /// The output could not be written.
    #[error("writing the print PDF: {0}")]
    Io(#[from] io::Error),
}

/// One issued PDF read and reduced to what the print PDF needs: its pages
/// and the objects they use, less its catalogue, page tree, structure tree
/// and metadata. Reading is the costly part of appending, and needs no
/// state, so batches do it on every core ahead of the writer.
///
/// docket's own PDFs are read by `batch::splice`: their objects
/// are copied byte for byte with only the references renumbered. Any other
/// PDF is parsed fully and re-serialised.
#[derive(Debug)]
pub struct Parsed {
    pdf: Vec<u8>,
    form: Form,
}

#[derive(Debug)]
enum Form {
    Spliced(Spliced),
    Objects {
        objects: Vec<(ObjectId, Object)>,
        pages: Vec<(ObjectId, Dictionary)>,
        media_box: Option<Object>,
    },
}

impl Parsed {
    /// Reads one PDF.
    pub fn new(pdf: Vec<u8>) -> Result<Self, PrintError> {
        let form = match splice(&pdf) {
            Some(spliced) => Form::Spliced(spliced),
            None => Self::objects(&pdf)?,
        };
        Ok(Self { pdf, form })
    }

    /// The PDF as it was read.
    pub fn pdf(&self) -> &[u8] {
        &self.pdf
    }

    /// Whether the fast reader took it (docket's own PDFs), rather than a
    /// full parse.
    pub fn spliced(&self) -> bool {
        matches!(self.form, Form::Spliced(_))
    }

    /// Parses a PDF fully (any layout lopdf reads).
    fn objects(pdf: &[u8]) -> Result<Form, PrintError> {
        let mut doc = Document::load_mem(pdf)?;
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        let mut media_box = None;
        // Inheritable attributes a page may take from its page-tree nodes.
        let inherited = |doc: &Document, page: ObjectId, key: &[u8]| -> Option<Object> {
            let mut node = doc.get_dictionary(page).ok()?;
            loop {
                if let Ok(v) = node.get(key) {
                    return Some(v.clone());
                }
                let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
                node = doc.get_dictionary(parent).ok()?;
            }
        };
        let mut page_objects = Vec::new();
        for &page in &pages {
            let mut dict = doc.get_dictionary(page)?.clone();
            for key in [&b"Resources"[..], b"MediaBox", b"CropBox", b"Rotate"] {
                if !dict.has(key)
                    && let Some(v) = inherited(&doc, page, key)
                {
                    dict.set(key, v);
                }
            }
            // The structure tree is not carried over: the print file is for
            // the printer, not for reading (each issued PDF keeps its own).
            dict.remove(b"StructParents");
            dict.remove(b"Parent");
            media_box = dict.get(b"MediaBox").ok().cloned().or(media_box);
            page_objects.push((page, dict));
        }
        let skip = |o: &Object| {
            let dict = match o {
                Object::Dictionary(d) => Some(d),
                Object::Stream(s) => Some(&s.dict),
                _ => None,
            };
            dict.is_some_and(|d| {
                d.get(b"Type").and_then(Object::as_name).is_ok_and(|t| {
                    matches!(
                        t,
                        b"Catalog"
                            | b"Pages"
                            | b"StructTreeRoot"
                            | b"StructElem"
                            | b"Metadata"
                            | b"Outlines"
                            | b"ObjStm"
                            | b"XRef"
                    )
                })
            })
        };
        let objects = std::mem::take(&mut doc.objects)
            .into_iter()
            .filter(|(id, o)| !skip(o) && !pages.contains(id))
            .collect();
        Ok(Form::Objects {
            objects,
            pages: page_objects,
            media_box,
        })
    }
}

/// Points every indirect reference inside `object` at its new number, or
/// replaces it with null when its object was left out.
fn renumber(object: &mut Object, numbers: &std::collections::HashMap<u32, u32>) {
    match object {
        Object::Reference(id) => match numbers.get(&id.0) {
            Some(n) => *id = (*n, 0),
            None => *object = Object::Null,
        },
        Object::Array(items) => items.iter_mut().for_each(|o| renumber(o, numbers)),
        Object::Dictionary(d) => d.iter_mut().for_each(|(_, o)| renumber(o, numbers)),
        Object::Stream(s) => s.dict.iter_mut().for_each(|(_, o)| renumber(o, numbers)),
        _ => {}
    }
}

/// Builds the print PDF document by document.
pub struct PrintWriter<W: Write> {
    sink: Sink<W>,
    next_id: u32,
    kids: Vec<u32>,
    /// The separator sheets' font, once written.
    font: Option<u32>,
}

/// An A4 media box.
fn a4() -> Object {
    Object::Array(vec![
        0.into(),
        0.into(),
        Object::Real(595.28),
        Object::Real(841.89),
    ])
}

/// `text` in Windows-1252, the encoding of the separator's standard font;
/// anything it lacks becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{A0}'..='\u{FF}' => c as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Object numbers of the catalogue and the page tree's root.
const CATALOG: u32 = 1;
const PAGES: u32 = 2;

impl<W: Write> PrintWriter<W> {
    /// Starts the PDF on `out`.
    pub fn new(out: W) -> Result<Self, PrintError> {
        let mut sink = Sink {
            out,
            written: 0,
            offsets: Vec::new(),
        };
        sink.raw(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
        Ok(Self {
            sink,
            next_id: PAGES + 1,
            kids: Vec::new(),
            font: None,
        })
    }

    /// Pages written so far.
    pub fn pages(&self) -> usize {
        self.kids.len()
    }

    /// Appends one PDF, starting on an odd page; returns its first and last
    /// page (1-based) in the print PDF. A document with an odd number of
    /// pages is followed by a blank verso.
    pub fn append(&mut self, pdf: &[u8]) -> Result<(usize, usize), PrintError> {
        self.append_parsed(Parsed::new(pdf.to_vec())?)
    }

    /// Appends a PDF read beforehand (see [`Parsed::new`], which may run on
    /// another thread).
    pub fn append_parsed(&mut self, parsed: Parsed) -> Result<(usize, usize), PrintError> {
        let Parsed { pdf, form } = parsed;
        match form {
            Form::Spliced(spliced) => self.append_spliced(&pdf, spliced),
            Form::Objects {
                objects,
                pages,
                media_box,
            } => self.append_objects(objects, pages, media_box),
        }
    }

    /// Numbers densely from the next free number, in order: the print PDF's
    /// cross-reference table then has no gaps however sparse each
    /// document's numbering was.
    fn number(&mut self, ids: impl Iterator<Item = u32>) -> std::collections::HashMap<u32, u32> {
        let mut numbers = std::collections::HashMap::with_capacity(ids.size_hint().0);
        for id in ids {
            numbers.insert(id, self.next_id);
            self.next_id += 1;
        }
        numbers
    }

    fn append_spliced(&mut self, pdf: &[u8], s: Spliced) -> Result<(usize, usize), PrintError> {
        let numbers = self.number(
            s.objects
                .iter()
                .map(|p| p.id)
                .chain(s.pages.iter().map(|p| p.id)),
        );
        // `pdf[range]` with each reference in it renumbered; one to an object
        // left out (none is, but a dangling one may be) becomes null.
        let copy = |buf: &mut Vec<u8>, range: std::ops::Range<usize>, refs: &[RefSite]| {
            let mut at = range.start;
            for r in refs {
                buf.extend_from_slice(&pdf[at..r.span.start]);
                match numbers.get(&r.target) {
                    Some(n) => {
                        let _ = write!(buf, "{n} 0 R");
                    }
                    None => buf.extend_from_slice(b"null"),
                }
                at = r.span.end;
            }
            buf.extend_from_slice(&pdf[at..range.end]);
        };
        let mut buf = Vec::with_capacity(64 * 1024);
        for piece in &s.objects {
            let id = numbers.get(&piece.id).copied().unwrap_or(0);
            buf.clear();
            writeln!(buf, "{id} 0 obj")?;
            copy(&mut buf, piece.body.clone(), &piece.refs);
            buf.extend_from_slice(b"\nendobj\n");
            self.sink.object_bytes(id, &buf)?;
        }
        let first = self.kids.len() + 1;
        for page in &s.pages {
            let id = numbers.get(&page.id).copied().unwrap_or(0);
            buf.clear();
            write!(buf, "{id} 0 obj\n<<")?;
            for entry in &page.entries {
                buf.extend_from_slice(&pdf[entry.key.clone()]);
                buf.push(b' ');
                copy(&mut buf, entry.value.clone(), &entry.refs);
            }
            write!(buf, "/Parent {PAGES} 0 R>>\nendobj\n")?;
            self.sink.object_bytes(id, &buf)?;
            self.kids.push(id);
        }
        if s.pages.len() % 2 == 1 {
            let media_box = s
                .media_box
                .map(|b| Object::Array(b.iter().map(|&v| Object::Real(v as f32)).collect()));
            self.blank(media_box)?;
        }
        Ok((first, first + s.pages.len() - 1))
    }

    fn append_objects(
        &mut self,
        mut objects: Vec<(ObjectId, Object)>,
        mut pages: Vec<(ObjectId, Dictionary)>,
        media_box: Option<Object>,
    ) -> Result<(usize, usize), PrintError> {
        // A reference to an object left out (the structure tree) becomes null.
        let numbers = self.number(
            objects
                .iter()
                .map(|(id, _)| id.0)
                .chain(pages.iter().map(|(id, _)| id.0)),
        );
        for (id, object) in &mut objects {
            *id = (numbers.get(&id.0).copied().unwrap_or(0), 0);
            renumber(object, &numbers);
        }
        for (id, dict) in &mut pages {
            *id = (numbers.get(&id.0).copied().unwrap_or(0), 0);
            for (_, v) in dict.iter_mut() {
                renumber(v, &numbers);
            }
            dict.set("Parent", Object::Reference((PAGES, 0)));
        }
        let first = self.kids.len() + 1;
        for (id, object) in &objects {
            self.sink.object(id.0, object)?;
        }
        for (page, dict) in pages.iter() {
            self.sink
                .object(page.0, &Object::Dictionary(dict.clone()))?;
            self.kids.push(page.0);
        }
        if pages.len() % 2 == 1 {
            self.blank(media_box)?;
        }
        Ok((first, first + pages.len() - 1))
    }

    /// Appends a separator sheet for the print room (not for posting): a
    /// page with a large heading and a few lines of detail, then a blank
    /// verso, so the next document still starts on an odd page. Standard
    /// Helvetica, not embedded: text outside Windows-1252 prints as `?`.
    pub fn separator(&mut self, heading: &str, lines: &[String]) -> Result<(), PrintError> {
        let font = match self.font {
            Some(f) => f,
            None => {
                let id = self.take_id();
                let mut font = Dictionary::new();
                font.set("Type", Object::Name(b"Font".to_vec()));
                font.set("Subtype", Object::Name(b"Type1".to_vec()));
                font.set("BaseFont", Object::Name(b"Helvetica-Bold".to_vec()));
                font.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
                self.sink.object(id, &Object::Dictionary(font))?;
                self.font = Some(id);
                id
            }
        };
        let mut content = Vec::new();
        // A black band across the top edge, visible on the side of a stack.
        content.extend_from_slice(b"0 g 0 781.89 595.28 60 re f\n");
        let mut text = |size: u32, y: u32, line: &str| -> io::Result<()> {
            write!(content, "BT /F1 {size} Tf 56 {y} Td <")?;
            for byte in win_ansi(line) {
                write!(content, "{byte:02X}")?;
            }
            content.extend_from_slice(b"> Tj ET\n");
            Ok(())
        };
        text(14, 740, "SEPARATOR SHEET - NOT FOR POSTING")?;
        // Long names are shortened so they stay on the page.
        let heading: String = heading.chars().take(40).collect();
        text(24, 700, &heading)?;
        let mut y = 660;
        for line in lines {
            let line: String = line.chars().take(80).collect();
            text(12, y, &line)?;
            y = y.saturating_sub(20);
        }
        let stream_id = self.take_id();
        let stream = lopdf::Stream::new(Dictionary::new(), content);
        self.sink.object(stream_id, &Object::Stream(stream))?;
        let id = self.take_id();
        let mut fonts = Dictionary::new();
        fonts.set("F1", Object::Reference((font, 0)));
        let mut resources = Dictionary::new();
        resources.set("Font", Object::Dictionary(fonts));
        let mut page = Dictionary::new();
        page.set("Type", Object::Name(b"Page".to_vec()));
        page.set("Parent", Object::Reference((PAGES, 0)));
        page.set("MediaBox", a4());
        page.set("Resources", Object::Dictionary(resources));
        page.set("Contents", Object::Reference((stream_id, 0)));
        self.sink.object(id, &Object::Dictionary(page))?;
        self.kids.push(id);
        self.blank(None)
    }

    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn blank(&mut self, media_box: Option<Object>) -> Result<(), PrintError> {
        let id = self.take_id();
        let mut page = Dictionary::new();
        page.set("Type", Object::Name(b"Page".to_vec()));
        page.set("Parent", Object::Reference((PAGES, 0)));
        page.set("MediaBox", media_box.unwrap_or_else(a4));
        page.set("Resources", Object::Dictionary(Dictionary::new()));
        self.sink.object(id, &Object::Dictionary(page))?;
        self.kids.push(id);
        Ok(())
    }

    /// Writes the page tree, catalogue, cross-reference table and trailer.
    pub fn finish(mut self) -> Result<W, PrintError> {
        let mut pages = Dictionary::new();
        pages.set("Type", Object::Name(b"Pages".to_vec()));
        pages.set(
            "Kids",
            Object::Array(
                self.kids
                    .iter()
                    .map(|&k| Object::Reference((k, 0)))
                    .collect(),
            ),
        );
        pages.set("Count", Object::Integer(self.kids.len() as i64));
        self.sink.object(PAGES, &Object::Dictionary(pages))?;
        let mut catalog = Dictionary::new();
        catalog.set("Type", Object::Name(b"Catalog".to_vec()));
        catalog.set("Pages", Object::Reference((PAGES, 0)));
        self.sink.object(CATALOG, &Object::Dictionary(catalog))?;
        let size = self.next_id;
        let mut offsets = vec![None; size as usize];
        for (id, at) in &self.sink.offsets {
            if let Some(slot) = offsets.get_mut(*id as usize) {
                *slot = Some(*at);
            }
        }
        let xref_at = self.sink.written;
        self.sink
            .raw(format!("xref\n0 {size}\n0000000000 65535 f \n").as_bytes())?;
        for slot in offsets.iter().skip(1) {
            match slot {
                Some(at) => self.sink.raw(format!("{at:010} 00000 n \n").as_bytes())?,
                None => self.sink.raw(b"0000000000 65535 f \n")?,
            }
        }
        self.sink.raw(
            format!(
                "trailer\n<< /Size {size} /Root {CATALOG} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
            )
            .as_bytes(),
        )?;
        self.sink.out.flush()?;
        Ok(self.sink.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Docket, Request};
    use lopdf::dictionary;

    /// A penalty notice rendered from its sample, as the register holds it.
    fn notice(recipient: usize) -> Vec<u8> {
        let docket = Docket::load(std::path::Path::new("letter-templates")).unwrap();
        let text =
            std::fs::read_to_string("letter-templates/penalty-notice/kpas-1/sample.json").unwrap();
        let case: serde_json::Value = serde_json::from_str(&text).unwrap();
        let checked = docket
            .check(
                &Request {
                    kind: "penalty-notice",
                    version: Some("kpas-1"),
                    as_of: None,
                    recipient: Some(recipient),
                    case: &case,
                    purpose: crate::Purpose::Proof,
                    drafts: false,
                    translation: None,
                },
                &crate::evidence::NoRecords,
            )
            .unwrap();
        docket
            .render(&checked, crate::Part::All, &crate::render::Pdf)
            .unwrap()
            .output
    }

    /// The print PDF of `pdfs`, each read by the fast reader or fully.
    fn print(pdfs: &[Vec<u8>], fast: bool) -> Vec<u8> {
        let mut writer = PrintWriter::new(Vec::new()).unwrap();
        for pdf in pdfs {
            let parsed = if fast {
                Parsed::new(pdf.clone()).unwrap()
            } else {
                Parsed {
                    form: Parsed::objects(pdf).unwrap(),
                    pdf: pdf.clone(),
                }
            };
            writer.append_parsed(parsed).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn docket_pdfs_are_spliced_and_print_as_a_full_parse_does() {
        let pdfs = vec![notice(0), notice(1)];
        for pdf in &pdfs {
            let parsed = Parsed::new(pdf.clone()).unwrap();
            assert!(
                matches!(parsed.form, Form::Spliced(_)),
                "an issued PDF takes the fast path (has Typst's PDF layout changed?)"
            );
        }
        let (fast, full) = (print(&pdfs, true), print(&pdfs, false));
        let (fast, full) = (
            Document::load_mem(&fast).unwrap(),
            Document::load_mem(&full).unwrap(),
        );
        let pages = full.get_pages();
        assert_eq!(fast.get_pages().len(), pages.len());
        for (number, id) in pages {
            let fast_id = fast.get_pages()[&number];
            // The same drawing, with the same fonts, on the same page size.
            assert_eq!(
                fast.get_page_content(fast_id).unwrap(),
                full.get_page_content(id).unwrap(),
                "page {number}"
            );
            let fonts = |doc: &Document, page| -> Vec<Vec<u8>> {
                doc.get_page_fonts(page)
                    .unwrap()
                    .values()
                    .map(|f| f.get(b"BaseFont").unwrap().as_name().unwrap().to_vec())
                    .collect()
            };
            assert_eq!(fonts(&fast, fast_id), fonts(&full, id), "page {number}");
            assert_eq!(
                fast.extract_text(&[number]).unwrap(),
                full.extract_text(&[number]).unwrap(),
                "page {number}"
            );
            let media = |doc: &Document, page| -> Vec<f32> {
                doc.get_dictionary(page)
                    .unwrap()
                    .get(b"MediaBox")
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_float().unwrap())
                    .collect()
            };
            assert_eq!(media(&fast, fast_id), media(&full, id), "page {number}");
        }
        // No structure tree or metadata is carried into the print file.
        for (_, object) in fast.objects.iter() {
            let kind = match object {
                Object::Dictionary(d) => d.get(b"Type").and_then(Object::as_name).ok(),
                Object::Stream(s) => s.dict.get(b"Type").and_then(Object::as_name).ok(),
                _ => None,
            };
            assert!(
                !matches!(kind, Some(b"StructElem" | b"StructTreeRoot" | b"Metadata")),
                "{:?} carried over",
                kind.map(String::from_utf8_lossy)
            );
        }
    }

    #[test]
    fn other_pdfs_are_parsed_fully() {
        // Attributes inherited from the page tree are not the plain layout.
        let mut doc = Document::with_version("1.5");
        let pages = doc.new_object_id();
        let content = doc.add_object(lopdf::Stream::new(Dictionary::new(), b"0 0 m".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages, "Contents" => content,
        });
        doc.objects.insert(
            pages,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 200.into(), 100.into()],
                "Resources" => Dictionary::new(),
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        let mut pdf = Vec::new();
        doc.save_to(&mut pdf).unwrap();
        let parsed = Parsed::new(pdf).unwrap();
        assert!(matches!(parsed.form, Form::Objects { .. }));
        // Its inherited media box is made the page's own, and it gets a blank verso.
        let mut writer = PrintWriter::new(Vec::new()).unwrap();
        assert_eq!(writer.append_parsed(parsed).unwrap(), (1, 1));
        let out = Document::load_mem(&writer.finish().unwrap()).unwrap();
        assert_eq!(out.get_pages().len(), 2);
        let first = out.get_pages()[&1];
        assert!(out.get_dictionary(first).unwrap().has(b"MediaBox"));
    }
}
