//! The Courts Team's batches, end to end: a batch of generated penalty-notice
//! cases, some deliberately invalid, yields exactly the valid notices, each
//! its own mail piece starting on an odd page of the print PDF, with the
//! manifest's page ranges right and refusals listed with their reasons; a
//! retried POST with the same Idempotency-Key is the same batch; a reprint
//! stays byte-identical after a newer template version is published
//! (killing the service mid-batch: `faults`).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{Value, json};

const NAMES: &[&str] = &[
    "Adams", "Baker", "Clarke", "Davies", "Evans", "Foster", "Green", "Hughes", "Irwin", "Jones",
    "Khan", "Lewis", "Morgan", "Nolan", "Owen", "Patel", "Quinn", "Reid", "Shah", "Turner",
];
const POSTCODES: &[&str] = &[
    "CT1 1AA", "ME14 1XQ", "DA1 5HL", "TN24 9JD", "ME10 2JP", "CT19 5JU", "BR8 7NA",
];

/// `n` penalty-notice cases, every tenth with a wrong UPN check letter.
pub(crate) fn cases(n: usize) -> (Vec<Value>, BTreeSet<usize>) {
    let sample = sample_of("penalty-notice", "kpas-1");
    let mut invalid = BTreeSet::new();
    let cases = (0..n)
        .map(|i| {
            let mut c = sample.clone();
            let family = format!("{}-{}", NAMES[i % NAMES.len()], i / NAMES.len());
            c["reference"] = json!(format!("BATCH/{i:05}"));
            c["pupil"]["family_name"] = json!(family);
            for p in c["parents"].as_array_mut().unwrap() {
                p["family_name"] = json!(family);
                p["address"]["postcode"] = json!(POSTCODES[(i * 7) % POSTCODES.len()]);
            }
            for notice in c["penalty"]["notices"].as_array_mut().unwrap() {
                notice["previous_notices"] = json!([]);
            }
            if i % 10 == 3 {
                c["pupil"]["upn"] = json!("A886200012345");
                invalid.insert(i);
            }
            c
        })
        .collect();
    (cases, invalid)
}

