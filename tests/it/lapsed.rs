//! After the notice: a penalty notice whose last day to pay passes unpaid
//! is listed as lapsed, oldest first, with the six-month limit for laying
//! an information; it needs a decision (prosecute or withdraw), recorded
//! once, on its timeline, and only after the lapse.

use std::sync::Arc;

use chrono::{Days, Months};
use docket::access::{Actor, Scope};
use docket::register::{EventKind, Register, RegisterError};
use docket::rules::lapse::Decision;
use serde_json::{Value, json};

use crate::common::*;

async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = body.map_or_else(Vec::new, |b| serde_json::to_vec(b).unwrap());
    send(
        router.clone(),
        request.body(axum::body::Body::from(body)).unwrap(),
    )
    .await
}

/// Records `event` on `reference` on the day it happened.
fn record(
    register: &Register,
    reference: &str,
    event: &EventKind,
) -> Result<Vec<docket::evidence::Event>, RegisterError> {
    register.add_event(reference, event, &Actor::cli("test"), event.on())
}

fn references(reply: &Reply) -> Vec<String> {
    reply.json()["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["reference"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_lapsed_notice_is_listed_and_decided_once() {
    let register = Arc::new(Register::in_memory().unwrap());
    let router = router_on_register(&register);
    let first = issue_notice(&router, 301).await;
    let paid = issue_notice(&router, 302).await;
    let terms = register.terms(&first).unwrap().unwrap();
    let last = terms.payments.iter().map(|p| p.pay_by).max().unwrap();
    let lapsed_on = last.checked_add_days(Days::new(1)).unwrap();
    // The second notice is paid in time: it never lapses.
    let due = register.terms(&paid).unwrap().unwrap().payments[0];
    let served = register.get(&paid).unwrap().served_on.unwrap();
    record(
        &register,
        &paid,
        &EventKind::Paid {
            amount_pence: due.amount_pence,
            on: served,
        },
    )
    .unwrap();

    // On its last day to pay it has not lapsed; the day after it has.
    let on_last = get_on(&router, &format!("/v1/notices/lapsed?as_of={last}")).await;
    assert_eq!(
        on_last.status,
        200,
        "{}",
        String::from_utf8_lossy(&on_last.body)
    );
    assert!(references(&on_last).is_empty());
    let after = get_on(&router, &format!("/v1/notices/lapsed?as_of={lapsed_on}")).await;
    assert_eq!(references(&after), vec![first.clone()]);
    let listed = &after.json()["notices"][0];
    let offence_to: chrono::NaiveDate =
        serde_json::from_value(listed["offence_to"].clone()).unwrap();
    let limit = offence_to.checked_add_months(Months::new(6)).unwrap();
    assert_eq!(listed["last_pay_by"], json!(last));
    assert_eq!(listed["information_by"], json!(limit));
    assert_eq!(listed["days_left"], json!((limit - lapsed_on).num_days()));
    assert!(listed.get("decision").is_none(), "{listed}");
    // The notice's own standing says the same, and the status answer has
    // it (today the notice can still be paid, so it is not lapsed yet).
    assert_eq!(
        register
            .lapse_of(&first, lapsed_on)
            .unwrap()
            .unwrap()
            .information_by,
        limit
    );
    assert!(register.lapse_of(&first, last).unwrap().is_none());
    assert!(register.lapse_of(&paid, lapsed_on).unwrap().is_none());
    let status = get_on(&router, &format!("/v1/documents/{first}/status")).await;
    assert_eq!(status.status, 200);
    let today = chrono::Local::now().date_naive();
    assert_eq!(
        status.json()["lapsed"].is_null(),
        today <= last,
        "{}",
        status.json()
    );
    assert!(
        after.json()["limit_from"]
            .as_str()
            .unwrap()
            .contains("offence period")
    );

    // Today the notice can still be paid: a decision now is refused.
    if today <= last {
        let early = call(
            &router,
            "POST",
            &format!("/v1/documents/{first}/decision"),
            None,
            Some(&json!({"decision": "prosecute", "reasons": "no payment, no contact", "decided_by": "Ms K Mallory, KPAS Courts Team", "on": today})),
        )
        .await;
        assert_eq!(
            early.status,
            422,
            "{}",
            String::from_utf8_lossy(&early.body)
        );
        assert_eq!(early.json()["errors"][0]["rule"], "decision.not-lapsed");
        assert_eq!(early.json()["errors"][0]["pointer"], "/on");
    }
    // A decision is a decision: not some other event, on this route.
    let other = call(
        &router,
        "POST",
        &format!("/v1/documents/{first}/decision"),
        None,
        Some(&json!({"event": "paid", "amount_pence": 8000, "on": today})),
    )
    .await;
    assert_eq!(other.status, 422);
    assert_eq!(other.json()["errors"][0]["pointer"], "/event");
    let unknown = call(
        &router,
        "POST",
        &format!("/v1/documents/{first}/decision"),
        None,
        Some(&json!({"decision": "caution", "reasons": "x", "decided_by": "y", "on": today})),
    )
    .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.json()["errors"][0]["pointer"], "/decision");

    // After the lapse, the decision is recorded with its reasons and maker.
    let decide = |decision, on| EventKind::Decision {
        decision,
        reasons: "No payment and no reply to two letters; the support offered was refused".into(),
        decided_by: "Ms Kathryn Mallory, KPAS Courts Team".into(),
        on,
    };
    let timeline = record(&register, &first, &decide(Decision::Prosecute, lapsed_on)).unwrap();
    let recorded = timeline.last().unwrap();
    assert_eq!(recorded.decision, Some(Decision::Prosecute));
    assert_eq!(
        recorded.decided_by.as_deref(),
        Some("Ms Kathryn Mallory, KPAS Courts Team")
    );
    // Once only.
    let again = record(&register, &first, &decide(Decision::Withdraw, lapsed_on));
    assert!(
        matches!(&again, Err(RegisterError::Refused(r)) if r.rule == "decision.already-decided"),
        "{again:?}"
    );
    // The paid notice cannot be decided at all.
    let settled = record(&register, &paid, &decide(Decision::Prosecute, lapsed_on));
    assert!(
        matches!(&settled, Err(RegisterError::Refused(r)) if r.rule == "event.sequence"),
        "{settled:?}"
    );

    // The list shows the decision, and the status timeline has it.
    let decided = get_on(&router, &format!("/v1/notices/lapsed?as_of={lapsed_on}")).await;
    let entry = &decided.json()["notices"][0];
    assert_eq!(entry["decision"]["decision"], "prosecute");
    assert_eq!(entry["decision"]["on"], json!(lapsed_on));
    let status = get_on(&router, &format!("/v1/documents/{first}/status")).await;
    assert_eq!(status.json()["status"], "decision");
    assert_eq!(
        status.json()["timeline"][1]["reason"],
        json!("No payment and no reply to two letters; the support offered was refused")
    );
    // Once prosecution starts the notice is no longer lapsed.
    record(
        &register,
        &first,
        &EventKind::ProsecutionStarted { on: lapsed_on },
    )
    .unwrap();
    let moved_on = get_on(&router, &format!("/v1/notices/lapsed?as_of={lapsed_on}")).await;
    assert!(references(&moved_on).is_empty());

    // Six months after the offence period ended, a notice can only be
    // withdrawn (MCA 1980 s127).
    let late = issue_notice(&router, 304).await;
    let too_late = limit.checked_add_days(Days::new(1)).unwrap();
    let refused = record(&register, &late, &decide(Decision::Prosecute, too_late));
    assert!(
        matches!(&refused, Err(RegisterError::Refused(r)) if r.rule == "mca.s127-time-limit"),
        "{refused:?}"
    );
    record(&register, &late, &decide(Decision::Withdraw, too_late)).unwrap();
    let listed = get_on(&router, &format!("/v1/notices/lapsed?as_of={too_late}")).await;
    let entry = &listed.json()["notices"][0];
    assert_eq!(entry["reference"], json!(late));
    assert_eq!(entry["days_left"], json!(-1));
    assert_eq!(entry["decision"]["decision"], "withdraw");

    // Not a day: a 400 that says what to send.
    let bad = get_on(&router, "/v1/notices/lapsed?as_of=soon").await;
    assert_eq!(bad.status, 400);
}

