//! After the notice, end to end through the router: a lapsed notice is
//! withdrawn by letter (the `withdrawn` event, no further letter, no longer
//! counted toward the limit); another lapses, the decision to prosecute is
//! recorded, and the single justice procedure pack is served with every
//! section, page number, bookmark and the notice as issued. Each rule of
//! the post-notice documents refuses with its id.
//!
//! Every case is the published samples' (`sjp-notice/kpas-1`), moved on by
//! whole weeks so that the documents dated "today" can be issued today.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use docket::register::{EventKind, Register};
use lopdf::Document;
use serde_json::{Value, json};

use crate::common::*;
use crate::court::{attachments, outline, pages_text};

/// The day the samples were written for.
const SAMPLE_DAY: (i32, u32, u32) = (2026, 12, 2);

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Whole weeks from the samples' day to today, in days.
fn shift_days() -> i64 {
    let (y, m, d) = SAMPLE_DAY;
    let days = (today() - NaiveDate::from_ymd_opt(y, m, d).unwrap()).num_days();
    days.div_euclid(7) * 7
}

/// Moves every `YYYY-MM-DD` in `v` on by `days`.
fn shifted(v: &Value, days: i64) -> Value {
    match v {
        Value::String(s) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if s.len() == 10 => json!((d + chrono::Duration::days(days)).to_string()),
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(|x| shifted(x, days)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), shifted(x, days)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A UPN with its check letter, for family `i`.
fn upn(i: usize) -> String {
    upn_with_check_letter(&format!("8867{i:08}"))
}

/// Family `i`'s version of `case`: its own child and surname.
fn family(case: &Value, i: usize) -> Value {
    let mut case = shifted(case, shift_days());
    let name = format!("Holt{i:03}");
    case["pupil"]["upn"] = json!(upn(i));
    case["pupil"]["family_name"] = json!(name);
    for p in case["parents"].as_array_mut().unwrap() {
        p["family_name"] = json!(name);
    }
    case
}

/// The samples: the notice, the decision, the pack (in that order in the
/// pack's sample register, then the pack itself).
fn samples() -> (Value, Value, Value) {
    let text =
        std::fs::read_to_string(templates_dir().join("sjp-notice/kpas-1/sample-register.json"))
            .unwrap();
    let register: Value = serde_json::from_str(&text).unwrap();
    (
        register[0]["case"].clone(),
        register[1]["case"].clone(),
        sample_of("sjp-notice", "kpas-1"),
    )
}

async fn post(router: &axum::Router, path: &str, case: &Value) -> Reply {
    post_raw(
        router.clone(),
        path,
        "application/json",
        serde_json::to_vec(case).unwrap(),
    )
    .await
}

/// Issues family `i`'s notice to its first parent and gives its number.
async fn notice(router: &axum::Router, i: usize) -> String {
    let (pn, _, _) = samples();
    let reply = post(
        router,
        "/v1/documents/penalty-notice?recipient=0",
        &family(&pn, i),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reference(&reply)
}

/// The reference an issue was given.
fn reference(reply: &Reply) -> String {
    reply.headers["docket-reference"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The rules `path` refuses `case` with.
async fn refused(router: &axum::Router, path: &str, case: &Value) -> Vec<String> {
    rules(&post(router, path, case).await)
}

fn rules(reply: &Reply) -> Vec<String> {
    assert_eq!(
        reply.status,
        422,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["rule"].as_str().map(str::to_owned))
        .collect()
}

fn withdrawal_case(i: usize, number: &str, ground: &str) -> Value {
    let (pn, _, _) = samples();
    let pn = family(&pn, i);
    let mut case = json!({
        "reference": format!("KPAS/WD/{i:04}"),
        "date": today().to_string(),
        "school": pn["school"], "pupil": pn["pupil"], "parents": pn["parents"],
        "officer": sample_of("sjp-notice", "kpas-1")["officer"],
        "authority": sample_of("sjp-notice", "kpas-1")["authority"],
        "withdrawal": {"notice": number, "parent": 0, "ground": ground},
    });
    case["pupil"]["upn"] = json!(upn(i));
    case
}

fn decision_case(i: usize, number: &str) -> Value {
    let (_, decision, _) = samples();
    let mut case = family(&decision, i);
    case["date"] = json!(today().to_string());
    case["decision"]["notice"] = json!(number);
    case
}

fn pack_case(i: usize, number: &str, decision: &str) -> Value {
    let (_, _, pack) = samples();
    let mut case = family(&pack, i);
    case["date"] = json!(today().to_string());
    case["prosecution"]["exhibits"][0]["reference"] = json!(number);
    case["prosecution"]["exhibits"][0]["description"] = json!(format!("Penalty notice {number}"));
    case["prosecution"]["unused_material"][0]["reference"] = json!(decision);
    case["sjp"]["notice"] = json!(number);
    case
}

/// A notice's stage in its status answer, and the documents about it.
async fn stage(router: &axum::Router, reference: &str) -> (String, Vec<String>) {
    let reply = get_on(router, &format!("/v1/documents/{reference}/status")).await;
    assert_eq!(reply.status, 200);
    let v = reply.json();
    (
        v["stage"].as_str().unwrap().to_owned(),
        v["about_it"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["reference"].as_str().unwrap().to_owned())
            .collect(),
    )
}

fn timeline_events(register: &Register, reference: &str) -> Vec<String> {
    register
        .timeline(reference)
        .unwrap()
        .iter()
        .filter(|e| e.superseded_by.is_none())
        .map(|e| e.event.as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn a_lapsed_notice_is_withdrawn_by_letter_and_another_goes_to_court_by_the_sjp() {
    let register = Arc::new(Register::in_memory().unwrap());
    let router = router_on_register(&register);
    let withdrawn = notice(&router, 1).await;
    let prosecuted = notice(&router, 2).await;

    // Both lapsed unpaid: listed, oldest first.
    let lapsed = get_on(&router, &format!("/v1/notices/lapsed?as_of={}", today())).await;
    assert_eq!(lapsed.status, 200);
    let listed: Vec<String> = lapsed.json()["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["reference"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        listed.contains(&withdrawn) && listed.contains(&prosecuted),
        "{listed:?}"
    );

    assert_eq!(stage(&router, &withdrawn).await.0, "lapsed");

    // The first: decided "withdraw", then the letter.
    let decided = call(
        &router,
        "POST",
        &format!("/v1/documents/{withdrawn}/decision"),
        None,
        Some(&json!({"decision": "withdraw", "reasons": "The family moved out of the area; a prosecution is not in the public interest.", "decided_by": "Mr Graham Tolhurst, KPAS Courts Team Manager", "on": today()})),
    )
    .await;
    assert_eq!(
        decided.status,
        201,
        "{}",
        String::from_utf8_lossy(&decided.body)
    );
    assert_eq!(stage(&router, &withdrawn).await.0, "decided-withdraw");
    let letter = withdrawal_case(1, &withdrawn, "not-prosecuted");
    let issued = post(
        &router,
        "/v1/documents/penalty-notice-withdrawal?issue=true",
        &letter,
    )
    .await;
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let letter_ref = reference(&issued);
    let pdf = register.pdf(&letter_ref).unwrap();
    let text = fold(&pdf_text(&pdf));
    assert!(
        text.contains(&format!("We have withdrawn penalty notice {withdrawn}")),
        "{text}"
    );
    assert!(text.contains("You do not owe anything for it."), "{text}");
    // Issuing it withdrew the notice, in the same transaction.
    assert_eq!(
        timeline_events(&register, &withdrawn),
        ["issued", "decision", "withdrawn"]
    );
    assert_eq!(
        stage(&router, &withdrawn).await,
        ("withdrawn".to_owned(), vec![letter_ref.clone()])
    );
    // No longer lapsed, no longer counted toward two in three years.
    let lapsed = get_on(&router, &format!("/v1/notices/lapsed?as_of={}", today())).await;
    assert!(!String::from_utf8_lossy(&lapsed.body).contains(&withdrawn));
    let parent = &letter["parents"][0];
    let key = docket::evidence::person_key(
        parent["given_names"].as_str().unwrap(),
        parent["family_name"].as_str().unwrap(),
    );
    let prior = register.prior_notices(&upn(1), &key).unwrap();
    assert!(prior.iter().all(|p| p.withdrawn), "{prior:?}");
    // And no further letter about it.
    let again = post(
        &router,
        "/v1/documents/penalty-notice-withdrawal?issue=true",
        &letter,
    )
    .await;
    assert_eq!(rules(&again), ["pn.settled"]);
    assert!(
        refused(
            &router,
            "/v1/documents/decision-to-prosecute",
            &decision_case(1, &withdrawn)
        )
        .await
        .contains(&"pn.settled".to_owned())
    );

    // The second: no pack before the decision is on record.
    assert!(
        refused(
            &router,
            "/v1/documents/sjp-notice",
            &pack_case(2, &prosecuted, "DK26-000001C")
        )
        .await
        .contains(&"bundle.decision-record".to_owned())
    );
    let decision = post(
        &router,
        "/v1/documents/decision-to-prosecute?issue=true",
        &decision_case(2, &prosecuted),
    )
    .await;
    assert_eq!(
        decision.status,
        201,
        "{}",
        String::from_utf8_lossy(&decision.body)
    );
    let decision_ref = reference(&decision);
    assert_eq!(
        timeline_events(&register, &prosecuted),
        ["issued", "decision"]
    );
    assert_eq!(stage(&router, &prosecuted).await.0, "decided-prosecute");
    let record = fold(&pdf_text(&register.pdf(&decision_ref).unwrap()));
    let laid_by = docket::rules::lapse::limit_date(
        NaiveDate::parse_from_str(
            decision_case(2, &prosecuted)["decision"]["offence_to"]
                .as_str()
                .unwrap(),
            "%Y-%m-%d",
        )
        .unwrap(),
    );
    assert!(
        record.contains(&format!(
            "Information must be laid by {}",
            laid_by.format("%-d %B %Y")
        )),
        "{record}"
    );

    // The pack: every section in order, every page numbered, a bookmark
    // per section and exhibit, the notice attached as issued.
    let pack = post(
        &router,
        "/v1/documents/sjp-notice?issue=true",
        &pack_case(2, &prosecuted, &decision_ref),
    )
    .await;
    assert_eq!(pack.status, 201, "{}", String::from_utf8_lossy(&pack.body));
    let pack_ref = reference(&pack);
    // Serving the written charge started the prosecution.
    assert_eq!(
        timeline_events(&register, &prosecuted),
        ["issued", "decision", "prosecution-started"]
    );
    assert_eq!(
        stage(&router, &prosecuted).await,
        (
            "sjp-served".to_owned(),
            vec![decision_ref.clone(), pack_ref.clone()]
        )
    );
    let bytes = register.pdf(&pack_ref).unwrap();
    let doc = Document::load_mem(&bytes).unwrap();
    let pages = pages_text(&doc);
    let total = pages.len();
    for (i, text) in pages.iter().enumerate() {
        assert!(
            fold(text).contains(&format!("Page {} of {total}", i + 1)),
            "page {} is not numbered: {text}",
            i + 1
        );
    }
    let sections = [
        "Single justice procedure notice and written charge",
        "Contents",
        "Single justice procedure notice",
        "Written charge",
        "Statement of facts",
        "Witness statement",
        "Certificate of attendance",
        "Proof of posting and of service",
        "Exhibits",
        "Evidence of parental responsibility and of compulsory school age",
        "Schedule of unused material (non-sensitive)",
    ];
    let marks = outline(&doc);
    let titles: Vec<&str> = marks.iter().map(|(t, _)| t.as_str()).collect();
    let mut last = 0;
    for s in sections {
        let at = titles
            .iter()
            .enumerate()
            .skip(last)
            .find(|(_, t)| **t == s)
            .map(|(i, _)| i);
        let Some(at) = at else {
            panic!("no bookmark `{s}` after {last}: {titles:?}");
        };
        last = at + 1;
    }
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Exhibit") && t.contains(&prosecuted)),
        "{titles:?}"
    );
    let files = attachments(&doc);
    let exhibit = files
        .iter()
        .find(|(name, _)| name.ends_with(".pdf"))
        .map(|(_, b)| b.clone())
        .unwrap();
    assert_eq!(exhibit, register.pdf(&prosecuted).unwrap());
    let all = fold(&pages.join("\n"));
    let notice_served = register.get(&prosecuted).unwrap().served_on.unwrap();
    assert!(
        all.contains(&format!(
            "Taken to be received on {}",
            notice_served.format("%-d %B %Y")
        )),
        "{all}"
    );
    assert!(all.contains(&decision_ref), "the decision record is listed");
    assert_qpdf_clean(&bytes, "the SJP pack");
    let meta = String::from_utf8_lossy(&bytes);
    assert!(
        meta.contains("<pdfaid:part>3</pdfaid:part>"),
        "the pack claims PDF/A-3"
    );
}

#[tokio::test]
async fn the_rules_after_a_notice_refuse_with_their_ids() {
    let register = Arc::new(Register::in_memory().unwrap());
    let router = router_on_register(&register);
    let paid = notice(&router, 11).await;
    // A paid notice: no decision to prosecute, no pack; withdrawn as
    // "not prosecuted" refused; on a reg 8 ground, the payment refunded.
    let terms = register.terms(&paid).unwrap().unwrap();
    let served = register.get(&paid).unwrap().served_on.unwrap();
    register
        .add_event(
            &paid,
            &EventKind::Paid {
                amount_pence: terms.payments[0].amount_pence,
                on: served,
            },
            &docket::access::Actor::cli("test"),
            served,
        )
        .unwrap();
    assert!(
        refused(
            &router,
            "/v1/documents/decision-to-prosecute",
            &decision_case(11, &paid)
        )
        .await
        .contains(&"pn.settled".to_owned())
    );
    let reg9 = post(
        &router,
        "/v1/documents/penalty-notice-withdrawal",
        &withdrawal_case(11, &paid, "not-prosecuted"),
    )
    .await;
    assert_eq!(rules(&reg9), ["withdrawal.ground"]);
    let refund = post(
        &router,
        "/v1/documents/penalty-notice-withdrawal",
        &withdrawal_case(11, &paid, "no-offence"),
    )
    .await;
    assert_eq!(
        refund.status,
        200,
        "{}",
        String::from_utf8_lossy(&refund.body)
    );
    let amount = docket::rules::events::money(terms.payments[0].amount_pence);
    assert!(
        fold(&pdf_text(&refund.body)).contains(&format!("You paid {amount} on")),
        "the refund is promised"
    );

    // The pack: s444(1) only, a defendant of 18 or over.
    let open = notice(&router, 12).await;
    let issued = post(
        &router,
        "/v1/documents/decision-to-prosecute?issue=true",
        &decision_case(12, &open),
    )
    .await;
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let record = reference(&issued);
    let mut imprisonable = pack_case(12, &open, &record);
    imprisonable["prosecution"]["offence"] = json!("s444(1A)");
    assert!(
        rules(&post(&router, "/v1/documents/sjp-notice", &imprisonable).await)
            .contains(&"sjp.offence".to_owned())
    );
    let mut young = pack_case(12, &open, &record);
    let seventeen = today().with_year(today().year() - 17).unwrap();
    young["prosecution"]["defendant_date_of_birth"] = json!(seventeen.to_string());
    assert!(
        rules(&post(&router, "/v1/documents/sjp-notice", &young).await)
            .contains(&"sjp.offence".to_owned())
    );
    // A pack for a paid notice is refused at render time.
    let paid_pack = pack_case(11, &paid, &record);
    let refused = rules(&post(&router, "/v1/documents/sjp-notice", &paid_pack).await);
    assert!(refused.contains(&"sjp.settled".to_owned()), "{refused:?}");

    // A decision on a notice another parent received.
    let mut other = decision_case(12, &open);
    other["decision"]["defendant"] = json!(1);
    assert!(
        rules(&post(&router, "/v1/documents/decision-to-prosecute", &other).await)
            .contains(&"notice.recipient".to_owned())
    );
    // After six months, no decision to prosecute.
    let mut late = decision_case(12, &open);
    late["decision"]["notice"] = Value::Null;
    late["decision"]["offence_from"] = json!("2025-01-06");
    late["decision"]["offence_to"] = json!("2025-01-10");
    assert!(
        rules(&post(&router, "/v1/documents/decision-to-prosecute", &late).await)
            .contains(&"mca.s127-time-limit".to_owned())
    );
    // A notice that can still be paid: not yet for a decision.
    let mut fresh = family(&samples().0, 13);
    fresh["date"] = json!(today().to_string());
    let mut unfinished = decision_case(13, "PN26-000001X");
    unfinished["decision"]["offence_from"] = fresh["penalty"]["offence_from"].clone();
    unfinished["decision"]["offence_to"] = fresh["penalty"]["offence_to"].clone();
    let issued = post(&router, "/v1/documents/penalty-notice?recipient=0", &fresh).await;
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let number = reference(&issued);
    unfinished["decision"]["notice"] = json!(number);
    assert!(
        rules(&post(&router, "/v1/documents/decision-to-prosecute", &unfinished).await)
            .contains(&"decision.not-lapsed".to_owned())
    );
}

#[tokio::test]
async fn an_exclusion_notice_has_its_own_amounts_numbers_and_history() {
    let register = Arc::new(Register::in_memory().unwrap());
    let router = router_on_register(&register);
    let mut case = sample_of("exclusion-penalty-notice", "kpas-1");
    case = shifted(&case, shift_days());
    case["date"] = json!(today().to_string());
    let issued = post(&router, "/v1/documents/exclusion-penalty-notice", &case).await;
    assert_eq!(
        issued.status,
        201,
        "{}",
        String::from_utf8_lossy(&issued.body)
    );
    let number = reference(&issued);
    assert!(number.starts_with("EPN"), "its own series: {number}");
    let text = fold(&pdf_text(&register.pdf(&number).unwrap()));
    assert!(text.contains("£60") && text.contains("£120"), "{text}");
    assert!(!text.contains("£80") && !text.contains("£160"), "{text}");
    // Unpaid after its last day, it is listed as lapsed, as what it is.
    let terms = register.terms(&number).unwrap().unwrap();
    let after = terms.payments[1].pay_by + chrono::Days::new(1);
    let lapsed = register.lapsed(after).unwrap();
    assert!(
        lapsed
            .iter()
            .any(|l| l.reference == number && l.kind == "exclusion-penalty-notice"),
        "{lapsed:?}"
    );
    // Paid at its own amount: £80 is refused, £60 recorded.
    let terms = register.terms(&number).unwrap().unwrap();
    let served = register.get(&number).unwrap().served_on.unwrap();
    let pay = |pence| EventKind::Paid {
        amount_pence: pence,
        on: served,
    };
    let actor = docket::access::Actor::cli("test");
    assert!(
        register
            .add_event(&number, &pay(8_000), &actor, served)
            .is_err()
    );
    assert_eq!(terms.payments[0].amount_pence, 6_000);
    register
        .add_event(&number, &pay(6_000), &actor, served)
        .unwrap();
    // Never counted with attendance notices.
    let parent = &case["parents"][0];
    let key = docket::evidence::person_key(
        parent["given_names"].as_str().unwrap(),
        parent["family_name"].as_str().unwrap(),
    );
    let pupil_upn = case["pupil"]["upn"].as_str().unwrap();
    assert!(register.prior_notices(pupil_upn, &key).unwrap().is_empty());
    // One notice per day found.
    let again = post(&router, "/v1/documents/exclusion-penalty-notice", &case).await;
    assert_eq!(rules(&again), ["pn.duplicate-period"]);
    assert_eq!(again.json()["errors"][0]["pointer"], "/exclusion/found_on");

    // Only on the days the school named, and only once the parent knew.
    let mut other_day = case.clone();
    other_day["pupil"]["upn"] = json!(upn(21));
    other_day["exclusion"]["found_on"] = other_day["exclusion"]["days"][0].clone();
    other_day["exclusion"]["days"] = json!([other_day["exclusion"]["days"][1]]);
    assert!(
        rules(
            &post(
                &router,
                "/v1/documents/exclusion-penalty-notice",
                &other_day
            )
            .await
        )
        .contains(&"epn.first-five-days".to_owned())
    );
    let mut untold = case.clone();
    untold["pupil"]["upn"] = json!(upn(22));
    untold["exclusion"]["notified_on"] = untold["exclusion"]["found_on"].clone();
    assert_eq!(
        rules(&post(&router, "/v1/documents/exclusion-penalty-notice", &untold).await),
        ["epn.parent-notified"]
    );
}
