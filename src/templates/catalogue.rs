//! The framework as data: `letter-templates/catalogue.toml` names each
//! edition of the framework and, per edition, every document kind with its
//! level, sender, recipients and the case sections it needs. Template
//! versions take their title, level, sender, recipients and sections from
//! here, so that one file describes the whole framework.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Edition, Sender, TemplateError, load_error, toml_date};

/// Name of the catalogue file at the template root.
pub const CATALOGUE_FILE: &str = "catalogue.toml";

/// Who a document is addressed to, which decides how many copies it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Recipients {
    /// Each parent or carer with parental responsibility: one copy each.
    Parents,
    /// Each parent named in `penalty.notices`: one notice each.
    NoticedParents,
    /// The local authority team in `authority` (a school's request): one copy.
    Authority,
    /// Another agency, named in the case (e.g. `referral.agency`): one copy.
    Agency,
    /// Nobody by post: a record signed by the parties (a plan, a contract).
    Record,
    /// The one parent an issued notice went to (`withdrawal.parent`): a
    /// letter about that notice.
    NoticeParent,
    /// Each parent named in `exclusion.notices`: one exclusion penalty
    /// notice each, numbered in its own series.
    ExcludedParents,
}

impl Recipients {
    /// Whether each copy is addressed to one parent.
    pub fn per_parent(self) -> bool {
        matches!(
            self,
            Self::Parents | Self::NoticedParents | Self::NoticeParent | Self::ExcludedParents
        )
    }
}

/// One edition of the framework.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditionInfo {
    /// Which edition.
    pub id: Edition,
    /// Its name, e.g. `Kent PRU and Attendance Service (KPAS), September 2024`.
    pub name: String,
    /// First day in force.
    #[serde(with = "toml_date")]
    pub from: NaiveDate,
    /// Last day in force, once replaced.
    #[serde(default, with = "toml_date::option")]
    pub to: Option<NaiveDate>,
}

/// One document kind in one edition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The kind's slug, e.g. `absence-concern-letter`.
    pub kind: String,
    /// The edition.
    pub edition: Edition,
    /// The document's title in this edition, e.g. `Parenting contract`.
    pub title: String,
    /// Framework level, 1 to 4.
    pub level: u8,
    /// Who sends it.
    pub sender: Sender,
    /// Who receives it.
    pub recipients: Recipients,
    /// Case sections it cannot do without.
    pub sections: Vec<String>,
    /// One sentence on what it is for.
    pub summary: String,
    /// Every copy is issued into the register, whatever the caller asks
    /// (a penalty notice needs its number from the register).
    #[serde(default)]
    pub always_issued: bool,
    /// The document is made with what the register holds: a court bundle's
    /// exhibits and chronology.
    #[serde(default)]
    pub uses_register: bool,
    /// The government security marking the document carries at the top and
    /// bottom of every page (`OFFICIAL-SENSITIVE` for referrals, plans and
    /// statements), printed by layouts from version 2.
    #[serde(default)]
    pub marking: Option<String>,
    /// The event issuing it records on the notice it is about, in the
    /// issue's own transaction: `withdrawn` (a withdrawal letter) or
    /// `decision` (a decision to prosecute).
    #[serde(default)]
    pub records: Option<RecordsEvent>,
    /// The day the kind joined its edition, when it was added to the
    /// framework after the edition began (its first version starts then);
    /// by default the edition's first day.
    #[serde(default, with = "toml_date::option")]
    pub since: Option<NaiveDate>,
}

/// An event a kind records when it is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordsEvent {
    /// The notice in `withdrawal.notice` is withdrawn on its ground.
    Withdrawn,
    /// The decision to prosecute, on the notice in `decision.notice`.
    Decision,
    /// Prosecution started, on the notice in `sjp.notice` (a written
    /// charge institutes proceedings).
    ProsecutionStarted,
}

