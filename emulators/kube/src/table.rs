//! `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` responses, as kubectl requests them for
//! `kubectl get`: a NAME column, the CRD's printer columns (or AGE for built-in kinds); Events
//! get the real server's Event columns instead.
//!
//! JSONPath support covers what printer columns use: `.a.b`, `.a[0]`, `.a[*].b` and filters
//! `.a[?(@.k=="v")].b`; a path yielding several values joins them with commas.

use serde_json::{Value, json};

use crate::conversion;
use crate::registry::PrinterColumn;
use crate::state::Target;

/// Whether an `Accept` header asks for a Table.
pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

/// Whether an `Accept` header asks for `PartialObjectMetadata(List)`.
pub fn wants_metadata(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=PartialObjectMetadata"))
}

/// An object reduced to `PartialObjectMetadata`.
pub fn partial_metadata(object: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": object.get("metadata").cloned().unwrap_or(json!({})),
    })
}

fn step<'a>(values: Vec<&'a Value>, segment: &str) -> Vec<&'a Value> {
    let (field, bracket) = match segment.find('[') {
        Some(i) => (&segment[..i], Some(segment[i + 1..].trim_end_matches(']'))),
        None => (segment, None),
    };
    let mut current: Vec<&Value> = if field.is_empty() {
        values
    } else {
        values.into_iter().filter_map(|v| v.get(field)).collect()
    };
    if let Some(selector) = bracket {
        let items = current.into_iter().filter_map(Value::as_array).flatten();
        current = if selector == "*" {
            items.collect()
        } else if let Some(filter) = selector
            .strip_prefix("?(@.")
            .and_then(|f| f.strip_suffix(')'))
        {
            let (key, expected) = filter.split_once("==").unwrap_or((filter, ""));
            let expected = expected.trim().trim_matches(|c| c == '"' || c == '\'');
            items
                .filter(|item| item.get(key.trim()).and_then(Value::as_str) == Some(expected))
                .collect()
        } else {
            let index: Option<usize> = selector.parse().ok();
            let all: Vec<&Value> = items.collect();
            index
                .and_then(|i| all.get(i).copied())
                .into_iter()
                .collect()
        };
    }
    current
}

