//! `docket verify`: which template version produced a PDF, and whether it
//! is intact.

use std::path::{Path, PathBuf};

use super::{EXIT_REFUSED, fail, load};

/// `docket verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The PDF.
    pub pdf: PathBuf,
    /// Also check that the PDF was made from this case file.
    #[arg(long)]
    pub case: Option<PathBuf>,
}

pub(super) fn verify(templates: &Path, args: &VerifyArgs) -> Result<(), u8> {
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
            .map(|case| crate::document::case_hash(&case).is_ok_and(|h| h == p.case_hash))
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
