//! In-process render benchmark: warm per-stage latency per document kind,
//! throughput on 1 and 2 threads, and resident memory after many renders.
//!
//! Run with `cargo bench --bench render` (or `scripts/bench`, which adds the
//! HTTP and start-up figures). Every render gets different case data (names,
//! references, counts), as in production, so caching is not flattered.
//!
//! Environment: `DOCKET_BENCH_SAMPLES` (latency samples per kind, default
//! 300), `DOCKET_BENCH_SECONDS` (per throughput run, default 5),
//! `DOCKET_BENCH_MEMORY_RENDERS` (renders for the memory figure, default
//! 100000; 0 skips it).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use docket::evidence::Records;
use docket::render::Pdf;
use docket::{Docket, Part, Purpose, Request};
use serde_json::Value;

const GIVEN: &[&str] = &[
    "Ellie", "Oliwia", "Mohammed", "Zoë", "Tomasz", "Amelia", "Nguyễn", "Oscar", "Ava", "Dafydd",
    "Isla", "Leo",
];
const FAMILY: &[&str] = &[
    "Brown",
    "Kowalczyk",
    "Ahmed",
    "O'Brien",
    "Wiśniewski",
    "Smith",
    "Patel",
    "Jones",
    "Taylor",
    "Evans",
    "Nowak",
    "Green",
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `i`-th variation of a sample: different names, reference and counts.
fn vary(sample: &Value, i: u64) -> Value {
    let mut case = sample.clone();
    let n = i as usize;
    case["reference"] = Value::from(format!("BENCH/{i:07}"));
    case["pupil"]["given_names"] = Value::from(GIVEN[n % GIVEN.len()]);
    case["pupil"]["family_name"] =
        Value::from(format!("{}-{}", FAMILY[(n / 7) % FAMILY.len()], i % 997));
    // A document about an issued notice or a decision on record (a
    // withdrawal, a decision, a pack, a bundle) names its parents as the
    // register holds them, so their names stay.
    let on_record = ["withdrawal", "decision", "sjp", "prosecution"]
        .iter()
        .any(|s| sample.get(s).is_some());
    if let Some(parents) = case["parents"].as_array_mut().filter(|_| !on_record) {
        for p in parents {
            p["given_names"] = Value::from(GIVEN[(n + 3) % GIVEN.len()]);
            p["family_name"] = Value::from(FAMILY[(n / 3) % FAMILY.len()]);
        }
    }
    // Counts must agree with a session-by-session register, so only vary
    // them where there is none.
    if case["attendance"].is_object()
        && case["attendance"]["sessions"]
            .as_array()
            .is_none_or(Vec::is_empty)
    {
        // Only upwards, so a case that needs persistent absence keeps it.
        let a = &case["attendance"];
        let possible = a["possible_sessions"].as_u64().unwrap();
        let absent = a["authorised_absences"].as_u64().unwrap()
            + a["unauthorised_absences"].as_u64().unwrap();
        let extra = (i % 5).min(possible - absent);
        let unauthorised = a["unauthorised_absences"].as_u64().unwrap() + extra;
        case["attendance"]["unauthorised_absences"] = Value::from(unauthorised);
    }
    case
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Kind {
    kind: String,
    version: String,
    sample: Value,
    /// The first copy's recipient (a letter to parents), or none.
    recipient: Option<usize>,
    /// The records it is made with: a court bundle's sample's scratch
    /// register (the varied cases keep the sample's pupil), else none.
    records: Arc<dyn Records>,
}

fn request<'a>(k: &'a Kind, case: &'a Value) -> Request<'a> {
    Request {
        kind: &k.kind,
        version: Some(&k.version),
        as_of: None,
        recipient: k.recipient,
        case,
        purpose: Purpose::Proof,
        drafts: false,
        translation: None,
    }
}

fn render_one(docket: &Docket, k: &Kind, i: u64) -> usize {
    let case = vary(&k.sample, i);
    let checked = docket
        .check(&request(k, &case), &*k.records)
        .expect("valid");
    docket
        .render(&checked, Part::All, &Pdf)
        .expect("renders")
        .output
        .len()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("letter-templates");
    let started = Instant::now();
    let docket = Arc::new(Docket::load(&root).expect("templates load"));
    let load = started.elapsed();
    let samples = docket::samples::Samples::new();
    let kinds: Vec<Kind> = docket
        .templates()
        .kinds()
        .filter_map(|(kind, versions)| {
            let v = versions.iter().rev().find(|v| !v.meta.draft)?;
            let sample: Value = serde_json::from_str(&v.sample).unwrap();
            let recipient = docket::maintain::first_recipient(v.entry.recipients, &sample);
            let records = samples.records(&docket, v).expect("sample register");
            Some(Kind {
                kind: kind.to_owned(),
                version: v.version.clone(),
                recipient,
                sample,
                records,
            })
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("docket render benchmark: {cores} cores, release build, data varied on every render");
    println!(
        "start-up (fonts, library, templates): {:.1} ms",
        load.as_secs_f64() * 1000.0
    );

    // Warm latency per kind and stage.
    let samples = env_num("DOCKET_BENCH_SAMPLES", 300);
    println!(
        "\nwarm latency, one copy per render ({samples} renders per kind after 100 warm-up), ms:"
    );
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "kind", "fill p50", "comp p50", "comp p95", "pdf p50", "pdf p95", "all p50", "all p95"
    );
    for k in &kinds {
        for i in 0..100 {
            render_one(&docket, k, i);
        }
        let (mut fill, mut compile, mut export, mut total) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..samples {
            let case = vary(&k.sample, 1_000_000 + i);
            let t0 = Instant::now();
            let checked = docket
                .check(&request(k, &case), &*k.records)
                .expect("valid");
            let checked_in = t0.elapsed();
            let rendered = docket.render(&checked, Part::All, &Pdf).expect("renders");
            total.push(t0.elapsed());
            // As before the stages were typed: checking and filling are
            // "fill".
            fill.push(checked_in + rendered.times.fill);
            compile.push(rendered.times.compile);
            export.push(rendered.times.export);
        }
        for v in [&mut fill, &mut compile, &mut export, &mut total] {
            v.sort();
        }
        println!(
            "{:<28} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7.2}",
            k.kind,
            percentile(&fill, 0.5),
            percentile(&compile, 0.5),
            percentile(&compile, 0.95),
            percentile(&export, 0.5),
            percentile(&export, 0.95),
            percentile(&total, 0.5),
            percentile(&total, 0.95)
        );
    }

    // Throughput on 1 and 2 threads, all kinds in turn.
    let seconds = env_num("DOCKET_BENCH_SECONDS", 5);
    println!("\nthroughput, in-process ({seconds} s per run, kinds in turn):");
    let kinds = Arc::new(kinds);
    let mut per_thread = Vec::new();
    for threads in [1usize, 2] {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (docket, kinds, done, stop) = (
                    Arc::clone(&docket),
                    Arc::clone(&kinds),
                    Arc::clone(&done),
                    Arc::clone(&stop),
                );
                std::thread::spawn(move || {
                    let mut i = 10_000_000 * (t as u64 + 1);
                    while !stop.load(Ordering::Relaxed) {
                        render_one(&docket, &kinds[(i as usize) % kinds.len()], i);
                        done.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                    }
                })
            })
            .collect();
        let t0 = Instant::now();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            h.join().unwrap();
        }
        let rate = done.load(Ordering::Relaxed) as f64 / t0.elapsed().as_secs_f64();
        per_thread.push(rate);
        println!(
            "  {threads} thread{}: {rate:.0} letters/s",
            if threads == 1 { " " } else { "s" }
        );
    }
    println!(
        "  scaling 2 threads / 1 thread: {:.2}x",
        per_thread[1] / per_thread[0]
    );
    println!("INPROCESS_2T_LETTERS_PER_S={:.0}", per_thread[1]);

    // Memory over many renders, every one with different data.
    let total = env_num("DOCKET_BENCH_MEMORY_RENDERS", 100_000);
    if total > 0 {
        println!("\nresident memory over {total} renders on {cores} threads (distinct data each):");
        let done = Arc::new(AtomicU64::new(0));
        let mut at_1k = f64::NAN;
        let handles: Vec<_> = (0..cores as u64)
            .map(|t| {
                let (docket, kinds, done) =
                    (Arc::clone(&docket), Arc::clone(&kinds), Arc::clone(&done));
                std::thread::spawn(move || {
                    let mut i = 100_000_000 * (t + 1);
                    while done.fetch_add(1, Ordering::Relaxed) < total {
                        render_one(&docket, &kinds[(i as usize) % kinds.len()], i);
                        i += 1;
                    }
                })
            })
            .collect();
        let mut next_report = 1_000;
        let t0 = Instant::now();
        while done.load(Ordering::Relaxed) < total {
            let n = done.load(Ordering::Relaxed);
            if n >= next_report {
                let rss = rss_mib();
                if next_report == 1_000 {
                    at_1k = rss;
                }
                println!("  after {n:>7} renders: {rss:7.1} MiB");
                next_report *= 10;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for h in handles {
            h.join().unwrap();
        }
        let end = rss_mib();
        println!(
            "  after {total:>7} renders: {end:7.1} MiB ({:.0} s)",
            t0.elapsed().as_secs_f64()
        );
        println!("  ratio end / after 1k: {:.2}", end / at_1k);
    }
}
