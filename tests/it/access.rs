//! Who may do what: every route walked with every kind of caller, the
//! audit trail each request leaves, its hash chain checked by the CLI, and
//! the refusal to serve off loopback without a key.

use std::sync::Arc;
use std::time::Duration;

use docket::access::Scope;
use docket::register::{AuditQuery, AuditRow, Register};
use serde_json::{Value, json};

use crate::common::*;

const SCHOOL_A: &str = "123456";
const SCHOOL_B: &str = "654321";

/// A penalty-notice case of school A.
fn case_of_a(i: usize) -> Value {
    let mut case = notice_case(i);
    case["school"]["urn"] = json!(SCHOOL_A);
    case
}

fn rows(register: &Register) -> Vec<AuditRow> {
    register
        .audit_rows(&AuditQuery {
            limit: 100_000,
            ..AuditQuery::default()
        })
        .unwrap()
}

/// The rows requests made, without those a batch running in the
/// background writes for the notices it issues (whenever it gets to them).
fn request_rows(register: &Register) -> Vec<AuditRow> {
    rows(register)
        .into_iter()
        .filter(|r| r.method != "batch")
        .collect()
}

/// The id of a token's key (`dk_<id>_<secret>`).
fn id_of(token: &str) -> String {
    docket::access::parse_token(token).unwrap().0.to_owned()
}

/// The callers of the walk, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    NoKey,
    WrongKey,
    MissingScope,
    Revoked,
    OtherSchool,
    Right,
}

struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// The key that may, the key without the scope.
    right: String,
    missing: String,
    /// What the other school's key gets.
    other: u16,
    /// What the right key gets, and the rows it leaves.
    ok: u16,
    ok_rows: usize,
}

