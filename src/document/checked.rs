//! A request checked once: the version chosen, the typed case, its copies
//! with each one's figures, and what the register adds. Rendering a copy
//! takes this value and never validates again.

use std::sync::Arc;

use chrono::NaiveDate;

use crate::case::{Case, Problem, Problems};
use crate::evidence::Warning;
use crate::figures::{Figures, PenaltyFigures};
use crate::render::DocumentInfo;
use crate::templates::{Recipients, Version};

use super::provenance::{Provenance, case_hash};
use super::{DocumentError, Part};

/// One copy of a document: one mail piece for one recipient.
#[derive(Debug, Clone)]
pub struct Copy {
    /// The parent it goes to (index into `parents`), for letters to parents.
    pub recipient: Option<usize>,
    /// For a penalty notice: this parent's terms.
    pub(super) penalty: Option<PenaltyFigures>,
    /// For an exclusion penalty notice: this parent's terms.
    pub(super) exclusion: Option<crate::figures::exclusion::ExclusionFigures>,
}

impl Copy {
    /// For a penalty notice: the amounts and pay-by dates it states.
    pub fn terms(&self) -> Option<&crate::rules::penalty::Terms> {
        self.penalty
            .as_ref()
            .map(|p| &p.terms)
            .or(self.exclusion.as_ref().map(|x| &x.terms))
    }

    /// Whether it is a notice still waiting for its number.
    pub(super) fn unnumbered(&self) -> bool {
        self.penalty
            .as_ref()
            .map(|p| p.notice_number.is_none())
            .or(self.exclusion.as_ref().map(|x| x.notice_number.is_none()))
            .unwrap_or(false)
    }
}

/// A checked request, ready to render copy by copy.
#[derive(Debug, Clone)]
pub struct Checked {
    pub(super) version: Arc<Version>,
    pub(super) case: Case,
    pub(super) copies: Vec<Copy>,
    pub(super) figures: Figures,
    pub(super) files: Vec<(String, Vec<u8>)>,
    pub(super) issuing: bool,
    pub(super) only: Option<usize>,
    /// Warnings about the document itself (a proof under a version not in
    /// force on its date).
    pub(super) notes: Vec<Warning>,
    /// A proof in a translation its maintainer named, reviewed or not.
    pub(super) translation: Option<String>,
}

impl Checked {
    /// The template version chosen.
    pub fn version(&self) -> &Arc<Version> {
        &self.version
    }

    /// The typed case, as checked (with the register's history, when
    /// issuing a penalty notice).
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The figures computed by the rules (and a bundle's evidence), as
    /// the template receives them.
    pub fn figures(&self) -> &Figures {
        &self.figures
    }

    /// The copies, in order.
    pub fn copies(&self) -> &[Copy] {
        &self.copies
    }

    /// Whether the document is to be issued into the register: the caller
    /// asked, or the catalogue says it always is (penalty notices).
    pub fn issuing(&self) -> bool {
        self.issuing
    }

    /// Whether each copy takes a notice number from the register.
    pub fn numbered(&self) -> bool {
        matches!(
            self.version.entry.recipients,
            Recipients::NoticedParents | Recipients::ExcludedParents
        )
    }

    /// The language copy `k` comes in besides English: the translation a
    /// proof names, or the recipient's language where the version has a
    /// reviewed translation into it. Never an unreviewed one when issuing.
    pub fn translation(&self, k: usize) -> Option<&str> {
        if let Some(named) = &self.translation {
            return Some(named);
        }
        let parent = self.copies.get(k)?.recipient?;
        let language = self.case.parents.get(parent)?.language.as_deref()?;
        self.version
            .reviewed_translation(language)
            .map(|_| language)
    }

    /// The document's date: its date of issue.
    pub fn date(&self) -> NaiveDate {
        self.case.date
    }

    /// What the reader of the document should know: a proof under a
    /// version not in force on the document's date, and the weaker gaps
    /// the register's evidence showed (court bundles).
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = self.notes.clone();
        if let Some(b) = &self.figures.bundle {
            out.extend(b.warnings.iter().cloned());
        }
        out
    }

