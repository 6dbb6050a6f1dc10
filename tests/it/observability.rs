//! What operators see: `/metrics` names every series after real work, shed
//! load is counted, and no name, UPN, postcode or address line from any
//! case reaches the logs, even at debug level, even for hostile input.

use std::sync::Arc;

use docket::access::Scope;
use serde_json::{Value, json};

use crate::common::*;

/// Every string in `case` that identifies a person or a home: names, UPNs,
/// postcodes, address lines, e-mail addresses and telephone numbers, four
/// characters or longer (shorter ones match by chance).
fn personal_strings(case: &Value) -> Vec<String> {
    const KEYS: [&str; 8] = [
        "given_names",
        "family_name",
        "known_as",
        "upn",
        "postcode",
        "lines",
        "email",
        "phone",
    ];
    fn walk(v: &Value, under: Option<&str>, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let key = KEYS.contains(&k.as_str()).then_some(k.as_str());
                    walk(child, key.or(under.filter(|_| child.is_string())), out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, under.filter(|_| item.is_string()), out);
                }
            }
            Value::String(s) if under.is_some() && s.chars().count() >= 4 => out.push(s.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(case, None, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The first of `secrets` found in `log`, if any.
fn leaked<'a>(log: &str, secrets: &'a [String]) -> Option<&'a String> {
    secrets.iter().find(|s| log.contains(s.as_str()))
}

#[test]
fn personal_strings_are_found_where_people_are_named() {
    let found = personal_strings(&sample_of("penalty-notice", "kpas-2"));
    for s in [
        "Noah James",
        "Whitfield",
        "W886200012345",
        "ME10 2JP",
        "5 Orchard Close",
    ] {
        assert!(found.iter().any(|f| f == s), "{s} not among {found:?}");
    }
    // And the check itself: a log that holds one is caught.
    let log = format!("{{\"message\":\"rendered for {}\"}}", found[0]);
    assert!(leaked(&log, &found).is_some());
}

/// A penalty-notice case whose family name is a hostile string, marked so
/// that a leak shows whatever escaping the log applied.
fn hostile_case(i: usize, hostile: &str) -> (Value, String) {
    let mut case = notice_case(700 + i);
    let marker = format!("Zqx{i}Zq");
    let name = format!("{marker}{hostile}");
    case["pupil"]["family_name"] = json!(name);
    for p in case["parents"].as_array_mut().unwrap() {
        p["family_name"] = json!(name);
    }
    (case, marker)
}

