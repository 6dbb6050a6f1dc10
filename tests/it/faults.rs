//! The real binary killed with SIGKILL mid-work, then started again on the
//! same register: every number reserved is used or void with its reason,
//! none is issued twice or skipped, a batch finishes and its print file is
//! complete, and `register verify` finds the register intact.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::*;

/// The register after a restart: intact, nothing left reserved, and each
/// series' numbers without a gap, each used or void with a reason.
fn assert_accounted_for(db: &std::path::Path) -> Vec<String> {
    let register = docket::register::Register::inspect(db).unwrap();
    let v = register.verify().unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert!(
        v.reserved.is_empty(),
        "left reserved after the restart: {:?}",
        v.reserved
    );
    let mut used = Vec::new();
    use docket::register::Series;
    for series in [
        Series::PenaltyNotice,
        Series::FixedPenaltyNotice,
        Series::ExclusionNotice,
        Series::Document,
    ] {
        for year in 2024..=2027 {
            for (i, (reference, state, note)) in
                register.numbers(series, year).unwrap().iter().enumerate()
            {
                assert!(
                    reference.contains(&format!("-{:06}", i + 1)),
                    "gap before {reference}"
                );
                match state {
                    docket::register::NumberStatus::Used => used.push(reference.clone()),
                    docket::register::NumberStatus::Void => {
                        assert!(
                            note.as_deref().is_some_and(|n| !n.is_empty()),
                            "{reference}"
                        );
                    }
                    other => panic!("{reference} left {other:?}"),
                }
            }
        }
    }
    used
}

/// SIGKILL while single notices are being issued from several clients at
/// once, then a restart: what was answered 201 is stored, what was cut
/// off is void with its reason.
#[test]
fn a_kill_during_single_issues_loses_no_number() {
    let server = Server::start(&templates_dir(), &[]);
    let url = server.url.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let issued = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..6)
        .map(|c| {
            let (url, stop, issued) = (url.clone(), stop.clone(), issued.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let case = notice_case(c * 1000 + i);
                    let Ok(r) = agent
                        .post(format!("{url}/v1/documents/penalty-notice?recipient=0"))
                        .header("content-type", "application/json")
                        .send(&serde_json::to_vec(&case).unwrap())
                    else {
                        break; // killed
                    };
                    if r.status() == 201 {
                        let reference =
                            r.headers()["docket-reference"].to_str().unwrap().to_owned();
                        issued.lock().unwrap().push(reference);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while issued.lock().unwrap().len() < 30 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "nothing issued"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let server = server.restart();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let answered: BTreeSet<String> = issued.lock().unwrap().iter().cloned().collect();
    let used: BTreeSet<String> = assert_accounted_for(&server.db()).into_iter().collect();
    assert!(
        answered.is_subset(&used),
        "a notice answered 201 is not stored"
    );
    // Each stored notice reprints.
    let first = answered.iter().next().unwrap();
    assert_eq!(server.call(&format!("/v1/documents/{first}"), None).0, 200);
}

/// SIGKILL a 2,000-case batch part way, then a restart: it resumes and
/// finishes; no number twice, none skipped; the print file holds every
/// issued notice, page for page as its manifest says.
#[test]
fn a_killed_2000_case_batch_finishes_with_its_print_file_complete() {
    const CASES: usize = 2000;
    let (cases, invalid) = crate::batch::cases(CASES);
    let server = Server::start(&templates_dir(), &["--batch-body-limit", "67108864"]);
    let id = server.batch_under_way(&cases, 150);
    let server = server.restart();
    let started = Instant::now();
    let status = loop {
        let s = server.get_json(&format!("/v1/batches/{id}?per_page=1000"));
        if s["status"] == "done" || s["status"] == "failed" {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "did not resume: {s}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!(status["done"], CASES);
    assert_eq!(status["failed"].as_u64().unwrap() as usize, invalid.len());
    let used = assert_accounted_for(&server.db());
    let unique: BTreeSet<&String> = used.iter().collect();
    assert_eq!(unique.len(), used.len());
    assert_eq!(
        used.len(),
        2 * (CASES - invalid.len()),
        "two parents a valid case"
    );
    // The print file: every issued notice, in the manifest's page ranges.
    let (s, manifest) = server.call(&format!("/v1/batches/{id}/manifest.csv"), None);
    assert_eq!(s, 200);
    let manifest = String::from_utf8(manifest).unwrap();
    let issued: Vec<Vec<&str>> = manifest
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r.last() == Some(&"issued"))
        .collect();
    assert_eq!(
        issued.len(),
        used.len(),
        "a notice missing from the manifest"
    );
    let in_manifest: BTreeSet<&str> = issued.iter().map(|r| r[0]).collect();
    assert!(used.iter().all(|r| in_manifest.contains(r.as_str())));
    let last_page: usize = issued
        .iter()
        .map(|r| r[r.len() - 2].parse::<usize>().unwrap())
        .max()
        .unwrap();
    let (s, print) = server.call(&format!("/v1/batches/{id}/print.pdf"), None);
    assert_eq!(s, 200);
    let pages = lopdf::Document::load_mem(&print).unwrap().get_pages().len();
    assert!(
        pages >= last_page && pages <= last_page + 1,
        "{pages} pages, manifest ends at {last_page}"
    );
}
