//! Issuing: rendering documents that are sent, each copy its own mail piece
//! for one recipient under its own reference in the register. Penalty
//! notices get notice numbers from the register (any in the case are
//! replaced) and, when the case gives no history for a parent, their earlier
//! notices from the register, so the limit of two in three years holds.
//! If anything fails, every number reserved for the request is voided with
//! the reason: nothing is half-issued.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::document::{Docket, DocumentError, Request};
use crate::register::{NewDocument, Register, RegisterError, Series, person_key};
use crate::rules::calendar::add_working_days;
use crate::rules::penalty::DEEMED_SERVICE_WORKING_DAYS;
use crate::templates::Recipients;

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

impl From<crate::bundle::BundleError> for IssueError {
    fn from(e: crate::bundle::BundleError) -> Self {
        match e {
            crate::bundle::BundleError::Refused(p) => {
                Self::Document(DocumentError::Invalid(crate::case::Problems(p)))
            }
            crate::bundle::BundleError::Register(r) => Self::Register(r),
            crate::bundle::BundleError::Document(d) => Self::Document(d),
            crate::bundle::BundleError::Pdf(why) => Self::Register(RegisterError::Corrupt(why)),
        }
    }
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct IssueRequest<'a> {
    /// Document kind.
    pub kind: &'a str,
    /// A version pinned by name.
    pub version: Option<&'a str>,
    /// The date that picks the version in force.
    pub as_of: Option<NaiveDate>,
    /// Issue only the copy for this parent (index into `parents`).
    pub recipient: Option<usize>,
    /// The case, as untrusted JSON.
    pub case: &'a Value,
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
    pub warnings: Vec<crate::bundle::Warning>,
}

fn field<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Issues the document `request` asks for: one copy per recipient, each
/// stored under its own reference.
pub fn issue(
    docket: &Docket,
    register: &Register,
    request: &IssueRequest<'_>,
) -> Result<Vec<IssuedCopy>, IssueError> {
    let version = docket
        .templates()
        .select_on(request.kind, request.version, request.as_of)
        .map_err(DocumentError::from)?;
    // Check the case as it is first, so that nothing is reserved for a case
    // that cannot be issued (notice numbers are the register's to give).
    let mut case = request.case.clone();
    let penalty = version.entry.recipients == Recipients::NoticedParents;
    let issue_date = case
        .get("date")
        .and_then(Value::as_str)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let mut reserved: Vec<String> = Vec::new();
    let result = (|| {
        if penalty {
            if let Some(i) = request.recipient
                && let Some(notices) = case
                    .pointer_mut("/penalty/notices")
                    .and_then(Value::as_array_mut)
            {
                // Only this parent's notice is issued now.
                notices
                    .retain(|n| n.get("parent").and_then(Value::as_u64) == u64::try_from(i).ok());
            }
            fill_penalty_history(register, &mut case)?;
        }
        let pinned = Some(version.version.as_str());
        let probe = docket.check(&Request {
            kind: request.kind,
            version: pinned,
            as_of: request.as_of,
            recipient: request.recipient,
            case: &case,
        })?;
        if penalty && let Some(date) = issue_date {
            assign_numbers(register, &mut case, date, &mut reserved)?;
        }
        let recipients: Vec<Option<usize>> = match request.recipient {
            Some(i) => vec![Some(i)],
            None => copies(&case, version.entry.recipients),
        };
        // A court bundle is made with the register's evidence.
        let evidence = if crate::bundle::needs_register(&version.entry.sections) {
            Some(crate::bundle::gather(
                docket,
                register,
                &case,
                version.meta.edition,
            )?)
        } else {
            None
        };
        let mut out = Vec::new();
        for (k, recipient) in recipients.iter().enumerate() {
            let reference = if penalty {
                reserved.get(k).cloned().unwrap_or_default()
            } else {
                let r = register.reserve(Series::Document, probe.info.date)?;
                reserved.push(r.clone());
                r
            };
            let rendered = docket.render_evidenced(
                &Request {
                    kind: request.kind,
                    version: pinned,
                    as_of: request.as_of,
                    recipient: *recipient,
                    case: &case,
                },
                evidence.as_ref(),
            )?;
            let (name, postcode) = match recipient {
                Some(i) => {
                    let p = &case["parents"][*i];
                    let title = field(p, "/title");
                    let name = format!(
                        "{}{}{} {}",
                        title,
                        if title.is_empty() { "" } else { " " },
                        field(p, "/given_names"),
                        field(p, "/family_name")
                    );
                    (name, field(p, "/address/postcode").to_owned())
                }
                None => match version.entry.recipients {
                    Recipients::Authority => (
                        field(&case, "/authority/team").to_owned(),
                        field(&case, "/authority/address/postcode").to_owned(),
                    ),
                    Recipients::Agency => (
                        field(&case, "/referral/agency/team").to_owned(),
                        field(&case, "/referral/agency/address/postcode").to_owned(),
                    ),
                    _ => (field(&case, "/school/name").to_owned(), String::new()),
                },
            };
            let issued_on = probe.info.date;
            let case_json = serde_json::to_string(&case).unwrap_or_default();
            register.store(&NewDocument {
                reference: &reference,
                kind: &version.kind,
                version: &version.version,
                template_hash: &version.content_hash,
                case_json: &case_json,
                case_hash: &rendered.provenance.case_hash,
                case_reference: &probe.reference,
                pupil_upn: field(&case, "/pupil/upn"),
                school: field(&case, "/school/name"),
                recipient_index: *recipient,
                recipient_name: &name,
                recipient_postcode: &postcode,
                issued_on,
                served_on: recipient.and(add_working_days(issued_on, DEEMED_SERVICE_WORKING_DAYS)),
                pdf: &rendered.pdf,
                warnings: &evidence
                    .as_ref()
                    .map(|e| e.figures.warnings.clone())
                    .unwrap_or_default(),
                requested_by: request.requested_by,
                batch: request.batch,
            })?;
            out.push(IssuedCopy {
                reference,
                recipient: name,
                postcode,
                school: field(&case, "/school/name").to_owned(),
                pdf: rendered.pdf,
                template: version.id(),
                warnings: evidence
                    .as_ref()
                    .map(|e| e.figures.warnings.clone())
                    .unwrap_or_default(),
            });
        }
        Ok(out)
    })();
    if let Err(e) = &result {
        // Numbers reserved for a request that failed stay on record, void.
        let why = format!("not issued: {e}");
        for r in &reserved {
            let stored = register.get(r).is_ok();
            if !stored {
                let _ = register.void(r, &why);
            }
        }
    }
    result
}

