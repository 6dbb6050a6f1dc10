//! A batch's callback: when a batch is done or has failed, its
//! `callback_url` is sent the batch's status (`POST`, JSON), and tried again
//! with growing waits while the receiver is unreachable or answers with a
//! server error, 408 or 429. Every attempt is counted in the register, with
//! the last error, so `GET /v1/batches/{id}` shows whether it arrived.
//!
//! Callbacks go only to hosts on the allow-list ([`Allow`]), checked again
//! when each attempt is made; what is recorded of a failure is the status
//! the receiver answered or that it could not be reached, never the
//! remote's own text (so a callback cannot be used to scan ports). Every
//! body is signed: `Docket-Signature: t=<unix time>,v1=<hex>`, the
//! HMAC-SHA256 of `<t>.<body>` with the secret of the key that made the
//! batch (`docket keys signing-secret ID`), or the register's own for the
//! command line and the open mode.

use std::time::Duration;

use serde_json::{Value, json};

pub use super::allow::Allow;
use crate::register::{Register, RegisterError};

/// The register setting that holds the secret callbacks of batches made
/// without a key are signed with.
pub const OPEN_SIGNING_SECRET: &str = "callback-signing-secret";

/// The signature header's value for `body` at `t` (seconds since 1970).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length: this never fails.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={t},v1={}",
        crate::digest::hex(&mac.finalize().into_bytes())
    )
}

/// The secret a batch's callbacks are signed with: its key's, or the
/// register's own for batches made without a key.
pub fn signing_secret(register: &Register, id: &str) -> Result<String, RegisterError> {
    let batch = register.batch(id)?;
    if let Some(key) = &batch.by.key_id
        && let Some(k) = register.key(key)?
    {
        return Ok(k.signing_secret);
    }
    register.setting_or(OPEN_SIGNING_SECRET, &|| {
        crate::access::random_secret().map_err(|e| RegisterError::Corrupt(e.to_string()))
    })
}

/// How a callback is retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all.
    pub attempts: u32,
    /// The wait after the first failure; each later wait doubles it.
    pub first_wait: Duration,
    /// The longest an attempt may take.
    pub timeout: Duration,
}

