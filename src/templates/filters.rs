//! The environment every template runs in, and the filters and output
//! formatter it gives templates. Filters return plain
//! text, which the formatter then escapes, unless they build Typst markup
//! themselves, in which case they escape every piece of data they include.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

use super::escape;

/// The minijinja environment every template runs in.
pub(super) fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .block_delimiters("<%", "%>")
        .variable_delimiters("<<", ">>")
        .comment_delimiters("<#", "#>")
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build();
    match syntax {
        Ok(syntax) => env.set_syntax(syntax),
        Err(e) => unreachable!("the template delimiters are distinct: {e}"),
    }
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Custom(TYPST.into()));
    env.set_formatter(formatter);
    // `|safe` would let a template print case data unescaped.
    env.remove_filter("safe");
    env.add_filter("long_date", long_date);
    env.add_filter("day_date", day_date);
    env.add_filter("short_date", short_date);
    env.add_filter("time", time);
    env.add_filter("money", money);
    env.add_filter("amount", amount);
    env.add_filter("name", name);
    env.add_filter("salutation", salutation);
    env.add_filter("known_as", known_as);
    env.add_filter("join_and", join_and);
    env.add_filter("sessions", sessions);
    env.add_filter("address_lines", address_lines);
    env.add_filter("postcode", postcode);
    env.add_filter("str", str_literal);
    env
}

/// The auto-escape mode every template runs in (the formatter escapes for
/// Typst markup in every mode, so `autoescape false` changes nothing).
pub(super) const TYPST: &str = "typst";

