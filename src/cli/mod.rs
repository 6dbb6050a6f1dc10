//! The command line: argument definitions (clap) here, one module per
//! subcommand (as typst-cli has), each with its arguments and its function.
//! `main.rs` parses [`Cli`] and calls [`run`].

mod batch;
mod render;
mod serve;
mod templates;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::document::Docket;

pub use batch::{BatchArgs, OrderArg};
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
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API.
    Serve(ServeArgs),
    /// Render one document from a case file.
    Render(RenderArgs),
    /// Work with templates.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Say which template version produced a PDF and whether it is intact.
    Verify(VerifyArgs),
    /// Issue a batch for the print room: print PDF, ZIP and manifest.
    Batch(BatchArgs),
}

/// Exit code when the case data or the request is refused.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for anything else going wrong (files, templates, defects).
pub const EXIT_FAILED: u8 = 3;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve::serve(&cli.templates, args),
        Command::Render(args) => render::render(&cli.templates, &args),
        Command::Templates(command) => templates::run(&cli.templates, command),
        Command::Verify(args) => verify::verify(&cli.templates, &args),
        Command::Batch(args) => batch::batch(&cli.templates, &args),
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
