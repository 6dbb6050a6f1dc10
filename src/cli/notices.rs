//! `docket notices lapsed`: the penalty notices whose last day to pay has
//! passed unpaid, oldest first, with the days left before the six-month
//! limit; and `docket notices decide`, which records the decision on one
//! (prosecute or withdraw, why, who decided). Both are recorded in the
//! audit trail.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{EXIT_REFUSED, audit, fail, load, user};
use crate::access::Actor;
use crate::register::{EventKind, Register, RegisterError};
use crate::rules::lapse::{Decision, LIMIT_FROM};

/// `docket notices`.
#[derive(Debug, clap::Subcommand)]
pub enum NoticesCommand {
    /// List the penalty notices lapsed on a day (default today), oldest first.
    Lapsed {
        /// The day to list them on.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// As JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
    /// Record the decision on a lapsed notice: prosecute or withdraw.
    Decide {
        /// The notice's number.
        reference: String,
        /// `prosecute` or `withdraw`.
        #[arg(long, value_parser = parse_decision)]
        decision: Decision,
        /// The reasons: the evidence and the factors weighed.
        #[arg(long)]
        reasons: String,
        /// Who decided: a named officer and their role.
        #[arg(long)]
        decided_by: String,
        /// The day of the decision (default today).
        #[arg(long)]
        on: Option<NaiveDate>,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
}

fn parse_decision(text: &str) -> Result<Decision, String> {
    Decision::parse(text).ok_or_else(|| format!("`{text}` is not `prosecute` or `withdraw`"))
}

pub(super) fn run(templates: &Path, command: NoticesCommand) -> Result<(), u8> {
    let today = chrono::Local::now().date_naive();
    let actor = Actor::cli(&user());
    match command {
        NoticesCommand::Lapsed { as_of, json, db } => {
            let register =
                Register::open_beside(&db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
            let as_of = as_of.unwrap_or(today);
            let notices = register.lapsed(as_of).map_err(fail)?;
            for n in &notices {
                audit(
                    &register,
                    &actor,
                    "read",
                    "docket notices lapsed",
                    Some(&n.reference),
                    0,
                )?;
            }
            if json {
                for n in &notices {
                    println!("{}", serde_json::to_string(n).map_err(fail)?);
                }
            } else if !notices.is_empty() {
                println!(
                    "notice\tschool\tlast day to pay\toffence to\tinformation by\tdays left\tdecision"
                );
                for n in &notices {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        n.reference,
                        n.school,
                        n.last_pay_by,
                        n.offence_to,
                        n.information_by,
                        n.days_left,
                        n.decision.as_ref().map_or_else(
                            || "needed".to_owned(),
                            |d| format!("{} on {}", d.decision.as_str(), d.on)
                        )
                    );
                }
            }
            eprintln!(
                "{} lapsed on {as_of}; the six months for laying an information run from {LIMIT_FROM} (MCA 1980 s127)",
                notices.len()
            );
            Ok(())
        }
        NoticesCommand::Decide {
            reference,
            decision,
            reasons,
            decided_by,
            on,
            db,
        } => {
            let register =
                Register::open_beside(&db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
            let event = EventKind::Decision {
                decision,
                reasons,
                decided_by,
                on: on.unwrap_or(today),
            };
            // Checked as over HTTP: the reasons may be printed in a bundle.
            let docket = load(templates)?;
            let problems = event.text_problems(&|c| docket.covers(c));
            if !problems.is_empty() {
                for p in &problems {
                    eprintln!("error: {}: {}", p.pointer, p.detail);
                }
                return Err(EXIT_REFUSED);
            }
            match register.add_event(&reference, &event, &actor, today) {
                Ok(_) => {
                    audit(
                        &register,
                        &actor,
                        "event",
                        "docket notices decide",
                        Some(&reference),
                        0,
                    )?;
                    println!(
                        "{reference}: decided to {} on {}",
                        decision.as_str(),
                        event.on()
                    );
                    Ok(())
                }
                Err(RegisterError::Refused(r)) => {
                    eprintln!("error: {reference}: {} ({}): {}", r.field, r.rule, r.detail);
                    Err(EXIT_REFUSED)
                }
                Err(e) => Err(fail(e)),
            }
        }
    }
}
