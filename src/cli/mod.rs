//! The command line: argument definitions (clap) here, one module per
//! subcommand (as typst-cli has), each with its arguments and its function.
//! `main.rs` parses [`Cli`] and calls [`run`].

mod audit;
mod batch;
mod keys;
mod notices;
mod register;
mod render;
mod serve;
mod templates;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::document::Docket;

pub use audit::{AuditArgs, AuditCommand};
pub use batch::{BatchArgs, OrderArg};
pub use keys::KeysCommand;
pub use notices::NoticesCommand;
pub use register::RegisterCommand;
pub use render::RenderArgs;
pub use serve::ServeArgs;
pub use templates::TemplatesCommand;
pub use verify::VerifyArgs;

/// Default template folder.
pub const DEFAULT_TEMPLATES: &str = "letter-templates";

/// docket: school-attendance case data in, letters and legal documents out as PDF.
#[derive(Debug, Parser)]
#[command(name = "docket", version, about)]
pub struct Cli {
    /// Folder of versioned templates.
    #[arg(long, global = true, env = "DOCKET_TEMPLATES", default_value = DEFAULT_TEMPLATES)]
    pub templates: PathBuf,
    /// How log lines are written to standard error: `text`, or `json` (one
    /// object a line, with its spans, for log shippers). `RUST_LOG` filters
    /// them (default `info`).
    #[arg(
        long,
        global = true,
        env = "DOCKET_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    pub log_format: crate::telemetry::LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API.
    Serve(Box<ServeArgs>),
    /// Render one document from a case file.
    Render(RenderArgs),
    /// Work with templates.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Say which template version produced a PDF and whether it is intact.
    Verify(VerifyArgs),
    /// Issue a batch for the print room: print PDF, ZIP and manifest.
    Batch(BatchArgs),
    /// Manage API keys: create, list, revoke.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Read the audit trail (who saw a child's records), or verify it.
    Audit(AuditArgs),
    /// Lapsed penalty notices and the decision each needs
    #[command(subcommand)]
    Notices(NoticesCommand),
    /// Look after the register: backup, verify, purge, subject access export.
    #[command(subcommand)]
    Register(RegisterCommand),
}

/// Exit code when the case data or the request is refused.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for anything else going wrong (files, templates, defects).
pub const EXIT_FAILED: u8 = 3;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve::serve(&cli.templates, *args),
        Command::Render(args) => render::render(&cli.templates, &args),
        Command::Templates(command) => templates::run(&cli.templates, command),
        Command::Verify(args) => verify::verify(&cli.templates, &args),
        Command::Batch(args) => batch::batch(&cli.templates, &args),
        Command::Keys(command) => keys::run(command),
        Command::Audit(args) => audit::run(args),
        Command::Notices(command) => notices::run(&cli.templates, command),
        Command::Register(command) => register::run(&cli.templates, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => ExitCode::from(code),
    }
}

/// Prints `error: …` and gives the exit code for a failure.
fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_FAILED
}

/// Loads the templates, or says how to point at them.
fn load(templates: &Path) -> Result<Docket, u8> {
    Docket::load(templates).map_err(|e| {
        eprintln!("error: cannot load templates: {e}");
        eprintln!("hint: run docket from the repository root, or pass --templates DIR");
        EXIT_FAILED
    })
}

/// Batches' files live beside the register: `docket.db` → `docket.db-batches/`.
fn batch_dir(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-batches");
    PathBuf::from(name)
}

/// The operating system's name for who runs the command (`$USER`), as
/// the register records the command line's actions.
fn user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(uid)
}

/// The process's user id, when no name is given in the environment.
#[cfg(unix)]
fn uid() -> String {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map_or_else(|_| "unknown".to_owned(), |m| format!("uid-{}", m.uid()))
}

#[cfg(not(unix))]
fn uid() -> String {
    "unknown".to_owned()
}

/// Records a command-line action in the audit trail; a trail that cannot
/// be written stops the command (nothing personal is done unrecorded).
fn audit(
    register: &crate::register::Register,
    actor: &crate::access::Actor,
    action: &str,
    command: &str,
    target: Option<&str>,
    outcome: u16,
) -> Result<(), u8> {
    register
        .audit(&[crate::register::NewAudit {
            key_id: actor.key_id.clone(),
            actor: actor.name.clone(),
            on_behalf_of: actor.on_behalf_of.clone(),
            action: action.to_owned(),
            method: "cli".to_owned(),
            route: command.to_owned(),
            target: target.map(str::to_owned),
            pupil_upn: None,
            outcome,
        }])
        .map_err(|e| fail(format!("the audit trail could not be written: {e}")))
}

/// Prints the problems of a refused case, one per line with its rule.
fn print_problems(problems: &[crate::case::Problem]) {
    for p in problems {
        let at = if p.pointer.is_empty() {
            "(whole case)"
        } else {
            &p.pointer
        };
        match &p.rule {
            Some(rule) => eprintln!("  {at}: {} [{rule}]", p.detail),
            None => eprintln!("  {at}: {}", p.detail),
        }
    }
}
