//! End-to-end, per kind: each document of the framework prints what the rules
//! computed from its sample (deadlines, review dates, periods, thresholds) and
//! the wording its edition requires, and the rules that guard each step
//! refuse cases that do not meet them. Expected figures are computed here
//! from the sample with docket's public rules or by hand, never read back
//! from the document.

use crate::common::*;
use chrono::NaiveDate;
use docket::rules::steps;
use serde_json::{Value, json};

fn date(v: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap()
}

/// `23 November 2026`, as the `long_date` filter prints it.
fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

async fn render_text(kind: &str, version: &str, case: &Value) -> String {
    post_for_pdfs_with(
        router_for(kind, version),
        &format!("/v1/documents/{kind}?version={version}"),
        case,
    )
    .await
    .iter()
    .map(|r| pdf_text(&r.body))
    .collect::<Vec<_>>()
    .join(" ")
}

/// Posts a case that a rule must refuse; returns the problems' rules.
async fn refused_rules(kind: &str, version: &str, case: &Value) -> Vec<String> {
    let reply = post_json(&format!("/v1/documents/{kind}?version={version}"), case).await;
    assert_eq!(
        reply.status,
        422,
        "{kind}@{version}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["rule"].as_str().map(str::to_owned))
        .collect()
}

fn assert_has(text: &str, wants: &[&str], what: &str) {
    for want in wants {
        assert!(text.contains(want), "{what}: {want:?} not in {text}");
    }
}

/// Each edition speaks its own terms: no KPAS document names PIAS or its
/// fixed penalty notices and parenting contracts; no PIAS document names
/// KPAS, notices to improve or attendance contracts.
#[tokio::test]
async fn each_edition_uses_its_own_terms() {
    for (kind, version, sample) in samples() {
        if issued_later(&kind, &sample) {
            continue;
        }
        let text = render_text(&kind, &version, &sample).await;
        let never: &[&str] = if version.starts_with("pias") {
            &["KPAS", "notice to improve", "attendance contract"]
        } else {
            &["PIAS", "fixed penalty notice", "parenting contract"]
        };
        let lower = text.to_lowercase();
        for word in never {
            assert!(
                !lower.contains(&word.to_lowercase()),
                "{kind}@{version} says {word:?}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn evidence_request_lists_the_sessions_and_the_reply_date() {
    for version in ["kpas-1", "pias-1"] {
        let sample = sample_of("absence-evidence-request", version);
        let text = render_text("absence-evidence-request", version, &sample).await;
        let due =
            steps::reply_by(date(&sample["date"]), steps::EVIDENCE_REPLY_WORKING_DAYS).unwrap();
        assert_has(&text, &[&long(due)], version);
        for item in sample["evidence"]["sessions"].as_array().unwrap() {
            let day = date(&item["date"]);
            assert_has(&text, &[&long(day)], version);
        }
        // A session the register marks present needs no evidence.
        let mut case = sample.clone();
        let first = &sample["evidence"]["sessions"][0];
        case["attendance"]["sessions"] = json!([]);
        let reply = post_json(
            &format!("/v1/documents/absence-evidence-request?version={version}"),
            &case,
        )
        .await;
        assert_eq!(reply.status, 200, "no register is fine");
        let mut marked = sample.clone();
        marked["attendance"]["sessions"] =
            json!([{"date": first["date"], "session": first["session"], "code": "/"}]);
        let reply = post_json(
            &format!("/v1/documents/absence-evidence-request?version={version}"),
            &marked,
        )
        .await;
        let body = reply.json();
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["pointer"] == "/evidence/sessions/0"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn home_visit_letters_announce_or_record_a_visit() {
    for version in ["kpas-1", "pias-1"] {
        let sample = sample_of("home-visit-letter", version);
        let letter = date(&sample["date"]);
        // Announce a visit a week after the letter...
        let mut planned = sample.clone();
        planned["visit"]["outcome"] = json!("planned");
        let visit_day = steps::reply_by(letter, 5).unwrap();
        planned["visit"]["date"] = json!(visit_day.to_string());
        let text = render_text("home-visit-letter", version, &planned).await;
        assert_has(&text, &[&long(visit_day)], version);
        // ...or record one made the day before, with a date to get in touch.
        let mut missed = sample.clone();
        missed["visit"]["outcome"] = json!("no-answer");
        let before = letter.pred_opt().unwrap();
        missed["visit"]["date"] = json!(before.to_string());
        let text = render_text("home-visit-letter", version, &missed).await;
        let contact_by = steps::reply_by(letter, steps::VISIT_CONTACT_WORKING_DAYS).unwrap();
        assert_has(&text, &[&long(before), &long(contact_by)], version);
        // A visit cannot be announced for before the letter arrives.
        let mut soon = planned.clone();
        soon["visit"]["date"] = json!(letter.succ_opt().unwrap().to_string());
        let reply = post_json(
            &format!("/v1/documents/home-visit-letter?version={version}"),
            &soon,
        )
        .await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.json()["errors"][0]["pointer"], "/visit/date");
    }
}

#[tokio::test]
async fn notice_to_improve_states_the_improvement_period() {
    let sample = sample_of("notice-to-improve", "kpas-1");
    let text = render_text("notice-to-improve", "kpas-1", &sample).await;
    let closures: Vec<(NaiveDate, NaiveDate)> = sample["improvement"]["closures"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| (date(&c["from"]), date(&c["to"])))
                .collect()
        })
        .unwrap_or_default();
    let period = steps::improvement_period(date(&sample["date"]), &closures).unwrap();
    assert_has(
        &text,
        &[
            &long(period.starts_on),
            &long(period.ends_on),
            "20 school days",
            "ection 7 of the Education Act 1996",
        ],
        "notice to improve",
    );
    // Every unauthorised session in the register is listed by its date.
    for mark in sample["attendance"]["sessions"].as_array().unwrap() {
        if ["G", "N", "O", "U"].contains(&mark["code"].as_str().unwrap()) {
            let d = date(&mark["date"]);
            assert!(
                text.contains(&long(d)) || text.contains(&d.format("%-d %B").to_string()),
                "{d} not listed"
            );
        }
    }
}

#[tokio::test]
async fn contracts_print_review_dates_and_a_signature_per_parent() {
    for (kind, version) in [
        ("attendance-contract", "kpas-1"),
        ("parenting-contract", "pias-1"),
    ] {
        let sample = sample_of(kind, version);
        let text = render_text(kind, version, &sample).await;
        let c = &sample["contract"];
        let reviews = steps::contract_reviews(
            date(&c["agreed_on"]),
            u8::try_from(c["review_every_weeks"].as_u64().unwrap()).unwrap(),
            u8::try_from(c["reviews"].as_u64().unwrap()).unwrap(),
        );
        assert!(!reviews.is_empty());
        for r in &reviews {
            assert_has(&text, &[&long(*r)], kind);
        }
        for parent in sample["parents"].as_array().unwrap() {
            if parent["parental_responsibility"] == true {
                let name = parent["family_name"].as_str().unwrap();
                assert!(
                    text.matches(name).count() >= 2,
                    "{kind}: {name} is not a party and a signatory"
                );
            }
        }
        // A contract is a single record, not a letter per parent.
        let reply = post_json(
            &format!("/v1/documents/{kind}?version={version}&recipient=0"),
            &sample,
        )
        .await;
        assert_eq!(reply.status, 422);
        let reply = post_json(&format!("/v1/documents/{kind}?version={version}"), &sample).await;
        assert_eq!(reply.headers["docket-copies"], "1");
        // Reviews are 4 to 6 weeks apart.
        let mut case = sample.clone();
        case["contract"]["review_every_weeks"] = json!(8);
        let reply = post_json(&format!("/v1/documents/{kind}?version={version}"), &case).await;
        assert_eq!(reply.status, 422);
        assert_eq!(
            reply.json()["errors"][0]["pointer"],
            "/contract/review_every_weeks"
        );
    }
}

#[tokio::test]
async fn targeting_support_plans_list_every_action_and_the_review() {
    for version in ["kpas-1", "pias-1"] {
        let sample = sample_of("targeting-support-meeting-plan", version);
        let text = render_text("targeting-support-meeting-plan", version, &sample).await;
        let plan = &sample["plan"];
        assert_has(&text, &[&long(date(&plan["review_date"]))], version);
        for action in plan["actions"].as_array().unwrap() {
            assert_has(&text, &[&long(date(&action["by"]))], version);
        }
        let mut case = sample.clone();
        case["plan"]["review_date"] = plan["meeting_date"].clone();
        let reply = post_json(
            &format!("/v1/documents/targeting-support-meeting-plan?version={version}"),
            &case,
        )
        .await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.json()["errors"][0]["pointer"], "/plan/review_date");
    }
}

#[tokio::test]
async fn front_door_referrals_go_to_the_agency_with_consent_recorded() {
    for version in ["kpas-1", "pias-1"] {
        let sample = sample_of("front-door-referral", version);
        let text = render_text("front-door-referral", version, &sample).await;
        let agency = &sample["referral"]["agency"];
        assert_has(
            &text,
            &[
                agency["team"].as_str().unwrap(),
                agency["address"]["postcode"].as_str().unwrap(),
            ],
            version,
        );
        // Early Help needs a parent's agreement.
        let mut case = sample.clone();
        case["referral"]["service"] = json!("early-help");
        case["referral"]["consent"] = json!({"given": false});
        assert_eq!(
            refused_rules("front-door-referral", version, &case).await,
            ["fd.early-help-consent"]
        );
        // Social Care without consent must say why.
        case["referral"]["service"] = json!("social-care");
        assert_eq!(
            refused_rules("front-door-referral", version, &case).await,
            ["fd.reason-without-consent"]
        );
    }
}

#[tokio::test]
async fn penalty_notice_requests_show_the_threshold_is_met() {
    for version in ["kpas-1", "pias-1"] {
        let sample = sample_of("penalty-notice-request", version);
        let text = render_text("penalty-notice-request", version, &sample).await;
        let window = if version == "kpas-1" {
            "10 school weeks"
        } else {
            "50 school days"
        };
        assert_has(
            &text,
            &[window, sample["school"]["head_teacher"].as_str().unwrap()],
            version,
        );
        for notice in sample["penalty"]["notices"].as_array().unwrap() {
            let parent =
                &sample["parents"][usize::try_from(notice["parent"].as_u64().unwrap()).unwrap()];
            assert_has(&text, &[parent["family_name"].as_str().unwrap()], version);
        }
        // Without the unauthorised sessions, the threshold is not met.
        let mut case = sample.clone();
        let sessions: Vec<Value> = sample["attendance"]["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let mut m = m.clone();
                if ["G", "N", "O", "U"].contains(&m["code"].as_str().unwrap()) {
                    m["code"] = json!("I");
                }
                m
            })
            .collect();
        case["attendance"]["sessions"] = Value::from(sessions);
        let unauthorised = case["attendance"]["unauthorised_absences"]
            .as_u64()
            .unwrap();
        let authorised = case["attendance"]["authorised_absences"].as_u64().unwrap();
        case["attendance"]["authorised_absences"] = json!(authorised + unauthorised);
        case["attendance"]["unauthorised_absences"] = json!(0);
        case["attendance"]["illness_absences"] = json!(0);
        assert_eq!(
            refused_rules("penalty-notice-request", version, &case).await,
            ["pn.threshold"]
        );
    }
}

#[tokio::test]
async fn unauthorised_absence_notices_need_a_notice_to_improve_under_kpas() {
    let mut case = sample_of("penalty-notice-request", "kpas-1");
    case["penalty"]["grounds"] = json!("unauthorised-absence");
    case["penalty"]
        .as_object_mut()
        .unwrap()
        .remove("notice_to_improve_issued_on");
    assert_eq!(
        refused_rules("penalty-notice-request", "kpas-1", &case).await,
        ["pn.notice-to-improve"]
    );
    // The same case under PIAS rules needs none (PIAS had no such step).
    let mut notice = sample_of("penalty-notice", "kpas-1");
    notice["penalty"]["grounds"] = json!("unauthorised-absence");
    assert_eq!(
        refused_rules("penalty-notice", "kpas-1", &notice).await,
        ["pn.notice-to-improve"]
    );
    let requested = date(&notice["penalty"]["requested_on"]);
    notice["penalty"]["notice_to_improve_issued_on"] =
        json!((requested - chrono::Days::new(30)).to_string());
    let reply = post_json("/v1/documents/penalty-notice?version=kpas-1", &notice).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

#[tokio::test]
async fn statutory_intervention_needs_persistent_absence_and_support_first() {
    for version in ["kpas-1", "pias-1"] {
        let sample = sample_of("statutory-intervention-request", version);
        let text = render_text("statutory-intervention-request", version, &sample).await;
        for step in sample["history"].as_array().unwrap() {
            let d = date(&step["date"]);
            assert!(
                text.contains(&long(d)) || text.contains(&d.format("%d/%m/%Y").to_string()),
                "{version}: step of {d} not in the chronology"
            );
        }
        // No contract or formal meeting on record: support first.
        let mut case = sample.clone();
        let history: Vec<Value> = sample["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| !["contract", "formal-meeting"].contains(&s["kind"].as_str().unwrap()))
            .cloned()
            .collect();
        case["history"] = Value::from(history);
        assert_eq!(
            refused_rules("statutory-intervention-request", version, &case).await,
            ["sai.support-first"]
        );
        // Absence under 10%: not persistent.
        let mut case = sample.clone();
        let possible = 200;
        case["attendance"]["possible_sessions"] = json!(possible);
        case["attendance"]["authorised_absences"] = json!(5);
        case["attendance"]["illness_absences"] = json!(0);
        case["attendance"]["unauthorised_absences"] = json!(10);
        case["attendance"]["sessions"] = json!([]);
        assert_eq!(
            refused_rules("statutory-intervention-request", version, &case).await,
            ["sai.persistent-absence"]
        );
    }
}

#[tokio::test]
async fn pace_interview_offer_gives_the_caution_and_the_rights() {
    let sample = sample_of("pace-interview-offer", "kpas-1");
    let text = render_text("pace-interview-offer", "kpas-1", &sample).await;
    assert_has(
        &text,
        &[
            "You do not have to say anything. But it may harm your defence if you do not mention when questioned something which you later rely on in court. Anything you do say may be given in evidence.",
            "444(1A)",
            "free",
            "legal advice",
            "voluntary",
            &long(date(&sample["interview"]["date"])),
            &long(date(&sample["interview"]["offence_from"])),
            &long(date(&sample["interview"]["offence_to"])),
        ],
        "PACE offer",
    );
    // An interview needs notice like any meeting.
    let mut case = sample.clone();
    case["interview"]["date"] = sample["date"].clone();
    let reply = post_json("/v1/documents/pace-interview-offer?version=kpas-1", &case).await;
    assert_eq!(reply.status, 422);
    assert_eq!(reply.json()["errors"][0]["pointer"], "/interview/date");
}

/// Documents to the local authority, an agency or on file have one copy;
/// letters to parents one per parent with parental responsibility.
#[tokio::test]
async fn copies_follow_the_catalogue() {
    let catalogue = get("/v1/templates").await.json();
    for edition in catalogue.as_array().unwrap() {
        for level in edition["levels"].as_array().unwrap() {
            for doc in level["documents"].as_array().unwrap() {
                let kind = doc["kind"].as_str().unwrap();
                for v in doc["versions"].as_array().unwrap() {
                    let version = v["version"].as_str().unwrap();
                    let sample = sample_of(kind, version);
                    let today = chrono::Local::now().date_naive().to_string();
                    if doc["recipients"] == "noticed-parents"
                        && sample["date"].as_str().unwrap() > today.as_str()
                    {
                        // A notice is always issued, and never before its
                        // date: a version that starts later is issued then.
                        continue;
                    }
                    let pdfs = post_for_pdfs_with(
                        router_for(kind, version),
                        &format!("/v1/documents/{kind}?version={version}"),
                        &sample,
                    )
                    .await;
                    // A render is one PDF holding every copy; an issue gives
                    // one PDF per copy.
                    let copies: usize = match pdfs.as_slice() {
                        [one] if one.headers.contains_key("docket-copies") => {
                            one.headers["docket-copies"]
                                .to_str()
                                .unwrap()
                                .parse()
                                .unwrap()
                        }
                        many => many.len(),
                    };
                    let with_pr = sample["parents"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|p| p["parental_responsibility"] == true)
                        .count();
                    let want = match doc["recipients"].as_str().unwrap() {
                        "parents" => with_pr,
                        "noticed-parents" => sample["penalty"]["notices"].as_array().unwrap().len(),
                        _ => 1,
                    };
                    assert_eq!(copies, want, "{kind}@{version}");
                }
            }
        }
    }
}

/// Counts the spans docket opens, by name, on the current thread.
#[derive(Clone, Default)]
struct SpanCount(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<&'static str, usize>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanCount {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        *self
            .0
            .lock()
            .unwrap()
            .entry(attrs.metadata().name())
            .or_default() += 1;
    }
}

impl SpanCount {
    /// How many spans named `name` `f` opened.
    fn during(f: impl FnOnce()) -> std::collections::HashMap<&'static str, usize> {
        use tracing_subscriber::layer::SubscriberExt;
        let count = Self::default();
        let subscriber = tracing_subscriber::registry().with(count.clone());
        tracing::subscriber::with_default(subscriber, f);
        count.0.lock().unwrap().clone()
    }
}

/// A request is checked once: its version is chosen once and its case
/// validated once, whether rendered (a letter to two parents, one PDF) or
/// issued (a penalty notice to two parents, two notices).
#[test]
fn a_request_chooses_its_version_and_validates_once() {
    let docket = docket();
    for (kind, version, issue) in [
        ("absence-concern-letter", "kpas-1", false),
        ("absence-concern-letter", "kpas-1", true),
        ("penalty-notice", "kpas-1", true),
    ] {
        let case = sample_of(kind, version);
        let register = docket::register::Register::in_memory().unwrap();
        let mut copies = 0;
        let spans = SpanCount::during(|| {
            let posted = docket::issue::post(
                &docket,
                &register,
                &docket::Request {
                    kind,
                    version: None,
                    as_of: None,
                    recipient: None,
                    case: &case,
                    purpose: docket::Purpose::AsAsked { issue },
                    drafts: false,
                    translation: None,
                },
                docket::issue::Issuer::new(&docket::access::Actor::cli("test")),
            )
            .unwrap();
            copies = match posted {
                docket::issue::Posted::Rendered(r) => r.copies,
                docket::issue::Posted::Issued(c) => c.len(),
            };
        });
        assert_eq!(copies, 2, "{kind} (issue {issue}): two copies");
        assert_eq!(
            spans.get("select"),
            Some(&1),
            "{kind} (issue {issue}): {spans:?}"
        );
        assert_eq!(
            spans.get("validate"),
            Some(&1),
            "{kind} (issue {issue}): {spans:?}"
        );
        assert_eq!(
            spans.get("check"),
            Some(&1),
            "{kind} (issue {issue}): {spans:?}"
        );
        assert_eq!(
            spans.get("render"),
            Some(&(if issue { 2 } else { 1 })),
            "{kind}: {spans:?}"
        );
    }
}
