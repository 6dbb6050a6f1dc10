//! The scope each operation needs, as the OpenAPI document states it.

/// The scope each operation needs (`None`: public; drafts still need
/// `templates:draft`).
pub(super) fn scope_of(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("post", "/v1/documents/{id}") => "documents:render",
        ("get", "/v1/documents/{id}" | "/v1/documents" | "/v1/documents/{id}/status") => {
            "register:read"
        }
        ("post", "/v1/documents/{id}/events") => "register:events",
        ("post", "/v1/documents/{id}/decision") | ("get", "/v1/notices/lapsed") => {
            "register:decide"
        }
        (_, p) if p.starts_with("/v1/batches") => "batches",
        (_, p) if p.starts_with("/v1/keys") => "keys:admin",
        (_, "/v1/audit") => "audit:read",
        (_, "/metrics") => "metrics:read",
        _ => return None,
    })
}
