//! Machine-user credentials: client secret, keys and personal access tokens (contract §8).
//! Secret, key content and token are returned once and cannot be read back (contract §14.1).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::common::{ListQuery, PaginationResponse};
use super::wire::base64_bytes;
use crate::sensitive::Sensitive;

/// `AddSecretResponse`. The client id to pair with the secret is the user's username.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddSecretResponse {
    /// Creation time.
    pub creation_date: Option<Timestamp>,
    /// The one-time client secret; replaces any previous one.
    pub client_secret: Sensitive<String>,
}

/// `AddKeyRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddKeyRequest {
    /// Required expiry.
    pub expiration_date: Timestamp,
    /// Your own public key (raw bytes, base64 on the wire); then no `keyContent` comes back.
    #[serde(with = "base64_bytes::option", skip_serializing_if = "Option::is_none")]
    pub public_key: Option<Vec<u8>>,
}

/// `AddKeyResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddKeyResponse {
    /// Creation time.
    pub creation_date: Option<Timestamp>,
    /// The key id.
    pub key_id: String,
    /// The JSON key file (decoded from base64); empty when a public key was supplied.
    #[serde(with = "base64_bytes::sensitive")]
    pub key_content: Sensitive<Vec<u8>>,
}

/// `AddPersonalAccessTokenRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPatRequest {
    /// Required expiry.
    pub expiration_date: Timestamp,
}

/// `AddPersonalAccessTokenResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AddPatResponse {
    /// Creation time.
    pub creation_date: Option<Timestamp>,
    /// The token id (for RemovePersonalAccessToken).
    pub token_id: String,
    /// The one-time token value.
    pub token: Sensitive<String>,
}

/// `ListKeysRequest` (`POST /v2/users/keys/search`). The `sortingColumn` is not modelled: the
/// contract names it only as `KEY_FIELD_NAME_*` without the values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListKeysRequest {
    /// Offset, limit and order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<ListQuery>,
    /// Filters, ANDed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<KeyFilter>,
}

/// A ListKeys filter (oneof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum KeyFilter {
    /// `keyIdFilter {id}`.
    KeyIdFilter {
        /// Key id.
        id: String,
    },
    /// `userIdFilter {id}`.
    UserIdFilter {
        /// User id.
        id: String,
    },
    /// `organizationIdFilter {id}`.
    OrganizationIdFilter {
        /// Organisation id.
        id: String,
    },
    /// `createdDateFilter {timestamp, method}`.
    CreatedDateFilter {
        /// Reference time.
        timestamp: Timestamp,
        /// Comparison.
        method: TimestampFilterMethod,
    },
    /// `expirationDateFilter {timestamp, method}`.
    ExpirationDateFilter {
        /// Reference time.
        timestamp: Timestamp,
        /// Comparison.
        method: TimestampFilterMethod,
    },
}

/// `ListPersonalAccessTokensRequest` (`POST /v2/users/pats/search`); `sortingColumn` is not
/// modelled for the same reason as in [`ListKeysRequest`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPatsRequest {
    /// Offset, limit and order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<ListQuery>,
    /// Filters, ANDed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<PatFilter>,
}

/// A ListPersonalAccessTokens filter (oneof).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PatFilter {
    /// `tokenIdFilter {id}`.
    TokenIdFilter {
        /// Token id.
        id: String,
    },
    /// `userIdFilter {id}`.
    UserIdFilter {
        /// User id.
        id: String,
    },
    /// `organizationIdFilter {id}`.
    OrganizationIdFilter {
        /// Organisation id.
        id: String,
    },
    /// `createdDateFilter {timestamp, method}`.
    CreatedDateFilter {
        /// Reference time.
        timestamp: Timestamp,
        /// Comparison.
        method: TimestampFilterMethod,
    },
    /// `expirationDateFilter {timestamp, method}`.
    ExpirationDateFilter {
        /// Reference time.
        timestamp: Timestamp,
        /// Comparison.
        method: TimestampFilterMethod,
    },
}

/// `TIMESTAMP_FILTER_METHOD_*`. The contract names only the prefix; the members are those of
/// ZITADEL's `zitadel.filter.v2.TimestampFilterMethod`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimestampFilterMethod {
    /// Equal (enum 0).
    #[default]
    #[serde(rename = "TIMESTAMP_FILTER_METHOD_EQUALS")]
    Equals,
    /// Later than.
    #[serde(rename = "TIMESTAMP_FILTER_METHOD_GREATER")]
    Greater,
    /// Later than or equal.
    #[serde(rename = "TIMESTAMP_FILTER_METHOD_GREATER_OR_EQUALS")]
    GreaterOrEquals,
    /// Earlier than.
    #[serde(rename = "TIMESTAMP_FILTER_METHOD_LESS")]
    Less,
    /// Earlier than or equal.
    #[serde(rename = "TIMESTAMP_FILTER_METHOD_LESS_OR_EQUALS")]
    LessOrEquals,
}

