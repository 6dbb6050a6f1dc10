//! `docket render`: one document from a case file, as a proof (nothing is
//! issued). A court bundle reads its exhibits and chronology from the
//! register, opened only then: a letter's proof never creates one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;

use super::{EXIT_REFUSED, fail, load, print_problems};
use crate::document::{DocumentError, Part, Purpose, Request};
use crate::evidence::{Event, Issued, PriorNotice, Records, RecordsError};
use crate::register::Register;
use crate::render::Pdf;

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
    /// A proof in this translation (a language code such as `pl`), reviewed
    /// or not, before the English letter.
    #[arg(long)]
    pub translation: Option<String>,
    /// Where to write the PDF.
    #[arg(long, short)]
    pub output: PathBuf,
    /// The register of issued documents, read for a court bundle's exhibits
    /// and chronology.
    #[arg(long, env = "DOCKET_DB", default_value = "docket.db")]
    pub db: PathBuf,
}

/// The register at a path, opened the first time the pipeline reads it:
/// only a court bundle does, so a letter's proof never creates a register.
struct LazyRegister<'a> {
    path: &'a Path,
    opened: OnceLock<Result<Register, String>>,
}

impl LazyRegister<'_> {
    fn get(&self) -> Result<&Register, RecordsError> {
        self.opened
            .get_or_init(|| {
                Register::open(self.path).map_err(|e| format!("{}: {e}", self.path.display()))
            })
            .as_ref()
            .map_err(|e| RecordsError::Unavailable(e.clone().into()))
    }
}

impl Records for LazyRegister<'_> {
    fn document(&self, reference: &str) -> Result<Option<Issued>, RecordsError> {
        self.get()?.document(reference)
    }
    fn pdf(&self, reference: &str) -> Result<Vec<u8>, RecordsError> {
        Records::pdf(self.get()?, reference)
    }
    fn history(&self, pupil_upn: &str) -> Result<Vec<Issued>, RecordsError> {
        Records::history(self.get()?, pupil_upn)
    }
    fn timeline(&self, reference: &str) -> Result<Vec<Event>, RecordsError> {
        Records::timeline(self.get()?, reference)
    }
    fn prior_notices(&self, upn: &str, key: &str) -> Result<Vec<PriorNotice>, RecordsError> {
        Records::prior_notices(self.get()?, upn, key)
    }
    fn case(&self, reference: &str) -> Result<serde_json::Value, RecordsError> {
        Records::case(self.get()?, reference)
    }
    fn penalty_period(
        &self,
        reference: &str,
    ) -> Result<Option<(NaiveDate, NaiveDate)>, RecordsError> {
        Records::penalty_period(self.get()?, reference)
    }
    fn last_day_to_pay(&self, reference: &str) -> Result<Option<NaiveDate>, RecordsError> {
        Records::last_day_to_pay(self.get()?, reference)
    }
}

/// `docket render`: writes the PDF, or prints the problems and exits 1.
pub(super) fn render(templates: &Path, args: &RenderArgs) -> Result<(), u8> {
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
        purpose: Purpose::Proof,
        drafts: true,
        translation: args.translation.as_deref(),
    };
    let register = LazyRegister {
        path: &args.db,
        opened: OnceLock::new(),
    };
    let result = docket
        .check(&request, &register)
        .and_then(|checked| docket.render(&checked, Part::All, &Pdf));
    let rendered = match result {
        Ok(r) => r,
        Err(DocumentError::Invalid(problems)) => {
            eprintln!("error: the case data is not valid for {}:", args.kind);
            print_problems(&problems.0);
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
    for w in &rendered.warnings {
        eprintln!("warning [{}]: {}", w.rule, w.detail);
    }
    write_atomically(&args.output, &rendered.output)
        .map_err(|e| fail(format!("{}: {e}", args.output.display())))?;
    eprintln!(
        "wrote {} ({} bytes, {}, {} cop{})",
        args.output.display(),
        rendered.output.len(),
        rendered.version.id(),
        rendered.copies,
        if rendered.copies == 1 { "y" } else { "ies" }
    );
    Ok(())
}

/// Writes beside the target and renames, so a failure never leaves half a PDF.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
