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
}
