//! What happens to an issued document after it is sent: its timeline of
//! events, each recorded once and never edited or deleted. A mistake is put
//! right by a `corrected` event that names the event it supersedes; the
//! timeline shows both, and the document's standing leaves the superseded
//! one out. Every event is checked by the law's rules
//! ([`crate::rules::events`]) in the transaction that records it.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Register, RegisterError, date, now};
use crate::evidence::{Event, EventName};
use crate::rules::events::{self, EventRefusal, Proposed, Standing, Subject, WithdrawalGround};
use crate::rules::lapse::{self, Decision, DecisionRefusal};

/// An event a caller records on an issued document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EventKind {
    /// The penalty was paid: the amount due on the day, in pence.
    Paid {
        /// Amount in pence.
        amount_pence: u32,
        /// The day it was paid.
        on: NaiveDate,
    },
    /// The notice was withdrawn (it then never counts toward the limit).
    Withdrawn {
        /// The ground (reg 8, or reg 9: not paid and not prosecuted).
        ground: WithdrawalGround,
        /// Why, in words.
        #[schemars(length(min = 1, max = 1000))]
        reason: String,
        /// The day it was withdrawn.
        on: NaiveDate,
    },
    /// Prosecution began after non-payment.
    ProsecutionStarted {
        /// The day.
        on: NaiveDate,
    },
    /// The authority's decision on a lapsed notice: prosecute or withdraw
    /// it, why, and who decided.
    Decision {
        /// Prosecute or withdraw.
        decision: Decision,
        /// The reasons, in words: the evidence and the factors weighed.
        #[schemars(length(min = 1, max = 1000))]
        reasons: String,
        /// Who decided: a named officer and their role.
        #[schemars(length(min = 1, max = 200))]
        decided_by: String,
        /// The day of the decision.
        on: NaiveDate,
    },
    /// An earlier event was recorded in error: this one supersedes it.
    Corrected {
        /// The id of the event it supersedes (see the timeline).
        supersedes: i64,
        /// Why, in words.
        #[schemars(length(min = 1, max = 1000))]
        reason: String,
        /// The day of the correction.
        on: NaiveDate,
    },
}

/// The longest free text an event may carry.
pub const MAX_EVENT_TEXT: usize = 1000;

/// The longest name and role of a decision's maker.
pub const MAX_DECIDER_TEXT: usize = 200;

impl EventKind {
    /// Its name on the timeline.
    pub fn name(&self) -> EventName {
        match self {
            Self::Paid { .. } => EventName::Paid,
            Self::Withdrawn { .. } => EventName::Withdrawn,
            Self::ProsecutionStarted { .. } => EventName::ProsecutionStarted,
            Self::Corrected { .. } => EventName::Corrected,
            Self::Decision { .. } => EventName::Decision,
        }
    }

    /// The day it happened.
    pub fn on(&self) -> NaiveDate {
        match self {
            Self::Paid { on, .. }
            | Self::Withdrawn { on, .. }
            | Self::ProsecutionStarted { on }
            | Self::Corrected { on, .. }
            | Self::Decision { on, .. } => *on,
        }
    }

    /// Its free text, each with the field it is in and its longest length.
    pub fn texts(&self) -> Vec<(&'static str, &str, usize)> {
        match self {
            Self::Withdrawn { reason, .. } | Self::Corrected { reason, .. } => {
                vec![("/reason", reason, MAX_EVENT_TEXT)]
            }
            Self::Decision {
                reasons,
                decided_by,
                ..
            } => vec![
                ("/reasons", reasons, MAX_EVENT_TEXT),
                ("/decided_by", decided_by, MAX_DECIDER_TEXT),
            ],
            _ => Vec::new(),
        }
    }

    /// Its free text checked as a case's is (it may be printed in a
    /// bundle): length, and characters the fonts can print.
    pub fn text_problems(&self, covers: &dyn Fn(char) -> bool) -> Vec<crate::case::Problem> {
        self.texts()
            .into_iter()
            .flat_map(|(at, text, max)| crate::case::check_text(at, text, max, covers))
            .collect()
    }

    fn proposed(&self) -> Proposed {
        match self {
            Self::Paid { amount_pence, .. } => Proposed::Paid {
                amount_pence: *amount_pence,
            },
            Self::Withdrawn { ground, .. } => Proposed::Withdrawn { ground: *ground },
            Self::ProsecutionStarted { .. } => Proposed::ProsecutionStarted,
            Self::Corrected { .. } => Proposed::Corrected,
            Self::Decision { .. } => Proposed::Decision,
        }
    }
}

