//! Parsing of the HTTP `Retry-After` header (delay-seconds or HTTP-date, RFC 9110 §10.2.3).

use std::time::Duration;

use jiff::Timestamp;
use jiff::fmt::rfc2822::DateTimeParser;

/// The delay a `Retry-After` value asks for, measured from `now`. A date in the past means
/// "now" (zero); an unparsable value is `None`.
pub(crate) fn parse(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // The RFC 2822 parser accepts the IMF-fixdate form of HTTP-date ("…GMT").
    let at = DateTimeParser::new().parse_timestamp(value).ok()?;
    let delay = at.duration_since(now);
    Some(Duration::try_from(delay).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-01-02T03:04:05Z".parse().unwrap()
    }

    #[test]
    fn delay_seconds_are_taken_as_is() {
        assert_eq!(parse(" 7 ", now()), Some(Duration::from_secs(7)));
    }

    #[test]
    fn an_http_date_is_measured_from_now() {
        assert_eq!(
            parse("Fri, 02 Jan 2026 03:04:35 GMT", now()),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn a_past_http_date_means_retry_now() {
        assert_eq!(
            parse("Thu, 01 Jan 2026 00:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn garbage_is_ignored() {
        assert_eq!(parse("soon", now()), None);
        assert_eq!(parse("-3", now()), None);
    }
}
