//! TOML dates may be written bare (`2024-09-01`) or quoted.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Repr {
    Toml(toml::value::Datetime),
    Text(String),
}

fn convert<E: serde::de::Error>(repr: Repr) -> Result<NaiveDate, E> {
    let text = match repr {
        Repr::Toml(d) => d.to_string(),
        Repr::Text(s) => s,
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| E::custom(format!("`{text}` is not a date written YYYY-MM-DD")))
}

pub(in crate::templates) fn deserialize<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<NaiveDate, D::Error> {
    convert(Repr::deserialize(d)?)
}

pub(in crate::templates) fn serialize<S: Serializer>(
    date: &NaiveDate,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(&date.format("%Y-%m-%d"))
}

pub(in crate::templates) mod option {
    use super::*;

    pub(in crate::templates) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<NaiveDate>, D::Error> {
        Option::<Repr>::deserialize(d)?.map(convert).transpose()
    }

    pub(in crate::templates) fn serialize<S: Serializer>(
        date: &Option<NaiveDate>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => super::serialize(d, s),
            None => s.serialize_none(),
        }
    }
}
