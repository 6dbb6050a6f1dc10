//! What happens to an issued document after it is sent: its timeline of
//! events, each recorded once and never edited.

use chrono::NaiveDate;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Register, RegisterError, date, now};
use crate::evidence::{Event, EventName};

/// An event a caller records on an issued document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EventKind {
    /// The penalty was paid.
    Paid {
        /// Amount in pence.
        amount_pence: u32,
        /// The day it was paid.
        on: NaiveDate,
    },
    /// The notice was withdrawn (it then never counts toward the limit).
    Withdrawn {
        /// Why.
        reason: String,
        /// The day it was withdrawn.
        on: NaiveDate,
    },
    /// Prosecution began after non-payment.
    ProsecutionStarted {
        /// The day.
        on: NaiveDate,
    },
}

impl EventKind {
    /// Its name on the timeline.
    pub fn name(&self) -> EventName {
        match self {
            Self::Paid { .. } => EventName::Paid,
            Self::Withdrawn { .. } => EventName::Withdrawn,
            Self::ProsecutionStarted { .. } => EventName::ProsecutionStarted,
        }
    }

    /// The day it happened.
    pub fn on(&self) -> NaiveDate {
        match self {
            Self::Paid { on, .. }
            | Self::Withdrawn { on, .. }
            | Self::ProsecutionStarted { on } => *on,
        }
    }
}

impl Register {
    /// Records an event on a document's timeline.
    pub fn add_event(
        &self,
        reference: &str,
        event: &EventKind,
        by: &str,
    ) -> Result<Vec<Event>, RegisterError> {
        let issued = self.get(reference)?;
        let timeline = self.timeline(reference)?;
        let name = event.name();
        let on = event.on();
        let (amount, reason) = match event {
            EventKind::Paid { amount_pence, .. } => (Some(*amount_pence), None),
            EventKind::Withdrawn { reason, .. } => (None, Some(reason.clone())),
            EventKind::ProsecutionStarted { .. } => (None, None),
        };
        if on < issued.issued_on {
            return Err(RegisterError::Conflict(format!(
                "{name} on {on} is before the document was issued ({})",
                issued.issued_on
            )));
        }
        if let Some(end) = timeline.iter().find(|e| e.event.ends_the_matter()) {
            return Err(RegisterError::Conflict(format!(
                "{reference} was already {} on {}; nothing can follow",
                end.event, end.on
            )));
        }
        if name == EventName::ProsecutionStarted && issued.kind != "penalty-notice" {
            return Err(RegisterError::Conflict(
                "prosecution follows only an unpaid penalty notice".into(),
            ));
        }
        if name == EventName::Paid
            && timeline
                .iter()
                .any(|e| e.event == EventName::ProsecutionStarted)
        {
            return Err(RegisterError::Conflict(format!(
                "{reference} can no longer be paid: prosecution has started"
            )));
        }
        self.conn().execute(
            "INSERT INTO events (reference, event, on_date, amount_pence, reason, recorded_by, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![reference, name.as_str(), on.to_string(), amount, reason, by, now()],
        )?;
        self.timeline(reference)
    }

    /// A document's timeline, oldest first.
    pub fn timeline(&self, reference: &str) -> Result<Vec<Event>, RegisterError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT event, on_date, amount_pence, reason, recorded_by, recorded_at, id FROM events
             WHERE reference = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![reference], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut events = Vec::new();
        for row in rows {
            let (event, on, amount_pence, reason, by, recorded_at, id) = row?;
            let row = || format!("event {id} of {reference}");
            events.push(Event {
                event: EventName::parse(&event).ok_or_else(|| {
                    RegisterError::Corrupt(format!("{}: `{event}` is not an event", row()))
                })?,
                on: date(&on, &row)?,
                amount_pence,
                reason,
                by,
                recorded_at,
            });
        }
        if events.is_empty() {
            return Err(RegisterError::NotFound(reference.to_owned()));
        }
        Ok(events)
    }
}