/// The copies a case gives, in order: the parent of each, if to parents.
pub fn copies(case: &Value, to: Recipients) -> Vec<Option<usize>> {
    match to {
        Recipients::NoticedParents => case
            .pointer("/penalty/notices")
            .and_then(Value::as_array)
            .map(|ns| {
                ns.iter()
                    .filter_map(|n| n.get("parent").and_then(Value::as_u64))
                    .filter_map(|i| usize::try_from(i).ok())
                    .map(Some)
                    .collect()
            })
            .unwrap_or_default(),
        Recipients::Parents => case
            .get("parents")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .enumerate()
                    .filter(|(_, p)| p.get("parental_responsibility") == Some(&Value::Bool(true)))
                    .map(|(i, _)| Some(i))
                    .collect()
            })
            .unwrap_or_default(),
        _ => vec![None],
    }
}

/// Gives each parent without a history their earlier notices from the
/// register, and each notice a placeholder number (the register's number
/// replaces it once the case is known to be valid). Notices are put in
/// parent order, the order of the copies.
fn fill_penalty_history(register: &Register, case: &mut Value) -> Result<(), IssueError> {
    let upn = field(case, "/pupil/upn").to_owned();
    let parents = case.get("parents").cloned().unwrap_or(Value::Null);
    let Some(notices) = case
        .pointer_mut("/penalty/notices")
        .and_then(Value::as_array_mut)
    else {
        return Ok(());
    };
    notices.sort_by_key(|n| n.get("parent").and_then(Value::as_u64).unwrap_or(u64::MAX));
    for notice in notices.iter_mut() {
        let Some(obj) = notice.as_object_mut() else {
            continue;
        };
        let parent = obj
            .get("parent")
            .and_then(Value::as_u64)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| parents.get(i));
        let given = obj
            .get("previous_notices")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !given && let Some(p) = parent {
            let key = person_key(field(p, "/given_names"), field(p, "/family_name"));
            let prior: Vec<Value> = register
                .prior_notices(&upn, &key)?
                .into_iter()
                .map(|n| {
                    serde_json::json!({
                        "issued_on": n.issued_on.to_string(),
                        "notice_number": n.reference,
                        "withdrawn": n.withdrawn,
                    })
                })
                .collect();
            obj.insert("previous_notices".into(), Value::Array(prior));
        }
        obj.insert("notice_number".into(), Value::from("PN00-000000A"));
    }
    Ok(())
}

/// Gives each notice its number from the register, in order.
fn assign_numbers(
    register: &Register,
    case: &mut Value,
    date: NaiveDate,
    reserved: &mut Vec<String>,
) -> Result<(), IssueError> {
    let Some(notices) = case
        .pointer_mut("/penalty/notices")
        .and_then(Value::as_array_mut)
    else {
        return Ok(());
    };
    for notice in notices.iter_mut() {
        if let Some(obj) = notice.as_object_mut() {
            let number = register.reserve(Series::PenaltyNotice, date)?;
            obj.insert("notice_number".into(), Value::from(number.clone()));
            reserved.push(number);
        }
    }
    Ok(())
}
