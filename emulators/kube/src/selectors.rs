//! Label and field selectors, as in `?labelSelector=` and `?fieldSelector=`.
//!
//! Field selectors accept any dotted path (the real server only allows a per-resource set,
//! always including `metadata.name` and `metadata.namespace`).

use std::collections::BTreeSet;

use serde_json::Value;

/// A selector that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to parse requirement: {0:?}")]
pub struct SelectorError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    Equals(String, String),
    NotEquals(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

/// Split on commas that are not inside parentheses.
fn split_top_level(input: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&input[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn parse_set(raw: &str, whole: &str) -> Result<BTreeSet<String>, SelectorError> {
    let inner = raw
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| SelectorError(whole.to_string()))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

fn parse_requirement(part: &str) -> Result<Requirement, SelectorError> {
    let bad = || SelectorError(part.to_string());
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement::NotExists(key.trim().to_string()));
    }
    if let Some((key, value)) = part.split_once("!=") {
        return Ok(Requirement::NotEquals(
            key.trim().into(),
            value.trim().into(),
        ));
    }
    if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::Equals(key.trim().into(), value.trim().into()));
    }
    let mut words = part.splitn(2, char::is_whitespace);
    let key = words.next().ok_or_else(bad)?.trim().to_string();
    let Some(rest) = words.next().map(str::trim) else {
        return Ok(Requirement::Exists(key));
    };
    if let Some(set) = rest.strip_prefix("notin") {
        Ok(Requirement::NotIn(key, parse_set(set, part)?))
    } else if let Some(set) = rest.strip_prefix("in") {
        Ok(Requirement::In(key, parse_set(set, part)?))
    } else {
        Err(bad())
    }
}

impl LabelSelector {
    /// Parse a selector such as `app=x,tier in (a,b),!legacy`.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        split_top_level(input)
            .into_iter()
            .map(parse_requirement)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        self.0.iter().all(|req| match req {
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::NotExists(k) => label(k).is_none(),
            Requirement::Equals(k, v) => label(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            Requirement::In(k, set) => label(k).is_some_and(|l| set.contains(l)),
            Requirement::NotIn(k, set) => label(k).is_none_or(|l| !set.contains(l)),
        })
    }
}

/// A parsed field selector (`path=value`, `path==value`, `path!=value`, comma separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

fn field_text(object: &Value, path: &str) -> String {
    let pointer = format!("/{}", path.replace('.', "/"));
    match object.pointer(&pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl FieldSelector {
    /// Parse a selector such as `metadata.name=x,metadata.namespace!=y`.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        split_top_level(input)
            .into_iter()
            .map(|part| {
                let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                    (p, false, v)
                } else if let Some((p, v)) = part.split_once("==").or_else(|| part.split_once('='))
                {
                    (p, true, v)
                } else {
                    return Err(SelectorError(part.to_string()));
                };
                Ok((path.trim().to_string(), equal, value.trim().to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// Whether the object's fields satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        self.0
            .iter()
            .all(|(path, equal, value)| (field_text(object, path) == *value) == *equal)
    }
}

/// A label and a field selector together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `labelSelector`.
    pub labels: LabelSelector,
    /// `fieldSelector`.
    pub fields: FieldSelector,
}

impl Selection {
    /// Whether `object` is selected by both selectors.
    pub fn matches(&self, object: &Value) -> bool {
        self.labels.matches(object) && self.fields.matches(object)
    }

    /// Whether neither selector restricts anything.
    pub fn is_empty(&self) -> bool {
        self.labels.0.is_empty() && self.fields.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labelled(labels: Value) -> Value {
        json!({"metadata": {"name": "n", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn every_label_operator_is_understood() {
        let object = labelled(json!({"app": "web", "tier": "front"}));
        let cases = [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("tier in (front, back)", true),
            ("tier notin (front)", false),
            ("app", true),
            ("!app", false),
            ("!legacy,app=web,tier in (front)", true),
            ("missing notin (x)", true),
            ("", true),
        ];
        for (selector, expected) in cases {
            let parsed = LabelSelector::parse(selector).unwrap();
            assert_eq!(parsed.matches(&object), expected, "{selector}");
        }
    }

    #[test]
    fn field_selectors_match_name_and_namespace() {
        let object = labelled(json!({}));
        assert!(
            FieldSelector::parse("metadata.name=n,metadata.namespace=ns")
                .unwrap()
                .matches(&object)
        );
        assert!(
            !FieldSelector::parse("metadata.name!=n")
                .unwrap()
                .matches(&object)
        );
    }

    #[test]
    fn a_set_without_parentheses_is_an_error() {
        assert!(LabelSelector::parse("tier in front").is_err());
    }
}
