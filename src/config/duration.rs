//! A tiny parser for human-friendly durations such as `500ms`, `10s`, `10m` or `1h`.
//!
//! Only one number and one unit: operators write these in Helm values and environment variables,
//! where a compound form (`1h30m`) is rare and a new dependency is not worth it.

use std::time::Duration;

/// Why a duration string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DurationError {
    /// The string does not start with a whole number.
    #[error(
        "`{input}` is not a duration: expected a whole number followed by ms, s, m or h (e.g. `10s`)"
    )]
    NotANumber {
        /// The rejected input.
        input: String,
    },
    /// The number has no unit or an unknown one.
    #[error("`{input}` has no valid unit: use ms, s, m or h (e.g. `10s`)")]
    UnknownUnit {
        /// The rejected input.
        input: String,
    },
    /// The value does not fit into a [`Duration`].
    #[error("`{input}` is too long a duration")]
    Overflow {
        /// The rejected input.
        input: String,
    },
}

/// Parses `<n>ms`, `<n>s`, `<n>m` or `<n>h` (surrounding whitespace allowed).
///
/// # Errors
/// [`DurationError`] when the number, the unit or the size is wrong.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let trimmed = input.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let value: u64 = number.parse().map_err(|_| DurationError::NotANumber {
        input: input.to_owned(),
    })?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => {
            return Err(DurationError::UnknownUnit {
                input: input.to_owned(),
            });
        }
    };
    value
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| DurationError::Overflow {
            input: input.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_is_understood() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7_200)));
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(parse_duration(" 5s\n"), Ok(Duration::from_secs(5)));
    }

    #[test]
    fn a_number_without_a_unit_is_rejected() {
        assert!(matches!(
            parse_duration("10"),
            Err(DurationError::UnknownUnit { .. })
        ));
    }

    #[test]
    fn unknown_units_and_compound_forms_are_rejected() {
        for input in ["10d", "1h30m", "10 s", "10S"] {
            assert!(
                matches!(
                    parse_duration(input),
                    Err(DurationError::UnknownUnit { .. })
                ),
                "{input} should be rejected"
            );
        }
    }

    #[test]
    fn a_missing_or_negative_number_is_rejected() {
        for input in ["", "s", "-5s", "1.5s"] {
            assert!(parse_duration(input).is_err(), "{input} should be rejected");
        }
        assert!(matches!(
            parse_duration("-5s"),
            Err(DurationError::NotANumber { .. })
        ));
    }

    #[test]
    fn durations_that_overflow_are_rejected() {
        assert!(matches!(
            parse_duration("18446744073709551615h"),
            Err(DurationError::Overflow { .. })
        ));
    }
}
