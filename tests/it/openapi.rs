//! The OpenAPI document matches the service: every route is described, the
//! per-version case schemas accept their samples, and schemathesis, a
//! property-based tester, sends thousands of generated requests to the real
//! binary and finds no server error and no response that contradicts the
//! document.

use crate::common::*;

#[tokio::test]
async fn the_document_describes_every_route_and_kind() {
    let reply = get("/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/healthz",
        "/openapi.json",
        "/docs",
        "/v1/templates",
        "/v1/templates/{kind}/{version}/sample",
        "/v1/templates/{kind}/{version}/schema",
        "/v1/documents/{id}",
        "/v1/documents",
        "/v1/documents/{id}/status",
        "/v1/documents/{id}/events",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not described");
    }
    let kinds = &doc["paths"]["/v1/documents/{id}"]["post"]["parameters"][0]["schema"]["enum"];
    for (kind, _, _) in samples() {
        assert!(
            kinds
                .as_array()
                .unwrap()
                .iter()
                .any(|k| *k == kind.as_str()),
            "{kind}"
        );
    }
    let case = &doc["components"]["schemas"]["Case"];
    assert_eq!(case["type"], "object");
    assert!(!serde_json::to_string(&doc).unwrap().contains("#/$defs/"));
    // The docs page is served.
    let page = get("/docs").await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("/openapi.json"));
}

/// Every version's schema (sections required) accepts its sample, and
/// refuses it without a section the version needs.
#[tokio::test]
async fn each_version_schema_validates_its_sample() {
    for (kind, version, sample) in samples() {
        let reply = get(&format!("/v1/templates/{kind}/{version}/schema")).await;
        assert_eq!(reply.status, 200, "{kind}@{version}");
        assert_eq!(reply.content_type(), "application/schema+json");
        let schema = reply.json();
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert!(
            validator.is_valid(&sample),
            "{kind}@{version}: sample fails its schema"
        );
        let required = schema["required"].as_array().unwrap();
        let section = required.last().unwrap().as_str().unwrap();
        let mut without = sample.clone();
        without.as_object_mut().unwrap().remove(section);
        assert!(
            !validator.is_valid(&without),
            "{kind}@{version} without {section}"
        );
    }
    assert_eq!(get("/v1/templates/no-such/kpas-1/schema").await.status, 404);
}

#[test]
fn schemathesis_finds_no_server_errors_and_no_contradictions() {
    if !tool("schemathesis") {
        return;
    }
    // With access control on: every request carries a key with every
    // scope, and schemathesis also tries each without it (401).
    let server = Server::with_key(
        &templates_dir(),
        &["--rate-limit", "100000", "--lookup-rate-limit", "100000"],
    );
    let token = server.token.clone().unwrap();
    let out = std::process::Command::new("schemathesis")
        .args(["run", &format!("{}/openapi.json", server.url)])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // Every check but one: the case schema cannot express every rule
        // (check letters, dates in order, thresholds), so data that fits the
        // schema may rightly be refused with 422, as the document says.
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args([
            "--max-examples",
            "40",
            "--seed",
            "20261123",
            "--generation-database",
            "none",
        ])
        .env("NO_COLOR", "1")
        // schemathesis keeps a cache in its working directory.
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis failed:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}
