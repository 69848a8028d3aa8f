//! User metadata RPCs (contract §6). SetUserMetadata takes `[Metadata]`; DeleteUserMetadata
//! sends its keys as query parameters, so neither needs a request type here.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::common::{ListQuery, Metadata, PaginationResponse, TextFilterMethod};
use super::wire::base64_bytes;

/// Body of SetUserMetadata: `{"metadata": [...]}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SetUserMetadataBody<'a> {
    pub(crate) metadata: &'a [Metadata],
}

/// `ListUserMetadataRequest` (`POST /v2/users/{userId}/metadata/search`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListUserMetadataRequest {
    /// Offset, limit and order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<ListQuery>,
    /// Filters, ANDed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<MetadataSearchFilter>,
}

/// A metadata search filter (oneof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum MetadataSearchFilter {
    /// `keyFilter {key, method}`.
    KeyFilter {
        /// Key to match.
        key: String,
        /// Match method.
        method: TextFilterMethod,
    },
}

/// `ListUserMetadataResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListUserMetadataResponse {
    /// Totals.
    pub pagination: PaginationResponse,
    /// The entries.
    pub metadata: Vec<MetadataEntry>,
}

/// A metadata entry as read back, with its dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetadataEntry {
    /// When the entry was created.
    pub creation_date: Option<Timestamp>,
    /// When the entry last changed.
    pub change_date: Option<Timestamp>,
    /// Key.
    pub key: String,
    /// Raw value bytes (base64 on the wire).
    #[serde(with = "base64_bytes")]
    pub value: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_set_body_wraps_entries_in_metadata() {
        let entries = [Metadata::new("k", "v")];
        assert_eq!(
            serde_json::to_value(SetUserMetadataBody { metadata: &entries }).unwrap(),
            json!({"metadata": [{"key": "k", "value": "dg=="}]})
        );
    }

    #[test]
    fn the_list_request_uses_pagination_and_key_filters() {
        let request = ListUserMetadataRequest {
            pagination: Some(ListQuery {
                offset: 5,
                limit: 2,
                asc: false,
            }),
            filters: vec![MetadataSearchFilter::KeyFilter {
                key: "k8s-".into(),
                method: TextFilterMethod::StartsWith,
            }],
        };
        assert_eq!(
            serde_json::to_value(request).unwrap(),
            json!({"pagination": {"offset": "5", "limit": 2, "asc": false},
                   "filters": [{"keyFilter": {"key": "k8s-", "method": "TEXT_FILTER_METHOD_STARTS_WITH"}}]})
        );
        assert_eq!(
            serde_json::to_value(ListUserMetadataRequest::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn the_list_response_decodes_base64_values_and_string_totals() {
        let response: ListUserMetadataResponse = serde_json::from_value(json!({
            "pagination": {"totalResult": "1", "appliedLimit": "100"},
            "metadata": [{"creationDate": "2026-01-01T00:00:00Z", "key": "k8s-uid", "value": "YWJjZA=="}]
        }))
        .unwrap();
        assert_eq!(response.pagination.total_result, 1);
        assert_eq!(response.pagination.applied_limit, 100);
        assert_eq!(response.metadata[0].value, b"abcd");
        assert_eq!(response.metadata[0].change_date, None);
    }
}
