//! The verbs get, list, create, update and patch, with the server's metadata rules: generation,
//! optimistic concurrency, the status subresource, finalizer restrictions, validation and
//! server-side apply. Deletion is in [`crate::delete`].

use base64::Engine;
use serde_json::{Value, json};

use crate::apply::FieldOwners;
use crate::builtin;
use crate::crd;
use crate::meta::{self, meta_str};
use crate::patch::{self, PatchError, PatchKind};
use crate::registry::{CRD_GROUP, CRD_RESOURCE};
use crate::selectors::Selection;
use crate::state::{State, Target};
use crate::status::{ApiError, Cause};
use crate::store::ObjectKey;
use crate::validation;

/// Options shared by every write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The field manager (the `fieldManager` parameter, else derived from the User-Agent).
    pub manager: String,
    /// Whether `fieldManager` was given explicitly (required for apply).
    pub manager_given: bool,
    /// `fieldValidation=Strict`: unknown fields are an error instead of being pruned.
    pub strict: bool,
    /// `force=true` for server-side apply.
    pub force: bool,
}

/// Options of a list.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Label and field selectors.
    pub selection: Selection,
    /// Page size.
    pub limit: Option<usize>,
    /// Continue token from the previous page.
    pub continue_token: Option<String>,
}

/// Metadata fields clients may not set: the server owns them.
const SERVER_METADATA: [&str; 7] = [
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "managedFields",
];

fn encode_continue(key: &ObjectKey) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{}/{}", key.namespace, key.name))
}

fn decode_continue(token: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::bad_request(format!("invalid continue token {token:?}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (namespace, name) = text.split_once('/').ok_or_else(bad)?;
    Ok((namespace.to_string(), name.to_string()))
}

fn parse_patch_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
}

/// A YAML or JSON request body (apply patches may be either).
pub fn parse_yaml_or_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).or_else(|_| {
        let text = std::str::from_utf8(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
        serde_saphyr::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
    })
}

/// A stored object about to be changed.
struct Existing {
    key: ObjectKey,
    /// The object as served at the request's version.
    old: Value,
    owners: FieldOwners,
}

impl State {
    fn stored(&self, t: &Target, name: &str) -> Result<Existing, ApiError> {
        let key = t.key(name);
        let entry = self
            .store
            .get(&key)
            .ok_or_else(|| ApiError::not_found(&t.rt.group, &t.rt.plural, name))?;
        Ok(Existing {
            old: t.present(entry.object.clone()),
            owners: entry.owners.clone(),
            key,
        })
    }

    /// GET one object.
    pub fn get(&self, t: &Target, name: &str) -> Result<Value, ApiError> {
        Ok(self.stored(t, name)?.old)
    }

