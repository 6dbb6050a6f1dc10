//! Every document of every version is an archival, accessible PDF: PDF/A-2b
//! and PDF/UA-1 declared (court bundles: PDF/A-3b, see `is_bundle`), tagged, in British English, with a real title,
//! headings and marked table headers; and it passes `qpdf --check` and the
//! `pdfua` checker with no findings. Each also goes into the print room's
//! file page for page.
//!
//! The external checkers are installed by `scripts/setup`. Without them their
//! test says so and passes, unless `DOCKET_REQUIRE_TOOLS=1` (CI sets it), in
//! which case a missing tool fails the test.

use std::process::Command;

use crate::common::*;
use lopdf::{Document, Object};

fn render_all() -> Vec<(String, Vec<u8>)> {
    samples()
        .into_iter()
        .map(|(kind, version, sample)| {
            let pdf = render_any(&crate::common::proof(&kind, Some(&version), None, &sample))
                .unwrap_or_else(|e| panic!("{kind}@{version}: {e}"))
                .output;
            (format!("{kind}@{version}"), pdf)
        })
        .collect()
}

/// Court bundles are PDF/A-3b and claim no PDF/UA (see the renderer).
fn is_bundle(id: &str) -> bool {
    id.starts_with("prosecution-bundle@")
}

fn name_of(obj: &Object) -> String {
    match obj {
        Object::Name(n) => String::from_utf8_lossy(n).into_owned(),
        _ => String::new(),
    }
}

/// Collects the structure types used in the structure tree.
fn struct_types(doc: &Document, obj: &Object, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    let obj = match obj {
        Object::Reference(id) => match doc.get_object(*id) {
            Ok(o) => o,
            Err(_) => return,
        },
        o => o,
    };
    match obj {
        Object::Dictionary(d) => {
            if let Ok(s) = d.get(b"S") {
                out.push(name_of(s));
            }
            if let Ok(k) = d.get(b"K") {
                struct_types(doc, k, out, depth + 1);
            }
        }
        Object::Array(items) => items
            .iter()
            .for_each(|i| struct_types(doc, i, out, depth + 1)),
        _ => {}
    }
}

/// The catalogue declares what the standards require.
#[test]
fn pdfs_declare_archival_and_accessible_standards() {
    let mut tagged_kinds = std::collections::BTreeSet::new();
    for (id, pdf) in render_all() {
        let doc = Document::load_mem(&pdf).unwrap_or_else(|e| panic!("{id}: {e}"));
        let catalog = doc.catalog().unwrap();
        let lang = catalog
            .get(b"Lang")
            .and_then(Object::as_str)
            .map(|b| String::from_utf8_lossy(b).into_owned());
        assert_eq!(
            lang.ok().as_deref(),
            Some("en-GB"),
            "{id}: document language"
        );
        let mark_info = catalog
            .get_deref(b"MarkInfo", &doc)
            .and_then(Object::as_dict)
            .unwrap();
        assert_eq!(
            mark_info.get(b"Marked").and_then(Object::as_bool).ok(),
            Some(true),
            "{id}: tagged"
        );
        let prefs = catalog
            .get_deref(b"ViewerPreferences", &doc)
            .and_then(Object::as_dict)
            .unwrap();
        assert_eq!(
            prefs.get(b"DisplayDocTitle").and_then(Object::as_bool).ok(),
            Some(true),
            "{id}"
        );
        let metadata = catalog
            .get_deref(b"Metadata", &doc)
            .and_then(Object::as_stream)
            .unwrap();
        let xmp = String::from_utf8_lossy(&metadata.content);
        for claim in ["pdfaid:part", "dc:title", "docket"] {
            assert!(xmp.contains(claim), "{id}: XMP lacks {claim}");
        }
        let part = |p: &str| {
            xmp.contains(&format!("<pdfaid:part>{p}</pdfaid:part>"))
                || xmp.contains(&format!("pdfaid:part=\"{p}\""))
        };
        let ua =
            xmp.contains("<pdfuaid:part>1</pdfuaid:part>") || xmp.contains("pdfuaid:part=\"1\"");
        if is_bundle(&id) {
            // A court bundle attaches its case data and its exhibits' files
            // (PDF/A-3) and draws the exhibits on as issued: no PDF/UA claim.
            assert!(part("3"), "{id}: PDF/A-3");
            assert!(!ua, "{id}: claims PDF/UA-1");
        } else {
            assert!(part("2"), "{id}: PDF/A-2");
            assert!(ua, "{id}: PDF/UA-1");
        }
        let root = catalog.get(b"StructTreeRoot").unwrap();
        let mut types = Vec::new();
        struct_types(&doc, root, &mut types, 0);
        for want in ["H1", "P"] {
            assert!(
                types.iter().any(|t| t == want),
                "{id}: no {want} in the structure tree: {types:?}"
            );
        }
        // Every table has marked header cells and data cells.
        if types.iter().any(|t| t == "Table") {
            for want in ["TH", "TD"] {
                assert!(
                    types.iter().any(|t| t == want),
                    "{id}: a table without {want}: {types:?}"
                );
            }
        }
        tagged_kinds.extend(types);
        let info = doc
            .trailer
            .get_deref(b"Info", &doc)
            .and_then(Object::as_dict)
            .unwrap();
        let title = info
            .get(b"Title")
            .and_then(Object::as_str)
            .map(|b| b.to_vec())
            .unwrap_or_default();
        assert!(!title.is_empty(), "{id}: title");
    }
    // Across the documents, every structure the layout produces is tagged.
    for want in ["Table", "TH", "TD", "L", "LI"] {
        assert!(tagged_kinds.contains(want), "no document tags {want}");
    }
}

