//! What a penetration tester tries: cross-site requests, DNS rebinding,
//! enumeration, forged request ids, slow and idle clients, callbacks to
//! internal addresses, files others can read, and TLS.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use docket::access::Scope;
use docket::register::Register;
use serde_json::json;

use crate::common::*;

fn router_with(register: &Arc<Register>, options: docket::http::ServeOptions) -> axum::Router {
    docket::http::app(
        docket(),
        &docket::http::ServeOptions {
            register: Some(Arc::clone(register)),
            ..options
        },
    )
    .unwrap()
}

async fn raw(
    router: &axum::Router,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut request = axum::http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    send(
        router.clone(),
        request.body(axum::body::Body::from(body.to_vec())).unwrap(),
    )
    .await
}

/// Every state-changing route refuses a body a browser form could send
/// (no type, `text/plain`, a form) with 415, before doing anything.
#[tokio::test]
async fn state_changes_need_a_json_or_csv_content_type() {
    let register = Arc::new(Register::in_memory().unwrap());
    let token = make_key(&register, "admin", &ALL_SCOPES, None);
    let auth = format!("Bearer {token}");
    let router = router_with(&register, docket::http::ServeOptions::default());
    let case = serde_json::to_vec(&notice_case(701)).unwrap();
    let event =
        br#"{"event":"withdrawn","ground":"material-error","reason":"x","on":"2026-12-01"}"#;
    let key = br#"{"name":"x","scopes":["documents:render"]}"#;
    for (path, body) in [
        ("/v1/documents/penalty-notice", case.as_slice()),
        ("/v1/documents/PN26-000001A/events", event.as_slice()),
        ("/v1/batches", case.as_slice()),
        ("/v1/keys", key.as_slice()),
    ] {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
        ] {
            let mut headers = vec![("authorization", auth.as_str())];
            if let Some(t) = content_type {
                headers.push(("content-type", t));
            }
            let reply = raw(&router, "POST", path, &headers, body).await;
            assert_eq!(reply.status, 415, "{path} as {content_type:?}");
            assert_eq!(reply.content_type(), "application/problem+json");
        }
    }
    assert!(register.keys().unwrap().len() == 1, "no key was made");
}

/// A page on another origin cannot call the API; the service's own pages
/// and the origins listed can. A `Host` the service does not answer to is
/// refused (DNS rebinding).
#[tokio::test]
async fn origins_and_hosts_outside_the_lists_are_refused() {
    let register = Arc::new(Register::in_memory().unwrap());
    let token = make_key(&register, "reader", &[Scope::RegisterRead], None);
    let auth = format!("Bearer {token}");
    let router = router_with(
        &register,
        docket::http::ServeOptions {
            names: docket::http::Names {
                hosts: docket::http::default_hosts("127.0.0.1:8080".parse().unwrap()),
                origins: vec!["https://case-tool.kent.example".into()],
                ..docket::http::Names::default()
            },
            ..docket::http::ServeOptions::default()
        },
    );
    let path = "/v1/documents?pupil_upn=A123456789012";
    let ask = |host: &'static str, origin: Option<&'static str>| {
        let router = router.clone();
        let auth = auth.clone();
        async move {
            let mut headers = vec![("authorization", auth.as_str()), ("host", host)];
            if let Some(o) = origin {
                headers.push(("origin", o));
            }
            raw(&router, "GET", path, &headers, b"").await
        }
    };
    assert_eq!(ask("127.0.0.1:8080", None).await.status, 200);
    assert_eq!(ask("localhost:8080", None).await.status, 200);
    // DNS rebinding: the attacker's name pointed at 127.0.0.1.
    let rebound = ask("attacker.example:8080", None).await;
    assert_eq!(rebound.status, 421);
    assert_eq!(rebound.content_type(), "application/problem+json");
    assert_eq!(
        ask("127.0.0.1:8080", Some("https://evil.example"))
            .await
            .status,
        403
    );
    assert_eq!(
        ask("127.0.0.1:8080", Some("http://127.0.0.1:8080"))
            .await
            .status,
        200
    );
    assert_eq!(
        ask("127.0.0.1:8080", Some("https://case-tool.kent.example"))
            .await
            .status,
        200
    );
}

