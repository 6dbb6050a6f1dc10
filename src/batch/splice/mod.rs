//! Reading an issued PDF for the print file without parsing all of it.
//!
//! docket's PDFs are written by one writer (Typst's, through krilla) in a
//! plain layout: a classic cross-reference table, each object `N 0 obj …
//! endobj`, no object streams. For that layout the print file needs only
//! where each object is, which objects the pages use, and where their
//! indirect references sit, so that the objects are copied byte for byte
//! with just the references renumbered. That is several times cheaper than
//! a full parse and re-serialisation, which a batch of thousands of notices
//! pays once per notice.
//!
//! [`splice`] returns `None` for anything outside that layout (an xref
//! stream, an incremental update, encryption, attributes inherited from the
//! page tree, a syntax it does not expect); the caller then parses the PDF
//! fully. It never guesses.

mod cursor;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use cursor::{Cursor, is_space};

/// An indirect reference (`12 0 R`) inside an object's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefSite {
    /// Where the reference's text is, in the PDF's bytes.
    pub span: Range<usize>,
    /// The object it points at.
    pub target: u32,
}

/// An object to copy: its text (after `N 0 obj`, before `endobj`) and the
/// references in it, in order.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    /// Its number in the source.
    pub id: u32,
    /// Its text in the PDF's bytes.
    pub body: Range<usize>,
    /// The references inside it (in the dictionary, never in stream data).
    pub refs: Vec<RefSite>,
}

/// One entry of a page's dictionary: `/Key value`.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The key, with its slash.
    pub key: Range<usize>,
    /// The value's text.
    pub value: Range<usize>,
    /// The references inside the value.
    pub refs: Vec<RefSite>,
}

/// A page: its number in the source and its entries less `/Parent` and
/// `/StructParents` (the print file has its own page tree and no
/// structure tree).
#[derive(Debug, Clone)]
pub(crate) struct PageDict {
    /// Its number in the source.
    pub id: u32,
    /// The entries to keep.
    pub entries: Vec<Entry>,
}

/// What the print file takes from one PDF.
#[derive(Debug, Clone)]
pub(crate) struct Spliced {
    /// The objects the pages use, directly or not, in source order.
    pub objects: Vec<Piece>,
    /// The pages, in order.
    pub pages: Vec<PageDict>,
    /// The first page's media box, for a blank verso of the same size.
    pub media_box: Option<[f64; 4]>,
}

/// Objects the print file never carries: the document's own catalogue,
/// page tree, structure tree, metadata and outline.
const LEFT_OUT: &[&[u8]] = &[
    b"/Catalog",
    b"/Pages",
    b"/StructTreeRoot",
    b"/StructElem",
    b"/Metadata",
    b"/Outlines",
    b"/ObjStm",
    b"/XRef",
];

/// Reads `pdf` for the print file, or `None` if it is not in the plain
/// layout this reader knows (see the module's documentation).
pub(crate) fn splice(pdf: &[u8]) -> Option<Spliced> {
    let table = xref(pdf)?;
    // Each object runs from its offset to the next one's (or the table);
    // only the objects the pages reach are read.
    let mut starts: Vec<(usize, u32)> = table.offsets.iter().map(|(&id, &at)| (at, id)).collect();
    starts.sort_unstable();
    let spans: HashMap<u32, (usize, usize)> = starts
        .iter()
        .enumerate()
        .map(|(k, &(at, id))| {
            let end = starts.get(k + 1).map_or(table.at, |&(next, _)| next);
            (id, (at, end))
        })
        .collect();
    // The object's text; `Some(None)` if it does not exist, `None` if it is
    // not where the table says.
    let body_of = |id: u32| -> Option<Option<Range<usize>>> {
        match spans.get(&id) {
            Some(&(at, end)) => body(pdf, id, at, end).map(Some),
            None => Some(None),
        }
    };
    let dict = |id: u32| -> Option<Vec<Entry>> { Cursor::new(pdf, body_of(id)??).entries() };
    // The pages, in order, from the catalogue's page tree.
    let catalog = dict(table.root)?;
    let root = single_ref(find(pdf, &catalog, b"/Pages")?)?;
    let mut pages = Vec::new();
    let mut stack = vec![root];
    let mut seen = HashSet::new();
    while let Some(node) = stack.pop() {
        if !seen.insert(node) {
            return None;
        }
        let entries = dict(node)?;
        match &pdf[find(pdf, &entries, b"/Type")?.value.clone()] {
            b"/Pages" => {
                // Inherited attributes are not followed here.
                for key in [&b"/Resources"[..], b"/MediaBox", b"/CropBox", b"/Rotate"] {
                    if find(pdf, &entries, key).is_some() {
                        return None;
                    }
                }
                let kids = find(pdf, &entries, b"/Kids")?;
                stack.extend(kids.refs.iter().rev().map(|r| r.target));
            }
            b"/Page" => {
                if find(pdf, &entries, b"/Resources").is_none()
                    || find(pdf, &entries, b"/MediaBox").is_none()
                {
                    return None;
                }
                let entries = entries
                    .into_iter()
                    .filter(|e| !matches!(&pdf[e.key.clone()], b"/Parent" | b"/StructParents"))
                    .collect();
                pages.push(PageDict { id: node, entries });
            }
            _ => return None,
        }
    }
    let page_ids: HashSet<u32> = pages.iter().map(|p| p.id).collect();
    // Everything the pages use, less what the print file leaves out.
    let mut kept: BTreeMap<u32, Piece> = BTreeMap::new();
    let mut left_out = HashSet::new();
    let mut todo: Vec<u32> = pages
        .iter()
        .flat_map(|p| {
            p.entries
                .iter()
                .flat_map(|e| e.refs.iter().map(|r| r.target))
        })
        .collect();
    while let Some(id) = todo.pop() {
        if page_ids.contains(&id) || kept.contains_key(&id) || left_out.contains(&id) {
            continue;
        }
        // A reference to an object that does not exist is null (PDF 7.3.10).
        let Some(range) = body_of(id)? else {
            left_out.insert(id);
            continue;
        };
        let mut cursor = Cursor::new(pdf, range.clone());
        let refs = if pdf[range.clone()].starts_with(b"<<") {
            let entries = cursor.entries()?;
            let kind = find(pdf, &entries, b"/Type").map(|e| &pdf[e.value.clone()]);
            if kind.is_some_and(|k| LEFT_OUT.contains(&k)) {
                left_out.insert(id);
                continue;
            }
            entries.into_iter().flat_map(|e| e.refs).collect()
        } else {
            let mut refs = Vec::new();
            cursor.value(&mut refs)?;
            refs
        };
        todo.extend(refs.iter().map(|r| r.target));
        kept.insert(
            id,
            Piece {
                id,
                body: range,
                refs,
            },
        );
    }
    let media_box = pages
        .first()
        .and_then(|p| find(pdf, &p.entries, b"/MediaBox"))
        .and_then(|e| numbers(&pdf[e.value.clone()]));
    Some(Spliced {
        objects: kept.into_values().collect(),
        pages,
        media_box,
    })
}