/// Deciding is the Courts Team's: a key without `register:decide` may not
/// list or decide, and a school's key sees only its schools' notices.
#[tokio::test]
async fn only_a_deciding_key_lists_and_decides() {
    let register = Arc::new(Register::in_memory().unwrap());
    let courts = make_key(&register, "Courts Team", &ALL_SCOPES, None);
    let events_only = make_key(
        &register,
        "Case tool",
        &[Scope::RegisterRead, Scope::RegisterEvents],
        None,
    );
    let other_school = make_key(
        &register,
        "Another school",
        &[Scope::RegisterDecide],
        Some(&["999999"]),
    );
    let router = router_on_register(&register);
    let reply = call(
        &router,
        "POST",
        "/v1/documents/penalty-notice?recipient=0",
        Some(&courts),
        Some(&notice_case(303)),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let reference = reply.headers["docket-reference"]
        .to_str()
        .unwrap()
        .to_owned();
    let terms = register.terms(&reference).unwrap().unwrap();
    let lapsed_on = terms
        .payments
        .iter()
        .map(|p| p.pay_by)
        .max()
        .unwrap()
        .checked_add_days(Days::new(1))
        .unwrap();
    let path = format!("/v1/notices/lapsed?as_of={lapsed_on}");
    assert_eq!(
        references(&call(&router, "GET", &path, Some(&courts), None).await),
        vec![reference.clone()]
    );
    assert_eq!(
        call(&router, "GET", &path, Some(&events_only), None)
            .await
            .status,
        403
    );
    assert!(references(&call(&router, "GET", &path, Some(&other_school), None).await).is_empty());
    let body = json!({"decision": "withdraw", "reasons": "x", "decided_by": "y", "on": lapsed_on});
    let decision = format!("/v1/documents/{reference}/decision");
    assert_eq!(
        call(&router, "POST", &decision, Some(&events_only), Some(&body))
            .await
            .status,
        403
    );
    let as_event = json!({"event": "decision", "decision": "withdraw", "reasons": "x", "decided_by": "y", "on": lapsed_on});
    assert_eq!(
        call(
            &router,
            "POST",
            &format!("/v1/documents/{reference}/events"),
            Some(&events_only),
            Some(&as_event)
        )
        .await
        .status,
        403
    );
    assert_eq!(
        call(&router, "POST", &decision, Some(&other_school), Some(&body))
            .await
            .status,
        404
    );
}
