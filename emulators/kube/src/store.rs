//! Object storage: every object as JSON keyed by (group, resource, namespace, name), one global
//! resourceVersion counter, and a bounded history of changes that watches replay from.
//!
//! Objects are stored once per (group, resource), whatever version they were written with;
//! `events.k8s.io` Events are stored under the core key (see [`crate::conversion`]).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

use crate::apply::FieldOwners;

/// Where an object lives. The namespace is empty for cluster-scoped objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// API group.
    pub group: String,
    /// Resource plural.
    pub resource: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl ObjectKey {
    /// The key of `name` in `namespace` (empty for cluster scope).
    pub fn new(group: &str, resource: &str, namespace: &str, name: &str) -> Self {
        Self {
            group: group.to_string(),
            resource: resource.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
}

/// A stored object and the bookkeeping the server keeps beside it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The object JSON, with metadata maintained by the server.
    pub object: Value,
    /// Field ownership for server-side apply.
    pub owners: FieldOwners,
    /// A DELETE with `propagationPolicy: Orphan` is pending (object has finalizers).
    pub orphan_dependents: bool,
}

/// The type of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Object created.
    Added,
    /// Object changed.
    Modified,
    /// Object removed.
    Deleted,
}

impl EventType {
    /// The wire name (`ADDED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change, as kept in the history and broadcast to watches.
#[derive(Debug, Clone)]
pub struct Change {
    /// The resourceVersion of this change.
    pub rv: u64,
    /// What changed.
    pub key: ObjectKey,
    /// Added, modified or deleted.
    pub event: EventType,
    /// The object after the change (for deletions: the last state).
    pub object: Value,
    /// The object before a modification, so selector watches can detect objects entering
    /// or leaving the selection.
    pub previous: Option<Value>,
}

/// The watch history does not reach back to the requested resourceVersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct TooOld {
    /// The requested resourceVersion.
    pub requested: u64,
    /// The oldest resourceVersion the history can replay from.
    pub oldest: u64,
}

/// Changes to replay plus a receiver of the changes after them.
#[derive(Debug)]
pub struct Subscription {
    /// Retained changes after the requested resourceVersion, oldest first.
    pub replay: Vec<Arc<Change>>,
    /// Every later change.
    pub receiver: broadcast::Receiver<Arc<Change>>,
}

/// All objects, the resourceVersion counter and the change history.
#[derive(Debug)]
pub struct Store {
    objects: BTreeMap<ObjectKey, Entry>,
    rv: u64,
    history: VecDeque<Arc<Change>>,
    /// Every change with rv > `floor` is still in `history`.
    floor: u64,
    history_limit: usize,
    changes: broadcast::Sender<Arc<Change>>,
}

impl Store {
    /// An empty store keeping at most `history_limit` changes for watch replay.
    pub fn new(history_limit: usize) -> Self {
        let history_limit = history_limit.max(1);
        // A watch that falls this far behind gets a 410 and re-lists, like on a real server.
        let (changes, _) = broadcast::channel(history_limit.max(1024));
        Self {
            objects: BTreeMap::new(),
            rv: 0,
            history: VecDeque::new(),
            floor: 0,
            history_limit,
            changes,
        }
    }

    /// The current (latest) resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    /// The stored entry at `key`.
    pub fn get(&self, key: &ObjectKey) -> Option<&Entry> {
        self.objects.get(key)
    }

    /// The stored entry at `key`, for bookkeeping that does not change the object itself.
    pub fn get_mut(&mut self, key: &ObjectKey) -> Option<&mut Entry> {
        self.objects.get_mut(key)
    }

    /// Entries of (group, resource), optionally only in `namespace`, ordered by namespace/name.
    pub fn list<'a>(
        &'a self,
        group: &'a str,
        resource: &'a str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Entry)> + 'a {
        self.objects.iter().filter(move |(k, _)| {
            k.group == group
                && k.resource == resource
                && namespace.is_none_or(|ns| k.namespace == ns)
        })
    }