/// The real binary at debug level, logging JSON: every sample rendered by
/// HTTP (court bundles are rendered in-process below), penalty notices
/// issued, hostile names refused or printed; then its whole log is
/// searched for every personal string it was given.
#[test]
fn the_logs_hold_no_personal_data_at_debug_level() {
    let dir = Scratch::new();
    let log_file = dir.join("stderr.log");
    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server::launch(
        &templates_dir(),
        Launch {
            args: vec![
                "--dev".into(),
                "--log-format".into(),
                "json".into(),
                "--metrics-addr".into(),
                format!("127.0.0.1:{metrics_port}"),
            ],
            env: vec![("RUST_LOG".into(), "debug".into())],
            stderr: Some(log_file.clone()),
        },
    );
    let mut secrets = Vec::new();
    for (n, (kind, version, mut case)) in samples().into_iter().enumerate() {
        let v = docket()
            .templates()
            .select(&kind, Some(&version), chrono::NaiveDate::MIN)
            .unwrap();
        if v.sample_register.is_some() || issued_later(&kind, &case) {
            continue;
        }
        secrets.extend(personal_strings(&case));
        if docket().templates().catalogue().always_issued(&kind) {
            // Issued, so each its own child: samples of one kind share
            // their family, and a second notice for an offence is refused.
            case["pupil"]["upn"] = json!(upn_with_check_letter(&format!("8865{n:08}")));
        }
        let (status, body) = server.call(
            &format!("/v1/documents/{kind}?version={version}"),
            Some(&case),
        );
        // Always-issued kinds (penalty notices) answer 201.
        assert!(
            status == 200 || status == 201,
            "{kind}@{version}: {status} {}",
            String::from_utf8_lossy(&body[..body.len().min(400)])
        );
    }
    for i in 0..3 {
        let case = notice_case(600 + i);
        secrets.extend(personal_strings(&case));
        let (status, body) = server.call("/v1/documents/penalty-notice?recipient=0", Some(&case));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    }
    // A refused case: its bad UPN is quoted back to the caller, not logged.
    let mut refused = notice_case(650);
    refused["pupil"]["upn"] = json!("A886200012345");
    secrets.push("A886200012345".into());
    let (status, _) = server.call("/v1/documents/penalty-notice", Some(&refused));
    assert_eq!(status, 422);
    for (i, hostile) in crate::injection::HOSTILE.iter().enumerate() {
        let (case, marker) = hostile_case(i, hostile);
        secrets.push(marker);
        let (status, body) = server.call("/v1/documents/penalty-notice", Some(&case));
        // Printed literally and issued (201), or refused (422).
        assert!(
            status == 201 || status == 422,
            "{hostile}: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    // The loopback metrics listener answers without a key.
    let metrics = ureq::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains("docket_documents_total{kind=\"penalty-notice\",purpose=\"issued\"}"),
        "{metrics}"
    );
    drop(server);
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(
        log.lines().count() > 50,
        "too little was logged to prove anything:\n{log}"
    );
    if let Some(s) = leaked(&log, &secrets) {
        let line = log.lines().find(|l| l.contains(s.as_str())).unwrap_or("");
        panic!("the log holds `{s}`:\n{line}");
    }
    // One JSON object a line, each within its request's span, and the
    // stages within the request.
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let rendered = lines
        .iter()
        .find(|l| l["fields"]["message"] == "rendered")
        .expect("a render logged at debug");
    let spans: Vec<&str> = rendered["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(spans.first(), Some(&"request"), "{rendered}");
    assert!(spans.contains(&"render"), "{rendered}");
    assert!(
        rendered["spans"][0]["id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    let answered = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "answered")
        .count();
    assert!(answered >= 10, "one line a response");
}

/// The same for every sample, court bundles with their sample registers
/// included: the real `docket templates check` renders them all, logging
/// JSON at trace level.
#[test]
fn rendering_every_sample_logs_no_personal_data() {
    let dir = Scratch::new();
    let out = docket_cmd()
        .args(["--log-format", "json", "templates", "check", "--out"])
        .arg(dir.join("pdfs"))
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8(out.stderr).unwrap();
    let secrets: Vec<String> = samples()
        .iter()
        .flat_map(|(_, _, case)| personal_strings(case))
        .collect();
    let pdfs = std::fs::read_dir(dir.join("pdfs")).unwrap().count();
    assert!(
        pdfs >= samples().len(),
        "every sample rendered: {pdfs} files"
    );
    assert!(
        log.contains("\"rendered\""),
        "too little was logged to prove anything:\n{log}"
    );
    if let Some(s) = leaked(&log, &secrets) {
        let line = log.lines().find(|l| l.contains(s.as_str())).unwrap_or("");
        panic!("the log holds `{s}`:\n{line}");
    }
}

/// `/metrics` after a proof, a refusal, an issue and a batch: each named
/// series is there with a count above zero; it needs `metrics:read`, and a
/// school's key may not have it.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_name_every_series_after_real_work() {
    let register = Arc::new(docket::register::Register::in_memory().unwrap());
    let all = make_key(&register, "ops", &ALL_SCOPES, None);
    let render_only = make_key(&register, "tool", &[Scope::DocumentsRender], None);
    let router = router_on_register(&register);
    let case = sample_of("absence-concern-letter", "kpas-2");
    let r = call(
        &router,
        "POST",
        "/v1/documents/absence-concern-letter",
        Some(&all),
        Some(&case),
    )
    .await;
    assert_eq!(r.status, 200);
    let mut bad = case.clone();
    bad["pupil"]["upn"] = json!("A886200012345");
    let r = call(
        &router,
        "POST",
        "/v1/documents/absence-concern-letter",
        Some(&all),
        Some(&bad),
    )
    .await;
    assert_eq!(r.status, 422);
    let r = call(
        &router,
        "POST",
        "/v1/documents/penalty-notice?recipient=0",
        Some(&all),
        Some(&notice_case(900)),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let batch = json!({"kind": "penalty-notice", "cases": [notice_case(901), notice_case(902)]});
    let r = call(&router, "POST", "/v1/batches", Some(&all), Some(&batch)).await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    while call(
        &router,
        "GET",
        &format!("/v1/batches/{id}"),
        Some(&all),
        None,
    )
    .await
    .json()["status"]
        != "done"
    {
        assert!(
            started.elapsed().as_secs() < 120,
            "the batch did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = call(&router, "GET", "/metrics", Some(&render_only), None).await;
    assert_eq!(r.status, 403, "metrics need metrics:read");
    let r = call(&router, "GET", "/metrics", Some(&all), None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.content_type().starts_with("text/plain; version=0.0.4"),
        "{}",
        r.content_type()
    );
    let text = String::from_utf8(r.body).unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(series))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    for series in [
        "docket_http_requests_total{route=\"/v1/documents/{id}\",method=\"POST\",status=\"200\"}",
        "docket_http_requests_total{route=\"/v1/documents/{id}\",method=\"POST\",status=\"422\"}",
        "docket_http_request_duration_seconds_count{route=\"/v1/documents/{id}\"}",
        "docket_stage_duration_seconds_count{stage=\"validate\",kind=\"absence-concern-letter\"}",
        "docket_stage_duration_seconds_count{stage=\"fill\",kind=\"absence-concern-letter\"}",
        "docket_stage_duration_seconds_count{stage=\"compile\",kind=\"penalty-notice\"}",
        "docket_stage_duration_seconds_count{stage=\"export\",kind=\"penalty-notice\"}",
        "docket_stage_duration_seconds_count{stage=\"store\",kind=\"penalty-notice\"}",
        "docket_documents_total{kind=\"absence-concern-letter\",purpose=\"proof\"}",
        "docket_documents_total{kind=\"penalty-notice\",purpose=\"issued\"}",
        "docket_document_duration_seconds_count{kind=\"penalty-notice\"}",
        "docket_documents_refused_total{kind=\"absence-concern-letter\"}",
        "docket_batches_total{status=\"done\"}",
        "docket_batch_cases_total{outcome=\"issued\"}",
        "docket_batch_duration_seconds_count",
        "docket_register_bytes",
        "docket_register_documents",
    ] {
        assert!(value(series) > 0.0, "{series} missing or zero in:\n{text}");
    }
    for gauge in ["docket_render_queue_depth", "docket_renders_in_flight"] {
        assert!(
            text.lines().any(|l| l.starts_with(gauge)),
            "{gauge} missing"
        );
    }
    // Labels are routes as matched: no reference or UPN in any of them.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        // The labels only: the value after them is a number, and may hold
        // any digits.
        let labels = line
            .split_once('{')
            .and_then(|(_, rest)| rest.split_once('}'))
            .map_or("", |(labels, _)| labels);
        assert!(
            !labels.contains("886") && !labels.contains("PN26"),
            "a UPN or a reference in a label: {line}"
        );
    }
    // A school's key may not be given metrics:read.
    let school = docket::access::KeyRequest {
        name: "school".into(),
        scopes: vec![Scope::MetricsRead],
        schools: Some(vec!["118850".into()]),
        expires_on: None,
    };
    let today = chrono::Local::now().date_naive();
    let problems = docket::access::key_problems(&school, today);
    assert!(
        problems
            .iter()
            .any(|(field, why)| *field == "scopes" && why.contains("metrics:read")),
        "a school's key may read metrics: {problems:?}"
    );
}

/// A full render queue sheds load with 503 and `Retry-After`, counted in
/// `docket_shed_total`, and every other request is answered.
#[tokio::test(flavor = "multi_thread")]
async fn shed_load_is_counted() {
    let router = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            workers: 1,
            queue: 0,
            ..docket::http::ServeOptions::default()
        },
    )
    .unwrap();
    let case = sample_of("absence-concern-letter", "kpas-2");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        set.spawn(post_raw(
            router.clone(),
            "/v1/documents/absence-concern-letter",
            "application/json",
            serde_json::to_vec(&case).unwrap(),
        ));
    }
    let replies = set.join_all().await;
    let shed: Vec<_> = replies.iter().filter(|r| r.status == 503).collect();
    assert!(
        !shed.is_empty(),
        "12 at once on one worker and no queue: some shed"
    );
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 503));
    assert!(shed.iter().all(|r| r.headers.contains_key("retry-after")));
    let text = String::from_utf8(get_on(&router, "/metrics").await.body).unwrap();
    assert!(
        text.contains("docket_shed_total{reason=\"queue-full\"}"),
        "{text}"
    );
}