async fn wait_done(router: &axum::Router, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let status = get_on(router, &format!("/v1/batches/{id}")).await.json();
        if status["status"] == "done" || status["status"] == "failed" {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "batch did not finish: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_prints_every_valid_notice_on_odd_pages() {
    let router = router();
    let (cases, invalid) = cases(60);
    let body = json!({"kind": "penalty-notice", "order": "postcode", "cases": cases});
    let post = |key: &'static str| {
        let router = router.clone();
        let body = body.clone();
        async move {
            send(
                router,
                axum::http::Request::post("/v1/batches")
                    .header("content-type", "application/json")
                    .header("idempotency-key", key)
                    .body(axum::body::Body::from(serde_json::to_vec(&body).unwrap()))
                    .unwrap(),
            )
            .await
        }
    };
    let reply = post("batch-test-1").await;
    assert_eq!(
        reply.status,
        202,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.headers["location"],
        format!("/v1/batches/{id}").as_str()
    );
    // A retried POST with the same key is the same batch.
    let again = post("batch-test-1").await;
    assert_eq!(again.json()["id"], id.as_str());

    let status = wait_done(&router, &id).await;
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!(status["total"], 60);
    assert_eq!(status["done"], 60);
    assert_eq!(status["failed"].as_u64().unwrap() as usize, invalid.len());
    let mut references = Vec::new();
    for r in status["records"].as_array().unwrap() {
        let index = r["index"].as_u64().unwrap() as usize;
        if invalid.contains(&index) {
            assert_eq!(r["status"], "refused");
            assert_eq!(r["problem"]["status"], 422);
            assert_eq!(r["problem"]["errors"][0]["pointer"], "/pupil/upn");
        } else {
            assert_eq!(r["status"], "issued", "{r}");
            // Two parents, two notices, two references.
            let refs: Vec<&str> = r["references"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(refs.len(), 2);
            references.extend(refs.iter().map(|s| (*s).to_owned()));
        }
    }
    let unique: BTreeSet<&String> = references.iter().collect();
    assert_eq!(
        unique.len(),
        references.len(),
        "a notice number was used twice"
    );

    // The manifest: one row per notice, refused cases included.
    let manifest = get_on(&router, &format!("/v1/batches/{id}/manifest.csv")).await;
    assert_eq!(manifest.status, 200);
    let manifest = String::from_utf8(manifest.body).unwrap();
    let mut lines = manifest.lines();
    assert_eq!(
        lines.next(),
        Some("reference,recipient,postcode,first_page,last_page,status")
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let issued: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r.last().is_some_and(|s| s == "issued"))
        .collect();
    assert_eq!(issued.len(), references.len());
    assert_eq!(
        rows.iter()
            .filter(|r| r.last().is_some_and(|s| s == "refused"))
            .count(),
        invalid.len()
    );
    // Postcode order.
    let postcodes: Vec<String> = issued.iter().map(|r| r[2].replace(' ', "")).collect();
    let mut sorted = postcodes.clone();
    sorted.sort();
    assert_eq!(postcodes, sorted);

    // The print PDF: each notice starts on an odd page, and that page carries
    // its own number; the pages between are its own (or a blank verso).
    let print = get_on(&router, &format!("/v1/batches/{id}/print.pdf")).await;
    assert_eq!(print.status, 200);
    assert_eq!(print.content_type(), "application/pdf");
    let doc = lopdf::Document::load_mem(&print.body).unwrap();
    let pages = doc.get_pages().len();
    assert_eq!(pages % 2, 0);
    let mut next = 1;
    for row in &issued {
        let (first, last): (usize, usize) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        assert_eq!(first, next, "pieces follow one another");
        assert_eq!(first % 2, 1, "{} starts on page {first}", row[0]);
        let text = doc.extract_text(&[first as u32]).unwrap();
        let folded: String = text.split_whitespace().collect();
        assert!(
            folded.contains(&row[0]),
            "page {first} does not carry {}: {text}",
            row[0]
        );
        next = last + 1 + (last - first + 1) % 2;
    }
    assert_eq!(next - 1, pages);
    // And the file is sound PDF throughout.
    assert_qpdf_clean(&print.body, "print.pdf");
    // Its length and a validator are sent, and a part of it can be fetched
    // (a large print file resumes where a transfer broke off).
    assert_eq!(
        print.headers["content-length"].to_str().unwrap(),
        print.body.len().to_string()
    );
    let etag = print.headers["etag"].to_str().unwrap().to_owned();
    let part = |range: &'static str, extra: Option<(&'static str, String)>| {
        let mut request =
            axum::http::Request::get(format!("/v1/batches/{id}/print.pdf")).header("range", range);
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        send(
            router.clone(),
            request.body(axum::body::Body::empty()).unwrap(),
        )
    };
    let first = part("bytes=0-99", None).await;
    assert_eq!(first.status, 206);
    assert_eq!(first.body, print.body[..100]);
    assert_eq!(
        first.headers["content-range"].to_str().unwrap(),
        format!("bytes 0-99/{}", print.body.len())
    );
    let rest = part("bytes=100-", Some(("if-range", etag.clone()))).await;
    assert_eq!(rest.status, 206);
    assert_eq!(rest.body, print.body[100..]);
    let changed = part("bytes=100-", Some(("if-range", "\"other\"".to_owned()))).await;
    assert_eq!(
        changed.status, 200,
        "a different validator gets the whole file"
    );
    let unchanged = send(
        router.clone(),
        axum::http::Request::get(format!("/v1/batches/{id}/print.pdf"))
            .header("if-none-match", &etag)
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(unchanged.status, 304);

    // The ZIP: one PDF per notice, named by reference, byte-identical to the
    // register's copy.
    let zip = get_on(&router, &format!("/v1/batches/{id}/documents.zip")).await;
    assert_eq!(zip.status, 200);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).unwrap();
    assert_eq!(archive.len(), references.len());
    for reference in references.iter().take(5) {
        let mut entry = archive.by_name(&format!("{reference}.pdf")).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        let stored = get_on(&router, &format!("/v1/documents/{reference}")).await;
        assert!(
            stored.body == bytes,
            "{reference} differs between the ZIP and the register"
        );
    }
    // Files of an unknown batch, or an unknown file, are 404.
    assert_eq!(get_on(&router, "/v1/batches/nope").await.status, 404);
    assert_eq!(
        get_on(&router, &format!("/v1/batches/{id}/other.txt"))
            .await
            .status,
        404
    );
}

