//! API keys as the register keeps them: the hash of each secret (never the
//! secret), its scopes and schools, its expiry and revocation. Keys are
//! never deleted: the rows that name a key keep meaning something.

use rusqlite::{OptionalExtension, Row, params};

use super::{Register, RegisterError, date, now};
use crate::access::{KeyRecord, KeyRequest, NewKey};

const COLUMNS: &str = "id, name, scopes, schools, created_at, created_by, expires_on, revoked_at, secret_sha256, signing_secret";

type KeyRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
);

fn read(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn record(row: KeyRow) -> Result<KeyRecord, RegisterError> {
    let (id, name, scopes, schools, created_at, created_by, expires, revoked_at, sha, signing) =
        row;
    let at = || format!("key {id}");
    let scopes = crate::access::parse_scopes(&scopes)
        .map_err(|bad| RegisterError::Corrupt(format!("{}: unknown scopes {bad:?}", at())))?;
    let schools = schools
        .map(|s| serde_json::from_str::<Vec<String>>(&s))
        .transpose()
        .map_err(|e| RegisterError::Corrupt(format!("{}: schools: {e}", at())))?;
    let expires_on = expires.map(|e| date(&e, &at)).transpose()?;
    Ok(KeyRecord {
        id,
        name,
        scopes,
        schools,
        created_at,
        created_by,
        expires_on,
        revoked_at,
        secret_sha256: sha,
        signing_secret: signing,
    })
}

impl Register {
    /// Stores a new key made for `request` by `by`; gives it back with its
    /// token, which is not kept.
    pub fn create_key(
        &self,
        request: &KeyRequest,
        by: &str,
    ) -> Result<(KeyRecord, String), RegisterError> {
        let key = NewKey::generate().map_err(|e| RegisterError::Corrupt(e.to_string()))?;
        let scopes: Vec<&str> = request.scopes.iter().map(|s| s.as_str()).collect();
        let schools = request
            .schools
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| RegisterError::Corrupt(e.to_string()))?;
        self.conn().execute(
            "INSERT INTO api_keys (id, name, scopes, schools, secret_sha256, signing_secret, created_at, created_by, expires_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                key.id,
                request.name.trim(),
                scopes.join(","),
                schools,
                key.secret_sha256,
                key.signing_secret,
                now(),
                by,
                request.expires_on.map(|d| d.to_string()),
            ],
        )?;
        Ok((
            self.key(&key.id)?
                .ok_or_else(|| RegisterError::NotFound(key.id.clone()))?,
            key.token,
        ))
    }

    /// The key with id `id`, usable or not.
    pub fn key(&self, id: &str) -> Result<Option<KeyRecord>, RegisterError> {
        let row = self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"))?
            .query_row(params![id], read)
            .optional()?;
        row.map(record).transpose()
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> Result<Vec<KeyRecord>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map([], read)?;
        rows.map(|r| record(r?)).collect()
    }

    /// Whether any key was ever made (revoked ones count: a register that
    /// had keys never falls back to the open mode).
    pub fn has_keys(&self) -> Result<bool, RegisterError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM api_keys)")?
            .query_row([], |r| r.get(0))?)
    }

    /// Revokes key `id` (`by` did it). `Ok(false)`: it was revoked already.
    pub fn revoke_key(&self, id: &str, by: &str) -> Result<bool, RegisterError> {
        if self.key(id)?.is_none() {
            return Err(RegisterError::NotFound(format!("key {id}")));
        }
        let changed = self.conn().execute(
            "UPDATE api_keys SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now(), by],
        )?;
        Ok(changed == 1)
    }

    /// A setting kept in the register, made by `make` the first time.
    pub fn setting_or(
        &self,
        name: &str,
        make: &dyn Fn() -> Result<String, RegisterError>,
    ) -> Result<String, RegisterError> {
        let conn = self.conn();
        let found: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(value) = found {
            return Ok(value);
        }
        let value = make()?;
        conn.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2)",
            params![name, value],
        )?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use crate::rules::d;

    #[test]
    fn keys_are_stored_hashed_and_revoked_not_deleted() {
        let r = Register::in_memory().unwrap_or_else(|e| panic!("{e}"));
        assert!(!r.has_keys().unwrap_or(true));
        let (key, token) = r
            .create_key(
                &KeyRequest {
                    name: "Case tool".into(),
                    scopes: vec![Scope::DocumentsRender, Scope::DocumentsIssue],
                    schools: Some(vec!["123456".into()]),
                    expires_on: Some(d(2027, 7, 31)),
                },
                "cli:test",
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, secret) = crate::access::parse_token(&token).unwrap_or_else(|| panic!("{token}"));
        // Nothing in the register holds the secret.
        let stored: String = r
            .conn()
            .query_row("SELECT group_concat(secret_sha256 || name || scopes || signing_secret) FROM api_keys", [], |row| row.get(0))
            .unwrap_or_default();
        assert!(!stored.contains(secret));
        assert!(crate::access::secret_matches(secret, &key.secret_sha256));
        assert_eq!(key.schools.as_deref(), Some(&["123456".to_owned()][..]));
        assert!(r.has_keys().unwrap_or(false));
        assert_eq!(r.revoke_key(&key.id, "cli:test").ok(), Some(true));
        assert_eq!(r.revoke_key(&key.id, "cli:test").ok(), Some(false));
        let keys = r.keys().unwrap_or_default();
        assert_eq!(keys.len(), 1);
        assert!(keys[0].revoked_at.is_some());
        assert!(r.has_keys().unwrap_or(false));
        assert!(matches!(
            r.revoke_key("ffffffffffff", "x"),
            Err(RegisterError::NotFound(_))
        ));
    }
}
