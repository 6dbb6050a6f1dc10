//! Every document of every version is an archival, accessible PDF: PDF/A-2b
//! and PDF/UA-1 declared (court bundles: PDF/A-3b, and PDF/UA-1 from
//! kpas-2, see `is_bundle` and `claims_ua`), tagged, in British English, with a real title,
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

/// Court bundles are PDF/A-3b (see the renderer).
fn is_bundle(id: &str) -> bool {
    id.starts_with("prosecution-bundle@") || id.starts_with("sjp-notice@")
}

/// Every document claims PDF/UA-1 except the bundles published before
/// their exhibits were tagged (they stay as they were issued).
fn claims_ua(id: &str) -> bool {
    !["prosecution-bundle@pias-1", "prosecution-bundle@kpas-1"].contains(&id)
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
            // (PDF/A-3).
            assert!(part("3"), "{id}: PDF/A-3");
        } else {
            assert!(part("2"), "{id}: PDF/A-2");
        }
        assert_eq!(ua, claims_ua(&id), "{id}: the PDF/UA-1 claim");
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
        if pdfua && claims_ua(&id) {
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

/// An accessible bundle (kpas-2) tags every exhibit page it draws: the
/// drawn page is a `/Figure` marked-content sequence whose MCID the page's
/// parent-tree array maps to a figure structure element, and that figure's
/// alternative text is the exhibit page's own text.
#[test]
fn an_accessible_bundle_tags_each_exhibit_page_as_a_figure_with_its_text() {
    let sample = samples()
        .into_iter()
        .find(|(k, v, _)| k == "prosecution-bundle" && v == "kpas-2")
        .expect("the kpas-2 bundle sample")
        .2;
    let request = proof("prosecution-bundle", Some("kpas-2"), None, &sample);
    let checked = check_any(&request).unwrap();
    let figures = checked.figures().bundle.clone().expect("bundle figures");
    let pdf = render_any(&request).unwrap().output;
    if let Some(path) = std::env::var_os("DOCKET_KEEP_BUNDLE") {
        std::fs::write(path, &pdf).unwrap();
    }
    let doc = Document::load_mem(&pdf).unwrap();
    let root = doc
        .catalog()
        .unwrap()
        .get(b"StructTreeRoot")
        .unwrap()
        .as_reference()
        .unwrap();
    let parent_tree = doc
        .get_dictionary(root)
        .unwrap()
        .get_deref(b"ParentTree", &doc)
        .and_then(Object::as_dict)
        .unwrap()
        .clone();
    let nums = parent_tree
        .get(b"Nums")
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let marked = regex::bytes::Regex::new(
        r"/Figure <</MCID (\d+)>> BDC\nq [^\n]* /DocketOverlay\d+ Do Q\nEMC",
    )
    .unwrap();
    let mut drawn = 0;
    let mut alts = Vec::new();
    for (_, page) in doc.get_pages() {
        let content = doc.get_page_content(page).unwrap();
        let Some(found) = marked.captures(&content) else {
            assert!(
                !content.windows(14).any(|w| w == b"/DocketOverlay"),
                "an exhibit page drawn without its tag"
            );
            continue;
        };
        drawn += 1;
        let mcid: usize = std::str::from_utf8(&found[1]).unwrap().parse().unwrap();
        let key = doc
            .get_dictionary(page)
            .unwrap()
            .get(b"StructParents")
            .unwrap()
            .as_i64()
            .unwrap();
        let list = nums
            .chunks(2)
            .find(|pair| pair[0].as_i64().ok() == Some(key))
            .map(|pair| pair[1].as_reference().unwrap())
            .expect("the page's parent-tree entry");
        let figure = doc.get_object(list).unwrap().as_array().unwrap()[mcid]
            .as_reference()
            .unwrap();
        let element = doc.get_dictionary(figure).unwrap();
        assert_eq!(element.get(b"S").unwrap().as_name().unwrap(), b"Figure");
        let kids = element.get(b"K").unwrap().as_array().unwrap();
        assert!(
            kids.iter().any(|k| k.as_dict().is_ok_and(|mcr| {
                mcr.get(b"MCID").and_then(Object::as_i64).ok() == Some(mcid as i64)
                    && mcr.get(b"Pg").and_then(Object::as_reference).ok() == Some(page)
            })),
            "the figure does not hold the drawn page"
        );
        alts.push(lopdf::decode_text_string(element.get(b"Alt").unwrap()).unwrap());
    }
    let exhibits: Vec<_> = figures.exhibits.iter().filter(|e| e.pages > 0).collect();
    assert_eq!(drawn, exhibits.iter().map(|e| e.pages).sum::<usize>());
    let mut alts = alts.into_iter();
    for e in exhibits {
        for (n, text) in e.page_text.iter().enumerate() {
            let alt = alts.next().unwrap();
            assert_eq!(
                alt,
                format!(
                    "Exhibit {}, page {} of {}, as issued: {text}",
                    e.label,
                    n + 1,
                    e.pages
                )
            );
            // The page's own words, not a placeholder.
            assert!(text.split(' ').count() > 20, "{}: {text}", e.label);
            assert!(!text.contains("could not be read"), "{text}");
        }
    }
}
