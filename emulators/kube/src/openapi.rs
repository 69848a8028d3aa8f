//! OpenAPI v3 documents, just enough for kubectl: `/openapi/v3` lists one document per served
//! group-version; each document has, per resource, the PATCH operation tagged with its
//! group-version-kind and the `fieldValidation` query parameter (so kubectl leaves validation to
//! the server), and for custom resources the CRD schema as a component.
//!
//! `/openapi/v2` is not served (kubectl then uses its built-in patch strategies), and built-in
//! kinds have no schemas.

use serde_json::{Map, Value, json};

use crate::registry::{Registry, ResourceType};

fn document_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: the index of group-version documents.
pub fn v3_root(registry: &Registry) -> Value {
    let mut paths = Map::new();
    let mut add = |group: &str, version: &str| {
        let path = document_path(group, version);
        let url = format!("/openapi/v3/{path}");
        paths.insert(path, json!({"serverRelativeURL": url}));
    };
    add("", "v1");
    for (group, versions) in registry.groups() {
        for version in versions {
            add(&group, &version);
        }
    }
    json!({"paths": paths})
}

/// The component name kubectl expects for a kind: reversed group plus version and kind.
fn component_name(rt: &ResourceType, version: &str) -> String {
    let group: Vec<&str> = rt.group.split('.').rev().collect();
    format!("{}.{version}.{}", group.join("."), rt.kind)
}

fn resource_paths(rt: &ResourceType, version: &str, paths: &mut Map<String, Value>) {
    let gvk = json!({"group": rt.group, "version": version, "kind": rt.kind});
    let prefix = format!("/{}", document_path(&rt.group, version));
    let item = if rt.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
    } else {
        format!("{prefix}/{}/{{name}}", rt.plural)
    };
    let query = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string"}});
    paths.insert(
        item,
        json!({
            "patch": {
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [query("dryRun"), query("fieldManager"), query("fieldValidation"), query("force")],
                "responses": {"200": {"description": "OK"}},
            }
        }),
    );
}

/// `/openapi/v3/<api/v1 | apis/group/version>`, if that group-version is served.
pub fn v3_group_version(registry: &Registry, path: &str) -> Option<Value> {
    let parts: Vec<&str> = path.split('/').collect();
    let (group, version) = match parts.as_slice() {
        ["api", version] => ("", *version),
        ["apis", group, version] => (*group, *version),
        _ => return None,
    };
    let types = registry.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for rt in &types {
        resource_paths(rt, version, &mut paths);
        if let Some(mut schema) = rt
            .version(version)
            .and_then(|v| v.schema.as_ref())
            .map(|s| s.value().clone())
        {
            schema["x-kubernetes-group-version-kind"] =
                json!([{"group": rt.group, "version": version, "kind": rt.kind}]);
            schemas.insert(component_name(rt, version), schema);
        }
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_group_version_has_a_document_with_field_validation_on_patch() {
        let registry = Registry::default();
        let root = v3_root(&registry);
        assert!(root["paths"]["apis/coordination.k8s.io/v1"].is_object());
        let doc = v3_group_version(&registry, "api/v1").unwrap();
        let patch = &doc["paths"]["/api/v1/namespaces/{namespace}/secrets/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "Secret");
        assert!(
            patch["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
        assert!(v3_group_version(&registry, "apis/nope/v1").is_none());
    }
}
