//! The court documents, end to end. The prosecution bundle of each edition:
//! every section in order, an index whose page numbers are where the
//! sections start, "Page x of y" on every page, a bookmark per section and
//! exhibit, the posted case attached, the exhibits attached byte for byte
//! and drawn on looking as they did when issued; each refusal rule and the
//! warnings. The ESO application statement's own rules.

use std::process::Command;
use std::sync::Arc;

use crate::common::*;
use docket::register::{EventKind, Register};
use lopdf::{Document, Object};
use serde_json::{Value, json};

const EDITIONS: &[(&str, &str)] = &[("kpas-1", "section 444(1A)"), ("pias-1", "section 444(1)")];

/// A router whose register holds the sample's documents, and the register.
fn seeded(version: &str) -> (axum::Router, Arc<Register>) {
    let docket = docket();
    let v = docket
        .templates()
        .select("prosecution-bundle", Some(version), chrono::NaiveDate::MIN)
        .unwrap();
    let register = Arc::new(Register::in_memory().unwrap());
    docket::samples::seed(&docket, &register, &v).unwrap();
    let router = docket::http::app(
        docket,
        &docket::http::ServeOptions {
            register: Some(Arc::clone(&register)),
            ..Default::default()
        },
    )
    .unwrap();
    (router, register)
}

async fn post_bundle(router: &axum::Router, version: &str, case: &Value) -> Reply {
    post_raw(
        router.clone(),
        &format!("/v1/documents/prosecution-bundle?version={version}"),
        "application/json",
        serde_json::to_vec(case).unwrap(),
    )
    .await
}

pub(crate) fn pages_text(doc: &Document) -> Vec<String> {
    let pages = doc.get_pages().len() as u32;
    (1..=pages)
        .map(|p| doc.extract_text(&[p]).unwrap_or_default())
        .collect()
}

/// The outline's titles and the page (1-based) each points to.
pub(crate) fn outline(doc: &Document) -> Vec<(String, u32)> {
    let pages: std::collections::HashMap<(u32, u16), u32> =
        doc.get_pages().into_iter().map(|(n, id)| (id, n)).collect();
    let catalog = doc.catalog().unwrap();
    let mut out = Vec::new();
    let Ok(root) = catalog
        .get_deref(b"Outlines", doc)
        .and_then(Object::as_dict)
    else {
        return out;
    };
    fn walk(
        doc: &Document,
        first: Option<&Object>,
        pages: &std::collections::HashMap<(u32, u16), u32>,
        out: &mut Vec<(String, u32)>,
    ) {
        let mut next = first.and_then(|o| o.as_reference().ok());
        while let Some(id) = next {
            let item = doc.get_dictionary(id).unwrap();
            let title = item
                .get(b"Title")
                .ok()
                .and_then(|t| match t {
                    Object::String(b, _) => Some(decode_pdf_string(b)),
                    _ => None,
                })
                .unwrap_or_default();
            let dest = item.get(b"Dest").ok().cloned().or_else(|| {
                item.get_deref(b"A", doc)
                    .ok()
                    .and_then(|a| a.as_dict().ok())
                    .and_then(|a| a.get(b"D").ok().cloned())
            });
            let dest = match dest {
                Some(Object::Reference(id)) => doc.get_object(id).ok().cloned(),
                other => other,
            };
            let page = dest
                .as_ref()
                .and_then(|d| d.as_array().ok())
                .and_then(|a| a.first())
                .and_then(|p| p.as_reference().ok())
                .and_then(|r| pages.get(&r).copied())
                .unwrap_or(0);
            out.push((title, page));
            walk(doc, item.get(b"First").ok(), pages, out);
            next = item.get(b"Next").ok().and_then(|o| o.as_reference().ok());
        }
    }
    walk(doc, root.get(b"First").ok(), &pages, &mut out);
    out
}

fn decode_pdf_string(bytes: &[u8]) -> String {
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().map(|&b| b as char).collect()
    }
}

