//! DELETE and deletecollection, finalizers, and the garbage collector for owner references.
//!
//! Simplifications: garbage collection runs synchronously inside the deleting request (the
//! real collector is asynchronous); `Foreground` propagation is treated as `Background`;
//! deleting a namespace or a CRD removes the contained objects at once, ignoring their
//! finalizers; `gracePeriodSeconds` and `dryRun` are ignored.

use serde_json::{Value, json};

use crate::meta::{self, meta_str};
use crate::ops::ListOptions;
use crate::registry::{CRD_GROUP, CRD_RESOURCE};
use crate::state::{State, Target};
use crate::status::{self, ApiError};
use crate::store::ObjectKey;

/// The parts of `DeleteOptions` the emulator honours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// `preconditions.uid`.
    pub uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub resource_version: Option<String>,
    /// `propagationPolicy: Orphan` (or `orphanDependents: true`).
    pub orphan: bool,
}

impl DeleteOptions {
    /// Read a `DeleteOptions` body (absent or empty means defaults) plus the query parameter
    /// `propagationPolicy`.
    pub fn parse(body: &[u8], propagation: Option<&str>) -> Result<Self, ApiError> {
        let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
        };
        let text = |p: &str| value.pointer(p).and_then(Value::as_str).map(str::to_string);
        let policy = text("/propagationPolicy").or(propagation.map(str::to_string));
        Ok(Self {
            uid: text("/preconditions/uid"),
            resource_version: text("/preconditions/resourceVersion"),
            orphan: policy.as_deref() == Some("Orphan")
                || value.get("orphanDependents").and_then(Value::as_bool) == Some(true),
        })
    }
}

fn owner_uids(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn without_owner(mut object: Value, uid: &str) -> Value {
    if let Some(Value::Array(refs)) = object.pointer_mut("/metadata/ownerReferences") {
        refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid));
        if refs.is_empty()
            && let Some(Value::Object(metadata)) = object.get_mut("metadata")
        {
            metadata.remove("ownerReferences");
        }
    }
    object
}

fn mark_deleting(mut object: Value) -> Value {
    let metadata = meta::metadata_mut(&mut object);
    metadata.insert("deletionTimestamp".into(), json!(meta::now()));
    metadata.insert("deletionGracePeriodSeconds".into(), json!(0));
    object
}