/// The cross-reference table: where each object starts, where the table
/// is, and the catalogue's number.
struct Table {
    offsets: HashMap<u32, usize>,
    at: usize,
    root: u32,
}

fn xref(pdf: &[u8]) -> Option<Table> {
    let tail = pdf.len().saturating_sub(1024);
    let startxref = tail + rfind(&pdf[tail..], b"startxref")?;
    let mut cursor = Cursor::new(pdf, startxref + 9..pdf.len());
    let at = usize::try_from(cursor.unsigned()?).ok()?;
    if !pdf.get(at..)?.starts_with(b"xref") {
        return None;
    }
    let mut offsets = HashMap::new();
    let mut pos = at + 4;
    loop {
        let mut cursor = Cursor::new(pdf, pos..pdf.len());
        cursor.skip_space();
        if pdf[cursor.pos..].starts_with(b"trailer") {
            pos = cursor.pos + 7;
            break;
        }
        let first = u32::try_from(cursor.unsigned()?).ok()?;
        cursor.skip_space();
        let count = usize::try_from(cursor.unsigned()?).ok()?;
        // Then the end of that line, and twenty bytes an entry.
        while pdf
            .get(cursor.pos)
            .is_some_and(|&b| b == b' ' || b == b'\r')
        {
            cursor.pos += 1;
        }
        if pdf.get(cursor.pos) != Some(&b'\n') {
            return None;
        }
        let entries = cursor.pos + 1;
        for k in 0..count {
            let entry = pdf.get(entries + 20 * k..entries + 20 * k + 20)?;
            let offset: usize = std::str::from_utf8(&entry[..10]).ok()?.parse().ok()?;
            let generation = &entry[11..16];
            match entry[17] {
                b'n' if generation == b"00000" => {
                    offsets.insert(first + u32::try_from(k).ok()?, offset);
                }
                b'n' => return None,
                _ => {}
            }
        }
        pos = entries + 20 * count;
    }
    let trailer = Cursor::new(pdf, pos..startxref).entries()?;
    for key in [&b"/Prev"[..], b"/XRefStm", b"/Encrypt"] {
        if find(pdf, &trailer, key).is_some() {
            return None;
        }
    }
    let root = single_ref(find(pdf, &trailer, b"/Root")?)?;
    Some(Table { offsets, at, root })
}

/// The text of object `id` at `at` (before `end`): after `id 0 obj`,
/// before `endobj`, without the whitespace around it.
fn body(pdf: &[u8], id: u32, at: usize, end: usize) -> Option<Range<usize>> {
    let mut cursor = Cursor::new(pdf, at..end);
    if cursor.unsigned()? != u64::from(id) {
        return None;
    }
    cursor.skip_space();
    if cursor.unsigned()? != 0 {
        return None;
    }
    cursor.skip_space();
    if !pdf[cursor.pos..end].starts_with(b"obj") {
        return None;
    }
    cursor.pos += 3;
    cursor.skip_space();
    let start = cursor.pos;
    let mut stop = start + rfind(&pdf[start..end], b"endobj")?;
    while stop > start && is_space(pdf[stop - 1]) {
        stop -= 1;
    }
    Some(start..stop)
}

