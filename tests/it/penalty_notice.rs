//! The penalty notice: every statutory element is printed, amounts and dates
//! come from the rules per parent, and each rule that refuses a notice does
//! so with a 422 naming the rule.

use crate::common::*;
use serde_json::{Value, json};

fn sample() -> Value {
    sample_of("penalty-notice", "kpas-1")
}

async fn text_for(case: &Value, recipient: usize) -> String {
    let reply = post_json(
        &format!("/v1/documents/penalty-notice?recipient={recipient}"),
        case,
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    pdf_text(&reply.body)
}

async fn refusal(case: &Value) -> Value {
    let reply = post_json("/v1/documents/penalty-notice", case).await;
    assert_eq!(
        reply.status,
        422,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// One notice per parent named, each its own mail piece with its own number
/// from the register (the numbers in the case are replaced).
#[tokio::test]
async fn one_notice_per_parent() {
    let pdfs = post_for_pdfs("/v1/documents/penalty-notice", &sample()).await;
    assert_eq!(pdfs.len(), 2);
    let texts: Vec<String> = pdfs.iter().map(|r| pdf_text(&r.body)).collect();
    let numbers: Vec<&str> = pdfs
        .iter()
        .map(|r| r.headers["docket-reference"].to_str().unwrap())
        .collect();
    assert_ne!(numbers[0], numbers[1]);
    for (text, number) in texts.iter().zip(&numbers) {
        assert!(docket::rules::reference::is_valid(number), "{number}");
        assert!(text.contains(number), "{number} not printed in {text}");
        assert!(
            !text.contains("PN26-001873"),
            "the case's own number is not used"
        );
    }
    assert!(texts[0].contains("Dear Mr Whitfield") && !texts[0].contains("Dear Mrs Whitfield"));
    assert!(texts[1].contains("Dear Mrs Whitfield") && !texts[1].contains("Dear Mr Whitfield"));
}

/// Everything regulation 3 asks a notice to state.
#[tokio::test]
async fn a_first_notice_states_every_element() {
    let text = text_for(&sample(), 1).await;
    for want in [
        // recipient; child, address and school; the issuing officer
        "Mrs Kerry Whitfield",
        "Noah James Whitfield, born 19 January 2017",
        "5 Orchard Close, Milton Regis, SITTINGBOURNE, ME10 2JP",
        "St Aidan's Church of England Primary School",
        "Ms Rachel Adeyemi, KPAS Courts Team Officer",
        // the offence, its period and the date of issue
        "section 444 of the Education Act 1996",
        "12 October 2026 to 16 October 2026",
        "Date of issue 23 November 2026",
        // amounts and periods, computed: received Wednesday 25 November
        "Wednesday 25 November 2026",
        "by Tuesday 15 December 2026 (within 21 days) £80.00",
        "by Tuesday 22 December 2026 (within 28 days) £160.00",
        // the authority, how to pay, discharge, non-payment, withdrawal
        "Kent County Council",
        "Sessions House",
        "www.kent.example.gov.uk/pay-penalty-notice",
        "discharges your liability",
        "consider prosecuting you in the magistrates’ court",
        "withdraw this notice",
        "10 sessions of unauthorised absence between 12 October 2026 and 16 October 2026",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
}

/// A second notice within three years: £160 only, no reduced amount.
#[tokio::test]
async fn a_second_notice_has_no_reduced_amount() {
    let text = text_for(&sample(), 0).await;
    assert!(
        text.contains("by Tuesday 22 December 2026 (within 28 days) £160.00"),
        "{text}"
    );
    assert!(!text.contains("£80.00"), "{text}");
    assert!(text.contains("second penalty notice"), "{text}");
}

#[tokio::test]
async fn a_third_notice_in_three_years_is_refused() {
    let mut case = sample();
    case["penalty"]["notices"][0]["previous_notices"]
        .as_array_mut()
        .unwrap()
        .push(json!({"issued_on": "2026-02-02", "notice_number": "PN26-000101"}));
    let body = refusal(&case).await;
    let e = &body["errors"][0];
    assert_eq!(e["rule"], "pn.max-two-in-three-years");
    assert_eq!(e["pointer"], "/penalty/notices/0/previous_notices");
    assert!(e["detail"].as_str().unwrap().contains("prosecution"));
    // Withdrawn, it no longer counts.
    case["penalty"]["notices"][0]["previous_notices"][1]["withdrawn"] = json!(true);
    assert_eq!(
        post_json("/v1/documents/penalty-notice", &case)
            .await
            .status,
        201
    );
}

/// Nine sessions are not enough.
#[tokio::test]
async fn the_threshold_must_be_met() {
    let mut case = sample();
    let sessions = case["attendance"]["sessions"].as_array_mut().unwrap();
    let first_g = sessions.iter().position(|m| m["code"] == "G").unwrap();
    sessions[first_g]["code"] = json!("/");
    case["attendance"]["unauthorised_absences"] = json!(9);
    let body = refusal(&case).await;
    assert_eq!(body["errors"][0]["rule"], "pn.threshold");
    assert_eq!(body["errors"][0]["pointer"], "/attendance/sessions");
}

#[tokio::test]
async fn counts_must_match_the_register() {
    let mut case = sample();
    case["attendance"]["unauthorised_absences"] = json!(12);
    let body = refusal(&case).await;
    assert_eq!(
        body["errors"][0]["pointer"],
        "/attendance/unauthorised_absences"
    );
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("add up to 10")
    );
}

#[tokio::test]
async fn no_offence_outside_compulsory_school_age() {
    let mut case = sample();
    // Four years old in October 2026: not yet of compulsory school age.
    case["pupil"]["date_of_birth"] = json!("2022-03-01");
    case["pupil"]["year_group"] = json!(0);
    let body = refusal(&case).await;
    let rules: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].clone())
        .collect();
    assert!(rules.contains(&json!("pn.compulsory-school-age")), "{body}");
}

#[tokio::test]
async fn a_recipient_without_a_notice_is_refused() {
    let mut case = sample();
    case["penalty"]["notices"].as_array_mut().unwrap().pop();
    assert_eq!(
        post_json("/v1/documents/penalty-notice?recipient=1", &case)
            .await
            .status,
        422
    );
    let reply = post_json("/v1/documents/penalty-notice", &case).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.content_type(), "application/pdf");
    assert_eq!(
        reply.headers["docket-reference"]
            .to_str()
            .unwrap()
            .split(", ")
            .count(),
        1
    );
}

