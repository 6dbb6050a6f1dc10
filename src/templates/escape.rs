//! The two escaping contexts of Typst that case data can land in: markup
//! (the default for everything a template prints) and string literals (the
//! `str` filter). Whatever the input, the output makes Typst print exactly the
//! input's characters and nothing else: no markup, no code, no comments.

/// Appends `text` to `out` so that Typst markup prints it literally.
///
/// Every ASCII punctuation character is preceded by a backslash: in Typst
/// markup a backslash before any non-whitespace character prints that
/// character as itself, which neutralises `#` (code), `*` and `_` (emphasis),
/// `$` (maths), `<` `>` (labels), `@` (references), `/` (comments), `=` `-`
/// `+` (headings and lists), `[` `]` `{` `}`, backticks (raw), `\` itself and
/// the shorthands (`--`, `...`, `~`, smart quotes) in one rule. Letters and
/// digits are never escaped, so `\u{…}` escapes cannot be formed.
///
/// A line break in the input becomes a line break in the output; other
/// whitespace is kept as is.
pub fn markup_into(text: &str, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\ ");
                }
            }
            // Typst treats these as line breaks too.
            '\n' | '\u{2028}' | '\u{2029}' => out.push_str("\\ "),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// `text` escaped for Typst markup.
pub fn markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    markup_into(text, &mut out);
    out
}

/// `text` as a Typst string literal, quotes included.
///
/// Every ASCII punctuation character and line break inside is written as a
/// `\u{…}` escape, so the result is harmless even if a template prints it
/// in markup by mistake: there it shows as text, never as code.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c.is_ascii_punctuation() || matches!(c, '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}') {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_escapes_every_special_character() {
        assert_eq!(
            markup("#read(\"/etc/passwd\")"),
            "\\#read\\(\\\"\\/etc\\/passwd\\\"\\)"
        );
        assert_eq!(markup("*bold* _x_"), "\\*bold\\* \\_x\\_");
        assert_eq!(markup("a\\"), "a\\\\");
        assert_eq!(markup("O'Brien"), "O\\'Brien");
        assert_eq!(markup("Łucja Nguyễn"), "Łucja Nguyễn");
        assert_eq!(markup("two\nlines"), "two\\ lines");
        assert_eq!(markup("\\u{41}"), "\\\\u\\{41\\}");
    }

    #[test]
    fn string_literals_escape_quotes_and_backslashes() {
        assert_eq!(
            string_literal("a\"b\\c\nd#"),
            "\"a\\u{22}b\\u{5c}c\\u{a}d\\u{23}\""
        );
    }
}
