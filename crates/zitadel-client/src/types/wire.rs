//! serde helpers for the proto3 JSON mapping quirks (contract §1): 64-bit integers travel as
//! strings and `bytes` as padded standard base64.

/// Whether `value` is its type's zero value, which protojson leaves out (contract §1): the read
/// models serialise the way the server sends them, so their encoding is as small as the wire's.
pub fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `uint64` fields as JSON strings (`"sequence": "12"`). Numbers are accepted on input too,
/// because protojson parsers accept both and a proxy or older server might send one.
pub mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer, de};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        String(String),
        Number(u64),
    }

    /// Writes the number as a decimal string.
    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal string (or a plain number).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        match StringOrNumber::deserialize(deserializer)? {
            StringOrNumber::Number(n) => Ok(n),
            StringOrNumber::String(s) => s
                .parse()
                .map_err(|_| de::Error::custom("expected a decimal uint64 string")),
        }
    }
}

/// `bytes` fields as standard, padded base64.
pub mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes the bytes as base64.
    pub fn serialize<S: Serializer>(value: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(value))
    }

    /// Reads base64 into bytes. The error deliberately does not echo the input: `bytes` fields
    /// carry key material (contract §8 `keyContent`).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|_| de::Error::custom("expected standard base64"))
    }

    /// The same mapping for bytes wrapped in [`Sensitive`](crate::sensitive::Sensitive).
    pub mod sensitive {
        use serde::{Deserializer, Serializer};

        use crate::sensitive::Sensitive;

        /// Writes the secret bytes as base64.
        pub fn serialize<S: Serializer>(
            value: &Sensitive<Vec<u8>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            super::serialize(value.expose(), serializer)
        }

        /// Reads base64 into secret bytes.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Sensitive<Vec<u8>>, D::Error> {
            super::deserialize(deserializer).map(Sensitive::new)
        }
    }

    /// The same mapping for an optional field (absent = `None`).
    pub mod option {
        use serde::{Deserializer, Serializer};

        /// Writes the bytes as base64; only called for `Some` (pair with `skip_serializing_if`).
        pub fn serialize<S: Serializer>(
            value: &Option<Vec<u8>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(bytes) => super::serialize(bytes, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads base64 into `Some(bytes)`.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Vec<u8>>, D::Error> {
            super::deserialize(deserializer).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use crate::sensitive::Sensitive;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Wire {
        #[serde(with = "super::u64_string")]
        sequence: u64,
        #[serde(with = "super::base64_bytes")]
        value: Vec<u8>,
        #[serde(with = "super::base64_bytes::sensitive")]
        secret: Sensitive<Vec<u8>>,
    }

    fn sample() -> Wire {
        Wire {
            sequence: 12,
            value: b"abcd".to_vec(),
            secret: Sensitive::new(b"key".to_vec()),
        }
    }

    #[test]
    fn u64_is_a_string_and_bytes_are_padded_base64() {
        let expected = json!({"sequence": "12", "value": "YWJjZA==", "secret": "a2V5"});
        assert_eq!(serde_json::to_value(sample()).unwrap(), expected);
        assert_eq!(serde_json::from_value::<Wire>(expected).unwrap(), sample());
    }

    #[test]
    fn u64_also_accepts_a_json_number() {
        let wire: Wire =
            serde_json::from_value(json!({"sequence": 12, "value": "", "secret": ""})).unwrap();
        assert_eq!(wire.sequence, 12);
    }

    #[test]
    fn invalid_base64_is_rejected_without_echoing_the_input() {
        let err = serde_json::from_value::<Wire>(
            json!({"sequence": "1", "value": "", "secret": "not base64 SECRET!"}),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
