//! Validation of untrusted case JSON: the schema generated from the model
//! catches shape problems (missing and unknown fields, wrong types, lengths,
//! impossible dates), then the rules catch problems of meaning (UPN check
//! letters, postcodes, inconsistent counts, dates in the wrong order). Every
//! problem is collected, each with the JSON pointer of the field at fault.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use jsonschema::error::ValidationErrorKind;
use serde::Serialize;
use serde_json::Value;

use super::Case;
use crate::rules;

/// One thing wrong with the input, by the JSON pointer (RFC 6901) of the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// Where the problem is, e.g. `/pupil/upn`; empty for the whole document.
    pub pointer: String,
    /// What is wrong, in plain words.
    pub detail: String,
    /// The rule refused, for refusals by a rule of the framework or the law
    /// (e.g. `pn.max-two-in-three-years`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Problem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
            rule: None,
        }
    }

    /// A refusal by the named rule.
    pub fn refusal(pointer: impl Into<String>, rule: &str, detail: impl Into<String>) -> Self {
        Self {
            rule: Some(rule.to_owned()),
            ..Self::new(pointer, detail)
        }
    }
}

/// Every problem found in one input. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} problem(s) with the case data, the first at {}: {}", .0.len(), .0.first().map_or("", |p| p.pointer.as_str()), .0.first().map_or("", |p| p.detail.as_str()))]
pub struct Problems(pub Vec<Problem>);

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

/// Checks `value` against the case schema and the rules, and returns the case
/// with its problems for a document that needs the sections `requires`.
///
/// `printable` says whether the fonts can print a character; a string with a
/// character they cannot print is refused rather than printed as a blank box.
pub fn parse_case(
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
    let case: Case = serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = e
            .path()
            .iter()
            .map(|seg| format!("/{seg}"))
            .collect::<String>();
        Problems(vec![Problem::new(pointer, e.inner().to_string())])
    })?;
    let problems = check_rules(&case);
    if problems.is_empty() {
        Ok(case)
    } else {
        Err(Problems(problems))
    }
}

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
    check_text(value, &mut String::new(), printable, &mut problems);
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

