//! Tagged overlays: an exported PDF's structure tree, read once, and each
//! drawn page entered as marked content of the figure that has its
//! alternative text.
//!
//! The export (krilla) writes the tree in one form: a `/StructTreeRoot`
//! with a flat `/ParentTree` number tree (`/Nums`), one indirect array per
//! page listing the structure element of each MCID `0..n`, and
//! `/ParentTreeNextKey`. Anything else is an error, never a guess.

use std::collections::HashMap;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, decode_text_string};

use super::OverlayError;

/// Marked-content operators: left out of a drawn page, whose own structure
/// tree is not carried over.
const MARKED_CONTENT: &[&str] = &["BDC", "BMC", "EMC", "MP", "DP"];

/// A content stream without its marked-content operators (what it draws
/// is unchanged).
pub(super) fn untagged(content: &[u8]) -> Result<Vec<u8>, OverlayError> {
    let mut decoded = Content::decode(content)?;
    decoded
        .operations
        .retain(|op| !MARKED_CONTENT.contains(&op.operator.as_str()));
    Ok(decoded.encode()?)
}

/// The figures of a structure tree, by alternative text, and where its
/// parent tree is.
pub(super) struct Tree {
    figures: HashMap<String, ObjectId>,
    root: ObjectId,
}

impl Tree {
    /// Reads the structure tree of `doc`.
    pub(super) fn read(doc: &Document) -> Result<Self, OverlayError> {
        let root = match doc.catalog()?.get(b"StructTreeRoot") {
            Ok(Object::Reference(id)) => *id,
            _ => return Err(OverlayError::Structure("no structure tree root")),
        };
        let mut figures = HashMap::new();
        let mut stack = vec![Object::Reference(root)];
        // Bounded: a structure tree has no cycles, but a malformed one
        // must not loop.
        let mut budget = 1_000_000usize;
        while let Some(object) = stack.pop() {
            budget = budget
                .checked_sub(1)
                .ok_or(OverlayError::Structure("the structure tree does not end"))?;
            let (id, dict) = match &object {
                Object::Reference(id) => match doc.get_object(*id) {
                    Ok(Object::Dictionary(d)) => (Some(*id), d),
                    _ => continue,
                },
                Object::Dictionary(d) => (None, d),
                Object::Array(items) => {
                    stack.extend(items.iter().rev().cloned());
                    continue;
                }
                _ => continue,
            };
            if dict.get(b"Type").and_then(Object::as_name).ok() == Some(b"MCR".as_slice()) {
                continue;
            }
            if let (Some(id), Ok(b"Figure"), Ok(alt)) = (
                id,
                dict.get(b"S").and_then(Object::as_name),
                dict.get(b"Alt"),
            ) && let Ok(alt) = decode_text_string(alt)
            {
                figures.entry(alt).or_insert(id);
            }
            if let Ok(kids) = dict.get(b"K") {
                stack.push(kids.clone());
            }
        }
        Ok(Self { figures, root })
    }

    /// Enters a new marked-content sequence on `page` as content of the
    /// figure whose alternative text is `alt`: returns its MCID.
    pub(super) fn mark(
        &mut self,
        doc: &mut Document,
        page: ObjectId,
        alt: &str,
        file: &str,
    ) -> Result<i64, OverlayError> {
        let figure = *self
            .figures
            .get(alt)
            .ok_or_else(|| OverlayError::NoFigure(file.to_owned()))?;
        let list = self.page_list(doc, page)?;
        let mcid = match doc.get_object_mut(list)? {
            Object::Array(items) => {
                items.push(Object::Reference(figure));
                items.len() as i64 - 1
            }
            _ => {
                return Err(OverlayError::Structure(
                    "a page's parent-tree entry is not an array",
                ));
            }
        };
        let mut mcr = Dictionary::new();
        mcr.set("Type", Object::Name(b"MCR".to_vec()));
        mcr.set("Pg", Object::Reference(page));
        mcr.set("MCID", Object::Integer(mcid));
        let element = doc.get_dictionary_mut(figure)?;
        let kids = match element.get(b"K") {
            Ok(Object::Array(items)) => items.clone(),
            Ok(other) => vec![other.clone()],
            Err(_) => Vec::new(),
        };
        let mut kids = kids;
        kids.push(Object::Dictionary(mcr));
        element.set("K", Object::Array(kids));
        Ok(mcid)
    }

    /// The parent-tree array of `page`'s MCIDs, made if the page has none.
    /// The parent tree is the root's own dictionary or an indirect one.
    fn page_list(&self, doc: &mut Document, page: ObjectId) -> Result<ObjectId, OverlayError> {
        let key = doc
            .get_dictionary(page)?
            .get(b"StructParents")
            .ok()
            .cloned();
        let root = doc.get_dictionary(self.root)?.clone();
        let (parent_tree, inline) = match root.get(b"ParentTree") {
            Ok(Object::Reference(id)) => (doc.get_dictionary(*id)?.clone(), Some(*id)),
            Ok(Object::Dictionary(d)) => (d.clone(), None),
            _ => return Err(OverlayError::Structure("no parent tree")),
        };
        let mut nums = match parent_tree.get(b"Nums") {
            Ok(Object::Array(nums)) => nums.clone(),
            _ => return Err(OverlayError::Structure("the parent tree is not flat")),
        };
        if let Some(Object::Integer(key)) = key {
            let entry = nums.chunks(2).find_map(|pair| match pair {
                [Object::Integer(k), Object::Reference(list)] if *k == key => Some(*list),
                _ => None,
            });
            return entry.ok_or(OverlayError::Structure(
                "a page's parent-tree entry is missing",
            ));
        }
        let next = match root.get(b"ParentTreeNextKey") {
            Ok(Object::Integer(n)) => *n,
            _ => return Err(OverlayError::Structure("no parent tree next key")),
        };
        let list = doc.add_object(Object::Array(Vec::new()));
        nums.push(Object::Integer(next));
        nums.push(Object::Reference(list));
        let mut parent_tree = parent_tree;
        parent_tree.set("Nums", Object::Array(nums));
        let root = doc.get_dictionary_mut(self.root)?;
        root.set("ParentTreeNextKey", Object::Integer(next + 1));
        match inline {
            Some(id) => {
                doc.get_dictionary_mut(id)?
                    .set("Nums", parent_tree.get(b"Nums")?.clone());
            }
            None => root.set("ParentTree", Object::Dictionary(parent_tree)),
        }
        doc.get_dictionary_mut(page)?
            .set("StructParents", Object::Integer(next));
        Ok(list)
    }
}
