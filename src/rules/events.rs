//! What may happen to an issued document, and when: the law's rules for the
//! events of a timeline. A penalty notice is paid at the amount due on the
//! day of payment (the lower amount by its date, the higher after, nothing
//! once both have passed: SI 2007/1867 reg 4 as amended by SI 2024/210),
//! on or after the day it is taken to be received; it is withdrawn on one
//! of the grounds of reg 8 (or reg 9, when it was not paid and the
//! authority does not prosecute); prosecution follows only an unpaid
//! notice. Nothing is dated after today. A paid or withdrawn notice ends
//! the matter: only a correction may follow, naming the event it replaces.
//!
//! Pure functions of plain values; the register applies them inside the
//! transaction that records the event.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::penalty::Terms;

/// The grounds on which a penalty notice may be withdrawn: reg 8 of the
/// Education (Penalty Notices) (England) Regulations 2007 as local codes
/// of conduct list them, and reg 9 (not paid, and no prosecution). The
/// list is the codes' (e.g. Stockton's), not the regulation's own words,
/// which docket could not confirm: keep it under review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum WithdrawalGround {
    /// No offence was committed (for example the absence was authorised).
    NoOffence,
    /// The notice was issued outside the local code of conduct.
    OutsideTheCode,
    /// It ought not to have been issued to the person named (not a parent
    /// of the child under s576, or the wrong parent).
    WrongRecipient,
    /// It was sent to the wrong address (the parent shows it).
    WrongAddress,
    /// It contains a material error.
    MaterialError,
    /// It was not paid, and the authority decided not to prosecute (reg 9).
    NotProsecuted,
}

impl WithdrawalGround {
    /// Every ground, in the order the codes list them.
    pub const ALL: [Self; 6] = [
        Self::NoOffence,
        Self::OutsideTheCode,
        Self::WrongRecipient,
        Self::WrongAddress,
        Self::MaterialError,
        Self::NotProsecuted,
    ];

    /// Its name in JSON.
    pub fn slug(self) -> &'static str {
        match self {
            Self::NoOffence => "no-offence",
            Self::OutsideTheCode => "outside-the-code",
            Self::WrongRecipient => "wrong-recipient",
            Self::WrongAddress => "wrong-address",
            Self::MaterialError => "material-error",
            Self::NotProsecuted => "not-prosecuted",
        }
    }

    /// Its name in the register, if docket knows it.
    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.slug() == slug)
    }

    /// In plain words, for a chronology or a letter.
    pub fn words(self) -> &'static str {
        match self {
            Self::NoOffence => "no offence was committed",
            Self::OutsideTheCode => "it was issued outside the code of conduct",
            Self::WrongRecipient => "it ought not to have been issued to the person named",
            Self::WrongAddress => "it was sent to the wrong address",
            Self::MaterialError => "it contained a material error",
            Self::NotProsecuted => "it was not paid and the authority decided not to prosecute",
        }
    }
}

/// An event as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposed {
    /// A payment of `amount_pence`.
    Paid {
        /// Amount in pence.
        amount_pence: u32,
    },
    /// A withdrawal, on `ground`.
    Withdrawn {
        /// The ground.
        ground: WithdrawalGround,
    },
    /// Prosecution began.
    ProsecutionStarted,
    /// A correction of an earlier event.
    Corrected,
    /// A decision on a lapsed notice (checked by [`super::lapse`]).
    Decision,
}

/// The document the event is about, as the rules need it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Whether it is a penalty notice (the events of the law are for those).
    pub penalty_notice: bool,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The day it is taken to be received, if it was posted to a parent.
    pub served_on: Option<NaiveDate>,
    /// Its amounts and pay-by dates, for a penalty notice.
    pub terms: Option<&'a Terms>,
}