/// Response of ListKeys and ListPersonalAccessTokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ListCredentialsResponse {
    /// Totals.
    pub pagination: PaginationResponse,
    /// Keys or tokens (metadata only, never the secret).
    pub result: Vec<CredentialInfo>,
}

/// A key or PAT as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CredentialInfo {
    /// Creation time.
    pub creation_date: Option<Timestamp>,
    /// Last change.
    pub change_date: Option<Timestamp>,
    /// Key or token id.
    pub id: String,
    /// Owning user.
    pub user_id: String,
    /// Owning organisation.
    pub organization_id: String,
    /// Expiry.
    pub expiration_date: Option<Timestamp>,
}

/// Response of ListKeys.
pub type ListKeysResponse = ListCredentialsResponse;
/// Response of ListPersonalAccessTokens.
pub type ListPatsResponse = ListCredentialsResponse;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn expiry() -> Timestamp {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn add_requests_carry_an_rfc3339_expiry_and_base64_public_key() {
        let key = AddKeyRequest {
            expiration_date: expiry(),
            public_key: Some(b"abcd".to_vec()),
        };
        assert_eq!(
            serde_json::to_value(key).unwrap(),
            json!({"expirationDate": "2030-01-01T00:00:00Z", "publicKey": "YWJjZA=="})
        );
        let generated = AddKeyRequest {
            expiration_date: expiry(),
            public_key: None,
        };
        assert_eq!(
            serde_json::to_value(generated).unwrap(),
            json!({"expirationDate": "2030-01-01T00:00:00Z"})
        );
        let pat = AddPatRequest {
            expiration_date: expiry(),
        };
        assert_eq!(
            serde_json::to_value(pat).unwrap(),
            json!({"expirationDate": "2030-01-01T00:00:00Z"})
        );
    }

    #[test]
    fn list_requests_serialise_their_filters() {
        let keys = ListKeysRequest {
            pagination: None,
            filters: vec![
                KeyFilter::UserIdFilter { id: "u1".into() },
                KeyFilter::ExpirationDateFilter {
                    timestamp: expiry(),
                    method: TimestampFilterMethod::Less,
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(keys).unwrap(),
            json!({"filters": [{"userIdFilter": {"id": "u1"}},
                {"expirationDateFilter": {"timestamp": "2030-01-01T00:00:00Z", "method": "TIMESTAMP_FILTER_METHOD_LESS"}}]})
        );
        let pats = ListPatsRequest {
            pagination: None,
            filters: vec![PatFilter::TokenIdFilter { id: "t1".into() }],
        };
        assert_eq!(
            serde_json::to_value(pats).unwrap(),
            json!({"filters": [{"tokenIdFilter": {"id": "t1"}}]})
        );
    }

    #[test]
    fn add_responses_decode_and_keep_secrets_out_of_debug() {
        let secret: AddSecretResponse =
            serde_json::from_value(json!({"clientSecret": "S3CR3T"})).unwrap();
        let key: AddKeyResponse =
            serde_json::from_value(json!({"keyId": "k1", "keyContent": "eyJrZXkiOiJQUklWIn0="}))
                .unwrap();
        let pat: AddPatResponse =
            serde_json::from_value(json!({"tokenId": "t1", "token": "PAT-VALUE"})).unwrap();
        assert_eq!(secret.client_secret.expose(), "S3CR3T");
        assert_eq!(key.key_content.expose(), br#"{"key":"PRIV"}"#);
        assert_eq!(pat.token.expose(), "PAT-VALUE");
        let debug = format!("{secret:?}{key:?}{pat:?}");
        for leaked in ["S3CR3T", "PRIV", "eyJr", "PAT-VALUE"] {
            assert!(!debug.contains(leaked), "{debug}");
        }
    }

    #[test]
    fn a_key_added_from_a_public_key_has_empty_content() {
        let key: AddKeyResponse = serde_json::from_value(json!({"keyId": "k1"})).unwrap();
        assert!(key.key_content.expose().is_empty());
    }

    #[test]
    fn list_responses_decode() {
        let list: ListKeysResponse = serde_json::from_value(json!({
            "pagination": {"totalResult": "1"},
            "result": [{"id": "k1", "userId": "u1", "organizationId": "o1",
                        "expirationDate": "2030-01-01T00:00:00Z"}]
        }))
        .unwrap();
        assert_eq!(list.pagination.total_result, 1);
        assert_eq!(list.result[0].expiration_date, Some(expiry()));
    }
}