/// The catalogue file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The framework's levels, 1 to 4, by name.
    pub levels: BTreeMap<u8, String>,
    /// The editions, oldest first.
    pub editions: Vec<EditionInfo>,
    /// Every kind in every edition it exists in.
    pub documents: Vec<Entry>,
    /// The local authority whose framework this is.
    #[serde(default)]
    pub authority: Option<Authority>,
}

/// The local authority whose framework the catalogue holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// Its name, e.g. `Kent County Council`.
    pub name: String,
    /// Its area as postcode areas, districts and sectors (`CT`, `ME14`,
    /// `DA1 1`): a case whose pupil lives outside it is rendered with a
    /// warning (`case.outside-area`).
    #[serde(default)]
    pub area: Vec<String>,
    /// What every letter pack says, in order: other languages and formats,
    /// a textphone line, how the authority uses personal information, how
    /// to complain, independent help. Printed by layouts from version 2.
    #[serde(default)]
    pub pack: Vec<PackLine>,
}

/// One line of the letter pack: a heading and what it says.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackLine {
    /// A short heading, e.g. `Other languages and formats`.
    pub heading: String,
    /// What it says when the local authority or its Courts Team writes.
    pub text: String,
    /// What it says instead when a school writes (its own complaints
    /// procedure, its own privacy notice); `text` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
}

impl Authority {
    /// The letter pack as a letter from `sender` gives it.
    pub fn pack_for(&self, sender: Sender) -> Vec<PackItem> {
        self.pack
            .iter()
            .map(|line| PackItem {
                heading: line.heading.clone(),
                text: match (sender, &line.school) {
                    (Sender::School, Some(school)) => school.clone(),
                    _ => line.text.clone(),
                },
            })
            .collect()
    }
}

/// One line of the letter pack as a template prints it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PackItem {
    /// The heading.
    pub heading: String,
    /// The text, for the letter's sender.
    pub text: String,
}

impl Catalogue {
    /// Reads and checks `catalogue.toml` under `root`.
    pub fn load(root: &Path) -> Result<Self, TemplateError> {
        let path = root.join(CATALOGUE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| load_error(&path, e.to_string()))?;
        let catalogue: Self =
            toml::from_str(&text).map_err(|e| load_error(&path, e.to_string()))?;
        catalogue.check().map_err(|m| load_error(&path, m))?;
        Ok(catalogue)
    }

    fn check(&self) -> Result<(), String> {
        if self.levels.keys().copied().collect::<Vec<_>>() != [1, 2, 3, 4] {
            return Err("`levels` must name levels 1 to 4".into());
        }
        let mut editions = BTreeSet::new();
        for e in &self.editions {
            if !editions.insert(e.id) {
                return Err(format!("edition `{}` is listed twice", e.id.slug()));
            }
            if e.to.is_some_and(|to| to < e.from) {
                return Err(format!("edition `{}` ends before it starts", e.id.slug()));
            }
        }
        let mut seen = BTreeSet::new();
        for d in &self.documents {
            let at = format!("{} ({})", d.kind, d.edition.slug());
            if !seen.insert((d.kind.as_str(), d.edition)) {
                return Err(format!("{at} is listed twice"));
            }
            if !editions.contains(&d.edition) {
                return Err(format!("{at}: edition is not in `editions`"));
            }
            if !self.levels.contains_key(&d.level) {
                return Err(format!("{at}: level must be 1 to 4"));
            }
            if let Some(s) = d
                .sections
                .iter()
                .find(|s| !crate::case::SECTIONS.contains(&s.as_str()))
            {
                return Err(format!(
                    "{at}: unknown section `{s}`; known: {}",
                    crate::case::SECTIONS.join(", ")
                ));
            }
            let needs = |section: &str, why: &str| {
                if d.sections.iter().any(|s| s == section) {
                    Ok(())
                } else {
                    Err(format!("{at}: `{why}` needs the `{section}` section"))
                }
            };
            if self
                .documents
                .iter()
                .any(|other| other.kind == d.kind && other.always_issued != d.always_issued)
            {
                return Err(format!(
                    "{at}: `always_issued` must be the same in every edition of a kind"
                ));
            }
            if d.marking.as_deref().is_some_and(|m| m.trim().is_empty()) {
                return Err(format!("{at}: `marking` is empty; leave it out instead"));
            }
            if d.uses_register
                && !["prosecution", "decision", "withdrawal"]
                    .iter()
                    .any(|needed| d.sections.iter().any(|s| s == needed))
            {
                return Err(format!(
                    "{at}: `uses_register` documents are made about a prosecution or a notice: they need the `prosecution`, `decision` or `withdrawal` section"
                ));
            }
            match d.records {
                Some(RecordsEvent::Withdrawn) => needs("withdrawal", "records = withdrawn")?,
                Some(RecordsEvent::Decision) => needs("decision", "records = decision")?,
                Some(RecordsEvent::ProsecutionStarted) => {
                    needs("sjp", "records = prosecution-started")?;
                }
                None => {}
            }
            match d.recipients {
                Recipients::NoticedParents => needs("penalty", "recipients = noticed-parents")?,
                Recipients::Authority => needs("authority", "recipients = authority")?,
                Recipients::Agency => needs("referral", "recipients = agency")?,
                Recipients::NoticeParent => needs("withdrawal", "recipients = notice-parent")?,
                Recipients::ExcludedParents => {
                    needs("exclusion", "recipients = excluded-parents")?;
                }
                Recipients::Parents | Recipients::Record => {}
            }
        }
        Ok(())
    }