impl State {
    /// DELETE one object: with finalizers it is only marked (`deletionTimestamp`), otherwise
    /// removed at once together with its dependents.
    pub fn delete(
        &mut self,
        t: &Target,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Value, ApiError> {
        if t.subresource.is_some() {
            return Err(ApiError::method_not_allowed(
                "delete is not supported on subresources",
            ));
        }
        let key = t.key(name);
        let entry = self
            .store
            .get(&key)
            .ok_or_else(|| ApiError::not_found(&t.rt.group, &t.rt.plural, name))?;
        let object = entry.object.clone();
        let uid = meta_str(&object, "uid").unwrap_or_default().to_string();
        let precondition_failed = |what: &str, wanted: &str, actual: &str| {
            let why = format!(
                "Precondition failed: {what} in precondition: {wanted}, {what} in object meta: {actual}"
            );
            ApiError::conflict(&t.rt.group, &t.rt.plural, name, &why)
        };
        if let Some(wanted) = options.uid.as_deref().filter(|w| *w != uid) {
            return Err(precondition_failed("UID", wanted, &uid));
        }
        let rv = meta_str(&object, "resourceVersion").unwrap_or_default();
        if let Some(wanted) = options.resource_version.as_deref().filter(|w| *w != rv) {
            return Err(precondition_failed("ResourceVersion", wanted, rv));
        }
        if !meta::finalizers(&object).is_empty() {
            if meta_str(&object, "deletionTimestamp").is_some() {
                return Ok(t.present(object));
            }
            let owners = entry.owners.clone();
            let marked = self.store.replace(&key, mark_deleting(object), owners);
            if let Some(entry) = self.store.get_mut(&key) {
                entry.orphan_dependents = options.orphan;
            }
            return Ok(t.present(marked));
        }
        let removed = self
            .remove_object(&key, options.orphan)
            .ok_or_else(|| ApiError::not_found(&t.rt.group, &t.rt.plural, name))?;
        if t.rt.custom {
            Ok(t.present(removed))
        } else {
            Ok(status::success(&t.rt.group, &t.rt.plural, name, &uid))
        }
    }

    /// DELETE on a collection: delete every selected object; returns the list of them.
    pub fn delete_collection(
        &mut self,
        t: &Target,
        list: &ListOptions,
        options: &DeleteOptions,
    ) -> Result<Value, ApiError> {
        let selected = self.list(t, list)?;
        let mut deleted = Vec::new();
        for item in selected["items"].as_array().into_iter().flatten() {
            let name = meta_str(item, "name").unwrap_or_default();
            let mut one = t.clone();
            one.namespace = meta_str(item, "namespace").map(str::to_string);
            match self.delete(&one, name, options) {
                Ok(_) => deleted.push(item.clone()),
                Err(e) if e.code == 404 => {} // removed meanwhile by garbage collection
                Err(e) => return Err(e),
            }
        }
        Ok(json!({
            "apiVersion": t.rt.api_version(&t.version),
            "kind": t.rt.list_kind,
            "metadata": {"resourceVersion": self.store.resource_version().to_string()},
            "items": deleted,
        }))
    }

    /// Remove an object for real (DELETED), then everything that depended on it: objects in a
    /// deleted namespace, custom resources of a deleted CRD, and owner-reference dependents
    /// (background propagation, or orphaning when `orphan`). Returns the removed object.
    pub fn remove_object(&mut self, key: &ObjectKey, orphan: bool) -> Option<Value> {
        let mut queue = vec![(key.clone(), orphan)];
        let mut first = None;
        while let Some((key, orphan)) = queue.pop() {
            let Some(entry) = self.store.remove(&key) else {
                continue;
            };
            queue.extend(
                self.contained_objects(&key, &entry.object)
                    .into_iter()
                    .map(|k| (k, false)),
            );
            let uid = meta_str(&entry.object, "uid")
                .unwrap_or_default()
                .to_string();
            queue.extend(
                self.collect_dependents(&uid, orphan)
                    .into_iter()
                    .map(|k| (k, false)),
            );
            first.get_or_insert(entry.object);
        }
        first
    }

    /// Objects that go away with a namespace or a CRD.
    fn contained_objects(&mut self, key: &ObjectKey, object: &Value) -> Vec<ObjectKey> {
        if key.group.is_empty() && key.resource == "namespaces" {
            return self
                .store
                .iter()
                .filter(|(k, _)| k.namespace == key.name)
                .map(|(k, _)| k.clone())
                .collect();
        }
        if key.group == CRD_GROUP && key.resource == CRD_RESOURCE {
            let group = object
                .pointer("/spec/group")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let plural = object
                .pointer("/spec/names/plural")
                .and_then(Value::as_str)
                .unwrap_or_default();
            self.registry.remove(group, plural);
            return self
                .store
                .list(group, plural, None)
                .map(|(k, _)| k.clone())
                .collect();
        }
        Vec::new()
    }

    /// Handle the dependents of the removed owner `uid`; returns those to remove now.
    fn collect_dependents(&mut self, uid: &str, orphan: bool) -> Vec<ObjectKey> {
        if uid.is_empty() {
            return Vec::new();
        }
        let live_uids: std::collections::BTreeSet<String> = self
            .store
            .iter()
            .filter_map(|(_, e)| meta_str(&e.object, "uid").map(str::to_string))
            .collect();
        let dependents: Vec<(ObjectKey, Value)> = self
            .store
            .iter()
            .filter(|(_, e)| owner_uids(&e.object).iter().any(|u| u == uid))
            .map(|(k, e)| (k.clone(), e.object.clone()))
            .collect();
        let mut remove_now = Vec::new();
        for (key, object) in dependents {
            let owners = self
                .store
                .get(&key)
                .map(|e| e.owners.clone())
                .unwrap_or_default();
            let other_owner_alive = owner_uids(&object)
                .iter()
                .any(|u| u != uid && live_uids.contains(u));
            if orphan || other_owner_alive {
                self.store.replace(&key, without_owner(object, uid), owners);
            } else if !meta::finalizers(&object).is_empty() {
                if meta_str(&object, "deletionTimestamp").is_none() {
                    self.store.replace(&key, mark_deleting(object), owners);
                }
            } else {
                remove_now.push(key);
            }
        }
        remove_now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_options_read_preconditions_and_orphan_policy() {
        let body = br#"{"kind":"DeleteOptions","preconditions":{"uid":"u","resourceVersion":"3"},"propagationPolicy":"Orphan"}"#;
        let options = DeleteOptions::parse(body, None).unwrap();
        assert_eq!(options.uid.as_deref(), Some("u"));
        assert_eq!(options.resource_version.as_deref(), Some("3"));
        assert!(options.orphan);
        assert_eq!(
            DeleteOptions::parse(b"", Some("Orphan")).unwrap(),
            DeleteOptions {
                orphan: true,
                ..Default::default()
            }
        );
    }

    #[test]
    fn removing_one_owner_reference_keeps_the_others() {
        let object = json!({"metadata": {"ownerReferences": [{"uid": "a"}, {"uid": "b"}]}});
        assert_eq!(owner_uids(&without_owner(object, "a")), vec!["b"]);
    }
}
