//! Lenient deserializers for protojson scalar forms.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// Accepts a `uint64` as a JSON string (canonical) or a number (also accepted by protojson).
pub fn uint64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(u64),
        Null(()),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Text(text) if text.is_empty() => Ok(0),
        Raw::Text(text) => text
            .parse()
            .map_err(|_| D::Error::custom(format!("invalid value for uint64: {text:?}"))),
        Raw::Number(number) => Ok(number),
        Raw::Null(()) => Ok(0),
    }
}

/// Decodes `bytes` from standard base64 (padded), the protojson form.
pub fn bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
    decode_base64(&text).map_err(D::Error::custom)
}

/// Decodes `optional bytes` from base64.
pub fn optional_bytes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<u8>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| decode_base64(&text).map_err(D::Error::custom))
        .transpose()
}

fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    // protojson also accepts URL-safe and unpadded input; normalise to the standard alphabet.
    let mut normalized: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    while !normalized.len().is_multiple_of(4) {
        normalized.push('=');
    }
    STANDARD
        .decode(normalized)
        .map_err(|_| "invalid value for bytes field: not base64".to_owned())
}

/// Parses an optional `google.protobuf.Timestamp` (RFC 3339).
pub fn optional_timestamp<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| {
            text.parse::<Timestamp>().map_err(|_| {
                D::Error::custom(format!("invalid google.protobuf.Timestamp value {text:?}"))
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "uint64", default)]
        offset: u64,
        #[serde(deserialize_with = "bytes", default)]
        value: Vec<u8>,
    }

    #[test]
    fn uint64_accepts_strings_and_numbers() {
        let from_text: Sample = serde_json::from_value(json!({"offset": "7"})).unwrap();
        let from_number: Sample = serde_json::from_value(json!({"offset": 7})).unwrap();
        assert_eq!((from_text.offset, from_number.offset), (7, 7));
    }

    #[test]
    fn bytes_are_base64_decoded_and_garbage_is_rejected() {
        let sample: Sample = serde_json::from_value(json!({"value": "YWJjZA=="})).unwrap();
        assert_eq!(sample.value, b"abcd");
        assert!(serde_json::from_value::<Sample>(json!({"value": "not base64!"})).is_err());
    }
}
