//! End-to-end: every template version renders its sample through the real
//! router and the real Typst compile, and the PDF's text says what it must.

use crate::common::*;

/// Every version of every kind renders its sample, and the PDF names the
/// pupil, each recipient and the school.
#[tokio::test]
async fn every_sample_renders_with_its_names() {
    for (kind, version, sample) in samples() {
        let pdfs = post_for_pdfs_with(
            router_for(&kind, &version),
            &format!("/v1/documents/{kind}?version={version}"),
            &sample,
        )
        .await;
        let mut text = String::new();
        for reply in &pdfs {
            assert_eq!(reply.content_type(), "application/pdf");
            assert_eq!(
                reply.headers["docket-template"],
                format!("{kind}@{version}").as_str()
            );
            assert!(reply.body.starts_with(b"%PDF-"));
            text.push_str(&pdf_text(&reply.body));
        }
        let pupil = &sample["pupil"];
        for name in [&pupil["family_name"], &sample["school"]["name"]] {
            let name = name.as_str().unwrap();
            assert!(
                text.contains(name),
                "{kind}@{version}: {name:?} not in {text}"
            );
        }
        for parent in sample["parents"].as_array().unwrap() {
            if parent["parental_responsibility"] == true {
                let name = format!(
                    "{} {}",
                    parent["given_names"].as_str().unwrap(),
                    parent["family_name"].as_str().unwrap()
                );
                assert!(
                    text.contains(&name),
                    "{kind}@{version}: {name:?} not in {text}"
                );
            }
        }
    }
}

/// The absence concern letter prints the figures the rules computed.
#[tokio::test]
async fn absence_concern_letter_prints_computed_figures() {
    let sample: serde_json::Value = sample_of("absence-concern-letter", "kpas-1");
    let reply = post_json(
        "/v1/documents/absence-concern-letter?version=kpas-1",
        &sample,
    )
    .await;
    let text = pdf_text(&reply.body);
    // 104 possible, 9 + 6 absent: 89 present, 85.6% attendance, 14.4% absence.
    for want in [
        "104",
        "89",
        "85.6%",
        "14.4%",
        "7.5 school days",
        "persistent absence",
        "23 November 2026",
        "Page 1 of 2",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
}

/// Two identical requests give byte-identical PDFs.
#[tokio::test]
async fn output_is_deterministic() {
    // Rendered directly: over HTTP a penalty notice is issued, and each
    // issue rightly gets a new number.
    for (kind, version, sample) in samples() {
        let render = || {
            render_any(&crate::common::proof(&kind, Some(&version), None, &sample))
                .unwrap()
                .output
        };
        assert!(
            render() == render(),
            "{kind}@{version} differs between two renders"
        );
    }
}

/// One copy per parent with parental responsibility, each numbered on its
/// own; `?recipient=` picks one.
#[tokio::test]
async fn one_copy_per_recipient() {
    let sample: serde_json::Value = sample_of("absence-concern-letter", "kpas-1");
    let all = post_json("/v1/documents/absence-concern-letter", &sample).await;
    assert_eq!(all.headers["docket-copies"], "2");
    let text = pdf_text(&all.body);
    assert!(
        text.contains("Dear Ms Brown") && text.contains("Dear Mr Wiśniewski"),
        "{text}"
    );
    let one = post_json("/v1/documents/absence-concern-letter?recipient=1", &sample).await;
    assert_eq!(one.headers["docket-copies"], "1");
    let text = pdf_text(&one.body);
    assert!(
        text.contains("Dear Mr Wiśniewski") && !text.contains("Dear Ms Brown"),
        "{text}"
    );
    let missing = post_json("/v1/documents/absence-concern-letter?recipient=5", &sample).await;
    assert_eq!(missing.status, 422);
}
