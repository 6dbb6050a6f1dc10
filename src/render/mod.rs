//! Typesetting: compiles filled templates to PDF in-process with Typst.
//!
//! Fonts and the standard library are built once ([`Renderer::new`]) and
//! shared by every render; each template version's files are parsed once on
//! first use. Each render compiles the document, stamps its metadata and
//! exports PDF/A-2b + PDF/UA-1 with a timestamp and identifier taken from the
//! document, never from the clock, so the same input gives the same bytes.
//! Every few compiles, successful or not, comemo's cache is trimmed so memory
//! stays flat over any number of renders.

pub mod fonts;
pub mod overlay;
pub mod pool;
pub mod world;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Datetime, Smart};
use typst::syntax::Source;
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::templates::Version;
use world::{LetterWorld, Shared, VersionFiles};

/// How many compiles an unused cache entry survives (see `comemo::evict`).
/// Measured: 10 keeps memory flat and is faster than no reuse at all.
const CACHE_MAX_AGE: usize = 10;

/// Compiles between trims of the cache. `comemo::evict` walks the whole
/// cache (a fortieth of a batch's time when run after every compile), so it
/// runs after every fourth, keeping entries unused for about as many
/// compiles as [`CACHE_MAX_AGE`].
const TRIM_EVERY: usize = 4;

static COMPILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts a compile, and trims the cache every [`TRIM_EVERY`] compiles.
fn compiled_one() {
    let n = COMPILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if n % TRIM_EVERY == TRIM_EVERY - 1 {
        comemo::evict(CACHE_MAX_AGE / TRIM_EVERY);
    }
}

/// One message from the Typst compiler, located in a template file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: &'static str,
    /// The file: `main.typ` (the filled template) or a layout/version file.
    pub file: String,
    /// 1-based line in that file, 0 if unknown.
    pub line: usize,
    /// The message, with any hints.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}:{}: {}",
            self.severity, self.file, self.line, self.message
        )
    }
}

/// Why a render failed. Every variant is a defect in a template or in docket,
/// never in the caller's data, which is validated before it gets here.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Typst could not compile the filled template.
    #[error("typst compile failed: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Compile(Vec<Diagnostic>),
    /// Typst could not export the PDF.
    #[error("PDF export failed: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Export(Vec<Diagnostic>),
    /// A supplied PDF page could not be drawn onto the document.
    #[error(transparent)]
    Overlay(#[from] overlay::OverlayError),
    /// The document has more pages than the service makes.
    #[error("the document would have {pages} pages; at most {limit} are made (--max-pages)")]
    TooManyPages {
        /// Its pages.
        pages: usize,
        /// The limit.
        limit: usize,
    },
}

/// How long the stages of one render took.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTimes {
    /// Typst compile (evaluation and layout).
    pub compile: Duration,
    /// PDF export.
    pub export: Duration,
}

/// What a PDF says about itself.
#[derive(Debug, Clone)]
pub struct DocumentInfo {
    /// Title shown by PDF readers.
    pub title: String,
    /// Author: the sender's name.
    pub author: String,
    /// Stable identifier of this document (kind, version, reference,
    /// recipient): the PDF's /ID is derived from it.
    pub ident: String,
    /// The document's date: creation timestamp and Typst's "today".
    pub date: NaiveDate,
    /// Keywords: `docket`, `kind:<kind>`, `version:<version>`.
    pub keywords: Vec<String>,
    /// Subject line, e.g. `absence-concern-letter@kpas-1`.
    pub subject: String,
    /// Whether the document attaches files and places supplied PDF pages (a
    /// court bundle): then PDF/A-3b, and PDF/UA-1 only if its template tags
    /// the pages it draws on.
    pub attachments: bool,
}