/// Walks every string: blank text, control characters and characters the
/// fonts cannot print are refused.
fn check_text(
    value: &Value,
    at: &mut String,
    printable: &dyn Fn(char) -> bool,
    problems: &mut Vec<Problem>,
) {
    match value {
        Value::String(s) => {
            if s.trim().is_empty() && !s.is_empty() {
                problems.push(Problem::new(at.clone(), "must not be blank"));
            }
            if let Some(c) = s
                .chars()
                .find(|&c| c.is_control() && !matches!(c, '\n' | '\t'))
            {
                problems.push(Problem::new(
                    at.clone(),
                    format!("contains the control character U+{:04X}", u32::from(c)),
                ));
            } else if !bidi_balanced(s) {
                problems.push(Problem::new(
                    at.clone(),
                    "has a direction control (U+202A–U+202E or U+2066–U+2069) that is not closed, which would reverse the text after it",
                ));
            } else if let Some(c) = s.chars().find(|&c| !c.is_control() && !printable(c)) {
                problems.push(Problem::new(
                    at.clone(),
                    format!(
                        "contains U+{:04X} ({c}), which docket's fonts cannot print",
                        u32::from(c)
                    ),
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                check_text(item, at, printable, problems);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&escape_pointer(key));
                check_text(item, at, printable, problems);
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

/// The rules that need the whole, well-typed case.
fn check_rules(case: &Case) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut refusals = Vec::new();
    let mut push = |pointer: &str, detail: String| problems.push(Problem::new(pointer, detail));
    let date = case.date;
    if !(2000..=2100).contains(&date.year()) {
        push("/date", "must be a date between 2000 and 2100".into());
    }
    if let Err(e) = rules::check_upn(&case.pupil.upn) {
        push(
            "/pupil/upn",
            format!("is not a valid Unique Pupil Number: {e}"),
        );
    }
    match rules::age_on(case.pupil.date_of_birth, date) {
        None => push(
            "/pupil/date_of_birth",
            format!("is after the document date ({})", iso(date)),
        ),
        Some(age) if !(2..=19).contains(&age) => push(
            "/pupil/date_of_birth",
            format!("makes the pupil {age} on the document date; a pupil is 2 to 19"),
        ),
        Some(_) => {}
    }
    let mut addresses = vec![("/school/address".to_owned(), &case.school.address)];
    addresses.extend(
        case.pupil
            .address
            .iter()
            .map(|a| ("/pupil/address".to_owned(), a)),
    );
    addresses.extend(
        case.parents
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("/parents/{i}/address"), &p.address)),
    );
    addresses.extend(
        case.authority
            .iter()
            .map(|a| ("/authority/address".to_owned(), &a.address)),
    );
    for (at, address) in addresses {
        if rules::normalise_postcode(&address.postcode).is_none() {
            push(
                &format!("{at}/postcode"),
                "is not a valid UK postcode".into(),
            );
        }
    }
    if !case.parents.iter().any(|p| p.parental_responsibility) {
        push(
            "/parents",
            "at least one parent or carer must hold parental responsibility".into(),
        );
    }
    if let Some(a) = &case.attendance {
        if a.from > a.to {
            push(
                "/attendance/to",
                format!("is before the start of the period ({})", iso(a.from)),
            );
        }
        if a.to > date {
            push(
                "/attendance/to",
                format!("is after the document date ({})", iso(date)),
            );
        }
        let days = (a.to - a.from).num_days() + 1;
        if a.from <= a.to && i64::from(a.possible_sessions) > 2 * days {
            push(
                "/attendance/possible_sessions",
                format!("is more than two sessions a day over the {days} days of the period"),
            );
        }
        if let Err(e) = rules::attendance_figures(
            a.possible_sessions,
            a.authorised_absences,
            a.unauthorised_absences,
        ) {
            push(
                "/attendance/authorised_absences",
                format!("does not add up: {e}"),
            );
        }
        if a.illness_absences > a.authorised_absences {
            push(
                "/attendance/illness_absences",
                format!(
                    "is more than the {} sessions of authorised absence it is part of",
                    a.authorised_absences
                ),
            );
        }
    }
    if let Some(a) = &case.attendance {
        for (i, mark) in a.sessions.iter().enumerate() {
            if rules::codes::lookup(&mark.code, mark.date).is_none() {
                push(
                    &format!("/attendance/sessions/{i}/code"),
                    format!(
                        "`{}` is not a register code in use on {}",
                        mark.code,
                        iso(mark.date)
                    ),
                );
            }
            if mark.date < a.from || mark.date > a.to {
                push(
                    &format!("/attendance/sessions/{i}/date"),
                    format!(
                        "is outside the attendance period ({} to {})",
                        iso(a.from),
                        iso(a.to)
                    ),
                );
            }
        }
        if !a.sessions.is_empty() {
            let count = |c: rules::codes::Category| {
                a.sessions
                    .iter()
                    .filter(|m| rules::codes::lookup(&m.code, m.date).is_some_and(|(k, _)| k == c))
                    .count()
            };
            use rules::codes::Category::{Authorised, Present, Unauthorised};
            let (present, authorised, unauthorised) =
                (count(Present), count(Authorised), count(Unauthorised));
            let possible = present + authorised + unauthorised;
            for (field, marks, given) in [
                ("possible_sessions", possible, a.possible_sessions),
                ("authorised_absences", authorised, a.authorised_absences),
                (
                    "unauthorised_absences",
                    unauthorised,
                    a.unauthorised_absences,
                ),
            ] {
                if usize::try_from(given).ok() != Some(marks) {
                    push(
                        &format!("/attendance/{field}"),
                        format!("is {given}, but the session marks given add up to {marks}"),
                    );
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, mark) in a.sessions.iter().enumerate() {
            if !seen.insert((mark.date, mark.session)) {
                push(
                    &format!("/attendance/sessions/{i}"),
                    "repeats a session already listed".into(),
                );
            }
        }
    }
    if let Some(p) = &case.penalty {
        if p.offence_from > p.offence_to {
            push(
                "/penalty/offence_to",
                format!(
                    "is before the start of the offence period ({})",
                    iso(p.offence_from)
                ),
            );
        }
        if p.offence_to > date {
            push(
                "/penalty/offence_to",
                format!("is after the notice's date ({})", iso(date)),
            );
        }
        if p.requested_on > date {
            push(
                "/penalty/requested_on",
                format!("is after the notice's date ({})", iso(date)),
            );
        }
        let mut parents_seen = std::collections::BTreeSet::new();
        for (k, notice) in p.notices.iter().enumerate() {
            if notice.parent >= case.parents.len() {
                push(
                    &format!("/penalty/notices/{k}/parent"),
                    format!(
                        "there is no parent {}; the case lists {}, numbered from 0",
                        notice.parent,
                        case.parents.len()
                    ),
                );
            } else if !parents_seen.insert(notice.parent) {
                push(
                    &format!("/penalty/notices/{k}/parent"),
                    "has a notice already: one notice per parent".into(),
                );
            }
            for (i, prior) in notice.previous_notices.iter().enumerate() {
                if prior.issued_on > date {
                    push(
                        &format!("/penalty/notices/{k}/previous_notices/{i}/issued_on"),
                        format!("is after this notice's date ({})", iso(date)),
                    );
                }
            }
        }
        let dob = case.pupil.date_of_birth;
        if !(rules::compulsory_school_age(dob, p.offence_from)
            && rules::compulsory_school_age(dob, p.offence_to))
        {
            refusals.push(Problem::refusal(
                "/pupil/date_of_birth",
                "pn.compulsory-school-age",
                "the pupil was not of compulsory school age throughout the offence period, so no offence under section 444 was committed in all of it; shorten the period",
            ));
        }
    }
    if let Some(Err(e)) = case
        .meeting
        .as_ref()
        .map(|m| rules::check_meeting_date(date, m.date))
    {
        push("/meeting/date", e.to_string());
    }
    check_steps(case, &mut problems, &mut refusals);
    check_court(case, &mut problems, &mut refusals);
    problems.extend(refusals);
    problems
}

/// Checks the sections of the framework's later steps: dates in order and
/// references to parents that exist.
fn check_steps(case: &Case, problems: &mut Vec<Problem>, refusals: &mut Vec<Problem>) {
    let date = case.date;
    let mut push = |pointer: &str, detail: String| problems.push(Problem::new(pointer, detail));
    let mut not_after_document = |pointer: &str, day: NaiveDate, what: &str| {
        if day > date {
            push(
                pointer,
                format!("is after the document date ({}); {what}", iso(date)),
            );
        }
    };
    if let Some(day) = case
        .penalty
        .as_ref()
        .and_then(|p| p.notice_to_improve_issued_on)
    {
        not_after_document(
            "/penalty/notice_to_improve_issued_on",
            day,
            "record a notice to improve once it has been issued",
        );
    }
    for (i, step) in case.history.iter().flatten().enumerate() {
        not_after_document(
            &format!("/history/{i}/date"),
            step.date,
            "the history records what has already happened",
        );
    }
    if let Some(plan) = &case.plan {
        not_after_document(
            "/plan/meeting_date",
            plan.meeting_date,
            "the plan records a meeting already held",
        );
    }
    if let Some(contract) = &case.contract {
        not_after_document(
            "/contract/agreed_on",
            contract.agreed_on,
            "the contract is printed once agreed",
        );
    }
    if let Some(r) = &case.referral
        && let Some(on) = r.consent.on
    {
        not_after_document("/referral/consent/on", on, "consent is recorded once given");
    }
    if let Some(plan) = &case.plan {
        if plan.review_date <= plan.meeting_date {
            push(
                "/plan/review_date",
                format!("must be after the meeting ({})", iso(plan.meeting_date)),
            );
        }
        for (i, action) in plan.actions.iter().enumerate() {
            if action.by < plan.meeting_date {
                push(
                    &format!("/plan/actions/{i}/by"),
                    format!("is before the meeting ({})", iso(plan.meeting_date)),
                );
            }
        }
    }
    if let Some(e) = &case.evidence {
        let mut seen = std::collections::BTreeSet::new();
        for (i, item) in e.sessions.iter().enumerate() {
            let at = format!("/evidence/sessions/{i}");
            if !seen.insert((item.date, item.session)) {
                push(&at, "repeats a session already listed".into());
            }
            if item.date > date {
                push(
                    &format!("{at}/date"),
                    format!(
                        "is after the letter's date ({}); evidence is asked for past absences",
                        iso(date)
                    ),
                );
            }
            let Some(a) = &case.attendance else { continue };
            if item.date < a.from || item.date > a.to {
                push(
                    &format!("{at}/date"),
                    format!(
                        "is outside the attendance period ({} to {})",
                        iso(a.from),
                        iso(a.to)
                    ),
                );
            }
            let mark = a
                .sessions
                .iter()
                .find(|m| m.date == item.date && m.session == item.session);
            if let Some(m) = mark
                && rules::codes::lookup(&m.code, m.date)
                    .is_some_and(|(c, _)| c == rules::codes::Category::Present)
            {
                push(
                    &at,
                    format!(
                        "the register marks this session `{}`, present; only absences need evidence",
                        m.code
                    ),
                );
            }
        }
    }
    if let Some(v) = &case.visit {
        match v.outcome {
            super::VisitOutcome::Planned => {
                let earliest = rules::calendar::add_working_days(
                    date,
                    rules::penalty::DEEMED_SERVICE_WORKING_DAYS,
                );
                if earliest.is_none_or(|e| v.date < e) {
                    push(
                        "/visit/date",
                        format!(
                            "is too soon: the letter is taken to arrive on the second working day after {}, so announce a visit on {} or later",
                            iso(date),
                            earliest.map_or_else(String::new, iso)
                        ),
                    );
                } else if !rules::calendar::is_working_day(v.date) {
                    push(
                        "/visit/date",
                        "is a weekend or bank holiday; visits are made on working days".into(),
                    );
                }
            }
            super::VisitOutcome::NoAnswer if v.date > date => push(
                "/visit/date",
                format!(
                    "is after the letter's date ({}); a visit with nobody in is written up after it happens",
                    iso(date)
                ),
            ),
            super::VisitOutcome::NoAnswer => {}
        }
    }
    if let Some(r) = &case.referral {
        if rules::normalise_postcode(&r.agency.address.postcode).is_none() {
            push(
                "/referral/agency/address/postcode",
                "is not a valid UK postcode".into(),
            );
        }
        let c = &r.consent;
        if c.given {
            match c.parent {
                None => push(
                    "/referral/consent/parent",
                    "is required when consent was given: which parent agreed".into(),
                ),
                Some(i)
                    if case
                        .parents
                        .get(i)
                        .is_none_or(|p| !p.parental_responsibility) =>
                {
                    push(
                        "/referral/consent/parent",
                        format!("must be a parent with parental responsibility; parent {i} is not"),
                    )
                }
                Some(_) => {}
            }
            if c.on.is_none() {
                push(
                    "/referral/consent/on",
                    "is required when consent was given: when they agreed".into(),
                );
            }
        }
        if let Err(r) = rules::steps::check_referral_consent(
            r.service == super::ReferralService::EarlyHelp,
            c.given,
            c.reason_without.is_some(),
        ) {
            refusals.push(Problem::refusal(
                "/referral/consent",
                r.rule(),
                r.to_string(),
            ));
        }
    }
    if let Some(nti) = &case.improvement {
        for (i, c) in nti.closures.iter().enumerate() {
            if c.to < c.from {
                push(
                    &format!("/improvement/closures/{i}/to"),
                    format!("is before the first day of the closure ({})", iso(c.from)),
                );
            }
        }
    }
    if let Some(iv) = &case.interview {
        if let Err(e) = rules::check_meeting_date(date, iv.date) {
            push("/interview/date", e.to_string());
        }
        if iv.offence_from > iv.offence_to {
            push(
                "/interview/offence_to",
                format!(
                    "is before the start of the period ({})",
                    iso(iv.offence_from)
                ),
            );
        }
        if iv.offence_to > date {
            push(
                "/interview/offence_to",
                format!("is after the letter's date ({})", iso(date)),
            );
        }
        let dob = case.pupil.date_of_birth;
        if !(rules::compulsory_school_age(dob, iv.offence_from)
            && rules::compulsory_school_age(dob, iv.offence_to))
        {
            refusals.push(Problem::refusal(
                "/pupil/date_of_birth",
                "s444.compulsory-school-age",
                "the pupil was not of compulsory school age throughout the period under investigation, so no offence under section 444 was committed in all of it; shorten the period",
            ));
        }
    }
}

/// The court documents' own checks on the case alone (those that need the
/// register or the edition are made when the bundle is put together).
fn check_court(case: &Case, problems: &mut Vec<Problem>, refusals: &mut Vec<Problem>) {
    let date = case.date;
    let dob = case.pupil.date_of_birth;
    let mut push = |pointer: &str, detail: String| problems.push(Problem::new(pointer, detail));
    if let Some(p) = &case.prosecution {
        if p.offence_from > p.offence_to {
            push(
                "/prosecution/offence_to",
                format!(
                    "is before the start of the period ({})",
                    iso(p.offence_from)
                ),
            );
        }
        if p.offence_to > date {
            push(
                "/prosecution/offence_to",
                format!("is after the bundle's date ({})", iso(date)),
            );
        }
        if p.defendant >= case.parents.len() {
            push(
                "/prosecution/defendant",
                format!(
                    "parent {} does not exist: the case lists {} parent(s) or carer(s), numbered from 0",
                    p.defendant,
                    case.parents.len()
                ),
            );
        }
        for (i, e) in p.chronology.iter().enumerate() {
            if e.date > date {
                push(
                    &format!("/prosecution/chronology/{i}/date"),
                    format!(
                        "is after the bundle's date ({}); the chronology records what has happened",
                        iso(date)
                    ),
                );
            }
        }
        if let Some(iv) = &p.interview {
            if iv.outcome == super::InterviewOutcome::Attended && iv.held_on.is_none() {
                push(
                    "/prosecution/interview/held_on",
                    "is required when the parent attended the interview".into(),
                );
            }
            if iv.outcome == super::InterviewOutcome::Attended && iv.record.is_empty() {
                push("/prosecution/interview/record", "is required when the parent attended the interview: it is produced as an exhibit".into());
            }
            if iv.offered_on > date {
                push(
                    "/prosecution/interview/offered_on",
                    format!("is after the bundle's date ({})", iso(date)),
                );
            }
        }
        if !(rules::compulsory_school_age(dob, p.offence_from)
            && rules::compulsory_school_age(dob, p.offence_to))
        {
            refusals.push(Problem::refusal(
                "/prosecution/offence_from",
                "s444.compulsory-school-age",
                "the child was not of compulsory school age throughout the offence period, so no offence under section 444 was committed in all of it; shorten the period",
            ));
        }
        match &p.eso_considered {
            None => refusals.push(Problem::refusal(
                "/prosecution/eso_considered",
                "s447.eso-considered",
                "before prosecuting, the local authority must consider applying for an education supervision order (section 447(1) Education Act 1996): record when, by whom and why prosecution was chosen",
            )),
            Some(e) if e.on > date => push(
                "/prosecution/eso_considered/on",
                format!("is after the bundle's date ({})", iso(date)),
            ),
            Some(_) => {}
        }
        let marks = case
            .attendance
            .iter()
            .flat_map(|a| &a.sessions)
            .filter(|m| m.date >= p.offence_from && m.date <= p.offence_to)
            .count();
        if marks == 0 {
            refusals.push(Problem::refusal(
                "/attendance/sessions",
                "s444.register-data",
                "the certificate of attendance needs the register's marks, session by session, for the offence period; none are given for it",
            ));
        }
    }
    if let Some(e) = &case.eso {
        if e.looked_after {
            refusals.push(Problem::refusal(
                "/eso/looked_after",
                "eso.looked-after",
                "an education supervision order cannot be made for a child who is being looked after by a local authority (section 36(6) Children Act 1989)",
            ));
        }
        if !rules::compulsory_school_age(dob, date) {
            refusals.push(Problem::refusal(
                "/pupil/date_of_birth",
                "eso.compulsory-school-age",
                "an education supervision order can only be made for a child of compulsory school age (section 36(3) Children Act 1989)",
            ));
        }
        if e.duration_months > rules::court::ESO_FIRST_ORDER_MONTHS {
            refusals.push(Problem::refusal(
                "/eso/duration_months",
                "eso.duration",
                format!(
                    "a first education supervision order lasts {} months at most (Children Act 1989 Schedule 3 paragraph 15); it can be extended later",
                    rules::court::ESO_FIRST_ORDER_MONTHS
                ),
            ));
        }
        if e.social_care.on > date {
            push(
                "/eso/social_care/on",
                format!("is after the statement's date ({})", iso(date)),
            );
        }
        for (i, step) in e.support.iter().enumerate() {
            if step.date > date {
                push(
                    &format!("/eso/support/{i}/date"),
                    format!(
                        "is after the statement's date ({}); it records support already tried",
                        iso(date)
                    ),
                );
            }
        }
    }
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
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
            }],
            "attendance": {
                "from": "2026-09-03", "to": "2026-11-20", "possible_sessions": 104,
                "authorised_absences": 8, "unauthorised_absences": 6
            }
        })
    }

    fn pointers(v: &Value) -> Vec<String> {
        match parse_case(v, &[], &all_printable) {
            Ok(_) => vec![],
            Err(Problems(p)) => p.into_iter().map(|p| p.pointer).collect(),
        }
    }

    #[test]
    fn a_good_case_parses() {
        assert_eq!(pointers(&sample()), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut v = sample();
        v["pupil"]["upn"] = json!("A886200012345");
        v["pupil"]["date_of_birth"] = json!("2016-02-30");
        v["pupil"]["nickname"] = json!("El");
        v["school"].as_object_mut().unwrap().remove("phone");
        v["attendance"]["possible_sessions"] = json!(-3);
        v["parents"][0]["address"]["postcode"] = json!("QA1 1AA");
        let got = pointers(&v);
        for want in [
            "/pupil/date_of_birth",
            "/pupil/nickname",
            "/school/phone",
            "/attendance/possible_sessions",
        ] {
            assert!(
                got.contains(&want.to_owned()),
                "{want} missing from {got:?}"
            );
        }
    }

    #[test]
    fn rule_problems_are_reported_together() {
        let mut v = sample();
        v["pupil"]["upn"] = json!("A886200012345");
        v["parents"][0]["address"]["postcode"] = json!("QA1 1AA");
        v["attendance"]["authorised_absences"] = json!(100);
        assert_eq!(
            pointers(&v),
            vec![
                "/pupil/upn",
                "/parents/0/address/postcode",
                "/attendance/authorised_absences"
            ]
        );
    }

    #[test]
    fn required_sections_are_named() {
        let got = parse_case(&sample(), &["meeting".to_owned()], &all_printable).unwrap_err();
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
        let got = parse_case(&v, &[], &|c: char| c != '王').unwrap_err();
        let at: Vec<_> = got.0.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(at, vec!["/pupil/family_name", "/pupil/given_names"]);
    }
}
