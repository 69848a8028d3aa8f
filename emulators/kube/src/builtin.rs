//! The few server-side behaviours of built-in kinds that clients depend on.
//!
//! Built-in kinds are otherwise stored as given: there is no schema validation or pruning for
//! them (only custom resources are validated).

use base64::Engine;
use serde_json::{Map, Value, json};

/// Normalize a built-in object the way the real server's strategies do before storing it:
/// Secret `stringData` is folded into base64 `data` and `type` defaults to `Opaque`; a Namespace
/// gets its `kubernetes.io/metadata.name` label and `Active` phase.
pub fn normalize(group: &str, resource: &str, object: &mut Value) {
    match (group, resource) {
        ("", "secrets") => normalize_secret(object),
        ("", "namespaces") => normalize_namespace(object),
        _ => {}
    }
}

fn normalize_secret(secret: &mut Value) {
    let Some(map) = secret.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(string_data)) = map.remove("stringData") {
        let data = map
            .entry("data")
            .or_insert_with(|| Value::Object(Map::new()));
        if !data.is_object() {
            *data = Value::Object(Map::new());
        }
        if let Value::Object(data) = data {
            for (key, value) in string_data {
                let text = value.as_str().unwrap_or_default().to_string();
                let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                data.insert(key, Value::String(encoded));
            }
        }
    }
    map.entry("type").or_insert_with(|| json!("Opaque"));
}

fn normalize_namespace(namespace: &mut Value) {
    let name = namespace
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let labels = &mut namespace["metadata"]["labels"];
    if !labels.is_object() {
        *labels = json!({});
    }
    labels["kubernetes.io/metadata.name"] = json!(name);
    if namespace.pointer("/status/phase").is_none() {
        namespace["status"] = json!({"phase": "Active"});
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_string_data_is_folded_into_base64_data() {
        let mut secret =
            json!({"metadata": {"name": "s"}, "data": {"a": "YQ=="}, "stringData": {"b": "bee"}});
        normalize("", "secrets", &mut secret);
        assert_eq!(secret["data"], json!({"a": "YQ==", "b": "YmVl"}));
        assert_eq!(secret["type"], "Opaque");
        assert!(secret.get("stringData").is_none());
    }

    #[test]
    fn namespaces_get_their_name_label_and_active_phase() {
        let mut namespace = json!({"metadata": {"name": "team"}});
        normalize("", "namespaces", &mut namespace);
        assert_eq!(
            namespace["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "team"
        );
        assert_eq!(namespace["status"]["phase"], "Active");
    }
}