    /// Gives copy `k` (a penalty notice) the number the register reserved
    /// for it, on its figures and on its notice in the case.
    pub fn set_notice_number(&mut self, k: usize, number: &str) -> Result<(), DocumentError> {
        let copy = self
            .copies
            .get_mut(k)
            .ok_or_else(|| DocumentError::NoSuchCopy(k))?;
        if let (Some(x), Some(parent)) = (copy.exclusion.as_mut(), copy.recipient) {
            x.notice_number = Some(number.to_owned());
            let notice = self
                .case
                .exclusion
                .iter_mut()
                .flat_map(|e| &mut e.notices)
                .find(|n| n.parent == parent)
                .ok_or(DocumentError::NoSuchCopy(k))?;
            notice.notice_number = Some(number.to_owned());
            return Ok(());
        }
        let (Some(figures), Some(parent)) = (copy.penalty.as_mut(), copy.recipient) else {
            return Err(DocumentError::NoSuchCopy(k));
        };
        figures.notice_number = Some(number.to_owned());
        let notice = self
            .case
            .penalty
            .iter_mut()
            .flat_map(|p| &mut p.notices)
            .find(|n| n.parent == parent)
            .ok_or(DocumentError::NoSuchCopy(k))?;
        notice.notice_number = Some(number.to_owned());
        Ok(())
    }

    /// Who copy `k` is addressed to, as the register keeps it: the name as
    /// printed and the postcode (for the postal sort).
    pub fn addressee(&self, k: usize) -> Result<(String, String), DocumentError> {
        let copy = self.copies.get(k).ok_or(DocumentError::NoSuchCopy(k))?;
        let case = &self.case;
        if let Some(i) = copy.recipient {
            let p = case.parents.get(i).ok_or(DocumentError::NoSuchCopy(k))?;
            let name = match &p.title {
                Some(title) => format!("{title} {} {}", p.given_names, p.family_name),
                None => format!("{} {}", p.given_names, p.family_name),
            };
            return Ok((name, p.address.postcode.clone()));
        }
        // The catalogue requires the section each kind of addressee needs
        // (`authority`, `referral`), and the case was checked to have it.
        let missing = |section: &str| {
            DocumentError::Invalid(Problems(vec![Problem::new(
                format!("/{section}"),
                "is required for this document",
            )]))
        };
        Ok(match self.version.entry.recipients {
            Recipients::Authority => {
                let a = case
                    .authority
                    .as_ref()
                    .ok_or_else(|| missing("authority"))?;
                (a.team.clone(), a.address.postcode.clone())
            }
            Recipients::Agency => {
                let r = case.referral.as_ref().ok_or_else(|| missing("referral"))?;
                (r.agency.team.clone(), r.agency.address.postcode.clone())
            }
            _ => (case.school.name.clone(), String::new()),
        })
    }

    /// The copies `part` takes, by index.
    pub(super) fn indices(&self, part: Part) -> Result<Vec<usize>, DocumentError> {
        match part {
            Part::All => Ok((0..self.copies.len()).collect()),
            Part::Copy(k) if k < self.copies.len() => Ok(vec![k]),
            Part::Copy(k) => Err(DocumentError::NoSuchCopy(k)),
        }
    }

    /// Where the document comes from.
    pub(super) fn provenance(&self) -> Result<Provenance, DocumentError> {
        Ok(Provenance {
            kind: self.version.kind.clone(),
            version: self.version.version.clone(),
            template_hash: self.version.content_hash.clone(),
            docket: env!("CARGO_PKG_VERSION").to_owned(),
            case_hash: case_hash(&self.case).map_err(DocumentError::Serialize)?,
            reference: self.case.reference.clone(),
        })
    }

    /// The PDF's metadata for `part`: its /ID names the copy's recipient
    /// (or the one asked for), so each mail piece has its own.
    pub(super) fn info(&self, part: Part, provenance: &Provenance) -> DocumentInfo {
        let recipient = match part {
            Part::All => self.only,
            Part::Copy(k) => self.copies.get(k).and_then(|c| c.recipient),
        };
        let recipient_part = match recipient {
            Some(i) => format!("/recipient-{i}"),
            None => String::new(),
        };
        let case = &self.case;
        let version = &self.version;
        DocumentInfo {
            title: format!(
                "{} about {} {}",
                version.entry.title, case.pupil.given_names, case.pupil.family_name
            ),
            author: case.school.name.clone(),
            ident: format!("{}/{}{}", version.id(), case.reference, recipient_part),
            date: case.date,
            keywords: provenance.keywords(),
            subject: format!("{} ({})", version.entry.title, version.id()),
            // A court bundle or pack carries its exhibits and case file
            // (PDF/A-3); a letter or record made with the register does not.
            attachments: !self.files.is_empty(),
        }
    }
}

