//! The command line: argument definitions (clap) and one function per
//! subcommand. `main.rs` parses [`Cli`] and calls [`run`].

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::document::{Docket, DocumentError, Request};
use crate::http::{self, ServeOptions};

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

/// `docket batch`.
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// The batch: JSON, `{"kind", "cases": [...], "order"?, "version"?,
    /// "as_of"?, "separators"?}`, or CSV (a `.csv` file, or `--kind` given),
    /// one case per row with columns named by field path (see
    /// `GET /v1/templates/{kind}/{version}/batch.csv`). `-` reads standard input.
    pub file: PathBuf,
    /// For CSV: the document kind, e.g. `penalty-notice`.
    #[arg(long)]
    pub kind: Option<String>,
    /// For CSV: pin a template version instead of choosing by date.
    #[arg(long)]
    pub version: Option<String>,
    /// For CSV: choose the version in force on this date (default: today).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// For CSV: the print PDF's order: postcode, school or input.
    #[arg(long, value_enum)]
    pub order: Option<OrderArg>,
    /// For CSV: a separator sheet before each school's notices.
    #[arg(long)]
    pub separators: bool,
    /// Folder for print.pdf, documents.zip and manifest.csv.
    #[arg(long, short)]
    pub output: PathBuf,
    /// The register of issued documents.
    #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
    pub db: PathBuf,
    /// Renders at once (default: the number of cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Recorded in the register as who asked.
    #[arg(long, default_value = "docket batch")]
    pub requested_by: String,
}

/// The print PDF's order, on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OrderArg {
    /// By postcode, for the postal sort.
    Postcode,
    /// By school, then postcode.
    School,
    /// As the rows are given.
    Input,
}

impl From<OrderArg> for crate::batch::Order {
    fn from(o: OrderArg) -> Self {
        match o {
            OrderArg::Postcode => Self::Postcode,
            OrderArg::School => Self::School,
            OrderArg::Input => Self::Input,
        }
    }
}

/// `docket verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The PDF.
    pub pdf: PathBuf,
    /// Also check that the PDF was made from this case file.
    #[arg(long)]
    pub case: Option<PathBuf>,
}

/// `docket serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DOCKET_ADDR", default_value = http::DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Largest request body, in bytes.
    #[arg(long, env = "DOCKET_BODY_LIMIT", default_value_t = http::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Renders at once (default: the number of cores).
    #[arg(long, env = "DOCKET_WORKERS")]
    pub workers: Option<usize>,
    /// Renders that may wait for a worker before callers get 503.
    #[arg(long, env = "DOCKET_QUEUE", default_value_t = http::DEFAULT_QUEUE)]
    pub queue: usize,
    /// Time limit for one render, in milliseconds.
    #[arg(long, env = "DOCKET_RENDER_TIMEOUT_MS", default_value_t = 10_000)]
    pub render_timeout_ms: u64,
    /// Development mode for template maintainers: drafts render, the studio
    /// at /studio is on, and edits under the template folder re-render open
    /// previews. Serves even if a published version's files have changed.
    #[arg(long)]
    pub dev: bool,
    /// The register of issued documents (SQLite; created and migrated on start).
    #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
    pub db: PathBuf,
    /// Outside development mode, a maintainer who sends this key
    /// (`Authorization: Bearer <key>`) may render drafts and use the studio.
    #[arg(long, env = "DOCKET_MAINTAINER_KEY", hide_env_values = true)]
    pub maintainer_key: Option<String>,
    /// Attempts to deliver a batch's callback.
    #[arg(long, env = "DOCKET_CALLBACK_ATTEMPTS", default_value_t = 6)]
    pub callback_attempts: u32,
    /// Wait after a batch callback's first failed attempt, in milliseconds;
    /// each later wait doubles.
    #[arg(long, env = "DOCKET_CALLBACK_FIRST_WAIT_MS", default_value_t = 2_000)]
    pub callback_first_wait_ms: u64,
}

/// `docket render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Document kind, e.g. `absence-concern-letter`.
    pub kind: String,
    /// The case, as a JSON file (`-` for standard input).
    #[arg(long, short)]
    pub data: PathBuf,
    /// Pin a template version instead of choosing by date.
    #[arg(long)]
    pub version: Option<String>,
    /// Choose the version in force on this date (default: today).
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// Render only the copy for this parent (index into `parents`).
    #[arg(long)]
    pub recipient: Option<usize>,
    /// Where to write the PDF.
    #[arg(long, short)]
    pub output: PathBuf,
    /// The register of issued documents, read for a court bundle's exhibits
    /// and chronology.
    #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
    pub db: PathBuf,
}

