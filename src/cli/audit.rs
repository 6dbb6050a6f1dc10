//! `docket audit`: who looked at a child's records and when (for a
//! subject access request), and `docket audit verify`, which recomputes
//! the trail's hash chain and names the first row that was changed.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::{EXIT_REFUSED, fail, user};
use crate::access::Actor;
use crate::register::{AuditCheck, AuditQuery, Register};

/// `docket audit`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// Check the chain instead of listing rows.
    #[command(subcommand)]
    pub verify: Option<AuditCommand>,
    /// Only rows about this pupil (UPN).
    #[arg(long)]
    pub upn: Option<String>,
    /// From this day.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Up to and including this day.
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// As JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Most rows.
    #[arg(long, default_value_t = 10_000)]
    pub limit: usize,
    /// The register.
    #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
    pub db: PathBuf,
}

/// `docket audit verify`.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first broken row.
    Verify {
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
}

pub(super) fn run(args: AuditArgs) -> Result<(), u8> {
    if let Some(AuditCommand::Verify { db }) = args.verify {
        let register =
            Register::open_beside(&db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
        return match register.verify_audit().map_err(fail)? {
            AuditCheck::Intact { rows, head } => {
                println!("the audit trail is intact: {rows} rows, the last hash {head}");
                eprintln!(
                    "hint: keep that hash somewhere else; a later verify that ends in a different one at that row means the chain was rewritten"
                );
                Ok(())
            }
            AuditCheck::Broken { seq, why } => {
                eprintln!("error: the audit trail is broken at row {seq}: {why}");
                Err(EXIT_REFUSED)
            }
        };
    }
    let register =
        Register::open_beside(&args.db).map_err(|e| fail(format!("{}: {e}", args.db.display())))?;
    let rows = register
        .audit_rows(&AuditQuery {
            upn: args.upn.clone(),
            from: args.from.map(|d| d.to_string()),
            to: args.to.map(|d| d.to_string()),
            limit: args.limit.max(1),
        })
        .map_err(fail)?;
    let actor = Actor::cli(&user());
    // Reading the trail is itself recorded.
    let note = crate::register::NewAudit {
        key_id: None,
        actor: actor.name.clone(),
        on_behalf_of: None,
        action: "audit-read".into(),
        method: "cli".into(),
        route: "docket audit".into(),
        target: None,
        pupil_upn: args.upn.clone(),
        outcome: 0,
    };
    register
        .audit(&[note])
        .map_err(|e| fail(format!("the audit trail could not be written: {e}")))?;
    if !args.json && !rows.is_empty() {
        println!("seq\tat (UTC)\twho\tfor\taction\thow\ttarget\tpupil\toutcome");
    }
    for r in &rows {
        if args.json {
            println!("{}", serde_json::to_string(r).map_err(fail)?);
        } else {
            println!(
                "{}\t{}\t{}{}\t{}\t{}\t{} {}\t{}\t{}\t{}",
                r.seq,
                r.at,
                r.actor,
                r.key_id
                    .as_ref()
                    .map_or(String::new(), |k| format!(" (key {k})")),
                r.on_behalf_of.as_deref().unwrap_or("-"),
                r.action,
                r.method,
                r.route,
                r.target.as_deref().unwrap_or("-"),
                r.pupil_upn.as_deref().unwrap_or("-"),
                r.outcome
            );
        }
    }
    if rows.is_empty() {
        eprintln!("no rows");
    } else if rows.len() == args.limit.max(1) {
        eprintln!(
            "warning: {} rows shown, the most asked for (--limit): there may be more; ask from the last row's time with --from",
            rows.len()
        );
    }
    Ok(())
}
