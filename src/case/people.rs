//! Who a case is about and who writes: the school and its staff, the pupil,
//! the parents and carers, the local authority and its attendance officer.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A school (or pupil referral unit, or alternative provision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct School {
    /// The school's name as it should appear in the letterhead.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// The school's DfE unique reference number (six digits, as Get
    /// Information about Schools lists it). A school's API key sees only
    /// documents whose case gives one of its URNs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{6}$"))]
    pub urn: Option<String>,
    /// Postal address.
    pub address: Address,
    /// Main telephone number.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
    /// Main e-mail address.
    #[schemars(length(min = 3, max = 254), email)]
    pub email: String,
    /// Head teacher (or person in charge).
    #[schemars(length(min = 1, max = 120))]
    pub head_teacher: String,
    /// The member of staff parents should contact about attendance; usually
    /// the senior attendance champion, who signs school letters.
    pub attendance_lead: StaffMember,
}

/// A named member of staff with their role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// Full name, e.g. `Mrs Sarah Okafor`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Role, e.g. `Deputy Head and Senior Attendance Champion`.
    #[schemars(length(min = 1, max = 120))]
    pub role: String,
    /// Direct telephone number, if different from the school's.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub phone: Option<String>,
    /// Direct e-mail address.
    #[serde(default)]
    #[schemars(length(min = 3, max = 254), email)]
    pub email: Option<String>,
}

/// A UK postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street lines (house number and street, locality), one to three.
    #[schemars(length(min = 1, max = 3), inner(length(min = 1, max = 60)))]
    pub lines: Vec<String>,
    /// Post town.
    #[schemars(length(min = 1, max = 40))]
    pub town: String,
    /// Postcode, e.g. `ME14 1XQ`. Any case and spacing is accepted; it is
    /// printed in the standard form.
    #[schemars(length(min = 5, max = 10))]
    pub postcode: String,
}

/// The child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pupil {
    /// Legal forename(s).
    #[schemars(length(min = 1, max = 80))]
    pub given_names: String,
    /// Legal surname.
    #[schemars(length(min = 1, max = 80))]
    pub family_name: String,
    /// The name the child is known by, used in running text if given.
    #[serde(default)]
    #[schemars(length(min = 1, max = 80))]
    pub known_as: Option<String>,
    /// Unique Pupil Number: 13 characters with a check letter first.
    #[schemars(length(min = 13, max = 13))]
    pub upn: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// National curriculum year group: 0 for Reception, 1 to 13.
    #[schemars(range(min = 0, max = 13))]
    pub year_group: u8,
    /// Where the child lives, when a document must state it (penalty
    /// notices); by default the recipient's address.
    #[serde(default)]
    pub address: Option<Address>,
}

/// A parent or carer (Education Act 1996 s576).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// Title, if the parent uses one: `Mr`, `Mrs`, `Ms`, `Miss`, `Mx`, `Dr`…
    #[serde(default)]
    #[schemars(length(min = 1, max = 20))]
    pub title: Option<String>,
    /// Forename(s).
    #[schemars(length(min = 1, max = 80))]
    pub given_names: String,
    /// Surname.
    #[schemars(length(min = 1, max = 80))]
    pub family_name: String,
    /// Relationship to the child.
    pub relationship: Relationship,
    /// Whether this person holds parental responsibility.
    pub parental_responsibility: bool,
    /// Whether this person has care of the child (lives with and looks
    /// after them): with parental responsibility or being the child's
    /// parent, one of the three ways to be a "parent" under s576 Education
    /// Act 1996, which a penalty notice's recipient must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_care: Option<bool>,
    /// Where letters to this person are posted.
    pub address: Address,
    /// The language this person would rather read, when not English: a
    /// two- or three-letter code (`pl`, `ro`, `ne`). Where the version has
    /// a reviewed translation, the letter comes in it as well as in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z]{2,3}$"))]
    pub language: Option<String>,
}

/// Why a person is a "parent" under s576(1) Education Act 1996: a parent
/// of the child, anyone with parental responsibility, or anyone who has
/// care of the child (LGO 25 006 865: a step-parent is none of these by
/// being one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ParentBasis {
    /// The child's mother, father or adoptive parent.
    Parent,
    /// Holds parental responsibility.
    ParentalResponsibility,
    /// Has care of the child.
    HasCare,
}

impl Parent {
    /// Why this person is a parent under s576, if they are one.
    pub fn basis(&self) -> Option<ParentBasis> {
        if matches!(
            self.relationship,
            Relationship::Mother | Relationship::Father | Relationship::AdoptiveParent
        ) {
            Some(ParentBasis::Parent)
        } else if self.parental_responsibility {
            Some(ParentBasis::ParentalResponsibility)
        } else if self.has_care == Some(true) {
            Some(ParentBasis::HasCare)
        } else {
            None
        }
    }
}

/// How a parent or carer is related to the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Relationship {
    /// Mother.
    Mother,
    /// Father.
    Father,
    /// Step-parent.
    StepParent,
    /// Adoptive parent.
    AdoptiveParent,
    /// Foster carer.
    FosterCarer,
    /// Special guardian or legal guardian.
    Guardian,
    /// Grandparent.
    Grandparent,
    /// Any other person with care of the child.
    Carer,
}

/// The local authority named on notices: it issues them and receives payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// The council, e.g. `Kent County Council`.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// The team that issues notices, e.g. `KPAS Courts Team`.
    #[schemars(length(min = 1, max = 120))]
    pub team: String,
    /// Address for payment and correspondence.
    pub address: Address,
    /// Telephone number for questions and payment by card.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
    /// E-mail address for correspondence.
    #[schemars(length(min = 3, max = 254), email)]
    pub email: String,
    /// Web address of the online payment service (needed on penalty notices).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub payment_url: Option<String>,
}

/// The local authority's attendance officer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    /// Full name.
    #[schemars(length(min = 1, max = 120))]
    pub name: String,
    /// Job title, e.g. `KPAS Officer`.
    #[schemars(length(min = 1, max = 120))]
    pub title: String,
    /// Telephone number.
    #[schemars(length(min = 1, max = 40))]
    pub phone: String,
    /// E-mail address.
    #[schemars(length(min = 3, max = 254), email)]
    pub email: String,
}
