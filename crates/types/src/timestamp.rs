//! Instants are `time::OffsetDateTime` in UTC; on the wire they are RFC 3339 with whole seconds.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub type Timestamp = OffsetDateTime;

/// `2024-05-01T12:00:00Z`: UTC, second precision, the form every face prints.
pub fn rfc3339(at: Timestamp) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let (y, m, d) = (at.year(), at.month() as u8, at.day());
    if (0..=9999).contains(&y) {
        // Hand-formatted: this runs for every timestamp of every listing.
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", at.hour(), at.minute(), at.second())
    } else {
        at.replace_nanosecond(0).unwrap_or(at).format(&Rfc3339).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    #[test]
    fn formats_utc_seconds() {
        assert_eq!(super::rfc3339(datetime!(2024-05-01 12:00:00.123 +02:00)), "2024-05-01T10:00:00Z");
    }
}
