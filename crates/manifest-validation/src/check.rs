//! OpenAPI schema checks, then the CEL rules: [`validate`].

use serde_json::Value;

use crate::{Cause, ROOT_FIELDS, Schema, cel, flag, join};

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "number" => value.is_number(),
        other => type_name(value) == other,
    }
}

struct Checker<'a> {
    causes: &'a mut Vec<Cause>,
}

impl Checker<'_> {
    fn invalid(&mut self, path: &str, value: &Value, detail: String) {
        self.causes.push(Cause::new(
            "FieldValueInvalid",
            format!("Invalid value: {value}: {detail}"),
            path,
        ));
    }

    fn check(&mut self, schema: &Value, value: &Value, path: &str, root: bool) {
        if value.is_null() {
            if !flag(schema, "nullable") && schema.get("type").is_some() {
                self.invalid(
                    path,
                    &Value::String("null".into()),
                    format!(
                        "{path} in body must be of type {}: \"null\"",
                        schema["type"].as_str().unwrap_or("object")
                    ),
                );
            }
            return;
        }
        if flag(schema, "x-kubernetes-int-or-string") {
            if !(value.is_i64() || value.is_u64() || value.is_string()) {
                self.invalid(
                    path,
                    &Value::String(type_name(value).into()),
                    format!(
                        "{path} in body must be of type int-or-string: \"{}\"",
                        type_name(value)
                    ),
                );
            }
        } else if let Some(expected) = schema.get("type").and_then(Value::as_str)
            && !type_matches(expected, value)
        {
            let actual = type_name(value);
            self.invalid(
                path,
                &Value::String(actual.into()),
                format!("{path} in body must be of type {expected}: \"{actual}\""),
            );
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            self.causes.push(Cause::new(
                "FieldValueNotSupported",
                format!(
                    "Unsupported value: {value}: supported values: {}",
                    list.join(", ")
                ),
                path,
            ));
        }
        self.check_combinators(schema, value, path);
        match value {
            Value::String(s) => self.check_string(schema, s, value, path),
            Value::Number(n) => {
                self.check_number(schema, n.as_f64().unwrap_or_default(), value, path)
            }
            Value::Array(items) => self.check_array(schema, items, value, path),
            Value::Object(map) => self.check_object(schema, map, value, path, root),
            _ => {}
        }
    }

    fn check_string(&mut self, schema: &Value, s: &str, value: &Value, path: &str) {
        let length = s.chars().count() as u64;
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            self.causes.push(Cause::new(
                "FieldValueTooLong",
                format!("Too long: may not be more than {max} bytes"),
                path,
            ));
        }
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            self.invalid(
                path,
                value,
                format!("{path} in body should be at least {min} chars long"),
            );
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            // An unparsable pattern is the CRD author's problem; the real server rejects such a
            // CRD, so here it simply does not constrain anything.
            if let Ok(re) = regex::Regex::new(pattern)
                && !re.is_match(s)
            {
                self.invalid(
                    path,
                    value,
                    format!("{path} in body should match '{pattern}'"),
                );
            }
        }
    }

    fn check_number(&mut self, schema: &Value, n: f64, value: &Value, path: &str) {
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            self.invalid(
                path,
                value,
                format!(
                    "{path} in body should be less than or equal to {}",
                    schema["maximum"]
                ),
            );
        }
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            self.invalid(
                path,
                value,
                format!(
                    "{path} in body should be greater than or equal to {}",
                    schema["minimum"]
                ),
            );
        }
    }

    fn too_many(&mut self, path: &str, count: usize, max: u64) {
        self.causes.push(Cause::new(
            "FieldValueTooMany",
            format!("Too many: {count}: must have at most {max} items"),
            path,
        ));
    }

    fn check_array(&mut self, schema: &Value, items: &[Value], value: &Value, path: &str) {
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && items.len() as u64 > max
        {
            self.too_many(path, items.len(), max);
        }
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            self.invalid(
                path,
                value,
                format!("{path} in body should have at least {min} items"),
            );
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.check(item_schema, item, &format!("{path}[{i}]"), false);
            }
        }
    }

    fn check_object(
        &mut self,
        schema: &Value,
        map: &serde_json::Map<String, Value>,
        value: &Value,
        path: &str,
        root: bool,
    ) {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    self.causes.push(Cause::new(
                        "FieldValueRequired",
                        "Required value",
                        join(path, key),
                    ));
                }
            }
        }
        if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
            && map.len() as u64 > max
        {
            self.too_many(path, map.len(), max);
        }
        if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
            && (map.len() as u64) < min
        {
            self.invalid(
                path,
                value,
                format!("{path} in body should have at least {min} properties"),
            );
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        for (key, child_value) in map {
            if root && ROOT_FIELDS.contains(&key.as_str()) {
                continue; // metadata is validated by the server itself, not by the CRD schema
            }
            if let Some(child) = properties.and_then(|p| p.get(key)).or(additional) {
                self.check(child, child_value, &join(path, key), false);
            }
        }
    }

    fn matches(schema: &Value, value: &Value, path: &str) -> bool {
        let mut causes = Vec::new();
        Checker {
            causes: &mut causes,
        }
        .check(schema, value, path, false);
        causes.is_empty()
    }

    fn check_combinators(&mut self, schema: &Value, value: &Value, path: &str) {
        let subschemas = |name: &str| {
            schema
                .get(name)
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter(|s| Self::matches(s, value, path))
                        .count()
                })
                .zip(schema.get(name).and_then(Value::as_array).map(Vec::len))
        };
        let kind = Value::String(type_name(value).into());
        if let Some((matched, _)) = subschemas("oneOf")
            && matched != 1
        {
            self.invalid(
                path,
                &kind,
                format!("{path} in body must match exactly one schema in oneOf"),
            );
        }
        if let Some((0, _)) = subschemas("anyOf") {
            self.invalid(
                path,
                &kind,
                format!("{path} in body must match at least one schema in anyOf"),
            );
        }
        if let Some((matched, total)) = subschemas("allOf")
            && matched != total
        {
            self.invalid(
                path,
                &kind,
                format!("{path} in body must match all schemas in allOf"),
            );
        }
        if let Some(not) = schema.get("not")
            && Self::matches(not, value, path)
        {
            self.invalid(
                path,
                &kind,
                format!("{path} in body must not match the schema in not"),
            );
        }
    }
}

