//! The fonts every document is set in. They ship in the repository's `fonts/`
//! folder and are compiled into the binary, so rendering never looks at the
//! system's fonts and every machine produces the same bytes.

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

/// Font files compiled into the binary, in fallback order.
const FONT_FILES: &[&[u8]] = &[
    include_bytes!("../../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../fonts/NotoSans-Italic.ttf"),
    include_bytes!("../../fonts/NotoSans-BoldItalic.ttf"),
    include_bytes!("../../fonts/NotoSansMono-Regular.ttf"),
    include_bytes!("../../fonts/NotoSansHebrew-Regular.ttf"),
    include_bytes!("../../fonts/NotoSansHebrew-Bold.ttf"),
    include_bytes!("../../fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../../fonts/NotoSansArabic-Bold.ttf"),
];

/// The loaded fonts and the book Typst selects them from.
#[derive(Debug)]
pub struct Fonts {
    /// Metadata about every font, for selection.
    pub book: LazyHash<FontBook>,
    /// The fonts, indexed as in the book.
    pub fonts: Vec<Font>,
}

impl Fonts {
    /// Parses the embedded font files. Done once per process.
    pub fn embedded() -> Self {
        let fonts: Vec<Font> = FONT_FILES
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        Self { book, fonts }
    }

    /// Whether some font can print `c`. The spaces Typst's shaper substitutes
    /// and invisible formatting characters (zero-width joiners, direction
    /// marks…) need no glyph; any other character needs one (U+1680, the
    /// Ogham space, is whitespace but has no glyph in our fonts).
    ///
    /// U+FEFF and U+FFFE are never printable: archival PDF forbids them in
    /// the text layer.
    pub fn covers(&self, c: char) -> bool {
        if matches!(c, '\u{FEFF}' | '\u{FFFE}') {
            return false;
        }
        matches!(
            c,
            ' ' | '\n' | '\t' | '\r' | '\u{A0}' | '\u{2000}'
                ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
        ) || is_invisible_format(c)
            || self
                .fonts
                .iter()
                .any(|f| f.info().coverage.contains(u32::from(c)))
    }
}

/// Default-ignorable format characters that shape to nothing.
fn is_invisible_format(c: char) -> bool {
    matches!(u32::from(c),
        0x00AD | 0x034F | 0x061C | 0x180B..=0x180F | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFE00..=0xFE0F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_cover_the_names_of_a_kent_school_roll() {
        let fonts = Fonts::embedded();
        assert!(fonts.fonts.len() >= 9);
        for name in [
            "Łucja Wiśniewska",
            "Nguyễn Thị Ánh",
            "Zoë Ó Briain",
            "Dafydd ap Siôn",
            "Ğül Şahin",
            "Ηλίας",
            "Алексей",
            "דוד",
            "محمد",
        ] {
            for c in name.chars() {
                assert!(fonts.covers(c), "{c:?} in {name}");
            }
        }
        assert!(fonts.covers('\u{200D}'));
        assert!(!fonts.covers('王'));
        assert!(!fonts.covers('\u{FEFF}'));
        assert!(!fonts.covers('\u{1680}'));
    }
}
