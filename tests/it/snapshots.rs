//! Snapshots of what every version's sample produces: the filled Typst
//! markup, the text read back from the PDF, and the PDF's SHA-256. A change
//! of wording or layout shows here as a reviewable diff (`cargo insta
//! review`), and a change of a single PDF byte shows in `pdf-sha256`.

use crate::common::{docket, samples};
use docket::Part;

/// Snapshots live in `tests/snapshots/` under their own names, whichever
/// test module takes them.
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// Text as pdf-extract reads it, each line's trailing spaces dropped and
/// runs of blank lines folded to one.
fn text_of(pdf: &[u8]) -> String {
    let raw = pdf_extract::extract_text_from_mem(pdf).expect("PDF text extracts");
    let mut out = String::new();
    let mut blank = false;
    for line in raw.lines().map(str::trim_end) {
        if line.is_empty() {
            if !blank && !out.is_empty() {
                out.push('\n');
            }
            blank = true;
            continue;
        }
        blank = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every sample of every version: its markup and its text.
#[test]
fn every_sample_renders_as_before() {
    let docket = docket();
    let mut hashes = String::new();
    for (kind, version, sample) in samples() {
        let request = crate::common::proof(&kind, Some(&version), None, &sample);
        let checked = crate::common::check_any(&request).expect("sample checks");
        let markup = docket.markup(&checked, Part::All).expect("sample fills");
        let rendered = docket
            .render(&checked, Part::All, &docket::render::Pdf)
            .expect("sample renders");
        snapshot!(format!("{kind}@{version}.typ"), markup);
        snapshot!(format!("{kind}@{version}.txt"), text_of(&rendered.output));
        hashes.push_str(&format!(
            "{kind}@{version} {}\n",
            docket::templates::sha256(&rendered.output)
        ));
    }
    snapshot!("pdf-sha256", hashes);
}

/// Every sample issued into a fresh register over HTTP: each copy's
/// reference and the SHA-256 of the PDF the register holds, or the rules
/// that refuse to issue it today.
#[tokio::test]
async fn every_sample_issues_as_before() {
    let mut lines = String::new();
    for (kind, version, sample) in samples() {
        let router = crate::common::router_for(&kind, &version);
        let path = format!("/v1/documents/{kind}?version={version}&issue=true");
        let reply = crate::common::post_raw(
            router.clone(),
            &path,
            "application/json",
            serde_json::to_vec(&sample).unwrap(),
        )
        .await;
        if reply.status == 422 {
            // A sample that is not issued today (dated in the future): its rule.
            let rules: Vec<String> = reply.json()["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["rule"].as_str().unwrap_or("-").to_owned())
                .collect();
            lines.push_str(&format!(
                "{kind}@{version} not issued: {}\n",
                rules.join(", ")
            ));
            continue;
        }
        assert_eq!(
            reply.status,
            201,
            "{path}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let references = reply.headers["docket-reference"]
            .to_str()
            .unwrap()
            .to_owned();
        for reference in references.split(", ") {
            let pdf = crate::common::get_on(&router, &format!("/v1/documents/{reference}")).await;
            lines.push_str(&format!(
                "{kind}@{version} {reference} {}\n",
                docket::templates::sha256(&pdf.body)
            ));
        }
    }
    snapshot!("issued-sha256", lines);
}

/// What a broken case is told, in order: every sample with a shape problem,
/// a problem of meaning and a refusal by a rule at once, and with its
/// required sections removed.
#[test]
fn broken_samples_are_refused_as_before() {
    let docket = docket();
    let mut out = String::new();
    for (kind, version, sample) in samples() {
        let mut broken = sample.clone();
        broken["pupil"]["upn"] = serde_json::json!("A886200012345");
        broken["pupil"]["date_of_birth"] = serde_json::json!("2005-01-01");
        broken["parents"][0]["address"]["postcode"] = serde_json::json!("QA1 1AA");
        let mut bare = sample.clone();
        if let Some(obj) = bare.as_object_mut() {
            obj.retain(|k, _| {
                ["reference", "date", "school", "pupil", "parents"].contains(&k.as_str())
            });
        }
        for (what, case) in [("broken", &broken), ("bare", &bare)] {
            let request = crate::common::proof(&kind, Some(&version), None, case);
            let got = match docket
                .check(&request, &docket::evidence::NoRecords)
                .and_then(|checked| docket.markup(&checked, Part::All))
            {
                Ok(_) => "ok".to_owned(),
                Err(docket::DocumentError::Invalid(p)) => {
                    serde_json::to_string_pretty(&p.0).unwrap()
                }
                Err(e) => format!("error: {e}"),
            };
            out.push_str(&format!("## {kind}@{version} {what}\n{got}\n"));
        }
    }
    snapshot!("refusals", out);
}