fn find<'e>(pdf: &[u8], entries: &'e [Entry], key: &[u8]) -> Option<&'e Entry> {
    entries.iter().find(|e| &pdf[e.key.clone()] == key)
}

/// The object a value that is one reference points at.
fn single_ref(entry: &Entry) -> Option<u32> {
    match entry.refs.as_slice() {
        [only] if only.span == entry.value => Some(only.target),
        _ => None,
    }
}

/// `[a b c d]` as four numbers.
fn numbers(text: &[u8]) -> Option<[f64; 4]> {
    let inner = text.strip_prefix(b"[")?.strip_suffix(b"]")?;
    let parsed: Vec<f64> = std::str::from_utf8(inner)
        .ok()?
        .split_ascii_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    parsed.try_into().ok()
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small PDF in the plain layout, with `objects` numbered from 1.
    pub(crate) fn plain_pdf(objects: &[&str]) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (k, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", k + 1).as_bytes());
        }
        let at = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{at}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }

    fn text(pdf: &[u8], range: &Range<usize>) -> String {
        String::from_utf8_lossy(&pdf[range.clone()]).into_owned()
    }

    #[test]
    fn pages_and_what_they_use_nothing_else() {
        let pdf = plain_pdf(&[
            "<</Type/Catalog/Pages 2 0 R/StructTreeRoot 6 0 R>>",
            "<</Type/Pages/Count 1/Kids[3 0 R]>>",
            "<</Type/Page/Resources<</Font<</F1 4 0 R>>>>/MediaBox[0 0 595.2756 841.8898]/StructParents 0/Parent 2 0 R/Contents 5 0 R>>",
            "<</Type/Font/Name(a (nested) 9 0 R \\) string)/ToUnicode 7 0 R>>",
            "<</Length 12>>\nstream\n1 0 R endobj\nendstream",
            "<</Type/StructTreeRoot/K 3 0 R>>",
            "[8 0 R 1.5 -2 /N 0]",
            "<</Type/Metadata>>",
        ]);
        let s = splice(&pdf).expect("the plain layout is read");
        assert_eq!(s.pages.len(), 1);
        let keys: Vec<String> = s.pages[0]
            .entries
            .iter()
            .map(|e| text(&pdf, &e.key))
            .collect();
        assert_eq!(keys, ["/Type", "/Resources", "/MediaBox", "/Contents"]);
        // The font, its ToUnicode array and the content stream; not the
        // structure tree, nor metadata reached through the array.
        let ids: Vec<u32> = s.objects.iter().map(|p| p.id).collect();
        assert_eq!(ids, [4, 5, 7]);
        let font = &s.objects[0];
        assert_eq!(font.refs.len(), 1, "a reference inside a string is text");
        assert_eq!(font.refs[0].target, 7);
        assert_eq!(text(&pdf, &font.refs[0].span), "7 0 R");
        assert!(
            s.objects[1].refs.is_empty(),
            "stream data is never read as references"
        );
        assert_eq!(
            text(&pdf, &s.objects[1].body),
            "<</Length 12>>\nstream\n1 0 R endobj\nendstream"
        );
        assert_eq!(s.media_box, Some([0.0, 0.0, 595.2756, 841.8898]));
    }

    #[test]
    fn anything_unexpected_is_left_to_the_full_parser() {
        // Resources inherited from the page tree.
        let inherited = plain_pdf(&[
            "<</Type/Catalog/Pages 2 0 R>>",
            "<</Type/Pages/Count 1/Kids[3 0 R]/Resources<<>>>>",
            "<</Type/Page/MediaBox[0 0 10 10]/Parent 2 0 R>>",
        ]);
        assert!(splice(&inherited).is_none());
        // An incremental update.
        let plain = plain_pdf(&[
            "<</Type/Catalog/Pages 2 0 R>>",
            "<</Type/Pages/Count 0/Kids[]>>",
        ]);
        assert!(splice(&plain).is_some());
        let updated = String::from_utf8(plain)
            .unwrap()
            .replace("/Root 1 0 R", "/Root 1 0 R/Prev 9");
        assert!(splice(updated.as_bytes()).is_none());
        // An object not where the table says.
        let mut moved = plain_pdf(&[
            "<</Type/Catalog/Pages 2 0 R>>",
            "<</Type/Pages/Count 0/Kids[]>>",
        ]);
        moved.insert(9, b' ');
        assert!(splice(&moved).is_none());
        // A page's object is not the one the table names.
        let page = plain_pdf(&[
            "<</Type/Catalog/Pages 2 0 R>>",
            "<</Type/Pages/Count 1/Kids[3 0 R]>>",
            "<</Type/Page/Resources<<>>/MediaBox[0 0 10 10]/Parent 2 0 R>>",
        ]);
        assert!(splice(&page).is_some());
        let renamed = String::from_utf8(page)
            .unwrap()
            .replace("3 0 obj", "9 0 obj");
        assert!(splice(renamed.as_bytes()).is_none());
        // Not a PDF at all.
        assert!(splice(b"hello").is_none());
        assert!(splice(b"").is_none());
    }
}