    /// GET a list, with selectors and limit/continue pagination. Later pages show the current
    /// state rather than a snapshot at the first page's resourceVersion.
    pub fn list(&self, t: &Target, options: &ListOptions) -> Result<Value, ApiError> {
        let after = options
            .continue_token
            .as_deref()
            .map(decode_continue)
            .transpose()?;
        let (group, resource) = t.storage_resource();
        let mut candidates = self
            .store
            .list(group, resource, t.namespace.as_deref())
            .filter(|(k, _)| {
                after
                    .as_ref()
                    .is_none_or(|(ns, name)| (&k.namespace, &k.name) > (ns, name))
            });
        let limit = options.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        // Only the page is copied out of the store: a large collection read page by page must
        // not cost a copy of all that follows on every page.
        let mut items: Vec<Value> = Vec::new();
        let mut last: Option<&ObjectKey> = None;
        let mut more = false;
        for (key, entry) in candidates.by_ref() {
            let object = t.present(entry.object.clone());
            if !options.selection.matches(&object) {
                continue;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(object);
            last = Some(key);
        }
        let mut metadata = json!({"resourceVersion": self.store.resource_version().to_string()});
        if let (true, Some(last)) = (more, last) {
            metadata["continue"] = json!(encode_continue(last));
            // Like the API server, the count is given only when no selector makes it unknown.
            if options.selection.is_empty() {
                metadata["remainingItemCount"] = json!(1 + candidates.count());
            }
        }
        Ok(json!({
            "apiVersion": t.rt.api_version(&t.version),
            "kind": t.rt.list_kind,
            "metadata": metadata,
            "items": items,
        }))
    }

    fn check_namespace(&self, t: &Target, body: &Value) -> Result<(), ApiError> {
        if let (Some(url), Some(given)) = (t.namespace.as_deref(), meta_str(body, "namespace"))
            && t.rt.namespaced
            && !given.is_empty()
            && given != url
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        Ok(())
    }

    fn check_namespace_exists(&self, t: &Target) -> Result<(), ApiError> {
        match t.namespace.as_deref() {
            Some(ns) if t.rt.namespaced && !self.namespace_exists(ns) => {
                Err(ApiError::not_found("", "namespaces", ns))
            }
            None if t.rt.namespaced => Err(ApiError::method_not_allowed(
                "a namespace is required to create a namespaced object",
            )),
            _ => Ok(()),
        }
    }

    /// Validate and normalize an object about to be stored (built-in defaults, CRD checks,
    /// custom resource schema and CEL rules).
    fn admit(
        &self,
        t: &Target,
        object: &mut Value,
        old: Option<&Value>,
        options: &WriteOptions,
    ) -> Result<(), ApiError> {
        let name = meta_str(object, "name").unwrap_or_default().to_string();
        builtin::normalize(&t.rt.group, &t.rt.plural, object);
        if t.rt.group == CRD_GROUP && t.rt.plural == CRD_RESOURCE {
            crd::resource_type(object).map_err(|e| {
                ApiError::invalid(CRD_GROUP, "CustomResourceDefinition", &name, e.causes)
            })?;
            // Transition times stay at creation so re-writing an unchanged CRD is a no-op.
            let since = old
                .and_then(|o| meta_str(o, "creationTimestamp"))
                .map_or_else(meta::now, str::to_string);
            object["status"] = crd::established_status(object, &since);
        }
        if let Some(schema) = t.schema() {
            let pruned = validation::normalize(schema, object);
            if options.strict && !pruned.is_empty() {
                let fields: Vec<String> = pruned
                    .iter()
                    .map(|f| format!("unknown field \"{f}\""))
                    .collect();
                return Err(ApiError::bad_request(format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                    fields.join(", "),
                    kind = t.rt.kind,
                    version = t.version,
                )));
            }
            let causes = validation::validate(schema, object, old);
            if !causes.is_empty() {
                return Err(ApiError::invalid(&t.rt.group, &t.rt.kind, &name, causes));
            }
        }
        Ok(())
    }

    /// Keep what the server owns from the stored object.
    fn compose(t: &Target, old: &Value, body: Value) -> Value {
        let status_only = t.subresource.as_deref() == Some("status");
        let mut new = if status_only {
            old.clone()
        } else {
            body.clone()
        };
        let status_source = if status_only { &body } else { old };
        if status_only || t.has_status_subresource() {
            match status_source.get("status") {
                Some(status) => new["status"] = status.clone(),
                None => {
                    if let Some(map) = new.as_object_mut() {
                        map.remove("status");
                    }
                }
            }
        }
        new
    }

    /// Fail with 404 unless the target's subresource (if any) is served.
    pub fn check_subresource(t: &Target) -> Result<(), ApiError> {
        match t.subresource.as_deref() {
            None => Ok(()),
            Some("status") if t.has_status_subresource() => Ok(()),
            Some(other) => Err(ApiError::no_route(&format!("{}/{other}", t.rt.plural))),
        }
    }

    /// POST: create an object (name or generateName).
    pub fn create(
        &mut self,
        t: &Target,
        mut body: Value,
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        if t.subresource.is_some() {
            return Err(ApiError::method_not_allowed(
                "create is not supported on subresources",
            ));
        }
        self.check_namespace(t, &body)?;
        let metadata = meta::metadata_mut(&mut body);
        let name = match metadata.get("name").and_then(Value::as_str) {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => match metadata.get("generateName").and_then(Value::as_str) {
                Some(prefix) if !prefix.is_empty() => meta::generate_name(prefix),
                _ => {
                    let cause = Cause::new(
                        "FieldValueRequired",
                        "Required value: name or generateName is required",
                        "metadata.name",
                    );
                    return Err(ApiError::invalid(&t.rt.group, &t.rt.kind, "", vec![cause]));
                }
            },
        };
        metadata.insert("name".into(), json!(name));
        self.check_namespace_exists(t)?;
        if t.has_status_subresource()
            && let Some(map) = body.as_object_mut()
        {
            // The real server ignores status on create when the status subresource is enabled.
            map.remove("status");
        }
        let key = t.key(&name);
        if self.store.get(&key).is_some() {
            return Err(ApiError::already_exists(&t.rt.group, &t.rt.plural, &name));
        }
        let mut owners = FieldOwners::default();
        let object = t.to_storage(self.prepare_new(t, body, options)?);
        owners.record_update(&options.manager, None, &object);
        Ok(self.insert_new(t, key, object, owners))
    }

