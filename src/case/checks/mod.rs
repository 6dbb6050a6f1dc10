//! The checks of meaning that a well-typed case must pass whatever the
//! document: UPN check letters, postcodes, counts that add up, dates in the
//! right order, references to parents that exist. Each problem carries the
//! JSON pointer of the field at fault; all are reported at once.

mod court;
mod steps;

use chrono::{Datelike, NaiveDate};

use super::{Case, Problem};
use crate::rules;

/// The checks of meaning on the whole, well-typed case: every problem, in
/// the order the case reads. Refusals by a rule of the law or the framework
/// are not made here but by `figures`, which applies the rules.
pub fn check(case: &Case) -> Vec<Problem> {
    let mut problems = Vec::new();
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
    }
    if let Some(Err(e)) = case
        .meeting
        .as_ref()
        .map(|m| rules::check_meeting_date(date, m.date))
    {
        push("/meeting/date", e.to_string());
    }
    steps::check_steps(case, &mut problems);
    court::check_court(case, &mut problems);
    court::check_after(case, &mut problems);
    problems
}

/// A date as the problems print it: `2026-11-23`.
fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Problems, parse};
    use serde_json::{Value, json};

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
        match parse(v, &[], &all_printable) {
            Ok(case) => check(&case).into_iter().map(|p| p.pointer).collect(),
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
}
