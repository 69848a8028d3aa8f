//! The operator's own counters, read from its `/metrics` text.

use std::collections::BTreeMap;

/// Finished reconciles by result (`zitadel_user_operator_reconciles_total{result=...}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciles(pub BTreeMap<String, u64>);

/// Name of the reconcile counter series.
const RECONCILES: &str = "zitadel_user_operator_reconciles_total";

impl Reconciles {
    /// Parses the reconcile counters out of an OpenMetrics text.
    pub fn parse(text: &str) -> Self {
        let counts = text
            .lines()
            .filter_map(|line| {
                let labels = line.strip_prefix(RECONCILES)?.strip_prefix('{')?;
                let (labels, value) = labels.split_once('}')?;
                let result = labels
                    .split(',')
                    .find_map(|label| label.strip_prefix("result="))?
                    .trim_matches('"');
                let value: f64 = value.split_whitespace().next()?.parse().ok()?;
                // Counters are integral; OpenMetrics may still print them as floats.
                Some((result.to_owned(), value as u64))
            })
            .collect();
        Self(counts)
    }

    /// Reconciles of every result.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Self) -> Self {
        let counts = self
            .0
            .iter()
            .map(|(result, count)| {
                let before = earlier.0.get(result).copied().unwrap_or(0);
                (result.clone(), count.saturating_sub(before))
            })
            .collect();
        Self(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE zitadel_user_operator_reconciles counter\n\
        zitadel_user_operator_reconciles_total{result=\"success\"} 12\n\
        zitadel_user_operator_reconciles_total{result=\"error\"} 3\n\
        zitadel_user_operator_reconciles_in_flight 1\n\
        # EOF\n";

    #[test]
    fn reconcile_counters_are_read_by_result_and_other_series_ignored() {
        let reconciles = Reconciles::parse(TEXT);
        assert_eq!(reconciles.0.get("success"), Some(&12));
        assert_eq!(reconciles.0.get("error"), Some(&3));
        assert_eq!(reconciles.total(), 15);
    }

    #[test]
    fn the_difference_of_two_readings_counts_only_new_reconciles() {
        let before = Reconciles::parse(TEXT);
        let after = Reconciles::parse(&TEXT.replace("} 12", "} 20"));
        let delta = after.since(&before);
        assert_eq!(delta.0.get("success"), Some(&8));
        assert_eq!(delta.total(), 8);
    }
}
