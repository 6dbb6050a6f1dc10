//! The audit trail: one row for every access to personal data and every
//! change of legal state, refused attempts included. Rows are only ever
//! added (triggers refuse updates and deletes; AUTOINCREMENT never reuses a
//! sequence number), and each row's hash covers its fields and the previous
//! row's hash, so an edited, removed or inserted row breaks the chain that
//! [`Register::verify_audit`] recomputes.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Register, RegisterError, int, now};
use crate::access::{AUDIT_GENESIS, audit_hash};

/// A row to add.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    /// The key used, if any.
    pub key_id: Option<String>,
    /// The key's name, `cli:<user>`, `open`, or `unknown` for a refused
    /// attempt without a usable key.
    pub actor: String,
    /// Who inside the calling system it was for.
    pub on_behalf_of: Option<String>,
    /// What was done: `reprint`, `history`, `status`, `issue`, `event`, …
    pub action: String,
    /// The HTTP method, or `cli`.
    pub method: String,
    /// The route's pattern (`/v1/documents/{reference}`), or the command.
    pub route: String,
    /// The reference, batch id or key id it was about.
    pub target: Option<String>,
    /// The pupil's UPN, where known.
    pub pupil_upn: Option<String>,
    /// The status answered (`0` for the command line's success).
    pub outcome: u16,
}

/// A row of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// Its sequence number.
    pub seq: i64,
    /// When (UTC).
    pub at: String,
    /// The key used, if any.
    pub key_id: Option<String>,
    /// Who.
    pub actor: String,
    /// For whom.
    pub on_behalf_of: Option<String>,
    /// What.
    pub action: String,
    /// How.
    pub method: String,
    /// Where.
    pub route: String,
    /// About what.
    pub target: Option<String>,
    /// About which pupil.
    pub pupil_upn: Option<String>,
    /// With what outcome.
    pub outcome: u16,
    /// Its hash.
    pub hash: String,
}

/// What [`Register::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    /// Every row's hash is as recomputed: this many rows, ending in `head`.
    Intact {
        /// Rows checked.
        rows: usize,
        /// The last row's hash (keep it elsewhere to detect a rewritten
        /// chain).
        head: String,
    },
    /// The first row that does not verify, and why.
    Broken {
        /// Its sequence number.
        seq: i64,
        /// What is wrong.
        why: String,
    },
}

/// Which rows [`Register::audit_rows`] gives.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only about this pupil.
    pub upn: Option<String>,
    /// From this time on (`YYYY-MM-DD` or a full timestamp).
    pub from: Option<String>,
    /// Before this time (a date includes its whole day).
    pub to: Option<String>,
    /// At most this many, newest last.
    pub limit: usize,
}

fn fields(r: &AuditRow) -> [String; 10] {
    [
        r.at.clone(),
        r.key_id.clone().unwrap_or_default(),
        r.actor.clone(),
        r.on_behalf_of.clone().unwrap_or_default(),
        r.action.clone(),
        r.method.clone(),
        r.route.clone(),
        r.target.clone().unwrap_or_default(),
        r.pupil_upn.clone().unwrap_or_default(),
        r.outcome.to_string(),
    ]
}

fn hash_of(prev: &str, seq: i64, r: &AuditRow) -> String {
    let f = fields(r);
    let seq = seq.to_string();
    let mut parts: Vec<&str> = vec![&seq];
    parts.extend(f.iter().map(String::as_str));
    audit_hash(prev, &parts)
}

const SELECT: &str = "SELECT seq, at, key_id, actor, on_behalf_of, action, method, route, target, pupil_upn, outcome, hash, prev_hash FROM audit";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<(AuditRow, String)> {
    Ok((
        AuditRow {
            seq: r.get(0)?,
            at: r.get(1)?,
            key_id: r.get(2)?,
            actor: r.get(3)?,
            on_behalf_of: r.get(4)?,
            action: r.get(5)?,
            method: r.get(6)?,
            route: r.get(7)?,
            target: r.get(8)?,
            pupil_upn: r.get(9)?,
            outcome: r.get(10)?,
            hash: r.get(11)?,
        },
        r.get(12)?,
    ))
}

