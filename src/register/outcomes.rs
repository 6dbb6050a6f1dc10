//! What a batch did, as the register keeps it: each case's outcome, the
//! documents issued under it, and the delivery of its callback.

use rusqlite::params;

use super::{BatchRecord, RecordState, Register, RegisterError, count, int, now};

impl Register {
    /// Records one attempt to deliver a batch's callback: `Ok(())` when it
    /// was delivered, else why not.
    pub fn record_callback(
        &self,
        id: &str,
        outcome: Result<(), &str>,
    ) -> Result<(), RegisterError> {
        let (delivered, error) = match outcome {
            Ok(()) => (Some(now()), None),
            Err(e) => (None, Some(e)),
        };
        self.conn().execute(
            "UPDATE batches SET callback_attempts = callback_attempts + 1,
                    callback_delivered_at = ?2, callback_error = ?3 WHERE id = ?1",
            params![id, delivered, error],
        )?;
        Ok(())
    }

    /// Records that a batch's callback is given up: it is not tried again.
    pub fn give_up_callback(&self, id: &str) -> Result<(), RegisterError> {
        self.conn().execute(
            "UPDATE batches SET callback_given_up_at = ?2 WHERE id = ?1",
            params![id, now()],
        )?;
        Ok(())
    }

    /// Finished batches whose callback a stop interrupted: neither delivered
    /// nor given up. Their ids and URLs, oldest first.
    pub fn pending_callbacks(&self) -> Result<Vec<(String, String)>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, callback_url FROM batches
             WHERE status IN ('done', 'failed') AND callback_url IS NOT NULL
               AND callback_delivered_at IS NULL AND callback_given_up_at IS NULL
             ORDER BY created_at",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records the outcome of one case of a batch.
    pub fn add_batch_record(&self, batch: &str, record: &BatchRecord) -> Result<(), RegisterError> {
        self.conn()
            .prepare_cached(
                "INSERT OR REPLACE INTO batch_records (batch_id, idx, status, reference, problem) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                batch,
                int(record.index),
                record.status.as_str(),
                record.references.join(","),
                record.problem
            ])?;
        Ok(())
    }

    /// The outcomes recorded so far, by index.
    pub fn batch_records(&self, batch: &str) -> Result<Vec<BatchRecord>, RegisterError> {
        self.batch_records_from(batch, None, 0, usize::MAX)
    }

    /// Up to `limit` outcomes from the `offset`-th, by index; only those
    /// with `status` if one is given.
    pub fn batch_records_from(
        &self,
        batch: &str,
        status: Option<RecordState>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<BatchRecord>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT idx, status, reference, problem FROM batch_records
             WHERE batch_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY idx LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(
            params![
                batch,
                status.map(RecordState::as_str),
                int(limit),
                int(offset)
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (index, status, refs, problem) = row?;
            let at = || format!("record {index} of batch {batch}");
            out.push(BatchRecord {
                index: count(index, &at)?,
                status: RecordState::parse(&status).ok_or_else(|| {
                    RegisterError::Corrupt(format!("{}: `{status}` is not an outcome", at()))
                })?,
                // A refused case has no references: NULL or empty.
                references: refs
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                problem,
            });
        }
        Ok(out)
    }

    /// Documents stored for a batch: `(index, recipient index, reference)`,
    /// to resume a case whose record was never written (a stop in between).
    pub fn batch_documents(
        &self,
        batch: &str,
    ) -> Result<Vec<(usize, Option<usize>, String)>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT batch_index, recipient_index, reference FROM documents WHERE batch_id = ?1 ORDER BY batch_index, reference",
        )?;
        let rows = stmt.query_map(params![batch], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (index, recipient, reference) = row?;
            let at = || format!("document {reference} of batch {batch}");
            out.push((
                count(index, &at)?,
                recipient.map(|i| count(i, &at)).transpose()?,
                reference,
            ));
        }
        Ok(out)
    }

    /// How many documents a batch has issued.
    pub fn batch_documents_count(&self, batch: &str) -> Result<usize, RegisterError> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM documents WHERE batch_id = ?1",
            params![batch],
            |r| r.get(0),
        )?;
        count(n, &|| format!("documents of batch {batch}"))
    }
}