/// Why an event cannot be recorded. Each names its rule and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRefusal {
    /// Payments, withdrawals and prosecutions are for penalty notices.
    #[error("only a penalty notice is paid, withdrawn or prosecuted; this document is not one")]
    NotANotice,
    /// Dated after today.
    #[error("is after today ({today}): record what has happened")]
    InTheFuture {
        /// Today.
        today: NaiveDate,
    },
    /// Dated before the notice was issued, or paid before it was received.
    #[error("is before the notice {what} ({day})")]
    TooEarly {
        /// `was issued` or `is taken to be received`.
        what: &'static str,
        /// That day.
        day: NaiveDate,
    },
    /// Not the amount due on the day of payment.
    #[error("is not the amount due: on {on} the notice asks for {due}")]
    WrongAmount {
        /// The day of payment.
        on: NaiveDate,
        /// What was due, e.g. `£80 (by 14 December 2026)`.
        due: String,
    },
    /// Paid after the last day to pay.
    #[error(
        "is after the last day to pay ({last}): the notice can no longer be paid; the authority must prosecute or withdraw it"
    )]
    AfterLastDay {
        /// The last day to pay.
        last: NaiveDate,
    },
    /// The notice's terms were not recorded when it was issued.
    #[error("the register holds no terms for this notice, so a payment cannot be checked")]
    NoTerms,
    /// Something already ended the matter.
    #[error("the notice was already {what} on {on}; record a correction of that event first")]
    Ended {
        /// `paid` or `withdrawn`.
        what: &'static str,
        /// When.
        on: NaiveDate,
    },
    /// Withdrawn because it was not paid (reg 9) while it could still be
    /// paid, or after it was paid.
    #[error("{why}")]
    NotLapsed {
        /// Why, in words.
        why: String,
    },
    /// Paid after prosecution began.
    #[error("the notice can no longer be paid: prosecution began on {on}")]
    Prosecuted {
        /// When prosecution began.
        on: NaiveDate,
    },
}

impl EventRefusal {
    /// The rule's identifier, quoted in problem responses.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotANotice => "event.kind",
            Self::InTheFuture { .. } | Self::TooEarly { .. } | Self::AfterLastDay { .. } => {
                "event.date"
            }
            Self::WrongAmount { .. } | Self::NoTerms => "event.amount",
            Self::Ended { .. } | Self::Prosecuted { .. } | Self::NotLapsed { .. } => {
                "event.sequence"
            }
        }
    }

    /// The field of the event it is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::NotANotice | Self::Ended { .. } | Self::Prosecuted { .. } => "/event",
            Self::NotLapsed { .. } => "/ground",
            Self::InTheFuture { .. } | Self::TooEarly { .. } | Self::AfterLastDay { .. } => "/on",
            Self::WrongAmount { .. } | Self::NoTerms => "/amount_pence",
        }
    }
}

/// What the authority decided about a lapsed notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Prosecute for the original offence.
    Prosecute,
    /// Withdraw the notice (reg 9: not paid and not prosecuted).
    Withdraw,
}

impl Decision {
    /// Its name in the register and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prosecute => "prosecute",
            Self::Withdraw => "withdraw",
        }
    }

    /// The decision named `name` in the register.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Prosecute, Self::Withdraw]
            .into_iter()
            .find(|d| d.as_str() == name)
    }
}

/// What has happened to the document so far, as far as it still stands
/// (corrected events left out): what ended the matter, if anything, and
/// when prosecution began, if it did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Standing {
    /// `paid` or `withdrawn`, and when.
    pub ended: Option<(&'static str, NaiveDate)>,
    /// When prosecution began.
    pub prosecuted: Option<NaiveDate>,
    /// The decision on the lapsed notice, and when it was made.
    pub decided: Option<(Decision, NaiveDate)>,
}

/// What is due on a penalty notice paid on `on`: the first amount whose
/// last day is not past, or none once every day has passed.
pub fn amount_due(terms: &Terms, on: NaiveDate) -> Option<super::penalty::Payment> {
    terms.payments.iter().find(|p| on <= p.pay_by).copied()
}