impl Register {
    /// Adds `rows` to the trail, chained, in one transaction.
    pub fn audit(&self, rows: &[NewAudit]) -> Result<(), RegisterError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (mut seq, mut prev): (i64, String) = tx
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, AUDIT_GENESIS.to_owned()));
        // AUTOINCREMENT's counter: after a deleted last row it is ahead of
        // the table, and the next row takes the number after it.
        let counter: Option<i64> = tx
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'audit'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        seq = seq.max(counter.unwrap_or(0));
        let at = now();
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO audit (seq, at, key_id, actor, on_behalf_of, action, method, route, target, pupil_upn, outcome, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for new in rows {
                seq += 1;
                let row = AuditRow {
                    seq,
                    at: at.clone(),
                    key_id: new.key_id.clone(),
                    actor: new.actor.clone(),
                    on_behalf_of: new.on_behalf_of.clone(),
                    action: new.action.clone(),
                    method: new.method.clone(),
                    route: new.route.clone(),
                    target: new.target.clone(),
                    pupil_upn: new.pupil_upn.clone(),
                    outcome: new.outcome,
                    hash: String::new(),
                };
                let hash = hash_of(&prev, seq, &row);
                insert.execute(params![
                    seq,
                    row.at,
                    row.key_id,
                    row.actor,
                    row.on_behalf_of,
                    row.action,
                    row.method,
                    row.route,
                    row.target,
                    row.pupil_upn,
                    row.outcome,
                    prev,
                    hash,
                ])?;
                prev = hash;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Rows of the trail as `query` asks, oldest first.
    pub fn audit_rows(&self, query: &AuditQuery) -> Result<Vec<AuditRow>, RegisterError> {
        // A bare date as the end includes that whole day.
        let to = query.to.as_ref().map(|t| {
            if t.len() == 10 {
                format!("{t}T99")
            } else {
                t.clone()
            }
        });
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT} WHERE (?1 IS NULL OR pupil_upn = ?1) AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3)
             ORDER BY seq LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![query.upn, query.from, to, int(query.limit)], read)?;
        Ok(rows
            .map(|r| r.map(|(row, _)| row))
            .collect::<Result<_, _>>()?)
    }

    /// Recomputes the chain from the first row: intact, or the first row
    /// that was edited, removed or inserted.
    pub fn verify_audit(&self) -> Result<AuditCheck, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let mut prev = AUDIT_GENESIS.to_owned();
        let mut expected = 1;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            // A field of the wrong type (edited with another tool) is a
            // broken row, named, not a failure to verify.
            let Ok((row, prev_hash)) = read(r) else {
                let seq = r.get::<_, i64>(0).unwrap_or(expected);
                return Ok(AuditCheck::Broken {
                    seq,
                    why: "a field holds a value of the wrong type: it was edited".into(),
                });
            };
            if row.seq != expected {
                return Ok(AuditCheck::Broken {
                    seq: expected,
                    why: format!("row {expected} is missing (the next row is {})", row.seq),
                });
            }
            if prev_hash != prev {
                return Ok(AuditCheck::Broken {
                    seq: row.seq,
                    why: "its link to the previous row does not match that row's hash".into(),
                });
            }
            if hash_of(&prev, row.seq, &row) != row.hash {
                return Ok(AuditCheck::Broken {
                    seq: row.seq,
                    why: "its contents do not match its hash: it was edited".into(),
                });
            }
            prev = row.hash;
            expected += 1;
            n += 1;
        }
        drop(rows);
        // A removed last row leaves AUTOINCREMENT's counter ahead.
        let counter: Option<i64> = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'audit'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(c) = counter
            && c >= expected
        {
            return Ok(AuditCheck::Broken {
                seq: expected,
                why: format!("rows {expected} to {c} were removed from the end"),
            });
        }
        Ok(AuditCheck::Intact {
            rows: n,
            head: prev,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(action: &str, upn: Option<&str>) -> NewAudit {
        NewAudit {
            actor: "Case tool".into(),
            key_id: Some("0123456789ab".into()),
            action: action.into(),
            method: "GET".into(),
            route: "/v1/documents/{reference}".into(),
            target: Some("DK26-000001A".into()),
            pupil_upn: upn.map(str::to_owned),
            outcome: 200,
            ..NewAudit::default()
        }
    }

    #[test]
    fn the_chain_verifies_until_a_row_is_edited_or_removed() {
        let r = Register::in_memory().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            r.verify_audit(),
            Ok(AuditCheck::Intact { rows: 0, .. })
        ));
        r.audit(&[row("reprint", Some("A1")), row("history", Some("B2"))])
            .unwrap_or_else(|e| panic!("{e}"));
        r.audit(&[row("status", Some("A1"))])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            r.verify_audit(),
            Ok(AuditCheck::Intact { rows: 3, .. })
        ));
        let by_pupil = r
            .audit_rows(&AuditQuery {
                upn: Some("A1".into()),
                limit: 100,
                ..AuditQuery::default()
            })
            .unwrap_or_default();
        assert_eq!(by_pupil.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 3]);
        // The triggers refuse edits; with them gone, the chain still shows.
        assert!(
            r.conn()
                .execute("UPDATE audit SET outcome = 404 WHERE seq = 2", [])
                .is_err()
        );
        r.conn()
            .execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; UPDATE audit SET pupil_upn = 'C3' WHERE seq = 2")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            r.verify_audit(),
            Ok(AuditCheck::Broken { seq: 2, .. })
        ));
        r.conn()
            .execute_batch("UPDATE audit SET pupil_upn = 'B2' WHERE seq = 2")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            r.verify_audit(),
            Ok(AuditCheck::Intact { rows: 3, .. })
        ));
        r.conn()
            .execute_batch("DELETE FROM audit WHERE seq = 3")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            r.verify_audit(),
            Ok(AuditCheck::Broken { seq: 3, .. })
        ));
        // New rows after a removed one do not hide it.
        r.audit(&[row("status", None)])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            r.verify_audit(),
            Ok(AuditCheck::Broken { seq: 3, .. })
        ));
    }
}
