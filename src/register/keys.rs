//! Idempotency keys: a caller that sends the same request again with the
//! same `Idempotency-Key` gets the first result, not a second notice; the
//! same key with a different request is refused. Keys belong to the caller
//! that sent them and last [`KEY_LIFETIME`].

use chrono::{Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Register, RegisterError};

/// How long an idempotency key holds: a day, as payment APIs commonly
/// keep theirs; after that the same key starts afresh.
pub const KEY_LIFETIME: Duration = Duration::hours(24);

/// What a key has given so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    /// Not used (or used so long ago it has expired).
    Fresh,
    /// Used with this request: the references it issued.
    Issued(Vec<String>),
    /// Used with another request.
    Mismatch,
    /// Used with this request, which is still being issued.
    InProgress,
}

/// The time before which keys have expired, as the register writes times.
fn cutoff() -> String {
    (Utc::now() - KEY_LIFETIME)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn state_in(
    conn: &Connection,
    caller: &str,
    key: &str,
    request_sha256: &str,
) -> Result<KeyState, RegisterError> {
    conn.prepare_cached("DELETE FROM idempotency WHERE created_at < ?1")?
        .execute(params![cutoff()])?;
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT request_sha256, references_json FROM idempotency WHERE caller = ?1 AND key = ?2",
        )?
        .query_row(params![caller, key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match row {
        None => KeyState::Fresh,
        Some((sha, _)) if sha != request_sha256 => KeyState::Mismatch,
        Some((_, None)) => KeyState::InProgress,
        Some((_, Some(refs))) => KeyState::Issued(
            serde_json::from_str(&refs)
                .map_err(|e| RegisterError::Corrupt(format!("idempotency key of {caller}: {e}")))?,
        ),
    })
}

impl Register {
    /// What `key` of `caller` has given so far, for `request_sha256`.
    pub fn key_state(
        &self,
        caller: &str,
        key: &str,
        request_sha256: &str,
    ) -> Result<KeyState, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let state = state_in(&tx, caller, key, request_sha256)?;
        tx.commit()?;
        Ok(state)
    }

    /// Claims `key` for an issue about to start: [`KeyState::Fresh`] when
    /// it is now this request's, else what it already was.
    pub fn claim_key(
        &self,
        caller: &str,
        key: &str,
        request_sha256: &str,
    ) -> Result<KeyState, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let state = state_in(&tx, caller, key, request_sha256)?;
        if state == KeyState::Fresh {
            tx.prepare_cached(
                "INSERT INTO idempotency (caller, key, request_sha256, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![caller, key, request_sha256, super::now()])?;
        }
        tx.commit()?;
        Ok(state)
    }

    /// Gives a claimed key back: the issue it was claimed for did not
    /// happen, so the same request may be sent again.
    pub fn release_key(&self, caller: &str, key: &str) -> Result<(), RegisterError> {
        self.conn().execute(
            "DELETE FROM idempotency WHERE caller = ?1 AND key = ?2 AND references_json IS NULL",
            params![caller, key],
        )?;
        Ok(())
    }

    pub(super) fn release_abandoned_keys(&self) -> Result<usize, RegisterError> {
        Ok(self
            .conn()
            .execute("DELETE FROM idempotency WHERE references_json IS NULL", [])?)
    }
}

/// Records what a claimed key issued, on `conn` (in the transaction that
/// stores the documents).
pub fn complete_key_in(
    conn: &Connection,
    caller: &str,
    key: &str,
    references: &[String],
) -> Result<(), RegisterError> {
    let refs = serde_json::to_string(references)
        .map_err(|e| RegisterError::Corrupt(format!("idempotency key of {caller}: {e}")))?;
    conn.prepare_cached(
        "UPDATE idempotency SET references_json = ?3 WHERE caller = ?1 AND key = ?2",
    )?
    .execute(params![caller, key, refs])?;
    Ok(())
}