/// Whether `event`, dated `on`, may be recorded on `subject` as it stands.
pub fn check(
    event: Proposed,
    on: NaiveDate,
    subject: &Subject<'_>,
    standing: &Standing,
    today: NaiveDate,
) -> Result<(), EventRefusal> {
    if on > today {
        return Err(EventRefusal::InTheFuture { today });
    }
    if event == Proposed::Corrected {
        return Ok(());
    }
    if !subject.penalty_notice {
        return Err(EventRefusal::NotANotice);
    }
    if on < subject.issued_on {
        return Err(EventRefusal::TooEarly {
            what: "was issued",
            day: subject.issued_on,
        });
    }
    match (event, standing.ended) {
        // A paid notice may still be withdrawn on a ground of reg 8 (it
        // should never have been issued): the payment is then refunded.
        (Proposed::Withdrawn { ground }, Some(("paid", _)))
            if ground != WithdrawalGround::NotProsecuted => {}
        (Proposed::Withdrawn { .. }, Some(("paid", paid_on))) => {
            return Err(EventRefusal::NotLapsed {
                why: format!(
                    "the notice was paid on {}: it cannot be withdrawn as not paid; withdraw it on a ground of regulation 8 if it should not have been issued, and the payment is refunded",
                    paid_on.format("%-d %B %Y")
                ),
            });
        }
        (_, Some((what, ended_on))) => return Err(EventRefusal::Ended { what, on: ended_on }),
        (_, None) => {}
    }
    if let Proposed::Withdrawn {
        ground: WithdrawalGround::NotProsecuted,
    } = event
        && let Some(last) = subject
            .terms
            .and_then(|t| t.payments.iter().map(|p| p.pay_by).max())
        && on <= last
    {
        return Err(EventRefusal::NotLapsed {
            why: format!(
                "the notice can still be paid until {}: it is withdrawn as not paid (regulation 9) only after that day",
                last.format("%-d %B %Y")
            ),
        });
    }
    if let Proposed::Paid { amount_pence } = event {
        if let Some(begun) = standing.prosecuted {
            return Err(EventRefusal::Prosecuted { on: begun });
        }
        if let Some(received) = subject.served_on
            && on < received
        {
            return Err(EventRefusal::TooEarly {
                what: "is taken to be received",
                day: received,
            });
        }
        let terms = subject.terms.ok_or(EventRefusal::NoTerms)?;
        match amount_due(terms, on) {
            Some(due) if due.amount_pence == amount_pence => {}
            Some(due) => {
                return Err(EventRefusal::WrongAmount {
                    on,
                    due: format!(
                        "{} (by {})",
                        money(due.amount_pence),
                        due.pay_by.format("%-d %B %Y")
                    ),
                });
            }
            None => {
                return Err(EventRefusal::AfterLastDay {
                    last: terms.payments.last().map_or(on, |p| p.pay_by),
                });
            }
        }
    }
    Ok(())
}

