//! `docket templates …`: list, check, new drafts, publish, diff.

use std::path::Path;

use chrono::NaiveDate;
use clap::Subcommand;

use super::{EXIT_REFUSED, fail, load};

/// `docket templates …`.
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the framework's documents by edition and level, with versions.
    List,
    /// Check every version: published files unchanged, effective periods
    /// without gaps or overlaps, samples valid and rendering, variables known.
    Check {
        /// Also write each sample's PDF into this folder, to look at.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Copy the newest version of a kind into a new draft version.
    New {
        /// The document kind.
        kind: String,
    },
    /// Check a draft and publish it, in force from a date.
    Publish {
        /// The document kind.
        kind: String,
        /// The draft version.
        version: String,
        /// First day the version is in force.
        #[arg(long)]
        effective_from: NaiveDate,
    },
    /// Word-level diff of two versions' rendered sample text.
    Diff {
        /// The document kind.
        kind: String,
        /// The older version.
        first: String,
        /// The newer version.
        second: String,
    },
}

/// Runs a `templates` subcommand.
pub(super) fn run(templates: &Path, command: TemplatesCommand) -> Result<(), u8> {
    match command {
        TemplatesCommand::List => list(templates),
        TemplatesCommand::Check { out } => check(templates, out.as_deref()),
        TemplatesCommand::New { kind } => new_draft(templates, &kind),
        TemplatesCommand::Publish {
            kind,
            version,
            effective_from,
        } => publish(templates, &kind, &version, effective_from),
        TemplatesCommand::Diff {
            kind,
            first,
            second,
        } => diff(templates, &kind, &first, &second),
    }
}

fn check(templates: &Path, out: Option<&Path>) -> Result<(), u8> {
    let docket = load(templates)?;
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    }
    let findings = crate::maintain::check_into(&docket, out);
    let versions: usize = docket.templates().kinds().map(|(_, v)| v.len()).sum();
    if findings.is_empty() {
        println!(
            "ok: {versions} versions checked; published versions intact, periods complete, samples render"
        );
        return Ok(());
    }
    for f in &findings {
        eprintln!("{f}");
    }
    eprintln!(
        "error: {} problem(s) in {}",
        findings.len(),
        templates.display()
    );
    Err(EXIT_REFUSED)
}

fn new_draft(templates: &Path, kind: &str) -> Result<(), u8> {
    let (name, dir) = crate::maintain::new_draft(templates, kind).map_err(fail)?;
    println!("created draft {kind}@{name} in {}", dir.display());
    println!(
        "render it with --version {name}; publish it with `docket templates publish {kind} {name} --effective-from DATE`"
    );
    Ok(())
}

fn publish(templates: &Path, kind: &str, version: &str, from: NaiveDate) -> Result<(), u8> {
    match crate::maintain::publish(templates, kind, version, from) {
        Ok(done) => {
            println!("published {} from {from} ({})", done.version, done.hash);
            if let Some((previous, until)) = done.ends {
                println!("{previous} is now in force until {until}");
            }
            Ok(())
        }
        Err(e @ crate::maintain::MaintainError::Checks(_))
        | Err(e @ crate::maintain::MaintainError::Refused(_)) => {
            eprintln!("error: cannot publish {kind}@{version}: {e}");
            Err(EXIT_REFUSED)
        }
        Err(e) => Err(fail(e)),
    }
}

fn diff(templates: &Path, kind: &str, first: &str, second: &str) -> Result<(), u8> {
    let docket = load(templates)?;
    let (a, b) = crate::maintain::version_texts(
        &docket,
        &crate::samples::Samples::new(),
        kind,
        first,
        second,
    )
    .map_err(fail)?;
    let runs = crate::maintain::word_diff(&a, &b);
    if runs
        .iter()
        .all(|r| matches!(r, crate::maintain::Run::Same(_)))
    {
        println!("{kind}: {first} and {second} print the same words");
    } else {
        println!("--- {kind}@{first}\n+++ {kind}@{second}");
        println!("{}", crate::maintain::diff_text(&runs));
    }
    Ok(())
}

fn list(templates: &Path) -> Result<(), u8> {
    let docket = load(templates)?;
    for edition in docket.templates().overview() {
        let to = edition
            .to
            .map_or_else(|| "now".to_owned(), |d| d.to_string());
        println!(
            "{} ({}: {} to {to})",
            edition.name,
            edition.edition.slug(),
            edition.from
        );
        for level in edition.levels {
            println!("  Level {}: {}", level.level, level.name);
            for d in level.documents {
                let versions: Vec<String> = d
                    .versions
                    .iter()
                    .map(|v| {
                        let to = v
                            .effective_to
                            .map_or_else(|| "…".to_owned(), |d| d.to_string());
                        let draft = if v.draft { ", draft" } else { "" };
                        format!("{} ({} to {to}{draft})", v.version, v.effective_from)
                    })
                    .collect();
                let versions = if versions.is_empty() {
                    "no version yet".to_owned()
                } else {
                    versions.join("; ")
                };
                println!("    {:<38} {}", d.kind, d.title);
                println!("    {:<38} {versions}", "");
            }
        }
        println!();
    }
    Ok(())
}
