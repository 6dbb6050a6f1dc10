//! Case data is untrusted: whatever a string holds, it prints literally or is
//! refused with 422; it never becomes Typst code and never causes a 5xx.

use crate::common::*;
use docket::DocumentError;
use proptest::prelude::*;
use serde_json::Value;

pub(crate) const HOSTILE: &[&str] = &[
    "#read(\"/etc/passwd\")",
    "#set page(width: 1pt)",
    "#{ panic(\"boom\") }",
    "*bold*",
    "_x_",
    "$x^2$",
    "<lbl>",
    "@ref",
    "// c",
    "/* c",
    "= H",
    "- item",
    "+ item",
    "1. item",
    "`raw` ```block```",
    "trailing\\",
    "{{ 7*7 }}",
    "<< 7*7 >>",
    "<% if true %>x<% endif %>",
    "{# c #} <# c #>",
    "https://example.org/a_b?c=d#e",
    "[x] (y) {z}",
    "\"quoted\" and 'single'",
    "a -- b --- c ... d ~ e",
    "\\u{41}",
    "مرحبا",
    "שלום",
    "a\u{200B}b\u{200D}c",
    "\u{202E}reversed",
    "Nguyễn Thị Ánh",
    "Łucja Wiśniewska-Żak",
    "Zoë O'Brien",
];

/// String fields whose values the schema or the rules constrain to a format
/// (dates, codes, enumerations, identifiers): substituting arbitrary text
/// there is refused by design.
fn constrained(pointer: &str, value: &Value) -> bool {
    let is_date = value.as_str().is_some_and(|s| {
        s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            })
    });
    is_date
        || [
            "/upn",
            "/postcode",
            "/email",
            "/start",
            "/reference",
            "/offer_reference",
            "/relationship",
            "/session",
            "/code",
            "/outcome",
            "/service",
            "/kind",
            "/pathway",
            "/grounds",
            "/notice_number",
            "/offence",
            "/initials",
            "/language",
            "/case_number",
            "/notice",
            "/ground",
            "/route",
            "/found_at_time",
        ]
        .iter()
        .any(|suffix| pointer.ends_with(suffix))
}

/// A unique, printable tag for the `i`-th field: `Qzx` + letters A–V + `w`,
/// so that no tag is a substring of another.
fn tag(i: usize) -> String {
    let mut letters = String::new();
    let mut n = i;
    loop {
        letters.push(char::from(b'A' + u8::try_from(n % 22).unwrap()));
        n /= 22;
        if n == 0 {
            break;
        }
    }
    format!("Qzx{letters}w")
}

fn string_fields(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(at),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| string_fields(v, format!("{at}/{i}"), out)),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| string_fields(v, format!("{at}/{k}"), out)),
        _ => {}
    }
}

/// Text compared without whitespace and case (address blocks upper-case the
/// town; lines may wrap anywhere).
/// Compared in NFKC form: compatibility characters such as Arabic
/// presentation ligatures come back from the text layer decomposed.
fn squash(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // Layouts from version 2 print every straight apostrophe as a
    // typographic one (one style, whatever the data uses).
    text.nfkc()
        .map(|c| if c == '\u{2019}' { '\'' } else { c })
        .filter(|c| !c.is_whitespace() && !is_invisible(*c))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Combining marks (general category M) print, but Typst's text layer does
/// not always keep them in logical order next to their base letter (pdftotext
/// reads `ab\u{485}c` back as `ab\u{485}cb\u{485}`), so exact round-trips are
/// checked on text without them; hostile strings above include accented
/// letters in precomposed form.
///
/// Likewise a soft hyphen becomes a visible hyphen where the line breaks,
/// and right-to-left characters reorder their neutral neighbours (bidi), so
/// such strings are checked character by character instead of as a run.
fn exact_round_trip_expected(s: &str) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    !s.chars().any(|c| {
        c.general_category_group() == GeneralCategoryGroup::Mark
            || c == '\u{AD}'
            || matches!(u32::from(c), 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
    })
}

/// Every visible character of `needle` is somewhere in `haystack`.
fn contains_every_char(haystack: &str, needle: &str) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    squash(needle)
        .chars()
        .filter(|c| c.general_category_group() != GeneralCategoryGroup::Mark && *c != '\u{AD}')
        .all(|c| haystack.contains(c))
}

/// Zero-width and direction characters shape to nothing, so they are not in
/// the PDF's text layer; everything around them is.
fn is_invisible(c: char) -> bool {
    matches!(u32::from(c), 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0xFEFF | 0x00AD)
}

/// Right-to-left runs may be extracted in visual order: accept either.
fn contains_literally(haystack: &str, needle: &str) -> bool {
    let n = squash(needle);
    haystack.contains(&n) || haystack.contains(&n.chars().rev().collect::<String>())
}

fn render(kind: &str, version: &str, case: &Value) -> Result<Vec<u8>, DocumentError> {
    render_any(&crate::common::proof(kind, Some(version), None, case)).map(|r| r.output)
}