/// A reprint by reference is the bytes first issued, even after a newer
/// version of the template is published.
#[tokio::test]
async fn a_reprint_is_identical_after_a_new_version_is_published() {
    let root = copy_templates("reprint");
    let dir = crate::common::Scratch::new();
    let register =
        std::sync::Arc::new(docket::register::Register::open(&dir.join("r.db")).unwrap());
    let options = || docket::http::ServeOptions {
        register: Some(std::sync::Arc::clone(&register)),
        ..docket::http::ServeOptions::default()
    };
    let first = docket::http::app(
        std::sync::Arc::new(docket::Docket::load(&root).unwrap()),
        &options(),
    )
    .unwrap();
    let sample = sample_of("penalty-notice", "kpas-1");
    let issued = post_raw(
        first,
        "/v1/documents/penalty-notice?recipient=0",
        "application/json",
        serde_json::to_vec(&sample).unwrap(),
    )
    .await;
    assert_eq!(issued.status, 201);
    let reference = issued.headers["docket-reference"]
        .to_str()
        .unwrap()
        .to_owned();
    // A new version with other wording, in force from a later date than
    // any version published so far.
    let (name, draft) = docket::maintain::new_draft(&root, "penalty-notice").unwrap();
    let t = draft.join("template.typ.j2");
    let s = std::fs::read_to_string(&t).unwrap();
    std::fs::write(
        &t,
        s.replace(
            "This is a penalty notice",
            "This letter is a penalty notice",
        ),
    )
    .unwrap();
    docket::maintain::publish(
        &root,
        "penalty-notice",
        &name,
        chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap(),
    )
    .unwrap();
    let second = docket::http::app(
        std::sync::Arc::new(docket::Docket::load(&root).unwrap()),
        &options(),
    )
    .unwrap();
    let reprint = get_on(&second, &format!("/v1/documents/{reference}")).await;
    assert_eq!(reprint.status, 200);
    assert!(
        reprint.body == issued.body,
        "the reprint differs from the notice issued"
    );
}