    /// The entry for `kind` in `edition`.
    pub fn entry(&self, kind: &str, edition: Edition) -> Option<&Entry> {
        self.documents
            .iter()
            .find(|d| d.kind == kind && d.edition == edition)
    }

    /// Whether documents of `kind` are always issued (in every edition:
    /// the catalogue's check makes sure its editions agree).
    pub fn always_issued(&self, kind: &str) -> bool {
        self.documents
            .iter()
            .any(|d| d.kind == kind && d.always_issued)
    }

    /// Whether documents of `kind` are made with the register's evidence
    /// (court bundles) in any edition.
    pub fn uses_register(&self, kind: &str) -> bool {
        self.documents
            .iter()
            .any(|d| d.kind == kind && d.uses_register)
    }

    /// The event issuing a document of `kind` records, in any edition.
    pub fn records(&self, kind: &str) -> Option<RecordsEvent> {
        self.documents
            .iter()
            .filter(|d| d.kind == kind)
            .find_map(|d| d.records)
    }

    /// The edition's details.
    pub fn edition(&self, edition: Edition) -> Option<&EditionInfo> {
        self.editions.iter().find(|e| e.id == edition)
    }
}

/// The catalogue as shown to people: per edition, per level, every document
/// with its versions. Built by [`super::TemplateStore::overview`].
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EditionOverview {
    /// The edition.
    pub edition: Edition,
    /// Its name.
    pub name: String,
    /// First day in force.
    pub from: NaiveDate,
    /// Last day in force, once replaced.
    pub to: Option<NaiveDate>,
    /// Its documents by level, 1 to 4.
    pub levels: Vec<LevelOverview>,
}

/// One level of the framework in one edition.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LevelOverview {
    /// 1 to 4.
    pub level: u8,
    /// E.g. `Formalise support`.
    pub name: String,
    /// The documents at this level.
    pub documents: Vec<DocumentOverview>,
}

/// One document kind in one edition, with its versions.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DocumentOverview {
    /// The kind's slug.
    pub kind: String,
    /// Its title in this edition.
    pub title: String,
    /// Who sends it.
    pub sender: Sender,
    /// Who receives it.
    pub recipients: Recipients,
    /// The case sections it needs.
    pub sections: Vec<String>,
    /// What it is for.
    pub summary: String,
    /// Its versions, oldest first.
    pub versions: Vec<VersionOverview>,
}

/// One version of a document.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VersionOverview {
    /// The version's name, e.g. `kpas-1`.
    pub version: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Last day in force, if it has ended.
    pub effective_to: Option<NaiveDate>,
    /// Drafts render only when asked for by name.
    pub draft: bool,
}