/// Every hostile string in every free-text field of every sample prints
/// literally wherever that field is printed, or is refused with a problem
/// at that field; nothing else happens. Each field gets the hostile string
/// behind its own tag, so one render checks every field at once.
#[test]
fn hostile_strings_print_literally_in_every_field() {
    for (kind, version, sample) in samples() {
        let mut all = Vec::new();
        string_fields(&sample, String::new(), &mut all);
        // A document about an issued notice or a decision on record names
        // its parent as the register holds them: the register checks the
        // name, so it is not free text here.
        let matched = [
            "/withdrawal/parent",
            "/decision/defendant",
            "/prosecution/defendant",
        ]
        .iter()
        .find_map(|p| sample.pointer(p).and_then(Value::as_u64));
        let fields: Vec<&String> = all
            .iter()
            .filter(|p| !constrained(p, sample.pointer(p).unwrap()))
            .filter(|p| {
                !matched.is_some_and(|i| {
                    *p == &format!("/parents/{i}/given_names")
                        || *p == &format!("/parents/{i}/family_name")
                })
            })
            .collect();
        // Which fields are printed at all? Tag each one and look.
        let mut marked = sample.clone();
        for (i, pointer) in fields.iter().enumerate() {
            *marked.pointer_mut(pointer).unwrap() = Value::from(tag(i));
        }
        let text = match render(&kind, &version, &marked) {
            Ok(pdf) => squash(&pdf_text(&pdf)),
            Err(e) => panic!("{kind}@{version}: tagged sample refused: {e}"),
        };
        let printed: Vec<bool> = (0..fields.len())
            .map(|i| text.contains(&squash(&tag(i))))
            .collect();
        assert!(
            printed.iter().any(|p| *p),
            "{kind}@{version}: no free-text field is printed"
        );
        for hostile in HOSTILE {
            let mut case = sample.clone();
            let mut hostile_at: Vec<usize> = (0..fields.len()).collect();
            let text = loop {
                for &i in &hostile_at {
                    *case.pointer_mut(fields[i]).unwrap() =
                        Value::from(format!("{}{hostile}", tag(i)));
                }
                match render(&kind, &version, &case) {
                    Ok(pdf) => break squash(&pdf_text(&pdf)),
                    // A field may refuse the string (too long, unprintable):
                    // only a field that holds it may be blamed. Put the
                    // sample's value back there and try the others again.
                    Err(DocumentError::Invalid(problems)) => {
                        let refused: Vec<usize> = hostile_at
                            .iter()
                            .copied()
                            .filter(|&i| problems.0.iter().any(|p| p.pointer == *fields[i]))
                            .collect();
                        assert!(
                            !refused.is_empty()
                                && problems
                                    .0
                                    .iter()
                                    .all(|p| fields.iter().any(|f| **f == p.pointer)),
                            "{kind}@{version}: {hostile:?} refused elsewhere: {problems:?}"
                        );
                        for &i in &refused {
                            *case.pointer_mut(fields[i]).unwrap() =
                                sample.pointer(fields[i]).unwrap().clone();
                        }
                        hostile_at.retain(|i| !refused.contains(i));
                    }
                    Err(other) => panic!("{kind}@{version}: {hostile:?} gave {other}"),
                }
            };
            for &i in hostile_at.iter().filter(|&&i| printed[i]) {
                let t = squash(&tag(i));
                let ok = if exact_round_trip_expected(hostile) {
                    contains_literally(&text, &format!("{}{hostile}", tag(i)))
                } else {
                    text.contains(&t) && contains_every_char(&text, hostile)
                };
                assert!(
                    ok,
                    "{kind}@{version} {}: {hostile:?} not printed literally",
                    fields[i]
                );
            }
        }
    }
}

/// Through HTTP too: hostile names are a 200 or a 422, never a 5xx.
#[tokio::test]
async fn hostile_strings_never_cause_server_errors() {
    let (kind, _, sample) = samples().into_iter().next().unwrap();
    for hostile in HOSTILE {
        let mut case = sample.clone();
        case["pupil"]["family_name"] = Value::from(*hostile);
        let reply = post_json(&format!("/v1/documents/{kind}"), &case).await;
        assert!(
            reply.status == 200 || reply.status == 422,
            "{hostile:?}: {}",
            reply.status
        );
    }
}

fn acl() -> Value {
    sample_of("absence-concern-letter", "kpas-1")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Arbitrary Unicode in a free-text field: either it round-trips to the
    /// PDF's text, or it is refused with a problem naming that field.
    #[test]
    fn arbitrary_unicode_round_trips_or_is_refused(s in "\\PC{1,60}|.{1,60}") {
        let mut case = acl();
        case["concern"]["school_actions"][0] = Value::from(s.clone());
        let exact = exact_round_trip_expected(&s);
        match render("absence-concern-letter", "kpas-1", &case) {
            Ok(pdf) => {
                let text = squash(&pdf_text(&pdf));
                if exact {
                    prop_assert!(contains_literally(&text, &s), "{s:?} not in the PDF text");
                } else {
                    prop_assert!(contains_every_char(&text, &s), "{s:?} not in the PDF text");
                }
            }
            Err(DocumentError::Invalid(problems)) => {
                prop_assert!(problems.0.iter().all(|p| p.pointer == "/concern/school_actions/0"), "{problems:?}");
            }
            Err(other) => prop_assert!(false, "{s:?} gave {other}"),
        }
    }

    /// Text in the scripts docket's fonts cover always renders, and round-trips.
    #[test]
    fn covered_scripts_always_render(s in "[ -~\u{A0}-\u{AC}\u{AE}-\u{24F}\u{1E00}-\u{1EFF}\u{391}-\u{3A1}\u{3A3}-\u{3CE}\u{400}-\u{45F}]{1,80}") {
        prop_assume!(!s.trim().is_empty());
        let mut case = acl();
        case["pupil"]["family_name"] = Value::from(s.clone());
        let pdf = render("absence-concern-letter", "kpas-1", &case);
        prop_assert!(pdf.is_ok(), "{s:?}: {:?}", pdf.err());
        let text = squash(&pdf_text(&pdf.unwrap()));
        prop_assert!(contains_literally(&text, &s), "{s:?} not in the PDF text");
    }
}
