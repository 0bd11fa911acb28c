//! The MTA-STS policy id (RFC 8461 §3.1: `1*32(ALPHA / DIGIT)`): the UTC
//! time of generation, so that each run yields a new id and ids sort by age.

use time::OffsetDateTime;

/// A fresh id: the current UTC time as `YYYYMMDDHHMMSS`.
pub fn fresh_id() -> String {
    id_at(OffsetDateTime::now_utc())
}

/// The id for the instant `at`, as `YYYYMMDDHHMMSS` in UTC.
pub fn id_at(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_is_the_utc_timestamp() {
        let at = OffsetDateTime::from_unix_timestamp(1_767_225_600 + 3_723)
            .expect("a 2026 timestamp is in range");
        assert_eq!(id_at(at), "20260101010203");
        let id = fresh_id();
        assert_eq!(id.len(), 14);
        assert!(id.chars().all(|c| c.is_ascii_digit()), "{id}");
    }
}