fn split_path(path: &str) -> Vec<&str> {
    // Dots inside filters (`[?(@.type==...)]`) must not split.
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in path.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                parts.push(&path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&path[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// Evaluate a simple JSONPath (with or without `{}`) against `object`.
pub fn json_path<'a>(object: &'a Value, path: &str) -> Vec<&'a Value> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    split_path(path)
        .into_iter()
        .fold(vec![object], |values, segment| step(values, segment))
}

/// A human age like kubectl prints (`45s`, `12m`, `3h`, `2d`).
pub fn age(timestamp: &str) -> String {
    let Ok(then) = timestamp.parse::<jiff::Timestamp>() else {
        return "<unknown>".into();
    };
    let seconds = (jiff::Timestamp::now().as_second() - then.as_second()).max(0);
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn cell(column: &PrinterColumn, object: &Value) -> Value {
    let values = json_path(object, &column.json_path);
    match values.as_slice() {
        [] => Value::Null,
        [one] if column.column_type == "date" => {
            one.as_str().map_or(Value::Null, |t| json!(age(t)))
        }
        [one] => (*one).clone(),
        many => json!(
            many.iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn columns(t: &Target) -> Vec<PrinterColumn> {
    let custom =
        t.rt.version(&t.version)
            .map(|v| v.printer_columns.clone())
            .unwrap_or_default();
    if custom.is_empty() {
        vec![PrinterColumn {
            name: "Age".into(),
            column_type: "date".into(),
            format: String::new(),
            description: "CreationTimestamp is a timestamp representing the server time when this object was created.".into(),
            priority: 0,
            json_path: ".metadata.creationTimestamp".into(),
        }]
    } else {
        custom
    }
}

/// The column definitions and one row of cells per object for the generic printer: NAME, then
/// the CRD's printer columns (or AGE).
fn generic_cells(t: &Target, objects: &[Value]) -> (Vec<Value>, Vec<Vec<Value>>) {
    let columns = columns(t);
    let mut definitions = vec![json!({
        "name": "Name", "type": "string", "format": "name", "priority": 0,
        "description": "Name must be unique within a namespace.",
    })];
    definitions.extend(columns.iter().map(|c| {
        json!({"name": c.name, "type": c.column_type, "format": c.format, "description": c.description, "priority": c.priority})
    }));
    let cells = objects
        .iter()
        .map(|object| {
            let mut cells = vec![
                object
                    .pointer("/metadata/name")
                    .cloned()
                    .unwrap_or(Value::Null),
            ];
            cells.extend(columns.iter().map(|c| cell(c, object)));
            cells
        })
        .collect();
    (definitions, cells)
}

/// The real server's Event columns (`pkg/printers/internalversion`), the same for both Event
/// APIs; like every server-side table they are all sent, and kubectl hides priority 1 unless
/// `-o wide`.
const EVENT_COLUMNS: [(&str, i64, &str); 10] = [
    (
        "Last Seen",
        0,
        "The time at which the most recent occurrence of this event was recorded.",
    ),
    (
        "Type",
        0,
        "Type of this event (Normal, Warning), new types could be added in the future",
    ),
    (
        "Reason",
        0,
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    ("Object", 0, "The object that this event is about."),
    (
        "Subobject",
        1,
        "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.",
    ),
    (
        "Source",
        1,
        "The component reporting this event. Should be a short machine understandable string.",
    ),
    (
        "Message",
        0,
        "A human-readable description of the status of this operation.",
    ),
    (
        "First Seen",
        1,
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
    ),
    ("Count", 1, "The number of times this event has occurred."),
    ("Name", 1, "Name must be unique within a namespace."),
];

/// Age of an optional timestamp, `<unknown>` when there is none, as the Event printer shows it.
fn since(timestamp: Option<&Value>) -> String {
    match timestamp.and_then(Value::as_str) {
        Some(text) if !text.is_empty() => age(text),
        _ => "<unknown>".into(),
    }
}

/// One Event's cells, computed from its core shape like the real server's printer.
fn event_row(object: &Value) -> Vec<Value> {
    let event = conversion::to_core(object.clone());
    let text = |pointer: &str| {
        event
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let present = |pointer: &str| event.pointer(pointer).filter(|v| !v.is_null());
    let first = present("/firstTimestamp")
        .map(|t| since(Some(t)))
        .unwrap_or_else(|| since(present("/eventTime")));
    let mut last = present("/lastTimestamp")
        .map(|t| since(Some(t)))
        .unwrap_or_else(|| first.clone());
    let mut count = present("/count").and_then(Value::as_i64).unwrap_or(0);
    if let Some(series) = present("/series") {
        last = since(series.get("lastObservedTime"));
        count = series.get("count").and_then(Value::as_i64).unwrap_or(0);
    } else if count == 0 {
        // Events written through events.k8s.io carry no count until they repeat.
        count = 1;
    }
    let kind = text("/involvedObject/kind").to_lowercase();
    let target = match text("/involvedObject/name") {
        name if name.is_empty() => kind,
        name => format!("{kind}/{name}"),
    };
    let or = |first: String, second: String| if first.is_empty() { second } else { first };
    let component = or(text("/source/component"), text("/reportingComponent"));
    let source = match or(text("/source/host"), text("/reportingInstance")) {
        instance if instance.is_empty() => component,
        instance => format!("{component}, {instance}"),
    };
    vec![
        json!(last),
        json!(text("/type")),
        json!(text("/reason")),
        json!(target),
        json!(text("/involvedObject/fieldPath")),
        json!(source),
        json!(text("/message").trim()),
        json!(first),
        json!(count),
        json!(text("/metadata/name")),
    ]
}

fn event_cells(objects: &[Value]) -> (Vec<Value>, Vec<Vec<Value>>) {
    let definitions = EVENT_COLUMNS
        .iter()
        .map(|(name, priority, description)| {
            let format = if *name == "Name" { "name" } else { "" };
            json!({"name": name, "type": "string", "format": format, "description": description, "priority": priority})
        })
        .collect();
    (definitions, objects.iter().map(event_row).collect())
}

/// A `meta.k8s.io/v1` Table of `objects`; `include_object` is the `includeObject` parameter.
pub fn table(
    t: &Target,
    objects: &[Value],
    resource_version: &str,
    include_object: Option<&str>,
) -> Value {
    let (definitions, cells) = if conversion::is_event(&t.rt.group, &t.rt.plural) {
        event_cells(objects)
    } else {
        generic_cells(t, objects)
    };
    let rows: Vec<Value> = objects
        .iter()
        .zip(cells)
        .map(|(object, cells)| {
            let mut row = json!({"cells": cells});
            match include_object {
                Some("None") => {}
                Some("Object") => row["object"] = object.clone(),
                _ => row["object"] = partial_metadata(object),
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Value {
        json!({
            "metadata": {"name": "alice"},
            "spec": {"email": "a@example.com", "roles": [{"name": "x"}, {"name": "y"}]},
            "status": {"conditions": [
                {"type": "Synced", "status": "False"},
                {"type": "Ready", "status": "True"}
            ]}
        })
    }

    #[test]
    fn json_paths_reach_fields_indices_wildcards_and_filters() {
        let object = user();
        assert_eq!(
            json_path(&object, ".spec.email"),
            vec![&json!("a@example.com")]
        );
        assert_eq!(json_path(&object, ".spec.roles[1].name"), vec![&json!("y")]);
        assert_eq!(json_path(&object, ".spec.roles[*].name").len(), 2);
        assert_eq!(
            json_path(&object, r#".status.conditions[?(@.type=="Ready")].status"#),
            vec![&json!("True")]
        );
        assert!(json_path(&object, ".spec.missing").is_empty());
    }

    #[test]
    fn ages_are_printed_in_the_largest_sensible_unit() {
        let past = |s: i64| {
            jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() - s)
                .unwrap()
                .to_string()
        };
        assert_eq!(age(&past(30)), "30s");
        assert_eq!(age(&past(600)), "10m");
        assert_eq!(age(&past(3 * 86_400)), "3d");
    }

    #[test]
    fn an_event_row_reads_like_the_real_servers_printer() {
        let days_ago =
            jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() - 3 * 86_400)
                .unwrap()
                .to_string();
        let event = json!({
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "alice.1"},
            "eventTime": days_ago,
            "type": "Normal",
            "reason": "Created",
            "note": " created ZITADEL user 1 ",
            "regarding": {"kind": "User", "name": "alice"},
            "reportingController": "ctl",
            "reportingInstance": "ctl-0",
        });
        let cells = event_row(&event);
        let expected = json!([
            "3d",
            "Normal",
            "Created",
            "user/alice",
            "",
            "ctl, ctl-0",
            "created ZITADEL user 1",
            "3d",
            1,
            "alice.1"
        ]);
        assert_eq!(json!(cells), expected);
        let mut repeated = event;
        repeated["series"] = json!({"count": 4, "lastObservedTime": days_ago});
        assert_eq!(event_row(&repeated)[8], 4);
    }

    #[test]
    fn only_the_first_accepted_type_decides_on_a_table() {
        assert!(wants_table(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        ));
        assert!(!wants_table("application/json"));
    }
}