#[tokio::test]
async fn every_route_answers_each_caller_as_its_key_allows_and_the_trail_records_it() {
    let dir = Scratch::new();
    let register = Arc::new(Register::open(&dir.join("docket.db")).unwrap());
    let admin = make_key(&register, "IG officer", &ALL_SCOPES, None);
    let school_scopes = [
        Scope::DocumentsRender,
        Scope::DocumentsIssue,
        Scope::RegisterRead,
        Scope::RegisterEvents,
        Scope::Batches,
    ];
    let school_a = make_key(
        &register,
        "Oakfield office",
        &school_scopes,
        Some(&[SCHOOL_A]),
    );
    let school_b = make_key(
        &register,
        "Elmwood office",
        &school_scopes,
        Some(&[SCHOOL_B]),
    );
    let render_only = make_key(&register, "Letters tool", &[Scope::DocumentsRender], None);
    let revoked = make_key(&register, "Old case tool", &ALL_SCOPES, None);
    register.revoke_key(&id_of(&revoked), "test").unwrap();
    let wrong = format!("dk_{}_{}", "0".repeat(12), "0".repeat(64));
    let router = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            register: Some(Arc::clone(&register)),
            batch_dir: Some(dir.join("batches")),
            // The walk sends many requests without a key from one place.
            rate_limit: 100_000,
            lookup_rate_limit: 100_000,
            ..docket::http::ServeOptions::default()
        },
    )
    .unwrap();

    // School A's notices (two parents, two references), and its batch.
    let a = case_of_a(501);
    let upn = a["pupil"]["upn"].as_str().unwrap().to_owned();
    let issued = call(
        &router,
        "POST",
        "/v1/documents/penalty-notice",
        Some(&school_a),
        Some(&a),
    )
    .await;
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let refs: Vec<String> = issued.json()["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reference"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(refs.len(), 2);
    let batch = call(
        &router,
        "POST",
        "/v1/batches",
        Some(&school_a),
        Some(&json!({"kind": "penalty-notice", "cases": [case_of_a(502)]})),
    )
    .await;
    assert_eq!(
        batch.status,
        202,
        "{}",
        String::from_utf8_lossy(&batch.body)
    );
    let batch = batch.json()["id"].as_str().unwrap().to_owned();
    for _ in 0..600 {
        let s = call(
            &router,
            "GET",
            &format!("/v1/batches/{batch}"),
            Some(&admin),
            None,
        )
        .await;
        if s.json()["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let today = chrono::Local::now().date_naive().to_string();
    let routes = [
        Route {
            method: "GET",
            path: format!("/v1/documents/{}", refs[0]),
            body: None,
            right: school_a.clone(),
            missing: render_only.clone(),
            other: 404,
            ok: 200,
            ok_rows: 1,
        },
        Route {
            method: "GET",
            path: format!("/v1/documents?pupil_upn={upn}"),
            body: None,
            right: school_a.clone(),
            missing: render_only.clone(),
            other: 404,
            ok: 200,
            ok_rows: 1,
        },
        Route {
            method: "GET",
            path: format!("/v1/documents/{}/status", refs[0]),
            body: None,
            right: school_a.clone(),
            missing: render_only.clone(),
            other: 404,
            ok: 200,
            ok_rows: 1,
        },
        Route {
            method: "POST",
            path: format!("/v1/documents/{}/events", refs[1]),
            body: Some(
                json!({"event": "withdrawn", "ground": "material-error", "reason": "issued in error", "on": today}),
            ),
            right: school_a.clone(),
            missing: render_only.clone(),
            other: 404,
            ok: 201,
            ok_rows: 1,
        },
        Route {
            method: "POST",
            path: "/v1/documents/penalty-notice".into(),
            body: Some(case_of_a(503)),
            right: school_a.clone(),
            missing: render_only.clone(),
            // Another school's key may not issue for school A: refused by
            // rule at /school/urn.
            other: 422,
            ok: 201,
            ok_rows: 2,
        },
        Route {
            method: "POST",
            path: "/v1/batches".into(),
            body: Some(json!({"kind": "penalty-notice", "cases": [case_of_a(504)]})),
            right: school_a.clone(),
            missing: render_only.clone(),
            // Accepted; its case is refused when the batch runs.
            other: 202,
            ok: 202,
            ok_rows: 1,
        },
        Route {
            method: "GET",
            path: format!("/v1/batches/{batch}"),
            body: None,
            right: school_a.clone(),
            missing: render_only.clone(),
            other: 404,
            ok: 200,
            ok_rows: 1,
        },
        Route {
            method: "GET",
            path: format!("/v1/batches/{batch}/manifest.csv"),
            body: None,
            right: school_a.clone(),
            missing: render_only.clone(),
            other: 404,
            ok: 200,
            ok_rows: 1,
        },
        Route {
            method: "GET",
            path: "/v1/keys".into(),
            body: None,
            right: admin.clone(),
            missing: school_a.clone(),
            other: 403,
            ok: 200,
            ok_rows: 1,
        },
        Route {
            method: "POST",
            path: "/v1/keys".into(),
            body: Some(json!({"name": "New tool", "scopes": ["documents:render"]})),
            right: admin.clone(),
            missing: school_a.clone(),
            other: 403,
            ok: 201,
            ok_rows: 1,
        },
        Route {
            method: "GET",
            path: format!("/v1/audit?upn={upn}"),
            body: None,
            right: admin.clone(),
            missing: school_a.clone(),
            other: 403,
            ok: 200,
            ok_rows: 1,
        },
        Route {
            method: "DELETE",
            path: format!("/v1/keys/{}", id_of(&render_only)),
            body: None,
            right: admin.clone(),
            missing: school_a.clone(),
            other: 403,
            ok: 204,
            ok_rows: 1,
        },
    ];
    for route in &routes {
        for who in [
            Who::NoKey,
            Who::WrongKey,
            Who::MissingScope,
            Who::Revoked,
            Who::OtherSchool,
            Who::Right,
        ] {
            let (token, status, added) = match who {
                Who::NoKey => (None, 401, 1),
                Who::WrongKey => (Some(wrong.as_str()), 401, 1),
                Who::MissingScope => (Some(route.missing.as_str()), 403, 1),
                Who::Revoked => (Some(revoked.as_str()), 401, 1),
                Who::OtherSchool => (Some(school_b.as_str()), route.other, 1),
                Who::Right => (Some(route.right.as_str()), route.ok, route.ok_rows),
            };
            let before = request_rows(&register).len();
            let reply = call(
                &router,
                route.method,
                &route.path,
                token,
                route.body.as_ref(),
            )
            .await;
            let at = format!("{who:?} {} {}", route.method, route.path);
            assert_eq!(
                reply.status.as_u16(),
                status,
                "{at}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            if status == 401 {
                assert!(
                    reply.headers["www-authenticate"]
                        .to_str()
                        .unwrap()
                        .starts_with("Bearer"),
                    "{at}"
                );
            }
            if status == 403 && who == Who::MissingScope {
                let detail = reply.json()["detail"].as_str().unwrap().to_owned();
                assert!(detail.contains("scope"), "{at}: {detail}");
            }
            if who == Who::OtherSchool && status == 404 {
                // Not a word about whether the record exists.
                assert!(!String::from_utf8_lossy(&reply.body).contains(&upn), "{at}");
            }
            let after = request_rows(&register);
            assert_eq!(
                after.len() - before,
                added,
                "{at}: rows {:#?}",
                &after[before..]
            );
            let last = after.last().unwrap();
            assert_eq!(last.outcome, status, "{at}");
            match who {
                Who::NoKey => assert!(last.key_id.is_none(), "{at}"),
                Who::WrongKey => assert_eq!(last.key_id.as_deref(), Some("000000000000"), "{at}"),
                Who::Right => assert_eq!(last.key_id, Some(id_of(&route.right)), "{at}"),
                _ => assert!(last.key_id.is_some(), "{at}"),
            }
        }
    }
    let trail = rows(&register);
    // The subject access request: every row about the pupil names who.
    let about: Vec<&AuditRow> = trail
        .iter()
        .filter(|r| r.pupil_upn.as_deref() == Some(upn.as_str()))
        .collect();
    assert!(
        about
            .iter()
            .any(|r| r.action == "reprint" && r.outcome == 200)
    );
    assert!(
        about.iter().any(|r| r.action == "reprint"
            && r.outcome == 404
            && r.key_id == Some(id_of(&school_b)))
    );
    assert!(matches!(
        register.verify_audit().unwrap(),
        docket::register::AuditCheck::Intact { .. }
    ));
    // Who did it is the key; the header only says for whom.
    let event = call_with(
        &router,
        "GET",
        &format!("/v1/documents/{}/status", refs[1]),
        &admin,
        Some("J Smith, attendance officer"),
    )
    .await;
    let timeline = event.json()["timeline"].clone();
    assert_eq!(timeline[1]["event"], "withdrawn", "{timeline}");
    let issued = register.get(&refs[0]).unwrap();
    assert_eq!(issued.requested_by, "Oakfield office");
    assert_eq!(issued.key_id, Some(id_of(&school_a)));
    assert_eq!(issued.school_urn.as_deref(), Some(SCHOOL_A));
    let last = request_rows(&register).pop().unwrap();
    assert_eq!(last.actor, "IG officer");
    assert_eq!(
        last.on_behalf_of.as_deref(),
        Some("J Smith, attendance officer")
    );
    // Putting the withdrawal right needs register:correct, which a school's
    // key never has.
    let correction = json!({"event": "corrected", "supersedes": timeline[1]["id"], "reason": "withdrawn by mistake", "on": today});
    let path = format!("/v1/documents/{}/events", refs[1]);
    let refused = call(&router, "POST", &path, Some(&school_a), Some(&correction)).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("register:correct")
    );
    let corrected = call(&router, "POST", &path, Some(&admin), Some(&correction)).await;
    assert_eq!(
        corrected.status,
        201,
        "{}",
        String::from_utf8_lossy(&corrected.body)
    );
}

/// A call with a bearer token and `Docket-Requested-By`.
async fn call_with(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    on_behalf_of: Option<&str>,
) -> Reply {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    if let Some(person) = on_behalf_of {
        request = request.header("docket-requested-by", person);
    }
    send(
        router.clone(),
        request.body(axum::body::Body::empty()).unwrap(),
    )
    .await
}

/// A school's key issues only for its own schools, and its history of a
/// pupil shows its own schools' documents only.
#[tokio::test]
async fn a_school_key_issues_and_sees_only_its_own_schools() {
    let register = Arc::new(Register::in_memory().unwrap());
    let all = make_key(&register, "Courts Team", &ALL_SCOPES, None);
    let school = make_key(
        &register,
        "Oakfield office",
        &[Scope::DocumentsIssue, Scope::RegisterRead, Scope::Batches],
        Some(&[SCHOOL_A]),
    );
    let router = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            register: Some(Arc::clone(&register)),
            ..docket::http::ServeOptions::default()
        },
    )
    .unwrap();
    // A case that gives no school, or another school: refused by rule.
    let mut none = notice_case(601);
    if let Some(s) = none["school"].as_object_mut() {
        s.remove("urn");
    }
    let mut other = notice_case(602);
    other["school"]["urn"] = json!(SCHOOL_B);
    for case in [&none, &other] {
        let reply = call(
            &router,
            "POST",
            "/v1/documents/penalty-notice",
            Some(&school),
            Some(case),
        )
        .await;
        assert_eq!(
            reply.status,
            422,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.json()["errors"][0]["pointer"], "/school/urn");
        assert_eq!(reply.json()["errors"][0]["rule"], "access.school");
    }
    // A URN that is not six digits is refused by the schema.
    let mut bad = notice_case(603);
    bad["school"]["urn"] = json!("12345");
    let reply = call(
        &router,
        "POST",
        "/v1/documents/penalty-notice",
        Some(&all),
        Some(&bad),
    )
    .await;
    assert_eq!(reply.status, 422);
    assert!(
        reply.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pointer"] == "/school/urn"),
        "{}",
        reply.json()
    );
    // The same pupil at two schools (a move): each school sees its own.
    let mut at_b = notice_case(604);
    at_b["school"]["urn"] = json!(SCHOOL_B);
    let upn = at_b["pupil"]["upn"].as_str().unwrap().to_owned();
    let mut at_a = at_b.clone();
    at_a["school"]["urn"] = json!(SCHOOL_A);
    at_a["reference"] = json!("LEGAL/0604A");
    at_a["penalty"]["offence_from"] = at_b["penalty"]["offence_from"].clone();
    let b = call(
        &router,
        "POST",
        "/v1/documents/penalty-notice",
        Some(&all),
        Some(&at_b),
    )
    .await;
    assert_eq!(b.status, 201, "{}", String::from_utf8_lossy(&b.body));
    let history = call(
        &router,
        "GET",
        &format!("/v1/documents?pupil_upn={upn}"),
        Some(&school),
        None,
    )
    .await;
    assert_eq!(
        history.status,
        404,
        "{}",
        String::from_utf8_lossy(&history.body)
    );
    let everyone = call(
        &router,
        "GET",
        &format!("/v1/documents?pupil_upn={upn}"),
        Some(&all),
        None,
    )
    .await;
    assert_eq!(everyone.json()["documents"].as_array().unwrap().len(), 2);
    // The same offence again, as school A: refused, without naming the
    // other school's notice or its date.
    let again = call(
        &router,
        "POST",
        "/v1/documents/penalty-notice",
        Some(&school),
        Some(&at_a),
    )
    .await;
    assert_eq!(
        again.status,
        422,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    let error = &again.json()["errors"][0];
    assert_eq!(error["rule"], "pn.duplicate-period");
    let detail = error["detail"].as_str().unwrap();
    assert!(
        !detail.contains("PN2") && !detail.contains("20"),
        "{detail}"
    );
    // The authority's key is told which notice it is.
    let told = call(
        &router,
        "POST",
        "/v1/documents/penalty-notice",
        Some(&all),
        Some(&at_a),
    )
    .await;
    assert!(
        told.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("PN2")
    );
    // A key with `batches` alone cannot issue through a batch.
    let batches_only = make_key(&register, "print room", &[Scope::Batches], None);
    let refused = call(
        &router,
        "POST",
        "/v1/batches",
        Some(&batches_only),
        Some(&json!({"kind": "penalty-notice", "cases": [case_of_a(606)]})),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("documents:issue")
    );
    // A school's batch of its own case: the trail names the batch, and each
    // notice it issued, about its pupil.
    let own = case_of_a(605);
    let own_upn = own["pupil"]["upn"].as_str().unwrap().to_owned();
    let made = call(
        &router,
        "POST",
        "/v1/batches",
        Some(&school),
        Some(&json!({"kind": "penalty-notice", "cases": [own]})),
    )
    .await;
    assert_eq!(made.status, 202);
    let batch = made.json()["id"].as_str().unwrap().to_owned();
    for _ in 0..600 {
        let s = call(
            &router,
            "GET",
            &format!("/v1/batches/{batch}"),
            Some(&school),
            None,
        )
        .await;
        if s.json()["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let trail = rows(&register);
    assert!(
        trail
            .iter()
            .any(|r| r.action == "batch" && r.target.as_deref() == Some(batch.as_str()))
    );
    let issued: Vec<&AuditRow> = trail
        .iter()
        .filter(|r| r.method == "batch" && r.pupil_upn.as_deref() == Some(own_upn.as_str()))
        .collect();
    assert_eq!(issued.len(), 2, "{issued:#?}");
    assert!(
        issued
            .iter()
            .all(|r| r.action == "issue" && r.actor == "Oakfield office")
    );
    // A batch made with the school's key refuses the other school's case.
    let made = call(
        &router,
        "POST",
        "/v1/batches",
        Some(&school),
        Some(&json!({"kind": "penalty-notice", "cases": [other]})),
    )
    .await;
    assert_eq!(made.status, 202);
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let status = loop {
        let s = call(
            &router,
            "GET",
            &format!("/v1/batches/{id}"),
            Some(&school),
            None,
        )
        .await;
        assert_eq!(s.status, 200);
        if s.json()["status"] == "done" {
            break s.json();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["counts"]["refused"], 1, "{status}");
    let problem: Value = status["records"][0]["problem"].clone();
    assert!(problem.to_string().contains("access.school"), "{problem}");
    // The school sees its batch; the authority's key too.
    assert_eq!(
        call(
            &router,
            "GET",
            &format!("/v1/batches/{id}"),
            Some(&all),
            None
        )
        .await
        .status,
        200
    );
}

/// `docket audit verify` passes an untouched trail and names the first row
/// that was edited, removed or added out of the chain; `docket audit
/// --upn` answers a subject access request.
#[test]
fn the_cli_verifies_the_trail_and_names_the_broken_row() {
    let dir = Scratch::new();
    let db = dir.join("docket.db");
    let docket_cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_docket"))
            .args(args)
            .arg("--db")
            .arg(&db)
            .env("USER", "ig-officer")
            .output()
            .unwrap()
    };
    let made = docket_cli(&[
        "keys",
        "create",
        "--name",
        "Case tool",
        "--scope",
        "documents:render,register:read",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    assert!(docket::access::parse_token(&token).is_some(), "{token}");
    {
        let register = Register::open(&db).unwrap();
        register
            .audit(&[docket::register::NewAudit {
                actor: "Case tool".into(),
                action: "reprint".into(),
                method: "GET".into(),
                route: "/v1/documents/{id}".into(),
                target: Some("DK26-000001A".into()),
                pupil_upn: Some("W886200012345".into()),
                outcome: 200,
                ..docket::register::NewAudit::default()
            }])
            .unwrap();
        // The secret is nowhere in the file.
        let bytes = std::fs::read(&db).unwrap();
        let secret = token.rsplit('_').next().unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }
    assert!(docket_cli(&["keys", "list"]).status.success());
    let ok = docket_cli(&["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 3 rows"));
    let sar = docket_cli(&["audit", "--upn", "W886200012345"]);
    let listed = String::from_utf8_lossy(&sar.stdout).to_string();
    // A header line, then the one row about the pupil.
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.lines().nth(1).unwrap().contains("reprint"),
        "{listed}"
    );
    // Edit row 2 behind docket's back (the triggers dropped first).
    let edit = |sql: &str| {
        let conn = rusqlite_open(&db);
        conn.execute_batch(sql).unwrap();
    };
    edit(
        "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; UPDATE audit SET pupil_upn = 'X' WHERE seq = 2",
    );
    let broken = docket_cli(&["audit", "verify"]);
    assert!(!broken.status.success());
    let why = String::from_utf8_lossy(&broken.stderr).to_string();
    assert!(why.contains("row 2"), "{why}");
    // Put back, it verifies; remove the last row, it names that row.
    edit("UPDATE audit SET pupil_upn = 'W886200012345' WHERE seq = 2");
    assert!(docket_cli(&["audit", "verify"]).status.success());
    let rows_now: i64 = rusqlite_open(&db)
        .query_row("SELECT MAX(seq) FROM audit", [], |r| r.get(0))
        .unwrap();
    edit(&format!("DELETE FROM audit WHERE seq = {rows_now}"));
    let truncated = docket_cli(&["audit", "verify"]);
    assert!(!truncated.status.success());
    assert!(
        String::from_utf8_lossy(&truncated.stderr).contains(&format!("row {rows_now}")),
        "{}",
        String::from_utf8_lossy(&truncated.stderr)
    );
    // A row removed from the middle.
    edit("DELETE FROM audit WHERE seq = 1");
    let hole = docket_cli(&["audit", "verify"]);
    assert!(String::from_utf8_lossy(&hole.stderr).contains("row 1"));
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Off loopback with no key, `serve` refuses to start and says how to make
/// one; with a key it serves. `--dev` is refused off loopback.
#[test]
fn serve_off_loopback_needs_a_key() {
    let dir = Scratch::new();
    let db = dir.join("docket.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let serve = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_docket"))
            .arg("--templates")
            .arg(templates_dir())
            .args(["serve", "--addr", &format!("0.0.0.0:{port}"), "--db"])
            .arg(&db)
            .args(extra)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let refused = serve(&[]).wait_with_output().unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(said.contains("docket keys create"), "{said}");
    let dev = serve(&["--dev"]).wait_with_output().unwrap();
    assert!(!dev.status.success());
    assert!(String::from_utf8_lossy(&dev.stderr).contains("loopback"));
    let token = make_key(
        &Register::open(&db).unwrap(),
        "Case tool",
        &[Scope::RegisterRead],
        None,
    );
    let mut child = serve(&[]);
    let mut up = false;
    for _ in 0..200 {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            up = answer.starts_with("HTTP/1.1 200");
            if up {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "docket did not serve with a key");
    let _ = token;
}