    fn prepare_new(
        &self,
        t: &Target,
        mut object: Value,
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        object = t.present(object);
        let metadata = meta::metadata_mut(&mut object);
        for field in SERVER_METADATA {
            metadata.remove(field);
        }
        match (&t.namespace, t.rt.namespaced) {
            (Some(ns), true) => metadata.insert("namespace".into(), json!(ns)),
            _ => metadata.remove("namespace"),
        };
        let name = meta_str(&object, "name").unwrap_or_default().to_string();
        if let Some(cause) =
            meta::check_name(&name, t.rt.plural == "namespaces" && t.rt.group.is_empty())
        {
            return Err(ApiError::invalid(
                &t.rt.group,
                &t.rt.kind,
                &name,
                vec![cause],
            ));
        }
        self.admit(t, &mut object, None, options)?;
        let metadata = meta::metadata_mut(&mut object);
        metadata.insert("uid".into(), json!(meta::uid()));
        metadata.insert("creationTimestamp".into(), json!(meta::now()));
        metadata.insert("generation".into(), json!(1));
        Ok(object)
    }

    /// Store a new object; `object` and `owners` may still be in the request's shape.
    fn insert_new(
        &mut self,
        t: &Target,
        key: ObjectKey,
        object: Value,
        owners: FieldOwners,
    ) -> Value {
        let stored = self.store.insert(key, t.to_storage(object), owners);
        self.after_write(t, &stored);
        t.present(stored)
    }

    /// Serve the types a stored CRD defines.
    fn after_write(&mut self, t: &Target, stored: &Value) {
        if t.rt.group == CRD_GROUP
            && t.rt.plural == CRD_RESOURCE
            && let Ok(rt) = crd::resource_type(stored)
        {
            self.registry.insert(rt);
        }
    }

