//! Percentiles of per-user durations, and the least time latency allows.

use std::time::Duration;

/// The `p`-th percentile (0 < p <= 100) of `samples` by the nearest-rank method; `None` when
/// there are no samples.
pub fn percentile(samples: &[Duration], p: f64) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    // Nearest rank: the smallest value with at least p% of the samples at or below it.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// The least time `calls` ZITADEL calls can take when each answer waits `latency` and at most
/// `concurrency` reconciles (each making its calls one after the other) run at once:
/// `calls × latency / concurrency`, i.e. N·k·L/c for N users making k calls each.
pub fn lower_bound(calls: u64, latency: Duration, concurrency: u16) -> Duration {
    let nanos = latency.as_nanos() * u128::from(calls) / u128::from(concurrency.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Milliseconds with one decimal, for the report.
pub fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn the_median_of_an_odd_sample_is_its_middle_value() {
        assert_eq!(
            percentile(&ms(&[30, 10, 20]), 50.0),
            Some(Duration::from_millis(20))
        );
    }

    #[test]
    fn p95_of_a_hundred_samples_is_the_ninety_fifth_smallest() {
        let samples = ms(&(1..=100).rev().collect::<Vec<_>>());
        assert_eq!(percentile(&samples, 95.0), Some(Duration::from_millis(95)));
        assert_eq!(
            percentile(&samples, 100.0),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn the_lower_bound_spreads_every_calls_latency_over_the_concurrency() {
        assert_eq!(
            lower_bound(800, Duration::from_millis(20), 4),
            Duration::from_secs(4)
        );
        assert_eq!(lower_bound(800, Duration::ZERO, 4), Duration::ZERO);
        assert_eq!(
            lower_bound(3, Duration::from_millis(10), 1),
            Duration::from_millis(30)
        );
    }

    #[test]
    fn no_samples_have_no_percentile() {
        assert_eq!(percentile(&[], 50.0), None);
    }
}
