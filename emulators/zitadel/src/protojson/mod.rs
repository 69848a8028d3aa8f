//! The proto3 canonical JSON mapping (protojson) as grpc-gateway applies it: input names in
//! lowerCamelCase or snake_case, unknown fields ignored, zero values omitted on output, uint64 as
//! strings, timestamps in RFC 3339, bytes in base64.

pub mod de;
pub mod enums;

use jiff::Timestamp;
use serde_json::{Map, Value};

/// Renames every object key from proto snake_case to lowerCamelCase, recursively, so that request
/// structs only need to know the JSON names. Keys already in lowerCamelCase are left alone.
pub fn normalize_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (snake_to_camel(&key), normalize_keys(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_keys).collect()),
        other => other,
    }
}

fn snake_to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper_next = false;
    for ch in name.chars() {
        if ch == '_' {
            upper_next = true;
        } else if upper_next {
            out.extend(ch.to_uppercase());
            upper_next = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// A `google.protobuf.Timestamp` in its JSON form (RFC 3339, UTC, `Z` suffix) with 0, 3, 6 or 9
/// fractional digits, the fewest that are exact, as protojson writes them.
pub fn timestamp(at: Timestamp) -> Value {
    let nanos = at.subsec_nanosecond();
    let digits = if nanos == 0 {
        0
    } else if nanos % 1_000_000 == 0 {
        3
    } else if nanos % 1_000 == 0 {
        6
    } else {
        9
    };
    Value::String(format!("{at:.digits$}"))
}

/// A `uint64`/`int64` in its JSON form (a string).
pub fn uint64(value: u64) -> Value {
    Value::String(value.to_string())
}

/// Enum names that are the zero value of their enum and therefore never written.
const ZERO_ENUM_NAMES: &[&str] = &[
    "USER_STATE_UNSPECIFIED",
    "GENDER_UNSPECIFIED",
    "ACCESS_TOKEN_TYPE_BEARER",
    "USER_FIELD_NAME_UNSPECIFIED",
];

/// Removes zero values (false, "", 0, "0" for uint64, empty lists, zero enums) from an output
/// object, recursively, as grpc-gateway's marshaler does without `EmitUnpopulated`.
/// Empty objects stay: a set message field is written as `{}`.
pub fn omit_zero(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.values_mut().for_each(omit_zero);
            map.retain(|_, field| !is_zero(field));
        }
        Value::Array(items) => items.iter_mut().for_each(omit_zero),
        _ => {}
    }
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => !flag,
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::String(text) => {
            text.is_empty() || text == "0" || ZERO_ENUM_NAMES.contains(&text.as_str())
        }
        Value::Array(items) => items.is_empty(),
        Value::Object(_) => false,
    }
}

/// Builds an output object and strips its zero values in one step.
pub fn message(map: Map<String, Value>) -> Value {
    let mut value = Value::Object(map);
    omit_zero(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snake_case_input_names_become_lower_camel_case() {
        let input = json!({"organization_id": "1", "human": {"profile": {"given_name": "A"}}, "list": [{"user_ids": []}]});
        let normalized = normalize_keys(input);
        assert_eq!(
            normalized,
            json!({"organizationId": "1", "human": {"profile": {"givenName": "A"}}, "list": [{"userIds": []}]})
        );
    }

    #[test]
    fn camel_case_input_names_are_kept() {
        assert_eq!(
            normalize_keys(json!({"givenName": "A"})),
            json!({"givenName": "A"})
        );
    }

    #[test]
    fn zero_values_are_omitted_but_empty_messages_stay() {
        let mut value = json!({
            "isVerified": false, "name": "", "count": 0, "sequence": "0", "list": [],
            "accessTokenType": "ACCESS_TOKEN_TYPE_BEARER", "phone": {}, "kept": "x", "flag": true,
        });
        omit_zero(&mut value);
        assert_eq!(value, json!({"phone": {}, "kept": "x", "flag": true}));
    }

    #[test]
    fn timestamps_use_three_six_or_nine_fractional_digits() {
        let at = |nanos| Timestamp::new(1_700_000_000, nanos).unwrap();
        assert_eq!(timestamp(at(0)), json!("2023-11-14T22:13:20Z"));
        assert_eq!(
            timestamp(at(120_000_000)),
            json!("2023-11-14T22:13:20.120Z")
        );
        assert_eq!(
            timestamp(at(123_400_000 + 500)),
            json!("2023-11-14T22:13:20.123400500Z")
        );
        assert_eq!(timestamp(at(1_000)), json!("2023-11-14T22:13:20.000001Z"));
    }

    #[test]
    fn uint64_is_written_as_a_string() {
        assert_eq!(uint64(12), json!("12"));
    }
}
