//! What of the case is served on the defence with a bundle (data
//! minimisation): the sections the prosecution relies on, and of any
//! parent other than the defendant only who they are to the child.

use serde_json::Value;

/// The case's sections a bundle relies on; every other section (a
/// referral to children's social care, a plan, a meeting) stays out of
/// what is served on the defence.
const SERVED_SECTIONS: &[&str] = &[
    "reference",
    "date",
    "school",
    "pupil",
    "parents",
    "attendance",
    "officer",
    "authority",
    "prosecution",
    "history",
];

/// What a parent other than the defendant keeps in the served case: who
/// they are to the child (the certificate of attendance names them), not
/// where they live or how to reach them.
const OTHER_PARENT_FIELDS: &[&str] = &[
    "title",
    "given_names",
    "family_name",
    "relationship",
    "parental_responsibility",
];

/// The case as it is attached to the bundle, and so served on the defence
/// with it: only what the prosecution relies on about the defendant and
/// the child (data minimisation, UK GDPR art. 5(1)(c)).
pub fn served(posted: &Value, defendant: usize) -> Value {
    let Some(object) = posted.as_object() else {
        return posted.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in object {
        if !SERVED_SECTIONS.contains(&key.as_str()) {
            continue;
        }
        let value = match (key.as_str(), value) {
            ("parents", Value::Array(parents)) => Value::Array(
                parents
                    .iter()
                    .enumerate()
                    .map(|(i, parent)| match parent.as_object() {
                        Some(fields) if i != defendant => Value::Object(
                            fields
                                .iter()
                                .filter(|(k, _)| OTHER_PARENT_FIELDS.contains(&k.as_str()))
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        ),
                        _ => parent.clone(),
                    })
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_case_holds_only_what_the_prosecution_relies_on() {
        let posted = serde_json::json!({
            "reference": "R1", "date": "2026-11-23",
            "pupil": {"given_names": "Ava"},
            "parents": [
                {"given_names": "Jo", "family_name": "Day", "relationship": "mother",
                 "parental_responsibility": true, "address": {"lines": ["1 High St"]}, "language": "pl"},
                {"given_names": "Sam", "family_name": "Day", "relationship": "father",
                 "parental_responsibility": true, "address": {"lines": ["9 Low Rd"]}}
            ],
            "referral": {"agency": "Front Door"},
            "prosecution": {"defendant": 1}
        });
        let served = served(&posted, 1);
        assert!(served.get("referral").is_none(), "{served}");
        assert_eq!(served["parents"][1], posted["parents"][1]);
        assert_eq!(
            served["parents"][0],
            serde_json::json!({"given_names": "Jo", "family_name": "Day", "relationship": "mother", "parental_responsibility": true})
        );
        assert_eq!(served["prosecution"], posted["prosecution"]);
    }
}