    /// Every stored entry.
    pub fn iter(&self) -> impl Iterator<Item = (&ObjectKey, &Entry)> {
        self.objects.iter()
    }

    fn record(&mut self, key: ObjectKey, event: EventType, object: Value, previous: Option<Value>) {
        let change = Arc::new(Change {
            rv: self.rv,
            key,
            event,
            object,
            previous,
        });
        self.history.push_back(Arc::clone(&change));
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.floor = old.rv;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.changes.send(change);
    }

    fn stamp(&mut self, object: &mut Value) {
        self.rv += 1;
        object["metadata"]["resourceVersion"] = Value::String(self.rv.to_string());
    }

    /// Store a new object (ADDED), stamping its resourceVersion. Returns the stored object.
    pub fn insert(&mut self, key: ObjectKey, mut object: Value, owners: FieldOwners) -> Value {
        self.stamp(&mut object);
        self.objects.insert(
            key.clone(),
            Entry {
                object: object.clone(),
                owners,
                orphan_dependents: false,
            },
        );
        self.record(key, EventType::Added, object.clone(), None);
        object
    }

    /// Replace an existing object (MODIFIED), stamping its resourceVersion.
    pub fn replace(&mut self, key: &ObjectKey, mut object: Value, owners: FieldOwners) -> Value {
        self.stamp(&mut object);
        let previous = self.objects.get_mut(key).map(|entry| {
            entry.owners = owners;
            std::mem::replace(&mut entry.object, object.clone())
        });
        self.record(key.clone(), EventType::Modified, object.clone(), previous);
        object
    }

    /// Remove an object (DELETED). The returned last state carries the deletion's resourceVersion.
    pub fn remove(&mut self, key: &ObjectKey) -> Option<Entry> {
        let mut entry = self.objects.remove(key)?;
        self.stamp(&mut entry.object);
        self.record(key.clone(), EventType::Deleted, entry.object.clone(), None);
        Some(entry)
    }

    /// Subscribe to future changes and get the retained changes after `rv` (all in one step, so
    /// nothing falls between replay and live events).
    pub fn subscribe_after(&self, rv: u64) -> Result<Subscription, TooOld> {
        if rv < self.floor {
            return Err(TooOld {
                requested: rv,
                oldest: self.floor,
            });
        }
        let replay = self.history.iter().filter(|c| c.rv > rv).cloned().collect();
        Ok(Subscription {
            replay,
            receiver: self.changes.subscribe(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(name: &str) -> ObjectKey {
        ObjectKey::new("", "configmaps", "default", name)
    }

    #[test]
    fn every_write_takes_the_next_global_resource_version() {
        let mut store = Store::new(10);
        let a = store.insert(key("a"), json!({"metadata": {}}), FieldOwners::default());
        let b = store.insert(key("b"), json!({"metadata": {}}), FieldOwners::default());
        let a2 = store.replace(&key("a"), a.clone(), FieldOwners::default());
        assert_eq!(a["metadata"]["resourceVersion"], "1");
        assert_eq!(b["metadata"]["resourceVersion"], "2");
        assert_eq!(a2["metadata"]["resourceVersion"], "3");
        let removed = store.remove(&key("b")).unwrap();
        assert_eq!(removed.object["metadata"]["resourceVersion"], "4");
    }

    #[test]
    fn replay_beyond_the_bounded_history_is_too_old() {
        let mut store = Store::new(2);
        for name in ["a", "b", "c", "d"] {
            store.insert(key(name), json!({"metadata": {}}), FieldOwners::default());
        }
        assert_eq!(store.subscribe_after(1).unwrap_err().oldest, 2);
        let subscription = store.subscribe_after(2).unwrap();
        let rvs: Vec<u64> = subscription.replay.iter().map(|c| c.rv).collect();
        assert_eq!(rvs, vec![3, 4]);
    }
}
