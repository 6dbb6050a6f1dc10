//! Issuing: rendering documents that are sent, each copy its own mail piece
//! for one recipient under its own reference in the register. Penalty
//! notices get notice numbers from the register (any in the case are
//! replaced), each claimed with the offence it is for so that no two
//! notices cover the same absence, and, when the case gives no history for
//! a parent, their earlier notices from the register, so the limit of two
//! in three years holds (see [`Docket::check`]).
//!
//! Legal state changes exactly once: every copy of a request is rendered
//! first and then stored, with the outcome of its idempotency key, in one
//! transaction; if anything fails, nothing is stored and every number
//! reserved for the request is voided with the reason. A request sent
//! again with the same key gets the first result.

mod on_issue;

use serde::Serialize;

use crate::access::Actor;
use crate::case::{Problem, Problems};
use crate::document::{Checked, Docket, DocumentError, Part, Rendered, Request, canonical_json};
use crate::evidence::{Warning, person_key};
use crate::register::{
    Claim, KeyState, NewDocument, Register, RegisterError, Series, complete_key_in, record_on_issue,
};
use crate::render::Pdf;
use crate::render::pool::Commit;
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
    /// The register refused it by a rule (a second notice for the same
    /// offence).
    #[error(transparent)]
    Refused(Problems),
    /// The caller's time limit passed before anything was reserved:
    /// nothing was issued.
    #[error("the time limit passed before the document was issued; nothing was issued")]
    TimedOut,
    /// The idempotency key was used with another request.
    #[error(
        "the Idempotency-Key `{0}` was used with a different request; send a new key for a new request"
    )]
    KeyReused(String),
    /// The idempotency key's first request is still being issued.
    #[error("a request with the Idempotency-Key `{0}` is still being issued; try again shortly")]
    KeyInProgress(String),
}

/// An idempotency key sent with a request.
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    /// Who sent it ([`Actor::identity`]): keys belong to their caller.
    pub caller: &'a str,
    /// The key.
    pub key: &'a str,
    /// The hash of the request it came with.
    pub request_sha256: &'a str,
}

/// Who issues, and for which batch.
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    /// Who asks (recorded in the register): the key, and for whom.
    pub by: &'a Actor,
    /// The schools the caller may act for (`None`: every school): a case
    /// of another school, or one that names no school, is refused.
    pub schools: Option<&'a [String]>,
    /// The batch and the index in it, for the print room.
    pub batch: Option<(&'a str, usize)>,
    /// The caller's idempotency key, if any.
    pub idempotency: Option<Idempotency<'a>>,
    /// The caller's time limit: asked before anything is reserved.
    pub commit: Option<&'a Commit>,
}