/// The notice's date either side of 1 September 2024 picks the edition in
/// force: the PIAS fixed penalty notice until 31 August, the KPAS penalty
/// notice after. An issued notice never takes its version from `as_of`.
#[tokio::test]
async fn the_edition_follows_the_date() {
    let pias = sample_of("penalty-notice", "pias-1");
    let pinned = post_json("/v1/documents/penalty-notice?as_of=2024-08-31", &pias).await;
    assert_eq!(pinned.status, 422);
    assert_eq!(pinned.json()["errors"][0]["rule"], "issue.as-of");
    let before = post_json("/v1/documents/penalty-notice", &pias).await;
    assert_eq!(
        before.status,
        201,
        "{}",
        String::from_utf8_lossy(&before.body)
    );
    assert_eq!(before.headers["docket-template"], "penalty-notice@pias-1");
    let text = pdf_text(&before.body);
    for want in [
        "Fixed penalty notice",
        // "Within 21 days of receipt" (the 2013 wording): received on
        // Wednesday 13 March, the first day counted is the 14th.
        "by Wednesday 3 April 2024 (within 21 days) £60.00",
        "by Wednesday 10 April 2024 (within 28 days) £120.00",
        "50 school days",
        "section 444(1) or 444(1A)",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    let after = post_json("/v1/documents/penalty-notice?recipient=0", &sample()).await;
    assert_eq!(after.headers["docket-template"], "penalty-notice@kpas-1");
    // Nor is a notice issued under a version not in force on its date.
    let out_of_force = post_json("/v1/documents/penalty-notice?version=pias-1", &sample()).await;
    assert_eq!(out_of_force.status, 422);
    assert_eq!(
        out_of_force.json()["errors"][0]["rule"],
        "template.not-in-force"
    );
}

/// PIAS edition: one fixed penalty notice per academic year.
#[tokio::test]
async fn pias_one_notice_per_academic_year() {
    let mut case = sample_of("penalty-notice", "pias-1");
    case["penalty"]["notices"][0]["previous_notices"] =
        json!([{"issued_on": "2023-10-02", "notice_number": "FPN23-000101"}]);
    let reply = post_json("/v1/documents/penalty-notice?version=pias-1", &case).await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.json()["errors"][0]["rule"],
        "fpn.one-per-academic-year"
    );
}