/// The print room's CSV: the template downloaded for a kind reads back as
/// its sample; rows become cases (one refused at its field); separator
/// sheets stand before each school's notices, each on an odd page with a
/// blank verso; the callback is retried until the receiver takes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_csv_batch_has_school_separators_and_calls_back() {
    use std::sync::{Arc, Mutex};
    // A receiver that fails the first call and takes the second.
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let hook = {
        let received = Arc::clone(&received);
        axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let received = Arc::clone(&received);
                    async move {
                        let attempt = headers["docket-delivery-attempt"]
                            .to_str()
                            .unwrap()
                            .to_owned();
                        // Every body is signed, with its time.
                        let signed = headers["docket-signature"].to_str().unwrap();
                        assert!(
                            signed.starts_with("t=") && signed.contains(",v1="),
                            "{signed}"
                        );
                        let mut r = received.lock().unwrap();
                        r.push((attempt, serde_json::from_slice(&body).unwrap()));
                        if r.len() == 1 {
                            axum::http::StatusCode::SERVICE_UNAVAILABLE
                        } else {
                            axum::http::StatusCode::NO_CONTENT
                        }
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, hook).await });

    let router = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            callback_allow: docket::batch::callback::Allow::parse(&[format!("127.0.0.1:{port}")])
                .unwrap(),
            callback_retry: docket::batch::callback::Retry {
                attempts: 3,
                first_wait: Duration::from_millis(50),
                timeout: Duration::from_secs(5),
            },
            ..Default::default()
        },
    )
    .unwrap();
    let template = get_on(&router, "/v1/templates/penalty-notice/kpas-1/batch.csv").await;
    assert_eq!(template.status, 200);
    assert!(template.content_type().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(template.body.as_slice());
    let header = reader.headers().unwrap().clone();
    let sample = reader.records().next().unwrap().unwrap();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let schools = [
        "Oakfield Primary School",
        "Beech Academy",
        "Oakfield Primary School",
        "Ash Grove School",
        "Beech Academy",
        "Ash Grove School",
    ];
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    for (i, school) in schools.iter().enumerate() {
        let mut row: Vec<String> = sample.iter().map(str::to_owned).collect();
        let family = format!("Csv{}", NAMES[i]);
        row[column("school.name")] = (*school).to_owned();
        row[column("pupil.family_name")] = family.clone();
        row[column("parents.0.family_name")] = family.clone();
        row[column("parents.1.family_name")] = family;
        row[column("penalty.notices.0.previous_notices.0.issued_on")] = String::new();
        row[column("penalty.notices.0.previous_notices.0.notice_number")] = String::new();
        row[column("penalty.notices.0.previous_notices.0.withdrawn")] = String::new();
        if i == 4 {
            row[column("pupil.year_group")] = "four".into();
        }
        out.write_record(&row).unwrap();
    }
    let body = out.into_inner().unwrap();
    let url = format!(
        "/v1/batches?kind=penalty-notice&order=postcode&separators=true&callback_url=http://127.0.0.1:{port}/hook"
    );
    let reply = post_raw(router.clone(), &url, "text/csv", body.clone()).await;
    assert_eq!(
        reply.status,
        202,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let status = wait_done(&router, &id).await;
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!(status["total"], 6);
    assert_eq!(status["failed"], 1);
    let refused = &status["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "refused")
        .unwrap();
    assert_eq!(refused["index"], 4);
    assert_eq!(
        refused["problem"]["errors"][0]["pointer"],
        "/pupil/year_group"
    );

    // The print PDF: a separator before each school (alphabetical), on an
    // odd page with a blank verso, then that school's notices.
    let print = get_on(&router, &format!("/v1/batches/{id}/print.pdf")).await;
    let doc = lopdf::Document::load_mem(&print.body).unwrap();
    let pages = doc.get_pages().len() as u32;
    let mut separators = Vec::new();
    for page in 1..=pages {
        let text = doc.extract_text(&[page]).unwrap_or_default();
        if text.contains("SEPARATOR SHEET") {
            assert_eq!(page % 2, 1, "separator on page {page}");
            let verso = doc.extract_text(&[page + 1]).unwrap_or_default();
            assert!(
                verso.trim().is_empty(),
                "page {} is not blank: {verso}",
                page + 1
            );
            separators.push((page, text));
        }
    }
    let names: Vec<&str> = [
        "Ash Grove School",
        "Beech Academy",
        "Oakfield Primary School",
    ]
    .to_vec();
    assert_eq!(separators.len(), 3, "{separators:?}");
    for ((_, text), name) in separators.iter().zip(&names) {
        assert!(text.contains(name), "{text}");
    }
    assert!(
        separators[1].1.contains("2 mail pieces"),
        "{}",
        separators[1].1
    );
    // Manifest pages skip the separators: each school's notices follow its sheet.
    let manifest = get_on(&router, &format!("/v1/batches/{id}/manifest.csv")).await;
    let manifest = String::from_utf8(manifest.body).unwrap();
    let firsts: Vec<u32> = manifest
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",issued"))
        .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
        .collect();
    assert_eq!(firsts.len(), 10);
    for first in &firsts {
        assert_eq!(first % 2, 1);
        assert!(!separators.iter().any(|(p, _)| p == first));
    }
    assert_eq!(firsts[0], separators[0].0 + 2);

    // The callback: refused once (503), then delivered on the second try.
    let start = Instant::now();
    let status = loop {
        let status = get_on(&router, &format!("/v1/batches/{id}")).await.json();
        if !status["callback"]["delivered_at"].is_null() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["callback"]["attempts"], 2, "{status}");
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].0, "1");
    assert_eq!(received[1].0, "2");
    assert_eq!(received[1].1["id"], id.as_str());
    assert_eq!(received[1].1["status"], "done");
    assert_eq!(received[1].1["failed"], 1);
    assert_eq!(
        received[1].1["links"]["print.pdf"],
        format!("/v1/batches/{id}/print.pdf").as_str()
    );

    // A CSV with a column that is no case field is refused whole, by column.
    let bad = b"pupil.upn,pupil.shoe_size\nW886200012345,9\n".to_vec();
    let reply = post_raw(
        router.clone(),
        "/v1/batches?kind=penalty-notice",
        "text/csv",
        bad,
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["errors"][0]["pointer"], "/columns/1");
    // Without a kind, or with a callback that is not http(s), likewise.
    let reply = post_raw(router.clone(), "/v1/batches", "text/csv", body.clone()).await;
    assert_eq!(reply.status, 422);
    let reply = post_raw(
        router.clone(),
        "/v1/batches?kind=penalty-notice&callback_url=file:///etc/passwd",
        "text/csv",
        body,
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["errors"][0]["pointer"], "/callback_url");
}

