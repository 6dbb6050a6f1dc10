//! Comparing two versions' wording: the text each renders for the same
//! sample, and the word-level differences.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use super::MaintainError;
use crate::document::{Docket, DocumentError, Part, Purpose, Request};
use crate::render::Text;
use crate::samples::Samples;
use crate::templates::{Recipients, Version};

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
    samples: &Samples,
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
    let text = |v: &Version, case: &Value| -> Result<String, MaintainError> {
        let request = Request {
            kind,
            version: Some(&v.version),
            as_of: None,
            recipient: first_recipient(v.entry.recipients, case),
            case,
            purpose: Purpose::Proof,
            drafts: true,
            translation: None,
        };
        let records = samples
            .records(docket, v)
            .map_err(|e| MaintainError::Refused(e.to_string()))?;
        let checked = docket.check(&request, &*records)?;
        Ok(docket.render(&checked, Part::All, &Text)?.output)
    };
    let text_b = text(&b, &case_b)?;
    let text_a = match text(&a, &case_b) {
        Ok(t) => t,
        Err(MaintainError::Document(DocumentError::Invalid(_))) => text(&a, &sample(&a)?)?,
        Err(e) => return Err(e),
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
        Recipients::NoticeParent => case
            .pointer("/withdrawal/parent")?
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
}
