//! Pruning and defaulting: what the server does to a custom resource before validating it.

use serde_json::Value;

use crate::{ROOT_FIELDS, Schema, flag, join};

fn prune(schema: &Value, value: &mut Value, path: &str, root: bool, pruned: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let preserve = flag(schema, "x-kubernetes-preserve-unknown-fields")
                || additional.and_then(Value::as_bool) == Some(true);
            let embedded = flag(schema, "x-kubernetes-embedded-resource");
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let keep_as_is = (root || embedded) && ROOT_FIELDS.contains(&key.as_str());
                if keep_as_is {
                    continue;
                }
                let child = properties
                    .and_then(|p| p.get(&key))
                    .or_else(|| additional.filter(|a| a.is_object()));
                match (child, map.get_mut(&key)) {
                    (Some(child), Some(v)) => {
                        if v.is_null() && !flag(child, "nullable") {
                            // The real server drops nulls for non-nullable fields before defaulting.
                            map.remove(&key);
                        } else {
                            prune(child, v, &join(path, &key), false, pruned);
                        }
                    }
                    (None, _) if !preserve => {
                        map.remove(&key);
                        pruned.push(join(path, &key));
                    }
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune(item_schema, item, &format!("{path}[{i}]"), false, pruned);
                }
            }
        }
        _ => {}
    }
}

fn apply_defaults(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (key, child) in properties {
                    if let (false, Some(default)) = (map.contains_key(key), child.get("default")) {
                        map.insert(key.clone(), default.clone());
                    }
                    if let Some(v) = map.get_mut(key) {
                        apply_defaults(child, v);
                    }
                }
            } else if let Some(additional) =
                schema.get("additionalProperties").filter(|a| a.is_object())
            {
                for v in map.values_mut() {
                    apply_defaults(additional, v);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    apply_defaults(item_schema, item);
                }
            }
        }
        _ => {}
    }
}

/// Prune unknown fields and apply schema defaults, like the real server does on every write.
/// Returns the pruned field paths (for `fieldValidation=Strict`).
pub fn normalize(schema: &Schema, object: &mut Value) -> Vec<String> {
    let mut pruned = Vec::new();
    prune(schema.value(), object, "", true, &mut pruned);
    apply_defaults(schema.value(), object);
    pruned
}
