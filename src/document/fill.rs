//! Filling a checked request's template: [`Docket::markup`], the Typst
//! markup of each copy, from the typed case, its figures and the letter
//! pack, as data.

use super::context::{Context, DocumentFacts};
use super::{Checked, Docket, DocumentError, Part};
use crate::templates::Recipients;

impl Docket {
    /// The filled template of `part`: Typst markup, each copy after the
    /// first starting on a fresh sheet.
    pub fn markup(&self, checked: &Checked, part: Part) -> Result<String, DocumentError> {
        let version = &checked.version;
        let entry = &version.entry;
        let mut markup = String::new();
        for (n, k) in checked.indices(part)?.into_iter().enumerate() {
            let copy = &checked.copies[k];
            if checked.issuing && copy.unnumbered() {
                // Issuing numbers each notice before it is rendered.
                return Err(DocumentError::NoSuchCopy(k));
            }
            let mut figures = checked.figures.clone();
            figures.penalty.clone_from(&copy.penalty);
            figures.exclusion.clone_from(&copy.exclusion);
            if n > 0 {
                // Each copy is its own mail piece: start it on a fresh sheet.
                markup.push_str("\n#pagebreak(to: \"odd\")\n");
            }
            let translation = checked.translation(k);
            let context = Context {
                case: &checked.case,
                recipient: copy.recipient.and_then(|i| checked.case.parents.get(i)),
                recipient_index: copy.recipient,
                figures: &figures,
                document: DocumentFacts {
                    kind: &version.kind,
                    version: &version.version,
                    title: &entry.title,
                    level: entry.level,
                    edition: version.meta.edition,
                    sender: entry.sender,
                    recipients: entry.recipients,
                    marking: entry.marking.as_deref(),
                    language: translation,
                },
                // The letter pack is for parents: a team or an agency
                // has its own routes.
                pack: match (&self.templates.catalogue().authority, entry.recipients) {
                    (
                        Some(a),
                        Recipients::Parents | Recipients::NoticedParents | Recipients::NoticeParent,
                    ) => a.pack_for(entry.sender),
                    _ => Vec::new(),
                },
            };
            let value = minijinja::Value::from(minijinja::value::Serde(&context));
            if let Some(language) = translation {
                // The translation first, then the English letter, which
                // stays the authoritative text: one mail piece.
                markup.push_str(&self.templates.fill_translation(version, language, &value)?);
                markup.push_str("\n#pagebreak(to: \"odd\")\n");
                let english = Context {
                    document: DocumentFacts {
                        language: None,
                        ..context.document
                    },
                    ..context
                };
                let value = minijinja::Value::from(minijinja::value::Serde(&english));
                markup.push_str(&self.templates.fill(version, &value)?);
            } else {
                markup.push_str(&self.templates.fill(version, &value)?);
            }
        }
        Ok(markup)
    }
}