/// A callback cut off by a stop (its batch done, the callback neither
/// delivered nor given up) is carried on at the next start, counting the
/// attempts made before; one delivered, or given up, is not sent again.
#[tokio::test(flavor = "multi_thread")]
async fn a_callback_cut_off_by_a_stop_is_resumed_at_start() {
    use std::sync::{Arc, Mutex};
    let attempts: Arc<Mutex<Vec<String>>> = Arc::default();
    let hook = {
        let attempts = Arc::clone(&attempts);
        axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(move |headers: axum::http::HeaderMap| {
                    let attempts = Arc::clone(&attempts);
                    async move {
                        let n = headers["docket-delivery-attempt"].to_str().unwrap();
                        attempts.lock().unwrap().push(n.to_owned());
                        axum::http::StatusCode::NO_CONTENT
                    }
                }),
            )
            .route(
                "/refuse",
                axum::routing::post(|| async { axum::http::StatusCode::BAD_REQUEST }),
            )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, hook).await });

    let dir = crate::common::Scratch::new();
    let db = dir.join("register.db");
    // A start of the service on the register file: it carries on with what
    // a stop interrupted, as `docket serve` does.
    let start = || {
        let service = docket::http::Service::new(
            docket::http::Live::new(docket()),
            &docket::http::ServeOptions {
                register: Some(Arc::new(docket::register::Register::open(&db).unwrap())),
                batch_dir: Some(dir.join("batches")),
                callback_allow: docket::batch::callback::Allow::parse(&[format!(
                    "127.0.0.1:{port}"
                )])
                .unwrap(),
                callback_retry: docket::batch::callback::Retry {
                    attempts: 4,
                    first_wait: Duration::from_millis(50),
                    timeout: Duration::from_secs(5),
                },
                ..Default::default()
            },
        )
        .unwrap();
        service.resume().unwrap();
        service.router()
    };
    // The batch's status once its callback has `field` (delivered_at,
    // given_up_at).
    let until = |router: axum::Router, id: String, field: &'static str| async move {
        let begun = Instant::now();
        loop {
            let status = get_on(&router, &format!("/v1/batches/{id}")).await.json();
            if !status["callback"][field].is_null() {
                return status;
            }
            assert!(begun.elapsed() < Duration::from_secs(30), "{status}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (cases, _) = cases(2);
    // A batch of two cases calling back `path`; its id.
    let post = |router: axum::Router, path: &'static str| {
        let body = json!({
            "kind": "penalty-notice",
            "cases": cases,
            "callback_url": format!("http://127.0.0.1:{port}{path}"),
        });
        async move {
            let reply = post_raw(
                router,
                "/v1/batches",
                "application/json",
                serde_json::to_vec(&body).unwrap(),
            )
            .await;
            assert_eq!(reply.status, 202);
            reply.json()["id"].as_str().unwrap().to_owned()
        }
    };

    let router = start();
    let id = post(router.clone(), "/hook").await;
    assert_eq!(wait_done(&router, &id).await["status"], "done");
    until(router.clone(), id.clone(), "delivered_at").await;
    drop(router);

    // As the register stands when the service stopped after two failed
    // attempts, waiting to try again.
    let sql = rusqlite::Connection::open(&db).unwrap();
    sql.execute(
        "UPDATE batches SET callback_delivered_at = NULL, callback_attempts = 2,
                callback_error = 'could not reach the receiver' WHERE id = ?1",
        [&id],
    )
    .unwrap();
    let router = start();
    let status = until(router.clone(), id.clone(), "delivered_at").await;
    assert_eq!(status["callback"]["attempts"], 3, "{status}");
    assert!(status["callback"]["last_error"].is_null(), "{status}");
    assert_eq!(*attempts.lock().unwrap(), ["1", "3"]);
    drop(router);

    // Delivered: a later start sends nothing. Given up: likewise.
    let _started = start();
    tokio::time::sleep(Duration::from_millis(300)).await;
    sql.execute(
        "UPDATE batches SET callback_delivered_at = NULL, callback_given_up_at = '2026-11-23T10:00:00Z'
         WHERE id = ?1",
        [&id],
    )
    .unwrap();
    let router = start();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(*attempts.lock().unwrap(), ["1", "3"]);

    // A receiver that refuses (400) is not tried again, and the batch says so.
    let refused = post(router.clone(), "/refuse").await;
    let status = until(router.clone(), refused, "given_up_at").await;
    assert_eq!(status["callback"]["attempts"], 1, "{status}");
    assert!(status["callback"]["delivered_at"].is_null());
}