impl Default for Retry {
    /// Six attempts over about a minute (waits of 2, 4, 8, 16 and 32 s).
    fn default() -> Self {
        Self {
            attempts: 6,
            first_wait: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Whether `url` can be called back: absolute `http` or `https`, with a
/// host, and no credentials in it.
pub fn check_url(url: &str) -> Result<(), String> {
    let parsed: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("not a URL ({e}); give an absolute http or https URL"))?;
    match parsed.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err("the callback must be an http or https URL".into()),
    }
    match parsed.authority() {
        None => Err("the callback URL has no host".into()),
        Some(a) if a.as_str().contains('@') => {
            Err("the callback URL must not carry credentials".into())
        }
        Some(_) => Ok(()),
    }
}

/// What one attempt gave.
enum Attempt {
    Delivered,
    /// Worth trying again.
    Retry(String),
    /// The receiver refused it: trying again would not help.
    Refused(String),
}

fn attempt(
    agent: &ureq::Agent,
    (url, allow): (&str, &Allow),
    id: &str,
    n: u32,
    (body, secret): (&str, &str),
) -> Attempt {
    // The host is checked again now: what it resolves to may have changed.
    if let Err(why) = allow.check(url) {
        return Attempt::Refused(why);
    }
    let t = chrono::Utc::now().timestamp();
    let response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header("Docket-Batch", id)
        .header("Docket-Delivery-Attempt", n.to_string())
        .header("Docket-Signature", signature(secret, t, body))
        .send(body);
    match response {
        Ok(r) if r.status().is_success() => Attempt::Delivered,
        Ok(r) => {
            let code = r.status().as_u16();
            let why = format!("the receiver answered {}", r.status());
            if code >= 500 || code == 408 || code == 429 {
                Attempt::Retry(why)
            } else {
                Attempt::Refused(why)
            }
        }
        Err(e) => {
            // The cause stays in the service's log: recorded, it would tell
            // a caller which ports answer.
            tracing::debug!(batch = %id, error = %e, "callback not delivered");
            Attempt::Retry("the receiver could not be reached".to_owned())
        }
    }
}

/// The body sent: the batch's status without its per-case records (which
/// can be many; `GET /v1/batches/{id}` has them), with links to its files.
pub fn payload(status: &super::BatchSummary) -> Value {
    let id = &status.id;
    let mut links = json!({ "self": format!("/v1/batches/{id}") });
    for name in &status.files {
        links[*name] = Value::from(format!("/v1/batches/{id}/{name}"));
    }
    json!({
        "id": id,
        "status": status.status,
        "total": status.total,
        "done": status.done,
        "failed": status.failed,
        "error": status.error,
        "links": links,
    })
}

/// Calls `url` back for batch `id` with `body`, retrying as `retry` says,
/// and records each attempt in `register`. Blocks until it is delivered or
/// given up (which is recorded too). Attempts already counted, before a
/// stop, count towards `retry.attempts`.
pub fn deliver(
    register: &Register,
    id: &str,
    (url, allow): (&str, &Allow),
    body: &Value,
    retry: Retry,
) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(retry.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into();
    let body = body.to_string();
    let secret = match signing_secret(register, id) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(batch = %id, error = %e, "the callback's signing secret could not be read; not calling back");
            return;
        }
    };
    // The attempts made before a stop count toward the limit.
    let already = match register.batch(id) {
        Ok(batch) => batch.callback.map_or(0, |c| c.attempts),
        Err(e) => {
            tracing::error!(batch = %id, error = %e, "the callback's attempts could not be read; not calling back");
            return;
        }
    };
    let mut wait = retry.first_wait;
    for n in already + 1..=retry.attempts {
        let outcome = attempt(&agent, (url, allow), id, n, (&body, &secret));
        let record = match &outcome {
            Attempt::Delivered => Ok(()),
            Attempt::Retry(why) | Attempt::Refused(why) => Err(why.as_str()),
        };
        if let Err(e) = register.record_callback(id, record) {
            tracing::error!(batch = %id, error = %e, "could not record a callback attempt");
        }
        match outcome {
            Attempt::Delivered => {
                crate::telemetry::callback_attempt("delivered");
                tracing::info!(batch = %id, attempt = n, "callback delivered");
                return;
            }
            Attempt::Refused(why) => {
                crate::telemetry::callback_attempt("refused");
                tracing::warn!(batch = %id, attempt = n, %why, "callback refused; not retried");
                give_up(register, id);
                return;
            }
            Attempt::Retry(why) => {
                crate::telemetry::callback_attempt("failed");
                tracing::warn!(batch = %id, attempt = n, %why, "callback failed");
                if n < retry.attempts {
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
            }
        }
    }
    tracing::error!(batch = %id, "callback given up after {} attempts", retry.attempts);
    give_up(register, id);
}

fn give_up(register: &Register, id: &str) {
    crate::telemetry::callback_given_up();
    if let Err(e) = register.give_up_callback(id) {
        tracing::error!(batch = %id, error = %e, "could not record that the callback was given up");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_the_hmac_of_the_time_and_the_body() {
        // RFC 4231-style check against an independent computation:
        // HMAC-SHA256("key", "1.{}").
        let s = signature("key", 1, "{}");
        assert!(s.starts_with("t=1,v1="), "{s}");
        assert_eq!(s.len(), "t=1,v1=".len() + 64);
        assert_ne!(s, signature("key", 2, "{}"));
        assert_ne!(s, signature("other", 1, "{}"));
        assert_eq!(s, signature("key", 1, "{}"));
    }

    #[test]
    fn only_plain_http_urls_are_called_back() {
        assert!(check_url("https://case-tool.example/batches/done").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("ftp://example.org/x").is_err());
        assert!(check_url("/relative").is_err());
        assert!(check_url("https://user:pw@example.org/").is_err());
        assert!(check_url("not a url").is_err());
    }
}