/// The render engine: shared fonts and library, per-version parsed files.
#[derive(Debug)]
pub struct Renderer {
    shared: Arc<Shared>,
    versions: RwLock<HashMap<String, Arc<VersionFiles>>>,
    max_pages: usize,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// Loads fonts and builds the standard library: a few milliseconds, once.
    pub fn new() -> Self {
        let main_id = world::file_id("/main.typ")
            .unwrap_or_else(|| unreachable!("/main.typ is a valid virtual path"));
        let shared = Shared {
            library: LazyHash::new(Library::builder().build()),
            fonts: fonts::Fonts::embedded(),
            main_id,
        };
        Self {
            shared: Arc::new(shared),
            versions: RwLock::new(HashMap::new()),
            max_pages: usize::MAX,
        }
    }

    /// Refuses documents of more than `pages` pages
    /// ([`RenderError::TooManyPages`]) before they are exported.
    pub fn set_max_pages(&mut self, pages: usize) {
        self.max_pages = pages;
    }

    /// Whether the fonts can print `c`.
    pub fn covers(&self, c: char) -> bool {
        self.shared.fonts.covers(c)
    }

    fn files_for(&self, version: &Version) -> Arc<VersionFiles> {
        let key = version.id();
        if let Some(files) = self.versions.read().ok().and_then(|m| m.get(&key).cloned()) {
            return files;
        }
        let files = Arc::new(VersionFiles::new(&version.files));
        if let Ok(mut map) = self.versions.write() {
            map.entry(key).or_insert_with(|| Arc::clone(&files));
        }
        files
    }

    /// Compiles `markup` (a filled template of `version`) with `extra`
    /// files supplied to this render only (see [`world::extra_files`]), and
    /// finishes the document in `format`. Every few compiles, failed ones
    /// included, Typst's cache is trimmed.
    pub fn typeset<F: Format>(
        &self,
        version: &Version,
        markup: String,
        info: &DocumentInfo,
        extra: &[(String, Vec<u8>)],
        format: &F,
    ) -> Result<(F::Output, StageTimes), RenderError> {
        let start = Instant::now();
        let files = self.files_for(version);
        let extra_ids = world::extra_files(extra);
        let mut world = self.world(&files, markup, info.date);
        world.extra = &extra_ids;
        let compiled = tracing::info_span!("compile")
            .in_scope(|| compile_in(&world))
            .and_then(|document| match document.pages().len() {
                n if n > self.max_pages => Err(RenderError::TooManyPages {
                    pages: n,
                    limit: self.max_pages,
                }),
                _ => Ok(document),
            });
        drop(world);
        let compile = start.elapsed();
        let result = compiled.and_then(|document| {
            tracing::info_span!("export").in_scope(|| format.finish(self, document, info, extra))
        });
        compiled_one();
        let times = StageTimes {
            compile,
            export: start.elapsed() - compile,
        };
        tracing::debug!(
            compile_us = times.compile.as_micros() as u64,
            export_us = times.export.as_micros() as u64,
            "rendered"
        );
        result.map(|output| (output, times))
    }

    /// Exports a compiled document with `info`; `tagged_overlays` when its
    /// template tags the pages it has drawn on (see [`overlay`]).
    pub fn export(
        &self,
        mut document: PagedDocument,
        info: &DocumentInfo,
        tagged_overlays: bool,
    ) -> Result<Vec<u8>, RenderError> {
        stamp(&mut document, info);
        // A court bundle is PDF/A-3b: it attaches its case data and its
        // exhibits' original files (PDF/A-3 allows any attachment). Its
        // exhibits' pages are drawn on after export; where the template
        // gives each a figure with the page's text (bundles from kpas-2),
        // the drawn page is tagged as that figure and the bundle is PDF/UA-1
        // too. Earlier bundles claim PDF/A-3b alone, as they were issued.
        // Everything else is PDF/A-2b and PDF/UA-1.
        let claimed: &[PdfStandard] = match (info.attachments, tagged_overlays) {
            (true, true) => &[PdfStandard::A_3b, PdfStandard::Ua_1],
            (true, false) => &[PdfStandard::A_3b],
            (false, _) => &[PdfStandard::A_2b, PdfStandard::Ua_1],
        };
        let standards = PdfStandards::new(claimed).map_err(|e| {
            RenderError::Export(vec![Diagnostic {
                severity: "error",
                file: String::new(),
                line: 0,
                message: e.message().to_string(),
            }])
        })?;
        let options = PdfOptions {
            ident: Smart::Custom(info.ident.clone()),
            creator: Smart::Custom(Some(format!("docket {}", env!("CARGO_PKG_VERSION")))),
            timestamp: Some(Timestamp::new_utc(typst_date(info.date))),
            standards,
            tagged: true,
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options)
            .map_err(|diags| RenderError::Export(locate_all(None, &diags)))
    }

