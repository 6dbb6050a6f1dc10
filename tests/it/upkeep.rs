//! Looking after the register as its operators do, with the real binary:
//! a backup taken while a batch issues verifies, serves and reprints byte
//! for byte; `verify` finds an altered PDF; `purge` leaves tombstones and
//! a reprint of a purged document says so; `export` gathers everything
//! about one pupil for a subject access request.

use std::io::Read;
use std::sync::Arc;

use serde_json::Value;

use crate::common::*;
use docket::register::Register;

/// Runs the binary; its exit code, standard output and standard error.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = docket_cmd().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_backup_during_a_batch_verifies_serves_and_reprints_identically() {
    let (cases, _) = crate::batch::cases(300);
    let server = Server::start(&templates_dir(), &["--batch-body-limit", "67108864"]);
    let id = server.batch_under_way(&cases, 30);
    let copy_dir = Scratch::new();
    let copy = copy_dir.join("docket.db");
    let (code, out, err) = run(&[
        "register",
        "backup",
        path(&copy),
        "--db",
        path(&server.db()),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let after = server.get_json(&format!("/v1/batches/{id}"));
    assert_ne!(
        after["status"], "done",
        "the backup was not taken while the batch ran"
    );
    let (code, out, err) = run(&["register", "verify", "--db", path(&copy)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("the register is intact"), "{out}");
    // Every document in the copy, as the live service reprints it.
    let mut references = Vec::new();
    {
        let register = Register::inspect(&copy).unwrap();
        for year in 2024..=2027 {
            for (reference, state, _) in register
                .numbers(docket::register::Series::PenaltyNotice, year)
                .unwrap()
            {
                if state == docket::register::NumberStatus::Used {
                    references.push(reference);
                }
            }
        }
    }
    assert!(
        references.len() >= 30,
        "{} documents in the copy",
        references.len()
    );
    // Serve from the copy (restored as a register file).
    let restored = Server::launch_in(copy_dir, &templates_dir(), Launch::default());
    for reference in references.iter().step_by(7) {
        let (s, live) = server.call(&format!("/v1/documents/{reference}"), None);
        assert_eq!(s, 200);
        let (s, from_copy) = restored.call(&format!("/v1/documents/{reference}"), None);
        assert_eq!(s, 200);
        assert!(live == from_copy, "{reference} differs in the copy");
    }
}

/// Issues `case` as `kind` through `router`: its reference.
async fn issue(router: &axum::Router, kind: &str, query: &str, case: &Value) -> String {
    let reply = post_raw(
        router.clone(),
        &format!("/v1/documents/{kind}?{query}"),
        "application/json",
        serde_json::to_vec(case).unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{kind}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    // Several copies: their references, comma-separated; the first.
    let references = reply.headers["docket-reference"].to_str().unwrap();
    references.split(", ").next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_an_altered_pdf() {
    let dir = Scratch::new();
    let db = dir.join("docket.db");
    let register = Arc::new(Register::open(&db).unwrap());
    let router = router_on_register(&register);
    let first = issue_notice(&router, 1).await;
    let second = issue_notice(&router, 2).await;
    drop((router, register));
    let (code, out, err) = run(&["register", "verify", "--db", path(&db)]);
    assert_eq!(code, 0, "{out}{err}");
    // One byte of one stored PDF changed behind the register's back.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut pdf: Vec<u8> = conn
        .query_row(
            "SELECT pdf FROM documents WHERE reference = ?1",
            [&second],
            |r| r.get(0),
        )
        .unwrap();
    pdf[1000] ^= 0x20;
    conn.execute(
        "UPDATE documents SET pdf = ?1 WHERE reference = ?2",
        rusqlite::params![pdf, second],
    )
    .unwrap();
    drop(conn);
    let (code, out, err) = run(&["register", "verify", "--db", path(&db)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!("document {second}: its stored PDF does not match")),
        "{err}"
    );
    assert!(
        !err.contains(&first),
        "only the altered one is named: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_leaves_tombstones_and_a_reprint_says_purged() {
    let dir = Scratch::new();
    let db = dir.join("docket.db");
    let register = Arc::new(Register::open(&db).unwrap());
    let router = router_on_register(&register);
    // A letter of February 2024 and one of this year.
    let old = issue(
        &router,
        "absence-concern-letter",
        "issue=true",
        &sample_of("absence-concern-letter", "pias-1"),
    )
    .await;
    let recent = sample_of("absence-concern-letter", "kpas-1");
    let new = issue(&router, "absence-concern-letter", "issue=true", &recent).await;
    let policy = dir.join("retention.toml");
    let text = "default = { years = 2, from = \"issued\" }\n[kinds]\npenalty-notice = { years = 6, from = \"pupil-leaves\" }\nexclusion-penalty-notice = { years = 3, from = \"issued\" }\n";
    std::fs::write(&policy, text).unwrap();
    let purge = |extra: &[&str]| {
        let mut args = vec![
            "register",
            "purge",
            "--retention",
            path(&policy),
            "--db",
            path(&db),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let (code, out, err) = purge(&["--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&old) && !out.contains(&new), "{out}");
    // The recent letter went to both parents: two copies, both kept.
    assert!(out.contains("1 of 3 documents"), "{out}");
    assert!(register.holds(&old).unwrap(), "a dry run purges nothing");
    // Unconfirmed periods are not acted on.
    let (code, _, err) = purge(&[]);
    assert_eq!(code, 1);
    assert!(err.contains("no one has confirmed"), "{err}");
    assert!(register.holds(&old).unwrap());
    std::fs::write(
        &policy,
        format!("confirmed = {{ by = \"A Records Manager\", on = 2026-11-30 }}\n{text}"),
    )
    .unwrap();
    let (code, out, err) = purge(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("purged 1 documents"), "{out}");
    assert!(!register.holds(&old).unwrap(), "{old} is still held: {out}");
    assert!(register.holds(&new).unwrap(), "{new} was purged: {out}");
    // The purged one: 410 with its tombstone's facts; the other reprints.
    let reply = get_on(&router, &format!("/v1/documents/{old}")).await;
    assert_eq!(
        reply.status,
        410,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let problem = reply.json();
    assert_eq!(problem["type"], "urn:docket:problem:purged");
    assert!(
        problem["detail"].as_str().unwrap().contains("retention"),
        "{problem}"
    );
    assert_eq!(
        get_on(&router, &format!("/v1/documents/{new}"))
            .await
            .status,
        200
    );
    // A school's key is not told that a document it could not see existed.
    let school = make_key(
        &register,
        "school",
        &[docket::access::Scope::RegisterRead],
        Some(&["118850"]),
    );
    let reply = call(
        &router,
        "GET",
        &format!("/v1/documents/{old}"),
        Some(&school),
        None,
    )
    .await;
    assert_eq!(
        reply.status,
        404,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    // Its number is still accounted for, and nothing personal stays.
    drop((router, register));
    let (code, out, err) = run(&["register", "verify", "--db", path(&db)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("tombstone (1)"), "{out}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let pupil = sample_of("absence-concern-letter", "pias-1")["pupil"]["family_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let tomb: String = conn
        .query_row(
            "SELECT json_object('r', reference, 'k', kind, 'rule', rule) FROM purged",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(tomb.contains(&old) && !tomb.contains(&pupil), "{tomb}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subject_access_export_holds_everything_about_one_pupil() {
    let dir = Scratch::new();
    let db = dir.join("docket.db");
    let register = Arc::new(Register::open(&db).unwrap());
    let router = router_on_register(&register);
    let case = notice_case(40);
    let upn = case["pupil"]["upn"].as_str().unwrap().to_owned();
    let first = issue(&router, "penalty-notice", "recipient=0", &case).await;
    let second = issue(&router, "penalty-notice", "recipient=1", &case).await;
    let other = issue_notice(&router, 41).await;
    // A reprint: an access the trail records about the pupil.
    assert_eq!(
        get_on(&router, &format!("/v1/documents/{first}"))
            .await
            .status,
        200
    );
    let stored = register.pdf(&first).unwrap();
    drop((router, register));
    let zip_path = dir.join("sar.zip");
    let (code, out, err) = run(&[
        "register",
        "export",
        "--upn",
        &upn,
        "-o",
        path(&zip_path),
        "--db",
        path(&db),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 documents"), "{out}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut bytes = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    };
    assert_eq!(
        read(&format!("documents/{first}.pdf")),
        stored,
        "the PDF as issued"
    );
    let documents: Value = serde_json::from_slice(&read("documents.json")).unwrap();
    let refs: Vec<&str> = documents
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 2);
    assert!(
        refs.contains(&first.as_str())
            && refs.contains(&second.as_str())
            && !refs.contains(&other.as_str())
    );
    assert_eq!(documents[0]["case"]["pupil"]["upn"], upn.as_str());
    assert!(documents[0]["timeline"].is_array());
    let audit: Value = serde_json::from_slice(&read("audit.json")).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["target"] == first.as_str()),
        "the reprint is on the trail: {audit}"
    );
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["pupil_upn"] == upn.as_str())
    );
    let readme = String::from_utf8(read("README.txt")).unwrap();
    assert!(readme.contains("subject access request"));
    // The export itself is on the trail.
    let register = Register::open_beside(&db).unwrap();
    let rows = register
        .audit_rows(&docket::register::AuditQuery {
            upn: Some(upn),
            from: None,
            to: None,
            limit: 100,
        })
        .unwrap();
    assert!(rows.iter().any(|r| r.action == "subject-access-export"));
}