/// The copies of a document: for letters to parents, the parent of each
/// copy (the one asked for, or every parent or carer with parental
/// responsibility, or for a penalty notice each parent the notices name);
/// otherwise one copy with no parent.
pub(super) fn recipients(
    case: &Case,
    only: Option<usize>,
    to: Recipients,
) -> Result<Vec<Option<usize>>, Problems> {
    let mut noticed: Vec<usize> = match (&case.penalty, &case.exclusion, to) {
        (Some(p), _, Recipients::NoticedParents) => p.notices.iter().map(|n| n.parent).collect(),
        (_, Some(x), Recipients::ExcludedParents) => x.notices.iter().map(|n| n.parent).collect(),
        _ => Vec::new(),
    };
    noticed.sort_unstable();
    let to_noticed = matches!(to, Recipients::NoticedParents | Recipients::ExcludedParents);
    let one = |detail: String| Err(Problems(vec![Problem::new("", detail)]));
    match only {
        Some(_) if !to.per_parent() => one(format!(
            "this document has a single copy ({}); it cannot be rendered for one recipient",
            match to {
                Recipients::Authority => "to the local authority",
                Recipients::Agency => "to the agency referred to",
                _ => "a record signed by the parties",
            }
        )),
        Some(i) if to_noticed && !noticed.contains(&i) => Err(Problems(vec![Problem::new(
            if to == Recipients::ExcludedParents {
                "/exclusion/notices"
            } else {
                "/penalty/notices"
            },
            format!("there is no notice for recipient {i}; add one with \"parent\": {i}"),
        )])),
        Some(i)
            if to == Recipients::NoticeParent
                && case.withdrawal.as_ref().is_some_and(|w| w.parent != i) =>
        {
            Err(Problems(vec![Problem::new(
                "/withdrawal/parent",
                format!(
                    "the letter goes to the parent the notice was issued to, not recipient {i}"
                ),
            )]))
        }
        Some(i) if i < case.parents.len() => Ok(vec![Some(i)]),
        Some(i) => Err(Problems(vec![Problem::new(
            "/parents",
            format!(
                "recipient {i} does not exist: the case lists {} parent(s) or carer(s), numbered from 0",
                case.parents.len()
            ),
        )])),
        None if to_noticed => Ok(noticed.into_iter().map(Some).collect()),
        // `case::check` has made sure the parent exists.
        None if to == Recipients::NoticeParent => {
            Ok(case.withdrawal.iter().map(|w| Some(w.parent)).collect())
        }
        None if to == Recipients::Parents => Ok((0..case.parents.len())
            .filter(|&i| case.parents[i].parental_responsibility)
            .map(Some)
            .collect()),
        None => Ok(vec![None]),
    }
}

/// What a request is rendered with a warning about: a pupil who lives
/// outside the authority's area, and a proof under a version not in force
/// on the document's date (made to see how it read then).
pub(super) fn notes(
    version: &Version,
    case: &Case,
    issuing: bool,
    authority: Option<&crate::templates::catalogue::Authority>,
) -> Vec<Warning> {
    let mut notes = Vec::new();
    if let Some(authority) = authority {
        notes.extend(crate::figures::outside_area(
            case,
            &authority.name,
            &authority.area,
        ));
    }
    for (k, parent) in case.parents.iter().enumerate() {
        if let Some(language) = parent.language.as_deref()
            && version.reviewed_translation(language).is_none()
        {
            notes.push(Warning {
                rule: "translation.none-reviewed".into(),
                detail: format!(
                    "parent {k} would rather read `{language}`, and {} has no reviewed translation into it: the letter is in English, with the line on other languages",
                    version.id()
                ),
            });
        }
    }
    if !issuing && !version.meta.draft && !version.in_force_on(case.date) {
        notes.push(Warning {
            rule: "template.not-in-force".into(),
            detail: format!(
                "{} is not in force on the document's date ({}): this is a proof, and it is never issued",
                version.id(),
                case.date
            ),
        });
    }
    notes
}