/// Why an event was not recorded: a rule of the law, with the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The field of the event, e.g. `/amount_pence`.
    pub field: &'static str,
    /// The rule, e.g. `event.amount`.
    pub rule: &'static str,
    /// What is wrong, in plain words.
    pub detail: String,
}

impl From<DecisionRefusal> for Refused {
    fn from(r: DecisionRefusal) -> Self {
        Self {
            field: r.field(),
            rule: r.rule(),
            detail: r.to_string(),
        }
    }
}

impl From<EventRefusal> for Refused {
    fn from(r: EventRefusal) -> Self {
        Self {
            field: r.field(),
            rule: r.rule(),
            detail: r.to_string(),
        }
    }
}

/// Where a document stands: its effective events (none superseded).
pub(super) fn standing(timeline: &[Event]) -> Standing {
    let mut standing = Standing::default();
    for e in timeline.iter().filter(|e| e.superseded_by.is_none()) {
        match e.event {
            EventName::Paid => standing.ended = Some(("paid", e.on)),
            EventName::Withdrawn => standing.ended = Some(("withdrawn", e.on)),
            EventName::ProsecutionStarted => standing.prosecuted = Some(e.on),
            EventName::Decision => standing.decided = e.decision.map(|d| (d, e.on)),
            EventName::Issued | EventName::Corrected => {}
        }
    }
    standing
}

impl Register {
    /// Records an event on a document's timeline, if the law allows it on
    /// `today`, in one transaction with the checks; gives the timeline.
    pub fn add_event(
        &self,
        reference: &str,
        event: &EventKind,
        by: &crate::access::Actor,
        today: NaiveDate,
    ) -> Result<Vec<Event>, RegisterError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let timeline = add_event_in(&tx, reference, event, by, today)?;
        tx.commit()?;
        Ok(timeline)
    }

    /// A document's timeline, oldest first.
    pub fn timeline(&self, reference: &str) -> Result<Vec<Event>, RegisterError> {
        timeline_in(&self.conn(), reference)
    }
}

/// Records what issuing a document records on the notice it is about,
/// inside the issue's transaction `tx`, with every check of
/// [`Register::add_event`]: a withdrawal letter withdraws its notice; a
/// decision-to-prosecute record records the decision, unless the same
/// decision is already on the notice's timeline.
pub fn record_on_issue(
    tx: &Connection,
    reference: &str,
    event: &EventKind,
    by: &crate::access::Actor,
    today: NaiveDate,
) -> Result<(), RegisterError> {
    if let EventKind::Decision { decision, .. } = event {
        let timeline = timeline_in(tx, reference)?;
        if standing(&timeline)
            .decided
            .is_some_and(|(d, _)| d == *decision)
        {
            return Ok(());
        }
    }
    add_event_in(tx, reference, event, by, today).map(|_| ())
}

