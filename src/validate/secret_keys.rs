//! `secretRef.key`: must be a key a Secret's `data` can hold, which the CRD schema does not
//! check (it only bounds the length), so a typo would surface only when the operator reads it.

use manifest_validation::Cause;
use serde_json::Value;

/// The API server's message for an invalid Secret data key (`IsConfigMapKey`).
const KEY_RULE: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/// Whether `key` can name an entry of a Secret's `data`.
pub fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && key != "."
        && key != ".."
}

fn walk(value: &Value, path: &str, causes: &mut Vec<Cause>) {
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                let child_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                if name == "secretRef"
                    && let Some(key) = child.get("key").and_then(Value::as_str)
                    && !is_secret_key(key)
                {
                    causes.push(Cause::new(
                        "FieldValueInvalid",
                        format!("Invalid value: {}: {KEY_RULE}", Value::from(key)),
                        format!("{child_path}.key"),
                    ));
                }
                walk(child, &child_path, causes);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), causes);
            }
        }
        _ => {}
    }
}

/// Every `secretRef.key` under `spec` that no Secret could hold.
pub fn check(object: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if let Some(spec) = object.get("spec") {
        walk(spec, "spec", &mut causes);
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys_are_alphanumerics_dashes_dots_and_underscores() {
        assert!(is_secret_key("tls.crt"));
        assert!(is_secret_key("PASS_word-1"));
        assert!(!is_secret_key("my password"));
        assert!(!is_secret_key("a/b"));
        assert!(!is_secret_key(".."));
    }

    #[test]
    fn every_secret_ref_under_spec_is_checked_with_its_path() {
        let object = json!({"spec": {"human": {"password": {"secretRef": {"name": "s", "key": "a b"}}},
            "list": [{"secretRef": {"name": "s", "key": "ok"}}, {"secretRef": {"name": "s", "key": "x/y"}}]}});
        let fields: Vec<String> = check(&object).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            vec![
                "spec.human.password.secretRef.key",
                "spec.list[1].secretRef.key"
            ]
        );
    }
}