impl<'a> Issuer<'a> {
    /// An issuer for every school, with no key and no time limit.
    pub fn new(by: &'a Actor) -> Self {
        Self {
            by,
            schools: None,
            batch: None,
            idempotency: None,
            commit: None,
        }
    }
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
    /// Issued: one stored copy per recipient (or, for a request sent again
    /// with its idempotency key, the copies it issued the first time).
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
    // A request sent again is answered from what it issued, before the
    // case is checked again (the first notice would now count against it).
    if let Some(key) = issuer.idempotency {
        match register.key_state(key.caller, key.key, key.request_sha256)? {
            KeyState::Fresh => {}
            KeyState::Issued(references) => {
                return Ok(Posted::Issued(reprint(register, &references)?));
            }
            KeyState::Mismatch => return Err(IssueError::KeyReused(key.key.to_owned())),
            KeyState::InProgress => return Err(IssueError::KeyInProgress(key.key.to_owned())),
        }
    }
    let mut checked = check(docket, register, request, issuer.schools)?;
    school_allowed(&checked, issuer.schools)?;
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

/// The copies a request issued, read back from the register byte for byte.
fn reprint(register: &Register, references: &[String]) -> Result<Vec<IssuedCopy>, IssueError> {
    let mut out = Vec::new();
    for reference in references {
        let issued = register.get(reference)?;
        out.push(IssuedCopy {
            pdf: register.pdf(reference)?,
            reference: issued.reference,
            recipient: issued.recipient_name,
            postcode: issued.recipient_postcode,
            school: issued.school,
            template: format!("{}@{}", issued.kind, issued.version),
            warnings: issued.warnings,
        });
    }
    Ok(out)
}

/// Issues the document `request` asks for: one copy per recipient, each
/// stored under its own reference.
pub fn issue(
    docket: &Docket,
    register: &Register,
    request: &Request<'_>,
    issuer: Issuer<'_>,
) -> Result<Vec<IssuedCopy>, IssueError> {
    let mut checked = check(docket, register, request, issuer.schools)?;
    issue_checked(docket, register, &mut checked, issuer)
}

/// Checks a request against the records its caller may see (a school's
/// key only its schools'), with what a school may not be told withheld.
fn check(
    docket: &Docket,
    register: &Register,
    request: &Request<'_>,
    schools: Option<&[String]>,
) -> Result<Checked, IssueError> {
    let checked = match schools {
        Some(schools) => docket.check(request, &crate::register::Scoped { register, schools }),
        None => docket.check(request, register),
    };
    checked.map_err(|e| withhold(e.into(), schools))
}

/// The refusals by the limits on penalty notices (two in three years, one
/// a year) name the earlier notices and their dates, which may be another
/// school's: a school's key is told only that the limit applies.
fn withhold(error: IssueError, schools: Option<&[String]>) -> IssueError {
    let (Some(_), IssueError::Document(DocumentError::Invalid(Problems(problems)))) =
        (schools, &error)
    else {
        return error;
    };
    const LIMITS: [&str; 2] = ["pn.max-two-in-three-years", "fpn.one-per-academic-year"];
    if !problems
        .iter()
        .any(|p| p.rule.as_deref().is_some_and(|r| LIMITS.contains(&r)))
    {
        return error;
    }
    let problems = problems
        .iter()
        .map(|p| match p.rule.as_deref() {
            Some(rule) if LIMITS.contains(&rule) => Problem::refusal(
                p.pointer.clone(),
                rule,
                "the local authority's register holds earlier penalty notices to this parent for this child that this limit counts; the Courts Team can say which",
            ),
            _ => p.clone(),
        })
        .collect();
    IssueError::Document(DocumentError::Invalid(Problems(problems)))
}

/// Issues a checked request: claims its idempotency key, reserves its
/// numbers, renders each copy and stores them all at once. A request that
/// fails leaves nothing stored: its numbers stay on record, void, with the
/// reason, and its key is given back.
pub fn issue_checked(
    docket: &Docket,
    register: &Register,
    checked: &mut Checked,
    issuer: Issuer<'_>,
) -> Result<Vec<IssuedCopy>, IssueError> {
    school_allowed(checked, issuer.schools)?;
    if let Some(key) = issuer.idempotency {
        match register.claim_key(key.caller, key.key, key.request_sha256)? {
            KeyState::Fresh => {}
            KeyState::Issued(references) => return reprint(register, &references),
            KeyState::Mismatch => return Err(IssueError::KeyReused(key.key.to_owned())),
            KeyState::InProgress => return Err(IssueError::KeyInProgress(key.key.to_owned())),
        }
    }
    let mut reserved: Vec<String> = Vec::new();
    let result = issue_copies(docket, register, checked, issuer, &mut reserved);
    if let Err(e) = &result {
        let why = format!("not issued: {e}");
        for r in &reserved {
            // Nothing of a failed request is stored: every number is void.
            if let Err(void) = register.void(r, &why) {
                tracing::error!(reference = %r, error = %void, "a reserved number could not be voided");
            }
        }
        if let Some(key) = issuer.idempotency
            && let Err(release) = register.release_key(key.caller, key.key)
        {
            tracing::error!(error = %release, "an idempotency key could not be given back");
        }
    }
    result
}

/// Refuses a case of a school the caller may not act for. A school's key
/// gets the same answer whether the school is another or not given, so it
/// learns nothing about other schools.
fn school_allowed(checked: &Checked, schools: Option<&[String]>) -> Result<(), IssueError> {
    let Some(schools) = schools else {
        return Ok(());
    };
    let urn = checked.case().school.urn.as_deref();
    if urn.is_some_and(|u| schools.iter().any(|s| s == u)) {
        return Ok(());
    }
    Err(IssueError::Refused(Problems(vec![Problem::refusal(
        "/school/urn",
        "access.school",
        format!(
            "this key acts for school{} {} only: give the school's URN, one of those",
            if schools.len() == 1 { "" } else { "s" },
            schools.join(", ")
        ),
    )])))
}

/// The refusal of a second notice for the same offence, to a school's key
/// when the first is not its school's.
fn duplicate_elsewhere(at: &str) -> IssueError {
    IssueError::Refused(Problems(vec![Problem::refusal(
        at,
        "pn.duplicate-period",
        "a penalty notice to this parent for this child already covers part of this offence period: one offence gets one notice; the Courts Team can say which",
    )]))
}

/// The refusal of a second notice for the same offence.
fn duplicate(at: &str, reference: &str, issued_on: Option<chrono::NaiveDate>) -> IssueError {
    let when = issued_on.map_or_else(
        || "is being issued now".to_owned(),
        |d| format!("was issued on {}", d.format("%-d %B %Y")),
    );
    IssueError::Refused(Problems(vec![Problem::refusal(
        at,
        "pn.duplicate-period",
        format!(
            "penalty notice {reference} to this parent for this child {when} and covers part of this offence period: one offence gets one notice; withdraw that notice first if it was wrong"
        ),
    )]))
}

fn issue_copies(
    docket: &Docket,
    register: &Register,
    checked: &mut Checked,
    issuer: Issuer<'_>,
    reserved: &mut Vec<String>,
) -> Result<Vec<IssuedCopy>, IssueError> {
    // The last moment a caller's time limit may stop the request.
    if let Some(commit) = issuer.commit
        && !commit.begin()
    {
        return Err(IssueError::TimedOut);
    }
    let issued_on = checked.date();
    let numbered = checked.numbered();
    let copies = checked.copies().len();
    for k in 0..copies {
        let reference = if numbered {
            let case = checked.case();
            let Some(parent) = checked.copies()[k]
                .recipient
                .and_then(|i| case.parents.get(i))
            else {
                return Err(DocumentError::NoSuchCopy(k).into());
            };
            // The offence the notice is for: an attendance notice's period,
            // or the day an excluded pupil was found.
            let (series, offence_from, offence_to) = match (&case.penalty, &case.exclusion) {
                (Some(p), _) => (
                    Series::penalty_notices(checked.version().meta.edition),
                    p.offence_from,
                    p.offence_to,
                ),
                (None, Some(x)) => (Series::ExclusionNotice, x.found_on, x.found_on),
                (None, None) => return Err(DocumentError::NoSuchCopy(k).into()),
            };
            let at = if case.penalty.is_some() {
                "/penalty/offence_from"
            } else {
                "/exclusion/found_on"
            };
            let parent_key = person_key(&parent.given_names, &parent.family_name);
            let claim = Claim {
                pupil_upn: &case.pupil.upn,
                parent_key: &parent_key,
                offence_from,
                offence_to,
            };
            match register.reserve_notice(series, issued_on, &claim) {
                Ok(number) => number,
                Err(RegisterError::Duplicate {
                    reference,
                    issued_on,
                }) => {
                    // A school's key is not told another school's notice.
                    let theirs = issuer.schools.is_none_or(|schools| {
                        register.get(&reference).is_ok_and(|d| {
                            d.school_urn
                                .as_deref()
                                .is_some_and(|u| schools.iter().any(|s| s == u))
                        })
                    });
                    return Err(if theirs {
                        duplicate(at, &reference, issued_on)
                    } else {
                        duplicate_elsewhere(at)
                    });
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            register.reserve(Series::Document, issued_on)?
        };
        reserved.push(reference.clone());
        if numbered {
            checked.set_notice_number(k, &reference)?;
        }
    }
    let case_json = canonical_json(checked.case()).map_err(DocumentError::Serialize)?;
    let version = std::sync::Arc::clone(checked.version());
    // Every copy rendered before any is stored.
    let mut rendered = Vec::with_capacity(copies);
    for k in 0..copies {
        let (name, postcode) = checked.addressee(k)?;
        rendered.push((docket.render(checked, Part::Copy(k), &Pdf)?, name, postcode));
    }
    let case = checked.case();
    let documents: Vec<NewDocument<'_>> = rendered
        .iter()
        .enumerate()
        .map(|(k, (r, name, postcode))| {
            let recipient = checked.copies()[k].recipient;
            NewDocument {
                reference: &reserved[k],
                kind: &version.kind,
                version: &version.version,
                template_hash: &version.content_hash,
                case_json: &case_json,
                case_hash: &r.provenance.case_hash,
                case_reference: &case.reference,
                pupil_upn: &case.pupil.upn,
                school: &case.school.name,
                school_urn: case.school.urn.as_deref(),
                recipient_index: recipient,
                recipient_name: name,
                recipient_postcode: postcode,
                issued_on,
                served_on: recipient.and(add_working_days(issued_on, DEEMED_SERVICE_WORKING_DAYS)),
                pdf: &r.output,
                warnings: &r.warnings,
                terms: checked.copies()[k].terms(),
                by: issuer.by,
                batch: issuer.batch,
            }
        })
        .collect();
    let on_issue = on_issue::event(checked, &reserved[0]);
    let storing = std::time::Instant::now();
    let _span = tracing::info_span!("store", copies = documents.len()).entered();
    register.store_all(&documents, &mut |tx| {
        if let Some((notice, event)) = &on_issue {
            record_on_issue(tx, notice, event, issuer.by, issued_on)?;
        }
        match issuer.idempotency {
            Some(key) => complete_key_in(tx, key.caller, key.key, reserved),
            None => Ok(()),
        }
    })?;
    crate::telemetry::stage(
        crate::telemetry::Stage::Store,
        &version.kind,
        storing.elapsed(),
    );
    drop(documents);
    Ok(rendered
        .into_iter()
        .enumerate()
        .map(|(k, (r, recipient, postcode))| IssuedCopy {
            reference: reserved[k].clone(),
            recipient,
            postcode,
            school: case.school.name.clone(),
            pdf: r.output,
            template: version.id(),
            warnings: r.warnings,
        })
        .collect())
}
