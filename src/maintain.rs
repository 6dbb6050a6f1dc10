//! Template maintenance: the checks behind `docket templates check` and the
//! workflow for changing wording without touching documents already issued:
//! `new` copies the latest version into a draft, `publish` checks a draft and
//! records it in the lock with its effective date, `diff` compares two
//! versions' wording. Published versions are immutable; see
//! [`crate::templates::lock`].

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use serde::Serialize;
use serde_json::Value;

use crate::document::{Docket, DocumentError, Request, context_schema};
use crate::templates::lock::{LOCK_FILE, Published};
use crate::templates::{
    Integrity, LAYOUT_DIR, META_FILE, Recipients, SAMPLE_FILE, TemplateError, TemplateStore,
    Version,
};

/// One thing `docket templates check` found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The version (`kind@version`), kind or file at fault.
    pub subject: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

fn finding(subject: impl Into<String>, message: impl Into<String>) -> Finding {
    Finding {
        subject: subject.into(),
        message: message.into(),
    }
}

/// Why a maintenance command failed.
#[derive(Debug, thiserror::Error)]
pub enum MaintainError {
    /// The templates could not be loaded, or a version does not exist.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A file could not be written or copied.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The command does not apply (e.g. publishing a published version).
    #[error("{0}")]
    Refused(String),
    /// The version fails its checks.
    #[error("{} problem(s):\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Checks(Vec<Finding>),
    /// A sample could not be rendered for a diff.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MaintainError + '_ {
    move |source| MaintainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs every check on the templates `docket` has loaded: published versions
/// unchanged and consistent with the lock, effective periods without
/// overlaps or gaps wherever the catalogue lists a document, every sample
/// valid and rendering, every template variable one the context supplies.
pub fn check(docket: &Docket) -> Vec<Finding> {
    let store = docket.templates();
    let mut findings = Vec::new();
    for (_, versions) in store.kinds() {
        for version in versions {
            findings.extend(check_integrity(store, version));
            findings.extend(check_version(docket, version));
        }
    }
    for locked in &store.lock().published {
        if store
            .select(&locked.kind, Some(&locked.version), NaiveDate::MIN)
            .is_err()
        {
            findings.push(finding(
                format!("{}@{}", locked.kind, locked.version),
                format!("is published in {LOCK_FILE} but its folder is missing; published versions must be kept"),
            ));
        }
    }
    findings.extend(check_periods(store));
    findings
}

/// The checks of one version on its own: its sample renders and its
/// template uses only variables the context supplies.
pub fn check_version(docket: &Docket, version: &Version) -> Vec<Finding> {
    let mut findings = Vec::new();
    let id = version.id();
    let sample_path = version.dir.join(SAMPLE_FILE);
    match serde_json::from_str::<Value>(&version.sample) {
        Err(e) => findings.push(finding(
            sample_path.display().to_string(),
            format!("is not JSON: {e}"),
        )),
        Ok(case) => {
            let request = Request {
                kind: &version.kind,
                version: Some(&version.version),
                as_of: None,
                recipient: None,
                case: &case,
            };
            match docket
                .sample_evidence(&request)
                .and_then(|e| docket.render_evidenced(&request, e.as_ref()))
            {
                Ok(_) => {}
                Err(DocumentError::Invalid(problems)) => {
                    for p in problems.0 {
                        findings.push(finding(
                            sample_path.display().to_string(),
                            format!("{}: {}", p.pointer, p.detail),
                        ));
                    }
                }
                Err(e) => findings.push(finding(
                    id.clone(),
                    format!("the sample does not render: {e}"),
                )),
            }
        }
    }
    match docket.templates().undeclared_variables(version) {
        Ok(used) => {
            for path in used {
                if !resolves(context_schema(), &path) {
                    findings.push(finding(
                        version.dir.join(crate::templates::TEMPLATE_FILE).display().to_string(),
                        format!("uses `{path}`, which no case supplies (see the case schema and `figures`)"),
                    ));
                }
            }
        }
        Err(e) => findings.push(finding(id, e.to_string())),
    }
    findings
}

fn check_integrity(store: &TemplateStore, version: &Version) -> Vec<Finding> {
    let id = version.id();
    match store.integrity(version) {
        Integrity::Intact => {
            let mut findings = Vec::new();
            if let Some(locked) = store.lock().find(&version.kind, &version.version)
                && (locked.effective_from, locked.effective_to)
                    != (version.meta.effective_from, version.meta.effective_to)
            {
                findings.push(finding(
                    version.dir.join(META_FILE).display().to_string(),
                    format!(
                        "its effective dates differ from {LOCK_FILE} ({} to {}); only `docket templates publish` changes them",
                        locked.effective_from,
                        locked.effective_to.map_or_else(|| "…".to_owned(), |d| d.to_string())
                    ),
                ));
            }
            if version.meta.draft {
                findings.push(finding(
                    id,
                    "is published but marked `draft = true` in meta.toml",
                ));
            }
            findings
        }
        Integrity::Modified { files } => files
            .iter()
            .map(|file| {
                finding(
                    real_path(store.root(), version, file).display().to_string(),
                    format!(
                        "has changed since {id} was published; published versions are immutable: undo the change, or make a new version with `docket templates new {}`",
                        version.kind
                    ),
                )
            })
            .collect(),
        Integrity::Unpublished => vec![finding(
            id,
            format!(
                "is neither published nor a draft: publish it with `docket templates publish {} {} --effective-from DATE`, or add `draft = true` to its meta.toml",
                version.kind, version.version
            ),
        )],
        Integrity::Draft => Vec::new(),
    }
}

/// Where a version's virtual file lives on disk.
fn real_path(root: &Path, version: &Version, virtual_path: &str) -> PathBuf {
    match virtual_path.strip_prefix("/layout/") {
        Some(rest) => root.join(LAYOUT_DIR).join(&version.meta.layout).join(rest),
        None => version.dir.join(virtual_path.trim_start_matches('/')),
    }
}

/// Every document the catalogue lists for an edition has published versions
/// covering the edition's whole period, one at a time.
fn check_periods(store: &TemplateStore) -> Vec<Finding> {
    let mut findings = Vec::new();
    let catalogue = store.catalogue();
    for entry in &catalogue.documents {
        let Some(edition) = catalogue.edition(entry.edition) else {
            continue;
        };
        let subject = format!("{} ({})", entry.kind, entry.edition.slug());
        let mut published: Vec<&Published> = store
            .lock()
            .published
            .iter()
            .filter(|p| p.kind == entry.kind && p.edition == entry.edition)
            .collect();
        published.sort_by_key(|p| p.effective_from);
        let Some(first) = published.first() else {
            findings.push(finding(
                subject,
                "the catalogue lists this document but no version is published",
            ));
            continue;
        };
        if first.effective_from > edition.from {
            findings.push(finding(
                &subject,
                format!(
                    "no version is in force from {} (the edition's start) to {}",
                    edition.from,
                    first
                        .effective_from
                        .pred_opt()
                        .unwrap_or(first.effective_from)
                ),
            ));
        }
        for pair in published.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            match a.effective_to {
                None => findings.push(finding(
                    &subject,
                    format!(
                        "{} has no end date but {} starts on {}: their periods overlap",
                        a.version, b.version, b.effective_from
                    ),
                )),
                Some(to) if to >= b.effective_from => findings.push(finding(
                    &subject,
                    format!(
                        "{} (to {to}) and {} (from {}) overlap",
                        a.version, b.version, b.effective_from
                    ),
                )),
                Some(to) if to.checked_add_days(Days::new(1)) != Some(b.effective_from) => {
                    findings.push(finding(
                        &subject,
                        format!(
                            "no version is in force between {} (end of {}) and {} (start of {})",
                            to, a.version, b.effective_from, b.version
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(last) = published.last()
            && let Some(end) = last.effective_to
            && edition.to.is_none_or(|edition_end| end < edition_end)
        {
            findings.push(finding(
                &subject,
                format!(
                    "{} ends on {end} and no later version is published",
                    last.version
                ),
            ));
        }
    }
    findings
}

/// Whether a dotted path a template reads (`pupil.given_names`,
/// `figures.attendance.band`) exists in `schema`.
fn resolves(schema: &Value, path: &str) -> bool {
    let defs = schema.get("$defs");
    let deref = |node: &Value| -> Value {
        let mut node = node.clone();
        for _ in 0..16 {
            let Some(name) = node
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            else {
                break;
            };
            match defs.and_then(|d| d.get(name)) {
                Some(target) => node = target.clone(),
                None => break,
            }
        }
        node
    };
    fn step(node: &Value, segment: &str, deref: &dyn Fn(&Value) -> Value) -> Vec<Value> {
        let node = deref(node);
        let mut out = Vec::new();
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(branches) = node.get(key).and_then(Value::as_array) {
                for b in branches {
                    out.extend(step(b, segment, deref));
                }
            }
        }
        if let Some(p) = node.get("properties").and_then(|p| p.get(segment)) {
            out.push(p.clone());
        }
        if segment.parse::<usize>().is_ok()
            && let Some(items) = node.get("items")
        {
            out.push(items.clone());
        }
        out
    }
    let mut nodes = vec![schema.clone()];
    for segment in path.split('.') {
        nodes = nodes
            .iter()
            .flat_map(|n| step(n, segment, &deref))
            .collect();
        if nodes.is_empty() {
            return false;
        }
    }
    true
}

/// `docket templates new <kind>`: copies the newest version of `kind` into a
/// new draft (`kpas-1` → `kpas-2`) and returns its name and folder.
pub fn new_draft(root: &Path, kind: &str) -> Result<(String, PathBuf), MaintainError> {
    let docket = Docket::load(root)?;
    let store = docket.templates();
    let latest = store
        .kinds()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, versions)| versions.last().cloned())
        .ok_or_else(|| TemplateError::UnknownKind(kind.to_owned()))?;
    let name = next_name(&latest.version, |n| root.join(kind).join(n).exists());
    let dir = root.join(kind).join(&name);
    copy_dir(&latest.dir, &dir)?;
    let meta_path = dir.join(META_FILE);
    let meta = std::fs::read_to_string(&meta_path).map_err(io(&meta_path))?;
    let mut meta = set_key(&meta, "effective_to", None);
    meta = set_key(&meta, "draft", Some("true"));
    write_atomic(&meta_path, meta.as_bytes())?;
    Ok((name, dir))
}

/// `kpas-1` → `kpas-2`; a name without a number gets `-2`. Skips names taken.
fn next_name(current: &str, taken: impl Fn(&str) -> bool) -> String {
    let digits = current.len() - current.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (stem, n) = match current[digits..].parse::<u32>() {
        Ok(n) => (current[..digits].to_owned(), n),
        Err(_) => (format!("{current}-"), 1),
    };
    let mut next = n + 1;
    while taken(&format!("{stem}{next}")) {
        next += 1;
    }
    format!("{stem}{next}")
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), MaintainError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let kind = entry.file_type().map_err(io(&entry.path()))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// Sets (or with `None` removes) a top-level `key = value` line of a TOML
/// file, keeping its comments and other lines as they are.
fn set_key(text: &str, key: &str, value: Option<&str>) -> String {
    let mut out = String::new();
    let mut done = false;
    for line in text.lines() {
        let is_key = line.split_once('=').is_some_and(|(k, _)| k.trim() == key);
        if is_key {
            if let (Some(v), false) = (value, done) {
                out.push_str(&format!("{key} = {v}\n"));
                done = true;
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let (Some(v), false) = (value, done) {
        out.push_str(&format!("{key} = {v}\n"));
    }
    out
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MaintainError> {
    let tmp = path.with_extension("docket-tmp");
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// What `publish` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published1 {
    /// The version published, `kind@version`.
    pub version: String,
    /// Its content hash.
    pub hash: String,
    /// The previous version, now ending the day before, if any.
    pub ends: Option<(String, NaiveDate)>,
}

/// `docket templates publish <kind> <version> --effective-from DATE`: checks
/// the draft, makes it the version in force from `from` (ending its
/// predecessor the day before) and records it in the lock.
pub fn publish(
    root: &Path,
    kind: &str,
    version: &str,
    from: NaiveDate,
) -> Result<Published1, MaintainError> {
    let docket = Docket::load(root)?;
    let store = docket.templates();
    let v = store.select(kind, Some(version), NaiveDate::MIN)?;
    match store.integrity(&v) {
        Integrity::Intact | Integrity::Modified { .. } => {
            return Err(MaintainError::Refused(format!(
                "{} is already published; make a new version with `docket templates new {kind}`",
                v.id()
            )));
        }
        Integrity::Draft | Integrity::Unpublished => {}
    }
    let edition = store.catalogue().edition(v.meta.edition).ok_or_else(|| {
        MaintainError::Refused(format!(
            "edition {} is not in the catalogue",
            v.meta.edition.slug()
        ))
    })?;
    if from < edition.from || edition.to.is_some_and(|to| from > to) {
        return Err(MaintainError::Refused(format!(
            "{from} is outside the {} edition ({} to {})",
            v.meta.edition.slug(),
            edition.from,
            edition
                .to
                .map_or_else(|| "now".to_owned(), |d| d.to_string())
        )));
    }
    let mut lock = store.lock().clone();
    let predecessor = lock
        .published
        .iter()
        .filter(|p| p.kind == kind && p.edition == v.meta.edition)
        .max_by_key(|p| p.effective_from)
        .cloned();
    match &predecessor {
        Some(p) if p.effective_from >= from => {
            return Err(MaintainError::Refused(format!(
                "{kind}@{} is in force from {}; a new version must start later",
                p.version, p.effective_from
            )));
        }
        Some(p) if p.effective_to.is_some_and(|to| to < from) => {
            return Err(MaintainError::Refused(format!(
                "{kind}@{} ended on {}; publishing from {from} would leave a gap",
                p.version,
                p.effective_to.unwrap_or(from)
            )));
        }
        None if from != edition.from => {
            return Err(MaintainError::Refused(format!(
                "the first version of {kind} in the {} edition must start with the edition, on {}",
                v.meta.edition.slug(),
                edition.from
            )));
        }
        _ => {}
    }
    let findings = check_version(&docket, &v);
    if !findings.is_empty() {
        return Err(MaintainError::Checks(findings));
    }
    let day_before = from.pred_opt().unwrap_or(from);
    let effective_to = predecessor
        .as_ref()
        .and_then(|p| p.effective_to)
        .or(edition.to);
    // The version's meta.toml: in force from `from`, no longer a draft.
    let meta_path = v.dir.join(META_FILE);
    let meta = std::fs::read_to_string(&meta_path).map_err(io(&meta_path))?;
    let mut meta = set_key(&meta, "draft", None);
    meta = set_key(&meta, "effective_from", Some(&from.to_string()));
    meta = set_key(
        &meta,
        "effective_to",
        effective_to.map(|d| d.to_string()).as_deref(),
    );
    let mut ends = None;
    if let Some(p) = &predecessor {
        let pred = store.select(kind, Some(&p.version), NaiveDate::MIN)?;
        let path = pred.dir.join(META_FILE);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        write_atomic(
            &path,
            set_key(&text, "effective_to", Some(&day_before.to_string())).as_bytes(),
        )?;
        for entry in &mut lock.published {
            if entry.kind == kind && entry.version == p.version {
                entry.effective_to = Some(day_before);
            }
        }
        ends = Some((pred.id(), day_before));
    }
    write_atomic(&meta_path, meta.as_bytes())?;
    lock.published.push(Published {
        kind: kind.to_owned(),
        version: version.to_owned(),
        edition: v.meta.edition,
        effective_from: from,
        effective_to,
        hash: v.content_hash.clone(),
        files: v.file_hashes.clone(),
    });
    let lock_path = root.join(LOCK_FILE);
    write_atomic(&lock_path, lock.to_text()?.as_bytes())?;
    Ok(Published1 {
        version: v.id(),
        hash: v.content_hash.clone(),
        ends,
    })
}

/// One run of a word-level diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "op", content = "text")]
pub enum Run {
    /// In both.
    Same(String),
    /// Only in the first.
    Removed(String),
    /// Only in the second.
    Added(String),
}

/// The word-level differences between two texts, adjacent words of the same
/// kind merged into one run.
pub fn word_diff(a: &str, b: &str) -> Vec<Run> {
    use similar::{ChangeTag, TextDiff};
    // Where lines break is layout, not wording: compare words only.
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (a, b) = (fold(a), fold(b));
    let diff = TextDiff::from_words(&a, &b);
    let mut runs: Vec<Run> = Vec::new();
    for change in diff.iter_all_changes() {
        let word = change.value();
        match (runs.last_mut(), change.tag()) {
            (Some(Run::Same(s)), ChangeTag::Equal)
            | (Some(Run::Removed(s)), ChangeTag::Delete)
            | (Some(Run::Added(s)), ChangeTag::Insert) => s.push_str(word),
            (_, ChangeTag::Equal) => runs.push(Run::Same(word.to_owned())),
            (_, ChangeTag::Delete) => runs.push(Run::Removed(word.to_owned())),
            (_, ChangeTag::Insert) => runs.push(Run::Added(word.to_owned())),
        }
    }
    runs
}

/// The texts two versions give for the same case: the second version's
/// sample, or each version's own sample if the first cannot take it.
pub fn version_texts(
    docket: &Docket,
    kind: &str,
    first: &str,
    second: &str,
) -> Result<(String, String), MaintainError> {
    let store = docket.templates();
    let a = store.select(kind, Some(first), NaiveDate::MIN)?;
    let b = store.select(kind, Some(second), NaiveDate::MIN)?;
    let sample = |v: &Version| -> Result<Value, MaintainError> {
        serde_json::from_str(&v.sample)
            .map_err(|e| MaintainError::Refused(format!("{}: sample is not JSON: {e}", v.id())))
    };
    let case_b = sample(&b)?;
    // The first copy only: every copy of a letter has the same wording.
    let text = |v: &Version, case: &Value| {
        let request = Request {
            kind,
            version: Some(&v.version),
            as_of: None,
            recipient: first_recipient(v.entry.recipients, case),
            case,
        };
        let evidence = docket.sample_evidence(&request)?;
        docket.text_evidenced(&request, evidence.as_ref())
    };
    let text_b = text(&b, &case_b)?;
    let text_a = match text(&a, &case_b) {
        Ok(t) => t,
        Err(DocumentError::Invalid(_)) => text(&a, &sample(&a)?)?,
        Err(e) => return Err(e.into()),
    };
    Ok((text_a, text_b))
}

/// The parent the first copy of a document goes to, if it goes to parents.
pub fn first_recipient(recipients: Recipients, case: &Value) -> Option<usize> {
    match recipients {
        Recipients::Parents => case.get("parents")?.as_array()?.iter().position(|p| {
            p.get("parental_responsibility")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        }),
        Recipients::NoticedParents => case
            .pointer("/penalty/notices/0/parent")?
            .as_u64()
            .and_then(|i| usize::try_from(i).ok()),
        _ => None,
    }
}

/// `docket templates diff`: the word-level diff of two versions' rendered
/// sample text, `[-removed-]` and `{+added+}` as `git diff --word-diff`
/// prints them, with long unchanged stretches shortened.
pub fn diff_text(runs: &[Run]) -> String {
    const CONTEXT: usize = 12;
    let mut out = String::new();
    for (i, run) in runs.iter().enumerate() {
        match run {
            Run::Same(s) => {
                let words: Vec<&str> = s.split_inclusive(char::is_whitespace).collect();
                let (first, last) = (i == 0, i + 1 == runs.len());
                if words.len() > 2 * CONTEXT + 1 {
                    if !first {
                        out.push_str(words[..CONTEXT].concat().trim_end());
                    }
                    out.push_str("\n…\n");
                    if !last {
                        out.push_str(&words[words.len() - CONTEXT..].concat());
                    }
                } else {
                    out.push_str(s);
                }
            }
            Run::Removed(s) => out.push_str(&format!("[-{s}-]")),
            Run::Added(s) => out.push_str(&format!("{{+{s}+}}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_version_names() {
        assert_eq!(next_name("kpas-1", |_| false), "kpas-2");
        assert_eq!(next_name("kpas-9", |n| n == "kpas-10"), "kpas-11");
        assert_eq!(next_name("draft", |_| false), "draft-2");
    }

    #[test]
    fn toml_keys_are_set_and_removed_in_place() {
        let text = "# comment\nedition = \"pias\"\neffective_from = 2017-04-01\ndraft = true\n";
        let t = set_key(text, "draft", None);
        assert_eq!(
            t,
            "# comment\nedition = \"pias\"\neffective_from = 2017-04-01\n"
        );
        let t = set_key(&t, "effective_from", Some("2025-01-01"));
        assert!(t.contains("effective_from = 2025-01-01\n") && !t.contains("2017"));
        let t = set_key(&t, "effective_to", Some("2025-12-31"));
        assert!(t.ends_with("effective_to = 2025-12-31\n"));
    }

    #[test]
    fn word_diffs_merge_runs() {
        let runs = word_diff(
            "Please come to the meeting",
            "Please do come to our meeting",
        );
        assert_eq!(
            runs,
            [
                Run::Same("Please ".into()),
                Run::Added("do ".into()),
                Run::Same("come to ".into()),
                Run::Removed("the".into()),
                Run::Added("our".into()),
                Run::Same(" meeting".into()),
            ]
        );
        assert_eq!(
            diff_text(&runs),
            "Please {+do +}come to [-the-]{+our+} meeting"
        );
    }

    #[test]
    fn paths_resolve_against_the_context_schema() {
        let schema = context_schema();
        for ok in [
            "pupil.given_names",
            "recipient",
            "school.attendance_lead.phone",
            "figures.attendance.band",
            "figures.rules.penalty_window",
            "figures.penalty.payments",
            "document.title",
            "meeting.attendees",
            "parents",
        ] {
            assert!(resolves(schema, ok), "{ok}");
        }
        for bad in [
            "pupil.nickname",
            "figures.nope",
            "no_such_thing",
            "document.kind.x",
        ] {
            assert!(!resolves(schema, bad), "{bad}");
        }
    }
}
