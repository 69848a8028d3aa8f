//! Label selectors as the API server evaluates them (`matchLabels` and `matchExpressions`, all
//! ANDed), for `ClusterZitadelConnection.spec.allowedNamespaces`.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

/// Whether `selector` selects an object labelled `labels`. An empty selector selects everything;
/// an operator the API server would reject (anything but `In`, `NotIn`, `Exists`,
/// `DoesNotExist`) selects nothing, so a malformed selector never grants access.
pub fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let labels_match = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    labels_match
        && selector
            .match_expressions
            .iter()
            .flatten()
            .all(|requirement| satisfies(requirement, labels))
}

fn satisfies(requirement: &LabelSelectorRequirement, labels: &BTreeMap<String, String>) -> bool {
    let value = labels.get(&requirement.key);
    let values = requirement.values.as_deref().unwrap_or_default();
    match requirement.operator.as_str() {
        "In" => value.is_some_and(|v| values.contains(v)),
        "NotIn" => value.is_none_or(|v| !values.contains(v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.to_owned(),
            operator: operator.to_owned(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| (*v).to_owned()).collect()),
        }
    }

    fn expressions(requirements: Vec<LabelSelectorRequirement>) -> LabelSelector {
        LabelSelector {
            match_expressions: Some(requirements),
            match_labels: None,
        }
    }

    #[test]
    fn an_empty_selector_selects_every_namespace() {
        assert!(selects(&LabelSelector::default(), &labels(&[])));
    }

    #[test]
    fn match_labels_must_all_match() {
        let selector = LabelSelector {
            match_labels: Some(labels(&[("tenant", "a"), ("tier", "prod")])),
            match_expressions: None,
        };
        assert!(selects(
            &selector,
            &labels(&[("tenant", "a"), ("tier", "prod"), ("x", "y")])
        ));
        assert!(!selects(&selector, &labels(&[("tenant", "a")])));
        assert!(!selects(
            &selector,
            &labels(&[("tenant", "b"), ("tier", "prod")])
        ));
    }

    #[test]
    fn expressions_follow_the_api_servers_operators() {
        let ns = labels(&[("tenant", "a")]);
        assert!(selects(
            &expressions(vec![requirement("tenant", "In", &["a", "b"])]),
            &ns
        ));
        assert!(!selects(
            &expressions(vec![requirement("tenant", "NotIn", &["a"])]),
            &ns
        ));
        assert!(selects(
            &expressions(vec![requirement("other", "NotIn", &["a"])]),
            &ns
        ));
        assert!(selects(
            &expressions(vec![requirement("tenant", "Exists", &[])]),
            &ns
        ));
        assert!(!selects(
            &expressions(vec![requirement("tenant", "DoesNotExist", &[])]),
            &ns
        ));
    }

    #[test]
    fn an_unknown_operator_selects_nothing() {
        let selector = expressions(vec![requirement("tenant", "Gt", &["1"])]);
        assert!(!selects(&selector, &labels(&[("tenant", "2")])));
    }
}
