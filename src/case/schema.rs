//! The case schema, generated from the model by schemars, and the checks of
//! untrusted JSON against it: shape problems (missing and unknown fields,
//! wrong types, lengths, impossible dates) and text problems (blank text,
//! control characters, unclosed direction controls, characters the fonts
//! cannot print), all collected, each with its JSON pointer.

use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::{Case, Problem, Problems};

/// The JSON Schema (draft 2020-12) of a [`Case`], generated from the types.
pub fn schema() -> &'static Value {
    static SCHEMA: LazyLock<Value> =
        LazyLock::new(|| serde_json::to_value(schemars::schema_for!(Case)).unwrap_or_default());
    &SCHEMA
}

/// The case schema for a document that needs `sections`: those sections are
/// required and may not be null. Published per template version at
/// `GET /v1/templates/{kind}/{version}/schema`.
pub fn schema_for(sections: &[String], title: &str) -> Value {
    let mut schema = schema().clone();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "title".into(),
            Value::from(format!("Case data for: {title}")),
        );
        let mut required: Vec<Value> = obj
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for s in sections {
            if !required.iter().any(|r| r == s.as_str()) {
                required.push(Value::from(s.as_str()));
            }
        }
        obj.insert("required".into(), Value::Array(required));
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            for s in sections {
                let Some(prop) = props.get_mut(s.as_str()) else {
                    continue;
                };
                // `anyOf: [section, null]` (or `type: [array, null]`) becomes
                // the section alone.
                if let Some(branches) = prop.get("anyOf").and_then(Value::as_array) {
                    let kept: Vec<Value> = branches
                        .iter()
                        .filter(|b| b.get("type") != Some(&Value::from("null")))
                        .cloned()
                        .collect();
                    if let [only] = kept.as_slice() {
                        let mut replaced = only.clone();
                        if let (Some(r), Some(desc)) =
                            (replaced.as_object_mut(), prop.get("description").cloned())
                        {
                            r.insert("description".into(), desc);
                        }
                        *prop = replaced;
                    }
                } else if let Some(types) = prop.get_mut("type").and_then(Value::as_array_mut) {
                    types.retain(|t| t != "null");
                }
            }
        }
    }
    schema
}

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema())
        .map_err(|e| e.to_string())
});

/// Schema and text checks on raw JSON, without the rules. Returns every
/// problem found, in document order.
pub fn validate_value(value: &Value, printable: &dyn Fn(char) -> bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    match &*VALIDATOR {
        Ok(validator) => {
            for error in validator.iter_errors(value) {
                let at = error.instance_path().as_str().to_owned();
                problems.extend(describe(&at, error.kind()));
            }
        }
        Err(e) => problems.push(Problem::new("", format!("the case schema is broken: {e}"))),
    }
    walk_text(value, &mut String::new(), printable, &mut problems);
    problems.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    problems.dedup();
    problems
}

