//! `date-time` as RFC 8460 §4.4 wants it (RFC 3339 §5.6, written in UTC
//! with `Z`), read leniently: a date-time without a time zone, as some
//! large reporters send, is taken as UTC.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Writes `at` in UTC, e.g. `2026-12-01T00:00:00Z`.
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let shape = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // Every year a report can hold has four digits.
    at.format(&shape)
        .expect("a UTC date-time formats with this description")
}

/// Reads an RFC 3339 date-time, or one without a time zone (as UTC).
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    let bare = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let with_fraction =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    PrimitiveDateTime::parse(text, &bare)
        .or_else(|_| PrimitiveDateTime::parse(text, &with_fraction))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

pub(crate) fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*at))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    let text = String::deserialize(d)?;
    parse(&text).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "{} is not an RFC 3339 date-time",
            smtp::quoted(&text)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_utc_with_z_and_reads_leniently() {
        let at = parse("2016-04-01T00:00:00Z").unwrap();
        assert_eq!(format(at), "2016-04-01T00:00:00Z");
        assert_eq!(parse("2016-04-01T00:00:00").unwrap(), at);
        assert_eq!(
            format(parse("2016-04-01T02:00:00+02:00").unwrap()),
            "2016-04-01T00:00:00Z"
        );
        assert!(parse("2016-04-01").is_none());
        assert!(parse("yesterday").is_none());
    }
}