/// Prints a value: safe strings as they are, everything else escaped for the
/// current context. Printing a missing value is a template error, not a blank.
pub(super) fn formatter(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    if value.is_undefined() || value.is_none() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "tried to print a missing value; test it with <% if … %> first",
        ));
    }
    if value.is_safe() {
        return out
            .write_str(value.as_str().unwrap_or_default())
            .map_err(Error::from);
    }
    // Always escape, whatever `autoescape` a template asks for: case data
    // must never reach Typst as markup or code.
    let mut text = String::new();
    escape::markup_into(&value.to_string(), &mut text);
    out.write_str(&text).map_err(Error::from)
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn parse_date(value: &Value) -> Result<NaiveDate, Error> {
    let text = value
        .as_str()
        .ok_or_else(|| invalid(format!("expected a date, got {}", value.kind())))?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| invalid(format!("not a date: {text}")))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2026-11-23` → `23 November 2026` (GOV.UK style: no ordinals, no commas).
pub(super) fn long_date(value: &Value) -> Result<String, Error> {
    let d = parse_date(value)?;
    Ok(format!(
        "{} {} {}",
        d.day(),
        MONTHS[d.month0() as usize],
        d.year()
    ))
}

/// `2026-11-23` → `Monday 23 November 2026`.
pub(super) fn day_date(value: &Value) -> Result<String, Error> {
    let d = parse_date(value)?;
    Ok(format!("{} {}", d.format("%A"), long_date(value)?))
}

/// `2026-11-23` → `23/11/2026`, for tables and forms.
pub(super) fn short_date(value: &Value) -> Result<String, Error> {
    Ok(parse_date(value)?.format("%d/%m/%Y").to_string())
}

/// `09:30` → `9:30am`, `14:00` → `2pm`, `12:00` → `midday`.
pub(super) fn time(value: &Value) -> Result<String, Error> {
    let text = value.as_str().ok_or_else(|| invalid("expected a time"))?;
    let t = NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| invalid(format!("not a time: {text}")))?;
    Ok(match (t.hour(), t.minute()) {
        (12, 0) => "midday".into(),
        (0, 0) => "midnight".into(),
        (h, m) => {
            let suffix = if h < 12 { "am" } else { "pm" };
            let h12 = match h % 12 {
                0 => 12,
                h => h,
            };
            if m == 0 {
                format!("{h12}{suffix}")
            } else {
                format!("{h12}:{m:02}{suffix}")
            }
        }
    })
}

/// An amount in pence → `£80.00`, `£1,250.50`.
pub(super) fn money(value: &Value) -> Result<String, Error> {
    let pence = value
        .as_i64()
        .ok_or_else(|| invalid("money takes a whole number of pence"))?;
    let sign = if pence < 0 { "-" } else { "" };
    let pence = pence.unsigned_abs();
    let pounds = (pence / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in pounds.chars().enumerate() {
        if i > 0 && (pounds.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    Ok(format!("{sign}£{grouped}.{:02}", pence % 100))
}

/// Pence → an amount as a letter to a parent says it: `£160`, and pence
/// only when there are some (`£80.50`).
pub(super) fn amount(value: &Value) -> Result<String, Error> {
    let full = money(value)?;
    Ok(full
        .strip_suffix(".00")
        .map_or_else(|| full.clone(), str::to_owned))
}

fn text_attr(value: &Value, key: &str) -> Result<Option<String>, Error> {
    let v = value.get_attr(key)?;
    Ok(match v.kind() {
        ValueKind::Undefined | ValueKind::None => None,
        _ => Some(v.to_string()),
    })
}

fn required_attr(value: &Value, key: &str) -> Result<String, Error> {
    text_attr(value, key)?.ok_or_else(|| invalid(format!("expected a person with `{key}`")))
}

/// A person (parent, pupil) → `Ms Jane Brown`: title if any, forenames, surname.
pub(super) fn name(value: &Value) -> Result<String, Error> {
    let mut parts = Vec::with_capacity(3);
    if let Some(title) = text_attr(value, "title")? {
        parts.push(title);
    }
    parts.push(required_attr(value, "given_names")?);
    parts.push(required_attr(value, "family_name")?);
    Ok(parts.join(" "))
}

/// A parent → how a letter greets them: `Ms Brown`, or `Jane Brown` with
/// no title. A name written out in full (`Ms Priya Chauhan`, an officer's)
/// → `Ms Chauhan` when it starts with a title, else the name as given.
pub(super) fn salutation(value: &Value) -> Result<String, Error> {
    if let Some(full) = value.as_str() {
        return Ok(greeting(full));
    }
    let family = required_attr(value, "family_name")?;
    Ok(match text_attr(value, "title")? {
        Some(title) => format!("{title} {family}"),
        None => format!("{} {family}", required_attr(value, "given_names")?),
    })
}

/// Titles a full name may start with, for [`salutation`].
const TITLES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Prof",
    "Professor",
    "Rev",
    "Revd",
    "Sir",
    "Dame",
    "Lady",
    "Lord",
];

fn greeting(full: &str) -> String {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [title, .., family] if words.len() > 2 && TITLES.contains(&title.trim_end_matches('.')) => {
            format!("{title} {family}")
        }
        _ => words.join(" "),
    }
}

/// A pupil → the name used in running text: `known_as`, else the first forename.
pub(super) fn known_as(value: &Value) -> Result<String, Error> {
    if let Some(k) = text_attr(value, "known_as")? {
        return Ok(k);
    }
    let given = required_attr(value, "given_names")?;
    Ok(given.split_whitespace().next().unwrap_or(&given).to_owned())
}

/// A list → `a, b and c` (British style, no serial comma).
pub(super) fn join_and(value: &Value) -> Result<String, Error> {
    let items: Vec<String> = value.try_iter()?.map(|v| v.to_string()).collect();
    Ok(match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    })
}

/// A count of sessions → `1 session`, `12 sessions`.
pub(super) fn sessions(value: &Value) -> Result<String, Error> {
    let n = value
        .as_i64()
        .ok_or_else(|| invalid("sessions takes a whole number"))?;
    Ok(format!("{n} session{}", if n == 1 { "" } else { "s" }))
}

/// A person with an address → the lines of a postal address block: name,
/// street lines, post town in capitals, postcode in standard form.
pub(super) fn address_lines(value: &Value) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    let has_names = !value.get_attr("family_name")?.is_undefined();
    let address = if has_names {
        lines.push(name(value)?);
        value.get_attr("address")?
    } else {
        value.clone()
    };
    for line in address.get_attr("lines")?.try_iter()? {
        lines.push(line.to_string());
    }
    lines.push(required_attr(&address, "town")?.to_uppercase());
    let postcode = required_attr(&address, "postcode")?;
    lines.push(crate::rules::normalise_postcode(&postcode).unwrap_or(postcode));
    Ok(lines)
}

/// A postcode in standard form, kept on one line: `me141xq` → `ME14 1XQ`
/// (with a no-break space).
pub(super) fn postcode(value: &Value) -> Result<String, Error> {
    let raw = value
        .as_str()
        .ok_or_else(|| invalid("postcode takes text"))?;
    let formatted = crate::rules::normalise_postcode(raw).unwrap_or_else(|| raw.to_owned());
    Ok(formatted.replace(' ', "\u{A0}"))
}

/// Any value → a Typst string literal, quotes included. For the few places a
/// layout function wants a `str` rather than content.
pub(super) fn str_literal(value: &Value) -> Result<Value, Error> {
    if value.is_undefined() || value.is_none() {
        return Err(invalid("tried to quote a missing value"));
    }
    Ok(Value::from_safe_string(escape::string_literal(
        &value.to_string(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_gov_uk_style() {
        assert_eq!(
            long_date(&Value::from("2026-11-23")).unwrap(),
            "23 November 2026"
        );
        assert_eq!(
            day_date(&Value::from("2026-11-23")).unwrap(),
            "Monday 23 November 2026"
        );
        assert_eq!(
            short_date(&Value::from("2026-01-05")).unwrap(),
            "05/01/2026"
        );
        assert!(long_date(&Value::from("23/11/2026")).is_err());
    }

    #[test]
    fn times_twelve_hour() {
        for (i, o) in [
            ("09:30", "9:30am"),
            ("14:00", "2pm"),
            ("12:00", "midday"),
            ("12:15", "12:15pm"),
            ("00:30", "12:30am"),
        ] {
            assert_eq!(time(&Value::from(i)).unwrap(), o);
        }
    }

    #[test]
    fn money_from_pence() {
        assert_eq!(money(&Value::from(8000)).unwrap(), "£80.00");
        assert_eq!(money(&Value::from(125050)).unwrap(), "£1,250.50");
        assert_eq!(money(&Value::from(5)).unwrap(), "£0.05");
        assert!(money(&Value::from("80")).is_err());
        assert_eq!(amount(&Value::from(16000)).unwrap(), "£160");
        assert_eq!(amount(&Value::from(125050)).unwrap(), "£1,250.50");
        assert_eq!(amount(&Value::from(100_000)).unwrap(), "£1,000");
    }

    #[test]
    fn a_full_name_is_greeted_by_title_and_surname() {
        let greet = |s: &str| salutation(&Value::from(s)).unwrap();
        assert_eq!(greet("Ms Priya Chauhan"), "Ms Chauhan");
        assert_eq!(greet("Dr. Ade  Okafor-Smith"), "Dr. Okafor-Smith");
        assert_eq!(greet("Priya Chauhan"), "Priya Chauhan");
        assert_eq!(greet("Ms Chauhan"), "Ms Chauhan");
    }

    #[test]
    fn lists_and_counts() {
        let v = Value::from(vec!["a", "b", "c"]);
        assert_eq!(join_and(&v).unwrap(), "a, b and c");
        assert_eq!(join_and(&Value::from(vec!["a"])).unwrap(), "a");
        assert_eq!(sessions(&Value::from(1)).unwrap(), "1 session");
        assert_eq!(sessions(&Value::from(12)).unwrap(), "12 sessions");
    }

    #[test]
    fn postcodes_stay_on_one_line() {
        assert_eq!(postcode(&Value::from("me141xq")).unwrap(), "ME14\u{A0}1XQ");
    }

    #[test]
    fn names() {
        let p = Value::from(minijinja::value::Serde(
            serde_json::json!({"title": null, "given_names": "Jane Ann", "family_name": "Brown"}),
        ));
        assert_eq!(name(&p).unwrap(), "Jane Ann Brown");
        assert_eq!(salutation(&p).unwrap(), "Jane Ann Brown");
        assert_eq!(known_as(&p).unwrap(), "Jane");
        let p = Value::from(minijinja::value::Serde(
            serde_json::json!({"title": "Dr", "given_names": "Li", "family_name": "Wu"}),
        ));
        assert_eq!(salutation(&p).unwrap(), "Dr Wu");
    }
}