/// `docket templates …`.
#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the framework's documents by edition and level, with versions.
    List,
    /// Check every version: published files unchanged, effective periods
    /// without gaps or overlaps, samples valid and rendering, variables known.
    Check,
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

/// Exit code when the case data or the request is refused.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for anything else going wrong (files, templates, defects).
pub const EXIT_FAILED: u8 = 3;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Serve(args) => serve(&cli.templates, args),
        Command::Render(args) => render(&cli.templates, &args),
        Command::Templates(TemplatesCommand::List) => list(&cli.templates),
        Command::Templates(TemplatesCommand::Check) => check(&cli.templates),
        Command::Templates(TemplatesCommand::New { kind }) => new_draft(&cli.templates, &kind),
        Command::Templates(TemplatesCommand::Publish {
            kind,
            version,
            effective_from,
        }) => publish(&cli.templates, &kind, &version, effective_from),
        Command::Templates(TemplatesCommand::Diff {
            kind,
            first,
            second,
        }) => diff(&cli.templates, &kind, &first, &second),
        Command::Verify(args) => verify(&cli.templates, &args),
        Command::Batch(args) => batch(&cli.templates, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => ExitCode::from(code),
    }
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_FAILED
}

fn load(templates: &Path) -> Result<Docket, u8> {
    Docket::load(templates).map_err(|e| {
        eprintln!("error: cannot load templates: {e}");
        eprintln!("hint: run docket from the repository root, or pass --templates DIR");
        EXIT_FAILED
    })
}

fn serve(templates: &Path, args: ServeArgs) -> Result<(), u8> {
    let docket = Arc::new(load(templates)?);
    let modified = docket.templates().modified();
    for (version, files) in &modified {
        eprintln!(
            "{}: published version {version} has changed: {}",
            if args.dev { "warning" } else { "error" },
            files.join(", ")
        );
    }
    if !modified.is_empty() && !args.dev {
        eprintln!(
            "hint: published versions are immutable; `docket templates check` explains, or serve with --dev while editing"
        );
        return Err(EXIT_FAILED);
    }
    let defaults = ServeOptions::default();
    let options = ServeOptions {
        body_limit: args.body_limit,
        workers: args.workers.unwrap_or(defaults.workers),
        queue: args.queue,
        render_timeout: Duration::from_millis(args.render_timeout_ms),
        dev: args.dev,
        maintainer_key: args.maintainer_key.filter(|k| !k.is_empty()),
        register: Some(Arc::new(
            crate::register::Register::open(&args.db)
                .map_err(|e| fail(format!("{}: {e}", args.db.display())))?,
        )),
        batch_dir: Some(batch_dir(&args.db)),
        callback_retry: crate::batch::callback::Retry {
            attempts: args.callback_attempts.max(1),
            first_wait: std::time::Duration::from_millis(args.callback_first_wait_ms),
            ..Default::default()
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    runtime
        .block_on(http::run(args.addr, docket, options))
        .map_err(|e| fail(format!("cannot serve on {}: {e}", args.addr)))
}

fn render(templates: &Path, args: &RenderArgs) -> Result<(), u8> {
    let docket = load(templates)?;
    let text = if args.data.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| fail(format!("standard input: {e}")))?
    } else {
        std::fs::read_to_string(&args.data)
            .map_err(|e| fail(format!("{}: {e}", args.data.display())))?
    };
    let case: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        eprintln!("error: {} is not valid JSON: {e}", args.data.display());
        EXIT_REFUSED
    })?;
    let request = Request {
        kind: &args.kind,
        version: args.version.as_deref(),
        as_of: args.as_of,
        recipient: args.recipient,
        case: &case,
    };
    // A court bundle takes its exhibits and chronology from the register,
    // opened only then (a letter's proof never creates one).
    let needs_register = docket
        .templates()
        .select_on(&args.kind, args.version.as_deref(), args.as_of)
        .is_ok_and(|v| crate::bundle::needs_register(&v.entry.sections));
    let result = if needs_register {
        let register = crate::register::Register::open(&args.db)
            .map_err(|e| fail(format!("{}: {e}", args.db.display())))?;
        match crate::bundle::render(&docket, &register, &request) {
            Ok((rendered, warnings)) => {
                for w in &warnings {
                    eprintln!("warning [{}]: {}", w.rule, w.detail);
                }
                Ok(rendered)
            }
            Err(crate::bundle::BundleError::Refused(p)) => {
                Err(DocumentError::Invalid(crate::case::Problems(p)))
            }
            Err(crate::bundle::BundleError::Document(d)) => Err(d),
            Err(e) => return Err(fail(e)),
        }
    } else {
        docket.render(&request)
    };
    let rendered = match result {
        Ok(r) => r,
        Err(DocumentError::Invalid(problems)) => {
            eprintln!("error: the case data is not valid for {}:", args.kind);
            for p in &problems.0 {
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
            return Err(EXIT_REFUSED);
        }
        Err(
            e @ DocumentError::Template(
                crate::templates::TemplateError::UnknownKind(_)
                | crate::templates::TemplateError::UnknownVersion { .. }
                | crate::templates::TemplateError::NotInForce { .. },
            ),
        ) => {
            eprintln!("error: {e}");
            eprintln!("hint: `docket templates list` shows the kinds and versions");
            return Err(EXIT_REFUSED);
        }
        Err(e) => return Err(fail(e)),
    };
    write_atomically(&args.output, &rendered.pdf)
        .map_err(|e| fail(format!("{}: {e}", args.output.display())))?;
    eprintln!(
        "wrote {} ({} bytes, {}, {} cop{})",
        args.output.display(),
        rendered.pdf.len(),
        rendered.version.id(),
        rendered.copies,
        if rendered.copies == 1 { "y" } else { "ies" }
    );
    Ok(())
}

