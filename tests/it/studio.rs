//! The studio in a real headless Chromium, driven over WebDriver
//! (chromedriver, both from the project's setup script): the page loads and
//! shows the pages of a sample; editing the case JSON re-renders them; bad
//! input shows the problem by field; with `--dev`, editing a template file
//! re-renders the open preview without a reload; two versions compare side
//! by side with the wording differences marked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// chromedriver on a free port, killed when dropped.
struct Driver(std::process::Child, u16);

impl Driver {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let driver = Self(child, port);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("chromedriver did not start");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,900", format!("--user-data-dir={}", profile.display())
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .unwrap()
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Waits (up to 20 s) until `script` returns something truthy; returns it
/// and how long it took.
async fn until(c: &Client, script: &str, what: &str) -> (Value, Duration) {
    let start = Instant::now();
    loop {
        let v = js(c, script).await;
        let truthy = match &v {
            Value::Null | Value::Bool(false) => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if truthy {
            return (v, start.elapsed());
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const FIRST_PAGE: &str =
    "const i = document.querySelector('#preview img'); return i ? i.src : null;";

/// Replaces the editor's JSON with `case` as a person typing would (an
/// input event).
async fn set_case(c: &Client, case: &str) {
    c.execute(
        "const e = document.getElementById('editor'); e.value = arguments[0]; e.dispatchEvent(new Event('input'));",
        vec![Value::from(case)],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_studio_previews_edits_problems_reloads_and_compares() {
    if !(tool("chromium") && tool("chromedriver")) {
        return;
    }
    let root = copy_templates("browser");
    let server = Server::start(&root, &["--dev"]);
    let driver = Driver::start();
    let profile = Scratch::new();
    let c = browser(&driver, &profile).await;
    c.goto(&format!("{}/studio", server.url)).await.unwrap();

    // Load: the first document's sample is shown and rendered.
    let (first, _) = until(&c, FIRST_PAGE, "the first preview").await;
    let editor = js(&c, "return document.getElementById('editor').value").await;
    let mut case: Value = serde_json::from_str(editor.as_str().unwrap()).unwrap();
    assert!(case["pupil"]["given_names"].is_string());

    // Edit: a new name re-renders the pages.
    case["pupil"]["given_names"] = json!("Rosalind");
    set_case(&c, &serde_json::to_string_pretty(&case).unwrap()).await;
    let changed = format!(
        "const i = document.querySelector('#preview img'); return i && i.src !== {} && !document.getElementById('preview').classList.contains('stale');",
        serde_json::to_string(&first).unwrap()
    );
    let (_, took) = until(&c, &changed, "the preview to change after an edit").await;
    eprintln!("studio: edit to new preview in {} ms", took.as_millis());
    let status = js(&c, "return document.getElementById('status').textContent").await;
    assert!(status.as_str().unwrap().contains("rendered"), "{status}");
    let shot = c.screenshot().await.unwrap();
    let out = std::env::var_os("DOCKET_STUDIO_SCREENSHOT").map_or_else(
        || std::env::temp_dir().join("docket-studio.png"),
        PathBuf::from,
    );
    std::fs::write(&out, shot).unwrap();

    // Bad input: the problem appears by field.
    case["pupil"]["upn"] = json!("A886200012345");
    set_case(&c, &serde_json::to_string_pretty(&case).unwrap()).await;
    let (problems, _) = until(
        &c,
        "const p = document.getElementById('problems').textContent; return p.includes('/pupil/upn') ? p : null;",
        "the UPN problem",
    )
    .await;
    assert!(
        problems.as_str().unwrap().contains("check letter"),
        "{problems}"
    );
    set_case(&c, "{ not json").await;
    until(
        &c,
        "return document.getElementById('problems').textContent.includes('not valid JSON');",
        "the JSON problem",
    )
    .await;

    // Back to a good case; then a template edit on disk re-renders the open
    // preview by itself (--dev).
    case["pupil"]["upn"] = json!("W886200012345");
    set_case(&c, &serde_json::to_string_pretty(&case).unwrap()).await;
    let (good, _) = until(&c, "return document.getElementById('problems').textContent === '' && document.querySelector('#preview img') && !document.getElementById('preview').classList.contains('stale') ? document.querySelector('#preview img').src : null;", "a good preview").await;
    let selected: Value = serde_json::from_str(
        js(&c, "return document.getElementById('doc-select').value")
            .await
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (kind, version) = (
        selected["kind"].as_str().unwrap(),
        selected["version"].as_str().unwrap(),
    );
    let template = root.join(kind).join(version).join("template.typ.j2");
    let source = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        source.replacen(
            "#import \"/layout/letter.typ\": *",
            "#import \"/layout/letter.typ\": *\n#set page(fill: rgb(\"#fff7e0\"))",
            1,
        ),
    )
    .unwrap();
    let reloaded = format!(
        "const i = document.querySelector('#preview img'); return i && i.src !== {};",
        serde_json::to_string(&good).unwrap()
    );
    let (_, took) = until(
        &c,
        &reloaded,
        "the preview to re-render after a template edit",
    )
    .await;
    eprintln!(
        "studio: template edit to new preview in {} ms",
        took.as_millis()
    );

    // Compare: a new draft with other wording, picked in the studio, shows
    // the differences side by side.
    let (draft, dir) = docket::maintain::new_draft(&root, "family-meeting-invitation").unwrap();
    let t = dir.join("template.typ.j2");
    let s = std::fs::read_to_string(&t).unwrap();
    std::fs::write(
        &t,
        s.replace(
            "It is not a disciplinary meeting",
            "It is not a formal meeting",
        ),
    )
    .unwrap();
    let option = format!(
        "{{\"kind\":\"family-meeting-invitation\",\"version\":\"{draft}\",\"draft\":true}}"
    );
    until(
        &c,
        &format!("return [...document.querySelectorAll('#doc-select option')].some(o => o.value === {});", serde_json::to_string(&option).unwrap()),
        "the draft to appear",
    )
    .await;
    c.execute(
        "const s = document.getElementById('doc-select'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
        vec![Value::from(option)],
    )
    .await
    .unwrap();
    until(
        &c,
        "return document.getElementById('version-pill').textContent.includes('kpas-3');",
        "the draft to be chosen",
    )
    .await;
    c.find(Locator::Id("tab-compare"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let (ins, _) = until(
        &c,
        "const i = [...document.querySelectorAll('#compare ins')].map(e => e.textContent).join(' | '); return i ? i : null;",
        "the comparison",
    )
    .await;
    let del = js(
        &c,
        "const d = [...document.querySelectorAll('#compare del')].map(e => e.textContent).join(' | '); return d ? d : null;",
    )
    .await;
    assert!(ins.as_str().unwrap().contains("formal"), "{ins}");
    assert!(del.as_str().unwrap().contains("disciplinary"), "{del}");

    c.close().await.unwrap();
    drop(server);
}

/// Without --dev or a key with `templates:draft`, the studio's page holds
/// nothing and its endpoints answer nothing; with keys in the register, a
/// caller without one is 401.
#[tokio::test]
async fn the_studio_is_off_by_default() {
    let page = get("/studio").await;
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let reply = post_json("/v1/studio/preview/family-meeting-invitation", &json!({})).await;
    assert_eq!(reply.status, 403);
    assert_eq!(get("/v1/studio/events").await.status, 404);
    let register = std::sync::Arc::new(docket::register::Register::in_memory().unwrap());
    let reader = make_key(
        &register,
        "reader",
        &[docket::access::Scope::RegisterRead],
        None,
    );
    let maintainer = make_key(
        &register,
        "maintainer",
        &[docket::access::Scope::TemplatesDraft],
        None,
    );
    let router = docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            register: Some(register),
            ..docket::http::ServeOptions::default()
        },
    )
    .unwrap();
    let path = "/v1/studio/diff/family-meeting-invitation?from=kpas-1&to=kpas-1";
    assert_eq!(call(&router, "GET", path, None, None).await.status, 401);
    assert_eq!(
        call(&router, "GET", path, Some(&reader), None).await.status,
        403
    );
    let ok = call(&router, "GET", path, Some(&maintainer), None).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
}
