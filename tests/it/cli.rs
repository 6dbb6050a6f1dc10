//! The command line as a person uses it: `docket render` writes a PDF or
//! lists every problem by field and exits non-zero; `docket templates list`
//! shows the catalogue by level.

use crate::common::*;

/// A file named `name` in a scratch folder that lives as long as the
/// returned guard.
fn temp(name: &str) -> (Scratch, std::path::PathBuf) {
    let dir = Scratch::new();
    let path = dir.join(name);
    (dir, path)
}

#[test]
fn render_writes_a_pdf() {
    let (_out_dir, out) = temp("letter.pdf");
    let data = templates_dir().join("family-meeting-invitation/kpas-1/sample.json");
    let status = docket_cmd()
        .args(["render", "family-meeting-invitation", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf_text(&pdf).contains("Mrs Agnieszka Kowalczyk"));
}

#[test]
fn render_lists_every_problem_and_fails() {
    let (_data_dir, data) = temp("bad.json");
    let mut case: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(templates_dir().join("absence-concern-letter/kpas-1/sample.json"))
            .unwrap(),
    )
    .unwrap();
    case["pupil"]["upn"] = "A886200012345".into();
    case["school"]["address"]["postcode"] = "nowhere".into();
    std::fs::write(&data, case.to_string()).unwrap();
    let (_out_dir, out) = temp("never.pdf");
    let output = docket_cmd()
        .args(["render", "absence-concern-letter", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/pupil/upn: is not a valid Unique Pupil Number"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/school/address/postcode: is not a valid UK postcode"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written for a refused case");
}

#[test]
fn templates_list_groups_by_level() {
    let output = docket_cmd().args(["templates", "list"]).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let l1 = stdout.find("Level 1").unwrap();
    let l2 = stdout.find("Level 2").unwrap();
    let acl = stdout.find("absence-concern-letter").unwrap();
    let fmi = stdout.find("family-meeting-invitation").unwrap();
    assert!(l1 < acl && acl < l2 && l2 < fmi, "{stdout}");
}

#[test]
fn unknown_kind_is_refused_with_a_hint() {
    let data = templates_dir().join("absence-concern-letter/kpas-1/sample.json");
    let (_dir, out) = temp("x.pdf");
    let output = docket_cmd()
        .args(["render", "no-such-letter", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("there is no document kind `no-such-letter`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: `docket templates list`"), "{stderr}");
}

/// The print room's command: `docket batch notices.csv --kind … -o out/`
/// writes the three files and summarises refusals; a CSV without `--kind`
/// or with a column that is no case field is refused before anything runs.
#[test]
fn batch_takes_a_csv_file() {
    let sample = sample_of("penalty-notice", "kpas-1");
    let template = docket::batch::csv::template(&sample);
    let mut lines = template.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    // The sample, and the sample with a wrong UPN check letter.
    let broken = row.replacen("W886200012345", "A886200012345", 1);
    let (_csv_dir, csv) = temp("notices.csv");
    std::fs::write(&csv, format!("{header}\n{row}\n{broken}\n")).unwrap();
    let (_out_dir, out) = temp("batch-out");
    let (_db_dir, db) = temp("batch.db");
    let (_db2_dir, db2) = temp("batch-again.db");
    let run_on = |db: &std::path::Path| {
        docket_cmd()
            .arg("batch")
            .arg(&csv)
            .args(["--kind", "penalty-notice", "--db"])
            .arg(db)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap()
    };
    let output = run_on(&db);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 cases, 2 documents issued, 1 refused"),
        "{stderr}"
    );
    assert!(stderr.contains("case 1 refused: /pupil/upn"), "{stderr}");
    let manifest = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert_eq!(
        manifest.lines().filter(|l| l.ends_with(",issued")).count(),
        2
    );
    assert!(out.join("print.pdf").exists() && out.join("documents.zip").exists());
    // The same notices again on the same register are refused: one
    // offence, one notice.
    let again = run_on(&db);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("2 cases, 0 documents issued, 2 refused"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pn.duplicate-period")
            || stderr.contains("covers part of this offence period"),
        "{stderr}"
    );
    // Run again into the same folder on another register: the files are
    // the new batch's, equal to the register's own copies.
    let db = db2;
    let output = run_on(&db);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let id = stderr
        .lines()
        .find_map(|l| l.strip_prefix("batch ")?.split(':').next())
        .unwrap();
    let kept = std::path::PathBuf::from(format!("{}-batches", db.display())).join(id);
    for name in docket::batch::OUTPUTS {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(kept.join(name)).unwrap(),
            "{name}"
        );
    }
    // They are the second batch's own files (hard links to its copies),
    // not the first's left behind.
    {
        use std::os::unix::fs::MetadataExt;
        for name in docket::batch::OUTPUTS {
            assert_eq!(
                std::fs::metadata(out.join(name)).unwrap().ino(),
                std::fs::metadata(kept.join(name)).unwrap().ino(),
                "{name}"
            );
        }
    }
    assert!(!manifest.is_empty());

    let (_bad_dir, bad) = temp("bad.csv");
    std::fs::write(&bad, "pupil.upn,pupil.shoe_size\nx,9\n").unwrap();
    let output = docket_cmd()
        .arg("batch")
        .arg(&bad)
        .args(["--kind", "penalty-notice", "--db"])
        .arg(&db)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/columns/1: column 2 `pupil.shoe_size` is not a case field"),
        "{stderr}"
    );
    let output = docket_cmd()
        .arg("batch")
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--kind"));
}
