//! Core `v1` Events and `events.k8s.io/v1` Events: one storage, two shapes.
//!
//! The real API server keeps a single Event storage and serves it through both groups, so an
//! event recorded through `events.k8s.io` (kube-runtime's `Recorder`, client-go's new recorder)
//! shows up in `kubectl get events` and `kubectl describe`, which read core `v1`. The emulator
//! does the same: Events are stored once, in the core `v1` form under the core key, and
//! converted field by field on the way in and out, with the field names of the real server's
//! conversion (`pkg/apis/events/v1`). Fields outside both schemas pass through unchanged, as
//! built-in kinds are not pruned (see [`crate::builtin`]).

use serde_json::{Map, Value, json};

/// The API group of the newer Event API.
pub const EVENTS_GROUP: &str = "events.k8s.io";
/// The plural of Events in both groups.
pub const EVENTS_RESOURCE: &str = "events";
/// The apiVersion Events are stored with.
const CORE_API_VERSION: &str = "v1";
/// The apiVersion of the newer Event API.
const EVENTS_API_VERSION: &str = "events.k8s.io/v1";

/// (events.k8s.io/v1 name, core v1 name) of every field whose name differs; `eventTime`,
/// `series`, `action`, `reason`, `type`, `related`, `reportingInstance` and `metadata` are
/// called the same in both.
const RENAMED: [(&str, &str); 7] = [
    ("note", "message"),
    ("regarding", "involvedObject"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

/// The two shapes of an Event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Core,
    Events,
}

fn form_of_resource(group: &str, resource: &str) -> Option<Form> {
    match (group, resource) {
        ("", EVENTS_RESOURCE) => Some(Form::Core),
        (EVENTS_GROUP, EVENTS_RESOURCE) => Some(Form::Events),
        _ => None,
    }
}

/// The shape `object` claims by its apiVersion; one without (a patch result, a terse body) is
/// taken to be in the shape of the URL it was sent to.
fn form_of_object(object: &Value, default: Form) -> Form {
    match object.get("apiVersion").and_then(Value::as_str) {
        Some(CORE_API_VERSION) => Form::Core,
        Some(EVENTS_API_VERSION) => Form::Events,
        _ => default,
    }
}

fn reshape(map: &mut Map<String, Value>, to: Form) {
    for (events, core) in RENAMED {
        let (from, into) = match to {
            Form::Core => (events, core),
            Form::Events => (core, events),
        };
        // The target name is an unknown field in the source shape; the real server drops it, and
        // keeping it would let it shadow the converted value.
        map.remove(into);
        if let Some(value) = map.remove(from) {
            map.insert(into.to_string(), value);
        }
    }
}

fn convert(mut object: Value, from: Form, to: Form) -> Value {
    if from != to
        && let Some(map) = object.as_object_mut()
    {
        reshape(map, to);
    }
    object
}

/// Whether (group, resource) is one of the two Event APIs.
pub fn is_event(group: &str, resource: &str) -> bool {
    form_of_resource(group, resource).is_some()
}

/// The (group, resource) whose storage objects of (group, resource) live in: core Events for
/// `events.k8s.io` Events, else the resource itself.
pub fn storage_resource<'a>(group: &'a str, resource: &'a str) -> (&'a str, &'a str) {
    match form_of_resource(group, resource) {
        Some(Form::Events) => ("", EVENTS_RESOURCE),
        _ => (group, resource),
    }
}

/// `object` in the shape (group, resource) serves; only Events change. apiVersion and kind are
/// left to the caller.
pub fn present(object: Value, group: &str, resource: &str) -> Value {
    match form_of_resource(group, resource) {
        Some(to) => {
            let from = form_of_object(&object, to);
            convert(object, from, to)
        }
        None => object,
    }
}

/// `object`, written through (group, resource), in the shape it is stored in.
pub fn to_storage(object: Value, group: &str, resource: &str) -> Value {
    match form_of_resource(group, resource) {
        Some(written) => {
            let from = form_of_object(&object, written);
            let mut core = convert(object, from, Form::Core);
            if let Some(map) = core.as_object_mut() {
                map.insert("apiVersion".into(), json!(CORE_API_VERSION));
            }
            core
        }
        None => object,
    }
}

/// An Event of either shape in the core `v1` shape (what printers and describers read).
pub fn to_core(object: Value) -> Value {
    to_storage(object, EVENTS_GROUP, EVENTS_RESOURCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_form() -> Value {
        json!({
            "apiVersion": EVENTS_API_VERSION,
            "kind": "Event",
            "metadata": {"name": "w.1", "namespace": "default"},
            "eventTime": "2024-01-01T00:00:00.000000Z",
            "series": {"count": 2, "lastObservedTime": "2024-01-01T00:01:00.000000Z"},
            "action": "Reconcile",
            "reason": "Synced",
            "type": "Normal",
            "note": "all good",
            "regarding": {"kind": "Widget", "name": "w"},
            "related": {"kind": "Secret", "name": "s"},
            "reportingController": "ctl",
            "reportingInstance": "ctl-0",
            "deprecatedSource": {"component": "ctl"},
            "deprecatedFirstTimestamp": "2024-01-01T00:00:00Z",
            "deprecatedLastTimestamp": "2024-01-01T00:01:00Z",
            "deprecatedCount": 2,
        })
    }

    #[test]
    fn every_renamed_field_maps_to_its_core_name_and_back() {
        let core = to_storage(events_form(), EVENTS_GROUP, EVENTS_RESOURCE);
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(core["message"], "all good");
        assert_eq!(core["involvedObject"]["name"], "w");
        assert_eq!(core["reportingComponent"], "ctl");
        assert_eq!(core["source"]["component"], "ctl");
        assert_eq!(core["firstTimestamp"], "2024-01-01T00:00:00Z");
        assert_eq!(core["lastTimestamp"], "2024-01-01T00:01:00Z");
        assert_eq!(core["count"], 2);
        assert_eq!(core["series"]["count"], 2);
        assert_eq!(core["related"]["name"], "s");
        assert_eq!(core["reportingInstance"], "ctl-0");
        for (events, _) in RENAMED {
            assert!(core.get(events).is_none(), "{events} left in {core}");
        }
        let mut back = present(core, EVENTS_GROUP, EVENTS_RESOURCE);
        back["apiVersion"] = json!(EVENTS_API_VERSION);
        assert_eq!(back, events_form());
    }

    #[test]
    fn an_object_without_api_version_is_in_the_shape_of_its_url() {
        let terse = json!({"note": "n", "regarding": {"name": "w"}});
        let core = to_storage(terse.clone(), EVENTS_GROUP, EVENTS_RESOURCE);
        assert_eq!(core["message"], "n");
        assert_eq!(present(terse.clone(), EVENTS_GROUP, EVENTS_RESOURCE), terse);
        let stored = to_storage(json!({"message": "m"}), "", EVENTS_RESOURCE);
        assert_eq!(stored, json!({"apiVersion": "v1", "message": "m"}));
    }

    #[test]
    fn only_events_share_a_storage() {
        assert_eq!(storage_resource(EVENTS_GROUP, "events"), ("", "events"));
        assert_eq!(storage_resource("", "secrets"), ("", "secrets"));
        let secret = json!({"apiVersion": "v1", "data": {}});
        assert_eq!(to_storage(secret.clone(), "", "secrets"), secret);
    }
}