/// The attached files: name → bytes.
pub(crate) fn attachments(doc: &Document) -> Vec<(String, Vec<u8>)> {
    let catalog = doc.catalog().unwrap();
    let names = catalog
        .get_deref(b"Names", doc)
        .and_then(Object::as_dict)
        .and_then(|n| n.get_deref(b"EmbeddedFiles", doc))
        .and_then(Object::as_dict)
        .and_then(|e| e.get_deref(b"Names", doc))
        .and_then(Object::as_array)
        .cloned()
        .unwrap_or_default();
    names
        .chunks(2)
        .filter_map(|pair| {
            let name = match &pair[0] {
                Object::String(b, _) => decode_pdf_string(b),
                _ => return None,
            };
            let spec = match &pair[1] {
                Object::Reference(id) => doc.get_dictionary(*id).ok()?,
                Object::Dictionary(d) => d,
                _ => return None,
            };
            let ef = spec.get_deref(b"EF", doc).ok()?.as_dict().ok()?;
            let stream = ef.get_deref(b"F", doc).ok()?.as_stream().ok()?;
            let bytes = stream
                .decompressed_content()
                .unwrap_or_else(|_| stream.content.clone());
            Some((name, bytes))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_sample_bundle_is_complete_and_consistent() {
    for (version, section) in EDITIONS {
        let (router, _) = seeded(version);
        let case = sample_of("prosecution-bundle", version);
        let reply = post_bundle(&router, version, &case).await;
        assert_eq!(
            reply.status,
            200,
            "{version}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.content_type(), "application/pdf");
        let doc = Document::load_mem(&reply.body).unwrap();
        let pages = pages_text(&doc);
        let total = pages.len();
        let all = fold(&pages.join(" "));

        // Every page carries its bundle page number.
        for (i, text) in pages.iter().enumerate() {
            let want = format!("Page {} of {total}", i + 1);
            assert!(
                fold(text).contains(&want),
                "{version}: page {} lacks {want:?}",
                i + 1
            );
        }

        // The sections, each bookmarked, in order, with the declaration of
        // truth, the certificate and the right section of the Act.
        let sections = [
            "Prosecution bundle",
            "Index",
            "Statement of the offence",
            "Witness statement",
            "Certificate of attendance",
            "Chronology",
            "Exhibits",
            "Evidence of parental responsibility and of compulsory school age",
            "Schedule of unused material (non-sensitive)",
        ];
        let marks = outline(&doc);
        let mut last = 0;
        for s in sections {
            let (_, page) = marks
                .iter()
                .find(|(t, _)| t == s)
                .unwrap_or_else(|| panic!("{version}: no bookmark {s:?} in {marks:?}"));
            assert!(
                *page >= last,
                "{version}: {s} (page {page}) is out of order"
            );
            assert!(
                fold(&pages[*page as usize - 1]).starts_with(s),
                "{version}: page {page} does not start with {s:?}: {}",
                pages[*page as usize - 1]
            );
            last = *page;
        }
        assert!(
            all.contains("true to the best of my knowledge and belief"),
            "{version}"
        );
        assert!(
            all.contains("section 566(1)(c) of the Education Act 1996"),
            "{version}"
        );
        assert!(
            all.contains(&format!("contrary to {section} of the Education Act 1996")),
            "{version}: {section}"
        );

        // The index's page numbers are where each section starts: read the
        // index page's rows as laid out, and compare with the bookmarks.
        if tool("pdftotext") {
            let dir = crate::common::Scratch::new();
            let path = dir.join(format!("bundle-{version}.pdf"));
            std::fs::write(&path, &reply.body).unwrap();
            let index_page = marks.iter().find(|(t, _)| t == "Index").unwrap().1;
            let out = Command::new("pdftotext")
                .args([
                    "-layout",
                    "-f",
                    &index_page.to_string(),
                    "-l",
                    &index_page.to_string(),
                ])
                .arg(&path)
                .arg("-")
                .output()
                .unwrap();
            let index = String::from_utf8_lossy(&out.stdout);
            let printed = |words: &str| -> u32 {
                let line = index
                    .lines()
                    .find(|l| l.contains(words))
                    .unwrap_or_else(|| panic!("{version}: index has no {words:?}: {index}"));
                line.split_whitespace().last().unwrap().parse().unwrap()
            };
            let at = |title: &str| marks.iter().find(|(t, _)| t.starts_with(title)).unwrap().1;
            assert_eq!(
                printed("Statement of the offence"),
                at("Statement of the offence")
            );
            assert_eq!(printed("Witness statement of"), at("Witness statement"));
            assert_eq!(
                printed("Certificate of attendance"),
                at("Certificate of attendance")
            );
            assert_eq!(printed("Chronology"), at("Chronology"));
            assert_eq!(printed("Schedule of unused"), at("Schedule of unused"));
            for e in case["prosecution"]["exhibits"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
            {
                let label_prefix = format!("/{}:", e.0 + 1);
                let line = index
                    .lines()
                    .find(|l| l.contains(&label_prefix))
                    .unwrap_or_else(|| panic!("{version}: no index row for exhibit {}", e.0 + 1));
                let page: u32 = line.split_whitespace().last().unwrap().parse().unwrap();
                let bookmark = marks
                    .iter()
                    .find(|(t, _)| t.starts_with("Exhibit ") && t.contains(&label_prefix))
                    .unwrap_or_else(|| panic!("{version}: no bookmark for exhibit {}", e.0 + 1));
                assert_eq!(page, bookmark.1, "{version}: exhibit {}", e.0 + 1);
            }
        }

        // Attached: the posted case as served (only what the prosecution
        // relies on), and each exhibit byte for byte as the register holds it.
        let files = attachments(&doc);
        let case_file = files
            .iter()
            .find(|(n, _)| n.ends_with("case.json"))
            .unwrap_or_else(|| {
                panic!(
                    "{version}: no case attachment in {:?}",
                    files.iter().map(|f| &f.0).collect::<Vec<_>>()
                )
            });
        let attached: Value = serde_json::from_slice(&case_file.1).unwrap();
        let defendant = case["prosecution"]["defendant"].as_u64().unwrap() as usize;
        assert_eq!(
            attached,
            docket::figures::bundle::served(&case, defendant),
            "{version}: the attached case differs"
        );
        for (i, parent) in attached["parents"].as_array().unwrap().iter().enumerate() {
            if i != defendant {
                assert!(
                    parent.get("address").is_none() && parent.get("language").is_none(),
                    "{version}: another parent's contact details are served: {parent}"
                );
            }
        }
        for (i, e) in case["prosecution"]["exhibits"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let reference = e["reference"].as_str().unwrap();
            let stored = get_on(&router, &format!("/v1/documents/{reference}")).await;
            assert_eq!(stored.status, 200);
            let file = files
                .iter()
                .find(|(n, _)| n.ends_with(&format!("{}.pdf", i + 1)))
                .unwrap_or_else(|| panic!("{version}: exhibit {} not attached", i + 1));
            assert!(
                file.1 == stored.body,
                "{version}: exhibit {reference} differs from the register's"
            );
            // The exhibit's own text is on its first page in the bundle.
            if tool("pdftotext") {
                let dir = crate::common::Scratch::new();
                let (b, o) = (dir.join("b.pdf"), dir.join("o.pdf"));
                std::fs::write(&b, &reply.body).unwrap();
                std::fs::write(&o, &stored.body).unwrap();
                let page = marks
                    .iter()
                    .find(|(t, _)| t.starts_with("Exhibit ") && t.contains(&format!("/{}:", i + 1)))
                    .unwrap()
                    .1;
                let own = fold(&pdftotext(&o, 1));
                let there = fold(&pdftotext(&b, page));
                // Every word of the original's page, as often as it has it
                // (text order differs a little at another scale).
                let mut words: std::collections::HashMap<&str, i32> = Default::default();
                for w in there.split(' ') {
                    *words.entry(w).or_default() += 1;
                }
                for w in own.split(' ') {
                    let n = words.entry(w).or_default();
                    *n -= 1;
                    assert!(
                        *n >= 0,
                        "{version}: {reference}: {w:?} is missing from page {page}:\n{there}"
                    );
                }
            }
        }

        // Deterministic.
        let again = post_bundle(&router, version, &case).await;
        assert!(again.body == reply.body, "{version}: two renders differ");
    }
}

fn pdftotext(pdf: &std::path::Path, page: u32) -> String {
    let out = Command::new("pdftotext")
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A greyscale page image from pdftoppm (binary PGM), at `dpi`.
fn page_image(pdf: &std::path::Path, page: u32, dpi: f64) -> (usize, usize, Vec<u8>) {
    let out = Command::new("pdftoppm")
        .args([
            "-gray",
            "-r",
            &dpi.to_string(),
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(pdf)
        .output()
        .unwrap();
    assert!(out.status.success());
    let data = out.stdout;
    // P5\n<w> <h>\n<max>\n<bytes>
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while data[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !data[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..at]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, data[at + 1..at + 1 + w * h].to_vec())
}

/// The exhibit drawn into the bundle looks as the document issued did:
/// the bundle's page, cropped to the exhibit's box, against the original
/// page rendered at the box's scale, compared block by block.
#[tokio::test(flavor = "multi_thread")]
async fn an_exhibit_looks_as_it_was_issued() {
    if !tool("pdftoppm") {
        return;
    }
    let version = "kpas-1";
    let (router, _) = seeded(version);
    let case = sample_of("prosecution-bundle", version);
    let bundle = post_bundle(&router, version, &case).await;
    assert_eq!(bundle.status, 200);
    let doc = Document::load_mem(&bundle.body).unwrap();
    let first = outline(&doc)
        .into_iter()
        .find(|(t, _)| t.starts_with("Exhibit "))
        .unwrap()
        .1;
    let reference = case["prosecution"]["exhibits"][0]["reference"]
        .as_str()
        .unwrap();
    let original = get_on(&router, &format!("/v1/documents/{reference}")).await;
    let dir = crate::common::Scratch::new();
    let (b, o) = (dir.join("bundle.pdf"), dir.join("original.pdf"));
    std::fs::write(&b, &bundle.body).unwrap();
    std::fs::write(&o, &original.body).unwrap();
    // 144 dpi for the bundle; the exhibit is drawn at 523.8/595.28 of its
    // size, so the original at that fraction of 144 dpi has the same scale.
    let dpi = 144.0;
    let scale = 523.8 / 595.276;
    let (bw, _, bundle_px) = page_image(&b, first, dpi);
    let (ow, oh, original_px) = page_image(&o, 1, dpi * scale);
    let (x0, y0) = ((35.74 * dpi / 72.0) as usize, (50.0 * dpi / 72.0) as usize);
    // Compare 8x8 blocks' mean greys: anti-aliasing at sub-pixel offsets
    // differs, the content does not.
    let block = 8;
    let mut worst = 0.0_f64;
    let mut ink = 0usize;
    // The outermost blocks hold the thin frame the bundle draws round each
    // exhibit page (in the exhibit's blank margin): compare inside it.
    for by in 1..(oh / block - 2) {
        for bx in 1..(ow / block - 2) {
            let mean = |px: &[u8], w: usize, ox: usize, oy: usize| {
                let mut sum = 0u64;
                for y in 0..block {
                    for x in 0..block {
                        sum += u64::from(px[(oy + by * block + y) * w + ox + bx * block + x]);
                    }
                }
                sum as f64 / (block * block) as f64
            };
            let a = mean(&original_px, ow, 0, 0);
            let c = mean(&bundle_px, bw, x0, y0);
            if a < 250.0 {
                ink += 1;
            }
            worst = worst.max((a - c).abs());
        }
    }
    assert!(
        ink > 100,
        "the original page has hardly any ink: {ink} blocks"
    );
    assert!(worst < 40.0, "a block differs by {worst} grey levels");
}

/// A case the rules refuse: the problems' rules.
async fn refused(router: &axum::Router, version: &str, case: &Value) -> Vec<String> {
    let reply = post_bundle(router, version, case).await;
    assert_eq!(
        reply.status,
        422,
        "{version}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.content_type(), "application/problem+json");
    reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["rule"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_bundle_is_refused_by_each_rule() {
    for (version, _) in EDITIONS {
        let (router, register) = seeded(version);
        let sample = sample_of("prosecution-bundle", version);

        // An exhibit the register does not hold.
        let mut case = sample.clone();
        case["prosecution"]["exhibits"]
            .as_array_mut()
            .unwrap()
            .push(json!({"reference": "DK26-999999A"}));
        assert!(
            refused(&router, version, &case)
                .await
                .contains(&"bundle.exhibit-not-found".to_owned())
        );

        // An exhibit about another pupil.
        let other = sample_of("family-meeting-invitation", "kpas-1");
        let copies = docket::issue::issue(
            &docket(),
            &register,
            &docket::Request {
                kind: "family-meeting-invitation",
                version: Some("kpas-1"),
                as_of: None,
                recipient: Some(0),
                case: &other,
                purpose: docket::Purpose::Issue,
                drafts: false,
                translation: None,
            },
            docket::issue::Issuer::new(&docket::access::Actor::cli("test")),
        )
        .unwrap();
        let mut case = sample.clone();
        case["prosecution"]["exhibits"]
            .as_array_mut()
            .unwrap()
            .push(json!({"reference": copies[0].reference}));
        // Another pupil's document is refused as one that does not exist:
        // a bundle cannot tell whose a reference is.
        assert!(
            refused(&router, version, &case)
                .await
                .contains(&"bundle.exhibit-not-found".to_owned())
        );

        // No record that an ESO was considered (s447).
        let mut case = sample.clone();
        case["prosecution"]
            .as_object_mut()
            .unwrap()
            .remove("eso_considered");
        assert!(
            refused(&router, version, &case)
                .await
                .contains(&"s447.eso-considered".to_owned())
        );

        // A period outside compulsory school age: the child too young.
        let mut case = sample.clone();
        let from = case["prosecution"]["offence_from"]
            .as_str()
            .unwrap()
            .to_owned();
        let year: i32 = from[..4].parse().unwrap();
        case["pupil"]["date_of_birth"] = json!(format!("{}-01-01", year - 3));
        assert!(
            refused(&router, version, &case)
                .await
                .contains(&"s444.compulsory-school-age".to_owned())
        );

        // No session-level register data for the period.
        let mut case = sample.clone();
        let from = case["prosecution"]["offence_from"]
            .as_str()
            .unwrap()
            .to_owned();
        let to = case["prosecution"]["offence_to"]
            .as_str()
            .unwrap()
            .to_owned();
        case["attendance"]["sessions"]
            .as_array_mut()
            .unwrap()
            .retain(|m| {
                let d = m["date"].as_str().unwrap();
                d < from.as_str() || d > to.as_str()
            });
        assert!(
            refused(&router, version, &case)
                .await
                .contains(&"s444.register-data".to_owned())
        );

        // A penalty notice for this offence period, paid or withdrawn.
        for paid in [true, false] {
            let reference = issue_notice_for_period(&register, &sample);
            // Paid as the notice asks, on the day it is taken to arrive.
            let notice = register.get(&reference).unwrap();
            let on = notice.served_on.unwrap_or(notice.issued_on);
            let terms = register.terms(&reference).unwrap().unwrap();
            let due = docket::rules::events::amount_due(&terms, on).unwrap();
            let event = if paid {
                json!({"event": "paid", "amount_pence": due.amount_pence, "on": on})
            } else {
                json!({"event": "withdrawn", "ground": "material-error", "reason": "issued in error", "on": on})
            };
            let event: EventKind = serde_json::from_value(event).unwrap();
            register
                .add_event(
                    &reference,
                    &event,
                    &docket::access::Actor::cli("test"),
                    chrono::Local::now().date_naive(),
                )
                .unwrap();
            let rules = refused(&router, version, &sample).await;
            assert!(
                rules.contains(&"bundle.penalty-notice-settled".to_owned()),
                "{version}: {rules:?}"
            );
            // Only that notice: void it from the test's view by a fresh register.
            let (fresh, _) = seeded(version);
            assert_eq!(post_bundle(&fresh, version, &sample).await.status, 200);
        }
    }

    // KPAS: prosecution under s444(1A) only, and an interview offered first.
    let (router, _) = seeded("kpas-1");
    let sample = sample_of("prosecution-bundle", "kpas-1");
    let mut case = sample.clone();
    case["prosecution"]["offence"] = json!("s444(1)");
    assert!(
        refused(&router, "kpas-1", &case)
            .await
            .contains(&"bundle.offence-edition".to_owned())
    );
    let mut case = sample.clone();
    case["prosecution"]
        .as_object_mut()
        .unwrap()
        .remove("interview");
    assert!(
        refused(&router, "kpas-1", &case)
            .await
            .contains(&"bundle.pace-offered".to_owned())
    );

    // The defendant must be a parent under s576.
    let mut case = sample.clone();
    let defendant = case["prosecution"]["defendant"].as_u64().unwrap() as usize;
    case["parents"][defendant]["relationship"] = json!("step-parent");
    case["parents"][defendant]["parental_responsibility"] = json!(false);
    assert!(
        refused(&router, "kpas-1", &case)
            .await
            .contains(&"pn.parent-basis".to_owned())
    );

    // Six months from the last day of the offence period (MCA 1980 s127):
    // a bundle dated after them is refused; within 28 days of them, warned.
    let offence_to: chrono::NaiveDate =
        serde_json::from_value(sample["prosecution"]["offence_to"].clone()).unwrap();
    let laid_by = offence_to
        .checked_add_months(chrono::Months::new(6))
        .unwrap();
    let mut late = sample.clone();
    late["date"] = json!(laid_by.succ_opt().unwrap());
    assert!(
        refused(&router, "kpas-1", &late)
            .await
            .contains(&"mca.s127-time-limit".to_owned())
    );
    let mut close = sample.clone();
    close["date"] = json!(laid_by);
    let request = proof("prosecution-bundle", Some("kpas-1"), None, &close);
    let warnings = check_any(&request).unwrap().warnings();
    assert!(
        warnings.iter().any(|w| w.rule == "mca.s127-time-limit"),
        "{warnings:?}"
    );
    let request = proof("prosecution-bundle", Some("kpas-1"), None, &sample);
    assert!(
        !check_any(&request)
            .unwrap()
            .warnings()
            .iter()
            .any(|w| w.rule == "mca.s127-time-limit")
    );
}

/// Issues a penalty notice to the bundle's defendant for its offence period
/// straight into the register (as the Courts Team would have), by way of the
/// penalty notice sample of the same edition.
fn issue_notice_for_period(register: &Register, bundle: &Value) -> String {
    let edition = if bundle["date"].as_str().unwrap() < "2024-09-01" {
        "pias-1"
    } else {
        "kpas-1"
    };
    let mut pn = sample_of("penalty-notice", edition);
    for key in ["school", "pupil", "attendance", "date"] {
        pn[key] = bundle[key].clone();
    }
    let defendant = bundle["prosecution"]["defendant"].as_u64().unwrap() as usize;
    pn["parents"] = json!([bundle["parents"][defendant].clone()]);
    pn["penalty"]["offence_from"] = bundle["prosecution"]["offence_from"].clone();
    pn["penalty"]["offence_to"] = bundle["prosecution"]["offence_to"].clone();
    pn["penalty"]["grounds"] = json!("unauthorised-absence");
    pn["penalty"]["notice_to_improve_issued_on"] = bundle["prosecution"]["offence_from"].clone();
    pn["penalty"]["requested_on"] = bundle["date"].clone();
    pn["penalty"]["notices"] = json!([{"parent": 0, "previous_notices": []}]);
    let docket = docket();
    match docket::issue::issue(
        &docket,
        register,
        &docket::Request {
            kind: "penalty-notice",
            version: Some(edition),
            as_of: None,
            recipient: None,
            case: &pn,
            purpose: docket::Purpose::Issue,
            drafts: false,
            translation: None,
        },
        docket::issue::Issuer::new(&docket::access::Actor::cli("test")),
    ) {
        Ok(copies) => copies[0].reference.clone(),
        Err(e) => {
            // The notice's own rules may refuse the made-up case; record the
            // notice straight into the register then.
            let reference = register
                .reserve(
                    docket::register::Series::PenaltyNotice,
                    chrono::NaiveDate::parse_from_str(bundle["date"].as_str().unwrap(), "%Y-%m-%d")
                        .unwrap(),
                )
                .unwrap();
            let case_json = pn.to_string();
            let parent = &bundle["parents"][defendant];
            let name = format!(
                "{} {}",
                parent["given_names"].as_str().unwrap(),
                parent["family_name"].as_str().unwrap()
            );
            eprintln!("penalty notice stored directly ({e})");
            let issued_on =
                chrono::NaiveDate::parse_from_str(bundle["date"].as_str().unwrap(), "%Y-%m-%d")
                    .unwrap();
            let terms = docket::rules::penalty::Terms {
                sequence: 1,
                received_on: issued_on,
                period_count: docket::rules::penalty::PeriodCount::BeginningWithReceipt,
                payments: vec![docket::rules::penalty::Payment {
                    amount_pence: 16000,
                    pay_by: issued_on + chrono::Days::new(28),
                    within_days: 28,
                }],
            };
            register
                .store(&docket::register::NewDocument {
                    reference: &reference,
                    kind: "penalty-notice",
                    version: edition,
                    template_hash: "sha256:test",
                    case_json: &case_json,
                    case_hash: "sha256:test",
                    case_reference: "TEST",
                    pupil_upn: bundle["pupil"]["upn"].as_str().unwrap(),
                    school: "",
                    recipient_index: Some(0),
                    recipient_name: &name,
                    recipient_postcode: "",
                    issued_on: chrono::NaiveDate::parse_from_str(
                        bundle["date"].as_str().unwrap(),
                        "%Y-%m-%d",
                    )
                    .unwrap(),
                    served_on: Some(issued_on),
                    pdf: b"%PDF-1.7 test",
                    warnings: &[],
                    terms: Some(&terms),
                    by: &docket::access::Actor::cli("test"),
                    school_urn: None,
                    batch: None,
                })
                .unwrap();
            reference
        }
    }
}

/// Weaker gaps are warnings: the bundle is made, and the rules named in
/// `Docket-Warnings` and in the issued bundle's status.
#[tokio::test]
async fn weaker_gaps_are_warnings() {
    let (router, _) = seeded("kpas-1");
    let mut case = sample_of("prosecution-bundle", "kpas-1");
    let offer = case["prosecution"]["interview"]["offer_reference"].clone();
    case["prosecution"]["exhibits"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["reference"] != offer);
    // Not exhibited, so scheduled as unused: a bundle relies on nothing it
    // neither produces nor schedules.
    case["prosecution"]["unused_material"]
        .as_array_mut()
        .unwrap()
        .push(json!({"description": "The letter offering the interview", "location": "KPAS Courts Team register", "reference": offer}));
    let reply = post_raw(
        router.clone(),
        "/v1/documents/prosecution-bundle?version=kpas-1&issue=true",
        "application/json",
        serde_json::to_vec(&case).unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let warnings = reply.headers["docket-warnings"].to_str().unwrap();
    assert!(
        warnings.contains("bundle.interview-offer-not-exhibited"),
        "{warnings}"
    );
    let reference = reply.headers["docket-reference"].to_str().unwrap();
    let status = get_on(&router, &format!("/v1/documents/{reference}/status"))
        .await
        .json();
    assert_eq!(status["kind"], "prosecution-bundle");
    assert!(
        status["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["rule"] == "bundle.interview-offer-not-exhibited"),
        "{status}"
    );
    // The issued bundle reads back byte for byte.
    let back = get_on(&router, &format!("/v1/documents/{reference}")).await;
    assert!(back.body == reply.body);
}

/// The `bundle.inconsistent-figures` warnings of a checked bundle.
fn disagreements(checked: &docket::Checked) -> Vec<String> {
    checked
        .warnings()
        .into_iter()
        .filter(|w| w.rule == "bundle.inconsistent-figures")
        .map(|w| w.detail)
        .collect()
}

/// One case, one story: an exhibit that stated other figures than the
/// bundle's case (the child's date of birth; the sessions of the same
/// period) is named in a warning with both values.
#[tokio::test]
async fn exhibits_that_disagree_with_the_case_are_named() {
    let (router, _) = seeded("kpas-1");
    let sample = sample_of("prosecution-bundle", "kpas-1");
    let warnings_of = |reply: &Reply| -> Vec<String> {
        reply.headers["docket-warnings"]
            .to_str()
            .unwrap_or("")
            .split(',')
            .map(|w| w.trim().to_owned())
            .collect()
    };
    let agreed = post_bundle(&router, "kpas-1", &sample).await;
    assert_eq!(agreed.status, 200);
    assert!(
        !agreed
            .headers
            .get("docket-warnings")
            .is_some_and(|w| w.to_str().unwrap().contains("bundle.inconsistent-figures")),
        "the sample's exhibits agree with it"
    );
    let mut case = sample.clone();
    case["pupil"]["date_of_birth"] = json!("2013-02-18");
    let reply = post_bundle(&router, "kpas-1", &case).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(
        warnings_of(&reply)
            .iter()
            .any(|w| w.contains("bundle.inconsistent-figures")),
        "{:?}",
        reply.headers.get("docket-warnings")
    );
    let request = proof("prosecution-bundle", Some("kpas-1"), None, &case);
    let details = disagreements(&check_any(&request).unwrap());
    // Every exhibit from the register (five) stated 17 February 2013.
    assert_eq!(details.len(), 5, "{details:#?}");
    assert!(details[0].contains("17 February 2013") && details[0].contains("18 February 2013"));
    // An exhibit that stated other sessions for the same period: the AIM
    // invitation, issued with 72 possible sessions where the case has 70.
    let text = docket()
        .templates()
        .select("prosecution-bundle", Some("kpas-1"), chrono::NaiveDate::MIN)
        .unwrap()
        .sample_register
        .clone()
        .unwrap();
    let mut documents: Vec<Value> = serde_json::from_str(&text).unwrap();
    let register = Register::in_memory().unwrap();
    for d in &mut documents {
        if d["kind"] == "aim-invitation" {
            d["case"]["attendance"]["possible_sessions"] = json!(72);
        }
        let copies = docket::issue::issue(
            &docket(),
            &register,
            &docket::Request {
                kind: d["kind"].as_str().unwrap(),
                version: d["version"].as_str(),
                as_of: None,
                recipient: d["recipient"].as_u64().map(|r| r as usize),
                case: &d["case"],
                purpose: docket::Purpose::Issue,
                drafts: true,
                translation: None,
            },
            docket::issue::Issuer::new(&docket::access::Actor::cli("test")),
        )
        .unwrap();
        for event in d["events"].as_array().into_iter().flatten() {
            let event: EventKind = serde_json::from_value(event.clone()).unwrap();
            register
                .add_event(
                    &copies[0].reference,
                    &event,
                    &docket::access::Actor::cli("test"),
                    chrono::Local::now().date_naive(),
                )
                .unwrap();
        }
    }
    let request = proof("prosecution-bundle", Some("kpas-1"), None, &sample);
    let details = disagreements(&docket().check(&request, &register).unwrap());
    assert_eq!(details.len(), 1, "{details:#?}");
    assert!(
        details[0].contains("states 72 possible sessions") && details[0].contains("states 70"),
        "{details:#?}"
    );
}

/// `docket render prosecution-bundle --data case.json --db register -o
/// bundle.pdf` reads the exhibits from the register on disk.
#[test]
fn the_command_line_renders_a_bundle_from_the_register() {
    let dir = crate::common::Scratch::new();
    let db = dir.join("register.db");
    let docket = docket();
    let v = docket
        .templates()
        .select("prosecution-bundle", Some("kpas-1"), chrono::NaiveDate::MIN)
        .unwrap();
    {
        let register = Register::open(&db).unwrap();
        docket::samples::seed(&docket, &register, &v).unwrap();
    }
    let data = templates_dir().join("prosecution-bundle/kpas-1/sample.json");
    let render = |db: &std::path::Path, out: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_docket"))
            .arg("--templates")
            .arg(templates_dir())
            .args([
                "render",
                "prosecution-bundle",
                "--version",
                "kpas-1",
                "--data",
            ])
            .arg(&data)
            .arg("--db")
            .arg(db)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap()
    };
    let out = dir.join("bundle.pdf");
    assert!(render(&db, &out).status.success());
    let text = pdf_text(&std::fs::read(&out).unwrap());
    assert!(text.contains("Certificate of attendance"));
    // Against an empty register, the exhibits are missing: refused.
    let output = render(&dir.join("empty.db"), &dir.join("no.pdf"));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("[bundle.exhibit-not-found]"));
}

/// The ESO application: the child must not be looked after, must be of
/// compulsory school age, and a first order lasts a year at most.
#[tokio::test]
async fn the_eso_application_has_its_rules() {
    for version in ["kpas-1", "pias-1"] {
        let sample = sample_of("eso-application", version);
        let text = fold(&pdf_text(
            &post_json(
                &format!("/v1/documents/eso-application?version={version}"),
                &sample,
            )
            .await
            .body,
        ));
        assert!(text.contains("education supervision order"), "{version}");
        assert!(text.contains("section 36"), "{version}");
        let post = |case: Value| async move {
            let reply = post_json(
                &format!("/v1/documents/eso-application?version={version}"),
                &case,
            )
            .await;
            assert_eq!(reply.status, 422);
            reply.json()["errors"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["rule"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let mut case = sample.clone();
        case["eso"]["looked_after"] = json!(true);
        assert!(post(case).await.contains(&"eso.looked-after".to_owned()));
        let mut case = sample.clone();
        case["eso"]["duration_months"] = json!(18);
        assert!(post(case).await.contains(&"eso.duration".to_owned()));
        let mut case = sample.clone();
        let year: i32 = sample["date"].as_str().unwrap()[..4].parse().unwrap();
        case["pupil"]["date_of_birth"] = json!(format!("{}-01-01", year - 17));
        assert!(
            post(case)
                .await
                .contains(&"eso.compulsory-school-age".to_owned())
        );
    }
}

/// LGO 21 010 042: from prosecution-bundle kpas-3, no bundle without the
/// decision to prosecute its defendant on record; a bundle of an earlier
/// version is made with a warning, as it was published before the record
/// existed. The record, once issued, is in the chronology and the index.
#[tokio::test]
async fn a_bundle_needs_the_decision_to_prosecute_on_record() {
    // The kpas-2 sample's register has no decision record.
    let (router, _register) = seeded("kpas-2");
    let sample = sample_of("prosecution-bundle", "kpas-3");
    assert!(
        refused(&router, "kpas-3", &sample)
            .await
            .contains(&"bundle.decision-record".to_owned())
    );
    let older = sample_of("prosecution-bundle", "kpas-2");
    let reply = post_bundle(&router, "kpas-2", &older).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let warned = reply.headers["docket-warnings"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(warned.contains("bundle.decision-record"), "{warned}");
    // With the record (the kpas-3 sample's register): made, and listed.
    let (router, _register) = seeded("kpas-3");
    let reply = post_bundle(&router, "kpas-3", &sample).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let text = fold(&pdf_text(&reply.body));
    assert!(
        text.contains("The decision to prosecute Mrs Donna Garside was made on 2 December 2026"),
        "{text}"
    );
    assert!(
        text.contains("Record of the decision to prosecute made"),
        "{text}"
    );
}
