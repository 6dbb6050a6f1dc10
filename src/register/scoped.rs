//! The register as a school's key sees it: only documents whose case gave
//! one of its schools' URNs. What is not theirs does not exist for them
//! (`None`, not found, left out of histories), so nothing confirms that a
//! reference or a pupil is known elsewhere. Earlier notices to a parent
//! still count in full (the law's limit of two in three years is not a
//! school's view); a refusal by that limit tells a school's key only that
//! it applies (`issue::withhold`).

use chrono::NaiveDate;

use super::Register;
use crate::evidence::{Event, Issued, PriorNotice, Records, RecordsError};

/// A register limited to `schools`.
#[derive(Debug, Clone, Copy)]
pub struct Scoped<'a> {
    /// The register.
    pub register: &'a Register,
    /// The schools' URNs.
    pub schools: &'a [String],
}

impl Scoped<'_> {
    fn ours(&self, issued: &Issued) -> bool {
        issued
            .school_urn
            .as_deref()
            .is_some_and(|u| self.schools.iter().any(|s| s == u))
    }

    fn visible(&self, reference: &str) -> Result<Option<Issued>, RecordsError> {
        Ok(Records::document(self.register, reference)?.filter(|d| self.ours(d)))
    }
}

impl Records for Scoped<'_> {
    fn document(&self, reference: &str) -> Result<Option<Issued>, RecordsError> {
        self.visible(reference)
    }

    fn pdf(&self, reference: &str) -> Result<Vec<u8>, RecordsError> {
        match self.visible(reference)? {
            Some(_) => Records::pdf(self.register, reference),
            None => Err(RecordsError::Unavailable(Box::new(
                super::RegisterError::NotFound(reference.to_owned()),
            ))),
        }
    }

    fn history(&self, pupil_upn: &str) -> Result<Vec<Issued>, RecordsError> {
        Ok(Records::history(self.register, pupil_upn)?
            .into_iter()
            .filter(|d| self.ours(d))
            .collect())
    }

    fn timeline(&self, reference: &str) -> Result<Vec<Event>, RecordsError> {
        match self.visible(reference)? {
            Some(_) => Records::timeline(self.register, reference),
            None => Ok(Vec::new()),
        }
    }

    fn prior_notices(
        &self,
        pupil_upn: &str,
        person_key: &str,
    ) -> Result<Vec<PriorNotice>, RecordsError> {
        self.register
            .prior_notices(pupil_upn, person_key)
            .map_err(Into::into)
    }

    fn case(&self, reference: &str) -> Result<serde_json::Value, RecordsError> {
        match self.visible(reference)? {
            Some(_) => Records::case(self.register, reference),
            None => Err(RecordsError::Unavailable(Box::new(
                super::RegisterError::NotFound(reference.to_owned()),
            ))),
        }
    }

    fn penalty_period(
        &self,
        reference: &str,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, RecordsError> {
        match self.visible(reference)? {
            Some(_) => Records::penalty_period(self.register, reference),
            None => Ok(None),
        }
    }

    fn last_day_to_pay(&self, reference: &str) -> Result<Option<NaiveDate>, RecordsError> {
        match self.visible(reference)? {
            Some(_) => Records::last_day_to_pay(self.register, reference),
            None => Ok(None),
        }
    }
}