    fn world<'a>(
        &'a self,
        files: &'a VersionFiles,
        markup: String,
        date: NaiveDate,
    ) -> LetterWorld<'a> {
        LetterWorld {
            shared: &self.shared,
            main: Source::new(self.shared.main_id, markup),
            files,
            today: typst_date(date),
            extra: &NO_FILES,
        }
    }
}

static NO_FILES: std::sync::LazyLock<HashMap<typst::syntax::FileId, typst::foundations::Bytes>> =
    std::sync::LazyLock::new(HashMap::new);

fn compile_in(world: &LetterWorld<'_>) -> Result<PagedDocument, RenderError> {
    let warned = typst::compile::<PagedDocument>(world);
    warned
        .output
        .map_err(|diags| RenderError::Compile(locate_all(Some(world), &diags)))
}

/// Sets the metadata after compiling: per-document values in `set document`
/// would defeat Typst's caching.
fn stamp(document: &mut PagedDocument, info: &DocumentInfo) {
    let meta = document.info_mut();
    meta.title = Some(info.title.as_str().into());
    meta.author = vec![info.author.as_str().into()];
    meta.description = Some(info.subject.as_str().into());
    meta.keywords = info.keywords.iter().map(|k| k.as_str().into()).collect();
}

fn typst_date(date: NaiveDate) -> Datetime {
    let (m, d) = (date.month() as u8, date.day() as u8);
    Datetime::from_ymd(date.year(), m, d)
        .unwrap_or_else(|| unreachable!("a chrono date is a valid Typst date"))
}

fn locate_all(world: Option<&dyn World>, diags: &[SourceDiagnostic]) -> Vec<Diagnostic> {
    diags.iter().map(|d| locate(world, d)).collect()
}

fn locate(world: Option<&dyn World>, diag: &SourceDiagnostic) -> Diagnostic {
    let mut file = String::new();
    let mut line = 0;
    if let (Some(world), Some(id)) = (world, diag.span.id()) {
        file = id.vpath().get_without_slash().to_owned();
        if let (Ok(source), Some(range)) = (world.source(id), world.range(diag.span)) {
            line = source
                .lines()
                .byte_to_line(range.start)
                .map_or(0, |l| l + 1);
        }
    }
    let mut message = diag.message.to_string();
    for hint in &diag.hints {
        message.push_str(&format!(" (hint: {})", hint.v));
    }
    Diagnostic {
        severity: match diag.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        file,
        line,
        message,
    }
}

