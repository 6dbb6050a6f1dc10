//! A reader of PDF values (ISO 32000-1, 7.2-7.3) within a range of an
//! issued PDF's bytes: names, numbers, strings, arrays, dictionaries and
//! indirect references, with where each reference sits.

use std::ops::Range;

use super::{Entry, RefSite};

/// PDF whitespace (ISO 32000-1, 7.2.2).
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A reader of PDF values within a range of the file.
pub(super) struct Cursor<'a> {
    pdf: &'a [u8],
    pub(super) pos: usize,
    end: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(pdf: &'a [u8], range: Range<usize>) -> Self {
        Self {
            pdf,
            pos: range.start,
            end: range.end.min(pdf.len()),
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        (self.pos < self.end).then(|| self.pdf[self.pos])
    }

    pub(super) fn at(&self, text: &[u8]) -> bool {
        self.pdf[self.pos..self.end].starts_with(text)
    }

    /// Skips whitespace and comments.
    pub(super) fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_space(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// A run of regular characters (a number or a keyword).
    pub(super) fn regular(&mut self) -> Range<usize> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| !is_space(b) && !is_delimiter(b))
        {
            self.pos += 1;
        }
        start..self.pos
    }

    /// An unsigned integer, if one is here.
    pub(super) fn unsigned(&mut self) -> Option<u64> {
        self.skip_space();
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.pdf[start..self.pos])
            .ok()?
            .parse()
            .ok()
    }

    /// A dictionary's entries (the cursor at `<<`).
    pub(super) fn entries(&mut self) -> Option<Vec<Entry>> {
        self.skip_space();
        if !self.at(b"<<") {
            return None;
        }
        self.pos += 2;
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            if self.at(b">>") {
                self.pos += 2;
                return Some(entries);
            }
            if self.peek()? != b'/' {
                return None;
            }
            let key = self.name();
            let mut refs = Vec::new();
            let value = self.value(&mut refs)?;
            entries.push(Entry { key, value, refs });
        }
    }

    pub(super) fn name(&mut self) -> Range<usize> {
        let start = self.pos;
        self.pos += 1;
        self.regular();
        start..self.pos
    }

    /// One value, collecting the references in it; its text's range.
    pub(super) fn value(&mut self, refs: &mut Vec<RefSite>) -> Option<Range<usize>> {
        self.skip_space();
        let start = self.pos;
        match self.peek()? {
            b'<' if self.at(b"<<") => {
                self.pos += 2;
                loop {
                    self.skip_space();
                    if self.at(b">>") {
                        self.pos += 2;
                        break;
                    }
                    if self.peek()? != b'/' {
                        return None;
                    }
                    self.name();
                    self.value(refs)?;
                }
            }
            b'<' => {
                let close = self.pdf[self.pos..self.end]
                    .iter()
                    .position(|&b| b == b'>')?;
                self.pos += close + 1;
            }
            b'[' => {
                self.pos += 1;
                loop {
                    self.skip_space();
                    if self.peek()? == b']' {
                        self.pos += 1;
                        break;
                    }
                    self.value(refs)?;
                }
            }
            b'(' => self.literal()?,
            b'/' => {
                self.name();
            }
            b'0'..=b'9' => {
                let first = self.regular();
                // `n g R` is a reference; anything else, a number.
                let after = self.pos;
                if let Some(target) = self.reference_rest(&first) {
                    refs.push(RefSite {
                        span: start..self.pos,
                        target,
                    });
                } else {
                    self.pos = after;
                }
            }
            b if !is_delimiter(b) => {
                if self.regular().is_empty() {
                    return None;
                }
            }
            _ => return None,
        }
        Some(start..self.pos)
    }

    /// After a number: ` g R` if it is a reference, giving its object.
    pub(super) fn reference_rest(&mut self, first: &Range<usize>) -> Option<u32> {
        let id: u32 = std::str::from_utf8(&self.pdf[first.clone()])
            .ok()?
            .parse()
            .ok()?;
        self.skip_space();
        let generation = self.regular();
        if generation.is_empty() || !self.pdf[generation].iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.skip_space();
        let keyword = self.regular();
        (&self.pdf[keyword] == b"R").then_some(id)
    }

    /// A literal string `( … )`: balanced parentheses, backslash escapes.
    pub(super) fn literal(&mut self) -> Option<()> {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.pos += 1,
                b'(' => depth += 1,
                b')' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return (self.pos <= self.end).then_some(());
                    }
                }
                _ => {}
            }
        }
        None
    }
}