/// Case data past the limits is refused by pointer and rule before
/// anything else reads it; each limit is a flag.
#[test]
fn limits_are_refused_by_pointer_and_rule() {
    let docket = docket::Docket::load(&templates_dir())
        .unwrap()
        .with_limits(docket::Limits {
            json_depth: 6,
            array_items: 50,
            pages: 1,
        });
    let records = docket::evidence::NoRecords;
    let refused = |case: &Value| match docket.check(
        &proof("penalty-notice", Some("kpas-2"), None, case),
        &records,
    ) {
        Err(docket::DocumentError::Invalid(p)) => p.0,
        other => panic!("not refused: {:?}", other.map(|_| ())),
    };
    let case = sample_of("penalty-notice", "kpas-2");
    // The register's sessions are longer than 50.
    let p = refused(&case);
    assert!(
        p.iter()
            .any(|p| p.rule.as_deref() == Some("limit.array-length")
                && p.pointer.starts_with("/attendance")),
        "{p:?}"
    );
    let mut deep = case.clone();
    deep["notes"] = json!({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}});
    let p = refused(&deep);
    assert!(
        p.iter()
            .any(|p| p.rule.as_deref() == Some("limit.json-depth")),
        "{p:?}"
    );
    // Pages: a letter of two pages or more, with a limit of one.
    let letters = docket::Docket::load(&templates_dir())
        .unwrap()
        .with_limits(docket::Limits {
            pages: 1,
            ..docket::Limits::default()
        });
    let case = sample_of("penalty-notice", "kpas-2");
    let checked = letters
        .check(
            &proof("penalty-notice", Some("kpas-2"), None, &case),
            &records,
        )
        .unwrap();
    match letters.render(&checked, docket::Part::All, &docket::render::Pdf) {
        Err(docket::DocumentError::Invalid(p)) => {
            assert_eq!(p.0[0].rule.as_deref(), Some("limit.pages"), "{:?}", p.0);
        }
        other => panic!("not refused: {:?}", other.map(|_| ())),
    }
}

/// The metrics listener has no key in front of it: off loopback it is
/// refused, and the service does not start.
#[test]
fn the_metrics_listener_serves_on_loopback_only() {
    let dir = Scratch::new();
    let out = docket_cmd()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "0.0.0.0:9464",
            "--db",
        ])
        .arg(dir.join("docket.db"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a loopback address"), "{err}");
}