/// Lookups by reference are limited per key: past the limit, 429 with
/// `Retry-After`; another key is not held back. Callers without a key are
/// limited by address.
#[tokio::test]
async fn lookups_are_rate_limited_per_key() {
    let register = Arc::new(Register::in_memory().unwrap());
    let one = make_key(&register, "one", &[Scope::RegisterRead], None);
    let two = make_key(&register, "two", &[Scope::RegisterRead], None);
    let router = router_with(
        &register,
        docket::http::ServeOptions {
            lookup_rate_limit: 5,
            ..docket::http::ServeOptions::default()
        },
    );
    let mut statuses = Vec::new();
    for i in 0..12 {
        let reply = call(
            &router,
            "GET",
            &format!("/v1/documents/PN26-{i:06}A"),
            Some(&one),
            None,
        )
        .await;
        statuses.push(reply.status.as_u16());
        if reply.status == 429 {
            let wait: u64 = reply.headers["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(wait >= 1);
            assert_eq!(reply.content_type(), "application/problem+json");
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 404).count(),
        5,
        "{statuses:?}"
    );
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(
        call(
            &router,
            "GET",
            "/v1/documents/PN26-000001A",
            Some(&two),
            None
        )
        .await
        .status,
        404
    );
    // Guessing keys is limited too.
    let mut guessed = Vec::new();
    for _ in 0..8 {
        let bad = format!("dk_{}_{}", "1".repeat(12), "2".repeat(64));
        guessed.push(
            call(
                &router,
                "GET",
                "/v1/documents/PN26-000001A",
                Some(&bad),
                None,
            )
            .await
            .status
            .as_u16(),
        );
    }
    assert!(guessed.contains(&429), "{guessed:?}");
}

/// Every response says not to cache or sniff it; the pages have a content
/// security policy; a request id is echoed only if it is a plain token.
#[tokio::test]
async fn responses_carry_protective_headers_and_plain_request_ids() {
    for path in ["/healthz", "/v1/templates", "/no-such", "/docs", "/studio"] {
        let reply = get(path).await;
        assert_eq!(reply.headers["cache-control"], "no-store", "{path}");
        assert_eq!(reply.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(reply.headers["x-frame-options"], "DENY", "{path}");
    }
    for page in ["/docs", "/studio"] {
        let reply = get(page).await;
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'sha256-"), "{page}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{page}: {csp}");
        assert!(!csp.contains("unsafe"), "{page}: {csp}");
    }
    let router = router();
    let echoed = raw(
        &router,
        "GET",
        "/healthz",
        &[("x-request-id", "case-tool.42_a")],
        b"",
    )
    .await;
    assert_eq!(echoed.headers["x-request-id"], "case-tool.42_a");
    let forged = raw(
        &router,
        "GET",
        "/healthz",
        &[("x-request-id", "x\" level=ERROR msg=\"forged")],
        b"",
    )
    .await;
    let id = forged.headers["x-request-id"].to_str().unwrap();
    assert!(!id.contains("forged") && !id.is_empty(), "{id}");
}

/// The real binary closes a client that sends its header too slowly, one
/// that sits idle, and answers 408 to a body that trickles in.
#[test]
fn slow_and_idle_clients_are_closed() {
    let server = Server::start(
        &templates_dir(),
        &["--header-timeout-secs", "1", "--body-timeout-secs", "1"],
    );
    let addr = server.url.trim_start_matches("http://").to_owned();
    let closed_within = |mut s: std::net::TcpStream, secs: u64| {
        s.set_read_timeout(Some(Duration::from_secs(secs))).unwrap();
        let mut buf = Vec::new();
        // Closed: read_to_end returns; left open: the read times out.
        s.read_to_end(&mut buf).map(|_| buf)
    };
    // Half a header, then nothing.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    write!(slow, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n").unwrap();
    assert!(
        closed_within(slow, 5).is_ok(),
        "a slow header was not closed"
    );
    // Idle after one request on a kept-alive connection.
    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    write!(idle, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let answered = closed_within(idle, 5).expect("an idle connection was not closed");
    assert!(String::from_utf8_lossy(&answered).starts_with("HTTP/1.1 200"));
    // A body promised and trickled.
    let mut trickle = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        trickle,
        "POST /v1/documents/family-meeting-invitation HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    )
    .unwrap();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(600));
        let _ = trickle.write_all(b" ");
    }
    let answer = closed_within(trickle, 5).expect("a trickled body was not ended");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

/// Callbacks go only to listed hosts; a special address needs listing by
/// itself; every body is signed with the key's secret; a failure records
/// no remote text.
#[tokio::test(flavor = "multi_thread")]
async fn callbacks_are_allow_listed_and_signed() {
    use std::sync::Mutex;
    // Each callback's signature and body.
    type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;
    let received: Received = Arc::default();
    let hook = {
        let received = Arc::clone(&received);
        axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let received = Arc::clone(&received);
                    async move {
                        let signature = headers["docket-signature"].to_str().unwrap().to_owned();
                        received.lock().unwrap().push((signature, body.to_vec()));
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, hook).await });
    let register = Arc::new(Register::in_memory().unwrap());
    let token = make_key(
        &register,
        "print room",
        &[Scope::Batches, Scope::DocumentsIssue],
        None,
    );
    let key = register
        .key(docket::access::parse_token(&token).unwrap().0)
        .unwrap()
        .unwrap();
    let make = |allow: &[&str]| {
        router_with(
            &register,
            docket::http::ServeOptions {
                callback_allow: docket::batch::callback::Allow::parse(
                    &allow.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                )
                .unwrap(),
                callback_retry: docket::batch::callback::Retry {
                    attempts: 2,
                    first_wait: Duration::from_millis(50),
                    timeout: Duration::from_secs(2),
                },
                ..docket::http::ServeOptions::default()
            },
        )
    };
    let batch = |url: String| json!({"kind": "penalty-notice", "cases": [notice_case(720)], "callback_url": url});
    // Not listed: refused when the batch is made.
    for (allow, url) in [
        (&[][..], format!("http://127.0.0.1:{port}/hook")),
        (
            &["hooks.kent.example"][..],
            format!("http://127.0.0.1:{port}/hook"),
        ),
        (
            &["*.localhost"][..],
            format!("http://2130706433:{port}/hook"),
        ),
    ] {
        let reply = call(
            &make(allow),
            "POST",
            "/v1/batches",
            Some(&token),
            Some(&batch(url.clone())),
        )
        .await;
        assert_eq!(reply.status, 422, "{url} with {allow:?}");
        assert_eq!(reply.json()["errors"][0]["pointer"], "/callback_url");
    }
    // Listed by address: delivered, signed with the key's secret.
    let listed = format!("127.0.0.1:{port}");
    let router = make(&[listed.as_str()]);
    let made = call(
        &router,
        "POST",
        "/v1/batches",
        Some(&token),
        Some(&batch(format!("http://127.0.0.1:{port}/hook"))),
    )
    .await;
    assert_eq!(made.status, 202, "{}", String::from_utf8_lossy(&made.body));
    let id = made.json()["id"].as_str().unwrap().to_owned();
    for _ in 0..400 {
        if !received.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (signature, body) = received.lock().unwrap()[0].clone();
    let t: i64 = signature
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!((chrono::Utc::now().timestamp() - t).abs() < 120);
    let expected = docket::batch::callback::signature(
        &key.signing_secret,
        t,
        std::str::from_utf8(&body).unwrap(),
    );
    assert_eq!(signature, expected);
    // Computed independently of docket: HMAC-SHA256 over "<t>.<body>".
    {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.signing_secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(signature.ends_with(&hex));
    }
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["id"],
        id
    );
    // A receiver that cannot be reached: recorded without its error text.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listed = format!("127.0.0.1:{closed}");
    let router = make(&[listed.as_str()]);
    let made = call(
        &router,
        "POST",
        "/v1/batches",
        Some(&token),
        Some(&batch(format!("http://127.0.0.1:{closed}/hook"))),
    )
    .await;
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let mut last_error = serde_json::Value::Null;
    for _ in 0..400 {
        let status = call(
            &router,
            "GET",
            &format!("/v1/batches/{id}"),
            Some(&token),
            None,
        )
        .await
        .json();
        if !status["callback"]["last_error"].is_null() {
            last_error = status["callback"]["last_error"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last_error, "the receiver could not be reached");
}

/// The register, its WAL and a batch's files are the service's user's
/// alone.
#[cfg(unix)]
#[test]
fn the_register_and_batch_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new();
    let db = dir.join("docket.db");
    let cases = dir.join("cases.json");
    std::fs::write(
        &cases,
        serde_json::to_vec(&json!({"kind": "penalty-notice", "cases": [notice_case(730)]}))
            .unwrap(),
    )
    .unwrap();
    let out = dir.join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_docket"))
        .arg("--templates")
        .arg(templates_dir())
        .args(["batch"])
        .arg(&cases)
        .arg("--db")
        .arg(&db)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o600);
    for side in ["docket.db-wal", "docket.db-shm"] {
        let p = dir.join(side);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{side}");
        }
    }
    let batches = dir.join("docket.db-batches");
    assert_eq!(mode(&batches), 0o700);
    for entry in std::fs::read_dir(&batches).unwrap() {
        let batch = entry.unwrap().path();
        assert_eq!(mode(&batch), 0o700, "{}", batch.display());
        for file in std::fs::read_dir(&batch).unwrap() {
            let file = file.unwrap().path();
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    assert_eq!(mode(&out), 0o700);
    for name in ["print.pdf", "documents.zip", "manifest.csv"] {
        assert_eq!(mode(&out.join(name)), 0o600, "{name}");
    }
    // The command line's batch is in the trail, as the operator's.
    let register = Register::open(&db).unwrap();
    let rows = register
        .audit_rows(&docket::register::AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(
        rows.iter()
            .any(|r| r.action == "batch" && r.method == "cli" && r.actor.starts_with("cli:"))
    );
}

/// `serve --tls-cert --tls-key` answers over TLS with a certificate made
/// here, with HSTS; plain HTTP to the TLS port gets no answer.
#[test]
fn tls_round_trip() {
    let dir = Scratch::new();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = dir.join("cert.pem");
    let key_pem = dir.join("key.pem");
    std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
    std::fs::write(&key_pem, cert.signing_key.serialize_pem()).unwrap();
    let server = Server::start(
        &templates_dir(),
        &[
            "--tls-cert",
            cert_pem.to_str().unwrap(),
            "--tls-key",
            key_pem.to_str().unwrap(),
        ],
    );
    let port = server.url.rsplit(':').next().unwrap().to_owned();
    let root = ureq::tls::Certificate::from_der(cert.cert.der()).to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![root])))
                .build(),
        )
        .http_status_as_error(false)
        .build()
        .into();
    let mut answer = None;
    for _ in 0..100 {
        match agent
            .get(&format!("https://localhost:{port}/healthz"))
            .call()
        {
            Ok(r) => {
                answer = Some(r);
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    let mut answer = answer.expect("no TLS answer");
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age="),
    );
    assert_eq!(answer.body_mut().read_to_string().unwrap(), "ok");
    let plain = ureq::get(&format!("http://localhost:{port}/healthz")).call();
    assert!(plain.is_err(), "plain HTTP was answered on the TLS port");
}
