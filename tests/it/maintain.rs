//! Template maintainers' workflow, end to end with the real binary on a
//! copy of `letter-templates/`: a published version's files cannot change
//! unnoticed (`templates check`, `serve`, `verify`); a new draft is made,
//! edited, diffed and published, and the version in force changes on its
//! effective date.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;

fn docket(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docket"))
        .arg("--templates")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn append(path: &Path, extra: &str) {
    let mut s = std::fs::read_to_string(path).unwrap();
    s.push_str(extra);
    std::fs::write(path, s).unwrap();
}

#[test]
fn the_published_templates_pass_their_checks() {
    let out = docket(&templates_dir(), &["templates", "check"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn editing_a_published_version_fails_check_and_serve_names_the_file() {
    let root = copy_templates("tamper");
    let file = root.join("family-meeting-invitation/kpas-1/template.typ.j2");
    append(&file, "\nOne more sentence.\n");
    let out = docket(&root, &["templates", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("family-meeting-invitation/kpas-1/template.typ.j2")
            && said.contains("family-meeting-invitation@kpas-1 was published"),
        "{said}"
    );
    // The service will not start on a folder whose published versions
    // changed (it says so before binding).
    let out = docket(&root, &["serve", "--addr", "127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("published version family-meeting-invitation@kpas-1 has changed"));
    // Editing the shared layout changes every version that uses it.
    let root = copy_templates("layout");
    append(&root.join("_layout/1/letter.typ"), "\n// edited\n");
    let out = docket(&root, &["templates", "check"]);
    assert!(
        text(&out).contains("_layout/1/letter.typ"),
        "{}",
        text(&out)
    );
}

#[test]
fn verify_names_the_version_and_says_whether_it_is_intact() {
    let root = copy_templates("verify");
    let pdf = root.join("notice.pdf");
    let data = root.join("penalty-notice/kpas-1/sample.json");
    let out = docket(
        &root,
        &[
            "render",
            "penalty-notice",
            "--version",
            "kpas-1",
            "--data",
            data.to_str().unwrap(),
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = docket(
        &root,
        &[
            "verify",
            pdf.to_str().unwrap(),
            "--case",
            data.to_str().unwrap(),
        ],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("penalty-notice@kpas-1"), "{said}");
    assert!(said.contains("intact"), "{said}");
    assert!(
        said.contains("matches: the PDF was made from this case"),
        "{said}"
    );
    // Another case file does not match.
    let other = root.join("absence-concern-letter/kpas-1/sample.json");
    let out = docket(
        &root,
        &[
            "verify",
            pdf.to_str().unwrap(),
            "--case",
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // After the template is tampered with, the same PDF is no longer backed
    // by an intact version.
    append(&root.join("penalty-notice/kpas-1/template.typ.j2"), "\nx\n");
    let out = docket(&root, &["verify", pdf.to_str().unwrap()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("NOT intact") && said.contains("/template.typ.j2"),
        "{said}"
    );
    // A PDF docket did not make is refused.
    std::fs::write(&pdf, b"%PDF-1.7 nothing").unwrap();
    assert_eq!(
        docket(&root, &["verify", pdf.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn a_draft_is_made_diffed_and_published() {
    let root = copy_templates("draft");
    let out = docket(&root, &["templates", "new", "family-meeting-invitation"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("family-meeting-invitation@kpas-3"));
    let draft = root.join("family-meeting-invitation/kpas-3");
    let meta = std::fs::read_to_string(draft.join("meta.toml")).unwrap();
    assert!(meta.contains("draft = true"), "{meta}");
    // A draft passes the checks and is never chosen by date.
    let check = docket(&root, &["templates", "check"]);
    assert!(check.status.success(), "{}", text(&check));
    let data = draft.join("sample.json");
    let pdf = root.join("out.pdf");
    let render = |extra: &[&str]| {
        let mut args = vec![
            "render",
            "family-meeting-invitation",
            "--data",
            data.to_str().unwrap(),
            "-o",
            pdf.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        text(&docket(&root, &args))
    };
    assert!(render(&["--as-of", "2030-01-01"]).contains("family-meeting-invitation@kpas-2"));
    assert!(render(&["--version", "kpas-3"]).contains("family-meeting-invitation@kpas-3"));
    // Reword it: the diff shows the change word by word.
    let template = draft.join("template.typ.j2");
    let source = std::fs::read_to_string(&template).unwrap();
    assert!(source.contains("It is not a disciplinary meeting."));
    std::fs::write(
        &template,
        source.replace(
            "It is not a disciplinary meeting.",
            "It is not a formal meeting.",
        ),
    )
    .unwrap();
    let out = docket(
        &root,
        &[
            "templates",
            "diff",
            "family-meeting-invitation",
            "kpas-2",
            "kpas-3",
        ],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("[-disciplinary-]{+formal+}"), "{said}");
    // A template that reads a field no case has cannot be published.
    std::fs::write(
        &template,
        format!(
            "{}\n<< pupil.nickname >>\n",
            std::fs::read_to_string(&template).unwrap()
        ),
    )
    .unwrap();
    let out = docket(
        &root,
        &[
            "templates",
            "publish",
            "family-meeting-invitation",
            "kpas-3",
            "--effective-from",
            "2027-04-19",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("pupil.nickname"), "{}", text(&out));
    let fixed = std::fs::read_to_string(&template)
        .unwrap()
        .replace("\n<< pupil.nickname >>\n", "");
    std::fs::write(&template, fixed).unwrap();
    // Publishing ends the previous version the day before.
    let out = docket(
        &root,
        &[
            "templates",
            "publish",
            "family-meeting-invitation",
            "kpas-3",
            "--effective-from",
            "2027-04-19",
        ],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("family-meeting-invitation@kpas-2 is now in force until 2027-04-18"),
        "{said}"
    );
    let check = docket(&root, &["templates", "check"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(render(&["--as-of", "2027-04-18"]).contains("@kpas-2"));
    assert!(render(&["--as-of", "2027-04-19"]).contains("@kpas-3"));
    // Published means immutable: publishing again is refused, and so is an
    // edit of the new version.
    let again = docket(
        &root,
        &[
            "templates",
            "publish",
            "family-meeting-invitation",
            "kpas-3",
            "--effective-from",
            "2027-05-04",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    append(&template, "\n");
    assert_eq!(
        docket(&root, &["templates", "check"]).status.code(),
        Some(1)
    );
}

#[test]
fn gaps_and_overlaps_in_effective_periods_fail_check() {
    let root = copy_templates("periods");
    let lock_path = root.join("templates.lock");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    // Move the PIAS concern letter's end a month early: a gap before KPAS.
    let edited = lock.replacen(
        "version = \"pias-1\"\nedition = \"pias\"\neffective_from = \"2017-04-01\"\neffective_to = \"2024-08-31\"",
        "version = \"pias-1\"\nedition = \"pias\"\neffective_from = \"2017-04-01\"\neffective_to = \"2024-07-31\"",
        1,
    );
    assert_ne!(edited, lock);
    std::fs::write(&lock_path, edited).unwrap();
    let out = docket(&root, &["templates", "check"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("absence-concern-letter (pias): pias-1 ends on 2024-07-31"),
        "{said}"
    );
}

/// Drafts render only in development mode or with a key that has the
/// `templates:draft` scope.
#[tokio::test]
async fn drafts_are_for_maintainers_only() {
    use docket::access::Scope;
    use docket::http::{ServeOptions, app};
    let root = copy_templates("gate");
    let (name, _) = docket::maintain::new_draft(&root, "family-meeting-invitation").unwrap();
    let docket = std::sync::Arc::new(docket::Docket::load(&root).unwrap());
    let sample = sample_of("family-meeting-invitation", "kpas-1");
    let path = format!("/v1/documents/family-meeting-invitation?version={name}");
    let register = std::sync::Arc::new(docket::register::Register::in_memory().unwrap());
    let maintainer = make_key(
        &register,
        "maintainers",
        &[Scope::DocumentsRender, Scope::TemplatesDraft],
        None,
    );
    let case_tool = make_key(&register, "case tool", &[Scope::DocumentsRender], None);
    let with_keys = ServeOptions {
        register: Some(std::sync::Arc::clone(&register)),
        ..ServeOptions::default()
    };
    let send = |options: &ServeOptions, key: Option<&str>| {
        let router = app(std::sync::Arc::clone(&docket), options).unwrap();
        let key = key.map(str::to_owned);
        let sample = sample.clone();
        let path = path.clone();
        async move { call(&router, "POST", &path, key.as_deref(), Some(&sample)).await }
    };
    // The open mode (no keys yet) renders published versions, not drafts.
    assert_eq!(send(&ServeOptions::default(), None).await.status, 403);
    // With keys: none is 401, a key without the scope 403, a wrong one 401.
    assert_eq!(send(&with_keys, None).await.status, 401);
    let refused = send(&with_keys, Some(&case_tool)).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("templates:draft"),
        "{}",
        refused.json()
    );
    let wrong = format!("{}0", &maintainer[..maintainer.len() - 1]);
    let wrong = if wrong == maintainer {
        format!("{}1", &maintainer[..maintainer.len() - 1])
    } else {
        wrong
    };
    assert_eq!(send(&with_keys, Some(&wrong)).await.status, 401);
    assert_eq!(send(&with_keys, Some(&maintainer)).await.status, 200);
    let dev = ServeOptions {
        dev: true,
        ..ServeOptions::default()
    };
    assert_eq!(send(&dev, None).await.status, 200);
    // Published versions need only documents:render.
    let router = app(std::sync::Arc::clone(&docket), &with_keys).unwrap();
    let published = call(
        &router,
        "POST",
        "/v1/documents/family-meeting-invitation?version=kpas-1",
        Some(&case_tool),
        Some(&sample),
    )
    .await;
    assert_eq!(published.status, 200);
}