/// Records an event inside the transaction `tx` (an issue's, when issuing a
/// document records one: a withdrawal letter its notice's `withdrawn`),
/// with the same checks as [`Register::add_event`]; gives the timeline.
pub(crate) fn add_event_in(
    tx: &Connection,
    reference: &str,
    event: &EventKind,
    by: &crate::access::Actor,
    today: NaiveDate,
) -> Result<Vec<Event>, RegisterError> {
    let issued = super::documents::get_in(tx, reference)?;
    let timeline = timeline_in(tx, reference)?;
    let terms = super::documents::terms_in(tx, reference)?;
    let subject = Subject {
        // Both kinds of penalty notice are paid, withdrawn or prosecuted.
        penalty_notice: matches!(
            issued.kind.as_str(),
            "penalty-notice" | "exclusion-penalty-notice"
        ),
        issued_on: issued.issued_on,
        served_on: issued.served_on,
        terms: terms.as_ref(),
    };
    let standing = standing(&timeline);
    events::check(event.proposed(), event.on(), &subject, &standing, today)
        .map_err(|r| RegisterError::Refused(r.into()))?;
    if let EventKind::Decision { decision, on, .. } = event {
        let offence_to: Option<String> = tx
            .prepare_cached("SELECT offence_to FROM notice_claims WHERE reference = ?1")?
            .query_row(params![reference], |r| r.get(0))
            .optional()?;
        let offence_to = offence_to
            .map(|d| date(&d, &|| format!("the claim of {reference}")))
            .transpose()?;
        lapse::check_decision(*decision, *on, terms.as_ref(), offence_to, &standing)
            .map_err(|r| RegisterError::Refused(r.into()))?;
    }
    if let EventKind::Corrected { supersedes, .. } = event {
        let target = timeline.iter().find(|e| e.id == *supersedes);
        let why = match target {
            None => Some(format!("{reference} has no event {supersedes}")),
            Some(e) if e.event == EventName::Issued => {
                Some("the issue itself cannot be corrected: it is the record".into())
            }
            Some(e) if e.event == EventName::Corrected => {
                Some("a correction cannot be corrected; record the event again".into())
            }
            Some(e) if e.superseded_by.is_some() => {
                Some(format!("event {supersedes} was already corrected"))
            }
            Some(_) => None,
        };
        if let Some(detail) = why {
            return Err(RegisterError::Refused(Refused {
                field: "/supersedes",
                rule: "event.correction",
                detail,
            }));
        }
    }
    let (amount, reason, ground, supersedes) = match event {
        EventKind::Paid { amount_pence, .. } => (Some(*amount_pence), None, None, None),
        EventKind::Withdrawn { reason, ground, .. } => {
            (None, Some(reason.as_str()), Some(ground.slug()), None)
        }
        EventKind::ProsecutionStarted { .. } => (None, None, None, None),
        EventKind::Corrected {
            reason, supersedes, ..
        } => (None, Some(reason.as_str()), None, Some(*supersedes)),
        EventKind::Decision { reasons, .. } => (None, Some(reasons.as_str()), None, None),
    };
    let (decision, decided_by) = match event {
        EventKind::Decision {
            decision,
            decided_by,
            ..
        } => (Some(decision.as_str()), Some(decided_by.as_str())),
        _ => (None, None),
    };
    tx.prepare_cached(
            "INSERT INTO events (reference, event, on_date, amount_pence, reason, recorded_by, recorded_at, ground, supersedes, key_id, on_behalf_of, decision, decided_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            reference,
            event.name().as_str(),
            event.on().to_string(),
            amount,
            reason,
            by.name,
            now(),
            ground,
            supersedes,
            by.key_id,
            by.on_behalf_of,
            decision,
            decided_by
        ])?;
    timeline_in(tx, reference)
}

/// A document's timeline, oldest first, on `conn`.
pub(super) fn timeline_in(conn: &Connection, reference: &str) -> Result<Vec<Event>, RegisterError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.event, e.on_date, e.amount_pence, e.reason, e.recorded_by, e.recorded_at, e.id,
                e.ground, e.supersedes,
                (SELECT c.id FROM events c WHERE c.supersedes = e.id),
                e.decision, e.decided_by
         FROM events e WHERE e.reference = ?1 ORDER BY e.id",
    )?;
    let rows = stmt.query_map(params![reference], |r| {
        Ok((
            (
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<u32>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ),
            (
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<i64>>(8)?,
                r.get::<_, Option<i64>>(9)?,
            ),
            (
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<String>>(11)?,
            ),
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (
            (event, on, amount_pence, reason, by),
            (recorded_at, id, ground, supersedes, by_id),
            (decision, decided_by),
        ) = row?;
        let row = || format!("event {id} of {reference}");
        let ground = match ground {
            Some(g) => Some(WithdrawalGround::parse(&g).ok_or_else(|| {
                RegisterError::Corrupt(format!("{}: `{g}` is not a ground", row()))
            })?),
            None => None,
        };
        let decision = match decision {
            Some(d) => Some(Decision::parse(&d).ok_or_else(|| {
                RegisterError::Corrupt(format!("{}: `{d}` is not a decision", row()))
            })?),
            None => None,
        };
        events.push(Event {
            id,
            event: EventName::parse(&event).ok_or_else(|| {
                RegisterError::Corrupt(format!("{}: `{event}` is not an event", row()))
            })?,
            on: date(&on, &row)?,
            amount_pence,
            ground,
            reason,
            decision,
            decided_by,
            supersedes,
            superseded_by: by_id,
            by,
            recorded_at,
        });
    }
    if events.is_empty() {
        return Err(RegisterError::NotFound(reference.to_owned()));
    }
    Ok(events)
}
