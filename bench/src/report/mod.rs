//! The printed report: one Markdown section per phase, then a summary table meant to be pasted
//! into documentation.

mod sections;
mod summary;
mod table;

use std::time::Duration;

use crate::scenario::Results;

/// The whole report as Markdown.
pub fn render(results: &Results) -> String {
    [
        sections::header(&results.params),
        sections::throughput(results),
        sections::creation_calls(results),
        sections::restart_storm(results),
        sections::steady(results),
        sections::memory(results),
        sections::checks(results),
        summary::summary(results),
    ]
    .join("\n")
}

/// `count / per` with two decimals; `-` when `per` is zero.
fn ratio(count: u64, per: u64) -> String {
    if per == 0 {
        return "-".to_owned();
    }
    format!("{:.2}", count as f64 / per as f64)
}

/// `count` as a percentage of `of`, with one decimal; `-` when `of` is zero.
fn percent(count: u64, of: u64) -> String {
    if of == 0 {
        return "-".to_owned();
    }
    format!("{:.1} %", count as f64 * 100.0 / of as f64)
}

/// How many times `bound` `measured` is, e.g. `1.25 ×`; `-` for a zero bound.
fn times(measured: Duration, bound: Duration) -> String {
    if bound.is_zero() {
        return "-".to_owned();
    }
    format!("{:.2} ×", measured.as_secs_f64() / bound.as_secs_f64())
}

/// Seconds with two decimals.
fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_have_two_decimals_and_survive_a_zero_divisor() {
        assert_eq!(ratio(3, 2), "1.50");
        assert_eq!(ratio(0, 200), "0.00");
        assert_eq!(ratio(5, 0), "-");
    }

    #[test]
    fn percentages_have_one_decimal_and_survive_a_zero_whole() {
        assert_eq!(percent(10, 200), "5.0 %");
        assert_eq!(percent(400, 200), "200.0 %");
        assert_eq!(percent(1, 0), "-");
    }

    #[test]
    fn the_measured_time_is_given_as_a_multiple_of_its_bound() {
        let ms = Duration::from_millis;
        assert_eq!(times(ms(5000), ms(4000)), "1.25 ×");
        assert_eq!(times(ms(5000), Duration::ZERO), "-");
    }
}
