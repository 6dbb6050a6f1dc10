//! The HTTP API's contract: listings, samples, version selection, and the
//! RFC 9457 problem responses for every kind of bad request.

use std::time::Duration;

use crate::common::*;
use axum::body::Body;
use axum::http::Request;
use docket::http::{ServeOptions, app};
use serde_json::{Value, json};

fn acl_sample() -> serde_json::Value {
    sample_of("absence-concern-letter", "kpas-1")
}

fn assert_problem(reply: &Reply, status: u16) -> serde_json::Value {
    assert_eq!(
        reply.status,
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.content_type(), "application/problem+json");
    let body = reply.json();
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

#[tokio::test]
async fn health_check() {
    let reply = get("/healthz").await;
    assert_eq!(reply.status, 200);
    assert!(reply.headers.contains_key("x-request-id"));
}

/// The listing is the catalogue: per edition (newest first), per level, every
/// document with its sender, recipients, sections and versions.
#[tokio::test]
async fn templates_are_listed_by_edition_and_level() {
    let reply = get("/v1/templates").await;
    assert_eq!(reply.status, 200);
    let list = reply.json();
    let editions: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["edition"].as_str().unwrap())
        .collect();
    assert_eq!(editions, ["kpas-2024", "pias"]);
    let kpas = &list[0];
    assert_eq!(kpas["from"], "2024-09-01");
    let levels: Vec<_> = kpas["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["level"].as_u64().unwrap())
        .collect();
    assert_eq!(levels, [1, 2, 3, 4]);
    let level1 = &kpas["levels"][0];
    assert_eq!(level1["name"], "Analyse and identify");
    let acl = level1["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "absence-concern-letter")
        .unwrap();
    assert_eq!(acl["title"], "Absence concern letter");
    assert_eq!(acl["sender"], "school");
    assert_eq!(acl["recipients"], "parents");
    assert_eq!(acl["sections"], json!(["attendance", "concern"]));
    assert_eq!(acl["versions"][0]["version"], "kpas-1");
    assert_eq!(acl["versions"][0]["effective_from"], "2024-09-01");
    // The same kind sits at a different level in the other edition.
    let level_of = |edition: &Value, kind: &str| {
        edition["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| {
                l["documents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["kind"] == kind)
            })
            .map(|l| l["level"].as_u64().unwrap())
    };
    assert_eq!(level_of(kpas, "targeting-support-meeting-plan"), Some(1));
    assert_eq!(
        level_of(&list[1], "targeting-support-meeting-plan"),
        Some(2)
    );
    assert_eq!(level_of(kpas, "pace-interview-offer"), Some(4));
    assert_eq!(level_of(&list[1], "pace-interview-offer"), None);
    assert_eq!(level_of(&list[1], "parenting-contract"), Some(3));
}

#[tokio::test]
async fn samples_are_served() {
    let reply = get("/v1/templates/absence-concern-letter/kpas-1/sample").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), acl_sample());
    assert_problem(
        &get("/v1/templates/absence-concern-letter/nope/sample").await,
        404,
    );
}

/// `as_of` picks the version in force; before the KPAS edition there is none.
#[tokio::test]
async fn version_is_chosen_by_date() {
    let ok = post_json(
        "/v1/documents/absence-concern-letter?as_of=2024-09-01",
        &acl_sample(),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.headers["docket-template"],
        "absence-concern-letter@kpas-1"
    );
    // The day before, the PIAS edition was in force.
    let pias = post_json(
        "/v1/documents/absence-concern-letter?as_of=2024-08-31",
        &acl_sample(),
    )
    .await;
    assert_eq!(pias.status, 200);
    assert_eq!(
        pias.headers["docket-template"],
        "absence-concern-letter@pias-1"
    );
    let before = post_json(
        "/v1/documents/absence-concern-letter?as_of=2017-03-31",
        &acl_sample(),
    )
    .await;
    let body = assert_problem(&before, 404);
    assert!(body["detail"].as_str().unwrap().contains("2017-03-31"));
}

#[tokio::test]
async fn unknown_kind_and_version_are_404() {
    assert_problem(
        &post_json("/v1/documents/no-such-letter", &acl_sample()).await,
        404,
    );
    assert_problem(
        &post_json(
            "/v1/documents/absence-concern-letter?version=9",
            &acl_sample(),
        )
        .await,
        404,
    );
    assert_problem(&get("/v1/nothing-here").await, 404);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let reply = post_raw(
        router(),
        "/v1/documents/absence-concern-letter",
        "application/json",
        b"{\"reference\": ".to_vec(),
    )
    .await;
    let body = assert_problem(&reply, 400);
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
    let reply = post_raw(
        router(),
        "/v1/documents/absence-concern-letter?as_of=yesterday",
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_problem(&reply, 400);
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let body = serde_json::to_vec(&acl_sample()).unwrap();
    assert_problem(
        &post_raw(
            router(),
            "/v1/documents/absence-concern-letter",
            "text/plain",
            body.clone(),
        )
        .await,
        415,
    );
    let request = Request::post("/v1/documents/absence-concern-letter")
        .body(Body::from(body))
        .unwrap();
    assert_problem(&send(router(), request).await, 415);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let options = ServeOptions {
        body_limit: 1000,
        ..ServeOptions::default()
    };
    let mut big = acl_sample();
    big["concern"]["school_actions"][0] = json!("x".repeat(2000));
    let reply = post_raw(
        app(docket(), &options).unwrap(),
        "/v1/documents/absence-concern-letter",
        "application/json",
        serde_json::to_vec(&big).unwrap(),
    )
    .await;
    assert_problem(&reply, 413);
}

/// Every problem is listed at once, each by JSON pointer.
#[tokio::test]
async fn invalid_case_is_422_with_every_problem() {
    let mut case = acl_sample();
    case["pupil"]["upn"] = json!("A886200012345");
    case["pupil"]["date_of_birth"] = json!("2016-02-30");
    case["parents"][0]["address"]["postcode"] = json!("ZZ99 9ZZ");
    case["parents"][1]["shoe_size"] = json!(9);
    case["attendance"]["unauthorised_absences"] = json!(-2);
    case.as_object_mut().unwrap().remove("concern");
    let reply = post_json("/v1/documents/absence-concern-letter", &case).await;
    let body = assert_problem(&reply, 422);
    let pointers: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_owned())
        .collect();
    for want in [
        "/pupil/date_of_birth",
        "/parents/1/shoe_size",
        "/attendance/unauthorised_absences",
        "/concern",
    ] {
        assert!(
            pointers.contains(&want.to_owned()),
            "{want} missing from {pointers:?}"
        );
    }
    for e in body["errors"].as_array().unwrap() {
        assert!(!e["detail"].as_str().unwrap().is_empty());
    }
    // Fix the schema problems: the rule problems come next, all together.
    let mut case = acl_sample();
    case["pupil"]["upn"] = json!("A886200012345");
    case["parents"][0]["address"]["postcode"] = json!("ZZ99 9ZZ");
    let body = assert_problem(
        &post_json("/v1/documents/absence-concern-letter", &case).await,
        422,
    );
    let pointers: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/pupil/upn", "/parents/0/address/postcode"]);
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("check letter should be W")
    );
}

