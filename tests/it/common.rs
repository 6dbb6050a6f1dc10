//! Helpers shared by the end-to-end tests: the real templates, the real
//! router driven without a socket, and the text of a PDF read back out.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use docket::Docket;
use docket::http::{ServeOptions, app};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// The repository's template folder.
pub fn templates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("letter-templates")
}

/// One `Docket` for the whole test binary: fonts and templates load once.
pub fn docket() -> Arc<Docket> {
    static DOCKET: OnceLock<Arc<Docket>> = OnceLock::new();
    Arc::clone(
        DOCKET.get_or_init(|| Arc::new(Docket::load(&templates_dir()).expect("templates load"))),
    )
}

/// The router with default options.
pub fn router() -> Router {
    app(docket(), &ServeOptions::default()).expect("an in-memory register opens")
}

/// The samples' scratch registers, seeded once for the whole test binary.
pub fn sample_registers() -> &'static docket::samples::Samples {
    static SAMPLES: OnceLock<docket::samples::Samples> = OnceLock::new();
    SAMPLES.get_or_init(docket::samples::Samples::new)
}

/// A scratch folder, removed when dropped (also when a test panics). It
/// derefs to its path.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    /// A new empty folder.
    pub fn new() -> Self {
        Self(
            tempfile::Builder::new()
                .prefix("docket-test-")
                .tempdir()
                .expect("a scratch folder"),
        )
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.path().as_os_str()
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Sends one request through `router`.
pub async fn send(router: Router, request: Request<Body>) -> Reply {
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET path`.
pub async fn get(path: &str) -> Reply {
    get_on(&router(), path).await
}

/// `GET path` on `router` (one with state, e.g. a register).
pub async fn get_on(router: &Router, path: &str) -> Reply {
    send(
        router.clone(),
        Request::get(path).body(Body::empty()).unwrap(),
    )
    .await
}

/// `POST path` with a JSON body.
pub async fn post_json(path: &str, body: &serde_json::Value) -> Reply {
    post_raw(
        router(),
        path,
        "application/json",
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// `POST path` with any body and content type.
pub async fn post_raw(router: Router, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
    let request = Request::post(path)
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    send(router, request).await
}

/// The sample case of one version.
pub fn sample_of(kind: &str, version: &str) -> serde_json::Value {
    let v = docket()
        .templates()
        .select(kind, Some(version), chrono::NaiveDate::MIN)
        .expect("version exists");
    serde_json::from_str(&v.sample).expect("sample is JSON")
}

/// A router whose register holds what the sample of `kind@version` needs
/// (a court bundle's exhibits, from its `sample-register.json`); the plain
/// [`router`] for every other version.
pub fn router_for(kind: &str, version: &str) -> Router {
    let docket = docket();
    let v = docket
        .templates()
        .select(kind, Some(version), chrono::NaiveDate::MIN)
        .expect("version exists");
    if v.sample_register.is_none() {
        return router();
    }
    let register = Arc::new(docket::register::Register::in_memory().expect("register"));
    docket::samples::seed(&docket, &register, &v).expect("sample register seeds");
    app(
        docket,
        &ServeOptions {
            register: Some(register),
            ..ServeOptions::default()
        },
    )
    .expect("the router builds")
}

/// The router over `register`, in the open mode unless it holds keys.
pub fn router_on_register(register: &Arc<docket::register::Register>) -> Router {
    app(
        docket(),
        &ServeOptions {
            register: Some(Arc::clone(register)),
            ..ServeOptions::default()
        },
    )
    .expect("the router builds")
}

/// Issues [`notice_case`] `i` to its first parent through `router` and
/// gives the notice's number.
pub async fn issue_notice(router: &Router, i: usize) -> String {
    let reply = post_raw(
        router.clone(),
        "/v1/documents/penalty-notice?recipient=0",
        "application/json",
        serde_json::to_vec(&notice_case(i)).unwrap(),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.headers["docket-reference"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// A proof request for a case (drafts allowed, as a maintainer's check).
pub fn proof<'a>(
    kind: &'a str,
    version: Option<&'a str>,
    recipient: Option<usize>,
    case: &'a serde_json::Value,
) -> docket::Request<'a> {
    docket::Request {
        kind,
        version,
        as_of: None,
        recipient,
        case,
        purpose: docket::Purpose::Proof,
        drafts: true,
        translation: None,
    }
}

/// Renders in-process as a maintainer's check does: a court bundle gets the
/// evidence of a scratch register seeded with what its sample needs.
pub fn render_any(
    request: &docket::Request<'_>,
) -> Result<docket::Rendered<Vec<u8>>, docket::DocumentError> {
    let docket = docket();
    let checked = check_any(request)?;
    docket.render(&checked, docket::Part::All, &docket::render::Pdf)
}

/// Checks a request as [`render_any`] renders it.
pub fn check_any(request: &docket::Request<'_>) -> Result<docket::Checked, docket::DocumentError> {
    let docket = docket();
    let version = docket
        .templates()
        .select_on(request.kind, request.version, request.as_of)?;
    let records = sample_registers()
        .records(&docket, &version)
        .expect("the sample's register seeds");
    docket.check(request, &*records)
}

/// Every (kind, version, sample) in the template folder.
pub fn samples() -> Vec<(String, String, serde_json::Value)> {
    let docket = docket();
    let mut out = Vec::new();
    for (kind, versions) in docket.templates().kinds() {
        for v in versions {
            let sample = serde_json::from_str(&v.sample).expect("sample is JSON");
            out.push((kind.to_owned(), v.version.clone(), sample));
        }
    }
    assert!(!out.is_empty(), "no templates found");
    out
}

/// The text of a PDF, with runs of whitespace folded to one space.
pub fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).expect("PDF text extracts");
    fold(&text)
}

/// Folds runs of whitespace to one space.
pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a command-line tool is installed. Under `DOCKET_REQUIRE_TOOLS`
/// (CI) a missing tool fails the test; otherwise its check is skipped with a
/// note.
pub fn tool(name: &str) -> bool {
    let found = std::process::Command::new(name)
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("DOCKET_REQUIRE_TOOLS").is_none(),
            "{name} is required (DOCKET_REQUIRE_TOOLS is set) but not installed: run scripts/setup"
        );
        eprintln!(
            "note: {name} is not installed, so its check is skipped; run scripts/setup to install it"
        );
    }
    found
}

/// `qpdf --check` finds nothing wrong with `pdf` (`what` names it in the
/// failure); skipped as [`tool`] says when qpdf is not installed.
pub fn assert_qpdf_clean(pdf: &[u8], what: &str) {
    if !tool("qpdf") {
        return;
    }
    let dir = Scratch::new();
    let path = dir.join("check.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("No syntax or stream encoding errors"),
        "{what}: qpdf --check:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `docket serve` process on a free local port, killed when dropped.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    child: std::process::Child,
    /// A key with every scope, when started with one.
    pub token: Option<String>,
    /// How it was started, to start it again on the same register.
    templates: PathBuf,
    launch: Launch,
    /// Its register's folder.
    dir: Scratch,
}

/// How to start a `docket serve` process beyond its templates.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Its arguments after `serve --addr … --db …`.
    pub args: Vec<String>,
    /// Environment variables set for it.
    pub env: Vec<(String, String)>,
    /// A file its standard error goes to (by default, nowhere).
    pub stderr: Option<PathBuf>,
}

impl Launch {
    /// With `args`.
    pub fn args(args: &[&str]) -> Self {
        Self {
            args: args.iter().map(|&a| a.to_owned()).collect(),
            ..Self::default()
        }
    }
}

impl Server {
    /// Starts the real binary with `args` and waits until it answers.
    pub fn start(templates: &Path, args: &[&str]) -> Self {
        Self::launch(templates, Launch::args(args))
    }

    /// Starts the real binary as `launch` says.
    pub fn launch(templates: &Path, launch: Launch) -> Self {
        Self::start_in(Scratch::new(), None, templates, launch)
    }

    /// Starts the real binary on the register `dir/docket.db` (a restored
    /// copy, say).
    pub fn launch_in(dir: Scratch, templates: &Path, launch: Launch) -> Self {
        Self::start_in(dir, None, templates, launch)
    }

    /// Starts the real binary on a register that holds a key with every
    /// scope ([`Server::token`]), so access control is on.
    pub fn with_key(templates: &Path, args: &[&str]) -> Self {
        let dir = Scratch::new();
        let register = docket::register::Register::open(&dir.join("docket.db")).unwrap();
        let token = make_key(&register, "test", &ALL_SCOPES, None);
        drop(register);
        Self::start_in(dir, Some(token), templates, Launch::args(args))
    }

    fn start_in(dir: Scratch, token: Option<String>, templates: &Path, launch: Launch) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let db = dir.join("docket.db");
        let stderr = match &launch.stderr {
            Some(path) => std::process::Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap(),
            ),
            None => std::process::Stdio::null(),
        };
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_docket"))
            .arg("--templates")
            .arg(templates)
            .args(["serve", "--addr", &addr, "--db"])
            .arg(&db)
            .args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let server = Self {
            url: format!("http://{addr}"),
            child,
            token,
            templates: templates.to_owned(),
            launch,
            dir,
        };
        for _ in 0..400 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        panic!("docket serve did not start on {addr}");
    }

    /// Its register's file.
    pub fn db(&self) -> PathBuf {
        self.dir.join("docket.db")
    }

    /// Kills it with SIGKILL (no chance to tidy up), and waits for it.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Kills it hard and starts it again on the same register, with the
    /// same arguments (on a new port).
    pub fn restart(mut self) -> Self {
        self.kill();
        let templates = std::mem::take(&mut self.templates);
        let launch = std::mem::take(&mut self.launch);
        let token = self.token.take();
        let dir = std::mem::replace(&mut self.dir, Scratch::new());
        Self::start_in(dir, token, &templates, launch)
    }

    /// `GET path` (with a JSON `body`: `POST path`) with its key, if any,
    /// blocking: the status and the body.
    pub fn call(&self, path: &str, body: Option<&serde_json::Value>) -> (u16, Vec<u8>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", self.url);
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let response = match body {
            Some(b) => {
                let mut post = agent.post(&url).header("content-type", "application/json");
                if let Some(a) = &auth {
                    post = post.header("authorization", a);
                }
                post.send(&serde_json::to_vec(b).unwrap())
            }
            None => {
                let mut get = agent.get(&url);
                if let Some(a) = &auth {
                    get = get.header("authorization", a);
                }
                get.call()
            }
        }
        .unwrap();
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap();
        (status, body)
    }

    /// Makes a penalty-notice batch of `cases` and waits until `done` of
    /// them are: its id.
    pub fn batch_under_way(&self, cases: &[serde_json::Value], done: u64) -> String {
        let (status, body) = self.call(
            "/v1/batches",
            Some(&json!({"kind": "penalty-notice", "cases": cases})),
        );
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
        let id = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = std::time::Instant::now();
        while self.get_json(&format!("/v1/batches/{id}"))["done"]
            .as_u64()
            .unwrap_or(0)
            < done
        {
            assert!(started.elapsed().as_secs() < 300, "no progress");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        id
    }

    /// `GET path`'s JSON (waiting out a rate limit, as a client would).
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (mut status, mut body) = self.call(path, None);
        for _ in 0..20 {
            if status != 429 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
            (status, body) = self.call(path, None);
        }
        assert!(
            status < 300,
            "GET {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap()
    }
}

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's peak resident memory so far, in MiB (Linux).
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap()
            / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh copy of the real templates in a scratch folder, for tests that
/// edit them (`name` says which test, for a reader of a leftover folder).
pub fn copy_templates(name: &str) -> Scratch {
    let root = Scratch(
        tempfile::Builder::new()
            .prefix(&format!("docket-{name}-"))
            .tempdir()
            .expect("a scratch folder"),
    );
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    copy(&templates_dir(), &root);
    root
}

/// Posts a case and returns the PDFs it produced: the one PDF of a render
/// or of a single issued copy, or each issued copy fetched by reference when
/// a document was issued to several recipients (penalty notices).
pub async fn post_for_pdfs(path: &str, case: &serde_json::Value) -> Vec<Reply> {
    post_for_pdfs_with(router(), path, case).await
}

/// [`post_for_pdfs`] on a given router (one register across calls).
pub async fn post_for_pdfs_with(
    router: Router,
    path: &str,
    case: &serde_json::Value,
) -> Vec<Reply> {
    let reply = post_raw(
        router.clone(),
        path,
        "application/json",
        serde_json::to_vec(case).unwrap(),
    )
    .await;
    assert!(
        reply.status == 200 || reply.status == 201,
        "{path}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    if reply.content_type() != "application/json" {
        return vec![reply];
    }
    let mut out = Vec::new();
    for d in reply.json()["documents"].as_array().unwrap() {
        let href = d["href"].as_str().unwrap();
        let pdf = send(
            router.clone(),
            Request::get(href).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(pdf.status, 200, "{href}");
        out.push(pdf);
    }
    out
}

/// The penalty notice sample for its own pupil and parents: `i` makes the
/// UPN, the names and the reference distinct.
pub fn notice_case(i: usize) -> serde_json::Value {
    let upn = upn_with_check_letter(&format!("8861{i:08}"));
    let mut case = sample_of("penalty-notice", "kpas-1");
    case["reference"] = json!(format!("LEGAL/{i:04}"));
    case["pupil"]["upn"] = json!(upn);
    let family = format!("Family{i:04}");
    case["pupil"]["family_name"] = json!(family);
    for p in case["parents"].as_array_mut().unwrap() {
        p["family_name"] = json!(family);
    }
    for n in case["penalty"]["notices"].as_array_mut().unwrap() {
        n["previous_notices"] = json!([]);
    }
    case
}

/// A UPN for the twelve digits `body`, with its check letter in front.
pub fn upn_with_check_letter(body: &str) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRTUVWXYZ";
    let sum: u32 = body
        .bytes()
        .zip(2u32..)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{}{body}", char::from(LETTERS[(sum % 23) as usize]))
}

/// Every scope.
pub const ALL_SCOPES: [docket::access::Scope; docket::access::Scope::ALL.len()] =
    docket::access::Scope::ALL;

/// Makes a key named `name` with `scopes` (for `schools`, if given) in
/// `register`, and gives its token.
pub fn make_key(
    register: &docket::register::Register,
    name: &str,
    scopes: &[docket::access::Scope],
    schools: Option<&[&str]>,
) -> String {
    let (_, token) = register
        .create_key(
            &docket::access::KeyRequest {
                name: name.to_owned(),
                scopes: scopes.to_vec(),
                schools: schools.map(|s| s.iter().map(|&u| u.to_owned()).collect()),
                expires_on: None,
            },
            "test",
        )
        .unwrap();
    token
}

/// Sends `method path` with the bearer `token` (if any) and a JSON body
/// (if any).
pub async fn call(
    router: &Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(b) => {
            request = request.header("content-type", "application/json");
            Body::from(serde_json::to_vec(b).unwrap())
        }
        None => Body::empty(),
    };
    send(router.clone(), request.body(body).unwrap()).await
}

/// Whether a sample can be issued only on a later day: a document that is
/// always issued (a penalty notice) dated after today, so a version that
/// starts later is tried when it starts.
pub fn issued_later(kind: &str, sample: &serde_json::Value) -> bool {
    static DOCKET: std::sync::LazyLock<docket::Docket> = std::sync::LazyLock::new(|| {
        docket::Docket::load(std::path::Path::new("letter-templates")).unwrap()
    });
    let today = chrono::Local::now().date_naive().to_string();
    DOCKET.templates().catalogue().always_issued(kind)
        && sample["date"].as_str().is_some_and(|d| d > today.as_str())
}

/// The real binary, on the repository's templates.
pub fn docket_cmd() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_docket"));
    cmd.arg("--templates").arg(templates_dir());
    cmd
}