/// The text of a compiled document in reading order: one line per line of
/// type, runs on a line joined (with a space where they stand apart), pages
/// separated by a form feed. Used to compare versions' wording.
pub fn plain_text(document: &PagedDocument) -> String {
    use typst::layout::{Abs, Frame, FrameItem, Point};

    struct Run {
        y: Abs,
        x: Abs,
        end: Abs,
        text: String,
    }
    fn walk(frame: &Frame, at: Point, out: &mut Vec<Run>) {
        for (pos, item) in frame.items() {
            let here = at + *pos;
            match item {
                FrameItem::Group(group) => walk(&group.frame, here, out),
                FrameItem::Text(text) => out.push(Run {
                    y: here.y,
                    x: here.x,
                    end: here.x + text.width(),
                    text: text.text.to_string(),
                }),
                _ => {}
            }
        }
    }
    let mut pages = Vec::new();
    for page in document.pages() {
        let mut runs = Vec::new();
        walk(&page.frame, Point::zero(), &mut runs);
        let mut text = String::new();
        let mut last: Option<(Abs, Abs)> = None;
        for run in runs {
            match last {
                Some((y, _)) if (run.y - y).abs() > Abs::pt(1.0) => text.push('\n'),
                Some((_, end)) if run.x > end + Abs::pt(1.0) => text.push(' '),
                _ => {}
            }
            text.push_str(&run.text);
            last = Some((run.y, run.end));
        }
        pages.push(text);
    }
    pages.join("\n\u{c}\n")
}

/// Each page of a compiled document as a PNG, at `pixel_per_pt` pixels per
/// point (1.5 gives an A4 page about 900 pixels wide): the studio's previews.
pub fn png_pages(document: &PagedDocument, pixel_per_pt: f32) -> Vec<Vec<u8>> {
    let options = typst_render::RenderOptions {
        pixel_per_pt: typst::utils::Scalar::new(f64::from(pixel_per_pt)),
        render_bleed: false,
    };
    document
        .pages()
        .iter()
        .filter_map(|page| typst_render::render(page, &options).encode_png().ok())
        .collect()
}

/// What a compiled document becomes.
pub trait Format {
    /// The output.
    type Output;

    /// Finishes a compiled document: `extra` are the files supplied to the
    /// render (a bundle's exhibits, drawn onto the PDF after export).
    fn finish(
        &self,
        renderer: &Renderer,
        document: PagedDocument,
        info: &DocumentInfo,
        extra: &[(String, Vec<u8>)],
    ) -> Result<Self::Output, RenderError>;
}

/// An archival, accessible PDF (PDF/A-2b + PDF/UA-1; a court bundle
/// PDF/A-3b with its exhibits drawn on and attached).
#[derive(Debug, Clone, Copy)]
pub struct Pdf;

impl Format for Pdf {
    type Output = Vec<u8>;

    fn finish(
        &self,
        renderer: &Renderer,
        document: PagedDocument,
        info: &DocumentInfo,
        extra: &[(String, Vec<u8>)],
    ) -> Result<Vec<u8>, RenderError> {
        // Pages of supplied PDFs the template reserved room for (a court
        // bundle's exhibits), drawn on after export.
        let overlays = overlay::requested(&document)?;
        let tagged = overlay::tagged(&document)?;
        let pdf = renderer.export(document, info, tagged)?;
        Ok(overlay::apply(
            &pdf,
            &overlays,
            extra,
            info.attachments && !tagged,
            tagged,
        )?)
    }
}

/// The text in reading order (see [`plain_text`]), without a PDF.
#[derive(Debug, Clone, Copy)]
pub struct Text;

impl Format for Text {
    type Output = String;

    fn finish(
        &self,
        _: &Renderer,
        document: PagedDocument,
        _: &DocumentInfo,
        _: &[(String, Vec<u8>)],
    ) -> Result<String, RenderError> {
        Ok(plain_text(&document))
    }
}

/// Each page as a PNG image, at `pixel_per_pt` pixels per point.
#[derive(Debug, Clone, Copy)]
pub struct Pages {
    /// Scale: 1.0 is 72 dpi.
    pub pixel_per_pt: f32,
}

impl Format for Pages {
    type Output = Vec<Vec<u8>>;

    fn finish(
        &self,
        _: &Renderer,
        document: PagedDocument,
        _: &DocumentInfo,
        _: &[(String, Vec<u8>)],
    ) -> Result<Vec<Vec<u8>>, RenderError> {
        Ok(png_pages(&document, self.pixel_per_pt))
    }
}