/// Validate `object` (already [normalized](crate::normalize)) against `schema` (a CRD version's
/// `openAPIV3Schema`) and its CEL rules; `old` is the stored object on updates, for transition
/// rules, and `None` on creates (transition rules are then skipped, as the server skips them).
/// CEL rules run only when the schema checks pass, as on the server. An empty result means
/// valid.
pub fn validate(schema: &Schema, object: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut causes = Vec::new();
    Checker {
        causes: &mut causes,
    }
    .check(schema.value(), object, "", true);
    if !causes.is_empty() {
        // Like the real server, CEL rules only run on schema-valid objects.
        return causes;
    }
    cel::evaluate(schema, object, old, &mut causes);
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize;
    use serde_json::json;

    fn schema() -> Schema {
        Schema::new(json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["email"],
                    "x-kubernetes-validations": [{"rule": "self.email == oldSelf.email", "message": "email is immutable"}],
                    "properties": {
                        "email": {"type": "string", "maxLength": 10, "pattern": "^[a-z@.]+$"},
                        "kind": {"type": "string", "enum": ["human", "machine"], "default": "human"},
                        "labels": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}},
                        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                }
            }
        }))
    }

    fn object(spec: Value) -> Value {
        json!({"apiVersion": "example.com/v1", "kind": "User", "metadata": {"name": "a"}, "spec": spec})
    }

    fn fields(causes: &[Cause]) -> Vec<String> {
        causes.iter().map(Cause::render).collect()
    }

    #[test]
    fn unknown_fields_are_pruned_unless_preserved_and_defaults_are_filled_in() {
        let mut obj = object(json!({"email": "a@b", "bogus": 1, "extra": {"anything": true}}));
        obj["top"] = json!(1);
        let pruned = normalize(&schema(), &mut obj);
        assert_eq!(pruned, vec!["spec.bogus".to_string(), "top".to_string()]);
        assert_eq!(obj["spec"]["kind"], "human");
        assert_eq!(obj["spec"]["extra"]["anything"], true);
        assert_eq!(obj["metadata"]["name"], "a");
    }

    #[test]
    fn structural_violations_are_reported_per_field() {
        let obj = object(json!({"kind": "robot", "labels": {"a": "1", "b": "2"}}));
        let causes = validate(&schema(), &obj, None);
        assert_eq!(
            fields(&causes),
            vec![
                "spec.email: Required value",
                "spec.kind: Unsupported value: \"robot\": supported values: \"human\", \"machine\"",
                "spec.labels: Too many: 2: must have at most 1 items",
            ]
        );
    }

    #[test]
    fn strings_are_checked_for_type_length_and_pattern() {
        let long = validate(&schema(), &object(json!({"email": "abcdefghijk@x"})), None);
        assert_eq!(
            fields(&long),
            vec!["spec.email: Too long: may not be more than 10 bytes"]
        );
        let typed = validate(&schema(), &object(json!({"email": 5})), None);
        assert_eq!(
            fields(&typed),
            vec![
                "spec.email: Invalid value: \"integer\": spec.email in body must be of type string: \"integer\""
            ]
        );
        let pattern = validate(&schema(), &object(json!({"email": "A"})), None);
        assert!(fields(&pattern)[0].contains("should match"));
    }

    #[test]
    fn cel_transition_rules_compare_with_the_stored_object() {
        let old = object(json!({"email": "a@b"}));
        assert!(validate(&schema(), &old, Some(&old)).is_empty());
        let causes = validate(&schema(), &object(json!({"email": "c@d"})), Some(&old));
        assert_eq!(
            fields(&causes),
            vec!["spec: Invalid value: \"object\": email is immutable"]
        );
    }
}
