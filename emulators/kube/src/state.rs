//! The emulator's mutable state: the served types and the stored objects, always changed together
//! under one lock so that every request sees a consistent cluster.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::apply::FieldOwners;
use crate::conversion;
use crate::meta;
use crate::registry::{Registry, ResourceType};
use crate::store::{ObjectKey, Store};
use crate::validation::Schema;

/// Namespaces that exist from the start, like on a fresh cluster.
pub const INITIAL_NAMESPACES: [&str; 2] = ["default", "kube-system"];

/// Types plus objects.
#[derive(Debug)]
pub struct State {
    /// Served resource types.
    pub registry: Registry,
    /// Stored objects and history.
    pub store: Store,
}

/// What a request addresses: a resource type at a version, maybe a namespace, name and
/// subresource.
#[derive(Debug, Clone)]
pub struct Target {
    /// The resource type.
    pub rt: Arc<ResourceType>,
    /// The version in the URL.
    pub version: String,
    /// The namespace in the URL (None for cluster scope or an all-namespaces list).
    pub namespace: Option<String>,
    /// The object name in the URL.
    pub name: Option<String>,
    /// The subresource in the URL (`status`).
    pub subresource: Option<String>,
}

impl Target {
    /// The store key of the named object.
    pub fn key(&self, name: &str) -> ObjectKey {
        let (group, resource) = self.storage_resource();
        ObjectKey::new(
            group,
            resource,
            self.namespace.as_deref().unwrap_or_default(),
            name,
        )
    }

    /// The (group, resource) this target's objects are stored under: another group's for a
    /// resource that shares its storage (`events.k8s.io` Events live with core Events).
    pub fn storage_resource(&self) -> (&str, &str) {
        conversion::storage_resource(&self.rt.group, &self.rt.plural)
    }

    /// Whether this version has the status subresource.
    pub fn has_status_subresource(&self) -> bool {
        self.rt
            .version(&self.version)
            .is_some_and(|v| v.status_subresource)
    }

    /// The CRD schema of this version, for custom resources.
    pub fn schema(&self) -> Option<&Schema> {
        self.rt.version(&self.version)?.schema.as_ref()
    }

    /// `object` (stored, or written at this target) as served at this target's version:
    /// converted to its shape if it is an Event of the other group, apiVersion and kind set.
    pub fn present(&self, object: Value) -> Value {
        let mut object = conversion::present(object, &self.rt.group, &self.rt.plural);
        if let Some(map) = object.as_object_mut() {
            map.insert(
                "apiVersion".into(),
                json!(self.rt.api_version(&self.version)),
            );
            map.insert("kind".into(), json!(self.rt.kind));
        }
        object
    }

    /// `object`, as written at this target, in the shape the store keeps (see [`conversion`]).
    pub fn to_storage(&self, object: Value) -> Value {
        conversion::to_storage(object, &self.rt.group, &self.rt.plural)
    }
}

impl State {
    /// A fresh cluster with the built-in types and initial namespaces.
    pub fn new(history_limit: usize) -> Self {
        let mut state = Self {
            registry: Registry::default(),
            store: Store::new(history_limit),
        };
        for name in INITIAL_NAMESPACES {
            let namespace = json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "uid": meta::uid(),
                    "creationTimestamp": meta::now(),
                    "labels": {"kubernetes.io/metadata.name": name},
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            });
            state.store.insert(
                ObjectKey::new("", "namespaces", "", name),
                namespace,
                FieldOwners::default(),
            );
        }
        state
    }

    /// Whether the namespace `name` exists.
    pub fn namespace_exists(&self, name: &str) -> bool {
        self.store
            .get(&ObjectKey::new("", "namespaces", "", name))
            .is_some()
    }
}
