//! Messages shared by several RPCs: object details, pagination, metadata entries, query methods.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::wire::{base64_bytes, is_zero, u64_string};

/// `zitadel.object.v2.Details`: returned by most write RPCs and embedded in users.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Details {
    /// Event sequence of the last change (uint64 as string, contract §1).
    #[serde(with = "u64_string")]
    #[serde(skip_serializing_if = "is_zero")]
    pub sequence: u64,
    /// When the object last changed.
    #[serde(skip_serializing_if = "is_zero")]
    pub change_date: Option<Timestamp>,
    /// The owning organisation id (the user's org, contract §3.1).
    #[serde(skip_serializing_if = "is_zero")]
    pub resource_owner: String,
    /// When the object was created.
    #[serde(skip_serializing_if = "is_zero")]
    pub creation_date: Option<Timestamp>,
}

/// `ListDetails` of search responses such as ListUsers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListDetails {
    /// Total number of matches, ignoring the limit.
    #[serde(with = "u64_string")]
    pub total_result: u64,
    /// Projection sequence the result was read at.
    #[serde(with = "u64_string")]
    pub processed_sequence: u64,
    /// Projection timestamp the result was read at.
    pub timestamp: Option<Timestamp>,
}

/// Pagination summary of the newer search responses (metadata, keys, PATs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PaginationResponse {
    /// Total number of matches, ignoring the limit.
    #[serde(with = "u64_string")]
    pub total_result: u64,
    /// The limit the server applied.
    #[serde(with = "u64_string")]
    pub applied_limit: u64,
}

/// Offset/limit/order of a search: `query` in ListUsers, `pagination` elsewhere (contract §3.2, §6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Number of results to skip (uint64, a string in JSON).
    #[serde(with = "u64_string")]
    pub offset: u64,
    /// Maximum number of results (uint32, a JSON number); 0 = server default.
    pub limit: u32,
    /// Ascending order.
    pub asc: bool,
}

/// A metadata entry as written (contract §6): the value is raw bytes, base64 in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    /// Key, 1..200 characters.
    pub key: String,
    /// Value, at most 500000 bytes. An empty value deletes the entry on set.
    #[serde(with = "base64_bytes")]
    pub value: Vec<u8>,
}

impl Metadata {
    /// Builds an entry from a key and raw value bytes.
    pub fn new(key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// `TEXT_QUERY_METHOD_*` of the ListUsers search queries (contract §3.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextQueryMethod {
    /// Exact, case-sensitive equality (enum 0).
    #[default]
    #[serde(rename = "TEXT_QUERY_METHOD_EQUALS")]
    Equals,
    /// Case-insensitive equality: use it for usernames (contract §14.3).
    #[serde(rename = "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE")]
    EqualsIgnoreCase,
    /// Prefix match.
    #[serde(rename = "TEXT_QUERY_METHOD_STARTS_WITH")]
    StartsWith,
    /// Case-insensitive prefix match.
    #[serde(rename = "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE")]
    StartsWithIgnoreCase,
    /// Substring match.
    #[serde(rename = "TEXT_QUERY_METHOD_CONTAINS")]
    Contains,
    /// Case-insensitive substring match.
    #[serde(rename = "TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE")]
    ContainsIgnoreCase,
    /// Suffix match.
    #[serde(rename = "TEXT_QUERY_METHOD_ENDS_WITH")]
    EndsWith,
    /// Case-insensitive suffix match.
    #[serde(rename = "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE")]
    EndsWithIgnoreCase,
}

/// `TEXT_FILTER_METHOD_*` of the newer filters (metadata key filter, contract §3.2 and §6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextFilterMethod {
    /// Exact, case-sensitive equality (enum 0).
    #[default]
    #[serde(rename = "TEXT_FILTER_METHOD_EQUALS")]
    Equals,
    /// Case-insensitive equality.
    #[serde(rename = "TEXT_FILTER_METHOD_EQUALS_IGNORE_CASE")]
    EqualsIgnoreCase,
    /// Prefix match.
    #[serde(rename = "TEXT_FILTER_METHOD_STARTS_WITH")]
    StartsWith,
    /// Case-insensitive prefix match.
    #[serde(rename = "TEXT_FILTER_METHOD_STARTS_WITH_IGNORE_CASE")]
    StartsWithIgnoreCase,
    /// Substring match.
    #[serde(rename = "TEXT_FILTER_METHOD_CONTAINS")]
    Contains,
    /// Case-insensitive substring match.
    #[serde(rename = "TEXT_FILTER_METHOD_CONTAINS_IGNORE_CASE")]
    ContainsIgnoreCase,
    /// Suffix match.
    #[serde(rename = "TEXT_FILTER_METHOD_ENDS_WITH")]
    EndsWith,
    /// Case-insensitive suffix match.
    #[serde(rename = "TEXT_FILTER_METHOD_ENDS_WITH_IGNORE_CASE")]
    EndsWithIgnoreCase,
}

/// `BYTE_FILTER_METHOD_*` of the metadata value filter (contract §3.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ByteFilterMethod {
    /// The value equals the given bytes (enum 0).
    #[default]
    #[serde(rename = "BYTE_FILTER_METHOD_EQUALS")]
    Equals,
    /// The value differs from the given bytes.
    #[serde(rename = "BYTE_FILTER_METHOD_NOT_EQUALS")]
    NotEquals,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn details_decode_with_omitted_zero_values_and_unknown_fields() {
        let details: Details =
            serde_json::from_value(json!({"resourceOwner": "org1", "somethingNew": 1})).unwrap();
        assert_eq!(details.sequence, 0);
        assert_eq!(details.resource_owner, "org1");
        assert_eq!(details.change_date, None);
    }

    #[test]
    fn list_query_writes_offset_as_a_string_and_limit_as_a_number() {
        let query = ListQuery {
            offset: 0,
            limit: 10,
            asc: true,
        };
        assert_eq!(
            serde_json::to_value(query).unwrap(),
            json!({"offset": "0", "limit": 10, "asc": true})
        );
    }

    #[test]
    fn metadata_values_are_base64() {
        let entry = Metadata::new("k8s-uid", "abcd");
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            json!({"key": "k8s-uid", "value": "YWJjZA=="})
        );
    }
}