/// Turns a schema error into plain words.
fn describe(at: &str, kind: &ValidationErrorKind) -> Vec<Problem> {
    let one = |detail: String| vec![Problem::new(at, detail)];
    match kind {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![Problem::new(
                format!("{at}/{}", escape_pointer(name)),
                "is required",
            )]
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => unexpected
            .iter()
            .map(|name| {
                Problem::new(
                    format!("{at}/{}", escape_pointer(name)),
                    "is not a field docket knows; check its spelling",
                )
            })
            .collect(),
        ValidationErrorKind::Type { kind } => one(format!("must be {}", type_words(kind))),
        ValidationErrorKind::Format { format } => one(match format.as_str() {
            "date" => "must be a real date written YYYY-MM-DD".into(),
            "email" => "must be an e-mail address".into(),
            other => format!("must be in {other} format"),
        }),
        ValidationErrorKind::MinLength { limit: 1 } => one("must not be empty".into()),
        ValidationErrorKind::MinLength { limit } => {
            one(format!("must be at least {limit} characters long"))
        }
        ValidationErrorKind::MaxLength { limit } => {
            one(format!("must be at most {limit} characters long"))
        }
        ValidationErrorKind::MinItems { limit } => one(format!(
            "must list at least {limit} item{}",
            if *limit == 1 { "" } else { "s" }
        )),
        ValidationErrorKind::MaxItems { limit } => one(format!("must list at most {limit} items")),
        ValidationErrorKind::Minimum { limit } => one(format!("must be at least {limit}")),
        ValidationErrorKind::Maximum { limit } => one(format!("must be at most {limit}")),
        ValidationErrorKind::Pattern { .. } => one(if at.ends_with("/start") {
            "must be a 24-hour time written HH:MM, e.g. 09:30".into()
        } else if at == "/reference" {
            "may contain only letters, digits and / . _ - and must start with a letter or digit"
                .into()
        } else {
            "is not in the expected format".into()
        }),
        ValidationErrorKind::Enum { options } => {
            let names: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            one(format!("must be one of: {}", names.join(", ")))
        }
        ValidationErrorKind::FalseSchema => one("is not allowed here".into()),
        // Optional sections are `anyOf: [section, null]`: report what is wrong
        // inside the branch the value was meant for, not the `anyOf` itself.
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let meant: Vec<_> = context
                .iter()
                .filter(|branch| {
                    !branch.iter().all(|e| {
                        matches!(e.kind(), ValidationErrorKind::Type { .. })
                            && e.instance_path().as_str() == at
                    })
                })
                .collect();
            match meant.as_slice() {
                [branch] => branch
                    .iter()
                    .flat_map(|e| describe(e.instance_path().as_str(), e.kind()))
                    .collect(),
                _ => one("has the wrong type".into()),
            }
        }
        other => one(format!("is not valid: {}", kind_name(other))),
    }
}