/// A render that cannot finish in time is a 503 with Retry-After, not a hang.
#[tokio::test]
async fn render_time_limit_gives_503() {
    let options = ServeOptions {
        render_timeout: Duration::from_nanos(1),
        ..ServeOptions::default()
    };
    let reply = post_raw(
        app(docket(), &options).unwrap(),
        "/v1/documents/absence-concern-letter",
        "application/json",
        serde_json::to_vec(&acl_sample()).unwrap(),
    )
    .await;
    assert_problem(&reply, 503);
    assert_eq!(reply.headers["retry-after"], "1");
}

/// A full queue turns callers away with 503 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_queue_gives_503() {
    let options = ServeOptions {
        workers: 1,
        queue: 0,
        ..ServeOptions::default()
    };
    let router = app(docket(), &options).unwrap();
    let body = serde_json::to_vec(&acl_sample()).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (router, body) = (router.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            post_raw(
                router,
                "/v1/documents/absence-concern-letter",
                "application/json",
                body,
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().as_u16());
    }
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
}

/// Copies the real layout and one real kind into a temporary template root,
/// then replaces that kind's template with `template`.
fn root_with_template(_name: &str, template: &str) -> Scratch {
    let root = Scratch::new();
    let src = templates_dir();
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    };
    copy(&src.join("_layout/1"), &root.join("_layout/1"));
    std::fs::copy(src.join("catalogue.toml"), root.join("catalogue.toml")).unwrap();
    copy(
        &src.join("absence-concern-letter/kpas-1"),
        &root.join("absence-concern-letter/kpas-1"),
    );
    std::fs::write(
        root.join("absence-concern-letter/kpas-1/template.typ.j2"),
        template,
    )
    .unwrap();
    root
}

/// A template defect is a 500 whose body carries an id and no detail of the
/// case; the caller's data is never blamed.
#[tokio::test]
async fn template_defects_are_500_with_an_id() {
    for (name, template) in [
        (
            "undefined",
            "#import \"/layout/letter.typ\": *\n<< no_such_variable >>\n",
        ),
        (
            "typst",
            "#import \"/layout/letter.typ\": *\n#no-such-function(<< pupil.family_name|str >>)\n",
        ),
        ("file", "#read(\"/etc/passwd\")\n"),
        ("package", "#import \"@preview/anything:0.1.0\": *\n"),
        ("safe", "<< pupil.family_name|safe >>\n"),
    ] {
        let root = root_with_template(name, template);
        let docket = std::sync::Arc::new(docket::Docket::load(&root).unwrap());
        let reply = post_raw(
            app(docket, &ServeOptions::default()).unwrap(),
            "/v1/documents/absence-concern-letter",
            "application/json",
            serde_json::to_vec(&acl_sample()).unwrap(),
        )
        .await;
        let body = assert_problem(&reply, 500);
        let instance = body["instance"].as_str().unwrap();
        assert!(instance.starts_with("urn:uuid:"), "{name}: {instance}");
        assert!(
            !String::from_utf8_lossy(&reply.body).contains("Brown"),
            "{name}: case data leaked into the problem"
        );
    }
}

/// Even a template that turns auto-escaping off, or quotes a value as a Typst
/// string and prints it in markup, prints case data literally.
#[tokio::test]
async fn templates_cannot_unescape_case_data() {
    let root = root_with_template(
        "unescape",
        "#import \"/layout/letter.typ\": *\n<% autoescape false %>A << pupil.family_name >> B<% endautoescape %>\n\nC << pupil.family_name|str >> D\n",
    );
    let docket = std::sync::Arc::new(docket::Docket::load(&root).unwrap());
    let mut case = acl_sample();
    case["pupil"]["family_name"] = json!("#text(red)[*x*]");
    let reply = post_raw(
        app(docket, &ServeOptions::default()).unwrap(),
        "/v1/documents/absence-concern-letter?recipient=0",
        "application/json",
        serde_json::to_vec(&case).unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let text = pdf_text(&reply.body);
    assert!(text.contains("A #text(red)[*x*] B"), "{text}");
    // The quotes of the string literal become typographic quotes in markup;
    // the value inside prints as written.
    assert!(text.contains("C “#text(red)[*x*]” D"), "{text}");
}