/// `£80`, `£80.50`: an amount as a parent reads it.
pub fn money(pence: u32) -> String {
    if pence.is_multiple_of(100) {
        format!("£{}", pence / 100)
    } else {
        format!("£{}.{:02}", pence / 100, pence % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::super::penalty::Payment;
    use super::*;
    use crate::rules::d;

    fn terms() -> Terms {
        Terms {
            sequence: 1,
            received_on: d(2026, 11, 25),
            period_count: crate::rules::penalty::PeriodCount::BeginningWithReceipt,
            payments: vec![
                Payment {
                    amount_pence: 8000,
                    pay_by: d(2026, 12, 15),
                    within_days: 21,
                },
                Payment {
                    amount_pence: 16000,
                    pay_by: d(2026, 12, 22),
                    within_days: 28,
                },
            ],
        }
    }

    fn notice(terms: &Terms) -> Subject<'_> {
        Subject {
            penalty_notice: true,
            issued_on: d(2026, 11, 23),
            served_on: Some(d(2026, 11, 25)),
            terms: Some(terms),
        }
    }

    #[test]
    fn a_payment_is_the_amount_due_on_its_day() {
        let t = terms();
        let n = notice(&t);
        let today = d(2026, 12, 31);
        let paid = |pence, on| {
            check(
                Proposed::Paid {
                    amount_pence: pence,
                },
                on,
                &n,
                &Standing::default(),
                today,
            )
        };
        assert_eq!(paid(8000, d(2026, 12, 15)), Ok(()));
        assert_eq!(paid(16000, d(2026, 12, 16)), Ok(()));
        assert_eq!(
            paid(1, d(2026, 12, 1)).map_err(|r| r.rule()),
            Err("event.amount")
        );
        assert_eq!(
            paid(16000, d(2026, 12, 1)).map_err(|r| r.rule()),
            Err("event.amount")
        );
        assert_eq!(
            paid(8000, d(2026, 12, 16)).map_err(|r| r.rule()),
            Err("event.amount")
        );
        assert_eq!(
            paid(16000, d(2026, 12, 23)).map_err(|r| r.rule()),
            Err("event.date")
        );
        // Before it is taken to be received.
        assert_eq!(
            paid(8000, d(2026, 11, 24)).map_err(|r| r.rule()),
            Err("event.date")
        );
        // After today.
        let future = check(
            Proposed::Paid { amount_pence: 8000 },
            d(2026, 12, 1),
            &n,
            &Standing::default(),
            d(2026, 11, 30),
        );
        assert_eq!(future.map_err(|r| r.field()), Err("/on"));
    }

    #[test]
    fn only_notices_are_paid_and_nothing_follows_the_end_but_a_correction() {
        let t = terms();
        let letter = Subject {
            penalty_notice: false,
            terms: None,
            ..notice(&t)
        };
        let today = d(2026, 12, 31);
        assert_eq!(
            check(
                Proposed::Withdrawn {
                    ground: WithdrawalGround::NoOffence
                },
                d(2026, 12, 1),
                &letter,
                &Standing::default(),
                today
            )
            .map_err(|r| r.rule()),
            Err("event.kind")
        );
        let ended = Standing {
            ended: Some(("paid", d(2026, 12, 1))),
            ..Standing::default()
        };
        let n = notice(&t);
        // Paid, then withdrawn on a reg 8 ground: allowed (the payment is
        // refunded); as not paid (reg 9): refused.
        let withdraw = |ground| Proposed::Withdrawn { ground };
        assert_eq!(
            check(
                withdraw(WithdrawalGround::MaterialError),
                d(2026, 12, 2),
                &n,
                &ended,
                today
            ),
            Ok(())
        );
        assert_eq!(
            check(
                withdraw(WithdrawalGround::NotProsecuted),
                d(2026, 12, 2),
                &n,
                &ended,
                today
            )
            .map_err(|r| r.rule()),
            Err("event.sequence")
        );
        let withdrawn = Standing {
            ended: Some(("withdrawn", d(2026, 12, 1))),
            ..Standing::default()
        };
        assert_eq!(
            check(
                withdraw(WithdrawalGround::NoOffence),
                d(2026, 12, 2),
                &n,
                &withdrawn,
                today
            )
            .map_err(|r| r.rule()),
            Err("event.sequence")
        );
        assert_eq!(
            check(Proposed::Corrected, d(2026, 12, 2), &n, &ended, today),
            Ok(())
        );
    }

    #[test]
    fn not_paid_is_a_ground_only_once_the_last_day_has_passed() {
        let t = terms();
        let n = notice(&t);
        let reg9 = Proposed::Withdrawn {
            ground: WithdrawalGround::NotProsecuted,
        };
        let today = d(2027, 1, 31);
        assert_eq!(
            check(reg9, d(2026, 12, 22), &n, &Standing::default(), today).map_err(|r| r.rule()),
            Err("event.sequence")
        );
        assert_eq!(
            check(reg9, d(2026, 12, 23), &n, &Standing::default(), today),
            Ok(())
        );
    }

    #[test]
    fn grounds_round_trip() {
        for g in WithdrawalGround::ALL {
            assert_eq!(WithdrawalGround::parse(g.slug()), Some(g));
            assert_eq!(
                serde_json::to_value(g).ok(),
                Some(serde_json::Value::from(g.slug()))
            );
        }
        assert_eq!(money(8000), "£80");
        assert_eq!(money(8050), "£80.50");
    }
}