    /// Store `new` over `old` (both presented at `t`'s version): immutable metadata kept,
    /// generation bumped on spec changes, no-op writes skipped, and an object whose deletion
    /// was pending and whose finalizers are now empty removed.
    fn commit_existing(
        &mut self,
        t: &Target,
        existing: Existing,
        new: Value,
        options: &WriteOptions,
        record_update: bool,
    ) -> Result<Value, ApiError> {
        let Existing {
            key,
            old,
            mut owners,
        } = existing;
        let old = &old;
        let mut new = t.present(new);
        let name = key.name.clone();
        let metadata = meta::metadata_mut(&mut new);
        metadata.remove("managedFields");
        for field in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "name",
            "namespace",
            "resourceVersion",
        ] {
            match old.get("metadata").and_then(|m| m.get(field)) {
                Some(value) => metadata.insert(field.into(), value.clone()),
                None => metadata.remove(field),
            };
        }
        let deleting = meta_str(old, "deletionTimestamp").is_some();
        if deleting {
            let before = meta::finalizers(old);
            let added: Vec<String> = meta::finalizers(&new)
                .into_iter()
                .filter(|f| !before.contains(f))
                .collect();
            if !added.is_empty() {
                let cause = Cause::new(
                    "FieldValueForbidden",
                    format!(
                        "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"
                    ),
                    "metadata.finalizers",
                );
                return Err(ApiError::invalid(
                    &t.rt.group,
                    &t.rt.kind,
                    &name,
                    vec![cause],
                ));
            }
        }
        self.admit(t, &mut new, Some(old), options)?;
        let generation = old
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let generation = if meta::spec_changed(old, &new) {
            generation + 1
        } else {
            generation
        };
        new["metadata"]["generation"] = json!(generation);
        if &new == old {
            // A no-op write: the real server neither bumps the resourceVersion nor emits an event.
            return Ok(new);
        }
        let finished = deleting && meta::finalizers(&new).is_empty();
        // Ownership is kept in the stored shape so that writes through either Event group
        // claim the same fields.
        let new = t.to_storage(new);
        if record_update {
            owners.record_update(&options.manager, Some(&t.to_storage(old.clone())), &new);
        }
        let stored = self.store.replace(&key, new, owners);
        self.after_write(t, &stored);
        if finished {
            let orphan = self.store.get(&key).is_some_and(|e| e.orphan_dependents);
            if let Some(removed) = self.remove_object(&key, orphan) {
                return Ok(t.present(removed));
            }
        }
        Ok(t.present(stored))
    }

    fn check_url_name(name: &str, body: &Value) -> Result<(), ApiError> {
        match meta_str(body, "name") {
            Some(given) if !given.is_empty() && given != name => {
                Err(ApiError::bad_request(format!(
                    "the name of the object ({given}) does not match the name on the URL ({name})"
                )))
            }
            _ => Ok(()),
        }
    }

    fn check_resource_version(
        t: &Target,
        name: &str,
        old: &Value,
        new: &Value,
    ) -> Result<(), ApiError> {
        match meta_str(new, "resourceVersion") {
            Some(rv) if !rv.is_empty() && Some(rv) != meta_str(old, "resourceVersion") => {
                Err(ApiError::stale(&t.rt.group, &t.rt.plural, name))
            }
            _ => Ok(()),
        }
    }

    /// PUT: replace an object (or its status). A stale `metadata.resourceVersion` conflicts.
    pub fn update(
        &mut self,
        t: &Target,
        name: &str,
        body: Value,
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        Self::check_subresource(t)?;
        Self::check_url_name(name, &body)?;
        self.check_namespace(t, &body)?;
        let existing = self.stored(t, name)?;
        Self::check_resource_version(t, name, &existing.old, &body)?;
        let new = Self::compose(t, &existing.old, body);
        self.commit_existing(t, existing, new, options, true)
    }

    /// PATCH with any of the four patch types.
    pub fn patch(
        &mut self,
        t: &Target,
        name: &str,
        kind: PatchKind,
        body: &[u8],
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        Self::check_subresource(t)?;
        if kind == PatchKind::Apply {
            return self.apply(t, name, body, options);
        }
        let existing = self.stored(t, name)?;
        let mut patched = existing.old.clone();
        match kind {
            PatchKind::Merge => patch::merge(&mut patched, &parse_patch_body(body)?),
            PatchKind::Strategic => patch::strategic(&mut patched, &parse_patch_body(body)?),
            _ => patch::json(&mut patched, body).map_err(|e| match e {
                PatchError::Malformed(e) => ApiError::bad_request(e.to_string()),
                PatchError::Failed(e) => ApiError::unprocessable(format!(
                    "the server rejected our request due to an error in our request: {e}"
                )),
            })?,
        }
        Self::check_url_name(name, &patched)?;
        Self::check_resource_version(t, name, &existing.old, &patched)?;
        let new = Self::compose(t, &existing.old, patched);
        self.commit_existing(t, existing, new, options, true)
    }

    fn apply(
        &mut self,
        t: &Target,
        name: &str,
        body: &[u8],
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        if !options.manager_given {
            let cause = Cause::new(
                "FieldValueRequired",
                "Required value: is required for apply patch",
                "fieldManager",
            );
            return Err(ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions",
                "",
                vec![cause],
            ));
        }
        let mut applied = parse_yaml_or_json(body)?;
        Self::check_url_name(name, &applied)?;
        self.check_namespace(t, &applied)?;
        meta::metadata_mut(&mut applied).insert("name".into(), json!(name));
        if let Some(map) = applied.as_object_mut() {
            if t.subresource.as_deref() == Some("status") {
                map.retain(|k, _| {
                    ["apiVersion", "kind", "metadata", "status"].contains(&k.as_str())
                });
            } else if t.has_status_subresource() {
                map.remove("status");
            }
        }
        let key = t.key(name);
        let Some(entry) = self.store.get(&key) else {
            if t.subresource.is_some() {
                return Err(ApiError::not_found(&t.rt.group, &t.rt.plural, name));
            }
            self.check_namespace_exists(t)?;
            let mut owners = FieldOwners::default();
            let merged = owners
                .apply(
                    &options.manager,
                    &json!({}),
                    &t.to_storage(applied),
                    options.force,
                )
                .map_err(|e| ApiError::plain(409, "Conflict", e.to_string()))?;
            let object = self.prepare_new(t, merged, options)?;
            return Ok(self.insert_new(t, key, object, owners));
        };
        let mut existing = Existing {
            old: t.present(entry.object.clone()),
            owners: entry.owners.clone(),
            key,
        };
        Self::check_resource_version(t, name, &existing.old, &applied)?;
        let merged = existing
            .owners
            .apply(
                &options.manager,
                &t.to_storage(existing.old.clone()),
                &t.to_storage(applied),
                options.force,
            )
            .map_err(|e| ApiError::plain(409, "Conflict", e.to_string()))?;
        let new = Self::compose(t, &existing.old, merged);
        self.commit_existing(t, existing, new, options, false)
    }
}
