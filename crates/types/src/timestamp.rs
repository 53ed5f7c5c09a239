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

/// A calendar date as `YYYY-MM-DD`, the form dates are stored and shown in.
pub fn iso_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Reads `YYYY-MM-DD`; `None` for anything else.
pub fn parse_iso_date(text: &str) -> Option<time::Date> {
    time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    #[test]
    fn iso_dates() {
        let d = time::macros::date!(2099 - 01 - 02);
        assert_eq!(super::iso_date(d), "2099-01-02");
        assert_eq!(super::parse_iso_date("2099-01-02"), Some(d));
        assert_eq!(super::parse_iso_date("2099-1-2x"), None);
    }

    #[test]
    fn formats_utc_seconds() {
        assert_eq!(super::rfc3339(datetime!(2024-05-01 12:00:00.123 +02:00)), "2024-05-01T10:00:00Z");
    }
}
