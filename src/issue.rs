//! Issuing: rendering documents that are sent, each copy its own mail piece
//! for one recipient under its own reference in the register. Penalty
//! notices get notice numbers from the register (any in the case are
//! replaced) and, when the case gives no history for a parent, their earlier
//! notices from the register, so the limit of two in three years holds (see
//! [`Docket::check`]). If anything fails, every number reserved for the
//! request is voided with the reason: nothing is half-issued.

use serde::Serialize;

use crate::document::{Checked, Docket, DocumentError, Part, Rendered, Request, canonical_json};
use crate::evidence::Warning;
use crate::register::{NewDocument, Register, RegisterError, Series};
use crate::render::Pdf;
use crate::rules::calendar::add_working_days;
use crate::rules::penalty::DEEMED_SERVICE_WORKING_DAYS;

/// Why a document could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The document could not be made (invalid case, unknown kind, defect).
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The register failed.
    #[error(transparent)]
    Register(#[from] RegisterError),
}

/// Who issues, and for which batch.
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    /// Who asks (recorded in the register).
    pub requested_by: &'a str,
    /// The batch and the index in it, for the print room.
    pub batch: Option<(&'a str, usize)>,
}

/// One issued copy.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedCopy {
    /// Its reference (a notice number for penalty notices).
    pub reference: String,
    /// The recipient's name as addressed.
    pub recipient: String,
    /// The recipient's postcode (for postal sorting).
    pub postcode: String,
    /// The school (for sorting by school).
    pub school: String,
    /// The PDF, as stored.
    #[serde(skip)]
    pub pdf: Vec<u8>,
    /// `kind@version`.
    pub template: String,
    /// Weaker gaps the bundle's rules found (court bundles only).
    pub warnings: Vec<Warning>,
}

/// What `POST /v1/documents/{kind}` produced: a proof, or issued copies.
#[derive(Debug)]
pub enum Posted {
    /// Rendered and not issued: every copy in one PDF.
    Rendered(Box<Rendered<Vec<u8>>>),
    /// Issued: one stored copy per recipient.
    Issued(Vec<IssuedCopy>),
}

/// Renders the document `request` asks for, or issues it when the caller
/// asks or the catalogue says it is always issued.
pub fn post(
    docket: &Docket,
    register: &Register,
    request: &Request<'_>,
    issuer: Issuer<'_>,
) -> Result<Posted, IssueError> {
    let mut checked = docket.check(request, register)?;
    if checked.issuing() {
        Ok(Posted::Issued(issue_checked(
            docket,
            register,
            &mut checked,
            issuer,
        )?))
    } else {
        Ok(Posted::Rendered(Box::new(docket.render(
            &checked,
            Part::All,
            &Pdf,
        )?)))
    }
}

/// Issues the document `request` asks for: one copy per recipient, each
/// stored under its own reference.
pub fn issue(
    docket: &Docket,
    register: &Register,
    request: &Request<'_>,
    issuer: Issuer<'_>,
) -> Result<Vec<IssuedCopy>, IssueError> {
    let mut checked = docket.check(request, register)?;
    issue_checked(docket, register, &mut checked, issuer)
}

/// Issues a checked request: reserves its numbers, renders each copy and
/// stores it. Numbers reserved for a request that fails stay on record,
/// void, with the reason.
pub fn issue_checked(
    docket: &Docket,
    register: &Register,
    checked: &mut Checked,
    issuer: Issuer<'_>,
) -> Result<Vec<IssuedCopy>, IssueError> {
    let mut reserved: Vec<String> = Vec::new();
    let result = issue_copies(docket, register, checked, issuer, &mut reserved);
    if let Err(e) = &result {
        let why = format!("not issued: {e}");
        for r in &reserved {
            let stored = register.holds(r);
            if !matches!(stored, Ok(true))
                && let Err(void) = register.void(r, &why)
            {
                tracing::error!(reference = %r, error = %void, "a reserved number could not be voided");
            }
        }
    }
    result
}

fn issue_copies(
    docket: &Docket,
    register: &Register,
    checked: &mut Checked,
    issuer: Issuer<'_>,
    reserved: &mut Vec<String>,
) -> Result<Vec<IssuedCopy>, IssueError> {
    let issued_on = checked.date();
    let numbered = checked.numbered();
    if numbered {
        // Every notice's number first, in the copies' order.
        for k in 0..checked.copies().len() {
            let number = register.reserve(Series::PenaltyNotice, issued_on)?;
            reserved.push(number.clone());
            checked.set_notice_number(k, &number)?;
        }
    }
    let case_json = canonical_json(checked.case()).map_err(DocumentError::Serialize)?;
    let version = std::sync::Arc::clone(checked.version());
    let mut out = Vec::new();
    for k in 0..checked.copies().len() {
        let reference = if numbered {
            reserved[k].clone()
        } else {
            let r = register.reserve(Series::Document, issued_on)?;
            reserved.push(r.clone());
            r
        };
        let rendered = docket.render(checked, Part::Copy(k), &Pdf)?;
        let (name, postcode) = checked.addressee(k)?;
        let recipient = checked.copies()[k].recipient;
        let case = checked.case();
        register.store(&NewDocument {
            reference: &reference,
            kind: &version.kind,
            version: &version.version,
            template_hash: &version.content_hash,
            case_json: &case_json,
            case_hash: &rendered.provenance.case_hash,
            case_reference: &case.reference,
            pupil_upn: &case.pupil.upn,
            school: &case.school.name,
            recipient_index: recipient,
            recipient_name: &name,
            recipient_postcode: &postcode,
            issued_on,
            served_on: recipient.and(add_working_days(issued_on, DEEMED_SERVICE_WORKING_DAYS)),
            pdf: &rendered.output,
            warnings: &rendered.warnings,
            requested_by: issuer.requested_by,
            batch: issuer.batch,
        })?;
        out.push(IssuedCopy {
            reference,
            recipient: name,
            postcode,
            school: case.school.name.clone(),
            pdf: rendered.output,
            template: version.id(),
            warnings: rendered.warnings,
        });
    }
    Ok(out)
}
