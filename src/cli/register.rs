//! `docket register`: looking after the register's file. `backup` (a
//! consistent copy while the service runs), `verify` (SQLite's integrity
//! check, every PDF re-hashed, every number accounted for, the audit
//! chain), `purge` (documents past their retention period, with a
//! tombstone each; `--dry-run` first) and `export` (everything about one
//! pupil, for a subject access request).

use std::path::{Path, PathBuf};

use super::{EXIT_REFUSED, audit, fail, user};
use crate::access::Actor;
use crate::register::{Policy, Register};

/// `docket register …`.
#[derive(Debug, clap::Subcommand)]
pub enum RegisterCommand {
    /// Copy the register, consistently, while the service runs.
    Backup {
        /// Where the copy goes (a file; replaced only once the copy is whole).
        path: PathBuf,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
    /// Check the register: exit 1 naming every problem.
    Verify {
        /// The register (or a backup of it).
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
    /// Delete documents past their retention period, leaving a tombstone each.
    Purge {
        /// Only list what would be purged, and why.
        #[arg(long)]
        dry_run: bool,
        /// The retention policy (default: retention.toml in the templates folder).
        #[arg(long, env = "DOCKET_RETENTION")]
        retention: Option<PathBuf>,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
    /// Everything about one pupil, as a ZIP, for a subject access request.
    Export {
        /// The pupil's UPN.
        #[arg(long)]
        upn: String,
        /// The ZIP to write.
        #[arg(short, long)]
        output: PathBuf,
        /// The register.
        #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
        db: PathBuf,
    },
}

pub(super) fn run(templates: &Path, command: RegisterCommand) -> Result<(), u8> {
    match command {
        RegisterCommand::Backup { path, db } => backup(&db, &path),
        RegisterCommand::Verify { db } => verify(&db),
        RegisterCommand::Purge {
            dry_run,
            retention,
            db,
        } => {
            let retention = retention.unwrap_or_else(|| templates.join("retention.toml"));
            purge(&db, &retention, dry_run)
        }
        RegisterCommand::Export { upn, output, db } => export(&db, &upn, &output),
    }
}

fn backup(db: &Path, to: &Path) -> Result<(), u8> {
    let register = Register::inspect(db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
    let bytes = register
        .backup(to)
        .map_err(|e| fail(format!("backup to {}: {e}", to.display())))?;
    drop(register);
    // The copy holds every child's records: who made it is on the trail.
    let trail = Register::open_beside(db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
    audit(
        &trail,
        &Actor::cli(&user()),
        "register-backup",
        "docket register backup",
        Some(&to.display().to_string()),
        0,
    )?;
    println!(
        "backed up {} to {} ({bytes} bytes, SQLite's integrity check passed)",
        db.display(),
        to.display()
    );
    eprintln!(
        "hint: check it fully with `docket register verify --db {}`",
        to.display()
    );
    Ok(())
}

fn verify(db: &Path) -> Result<(), u8> {
    let register = Register::inspect(db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
    let v = register
        .verify()
        .map_err(|e| fail(format!("{}: {e}", db.display())))?;
    for reference in &v.reserved {
        eprintln!(
            "note: number {reference} is reserved and not yet used: a document being made now, or a stop (the service's next start voids it, with the reason)"
        );
    }
    if v.problems.is_empty() {
        println!(
            "the register is intact: SQLite's integrity check passed; {} PDFs match their hashes; {} numbers, each used, purged with a tombstone ({}) or void with its reason; the audit trail's {} rows chain",
            v.documents, v.numbers, v.purged, v.audit_rows
        );
        return Ok(());
    }
    for p in &v.problems {
        eprintln!("problem: {p}");
    }
    eprintln!("error: the register has {} problems", v.problems.len());
    Err(EXIT_REFUSED)
}

fn purge(db: &Path, retention: &Path, dry_run: bool) -> Result<(), u8> {
    let text = std::fs::read_to_string(retention)
        .map_err(|e| fail(format!("{}: {e}", retention.display())))?;
    let policy = Policy::parse(&text).map_err(|e| fail(format!("{}: {e}", retention.display())))?;
    let register = Register::open_beside(db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
    let today = chrono::Local::now().date_naive();
    let plan = register
        .due_for_purge(&policy, today)
        .map_err(|e| fail(format!("{}: {e}", db.display())))?;
    for d in &plan.due {
        println!(
            "{}\t{}\tissued {}\tkept from {}\tdue {}\t{}",
            d.reference, d.kind, d.issued_on, d.kept_from, d.due_on, d.rule
        );
    }
    for k in &plan.kept {
        eprintln!("kept: {}: {}", k.reference, k.why);
    }
    let confirmed = policy.confirmed.as_ref();
    if dry_run || confirmed.is_none() {
        println!(
            "{} of {} documents are past their retention period on {today}{}",
            plan.due.len(),
            plan.looked_at,
            if dry_run {
                " (dry run: nothing purged)"
            } else {
                ""
            }
        );
        if confirmed.is_none() {
            eprintln!(
                "{}: {} says no one has confirmed its periods: set `confirmed = {{ by = \"…\", on = YYYY-MM-DD }}` once the council's records manager has, and purge again",
                if dry_run { "note" } else { "error" },
                retention.display()
            );
            if !dry_run {
                return Err(EXIT_REFUSED);
            }
        }
        return Ok(());
    }
    let actor = Actor::cli(&user());
    let done = register
        .purge(
            &plan.due,
            &crate::digest::sha256(text.as_bytes()),
            &actor.name,
        )
        .map_err(|e| fail(format!("{}: {e}", db.display())))?;
    audit(
        &register,
        &actor,
        "register-purge",
        "docket register purge",
        Some(&format!("{} documents", done.documents)),
        0,
    )?;
    let batches = super::batch_dir(db);
    for id in &done.batches {
        let dir = batches.join(id);
        if dir.is_dir()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            eprintln!("warning: {}: {e}: remove it by hand", dir.display());
        }
    }
    println!(
        "purged {} documents and their {} events, each leaving a tombstone; {} batches' cases and print files removed",
        done.documents,
        done.events,
        done.batches.len()
    );
    Ok(())
}

fn export(db: &Path, upn: &str, output: &Path) -> Result<(), u8> {
    let register = Register::open_beside(db).map_err(|e| fail(format!("{}: {e}", db.display())))?;
    let actor = Actor::cli(&user());
    let found = register.subject_access(upn).map_err(fail)?;
    // Written under a private temporary name beside it and renamed when
    // whole: a ZIP that exists is complete.
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let partial = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    let written = found
        .write_zip(std::io::BufWriter::new(partial))
        .map_err(|e| fail(format!("{}: {e}", output.display())))?;
    written
        .into_inner()
        .map_err(|e| fail(format!("{}: {}", output.display(), e.error())))?
        .persist(output)
        .map_err(|e| fail(format!("{}: {}", output.display(), e.error)))?;
    let mut note = crate::register::NewAudit {
        key_id: None,
        actor: actor.name.clone(),
        on_behalf_of: None,
        action: "subject-access-export".into(),
        method: "cli".into(),
        route: "docket register export".into(),
        target: Some(output.display().to_string()),
        pupil_upn: Some(upn.to_owned()),
        outcome: 0,
    };
    if found.documents.is_empty() && found.batch_cases.is_empty() {
        note.outcome = 404;
    }
    register
        .audit(&[note])
        .map_err(|e| fail(format!("the audit trail could not be written: {e}")))?;
    println!(
        "wrote {}: {} documents, {} batch cases, {} audit rows about {upn}",
        output.display(),
        found.documents.len(),
        found.batch_cases.len(),
        found.audit.len()
    );
    Ok(())
}