fn check(templates: &Path) -> Result<(), u8> {
    let docket = load(templates)?;
    let findings = crate::maintain::check(&docket);
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
    let (a, b) = crate::maintain::version_texts(&docket, kind, first, second).map_err(fail)?;
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

fn verify(templates: &Path, args: &VerifyArgs) -> Result<(), u8> {
    let docket = load(templates)?;
    let pdf = std::fs::read(&args.pdf).map_err(|e| fail(format!("{}: {e}", args.pdf.display())))?;
    let found = crate::verify::verify(docket.templates(), &pdf).map_err(|e| {
        eprintln!("error: {}: {e}", args.pdf.display());
        EXIT_REFUSED
    })?;
    let p = &found.provenance;
    println!("{}", args.pdf.display());
    println!(
        "  document   {}@{} (reference {})",
        p.kind, p.version, p.reference
    );
    println!("  template   {}", p.template_hash);
    println!("  case       {}", p.case_hash);
    println!("  rendered   by docket {}", p.docket);
    let mut ok = found.intact();
    match &found.status {
        crate::verify::Status::Intact => println!(
            "  status     intact: {}@{} is published and unchanged",
            p.kind, p.version
        ),
        crate::verify::Status::Changed { files } if files.is_empty() => println!(
            "  status     NOT intact: the version's files differ from what this PDF was made from"
        ),
        crate::verify::Status::Changed { files } => println!(
            "  status     NOT intact: changed since publication: {}",
            files.join(", ")
        ),
        crate::verify::Status::Unpublished => println!(
            "  status     NOT intact: {}@{} is not a published version",
            p.kind, p.version
        ),
        crate::verify::Status::Unknown => println!(
            "  status     NOT intact: there is no {}@{} in {}",
            p.kind,
            p.version,
            templates.display()
        ),
    }
    if let Some(path) = &args.case {
        let text =
            std::fs::read_to_string(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let same = serde_json::from_value::<crate::case::Case>(value)
            .map(|case| crate::document::case_hash(&case) == p.case_hash)
            .unwrap_or(false);
        println!(
            "  case file  {}",
            if same {
                "matches: the PDF was made from this case"
            } else {
                "does NOT match this PDF"
            }
        );
        ok &= same;
    }
    if ok { Ok(()) } else { Err(EXIT_REFUSED) }
}

fn batch(templates: &Path, args: &BatchArgs) -> Result<(), u8> {
    use std::io::IsTerminal;
    let docket = load(templates)?;
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| fail(format!("standard input: {e}")))?
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|e| fail(format!("{}: {e}", args.file.display())))?
    };
    let is_csv = args.kind.is_some()
        || args
            .file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let refuse = |problems: Vec<crate::case::Problem>| {
        eprintln!("error: {} cannot be run as a batch:", args.file.display());
        for p in problems {
            eprintln!(
                "  {}: {}",
                if p.pointer.is_empty() {
                    "/"
                } else {
                    &p.pointer
                },
                p.detail
            );
        }
        EXIT_REFUSED
    };
    let register = Arc::new(
        crate::register::Register::open(&args.db)
            .map_err(|e| fail(format!("{}: {e}", args.db.display())))?,
    );
    let batches = crate::batch::Batches::new(register, batch_dir(&args.db));
    let check = |options: &crate::batch::BatchOptions| -> Result<(), u8> {
        docket
            .templates()
            .select_on(&options.kind, options.version.as_deref(), options.as_of)
            .map_err(fail)?;
        let problems = options.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(refuse(problems))
        }
    };
    let (id, cases) = if is_csv {
        let Some(kind) = args.kind.clone() else {
            return Err(refuse(vec![crate::case::Problem::new(
                "",
                "a CSV batch needs --kind, e.g. --kind penalty-notice",
            )]));
        };
        let options = crate::batch::BatchOptions {
            kind,
            version: args.version.clone(),
            as_of: args.as_of,
            order: args.order.map(Into::into).unwrap_or_default(),
            separators: args.separators,
            callback_url: None,
        };
        check(&options)?;
        let rows = crate::batch::csv::cases(text.as_bytes()).map_err(refuse)?;
        let (id, _) = batches
            .create_from(
                &options,
                &mut rows.iter().map(String::as_str),
                rows.len(),
                None,
                &args.requested_by,
            )
            .map_err(fail)?;
        (id, rows.len())
    } else {
        let mut request: crate::batch::BatchRequest<'_> =
            serde_json::from_str(&text).map_err(|e| {
                eprintln!("error: {} is not a batch request: {e}", args.file.display());
                EXIT_REFUSED
            })?;
        // Options on the command line win over the file's.
        if let Some(order) = args.order {
            request.options.order = order.into();
        }
        request.options.separators |= args.separators;
        check(&request.options)?;
        let (id, _) = batches
            .create(&request, None, &args.requested_by)
            .map_err(fail)?;
        (id, request.cases.len())
    };
    // The cases are in the register now: free their text before the run.
    drop(text);
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let tty = std::io::stderr().is_terminal();
    let step = (cases / 20).max(1);
    let started = std::time::Instant::now();
    let progress = |done: usize, total: usize| {
        if tty {
            let width = 30;
            let filled = (done * width)
                .checked_div(total)
                .unwrap_or(width)
                .min(width);
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
        } else if done.is_multiple_of(step) || done == total {
            eprintln!("{done}/{total} cases");
        }
    };
    let result = batches.run(&docket, &id, workers, &progress);
    if tty {
        eprintln!();
    }
    result.map_err(fail)?;
    std::fs::create_dir_all(&args.output)
        .map_err(|e| fail(format!("{}: {e}", args.output.display())))?;
    for name in crate::batch::OUTPUTS {
        let to = args.output.join(name);
        place(&batches.output(&id, name), &to)
            .map_err(|e| fail(format!("{}: {e}", to.display())))?;
    }
    let status = batches.status(&id).map_err(fail)?;
    let pieces: usize = status.records.iter().map(|r| r.references.len()).sum();
    eprintln!(
        "batch {id}: {} cases, {pieces} documents issued, {} refused, in {:.1} s; wrote print.pdf, documents.zip and manifest.csv to {}",
        status.total,
        status.failed,
        started.elapsed().as_secs_f64(),
        args.output.display()
    );
    for r in status.records.iter().filter(|r| r.status == "refused") {
        let why = r
            .problem
            .as_ref()
            .map(|p| {
                p["errors"]
                    .as_array()
                    .map(|errs| {
                        errs.iter()
                            .map(|e| {
                                format!(
                                    "{} {}",
                                    e["pointer"].as_str().unwrap_or(""),
                                    e["detail"].as_str().unwrap_or("")
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_else(|| p["detail"].as_str().unwrap_or("").to_owned())
            })
            .unwrap_or_default();
        eprintln!("  case {} refused: {why}", r.index);
    }
    Ok(())
}

/// Puts a batch's output at `to`: a hard link to the register's copy where
/// they share a file system (a 10,000-notice batch's files are 1.3 GB, and
/// copying them took as long as writing them), a copy otherwise. The
/// outputs are never changed once written, so the two names stay equal.
fn place(from: &Path, to: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(to) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to)?;
    }
    Ok(())
}

/// Batches' files live beside the register: `docket.db` → `docket.db-batches/`.
fn batch_dir(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-batches");
    PathBuf::from(name)
}

/// Writes beside the target and renames, so a failure never leaves half a PDF.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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
