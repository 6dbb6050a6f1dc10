//! A subject access request (UK GDPR Art. 15): everything the register
//! holds about one pupil, gathered ([`Register::subject_access`]) and
//! written as one ZIP ([`SubjectAccess::write_zip`]): each document's PDF
//! as issued and the case data it was made from, each document's
//! timeline, every batch case that names the pupil (refused ones too),
//! and every row of the audit trail about them: who saw their records.

use std::io::{Seek, Write};

use rusqlite::params;
use serde::Serialize;

use super::{AuditQuery, AuditRow, Register, RegisterError};
use crate::evidence::{Event, Issued};

/// One document about the pupil.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectDocument {
    /// The document as the register lists it.
    #[serde(flatten)]
    pub issued: Issued,
    /// The case data it was made from.
    pub case: serde_json::Value,
    /// What happened to it after it was sent.
    pub timeline: Vec<Event>,
    /// The PDF as issued (written to the ZIP as its own file).
    #[serde(skip)]
    pub pdf: Vec<u8>,
}

/// A case of a batch that names the pupil.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectBatchCase {
    /// The batch.
    pub batch_id: String,
    /// The case's place in it.
    pub index: i64,
    /// Issued or refused, and the reference or the problem.
    pub status: Option<String>,
    /// The case data as submitted.
    pub case: serde_json::Value,
}

/// Everything about one pupil.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectAccess {
    /// The pupil's UPN.
    pub upn: String,
    /// When it was gathered (UTC).
    pub gathered_at: String,
    /// Their documents, oldest first.
    pub documents: Vec<SubjectDocument>,
    /// Batch cases naming them.
    pub batch_cases: Vec<SubjectBatchCase>,
    /// The audit trail's rows about them.
    pub audit: Vec<AuditRow>,
}

/// What the ZIP's `README.txt` says.
const README: &str = "\
This is everything docket's register holds about one pupil, gathered for
a subject access request (UK GDPR Article 15).

- documents/REFERENCE.pdf: each document exactly as it was issued.
- documents.json: for each document, what the register records about it
  (kind, template version, dates, recipient, hashes), the case data it was
  made from, and its timeline (payments, withdrawals, decisions, outcomes).
- batch-cases.json: each case naming the pupil that was sent in a batch for
  printing, with whether it was issued or refused.
- audit.json: every recorded access to the pupil's records and every change
  to their documents: when, by whom (the key or the person at the command
  line, and for whom), what, and the outcome.

Before this is sent, the council's data-protection officer reviews it:
other people's personal data (for example another parent's) may need to be
redacted under the Data Protection Act 2018, Schedule 2, Part 3.
";

impl Register {
    /// Everything the register holds about the pupil `upn`.
    pub fn subject_access(&self, upn: &str) -> Result<SubjectAccess, RegisterError> {
        let mut documents = Vec::new();
        for issued in self.history(upn)? {
            let reference = issued.reference.clone();
            let case = serde_json::from_str(&self.case_json(&reference)?).map_err(|e| {
                RegisterError::Corrupt(format!("document {reference}: its case is not JSON: {e}"))
            })?;
            documents.push(SubjectDocument {
                timeline: self.timeline(&reference)?,
                pdf: self.pdf(&reference)?,
                case,
                issued,
            });
        }
        let batch_cases = self.batch_cases_about(upn)?;
        let audit = self.audit_rows(&AuditQuery {
            upn: Some(upn.to_owned()),
            from: None,
            to: None,
            limit: usize::MAX,
        })?;
        Ok(SubjectAccess {
            upn: upn.to_owned(),
            gathered_at: super::now(),
            documents,
            batch_cases,
            audit,
        })
    }

    fn batch_cases_about(&self, upn: &str) -> Result<Vec<SubjectBatchCase>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT c.batch_id, c.idx, c.case_json, r.status, r.reference, r.problem
             FROM batch_cases c
             LEFT JOIN batch_records r ON r.batch_id = c.batch_id AND r.idx = c.idx
             WHERE json_extract(c.case_json, '$.pupil.upn') = ?1
             ORDER BY c.batch_id, c.idx",
        )?;
        let mut rows = stmt.query(params![upn])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let batch_id: String = r.get(0)?;
            let index: i64 = r.get(1)?;
            let text: String = r.get(2)?;
            let case = serde_json::from_str(&text).map_err(|e| {
                RegisterError::Corrupt(format!("case {index} of batch {batch_id}: not JSON: {e}"))
            })?;
            let status = r.get::<_, Option<String>>(3)?.map(|s| {
                match (r.get::<_, Option<String>>(4), r.get::<_, Option<String>>(5)) {
                    (Ok(Some(reference)), _) => format!("{s}: {reference}"),
                    (_, Ok(Some(problem))) => format!("{s}: {problem}"),
                    _ => s,
                }
            });
            out.push(SubjectBatchCase {
                batch_id,
                index,
                status,
                case,
            });
        }
        Ok(out)
    }
}

impl SubjectAccess {
    /// Writes it as a ZIP: the README, each PDF, and the records as JSON.
    pub fn write_zip<W: Write + Seek>(&self, to: W) -> Result<W, zip::result::ZipError> {
        let mut zip = zip::ZipWriter::new(to);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o600);
        zip.start_file("README.txt", options)?;
        zip.write_all(README.as_bytes())?;
        for d in &self.documents {
            zip.start_file(format!("documents/{}.pdf", d.issued.reference), options)?;
            zip.write_all(&d.pdf)?;
        }
        zip.start_file("documents.json", options)?;
        zip.write_all(&pretty(&self.documents)?)?;
        zip.start_file("batch-cases.json", options)?;
        zip.write_all(&pretty(&self.batch_cases)?)?;
        zip.start_file("audit.json", options)?;
        zip.write_all(&pretty(&self.audit)?)?;
        zip.finish()
    }
}

/// `value` as pretty JSON, or why not as the ZIP writer's error.
fn pretty<T: Serialize>(value: &T) -> Result<Vec<u8>, zip::result::ZipError> {
    serde_json::to_vec_pretty(value)
        .map_err(|e| zip::result::ZipError::Io(std::io::Error::other(e)))
}