/// `qpdf --check` and `pdfua check` find nothing wrong with any document.
#[test]
fn external_checkers_find_nothing() {
    let (qpdf, pdfua) = (tool("qpdf"), tool("pdfua"));
    if !qpdf && !pdfua {
        return;
    }
    let dir = crate::common::Scratch::new();
    for (id, pdf) in render_all() {
        if qpdf {
            assert_qpdf_clean(&pdf, &id);
        }
        if pdfua && !is_bundle(&id) {
            let path = dir.join(format!("{}.pdf", id.replace('@', "_")));
            std::fs::write(&path, &pdf).unwrap();
            let out = Command::new("pdfua")
                .args(["check", "--format", "json"])
                .arg(&path)
                .output()
                .unwrap();
            let report: serde_json::Value =
                serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                    panic!(
                        "{id}: pdfua output is not JSON ({e}): {}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                });
            assert_eq!(
                report["summary"]["findings"], 0,
                "{id}: pdfua findings: {}",
                report["findings"]
            );
            assert!(out.status.success(), "{id}: pdfua exit {:?}", out.status);
        }
    }
}

/// Every document goes into the print room's file as it is: read by the
/// fast reader (all but court bundles, whose exhibits are drawn on after
/// Typst's export), with every page and its text, a blank verso after an
/// odd page count, and the file sound.
#[test]
fn every_document_prints_page_for_page() {
    use docket::batch::print::{Parsed, PrintWriter};
    for (id, pdf) in render_all() {
        let parsed = Parsed::new(pdf.clone()).unwrap();
        assert!(
            parsed.spliced() || is_bundle(&id),
            "{id}: the print file's fast reader did not take it"
        );
        let mut writer = PrintWriter::new(Vec::new()).unwrap();
        let (first, last) = writer.append_parsed(parsed).unwrap();
        let print = writer.finish().unwrap();
        let (original, printed) = (
            Document::load_mem(&pdf).unwrap(),
            Document::load_mem(&print).unwrap(),
        );
        let pages = original.get_pages().len();
        assert_eq!((first, last), (1, pages), "{id}");
        assert_eq!(printed.get_pages().len(), pages + pages % 2, "{id}");
        for page in 1..=pages as u32 {
            assert_eq!(
                printed.extract_text(&[page]).unwrap_or_default(),
                original.extract_text(&[page]).unwrap_or_default(),
                "{id}: page {page}"
            );
        }
        assert_qpdf_clean(&print, &format!("{id}'s print file"));
    }
}
