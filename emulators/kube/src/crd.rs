//! Turning a CustomResourceDefinition object into a served [`ResourceType`].
//!
//! Simplifications: a CRD is `Established` the moment it is written (the status conditions are set
//! in the same write); there is no conversion between versions (objects are stored once and
//! served under whichever version the client asks for).

use serde_json::{Value, json};

use crate::registry::{PrinterColumn, ResourceType, VersionInfo};
use crate::status::Cause;
use crate::validation::Schema;

/// Why a CRD object cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CustomResourceDefinition")]
pub struct CrdError {
    /// Field-level causes, rendered into a 422 `Invalid` Status.
    pub causes: Vec<Cause>,
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn strings(value: &Value, pointer: &str) -> Vec<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn printer_columns(version: &Value) -> Vec<PrinterColumn> {
    let Some(columns) = version
        .get("additionalPrinterColumns")
        .and_then(Value::as_array)
    else {
        // The real server's defaulting: without explicit columns a CRD shows its age.
        return vec![PrinterColumn {
            name: "Age".into(),
            column_type: "date".into(),
            format: String::new(),
            description: String::new(),
            priority: 0,
            json_path: ".metadata.creationTimestamp".into(),
        }];
    };
    columns
        .iter()
        .map(|c| PrinterColumn {
            name: text(c, "/name"),
            column_type: text(c, "/type"),
            format: text(c, "/format"),
            description: text(c, "/description"),
            priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
            json_path: text(c, "/jsonPath"),
        })
        .collect()
}

fn required(causes: &mut Vec<Cause>, value: &str, field: &str) {
    if value.is_empty() {
        causes.push(Cause::new("FieldValueRequired", "Required value", field));
    }
}

/// Parse and check a CRD object; the served resource type it defines.
pub fn resource_type(crd: &Value) -> Result<ResourceType, CrdError> {
    let group = text(crd, "/spec/group");
    let plural = text(crd, "/spec/names/plural");
    let kind = text(crd, "/spec/names/kind");
    let mut causes = Vec::new();
    required(&mut causes, &group, "spec.group");
    required(&mut causes, &plural, "spec.names.plural");
    required(&mut causes, &kind, "spec.names.kind");
    let name = text(crd, "/metadata/name");
    let expected = format!("{plural}.{group}");
    if causes.is_empty() && name != expected {
        causes.push(Cause::new(
            "FieldValueInvalid",
            format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
            "metadata.name",
        ));
    }
    let scope = text(crd, "/spec/scope");
    if scope != "Namespaced" && scope != "Cluster" {
        causes.push(Cause::new(
            "FieldValueNotSupported",
            format!(
                "Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\""
            ),
            "spec.scope",
        ));
    }
    let versions: Vec<VersionInfo> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(false))
                .map(|v| VersionInfo {
                    name: text(v, "/name"),
                    storage: v.get("storage").and_then(Value::as_bool).unwrap_or(false),
                    schema: v
                        .pointer("/schema/openAPIV3Schema")
                        .cloned()
                        .map(Schema::new),
                    status_subresource: v.pointer("/subresources/status").is_some(),
                    printer_columns: printer_columns(v),
                })
                .collect()
        })
        .unwrap_or_default();
    if versions.is_empty() {
        causes.push(Cause::new(
            "FieldValueInvalid",
            "Invalid value: \"null\": must have exactly one version marked as storage version",
            "spec.versions",
        ));
    }
    if !causes.is_empty() {
        return Err(CrdError { causes });
    }
    let singular = match text(crd, "/spec/names/singular") {
        s if s.is_empty() => kind.to_lowercase(),
        s => s,
    };
    let list_kind = match text(crd, "/spec/names/listKind") {
        s if s.is_empty() => format!("{kind}List"),
        s => s,
    };
    Ok(ResourceType {
        group,
        versions,
        short_names: strings(crd, "/spec/names/shortNames"),
        categories: strings(crd, "/spec/names/categories"),
        plural,
        singular,
        kind,
        list_kind,
        namespaced: scope == "Namespaced",
        custom: true,
    })
}

/// The status the real server converges to for an accepted CRD: names accepted, established.
pub fn established_status(crd: &Value, now: &str) -> Value {
    let mut accepted = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
    if let (Some(names), Some(rt)) = (accepted.as_object_mut(), resource_type(crd).ok()) {
        names.insert("singular".into(), json!(rt.singular));
        names.insert("listKind".into(), json!(rt.list_kind));
    }
    let stored: Vec<String> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool).unwrap_or(false))
                .map(|v| text(v, "/name"))
                .collect()
        })
        .unwrap_or_default();
    let condition = |kind: &str, reason: &str, message: &str| json!({"type": kind, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message});
    json!({
        "acceptedNames": accepted,
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "storedVersions": stored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(name: &str) -> Value {
        json!({
            "metadata": {"name": name},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [{"name": "v1", "served": true, "storage": true,
                              "subresources": {"status": {}},
                              "schema": {"openAPIV3Schema": {"type": "object"}}}]
            }
        })
    }

    #[test]
    fn a_crd_defines_a_namespaced_type_with_its_names_and_status_subresource() {
        let rt = resource_type(&crd("widgets.example.com")).unwrap();
        assert_eq!(rt.singular, "widget");
        assert_eq!(rt.list_kind, "WidgetList");
        assert_eq!(rt.short_names, vec!["wd"]);
        assert!(rt.namespaced && rt.custom);
        assert!(rt.versions[0].status_subresource);
        assert_eq!(rt.versions[0].printer_columns[0].name, "Age");
    }

    #[test]
    fn a_crd_must_be_named_plural_dot_group() {
        let error = resource_type(&crd("widgets")).unwrap_err();
        assert_eq!(error.causes[0].field, "metadata.name");
    }

    #[test]
    fn an_accepted_crd_is_established() {
        let status = established_status(&crd("widgets.example.com"), "2025-01-01T00:00:00Z");
        assert_eq!(status["conditions"][1]["type"], "Established");
        assert_eq!(status["acceptedNames"]["listKind"], "WidgetList");
        assert_eq!(status["storedVersions"], json!(["v1"]));
    }
}
