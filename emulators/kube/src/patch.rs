//! The PATCH body formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a simplified
//! strategic merge patch. Server-side apply lives in [`crate::apply`].
//!
//! Strategic merge patch simplification: it is a merge patch, except that `metadata.finalizers`
//! is merged as a set and `metadata.ownerReferences` by `uid` (their real patch strategies), and
//! the `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` and `$retainKeys`
//! directives are understood at any level (`$patch` directives are not). Other lists replace.

use json_patch::PatchOperation;
use serde_json::{Map, Value};

/// The content types PATCH accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/json-patch+json`.
    Json,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`.
    Apply,
}

impl PatchKind {
    /// The patch kind for a `Content-Type` header value.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        match essence {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// A patch that cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The body is not a valid patch document.
    #[error("{0}")]
    Malformed(#[from] serde_json::Error),
    /// A JSON patch operation failed (`test` mismatch, bad path, ...).
    #[error("{0}")]
    Failed(#[from] json_patch::PatchError),
}

/// Apply an RFC 7386 merge patch.
pub fn merge(target: &mut Value, patch: &Value) {
    json_patch::merge(target, patch);
}

/// Apply an RFC 6902 JSON patch atomically (on error `target` is unchanged).
///
/// Like the Go library the real server uses, a `test` of `null` against a missing path passes:
/// kube-runtime's finalizer helper relies on it (`test /metadata/finalizers == null`).
pub fn json(target: &mut Value, body: &[u8]) -> Result<(), PatchError> {
    let ops: Vec<PatchOperation> = serde_json::from_slice(body)?;
    let mut work = target.clone();
    for op in &ops {
        if let PatchOperation::Test(test) = op
            && test.value.is_null()
            && work.pointer(test.path.as_str()).is_none()
        {
            continue;
        }
        json_patch::patch(&mut work, std::slice::from_ref(op))?;
    }
    *target = work;
    Ok(())
}

fn merge_owner_references(existing: Option<&Value>, patch: &[Value]) -> Value {
    let mut merged: Vec<Value> = existing
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for reference in patch {
        let uid = reference.get("uid");
        if reference.get("$patch").and_then(Value::as_str) == Some("delete") {
            merged.retain(|r| r.get("uid") != uid);
        } else if let Some(slot) = merged.iter_mut().find(|r| r.get("uid") == uid) {
            json_patch::merge(slot, reference);
        } else {
            merged.push(reference.clone());
        }
    }
    Value::Array(merged)
}

fn union(existing: Option<&Value>, patch: &[Value]) -> Value {
    let mut merged: Vec<Value> = existing
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for item in patch {
        if !merged.contains(item) {
            merged.push(item.clone());
        }
    }
    Value::Array(merged)
}

fn strategic_map(target: &mut Map<String, Value>, patch: &Map<String, Value>, in_metadata: bool) {
    for (key, value) in patch {
        if key == "$retainKeys" || key.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(remove)) =
                (target.get_mut(field), value.as_array())
            {
                list.retain(|item| !remove.contains(item));
            }
            continue;
        }
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Array(items) if in_metadata && key == "finalizers" => {
                let merged = union(target.get(key), items);
                target.insert(key.clone(), merged);
            }
            Value::Array(items) if in_metadata && key == "ownerReferences" => {
                let merged = merge_owner_references(target.get(key), items);
                target.insert(key.clone(), merged);
            }
            Value::Object(inner) => {
                let slot = target
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if let Value::Object(slot) = slot {
                    strategic_map(slot, inner, key == "metadata");
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// Apply a (simplified) strategic merge patch.
pub fn strategic(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(target), Some(patch)) => strategic_map(target, patch, false),
        _ => *target = patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_null_test_passes_on_a_missing_path_and_the_patch_applies() {
        let mut object = json!({"metadata": {"name": "a"}});
        let body = br#"[{"op":"test","path":"/metadata/finalizers","value":null},
                        {"op":"add","path":"/metadata/finalizers","value":["x"]}]"#;
        json(&mut object, body).unwrap();
        assert_eq!(object["metadata"]["finalizers"], json!(["x"]));
    }

    #[test]
    fn a_failed_test_leaves_the_object_untouched() {
        let mut object = json!({"metadata": {"finalizers": ["x"]}});
        let body = br#"[{"op":"remove","path":"/metadata/finalizers/0"},
                        {"op":"test","path":"/metadata/finalizers","value":["y"]}]"#;
        assert!(matches!(
            json(&mut object, body),
            Err(PatchError::Failed(_))
        ));
        assert_eq!(object["metadata"]["finalizers"], json!(["x"]));
    }

    #[test]
    fn strategic_patches_merge_finalizers_as_a_set_and_other_lists_replace() {
        let mut object = json!({"metadata": {"finalizers": ["a"]}, "spec": {"list": [1, 2]}});
        strategic(
            &mut object,
            &json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"list": [3], "gone": null}}),
        );
        assert_eq!(object["metadata"]["finalizers"], json!(["a", "b"]));
        assert_eq!(object["spec"]["list"], json!([3]));
        strategic(
            &mut object,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
        );
        assert_eq!(object["metadata"]["finalizers"], json!(["b"]));
    }

    #[test]
    fn strategic_patches_merge_owner_references_by_uid() {
        let mut object = json!({"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}]}});
        strategic(
            &mut object,
            &json!({"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]}}),
        );
        assert_eq!(
            object["metadata"]["ownerReferences"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
    }
}
