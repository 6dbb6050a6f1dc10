//! Legal state changes exactly once, and only as the law allows: a caller
//! is never told "not done" about a notice that was stored; a request sent
//! again with its key gets the first result; drafts and future-dated cases
//! are not issued; events follow the law; a full register says so and
//! recovers; batches are bounded; every problem is a problem.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;

fn options(register: &Arc<docket::register::Register>) -> docket::http::ServeOptions {
    docket::http::ServeOptions {
        register: Some(Arc::clone(register)),
        ..docket::http::ServeOptions::default()
    }
}

async fn post_with(router: &axum::Router, path: &str, key: Option<&str>, body: &Value) -> Reply {
    let mut request = axum::http::Request::post(path).header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    send(
        router.clone(),
        request
            .body(axum::body::Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap(),
    )
    .await
}

/// Under a time limit too short for some renders, each caller is told
/// either 201 with its notices or 503 with nothing stored; the same
/// request again with its key gets the first notices, byte for byte, and
/// the key with another request is refused.
#[tokio::test]
async fn a_caller_is_never_told_not_done_about_a_stored_notice() {
    let register = Arc::new(docket::register::Register::in_memory().unwrap());
    let hurried = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            render_timeout: Duration::from_millis(40),
            workers: 2,
            ..options(&register)
        },
    )
    .unwrap();
    let cases: Vec<Value> = (0..12).map(notice_case).collect();
    let replies = futures_util::future::join_all(cases.iter().enumerate().map(|(i, case)| {
        let hurried = hurried.clone();
        async move {
            post_with(
                &hurried,
                "/v1/documents/penalty-notice",
                Some(&format!("key-{i}")),
                case,
            )
            .await
        }
    }))
    .await;
    let mut statuses = Vec::new();
    for (case, reply) in cases.iter().zip(&replies) {
        let upn = case["pupil"]["upn"].as_str().unwrap();
        let stored = register.history(upn).unwrap();
        match reply.status.as_u16() {
            201 => {
                let references = reply.headers["docket-reference"].to_str().unwrap();
                assert_eq!(references.split(", ").count(), stored.len());
            }
            503 => assert!(
                stored.is_empty(),
                "503, but {} notices were stored for {upn}",
                stored.len()
            ),
            other => panic!("{other}: {}", String::from_utf8_lossy(&reply.body)),
        }
        statuses.push(reply.status.as_u16());
    }
    eprintln!("statuses under a 40 ms limit: {statuses:?}");
    // Every number is used by a stored notice or void with a reason.
    let year = 2026;
    for (reference, status, note) in register
        .numbers(docket::register::Series::PenaltyNotice, year)
        .unwrap()
    {
        use docket::register::NumberStatus;
        match status {
            NumberStatus::Used => assert!(register.holds(&reference).unwrap()),
            NumberStatus::Void => assert!(note.is_some()),
            NumberStatus::Reserved => panic!("{reference} left reserved"),
        }
    }
    // Sent again with its key, with time enough: the first result exactly,
    // or (after a 503) the notices now.
    let patient = docket::http::app(docket(), &options(&register)).unwrap();
    for (i, (case, first)) in cases.iter().zip(&replies).enumerate() {
        let key = format!("key-{i}");
        let again = post_with(&patient, "/v1/documents/penalty-notice", Some(&key), case).await;
        assert_eq!(
            again.status,
            201,
            "{}",
            String::from_utf8_lossy(&again.body)
        );
        if first.status == 201 {
            assert_eq!(
                again.headers["docket-reference"],
                first.headers["docket-reference"]
            );
            assert!(
                again.body == first.body,
                "the replay differs from the first answer"
            );
        }
        let third = post_with(&patient, "/v1/documents/penalty-notice", Some(&key), case).await;
        assert!(third.body == again.body);
        // The same key with another request.
        let mut other = case.clone();
        other["reference"] = json!("LEGAL/OTHER");
        let refused = post_with(&patient, "/v1/documents/penalty-notice", Some(&key), &other).await;
        assert_eq!(refused.status, 409);
        assert!(
            refused.json()["detail"].as_str().unwrap().contains(&key),
            "{}",
            refused.json()
        );
        // Each case issued once in all: two parents, two notices.
        let upn = case["pupil"]["upn"].as_str().unwrap();
        assert_eq!(register.history(upn).unwrap().len(), 2);
    }
    // Another caller's key of the same name is its own: callers are their
    // API keys (`Docket-Requested-By` only says for whom), so another key.
    let other = make_key(
        &register,
        "another caller",
        &[docket::access::Scope::DocumentsIssue],
        None,
    );
    let request = axum::http::Request::post("/v1/documents/penalty-notice")
        .header("content-type", "application/json")
        .header("idempotency-key", "key-0")
        .header("authorization", format!("Bearer {other}"))
        .header("docket-requested-by", "another caller");
    let elsewhere = send(
        patient.clone(),
        request
            .body(axum::body::Body::from(
                serde_json::to_vec(&notice_case(99)).unwrap(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(
        elsewhere.status,
        201,
        "{}",
        String::from_utf8_lossy(&elsewhere.body)
    );
}

/// A case dated after today is not issued as if it were that day, and a
/// version is used for an issue only on the dates it is in force.
#[tokio::test]
async fn future_dates_and_out_of_force_versions_are_not_issued() {
    let mut case = notice_case(1);
    let tomorrow = chrono::Local::now().date_naive() + chrono::Days::new(1);
    case["date"] = json!(tomorrow.to_string());
    let reply = post_json("/v1/documents/penalty-notice", &case).await;
    assert_eq!(reply.status, 422);
    let rules: Vec<String> = reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["rule"].as_str().map(str::to_owned))
        .collect();
    assert!(
        rules.iter().any(|r| r == "case.date-in-future"),
        "{rules:?}"
    );
    // A proof of it may still be made.
    let proof = post_json("/v1/documents/absence-concern-letter", &{
        let mut c = sample_of("absence-concern-letter", "kpas-1");
        c["date"] = json!(tomorrow.to_string());
        c
    })
    .await;
    assert_eq!(
        proof.status,
        200,
        "{}",
        String::from_utf8_lossy(&proof.body)
    );
    // A PIAS notice today: the edition ended in 2024.
    let old = post_json(
        "/v1/documents/penalty-notice?version=pias-1",
        &notice_case(2),
    )
    .await;
    assert_eq!(old.status, 422);
    assert_eq!(old.json()["errors"][0]["rule"], "template.not-in-force");
    // A proof under a historic version says it is not in force.
    let proof = post_json(
        "/v1/documents/absence-concern-letter?as_of=2024-05-01",
        &sample_of("absence-concern-letter", "kpas-1"),
    )
    .await;
    assert_eq!(proof.status, 200);
    assert_eq!(
        proof.headers["docket-template"],
        "absence-concern-letter@pias-1"
    );
    assert!(
        proof.headers["docket-warnings"]
            .to_str()
            .unwrap()
            .contains("template.not-in-force"),
        "{:?}",
        proof.headers
    );
}

/// A batch naming a draft is refused, as JSON and as CSV, unless a
/// maintainer asks; so is `as_of`.
#[tokio::test]
async fn a_batch_under_a_draft_is_refused() {
    let root = copy_templates("batch-draft");
    let (draft, _) = docket::maintain::new_draft(&root, "penalty-notice").unwrap();
    let router = docket::http::app(
        Arc::new(docket::Docket::load(&root).unwrap()),
        &docket::http::ServeOptions::default(),
    )
    .unwrap();
    let case = notice_case(3);
    let json_batch = json!({"kind": "penalty-notice", "version": draft, "cases": [case]});
    let reply = post_raw(
        router.clone(),
        "/v1/batches",
        "application/json",
        serde_json::to_vec(&json_batch).unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        403,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let template = docket::batch::csv::template(&case);
    let reply = post_raw(
        router.clone(),
        &format!("/v1/batches?kind=penalty-notice&version={draft}"),
        "text/csv",
        template.into_bytes(),
    )
    .await;
    assert_eq!(
        reply.status,
        403,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let with_as_of = json!({"kind": "penalty-notice", "as_of": "2026-11-23", "cases": [case]});
    let reply = post_raw(
        router.clone(),
        "/v1/batches",
        "application/json",
        serde_json::to_vec(&with_as_of).unwrap(),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["errors"][0]["rule"], "issue.as-of");
}

async fn event(router: &axum::Router, reference: &str, body: Value) -> Reply {
    post_raw(
        router.clone(),
        &format!("/v1/documents/{reference}/events"),
        "application/json",
        serde_json::to_vec(&body).unwrap(),
    )
    .await
}

fn rule(reply: &Reply) -> (String, String) {
    let e = &reply.json()["errors"][0];
    (
        e["pointer"].as_str().unwrap_or("").to_owned(),
        e["rule"].as_str().unwrap_or("").to_owned(),
    )
}

/// Events the law allows, and only those; a mistake is corrected, not
/// edited, and the timeline shows both.
#[tokio::test]
async fn events_follow_the_law() {
    let register = Arc::new(docket::register::Register::in_memory().unwrap());
    let router = docket::http::app(docket(), &options(&register)).unwrap();
    let reference = issue_notice(&router, 10).await;
    let notice = register.get(&reference).unwrap();
    let served = notice.served_on.unwrap();
    let terms = register.terms(&reference).unwrap().unwrap();
    let lower = terms.payments[0];
    // 1p, 0p and the higher amount while the lower is due: refused.
    for pence in [1, 0, 4_294_967_295u32, 16000] {
        let reply = event(
            &router,
            &reference,
            json!({"event": "paid", "amount_pence": pence, "on": served}),
        )
        .await;
        assert_eq!(
            reply.status,
            422,
            "{pence}p: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(
            rule(&reply),
            ("/amount_pence".into(), "event.amount".into())
        );
    }
    // Before the notice is taken to arrive, or in the future.
    let early = event(
        &router,
        &reference,
        json!({"event": "paid", "amount_pence": lower.amount_pence, "on": notice.issued_on}),
    )
    .await;
    assert_eq!(rule(&early), ("/on".into(), "event.date".into()));
    let future = event(
        &router,
        &reference,
        json!({"event": "withdrawn", "ground": "material-error", "reason": "typo", "on": "2099-01-01"}),
    )
    .await;
    assert_eq!(rule(&future), ("/on".into(), "event.date".into()));
    // A withdrawal's ground is from the closed list.
    let ground = event(
        &router,
        &reference,
        json!({"event": "withdrawn", "ground": "felt-like-it", "reason": "x", "on": served}),
    )
    .await;
    assert_eq!(
        ground.status,
        422,
        "{}",
        String::from_utf8_lossy(&ground.body)
    );
    // Its text as a case's: no emoji (the fonts cannot print it), not
    // 850 KB.
    let emoji = event(
        &router,
        &reference,
        json!({"event": "withdrawn", "ground": "material-error", "reason": "sent in error 🙂", "on": served}),
    )
    .await;
    assert_eq!(emoji.status, 422);
    assert_eq!(emoji.json()["errors"][0]["pointer"], "/reason");
    let long = event(
        &router,
        &reference,
        json!({"event": "withdrawn", "ground": "material-error", "reason": "x".repeat(850_000), "on": served}),
    )
    .await;
    assert_eq!(long.status, 422);
    // The lower amount, on a day it is due: recorded.
    let paid = event(
        &router,
        &reference,
        json!({"event": "paid", "amount_pence": lower.amount_pence, "on": served}),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", String::from_utf8_lossy(&paid.body));
    let paid_id = paid.json()["timeline"][1]["id"].as_i64().unwrap();
    // Nothing follows a payment...
    let after = event(
        &router,
        &reference,
        json!({"event": "prosecution-started", "on": served}),
    )
    .await;
    assert_eq!(rule(&after), ("/event".into(), "event.sequence".into()));
    // ...but a correction, which names it; then the record goes on.
    let corrected = event(
        &router,
        &reference,
        json!({"event": "corrected", "supersedes": paid_id, "reason": "the payment was for notice PN26-000999K", "on": served}),
    )
    .await;
    assert_eq!(
        corrected.status,
        201,
        "{}",
        String::from_utf8_lossy(&corrected.body)
    );
    let status = get_on(&router, &format!("/v1/documents/{reference}/status"))
        .await
        .json();
    let timeline = status["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 3);
    assert_eq!(timeline[1]["event"], "paid");
    assert_eq!(timeline[1]["superseded_by"], timeline[2]["id"]);
    assert_eq!(timeline[2]["event"], "corrected");
    assert_eq!(timeline[2]["supersedes"], paid_id);
    assert_eq!(status["status"], "issued");
    let withdrawn = event(
        &router,
        &reference,
        json!({"event": "withdrawn", "ground": "no-offence", "reason": "the absence was authorised after all", "on": served}),
    )
    .await;
    assert_eq!(withdrawn.status, 201);
    // Only a penalty notice is paid or withdrawn.
    let letter = post_raw(
        router.clone(),
        "/v1/documents/absence-concern-letter?issue=true&recipient=0",
        "application/json",
        serde_json::to_vec(&sample_of("absence-concern-letter", "kpas-1")).unwrap(),
    )
    .await;
    assert_eq!(letter.status, 201);
    let letter = letter.headers["docket-reference"]
        .to_str()
        .unwrap()
        .to_owned();
    let on_letter = event(
        &router,
        &letter,
        json!({"event": "paid", "amount_pence": 8000, "on": served}),
    )
    .await;
    assert_eq!(rule(&on_letter), ("/event".into(), "event.kind".into()));
}

/// Every problem is a problem: malformed JSON is 400 on every route that
/// takes a body; a method a route does not take is 405 with a problem;
/// a batch whose every case is refused has no print file, and says so.
#[tokio::test]
async fn problems_are_consistent() {
    let router = router();
    for path in [
        "/v1/documents/absence-concern-letter",
        "/v1/documents/PN26-000001X/events",
        "/v1/batches",
    ] {
        let reply = post_raw(
            router.clone(),
            path,
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
        assert_eq!(
            reply.status,
            400,
            "{path}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.content_type(), "application/problem+json", "{path}");
    }
    let wrong = send(
        router.clone(),
        axum::http::Request::delete("/v1/templates")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.content_type(), "application/problem+json");
    assert_eq!(wrong.json()["status"], 405);
    // A batch of cases that are all refused.
    let mut bad = notice_case(20);
    bad["pupil"]["upn"] = json!("A886200012345");
    let created = post_raw(
        router.clone(),
        "/v1/batches",
        "application/json",
        serde_json::to_vec(&json!({"kind": "penalty-notice", "cases": [bad.clone(), bad]}))
            .unwrap(),
    )
    .await;
    assert_eq!(created.status, 202);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let status = loop {
        let s = get_on(&router, &format!("/v1/batches/{id}")).await.json();
        if s["status"] == "done" || s["status"] == "failed" {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!(status["counts"]["refused"], 2);
    assert_eq!(status["files"], json!(["manifest.csv"]));
    let print = get_on(&router, &format!("/v1/batches/{id}/print.pdf")).await;
    assert_eq!(print.status, 404);
    assert!(
        print.json()["detail"]
            .as_str()
            .unwrap()
            .contains("issued no documents"),
        "{}",
        print.json()
    );
    let manifest = get_on(&router, &format!("/v1/batches/{id}/manifest.csv")).await;
    assert_eq!(manifest.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&manifest.body)
            .matches(",refused")
            .count(),
        2
    );
}

/// A batch's status is paged: counts by outcome always, records a page at
/// a time; a batch over the body limit is 413 and over the case limit 422.
#[tokio::test]
async fn batches_are_bounded() {
    let router = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            body_limit: 64 * 1024,
            max_batch_cases: 3,
            ..docket::http::ServeOptions::default()
        },
    )
    .unwrap();
    let big =
        json!({"kind": "penalty-notice", "cases": (0..40).map(notice_case).collect::<Vec<_>>()});
    let reply = post_raw(
        router.clone(),
        "/v1/batches",
        "application/json",
        serde_json::to_vec(&big).unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        413,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let mut bad = notice_case(30);
    bad["pupil"]["upn"] = json!("A886200012345");
    let four = json!({"kind": "penalty-notice", "cases": [bad.clone(), bad.clone(), bad.clone(), bad.clone()]});
    let reply = post_raw(
        router.clone(),
        "/v1/batches",
        "application/json",
        serde_json::to_vec(&four).unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        422,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(
        reply.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("at most 3")
    );
    let three = json!({"kind": "penalty-notice", "cases": [bad.clone(), bad.clone(), bad]});
    let created = post_raw(
        router.clone(),
        "/v1/batches",
        "application/json",
        serde_json::to_vec(&three).unwrap(),
    )
    .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let status = loop {
        let s = get_on(&router, &format!("/v1/batches/{id}?per_page=2&page=2"))
            .await
            .json();
        if s["status"] == "done" {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["counts"]["refused"], 3);
    assert_eq!(status["pages"], 2);
    assert_eq!(status["records"].as_array().unwrap().len(), 1);
    assert_eq!(status["records"][0]["index"], 2);
}

/// A caller may have only so many batches queued or running at once
/// (429 beyond), and a batch's key belongs to its caller and its request.
#[tokio::test]
async fn batches_per_caller_and_their_keys() {
    // Callers are their keys: two keys, two callers.
    let register = Arc::new(docket::register::Register::in_memory().unwrap());
    let courts = make_key(&register, "courts team", &ALL_SCOPES, None);
    let school = make_key(&register, "a school", &ALL_SCOPES, None);
    let router = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            max_batches_per_caller: 1,
            workers: 1,
            register: Some(Arc::clone(&register)),
            ..docket::http::ServeOptions::default()
        },
    )
    .unwrap();
    let token = |by: &str| {
        if by == "courts team" {
            courts.clone()
        } else {
            school.clone()
        }
    };
    let post = |by: &'static str, key: &'static str, body: Value| {
        let router = router.clone();
        let token = token(by);
        async move {
            send(
                router,
                axum::http::Request::post("/v1/batches")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {token}"))
                    .header("idempotency-key", key)
                    .body(axum::body::Body::from(serde_json::to_vec(&body).unwrap()))
                    .unwrap(),
            )
            .await
        }
    };
    // Enough notices to keep one worker busy for a while.
    let long =
        json!({"kind": "penalty-notice", "cases": (100..140).map(notice_case).collect::<Vec<_>>()});
    let first = post("courts team", "k1", long.clone()).await;
    assert_eq!(first.status, 202);
    let id = first.json()["id"].as_str().unwrap().to_owned();
    // The same request again with its key: the same batch, not a second one.
    let again = post("courts team", "k1", long.clone()).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.json()["id"], id);
    // The key with another request.
    let other = json!({"kind": "penalty-notice", "cases": [notice_case(150)]});
    let reused = post("courts team", "k1", other.clone()).await;
    assert_eq!(
        reused.status,
        409,
        "{}",
        String::from_utf8_lossy(&reused.body)
    );
    // A second batch while the first runs: too many for this caller...
    let busy = post("courts team", "k2", other.clone()).await;
    assert_eq!(busy.status, 429, "{}", String::from_utf8_lossy(&busy.body));
    assert!(busy.headers.contains_key("retry-after"));
    // ...but not for another, whose key of the same name is its own.
    let elsewhere = post("a school", "k1", other).await;
    assert_eq!(
        elsewhere.status,
        202,
        "{}",
        String::from_utf8_lossy(&elsewhere.body)
    );
    assert_ne!(elsewhere.json()["id"], id);
}

/// A register on a full disk: `/healthz` says degraded (503), an issue is
/// refused with 507 and nothing half-written, a running batch fails with
/// its reason (recorded at the next start), and all recover when space
/// returns.
#[tokio::test]
async fn a_full_register_is_visible_and_recovers() {
    let dir = Scratch::new();
    let db = dir.join("register.db");
    let register = Arc::new(docket::register::Register::open(&db).unwrap());
    let batch_dir = dir.join("batches");
    let opts = docket::http::ServeOptions {
        register: Some(Arc::clone(&register)),
        batch_dir: Some(batch_dir.clone()),
        ..docket::http::ServeOptions::default()
    };
    let router = docket::http::app(docket(), &opts).unwrap();
    assert_eq!(get_on(&router, "/healthz").await.status, 200);
    // A batch made while there is room, and run once the register is full.
    let batches = docket::batch::Batches::new(
        Arc::clone(&register),
        batch_dir.clone(),
        docket::http::error::describe,
    );
    let case = serde_json::to_string(&notice_case(40)).unwrap();
    let options: docket::batch::BatchOptions =
        serde_json::from_value(json!({"kind": "penalty-notice"})).unwrap();
    let id = match batches
        .create(
            &options,
            &mut std::iter::once(Ok(std::borrow::Cow::Borrowed(case.as_str()))),
            None,
            &docket::access::Actor::cli("test"),
            None,
        )
        .unwrap()
    {
        docket::batch::Creation::Made(id) => id,
        other => panic!("{other:?}"),
    };
    // Full: no page left.
    let size = {
        let sql = rusqlite::Connection::open(&db).unwrap();
        sql.execute_batch("VACUUM").unwrap();
        let pages: u64 = sql
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        let page: u64 = sql.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        pages * page
    };
    register.limit_size(size).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let health = get_on(&router, "/healthz").await;
    assert_eq!(
        health.status,
        503,
        "{}",
        String::from_utf8_lossy(&health.body)
    );
    assert_eq!(health.json()["type"], "urn:docket:problem:degraded");
    let issue = post_json_on(&router, "/v1/documents/penalty-notice", &notice_case(41)).await;
    assert!(
        issue.status == 507 || issue.status == 503,
        "{}: {}",
        issue.status,
        String::from_utf8_lossy(&issue.body)
    );
    assert!(
        issue.json()["detail"]
            .as_str()
            .unwrap()
            .contains("register")
    );
    assert!(
        register
            .history(notice_case(41)["pupil"]["upn"].as_str().unwrap())
            .unwrap()
            .is_empty()
    );
    let docket = docket();
    let run = batches.run(&docket, &id, 2, &|_, _| {});
    assert!(run.is_err());
    let summary = batches.summary(&id).unwrap();
    assert_eq!(summary.status, docket::register::BatchState::Failed);
    assert!(
        summary.error.as_deref().unwrap_or("").contains("full"),
        "{summary:?}"
    );
    // Space returns: healthy again, and the next start records the failure.
    register.limit_size(1 << 30).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get_on(&router, "/healthz").await.status, 200);
    let service = docket::http::Service::new(docket::http::Live::new(docket), &opts).unwrap();
    service.resume().unwrap();
    let row = register.batch(&id).unwrap();
    assert_eq!(row.status, docket::register::BatchState::Failed);
    assert!(row.error.unwrap_or_default().contains("full"));
}

async fn post_json_on(router: &axum::Router, path: &str, body: &Value) -> Reply {
    post_raw(
        router.clone(),
        path,
        "application/json",
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// A 100,000-row CSV batch, followed by ten callers polling its status at
/// once, keeps the server's memory bounded (under 300 MiB at its peak):
/// rows are read one at a time, the status is paged and computed by the
/// register, and the manifest is written a page at a time.
#[test]
fn a_hundred_thousand_row_batch_keeps_memory_bounded() {
    let server = Server::start(&templates_dir(), &["--batch-body-limit", "67108864"]);
    let mut csv = String::from("reference,date,pupil.upn,pupil.given_names\n");
    for i in 0..100_000 {
        csv.push_str(&format!("ROW/{i:06},2026-11-23,A886200012345,Child {i}\n"));
    }
    let url = format!("{}/v1/batches?kind=penalty-notice", server.url);
    let created = ureq_post(&url, "text/csv", csv.as_bytes());
    let id = created["id"].as_str().unwrap().to_owned();
    let status_url = format!("{}/v1/batches/{id}?per_page=1000", server.url);
    let started = std::time::Instant::now();
    loop {
        let polls: Vec<_> = (0..10)
            .map(|_| {
                let status_url = status_url.clone();
                std::thread::spawn(move || ureq_get(&status_url))
            })
            .collect();
        let statuses: Vec<Value> = polls.into_iter().map(|p| p.join().unwrap()).collect();
        let s = &statuses[0];
        assert!(s["counts"]["refused"].is_u64(), "{s}");
        if s["status"] == "done" {
            assert_eq!(s["counts"]["refused"], 100_000);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "{s}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let manifest = ureq_get_text(&format!("{}/v1/batches/{id}/manifest.csv", server.url));
    assert_eq!(manifest.lines().count(), 100_001);
    let peak = server.peak_rss_mib();
    eprintln!(
        "100,000-row CSV batch: done in {:.0} s, server peak RSS {peak:.0} MiB",
        started.elapsed().as_secs_f64()
    );
    assert!(peak < 300.0, "peak RSS {peak:.0} MiB");
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn ureq_post(url: &str, content_type: &str, body: &[u8]) -> Value {
    let mut reply = agent()
        .post(url)
        .header("Content-Type", content_type)
        .send(body)
        .unwrap();
    let text = reply.body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"))
}

fn ureq_get(url: &str) -> Value {
    serde_json::from_str(&ureq_get_text(url)).unwrap()
}

fn ureq_get_text(url: &str) -> String {
    let mut reply = agent().get(url).call().unwrap();
    reply
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .unwrap()
}