/// Issued notices are kept: each can be fetched back byte for byte, listed
/// in the pupil's history and followed on its timeline; and when the case
/// gives no history, the register's own enforces two notices in three years,
/// withdrawn notices not counting.
#[tokio::test]
async fn the_register_keeps_notices_and_enforces_the_limit() {
    let router = router();
    let post = |case: Value| {
        let router = router.clone();
        async move {
            post_raw(
                router,
                "/v1/documents/penalty-notice?recipient=1",
                "application/json",
                serde_json::to_vec(&case).unwrap(),
            )
            .await
        }
    };
    let get = |path: String| {
        let router = router.clone();
        async move {
            send(
                router,
                axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let mut case = sample();
    for n in case["penalty"]["notices"].as_array_mut().unwrap() {
        n["previous_notices"] = json!([]);
    }
    let first = post(case.clone()).await;
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let number = first.headers["docket-reference"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        first.headers["location"],
        format!("/v1/documents/{number}").as_str()
    );
    // Reprint: byte for byte.
    let again = get(format!("/v1/documents/{number}")).await;
    assert_eq!(again.status, 200);
    assert!(
        again.body == first.body,
        "a reprint differs from the notice issued"
    );
    // A first notice offers the reduced amount; the second, for another
    // week's holiday, from the register's history alone, does not.
    assert!(pdf_text(&first.body).contains("£80.00"));
    // The same offence again is refused, naming the first notice.
    let same = post(case.clone()).await;
    assert_eq!(same.status, 422, "{}", String::from_utf8_lossy(&same.body));
    assert_eq!(same.json()["errors"][0]["rule"], "pn.duplicate-period");
    assert!(
        same.json()["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains(&number),
        "{}",
        same.json()
    );
    let second = post(holiday(&case, "2026-10-19", "2026-10-23")).await;
    assert_eq!(
        second.status,
        201,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    let text = pdf_text(&second.body);
    assert!(
        !text.contains("£80.00") && text.contains("second penalty notice"),
        "{text}"
    );
    // A third within three years is refused from the register.
    let later = holiday(&case, "2026-11-09", "2026-11-13");
    let third = post(later.clone()).await;
    assert_eq!(
        third.status,
        422,
        "{}",
        String::from_utf8_lossy(&third.body)
    );
    assert_eq!(
        third.json()["errors"][0]["rule"],
        "pn.max-two-in-three-years"
    );
    // Withdraw the first: it no longer counts.
    let withdraw = post_raw(
        router.clone(),
        &format!("/v1/documents/{number}/events"),
        "application/json",
        serde_json::to_vec(&json!({"event": "withdrawn", "ground": "wrong-address", "reason": "sent to the wrong address", "on": "2026-11-24"})).unwrap(),
    )
    .await;
    assert_eq!(
        withdraw.status,
        201,
        "{}",
        String::from_utf8_lossy(&withdraw.body)
    );
    assert_eq!(post(later.clone()).await.status, 201);
    // The timeline and the history.
    let status = get(format!("/v1/documents/{number}/status")).await.json();
    assert_eq!(status["status"], "withdrawn");
    assert_eq!(status["timeline"][0]["event"], "issued");
    assert_eq!(status["timeline"][1]["reason"], "sent to the wrong address");
    assert_eq!(status["timeline"][1]["ground"], "wrong-address");
    let history = get("/v1/documents?pupil_upn=W886200012345"
        .replace("W886200012345", case["pupil"]["upn"].as_str().unwrap()))
    .await
    .json();
    assert_eq!(history["documents"].as_array().unwrap().len(), 3);
    // Nothing follows a withdrawal; unknown references are 404.
    let paid = post_raw(
        router.clone(),
        &format!("/v1/documents/{number}/events"),
        "application/json",
        serde_json::to_vec(&json!({"event": "paid", "amount_pence": 8000, "on": "2026-11-30"}))
            .unwrap(),
    )
    .await;
    assert_eq!(paid.status, 422);
    assert_eq!(paid.json()["errors"][0]["rule"], "event.sequence");
    assert_eq!(get("/v1/documents/PN26-999999A".into()).await.status, 404);
}

/// The sample with its offence a holiday in the week `from`..=`to`
/// instead: those days' sessions marked `G`, the counts to match.
fn holiday(sample: &Value, from: &str, to: &str) -> Value {
    let mut case = sample.clone();
    let mut changed = 0;
    for s in case["attendance"]["sessions"].as_array_mut().unwrap() {
        let day = s["date"].as_str().unwrap().to_owned();
        if day.as_str() >= from && day.as_str() <= to && (s["code"] == "/" || s["code"] == "\\") {
            s["code"] = json!("G");
            changed += 1;
        }
    }
    let unauthorised = case["attendance"]["unauthorised_absences"]
        .as_u64()
        .unwrap();
    case["attendance"]["unauthorised_absences"] = json!(unauthorised + changed);
    case["penalty"]["offence_from"] = json!(from);
    case["penalty"]["offence_to"] = json!(to);
    case
}

/// A penalty notice goes only to a parent under s576: a step-parent
/// without parental responsibility who does not have care of the child is
/// refused (`pn.parent-basis`); saying they have care makes them one.
#[tokio::test]
async fn a_notice_goes_only_to_a_parent_under_section_576() {
    let mut case = sample_of("penalty-notice", "kpas-1");
    case["parents"][0]["relationship"] = serde_json::json!("step-parent");
    case["parents"][0]["parental_responsibility"] = serde_json::json!(false);
    let reply = post_json("/v1/documents/penalty-notice?recipient=0", &case).await;
    assert_eq!(
        reply.status,
        422,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let error = &reply.json()["errors"][0];
    assert_eq!(error["rule"], "pn.parent-basis");
    assert_eq!(error["pointer"], "/parents/0/relationship");
    case["parents"][0]["has_care"] = serde_json::json!(true);
    let request = proof("penalty-notice", Some("kpas-1"), Some(0), &case);
    assert!(check_any(&request).is_ok());
}
