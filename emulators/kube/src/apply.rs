//! Server-side apply with field ownership.
//!
//! Simplified from the real structured-merge-diff: ownership is tracked per leaf path (maps are
//! recursed into, lists are atomic leaves whatever their `x-kubernetes-list-type`), and only
//! apply and update/patch operations record owners. An apply conflicts when another manager owns
//! a field the apply sets to a different value; `force=true` takes ownership instead. Fields a
//! manager applied before but no longer applies are removed unless someone else owns them.
//! `managedFields` is not exposed in the object.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// A path of object keys from the root to a leaf.
pub type FieldPath = Vec<String>;

/// How a manager came to own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Create, update or a non-apply patch.
    Update,
}

/// Field ownership of one object: (manager, operation) → owned leaf paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldOwners {
    managers: BTreeMap<(String, Operation), BTreeSet<FieldPath>>,
}

/// An apply that would take fields owned by other managers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Apply failed with {} conflict(s): {}", .conflicts.len(), render(.conflicts))]
pub struct ApplyConflict {
    /// (other manager, dotted field) pairs.
    pub conflicts: Vec<(String, String)>,
}

fn render(conflicts: &[(String, String)]) -> String {
    conflicts
        .iter()
        .map(|(manager, field)| format!("conflict with \"{manager}\": {field}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Metadata the server maintains; nobody owns these.
const SYSTEM_METADATA: [&str; 10] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

fn is_system(path: &[String]) -> bool {
    match path {
        [first] => first == "apiVersion" || first == "kind",
        [first, second, ..] => first == "metadata" && SYSTEM_METADATA.contains(&second.as_str()),
        [] => true,
    }
}

fn collect_leaves(value: &Value, prefix: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                prefix.push(k.clone());
                collect_leaves(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {
            if !is_system(prefix) {
                out.insert(prefix.clone());
            }
        }
    }
}

/// The leaf paths set in `value`, system metadata excluded.
pub fn leaf_paths(value: &Value) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    collect_leaves(value, &mut Vec::new(), &mut out);
    out
}

fn at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

fn remove_at(value: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let parent = parents.iter().try_fold(value, |v, k| v.get_mut(k));
    if let Some(Value::Object(map)) = parent {
        map.remove(last);
    }
}

/// Merge an applied configuration into `target`: maps merge, everything else replaces, and a
/// `null` removes the field.
fn merge_applied(target: &mut Value, applied: &Value) {
    let Value::Object(applied) = applied else {
        *target = applied.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (k, v) in applied {
            if v.is_null() {
                map.remove(k);
            } else if v.is_object() {
                merge_applied(map.entry(k.clone()).or_insert(Value::Null), v);
            } else {
                map.insert(k.clone(), v.clone());
            }
        }
    }
}

impl FieldOwners {
    /// Record that `manager` wrote `new` over `old` with a create/update/patch: it takes the
    /// fields whose value changed, and removed fields lose their owners.
    pub fn record_update(&mut self, manager: &str, old: Option<&Value>, new: &Value) {
        let changed: BTreeSet<FieldPath> = leaf_paths(new)
            .into_iter()
            .filter(|p| old.and_then(|o| at(o, p)) != at(new, p))
            .collect();
        for fields in self.managers.values_mut() {
            fields.retain(|p| !changed.contains(p) && at(new, p).is_some());
        }
        if !changed.is_empty() {
            self.managers
                .entry((manager.to_string(), Operation::Update))
                .or_default()
                .extend(changed);
        }
        self.managers.retain(|_, fields| !fields.is_empty());
    }

    /// The managers (sorted, deduplicated) owning anything.
    pub fn managers(&self) -> Vec<String> {
        let names: BTreeSet<String> = self.managers.keys().map(|(m, _)| m.clone()).collect();
        names.into_iter().collect()
    }

    fn owned_by_others(&self, manager: &str, path: &FieldPath) -> Vec<String> {
        self.managers
            .iter()
            .filter(|((m, _), fields)| m != manager && fields.contains(path))
            .map(|((m, _), _)| m.clone())
            .collect()
    }

    /// Apply `applied` as `manager` onto `current` (an empty object when creating). Returns the
    /// merged object; `self` then records the new ownership.
    pub fn apply(
        &mut self,
        manager: &str,
        current: &Value,
        applied: &Value,
        force: bool,
    ) -> Result<Value, ApplyConflict> {
        let wanted = leaf_paths(applied);
        let mut conflicts = Vec::new();
        for path in &wanted {
            if at(current, path) == at(applied, path) {
                continue; // same value: shared ownership, never a conflict
            }
            for other in self.owned_by_others(manager, path) {
                conflicts.push((other, format!(".{}", path.join("."))));
            }
        }
        if !conflicts.is_empty() && !force {
            return Err(ApplyConflict { conflicts });
        }
        for path in &wanted {
            if at(current, path) != at(applied, path) {
                for ((m, _), fields) in self.managers.iter_mut() {
                    if m != manager {
                        fields.remove(path);
                    }
                }
            }
        }
        let key = (manager.to_string(), Operation::Apply);
        let previous = self.managers.remove(&key).unwrap_or_default();
        let mut merged = current.clone();
        for dropped in previous.difference(&wanted) {
            if self.owned_by_others(manager, dropped).is_empty() {
                remove_at(&mut merged, dropped);
            }
        }
        merge_applied(&mut merged, applied);
        if !wanted.is_empty() {
            self.managers.insert(key, wanted);
        }
        self.managers.retain(|_, fields| !fields.is_empty());
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lease(holder: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Lease", "metadata": {"name": "l"}, "spec": {"holderIdentity": holder}})
    }

    #[test]
    fn applying_a_field_another_manager_owns_with_another_value_conflicts() {
        let mut owners = FieldOwners::default();
        let current = owners.apply("a", &json!({}), &lease("a"), false).unwrap();
        let conflict = owners.apply("b", &current, &lease("b"), false).unwrap_err();
        assert_eq!(
            conflict.conflicts,
            vec![("a".to_string(), ".spec.holderIdentity".to_string())]
        );
        let forced = owners.apply("b", &current, &lease("b"), true).unwrap();
        assert_eq!(forced["spec"]["holderIdentity"], "b");
        assert_eq!(owners.managers(), vec!["b"]);
    }

    #[test]
    fn a_field_removed_by_an_update_is_free_to_apply_again() {
        let mut owners = FieldOwners::default();
        let current = owners.apply("a", &json!({}), &lease("a"), false).unwrap();
        let released = json!({"metadata": {"name": "l"}, "spec": {}});
        owners.record_update("a", Some(&current), &released);
        assert!(owners.apply("b", &released, &lease("b"), false).is_ok());
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let mut owners = FieldOwners::default();
        let first = json!({"metadata": {"labels": {"x": "1", "y": "2"}}});
        let current = owners.apply("a", &json!({}), &first, false).unwrap();
        let second = json!({"metadata": {"labels": {"x": "1"}}});
        let merged = owners.apply("a", &current, &second, false).unwrap();
        assert_eq!(merged["metadata"]["labels"], json!({"x": "1"}));
    }
}