fn kind_name(kind: &ValidationErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn type_words(kind: &jsonschema::error::TypeKind) -> String {
    use jsonschema::JsonType;
    let word = |t: &JsonType| match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "a whole number",
        JsonType::Null => "null",
        JsonType::Number => "a number",
        JsonType::Object => "an object",
        JsonType::String => "text",
    };
    match kind {
        jsonschema::error::TypeKind::Single(t) => word(t).to_owned(),
        jsonschema::error::TypeKind::Multiple(ts) => ts
            .into_iter()
            .map(|t| word(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The text checks of one string at `at`: blank text, control characters
/// (but newlines and tabs), an unclosed direction control, a character the
/// fonts cannot print.
fn check_string(at: &str, s: &str, printable: &dyn Fn(char) -> bool, problems: &mut Vec<Problem>) {
    if s.trim().is_empty() && !s.is_empty() {
        problems.push(Problem::new(at, "must not be blank"));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        problems.push(Problem::new(
            at,
            format!("contains the control character U+{:04X}", u32::from(c)),
        ));
    } else if !bidi_balanced(s) {
        problems.push(Problem::new(
            at,
            "has a direction control (U+202A–U+202E or U+2066–U+2069) that is not closed, which would reverse the text after it",
        ));
    } else if let Some(c) = s.chars().find(|&c| !c.is_control() && !printable(c)) {
        problems.push(Problem::new(
            at,
            format!(
                "contains U+{:04X} ({c}), which docket's fonts cannot print",
                u32::from(c)
            ),
        ));
    }
}

/// Free text outside a case (an event's reason) checked as a case's text
/// is, and its length: at most `max` characters, not empty.
pub fn check_text(at: &str, s: &str, max: usize, printable: &dyn Fn(char) -> bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    let len = s.chars().count();
    if len == 0 {
        problems.push(Problem::new(at, "must not be empty"));
    } else if len > max {
        problems.push(Problem::new(
            at,
            format!("must be at most {max} characters long"),
        ));
    }
    check_string(at, s, printable, &mut problems);
    problems
}

/// Walks every string: blank text, control characters and characters the
/// fonts cannot print are refused.
fn walk_text(
    value: &Value,
    at: &mut String,
    printable: &dyn Fn(char) -> bool,
    problems: &mut Vec<Problem>,
) {
    match value {
        Value::String(s) => check_string(at, s, printable, problems),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                walk_text(item, at, printable, problems);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&escape_pointer(key));
                walk_text(item, at, printable, problems);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether every bidirectional embedding, override and isolate in `s` is
/// closed, so that none can reverse the template text printed after it.
fn bidi_balanced(s: &str) -> bool {
    let mut open = Vec::new();
    for c in s.chars() {
        match c {
            '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' => open.push('\u{202C}'),
            '\u{2066}' | '\u{2067}' | '\u{2068}' => open.push('\u{2069}'),
            '\u{202C}' | '\u{2069}' if open.pop() != Some(c) => return false,
            _ => {}
        }
    }
    open.is_empty()
}

/// Checks `value` against the case schema and the text rules, requires the
/// sections `requires` names, and gives the typed case. The checks of
/// meaning come after ([`super::check`]), once the caller has added what it
/// adds (issuing adds a parent's earlier notices from the register).
///
/// `printable` says whether the fonts can print a character; a string with a
/// character they cannot print is refused rather than printed as a blank box.
pub fn parse(
    value: &Value,
    requires: &[String],
    printable: &dyn Fn(char) -> bool,
) -> Result<Case, Problems> {
    let mut problems = validate_value(value, printable);
    for section in requires {
        if value.get(section).is_none_or(Value::is_null) {
            problems.push(Problem::new(
                format!("/{section}"),
                "is required for this document",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = e
            .path()
            .iter()
            .map(|seg| format!("/{seg}"))
            .collect::<String>();
        Problems(vec![Problem::new(pointer, e.inner().to_string())])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all_printable(_: char) -> bool {
        true
    }

    fn sample() -> Value {
        json!({
            "reference": "ATT/2026/00412",
            "date": "2026-11-23",
            "school": {
                "name": "Oakfield Primary School",
                "address": {"lines": ["Oak Lane"], "town": "Maidstone", "postcode": "ME14 2AB"},
                "phone": "01622 000000",
                "email": "office@oakfield.example.org",
                "head_teacher": "Mr Daniel Reeve",
                "attendance_lead": {"name": "Mrs Sarah Okafor", "role": "Senior Attendance Champion"}
            },
            "pupil": {
                "given_names": "Ellie", "family_name": "Brown", "upn": "W886200012345",
                "date_of_birth": "2016-03-14", "year_group": 5
            },
            "parents": [{
                "title": "Ms", "given_names": "Jane", "family_name": "Brown",
                "relationship": "mother", "parental_responsibility": true,
                "address": {"lines": ["12 Elm Road"], "town": "Maidstone", "postcode": "me15 6ry"}
            }]
        })
    }

    #[test]
    fn required_sections_are_named() {
        let got = parse(&sample(), &["meeting".to_owned()], &all_printable).unwrap_err();
        assert_eq!(
            got.0,
            vec![Problem::new("/meeting", "is required for this document")]
        );
    }

    #[test]
    fn direction_controls_must_be_closed() {
        assert!(bidi_balanced("plain"));
        assert!(bidi_balanced("a\u{202E}b\u{202C}c\u{2067}d\u{2069}"));
        assert!(!bidi_balanced("\u{202E}reversed"));
        assert!(!bidi_balanced("a\u{202C}"));
        assert!(!bidi_balanced("\u{2066}a\u{202C}\u{2069}"));
    }

    #[test]
    fn unprintable_and_control_characters_are_refused() {
        let mut v = sample();
        v["pupil"]["given_names"] = json!("El\u{0007}lie");
        v["pupil"]["family_name"] = json!("王");
        let got = parse(&v, &[], &|c: char| c != '王').unwrap_err();
        let at: Vec<_> = got.0.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(at, vec!["/pupil/family_name", "/pupil/given_names"]);
    }
}
