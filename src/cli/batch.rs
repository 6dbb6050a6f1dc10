//! `docket batch`: a batch for the print room from a JSON or CSV file,
//! issued into the register, its print PDF, ZIP and manifest placed in a
//! folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;

use super::{EXIT_REFUSED, batch_dir, fail, load};

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
    /// Who the batch is for, recorded beside the operator (the register
    /// records the command line's user, `cli:$USER`, as who did it).
    #[arg(long)]
    pub requested_by: Option<String>,
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

pub(super) fn batch(templates: &Path, args: &BatchArgs) -> Result<(), u8> {
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
    let actor = crate::access::Actor {
        on_behalf_of: args.requested_by.clone(),
        ..crate::access::Actor::cli(&super::user())
    };
    let batches = crate::batch::Batches::new(
        Arc::clone(&register),
        batch_dir(&args.db),
        crate::http::error::describe,
    );
    let check = |options: &crate::batch::BatchOptions| -> Result<(), u8> {
        if options.as_of.is_some() {
            return Err(refuse(vec![crate::case::Problem::refusal(
                "/as_of",
                "issue.as-of",
                "a batch issues every case under the version in force on the case's own date; as_of chooses a version for a proof only",
            )]));
        }
        docket
            .templates()
            .select_on(&options.kind, options.version.as_deref(), None)
            .map_err(fail)?;
        let problems = options.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(refuse(problems))
        }
    };
    let made = |creation: crate::batch::Creation| -> Result<String, u8> {
        match creation {
            crate::batch::Creation::Made(id) | crate::batch::Creation::Existing(id) => Ok(id),
            crate::batch::Creation::KeyReused => Err(fail("the batch's key was used before")),
            crate::batch::Creation::TooMany(n) => {
                Err(fail(format!("{n} batches are queued or running already")))
            }
            crate::batch::Creation::Refused(problems) => Err(refuse(problems)),
        }
    };
    let id = if is_csv {
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
        let mut rows = crate::batch::csv::cases(text.as_bytes()).map_err(refuse)?;
        made(
            batches
                .create(&options, &mut rows, None, &actor, None)
                .map_err(fail)?,
        )?
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
        let mut cases = request
            .cases
            .iter()
            .map(|c| Ok(std::borrow::Cow::Borrowed(c.get())));
        made(
            batches
                .create(&request.options, &mut cases, None, &actor, None)
                .map_err(fail)?,
        )?
    };
    // The cases are in the register now: free their text before the run.
    drop(text);
    let workers = args
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let tty = std::io::stderr().is_terminal();
    let cases = batches.summary(&id).map_err(fail)?.total;
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
    let outcome = if result.is_ok() { 0 } else { 500 };
    super::audit(
        &register,
        &actor,
        "batch",
        "docket batch",
        Some(&id),
        outcome,
    )?;
    result.map_err(fail)?;
    crate::files::private_dir(&args.output)
        .map_err(|e| fail(format!("{}: {e}", args.output.display())))?;
    let summary = batches.summary(&id).map_err(fail)?;
    for name in &summary.files {
        let to = args.output.join(name);
        place(&batches.output(&id, name), &to)
            .map_err(|e| fail(format!("{}: {e}", to.display())))?;
    }
    eprintln!(
        "batch {id}: {} cases, {} documents issued, {} refused, in {:.1} s; wrote {} to {}",
        summary.total,
        summary.documents,
        summary.failed,
        started.elapsed().as_secs_f64(),
        summary.files.join(", "),
        args.output.display()
    );
    let refused = batches
        .status(
            &id,
            1,
            crate::batch::PER_PAGE.1,
            Some(crate::register::RecordState::Refused),
        )
        .map_err(fail)?;
    if refused.pages > 1 {
        eprintln!(
            "  (the first {} refusals: manifest.csv lists them all)",
            refused.records.len()
        );
    }
    for r in &refused.records {
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
